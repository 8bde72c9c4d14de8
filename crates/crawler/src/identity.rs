//! Who an instance is: nodeinfo, config, about and stats, and whether its robots.txt lets Florilège in.

use futures::FutureExt;
use store::InstanceIdentity;

use crate::session::Session;

/// The robots.txt user agent Florilège answers to.
pub const ROBOTS_AGENT: &str = "florilege";

/// Why an instance cannot be crawled, in words for its admin and ours.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("not a PeerTube server: {0}")]
    NotPeerTube(String),
    #[error("robots.txt does not allow Florilège to read {0}")]
    RobotsDisallow(&'static str),
    #[error("{step}: {source}")]
    Request {
        step: &'static str,
        #[source]
        source: peertube::Error,
    },
}

fn step(step: &'static str) -> impl FnOnce(peertube::Error) -> CheckError {
    move |source| match source {
        peertube::Error::NotPeerTube { reason } => CheckError::NotPeerTube(reason),
        source => CheckError::Request { step, source },
    }
}

/// Reads what an instance says about itself; refuses what is not PeerTube.
pub(crate) async fn read_identity(session: &Session) -> Result<InstanceIdentity, CheckError> {
    let nodeinfo = session
        .call(|c| c.nodeinfo().boxed())
        .await
        .map_err(step("nodeinfo"))?;
    if !nodeinfo.is_peertube() {
        let software = nodeinfo
            .software
            .name
            .clone()
            .unwrap_or_else(|| "nothing".into());
        return Err(CheckError::NotPeerTube(format!("nodeinfo says {software}")));
    }
    let config = session
        .call(|c| c.config().boxed())
        .await
        .map_err(step("config"))?;
    let about = session
        .call(|c| c.about().boxed())
        .await
        .map_err(step("config/about"))?;
    // Some instances hide their statistics: they are optional.
    let stats = session.call(|c| c.stats().boxed()).await.ok();
    let count = |value: Option<u64>| value.and_then(|v| i64::try_from(v).ok());
    Ok(InstanceIdentity {
        software: "peertube".into(),
        version: config
            .server_version
            .clone()
            .or(nodeinfo.software.version.clone()),
        name: about.instance.name.clone().or(config.instance.name.clone()),
        short_description: about
            .instance
            .short_description
            .clone()
            .or(config.instance.short_description.clone()),
        description: about.instance.description.clone(),
        languages: about.instance.languages.iter().take(32).cloned().collect(),
        categories: about
            .instance
            .categories
            .iter()
            .take(32)
            .map(|&c| i64::from(c))
            .collect(),
        is_nsfw: about
            .instance
            .is_nsfw
            .or(config.instance.is_nsfw)
            .unwrap_or(false),
        nsfw_policy: config.instance.default_nsfw_policy.clone(),
        signup_allowed: config.signup.allowed,
        total_users: stats.as_ref().and_then(|s| count(s.total_users)),
        total_local_videos: stats.as_ref().and_then(|s| count(s.total_local_videos)),
        total_local_video_views: stats
            .as_ref()
            .and_then(|s| count(s.total_local_video_views)),
    })
}

/// Whether robots.txt lets Florilège read the API. A missing or unreadable
/// robots.txt allows (as for every crawler); a readable one is obeyed for
/// `florilege` and `*`.
pub(crate) async fn robots_allow(session: &Session) -> Result<(), CheckError> {
    let Ok(robots) = session.call(|c| c.robots_txt().boxed()).await else {
        return Ok(());
    };
    let Ok(robot) = texting_robots::Robot::new(ROBOTS_AGENT, robots.as_bytes()) else {
        return Ok(());
    };
    for path in ["/api/v1/videos", "/api/v1/config"] {
        if !robot.allowed(path) {
            return Err(CheckError::RobotsDisallow(path));
        }
    }
    Ok(())
}
