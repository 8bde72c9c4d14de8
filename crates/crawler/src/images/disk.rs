//! The cache's files on disk: content-addressed paths, atomic writes, removals.

use std::path::Path;

use tokio::io::AsyncWriteExt;

/// Writes `bytes` to `path` through a synced temporary file and a rename, so
/// that a reader never sees a partial file. `false` when it already existed.
pub(super) async fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    if tokio::fs::try_exists(path).await? {
        return Ok(false);
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    tokio::fs::create_dir_all(dir).await?;
    let temp = dir.join(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
    let written = async {
        let mut file = tokio::fs::File::create(&temp).await?;
        file.write_all(bytes).await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&temp, path).await
    }
    .await;
    if written.is_err() {
        let _ = tokio::fs::remove_file(&temp).await;
    }
    written.map(|()| true)
}

pub(super) async fn remove_file(path: &Path) {
    match tokio::fs::remove_file(path).await {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "cannot remove an evicted image");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn written_files_are_whole_and_written_once() {
        let dir = std::env::temp_dir().join(format!("florilege-images-{}", uuid::Uuid::new_v4()));
        let path = store::image_file_path(&dir, &"c".repeat(64)).unwrap();
        assert!(write_atomically(&path, b"first").await.unwrap());
        assert!(!write_atomically(&path, b"second").await.unwrap());
        assert_eq!(tokio::fs::read(&path).await.unwrap(), b"first");
        let leftovers = std::fs::read_dir(path.parent().unwrap()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
