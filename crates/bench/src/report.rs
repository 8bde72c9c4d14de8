//! The benchmark's report: Markdown tables of every pass and of the crawl/reference ratios against the targets.

use std::fmt::Write;

use crate::orchestrate::{Measurement, RunPlan, SimPlacement};
use crate::pass::{PassKind, PassResult};
use crate::procstat::CpuTimes;

/// Targets of the crawl benchmark (issue 3) on a 2-core machine.
pub const MAX_RATIO: f64 = 1.5;
pub const MIN_VIDEOS_PER_SEC: f64 = 5_000.0;
pub const MAX_PEAK_RSS_BYTES: u64 = 400_000_000;

const MB: f64 = 1_000_000.0;

/// What was run, in one paragraph.
pub fn header(plan: &RunPlan) -> String {
    let sim = match plan.sim {
        SimPlacement::Process => "in its own process (its CPU is the \"fleet CPU\" column)",
        SimPlacement::InProcess => {
            "inside each pass's process (its CPU and memory count in the pass's)"
        }
    };
    format!(
        "{} instances, seed {}; fleet {sim}; parallel instances {}, per-host concurrency {}, \
         global concurrency {}; politeness delays off; each pass in a fresh process.\n",
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

/// Crawl against the reference measured just before it, and the targets.
pub fn ratios_table(measurements: &[Measurement]) -> String {
    let mut out = String::from(
        "| videos | backend | wall crawl/fetch-only | CPU crawl (+PostgreSQL)/fetch-only | crawl videos/s \
         | crawl peak RSS MB | same requests | ratio ≤ 1.5 | ≥ 5,000 videos/s | RSS < 400 MB |\n\
         |---:|---|---:|---:|---:|---:|:-:|:-:|:-:|:-:|\n",
    );
    for m in measurements {
        let (Some(fetch), Some(crawl)) = (m.pass(PassKind::FetchOnly), m.pass(PassKind::Crawl))
        else {
            continue;
        };
        let ratio = wall_ratio(crawl, fetch);
        let _ = writeln!(
            out,
            "| {} | {} | {ratio:.2} | {:.2} | {:.0} | {:.0} | {} | {} | {} | {} |",
            m.videos,
            m.backend.name(),
            (crawl.cpu.total() + crawl.database_cpu.map_or(0.0, |cpu| cpu.total()))
                / fetch.cpu.total().max(1e-9),
            crawl.videos_per_sec(),
            crawl.peak_rss_bytes as f64 / MB,
            mark(crawl.requests == fetch.requests && crawl.videos == fetch.videos),
            mark(ratio <= MAX_RATIO),
            mark(crawl.videos_per_sec() >= MIN_VIDEOS_PER_SEC),
            mark(crawl.peak_rss_bytes < MAX_PEAK_RSS_BYTES),
        );
    }
    out
}

/// How much longer the crawl took than the reference.
pub fn wall_ratio(crawl: &PassResult, reference: &PassResult) -> f64 {
    crawl.wall_secs / reference.wall_secs.max(1e-9)
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
