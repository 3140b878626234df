//! The values the service reads, returns and accepts.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Result, ServiceError};
use crate::decide::Status;
use crate::detect::Category;
use crate::store::StoreError;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Uploads résumés and decides about them.
    Candidate,
    /// Reviews flagged items and provides released documents to client companies.
    Advisor,
    /// Manages users, reads the audit log and statistics.
    Admin,
}

impl Role {
    /// The role id.
    pub fn id(self) -> &'static str {
        match self {
            Role::Candidate => "candidate",
            Role::Advisor => "advisor",
            Role::Admin => "admin",
        }
    }

    /// Parses a role id.
    pub fn from_id(id: &str) -> Option<Self> {
        match id {
            "candidate" => Some(Role::Candidate),
            "advisor" => Some(Role::Advisor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// An authenticated user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Whether the user stopped the use of their data (利用停止).
    pub suspended: bool,
}

impl User {
    pub(crate) fn from_row(row: &AnyRow) -> Result<Self> {
        let role: String = row.try_get(2)?;
        Ok(Self {
            id: row.try_get(0)?,
            name: row.try_get(1)?,
            role: Role::from_id(&role).ok_or(StoreError::Corrupt("role"))?,
            suspended: row.try_get::<Option<String>, _>(3)?.is_some(),
        })
    }

    /// Refuses unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<()> {
        if roles.contains(&self.role) { Ok(()) } else { Err(ServiceError::Forbidden("role")) }
    }
}

/// Whether advisors may see a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocStatus {
    /// Held: encrypted, unreadable by advisors, until consent, review, redaction or deletion.
    Quarantined,
    /// Visible to advisors.
    Released,
    /// Erased: key destroyed, nothing readable remains.
    Erased,
}

impl DocStatus {
    /// The status id.
    pub fn id(self) -> &'static str {
        match self {
            DocStatus::Quarantined => "quarantined",
            DocStatus::Released => "released",
            DocStatus::Erased => "erased",
        }
    }

    pub(crate) fn from_id(id: &str) -> Option<Self> {
        match id {
            "quarantined" => Some(DocStatus::Quarantined),
            "released" => Some(DocStatus::Released),
            "erased" => Some(DocStatus::Erased),
            _ => None,
        }
    }
}

pub(crate) const DOC_COLUMNS: &str = "d.id, d.owner_id, d.kind, d.size_bytes, d.status, d.reason, d.verdict, d.error_code, \
     d.detector_version, d.created_at, d.updated_at, d.redacted_from, d.wrapped_key, d.sealed_name, d.has_text, u.suspended_at";

/// A document's metadata: no content.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentMeta {
    /// Id.
    pub id: String,
    /// The candidate who uploaded it.
    pub owner_id: String,
    /// The file name (decrypted; shown to the owner only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// pdf / docx / text, when recognised.
    pub kind: Option<String>,
    /// Size of the original.
    pub size_bytes: i64,
    /// quarantined / released / erased.
    pub status: DocStatus,
    /// Why it is held (special_care, unscannable, consent_withdrawn, rescan).
    pub reason: Option<String>,
    /// The scan verdict: quarantine / flag / clear / error.
    pub verdict: String,
    /// The scan error code when it could not be scanned.
    pub error_code: Option<String>,
    /// The detector version it was scanned with.
    pub detector_version: String,
    /// When it was uploaded.
    pub created_at: String,
    /// Last status change.
    pub updated_at: String,
    /// The document this one is a redacted copy of.
    pub redacted_from: Option<String>,
}

pub(crate) struct DocumentRow {
    pub meta: DocumentMeta,
    pub wrapped_key: Option<Vec<u8>>,
    pub sealed_name: Option<Vec<u8>>,
    pub has_text: bool,
    pub owner_suspended: bool,
}

impl DocumentRow {
    pub fn from_row(row: &AnyRow) -> Result<Self> {
        let status: String = row.try_get(4)?;
        Ok(Self {
            meta: DocumentMeta {
                id: row.try_get(0)?,
                owner_id: row.try_get(1)?,
                name: None,
                kind: row.try_get(2)?,
                size_bytes: row.try_get(3)?,
                status: DocStatus::from_id(&status).ok_or(StoreError::Corrupt("status"))?,
                reason: row.try_get(5)?,
                verdict: row.try_get(6)?,
                error_code: row.try_get(7)?,
                detector_version: row.try_get(8)?,
                created_at: row.try_get(9)?,
                updated_at: row.try_get(10)?,
                redacted_from: row.try_get(11)?,
            },
            wrapped_key: row.try_get(12)?,
            sealed_name: row.try_get(13)?,
            has_text: row.try_get::<i64, _>(14)? != 0,
            owner_suspended: row.try_get::<Option<String>, _>(15)?.is_some(),
        })
    }
}

pub(crate) const FINDING_COLUMNS: &str =
    "id, document_id, category, start_byte, end_byte, confidence, rule, review_state, created_at";

pub(crate) struct FindingRow {
    pub id: String,
    pub document_id: String,
    pub category: Category,
    pub start: usize,
    pub end: usize,
    pub confidence: f64,
    pub rule: String,
    pub review_state: String,
}

impl FindingRow {
    pub fn from_row(row: &AnyRow) -> Result<Self> {
        let category: String = row.try_get(2)?;
        Ok(Self {
            id: row.try_get(0)?,
            document_id: row.try_get(1)?,
            category: Category::from_id(&category).ok_or(StoreError::Corrupt("category"))?,
            start: row.try_get::<i64, _>(3)?.max(0) as usize,
            end: row.try_get::<i64, _>(4)?.max(0) as usize,
            confidence: row.try_get(5)?,
            rule: row.try_get(6)?,
            review_state: row.try_get(7)?,
        })
    }
}

/// A finding as its owner sees it: with the span.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerFinding {
    /// Id.
    pub id: String,
    /// Category.
    pub category: Category,
    /// Start byte offset into the extracted text.
    pub start: usize,
    /// End byte offset.
    pub end: usize,
    /// The span.
    pub text: String,
    /// Confidence.
    pub confidence: f64,
    /// The rule that fired.
    pub rule: String,
    /// pending / confirmed / false_positive.
    pub review_state: String,
    /// Why it matters, in Japanese.
    pub explanation: &'static str,
}

/// A bounded window of text around a finding.
#[derive(Debug, Clone, Serialize)]
pub struct Context {
    /// Up to 30 characters before.
    pub before: String,
    /// The span.
    pub span: String,
    /// Up to 30 characters after.
    pub after: String,
}

/// A finding as an advisor sees it: no offsets into the whole text, a bounded context.
#[derive(Debug, Clone, Serialize)]
pub struct AdvisorFinding {
    /// Id.
    pub id: String,
    /// Category.
    pub category: Category,
    /// Confidence.
    pub confidence: f64,
    /// The rule that fired.
    pub rule: String,
    /// pending / confirmed / false_positive.
    pub review_state: String,
    /// The bounded context window (absent when the document had no text).
    pub context: Option<Context>,
}

/// A document with its findings, shaped by who is looking.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum DocumentView {
    /// The owner's view.
    Owner {
        /// Metadata.
        #[serde(flatten)]
        meta: DocumentMeta,
        /// Findings with spans.
        findings: Vec<OwnerFinding>,
        /// The extracted text, for highlighting.
        text: Option<String>,
        /// Consents given for it.
        consents: Vec<Consent>,
    },
    /// An advisor's or admin's view.
    Advisor {
        /// Metadata.
        #[serde(flatten)]
        meta: DocumentMeta,
        /// Findings with bounded context.
        findings: Vec<AdvisorFinding>,
        /// Consents given for it.
        consents: Vec<Consent>,
    },
}

/// Where a refused My Number was found.
#[derive(Debug, Clone, Serialize)]
pub struct Location {
    /// Start byte offset into the extracted text.
    pub start: usize,
    /// End byte offset.
    pub end: usize,
    /// Line number.
    pub line: usize,
}

/// What an upload produced.
#[derive(Debug, Clone, Serialize)]
pub struct Uploaded {
    /// Document id.
    pub id: String,
    /// quarantined / released.
    pub status: DocStatus,
    /// Why it is held.
    pub reason: Option<String>,
    /// The scan verdict.
    pub verdict: Status,
    /// The scan error code, when unscannable.
    pub error: Option<String>,
    /// The findings, with spans (the uploader is the owner).
    pub findings: Vec<OwnerFinding>,
}

/// A consent request.
#[derive(Debug, Clone, Deserialize)]
pub struct ConsentRequest {
    /// Category ids consented to.
    pub categories: Vec<String>,
    /// Purposes consented to.
    pub purposes: Vec<String>,
    /// The version of the notice shown.
    pub notice_version: String,
}

pub(crate) const CONSENT_COLUMNS: &str = "c.id, c.document_id, c.categories, c.purposes, c.notice_version, c.notice_sha256, c.method, c.user_agent, c.created_at, w.created_at";

/// A recorded consent.
#[derive(Debug, Clone, Serialize)]
pub struct Consent {
    /// Id.
    pub id: String,
    /// The document.
    pub document_id: String,
    /// Categories consented to.
    pub categories: Vec<String>,
    /// Purposes consented to.
    pub purposes: Vec<String>,
    /// The notice version shown.
    pub notice_version: String,
    /// SHA-256 of that notice's text.
    pub notice_sha256: String,
    /// How it was given (api, web).
    pub method: String,
    /// The client's user agent.
    pub user_agent: Option<String>,
    /// When.
    pub created_at: String,
    /// When it was withdrawn.
    pub withdrawn_at: Option<String>,
}

impl Consent {
    pub(crate) fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: row.try_get(0)?,
            document_id: row.try_get(1)?,
            categories: super::parse_list(&row.try_get::<String, _>(2)?),
            purposes: super::parse_list(&row.try_get::<String, _>(3)?),
            notice_version: row.try_get(4)?,
            notice_sha256: row.try_get(5)?,
            method: row.try_get(6)?,
            user_agent: row.try_get(7)?,
            created_at: row.try_get(8)?,
            withdrawn_at: row.try_get(9)?,
        })
    }
}

/// An advisor's decision.
#[derive(Debug, Clone, Deserialize)]
pub struct ReviewRequest {
    /// confirmed / false_positive.
    pub decision: String,
    /// Why (required).
    #[serde(default)]
    pub reason: String,
}

/// The result of a review.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewOutcome {
    /// The finding.
    pub finding_id: String,
    /// The decision.
    pub decision: String,
    /// Whether the document was released because every holding finding is a false positive.
    pub document_released: bool,
}

/// A finding awaiting review.
#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    /// The finding.
    pub finding_id: String,
    /// Its document.
    pub document_id: String,
    /// Category.
    pub category: Category,
    /// Confidence.
    pub confidence: f64,
    /// Rule.
    pub rule: String,
    /// When it was found.
    pub created_at: String,
    /// The document's status.
    pub document_status: String,
}

/// Which stored documents were scanned with the current detector.
#[derive(Debug, Clone, Serialize)]
pub struct DictionaryStatus {
    /// The current detector version.
    pub current: String,
    /// Documents held (not erased).
    pub documents: i64,
    /// Of those, scanned with another version.
    pub stale: i64,
    /// Stale documents per version they were scanned with.
    pub stale_by_version: Vec<(String, i64)>,
}

/// A provision request.
#[derive(Debug, Clone, Deserialize)]
pub struct ProvisionRequest {
    /// The client company.
    pub recipient: String,
    /// The purpose (must be one the candidate consented to).
    pub purpose: String,
}

/// A recorded provision to a third party (第三者提供記録).
#[derive(Debug, Clone, Serialize)]
pub struct Provision {
    /// Id.
    pub id: String,
    /// The document.
    pub document_id: String,
    /// The client company.
    pub recipient: String,
    /// The purpose.
    pub purpose: String,
    /// The consent it relies on.
    pub consent_id: String,
    /// The advisor who provided it.
    pub advisor_id: String,
    /// When.
    pub created_at: String,
}

impl Provision {
    pub(crate) fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: row.try_get(0)?,
            document_id: row.try_get(1)?,
            recipient: row.try_get(2)?,
            purpose: row.try_get(3)?,
            consent_id: row.try_get(4)?,
            advisor_id: row.try_get(5)?,
            created_at: row.try_get(6)?,
        })
    }
}
