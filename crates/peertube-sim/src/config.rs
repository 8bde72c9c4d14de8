//! The fleet's configuration, its tunable fault timings, churn settings and error type.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// How to build a fleet.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// Number of simulated instances (one port each).
    pub instances: usize,
    /// Total local videos over the fleet, split along a power law.
    pub videos: u64,
    /// Everything (sizes, content, fault assignment) derives from this.
    pub seed: u64,
    /// Fraction of instances given a fault mode (chosen by the seed).
    pub faults: f64,
    /// PeerTube's default limit: 50 requests per 10 s per client IP.
    pub rate_limit: bool,
    /// The IP every instance listens on (ports are chosen by the OS).
    pub listen: IpAddr,
    /// Where the hosts list is served; `None` picks a free port on `listen`.
    pub control: Option<SocketAddr>,
    /// Delays and sizes of the fault modes.
    pub tuning: FaultTuning,
    /// Uploads, edits and deletions triggered by list requests, on every instance.
    pub churn: ChurnConfig,
}

impl Default for FleetConfig {
    fn default() -> Self {
        Self {
            instances: 10,
            videos: 1_000,
            seed: 1,
            faults: 0.0,
            rate_limit: true,
            listen: IpAddr::V4(Ipv4Addr::LOCALHOST),
            control: None,
            tuning: FaultTuning::default(),
            churn: ChurnConfig::default(),
        }
    }
}

impl FleetConfig {
    /// A fleet whose hosts list is served at `addr` and whose instances listen on its IP.
    pub fn with_listen_addr(mut self, addr: SocketAddr) -> Self {
        self.listen = addr.ip();
        self.control = Some(addr);
        self
    }
}

/// Timings and sizes of the fault modes (tests shorten them).
#[derive(Debug, Clone)]
pub struct FaultTuning {
    /// Delay before every answer of a `Slow` instance.
    pub slow_delay: Duration,
    /// How long a stalled or silent connection is held before it is closed.
    pub stall: Duration,
    /// Body size of an `Oversized` answer.
    pub oversized_bytes: u64,
    /// Requests allowed per window and client IP when rate limiting is on.
    pub rate_limit_max: u32,
    pub rate_limit_window: Duration,
}

impl Default for FaultTuning {
    fn default() -> Self {
        Self {
            slow_delay: Duration::from_secs(5),
            stall: Duration::from_secs(300),
            oversized_bytes: 80 * 1024 * 1024,
            rate_limit_max: 50,
            rate_limit_window: Duration::from_secs(10),
        }
    }
}

/// Deterministic change while a crawler pages: every Nth `GET /api/v1/videos` (0 = never).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChurnConfig {
    /// Upload one new video before answering every Nth list request.
    pub upload_every_n_list_requests: u64,
    /// Edit one existing video every Nth list request.
    pub edit_every_n_list_requests: u64,
    /// Delete one existing video every Nth list request.
    pub delete_every_n_list_requests: u64,
}

impl ChurnConfig {
    pub fn is_off(&self) -> bool {
        *self == Self::default()
    }
}

/// What can go wrong when starting or steering a fleet.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("no instance {0} in the fleet")]
    UnknownInstance(usize),
    #[error("instance {instance} has no video {index}")]
    UnknownVideo { instance: usize, index: u64 },
    #[error("invalid configuration: {0}")]
    Config(String),
}
