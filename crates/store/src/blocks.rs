//! Moderation blocks of an instance, account, channel or video, applied to search through the change feed.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::{Store, Tx};
use crate::error::{Result, StoreError};
use crate::feed::{Entity, append_changes};
use crate::model::{BlockKind, now};

/// A block as stored.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Block {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub kind: BlockKind,
    /// `host` for an instance, `name@host` for an account or channel, the uuid for a video.
    pub target: String,
    pub reason: String,
    /// The blocklist it came from; `None` for a manual block.
    pub source: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// A block to add.
#[derive(Clone, Debug)]
pub struct NewBlock<'a> {
    pub kind: BlockKind,
    pub target: &'a str,
    pub reason: &'a str,
    pub source: Option<&'a str>,
    pub created_by: Option<i64>,
}

/// Lower-cases the host part and checks the shape of a block target.
pub fn normalize_block_target(kind: BlockKind, target: &str) -> Result<String> {
    let target = target.trim().trim_start_matches('@');
    let invalid = |message: &str| StoreError::Invalid {
        field: "block target",
        message: message.into(),
    };
    match kind {
        BlockKind::Instance if !target.is_empty() && !target.contains(['@', '/', ' ']) => {
            Ok(target.to_ascii_lowercase())
        }
        BlockKind::Instance => Err(invalid(
            "an instance is blocked by its host, e.g. video.example",
        )),
        BlockKind::Account | BlockKind::Channel => match target.rsplit_once('@') {
            Some((name, host)) if !name.is_empty() && !host.is_empty() => {
                Ok(format!("{name}@{}", host.to_ascii_lowercase()))
            }
            _ => Err(invalid("an account or channel is blocked as name@host")),
        },
        BlockKind::Video if !target.is_empty() && !target.contains([' ', '/']) => {
            Ok(target.to_ascii_lowercase())
        }
        BlockKind::Video => Err(invalid("a video is blocked by its uuid")),
    }
}

const COLUMNS: &str = "id, kind, target, reason, source, created_by, created_at";

impl Store {
    /// Adds a block (or returns the existing one) and queues the re-indexing
    /// of what it hides. The boolean tells whether it was created.
    pub async fn add_block(&self, new: &NewBlock<'_>) -> Result<(Block, bool)> {
        let target = normalize_block_target(new.kind, new.target)?;
        let mut tx = self.begin().await?;
        let at = now();
        let sql = format!(
            "INSERT INTO blocks (kind, target, reason, source, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (kind, target) DO NOTHING RETURNING {COLUMNS}"
        );
        let created: Option<Block> = on_tx!(&mut tx, c => {
            sqlx::query_as(&sql)
                .bind(new.kind.as_str())
                .bind(&target)
                .bind(new.reason)
                .bind(new.source)
                .bind(new.created_by)
                .bind(at)
                .fetch_optional(&mut **c)
                .await?
        });
        let Some(block) = created else {
            drop(tx);
            let existing = self
                .block(new.kind, &target)
                .await?
                .ok_or(StoreError::NotFound("block"))?;
            return Ok((existing, false));
        };
        queue_affected(&mut tx, new.kind, &target, at).await?;
        tx.commit().await?;
        Ok((block, true))
    }

    /// Removes a block; what it hid comes back to search.
    pub async fn remove_block(&self, kind: BlockKind, target: &str) -> Result<bool> {
        let target = normalize_block_target(kind, target)?;
        let mut tx = self.begin().await?;
        let removed = on_tx!(&mut tx, c => {
            sqlx::query("DELETE FROM blocks WHERE kind = $1 AND target = $2")
                .bind(kind.as_str())
                .bind(&target)
                .execute(&mut **c)
                .await?
                .rows_affected()
        });
        if removed > 0 {
            queue_affected(&mut tx, kind, &target, now()).await?;
        }
        tx.commit().await?;
        Ok(removed > 0)
    }

    /// One block.
    pub async fn block(&self, kind: BlockKind, target: &str) -> Result<Option<Block>> {
        let sql = format!("SELECT {COLUMNS} FROM blocks WHERE kind = $1 AND target = $2");
        Ok(on_pool!(&self.read, p => {
            sqlx::query_as(&sql).bind(kind.as_str()).bind(target).fetch_optional(p).await?
        }))
    }

    /// All blocks, newest first.
    pub async fn list_blocks(&self) -> Result<Vec<Block>> {
        let sql = format!("SELECT {COLUMNS} FROM blocks ORDER BY created_at DESC, id DESC");
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).fetch_all(p).await?))
    }
}

/// Appends feed entries for the rows a block target covers.
async fn queue_affected(
    tx: &mut Tx,
    kind: BlockKind,
    target: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let (entity, sql) = match kind {
        BlockKind::Instance => (Entity::Instance, "SELECT id FROM instances WHERE host = $1"),
        BlockKind::Channel => (
            Entity::Channel,
            "SELECT c.id FROM channels c JOIN instances i ON i.id = c.instance_id \
             WHERE c.name || '@' || i.host = $1",
        ),
        BlockKind::Account => (
            Entity::Account,
            "SELECT a.id FROM accounts a JOIN instances i ON i.id = a.instance_id \
             WHERE a.name || '@' || i.host = $1",
        ),
        BlockKind::Video => (Entity::Video, "SELECT id FROM videos WHERE uuid = $1"),
    };
    let ids: Vec<i64> =
        on_tx!(tx, c => sqlx::query_scalar(sql).bind(target).fetch_all(&mut **c).await?);
    let changes: Vec<_> = ids.into_iter().map(|id| (entity, id)).collect();
    append_changes(tx, &changes, at).await
}
