//! The index directory: generations side by side, a `current` pointer swapped by rename, and the commit payload.
//!
//! ```text
//! <root>/current          the name of the live generation (replaced atomically)
//! <root>/gen-<millis>/    one complete Tantivy index each
//! ```
//!
//! A rebuild fills a new generation, then renames a new `current` over the
//! old one: readers and the indexer notice and switch. Each commit carries
//! a [`CommitPayload`] with the feed cursor it covers, so an index and its
//! cursor can never disagree.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use store::FeedCursor;
use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexSettings};

use crate::analyzers;
use crate::error::{IndexError, Result};
use crate::schema::{SCHEMA_VERSION, build_schema};

const POINTER: &str = "current";
const GENERATION_PREFIX: &str = "gen-";

/// What each commit records beside its documents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitPayload {
    /// Every feed entry up to here is in the index.
    pub cursor: FeedCursor,
    pub schema_version: u32,
}

impl CommitPayload {
    /// The payload of a commit at `cursor` with this build's schema.
    pub fn at(cursor: FeedCursor) -> Self {
        Self {
            cursor,
            schema_version: SCHEMA_VERSION,
        }
    }

    /// Whether the commit was made by an index of this build's schema.
    pub fn is_current_schema(self) -> bool {
        self.schema_version == SCHEMA_VERSION
    }

    pub(crate) fn to_json(self) -> String {
        serde_json::to_string(&self).unwrap_or_default()
    }

    /// The payload of an index's last commit (`None` before the first one).
    pub fn of(index: &Index) -> Result<Option<Self>> {
        let metas = index.load_metas()?;
        metas
            .payload
            .map(|json| serde_json::from_str(&json).map_err(|e| IndexError::Payload(e.to_string())))
            .transpose()
    }
}

/// The root directory of an index replica.
#[derive(Clone, Debug)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// The layout under `root` (created if missing).
    pub fn new(root: impl AsRef<Path>) -> Result<Self> {
        let root = root.as_ref().to_path_buf();
        fs::create_dir_all(&root)?;
        Ok(Self { root })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The name of the live generation, if any.
    pub fn current(&self) -> Result<Option<String>> {
        match fs::read_to_string(self.root.join(POINTER)) {
            Ok(name) => {
                let name = name.trim().to_owned();
                Ok((!name.is_empty()).then_some(name))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// The directory of a generation.
    pub fn path(&self, generation: &str) -> PathBuf {
        self.root.join(generation)
    }

    /// Creates an empty directory for a new generation.
    pub fn new_generation(&self) -> Result<String> {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        for attempt in 0..1000u32 {
            let name = format!("{GENERATION_PREFIX}{millis}-{attempt}");
            match fs::create_dir(self.path(&name)) {
                Ok(()) => return Ok(name),
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(IndexError::Open {
            path: self.root.display().to_string(),
            message: "cannot name a new generation".into(),
        })
    }

    /// Makes `generation` the live one: write a temporary pointer, fsync, rename over `current`.
    pub fn publish(&self, generation: &str) -> Result<()> {
        let temporary = self.root.join(format!("{POINTER}.tmp"));
        let mut file = fs::File::create(&temporary)?;
        file.write_all(generation.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temporary, self.root.join(POINTER))?;
        if let Ok(dir) = fs::File::open(&self.root) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    /// Generation directories other than the live one.
    pub fn stale_generations(&self) -> Result<Vec<String>> {
        let current = self.current()?;
        let mut stale = Vec::new();
        for entry in fs::read_dir(&self.root)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if name.starts_with(GENERATION_PREFIX) && Some(&name) != current.as_ref() {
                stale.push(name);
            }
        }
        Ok(stale)
    }

    /// Removes a generation directory (never the live one).
    pub fn remove(&self, generation: &str) -> Result<()> {
        if self.current()?.as_deref() == Some(generation) {
            return Ok(());
        }
        match fs::remove_dir_all(self.path(generation)) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

/// Opens the index of a generation, with Florilège's analyzers registered.
pub fn open_index(path: &Path) -> Result<Index> {
    let directory = MmapDirectory::open(path).map_err(|error| IndexError::Open {
        path: path.display().to_string(),
        message: error.to_string(),
    })?;
    let index = Index::open(directory)?;
    analyzers::register(index.tokenizers());
    Ok(index)
}

/// The document store's block size. A result's document costs one block's
/// decompression; Tantivy's default of 16 KiB holds about eight documents,
/// seven of them decompressed for nothing.
const DOCSTORE_BLOCK_BYTES: usize = 4096;

/// Creates an empty index with this build's schema in an empty directory.
pub fn create_index(path: &Path) -> Result<Index> {
    let settings = IndexSettings {
        docstore_blocksize: DOCSTORE_BLOCK_BYTES,
        ..IndexSettings::default()
    };
    let index = Index::builder()
        .schema(build_schema())
        .settings(settings)
        .create_in_dir(path)?;
    analyzers::register(index.tokenizers());
    Ok(index)
}
