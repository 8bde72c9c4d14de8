//! Florilège's benchmarks, each measured side by side with a reference in the same run.
//!
//! The crawl benchmark (`cargo run --release -p bench --bin crawl`) runs a
//! simulated fleet in its own process, warms it with an unmeasured pass,
//! then, for each database backend, a fetch-only reference pass, a full
//! crawl and the reference again, each in a fresh child process so that its
//! CPU time and peak memory are its own.
//!
//! The search benchmark (`cargo run --release -p bench --bin search`) writes
//! a corpus into a fresh store, measures indexing it against raw Tantivy,
//! and queries over HTTP against SQLite FTS5 ([`search`]).
//!
//! The pages benchmark (`cargo run --release -p bench --bin pages`) loads
//! public pages with wrk against nginx serving the same bytes ([`pages`]).
//!
//! The freshness benchmark (`cargo run --release -p bench --bin freshness`)
//! follows uploads on a simulated fleet until a running `florilege serve`
//! finds them ([`freshness`]).
//!
//! [`mixed_load`] pushes a mix of pages and API calls at a running server;
//! the reliability suite of the `florilege` crate uses it (and [`procstat`])
//! for its load and memory figures.

/// The allocator of the `florilege` binary, so that the code measured in
/// these processes allocates as it does in production.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod crawl_pass;
pub mod fetch_only;
pub mod fleet;
pub mod freshness;
pub mod knobs;
pub mod measure;
pub mod mixed_load;
pub mod orchestrate;
pub mod pages;
pub mod pass;
pub mod procstat;
pub mod report;
pub mod search;
