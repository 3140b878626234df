//! extract -> tokenize -> detect -> decide: the one path every caller takes (HTTP uploads,
//! the CLI, rescans), so the same document always gets the same verdict.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::decide::{Status, decide};
use crate::detect::{Detector, Finding, Suppressed};
use crate::extract::{DocKind, ExtractError, Extracted, Extractor};

/// A failure that stopped a scan: a stable code and a message for people. Neither ever
/// contains document text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanError {
    /// Stable machine-readable code (`no_text_layer`, `zip_bomb`, ...).
    pub code: String,
    /// What went wrong, in Japanese.
    pub message: String,
}

impl From<&ExtractError> for ScanError {
    fn from(e: &ExtractError) -> Self {
        Self { code: e.code().to_string(), message: e.message_ja().to_string() }
    }
}

/// The result of scanning one document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// quarantine / flag / clear / error.
    pub status: Status,
    /// What was found, in text order, with offsets into `text`.
    pub findings: Vec<Finding>,
    /// Candidates the context rules cancelled, for explanations.
    pub suppressed: Vec<Suppressed>,
    /// The detector version the findings depend on.
    pub dictionary_version: String,
    /// Why the scan failed, when `status` is `error`.
    pub error: Option<ScanError>,
    /// The document type found by sniffing, when it was recognised.
    pub kind: Option<DocKind>,
    /// The extracted text the offsets point into (empty on error).
    #[serde(skip)]
    pub text: String,
}

/// The scanning pipeline: an extractor and a shared detector.
#[derive(Debug, Clone)]
pub struct Pipeline {
    detector: Arc<Detector>,
    extractor: Arc<Extractor>,
}

impl Pipeline {
    /// A pipeline from its parts.
    pub fn new(detector: Arc<Detector>, extractor: Extractor) -> Self {
        Self { detector, extractor: Arc::new(extractor) }
    }

    /// The detector.
    pub fn detector(&self) -> &Arc<Detector> {
        &self.detector
    }

    /// Scans an uploaded file's bytes. Never panics and never returns a clear verdict for a
    /// document it could not read: failures come back as `Status::Error`.
    pub fn scan_bytes(&self, bytes: &[u8]) -> Report {
        match self.extractor.extract(bytes) {
            Ok(extracted) => self.scan_extracted(extracted),
            Err(e) => self.failed(ScanError::from(&e), None),
        }
    }

    /// Scans text that was already extracted (rescans use the stored text).
    pub fn scan_extracted(&self, extracted: Extracted) -> Report {
        let kind = Some(extracted.kind);
        let mut report = self.scan_text(extracted.text);
        report.kind = kind;
        report
    }

    /// Analyses plain text: normalise, tokenise, detect, decide.
    pub fn scan_text(&self, text: String) -> Report {
        // The detector does not panic on any input (a property test holds it to that); the
        // guard is the last line so that a bug costs one document an error, not the process.
        let detector = self.detector.clone();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| detector.scan(&text)));
        match result {
            Ok(Ok(detection)) => Report {
                status: decide(&detection.findings),
                findings: detection.findings,
                suppressed: detection.suppressed,
                dictionary_version: self.detector.version().to_string(),
                error: None,
                kind: None,
                text,
            },
            Ok(Err(e)) => self.failed(ScanError { code: e.code().into(), message: "解析に失敗しました".into() }, None),
            Err(_) => {
                tracing::error!("detector panicked; document held as error");
                self.failed(
                    ScanError {
                        code: "scan_failed".into(), message: "解析中に内部エラーが発生しました".into()
                    },
                    None,
                )
            }
        }
    }

    /// A report for a scan that did not finish (timeout, crash): held, never clear.
    pub fn failed_report(&self, code: &str) -> Report {
        let message = match code {
            "timeout" => "解析が時間内に終わりませんでした",
            _ => "解析中に内部エラーが発生しました",
        };
        self.failed(ScanError { code: code.into(), message: message.into() }, None)
    }

    fn failed(&self, error: ScanError, kind: Option<DocKind>) -> Report {
        Report {
            status: Status::Error,
            findings: Vec::new(),
            suppressed: Vec::new(),
            dictionary_version: self.detector.version().to_string(),
            error: Some(error),
            kind,
            text: String::new(),
        }
    }
}
