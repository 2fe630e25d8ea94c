//! The local-folder blob store: one file per blob, written through a
//! temporary file and renamed into place.

use std::{
    io::{self, SeekFrom},
    ops::Range,
    path::{Path, PathBuf},
    time::SystemTime,
};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use tokio::{
    fs::{self, File},
    io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt},
};
use tokio_util::io::ReaderStream;

use crate::{BlobError, BlobKey, BlobStore, ByteStream};

/// Folder under the root that holds blobs still being written.
const INCOMPLETE_DIR: &str = "incomplete";

/// Size of the buffer a download reads the file with.
const READ_BUFFER: usize = 64 * 1024;

/// Blobs as files below a root folder.
#[derive(Debug)]
pub struct FsBlobStore {
    root: PathBuf,
}

impl FsBlobStore {
    /// Opens (and creates when missing) the folder `root`.
    pub async fn open(root: impl Into<PathBuf>) -> Result<FsBlobStore, BlobError> {
        let root = root.into();
        private_dir(&root.join(INCOMPLETE_DIR))
            .await
            .map_err(BlobError::Storage)?;
        Ok(FsBlobStore { root })
    }

    fn path_of(&self, key: &BlobKey) -> PathBuf {
        self.root.join(key.as_str())
    }

    /// Writes what `fill` produces to a temporary file, then moves it to
    /// `key`. The temporary file is removed on every failure path, including
    /// a dropped future.
    async fn write_atomically<F>(&self, key: &BlobKey, fill: F) -> Result<u64, BlobError>
    where
        F: AsyncFnOnce(&mut File) -> Result<u64, BlobError>,
    {
        let temp = TempFile::new(
            self.root
                .join(INCOMPLETE_DIR)
                .join(uuid::Uuid::new_v4().to_string()),
        );
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp.path)
            .await
            .map_err(BlobError::Storage)?;
        let written = fill(&mut file).await?;
        file.flush().await.map_err(BlobError::Storage)?;
        file.sync_all().await.map_err(BlobError::Storage)?;
        drop(file);

        let target = self.path_of(key);
        let parent = target.parent().unwrap_or(&self.root).to_owned();
        private_dir(&parent).await.map_err(BlobError::Storage)?;
        fs::rename(&temp.path, &target)
            .await
            .map_err(BlobError::Storage)?;
        temp.disarm();
        sync_dir(parent).await;
        Ok(written)
    }
    /// Joins `parts` into one new blob `dest` and returns its length.
    async fn join(&self, dest: &BlobKey, parts: &[(BlobKey, u64)]) -> Result<u64, BlobError> {
        let sources: Vec<(PathBuf, &BlobKey)> = parts
            .iter()
            .map(|(part, _)| (self.path_of(part), part))
            .collect();
        self.write_atomically(dest, async move |file: &mut File| {
            let mut written = 0u64;
            for (source, part) in &sources {
                let mut input = File::open(source).await.map_err(|err| match err.kind() {
                    io::ErrorKind::NotFound => BlobError::NotFound((*part).clone()),
                    _ => BlobError::Storage(err),
                })?;
                written += tokio::io::copy(&mut input, file)
                    .await
                    .map_err(BlobError::Storage)?;
            }
            Ok(written)
        })
        .await
    }
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn put(&self, key: &BlobKey, mut data: ByteStream) -> Result<u64, BlobError> {
        self.write_atomically(key, async move |file: &mut File| {
            let mut written = 0u64;
            while let Some(piece) = data.next().await {
                let piece = piece.map_err(BlobError::Source)?;
                file.write_all(&piece).await.map_err(BlobError::Storage)?;
                written += piece.len() as u64;
            }
            Ok(written)
        })
        .await
    }

    async fn get(&self, key: &BlobKey, range: Option<Range<u64>>) -> Result<ByteStream, BlobError> {
        let mut file = File::open(self.path_of(key))
            .await
            .map_err(|err| match err.kind() {
                io::ErrorKind::NotFound => BlobError::NotFound(key.clone()),
                _ => BlobError::Storage(err),
            })?;
        let stream = match range {
            None => ReaderStream::with_capacity(file, READ_BUFFER).boxed(),
            Some(range) => {
                file.seek(SeekFrom::Start(range.start))
                    .await
                    .map_err(BlobError::Storage)?;
                let limited = file.take(range.end.saturating_sub(range.start));
                ReaderStream::with_capacity(limited, READ_BUFFER).boxed()
            }
        };
        Ok(stream)
    }

    async fn assemble(
        &self,
        dest: &BlobKey,
        parts: &[(BlobKey, u64)],
    ) -> Result<Vec<(BlobKey, u64)>, BlobError> {
        let size = self.join(dest, parts).await?;
        Ok(vec![(dest.clone(), size)])
    }
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        match fs::remove_file(self.path_of(key)).await {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(BlobError::Storage(err)),
        }
    }

    async fn list_older_than(&self, cutoff: DateTime<Utc>) -> Result<Vec<BlobKey>, BlobError> {
        let mut keys = Vec::new();
        let mut dirs = fs::read_dir(&self.root).await.map_err(BlobError::Storage)?;
        while let Some(dir) = dirs.next_entry().await.map_err(BlobError::Storage)? {
            let prefix = dir.file_name().to_string_lossy().into_owned();
            if prefix == INCOMPLETE_DIR
                || !dir.file_type().await.map_err(BlobError::Storage)?.is_dir()
            {
                continue;
            }
            for (name, _) in entries_older_than(&dir.path(), cutoff).await? {
                // A file that is no key of ours is left alone.
                if let Ok(key) = BlobKey::parse(&format!("{prefix}/{name}")) {
                    keys.push(key);
                }
            }
        }
        Ok(keys)
    }

    async fn purge_incomplete(&self, cutoff: DateTime<Utc>) -> Result<u64, BlobError> {
        let mut removed = 0;
        for (_, path) in entries_older_than(&self.root.join(INCOMPLETE_DIR), cutoff).await? {
            match fs::remove_file(&path).await {
                Ok(()) => removed += 1,
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => return Err(BlobError::Storage(err)),
            }
        }
        Ok(removed)
    }

    async fn check(&self) -> Result<(), BlobError> {
        let probe = self
            .root
            .join(INCOMPLETE_DIR)
            .join(format!("probe-{}", uuid::Uuid::new_v4()));
        fs::write(&probe, b"").await.map_err(BlobError::Storage)?;
        fs::remove_file(&probe).await.map_err(BlobError::Storage)
    }
}

/// Creates a folder and its parents, readable by the owner only: blobs are
/// the users' files.
async fn private_dir(path: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .await
}

/// Regular files of `dir` last modified before `cutoff`, as (name, path).
async fn entries_older_than(
    dir: &Path,
    cutoff: DateTime<Utc>,
) -> Result<Vec<(String, PathBuf)>, BlobError> {
    let cutoff = SystemTime::from(cutoff);
    let mut found = Vec::new();
    let mut entries = match fs::read_dir(dir).await {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(found),
        Err(err) => return Err(BlobError::Storage(err)),
    };
    while let Some(entry) = entries.next_entry().await.map_err(BlobError::Storage)? {
        let Ok(metadata) = entry.metadata().await else {
            continue;
        };
        let modified = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if metadata.is_file() && modified < cutoff {
            found.push((
                entry.file_name().to_string_lossy().into_owned(),
                entry.path(),
            ));
        }
    }
    Ok(found)
}

/// Makes a rename durable. A failure only weakens durability, so it is
/// logged, not returned.
async fn sync_dir(dir: PathBuf) {
    let result = tokio::task::spawn_blocking(move || std::fs::File::open(&dir)?.sync_all()).await;
    if let Ok(Err(err)) = result {
        tracing::warn!(error = %err, "syncing a blob folder failed");
    }
}

/// A temporary file removed on drop unless disarmed.
struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl TempFile {
    fn new(path: PathBuf) -> TempFile {
        TempFile { path, armed: true }
    }

    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            // Best effort: the cleanup task removes whatever this misses.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use futures_util::{TryStreamExt, stream};

    use super::*;

    fn bytes_stream(pieces: Vec<&'static [u8]>) -> ByteStream {
        stream::iter(pieces.into_iter().map(|p| Ok(Bytes::from_static(p)))).boxed()
    }

    async fn read_all(store: &FsBlobStore, key: &BlobKey, range: Option<Range<u64>>) -> Vec<u8> {
        let pieces: Vec<Bytes> = store
            .get(key, range)
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        pieces.concat()
    }

    #[tokio::test]
    async fn put_get_and_ranges() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path()).await.unwrap();
        let key = BlobKey::new_content();
        let len = store
            .put(&key, bytes_stream(vec![b"hello ", b"world"]))
            .await
            .unwrap();
        assert_eq!(len, 11);
        assert_eq!(read_all(&store, &key, None).await, b"hello world");
        assert_eq!(read_all(&store, &key, Some(6..11)).await, b"world");
        assert_eq!(read_all(&store, &key, Some(0..1)).await, b"h");
    }

    #[tokio::test]
    async fn a_failing_source_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path()).await.unwrap();
        let key = BlobKey::new_chunk();
        let failing = stream::iter(vec![
            Ok(Bytes::from_static(b"partial")),
            Err(io::Error::other("client went away")),
        ])
        .boxed();
        let err = store.put(&key, failing).await.unwrap_err();
        assert!(matches!(err, BlobError::Source(_)));
        assert!(matches!(
            store.get(&key, None).await,
            Err(BlobError::NotFound(_))
        ));
        let leftovers = std::fs::read_dir(dir.path().join(INCOMPLETE_DIR))
            .unwrap()
            .count();
        assert_eq!(leftovers, 0);
    }

    #[tokio::test]
    async fn join_concatenates_in_the_given_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path()).await.unwrap();
        let (a, b) = (BlobKey::new_chunk(), BlobKey::new_chunk());
        store.put(&a, bytes_stream(vec![b"first-"])).await.unwrap();
        store.put(&b, bytes_stream(vec![b"second"])).await.unwrap();
        let joined = BlobKey::new_content();
        let parts = store
            .assemble(&joined, &[(b.clone(), 6), (a.clone(), 6)])
            .await
            .unwrap();
        assert_eq!(parts, vec![(joined.clone(), 12)]);
        assert_eq!(read_all(&store, &joined, None).await, b"secondfirst-");
    }

    #[tokio::test]
    async fn listing_and_deleting() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path()).await.unwrap();
        let key = BlobKey::new_chunk();
        store.put(&key, bytes_stream(vec![b"x"])).await.unwrap();
        let future = Utc::now() + chrono::Duration::seconds(60);
        assert_eq!(
            store.list_older_than(future).await.unwrap(),
            vec![key.clone()]
        );
        let past = Utc::now() - chrono::Duration::seconds(60);
        assert!(store.list_older_than(past).await.unwrap().is_empty());
        store.delete(&key).await.unwrap();
        store.delete(&key).await.unwrap();
        assert!(store.list_older_than(future).await.unwrap().is_empty());
        store.check().await.unwrap();
    }
}
