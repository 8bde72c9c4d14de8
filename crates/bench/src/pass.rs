//! What one measured pass reports to the orchestrator: one JSON line on its standard output.

use serde::{Deserialize, Serialize};

use crate::procstat::CpuTimes;

/// Which pass was measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PassKind {
    /// The reference: the crawl's requests, bodies read and discarded.
    FetchOnly,
    /// The reference plus decoding every answer with the `peertube` models (nothing stored).
    FetchDecode,
    /// The crawler: decoding, mapping and storing.
    Crawl,
}

impl PassKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::FetchOnly => "fetch-only",
            Self::FetchDecode => "fetch+decode",
            Self::Crawl => "crawl",
        }
    }
}

/// Figures of one pass, over its timed part only (set-up excluded).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PassResult {
    pub kind: PassKind,
    /// Videos whose details were read (fetch) or stored as new (crawl).
    pub videos: u64,
    /// HTTP requests the fleet answered during the pass.
    pub requests: u64,
    /// Response body bytes the fleet sent during the pass.
    pub bytes: u64,
    /// Failed requests or failed instances seen by the pass.
    pub errors: u64,
    pub wall_secs: f64,
    /// CPU of the pass process.
    pub cpu: CpuTimes,
    /// CPU of the fleet process over the same time, when it runs apart.
    pub sim_cpu: Option<CpuTimes>,
    /// CPU of the PostgreSQL backends serving the crawl's database.
    #[serde(default)]
    pub database_cpu: Option<CpuTimes>,
    /// The pass process's busiest threads over its life: `(name, CPU seconds)`.
    #[serde(default)]
    pub busiest_threads: Vec<(String, f64)>,
    /// Peak resident memory of the pass process.
    pub peak_rss_bytes: u64,
}

impl PassResult {
    pub fn videos_per_sec(&self) -> f64 {
        self.videos as f64 / self.wall_secs.max(1e-9)
    }

    pub fn requests_per_sec(&self) -> f64 {
        self.requests as f64 / self.wall_secs.max(1e-9)
    }
}
