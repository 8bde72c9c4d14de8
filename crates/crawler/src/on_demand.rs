//! One video fetched on demand: an editor pasted the address of a video of
//! an approved instance that no crawl has reached yet.

use futures::FutureExt;
use peertube::VideoExtras;
use store::{InstanceStatus, StoreError, now};

use crate::Crawler;
use crate::mapping::page_records;

/// PeerTube's privacy id of public videos; the others are never stored.
const PUBLIC: u32 = 1;

/// Why a video could not be fetched on demand.
#[derive(Debug, thiserror::Error)]
pub enum FetchVideoError {
    #[error("{0} is not an approved instance")]
    NotApproved(String),
    #[error("the instance has no public local video {0}")]
    NotFound(String),
    #[error("{0}")]
    Remote(String),
    #[error("database: {0}")]
    Store(#[from] StoreError),
}

impl Crawler {
    /// Fetches one video (`id`: uuid or short uuid) of the approved instance
    /// `host` through the same guarded, paced client as a crawl, and stores
    /// it with its channel and account and its details. Returns its id in the
    /// store. The next crawl of the instance finds it known.
    pub async fn fetch_video(&self, host: &str, id: &str) -> Result<i64, FetchVideoError> {
        let instance = self
            .store
            .instance_by_host(host)
            .await?
            .filter(|instance| instance.status == InstanceStatus::Approved)
            .ok_or_else(|| FetchVideoError::NotApproved(host.to_owned()))?;
        let session = self.session(&instance).map_err(FetchVideoError::Remote)?;
        let details = match session.call(|client| client.video(id).boxed()).await {
            Ok(details) => details,
            // 400: PeerTube's answer to an identifier of the wrong shape.
            Err(error)
                if error
                    .status()
                    .is_some_and(|status| matches!(status.as_u16(), 400 | 404)) =>
            {
                return Err(FetchVideoError::NotFound(id.to_owned()));
            }
            Err(error) => return Err(FetchVideoError::Remote(error.to_string())),
        };
        let video = &details.video;
        let public = video
            .privacy
            .as_ref()
            .and_then(|privacy| privacy.id)
            .is_none_or(|privacy| privacy == PUBLIC);
        if !public || !video.is_local_to(&session.client.host()) {
            return Err(FetchVideoError::NotFound(id.to_owned()));
        }
        let uuid = video.uuid.to_string();
        let extras = VideoExtras::from(&details);
        let page = page_records([(details.video, Some(extras))], session.client.base_url());
        self.store.upsert_page(&instance, &page, now()).await?;
        let stored = self.store.video_by_uuid(&uuid).await?;
        // A uuid already held by another instance is refused by the store.
        stored
            .filter(|stored| stored.instance_id == instance.id)
            .map(|stored| stored.id)
            .ok_or_else(|| FetchVideoError::NotFound(id.to_owned()))
    }
}
