//! Request counters of the fleet, per instance and in total.

use std::sync::atomic::Ordering;

use crate::state::Shared;

/// What one instance has served so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InstanceStats {
    /// Requests received (including refused and faulted ones).
    pub requests: u64,
    /// Requests answered 429.
    pub rate_limited: u64,
    /// Response body bytes sent (exact for ordinary answers, streamed bytes for huge ones).
    pub bytes: u64,
    /// TCP connections accepted.
    pub connections: u64,
    /// Requests a fault mode tampered with.
    pub faults: u64,
    /// `GET /api/v1/videos` requests (they drive churn).
    pub list_requests: u64,
}

/// Counters of the whole fleet.
#[derive(Debug, Clone, Default)]
pub struct FleetStats {
    pub instances: Vec<InstanceStats>,
    pub total: InstanceStats,
}

pub(crate) fn collect(shared: &Shared) -> FleetStats {
    let mut total = InstanceStats::default();
    let instances = shared
        .instances
        .iter()
        .map(|i| {
            let c = &i.counters;
            let s = InstanceStats {
                requests: c.requests.load(Ordering::Relaxed),
                rate_limited: c.rate_limited.load(Ordering::Relaxed),
                bytes: c.bytes.load(Ordering::Relaxed),
                connections: c.connections.load(Ordering::Relaxed),
                faults: c.faults.load(Ordering::Relaxed),
                list_requests: c.list_requests.load(Ordering::Relaxed),
            };
            total.requests += s.requests;
            total.rate_limited += s.rate_limited;
            total.bytes += s.bytes;
            total.connections += s.connections;
            total.faults += s.faults;
            total.list_requests += s.list_requests;
            s
        })
        .collect();
    FleetStats { instances, total }
}
