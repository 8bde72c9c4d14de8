//! The search benchmark's report: Markdown tables of the corpus, the indexing passes, the load runs, the ratios against the references and the targets.

use std::fmt::Write;

use super::indexing::IndexKind;
use super::orchestrate::{Engine, SearchPlan, SizeMeasurement, mix_size};
use super::queries::{COUNT, KINDS};

/// Targets of the search benchmark (issue 4) on a 2-core machine.
pub const MIN_DOCUMENTS_PER_SEC: f64 = 15_000.0;
pub const MAX_P50_MS: f64 = 2.0;
pub const MAX_P99_MS: f64 = 10.0;
pub const MIN_QUERIES_PER_SEC: f64 = 3_000.0;

const MB: f64 = 1_000_000.0;

/// What was run, in one paragraph.
pub fn header(plan: &SearchPlan) -> String {
    format!(
        "Florilège's store: {}; {} instances, seed {}; query mix of {} queries ({} per kind: {}), count={COUNT}; \
         concurrency 1: at most {} requests or {} s; concurrency {}: {} s; Florilège and raw Tantivy \
         indexing {} time(s) each, alternating (ratios use the fastest); every pass, the server \
         and each load run in its own process; FTS5 endpoint: axum + sqlx, {} read connections, \
         in the server process beside Florilège's API; answers uncompressed.\n",
        plan.backend.name(),
        plan.instances,
        plan.seed,
        mix_size(plan),
        plan.per_kind,
        KINDS.join(", "),
        plan.single_requests,
        plan.single_seconds,
        plan.concurrency,
        plan.concurrent_seconds,
        plan.index_runs.max(1),
        plan.fts_connections,
    )
}

/// The corpus of each size (set-up, not measured).
pub fn corpus_table(measurements: &[SizeMeasurement]) -> String {
    let mut out = String::from(
        "| videos | instances | channels | accounts | main languages (videos) | database MB \
         | write s (set-up) | load average (start → end) |\n|---:|---:|---:|---:|---|---:|---:|---|\n",
    );
    for m in measurements {
        let languages: Vec<String> = m
            .corpus
            .languages
            .iter()
            .take(5)
            .map(|(code, videos)| format!("{code} {videos}"))
            .collect();
        let load = |value: Option<f64>| value.map_or_else(|| "–".into(), |v| format!("{v:.1}"));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:.0} | {:.1} | {} → {} |",
            m.corpus.videos,
            m.corpus.instances,
            m.corpus.channels,
            m.corpus.accounts,
            languages.join(", "),
            m.database_bytes as f64 / MB,
            m.corpus.write_secs,
            load(m.load_average.0),
            load(m.load_average.1),
        );
    }
    out
}

/// Every indexing pass.
pub fn indexing_table(plan: &SearchPlan, measurements: &[SizeMeasurement]) -> String {
    let mut out = String::from(
        "| videos | pass | documents | wall s | documents/s | CPU s (user+sys) | CPU µs/document \
         | peak RSS MB | index MB | busiest threads (CPU s) |\n\
         |---:|---|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for m in measurements {
        for pass in &m.indexing {
            let threads: Vec<String> = pass
                .busiest_threads
                .iter()
                .map(|(name, secs)| format!("{name} {secs:.1}"))
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.2} | {:.0} | {:.1} ({:.1}+{:.1}) | {:.0} | {:.0} | {:.1} | {} |",
                m.videos,
                pass.kind.label(plan.backend),
                pass.documents,
                pass.wall_secs,
                pass.documents_per_sec(),
                pass.cpu.total(),
                pass.cpu.user_secs,
                pass.cpu.system_secs,
                pass.cpu.total() * 1e6 / pass.documents.max(1) as f64,
                pass.peak_rss_bytes as f64 / MB,
                pass.size_bytes as f64 / MB,
                threads.join(", "),
            );
        }
    }
    out
}

/// Every measured load run.
pub fn queries_table(measurements: &[SizeMeasurement]) -> String {
    let mut out = String::from(
        "| videos | engine | concurrency | requests | wall s | queries/s | p50 ms | p90 ms \
         | p99 ms | max ms | server CPU s | server CPU ms/query | load generator CPU s \
         | mean answer KB | errors |\n\
         |---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for m in measurements {
        for run in m.runs.iter().filter(|run| !run.warmup) {
            let load = &run.load;
            let server = run.server_cpu.map(|cpu| cpu.total());
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {:.1} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} | {} | {} | {:.1} | {:.1} | {} |",
                m.videos,
                run.engine.label(),
                load.concurrency,
                load.requests,
                load.wall_secs,
                load.per_sec(),
                load.latency.p50_ms,
                load.latency.p90_ms,
                load.latency.p99_ms,
                load.latency.max_ms,
                server.map_or_else(|| "–".into(), |cpu| format!("{cpu:.1}")),
                server.map_or_else(
                    || "–".into(),
                    |cpu| format!("{:.2}", cpu * 1000.0 / load.requests.max(1) as f64)
                ),
                load.cpu.total(),
                load.mean_response_bytes / 1000.0,
                load.errors,
            );
        }
    }
    out
}

/// Latency by kind of query at concurrency 1, and what each engine found (from the warm-up).
pub fn kinds_table(measurements: &[SizeMeasurement]) -> String {
    let mut out = String::from(
        "| videos | kind | Florilège p50 ms | Florilège p99 ms | FTS5 p50 ms | FTS5 p99 ms \
         | Florilège found | FTS5 found | Florilège mean total | FTS5 mean total |\n\
         |---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for m in measurements {
        for kind in KINDS {
            let figures = |engine| {
                m.run(engine, 1)
                    .and_then(|run| run.load.by_kind.iter().find(|k| k.kind == *kind))
            };
            let found = |engine| {
                m.warmup(engine)
                    .and_then(|run| run.load.by_kind.iter().find(|k| k.kind == *kind))
            };
            let latency = |engine| {
                figures(engine).map_or_else(
                    || "– | –".to_owned(),
                    |k| format!("{:.2} | {:.2}", k.latency.p50_ms, k.latency.p99_ms),
                )
            };
            let share = |engine| {
                found(engine)
                    .map_or_else(|| "–".to_owned(), |k| format!("{}/{}", k.found, k.requests))
            };
            let total = |engine| {
                found(engine).map_or_else(|| "–".to_owned(), |k| format!("{:.0}", k.mean_total))
            };
            let _ = writeln!(
                out,
                "| {} | {kind} | {} | {} | {} | {} | {} | {} |",
                m.videos,
                latency(Engine::Florilege),
                latency(Engine::Fts5),
                share(Engine::Florilege),
                share(Engine::Fts5),
                total(Engine::Florilege),
                total(Engine::Fts5),
            );
        }
    }
    out
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}", a / b)
    } else {
        "–".into()
    }
}

fn mark(met: bool) -> &'static str {
    if met { "yes" } else { "**no**" }
}

/// Florilège against its references, and against the targets.
pub fn ratios_table(plan: &SearchPlan, measurements: &[SizeMeasurement]) -> String {
    let n = plan.concurrency;
    let store = plan.backend.name();
    let mut out = format!(
        "| videos | indexing wall Florilège/raw Tantivy | index size Florilège/raw Tantivy \
         | index size Florilège/FTS5 | p50 c=1 Florilège/FTS5 | p99 c=1 Florilège/FTS5 \
         | queries/s c={n} Florilège/FTS5 | Florilège documents/s from {store} | p50 c=1 ms \
         | p99 c=1 ms | queries/s c={n} | ≥ 15,000 documents/s | p50 < 2 ms | p99 < 10 ms \
         | ≥ 3,000 queries/s |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|:-:|:-:|:-:|\n"
    );
    for m in measurements {
        let (Some(florilege), Some(tantivy), Some(fts)) = (
            m.index(IndexKind::Florilege),
            m.index(IndexKind::Tantivy),
            m.index(IndexKind::Fts5),
        ) else {
            continue;
        };
        let (Some(f1), Some(s1), Some(fn_), Some(sn)) = (
            m.run(Engine::Florilege, 1),
            m.run(Engine::Fts5, 1),
            m.run(Engine::Florilege, n),
            m.run(Engine::Fts5, n),
        ) else {
            continue;
        };
        let (f1, s1, fn_, sn) = (&f1.load, &s1.load, &fn_.load, &sn.load);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.0} | {} | {} | {} | {} |",
            m.videos,
            ratio(florilege.wall_secs, tantivy.wall_secs),
            ratio(florilege.size_bytes as f64, tantivy.size_bytes as f64),
            ratio(florilege.size_bytes as f64, fts.size_bytes as f64),
            ratio(f1.latency.p50_ms, s1.latency.p50_ms),
            ratio(f1.latency.p99_ms, s1.latency.p99_ms),
            ratio(fn_.per_sec(), sn.per_sec()),
            florilege.documents_per_sec(),
            f1.latency.p50_ms,
            f1.latency.p99_ms,
            fn_.per_sec(),
            mark(florilege.documents_per_sec() >= MIN_DOCUMENTS_PER_SEC),
            mark(f1.latency.p50_ms < MAX_P50_MS),
            mark(f1.latency.p99_ms < MAX_P99_MS),
            mark(fn_.per_sec() >= MIN_QUERIES_PER_SEC),
        );
    }
    out
}

/// How size and latency grow from the smallest corpus to each larger one.
pub fn growth_table(plan: &SearchPlan, measurements: &[SizeMeasurement]) -> String {
    let n = plan.concurrency;
    let mut out = format!(
        "| videos | × videos | × Florilège index size | × FTS5 index size | × Florilège p50 \
         | × Florilège p99 | × FTS5 p50 | × FTS5 p99 | × Florilège queries/s c={n} \
         | × FTS5 queries/s c={n} |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    let Some(first) = measurements.first() else {
        return out;
    };
    let size = |m: &SizeMeasurement, kind| m.index(kind).map_or(0.0, |p| p.size_bytes as f64);
    let load = |m: &SizeMeasurement, engine, concurrency| {
        m.run(engine, concurrency).map(|run| run.load.clone())
    };
    for m in &measurements[1..] {
        let figure = |engine, concurrency, read: fn(&super::load::LoadResult) -> f64| match (
            load(m, engine, concurrency),
            load(first, engine, concurrency),
        ) {
            (Some(now), Some(then)) => ratio(read(&now), read(&then)),
            _ => "–".into(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            m.videos,
            ratio(m.corpus.videos as f64, first.corpus.videos as f64),
            ratio(
                size(m, IndexKind::Florilege),
                size(first, IndexKind::Florilege)
            ),
            ratio(size(m, IndexKind::Fts5), size(first, IndexKind::Fts5)),
            figure(Engine::Florilege, 1, |l| l.latency.p50_ms),
            figure(Engine::Florilege, 1, |l| l.latency.p99_ms),
            figure(Engine::Fts5, 1, |l| l.latency.p50_ms),
            figure(Engine::Fts5, 1, |l| l.latency.p99_ms),
            figure(Engine::Florilege, n, |l| l.per_sec()),
            figure(Engine::Fts5, n, |l| l.per_sec()),
        );
    }
    out
}
