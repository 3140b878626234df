//! hairyo (配慮) finds 要配慮個人情報 (special-care personal information) in Japanese résumés
//! and holds it back until the candidate has consented.
//!
//! A document flows through the modules in this order:
//!
//! 1. [`extract`] sniffs the real type and turns PDF, DOCX or text into plain text, under size,
//!    time and memory bounds, in a separate process for the parsers that can crash.
//! 2. [`tokenize`] normalises the text (NFKC, width, joined line breaks) with a map back to
//!    the original offsets, and segments it with Lindera.
//! 3. [`detect`] matches the curated dictionaries and applies the context rules (negation,
//!    third parties, work and studies, résumé sections), and finds My Numbers.
//! 4. [`decide`] turns findings into a status: quarantine, flag, clear or error.
//!
//! [`pipeline`] runs the four steps; the CLI ([`cli`]) and the services call it.
//!
//! Around the pipeline, the upload service: [`store`] keeps documents encrypted (SQLite by
//! default, PostgreSQL by URL) with a hash-chained audit log; [`review`] holds the domain
//! operations (uploads held until consent, advisor review, redaction, erasure, the
//! candidate's rights); [`rescan`] checks stored documents again when the dictionaries change,
//! with workers sharing a job queue in the database; [`http`] is the axum edge; [`config`] the
//! layered configuration.
#![deny(missing_docs)]

pub mod cli;
pub mod config;
pub mod decide;
pub mod detect;
pub mod extract;
pub mod http;
pub mod pipeline;
pub mod rescan;
pub mod review;
pub mod store;
pub mod tokenize;

pub use decide::Status;
pub use detect::{Category, Detector, Finding};
pub use pipeline::{Pipeline, Report};
