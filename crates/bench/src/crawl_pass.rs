//! The measured crawl: a fresh store, the fleet registered as approved instances, one full crawl of all of them.

use anyhow::Context;
use crawler::{CancellationToken, Crawler};
use store::{
    InstanceAddress, InstanceIdentity, InstanceOrigin, InstanceStatus, NewInstance, Store,
};
use url::Url;

use crate::fleet::FleetInstance;
use crate::knobs::Knobs;

/// What the crawl reported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrawlCounts {
    /// Videos stored as new.
    pub videos: u64,
    /// Failed requests counted by the crawler, plus instances whose crawl failed.
    pub errors: u64,
}

/// Registers every instance as approved (set-up, not measured).
pub async fn register(store: &Store, bases: &[Url]) -> anyhow::Result<()> {
    for base in bases {
        let new = NewInstance {
            address: InstanceAddress::parse(base.as_str(), "http")?,
            status: InstanceStatus::Approved,
            origin: InstanceOrigin::Cli,
            discovered_from: None,
        };
        store.add_instance(&new).await?;
    }
    Ok(())
}

/// Records the size each instance announces, as a former crawl's identity
/// read would have (set-up, not measured):
/// the crawl takes the largest instances first, like the reference.
pub async fn record_announced_sizes(
    store: &Store,
    instances: &[FleetInstance],
) -> anyhow::Result<()> {
    for instance in instances {
        let stored = store
            .instance_by_host(&instance.host)
            .await?
            .with_context(|| format!("{} is not registered", instance.host))?;
        let identity = InstanceIdentity {
            software: "peertube".into(),
            total_local_videos: Some(instance.announced_videos),
            ..InstanceIdentity::default()
        };
        store.record_identity(stored.id, &identity).await?;
    }
    Ok(())
}

/// One full crawl (a first crawl is a sweep: lists, then details of every new video).
pub async fn run(store: Store, knobs: Knobs) -> anyhow::Result<CrawlCounts> {
    let crawler = Crawler::new(store, knobs.crawler_config())?;
    let reports = crawler.crawl_once(None, &CancellationToken::new()).await?;
    let mut counts = CrawlCounts::default();
    for report in &reports {
        counts.videos += u64::try_from(report.counters.videos_new)?;
        counts.errors += u64::try_from(report.counters.errors)?;
        if let Some(error) = &report.error {
            counts.errors += 1;
            tracing::warn!(instance.host = %report.host, %error, "crawl failed");
        }
    }
    Ok(counts)
}

/// Videos in the store, over every instance (checked after the measurement).
pub async fn stored_videos(store: &Store) -> anyhow::Result<u64> {
    let mut total = 0;
    for instance in store.list_instances(None).await? {
        total += u64::try_from(store.count_videos(instance.id).await?)?;
    }
    Ok(total)
}
