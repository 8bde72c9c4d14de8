//! Florilège's crawler: keeps the database true to the federation, politely, and survives hostile instances.
//!
//! It never talks to the index: it writes the database, whose change feed
//! the indexer follows.

mod channels;
mod config;
mod gate;
mod guard;
mod health;
mod identity;
pub mod images;
mod lease;
mod mapping;
mod on_demand;
mod pass;
mod schedule;
mod session;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{TimeDelta, Utc};
use peertube::ClientOptions;
use store::{
    CrawlEnd, CrawlRunCounters, CrawlRunKind, CrawlRunStatus, Instance, InstanceAddress,
    InstanceStatus, Store, StoreError, now,
};
use tokio::sync::{Semaphore, mpsc};
pub use tokio_util::sync::CancellationToken;
use url::Url;

pub use config::CrawlerConfig;
pub use guard::{AddressPolicy, GuardError, http_client};
pub use identity::{CheckError, ROBOTS_AGENT};
pub use lease::default_worker_name;
pub use on_demand::FetchVideoError;
pub use pass::PAGES_PER_WRITE;
pub use schedule::crawl_order;

use gate::HostGate;
use lease::HeldLease;
use pass::{CrawlState, Pass, PassError, SweepProgress};
use session::Session;

/// Largest number of videos listed from one instance in a sweep.
const MAX_VIDEOS_PER_INSTANCE: u64 = 2_000_000;

/// Why the crawler could not start.
#[derive(Debug, thiserror::Error)]
pub enum CrawlerError {
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("database: {0}")]
    Store(#[from] StoreError),
    #[error("no instance {0}")]
    UnknownInstance(String),
    #[error("{host} is {status}: only approved instances are crawled")]
    NotApproved {
        host: String,
        status: InstanceStatus,
    },
    #[error("{host} is being crawled by worker {owner}: try again when it is done")]
    Leased { host: String, owner: String },
}

/// Why a crawl of one instance did not succeed.
enum CrawlFailure {
    /// Stopped on request (shutdown).
    Interrupted,
    /// Another worker took the instance over.
    LeaseLost,
    Failed(String),
}

impl CrawlFailure {
    fn from_pass(error: PassError, lease: &HeldLease) -> Self {
        match error {
            PassError::Cancelled if lease.is_lost() => CrawlFailure::LeaseLost,
            PassError::Cancelled => CrawlFailure::Interrupted,
            PassError::Store(StoreError::LeaseLost) => CrawlFailure::LeaseLost,
            error => CrawlFailure::Failed(error.to_string()),
        }
    }
}

impl From<String> for CrawlFailure {
    fn from(reason: String) -> Self {
        CrawlFailure::Failed(reason)
    }
}

/// What a crawl of one instance did.
#[derive(Clone, Debug)]
pub struct CrawlReport {
    pub host: String,
    pub kind: CrawlRunKind,
    pub counters: CrawlRunCounters,
    /// `None` on success; the readable reason otherwise.
    pub error: Option<String>,
}

/// The outcome of the automatic checks of an instance submission.
#[derive(Clone, Debug, serde::Serialize)]
pub struct InstanceCheck {
    pub host: String,
    pub passed: bool,
    pub steps: Vec<CheckStep>,
    /// What the instance said about itself, when it could be read.
    #[serde(skip)]
    pub identity: Option<store::InstanceIdentity>,
}

/// One check and what it found, in plain words.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CheckStep {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

impl InstanceCheck {
    fn step(&mut self, name: &'static str, ok: bool, detail: String) -> bool {
        self.steps.push(CheckStep { name, ok, detail });
        ok
    }

    /// The first failed check in plain words, or `None` when all passed.
    pub fn failure(&self) -> Option<String> {
        self.steps
            .iter()
            .find(|step| !step.ok)
            .map(|step| format!("{}: {}", step.name, step.detail))
    }
}

/// Progress of a crawl, for progress bars and logs.
#[derive(Clone, Debug)]
pub enum CrawlEvent {
    Started {
        host: String,
    },
    Finished(CrawlReport),
    /// Left alone: another worker holds its lease.
    Skipped {
        host: String,
        owner: String,
    },
}

/// One crawl in progress: the instance, how to reach it, what stops it.
#[derive(Clone, Copy)]
struct Crawl<'a> {
    instance: &'a Instance,
    session: &'a Session,
    cancel: &'a CancellationToken,
    lease: &'a HeldLease,
}

/// Crawls instances: one at a time on demand, or all of them on schedule.
/// Cheap to clone: clones share the HTTP client, the concurrency limits and
/// the per-host gates.
#[derive(Clone)]
pub struct Crawler {
    store: Store,
    config: Arc<CrawlerConfig>,
    http: reqwest::Client,
    policy: AddressPolicy,
    global: Arc<Semaphore>,
    gates: Arc<Mutex<HashMap<String, Arc<HostGate>>>>,
    worker: String,
    events: Option<mpsc::UnboundedSender<CrawlEvent>>,
}

impl Crawler {
    pub fn new(store: Store, config: CrawlerConfig) -> Result<Self, CrawlerError> {
        Ok(Self {
            http: http_client(&config)?,
            policy: AddressPolicy::from_config(&config),
            global: Arc::new(Semaphore::new(config.global_concurrency.max(1))),
            gates: Arc::default(),
            worker: default_worker_name(),
            events: None,
            config: Arc::new(config),
            store,
        })
    }

    /// Sends progress events to `events`.
    pub fn with_events(mut self, events: mpsc::UnboundedSender<CrawlEvent>) -> Self {
        self.events = Some(events);
        self
    }

    /// Names this crawler in leases and crawl runs. Names must be unique among
    /// running workers (the default is); a worker restarted under its former
    /// name takes its leases back at once.
    pub fn with_worker_name(mut self, worker: impl Into<String>) -> Self {
        self.worker = worker.into();
        self
    }

    pub fn config(&self) -> &CrawlerConfig {
        &self.config
    }

    /// This worker's name in leases and crawl runs.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Crawls one instance now: identity, robots.txt, a video pass (a sweep
    /// when one is due or unfinished, else incremental), the details backlog.
    /// Records the run, the instance's health and its next crawl, and gives
    /// the lease up, all at once (see [`Store::end_crawl`]).
    async fn crawl_instance(
        &self,
        instance: &Instance,
        cancel: &CancellationToken,
        lease: HeldLease,
    ) -> CrawlReport {
        self.emit(CrawlEvent::Started {
            host: instance.host.clone(),
        });
        let state: CrawlState = self
            .store
            .crawl_state(instance.id)
            .await
            .unwrap_or_default();
        let sweep_interval =
            TimeDelta::seconds(i64::try_from(self.config.sweep_interval_secs).unwrap_or(i64::MAX));
        let sweep_due = state.sweep.is_some()
            || state.watermark.is_none()
            || instance
                .last_full_sweep_at
                .is_none_or(|at| Utc::now() - at >= sweep_interval);
        let kind = if sweep_due {
            CrawlRunKind::Sweep
        } else {
            CrawlRunKind::Incremental
        };
        let run = self
            .store
            .start_crawl_run(instance.id, kind, &self.worker)
            .await;

        let session = self.session(instance);
        let mut counters = CrawlRunCounters::default();
        let result = match &session {
            Ok(session) => {
                let crawl = Crawl {
                    instance,
                    session,
                    cancel,
                    lease: &lease,
                };
                self.crawl(&crawl, state, sweep_due, &mut counters).await
            }
            Err(refused) => Err(CrawlFailure::Failed(refused.clone())),
        };
        if let Ok(session) = &session {
            use std::sync::atomic::Ordering::Relaxed;
            counters.requests = session.requests.load(Relaxed);
            counters.errors = session.errors.load(Relaxed);
            counters.latency_ms_total = session.latency_ms.load(Relaxed);
        }
        let at = now();
        let (status, error, outcome) = match &result {
            Ok(()) => (
                CrawlRunStatus::Succeeded,
                None,
                Some(health::success(instance, &self.config, at)),
            ),
            Err(CrawlFailure::Interrupted) => (
                CrawlRunStatus::Interrupted,
                Some("interrupted".into()),
                None,
            ),
            Err(CrawlFailure::LeaseLost) => {
                tracing::warn!(instance.host = %instance.host, "crawl stopped: another worker took the instance over");
                let reason = "lease lost: another worker took the instance over";
                (CrawlRunStatus::Interrupted, Some(reason.into()), None)
            }
            Err(CrawlFailure::Failed(reason)) => {
                tracing::warn!(instance.host = %instance.host, error = %reason, "crawl failed");
                let outcome = health::failure(instance, &self.config, at, reason.clone());
                (CrawlRunStatus::Failed, Some(reason.clone()), Some(outcome))
            }
        };
        lease.stop().await;
        let end = CrawlEnd {
            run_id: run.ok(),
            status,
            counters: &counters,
            error: error.as_deref(),
            outcome: outcome.as_ref(),
        };
        if let Err(error) = self.store.end_crawl(instance.id, &self.worker, &end).await {
            tracing::error!(%error, instance.host = %instance.host,
                "cannot record the end of the crawl; its lease expires on its own");
        }
        let report = CrawlReport {
            host: instance.host.clone(),
            kind,
            counters,
            error,
        };
        tracing::info!(
            instance.host = %report.host,
            kind = report.kind.as_str(),
            requests = counters.requests,
            videos.new = counters.videos_new,
            videos.updated = counters.videos_updated,
            videos.deleted = counters.videos_deleted,
            error = report.error.as_deref().unwrap_or(""),
            "crawl finished"
        );
        self.emit(CrawlEvent::Finished(report.clone()));
        report
    }

    async fn crawl(
        &self,
        crawl: &Crawl<'_>,
        mut state: CrawlState,
        sweep_due: bool,
        counters: &mut CrawlRunCounters,
    ) -> Result<(), CrawlFailure> {
        let Crawl {
            instance,
            session,
            cancel,
            lease,
        } = *crawl;
        // Identity, robots.txt and followings change rarely: they are read
        // by the first crawl and by each sweep (daily by default, as search
        // engines cache robots.txt), so that an incremental pass costs the
        // instance only its newest list page and the new videos' details.
        let identify = sweep_due || instance.software.is_none();
        if identify {
            let identity = identity::read_identity(session)
                .await
                .map_err(|error| error.to_string())?;
            self.store
                .record_identity(instance.id, &identity)
                .await
                .map_err(|error| error.to_string())?;
            identity::robots_allow(session)
                .await
                .map_err(|error| error.to_string())?;
        }

        let mut pass = Pass::new(
            &self.store,
            &self.worker,
            session,
            instance,
            cancel,
            MAX_VIDEOS_PER_INSTANCE,
            self.config.concurrency_per_host,
        );
        let result = async {
            if sweep_due {
                let progress = match state.sweep.clone() {
                    Some(progress) => progress,
                    None => {
                        let progress = SweepProgress {
                            started_at: now(),
                            next_start: 0,
                        };
                        state.sweep = Some(progress.clone());
                        self.store.save_crawl_state(instance.id, &self.worker, &state).await?;
                        progress
                    }
                };
                let newest = pass.sweep(progress.clone()).await?;
                let max_age = TimeDelta::seconds(
                    i64::try_from(self.config.sweep_interval_secs).unwrap_or(i64::MAX),
                );
                channels::refresh_channels(&self.store, session, instance, progress.started_at, max_age)
                    .await?;
                state.watermark = state
                    .watermark
                    .max(newest)
                    .or(Some(chrono::DateTime::<Utc>::UNIX_EPOCH));
                state.sweep = None;
                self.store
                    .save_swept_crawl_state(instance.id, &self.worker, &state, now())
                    .await?;
            } else if let Some(watermark) = state.watermark {
                state.watermark = Some(pass.incremental(watermark).await?);
                self.store.save_crawl_state(instance.id, &self.worker, &state).await?;
            }
            pass.details_backlog().await?;
            if identify && self.config.discover_followings {
                let allow_private = self.config.allow_private_addresses;
                let found =
                    channels::discover_followings(&self.store, session, instance, allow_private).await?;
                if found > 0 {
                    tracing::info!(instance.host = %instance.host, candidates = found, "new candidate instances");
                }
            }
            Ok::<(), PassError>(())
        }
        .await;
        counters.pages = pass.counters.pages;
        counters.videos_new = pass.counters.new;
        counters.videos_updated = pass.counters.updated;
        counters.videos_deleted = pass.counters.deleted;
        counters.items_skipped = pass.counters.skipped;
        result.map_err(|error| CrawlFailure::from_pass(error, lease))?;
        pass.counters
            .partial_failure()
            .map_or(Ok(()), |reason| Err(reason.into()))
    }

    fn session(&self, instance: &Instance) -> Result<Session, String> {
        self.session_for(&instance.host, &instance.base_url)
    }

    fn session_for(&self, host: &str, base_url: &str) -> Result<Session, String> {
        let base = Url::parse(base_url).map_err(|error| format!("invalid address: {error}"))?;
        self.policy
            .check_url(&base)
            .map_err(|error| error.to_string())?;
        let options = ClientOptions {
            max_body_bytes: self.config.max_body_bytes,
            ..ClientOptions::default()
        };
        let client = peertube::Client::with_options(self.http.clone(), base, options)
            .map_err(|error| error.to_string())?;
        let gate = {
            let mut gates = self
                .gates
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let gate = gates.entry(host.to_owned()).or_insert_with(|| {
                Arc::new(HostGate::new(
                    self.config.concurrency_per_host,
                    self.config.min_interval(),
                    Arc::clone(&self.global),
                ))
            });
            Arc::clone(gate)
        };
        Ok(Session::new(client, gate, Arc::clone(&self.config)))
    }

    /// The automatic checks of a submitted instance, each with a readable
    /// outcome: address allowed, not blocked, PeerTube (with its version),
    /// robots.txt lets Florilège in.
    pub async fn check_instance(&self, address: &InstanceAddress) -> InstanceCheck {
        let mut check = InstanceCheck {
            host: address.host.clone(),
            passed: false,
            steps: Vec::new(),
            identity: None,
        };
        let refused = address
            .ensure_allowed(self.config.allow_private_addresses || self.config.allow_loopback)
            .map_err(|error| error.to_string())
            .and_then(|()| {
                self.policy
                    .check_url(&address.base_url)
                    .map_err(|error| error.to_string())
            });
        let detail = refused
            .clone()
            .err()
            .unwrap_or_else(|| "an allowed address".into());
        if !check.step("address", refused.is_ok(), detail) {
            return check;
        }
        let blocked = self
            .store
            .block(store::BlockKind::Instance, &address.host)
            .await
            .ok()
            .flatten();
        let detail = blocked.as_ref().map_or("not blocked".into(), |block| {
            format!("blocked: {}", block.reason)
        });
        if !check.step("not blocked", blocked.is_none(), detail) {
            return check;
        }
        let session = match self.session_for(&address.host, address.base_url.as_str()) {
            Ok(session) => session,
            Err(error) => {
                check.step("peertube", false, error);
                return check;
            }
        };
        match identity::read_identity(&session).await {
            Ok(identity) => {
                let version = identity
                    .version
                    .clone()
                    .unwrap_or_else(|| "unknown version".into());
                check.step("peertube", true, format!("PeerTube {version}"));
                check.identity = Some(identity);
            }
            Err(error) => {
                check.step("peertube", false, error.to_string());
                return check;
            }
        }
        let robots = identity::robots_allow(&session).await;
        let detail = robots
            .as_ref()
            .err()
            .map_or("robots.txt allows Florilège".into(), ToString::to_string);
        check.passed = check.step("robots.txt", robots.is_ok(), detail);
        check
    }

    fn emit(&self, event: CrawlEvent) {
        if let Some(events) = &self.events {
            let _ = events.send(event);
        }
    }
}
