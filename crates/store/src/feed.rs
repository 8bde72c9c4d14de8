//! The change feed: every write that changes what search shows appends an entry; indexers read it from a cursor.
//!
//! Entries are ordered by `(txid, id)`. On SQLite writers are serialised, so
//! ids are assigned in commit order and `txid` is always 0. On PostgreSQL ids
//! are assigned at insert time, not at commit time, so a transaction that
//! commits late could leave a hole below entries already read. Each entry
//! therefore records its writing transaction's id (`pg_current_xact_id()`),
//! and a reader only returns entries whose transaction id is below the
//! `xmin` of its own snapshot: every transaction below `xmin` has ended, so
//! no entry can ever appear below the cursor once it has passed.
//!
//! The price: `xmin` is server-wide, so any transaction left open on the
//! PostgreSQL server, even in another database, delays (never loses) the
//! feed until it ends. Set `idle_in_transaction_session_timeout` on shared
//! servers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::QueryBuilder;

use crate::db::{Backend, Store, Tx};
use crate::error::Result;

/// What kind of row changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Entity {
    Video,
    Channel,
    Playlist,
    Account,
    /// Every document of an instance (status, block, purge).
    Instance,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Video => "video",
            Entity::Channel => "channel",
            Entity::Playlist => "playlist",
            Entity::Account => "account",
            Entity::Instance => "instance",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "video" => Entity::Video,
            "channel" => Entity::Channel,
            "playlist" => Entity::Playlist,
            "account" => Entity::Account,
            "instance" => Entity::Instance,
            _ => return None,
        })
    }
}

/// A position in the feed: everything up to and including it has been read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FeedCursor {
    pub txid: i64,
    pub id: i64,
}

/// One change: the row `entity_id` of `entity` must be re-read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeEntry {
    pub cursor: FeedCursor,
    pub entity: Entity,
    pub entity_id: i64,
    pub changed_at: DateTime<Utc>,
}

/// A batch read from the feed, and the cursor to read the next one from.
#[derive(Clone, Debug, Default)]
pub struct FeedBatch {
    pub entries: Vec<ChangeEntry>,
    pub next: FeedCursor,
}

impl Store {
    /// Reads up to `limit` committed entries after `after`, in feed order.
    pub async fn read_feed(&self, after: FeedCursor, limit: i64) -> Result<FeedBatch> {
        let settled = settled(self.backend());
        let sql = format!(
            "SELECT txid, id, entity, entity_id, changed_at FROM change_feed \
             WHERE (txid > $1 OR (txid = $1 AND id > $2)) AND {settled} ORDER BY txid, id LIMIT $3"
        );
        let rows: Vec<(i64, i64, String, i64, DateTime<Utc>)> = on_pool!(&self.read, p => {
            sqlx::query_as(&sql).bind(after.txid).bind(after.id).bind(limit).fetch_all(p).await?
        });
        let mut batch = FeedBatch {
            entries: Vec::with_capacity(rows.len()),
            next: after,
        };
        for (txid, id, entity, entity_id, changed_at) in rows {
            let cursor = FeedCursor { txid, id };
            batch.next = cursor;
            match Entity::parse(&entity) {
                Some(entity) => batch.entries.push(ChangeEntry {
                    cursor,
                    entity,
                    entity_id,
                    changed_at,
                }),
                None => tracing::warn!(feed.id = id, entity, "skipping change of unknown entity"),
            }
        }
        Ok(batch)
    }

    /// The newest entry's position, committed or not: how far the feed goes.
    pub async fn feed_head(&self) -> Result<FeedCursor> {
        const SQL: &str = "SELECT txid, id FROM change_feed ORDER BY txid DESC, id DESC LIMIT 1";
        let row: Option<(i64, i64)> =
            on_pool!(&self.read, p => sqlx::query_as(SQL).fetch_optional(p).await?);
        Ok(row.map_or_else(FeedCursor::default, |(txid, id)| FeedCursor { txid, id }))
    }

    /// The newest *settled* entry: no entry can ever appear at or below it.
    /// On SQLite this is the head (writers are serialised); on PostgreSQL it
    /// is bounded by the oldest transaction still running on the server, like
    /// what [`Store::read_feed`] returns. An indexer whose cursor reached it
    /// has applied everything settled; to wait for one's own writes, wait
    /// until it reaches the [`Store::feed_head`] read after they committed.
    pub async fn feed_settled_head(&self) -> Result<FeedCursor> {
        let sql = format!(
            "SELECT txid, id FROM change_feed WHERE {} ORDER BY txid DESC, id DESC LIMIT 1",
            settled(self.backend())
        );
        let row: Option<(i64, i64)> =
            on_pool!(&self.read, p => sqlx::query_as(&sql).fetch_optional(p).await?);
        Ok(row.map_or_else(FeedCursor::default, |(txid, id)| FeedCursor { txid, id }))
    }

    /// The stored cursor of a consumer (an index replica), or the start of the feed.
    pub async fn feed_cursor(&self, consumer: &str) -> Result<FeedCursor> {
        const SQL: &str = "SELECT txid, feed_id FROM feed_cursors WHERE consumer = $1";
        let row: Option<(i64, i64)> =
            on_pool!(&self.read, p => sqlx::query_as(SQL).bind(consumer).fetch_optional(p).await?);
        Ok(row.map_or_else(FeedCursor::default, |(txid, id)| FeedCursor { txid, id }))
    }

    /// Stores a consumer's cursor (after its index committed what it read).
    pub async fn save_feed_cursor(&self, consumer: &str, cursor: FeedCursor) -> Result<()> {
        const SQL: &str = "INSERT INTO feed_cursors (consumer, txid, feed_id, updated_at) \
            VALUES ($1, $2, $3, $4) ON CONFLICT (consumer) DO UPDATE SET txid = excluded.txid, \
            feed_id = excluded.feed_id, updated_at = excluded.updated_at";
        on_pool!(&self.write, p => {
            sqlx::query(SQL)
                .bind(consumer)
                .bind(cursor.txid)
                .bind(cursor.id)
                .bind(crate::model::now())
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// Appends changes in their own transaction (for writes made elsewhere, e.g. blocks).
    pub async fn append_changes(&self, changes: &[(Entity, i64)]) -> Result<()> {
        let mut tx = self.begin().await?;
        append_changes(&mut tx, changes, crate::model::now()).await?;
        tx.commit().await
    }
}

/// The condition on entries that no transaction can add below any more (see the module doc).
fn settled(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "TRUE",
        Backend::Postgres => "txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
    }
}

/// Appends entries inside the caller's transaction, so they commit with the change.
pub(crate) async fn append_changes(
    tx: &mut Tx,
    changes: &[(Entity, i64)],
    changed_at: DateTime<Utc>,
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    match tx {
        // One array per column: the same statement, and the same planning,
        // whatever the number of entries (see `videos::PushIn`).
        Tx::Postgres(c) => {
            let (entities, ids): (Vec<&str>, Vec<i64>) = changes
                .iter()
                .map(|(entity, id)| (entity.as_str(), *id))
                .unzip();
            sqlx::query(
                "INSERT INTO change_feed (entity, entity_id, changed_at) \
                 SELECT entity, entity_id, $3 FROM unnest($1::text[], $2::bigint[]) \
                 AS u(entity, entity_id)",
            )
            .bind(entities)
            .bind(ids)
            .bind(changed_at)
            .execute(&mut **c)
            .await?;
        }
        Tx::Sqlite(c) => {
            for chunk in changes.chunks(1000) {
                let mut query =
                    QueryBuilder::new("INSERT INTO change_feed (entity, entity_id, changed_at) ");
                query.push_values(chunk, |mut row, (entity, id)| {
                    row.push_bind(entity.as_str())
                        .push_bind(*id)
                        .push_bind(changed_at);
                });
                query.build().execute(&mut **c).await?;
            }
        }
    }
    Ok(())
}
