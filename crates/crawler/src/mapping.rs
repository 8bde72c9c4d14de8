//! Turning PeerTube's answers into the store's records, without trusting them.

use chrono::{DateTime, Utc};
use peertube::{Account, ActorImage, Video, VideoChannel, VideoExtras};
use store::{
    AccountRecord, ChannelDetails, ChannelRecord, ImageRef, PageRecords,
    VideoDetails as StoredDetails, VideoRecord,
};
use url::Url;

/// A count as stored (PeerTube sends unsigned numbers; a hostile one may send huge ones).
fn count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(crate) fn images(images: Vec<ActorImage>) -> Vec<ImageRef> {
    images
        .into_iter()
        .map(|image| ImageRef {
            path: image.path,
            url: image.file_url.or(image.url),
            width: image.width.map(i64::from),
        })
        .collect()
}

/// The records of a page of videos (with what their details add, when they
/// were fetched): the videos, and the accounts and channels they name.
pub(crate) fn page_records(
    videos: impl IntoIterator<Item = (Video, Option<VideoExtras>)>,
    base: &Url,
) -> PageRecords {
    let mut page = PageRecords::default();
    for (mut video, details) in videos {
        let account = video.account.take();
        let channel = video.channel.take();
        let names = Owners {
            account: account.as_ref().map(|account| account.name.clone()),
            channel: channel.as_ref().map(|channel| channel.name.clone()),
        };
        if let Some(channel) = channel {
            let mut record = channel_record(channel, base, false);
            record.account_name = record.account_name.or_else(|| names.account.clone());
            page.channels.push(record);
        }
        if let Some(account) = account {
            page.accounts.push(account_record(account, base));
        }
        page.videos.push(video_record(video, names, details, base));
    }
    page
}

/// The names of a video's account and channel.
struct Owners {
    account: Option<String>,
    channel: Option<String>,
}

/// A video of a list, with what its details add when they were fetched; its
/// account and channel are known by `owners` (the video's own are not read).
fn video_record(
    video: Video,
    owners: Owners,
    details: Option<VideoExtras>,
    base: &Url,
) -> VideoRecord {
    let constant_id = |id: Option<u32>| id.map(i64::from);
    let url = video.absolute_url(base).to_string();
    let nsfw = video.is_nsfw();
    VideoRecord {
        remote_id: video.id.map(count),
        uuid: video.uuid.to_string(),
        short_uuid: video.short_uuid,
        url,
        name: video.name,
        truncated_description: video.truncated_description,
        category_id: constant_id(video.category.as_ref().and_then(|c| c.id)),
        category_label: video.category.and_then(|c| c.label),
        licence_id: constant_id(video.licence.as_ref().and_then(|c| c.id)),
        licence_label: video.licence.and_then(|c| c.label),
        language_id: video.language.as_ref().and_then(|c| c.id.clone()),
        language_label: video.language.and_then(|c| c.label),
        privacy_id: video.privacy.and_then(|p| p.id).map_or(1, i64::from),
        nsfw,
        nsfw_flags: video.nsfw_flags.map_or(0, |flags| i64::from(flags.bits())),
        nsfw_summary: video.nsfw_summary,
        is_live: video.is_live.unwrap_or(false),
        duration: video.duration.map_or(0, count),
        aspect_ratio: video.aspect_ratio.filter(|ratio| ratio.is_finite()),
        views: count(video.views),
        likes: count(video.likes),
        dislikes: count(video.dislikes),
        comments: video.comments.map_or(0, count),
        thumbnail_path: video.thumbnail_path,
        preview_path: video.preview_path,
        embed_path: video.embed_path,
        published_at: video
            .published_at
            .or(video.created_at)
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
        originally_published_at: video.originally_published_at,
        remote_created_at: video.created_at,
        remote_updated_at: video.updated_at,
        account_name: owners.account,
        channel_name: owners.channel,
        details: details.map(|details| StoredDetails {
            description: details.description,
            support: details.support,
            tags: details.tags.into_iter().take(16).collect(),
        }),
    }
}

pub(crate) fn account_record(account: Account, base: &Url) -> AccountRecord {
    AccountRecord {
        remote_id: account.id.map(count),
        display_name: account.display_name_or_name().to_owned(),
        url: actor_url(account.url.as_deref(), base, "accounts", &account.name),
        avatars: images(account.avatars),
        followers_count: account.followers_count.map_or(0, count),
        remote_created_at: account.created_at,
        description: account.description,
        name: account.name,
    }
}

/// A channel; `with_details` when it comes from `/video-channels/{handle}`.
pub(crate) fn channel_record(
    channel: VideoChannel,
    base: &Url,
    with_details: bool,
) -> ChannelRecord {
    ChannelRecord {
        remote_id: channel.id.map(count),
        display_name: channel.display_name_or_name().to_owned(),
        url: actor_url(
            channel.url.as_deref(),
            base,
            "video-channels",
            &channel.name,
        ),
        avatars: images(channel.avatars),
        account_name: channel.owner_account.map(|owner| owner.name),
        details: with_details.then(|| ChannelDetails {
            description: channel.description,
            support: channel.support,
            banners: images(channel.banners),
            followers_count: channel.followers_count.map_or(0, count),
            videos_count: channel.videos_count.map(count),
            remote_created_at: channel.created_at,
            remote_updated_at: channel.updated_at,
        }),
        name: channel.name,
    }
}

/// The actor's URL if it is on the instance's origin, else the canonical one.
fn actor_url(url: Option<&str>, base: &Url, kind: &str, name: &str) -> String {
    url.and_then(|url| Url::parse(url).ok())
        .filter(|url| url.origin() == base.origin())
        .map(String::from)
        .unwrap_or_else(|| {
            let mut canonical = base.clone();
            canonical.set_path(&format!("/{kind}/{name}"));
            canonical.to_string()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_actor_urls_are_replaced_by_canonical_ones() {
        let base = Url::parse("https://video.example").unwrap();
        assert_eq!(
            actor_url(
                Some("https://evil.example/accounts/alice"),
                &base,
                "accounts",
                "alice"
            ),
            "https://video.example/accounts/alice"
        );
        assert_eq!(
            actor_url(
                Some("https://video.example/a/alice"),
                &base,
                "accounts",
                "alice"
            ),
            "https://video.example/a/alice"
        );
        assert_eq!(
            actor_url(None, &base, "video-channels", "c"),
            "https://video.example/video-channels/c"
        );
    }

    #[test]
    fn huge_counts_saturate() {
        assert_eq!(count(u64::MAX), i64::MAX);
        assert_eq!(count(12), 12);
    }
}
