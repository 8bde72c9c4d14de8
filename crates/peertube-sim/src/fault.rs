//! Fault modes and their reproducible assignment to instances by seed.

use std::fmt;
use std::str::FromStr;

use crate::mix::{hash4, tag};

/// How an instance misbehaves. Transport faults hit every request (or every API call: paths
/// under `/api/`, `/.well-known/` and `/nodeinfo`); data faults hit only video lists and details
/// (`/api/v1/videos...` and `/api/v1/video-channels/{handle}/videos`), so identity and
/// discovery still work and the crawler fails mid-way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum FaultMode {
    /// A well-behaved PeerTube 6.3.
    #[default]
    None = 0,
    /// Every answer (any path) is delayed by `FaultTuning::slow_delay`.
    Slow,
    /// Every request: status and headers are sent, then the body stops midway; after
    /// `FaultTuning::stall` the connection is aborted.
    Stall,
    /// Every connection is accepted and the request read, but nothing is answered (held for
    /// `FaultTuning::stall`).
    NoAnswer,
    /// API calls answer 500, 502 or 503 in turn.
    ServerError,
    /// The connection is reset (TCP RST) once the request is read.
    ConnectionReset,
    /// Video lists and details are truncated, have syntax errors or ill-typed items.
    MalformedJson,
    /// Video lists and details stream a valid-looking JSON body far larger than any cap.
    Oversized,
    /// API calls answer 200 with an HTML error page.
    WrongContentType,
    /// Every request is redirected to itself.
    RedirectLoop,
    /// Every request is redirected to `http://169.254.169.254/latest/meta-data/`.
    RedirectPrivate,
    /// Video lists and details carry invalid UTF-8 inside JSON strings.
    InvalidUtf8,
    /// Valid JSON whose every text field carries XSS payloads.
    Xss,
    /// A Mastodon server: nodeinfo says `mastodon`, PeerTube endpoints 404.
    NotPeerTube,
    /// PeerTube 3.4: ignores `isLocal` (federated videos mixed in), single `avatar` field.
    OldPeerTube,
    /// About a third fails: one new connection in six is reset, one request in six answers
    /// 500/502/503, one video list or details answer in six is truncated.
    Flaky,
}

impl FaultMode {
    /// Every mode except `None`, in the order the seed deals them.
    pub const ALL_FAULTS: [FaultMode; 15] = [
        Self::Slow,
        Self::Stall,
        Self::NoAnswer,
        Self::ServerError,
        Self::ConnectionReset,
        Self::MalformedJson,
        Self::Oversized,
        Self::WrongContentType,
        Self::RedirectLoop,
        Self::RedirectPrivate,
        Self::InvalidUtf8,
        Self::Xss,
        Self::NotPeerTube,
        Self::OldPeerTube,
        Self::Flaky,
    ];

    pub(crate) fn from_u8(value: u8) -> Self {
        Self::ALL_FAULTS
            .iter()
            .copied()
            .find(|m| *m as u8 == value)
            .unwrap_or(Self::None)
    }

    /// The kebab-case name used by the CLI and the stats.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Slow => "slow",
            Self::Stall => "stall",
            Self::NoAnswer => "no-answer",
            Self::ServerError => "server-error",
            Self::ConnectionReset => "connection-reset",
            Self::MalformedJson => "malformed-json",
            Self::Oversized => "oversized",
            Self::WrongContentType => "wrong-content-type",
            Self::RedirectLoop => "redirect-loop",
            Self::RedirectPrivate => "redirect-private",
            Self::InvalidUtf8 => "invalid-utf8",
            Self::Xss => "xss",
            Self::NotPeerTube => "not-peertube",
            Self::OldPeerTube => "old-peertube",
            Self::Flaky => "flaky",
        }
    }
}

impl fmt::Display for FaultMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FaultMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        std::iter::once(Self::None)
            .chain(Self::ALL_FAULTS)
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("unknown fault mode {s:?}"))
    }
}

/// Deals fault modes: `round(fraction * n)` instances, picked and dealt in seed order.
pub(crate) fn assign_faults(seed: u64, instances: usize, fraction: f64) -> Vec<FaultMode> {
    let mut modes = vec![FaultMode::None; instances];
    let fraction = if fraction.is_finite() {
        fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let faulty = (fraction * instances as f64).round() as usize;
    let mut order: Vec<usize> = (0..instances).collect();
    order.sort_by_key(|&i| hash4(seed, i as u64, 0, tag::FAULT_RANK));
    let all = FaultMode::ALL_FAULTS;
    let rotation = (hash4(seed, 0, 0, tag::FAULT_MODE) % all.len() as u64) as usize;
    for (n, &instance) in order.iter().take(faulty).enumerate() {
        modes[instance] = all[(n + rotation) % all.len()];
    }
    modes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_is_reproducible_and_exact() {
        let a = assign_faults(9, 100, 0.3);
        assert_eq!(a, assign_faults(9, 100, 0.3));
        assert_ne!(a, assign_faults(10, 100, 0.3));
        assert_eq!(a.iter().filter(|m| **m != FaultMode::None).count(), 30);
        let every = assign_faults(9, 15, 1.0);
        for mode in FaultMode::ALL_FAULTS {
            assert!(every.contains(&mode), "{mode}");
        }
        for mode in FaultMode::ALL_FAULTS {
            assert_eq!(mode.name().parse::<FaultMode>(), Ok(mode));
            assert_eq!(FaultMode::from_u8(mode as u8), mode);
        }
    }
}
