//! Creating rescans, finding one to resume, and reading their progress.

use serde::Deserialize;
use serde_json::json;
use sqlx::Row;

use super::{Counts, Mode, Progress, Rescan, Summary};
use crate::detect::ENGINE;
use crate::review::{Result, Role, Service, ServiceError, User};
use crate::store::{Audit, Queue, StoreError, new_id, now};

/// Documents per job of a full rescan: large enough that a batch's claim and commit (each a
/// synced transaction) are cheap per document, small enough that a lost lease costs little
/// work (a batch scans in about a quarter of a second).
pub const BATCH_SIZE: i64 = 512;
/// Larger batches for incremental rescans: most of their documents cost a sketch test of a
/// few microseconds, so per-batch costs (a claim and a commit, each a synced transaction)
/// would dominate; a batch the change does affect throughout still scans in well under a
/// lease's time.
pub const INCREMENTAL_BATCH_SIZE: i64 = 1024;
/// Smaller batches when files are parsed again (seconds per document, not milliseconds).
pub const REEXTRACT_BATCH_SIZE: i64 = 4;

/// What to rescan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RescanRequest {
    /// stale (default) or all.
    #[serde(default = "default_mode")]
    pub mode: Mode,
    /// Report only.
    #[serde(default)]
    pub dry_run: bool,
    /// Parse the original files again.
    #[serde(default)]
    pub reextract: bool,
    /// Scan every document in full instead of only what the change can affect.
    #[serde(default)]
    pub full: bool,
    /// Documents per batch instead of the default for the kind of rescan (tests use small
    /// batches to have many); not part of the API.
    #[serde(skip)]
    pub batch_size: Option<i64>,
}

fn default_mode() -> Mode {
    Mode::Stale
}

const RESCAN_COLUMNS: &str =
    "id, mode, dry_run, reextract, full_scan, target_version, state, total, origin, created_at, finished_at";

impl Rescan {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self> {
        let mode: String = row.try_get(1)?;
        Ok(Self {
            id: row.try_get(0)?,
            mode: Mode::from_id(&mode).ok_or(StoreError::Corrupt("rescan mode"))?,
            dry_run: row.try_get::<i64, _>(2)? != 0,
            reextract: row.try_get::<i64, _>(3)? != 0,
            full: row.try_get::<i64, _>(4)? != 0,
            target_version: row.try_get(5)?,
            state: row.try_get(6)?,
            total: row.try_get(7)?,
            origin: row.try_get(8)?,
            created_at: row.try_get(9)?,
            finished_at: row.try_get(10)?,
        })
    }
}

impl Service {
    /// Records the dictionaries of the current detector version, once, so that a later
    /// version can rescan incrementally against them. Dictionary files hold no document data.
    pub async fn register_detector(&self) -> Result<()> {
        let detector = self.pipeline.detector();
        let files = serde_json::to_string(detector.dictionary_files()).map_err(|_| StoreError::Corrupt("snapshot"))?;
        sqlx::query(
            "INSERT INTO detector_snapshots (version, engine, files, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (version) DO NOTHING",
        )
        .bind(detector.version())
        .bind(ENGINE)
        .bind(files)
        .bind(now())
        .execute(&self.store.pool)
        .await?;
        Ok(())
    }

    /// Starts a rescan: its documents, their batches and the jobs, in one transaction.
    /// Running rescans toward another detector version are cancelled (no worker of this
    /// version would take their jobs). `actor` is `None` for the operator's command line.
    pub async fn start_rescan(&self, actor: Option<&User>, req: RescanRequest, origin: &str) -> Result<Rescan> {
        if let Some(a) = actor {
            a.require(&[Role::Admin])?;
        }
        self.register_detector().await?;
        let version = self.pipeline.detector().version().to_string();
        let id = new_id();
        let at = now();
        let batch = match (req.batch_size, req.reextract, req.full) {
            (Some(n), _, _) => n.max(1),
            (None, true, _) => REEXTRACT_BATCH_SIZE,
            (None, false, true) => BATCH_SIZE,
            (None, false, false) => INCREMENTAL_BATCH_SIZE,
        };
        let mut tx = self.store.begin().await?;
        let superseded = sqlx::query("SELECT id FROM rescans WHERE state = 'running' AND target_version <> $1")
            .bind(&version)
            .fetch_all(&mut *tx.tx)
            .await?;
        for row in &superseded {
            let old: String = row.try_get(0)?;
            sqlx::query("UPDATE rescans SET state = 'cancelled', finished_at = $1 WHERE id = $2")
                .bind(&at)
                .bind(&old)
                .execute(&mut *tx.tx)
                .await?;
            sqlx::query(
                "UPDATE jobs SET state = 'failed', last_error = 'superseded', lease_owner = NULL, updated_at = $1 \
                 WHERE rescan_id = $2 AND state IN ('queued', 'running')",
            )
            .bind(&at)
            .bind(&old)
            .execute(&mut *tx.tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO rescans (id, mode, dry_run, reextract, full_scan, target_version, state, total, origin, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'running', 0, $7, $8, $9)",
        )
        .bind(&id)
        .bind(req.mode.id())
        .bind(i64::from(req.dry_run))
        .bind(i64::from(req.reextract))
        .bind(i64::from(req.full))
        .bind(&version)
        .bind(origin)
        .bind(actor.map(|a| a.id.clone()))
        .bind(&at)
        .execute(&mut *tx.tx)
        .await?;
        let filter = match req.mode {
            Mode::Stale => "status <> 'erased' AND detector_version <> $3",
            Mode::All => "status <> 'erased' AND $3 <> ''",
        };
        // Batches in the order documents were stored: a batch's rows then share pages, and its
        // commit writes a few dozen pages to the log instead of one per document.
        let total = sqlx::query(&format!(
            "INSERT INTO rescan_items (rescan_id, document_id, batch, state) \
             SELECT $1, id, (ROW_NUMBER() OVER (ORDER BY created_at, id) - 1) / $2, 'pending' FROM documents WHERE {filter}"
        ))
        .bind(&id)
        .bind(batch)
        .bind(&version)
        .execute(&mut *tx.tx)
        .await?
        .rows_affected() as i64;
        Queue::enqueue_rescan(&mut tx, &id, &version).await?;
        let state = if total == 0 { "finished" } else { "running" };
        sqlx::query("UPDATE rescans SET total = $1, state = $2, finished_at = $3 WHERE id = $4")
            .bind(total)
            .bind(state)
            .bind((total == 0).then(|| at.clone()))
            .bind(&id)
            .execute(&mut *tx.tx)
            .await?;
        // A dry run changes nothing, the audit log included; the rescan row records it.
        if !req.dry_run {
            tx.audit(Audit {
                actor_id: actor.map(|a| a.id.clone()),
                action: "rescan_started",
                document_id: None,
                subject_id: None,
                detail: json!({
                    "rescan": id, "mode": req.mode.id(), "dry_run": req.dry_run, "reextract": req.reextract,
                    "full": req.full, "documents": total, "detector_version": version, "superseded": superseded.len(),
                }),
            });
        }
        tx.commit().await?;
        tracing::info!(rescan = %id, documents = total, mode = req.mode.id(), dry_run = req.dry_run, "rescan started");
        self.rescan(&id).await
    }

    /// A running rescan with the same request toward the current detector version: what
    /// `hairyo rescan` resumes after an interruption.
    pub async fn resumable_rescan(&self, req: RescanRequest) -> Result<Option<Rescan>> {
        let row = sqlx::query(&format!(
            "SELECT {RESCAN_COLUMNS} FROM rescans WHERE state = 'running' AND target_version = $1 AND mode = $2 \
             AND dry_run = $3 AND reextract = $4 AND full_scan = $5 ORDER BY created_at DESC LIMIT 1"
        ))
        .bind(self.pipeline.detector().version())
        .bind(req.mode.id())
        .bind(i64::from(req.dry_run))
        .bind(i64::from(req.reextract))
        .bind(i64::from(req.full))
        .fetch_optional(&self.store.pool)
        .await?;
        row.as_ref().map(Rescan::from_row).transpose()
    }

    /// One rescan's stored row.
    pub async fn rescan(&self, id: &str) -> Result<Rescan> {
        let row = sqlx::query(&format!("SELECT {RESCAN_COLUMNS} FROM rescans WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.store.pool)
            .await?
            .ok_or(ServiceError::NotFound)?;
        Rescan::from_row(&row)
    }

    /// Every rescan, newest first (admin).
    pub async fn rescans(&self, actor: &User) -> Result<Vec<Rescan>> {
        actor.require(&[Role::Admin])?;
        let rows = sqlx::query(&format!("SELECT {RESCAN_COLUMNS} FROM rescans ORDER BY created_at DESC LIMIT 100"))
            .fetch_all(&self.store.pool)
            .await?;
        rows.iter().map(Rescan::from_row).collect()
    }

    /// How many documents of a rescan are done, failed and pending (cheap: for progress bars).
    pub async fn rescan_counts(&self, id: &str) -> Result<Counts> {
        let rows = sqlx::query("SELECT state, COUNT(*) FROM rescan_items WHERE rescan_id = $1 GROUP BY state")
            .bind(id)
            .fetch_all(&self.store.pool)
            .await?;
        let mut counts = Counts::default();
        for r in &rows {
            let (state, n): (String, i64) = (r.try_get(0)?, r.try_get(1)?);
            match state.as_str() {
                "done" => counts.done = n,
                "failed" => counts.failed = n,
                _ => counts.pending = n,
            }
        }
        Ok(counts)
    }

    /// A rescan with its progress and the summary of the outcomes so far. `actor` is `None`
    /// for the operator's command line.
    pub async fn rescan_progress(&self, actor: Option<&User>, id: &str) -> Result<Progress> {
        if let Some(a) = actor {
            a.require(&[Role::Admin])?;
        }
        let rescan = self.rescan(id).await?;
        let progress = self.rescan_counts(id).await?;
        let summary = summarize(&self.store.pool, id).await?;
        Ok(Progress { rescan, progress, summary })
    }
}

/// Adds up the outcome rows of a rescan.
pub(crate) async fn summarize<'e, E>(executor: E, id: &str) -> Result<Summary>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    // Counted in the database, by method; only the few documents whose findings changed
    // come back one by one, with their counts per category.
    let rows = sqlx::query(
        "SELECT 'method', method, COUNT(*), CAST(SUM(changed) AS BIGINT), CAST(SUM(requarantined) AS BIGINT), NULL, NULL \
         FROM rescan_items WHERE rescan_id = $1 AND state = 'done' GROUP BY method \
         UNION ALL SELECT 'counts', NULL, 0, 0, 0, added, removed FROM rescan_items \
         WHERE rescan_id = $1 AND state = 'done' AND (added IS NOT NULL OR removed IS NOT NULL)",
    )
    .bind(id)
    .fetch_all(executor)
    .await?;
    let mut s = Summary::default();
    for r in &rows {
        if r.try_get::<String, _>(0)? == "method" {
            let method: Option<String> = r.try_get(1)?;
            let n: i64 = r.try_get(2)?;
            match method.as_deref() {
                Some("scan") => s.scanned += n,
                Some("unaffected") => s.unaffected += n,
                Some("error") => s.errors += n,
                _ => s.skipped += n,
            }
            s.changed += r.try_get::<Option<i64>, _>(3)?.unwrap_or(0);
            s.requarantined += r.try_get::<Option<i64>, _>(4)?.unwrap_or(0);
            continue;
        }
        for (col, into) in [(5, &mut s.added), (6, &mut s.removed)] {
            if let Some(text) = r.try_get::<Option<String>, _>(col)? {
                let map: std::collections::BTreeMap<String, i64> =
                    serde_json::from_str(&text).map_err(|_| StoreError::Corrupt("rescan counts"))?;
                for (k, v) in map {
                    *into.entry(k).or_default() += v;
                }
            }
        }
    }
    Ok(s)
}
