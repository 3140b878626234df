//! Committing a batch's outcomes: one transaction for the job's completion, every document's
//! change, its outcome row, its audit entry and notification. Nothing here releases a
//! document; a released document whose findings its consent does not cover is held again.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde_json::json;
use sqlx::Row;

use super::Rescan;
use super::plan::summarize;
use super::worker::Input;
use crate::detect::{Action, Category};
use crate::pipeline::Report;
use crate::review::{DocStatus, Result, SKETCH, Service, ServiceError, findings_digest, holding, put_text};
use crate::store::{Audit, DataKey, Job, Queue, WriteTx, id_array, new_id, now};

/// What scanning one document gave.
pub(super) enum Scanned {
    /// Not scanned: erased meanwhile, or no stored text to scan (the reason is recorded).
    Skipped(&'static str),
    /// The dictionary change cannot affect this text: its findings stand.
    Unaffected,
    /// Scanned in full (the report may be an error), with its findings digested unless it is.
    Scan(Box<Report>, Option<Detected>),
    /// Could not be read (key, blob, decryption).
    Failed(String),
}

/// A stored finding, as compared with a new one.
struct Stored {
    id: String,
    category: String,
    confidence: f64,
    start: i64,
    end: i64,
    rule: String,
    span_mac: String,
    review_state: String,
}

/// One document's outcome row.
#[derive(Default)]
struct Outcome {
    method: &'static str,
    changed: bool,
    requarantined: bool,
    added: BTreeMap<String, i64>,
    removed: BTreeMap<String, i64>,
    error: Option<String>,
}

/// Commits a batch: the job's completion (only while its lease is still ours), then each
/// document's outcome (only while its row is pending), then the rescan's end if this was its
/// last batch. Returns an error, and commits nothing, when the lease was lost.
pub(super) async fn commit(
    service: &Service,
    job: &Job,
    rescan: &Rescan,
    results: Vec<(Input, Scanned)>,
    worker: &str,
) -> Result<()> {
    let mut tx = service.store.begin().await?;
    if !Queue::finish(&mut tx, job).await? {
        return Err(ServiceError::Conflict("lease_lost"));
    }
    let scans: HashMap<&str, &Detected> = results
        .iter()
        .filter_map(|(input, scanned)| match scanned {
            Scanned::Scan(_, Some(detected)) => Some((input.id.as_str(), detected)),
            _ => None,
        })
        .collect();
    let mut groups = Groups::new(worker);
    let settled = if rescan.dry_run { HashSet::new() } else { settle(&mut tx, rescan, &results, &mut groups).await? };
    let ids: Vec<&str> = results.iter().map(|(i, _)| i.id.as_str()).filter(|i| !settled.contains(i)).collect();
    let mut current = Current::read(&mut tx, &ids).await?;
    // Only documents whose findings differ from what is stored need their rows.
    let differ: Vec<&str> = scans
        .iter()
        .filter(|(id, _)| !settled.contains(**id))
        .filter(|(id, d)| current.docs.get(**id).is_none_or(|doc| doc.digest.as_ref() != Some(&d.digest)))
        .map(|(id, _)| *id)
        .collect();
    current.read_findings(&mut tx, &differ).await?;
    for (input, scanned) in results.iter().filter(|(i, _)| !settled.contains(i.id.as_str())) {
        let detected = scans.get(input.id.as_str()).copied();
        apply_one(&mut tx, rescan, &mut current, input, scanned, detected, &mut groups).await?;
    }
    groups.write(&mut tx, rescan).await?;
    finish_if_done(&mut tx, rescan).await?;
    tx.commit().await?;
    Ok(())
}

/// A group of documents [`settle`] commits in one statement: their old version, and the
/// verdict of their scan (none when unaffected). Each has its id and stored digest.
type Settle<'r> = (&'r str, Option<&'static str>);

/// Commits, in a few set-based statements, the documents of a batch whose outcome leaves
/// them as they were read: those a sketch showed unaffected (the version moves on), and
/// those whose full scan gave the findings they have (version and verdict). Each statement
/// is guarded by what was read: the old version, not erased, and for scanned documents the
/// same findings digest. A group where the guard does not hold for every document is left to
/// [`apply_one`], which reads the document under the lock (the statement's changes are then
/// idempotent). Returns the settled documents.
async fn settle<'r>(
    tx: &mut WriteTx,
    rescan: &Rescan,
    results: &'r [(Input, Scanned)],
    groups: &mut Groups<'_>,
) -> Result<HashSet<&'r str>> {
    let mut same: BTreeMap<Settle<'r>, Vec<(&'r str, &'r str)>> = BTreeMap::new();
    for (input, scanned) in results {
        if input.new_sketch.is_some() {
            continue;
        }
        match (scanned, &input.digest) {
            (Scanned::Unaffected, _) => {
                same.entry((input.version.as_str(), None)).or_default().push((input.id.as_str(), ""));
            }
            (Scanned::Scan(report, Some(d)), Some(digest)) if !rescan.reextract && &d.digest == digest => {
                let key = (input.version.as_str(), Some(report.status.id()));
                same.entry(key).or_default().push((input.id.as_str(), digest.as_str()));
            }
            _ => {}
        }
    }
    let mut settled = HashSet::new();
    let at = now();
    for ((old, verdict), docs) in same {
        let ids: Vec<&str> = docs.iter().map(|(id, _)| *id).collect();
        let done = match verdict {
            None => {
                let sql = format!(
                    "UPDATE documents SET detector_version = $1 WHERE detector_version = $2 AND status <> 'erased' AND id IN ({})",
                    tx.backend.ids_in(3)
                );
                sqlx::query(&sql)
                    .bind(&rescan.target_version)
                    .bind(old)
                    .bind(id_array(&ids))
                    .execute(&mut *tx.tx)
                    .await?
            }
            Some(verdict) => {
                let pairs: Vec<String> = docs.iter().map(|(id, digest)| format!("{id}:{digest}")).collect();
                let sql = format!(
                    "UPDATE documents SET detector_version = $1, verdict = $2, updated_at = $3 \
                     WHERE detector_version = $4 AND status <> 'erased' AND id IN ({}) \
                     AND id || ':' || findings_digest IN ({})",
                    tx.backend.ids_in(5),
                    tx.backend.ids_in(6)
                );
                sqlx::query(&sql)
                    .bind(&rescan.target_version)
                    .bind(verdict)
                    .bind(&at)
                    .bind(old)
                    .bind(id_array(&ids))
                    .bind(id_array(&pairs))
                    .execute(&mut *tx.tx)
                    .await?
            }
        };
        if done.rows_affected() == ids.len() as u64 {
            let method = if verdict.is_some() { "scan" } else { "unaffected" };
            groups.outcomes.entry((method, None)).or_default().extend(ids.iter().map(|id| id.to_string()));
            settled.extend(ids);
        }
    }
    Ok(settled)
}

/// A full scan's findings, digested as stored findings are.
pub(super) struct Detected {
    /// The span MAC of each finding.
    macs: Vec<String>,
    /// [`findings_digest`] of the findings.
    digest: String,
}

impl Detected {
    /// The span MACs and digest of a report's findings, under the document's key.
    pub(super) fn of(report: &Report, key: &DataKey) -> Self {
        let macs: Vec<String> = report.findings.iter().map(|f| key.span_mac(&f.text)).collect();
        let digest = findings_digest(&report.findings, &macs);
        Self { macs, digest }
    }
}

/// A document as it is now.
struct Doc {
    status: DocStatus,
    owner: String,
    version: String,
    digest: Option<String>,
}

/// The batch's documents as they are now, under the write lock (consent, reviews or erasure
/// may have happened since the batch was read): one query for the batch, two more for the
/// documents whose findings changed.
struct Current {
    /// Each live document.
    docs: HashMap<String, Doc>,
    /// Stored findings of the documents whose scan differs from them.
    findings: HashMap<String, Vec<Stored>>,
    /// Categories covered by consents in force, for the same documents.
    covered: HashMap<String, BTreeSet<Category>>,
}

impl Current {
    async fn read(tx: &mut WriteTx, ids: &[&str]) -> Result<Self> {
        let mut docs = HashMap::new();
        if ids.is_empty() {
            return Ok(Self { docs, findings: HashMap::new(), covered: HashMap::new() });
        }
        let sql = format!(
            "SELECT id, status, owner_id, detector_version, findings_digest FROM documents WHERE id IN ({})",
            tx.backend.ids_in(1)
        );
        for r in sqlx::query(&sql).bind(id_array(ids)).fetch_all(&mut *tx.tx).await? {
            let status = DocStatus::from_id(&r.try_get::<String, _>(1)?).unwrap_or(DocStatus::Erased);
            let doc = Doc { status, owner: r.try_get(2)?, version: r.try_get(3)?, digest: r.try_get(4)? };
            docs.insert(r.try_get(0)?, doc);
        }
        Ok(Self { docs, findings: HashMap::new(), covered: HashMap::new() })
    }

    async fn read_findings(&mut self, tx: &mut WriteTx, scanned: &[&str]) -> Result<()> {
        let (findings, covered) = (&mut self.findings, &mut self.covered);
        if !scanned.is_empty() {
            let sql = format!(
                "SELECT document_id, id, category, start_byte, end_byte, rule, span_mac, review_state, confidence \
                 FROM findings WHERE document_id IN ({})",
                tx.backend.ids_in(1)
            );
            for r in sqlx::query(&sql).bind(id_array(scanned)).fetch_all(&mut *tx.tx).await? {
                findings.entry(r.try_get(0)?).or_default().push(Stored {
                    id: r.try_get(1)?,
                    category: r.try_get(2)?,
                    start: r.try_get(3)?,
                    end: r.try_get(4)?,
                    rule: r.try_get(5)?,
                    span_mac: r.try_get(6)?,
                    review_state: r.try_get(7)?,
                    confidence: r.try_get(8)?,
                });
            }
            let sql = format!(
                "SELECT c.document_id, c.categories FROM consents c LEFT JOIN consent_withdrawals w ON w.consent_id = c.id \
                 WHERE w.consent_id IS NULL AND c.document_id IN ({})",
                tx.backend.ids_in(1)
            );
            for r in sqlx::query(&sql).bind(id_array(scanned)).fetch_all(&mut *tx.tx).await? {
                let list: Vec<String> = serde_json::from_str(&r.try_get::<String, _>(1)?).unwrap_or_default();
                covered.entry(r.try_get(0)?).or_default().extend(list.iter().filter_map(|c| Category::from_id(c)));
            }
        }
        Ok(())
    }
}

/// Writes that are the same for many documents of a batch, done in one statement each: the
/// detector version (and verdict) of documents, and outcome rows without counts.
struct Groups<'w> {
    /// The worker the outcome rows name.
    worker: &'w str,
    /// Verdict (or none: version only) -> documents.
    versions: BTreeMap<Option<&'static str>, Vec<String>>,
    /// (method, reason) -> documents whose outcome row has nothing else.
    outcomes: BTreeMap<(&'static str, Option<String>), Vec<String>>,
}

impl<'w> Groups<'w> {
    fn new(worker: &'w str) -> Self {
        Self { worker, versions: BTreeMap::new(), outcomes: BTreeMap::new() }
    }

    async fn write(self, tx: &mut WriteTx, rescan: &Rescan) -> Result<()> {
        let worker = self.worker;
        let at = now();
        for (verdict, ids) in &self.versions {
            let q = match verdict {
                Some(_) => format!(
                    "UPDATE documents SET detector_version = $1, verdict = $2, updated_at = $3 WHERE id IN ({})",
                    tx.backend.ids_in(4)
                ),
                None => format!("UPDATE documents SET detector_version = $1 WHERE id IN ({})", tx.backend.ids_in(2)),
            };
            let mut q = sqlx::query(&q).bind(&rescan.target_version);
            if let Some(v) = verdict {
                q = q.bind(*v).bind(&at);
            }
            q.bind(id_array(ids)).execute(&mut *tx.tx).await?;
        }
        for ((method, reason), ids) in &self.outcomes {
            let sql = format!(
                "UPDATE rescan_items SET state = 'done', method = $1, error_code = $2, worker = $3, done_at = $4 \
                 WHERE rescan_id = $5 AND state = 'pending' AND document_id IN ({})",
                tx.backend.ids_in(6)
            );
            let q = sqlx::query(&sql).bind(*method).bind(reason).bind(worker).bind(&at).bind(&rescan.id);
            let done = q.bind(id_array(ids)).execute(&mut *tx.tx).await?.rows_affected();
            if done != ids.len() as u64 {
                // Some row was not pending: only possible if two holders of one lease raced,
                // which `Queue::finish` excludes. Refuse the whole batch rather than apply twice.
                return Err(ServiceError::Conflict("outcome_exists"));
            }
        }
        Ok(())
    }
}

/// Marks the pending documents of a batch that failed for good (their documents are not
/// touched: they stay stale for the next rescan) and ends the rescan if nothing is left.
pub(super) async fn fail_batch(service: &Service, job: &Job, code: &str) -> Result<()> {
    let (Some(rescan_id), Some(batch)) = (&job.rescan_id, job.batch) else { return Ok(()) };
    let rescan = service.rescan(rescan_id).await?;
    let mut tx = service.store.begin().await?;
    sqlx::query(
        "UPDATE rescan_items SET state = 'failed', error_code = $1, done_at = $2 WHERE rescan_id = $3 AND batch = $4 AND state = 'pending'",
    )
    .bind(code)
    .bind(now())
    .bind(rescan_id)
    .bind(batch)
    .execute(&mut *tx.tx)
    .await?;
    finish_if_done(&mut tx, &rescan).await?;
    tx.commit().await?;
    Ok(())
}

async fn finish_if_done(tx: &mut WriteTx, rescan: &Rescan) -> Result<()> {
    // A batch's outcomes and its job's end commit together, so documents are pending while
    // their job is queued or running, or failed and its documents not yet marked (the jobs
    // are few: one per batch).
    let pending = sqlx::query(
        "SELECT 1 FROM jobs j WHERE j.rescan_id = $1 AND (j.state IN ('queued', 'running') OR (j.state = 'failed' \
         AND EXISTS (SELECT 1 FROM rescan_items ri WHERE ri.rescan_id = j.rescan_id AND ri.batch = j.batch AND ri.state = 'pending'))) \
         LIMIT 1",
    )
    .bind(&rescan.id)
        .fetch_optional(&mut *tx.tx)
        .await?;
    if pending.is_some() {
        return Ok(());
    }
    let ended =
        sqlx::query("UPDATE rescans SET state = 'finished', finished_at = $1 WHERE id = $2 AND state = 'running'")
            .bind(now())
            .bind(&rescan.id)
            .execute(&mut *tx.tx)
            .await?
            .rows_affected();
    if ended == 1 && !rescan.dry_run {
        let s = summarize(&mut *tx.tx, &rescan.id).await?;
        let failed: i64 = sqlx::query("SELECT COUNT(*) FROM rescan_items WHERE rescan_id = $1 AND state = 'failed'")
            .bind(&rescan.id)
            .fetch_one(&mut *tx.tx)
            .await?
            .try_get(0)?;
        tx.audit(Audit {
            actor_id: None,
            action: "rescan_finished",
            document_id: None,
            subject_id: None,
            detail: json!({
                "rescan": rescan.id, "dry_run": rescan.dry_run, "documents": rescan.total, "failed": failed,
                "scanned": s.scanned, "unaffected": s.unaffected, "changed": s.changed,
                "requarantined": s.requarantined, "added": s.added, "removed": s.removed,
            }),
        });
        tracing::info!(rescan = %rescan.id, documents = rescan.total, changed = s.changed, requarantined = s.requarantined, failed, "rescan finished");
    }
    Ok(())
}

/// Applies one document's result: its own changes at once, its version bump and a plain
/// outcome row into `groups`, an outcome row with counts at once.
async fn apply_one(
    tx: &mut WriteTx,
    rescan: &Rescan,
    current: &mut Current,
    input: &Input,
    scanned: &Scanned,
    detected: Option<&Detected>,
    groups: &mut Groups<'_>,
) -> Result<()> {
    let doc_id = input.id.as_str();
    let Doc { status, owner, version, digest } = current.docs.remove(doc_id).unwrap_or(Doc {
        status: DocStatus::Erased,
        owner: String::new(),
        version: String::new(),
        digest: None,
    });
    let mut outcome = Outcome::default();
    let write = !rescan.dry_run;
    // The detector version (and verdict) to record, if any.
    let mut bump: Option<Option<&'static str>> = None;
    match scanned {
        _ if status == DocStatus::Erased => {
            outcome.method = "skipped";
            outcome.error = Some("erased".into());
        }
        Scanned::Skipped(why) => {
            outcome.method = "skipped";
            outcome.error = Some(why.to_string());
        }
        Scanned::Unaffected => {
            outcome.method = "unaffected";
            // Unless another rescan brought it forward meanwhile (its findings are current).
            if version == input.version {
                bump = Some(None);
            }
        }
        Scanned::Failed(code) => {
            outcome.method = "error";
            outcome.requarantined = hold_unreadable(tx, rescan, doc_id, &owner, status, code, write).await?;
            outcome.error = Some(code.clone());
        }
        Scanned::Scan(report, _) if report.error.is_some() => {
            let code = report.error.as_ref().map(|e| e.code.clone()).unwrap_or_default();
            outcome.method = "error";
            outcome.requarantined = hold_unreadable(tx, rescan, doc_id, &owner, status, &code, write).await?;
            outcome.error = Some(code);
        }
        Scanned::Scan(report, _) => {
            outcome.method = "scan";
            let (Some(key), Some(detected)) = (&input.key, detected) else { return Err(ServiceError::NotFound) };
            // The same findings as stored: nothing to compare or change (the document's status
            // already follows from them).
            if digest.as_ref() != Some(&detected.digest) {
                let stored = current.findings.remove(doc_id).unwrap_or_default();
                let covered = current.covered.remove(doc_id).unwrap_or_default();
                apply_report(
                    tx,
                    rescan,
                    doc_id,
                    &owner,
                    status,
                    key,
                    report,
                    &detected.macs,
                    stored,
                    &covered,
                    &mut outcome,
                )
                .await?;
                if write {
                    sqlx::query("UPDATE documents SET findings_digest = $1 WHERE id = $2")
                        .bind(&detected.digest)
                        .bind(doc_id)
                        .execute(&mut *tx.tx)
                        .await?;
                }
            }
            bump = Some(Some(report.status.id()));
        }
    }
    if let Some(verdict) = bump.filter(|_| write) {
        groups.versions.entry(verdict).or_default().push(doc_id.to_string());
    }
    if let Some(sketch) = input.new_sketch.as_ref().filter(|_| write && status != DocStatus::Erased) {
        tx.put_blob(doc_id, SKETCH, sketch).await?;
    }
    if !outcome.changed && !outcome.requarantined {
        groups.outcomes.entry((outcome.method, outcome.error)).or_default().push(doc_id.to_string());
        return Ok(());
    }
    let done = sqlx::query(
        "UPDATE rescan_items SET state = 'done', method = $1, changed = $2, requarantined = $3, added = $4, removed = $5, \
         error_code = $6, worker = $7, done_at = $8 WHERE rescan_id = $9 AND document_id = $10 AND state = 'pending'",
    )
    .bind(outcome.method)
    .bind(i64::from(outcome.changed))
    .bind(i64::from(outcome.requarantined))
    .bind((!outcome.added.is_empty()).then(|| json!(outcome.added).to_string()))
    .bind((!outcome.removed.is_empty()).then(|| json!(outcome.removed).to_string()))
    .bind(&outcome.error)
    .bind(groups.worker)
    .bind(now())
    .bind(&rescan.id)
    .bind(doc_id)
    .execute(&mut *tx.tx)
    .await?
    .rows_affected();
    if done != 1 {
        // See `Groups::write`.
        return Err(ServiceError::Conflict("outcome_exists"));
    }
    Ok(())
}

/// A released document that can no longer be read or scanned is held (fail closed).
async fn hold_unreadable(
    tx: &mut WriteTx,
    rescan: &Rescan,
    doc_id: &str,
    owner: &str,
    status: DocStatus,
    code: &str,
    write: bool,
) -> Result<bool> {
    if status != DocStatus::Released {
        return Ok(false);
    }
    if write {
        sqlx::query(
            "UPDATE documents SET status = 'quarantined', reason = 'unscannable', updated_at = $1 WHERE id = $2",
        )
        .bind(now())
        .bind(doc_id)
        .execute(&mut *tx.tx)
        .await?;
        tx.audit(Audit {
            actor_id: None,
            action: "rescan_hold",
            document_id: Some(doc_id.to_string()),
            subject_id: Some(owner.to_string()),
            detail: json!({ "rescan": rescan.id, "error": code }),
        });
    }
    Ok(true)
}

/// Replaces a document's findings with a full scan's: unchanged findings keep their rows and
/// review states, a new finding with the rule and span of one an advisor resolved as a false
/// positive stays resolved, vanished findings are deleted. Then the consent check.
#[allow(clippy::too_many_arguments)]
async fn apply_report(
    tx: &mut WriteTx,
    rescan: &Rescan,
    doc_id: &str,
    owner: &str,
    status: DocStatus,
    key: &DataKey,
    report: &Report,
    macs: &[String],
    stored: Vec<Stored>,
    covered: &BTreeSet<Category>,
    outcome: &mut Outcome,
) -> Result<()> {
    let resolved: BTreeSet<(&str, &str)> = stored
        .iter()
        .filter(|s| s.review_state == "false_positive")
        .map(|s| (s.rule.as_str(), s.span_mac.as_str()))
        .collect();
    let mut kept = vec![false; stored.len()];
    // (category, state) of every finding the document will have.
    let mut final_states: Vec<(Category, String)> = Vec::new();
    let at = now();
    for (f, mac) in report.findings.iter().zip(macs) {
        let mac = mac.as_str();
        let same = stored.iter().enumerate().position(|(i, s)| {
            !kept[i]
                && s.category == f.category.id()
                && s.rule == f.rule
                && s.start == f.start as i64
                && s.end == f.end as i64
                && s.span_mac == mac
        });
        if let Some(i) = same {
            kept[i] = true;
            final_states.push((f.category, stored[i].review_state.clone()));
            // An entry's confidence may have been retuned: the same finding, updated.
            if stored[i].confidence != f.confidence && !rescan.dry_run {
                sqlx::query("UPDATE findings SET confidence = $1 WHERE id = $2")
                    .bind(f.confidence)
                    .bind(&stored[i].id)
                    .execute(&mut *tx.tx)
                    .await?;
            }
            continue;
        }
        let state = if resolved.contains(&(f.rule.as_str(), mac)) { "false_positive" } else { "pending" };
        *outcome.added.entry(f.category.id().to_string()).or_default() += 1;
        final_states.push((f.category, state.to_string()));
        if rescan.dry_run {
            continue;
        }
        sqlx::query(
            "INSERT INTO findings (id, document_id, category, start_byte, end_byte, confidence, rule, span_mac, review_state, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(new_id())
        .bind(doc_id)
        .bind(f.category.id())
        .bind(f.start as i64)
        .bind(f.end as i64)
        .bind(f.confidence)
        .bind(&f.rule)
        .bind(mac)
        .bind(state)
        .bind(&at)
        .execute(&mut *tx.tx)
        .await?;
    }
    for (s, kept) in stored.iter().zip(&kept) {
        if *kept {
            continue;
        }
        *outcome.removed.entry(s.category.clone()).or_default() += 1;
        if !rescan.dry_run {
            sqlx::query("DELETE FROM findings WHERE id = $1").bind(&s.id).execute(&mut *tx.tx).await?;
        }
    }
    outcome.changed = !outcome.added.is_empty() || !outcome.removed.is_empty();

    // Categories that hold the document, against the consents in force.
    let unresolved = holding(final_states.iter().map(|(c, state)| (*c, state.as_str())));
    // A My Number can never be consented to.
    let uncovered: Vec<Category> =
        unresolved.iter().copied().filter(|c| c.action() == Action::Reject || !covered.contains(c)).collect();
    outcome.requarantined = status == DocStatus::Released && !uncovered.is_empty();

    if rescan.dry_run {
        return Ok(());
    }
    if rescan.reextract {
        sqlx::query("UPDATE documents SET has_text = 1, error_code = NULL WHERE id = $1")
            .bind(doc_id)
            .execute(&mut *tx.tx)
            .await?;
        put_text(tx, doc_id, key, &report.text).await?;
    }
    let ids = |m: &BTreeMap<String, i64>| json!(m);
    if outcome.requarantined {
        let categories: Vec<&str> = uncovered.iter().map(|c| c.id()).collect();
        sqlx::query("UPDATE documents SET status = 'quarantined', reason = 'rescan', updated_at = $1 WHERE id = $2")
            .bind(&at)
            .bind(doc_id)
            .execute(&mut *tx.tx)
            .await?;
        sqlx::query(
            "INSERT INTO notifications (id, user_id, document_id, kind, detail, created_at) VALUES ($1, $2, $3, 'requarantined', $4, $5)",
        )
        .bind(new_id())
        .bind(owner)
        .bind(doc_id)
        .bind(json!({ "categories": categories }).to_string())
        .bind(&at)
        .execute(&mut *tx.tx)
        .await?;
        tx.audit(Audit {
            actor_id: None,
            action: "rescan_requarantine",
            document_id: Some(doc_id.to_string()),
            subject_id: Some(owner.to_string()),
            detail: json!({ "rescan": rescan.id, "uncovered": categories, "added": ids(&outcome.added), "removed": ids(&outcome.removed) }),
        });
    } else if outcome.changed {
        tx.audit(Audit {
            actor_id: None,
            action: "rescan_update",
            document_id: Some(doc_id.to_string()),
            subject_id: Some(owner.to_string()),
            detail: json!({ "rescan": rescan.id, "added": ids(&outcome.added), "removed": ids(&outcome.removed) }),
        });
    }
    Ok(())
}
