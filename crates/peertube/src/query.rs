//! Typed query strings for list endpoints (`/videos`, `/video-channels`, ...).

use url::Url;

/// PeerTube refuses `count` above this with a 400.
pub const MAX_COUNT: u32 = 100;

/// Which videos to list by sensitivity (`nsfw=`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NsfwFilter {
    /// Sensitive and other videos (`both`).
    #[default]
    Both,
    /// Sensitive videos only (`true`).
    Only,
    /// Non-sensitive videos only (`false`).
    Exclude,
}

impl NsfwFilter {
    /// The query value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Both => "both",
            Self::Only => "true",
            Self::Exclude => "false",
        }
    }
}

/// Query of `GET /api/v1/videos` (and a channel's videos).
///
/// The default is the crawler's query: local videos, sensitive included,
/// no total, newest first, 100 per page:
/// `isLocal=true&nsfw=both&skipCount=true&sort=-publishedAt&start=0&count=100`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoListQuery {
    /// Offset of the first item.
    pub start: u64,
    /// Page size; clamped to [`MAX_COUNT`]. `0` asks for the total only.
    pub count: u32,
    /// Sort key such as `-publishedAt`, `-updatedAt`, `-views`; `None` for the server's default.
    pub sort: Option<String>,
    /// `isLocal`: only local (`true`) or remote (`false`) videos; ignored before 4.0.
    pub is_local: Option<bool>,
    /// `nsfw`: which sensitivity; `None` for the instance's default policy.
    pub nsfw: Option<NsfwFilter>,
    /// `skipCount=true`: do not compute `total` (cheaper for the server).
    pub skip_count: bool,
}

impl Default for VideoListQuery {
    fn default() -> Self {
        Self {
            start: 0,
            count: MAX_COUNT,
            sort: Some("-publishedAt".to_owned()),
            is_local: Some(true),
            nsfw: Some(NsfwFilter::Both),
            skip_count: true,
        }
    }
}

impl VideoListQuery {
    /// The default query at offset `start`.
    pub fn page(start: u64) -> Self {
        Self {
            start,
            ..Self::default()
        }
    }

    /// Appends the parameters to `url`, in a stable order.
    pub fn apply(&self, url: &mut Url) {
        let mut pairs = url.query_pairs_mut();
        if let Some(is_local) = self.is_local {
            pairs.append_pair("isLocal", bool_str(is_local));
        }
        if let Some(nsfw) = self.nsfw {
            pairs.append_pair("nsfw", nsfw.as_str());
        }
        if self.skip_count {
            pairs.append_pair("skipCount", "true");
        }
        if let Some(sort) = &self.sort {
            pairs.append_pair("sort", sort);
        }
        pairs.append_pair("start", &self.start.to_string());
        pairs.append_pair("count", &self.count.min(MAX_COUNT).to_string());
    }
}

/// Query of the other lists (channels, playlists, following): `start`, `count`, `sort`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Offset of the first item.
    pub start: u64,
    /// Page size; clamped to [`MAX_COUNT`].
    pub count: u32,
    /// Sort key such as `-createdAt`; `None` for the server's default.
    pub sort: Option<String>,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            start: 0,
            count: MAX_COUNT,
            sort: None,
        }
    }
}

impl ListQuery {
    /// 100 items from offset `start`, server's default order.
    pub fn page(start: u64) -> Self {
        Self {
            start,
            ..Self::default()
        }
    }

    /// Appends the parameters to `url`.
    pub fn apply(&self, url: &mut Url) {
        let mut pairs = url.query_pairs_mut();
        pairs.append_pair("start", &self.start.to_string());
        pairs.append_pair("count", &self.count.min(MAX_COUNT).to_string());
        if let Some(sort) = &self.sort {
            pairs.append_pair("sort", sort);
        }
    }
}

fn bool_str(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query_of(apply: impl FnOnce(&mut Url)) -> String {
        let mut url = Url::parse("http://127.0.0.1:4001/api/v1/videos").unwrap();
        apply(&mut url);
        url.query().unwrap_or_default().to_owned()
    }

    #[test]
    fn default_video_query_is_the_crawler_query() {
        assert_eq!(
            query_of(|u| VideoListQuery::page(200).apply(u)),
            "isLocal=true&nsfw=both&skipCount=true&sort=-publishedAt&start=200&count=100"
        );
    }

    #[test]
    fn count_is_clamped_and_options_omitted() {
        let query = VideoListQuery {
            count: 500,
            sort: None,
            is_local: None,
            nsfw: None,
            skip_count: false,
            ..VideoListQuery::default()
        };
        assert_eq!(query_of(|u| query.apply(u)), "start=0&count=100");
        let exclude = VideoListQuery {
            nsfw: Some(NsfwFilter::Exclude),
            is_local: Some(false),
            count: 0,
            ..VideoListQuery::default()
        };
        assert_eq!(
            query_of(|u| exclude.apply(u)),
            "isLocal=false&nsfw=false&skipCount=true&sort=-publishedAt&start=0&count=0"
        );
    }

    #[test]
    fn list_query_encodes_sort() {
        let query = ListQuery {
            sort: Some("-createdAt&x=1".into()),
            ..ListQuery::page(5)
        };
        assert_eq!(
            query_of(|u| query.apply(u)),
            "start=5&count=100&sort=-createdAt%26x%3D1"
        );
    }
}
