//! Florilège's source of truth: domain types and database access on SQLite or PostgreSQL.
//!
//! One portable SQL code path serves both backends: every query is written
//! once with `$1` placeholders and run through [`on_pool!`]/[`on_tx!`], which
//! type-check it against each driver. The few statements a backend needs for
//! itself live in [`feed`] (reading the change feed safely on PostgreSQL).

#[macro_use]
mod db;
mod address;
mod audit;
pub mod backup;
mod blocks;
mod crawl_state;
mod documents;
mod error;
pub mod feed;
mod images;
mod instances;
mod leases;
pub mod model;
mod paging;
pub mod passwords;
mod playlist_documents;
mod playlists;
pub mod portable;
mod portable_import;
mod purge;
mod removals;
mod runs;
mod selection_items;
mod selection_revisions;
mod selections;
mod sessions;
mod settings;
mod slugs;
mod submissions;
mod themes;
mod user_admin;
mod users;
mod videos;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use address::{AddressError, InstanceAddress, is_public_ip};
pub use audit::{AuditEntry, AuditFilter};
pub use backup::{Contents, Restored};
pub use blocks::{Block, NewBlock, normalize_block_target};
pub use crawl_state::{CrawlEnd, CrawlOutcome};
pub use db::{Backend, Store, StoreConfig, redact_url};
pub use documents::{ActorSummary, ChannelDocument, VideoDocument, VideoOwner};
pub use error::EditConflict;
pub use error::{Result, StoreError};
pub use feed::{ChangeEntry, Entity, FeedBatch, FeedCursor};
pub use images::{
    AVATAR_WIDTH, CachedImage, EVICTED, ImageFile, ImageFileSize, ImageKind, WantedImage,
    avatar_source_url, image_file_path, image_source_url, preferred_avatar,
};
pub use instances::{InstanceIdentity, NewInstance};
pub use leases::Lease;
pub use model::*;
pub use paging::{Page, Paging};
pub use passwords::{hash_password, verify_password};
pub use playlist_documents::PlaylistDocument;
pub use playlists::{Playlist, PlaylistRecord};
pub use portable::{PortableItem, PortableSelection, PortableTheme, Showcase, VideoRef};
pub use portable_import::{ImportOptions, ImportReport, MissingVideo};
pub use purge::PurgeReport;
pub use removals::{NewRemovalRequest, RemovalRequest};
pub use runs::{CrawlDay, CrawlRun, CrawlRunCounters};
pub use selection_items::{BrokenReason, EditorItem, PublicItem, SelectionItem};
pub use selection_revisions::{Revision, SelectionSnapshot, SnapshotItem};
pub use selections::{NewSelection, PublicOrder, Selection, SelectionCard, SelectionEdit};
pub use sessions::{CreatedSession, NewSession, SessionUser};
pub use settings::{
    ABOUT_TEXT_PREFIX, DEFAULT_NSFW_API, DEFAULT_NSFW_POLICY_SITE, NSFW_DEFAULT_API,
    NSFW_POLICY_SITE,
};
pub use slugs::{MAX_SLUG_LEN, slugify, validate_slug};
pub use submissions::{NewSubmission, Submission};
pub use themes::{Theme, ThemeInput};
pub use users::NewUser;
pub use videos::{
    AccountRecord, ChannelDetails, ChannelRecord, KnownVideo, PageRecords, UpsertSummary,
    VideoDetails, VideoRecord,
};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_backup;
#[cfg(test)]
mod tests_editorial;
#[cfg(test)]
mod tests_images;
#[cfg(test)]
mod tests_leases;
#[cfg(test)]
mod tests_playlists;
#[cfg(test)]
mod tests_portable;
