//! Channel and playlist searches: names, owners and descriptions matched folded and fuzzy, without stems.

use serde::de::DeserializeOwned;
use tantivy::query::Query;

use crate::analyzers::Analyzers;
use crate::error::Result;
use crate::filters::{Filters, channel_filters, playlist_filters};
use crate::highlight::Matcher;
use crate::matching::{
    Lookups, Strictness, channel_groups, identifier, identifier_query, significant, text_query,
};
use crate::query::{ChannelQuery, ChannelSort, PlaylistQuery, PlaylistSort};
use crate::ranking::Boosts;
use crate::results::{ChannelSummary, Highlights, Hit, PlaylistSummary, SearchResults};
use crate::schema::Fields;
use crate::searcher::{Page, Searcher, SortKey, collect, frequency, payload, read_page};

/// What highlights show of a channel or playlist.
trait Named {
    fn display_name(&self) -> &str;
    fn description(&self) -> Option<&str>;
}

impl Named for ChannelSummary {
    fn display_name(&self) -> &str {
        &self.display_name
    }

    fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
}

impl Named for PlaylistSummary {
    fn display_name(&self) -> &str {
        &self.display_name
    }

    fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
}

impl Searcher {
    /// Searches channels (PeerTube's `/api/v1/search/video-channels`).
    pub fn search_channels(&self, query: &ChannelQuery) -> Result<SearchResults<ChannelSummary>> {
        let mut query = query.clone();
        query.validate()?;
        let page = Page {
            start: query.start,
            count: query.count,
            sort: match query.sort {
                ChannelSort::Match => SortKey::Score,
                ChannelSort::CreatedAt(dir) => SortKey::Number("created_at", dir),
                ChannelSort::Followers(dir) => SortKey::Number("followers", dir),
                ChannelSort::Name(dir) => SortKey::Text("name_sort", dir),
            },
        };
        self.search_named(
            query.search.as_deref(),
            |fields| channel_filters(fields, &query),
            &page,
            query.with_highlights,
        )
    }

    /// Searches playlists (PeerTube's `/api/v1/search/video-playlists`). The
    /// search may also be a playlist's uuid, short uuid or URL.
    pub fn search_playlists(
        &self,
        query: &PlaylistQuery,
    ) -> Result<SearchResults<PlaylistSummary>> {
        let mut query = query.clone();
        query.validate()?;
        let page = Page {
            start: query.start,
            count: query.count,
            sort: match query.sort {
                PlaylistSort::Match => SortKey::Score,
                PlaylistSort::CreatedAt(dir) => SortKey::Number("created_at", dir),
                PlaylistSort::UpdatedAt(dir) => SortKey::Number("updated_at", dir),
                PlaylistSort::Name(dir) => SortKey::Text("name_sort", dir),
            },
        };
        self.search_named(
            query.search.as_deref(),
            |fields| playlist_filters(fields, &query),
            &page,
            query.with_highlights,
        )
    }

    /// Runs a channel or playlist search: an exact identifier first when the
    /// search is one, then all the words, then (for several words) any of them.
    fn search_named<T: DeserializeOwned + Named + Send>(
        &self,
        search: Option<&str>,
        filters: impl Fn(&Fields) -> Filters,
        page: &Page,
        with_highlights: bool,
    ) -> Result<SearchResults<T>> {
        let live = self.live();
        let searcher = live.reader.searcher();
        let fields = live.fields;
        let search = search.map(str::trim).unwrap_or_default();
        let words = significant(Analyzers::with(|a| a.query_words(search)));
        let groups = channel_groups(&fields);
        let frequency = |field, text: &str| frequency(&searcher, field, text);
        let lookups = &Lookups::new(searcher.num_docs(), &frequency);
        let id = identifier(search);
        let text =
            |strictness| filters(&fields).around(text_query(&groups, &words, strictness, lookups));
        let mut attempts: Vec<Box<dyn Query>> = Vec::new();
        if let Some(id) = &id {
            attempts.push(filters(&fields).with(Some(identifier_query(&fields, id))));
        }
        attempts.push(text(Strictness::Strict));
        if words.len() > 1 {
            attempts.push(text(Strictness::Relaxed));
        }
        let has_text = id.is_some() || !words.is_empty();
        let boosts = Boosts::new(Vec::new(), has_text);
        let mut found = (0, Vec::new(), None);
        for full in attempts {
            found = collect(&searcher, &live.columns, &*full, page, &boosts, false)?;
            if found.0 > 0 {
                break;
            }
        }
        let (total, addresses, _) = found;
        let matcher = with_highlights.then(|| Matcher::new(&words));
        let hits = read_page(&searcher, &addresses, |score, document| {
            let item: T = payload(document, &fields)?;
            let highlights = matcher.as_ref().map(|m| {
                Analyzers::with(|a| Highlights {
                    name: m.highlight(a, item.display_name(), None),
                    description: item.description().map(|d| m.snippet(a, d, None)),
                })
            });
            Ok(Hit {
                score,
                item,
                highlights,
            })
        })?;
        Ok(SearchResults {
            total,
            hits,
            facets: None,
            suggestion: None,
        })
    }
}
