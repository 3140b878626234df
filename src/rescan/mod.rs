//! Rescans: when the detector changes, every stored document is checked again, because a
//! document released yesterday may hold a category that today's dictionaries catch.
//!
//! The flow, one file each:
//!
//! 1. [`plan`]: a rescan picks its documents (stale or all) in one transaction, writes one
//!    pending row per document in batches, and queues one job per batch
//!    ([`crate::store::Queue`]).
//! 2. [`worker`]: workers (in `hairyo serve`, `hairyo worker` or `hairyo rescan`, on any
//!    machine) claim jobs, read the stored encrypted text, and scan only what the change can
//!    affect ([`crate::detect::Delta`]) unless asked for a full scan.
//! 3. [`apply`]: the outcomes of a batch commit in one transaction with the job's completion:
//!    findings added and removed (false positives already resolved stay resolved), a released
//!    document whose new categories its consent does not cover goes back to quarantine with an
//!    audit entry and a notification; nothing is ever released. An outcome is written only
//!    while its row is pending, so each document gets exactly one outcome per rescan.
//!
//! Progress and the summary are read from the rows, so they are the same for every server and
//! survive any crash; an interrupted rescan resumes where it stopped.

pub mod apply;
pub mod plan;
pub mod worker;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use plan::RescanRequest;
pub use worker::{LEASE, Worker};

/// Which documents a rescan looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Documents last scanned with another detector version.
    Stale,
    /// Every stored document.
    All,
}

impl Mode {
    /// The stored id.
    pub fn id(self) -> &'static str {
        match self {
            Mode::Stale => "stale",
            Mode::All => "all",
        }
    }

    /// From the stored id.
    pub fn from_id(id: &str) -> Option<Self> {
        match id {
            "stale" => Some(Mode::Stale),
            "all" => Some(Mode::All),
            _ => None,
        }
    }
}

/// One rescan as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Rescan {
    /// Id.
    pub id: String,
    /// stale or all.
    pub mode: Mode,
    /// Outcomes are computed and reported; no document changes.
    pub dry_run: bool,
    /// Files are parsed again instead of using the stored text.
    pub reextract: bool,
    /// Every document is scanned in full (no incremental evaluation).
    pub full: bool,
    /// The detector version documents are brought to.
    pub target_version: String,
    /// running, finished or cancelled.
    pub state: String,
    /// Documents in the rescan.
    pub total: i64,
    /// cli or api.
    pub origin: String,
    /// When it was created.
    pub created_at: String,
    /// When its last document was done.
    pub finished_at: Option<String>,
}

/// How far a rescan is.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Documents with an outcome.
    pub done: i64,
    /// Documents whose batch failed for good (their documents are untouched and stay stale).
    pub failed: i64,
    /// Documents still waiting.
    pub pending: i64,
}

/// What a rescan found (or, for a dry run, would change).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Documents scanned in full.
    pub scanned: i64,
    /// Documents the change could not affect (incremental: not scanned again).
    pub unaffected: i64,
    /// Documents skipped (erased meanwhile, or no stored text).
    pub skipped: i64,
    /// Documents that could not be read or scanned (held, never released).
    pub errors: i64,
    /// Documents whose findings changed.
    pub changed: i64,
    /// Released documents put back into quarantine.
    pub requarantined: i64,
    /// Findings added, per category.
    pub added: BTreeMap<String, i64>,
    /// Findings removed, per category.
    pub removed: BTreeMap<String, i64>,
}

/// A rescan with its progress and summary.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    /// The rescan.
    #[serde(flatten)]
    pub rescan: Rescan,
    /// How far it is.
    pub progress: Counts,
    /// What it found so far.
    pub summary: Summary,
}
