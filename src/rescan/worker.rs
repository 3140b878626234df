//! Workers: claim a batch, read the stored text, scan what the change can affect, and hand the
//! results to [`super::apply`]. Any number run at once, in any process on any machine.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::Row;
use tokio::sync::watch;

use super::Rescan;
use super::apply::{self, Detected, Scanned};
use crate::detect::{Delta, Sketch};
use crate::pipeline::Report;
use crate::review::{DocStatus, Result, SKETCH, Service, ServiceError, seal_sketch};
use crate::store::{Arg, DataKey, Job, MAX_ATTEMPTS, MasterKey, Queue, StoreError, id_array};

/// A worker's identity and its cache of dictionary deltas.
pub struct Worker {
    service: Arc<Service>,
    queue: Queue,
    id: String,
    only: Option<String>,
    deltas: Mutex<Deltas>,
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

impl WorkerStats {
    fn add(&mut self, other: Self) {
        self.jobs += other.jobs;
        self.retried += other.retried;
    }
}

/// The dictionary deltas of a batch, by the detector version its documents were scanned with.
type Deltas = HashMap<String, Option<Arc<Delta>>>;

/// A claimed job's batch, read and ready to scan.
struct Batch {
    job: Job,
    rescan: Rescan,
    inputs: Vec<Input>,
    deltas: Deltas,
    started: Instant,
}

/// A scanned batch, ready to commit.
struct Done {
    job: Job,
    rescan: Rescan,
    results: Vec<(Input, Scanned)>,
    started: Instant,
}

/// One document of a batch as read before scanning.
pub(super) struct Input {
    pub id: String,
    pub status: DocStatus,
    /// The detector version its stored findings come from.
    pub version: String,
    pub key: Option<DataKey>,
    pub has_text: bool,
    pub text: Option<String>,
    pub original: Option<Vec<u8>>,
    pub read_error: Option<&'static str>,
    /// The [`findings_digest`](crate::review) of its stored findings, as read.
    pub digest: Option<String>,
    /// The stored sketch of its text, when there is one of this engine's (incremental
    /// rescans read it).
    pub sketch: Option<Sketch>,
    /// Whether a sketch is stored (full rescans do not read it).
    pub has_sketch: bool,
    /// Its sketch shows that the dictionary change cannot affect it (its text is not read).
    pub unaffected: bool,
    /// A sealed sketch of the stored text, made because it had none (written with the outcome).
    pub new_sketch: Option<Vec<u8>>,
}

impl Input {
    /// Whether its text is needed: the sketch cannot rule the change out.
    fn needs_text(&self, delta: Option<&Delta>) -> bool {
        let readable = self.status != DocStatus::Erased && self.read_error.is_none() && self.has_text;
        readable && !matches!((delta, &self.sketch), (Some(d), Some(s)) if !d.may_affect_sketch(s))
    }
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
    /// Jobs in progress when `stop` turns are finished first; leases still held are returned.
    ///
    /// A worker is a three-stage pipeline: while one batch is scanned (on a blocking thread),
    /// the batch before it commits and the batch after it is claimed and read, so the database
    /// round trips and the fsyncs overlap the scanning instead of adding to it.
    pub async fn run(&self, mut stop: watch::Receiver<bool>, idle: Duration) -> Result<WorkerStats> {
        let mut stats = WorkerStats::default();
        let version = self.service.pipeline.detector().version().to_string();
        let mut ready: Option<Batch> = None;
        let mut scanned: Option<Done> = None;
        loop {
            let batch = match ready.take() {
                Some(batch) => Some(batch),
                None if *stop.borrow() => None,
                None => self.next_batch(&version, &mut stats).await,
            };
            let Some(batch) = batch else {
                if let Some(done) = scanned.take() {
                    self.commit(done, &mut stats).await;
                    continue;
                }
                if *stop.borrow() {
                    break;
                }
                if let Some(id) = &self.only {
                    if self.service.rescan(id).await?.state != "running" {
                        break;
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(idle) => {}
                    _ = stop.changed() => {}
                }
                continue;
            };
            // Re-extraction batches take long: no batch is held leased while one runs. The
            // scan starts at once; meanwhile the next job is claimed first, so that the claim (a
            // short write) does not queue behind the commit, and then its batch is read while
            // the previous batch commits.
            let prefetch = !batch.rescan.reextract && !*stop.borrow();
            let previous = scanned.take();
            let (mut committed, mut claimed) = (WorkerStats::default(), WorkerStats::default());
            let (done, (next, ())) = tokio::join!(self.scan(batch), async {
                let job = if prefetch { self.claim(&version, &mut claimed).await } else { None };
                tokio::join!(
                    async {
                        match job {
                            Some(job) => match self.prepared(job, &mut claimed).await {
                                Some(batch) => Some(batch),
                                None => self.next_batch(&version, &mut claimed).await,
                            },
                            None => None,
                        }
                    },
                    async {
                        if let Some(done) = previous {
                            self.commit(done, &mut committed).await;
                        }
                    },
                )
            });
            stats.add(committed);
            stats.add(claimed);
            if done.is_none() {
                stats.retried += 1;
            }
            (ready, scanned) = (next, done);
        }
        self.queue.release_all(&self.id).await?;
        Ok(stats)
    }

    /// Claims the next job and reads its batch. Jobs that cannot be read are given back.
    async fn next_batch(&self, version: &str, stats: &mut WorkerStats) -> Option<Batch> {
        loop {
            let job = self.claim(version, stats).await?;
            if let Some(batch) = self.prepared(job, stats).await {
                return Some(batch);
            }
        }
    }

    /// Claims the next job this worker can run, giving up on those whose workers keep dying.
    async fn claim(&self, version: &str, stats: &mut WorkerStats) -> Option<Job> {
        loop {
            let job = match self.queue.claim(&self.id, version, self.only.as_deref()).await {
                Ok(job) => job?,
                Err(e) => {
                    tracing::warn!(worker = %self.id, error = e.code(), "claim failed");
                    return None;
                }
            };
            // Claimed again and again because its workers died (a crash outside the panic
            // guard, the memory limit): give up on it like on any failure.
            if job.attempts > MAX_ATTEMPTS {
                self.give_back(&job, "workers_lost").await;
                stats.retried += 1;
                continue;
            }
            return Some(job);
        }
    }

    /// Reads a claimed job's batch; if it cannot be read, gives the job back.
    async fn prepared(&self, job: Job, stats: &mut WorkerStats) -> Option<Batch> {
        let started = Instant::now();
        match self.prepare(&job).await {
            Ok((rescan, inputs, deltas)) => Some(Batch { job, rescan, inputs, deltas, started }),
            Err(e) => {
                let code = error_code(&e);
                tracing::warn!(worker = %self.id, job = %job.id, attempt = job.attempts, error = code, "rescan batch failed");
                self.give_back(&job, code).await;
                stats.retried += 1;
                None
            }
        }
    }

    /// Scans a batch on a blocking thread, keeping its lease. On failure the job is given back.
    async fn scan(&self, batch: Batch) -> Option<Done> {
        let Batch { job, rescan, inputs, deltas, started } = batch;
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
        let failed = loop {
            tokio::select! {
                done = &mut scanning => match done {
                    Ok(results) => return Some(Done { job, rescan, results, started }),
                    Err(_) => break "scan_failed",
                },
                _ = renew.tick() => match self.queue.renew(&job).await {
                    Ok(true) => {}
                    Ok(false) => break "lease_lost",
                    Err(e) => break e.code(),
                },
            }
        };
        tracing::warn!(worker = %self.id, job = %job.id, attempt = job.attempts, error = failed, "rescan batch failed");
        self.give_back(&job, failed).await;
        None
    }

    /// Commits a scanned batch; on failure gives it back for a retry.
    async fn commit(&self, done: Done, stats: &mut WorkerStats) {
        let Done { job, rescan, results, started } = done;
        let n = results.len();
        match apply::commit(&self.service, &job, &rescan, results, &self.id).await {
            Ok(()) => {
                stats.jobs += 1;
                tracing::info!(worker = %self.id, job = %job.id, documents = n, ms = started.elapsed().as_millis() as u64, "rescan batch done");
            }
            Err(e) => {
                let code = error_code(&e);
                tracing::warn!(worker = %self.id, job = %job.id, attempt = job.attempts, error = code, "rescan batch failed");
                self.give_back(&job, code).await;
                stats.retried += 1;
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

    /// Reads a claimed job's batch: its documents, their sketches, and the texts the sketches
    /// cannot rule out (every text, for a full rescan), with the deltas to test them against.
    async fn prepare(&self, job: &Job) -> Result<(Rescan, Vec<Input>, Deltas)> {
        let (Some(rescan_id), Some(batch)) = (&job.rescan_id, job.batch) else {
            return Err(ServiceError::Store(StoreError::Corrupt("job without a rescan")));
        };
        let rescan = self.service.rescan(rescan_id).await?;
        // A full scan needs every text; an incremental one first asks the sketches.
        let blob = match (rescan.reextract, rescan.full) {
            (true, _) => Some("original"),
            (false, true) => Some("text"),
            (false, false) => None,
        };
        let mut deltas = HashMap::new();
        if rescan.state != "running" {
            return Ok((rescan, Vec::new(), deltas));
        }
        let mut inputs = self.read(rescan_id, batch, blob).await?;
        if blob.is_none() {
            // Deltas for the versions these documents were scanned with (built once per worker).
            for input in &inputs {
                let v = &input.version;
                if v != &rescan.target_version && !deltas.contains_key(v) {
                    deltas.insert(v.clone(), self.delta(v).await?);
                }
            }
            let mut wanted = Vec::new();
            for input in &mut inputs {
                let delta = deltas.get(&input.version).cloned().flatten();
                if input.needs_text(delta.as_deref()) {
                    wanted.push(input.id.clone());
                } else if input.has_text && input.sketch.is_some() {
                    input.unaffected = true;
                }
            }
            self.read_texts(&mut inputs, &wanted).await?;
        }
        Ok((rescan, inputs, deltas))
    }

    /// Reads the pending documents of a batch with their sketches and, when `blob` names one,
    /// that sealed blob (the text, or the original file), in one query, and opens them.
    async fn read(&self, rescan_id: &str, batch: i64, blob: Option<&'static str>) -> Result<Vec<Input>> {
        let store = &self.service.store;
        // Without a blob to read, the query still has its column (always NULL); a full rescan
        // only asks whether a sketch is stored (it writes one where none is).
        let (join, column) = match blob {
            Some(_) => ("LEFT JOIN blobs b ON b.document_id = d.id AND b.name = $4", "b.data"),
            None => ("", "NULL"),
        };
        let sketch = if blob.is_some() { "NULL" } else { "s.data" };
        let sql = format!(
            "SELECT d.id, d.status, d.detector_version, d.wrapped_key, d.has_text, d.findings_digest, \
             CAST(CASE WHEN s.document_id IS NULL THEN 0 ELSE 1 END AS BIGINT), {sketch}, {column} \
             FROM rescan_items ri JOIN documents d ON d.id = ri.document_id \
             LEFT JOIN blobs s ON s.document_id = d.id AND s.name = $3 {join} \
             WHERE ri.rescan_id = $1 AND ri.batch = $2 AND ri.state = 'pending'"
        );
        if let Some(bulk) = store.bulk.clone() {
            let mut args = vec![Arg::Text(rescan_id.to_string()), Arg::Int(batch), Arg::Text(SKETCH.into())];
            args.extend(blob.map(|b| Arg::Text(b.into())));
            let keys = store.keys.clone();
            return tokio::task::spawn_blocking(move || {
                let rows = bulk.query(&sql, &args, |r| {
                    Ok(Raw {
                        id: r.get(0)?,
                        status: r.get(1)?,
                        version: r.get(2)?,
                        wrapped_key: r.get(3)?,
                        has_text: r.get::<_, i64>(4)? != 0,
                        digest: r.get(5)?,
                        has_sketch: r.get::<_, i64>(6)? != 0,
                        sketch: r.get(7)?,
                        data: r.get(8)?,
                    })
                })?;
                open_rows(&keys, rows, blob)
            })
            .await
            .map_err(|_| StoreError::Corrupt("read task failed"))?;
        }
        let mut q = sqlx::query(&sql).bind(rescan_id).bind(batch).bind(SKETCH);
        if let Some(blob) = blob {
            q = q.bind(blob);
        }
        let mut rows = Vec::new();
        for r in q.fetch_all(&store.pool).await? {
            rows.push(Raw {
                id: r.try_get(0)?,
                status: r.try_get(1)?,
                version: r.try_get(2)?,
                wrapped_key: r.try_get(3)?,
                has_text: r.try_get::<i64, _>(4)? != 0,
                digest: r.try_get(5)?,
                has_sketch: r.try_get::<i64, _>(6)? != 0,
                sketch: r.try_get(7)?,
                data: r.try_get(8)?,
            });
        }
        open_rows(&store.keys, rows, blob)
    }

    /// Reads and opens the stored texts of the documents `ids` of a batch, in one query.
    async fn read_texts(&self, inputs: &mut [Input], ids: &[String]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let store = &self.service.store;
        let sql = format!(
            "SELECT document_id, data FROM blobs WHERE name = 'text' AND document_id IN ({})",
            store.backend.ids_in(1)
        );
        let mut sealed: HashMap<String, Vec<u8>> = HashMap::new();
        if let Some(bulk) = store.bulk.clone() {
            let args = [Arg::Text(id_array(ids))];
            let rows = tokio::task::spawn_blocking(move || bulk.query(&sql, &args, |r| Ok((r.get(0)?, r.get(1)?))))
                .await
                .map_err(|_| StoreError::Corrupt("read task failed"))??;
            sealed.extend(rows);
        } else {
            for row in sqlx::query(&sql).bind(id_array(ids)).fetch_all(&store.pool).await? {
                sealed.insert(row.try_get(0)?, row.try_get(1)?);
            }
        }
        let wanted: HashSet<&String> = ids.iter().collect();
        for input in inputs.iter_mut().filter(|i| wanted.contains(&i.id)) {
            let Some(key) = input.key.take() else { continue };
            let data = sealed.remove(&input.id);
            open_blob(input, &key, "text", data);
            input.key = Some(key);
        }
        Ok(())
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

/// A batch row as stored: the document, its sealed sketch and its sealed blob, if read.
struct Raw {
    id: String,
    status: String,
    version: String,
    wrapped_key: Option<Vec<u8>>,
    has_text: bool,
    digest: Option<String>,
    has_sketch: bool,
    sketch: Option<Vec<u8>>,
    data: Option<Vec<u8>>,
}

/// Opens a batch's rows: each document's key, its sketch, and its blob (`blob`) if read.
fn open_rows(keys: &MasterKey, rows: Vec<Raw>, blob: Option<&str>) -> Result<Vec<Input>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut input = Input {
            status: DocStatus::from_id(&row.status).ok_or(StoreError::Corrupt("status"))?,
            version: row.version,
            key: None,
            has_text: row.has_text,
            text: None,
            original: None,
            read_error: None,
            digest: row.digest,
            sketch: None,
            has_sketch: row.has_sketch,
            unaffected: false,
            new_sketch: None,
            id: row.id,
        };
        if input.status == DocStatus::Erased {
            out.push(input);
            continue;
        }
        let id = input.id.as_str();
        let key = match row.wrapped_key.map(|w| keys.unwrap(&w, id)) {
            Some(Ok(key)) => key,
            _ => {
                input.read_error = Some("key_unavailable");
                out.push(input);
                continue;
            }
        };
        // A sketch that does not open or parse (another engine's) is as good as none: the
        // text is read, and a new sketch made.
        if let Some(sealed) = row.sketch {
            input.sketch = key.open(&sealed, id, SKETCH).ok().and_then(|plain| Sketch::from_bytes(&plain));
            input.has_sketch = input.sketch.is_some();
        }
        if let Some(blob) = blob {
            open_blob(&mut input, &key, blob, row.data);
        }
        input.key = Some(key);
        out.push(input);
    }
    Ok(out)
}

/// Opens a sealed blob (`text` or `original`) into `input`, or records why it cannot.
fn open_blob(input: &mut Input, key: &DataKey, blob: &str, sealed: Option<Vec<u8>>) {
    let id = input.id.as_str();
    match sealed.map(|sealed| key.open(&sealed, id, blob)) {
        Some(Ok(plain)) if blob == "original" => input.original = Some(plain),
        Some(Ok(plain)) => match String::from_utf8(plain) {
            Ok(text) => input.text = Some(text),
            Err(_) => input.read_error = Some("corrupt_text"),
        },
        Some(Err(_)) => input.read_error = Some("decryption_failed"),
        // No stored text: the document could not be read at upload.
        None if blob == "text" && !input.has_text => {}
        None => input.read_error = Some("blob_missing"),
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
    if input.unaffected {
        return Scanned::Unaffected;
    }
    if reextract {
        let Some(bytes) = input.original.take() else { return Scanned::Failed("blob_missing".into()) };
        return scanned(pipeline.scan_bytes(&bytes), input.key.as_ref());
    }
    let Some(text) = input.text.take() else { return Scanned::Skipped("no_text") };
    // Stored before sketches existed (or by another engine): made once, from the stored text.
    if !input.has_sketch {
        input.new_sketch = input.key.as_ref().map(|k| seal_sketch(k, &input.id, &text));
    }
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
