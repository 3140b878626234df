//! Bulk reads on SQLite without sqlx's per-row cost.
//!
//! sqlx's SQLite driver runs each connection on its own thread and hands every row across to
//! the async side (and the `Any` driver copies it again): reading a rescan batch of a thousand
//! rows took three times as long as the query itself. Rescans read their batches through
//! this instead: read-only rusqlite connections to the same file (WAL lets them read beside
//! the writers), used in a blocking task. Writes never come here; they stay in sqlx
//! transactions with the audit chain.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Row, ToSql};

use super::StoreError;

/// Idle connections kept for reuse.
const IDLE: usize = 4;

/// Read-only connections to one SQLite file.
pub struct BulkReader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for BulkReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkReader").finish_non_exhaustive()
    }
}

/// A query parameter.
#[derive(Debug, Clone)]
pub enum Arg {
    /// A text value.
    Text(String),
    /// An integer.
    Int(i64),
}

impl ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Arg::Text(t) => t.to_sql(),
            Arg::Int(i) => i.to_sql(),
        }
    }
}

fn failed(e: rusqlite::Error) -> StoreError {
    // The message names the query's failure, never a value.
    tracing::warn!(error = %e, "bulk read failed");
    StoreError::Corrupt("bulk read failed")
}

/// `sql` with sqlx's `$N` placeholders written as SQLite's `?N`.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

impl BulkReader {
    /// Reads from the database file `path`.
    pub fn new(path: &Path) -> Self {
        Self { path: path.to_path_buf(), idle: Mutex::new(Vec::new()) }
    }

    fn connect(&self) -> Result<Connection, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&self.path, flags).map_err(failed)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(failed)?;
        Ok(conn)
    }

    /// Runs `sql` (placeholders `$1`, `$2`, … as sqlx writes them, bound by number) and maps
    /// each row, on the calling thread: call it from a blocking task.
    pub fn query<T>(
        &self,
        sql: &str,
        args: &[Arg],
        mut map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let taken = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match taken {
            Some(c) => c,
            None => self.connect()?,
        };
        let out = (|| {
            // SQLite numbers `$name` parameters by first appearance; `?N` binds by number.
            let mut stmt = conn.prepare_cached(&numbered(sql))?;
            let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(map(row)?);
            }
            Ok(out)
        })()
        .map_err(failed)?;
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < IDLE {
            idle.push(conn);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_by_number_whatever_the_order() {
        assert_eq!(numbered("a = $3 AND b = $1 AND c = '$'"), "a = ?3 AND b = ?1 AND c = '$'");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE t (a TEXT, b INTEGER); INSERT INTO t VALUES ('x', 1), ('y', 2);").unwrap();
        let reader = BulkReader::new(&path);
        let args = [Arg::Int(2), Arg::Text("y".into())];
        let rows = reader.query("SELECT a, b FROM t WHERE a = $2 AND b = $1", &args, |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        });
        assert_eq!(rows.unwrap(), vec![("y".to_string(), 2)]);
        // Read-only: a write is refused, not performed.
        assert!(reader.query("DELETE FROM t RETURNING a", &[], |r| r.get::<_, String>(0)).is_err());
        assert_eq!(conn.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0)).unwrap(), 2);
    }
}
