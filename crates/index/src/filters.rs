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

/// Clauses that restrict a search without touching its scores.
#[derive(Default)]
pub(crate) struct Filters {
    clauses: Vec<(Occur, Box<dyn Query>)>,
}

impl Filters {
    fn must(&mut self, query: Box<dyn Query>) {
        self.clauses
            .push((Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0))));
    }

    fn must_not(&mut self, query: Box<dyn Query>) {
        self.clauses.push((Occur::MustNot, query));
    }

    fn term(&mut self, term: Term) {
        self.must(Box::new(TermQuery::new(term, IndexRecordOption::Basic)));
    }

    fn one_of(&mut self, terms: Vec<Term>) {
        if !terms.is_empty() {
            self.must(Box::new(TermSetQuery::new(terms)));
        }
    }

    fn none_of(&mut self, terms: Vec<Term>) {
        if !terms.is_empty() {
            self.must_not(Box::new(TermSetQuery::new(terms)));
        }
    }

    /// Only the documents of these full or short uuids (none when empty).
    fn uuids(&mut self, fields: &Fields, uuids: &[String]) {
        if uuids.is_empty() {
            return;
        }
        let full = texts(fields.uuid, uuids, lower);
        let short = texts(fields.short_uuid, uuids, |v| v.trim().to_owned());
        self.must(Box::new(BooleanQuery::union(vec![
            Box::new(TermSetQuery::new(full)),
            Box::new(TermSetQuery::new(short)),
        ])));
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
    pub(crate) fn with(mut self, scored: Option<Box<dyn Query>>) -> Box<dyn Query> {
        if let Some(scored) = scored {
            self.clauses.push((Occur::Must, scored));
        }
        if !self.clauses.iter().any(|(occur, _)| *occur == Occur::Must) {
            // Exclusions alone match nothing in a boolean query.
            self.must(Box::new(AllQuery));
        }
        Box::new(BooleanQuery::new(self.clauses))
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
        NsfwFilter::Hide => filters.must_not(Box::new(TermQuery::new(
            Term::from_field_bool(fields.nsfw, true),
            IndexRecordOption::Basic,
        ))),
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
    filters.must_not(Box::new(TermQuery::new(
        Term::from_field_i64(fields.id, id),
        IndexRecordOption::Basic,
    )));
}
