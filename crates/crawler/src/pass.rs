//! Video passes over one instance: incremental (newest first, down to what is known) and full sweeps.
//!
//! Pages shift while they are read: an upload pushes items down (seen twice:
//! de-duplicated), a deletion pulls them up (one may be skipped). An
//! incremental pass only reads down to the watermark of the last complete
//! pass, so an interrupted pass is simply redone. A sweep saves its offset
//! with each write and resumes from it; when it reaches the end, videos it
//! did not see are checked one by one and deleted only if the instance says
//! they are gone (404), so neither a shifted page nor a failure deletes
//! anything by mistake.
//!
//! A page is written while the next one is read (write-behind, one page
//! deep): the database's commit is then off the critical path of the pages,
//! which an instance must serve one after the other. A sweep's offset is
//! saved only after the page before it is committed, and a pass waits for the
//! page in flight before it returns, whatever the outcome.
//!
//! A sweep writes its pages [`PAGES_PER_WRITE`] at a time, in one
//! transaction with the offset after them: on SQLite, whose one writer every
//! instance's pages queue for, a first crawl of a large instance then makes
//! fewer, larger transactions. A sweep stopped between two writes reads the
//! pages since the last one again.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use futures::future::{BoxFuture, OptionFuture};
use futures::{FutureExt, StreamExt};
use peertube::{Client, Fetched, LenientPage, Video, VideoDetails, VideoExtras, VideoListQuery};
use serde::{Deserialize, Serialize};
use store::{Instance, PageRecords, Store, UpsertSummary, now};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::mapping::page_records;
use crate::session::Session;

/// What the crawler remembers of an instance between passes.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct CrawlState {
    /// Newest `publishedAt` known after the last complete pass.
    pub watermark: Option<DateTime<Utc>>,
    /// A sweep in progress.
    pub sweep: Option<SweepProgress>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct SweepProgress {
    pub started_at: DateTime<Utc>,
    pub next_start: u64,
}

/// Counters of one pass.
#[derive(Clone, Debug, Default)]
pub(crate) struct PassCounters {
    pub pages: i64,
    pub new: i64,
    pub updated: i64,
    pub deleted: i64,
    pub skipped: i64,
    /// Details that could not be read (kept without them, retried later).
    pub details_failed: i64,
    pub last_details_error: Option<String>,
}

impl PassCounters {
    /// What was unreadable, if anything: a pass that kept what it could but
    /// could not read everything still counts as a failure of the instance.
    pub(crate) fn partial_failure(&self) -> Option<String> {
        if self.skipped == 0 && self.details_failed == 0 {
            return None;
        }
        let mut reason = format!(
            "partly unreadable: {} malformed videos skipped, {} video details not read",
            self.skipped, self.details_failed
        );
        if let Some(error) = &self.last_details_error {
            reason.push_str(&format!(" (last: {error})"));
        }
        Some(reason)
    }
}

/// Why a pass stopped before its end.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PassError {
    #[error("{0}")]
    Remote(#[from] peertube::Error),
    #[error("database: {0}")]
    Store(#[from] store::StoreError),
    #[error("the instance repeats the same videos page after page (it ignores `start`)")]
    Repeating,
    #[error("more than {0} videos: stopped listing")]
    TooMany(u64),
    #[error("interrupted")]
    Cancelled,
}

/// Details of one video, `Ok(None)` when it is gone or not local.
type DetailsOutcome<T> = Result<Option<T>, peertube::Error>;

/// An answer of `/api/v1/videos/{uuid}` as a pass reads it: whole (to
/// store a video known only by its uuid) or only what the list item lacks.
trait VideoAnswer: Sized + Send {
    fn read<'a>(
        client: &'a Client,
        uuid: &'a str,
    ) -> BoxFuture<'a, Result<Fetched<Self>, peertube::Error>>;

    fn is_local_to(&self, host: &str) -> bool;
}

impl VideoAnswer for VideoDetails {
    fn read<'a>(
        client: &'a Client,
        uuid: &'a str,
    ) -> BoxFuture<'a, Result<Fetched<Self>, peertube::Error>> {
        client.video(uuid).boxed()
    }

    fn is_local_to(&self, host: &str) -> bool {
        self.video.is_local_to(host)
    }
}

impl VideoAnswer for VideoExtras {
    fn read<'a>(
        client: &'a Client,
        uuid: &'a str,
    ) -> BoxFuture<'a, Result<Fetched<Self>, peertube::Error>> {
        client.video_extras(uuid).boxed()
    }

    fn is_local_to(&self, host: &str) -> bool {
        VideoExtras::is_local_to(self, host)
    }
}

/// Pages of repeats in a row taken as an instance ignoring `start`.
const MAX_REPEATED_PAGES: u32 = 3;
/// Details fetched for videos left without them, per crawl.
const DETAILS_BACKLOG_PER_CRAWL: i64 = 500;
/// List pages a sweep writes in one transaction (each holds up to 100 videos).
pub const PAGES_PER_WRITE: u32 = 4;

pub(crate) struct Pass<'a> {
    pub store: &'a Store,
    /// The worker holding the instance's crawl lease.
    pub worker: &'a str,
    pub session: &'a Session,
    pub instance: &'a Instance,
    pub cancel: &'a CancellationToken,
    pub max_videos: u64,
    pub details_concurrency: usize,
    pub counters: PassCounters,
    seen: HashSet<Uuid>,
    host: String,
}

impl<'a> Pass<'a> {
    pub(crate) fn new(
        store: &'a Store,
        worker: &'a str,
        session: &'a Session,
        instance: &'a Instance,
        cancel: &'a CancellationToken,
        max_videos: u64,
        details_concurrency: usize,
    ) -> Self {
        Self {
            store,
            worker,
            session,
            instance,
            cancel,
            max_videos,
            details_concurrency: details_concurrency.max(1),
            counters: PassCounters::default(),
            seen: HashSet::new(),
            host: session.client.host(),
        }
    }

    /// Newest first, down to the watermark. Returns the new watermark.
    pub(crate) async fn incremental(
        &mut self,
        watermark: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, PassError> {
        let mut newest = watermark;
        let mut start = 0;
        let mut in_flight = None;
        loop {
            let (written, read) = futures::join!(settle(in_flight.take()), self.read_page(start));
            self.count_written(written?);
            let read = read?;
            let reached_known = read.published.iter().any(|&at| at <= watermark);
            newest = read.published.into_iter().fold(newest, DateTime::max);
            in_flight = read.records.map(|page| self.writer().write(page));
            if reached_known || read.received < u64::from(peertube::MAX_COUNT) {
                self.count_written(settle(in_flight).await?);
                return Ok(newest);
            }
            start += read.received;
        }
    }

    /// Every video from `progress` to the end, then verified deletions.
    /// Returns the newest `publishedAt` seen.
    ///
    /// The next list page is read while the details of the current one are
    /// (under the instance's concurrency cap): with more than one request
    /// allowed in flight, the list page's round trip and PeerTube's query
    /// behind it hide behind the details instead of adding to each page.
    pub(crate) async fn sweep(
        &mut self,
        mut progress: SweepProgress,
    ) -> Result<Option<DateTime<Utc>>, PassError> {
        let (session, cancel) = (self.session, self.cancel);
        let mut newest = None;
        let mut repeated_pages = 0;
        let mut in_flight = None;
        let mut grouped = Grouped::default();
        let mut listed = list_page(session, cancel, progress.next_start).await?;
        loop {
            let before = self.seen.len();
            let next_start = progress.next_start + received(&listed);
            let next = (received(&listed) == u64::from(peertube::MAX_COUNT)
                && next_start < self.max_videos)
                .then(|| list_page(session, cancel, next_start));
            let (written, read, next) = futures::join!(
                settle(in_flight.take()),
                self.read_listed(listed, progress.next_start),
                OptionFuture::from(next),
            );
            self.count_written(written?);
            let read = read?;
            newest = newest.max(read.published.iter().copied().max());
            repeated_pages = if read.received > 0 && self.seen.len() == before {
                repeated_pages + 1
            } else {
                0
            };
            let repeating = repeated_pages >= MAX_REPEATED_PAGES;
            progress.next_start = next_start;
            grouped.add(read.records);
            // The last page, an unreadable next one or an instance that
            // ignores `start`: what was read is kept all the same.
            let stopping = repeating || !matches!(next, Some(Ok(_)));
            if stopping || grouped.pages == PAGES_PER_WRITE {
                let records = std::mem::take(&mut grouped).records;
                in_flight = Some(self.writer().write_swept(records, progress.clone()));
            }
            if repeating {
                self.count_written(settle(in_flight).await?);
                return Err(PassError::Repeating);
            }
            if read.received < u64::from(peertube::MAX_COUNT) {
                break;
            }
            listed = match next {
                Some(Ok(page)) => page,
                Some(Err(error)) => {
                    self.count_written(settle(in_flight).await?);
                    return Err(error);
                }
                None => {
                    self.count_written(settle(in_flight).await?);
                    return Err(PassError::TooMany(self.max_videos));
                }
            };
        }
        self.count_written(settle(in_flight).await?);
        self.delete_vanished(progress.started_at).await?;
        Ok(newest)
    }

    /// Fetches details for videos that lack them (a failed fetch earlier, an edit seen by a sweep).
    pub(crate) async fn details_backlog(&mut self) -> Result<(), PassError> {
        let uuids = self
            .store
            .videos_wanting_details(self.instance.id, DETAILS_BACKLOG_PER_CRAWL)
            .await?;
        for chunk in uuids.chunks(usize::from(peertube::MAX_COUNT as u8)) {
            self.check_cancelled()?;
            let fetched = self.fetch_details::<VideoDetails>(chunk.to_vec()).await;
            let videos = fetched
                .into_values()
                .filter_map(|outcome| outcome.ok().flatten())
                .map(|details| {
                    let extras = VideoExtras::from(&details);
                    (details.video, Some(extras))
                });
            let records = self.records(videos);
            let written = self.writer().write(records).await?;
            self.count_written(Some(written));
        }
        Ok(())
    }

    /// Reads the page at `start` and gets it ready to write (see [`Pass::read_listed`]).
    async fn read_page(&mut self, start: u64) -> Result<ReadPage, PassError> {
        let page = list_page(self.session, self.cancel, start).await?;
        self.read_listed(page, start).await
    }

    /// Counts a list page read at `start` and gets it ready to write (see [`Pass::prepare_page`]).
    async fn read_listed(
        &mut self,
        page: LenientPage<Video>,
        start: u64,
    ) -> Result<ReadPage, PassError> {
        self.counters.pages += 1;
        let skipped = i64::try_from(page.skipped_count).unwrap_or(i64::MAX);
        if skipped > 0 {
            tracing::warn!(instance.host = %self.host, start, skipped, "skipped malformed videos in a page");
            self.counters.skipped += skipped;
        }
        let received = received(&page);
        let published = page.items.iter().map(published).collect();
        let records = self.prepare_page(page.items).await?;
        Ok(ReadPage {
            received,
            published,
            records,
        })
    }

    /// Keeps the local videos not already seen in this pass, fetches details
    /// of the new and edited ones, and maps them to the records of the page's
    /// write; `None` when nothing is left to write.
    async fn prepare_page(&mut self, items: Vec<Video>) -> Result<Option<PageRecords>, PassError> {
        let videos: Vec<Video> = items
            .into_iter()
            .filter(|video| video.is_local_to(&self.host) && self.seen.insert(video.uuid))
            .collect();
        if videos.is_empty() {
            return Ok(None);
        }
        let uuids: Vec<String> = videos.iter().map(|video| video.uuid.to_string()).collect();
        let known = self.store.known_videos(self.instance.id, &uuids).await?;
        let wanted = videos
            .iter()
            .filter(|video| match known.get(&video.uuid.to_string()) {
                None => true,
                Some(known) => {
                    known.deleted
                        || !known.has_details
                        || known.remote_updated_at != video.updated_at
                }
            });
        let uuids: Vec<String> = wanted.map(|video| video.uuid.to_string()).collect();
        let mut details = HashMap::new();
        for (uuid, outcome) in self.fetch_details::<VideoExtras>(uuids).await {
            match outcome {
                Ok(Some(found)) => {
                    details.insert(uuid, found);
                }
                // Gone between the list and its details: leave it out.
                Ok(None) => self.seen_gone(uuid),
                // Kept without details; the backlog fetches them later.
                Err(error) => self.details_failed(&error),
            }
        }
        let videos = videos
            .into_iter()
            .filter(|video| self.seen.contains(&video.uuid))
            .map(|video| {
                let details = details.remove(&video.uuid);
                (video, details)
            });
        Ok(Some(self.records(videos)))
    }

    fn details_failed(&mut self, error: &peertube::Error) {
        tracing::debug!(instance.host = %self.host, %error, "details not read");
        self.counters.details_failed += 1;
        self.counters.last_details_error = Some(error.to_string());
    }

    fn seen_gone(&mut self, uuid: Uuid) {
        self.seen.remove(&uuid);
    }

    /// The store's records of videos (and of their accounts and channels).
    fn records(
        &self,
        videos: impl IntoIterator<Item = (Video, Option<VideoExtras>)>,
    ) -> PageRecords {
        page_records(videos, self.session.client.base_url())
    }

    fn writer(&self) -> PageWriter<'a> {
        PageWriter {
            store: self.store,
            worker: self.worker,
            instance: self.instance,
        }
    }

    /// Counts what a committed write did (nothing for no write).
    fn count_written(&mut self, summary: Option<UpsertSummary>) {
        if let Some(summary) = summary {
            self.counters.new += i64::try_from(summary.inserted).unwrap_or(i64::MAX);
            self.counters.updated += i64::try_from(summary.updated).unwrap_or(i64::MAX);
        }
    }

    /// Details by uuid: `Ok(None)` when the instance says the video is gone.
    fn fetch_details<T: VideoAnswer + 'static>(
        &self,
        uuids: Vec<String>,
    ) -> BoxFuture<'_, HashMap<Uuid, DetailsOutcome<T>>> {
        let session = self.session;
        let host = self.host.clone();
        futures::stream::iter(uuids)
            .map(move |uuid| {
                let host = host.clone();
                async move {
                    let result = session.call(|c| T::read(c, &uuid)).await;
                    let outcome = match result {
                        Ok(details) if details.is_local_to(&host) => Ok(Some(details)),
                        Ok(_) => Ok(None),
                        Err(error)
                            if error.status().is_some_and(|status| status.as_u16() == 404) =>
                        {
                            Ok(None)
                        }
                        Err(error) => Err(error),
                    };
                    (uuid.parse::<Uuid>().ok(), outcome)
                }
                .boxed()
            })
            .buffer_unordered(self.details_concurrency)
            .filter_map(|(uuid, outcome)| futures::future::ready(uuid.map(|uuid| (uuid, outcome))))
            .collect()
            .boxed()
    }

    /// After a complete enumeration: videos not seen since the sweep began
    /// are asked for one by one; only a 404 deletes. Any other failure keeps
    /// them all (a failed check deletes nothing).
    async fn delete_vanished(&mut self, sweep_started_at: DateTime<Utc>) -> Result<(), PassError> {
        let candidates = self
            .store
            .videos_not_seen_since(self.instance.id, sweep_started_at)
            .await?;
        for chunk in candidates.chunks(100) {
            self.check_cancelled()?;
            let checked = self.fetch_details::<VideoDetails>(chunk.to_vec()).await;
            let mut alive = Vec::new();
            for outcome in checked.into_values() {
                match outcome {
                    Ok(Some(found)) => {
                        let extras = VideoExtras::from(&found);
                        alive.push((found.video, Some(extras)));
                    }
                    Ok(None) => {}
                    Err(error) => return Err(error.into()),
                }
            }
            // Still there (it had shifted between pages): seen now.
            let records = self.records(alive);
            let written = self.writer().write(records).await?;
            self.count_written(Some(written));
        }
        let deleted = self
            .store
            .delete_videos_not_seen_since(self.instance.id, sweep_started_at, now())
            .await?;
        self.counters.deleted += i64::try_from(deleted).unwrap_or(i64::MAX);
        Ok(())
    }

    fn check_cancelled(&self) -> Result<(), PassError> {
        if self.cancel.is_cancelled() {
            Err(PassError::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// The records of a sweep's pages read since its last write.
#[derive(Default)]
struct Grouped {
    pages: u32,
    /// `None` while none of these pages left anything to write.
    records: Option<PageRecords>,
}

impl Grouped {
    fn add(&mut self, page: Option<PageRecords>) {
        self.pages += 1;
        if let Some(page) = page {
            let records = self.records.get_or_insert_default();
            records.accounts.extend(page.accounts);
            records.channels.extend(page.channels);
            records.videos.extend(page.videos);
        }
    }
}

/// A page read and ready to write.
struct ReadPage {
    /// Items the instance sent (the next page starts after them).
    received: u64,
    /// When each listed video was published.
    published: Vec<DateTime<Utc>>,
    records: Option<PageRecords>,
}

/// A page's write running while the next page is read: its summary once committed.
type Write<'a> = BoxFuture<'a, Result<UpsertSummary, PassError>>;

/// Waits for the write in flight, if any.
async fn settle(write: Option<Write<'_>>) -> Result<Option<UpsertSummary>, PassError> {
    match write {
        Some(write) => write.await.map(Some),
        None => Ok(None),
    }
}

/// Writes pages of a pass; borrows nothing of the [`Pass`], so that a write
/// can run while the pass reads the next page.
#[derive(Clone, Copy)]
struct PageWriter<'a> {
    store: &'a Store,
    worker: &'a str,
    instance: &'a Instance,
}

impl<'a> PageWriter<'a> {
    /// Writes a page in one transaction.
    fn write(self, page: PageRecords) -> Write<'a> {
        async move { Ok(self.store.upsert_page(self.instance, &page, now()).await?) }.boxed()
    }

    /// Writes a sweep's page (if anything is left of it) and the sweep's
    /// offset after it in one transaction: a resumed sweep never skips an
    /// unwritten page.
    fn write_swept(self, page: Option<PageRecords>, progress: SweepProgress) -> Write<'a> {
        async move {
            let mut state: CrawlState = self.store.crawl_state(self.instance.id).await?;
            state.sweep = Some(progress);
            let owner = (self.worker, &state);
            let page = page.as_ref();
            Ok(self
                .store
                .upsert_page_and_state(self.instance, page, now(), owner)
                .await?)
        }
        .boxed()
    }
}

/// The list page of an instance's local videos at `start`.
async fn list_page(
    session: &Session,
    cancel: &CancellationToken,
    start: u64,
) -> Result<LenientPage<Video>, PassError> {
    if cancel.is_cancelled() {
        return Err(PassError::Cancelled);
    }
    let query = VideoListQuery::page(start);
    Ok(session.call(|c| c.videos(&query).boxed()).await?)
}

/// Items a page holds, malformed ones included (the next page starts after them).
fn received(page: &LenientPage<Video>) -> u64 {
    u64::try_from(page.received()).unwrap_or(u64::MAX)
}

fn published(video: &Video) -> DateTime<Utc> {
    video
        .published_at
        .or(video.created_at)
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}
