//! The privacy notices a consent refers to. A consent records the version shown and a hash of
//! its text, so what the candidate agreed to can be proven later.

use sha2::{Digest, Sha256};

/// One version of the notice.
#[derive(Debug, Clone, Copy)]
pub struct Notice {
    /// Version id.
    pub version: &'static str,
    /// Its text (Markdown, Japanese).
    pub text: &'static str,
}

impl Notice {
    /// SHA-256 of the text.
    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(self.text.as_bytes()))
    }
}

/// Every version, oldest first; the last is current.
const NOTICES: &[Notice] = &[Notice { version: "2026-11", text: include_str!("../../notices/2026-11.md") }];

/// The current notice.
pub fn current_notice() -> Notice {
    NOTICES[NOTICES.len() - 1]
}

/// A notice by version.
pub fn find_notice(version: &str) -> Option<Notice> {
    NOTICES.iter().copied().find(|n| n.version == version)
}
