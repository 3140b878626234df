//! Encrypted blobs on the local file system, one folder per document.
//!
//! Blobs are written (and fsynced) before the database transaction that references them
//! commits, so a committed document always has its blobs; a crash in between leaves orphan
//! files with no row, which [`Blobs::sweep`] removes at start-up.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::StoreError;

/// The blob folder.
#[derive(Debug, Clone)]
pub struct Blobs {
    dir: PathBuf,
}

impl Blobs {
    /// Blobs under `dir` (created if missing).
    pub fn open(dir: PathBuf) -> Result<Self, StoreError> {
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    fn doc_dir(&self, doc_id: &str) -> PathBuf {
        self.dir.join(doc_id)
    }

    /// Writes blob `what` of a document atomically (temporary file, fsync, rename, fsync dir).
    pub fn put(&self, doc_id: &str, what: &str, sealed: &[u8]) -> Result<(), StoreError> {
        let dir = self.doc_dir(doc_id);
        std::fs::create_dir_all(&dir)?;
        let tmp = dir.join(format!(".{what}.tmp"));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(sealed)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(what))?;
        sync_dir(&dir)?;
        sync_dir(&self.dir)
    }

    /// Reads blob `what` of a document.
    pub fn get(&self, doc_id: &str, what: &str) -> Result<Vec<u8>, StoreError> {
        Ok(std::fs::read(self.doc_dir(doc_id).join(what))?)
    }

    /// Removes every blob of a document (after its key is destroyed; best effort is enough
    /// because what remains cannot be decrypted).
    pub fn remove(&self, doc_id: &str) -> Result<(), StoreError> {
        match std::fs::remove_dir_all(self.doc_dir(doc_id)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Document ids that have a blob folder.
    pub fn ids(&self) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                out.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        Ok(out)
    }

    /// Removes blob folders of documents that `keep` does not know (orphans of a crash).
    pub fn sweep(&self, keep: &std::collections::HashSet<String>) -> Result<usize, StoreError> {
        let mut removed = 0;
        for id in self.ids()? {
            if !keep.contains(&id) {
                self.remove(&id)?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}
