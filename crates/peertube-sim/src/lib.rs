//! A simulated PeerTube fleet over real HTTP, for tests, benchmarks and the demo.
//!
//! Every instance listens on its own port and answers like PeerTube 6.3 (shapes, headers,
//! errors, rate limit). Content derives from a seed by hashing, so any video is generated in
//! O(1) without state; uploads, edits and deletions live in a small overlay per instance.
//! Some instances misbehave on purpose ([`FaultMode`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), peertube_sim::SimError> {
//! use peertube_sim::{Fleet, FleetConfig};
//! let fleet = Fleet::start(FleetConfig { instances: 20, videos: 5_000, ..FleetConfig::default() }).await?;
//! let hosts = fleet.hosts_list_url(); // {"total": 20, "data": [{"host": "127.0.0.1:PORT"}, ...]}
//! let truth: Vec<_> = fleet.expected_videos(0)?.collect();
//! fleet.shutdown().await;
//! # Ok(()) }
//! ```

mod config;
mod content;
mod control;
mod fault;
mod fleet;
mod ids;
mod images;
mod listing;
mod mix;
mod mutate;
mod problem;
mod ratelimit;
mod render;
mod routes;
mod server;
mod state;
mod stats;
mod tables;

pub use config::{ChurnConfig, FaultTuning, FleetConfig, SimError};
pub use content::{SimAccount, SimChannel, SimPlaylist, SimVideo};
pub use fault::FaultMode;
pub use fleet::{Fleet, InstanceInfo, run_until_ctrl_c};
pub use stats::{FleetStats, InstanceStats};
pub use tables::{category_label, language_label, licence_label};
