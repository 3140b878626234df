//! Storage: the database (SQLite by default, PostgreSQL by URL) holding the documents, their
//! encrypted blobs, the job queue and the hash-chained audit log.
//!
//! One SQL dialect serves both databases through sqlx's `Any` driver (`$N` placeholders,
//! TEXT timestamps, BIGINT counters); each backend has its own migrations folder for the DDL
//! that differs. Every state change runs in a [`WriteTx`]: it locks the audit head first, so
//! writers are serialised and the audit chain never forks, and it commits the change and its
//! audit entries together or not at all.

mod blobs;
mod bulk;
pub mod crypto;
mod queue;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Row};

pub use bulk::{Arg, BulkReader};
pub use crypto::{DataKey, MasterKey};
pub use queue::{Job, MAX_ATTEMPTS, Queue};

/// Why a storage operation failed. Messages never include document content.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The file system failed.
    #[error("storage I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A key is missing or malformed.
    #[error("key error: {0}")]
    Key(&'static str),
    /// Decryption failed (wrong key, tampered or erased data).
    #[error("decryption failed")]
    Crypto,
    /// A stored value is not what the schema promises.
    #[error("corrupt record: {0}")]
    Corrupt(&'static str),
}

impl StoreError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Db(_) => "database_error",
            StoreError::Migrate(_) => "migration_error",
            StoreError::Io(_) => "storage_io_error",
            StoreError::Key(_) => "key_error",
            StoreError::Crypto => "decryption_failed",
            StoreError::Corrupt(_) => "corrupt_record",
        }
    }
}

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default.
    Sqlite,
    /// The scaled mode.
    Postgres,
}

impl Backend {
    /// A subquery of the ids in parameter `$n`, bound as one JSON array ([`id_array`]): one
    /// statement text, prepared once and cached, and one parameter, however many ids there are
    /// (binding a thousand parameters costs more than the statement's work).
    pub fn ids_in(self, n: usize) -> String {
        match self {
            Backend::Sqlite => format!("SELECT value FROM json_each(${n})"),
            Backend::Postgres => format!("SELECT json_array_elements_text(CAST(${n} AS json))"),
        }
    }
}

/// How to open the store.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Holds the SQLite file (default backend) and the master key file.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; `None` for `<data_dir>/hairyo.db`.
    pub database_url: Option<String>,
    /// The master key as 64 hex digits; `None` to use (or create) `<data_dir>/master.key`.
    pub master_key: Option<String>,
}

/// The store: database pool and the master key. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    /// The connection pool.
    pub pool: AnyPool,
    /// Which database it is.
    pub backend: Backend,
    /// The master key.
    pub keys: Arc<MasterKey>,
    /// SQLite has one writer at a time: this process's writers take turns here, in order,
    /// instead of polling SQLite's lock in its busy handler (which sleeps up to 100 ms a try).
    /// Other processes still meet at the busy handler.
    writer: Arc<tokio::sync::Mutex<()>>,
    /// Bulk reads of a SQLite file (`None` on PostgreSQL and for in-memory databases).
    pub bulk: Option<Arc<BulkReader>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish()
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Opens (creating if needed) the data directory and database, runs migrations, and moves
    /// blobs that an earlier version kept as files into the database.
    pub async fn open(config: &StoreConfig) -> Result<Self, StoreError> {
        let store = Self::connect(config).await?;
        store.import_file_blobs(&config.data_dir.join("blobs")).await?;
        Ok(store)
    }

    /// Like [`Store::open`] without the one-time import of file blobs: what tools and workers
    /// running beside a server use.
    pub async fn connect(config: &StoreConfig) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        create_private_dir(&config.data_dir)?;
        let url = match &config.database_url {
            Some(url) => url.clone(),
            None => {
                // The database links people to special-care categories: created readable by the
                // service's user only (SQLite gives its -wal and -shm files the same mode).
                let path = default_db_path(&config.data_dir);
                create_private_file(&path)?;
                format!("sqlite://{}?mode=rwc", path.display())
            }
        };
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let pool = match backend {
            Backend::Sqlite => {
                // WAL with full sync: a committed transaction survives kill -9 and power loss.
                // The SQLite URL takes no pragmas (sqlx refuses unknown query parameters), so
                // they are set on every new connection instead.
                let options: AnyConnectOptions = url.parse()?;
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            sqlx::query("PRAGMA busy_timeout = 30000").execute(&mut *conn).await?;
                            sqlx::query("PRAGMA journal_mode = WAL").execute(&mut *conn).await?;
                            sqlx::query("PRAGMA synchronous = FULL").execute(&mut *conn).await?;
                            sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await?;
                            // Erased blobs are overwritten, not left in free pages.
                            sqlx::query("PRAGMA secure_delete = ON").execute(&mut *conn).await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(30)).connect(&url).await?
            }
        };
        match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        let keys =
            Arc::new(MasterKey::load_or_create(config.master_key.as_deref(), &config.data_dir.join("master.key"))?);
        let bulk = match backend {
            Backend::Sqlite => {
                let options: sqlx::sqlite::SqliteConnectOptions = url.parse()?;
                let path = options.get_filename();
                (path.is_file()).then(|| Arc::new(BulkReader::new(path)))
            }
            Backend::Postgres => None,
        };
        Ok(Self { pool, backend, keys, writer: Arc::default(), bulk })
    }

    /// This process's turn to write, on SQLite (see `writer`); PostgreSQL needs none.
    pub(crate) async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match self.backend {
            Backend::Sqlite => Some(self.writer.clone().lock_owned().await),
            Backend::Postgres => None,
        }
    }

    /// Starts a state-changing transaction. It locks the audit head first, so concurrent
    /// writers queue here and the audit chain stays linear.
    pub async fn begin(&self) -> Result<WriteTx, StoreError> {
        let turn = self.write_turn().await;
        let mut tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        let lock = match self.backend {
            Backend::Sqlite => "SELECT seq, hash FROM audit_head WHERE id = 1",
            Backend::Postgres => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
        };
        let row = sqlx::query(lock).fetch_one(&mut *tx).await?;
        let seq: i64 = row.try_get(0)?;
        let hash: String = row.try_get(1)?;
        Ok(WriteTx { tx, backend: self.backend, _turn: turn, seq, hash, pending: Vec::new() })
    }

    /// Checks the whole audit chain. Returns the number of entries, or the first broken one.
    pub async fn verify_audit(&self) -> Result<Result<i64, AuditBreak>, StoreError> {
        // The head first, then the entries: writers append entries and advance the head in one
        // transaction, so on a live server entries may have been committed after the head was
        // read. The head must then match its entry in the chain (not necessarily the last);
        // a truncated chain still fails.
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&self.pool).await?;
        let (hs, hh): (i64, String) = (head.try_get(0)?, head.try_get(1)?);
        let rows = sqlx::query(
            "SELECT seq, at, actor_id, action, document_id, subject_id, detail, prev_hash, hash FROM audit ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut prev = GENESIS.to_string();
        let mut head_matches = hs == 0 && hh == GENESIS;
        for (i, row) in rows.iter().enumerate() {
            let expected_seq = i as i64 + 1;
            let e = AuditEntry::from_row(row)?;
            if e.seq != expected_seq {
                return Ok(Err(AuditBreak { seq: e.seq, why: "sequence gap" }));
            }
            if e.prev_hash != prev {
                return Ok(Err(AuditBreak { seq: e.seq, why: "previous hash mismatch" }));
            }
            if e.compute_hash() != e.hash {
                return Ok(Err(AuditBreak { seq: e.seq, why: "entry hash mismatch" }));
            }
            if e.seq == hs {
                head_matches = e.hash == hh;
            }
            prev = e.hash.clone();
        }
        if !head_matches {
            return Ok(Err(AuditBreak { seq: hs, why: "head does not match the last entry" }));
        }
        Ok(Ok(rows.len() as i64))
    }
}

/// Where the audit chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditBreak {
    /// The first entry that does not verify.
    pub seq: i64,
    /// Why.
    pub why: &'static str,
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry. `detail` is JSON with ids, categories and counts — never text.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// RFC 3339 time.
    pub at: String,
    /// Who acted (`None` for the system).
    pub actor_id: Option<String>,
    /// What happened (`upload`, `view`, `consent`, …).
    pub action: String,
    /// The document concerned.
    pub document_id: Option<String>,
    /// The person the entry is about (the candidate).
    pub subject_id: Option<String>,
    /// Structured detail.
    pub detail: serde_json::Value,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// SHA-256 over this entry and `prev_hash`.
    pub hash: String,
}

impl AuditEntry {
    fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            self.prev_hash.as_str(),
            &self.seq.to_string(),
            &self.at,
            self.actor_id.as_deref().unwrap_or(""),
            &self.action,
            self.document_id.as_deref().unwrap_or(""),
            self.subject_id.as_deref().unwrap_or(""),
            &self.detail.to_string(),
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        hex::encode(h.finalize())
    }

    /// Reads an entry from a row of `SELECT seq, at, actor_id, action, document_id,
    /// subject_id, detail, prev_hash, hash`.
    pub fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, StoreError> {
        let detail: String = row.try_get(6)?;
        Ok(Self {
            seq: row.try_get(0)?,
            at: row.try_get(1)?,
            actor_id: row.try_get(2)?,
            action: row.try_get(3)?,
            document_id: row.try_get(4)?,
            subject_id: row.try_get(5)?,
            detail: serde_json::from_str(&detail).map_err(|_| StoreError::Corrupt("audit detail"))?,
            prev_hash: row.try_get(7)?,
            hash: row.try_get(8)?,
        })
    }
}

/// What to record about a state change.
#[derive(Debug, Clone)]
pub struct Audit {
    /// Who acted.
    pub actor_id: Option<String>,
    /// What happened.
    pub action: &'static str,
    /// The document concerned.
    pub document_id: Option<String>,
    /// The candidate concerned.
    pub subject_id: Option<String>,
    /// Ids, categories, counts: never text.
    pub detail: serde_json::Value,
}

/// A state-changing transaction holding the audit head lock.
pub struct WriteTx {
    /// The open transaction.
    pub tx: sqlx::Transaction<'static, sqlx::Any>,
    /// Which database it is.
    pub backend: Backend,
    /// This process's write turn, released after the transaction (fields drop in order).
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    seq: i64,
    hash: String,
    pending: Vec<Audit>,
}

impl WriteTx {
    /// Records an audit entry, written when the transaction commits.
    pub fn audit(&mut self, entry: Audit) {
        self.pending.push(entry);
    }

    /// Writes the audit entries, advances the head and commits everything at once.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        let at = now();
        for a in std::mem::take(&mut self.pending) {
            let mut e = AuditEntry {
                seq: self.seq + 1,
                at: at.clone(),
                actor_id: a.actor_id,
                action: a.action.to_string(),
                document_id: a.document_id,
                subject_id: a.subject_id,
                detail: a.detail,
                prev_hash: self.hash.clone(),
                hash: String::new(),
            };
            e.hash = e.compute_hash();
            sqlx::query(
                "INSERT INTO audit (seq, at, actor_id, action, document_id, subject_id, detail, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(e.seq)
            .bind(&e.at)
            .bind(&e.actor_id)
            .bind(&e.action)
            .bind(&e.document_id)
            .bind(&e.subject_id)
            .bind(e.detail.to_string())
            .bind(&e.prev_hash)
            .bind(&e.hash)
            .execute(&mut *self.tx)
            .await?;
            self.seq = e.seq;
            self.hash = e.hash;
        }
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(self.seq)
            .bind(&self.hash)
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await?;
        Ok(())
    }
}

/// The current time, RFC 3339 UTC with microseconds (sorts as text).
pub fn now() -> String {
    timestamp(time::OffsetDateTime::now_utc())
}

/// The time `d` from now, in [`now`]'s format (leases, expiries).
pub fn now_plus(d: Duration) -> String {
    timestamp(time::OffsetDateTime::now_utc() + d)
}

/// A UTC instant in the stored format: RFC 3339 with microseconds, so times compare as text.
pub fn timestamp(t: time::OffsetDateTime) -> String {
    t.format(&time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"))
        .unwrap_or_default()
}

/// A list of ids as one JSON array parameter, for [`Backend::ids_in`].
pub fn id_array<S: AsRef<str>>(ids: &[S]) -> String {
    serde_json::to_string(&ids.iter().map(AsRef::as_ref).collect::<Vec<&str>>()).unwrap_or_else(|_| "[]".into())
}

/// A new random id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Creates `dir` (and missing parents) readable by the service's user only (0700 on Unix).
/// An existing directory keeps its mode.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates `path` empty, readable and writable by the service's user only (0600 on Unix), if
/// it does not exist; an existing file is left as it is.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// The path of the default SQLite database in a data directory.
pub fn default_db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("hairyo.db")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[tokio::test]
    async fn a_new_data_directory_and_database_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let data_dir = root.path().join("nested").join("data");
        let store = Store::open(&StoreConfig { data_dir: data_dir.clone(), database_url: None, master_key: None })
            .await
            .unwrap();
        drop(store);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data_dir), 0o700);
        assert_eq!(mode(&default_db_path(&data_dir)), 0o600);
        for entry in std::fs::read_dir(&data_dir).unwrap() {
            let path = entry.unwrap().path();
            assert_eq!(mode(&path) & 0o077, 0, "{} is readable by others", path.display());
        }
    }
}
