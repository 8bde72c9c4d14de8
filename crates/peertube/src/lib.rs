//! Typed models and an async client for the PeerTube REST API.
//!
//! Knows nothing of any particular application. Remote answers are treated as
//! hostile: bodies are read as a stream under a size cap, only JSON is
//! accepted, identity fields are strict and everything else is lenient (a
//! null or ill-typed field becomes its default), and one bad item in a page
//! is skipped and reported without losing the rest ([`decode_page`]).
//!
//! Strings are kept exactly as sent, with no length cap other than the body
//! cap ([`ClientOptions::max_body_bytes`]): escaping and sanitising them is
//! the caller's job.
//!
//! ```no_run
//! # async fn crawl() -> Result<(), peertube::Error> {
//! let http = reqwest::Client::new();
//! let base = url::Url::parse("https://video.example").expect("valid URL");
//! let client = peertube::Client::new(http, base)?;
//! let page = client.videos(&peertube::VideoListQuery::page(0)).await?;
//! for video in &page.value.items {
//!     let _local = video.is_local_to(&client.host());
//! }
//! # Ok(()) }
//! ```

pub mod account;
mod body;
pub mod channel;
pub mod client;
pub mod common;
pub mod error;
pub mod follow;
pub mod instance;
mod lenient;
pub mod nodeinfo;
pub mod page;
pub mod playlist;
pub mod problem;
pub mod query;
pub mod ratelimit;
pub mod video;

pub use account::Account;
pub use channel::VideoChannel;
pub use client::{Client, ClientOptions, DEFAULT_MAX_BODY_BYTES, Fetched, Labels};
pub use common::{ActorImage, Thumbnail, VideoConstant};
pub use error::{DecodeError, Error};
pub use follow::ServerFollow;
pub use instance::{About, AboutInstance, ServerConfig, ServerStats};
pub use nodeinfo::{NodeInfo, NodeInfoLinks};
pub use page::{LenientPage, Page, SkippedItem, decode, decode_page};
pub use playlist::VideoPlaylist;
pub use problem::Problem;
pub use query::{ListQuery, MAX_COUNT, NsfwFilter, VideoListQuery};
pub use ratelimit::RateLimit;
pub use video::{NsfwFlags, Video, VideoDetails, VideoExtras};
