//! The search benchmark (issue 4): indexing from the database against raw Tantivy, and queries over HTTP against SQLite FTS5.
//!
//! Per corpus size, in child processes of `search`: the corpus is written
//! into a fresh SQLite store ([`corpus`], set-up), three indexing passes
//! are measured ([`indexing`]: Florilège's rebuild, raw Tantivy from memory
//! ([`raw`]), FTS5 ([`fts`])), then one server process serves both
//! Florilège's API and the FTS5 endpoint ([`serve`]) to a load generator
//! in its own process ([`load`]) sending the query mix ([`queries`]).

pub mod corpus;
pub mod fts;
pub mod indexing;
pub mod load;
pub mod orchestrate;
pub mod queries;
pub mod raw;
pub mod report;
pub mod rng;
pub mod serve;
