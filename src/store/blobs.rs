//! Encrypted blobs in the database, one row per (document, name).
//!
//! Blobs commit in the same transaction as the document that owns them, so a committed
//! document always has its content and a crash leaves nothing half-written; every server and
//! worker that reaches the database reaches the blobs. The data is sealed with the document's
//! key before it gets here: the database never sees plaintext.

use std::path::Path;

use sqlx::Row;

use super::{Store, StoreError, WriteTx};

impl WriteTx {
    /// Stores (or replaces) blob `name` of a document in this transaction.
    pub async fn put_blob(&mut self, doc_id: &str, name: &str, sealed: &[u8]) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO blobs (document_id, name, data) VALUES ($1, $2, $3) \
             ON CONFLICT (document_id, name) DO UPDATE SET data = excluded.data",
        )
        .bind(doc_id)
        .bind(name)
        .bind(sealed)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

impl Store {
    /// Reads blob `name` of a document; `None` when it does not exist.
    pub async fn get_blob(&self, doc_id: &str, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query("SELECT data FROM blobs WHERE document_id = $1 AND name = $2")
            .bind(doc_id)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    /// Moves blobs that an earlier version kept as files (`<data_dir>/blobs/<id>/<name>`) into
    /// the database, then removes the folder. Files of documents without a live row (crash
    /// orphans, erased documents) are dropped: they were never committed or are unreadable.
    pub(super) async fn import_file_blobs(&self, dir: &Path) -> Result<(), StoreError> {
        if !dir.is_dir() {
            return Ok(());
        }
        let (mut imported, mut dropped) = (0usize, 0usize);
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if !entry.file_type()?.is_dir() {
                continue;
            }
            let doc_id = entry.file_name().to_string_lossy().into_owned();
            let live = sqlx::query("SELECT 1 FROM documents WHERE id = $1 AND status <> 'erased'")
                .bind(&doc_id)
                .fetch_optional(&self.pool)
                .await?
                .is_some();
            if live {
                let mut tx = self.begin().await?;
                for file in std::fs::read_dir(entry.path())? {
                    let file = file?;
                    let name = file.file_name().to_string_lossy().into_owned();
                    if name.starts_with('.') {
                        continue;
                    }
                    let data = std::fs::read(file.path())?;
                    sqlx::query(
                        "INSERT INTO blobs (document_id, name, data) VALUES ($1, $2, $3) \
                         ON CONFLICT (document_id, name) DO NOTHING",
                    )
                    .bind(&doc_id)
                    .bind(&name)
                    .bind(data)
                    .execute(&mut *tx.tx)
                    .await?;
                }
                tx.commit().await?;
                imported += 1;
            } else {
                dropped += 1;
            }
            std::fs::remove_dir_all(entry.path())?;
        }
        std::fs::remove_dir(dir)?;
        tracing::info!(imported, dropped, "moved file blobs into the database");
        Ok(())
    }
}
