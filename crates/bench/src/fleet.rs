//! The simulated fleet a pass runs against: served by its own process or inside the pass's, its hosts and its counters.

use std::io::Write;

use anyhow::Context;
use clap::Args;
use futures::{StreamExt, TryStreamExt};
use peertube_sim::{Fleet, FleetConfig};
use serde::Deserialize;
use tokio::io::AsyncReadExt;
use url::Url;

/// Size and seed of a healthy fleet (no faults, no rate limit, no churn).
#[derive(Args, Clone, Copy, Debug, PartialEq, Eq)]
pub struct FleetSpec {
    /// Simulated instances.
    #[arg(long, default_value_t = 1000)]
    pub instances: usize,
    /// Local videos over the whole fleet (split along a power law).
    #[arg(long = "fleet-videos", default_value_t = 10_000)]
    pub videos: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

impl FleetSpec {
    pub fn to_args(self) -> Vec<String> {
        vec![
            "--instances".into(),
            self.instances.to_string(),
            "--fleet-videos".into(),
            self.videos.to_string(),
            "--seed".into(),
            self.seed.to_string(),
        ]
    }

    fn config(self) -> FleetConfig {
        FleetConfig {
            instances: self.instances,
            videos: self.videos,
            seed: self.seed,
            faults: 0.0,
            rate_limit: false,
            ..FleetConfig::default()
        }
    }
}

/// The line by which a fleet process tells where its control server is.
pub const CONTROL_PREFIX: &str = "control=";

/// Serves the fleet until standard input closes (the orchestrator holds it), or Ctrl-C.
pub async fn serve(spec: FleetSpec) -> anyhow::Result<()> {
    let fleet = Fleet::start(spec.config()).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{CONTROL_PREFIX}http://{}", fleet.control_addr())?;
        out.flush()?;
    }
    let mut sink = Vec::new();
    let mut stdin = tokio::io::stdin();
    tokio::select! {
        _ = stdin.read_to_end(&mut sink) => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    fleet.shutdown().await;
    Ok(())
}

/// Request counters of the fleet as a whole.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FleetTotals {
    pub requests: u64,
    pub bytes: u64,
}

/// A fleet reached through its control server; owns it when it runs in this process.
pub struct FleetAccess {
    control: Url,
    http: reqwest::Client,
    _local: Option<Fleet>,
}

#[derive(Deserialize)]
struct HostsPage {
    total: usize,
    data: Vec<HostEntry>,
}

#[derive(Deserialize)]
struct HostEntry {
    host: String,
}

/// An instance of the fleet, as registered for a crawl.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FleetInstance {
    pub base: Url,
    /// `host[:port]`, as the store keys instances.
    pub host: String,
    /// `totalLocalVideos` of its `/api/v1/server/stats`.
    pub announced_videos: i64,
}

impl FleetInstance {
    fn crawl_order(&self) -> impl Ord + '_ {
        crawler::crawl_order(Some(self.announced_videos), &self.host)
    }
}

fn host_of(base: &Url) -> String {
    match base.port() {
        Some(port) => format!("{}:{port}", base.host_str().unwrap_or_default()),
        None => base.host_str().unwrap_or_default().to_owned(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServerStats {
    total_local_videos: i64,
}

#[derive(Deserialize)]
struct StatsAnswer {
    total: StatsTotal,
}

#[derive(Deserialize)]
struct StatsTotal {
    requests: u64,
    bytes: u64,
}

impl FleetAccess {
    /// The fleet at `control`, or a new one in this process when `None`.
    pub async fn connect(control: Option<Url>, spec: FleetSpec) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().no_proxy().build()?;
        let (control, local) = match control {
            Some(control) => (control, None),
            None => {
                let fleet = Fleet::start(spec.config()).await?;
                let control = Url::parse(&format!("http://{}", fleet.control_addr()))?;
                (control, Some(fleet))
            }
        };
        Ok(Self {
            control,
            http,
            _local: local,
        })
    }

    /// Every instance's base URL, from the JoinPeerTube-style hosts list.
    pub async fn base_urls(&self) -> anyhow::Result<Vec<Url>> {
        let mut hosts = Vec::new();
        loop {
            let mut url = self.control.join("/api/v1/instances/hosts")?;
            url.query_pairs_mut()
                .append_pair("start", &hosts.len().to_string())
                .append_pair("count", "5000");
            let page: HostsPage = self.get_json(url).await?;
            let received = page.data.len();
            hosts.extend(page.data.into_iter().map(|entry| entry.host));
            if received == 0 || hosts.len() >= page.total {
                break;
            }
        }
        hosts
            .iter()
            .map(|host| Url::parse(&format!("http://{host}")).context("a host of the fleet"))
            .collect()
    }

    /// Every instance with the number of local videos its stats announce,
    /// in the order a crawl takes them ([`crawler::crawl_order`]): the
    /// largest first, ties by host. Both passes follow this order.
    pub async fn instances_largest_first(&self) -> anyhow::Result<Vec<FleetInstance>> {
        let bases = self.base_urls().await?;
        let mut instances: Vec<FleetInstance> = futures::stream::iter(bases)
            .map(|base| async move {
                let stats: ServerStats = self.get_json(base.join("/api/v1/server/stats")?).await?;
                anyhow::Ok(FleetInstance {
                    host: host_of(&base),
                    base,
                    announced_videos: stats.total_local_videos,
                })
            })
            .buffered(32)
            .try_collect()
            .await?;
        instances.sort_by(|a, b| a.crawl_order().cmp(&b.crawl_order()));
        Ok(instances)
    }

    /// Requests and bytes served by every instance so far.
    pub async fn totals(&self) -> anyhow::Result<FleetTotals> {
        let stats: StatsAnswer = self.get_json(self.control.join("/sim/stats")?).await?;
        Ok(FleetTotals {
            requests: stats.total.requests,
            bytes: stats.total.bytes,
        })
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: Url) -> anyhow::Result<T> {
        let answer = self
            .http
            .get(url.clone())
            .send()
            .await?
            .error_for_status()?;
        answer
            .json()
            .await
            .with_context(|| format!("reading {url}"))
    }
}
