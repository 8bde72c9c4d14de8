//! Channels' details and public playlists during a sweep, and followed hosts as candidates for admins.

use chrono::{DateTime, TimeDelta, Utc};
use futures::FutureExt;
use peertube::{ListQuery, VideoPlaylist};
use store::{
    Instance, InstanceAddress, InstanceOrigin, InstanceStatus, NewInstance, PageRecords,
    PlaylistRecord, Store, now,
};
use url::Url;

use crate::mapping::{account_record, channel_record};
use crate::pass::PassError;
use crate::session::Session;

/// Channels refreshed per sweep, at most.
const CHANNELS_PER_SWEEP: i64 = 1_000;
/// Pages of playlists read per channel, at most.
const PLAYLIST_PAGES_PER_CHANNEL: u64 = 20;
/// Followed hosts read per crawl, at most.
const MAX_FOLLOWINGS: u64 = 1_000;

/// Refreshes the details and playlists of channels not read since `max_age`,
/// then (when every channel was read) deletes playlists gone from the instance.
pub(crate) async fn refresh_channels(
    store: &Store,
    session: &Session,
    instance: &Instance,
    sweep_started_at: DateTime<Utc>,
    max_age: TimeDelta,
) -> Result<(), PassError> {
    let base = session.client.base_url().clone();
    let channels = store
        .channels_wanting_details(instance.id, now() - max_age, CHANNELS_PER_SWEEP)
        .await?;
    let complete = (channels.len() as i64) < CHANNELS_PER_SWEEP;
    for (channel_id, name) in channels {
        let channel = match session.call(|c| c.channel(&name).boxed()).await {
            Ok(channel) => channel,
            Err(error) if error.status().is_some_and(|s| s.as_u16() == 404) => continue,
            Err(error) => return Err(error.into()),
        };
        let mut page = PageRecords::default();
        if let Some(owner) = channel.owner_account.clone() {
            page.accounts.push(account_record(owner, &base));
        }
        let mut record = channel_record(channel, &base, true);
        record.name = name.clone();
        page.channels.push(record);
        store.upsert_page(instance, &page, now()).await?;

        let playlists = read_playlists(session, &name, &base).await?;
        store
            .upsert_playlists(instance, channel_id, &playlists, now())
            .await?;
    }
    if complete {
        store
            .delete_playlists_not_seen_since(instance.id, sweep_started_at, now())
            .await?;
    }
    Ok(())
}

async fn read_playlists(
    session: &Session,
    channel: &str,
    base: &Url,
) -> Result<Vec<PlaylistRecord>, PassError> {
    let mut records = Vec::new();
    for page in 0..PLAYLIST_PAGES_PER_CHANNEL {
        let query = ListQuery {
            start: page * u64::from(peertube::MAX_COUNT),
            ..ListQuery::default()
        };
        let found = session
            .call(|c| c.channel_playlists(channel, &query).boxed())
            .await?;
        let received = found.received();
        records.extend(
            found
                .items
                .iter()
                .filter(|p| is_public_regular(p))
                .map(|p| playlist_record(p, base)),
        );
        if received < usize::from(peertube::MAX_COUNT as u8) {
            break;
        }
    }
    Ok(records)
}

/// Only public, regular playlists are shown (not "watch later", not unlisted).
fn is_public_regular(playlist: &VideoPlaylist) -> bool {
    let id = |constant: &Option<peertube::VideoConstant<u32>>| constant.as_ref().and_then(|c| c.id);
    id(&playlist.privacy) == Some(1) && id(&playlist.playlist_type).unwrap_or(1) == 1
}

fn playlist_record(playlist: &VideoPlaylist, base: &Url) -> PlaylistRecord {
    let url = playlist
        .url
        .as_deref()
        .and_then(|url| Url::parse(url).ok())
        .filter(|url| url.origin() == base.origin())
        .map_or_else(
            || {
                format!(
                    "{}/w/p/{}",
                    base.as_str().trim_end_matches('/'),
                    playlist.uuid
                )
            },
            String::from,
        );
    PlaylistRecord {
        remote_id: playlist.id.and_then(|id| i64::try_from(id).ok()),
        uuid: playlist.uuid.to_string(),
        short_uuid: playlist.short_uuid.clone(),
        url,
        name: playlist.display_name.clone().unwrap_or_default(),
        description: playlist.description.clone(),
        privacy_id: 1,
        playlist_type: 1,
        videos_length: playlist
            .videos_length
            .and_then(|n| i64::try_from(n).ok())
            .unwrap_or(0),
        thumbnail_path: playlist.thumbnail_path.clone(),
        embed_path: playlist.embed_path.clone(),
        remote_created_at: playlist.created_at,
        remote_updated_at: playlist.updated_at,
    }
}

/// Hosts this instance follows become pending candidates for an admin, never
/// crawled on their own. Returns how many were new.
pub(crate) async fn discover_followings(
    store: &Store,
    session: &Session,
    instance: &Instance,
    allow_private: bool,
) -> Result<u64, PassError> {
    let mut added = 0;
    let mut start = 0;
    while start < MAX_FOLLOWINGS {
        let query = ListQuery {
            start,
            ..ListQuery::default()
        };
        let page = session.call(|c| c.following(&query).boxed()).await?;
        let received = page.received() as u64;
        for follow in page.items.iter().filter(|follow| follow.is_accepted()) {
            let Some(host) = follow.following_host() else {
                continue;
            };
            let scheme = Url::parse(&instance.base_url).map_or("https", |url| {
                if url.scheme() == "http" {
                    "http"
                } else {
                    "https"
                }
            });
            let Ok(address) = InstanceAddress::parse(host, scheme) else {
                continue;
            };
            if address.ensure_allowed(allow_private).is_err() || address.host == instance.host {
                continue;
            }
            let new = NewInstance {
                address,
                status: InstanceStatus::Pending,
                origin: InstanceOrigin::Following,
                discovered_from: Some(instance.id),
            };
            if store.add_instance(&new).await?.1 {
                added += 1;
            }
        }
        if received < u64::from(peertube::MAX_COUNT) {
            break;
        }
        start += received;
    }
    Ok(added)
}
