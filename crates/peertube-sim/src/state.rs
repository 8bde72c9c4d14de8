//! The fleet's shared state: immutable instance profiles plus a small mutable overlay per instance.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use crate::config::{ChurnConfig, FaultTuning};
use crate::content::profile::InstanceSpec;
use crate::content::{Flavor, Gen, VideoState};
use crate::fault::FaultMode;
use crate::ids::UuidCodec;
use crate::listing::SortCacheKey;
use crate::ratelimit::RateLimiter;

/// Everything the servers of a fleet share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) seed: u64,
    pub(crate) codec: UuidCodec,
    pub(crate) tuning: FaultTuning,
    pub(crate) rate_limit: AtomicBool,
    pub(crate) instances: Vec<InstanceState>,
    pub(crate) shutdown: watch::Receiver<bool>,
}

impl Shared {
    pub(crate) fn instance(&self, index: usize) -> &InstanceState {
        &self.instances[index]
    }

    /// The generator of instance `index`, flavoured by its current fault mode.
    pub(crate) fn generator(&self, index: usize) -> Gen<'_> {
        let instance = &self.instances[index];
        Gen {
            seed: self.seed,
            codec: self.codec,
            spec: &instance.spec,
            flavor: Flavor {
                xss: instance.fault() == FaultMode::Xss,
            },
        }
    }

    /// Resolves when the fleet shuts down.
    pub(crate) async fn stopped(&self) {
        let mut rx = self.shutdown.clone();
        // An error means the sender is gone: shut down as well.
        let _ = rx.wait_for(|stop| *stop).await;
    }
}

/// Counters of one instance (read by `Fleet::stats`).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) rate_limited: AtomicU64,
    pub(crate) bytes: AtomicU64,
    pub(crate) connections: AtomicU64,
    pub(crate) faults: AtomicU64,
    pub(crate) list_requests: AtomicU64,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) -> u64 {
        counter.fetch_add(n, Ordering::Relaxed)
    }
}

/// Uploads, edits, deletions and view bumps applied on top of the generated content.
#[derive(Debug, Default, Clone)]
pub(crate) struct Overlay {
    /// Bumped on every change (invalidates sorted caches).
    pub(crate) version: u64,
    /// Publication times of uploaded videos (index `base_videos + i`).
    pub(crate) uploads: Vec<i64>,
    /// Revision and edit time per edited video.
    pub(crate) edits: HashMap<u64, (u32, i64)>,
    pub(crate) deleted: BTreeSet<u64>,
    pub(crate) views: HashMap<u64, u64>,
}

impl Overlay {
    /// Indices `0..n` exist (deleted ones included).
    pub(crate) fn index_count(&self, spec: &InstanceSpec) -> u64 {
        spec.base_videos + self.uploads.len() as u64
    }

    pub(crate) fn exists(&self, spec: &InstanceSpec, k: u64) -> bool {
        k < self.index_count(spec) && !self.deleted.contains(&k)
    }

    pub(crate) fn state(&self, spec: &InstanceSpec, k: u64) -> VideoState {
        let published_ms = k
            .checked_sub(spec.base_videos)
            .and_then(|u| self.uploads.get(u as usize).copied());
        let (revision, edited_ms) = self
            .edits
            .get(&k)
            .map_or((0, None), |&(rev, ms)| (rev, Some(ms)));
        VideoState {
            published_ms,
            revision,
            edited_ms,
            extra_views: self.views.get(&k).copied().unwrap_or(0),
        }
    }

    pub(crate) fn live_count(&self, spec: &InstanceSpec) -> u64 {
        self.index_count(spec) - self.deleted.len() as u64
    }
}

/// Sorted lists of local videos, each with the overlay version it was built from.
pub(crate) type SortCache = HashMap<SortCacheKey, (u64, Arc<Vec<u64>>)>;

/// One instance: its profile, current fault, overlay and counters.
#[derive(Debug)]
pub(crate) struct InstanceState {
    pub(crate) spec: InstanceSpec,
    fault: AtomicU8,
    overlay: Mutex<Overlay>,
    churn: Mutex<ChurnConfig>,
    pub(crate) counters: Counters,
    pub(crate) limiter: RateLimiter,
    pub(crate) sorted: Mutex<SortCache>,
}

impl InstanceState {
    pub(crate) fn new(spec: InstanceSpec, fault: FaultMode, churn: ChurnConfig) -> Self {
        Self {
            spec,
            fault: AtomicU8::new(fault as u8),
            overlay: Mutex::new(Overlay::default()),
            churn: Mutex::new(churn),
            counters: Counters::default(),
            limiter: RateLimiter::default(),
            sorted: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn fault(&self) -> FaultMode {
        FaultMode::from_u8(self.fault.load(Ordering::Relaxed))
    }

    pub(crate) fn set_fault(&self, mode: FaultMode) {
        self.fault.store(mode as u8, Ordering::Relaxed);
    }

    pub(crate) fn overlay(&self) -> MutexGuard<'_, Overlay> {
        lock(&self.overlay)
    }

    pub(crate) fn churn(&self) -> ChurnConfig {
        *lock(&self.churn)
    }

    pub(crate) fn set_churn(&self, churn: ChurnConfig) {
        *lock(&self.churn) = churn;
    }
}

/// Locks a mutex, recovering from poisoning (a panicked holder leaves valid data here).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
