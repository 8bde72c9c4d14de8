//! From PeerTube's search-index parameters to the index's typed queries.

use index::{
    ChannelQuery, ChannelSort, MAX_COUNT, NsfwFilter, PlaylistQuery, PlaylistSort, QueryError,
    VideoQuery, VideoSort,
};

use super::params::Params;

/// `start` and `count`, checked as PeerTube checks them (`count` at most 100).
fn page(params: &Params) -> Result<(usize, Option<usize>), QueryError> {
    let start = params.int("start", 0, i64::MAX)?.unwrap_or(0);
    let count = params.int("count", 0, MAX_COUNT as i64)?;
    let to_usize = |value: i64| usize::try_from(value).unwrap_or(usize::MAX);
    Ok((to_usize(start), count.map(to_usize)))
}

/// A video search from its parameters; `nsfw` defaults to `default_nsfw` when not sent.
pub fn video_query(params: &Params, default_nsfw: NsfwFilter) -> Result<VideoQuery, QueryError> {
    let (start, count) = page(params)?;
    let mut query = VideoQuery {
        search: params.text("search").map(str::to_owned),
        start,
        sort: params
            .text("sort")
            .map(VideoSort::parse)
            .transpose()?
            .unwrap_or_default(),
        nsfw: params
            .text("nsfw")
            .map(NsfwFilter::parse)
            .transpose()?
            .unwrap_or(default_nsfw),
        category_one_of: params.ints("categoryOneOf")?,
        licence_one_of: params.ints("licenceOneOf")?,
        language_one_of: params.list("languageOneOf"),
        tags_one_of: params.list("tagsOneOf"),
        tags_all_of: params.list("tagsAllOf"),
        duration_min: params.int("durationMin", 0, i64::MAX)?,
        duration_max: params.int("durationMax", 0, i64::MAX)?,
        start_date: params.date("startDate")?,
        end_date: params.date("endDate")?,
        originally_published_start_date: params.date("originallyPublishedStartDate")?,
        originally_published_end_date: params.date("originallyPublishedEndDate")?,
        is_live: params.bool("isLive")?,
        host: params.text("host").map(str::to_owned),
        uuids: params.list("uuids"),
        blocked_hosts: params.list("blockedHosts"),
        blocked_accounts: params.list("blockedAccounts"),
        boost_languages: params.list("boostLanguages"),
        ..VideoQuery::default()
    };
    if let Some(count) = count {
        query.count = count;
    }
    query.validate()?;
    Ok(query)
}

/// A channel search from its parameters.
pub fn channel_query(params: &Params) -> Result<ChannelQuery, QueryError> {
    let (start, count) = page(params)?;
    let mut query = ChannelQuery {
        search: params.text("search").map(str::to_owned),
        start,
        sort: params
            .text("sort")
            .map(ChannelSort::parse)
            .transpose()?
            .unwrap_or_default(),
        handles: params.list("handles"),
        host: params.text("host").map(str::to_owned),
        blocked_hosts: params.list("blockedHosts"),
        blocked_accounts: params.list("blockedAccounts"),
        ..ChannelQuery::default()
    };
    if let Some(count) = count {
        query.count = count;
    }
    query.validate()?;
    Ok(query)
}

/// A playlist search from its parameters.
pub fn playlist_query(params: &Params) -> Result<PlaylistQuery, QueryError> {
    let (start, count) = page(params)?;
    let mut query = PlaylistQuery {
        search: params.text("search").map(str::to_owned),
        start,
        sort: params
            .text("sort")
            .map(PlaylistSort::parse)
            .transpose()?
            .unwrap_or_default(),
        uuids: params.list("uuids"),
        host: params.text("host").map(str::to_owned),
        blocked_hosts: params.list("blockedHosts"),
        blocked_accounts: params.list("blockedAccounts"),
        ..PlaylistQuery::default()
    };
    if let Some(count) = count {
        query.count = count;
    }
    query.validate()?;
    Ok(query)
}

#[cfg(test)]
mod tests {
    use index::Direction;

    use super::*;

    #[test]
    fn every_video_parameter_is_read() {
        let params = Params::from_query(
            "search=abeilles&start=15&count=30&sort=-publishedAt&nsfw=both&categoryOneOf=1&categoryOneOf=2\
             &licenceOneOf=3&languageOneOf=fr&tagsOneOf=a&tagsAllOf=b&durationMin=60&durationMax=600\
             &startDate=2024-01-01&endDate=2024-12-31&originallyPublishedStartDate=2020-01-01\
             &originallyPublishedEndDate=2021-01-01&isLive=false&host=video.example&uuids=x\
             &blockedHosts=bad.example&blockedAccounts=troll@bad.example&boostLanguages=fr",
        );
        let query = video_query(&params, NsfwFilter::Hide).unwrap();
        assert_eq!(query.search.as_deref(), Some("abeilles"));
        assert_eq!((query.start, query.count), (15, 30));
        assert_eq!(query.sort, VideoSort::PublishedAt(Direction::Desc));
        assert_eq!(query.nsfw, NsfwFilter::Both);
        assert_eq!(query.category_one_of, [1, 2]);
        assert_eq!(query.licence_one_of, [3]);
        assert_eq!(query.language_one_of, ["fr"]);
        assert_eq!((query.tags_one_of.len(), query.tags_all_of.len()), (1, 1));
        assert_eq!(
            (query.duration_min, query.duration_max),
            (Some(60), Some(600))
        );
        assert!(query.start_date.is_some() && query.end_date.is_some());
        assert!(query.originally_published_start_date.is_some());
        assert!(query.originally_published_end_date.is_some());
        assert_eq!(query.is_live, Some(false));
        assert_eq!(query.host.as_deref(), Some("video.example"));
        assert_eq!(query.uuids, ["x"]);
        assert_eq!(query.blocked_hosts, ["bad.example"]);
        assert_eq!(query.blocked_accounts, ["troll@bad.example"]);
        assert_eq!(query.boost_languages, ["fr"]);
    }

    #[test]
    fn defaults_and_limits() {
        let query = video_query(&Params::default(), NsfwFilter::Both).unwrap();
        assert_eq!(
            (query.start, query.count, query.nsfw),
            (0, 15, NsfwFilter::Both)
        );
        for (raw, parameter) in [
            ("count=101", "count"),
            ("count=-1", "count"),
            ("start=-5", "start"),
            ("start=abc", "start"),
            ("sort=-bogus", "sort"),
            ("nsfw=maybe", "nsfw"),
            ("categoryOneOf=music", "categoryOneOf"),
            ("durationMin=600&durationMax=60", "durationMax"),
            ("endDate=2020-01-01&startDate=2021-01-01", "endDate"),
        ] {
            let error = video_query(&Params::from_query(raw), NsfwFilter::Hide).unwrap_err();
            assert_eq!(error.parameter, parameter, "{raw}");
        }
        let error = channel_query(&Params::from_query("sort=views")).unwrap_err();
        assert_eq!(error.parameter, "sort");
    }
}
