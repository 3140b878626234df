//! Workers: claim a batch, read the stored text, scan what the change can affect, and hand the
//! results to [`super::apply`]. Any number run at once, in any process on any machine.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::Row;
use tokio::sync::watch;

use super::apply::{self, Detected, Scanned};
use crate::detect::Delta;
use crate::pipeline::Report;
use crate::review::{DocStatus, Result, Service, ServiceError};
use crate::store::{DataKey, Job, MAX_ATTEMPTS, Queue, StoreError};

/// A worker's identity and its cache of dictionary deltas.
pub struct Worker {
    service: Arc<Service>,
    queue: Queue,
    id: String,
    only: Option<String>,
    deltas: Mutex<HashMap<String, Option<Arc<Delta>>>>,
}

/// How long a claimed batch stays leased without renewal: a dead worker's batch is taken
/// over after this. Renewed every third of it while scanning.
pub const LEASE: Duration = Duration::from_secs(60);

/// What one worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// Jobs committed.
    pub jobs: u64,
    /// Jobs given back for a retry (or failed for good).
    pub retried: u64,
}

/// One document of a batch as read before scanning.
pub(super) struct Input {
    pub id: String,
    pub status: DocStatus,
    /// The detector version its stored findings come from.
    pub version: String,
    pub key: Option<DataKey>,
    pub text: Option<String>,
    pub original: Option<Vec<u8>>,
    pub read_error: Option<&'static str>,
}

fn worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    format!("{}-{}-{}", host.trim(), std::process::id(), &crate::store::new_id()[..8])
}

impl Worker {
    /// A worker for `service`'s detector. With `only`, it takes jobs of that rescan alone and
    /// stops when the rescan is finished.
    pub fn new(service: Arc<Service>, lease: Duration, only: Option<String>) -> Self {
        let queue = Queue::new(service.store.clone(), lease);
        Self { service, queue, id: worker_id(), only, deltas: Mutex::new(HashMap::new()) }
    }

    /// This worker's id (the lease owner in the queue).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Claims and runs jobs until `stop` turns true (or, with `only`, the rescan is over).
    /// A job in progress when `stop` turns is finished first; leases still held are returned.
    pub async fn run(&self, mut stop: watch::Receiver<bool>, idle: Duration) -> Result<WorkerStats> {
        let mut stats = WorkerStats::default();
        let version = self.service.pipeline.detector().version().to_string();
        while !*stop.borrow() {
            let job = match self.queue.claim(&self.id, &version, self.only.as_deref()).await {
                Ok(job) => job,
                Err(e) => {
                    tracing::warn!(worker = %self.id, error = e.code(), "claim failed");
                    None
                }
            };
            match job {
                // Claimed again and again because its workers died (a crash outside the
                // panic guard, the memory limit): give up on it like on any failure.
                Some(job) if job.attempts > MAX_ATTEMPTS => {
                    self.give_back(&job, "workers_lost").await;
                    stats.retried += 1;
                }
                Some(job) => {
                    if self.run_job(&job).await {
                        stats.jobs += 1;
                    } else {
                        stats.retried += 1;
                    }
                }
                None => {
                    if let Some(id) = &self.only {
                        if self.service.rescan(id).await?.state != "running" {
                            break;
                        }
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(idle) => {}
                        _ = stop.changed() => {}
                    }
                }
            }
        }
        self.queue.release_all(&self.id).await?;
        Ok(stats)
    }

    /// Runs one job; on failure gives it back for a retry. True when it committed.
    async fn run_job(&self, job: &Job) -> bool {
        let started = std::time::Instant::now();
        match self.process(job).await {
            Ok(n) => {
                tracing::info!(worker = %self.id, job = %job.id, documents = n, ms = started.elapsed().as_millis() as u64, "rescan batch done");
                true
            }
            Err(e) => {
                let code = error_code(&e);
                tracing::warn!(worker = %self.id, job = %job.id, attempt = job.attempts, error = code, "rescan batch failed");
                self.give_back(job, code).await;
                false
            }
        }
    }

    /// Gives a failed job back for a retry with backoff; after its last attempt, marks its
    /// documents failed (they are untouched and stay stale).
    async fn give_back(&self, job: &Job, code: &str) {
        match self.queue.retry(job, code).await {
            Ok(true) => {
                if let Err(e) = apply::fail_batch(&self.service, job, code).await {
                    tracing::error!(job = %job.id, error = error_code(&e), "could not mark a failed batch");
                }
            }
            Ok(false) => {}
            Err(e) => tracing::error!(job = %job.id, error = e.code(), "could not requeue a failed batch"),
        }
    }

    /// Reads, scans and commits one batch. Returns the number of documents.
    async fn process(&self, job: &Job) -> Result<usize> {
        let (Some(rescan_id), Some(batch)) = (&job.rescan_id, job.batch) else {
            return Err(ServiceError::Store(StoreError::Corrupt("job without a rescan")));
        };
        let rescan = self.service.rescan(rescan_id).await?;
        let inputs =
            if rescan.state == "running" { self.read(rescan_id, batch, rescan.reextract).await? } else { Vec::new() };
        if inputs.is_empty() {
            apply::commit(&self.service, job, &rescan, Vec::new(), &self.id).await?;
            return Ok(0);
        }
        // Deltas for the versions these documents were scanned with (built once per worker).
        let mut deltas = HashMap::new();
        if !rescan.full {
            for input in &inputs {
                let v = &input.version;
                if v != &rescan.target_version && !deltas.contains_key(v) {
                    deltas.insert(v.clone(), self.delta(v).await?);
                }
            }
        }
        let pipeline = self.service.pipeline.clone();
        let reextract = rescan.reextract;
        let scanning = tokio::task::spawn_blocking(move || {
            inputs
                .into_iter()
                .map(|mut input| {
                    let delta = deltas.get(&input.version).cloned().flatten();
                    let scanned = scan(&pipeline, &mut input, delta.as_deref(), reextract);
                    (input, scanned)
                })
                .collect::<Vec<_>>()
        });
        // Keep the lease while scanning (re-extraction can take long).
        tokio::pin!(scanning);
        let mut renew = tokio::time::interval(self.queue.lease() / 3);
        renew.tick().await;
        let results = loop {
            tokio::select! {
                done = &mut scanning => break done.map_err(|_| ServiceError::Store(StoreError::Corrupt("scan task failed")))?,
                _ = renew.tick() => {
                    if !self.queue.renew(job).await? {
                        return Err(ServiceError::Conflict("lease_lost"));
                    }
                }
            }
        };
        let n = results.len();
        apply::commit(&self.service, job, &rescan, results, &self.id).await?;
        Ok(n)
    }

    /// Reads the pending documents of a batch with their sealed text (or original), in one
    /// query, and opens them.
    async fn read(&self, rescan_id: &str, batch: i64, reextract: bool) -> Result<Vec<Input>> {
        let store = &self.service.store;
        let blob = if reextract { "original" } else { "text" };
        let rows = sqlx::query(
            "SELECT d.id, d.status, d.detector_version, d.wrapped_key, d.has_text, b.data \
             FROM rescan_items ri JOIN documents d ON d.id = ri.document_id \
             LEFT JOIN blobs b ON b.document_id = d.id AND b.name = $3 \
             WHERE ri.rescan_id = $1 AND ri.batch = $2 AND ri.state = 'pending' ORDER BY d.id",
        )
        .bind(rescan_id)
        .bind(batch)
        .bind(blob)
        .fetch_all(&store.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get(0)?;
            let status: String = row.try_get(1)?;
            let mut input = Input {
                status: DocStatus::from_id(&status).ok_or(StoreError::Corrupt("status"))?,
                version: row.try_get(2)?,
                key: None,
                text: None,
                original: None,
                read_error: None,
                id,
            };
            if input.status == DocStatus::Erased {
                out.push(input);
                continue;
            }
            let id = input.id.as_str();
            let key = match row.try_get::<Option<Vec<u8>>, _>(3)?.map(|w| store.keys.unwrap(&w, id)) {
                Some(Ok(key)) => key,
                _ => {
                    input.read_error = Some("key_unavailable");
                    out.push(input);
                    continue;
                }
            };
            let has_text = row.try_get::<i64, _>(4)? != 0;
            match row.try_get::<Option<Vec<u8>>, _>(5)?.map(|sealed| key.open(&sealed, id, blob)) {
                Some(Ok(plain)) if reextract => input.original = Some(plain),
                Some(Ok(plain)) => match String::from_utf8(plain) {
                    Ok(text) => input.text = Some(text),
                    Err(_) => input.read_error = Some("corrupt_text"),
                },
                Some(Err(_)) => input.read_error = Some("decryption_failed"),
                // No stored text: the document could not be read at upload.
                None if !reextract && !has_text => {}
                None => input.read_error = Some("blob_missing"),
            }
            input.key = Some(key);
            out.push(input);
        }
        Ok(out)
    }

    /// The delta from `version`'s dictionaries to the current ones, if they are known and the
    /// change allows incremental evaluation.
    async fn delta(&self, version: &str) -> Result<Option<Arc<Delta>>> {
        if let Some(d) = self.deltas.lock().unwrap_or_else(|e| e.into_inner()).get(version) {
            return Ok(d.clone());
        }
        let row = sqlx::query("SELECT engine, files FROM detector_snapshots WHERE version = $1")
            .bind(version)
            .fetch_optional(&self.service.store.pool)
            .await?;
        let delta = match row {
            None => None,
            Some(row) => {
                let engine: String = row.try_get(0)?;
                let files: String = row.try_get(1)?;
                let files: Vec<(String, String)> =
                    serde_json::from_str(&files).map_err(|_| StoreError::Corrupt("detector snapshot"))?;
                let detector = self.service.pipeline.detector().clone();
                let version = version.to_string();
                tokio::task::spawn_blocking(move || Delta::between(files, &version, &engine, &detector))
                    .await
                    .map_err(|_| StoreError::Corrupt("delta task failed"))?
                    // Old dictionaries that no longer compile: scan in full.
                    .unwrap_or(None)
                    .map(Arc::new)
            }
        };
        if let Some(d) = &delta {
            tracing::info!(from = version, entries = d.entries(), "incremental rescan");
        }
        self.deltas.lock().unwrap_or_else(|e| e.into_inner()).insert(version.to_string(), delta.clone());
        Ok(delta)
    }
}

/// Scans one document as the rescan asks. Never panics (the pipeline catches the detector's
/// panics) and never reports a clear result for what it could not read.
/// The text (or original) is taken out of `input`: only the scan needs it.
fn scan(pipeline: &crate::pipeline::Pipeline, input: &mut Input, delta: Option<&Delta>, reextract: bool) -> Scanned {
    if input.status == DocStatus::Erased {
        return Scanned::Skipped("erased");
    }
    if let Some(code) = input.read_error {
        return Scanned::Failed(code.to_string());
    }
    if reextract {
        let Some(bytes) = input.original.take() else { return Scanned::Failed("blob_missing".into()) };
        return scanned(pipeline.scan_bytes(&bytes), input.key.as_ref());
    }
    let Some(text) = input.text.take() else { return Scanned::Skipped("no_text") };
    if delta.is_some_and(|d| !d.may_affect(&text)) {
        return Scanned::Unaffected;
    }
    let report: Report = pipeline.scan_text(text);
    scanned(report, input.key.as_ref())
}

/// A full scan's result, its findings digested (off the async threads, before the write lock).
fn scanned(report: Report, key: Option<&DataKey>) -> Scanned {
    let detected = key.filter(|_| report.error.is_none()).map(|k| Detected::of(&report, k));
    Scanned::Scan(Box::new(report), detected)
}

fn error_code(e: &ServiceError) -> &'static str {
    match e {
        ServiceError::Store(s) => s.code(),
        ServiceError::Conflict(c) => c,
        _ => "rescan_failed",
    }
}
