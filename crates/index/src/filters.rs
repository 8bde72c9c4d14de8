//! Filters of a search as query clauses that match without scoring: kind, NSFW, facets, ranges, ids, blocks.

use std::ops::Bound;

use chrono::{DateTime, Utc};
use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption};

use crate::analyzers::Analyzers;
use crate::matching::Text;
use crate::query::{ChannelQuery, NsfwFilter, PlaylistQuery, VideoQuery};
use crate::schema::{Fields, KIND_CHANNEL, KIND_PLAYLIST};
use crate::windows::TextMatch;

/// Up to this many terms, a filter reads their postings; beyond, a
/// `TermSetQuery`, whose automaton costs more to build than a few postings
/// (it was 5 % of a search's CPU for the two kinds every video search excludes).
const FEW_TERMS: usize = 16;

/// One filter of a search.
#[derive(Debug)]
pub(crate) enum Filter {
    /// The documents holding any of a few terms (of any fields).
    Terms(Vec<Term>),
    /// The documents another query matches.
    Query(Box<dyn Query>),
}

impl Clone for Filter {
    fn clone(&self) -> Self {
        match self {
            Self::Terms(terms) => Self::Terms(terms.clone()),
            Self::Query(query) => Self::Query(query.box_clone()),
        }
    }
}

impl Filter {
    fn any_of(terms: Vec<Term>) -> Self {
        if terms.len() <= FEW_TERMS {
            Self::Terms(terms)
        } else {
            Self::Query(Box::new(TermSetQuery::new(terms)))
        }
    }

    fn into_query(self) -> Box<dyn Query> {
        let term =
            |term| -> Box<dyn Query> { Box::new(TermQuery::new(term, IndexRecordOption::Basic)) };
        match self {
            Self::Terms(mut terms) if terms.len() == 1 => term(terms.remove(0)),
            Self::Terms(terms) => {
                Box::new(BooleanQuery::union(terms.into_iter().map(term).collect()))
            }
            Self::Query(query) => query,
        }
    }
}

/// Clauses that restrict a search without touching its scores.
#[derive(Default)]
pub(crate) struct Filters {
    clauses: Vec<(Occur, Filter)>,
}

impl Filters {
    fn must(&mut self, query: Box<dyn Query>) {
        self.clauses.push((Occur::Must, Filter::Query(query)));
    }

    fn term(&mut self, term: Term) {
        self.clauses.push((Occur::Must, Filter::Terms(vec![term])));
    }

    fn one_of(&mut self, terms: Vec<Term>) {
        if !terms.is_empty() {
            self.clauses.push((Occur::Must, Filter::any_of(terms)));
        }
    }

    fn none_of(&mut self, terms: Vec<Term>) {
        if !terms.is_empty() {
            self.clauses.push((Occur::MustNot, Filter::any_of(terms)));
        }
    }

    /// Only the documents of these full or short uuids (none when empty).
    fn uuids(&mut self, fields: &Fields, uuids: &[String]) {
        if uuids.is_empty() {
            return;
        }
        let mut terms = texts(fields.uuid, uuids, lower);
        terms.extend(texts(fields.short_uuid, uuids, |v| v.trim().to_owned()));
        self.clauses.push((Occur::Must, Filter::any_of(terms)));
    }

    fn range(&mut self, field: Field, min: Option<i64>, max: Option<i64>) {
        if min.is_none() && max.is_none() {
            return;
        }
        let bound = |value: Option<i64>| match value {
            Some(value) => Bound::Included(Term::from_field_i64(field, value)),
            None => Bound::Unbounded,
        };
        self.must(Box::new(RangeQuery::new(bound(min), bound(max))));
    }

    /// The filters around a search's words, matched by window (see [`crate::windows`]).
    pub(crate) fn around(self, text: Option<Text>) -> Box<dyn Query> {
        match text {
            Some(text) => Box::new(TextMatch {
                text,
                filters: self.clauses,
            }),
            None => self.with(None),
        }
    }

    /// Combines the filters with the scored query (or alone when there is none).
    pub(crate) fn with(self, scored: Option<Box<dyn Query>>) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = self
            .clauses
            .into_iter()
            .map(|(occur, filter)| {
                let query = filter.into_query();
                match occur {
                    Occur::Must => (occur, Box::new(ConstScoreQuery::new(query, 0.0)) as _),
                    _ => (occur, query),
                }
            })
            .collect();
        if let Some(scored) = scored {
            clauses.push((Occur::Must, scored));
        }
        if !clauses.iter().any(|(occur, _)| *occur == Occur::Must) {
            // Exclusions alone match nothing in a boolean query.
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        Box::new(BooleanQuery::new(clauses))
    }
}

fn seconds(at: Option<DateTime<Utc>>) -> Option<i64> {
    at.map(|at| at.timestamp())
}

fn texts(field: Field, values: &[String], normalize: impl Fn(&str) -> String) -> Vec<Term> {
    values
        .iter()
        .map(|value| normalize(value))
        .filter(|value| !value.is_empty())
        .map(|value| Term::from_field_text(field, &value))
        .collect()
}

fn lower(value: &str) -> String {
    value.trim().to_ascii_lowercase()
}

fn keyword(value: &str) -> String {
    Analyzers::with(|analyzers| analyzers.keyword(value.trim_start_matches('@')))
}

/// The filters of a video search.
pub(crate) fn video_filters(fields: &Fields, query: &VideoQuery) -> Filters {
    let mut filters = Filters::default();
    // Videos are nearly every document: excluding the few others costs less
    // per match than seeking each match in the postings of `kind:video`.
    filters.none_of(vec![
        Term::from_field_text(fields.kind, KIND_CHANNEL),
        Term::from_field_text(fields.kind, KIND_PLAYLIST),
    ]);
    match query.nsfw {
        NsfwFilter::Hide => filters.none_of(vec![Term::from_field_bool(fields.nsfw, true)]),
        NsfwFilter::Only => filters.term(Term::from_field_bool(fields.nsfw, true)),
        NsfwFilter::Both => {}
    }
    let ids = |field: Field, values: &[i64]| -> Vec<Term> {
        values
            .iter()
            .map(|v| Term::from_field_i64(field, *v))
            .collect()
    };
    filters.one_of(ids(fields.category, &query.category_one_of));
    filters.one_of(ids(fields.licence, &query.licence_one_of));
    filters.one_of(texts(fields.language, &query.language_one_of, |v| {
        v.trim().to_owned()
    }));
    filters.one_of(texts(fields.tag, &query.tags_one_of, keyword));
    for tag in texts(fields.tag, &query.tags_all_of, keyword) {
        filters.term(tag);
    }
    filters.range(fields.duration, query.duration_min, query.duration_max);
    filters.range(
        fields.published_at,
        seconds(query.start_date),
        seconds(query.end_date),
    );
    filters.range(
        fields.originally_published_at,
        seconds(query.originally_published_start_date),
        seconds(query.originally_published_end_date),
    );
    if let Some(live) = query.is_live {
        filters.term(Term::from_field_bool(fields.is_live, live));
    }
    if let Some(host) = &query.host {
        filters.term(Term::from_field_text(fields.host, &lower(host)));
    }
    filters.uuids(fields, &query.uuids);
    filters.none_of(texts(fields.host, &query.blocked_hosts, lower));
    filters.none_of(texts(
        fields.account_handle,
        &query.blocked_accounts,
        keyword,
    ));
    if query.curated_only {
        filters.term(Term::from_field_bool(fields.curated, true));
    }
    filters
}

/// The filters of a channel search.
pub(crate) fn channel_filters(fields: &Fields, query: &ChannelQuery) -> Filters {
    let mut filters = Filters::default();
    filters.term(Term::from_field_text(fields.kind, KIND_CHANNEL));
    filters.one_of(texts(fields.channel_handle, &query.handles, keyword));
    if let Some(host) = &query.host {
        filters.term(Term::from_field_text(fields.host, &lower(host)));
    }
    filters.none_of(texts(fields.host, &query.blocked_hosts, lower));
    filters.none_of(texts(
        fields.account_handle,
        &query.blocked_accounts,
        keyword,
    ));
    filters
}

/// The filters of a playlist search.
pub(crate) fn playlist_filters(fields: &Fields, query: &PlaylistQuery) -> Filters {
    let mut filters = Filters::default();
    filters.term(Term::from_field_text(fields.kind, KIND_PLAYLIST));
    filters.uuids(fields, &query.uuids);
    if let Some(host) = &query.host {
        filters.term(Term::from_field_text(fields.host, &lower(host)));
    }
    filters.none_of(texts(fields.host, &query.blocked_hosts, lower));
    filters.none_of(texts(
        fields.account_handle,
        &query.blocked_accounts,
        keyword,
    ));
    filters
}

/// Only the video with this key's id left out (related videos).
pub(crate) fn exclude_id(filters: &mut Filters, fields: &Fields, id: i64) {
    filters.none_of(vec![Term::from_field_i64(fields.id, id)]);
}
