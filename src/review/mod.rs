//! The domain operations behind the upload service: uploads held until consent, advisor
//! review, redaction, erasure and the candidate's rights (開示, 削除, 利用停止).
//!
//! Every state change is one [`WriteTx`]: the rows, the encrypted blobs, the status and the
//! audit entry commit together or not at all.

mod model;
mod notices;
mod notifications;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;

pub use model::*;
pub use notices::{Notice, current_notice, find_notice};
pub use notifications::Notification;

use crate::decide::Status;
use crate::detect::{Action, Category, Sketch};
use crate::pipeline::{Pipeline, Report};
use crate::store::{Audit, DataKey, Store, StoreError, WriteTx, new_id, now};

/// Why an operation was refused. Each maps to one HTTP status and a stable code.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Missing or unknown credentials.
    #[error("authentication required")]
    Unauthenticated,
    /// The role or the ownership does not allow it.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// No such resource (or not visible to this user).
    #[error("not found")]
    NotFound,
    /// The request is well formed but cannot be done in the current state.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The request is invalid.
    #[error("invalid request: {0}")]
    Invalid(&'static str, serde_json::Value),
    /// The upload contains a My Number: refused, nothing kept.
    #[error("my number refused")]
    MyNumber(Vec<Location>),
    /// The upload is too large.
    #[error("too large")]
    TooLarge,
    /// The upload is not a PDF, DOCX or text file.
    #[error("unsupported type")]
    UnsupportedType,
    /// The upload is empty.
    #[error("empty upload")]
    Empty,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        ServiceError::Store(StoreError::Db(e))
    }
}

/// Result alias.
pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// The service: store, pipeline and limits. Shared by the HTTP layer and the CLI.
#[derive(Clone)]
pub struct Service {
    /// Storage.
    pub store: Store,
    /// The scanning pipeline.
    pub pipeline: Pipeline,
    /// How long one document's scan may take before it is held as unscannable.
    pub scan_timeout: Duration,
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

fn parse_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

impl Service {
    /// Builds the service.
    pub fn new(store: Store, pipeline: Pipeline, scan_timeout: Duration) -> Arc<Self> {
        Arc::new(Self { store, pipeline, scan_timeout })
    }

    /// Appends an audit entry on its own (views, exports, refusals): one transaction.
    async fn record(&self, entry: Audit) -> Result<()> {
        let mut tx = self.store.begin().await?;
        tx.audit(entry);
        tx.commit().await?;
        Ok(())
    }

    // ---- users --------------------------------------------------------------------------

    /// Creates a user and returns it with its API token (only the token's hash is kept).
    pub async fn create_user(&self, actor: Option<&User>, name: &str, role: Role) -> Result<(User, String)> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ServiceError::Invalid("invalid_name", json!({})));
        }
        let mut raw = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut raw);
        let token = format!("hry_{}", hex::encode(raw));
        let user = User { id: new_id(), name: name.to_string(), role, suspended: false };
        let mut tx = self.store.begin().await?;
        sqlx::query("INSERT INTO users (id, name, role, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&user.id)
            .bind(&user.name)
            .bind(role.id())
            .bind(token_hash(&token))
            .bind(now())
            .execute(&mut *tx.tx)
            .await?;
        tx.audit(Audit {
            actor_id: actor.map(|a| a.id.clone()),
            action: "user_created",
            document_id: None,
            subject_id: Some(user.id.clone()),
            detail: json!({ "role": role.id() }),
        });
        tx.commit().await?;
        Ok((user, token))
    }

    /// The user a bearer token belongs to.
    pub async fn authenticate(&self, token: &str) -> Result<User> {
        let row = sqlx::query("SELECT id, name, role, suspended_at FROM users WHERE token_hash = $1")
            .bind(token_hash(token.trim()))
            .fetch_optional(&self.store.pool)
            .await?;
        let row = row.ok_or(ServiceError::Unauthenticated)?;
        User::from_row(&row)
    }

    /// Every user (admin).
    pub async fn users(&self, actor: &User) -> Result<Vec<User>> {
        actor.require(&[Role::Admin])?;
        let rows = sqlx::query("SELECT id, name, role, suspended_at FROM users ORDER BY created_at")
            .fetch_all(&self.store.pool)
            .await?;
        rows.iter().map(User::from_row).collect()
    }

    // ---- upload -------------------------------------------------------------------------

    /// Scans an upload and stores it, held if it contains special-care information.
    pub async fn upload(&self, actor: &User, name: &str, bytes: Vec<u8>) -> Result<Uploaded> {
        actor.require(&[Role::Candidate])?;
        let started = std::time::Instant::now();
        let pipeline = self.pipeline.clone();
        let scanned = {
            let bytes = bytes.clone();
            tokio::time::timeout(self.scan_timeout, tokio::task::spawn_blocking(move || pipeline.scan_bytes(&bytes)))
                .await
        };
        let report = match scanned {
            Ok(Ok(report)) => report,
            // A timeout or a panic in the scan must not release anything: held as unscannable.
            Ok(Err(_)) => self.pipeline.failed_report("scan_failed"),
            Err(_) => self.pipeline.failed_report("timeout"),
        };
        metrics::histogram!("hairyo_pipeline_seconds").record(started.elapsed().as_secs_f64());
        if let Some(e) = &report.error {
            match e.code.as_str() {
                "unsupported_type" => return Err(ServiceError::UnsupportedType),
                "too_large" => return Err(ServiceError::TooLarge),
                "empty" => return Err(ServiceError::Empty),
                _ => {}
            }
        }
        if report.findings.iter().any(|f| f.category.action() == Action::Reject) {
            let locations: Vec<Location> = report
                .findings
                .iter()
                .filter(|f| f.category.action() == Action::Reject)
                .map(|f| Location { start: f.start, end: f.end, line: line_of(&report.text, f.start) })
                .collect();
            self.record(Audit {
                actor_id: Some(actor.id.clone()),
                action: "upload_refused",
                document_id: None,
                subject_id: Some(actor.id.clone()),
                detail: json!({ "reason": "my_number", "count": locations.len() }),
            })
            .await?;
            metrics::counter!("hairyo_uploads_total", "verdict" => "refused").increment(1);
            return Err(ServiceError::MyNumber(locations));
        }
        let id = new_id();
        let key = DataKey::generate();
        let (status, reason) = match report.status {
            Status::Quarantine => (DocStatus::Quarantined, Some("special_care")),
            Status::Error => (DocStatus::Quarantined, Some("unscannable")),
            Status::Flag | Status::Clear => (DocStatus::Released, None),
        };
        let has_text = report.error.is_none();
        let mut tx = self.store.begin().await?;
        let findings = self
            .insert_document(&mut tx, actor, &id, &key, name, &bytes, &report, status, reason, has_text, None)
            .await?;
        tx.put_blob(&id, "original", &key.seal(&bytes, &id, "original")).await?;
        if has_text {
            put_text(&mut tx, &id, &key, &report.text).await?;
        }
        tx.audit(Audit {
            actor_id: Some(actor.id.clone()),
            action: "upload",
            document_id: Some(id.clone()),
            subject_id: Some(actor.id.clone()),
            detail: json!({
                "verdict": report.status.id(),
                "status": status.id(),
                "reason": reason,
                "categories": categories_of(&report),
                "findings": report.findings.len(),
                "error": report.error.as_ref().map(|e| e.code.clone()),
                "size": bytes.len(),
                "detector_version": report.dictionary_version,
            }),
        });
        tx.commit().await?;
        metrics::counter!("hairyo_uploads_total", "verdict" => report.status.id()).increment(1);
        // No category label: per-category counts that move with each upload would tell which
        // kind of special-care information someone just sent.
        metrics::counter!("hairyo_findings_total").increment(report.findings.len() as u64);
        tracing::info!(document = %id, verdict = report.status.id(), findings = report.findings.len(), ms = started.elapsed().as_millis() as u64, "upload stored");
        Ok(Uploaded {
            id,
            status,
            reason: reason.map(str::to_string),
            verdict: report.status,
            error: report.error.as_ref().map(|e| e.code.clone()),
            findings,
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_document(
        &self,
        tx: &mut WriteTx,
        owner: &User,
        id: &str,
        key: &DataKey,
        name: &str,
        bytes: &[u8],
        report: &Report,
        status: DocStatus,
        reason: Option<&str>,
        has_text: bool,
        redacted_from: Option<&str>,
    ) -> Result<Vec<OwnerFinding>> {
        let at = now();
        let macs: Vec<String> = report.findings.iter().map(|f| key.span_mac(&f.text)).collect();
        sqlx::query(
            "INSERT INTO documents (id, owner_id, kind, size_bytes, status, reason, verdict, error_code, detector_version, \
             wrapped_key, sealed_name, has_text, redacted_from, created_at, updated_at, findings_digest) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(id)
        .bind(&owner.id)
        .bind(report.kind.map(|k| format!("{k:?}").to_lowercase()))
        .bind(bytes.len() as i64)
        .bind(status.id())
        .bind(reason)
        .bind(report.status.id())
        .bind(report.error.as_ref().map(|e| e.code.clone()))
        .bind(&report.dictionary_version)
        .bind(self.store.keys.wrap(key, id))
        .bind(key.seal(name.as_bytes(), id, "name"))
        .bind(i64::from(has_text))
        .bind(redacted_from)
        .bind(&at)
        .bind(&at)
        .bind(findings_digest(&report.findings, &macs))
        .execute(&mut *tx.tx)
        .await?;
        let mut out = Vec::new();
        for (f, mac) in report.findings.iter().zip(&macs) {
            let fid = new_id();
            sqlx::query(
                "INSERT INTO findings (id, document_id, category, start_byte, end_byte, confidence, rule, span_mac, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&fid)
            .bind(id)
            .bind(f.category.id())
            .bind(f.start as i64)
            .bind(f.end as i64)
            .bind(f.confidence)
            .bind(&f.rule)
            .bind(mac)
            .bind(&at)
            .execute(&mut *tx.tx)
            .await?;
            out.push(OwnerFinding {
                id: fid,
                category: f.category,
                start: f.start,
                end: f.end,
                text: f.text.clone(),
                confidence: f.confidence,
                rule: f.rule.clone(),
                review_state: "pending".into(),
                explanation: f.category.explanation_ja(),
            });
        }
        Ok(out)
    }

    // ---- reading ------------------------------------------------------------------------

    async fn document_row(&self, id: &str) -> Result<DocumentRow> {
        let row = sqlx::query(&format!(
            "SELECT {DOC_COLUMNS} FROM documents d JOIN users u ON u.id = d.owner_id WHERE d.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
        let doc = DocumentRow::from_row(&row)?;
        if doc.meta.status == DocStatus::Erased {
            return Err(ServiceError::NotFound);
        }
        Ok(doc)
    }

    /// A document the actor may see at all: the owner, or an advisor or admin. Candidates get
    /// `NotFound` for other people's documents (their existence is not disclosed).
    async fn visible_document(&self, actor: &User, id: &str) -> Result<DocumentRow> {
        let doc = self.document_row(id).await?;
        match actor.role {
            Role::Candidate if doc.meta.owner_id != actor.id => Err(ServiceError::NotFound),
            Role::Candidate => Ok(doc),
            Role::Advisor if doc.owner_suspended => Err(ServiceError::Forbidden("suspended")),
            Role::Advisor | Role::Admin => Ok(doc),
        }
    }

    /// Documents: the candidate's own; for advisors every document of candidates who have not
    /// suspended use; for admins every document. Metadata only.
    pub async fn list(&self, actor: &User) -> Result<Vec<DocumentMeta>> {
        let (sql, bind_owner) = match actor.role {
            Role::Candidate => (
                format!(
                    "SELECT {DOC_COLUMNS} FROM documents d JOIN users u ON u.id = d.owner_id WHERE d.owner_id = $1 AND d.status <> 'erased' ORDER BY d.created_at"
                ),
                true,
            ),
            Role::Advisor => (
                format!(
                    "SELECT {DOC_COLUMNS} FROM documents d JOIN users u ON u.id = d.owner_id WHERE d.status <> 'erased' AND u.suspended_at IS NULL ORDER BY d.created_at"
                ),
                false,
            ),
            Role::Admin => (
                format!(
                    "SELECT {DOC_COLUMNS} FROM documents d JOIN users u ON u.id = d.owner_id WHERE d.status <> 'erased' ORDER BY d.created_at"
                ),
                false,
            ),
        };
        let mut q = sqlx::query(&sql);
        if bind_owner {
            q = q.bind(&actor.id);
        }
        let rows = q.fetch_all(&self.store.pool).await?;
        let mut out = Vec::new();
        for r in &rows {
            let doc = DocumentRow::from_row(r)?;
            let name = if actor.role == Role::Candidate { self.open_name(&doc).ok() } else { None };
            out.push(DocumentMeta { name, ..doc.meta });
        }
        Ok(out)
    }

    fn data_key(&self, doc: &DocumentRow) -> Result<DataKey> {
        let wrapped = doc.wrapped_key.as_deref().ok_or(ServiceError::NotFound)?;
        Ok(self.store.keys.unwrap(wrapped, &doc.meta.id)?)
    }

    fn open_name(&self, doc: &DocumentRow) -> Result<String> {
        let key = self.data_key(doc)?;
        let sealed = doc.sealed_name.as_deref().ok_or(ServiceError::NotFound)?;
        Ok(String::from_utf8_lossy(&key.open(sealed, &doc.meta.id, "name")?).into_owned())
    }

    async fn open_text(&self, doc: &DocumentRow, key: &DataKey) -> Result<Option<String>> {
        if !doc.has_text {
            return Ok(None);
        }
        let sealed =
            self.store.get_blob(&doc.meta.id, "text").await?.ok_or(StoreError::Corrupt("text blob missing"))?;
        let plain = key.open(&sealed, &doc.meta.id, "text")?;
        String::from_utf8(plain).map(Some).map_err(|_| ServiceError::Store(StoreError::Corrupt("text blob")))
    }

    async fn finding_rows(&self, doc_id: &str) -> Result<Vec<FindingRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {FINDING_COLUMNS} FROM findings WHERE document_id = $1 ORDER BY start_byte, end_byte"
        ))
        .bind(doc_id)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter().map(FindingRow::from_row).collect()
    }

    /// One document with its findings: spans for the owner; for advisors and admins the
    /// category, rule, confidence and a bounded context window, and the view is audited.
    pub async fn get(&self, actor: &User, id: &str) -> Result<DocumentView> {
        let doc = self.visible_document(actor, id).await?;
        let key = self.data_key(&doc)?;
        let text = self.open_text(&doc, &key).await?;
        let rows = self.finding_rows(id).await?;
        let consents = self.consents_of_document(id).await?;
        if actor.role == Role::Candidate {
            let findings = rows
                .into_iter()
                .map(|f| OwnerFinding {
                    text: text.as_deref().and_then(|t| t.get(f.start..f.end)).unwrap_or("").to_string(),
                    id: f.id,
                    category: f.category,
                    start: f.start,
                    end: f.end,
                    confidence: f.confidence,
                    rule: f.rule,
                    review_state: f.review_state,
                    explanation: f.category.explanation_ja(),
                })
                .collect();
            let name = self.open_name(&doc).ok();
            return Ok(DocumentView::Owner { meta: DocumentMeta { name, ..doc.meta }, findings, text, consents });
        }
        let findings = rows
            .into_iter()
            .map(|f| AdvisorFinding {
                context: text.as_deref().map(|t| context_window(t, f.start, f.end)),
                id: f.id,
                category: f.category,
                confidence: f.confidence,
                rule: f.rule,
                review_state: f.review_state,
            })
            .collect();
        self.record(Audit {
            actor_id: Some(actor.id.clone()),
            action: "view",
            document_id: Some(id.to_string()),
            subject_id: Some(doc.meta.owner_id.clone()),
            detail: json!({ "what": "findings" }),
        })
        .await?;
        Ok(DocumentView::Advisor { meta: doc.meta, findings, consents })
    }

    /// The original bytes: the owner always; advisors only when released.
    pub async fn content(&self, actor: &User, id: &str) -> Result<(Vec<u8>, Option<String>)> {
        let doc = self.visible_document(actor, id).await?;
        if actor.role != Role::Candidate && doc.meta.status != DocStatus::Released {
            return Err(ServiceError::Forbidden("quarantined"));
        }
        let key = self.data_key(&doc)?;
        let sealed = self.store.get_blob(id, "original").await?.ok_or(StoreError::Corrupt("original blob missing"))?;
        let bytes = key.open(&sealed, id, "original")?;
        if actor.role != Role::Candidate || doc.meta.owner_id != actor.id {
            self.record(Audit {
                actor_id: Some(actor.id.clone()),
                action: "view",
                document_id: Some(id.to_string()),
                subject_id: Some(doc.meta.owner_id.clone()),
                detail: json!({ "what": "content" }),
            })
            .await?;
        }
        Ok((bytes, doc.meta.kind))
    }

    // ---- consent ------------------------------------------------------------------------

    /// Special-care categories on the document not resolved by an advisor as false positives.
    async fn unresolved(&self, doc_id: &str) -> Result<(BTreeSet<Category>, bool)> {
        let rows = self.finding_rows(doc_id).await?;
        let (refused, cats): (BTreeSet<Category>, BTreeSet<Category>) =
            holding(rows.iter().map(|f| (f.category, f.review_state.as_str())))
                .into_iter()
                .partition(|c| c.action() == Action::Reject);
        Ok((cats, !refused.is_empty()))
    }

    /// Records the candidate's explicit consent and releases the document.
    pub async fn consent(
        &self,
        actor: &User,
        id: &str,
        req: ConsentRequest,
        user_agent: Option<&str>,
        method: &str,
    ) -> Result<Consent> {
        actor.require(&[Role::Candidate])?;
        let doc = self.visible_document(actor, id).await?;
        if doc.meta.reason.as_deref() == Some("unscannable") {
            return Err(ServiceError::Conflict("unscannable"));
        }
        let (required, my_number) = self.unresolved(id).await?;
        if my_number {
            return Err(ServiceError::Conflict("my_number"));
        }
        let mut given = BTreeSet::new();
        for c in &req.categories {
            match Category::from_id(c) {
                Some(cat) if cat.action() == Action::Quarantine => {
                    given.insert(cat);
                }
                _ => return Err(ServiceError::Invalid("unknown_category", json!({ "category": c }))),
            }
        }
        let missing: Vec<&str> = required.difference(&given).map(|c| c.id()).collect();
        if !missing.is_empty() {
            return Err(ServiceError::Invalid("consent_incomplete", json!({ "missing": missing })));
        }
        let purposes: Vec<String> =
            req.purposes.iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
        if purposes.is_empty() || purposes.len() > MAX_PURPOSES || purposes.iter().any(|p| p.chars().count() > 200) {
            return Err(ServiceError::Invalid("purposes_required", json!({})));
        }
        let notice = find_notice(&req.notice_version)
            .ok_or_else(|| ServiceError::Invalid("unknown_notice", json!({ "current": current_notice().version })))?;
        let consent = Consent {
            id: new_id(),
            document_id: id.to_string(),
            categories: given.iter().map(|c| c.id().to_string()).collect(),
            purposes,
            notice_version: notice.version.to_string(),
            notice_sha256: notice.sha256(),
            method: method.to_string(),
            user_agent: user_agent.map(|u| u.chars().take(300).collect()),
            created_at: now(),
            withdrawn_at: None,
        };
        let mut tx = self.store.begin().await?;
        sqlx::query(
            "INSERT INTO consents (id, document_id, candidate_id, categories, purposes, notice_version, notice_sha256, method, user_agent, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&consent.id)
        .bind(id)
        .bind(&actor.id)
        .bind(json_list(&consent.categories))
        .bind(json_list(&consent.purposes))
        .bind(&consent.notice_version)
        .bind(&consent.notice_sha256)
        .bind(&consent.method)
        .bind(&consent.user_agent)
        .bind(&consent.created_at)
        .execute(&mut *tx.tx)
        .await?;
        set_status(&mut tx, id, doc.meta.status, DocStatus::Released, None).await?;
        tx.audit(Audit {
            actor_id: Some(actor.id.clone()),
            action: "consent",
            document_id: Some(id.to_string()),
            subject_id: Some(actor.id.clone()),
            detail: json!({ "consent": consent.id, "categories": consent.categories, "purposes": consent.purposes.len(), "notice": consent.notice_version }),
        });
        tx.commit().await?;
        Ok(consent)
    }

    /// Withdraws a consent: the document is held again if it has special-care findings.
    pub async fn withdraw(&self, actor: &User, consent_id: &str) -> Result<Consent> {
        actor.require(&[Role::Candidate])?;
        let mut consent = self.consent_by_id(consent_id).await?;
        let owner: Option<String> = sqlx::query("SELECT candidate_id FROM consents WHERE id = $1")
            .bind(consent_id)
            .fetch_optional(&self.store.pool)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        if owner.as_deref() != Some(actor.id.as_str()) {
            return Err(ServiceError::NotFound);
        }
        if consent.withdrawn_at.is_some() {
            return Err(ServiceError::Conflict("already_withdrawn"));
        }
        let doc = self.document_row(&consent.document_id).await?;
        let (unresolved, _) = self.unresolved(&doc.meta.id).await?;
        // Another consent still in force may cover what this one did.
        let still_covered: BTreeSet<Category> = self
            .consents_of_document(&doc.meta.id)
            .await?
            .iter()
            .filter(|c| c.id != consent_id && c.withdrawn_at.is_none())
            .flat_map(|c| c.categories.iter().filter_map(|id| Category::from_id(id)))
            .collect();
        let uncovered = !unresolved.is_subset(&still_covered);
        let at = now();
        let mut tx = self.store.begin().await?;
        sqlx::query("INSERT INTO consent_withdrawals (consent_id, candidate_id, created_at) VALUES ($1, $2, $3)")
            .bind(consent_id)
            .bind(&actor.id)
            .bind(&at)
            .execute(&mut *tx.tx)
            .await?;
        if uncovered {
            set_status(&mut tx, &doc.meta.id, doc.meta.status, DocStatus::Quarantined, Some("consent_withdrawn"))
                .await?;
        }
        tx.audit(Audit {
            actor_id: Some(actor.id.clone()),
            action: "consent_withdrawn",
            document_id: Some(doc.meta.id.clone()),
            subject_id: Some(actor.id.clone()),
            detail: json!({ "consent": consent_id }),
        });
        tx.commit().await?;
        consent.withdrawn_at = Some(at);
        Ok(consent)
    }

    async fn consent_by_id(&self, id: &str) -> Result<Consent> {
        let row = sqlx::query(&format!("SELECT {CONSENT_COLUMNS} FROM consents c LEFT JOIN consent_withdrawals w ON w.consent_id = c.id WHERE c.id = $1"))
            .bind(id)
            .fetch_optional(&self.store.pool)
            .await?
            .ok_or(ServiceError::NotFound)?;
        Consent::from_row(&row)
    }

    async fn consents_of_document(&self, doc_id: &str) -> Result<Vec<Consent>> {
        let rows = sqlx::query(&format!(
            "SELECT {CONSENT_COLUMNS} FROM consents c LEFT JOIN consent_withdrawals w ON w.consent_id = c.id WHERE c.document_id = $1 ORDER BY c.created_at"
        ))
        .bind(doc_id)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter().map(Consent::from_row).collect()
    }

    // ---- advisor review -----------------------------------------------------------------

    /// Findings awaiting review, oldest first; optionally of one category.
    pub async fn queue(&self, actor: &User, category: Option<&str>) -> Result<Vec<QueueItem>> {
        actor.require(&[Role::Advisor])?;
        if let Some(c) = category {
            Category::from_id(c).ok_or(ServiceError::Invalid("unknown_category", json!({ "category": c })))?;
        }
        let rows = sqlx::query(
            "SELECT f.id, f.document_id, f.category, f.confidence, f.rule, f.created_at, d.status \
             FROM findings f JOIN documents d ON d.id = f.document_id JOIN users u ON u.id = d.owner_id \
             WHERE f.review_state = 'pending' AND d.status <> 'erased' AND u.suspended_at IS NULL AND d.owner_id <> $1 \
             AND ($2 = '' OR f.category = $2) ORDER BY f.created_at, f.id LIMIT 500",
        )
        .bind(&actor.id)
        .bind(category.unwrap_or(""))
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let category: String = r.try_get(2)?;
                Ok(QueueItem {
                    finding_id: r.try_get(0)?,
                    document_id: r.try_get(1)?,
                    category: Category::from_id(&category).ok_or(StoreError::Corrupt("category"))?,
                    confidence: r.try_get(3)?,
                    rule: r.try_get(4)?,
                    created_at: r.try_get(5)?,
                    document_status: r.try_get(6)?,
                })
            })
            .collect()
    }

    /// One finding for review: category, rule, confidence and the bounded context.
    pub async fn finding(&self, actor: &User, finding_id: &str) -> Result<(AdvisorFinding, String)> {
        actor.require(&[Role::Advisor, Role::Admin])?;
        let f = self.finding_row(finding_id).await?;
        let doc = self.visible_document(actor, &f.document_id).await?;
        let key = self.data_key(&doc)?;
        let text = self.open_text(&doc, &key).await?;
        self.record(Audit {
            actor_id: Some(actor.id.clone()),
            action: "view",
            document_id: Some(doc.meta.id.clone()),
            subject_id: Some(doc.meta.owner_id.clone()),
            detail: json!({ "what": "finding", "finding": finding_id }),
        })
        .await?;
        Ok((
            AdvisorFinding {
                context: text.as_deref().map(|t| context_window(t, f.start, f.end)),
                id: f.id,
                category: f.category,
                confidence: f.confidence,
                rule: f.rule,
                review_state: f.review_state,
            },
            doc.meta.id,
        ))
    }

    async fn finding_row(&self, id: &str) -> Result<FindingRow> {
        let row = sqlx::query(&format!("SELECT {FINDING_COLUMNS} FROM findings WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.store.pool)
            .await?
            .ok_or(ServiceError::NotFound)?;
        FindingRow::from_row(&row)
    }

    /// Records an advisor's decision on a finding. When every finding that holds the document
    /// is a false positive, the document is released without consent.
    pub async fn review(&self, actor: &User, finding_id: &str, req: ReviewRequest) -> Result<ReviewOutcome> {
        actor.require(&[Role::Advisor])?;
        let reason = req.reason.trim();
        if reason.is_empty() || reason.chars().count() > 1000 {
            return Err(ServiceError::Invalid("reason_required", json!({})));
        }
        let decision = match req.decision.as_str() {
            "confirmed" | "false_positive" => req.decision.as_str(),
            _ => return Err(ServiceError::Invalid("invalid_decision", json!({}))),
        };
        let f = self.finding_row(finding_id).await?;
        let doc = self.visible_document(actor, &f.document_id).await?;
        if doc.meta.owner_id == actor.id {
            return Err(ServiceError::Forbidden("own_document"));
        }
        // An advisor may quote the document in the reason: it is sealed with the document's
        // key, so it is erased with the document.
        let key = self.data_key(&doc)?;
        let review_id = new_id();
        let sealed_reason = hex::encode(key.seal(reason.as_bytes(), &doc.meta.id, &format!("review:{review_id}")));
        let mut tx = self.store.begin().await?;
        sqlx::query("INSERT INTO reviews (id, finding_id, document_id, advisor_id, decision, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&review_id)
            .bind(finding_id)
            .bind(&doc.meta.id)
            .bind(&actor.id)
            .bind(decision)
            .bind(&sealed_reason)
            .bind(now())
            .execute(&mut *tx.tx)
            .await?;
        sqlx::query("UPDATE findings SET review_state = $1 WHERE id = $2")
            .bind(decision)
            .bind(finding_id)
            .execute(&mut *tx.tx)
            .await?;
        // Re-read inside the transaction: what still holds the document.
        let states = sqlx::query("SELECT category, review_state FROM findings WHERE document_id = $1")
            .bind(&doc.meta.id)
            .fetch_all(&mut *tx.tx)
            .await?
            .iter()
            .map(|r| {
                let category: String = r.try_get(0)?;
                let category = Category::from_id(&category).ok_or(StoreError::Corrupt("category"))?;
                Ok((category, r.try_get::<String, _>(1)?))
            })
            .collect::<Result<Vec<_>>>()?;
        let holding_now = holding(states.iter().map(|(c, state)| (*c, state.as_str())));
        let held = !holding_now.is_empty();
        let release = !held
            && doc.meta.status == DocStatus::Quarantined
            && matches!(doc.meta.reason.as_deref(), Some("special_care") | Some("consent_withdrawn") | Some("rescan"));
        if release {
            set_status(&mut tx, &doc.meta.id, DocStatus::Quarantined, DocStatus::Released, None).await?;
        }
        // A released document with a special-care finding now confirmed or pending that no
        // standing consent covers (another advisor disagreed with the release) is held again.
        let mut consented = BTreeSet::new();
        for row in sqlx::query(
            "SELECT c.categories FROM consents c LEFT JOIN consent_withdrawals w ON w.consent_id = c.id \
             WHERE c.document_id = $1 AND w.consent_id IS NULL",
        )
        .bind(&doc.meta.id)
        .fetch_all(&mut *tx.tx)
        .await?
        {
            let list: String = row.try_get(0)?;
            // An unreadable list consents to nothing: the document is held.
            consented.extend(parse_list(&list));
        }
        let held_again =
            doc.meta.status == DocStatus::Released && holding_now.iter().any(|c| !consented.contains(c.id()));
        if held_again {
            set_status(&mut tx, &doc.meta.id, DocStatus::Released, DocStatus::Quarantined, Some("special_care"))
                .await?;
        }
        tx.audit(Audit {
            actor_id: Some(actor.id.clone()),
            action: "review",
            document_id: Some(doc.meta.id.clone()),
            subject_id: Some(doc.meta.owner_id.clone()),
            detail: json!({ "finding": finding_id, "category": f.category.id(), "decision": decision, "released": release, "held_again": held_again }),
        });
        tx.commit().await?;
        Ok(ReviewOutcome {
            finding_id: finding_id.to_string(),
            decision: decision.to_string(),
            document_released: release,
        })
    }

    // ---- redaction and erasure ----------------------------------------------------------

    /// Masks every finding's span in the extracted text, stores the masked copy as a new
    /// document and erases the original, in one transaction.
    pub async fn redact(&self, actor: &User, id: &str) -> Result<Uploaded> {
        actor.require(&[Role::Candidate])?;
        let doc = self.visible_document(actor, id).await?;
        let key = self.data_key(&doc)?;
        let text = self.open_text(&doc, &key).await?.ok_or(ServiceError::Conflict("unscannable"))?;
        let rows = self.finding_rows(id).await?;
        let mut masked = text.clone();
        // Replace from the end so earlier offsets stay valid; one ■ per character.
        let mut spans: Vec<(usize, usize)> =
            rows.iter().filter(|f| f.review_state != "false_positive").map(|f| (f.start, f.end)).collect();
        spans.sort_unstable();
        spans.dedup();
        for (s, e) in spans.into_iter().rev() {
            if let Some(span) = masked.get(s..e) {
                let n = span.chars().count();
                masked.replace_range(s..e, &"■".repeat(n));
            }
        }
        let pipeline = self.pipeline.clone();
        let m = masked.clone();
        let report = tokio::task::spawn_blocking(move || pipeline.scan_text(m))
            .await
            .unwrap_or_else(|_| self.pipeline.failed_report("scan_failed"));
        let (status, reason) = match report.status {
            Status::Quarantine => (DocStatus::Quarantined, Some("special_care")),
            Status::Error => (DocStatus::Quarantined, Some("unscannable")),
            _ => (DocStatus::Released, None),
        };
        let new = new_id();
        let new_key = DataKey::generate();
        let bytes = masked.into_bytes();
        let name =
            format!("{}（マスキング済み）.txt", self.open_name(&doc).unwrap_or_default().trim_end_matches(".txt"));
        let mut tx = self.store.begin().await?;
        let mut report = report;
        report.kind = Some(crate::extract::DocKind::Text);
        let findings = self
            .insert_document(&mut tx, actor, &new, &new_key, &name, &bytes, &report, status, reason, true, Some(id))
            .await?;
        tx.put_blob(&new, "original", &new_key.seal(&bytes, &new, "original")).await?;
        put_text(&mut tx, &new, &new_key, &report.text).await?;
        erase_in_tx(&mut tx, id).await?;
        tx.audit(Audit {
            actor_id: Some(actor.id.clone()),
            action: "redact",
            document_id: Some(new.clone()),
            subject_id: Some(actor.id.clone()),
            detail: json!({ "from": id, "masked": rows.len(), "status": status.id() }),
        });
        tx.audit(Audit {
            actor_id: Some(actor.id.clone()),
            action: "erase",
            document_id: Some(id.to_string()),
            subject_id: Some(actor.id.clone()),
            detail: json!({ "why": "redacted" }),
        });
        tx.commit().await?;
        Ok(Uploaded {
            id: new,
            status,
            reason: reason.map(str::to_string),
            verdict: report.status,
            error: None,
            findings,
        })
    }

    /// Erases a document: its data key is destroyed (crypto-erasure), its findings, blobs and
    /// notifications deleted, in one transaction.
    pub async fn erase(&self, actor: &User, id: &str) -> Result<()> {
        actor.require(&[Role::Candidate, Role::Admin])?;
        let doc = self.visible_document(actor, id).await?;
        let mut tx = self.store.begin().await?;
        erase_in_tx(&mut tx, id).await?;
        tx.audit(Audit {
            actor_id: Some(actor.id.clone()),
            action: "erase",
            document_id: Some(id.to_string()),
            subject_id: Some(doc.meta.owner_id.clone()),
            detail: json!({ "by": actor.role.id() }),
        });
        tx.commit().await?;
        Ok(())
    }

    // ---- candidate rights ---------------------------------------------------------------

    /// Everything held about the candidate (開示).
    pub async fn export(&self, actor: &User) -> Result<serde_json::Value> {
        actor.require(&[Role::Candidate])?;
        let mut documents = Vec::new();
        for meta in self.list(actor).await? {
            if let DocumentView::Owner { meta, findings, consents, .. } = self.get(actor, &meta.id).await? {
                documents.push(json!({ "document": meta, "findings": findings, "consents": consents }));
            }
        }
        let reviews = sqlx::query(
            "SELECT r.id, r.finding_id, r.document_id, r.decision, r.reason, r.created_at, f.category, d.wrapped_key FROM reviews r \
             JOIN documents d ON d.id = r.document_id LEFT JOIN findings f ON f.id = r.finding_id \
             WHERE d.owner_id = $1 ORDER BY r.created_at",
        )
        .bind(&actor.id)
        .fetch_all(&self.store.pool)
        .await?
        .iter()
        .map(|r| -> Result<serde_json::Value> {
            let review_id: String = r.try_get(0)?;
            let document_id: String = r.try_get(2)?;
            // Readable while the document exists; erased with it.
            let reason = r
                .try_get::<Option<Vec<u8>>, _>(7)?
                .and_then(|wrapped| self.store.keys.unwrap(&wrapped, &document_id).ok())
                .and_then(|key| {
                    let sealed = hex::decode(r.try_get::<String, _>(4).ok()?).ok()?;
                    key.open(&sealed, &document_id, &format!("review:{review_id}")).ok()
                })
                .map(|plain| String::from_utf8_lossy(&plain).into_owned());
            Ok(json!({
                "finding_id": r.try_get::<String, _>(1)?, "document_id": document_id,
                "decision": r.try_get::<String, _>(3)?, "reason": reason,
                "created_at": r.try_get::<String, _>(5)?, "category": r.try_get::<Option<String>, _>(6)?,
            }))
        })
        .collect::<Result<Vec<_>>>()?;
        let provisions = self.provisions_of(&actor.id).await?;
        // Every consent record the candidate gave, including those of erased documents: the
        // records are kept as proof after erasure, so they are still held and disclosed.
        let consents = sqlx::query(&format!(
            "SELECT {CONSENT_COLUMNS} FROM consents c LEFT JOIN consent_withdrawals w ON w.consent_id = c.id WHERE c.candidate_id = $1 ORDER BY c.created_at"
        ))
        .bind(&actor.id)
        .fetch_all(&self.store.pool)
        .await?
        .iter()
        .map(Consent::from_row)
        .collect::<Result<Vec<_>>>()?;
        let notifications = self.notifications_of(&actor.id).await?;
        let audit = sqlx::query("SELECT seq, at, actor_id, action, document_id, subject_id, detail, prev_hash, hash FROM audit WHERE subject_id = $1 ORDER BY seq")
            .bind(&actor.id)
            .fetch_all(&self.store.pool)
            .await?
            .iter()
            .map(|r| crate::store::AuditEntry::from_row(r).map_err(ServiceError::from))
            .collect::<Result<Vec<_>>>()?;
        self.record(Audit {
            actor_id: Some(actor.id.clone()),
            action: "export",
            document_id: None,
            subject_id: Some(actor.id.clone()),
            detail: json!({}),
        })
        .await?;
        Ok(json!({
            "user": actor,
            "exported_at": now(),
            "notice": { "version": current_notice().version },
            "documents": documents,
            "consents": consents,
            "reviews": reviews,
            "provisions": provisions,
            "notifications": notifications,
            "audit": audit,
        }))
    }

    /// Stops the use of the candidate's data (利用停止): their documents are withheld from
    /// advisors.
    pub async fn suspend(&self, actor: &User) -> Result<()> {
        actor.require(&[Role::Candidate])?;
        let mut tx = self.store.begin().await?;
        sqlx::query("UPDATE users SET suspended_at = $1 WHERE id = $2 AND suspended_at IS NULL")
            .bind(now())
            .bind(&actor.id)
            .execute(&mut *tx.tx)
            .await?;
        tx.audit(Audit {
            actor_id: Some(actor.id.clone()),
            action: "suspend",
            document_id: None,
            subject_id: Some(actor.id.clone()),
            detail: json!({}),
        });
        tx.commit().await?;
        Ok(())
    }

    // ---- provision to client companies --------------------------------------------------

    /// Records a provision (第三者提供) of a released document for a consented purpose.
    pub async fn provide(&self, actor: &User, id: &str, req: ProvisionRequest) -> Result<Provision> {
        actor.require(&[Role::Advisor])?;
        let recipient = req.recipient.trim();
        let purpose = req.purpose.trim();
        if recipient.is_empty()
            || purpose.is_empty()
            || recipient.chars().count() > 200
            || purpose.chars().count() > 200
        {
            return Err(ServiceError::Invalid("recipient_and_purpose_required", json!({})));
        }
        let doc = self.visible_document(actor, id).await?;
        if doc.meta.status != DocStatus::Released {
            return Err(ServiceError::Forbidden("quarantined"));
        }
        let consent = self
            .consents_of_document(id)
            .await?
            .into_iter()
            .rev()
            .find(|c| c.withdrawn_at.is_none() && c.purposes.iter().any(|p| p == purpose))
            .ok_or_else(|| ServiceError::Invalid("purpose_not_consented", json!({})))?;
        let p = Provision {
            id: new_id(),
            document_id: id.to_string(),
            recipient: recipient.to_string(),
            purpose: purpose.to_string(),
            consent_id: consent.id,
            advisor_id: actor.id.clone(),
            created_at: now(),
        };
        let mut tx = self.store.begin().await?;
        sqlx::query(
            "INSERT INTO provisions (id, document_id, candidate_id, advisor_id, recipient, purpose, consent_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&p.id)
        .bind(id)
        .bind(&doc.meta.owner_id)
        .bind(&actor.id)
        .bind(&p.recipient)
        .bind(&p.purpose)
        .bind(&p.consent_id)
        .bind(&p.created_at)
        .execute(&mut *tx.tx)
        .await?;
        tx.audit(Audit {
            actor_id: Some(actor.id.clone()),
            action: "provision",
            document_id: Some(id.to_string()),
            subject_id: Some(doc.meta.owner_id.clone()),
            detail: json!({ "provision": p.id, "consent": p.consent_id }),
        });
        tx.commit().await?;
        Ok(p)
    }

    async fn provisions_of(&self, candidate: &str) -> Result<Vec<Provision>> {
        let rows = sqlx::query("SELECT id, document_id, recipient, purpose, consent_id, advisor_id, created_at FROM provisions WHERE candidate_id = $1 ORDER BY created_at")
            .bind(candidate)
            .fetch_all(&self.store.pool)
            .await?;
        rows.iter().map(Provision::from_row).collect()
    }

    // ---- administration -----------------------------------------------------------------

    /// Counts per category and per status; any count under 5 is suppressed (`null`).
    pub async fn stats(&self, actor: &User) -> Result<serde_json::Value> {
        actor.require(&[Role::Admin])?;
        let cat_rows = sqlx::query(
            "SELECT f.category, COUNT(DISTINCT f.document_id) FROM findings f JOIN documents d ON d.id = f.document_id \
             WHERE d.status <> 'erased' GROUP BY f.category",
        )
        .fetch_all(&self.store.pool)
        .await?;
        let status_rows =
            sqlx::query("SELECT status, COUNT(*) FROM documents GROUP BY status").fetch_all(&self.store.pool).await?;
        let suppress = |n: i64| if n < 5 { serde_json::Value::Null } else { json!(n) };
        let mut categories = serde_json::Map::new();
        for c in Category::ALL {
            categories.insert(c.id().into(), serde_json::Value::Null);
        }
        for r in &cat_rows {
            categories.insert(r.try_get::<String, _>(0)?, suppress(r.try_get(1)?));
        }
        let mut statuses = serde_json::Map::new();
        for s in ["quarantined", "released", "erased"] {
            statuses.insert(s.into(), serde_json::Value::Null);
        }
        for r in &status_rows {
            statuses.insert(r.try_get::<String, _>(0)?, suppress(r.try_get(1)?));
        }
        Ok(json!({ "documents_by_category": categories, "documents_by_status": statuses, "suppressed_below": 5,
                   "dictionary_version": self.pipeline.detector().version() }))
    }

    /// The current detector version and the stored documents scanned with another one.
    pub async fn dictionary_status(&self) -> Result<DictionaryStatus> {
        let current = self.pipeline.detector().version().to_string();
        let rows = sqlx::query(
            "SELECT detector_version, COUNT(*) FROM documents WHERE status <> 'erased' GROUP BY detector_version",
        )
        .fetch_all(&self.store.pool)
        .await?;
        let mut status =
            DictionaryStatus { current: current.clone(), documents: 0, stale: 0, stale_by_version: Vec::new() };
        for r in &rows {
            let (version, n): (String, i64) = (r.try_get(0)?, r.try_get(1)?);
            status.documents += n;
            if version != current {
                status.stale += n;
                status.stale_by_version.push((version, n));
            }
        }
        Ok(status)
    }

    /// Audit entries after `after`, at most `limit`.
    pub async fn audit_log(&self, actor: &User, after: i64, limit: i64) -> Result<Vec<crate::store::AuditEntry>> {
        actor.require(&[Role::Admin])?;
        let rows = sqlx::query("SELECT seq, at, actor_id, action, document_id, subject_id, detail, prev_hash, hash FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after)
            .bind(limit.clamp(1, 1000))
            .fetch_all(&self.store.pool)
            .await?;
        rows.iter().map(|r| crate::store::AuditEntry::from_row(r).map_err(ServiceError::from)).collect()
    }
}

/// A digest of a document's findings as detected: category, rule, span, span MAC (so it says
/// nothing without the document's key) and confidence, in text order; not review states. Equal
/// digests mean a scan found exactly what is stored. `macs[i]` is the span MAC of `findings[i]`.
pub(crate) fn findings_digest(findings: &[crate::detect::Finding], macs: &[String]) -> String {
    let mut h = Sha256::new();
    for (f, mac) in findings.iter().zip(macs) {
        for part in [
            f.category.id(),
            f.rule.as_str(),
            &f.start.to_string(),
            &f.end.to_string(),
            mac,
            &format!("{:.2}", f.confidence),
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
    }
    hex::encode(h.finalize())
}

/// The categories that hold a document: its special-care findings and My Numbers that an
/// advisor has not resolved as false positives, given as (category, review state).
pub(crate) fn holding<'a>(findings: impl IntoIterator<Item = (Category, &'a str)>) -> BTreeSet<Category> {
    findings
        .into_iter()
        .filter(|(c, state)| *state != "false_positive" && c.action() != Action::Flag)
        .map(|(c, _)| c)
        .collect()
}

/// Moves a document from status `from`, the one the caller decided on, to `status`: if another
/// transaction changed it in between (an erasure committed during a review), nothing is
/// written and the whole transaction fails with `status_changed`.
async fn set_status(
    tx: &mut WriteTx,
    id: &str,
    from: DocStatus,
    status: DocStatus,
    reason: Option<&str>,
) -> Result<()> {
    let done =
        sqlx::query("UPDATE documents SET status = $1, reason = $2, updated_at = $3 WHERE id = $4 AND status = $5")
            .bind(status.id())
            .bind(reason)
            .bind(now())
            .bind(id)
            .bind(from.id())
            .execute(&mut *tx.tx)
            .await?;
    if done.rows_affected() != 1 {
        return Err(ServiceError::Conflict("status_changed"));
    }
    Ok(())
}

async fn erase_in_tx(tx: &mut WriteTx, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM findings WHERE document_id = $1").bind(id).execute(&mut *tx.tx).await?;
    sqlx::query("DELETE FROM blobs WHERE document_id = $1").bind(id).execute(&mut *tx.tx).await?;
    // A notification names the categories found in the document: erased with it.
    sqlx::query("DELETE FROM notifications WHERE document_id = $1").bind(id).execute(&mut *tx.tx).await?;
    sqlx::query(
        "UPDATE documents SET status = 'erased', reason = NULL, wrapped_key = NULL, sealed_name = NULL, has_text = 0, updated_at = $1 WHERE id = $2",
    )
    .bind(now())
    .bind(id)
    .execute(&mut *tx.tx)
    .await?;
    Ok(())
}

fn categories_of(report: &Report) -> Vec<&'static str> {
    let set: BTreeSet<Category> = report.findings.iter().map(|f| f.category).collect();
    set.into_iter().map(Category::id).collect()
}

fn line_of(text: &str, at: usize) -> usize {
    text.get(..at).map_or(0, |t| t.matches('\n').count()) + 1
}

/// At most `CONTEXT_CHARS` characters each side of a span, on character boundaries, with the
/// span marked: enough to judge a finding, never the whole document.
pub const CONTEXT_CHARS: usize = 30;

/// The most purposes one consent may name (each at most 200 characters).
pub const MAX_PURPOSES: usize = 20;

fn context_window(text: &str, start: usize, end: usize) -> Context {
    let (start, end) = (start.min(text.len()), end.min(text.len()));
    let before: String =
        text[..start].chars().rev().take(CONTEXT_CHARS).collect::<Vec<_>>().into_iter().rev().collect();
    let span: String = text[start..end].chars().take(CONTEXT_CHARS * 2).collect();
    let after: String = text[end..].chars().take(CONTEXT_CHARS).collect();
    Context { before, span, after }
}

/// Stores a document's extracted text and the [`Sketch`] of it that incremental rescans test
/// instead of the text, both sealed with the document's key. They are only ever written
/// together, so a stored sketch is always the stored text's.
pub(crate) async fn put_text(tx: &mut WriteTx, id: &str, key: &DataKey, text: &str) -> Result<()> {
    tx.put_blob(id, "text", &key.seal(text.as_bytes(), id, "text")).await?;
    tx.put_blob(id, SKETCH, &seal_sketch(key, id, text)).await?;
    Ok(())
}

/// The blob name of a document's sketch.
pub(crate) const SKETCH: &str = "sketch";

/// The sealed sketch of an extracted text.
pub(crate) fn seal_sketch(key: &DataKey, id: &str, text: &str) -> Vec<u8> {
    key.seal(&Sketch::of_text(text).to_bytes(), id, SKETCH)
}
