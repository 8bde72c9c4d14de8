//! The benchmark's report: Markdown tables of every pass and of the crawl/reference ratios against the targets.

use std::fmt::Write;

use crate::orchestrate::{Measurement, RunPlan, SimPlacement};
use crate::pass::PassKind;
use crate::procstat::CpuTimes;

/// Targets of the crawl benchmark (issue 3) on a 2-core machine.
pub const MAX_RATIO: f64 = 1.5;
pub const MIN_VIDEOS_PER_SEC: f64 = 5_000.0;
pub const MAX_PEAK_RSS_BYTES: u64 = 400_000_000;

const MB: f64 = 1_000_000.0;

/// What was run, in one paragraph.
pub fn header(plan: &RunPlan) -> String {
    let sim = match plan.sim {
        SimPlacement::Process => {
            "in its own process (its CPU is the \"fleet CPU\" column), warmed by an unmeasured \
             fetch-only pass"
        }
        SimPlacement::InProcess => {
            "inside each pass's process (its CPU and memory count in the pass's)"
        }
    };
    format!(
        "{} instances, seed {}; fleet {sim}; parallel instances {}, per-host concurrency {}, \
         global concurrency {}; politeness delays off; each pass in a fresh process; the \
         fetch-only reference runs before and after each crawl, and the ratios use the mean \
         of the two.\n",
        plan.instances,
        plan.seed,
        plan.knobs.parallel_instances,
        plan.knobs.concurrency_per_host,
        plan.knobs.global_concurrency,
    )
}

/// Every pass, one row each.
pub fn passes_table(measurements: &[Measurement]) -> String {
    let mut out = String::from(
        "| videos | backend | pass | requests | MB served | wall s | videos/s | requests/s \
         | CPU s (user+sys) | fleet CPU s | PostgreSQL CPU s | peak RSS MB | errors |\n\
         |---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    out.push_str(&passes_rows(measurements));
    out
}

/// The rows of [`passes_table`], for progress as measurements complete.
pub fn passes_rows(measurements: &[Measurement]) -> String {
    let mut out = String::new();
    for m in measurements {
        for pass in &m.passes {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {:.0} | {:.1} | {:.0} | {:.0} | {:.1} ({:.1}+{:.1}) | {} | {} | {:.0} | {} |",
                m.videos,
                m.backend.name(),
                pass.kind.label(),
                pass.requests,
                pass.bytes as f64 / MB,
                pass.wall_secs,
                pass.videos_per_sec(),
                pass.requests_per_sec(),
                pass.cpu.total(),
                pass.cpu.user_secs,
                pass.cpu.system_secs,
                seconds(pass.sim_cpu),
                seconds(pass.database_cpu),
                pass.peak_rss_bytes as f64 / MB,
                pass.errors,
            );
        }
    }
    out
}

/// Crawl against the reference (the mean of its runs before and after the
/// crawl), and the targets.
pub fn ratios_table(measurements: &[Measurement]) -> String {
    let mut out = String::from(
        "| videos | backend | wall crawl/fetch-only | CPU crawl (+PostgreSQL)/fetch-only | crawl videos/s \
         | crawl peak RSS MB | same requests | ratio ≤ 1.5 | ≥ 5,000 videos/s | RSS < 400 MB |\n\
         |---:|---|---:|---:|---:|---:|:-:|:-:|:-:|:-:|\n",
    );
    for m in measurements {
        let references = m.references();
        let Some(crawl) = m.pass(PassKind::Crawl) else {
            continue;
        };
        if references.is_empty() {
            continue;
        }
        let reference_wall = mean(references.iter().map(|pass| pass.wall_secs));
        let reference_cpu = mean(references.iter().map(|pass| pass.cpu.total()));
        let ratio = crawl.wall_secs / reference_wall.max(1e-9);
        let same_requests = references
            .iter()
            .all(|pass| pass.requests == crawl.requests && pass.videos == crawl.videos);
        let _ = writeln!(
            out,
            "| {} | {} | {ratio:.2} | {:.2} | {:.0} | {:.0} | {} | {} | {} | {} |",
            m.videos,
            m.backend.name(),
            (crawl.cpu.total() + crawl.database_cpu.map_or(0.0, |cpu| cpu.total()))
                / reference_cpu.max(1e-9),
            crawl.videos_per_sec(),
            crawl.peak_rss_bytes as f64 / MB,
            mark(same_requests),
            mark(ratio <= MAX_RATIO),
            mark(crawl.videos_per_sec() >= MIN_VIDEOS_PER_SEC),
            mark(crawl.peak_rss_bytes < MAX_PEAK_RSS_BYTES),
        );
    }
    out
}

fn mean(values: impl ExactSizeIterator<Item = f64>) -> f64 {
    let count = values.len().max(1) as f64;
    values.sum::<f64>() / count
}

fn seconds(cpu: Option<CpuTimes>) -> String {
    cpu.map_or_else(|| "–".to_owned(), |cpu| format!("{:.1}", cpu.total()))
}

fn mark(met: bool) -> &'static str {
    if met { "yes" } else { "**no**" }
}

/// Where each pass's CPU went, by thread (a thread near its wall time is a serial bottleneck).
pub fn threads_table(measurements: &[Measurement]) -> String {
    let mut out = String::from(
        "| videos | backend | pass | wall s | busiest threads (CPU s over the process's life) |\n\
         |---:|---|---|---:|---|\n",
    );
    for m in measurements {
        for pass in &m.passes {
            let threads: Vec<String> = pass
                .busiest_threads
                .iter()
                .map(|(name, secs)| format!("{name} {secs:.1}"))
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.1} | {} |",
                m.videos,
                m.backend.name(),
                pass.kind.label(),
                pass.wall_secs,
                threads.join(", "),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrate::Backend;
    use crate::pass::PassResult;

    fn pass(kind: PassKind, wall_secs: f64, cpu_secs: f64) -> PassResult {
        PassResult {
            kind,
            videos: 10_000,
            requests: 21_436,
            bytes: 0,
            errors: 0,
            wall_secs,
            cpu: CpuTimes {
                user_secs: cpu_secs,
                system_secs: 0.0,
            },
            sim_cpu: None,
            database_cpu: None,
            busiest_threads: Vec::new(),
            peak_rss_bytes: 100_000_000,
        }
    }

    #[test]
    fn the_crawl_is_compared_with_the_mean_of_the_references_around_it() {
        let measurement = Measurement {
            videos: 10_000,
            backend: Backend::Sqlite,
            passes: vec![
                pass(PassKind::FetchOnly, 2.0, 1.0),
                pass(PassKind::Crawl, 4.5, 6.0),
                pass(PassKind::FetchOnly, 4.0, 3.0),
            ],
        };
        let table = ratios_table(&[measurement]);
        let row = table.lines().last().unwrap();
        assert!(row.starts_with("| 10000 | SQLite | 1.50 | 3.00 |"), "{row}");
        assert!(row.ends_with("| yes | yes | **no** | yes |"), "{row}");
    }
}
