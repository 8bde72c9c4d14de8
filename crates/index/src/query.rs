//! What a search asks: every parameter of PeerTube's search-index API, plus the site's extras.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::QueryError;

/// The most results one page may hold (PeerTube caps `count` at 100).
pub const MAX_COUNT: usize = 100;
/// The results of a page when `count` is not given.
pub const DEFAULT_COUNT: usize = 15;
/// How deep pagination may go (`start + count`), to bound the work of one search.
pub const MAX_WINDOW: usize = 10_000;

/// Which videos to show by their NSFW flag.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum NsfwFilter {
    /// Only NSFW videos (`nsfw=true`).
    Only,
    /// No NSFW video (`nsfw=false`).
    #[default]
    Hide,
    /// All (`nsfw=both`).
    Both,
}

impl NsfwFilter {
    /// Parses PeerTube's `nsfw` parameter.
    pub fn parse(value: &str) -> Result<Self, QueryError> {
        match value {
            "true" => Ok(Self::Only),
            "false" => Ok(Self::Hide),
            "both" => Ok(Self::Both),
            other => Err(QueryError::new(
                "nsfw",
                format!("{other:?} is not one of true, false, both"),
            )),
        }
    }
}

/// Ascending or descending.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Direction {
    Asc,
    Desc,
}

/// The order of video results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum VideoSort {
    /// Relevance (`-match`), with the bounded freshness/popularity boosts.
    #[default]
    Match,
    PublishedAt(Direction),
    OriginallyPublishedAt(Direction),
    CreatedAt(Direction),
    Views(Direction),
    Likes(Direction),
    Duration(Direction),
    Name(Direction),
}

fn direction(value: &str) -> (Direction, &str) {
    match value.strip_prefix('-') {
        Some(rest) => (Direction::Desc, rest),
        None => (Direction::Asc, value),
    }
}

impl VideoSort {
    /// Parses PeerTube's `sort` (`-match`, `-publishedAt`, `views`, …).
    pub fn parse(value: &str) -> Result<Self, QueryError> {
        let (dir, name) = direction(value.trim());
        Ok(match name {
            "match" | "relevance" => Self::Match,
            "publishedAt" => Self::PublishedAt(dir),
            "originallyPublishedAt" => Self::OriginallyPublishedAt(dir),
            "createdAt" => Self::CreatedAt(dir),
            "views" | "trending" | "hot" | "best" => Self::Views(dir),
            "likes" => Self::Likes(dir),
            "duration" => Self::Duration(dir),
            "name" => Self::Name(dir),
            _ => {
                return Err(QueryError::new(
                    "sort",
                    format!(
                        "{value:?} is not one of -match, publishedAt, originallyPublishedAt, \
                         createdAt, views, likes, duration, name (prefix - for descending)"
                    ),
                ));
            }
        })
    }
}

/// The order of channel results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum ChannelSort {
    #[default]
    Match,
    CreatedAt(Direction),
    Followers(Direction),
    Name(Direction),
}

impl ChannelSort {
    /// Parses PeerTube's `sort` for channels.
    pub fn parse(value: &str) -> Result<Self, QueryError> {
        let (dir, name) = direction(value.trim());
        Ok(match name {
            "match" | "relevance" => Self::Match,
            "createdAt" => Self::CreatedAt(dir),
            "followersCount" => Self::Followers(dir),
            "name" | "displayName" => Self::Name(dir),
            _ => {
                return Err(QueryError::new(
                    "sort",
                    format!(
                        "{value:?} is not one of -match, createdAt, followersCount, name \
                         (prefix - for descending)"
                    ),
                ));
            }
        })
    }
}

/// The order of playlist results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum PlaylistSort {
    #[default]
    Match,
    CreatedAt(Direction),
    UpdatedAt(Direction),
    Name(Direction),
}

impl PlaylistSort {
    /// Parses PeerTube's `sort` for playlists.
    pub fn parse(value: &str) -> Result<Self, QueryError> {
        let (dir, name) = direction(value.trim());
        Ok(match name {
            "match" | "relevance" => Self::Match,
            "createdAt" => Self::CreatedAt(dir),
            "updatedAt" => Self::UpdatedAt(dir),
            "name" | "displayName" => Self::Name(dir),
            _ => {
                return Err(QueryError::new(
                    "sort",
                    format!(
                        "{value:?} is not one of -match, createdAt, updatedAt, displayName \
                         (prefix - for descending)"
                    ),
                ));
            }
        })
    }
}

/// The duration buckets of the facet and of the site's filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DurationRange {
    /// Under 4 minutes.
    Short,
    /// 4 to 20 minutes.
    Medium,
    /// Over 20 minutes.
    Long,
}

impl DurationRange {
    pub const ALL: [DurationRange; 3] = [Self::Short, Self::Medium, Self::Long];

    /// The bucket of a duration in seconds.
    pub fn of(seconds: i64) -> Self {
        match seconds {
            ..240 => Self::Short,
            240..1200 => Self::Medium,
            _ => Self::Long,
        }
    }

    /// `(durationMin, durationMax)` in seconds, inclusive, for the filter.
    pub fn bounds(self) -> (Option<i64>, Option<i64>) {
        match self {
            Self::Short => (None, Some(239)),
            Self::Medium => (Some(240), Some(1199)),
            Self::Long => (Some(1200), None),
        }
    }

    /// The name used in URLs and facets.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Short => "short",
            Self::Medium => "medium",
            Self::Long => "long",
        }
    }
}

/// A video search: PeerTube's search-index parameters plus the site's extras.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VideoQuery {
    /// The words searched; also an exact uuid, short uuid or watch URL.
    pub search: Option<String>,
    pub start: usize,
    /// Capped at [`MAX_COUNT`].
    pub count: usize,
    pub sort: VideoSort,
    pub nsfw: NsfwFilter,
    pub category_one_of: Vec<i64>,
    pub licence_one_of: Vec<i64>,
    /// Language codes; `_unknown` for videos without one.
    pub language_one_of: Vec<String>,
    pub tags_one_of: Vec<String>,
    pub tags_all_of: Vec<String>,
    /// Seconds, inclusive.
    pub duration_min: Option<i64>,
    pub duration_max: Option<i64>,
    /// On `publishedAt`, inclusive.
    pub start_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
    pub originally_published_start_date: Option<DateTime<Utc>>,
    pub originally_published_end_date: Option<DateTime<Utc>>,
    pub is_live: Option<bool>,
    /// Only this instance.
    pub host: Option<String>,
    /// Full or short uuids.
    pub uuids: Vec<String>,
    pub blocked_hosts: Vec<String>,
    /// `name@host` of accounts.
    pub blocked_accounts: Vec<String>,
    /// The viewer's languages, favoured in `-match` ranking.
    pub boost_languages: Vec<String>,
    /// Only videos in a published selection.
    pub curated_only: bool,
    /// Count the matches by language, category, duration range and instance.
    pub with_facets: bool,
    /// Highlight the matched words in the name and a description passage.
    pub with_highlights: bool,
    /// Offer a corrected search when some words are unknown.
    pub with_suggestion: bool,
}

impl Default for VideoQuery {
    fn default() -> Self {
        Self {
            search: None,
            start: 0,
            count: DEFAULT_COUNT,
            sort: VideoSort::Match,
            nsfw: NsfwFilter::Hide,
            category_one_of: Vec::new(),
            licence_one_of: Vec::new(),
            language_one_of: Vec::new(),
            tags_one_of: Vec::new(),
            tags_all_of: Vec::new(),
            duration_min: None,
            duration_max: None,
            start_date: None,
            end_date: None,
            originally_published_start_date: None,
            originally_published_end_date: None,
            is_live: None,
            host: None,
            uuids: Vec::new(),
            blocked_hosts: Vec::new(),
            blocked_accounts: Vec::new(),
            boost_languages: Vec::new(),
            curated_only: false,
            with_facets: false,
            with_highlights: false,
            with_suggestion: false,
        }
    }
}

impl VideoQuery {
    /// A relevance search for these words, with the defaults.
    pub fn text(search: impl Into<String>) -> Self {
        Self {
            search: Some(search.into()),
            ..Self::default()
        }
    }

    /// Checks the ranges (`start`, `count`, durations, dates) and caps `count`.
    pub fn validate(&mut self) -> Result<(), QueryError> {
        validate_page(self.start, &mut self.count)?;
        if let (Some(min), Some(max)) = (self.duration_min, self.duration_max)
            && min > max
        {
            return Err(QueryError::new(
                "durationMax",
                "must not be below durationMin",
            ));
        }
        if self.duration_min.is_some_and(|d| d < 0) {
            return Err(QueryError::new("durationMin", "must not be negative"));
        }
        if let (Some(start), Some(end)) = (self.start_date, self.end_date)
            && start > end
        {
            return Err(QueryError::new("endDate", "must not be before startDate"));
        }
        Ok(())
    }
}

/// A channel search.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChannelQuery {
    pub search: Option<String>,
    pub start: usize,
    pub count: usize,
    pub sort: ChannelSort,
    /// Only these channels, as `name@host`.
    pub handles: Vec<String>,
    pub host: Option<String>,
    pub blocked_hosts: Vec<String>,
    /// `name@host` of accounts whose channels are hidden.
    pub blocked_accounts: Vec<String>,
    pub with_highlights: bool,
}

impl Default for ChannelQuery {
    fn default() -> Self {
        Self {
            search: None,
            start: 0,
            count: DEFAULT_COUNT,
            sort: ChannelSort::Match,
            handles: Vec::new(),
            host: None,
            blocked_hosts: Vec::new(),
            blocked_accounts: Vec::new(),
            with_highlights: false,
        }
    }
}

impl ChannelQuery {
    /// A relevance search for these words.
    pub fn text(search: impl Into<String>) -> Self {
        Self {
            search: Some(search.into()),
            ..Self::default()
        }
    }

    /// Checks `start` and caps `count`.
    pub fn validate(&mut self) -> Result<(), QueryError> {
        validate_page(self.start, &mut self.count)
    }
}

/// A playlist search.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlaylistQuery {
    /// The words searched; also an exact uuid, short uuid or playlist URL.
    pub search: Option<String>,
    pub start: usize,
    pub count: usize,
    pub sort: PlaylistSort,
    /// Full or short uuids.
    pub uuids: Vec<String>,
    pub host: Option<String>,
    pub blocked_hosts: Vec<String>,
    /// `name@host` of accounts whose playlists are hidden.
    pub blocked_accounts: Vec<String>,
    pub with_highlights: bool,
}

impl Default for PlaylistQuery {
    fn default() -> Self {
        Self {
            search: None,
            start: 0,
            count: DEFAULT_COUNT,
            sort: PlaylistSort::Match,
            uuids: Vec::new(),
            host: None,
            blocked_hosts: Vec::new(),
            blocked_accounts: Vec::new(),
            with_highlights: false,
        }
    }
}

impl PlaylistQuery {
    /// A relevance search for these words.
    pub fn text(search: impl Into<String>) -> Self {
        Self {
            search: Some(search.into()),
            ..Self::default()
        }
    }

    /// Checks `start` and caps `count`.
    pub fn validate(&mut self) -> Result<(), QueryError> {
        validate_page(self.start, &mut self.count)
    }
}

fn validate_page(start: usize, count: &mut usize) -> Result<(), QueryError> {
    if start >= MAX_WINDOW {
        return Err(QueryError::new(
            "start",
            format!("must be below {MAX_WINDOW}"),
        ));
    }
    *count = (*count).min(MAX_COUNT).min(MAX_WINDOW - start);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_parse_peertube_names() {
        assert_eq!(VideoSort::parse("-match").unwrap(), VideoSort::Match);
        assert_eq!(
            VideoSort::parse("-publishedAt").unwrap(),
            VideoSort::PublishedAt(Direction::Desc)
        );
        assert_eq!(
            VideoSort::parse("name").unwrap(),
            VideoSort::Name(Direction::Asc)
        );
        assert_eq!(VideoSort::parse("-bogus").unwrap_err().parameter, "sort");
        assert_eq!(
            PlaylistSort::parse("-updatedAt").unwrap(),
            PlaylistSort::UpdatedAt(Direction::Desc)
        );
        assert_eq!(
            PlaylistSort::parse("displayName").unwrap(),
            PlaylistSort::Name(Direction::Asc)
        );
        assert_eq!(PlaylistSort::parse("-views").unwrap_err().parameter, "sort");
        assert_eq!(NsfwFilter::parse("both").unwrap(), NsfwFilter::Both);
        assert_eq!(NsfwFilter::parse("yes").unwrap_err().parameter, "nsfw");
    }

    #[test]
    fn pages_are_capped() {
        let mut query = VideoQuery {
            count: 1000,
            ..VideoQuery::default()
        };
        query.validate().unwrap();
        assert_eq!(query.count, MAX_COUNT);
        query.start = MAX_WINDOW;
        assert_eq!(query.validate().unwrap_err().parameter, "start");
        let mut bad = VideoQuery {
            duration_min: Some(10),
            duration_max: Some(5),
            ..VideoQuery::default()
        };
        assert_eq!(bad.validate().unwrap_err().parameter, "durationMax");
        let mut playlists = PlaylistQuery {
            count: 1000,
            ..PlaylistQuery::default()
        };
        playlists.validate().unwrap();
        assert_eq!(playlists.count, MAX_COUNT);
        playlists.start = MAX_WINDOW;
        assert_eq!(playlists.validate().unwrap_err().parameter, "start");
    }

    #[test]
    fn durations_fall_in_ranges() {
        assert_eq!(DurationRange::of(10), DurationRange::Short);
        assert_eq!(DurationRange::of(240), DurationRange::Medium);
        assert_eq!(DurationRange::of(3600), DurationRange::Long);
    }
}
