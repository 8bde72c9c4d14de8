//! The public handle of a running fleet: start, ground truth, change over time, faults, shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{ChurnConfig, FleetConfig, SimError};
use crate::content::profile::{build_spec, instance_sizes};
use crate::content::{SimChannel, SimPlaylist, SimVideo};
use crate::fault::{FaultMode, assign_faults};
use crate::ids::{ItemId, Kind, UuidCodec, parse_item_id};
use crate::listing::{NsfwFilter, Visible};
use crate::state::{InstanceState, Overlay, Shared};
use crate::stats::{FleetStats, collect};
use crate::{control, mutate, routes, server};

/// What a test or the CLI needs to know about one instance.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceInfo {
    pub index: usize,
    /// `127.0.0.1:PORT` (real hosts are bare names; ours carry the port).
    pub host: String,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    pub fault: FaultMode,
    pub name: String,
    /// Local videos right now (uploads included, deletions excluded).
    pub local_videos: u64,
    pub channels: u64,
    pub accounts: u64,
    pub playlists: u64,
    /// Indices of the fleet instances this one follows (the first one's videos federate here).
    pub follows: Vec<usize>,
}

/// A running simulated fleet. Dropping it stops the servers; [`Fleet::shutdown`] also waits.
#[derive(Debug)]
pub struct Fleet {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    control: SocketAddr,
}

const MAX_INSTANCES: usize = 1 << 16;
const MAX_VIDEOS_PER_INSTANCE: u64 = 1 << 31;

impl Fleet {
    /// Binds one port per instance (chosen by the OS) and the control address, then serves.
    pub async fn start(config: FleetConfig) -> Result<Self, SimError> {
        if config.instances > MAX_INSTANCES {
            return Err(SimError::Config(format!(
                "at most {MAX_INSTANCES} instances"
            )));
        }
        let control_addr = config
            .control
            .unwrap_or_else(|| SocketAddr::new(config.listen, 0));
        let control_listener = bind(control_addr).await?;
        let control = control_listener
            .local_addr()
            .map_err(|source| SimError::Bind {
                addr: control_addr,
                source,
            })?;
        let sizes = instance_sizes(config.seed, config.instances, config.videos);
        if sizes.iter().any(|&s| s >= MAX_VIDEOS_PER_INSTANCE) {
            return Err(SimError::Config("too many videos per instance".into()));
        }
        let faults = assign_faults(config.seed, config.instances, config.faults);
        let mut listeners = Vec::with_capacity(config.instances);
        let mut specs = Vec::with_capacity(config.instances);
        for (index, &size) in sizes.iter().enumerate() {
            let addr = SocketAddr::new(config.listen, 0);
            let listener = bind(addr).await?;
            let local = listener
                .local_addr()
                .map_err(|source| SimError::Bind { addr, source })?;
            specs.push(build_spec(
                config.seed,
                index,
                config.instances,
                size,
                local.to_string(),
            ));
            listeners.push(listener);
        }
        for i in 0..specs.len() {
            for j in specs[i].follows.clone() {
                specs[j].followers.push(i);
            }
        }
        let (stop, shutdown) = watch::channel(false);
        let instances = specs
            .into_iter()
            .zip(faults)
            .map(|(spec, fault)| InstanceState::new(spec, fault, config.churn))
            .collect();
        let shared = Arc::new(Shared {
            seed: config.seed,
            codec: UuidCodec::new(config.seed),
            tuning: config.tuning.clone(),
            rate_limit: AtomicBool::new(config.rate_limit),
            instances,
            shutdown,
        });
        let router = routes::instance_router(Arc::clone(&shared));
        let mut tasks: Vec<JoinHandle<()>> = listeners
            .into_iter()
            .enumerate()
            .map(|(index, listener)| {
                server::spawn_instance(listener, index, Arc::clone(&shared), router.clone())
            })
            .collect();
        let control_router = control::router(Arc::clone(&shared));
        let control_shared = Arc::clone(&shared);
        tasks.push(tokio::spawn(async move {
            let stopped = async move { control_shared.stopped().await };
            if let Err(error) = axum::serve(control_listener, control_router)
                .with_graceful_shutdown(stopped)
                .await
            {
                tracing::warn!(%error, "control server failed");
            }
        }));
        tracing::info!(
            instances = config.instances,
            videos = config.videos,
            control.addr = %control,
            "simulated PeerTube fleet started"
        );
        Ok(Self {
            shared,
            stop,
            tasks,
            control,
        })
    }

    fn instance(&self, i: usize) -> Result<&InstanceState, SimError> {
        self.shared
            .instances
            .get(i)
            .ok_or(SimError::UnknownInstance(i))
    }

    /// Number of instances.
    pub fn len(&self) -> usize {
        self.shared.instances.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shared.instances.is_empty()
    }

    /// Every instance, in index order.
    pub fn instances(&self) -> Vec<InstanceInfo> {
        (0..self.len()).filter_map(|i| self.info(i).ok()).collect()
    }

    /// One instance.
    pub fn info(&self, i: usize) -> Result<InstanceInfo, SimError> {
        let state = self.instance(i)?;
        let spec = &state.spec;
        Ok(InstanceInfo {
            index: i,
            host: spec.host.clone(),
            base_url: spec.base_url.clone(),
            fault: state.fault(),
            name: spec.name.clone(),
            local_videos: state.overlay().live_count(spec),
            channels: spec.channels,
            accounts: spec.accounts,
            playlists: spec.playlists,
            follows: spec.follows.clone(),
        })
    }

    /// Where the hosts list is served.
    pub fn control_addr(&self) -> SocketAddr {
        self.control
    }

    /// `http://CONTROL/api/v1/instances/hosts`.
    pub fn hosts_list_url(&self) -> String {
        format!("http://{}/api/v1/instances/hosts", self.control)
    }

    /// Local videos over the whole fleet right now.
    pub fn total_videos(&self) -> u64 {
        self.shared
            .instances
            .iter()
            .map(|i| i.overlay().live_count(&i.spec))
            .sum()
    }

    pub fn fault(&self, i: usize) -> Result<FaultMode, SimError> {
        Ok(self.instance(i)?.fault())
    }

    /// Overrides the fault mode of instance `i` (takes effect on the next request).
    pub fn set_fault(&self, i: usize, mode: FaultMode) -> Result<(), SimError> {
        self.instance(i)?.set_fault(mode);
        Ok(())
    }

    /// Switches PeerTube's rate limit on or off for every instance.
    pub fn set_rate_limit(&self, on: bool) {
        self.shared.rate_limit.store(on, Ordering::Relaxed);
    }

    /// Sets the churn of instance `i`.
    pub fn set_churn(&self, i: usize, churn: ChurnConfig) -> Result<(), SimError> {
        self.instance(i)?.set_churn(churn);
        Ok(())
    }

    fn snapshot(&self, i: usize) -> Result<Overlay, SimError> {
        Ok(self.instance(i)?.overlay().clone())
    }

    /// Ground truth: the instance's current local videos, newest first, with full details.
    /// This is what a perfect crawler ends up with (federated videos excluded).
    pub fn expected_videos(
        &self,
        i: usize,
    ) -> Result<impl Iterator<Item = SimVideo> + '_, SimError> {
        let overlay = self.snapshot(i)?;
        let spec = &self.instance(i)?.spec;
        let indices: Vec<u64> = {
            let visible = Visible::new(spec, &overlay, NsfwFilter::Both);
            let mut all: Vec<u64> = visible.all().collect();
            all.reverse();
            all
        };
        let generator = self.shared.generator(i);
        Ok(indices
            .into_iter()
            .map(move |k| generator.video(k, &overlay.state(spec, k))))
    }

    /// One local video by index (`None` when deleted or never uploaded).
    pub fn video(&self, i: usize, index: u64) -> Result<Option<SimVideo>, SimError> {
        let state = self.instance(i)?;
        let overlay = state.overlay();
        if !overlay.exists(&state.spec, index) {
            return Ok(None);
        }
        let video_state = overlay.state(&state.spec, index);
        drop(overlay);
        Ok(Some(self.shared.generator(i).video(index, &video_state)))
    }

    /// The index of a local video named by numeric id, UUID or short UUID.
    pub fn video_index(&self, i: usize, id: &str) -> Result<Option<u64>, SimError> {
        let state = self.instance(i)?;
        let index = match parse_item_id(id) {
            ItemId::Numeric(n) if (1..1 << 32).contains(&n) => Some(n - 1),
            ItemId::Uuid(uuid) => self
                .shared
                .codec
                .decode(uuid)
                .filter(|d| d.kind == Kind::Video && d.instance == i)
                .map(|d| d.index),
            _ => None,
        };
        Ok(index.filter(|&k| state.overlay().exists(&state.spec, k)))
    }

    /// Ground truth: every channel of the instance.
    pub fn expected_channels(&self, i: usize) -> Result<Vec<SimChannel>, SimError> {
        let spec = &self.instance(i)?.spec;
        let generator = self.shared.generator(i);
        Ok((0..spec.channels).map(|c| generator.channel(c)).collect())
    }

    /// Ground truth: every public playlist of the instance.
    pub fn expected_playlists(&self, i: usize) -> Result<Vec<SimPlaylist>, SimError> {
        let spec = &self.instance(i)?.spec;
        let generator = self.shared.generator(i);
        Ok((0..spec.playlists).map(|p| generator.playlist(p)).collect())
    }

    /// Uploads `n` new videos (published now, so they head `-publishedAt` lists).
    pub fn upload(&self, i: usize, n: u64) -> Result<Vec<SimVideo>, SimError> {
        self.instance(i)?;
        let added = mutate::upload(&self.shared, i, n);
        Ok(added
            .into_iter()
            .filter_map(|k| self.video(i, k).ok().flatten())
            .collect())
    }

    /// Changes the name, description and tags of video `index` and bumps its `updatedAt`.
    pub fn edit(&self, i: usize, index: u64) -> Result<SimVideo, SimError> {
        mutate::edit(&self.shared, i, index)?;
        self.video(i, index)?
            .ok_or(SimError::UnknownVideo { instance: i, index })
    }

    /// Deletes video `index`: it leaves every list and its details answer 404.
    pub fn delete(&self, i: usize, index: u64) -> Result<(), SimError> {
        mutate::delete(&self.shared, i, index)
    }

    /// Adds `by` views to video `index`; returns the new count.
    pub fn bump_views(&self, i: usize, index: u64, by: u64) -> Result<u64, SimError> {
        mutate::bump_views(&self.shared, i, index, by)
    }

    /// Requests served so far, per instance and in total.
    pub fn stats(&self) -> FleetStats {
        collect(&self.shared)
    }

    /// A few lines on the fleet (hosts list URL, sizes, faults) for a terminal.
    pub fn summary(&self) -> String {
        let infos = self.instances();
        let mut faults: Vec<(FaultMode, usize)> = Vec::new();
        for info in &infos {
            match faults.iter_mut().find(|(m, _)| *m == info.fault) {
                Some((_, n)) => *n += 1,
                None => faults.push((info.fault, 1)),
            }
        }
        let faults: Vec<String> = faults
            .iter()
            .filter(|(m, _)| *m != FaultMode::None)
            .map(|(m, n)| format!("{m}: {n}"))
            .collect();
        let biggest = infos.iter().map(|i| i.local_videos).max().unwrap_or(0);
        format!(
            "{} instances, {} videos (largest instance: {biggest})\nhosts list: {}\nfaults: {}",
            infos.len(),
            self.total_videos(),
            self.hosts_list_url(),
            if faults.is_empty() {
                "none".to_owned()
            } else {
                faults.join(", ")
            }
        )
    }

    /// Stops every server: in-flight answers get a few seconds, stalls are cut.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        let tasks = std::mem::take(&mut self.tasks);
        for mut task in tasks {
            if tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, SimError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| SimError::Bind { addr, source })
}

/// Starts a fleet, hands it to `on_ready` (the CLI prints the hosts list URL), and serves until Ctrl-C.
pub async fn run_until_ctrl_c(
    config: FleetConfig,
    on_ready: impl FnOnce(&Fleet),
) -> Result<(), SimError> {
    let fleet = Fleet::start(config).await?;
    on_ready(&fleet);
    if let Err(error) = tokio::signal::ctrl_c().await {
        tracing::warn!(%error, "cannot listen for Ctrl-C; stopping");
    }
    tracing::info!("stopping the simulated fleet");
    fleet.shutdown().await;
    Ok(())
}
