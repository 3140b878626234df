//! The database a test runs against: SQLite (the service's file in its data directory) or a
//! fresh PostgreSQL database that is dropped with the [`TestDb`].
//!
//! Include it at the root of a test file and list the cases, each an `async fn(TestDb)`:
//!
//! ```ignore
//! #[path = "support/db.rs"]
//! mod db;
//! use db::{TestDb, backend_tests};
//!
//! backend_tests!(uploads_are_stored, erasure_removes_blobs);
//!
//! async fn uploads_are_stored(db: TestDb) {
//!     let config = StoreConfig { data_dir, database_url: db.url(), master_key: None };
//!     // ...
//! }
//! ```
//!
//! This makes `sqlite::uploads_are_stored` and `postgres::uploads_are_stored`, and so on
//! (`cargo test --test NAME postgres::` runs one backend).
//!
//! PostgreSQL is `postgres://postgres@127.0.0.1:5432/postgres` unless `HAIRYO_TEST_PG_ADMIN_URL`
//! names another server. That connection only creates and drops the `hairyo_test_<hex>`
//! databases. If no server is running, the PostgreSQL variants fail; to skip them, set
//! `HAIRYO_TEST_POSTGRES=off`.

#![allow(dead_code)]

use std::time::Duration;

use hairyo::store::Backend;
use sqlx::{Connection, PgConnection};

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const ADMIN_URL_VAR: &str = "HAIRYO_TEST_PG_ADMIN_URL";
const SWITCH_VAR: &str = "HAIRYO_TEST_POSTGRES";

/// One test's database. On PostgreSQL it is a fresh database, dropped (any open connections
/// terminated) when this value is dropped, so keep it alive as long as the service that uses
/// it.
#[derive(Debug)]
pub struct TestDb {
    postgres: Option<PgDatabase>,
}

#[derive(Debug)]
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDb {
    /// The default backend: no URL, so the service uses the SQLite file in its data directory.
    pub fn sqlite() -> Self {
        Self { postgres: None }
    }

    /// A new empty PostgreSQL database, or `None` (after saying so) when
    /// `HAIRYO_TEST_POSTGRES=off`. Panics if the server cannot be reached.
    pub async fn postgres() -> Option<Self> {
        if postgres_disabled() {
            println!("skipped: PostgreSQL variant ({SWITCH_VAR}=off)");
            return None;
        }
        let admin_url = std::env::var(ADMIN_URL_VAR).unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_string());
        let name = format!("hairyo_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = connect_admin(&admin_url).await;
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
        let _ = admin.close().await;
        let url = with_database(&admin_url, &name);
        Some(Self { postgres: Some(PgDatabase { admin_url, name, url }) })
    }

    /// Another empty database on the same backend, for a test that needs a fresh world.
    pub async fn fresh(&self) -> Self {
        match self.postgres {
            None => Self::sqlite(),
            Some(_) => Self::postgres().await.expect("PostgreSQL was enabled a moment ago"),
        }
    }

    /// What `StoreConfig::database_url` takes: `None` for SQLite (the service's default file).
    pub fn url(&self) -> Option<String> {
        self.postgres.as_ref().map(|pg| pg.url.clone())
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        if self.postgres.is_some() { Backend::Postgres } else { Backend::Sqlite }
    }
}

impl Drop for TestDb {
    /// Drops the PostgreSQL database before returning. The caller's runtime may be shutting
    /// down or be a current-thread one blocked right here, so the work runs on a thread with a
    /// runtime of its own. Never panics: this also runs while a failed test unwinds.
    fn drop(&mut self) {
        let Some(pg) = self.postgres.take() else { return };
        let name = pg.name.clone();
        let outcome = std::thread::spawn(move || -> Result<(), String> {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&pg.admin_url).await.map_err(|e| e.to_string())?;
                sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", pg.name))
                    .execute(&mut admin)
                    .await
                    .map_err(|e| e.to_string())?;
                let _ = admin.close().await;
                Ok(())
            })
        })
        .join();
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: could not drop the test database {name}: {e}"),
            Err(_) => eprintln!("warning: dropping the test database {name} panicked"),
        }
    }
}

/// Expands each `case` (an `async fn case(db: TestDb)` in the invoking module) into
/// `sqlite::case` and `postgres::case` tests. Once per module: it defines those two modules.
/// The file must include this file as `mod db` at its root.
macro_rules! backend_tests {
    ($($case:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($crate::db::TestDb::sqlite()).await
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(db) = $crate::db::TestDb::postgres().await else { return };
                    super::$case(db).await
                }
            )+
        }
    };
}
pub(crate) use backend_tests;

fn postgres_disabled() -> bool {
    std::env::var(SWITCH_VAR)
        .is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "off" | "0" | "false" | "no"))
}

async fn connect_admin(admin_url: &str) -> PgConnection {
    let unreachable = |why: String| -> ! {
        panic!(
            "PostgreSQL is not reachable at {admin_url} ({why}).\n\
             Start it, point {ADMIN_URL_VAR} at a server where this user may create databases, \
             or skip the PostgreSQL variants with {SWITCH_VAR}=off."
        )
    };
    match tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(admin_url)).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => unreachable(e.to_string()),
        Err(_) => unreachable("no answer within 10 s".to_string()),
    }
}

/// `admin_url` with its database replaced by `name` (user, host, port and parameters kept).
fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}
