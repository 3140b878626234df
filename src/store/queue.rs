//! The job queue, in the database so that every worker on every machine shares it.
//!
//! A worker claims a job by taking a lease (`lease_owner`, `lease_until`); PostgreSQL picks
//! the job with `FOR UPDATE SKIP LOCKED`, so concurrent workers never wait on each other's
//! claims, and SQLite serialises claims with `BEGIN IMMEDIATE` behind the same interface. A
//! job whose lease ran out (its worker died or hung) is claimable again. A job is finished by
//! [`Queue::finish`] inside the transaction that commits its results, which succeeds only while
//! the lease is still the caller's: a worker that lost its lease cannot commit twice. Failures
//! are retried with exponential backoff until `max_attempts`.

use std::time::Duration;

use sqlx::Row;

use super::{Backend, Store, StoreError, WriteTx, now, now_plus};

/// A claimed job.
#[derive(Debug, Clone)]
pub struct Job {
    /// The job id.
    pub id: String,
    /// What to do (`rescan`).
    pub kind: String,
    /// The rescan it belongs to.
    pub rescan_id: Option<String>,
    /// Its batch of the rescan.
    pub batch: Option<i64>,
    /// The attempt this claim is (from 1).
    pub attempts: i64,
    /// The worker holding the lease.
    pub owner: String,
}

/// The queue over a store.
#[derive(Debug, Clone)]
pub struct Queue {
    store: Store,
    lease: Duration,
}

/// Maximum attempts of a job before it is marked failed.
pub const MAX_ATTEMPTS: i64 = 5;

impl Queue {
    /// The queue with a lease of `lease` per claim.
    pub fn new(store: Store, lease: Duration) -> Self {
        Self { store, lease }
    }

    /// How long a claim lasts without renewal.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// Adds one job per batch of a rescan, in the rescan's creating transaction.
    pub async fn enqueue_rescan(tx: &mut WriteTx, rescan_id: &str, requires_version: &str) -> Result<u64, StoreError> {
        let at = now();
        let done = sqlx::query(
            "INSERT INTO jobs (id, kind, rescan_id, batch, requires_version, state, attempts, max_attempts, run_after, created_at, updated_at) \
             SELECT $1 || '-' || CAST(b.batch AS TEXT), 'rescan', $1, b.batch, $2, 'queued', 0, $3, $4, $4, $4 \
             FROM (SELECT DISTINCT batch FROM rescan_items WHERE rescan_id = $1) b",
        )
        .bind(rescan_id)
        .bind(requires_version)
        .bind(MAX_ATTEMPTS)
        .bind(&at)
        .execute(&mut *tx.tx)
        .await?;
        Ok(done.rows_affected())
    }

    /// Claims the next job this worker can run: queued and due, or running with an expired
    /// lease; only jobs for detector version `version`, and only of `rescan` when given.
    pub async fn claim(&self, owner: &str, version: &str, rescan: Option<&str>) -> Result<Option<Job>, StoreError> {
        let at = now();
        let pick = "SELECT id FROM jobs WHERE ((state = 'queued' AND run_after <= $1) OR (state = 'running' AND lease_until < $1)) \
                    AND requires_version = $2 AND ($3 = '' OR rescan_id = $3) ORDER BY created_at, batch LIMIT 1";
        let sql = match self.store.backend {
            Backend::Postgres => format!(
                "UPDATE jobs SET state = 'running', lease_owner = $4, lease_until = $5, attempts = attempts + 1, updated_at = $1 \
                 WHERE id = ({pick} FOR UPDATE SKIP LOCKED) RETURNING id, kind, rescan_id, batch, attempts"
            ),
            Backend::Sqlite => format!(
                "UPDATE jobs SET state = 'running', lease_owner = $4, lease_until = $5, attempts = attempts + 1, updated_at = $1 \
                 WHERE id = ({pick}) RETURNING id, kind, rescan_id, batch, attempts"
            ),
        };
        let _turn = self.store.write_turn().await;
        let mut tx = match self.store.backend {
            Backend::Sqlite => self.store.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.store.pool.begin().await?,
        };
        let row = sqlx::query(&sql)
            .bind(&at)
            .bind(version)
            .bind(rescan.unwrap_or(""))
            .bind(owner)
            .bind(now_plus(self.lease))
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Job {
            id: row.try_get(0)?,
            kind: row.try_get(1)?,
            rescan_id: row.try_get(2)?,
            batch: row.try_get(3)?,
            attempts: row.try_get(4)?,
            owner: owner.to_string(),
        }))
    }

    /// Extends the lease of a job still held; false when it was lost.
    pub async fn renew(&self, job: &Job) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET lease_until = $1, updated_at = $2 WHERE id = $3 AND lease_owner = $4 AND state = 'running'",
        )
        .bind(now_plus(self.lease))
        .bind(now())
        .bind(&job.id)
        .bind(&job.owner)
        .execute(&self.store.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks a job done inside the transaction that commits its results. False when the
    /// lease was lost (another worker took the job over): the caller must roll back.
    pub async fn finish(tx: &mut WriteTx, job: &Job) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_until = NULL, updated_at = $1 \
             WHERE id = $2 AND lease_owner = $3 AND state = 'running'",
        )
        .bind(now())
        .bind(&job.id)
        .bind(&job.owner)
        .execute(&mut *tx.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives a failed job back for a later attempt (backoff 2^attempts seconds, at most five
    /// minutes) or, after its last attempt, marks it failed. Returns true when it failed for
    /// good. `error` is a code, never text from a document.
    pub async fn retry(&self, job: &Job, error: &str) -> Result<bool, StoreError> {
        let backoff = Duration::from_secs(2u64.saturating_pow(job.attempts.clamp(0, 16) as u32).min(300));
        let done = sqlx::query(
            "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END, \
             run_after = $1, lease_owner = NULL, lease_until = NULL, last_error = $2, updated_at = $3 \
             WHERE id = $4 AND lease_owner = $5 AND state = 'running' RETURNING state",
        )
        .bind(now_plus(backoff))
        .bind(error)
        .bind(now())
        .bind(&job.id)
        .bind(&job.owner)
        .fetch_optional(&self.store.pool)
        .await?;
        Ok(match done {
            Some(row) => row.try_get::<String, _>(0)? == "failed",
            None => false,
        })
    }

    /// Returns every job this worker holds to the queue at once (a clean shutdown), without
    /// counting the attempt against it.
    pub async fn release_all(&self, owner: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = attempts - 1, lease_owner = NULL, lease_until = NULL, updated_at = $1 \
             WHERE lease_owner = $2 AND state = 'running'",
        )
        .bind(now())
        .bind(owner)
        .execute(&self.store.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
