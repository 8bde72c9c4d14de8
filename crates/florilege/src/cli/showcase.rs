//! `florilege export` and `florilege import`: selections, themes and notes as portable JSON, to move a showcase or share selections.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use store::{ImportOptions, ImportReport, Showcase, Store};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The JSON file to write (standard output when absent or `-`).
    pub file: Option<PathBuf>,
    /// Export only this selection (by slug) and its themes; repeat for more.
    #[arg(long = "selection", value_name = "SLUG")]
    pub selections: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A file written by `florilege export` (`-` reads standard input).
    pub file: PathBuf,
    /// New selections arrive as drafts, and existing ones keep their status
    /// and dates (for selections shared by another collective).
    #[arg(long)]
    pub drafts: bool,
    /// The back-office user the audit log names for the import.
    #[arg(long, value_name = "USERNAME")]
    pub user: Option<String>,
}

pub(super) async fn run_export(
    store: &Store,
    args: ExportArgs,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let showcase = store
        .export_showcase(&args.selections)
        .await
        .map_err(|error| {
            anyhow::anyhow!(
                "{error} (selections asked for: {})",
                args.selections.join(", ")
            )
        })?;
    let json = showcase.to_json();
    match args.file.filter(|file| file.as_os_str() != "-") {
        None => out.write_all(json.as_bytes())?,
        Some(file) => {
            std::fs::write(&file, json)
                .with_context(|| format!("cannot write {}", file.display()))?;
            let items: usize = showcase.selections.iter().map(|s| s.items.len()).sum();
            writeln!(
                out,
                "exported {} selections ({items} items) and {} themes to {}",
                showcase.selections.len(),
                showcase.themes.len(),
                file.display()
            )?;
        }
    }
    Ok(())
}

pub(super) async fn run_import(
    store: &Store,
    args: ImportArgs,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let bytes = if args.file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes)?;
        bytes
    } else {
        std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?
    };
    let showcase = Showcase::from_json(&bytes)
        .with_context(|| format!("{} was not imported", args.file.display()))?;
    let by = match &args.user {
        None => None,
        Some(name) => Some(
            store
                .user_by_name(name)
                .await?
                .with_context(|| format!("no user named {name:?}"))?
                .id,
        ),
    };
    let options = ImportOptions {
        as_drafts: args.drafts,
    };
    let source = args.file.display().to_string();
    let report = store
        .import_showcase(&showcase, options, by, &source)
        .await?;
    print_report(&report, out)?;
    Ok(())
}

fn print_report(report: &ImportReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "themes: {} created{}, {} updated{}, {} unchanged",
        report.themes_created.len(),
        listed(&report.themes_created),
        report.themes_updated.len(),
        listed(&report.themes_updated),
        report.themes_unchanged
    )?;
    writeln!(
        out,
        "selections: {} created{}, {} updated{}, {} unchanged",
        report.selections_created.len(),
        listed(&report.selections_created),
        report.selections_updated.len(),
        listed(&report.selections_updated),
        report.selections_unchanged
    )?;
    if report.missing.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{} items were left out: their videos are not in this database yet",
        report.missing.len()
    )?;
    for missing in &report.missing {
        writeln!(
            out,
            "  {}: {:?} {} (on {})",
            missing.selection, missing.video.title, missing.video.url, missing.video.host
        )?;
    }
    writeln!(
        out,
        "Once their instances are crawled (`florilege instances add HOST`, then \
         `florilege crawl --once`), import the same file again: it adds these items in \
         their place and changes nothing else."
    )
}

/// ` (a, b)` or nothing.
fn listed(slugs: &[String]) -> String {
    if slugs.is_empty() {
        String::new()
    } else {
        format!(" ({})", slugs.join(", "))
    }
}
