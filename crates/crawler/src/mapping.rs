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

pub(crate) fn images(images: &[ActorImage]) -> Vec<ImageRef> {
    images
        .iter()
        .map(|image| ImageRef {
            path: image.path.clone(),
            url: image.file_url.clone().or_else(|| image.url.clone()),
            width: image.width.map(i64::from),
        })
        .collect()
}

/// The records of a page of videos (with what their details add, when they
/// were fetched): the videos, and the accounts and channels they name.
pub(crate) fn page_records<'a>(
    videos: impl IntoIterator<Item = (&'a Video, Option<&'a VideoExtras>)>,
    base: &Url,
) -> PageRecords {
    let mut page = PageRecords::default();
    for (video, details) in videos {
        if let Some(account) = &video.account {
            page.accounts.push(account_record(account, base));
        }
        if let Some(channel) = &video.channel {
            let mut record = channel_record(channel, base, false);
            record.account_name = record
                .account_name
                .or(video.account.as_ref().map(|a| a.name.clone()));
            page.channels.push(record);
        }
        page.videos.push(video_record(video, details, base));
    }
    page
}

/// A video of a list, with what its details add when they were fetched.
pub(crate) fn video_record(
    video: &Video,
    details: Option<&VideoExtras>,
    base: &Url,
) -> VideoRecord {
    let constant_id = |id: Option<u32>| id.map(i64::from);
    VideoRecord {
        remote_id: video.id.map(count),
        uuid: video.uuid.to_string(),
        short_uuid: video.short_uuid.clone(),
        url: video.absolute_url(base).to_string(),
        name: video.name.clone(),
        truncated_description: video.truncated_description.clone(),
        category_id: constant_id(video.category.as_ref().and_then(|c| c.id)),
        category_label: video.category.as_ref().and_then(|c| c.label.clone()),
        licence_id: constant_id(video.licence.as_ref().and_then(|c| c.id)),
        licence_label: video.licence.as_ref().and_then(|c| c.label.clone()),
        language_id: video.language.as_ref().and_then(|c| c.id.clone()),
        language_label: video.language.as_ref().and_then(|c| c.label.clone()),
        privacy_id: video
            .privacy
            .as_ref()
            .and_then(|p| p.id)
            .map_or(1, i64::from),
        nsfw: video.is_nsfw(),
        nsfw_flags: video.nsfw_flags.map_or(0, |flags| i64::from(flags.bits())),
        nsfw_summary: video.nsfw_summary.clone(),
        is_live: video.is_live.unwrap_or(false),
        duration: video.duration.map_or(0, count),
        aspect_ratio: video.aspect_ratio.filter(|ratio| ratio.is_finite()),
        views: count(video.views),
        likes: count(video.likes),
        dislikes: count(video.dislikes),
        comments: video.comments.map_or(0, count),
        thumbnail_path: video.thumbnail_path.clone(),
        preview_path: video.preview_path.clone(),
        embed_path: video.embed_path.clone(),
        published_at: video
            .published_at
            .or(video.created_at)
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
        originally_published_at: video.originally_published_at,
        remote_created_at: video.created_at,
        remote_updated_at: video.updated_at,
        account_name: video.account.as_ref().map(|account| account.name.clone()),
        channel_name: video.channel.as_ref().map(|channel| channel.name.clone()),
        details: details.map(|details| StoredDetails {
            description: details.description.clone(),
            support: details.support.clone(),
            tags: details.tags.iter().take(16).cloned().collect(),
        }),
    }
}

pub(crate) fn account_record(account: &Account, base: &Url) -> AccountRecord {
    AccountRecord {
        remote_id: account.id.map(count),
        name: account.name.clone(),
        display_name: account.display_name_or_name().to_owned(),
        description: account.description.clone(),
        url: actor_url(account.url.as_deref(), base, "accounts", &account.name),
        avatars: images(&account.avatars),
        followers_count: account.followers_count.map_or(0, count),
        remote_created_at: account.created_at,
    }
}

/// A channel; `with_details` when it comes from `/video-channels/{handle}`.
pub(crate) fn channel_record(
    channel: &VideoChannel,
    base: &Url,
    with_details: bool,
) -> ChannelRecord {
    ChannelRecord {
        remote_id: channel.id.map(count),
        name: channel.name.clone(),
        display_name: channel.display_name_or_name().to_owned(),
        url: actor_url(
            channel.url.as_deref(),
            base,
            "video-channels",
            &channel.name,
        ),
        avatars: images(&channel.avatars),
        account_name: channel
            .owner_account
            .as_ref()
            .map(|owner| owner.name.clone()),
        details: with_details.then(|| ChannelDetails {
            description: channel.description.clone(),
            support: channel.support.clone(),
            banners: images(&channel.banners),
            followers_count: channel.followers_count.map_or(0, count),
            videos_count: channel.videos_count.map(count),
            remote_created_at: channel.created_at,
            remote_updated_at: channel.updated_at,
        }),
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
