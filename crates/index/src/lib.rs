//! Florilège's search: the Tantivy schema, multilingual analyzers, the indexer that follows the database's change feed, and the searcher.
//!
//! - [`Indexer`] owns the only writer of a replica's directory: it follows
//!   the store's change feed and commits with the feed cursor in the commit
//!   payload, so index and cursor move together.
//! - [`rebuild`] builds a fresh generation from the database and swaps it
//!   in atomically while searches go on.
//! - [`Searcher`] answers [`VideoQuery`], [`ChannelQuery`] and
//!   [`PlaylistQuery`] (every parameter of PeerTube's search-index API, plus
//!   facets, snippets and suggestions for the site) and related videos, with
//!   stored summaries that are enough to build PeerTube's answers without
//!   the database.
//!
//! No web types here: the JSON API maps its parameters onto the query types.

pub mod analyzers;
mod build;
mod columns;
mod document;
mod error;
mod facets;
mod filters;
mod highlight;
mod indexer;
pub mod layout;
mod matching;
mod named_search;
mod query;
mod ranking;
mod related;
mod results;
pub mod schema;
mod searcher;
mod statistics;
mod suggest;
mod top;
mod windows;

pub use build::{BuildProgress, BuildReport, rebuild};
pub use document::{
    channel_document, channel_summary, playlist_summary, video_document, video_summary,
};
pub use error::{IndexError, QueryError, Result};
pub use indexer::{CatchUp, Indexer, IndexerConfig};
pub use layout::CommitPayload;
pub use query::{
    ChannelQuery, ChannelSort, DEFAULT_COUNT, Direction, DurationRange, MAX_COUNT, MAX_WINDOW,
    NsfwFilter, PlaylistQuery, PlaylistSort, VideoQuery, VideoSort,
};
pub use ranking::MAX_FACTOR;
pub use results::{
    ActorInfo, ChannelSummary, Facets, Highlights, Hit, InstanceInfo, Labeled, PlaylistSummary,
    SearchResults, VideoSummary, absolute,
};
pub use searcher::{REFRESH_INTERVAL, Searcher};

#[cfg(test)]
mod tests;
