//! Turning an uploaded file into plain text: sniff what it really is, then read
//! it as PDF, DOCX or plain text.
//!
//! # Why this module is shaped the way it is
//!
//! Everything that reaches this module is untrusted: a résumé is whatever a
//! candidate (or someone pretending to be one) uploaded. Three consequences:
//!
//! * **The type comes from the content, never from the file name.** A `.pdf`
//!   that is really a PNG, or a `.txt` that is really a ZIP, must be refused
//!   with a clear reason rather than fed to the wrong parser ([`sniff()`]).
//! * **Parsers fail in every way a program can fail.** `pdf-extract` panics on
//!   damaged PDFs, and a ZIP can expand a few megabytes into gigabytes. The
//!   in-process path ([`extract_bytes`]) bounds every size up front and wraps
//!   every parser call in `catch_unwind`, but a panic is not the worst case: an
//!   abort, an allocation failure or an endless loop cannot be caught inside
//!   the process. [`Extractor`] with [`Isolation::Subprocess`] therefore runs
//!   the PDF and DOCX parsers in a child process with an address-space limit,
//!   a CPU limit and a wall-clock timeout (see `isolate.rs`). Plain text is
//!   decoded in-process: decoding cannot blow up.
//! * **A document we could not read is never reported as "nothing found".**
//!   Every failure is an [`ExtractError`] with a stable machine code
//!   ([`ExtractError::code`]) and a Japanese message for the person who
//!   uploaded the file ([`ExtractError::message_ja`]). A PDF without a text
//!   layer (a scan) is an error, not an empty document, because "no sensitive
//!   information found" would be a false all-clear.
//!
//! Document text is sensitive by definition (it is what the rest of the crate
//! searches for 要配慮個人情報). Nothing here logs it or puts it into an error:
//! errors carry fixed messages and at most the kind of document.
//!
//! The extracted text is returned as decoded, without normalising line endings
//! or whitespace, because findings are reported as offsets into exactly this
//! text.

mod docx;
mod isolate;
mod pdf;
mod sniff;
mod text;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use isolate::{LIMITS_ENV, WORKER_SUBCOMMAND, run_worker};
pub use sniff::sniff;

/// What a file really is, judged from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// A PDF (`%PDF-` near the start).
    Pdf,
    /// A Word document in Office Open XML form (a ZIP holding `word/document.xml`).
    Docx,
    /// Plain text in UTF-8, UTF-16 with a BOM, Shift_JIS/CP932, EUC-JP or ISO-2022-JP.
    Text,
}

/// The text of one document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Extracted {
    /// What the document was.
    pub kind: DocKind,
    /// The document's text. Offsets found later refer to this string as is.
    pub text: String,
    /// The number of pages, where the format has pages the reader can count (PDF).
    pub pages: Option<u32>,
}

/// Bounds on the work one extraction may do. Every bound fails closed with an error.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Limits {
    /// Largest accepted input file, in bytes ([`ExtractError::TooLarge`] beyond).
    pub max_bytes: u64,
    /// Most pages a PDF may have ([`ExtractError::TooManyPages`] beyond).
    pub max_pages: u32,
    /// Most entries a DOCX (ZIP) may hold ([`ExtractError::ZipBomb`] beyond).
    pub max_zip_entries: usize,
    /// Most bytes a DOCX may expand to, for every single entry and for all
    /// entries together, and the content streams of one PDF page together
    /// after decompression ([`ExtractError::ZipBomb`] beyond).
    pub max_unzipped_bytes: u64,
    /// Most bytes of extracted text ([`ExtractError::TooLarge`] beyond).
    pub max_text_bytes: usize,
    /// Wall-clock time the isolated worker gets ([`ExtractError::Timeout`] beyond).
    /// Only enforced with [`Isolation::Subprocess`].
    pub timeout: Duration,
    /// Address space the isolated worker may map, in bytes. Only enforced with
    /// [`Isolation::Subprocess`]; beyond it the worker's allocations fail and it
    /// dies ([`ExtractError::Crashed`]).
    pub memory_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 20 * 1024 * 1024,
            max_pages: 100,
            max_zip_entries: 2000,
            max_unzipped_bytes: 64 * 1024 * 1024,
            max_text_bytes: 8 * 1024 * 1024,
            timeout: Duration::from_secs(20),
            memory_bytes: 1024 * 1024 * 1024,
        }
    }
}

/// Why a file could not be turned into text.
///
/// The `Display` text is a fixed English sentence for logs; it never contains
/// anything from the document. [`ExtractError::code`] is the stable identifier
/// for programs and [`ExtractError::message_ja`] the message for people.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Serialize, Deserialize)]
pub enum ExtractError {
    /// The file is empty, or holds nothing but whitespace.
    #[error("the file is empty")]
    Empty,
    /// The file, or the text extracted from it, exceeds a size limit.
    #[error("the file or its text exceeds the size limit")]
    TooLarge,
    /// The content is of a type this crate does not read (image, legacy .doc,
    /// another ZIP-based format, binary data, ...).
    #[error("the file type is not supported")]
    UnsupportedType,
    /// The file looks like the given kind but could not be parsed as one.
    #[error("the {0:?} file is damaged and could not be parsed")]
    Corrupt(DocKind),
    /// A PDF that has pages but no extractable text: most likely a scan.
    #[error("the PDF has no text layer")]
    NoTextLayer,
    /// The file is password protected.
    #[error("the file is encrypted")]
    Encrypted,
    /// The PDF has more pages than allowed.
    #[error("the PDF has too many pages")]
    TooManyPages,
    /// The ZIP container would expand beyond the limits (entries or bytes), or
    /// a PDF page's compressed content would.
    #[error("the archive expands beyond the limits")]
    ZipBomb,
    /// Text in an encoding that could not be recognised or decoded without errors.
    #[error("the text encoding could not be decoded")]
    Undecodable,
    /// The isolated parser did not finish in time.
    #[error("extraction timed out")]
    Timeout,
    /// The isolated parser died (signal, abort, out of memory) or returned no result.
    #[error("the parser process crashed")]
    Crashed,
    /// An I/O error while running the isolated parser (spawning it, temporary files).
    #[error("an I/O error occurred during extraction")]
    Io,
}

impl ExtractError {
    /// A stable machine-readable code, for APIs, metrics and tests.
    pub fn code(&self) -> &'static str {
        match self {
            ExtractError::Empty => "empty",
            ExtractError::TooLarge => "too_large",
            ExtractError::UnsupportedType => "unsupported_type",
            ExtractError::Corrupt(DocKind::Pdf) => "corrupt_pdf",
            ExtractError::Corrupt(DocKind::Docx) => "corrupt_docx",
            ExtractError::Corrupt(DocKind::Text) => "corrupt_text",
            ExtractError::NoTextLayer => "no_text_layer",
            ExtractError::Encrypted => "encrypted",
            ExtractError::TooManyPages => "too_many_pages",
            ExtractError::ZipBomb => "zip_bomb",
            ExtractError::Undecodable => "undecodable_text",
            ExtractError::Timeout => "timeout",
            ExtractError::Crashed => "parser_crashed",
            ExtractError::Io => "io_error",
        }
    }

    /// A message in Japanese for the person who uploaded the file: what went
    /// wrong and, where there is one, what to do about it.
    pub fn message_ja(&self) -> &'static str {
        match self {
            ExtractError::Empty => "ファイルが空か、文字が含まれていません。",
            ExtractError::TooLarge => "ファイル(または含まれる文字数)が上限を超えているため、確認できません。",
            ExtractError::UnsupportedType => {
                "対応していないファイル形式です。PDF、Word(.docx)、テキストファイルのいずれかを指定してください。"
            }
            ExtractError::Corrupt(DocKind::Pdf) => "PDFファイルが壊れているため、読み取れませんでした。",
            ExtractError::Corrupt(DocKind::Docx) => "Wordファイル(.docx)が壊れているため、読み取れませんでした。",
            ExtractError::Corrupt(DocKind::Text) => "テキストファイルが壊れているため、読み取れませんでした。",
            ExtractError::NoTextLayer => {
                "PDFに文字情報がありません(スキャンした画像の可能性があります)。自動では確認できないため、目視で確認してください。"
            }
            ExtractError::Encrypted => {
                "ファイルがパスワードで保護されているため、読み取れません。保護を解除してから指定してください。"
            }
            ExtractError::TooManyPages => "PDFのページ数が上限を超えているため、確認できません。",
            ExtractError::ZipBomb => {
                "ファイルを展開した後のサイズが上限を超えるため、安全のため読み取りを中止しました。"
            }
            ExtractError::Undecodable => {
                "テキストの文字コードを判別できませんでした。UTF-8で保存し直してから指定してください。"
            }
            ExtractError::Timeout => {
                "ファイルの読み取りが制限時間内に終わりませんでした。ファイルが壊れている可能性があります。"
            }
            ExtractError::Crashed => {
                "ファイルの読み取り中に解析処理が異常終了しました。ファイルが壊れている可能性があります。"
            }
            ExtractError::Io => "ファイルの読み取り処理で入出力エラーが発生しました。",
        }
    }
}

/// Extracts the text of `bytes` in this process.
///
/// Sizes are bounded by `limits` and every parser call is wrapped in
/// `catch_unwind`, so a panicking parser becomes [`ExtractError::Corrupt`].
/// This does not contain aborts, allocation failures or endless loops, and
/// `limits.timeout` / `limits.memory_bytes` are not enforced here: for
/// untrusted PDF and DOCX files prefer [`Extractor`] with
/// [`Isolation::Subprocess`]. (`catch_unwind` needs `panic = "unwind"`, the
/// default; a build with `panic = "abort"` loses this first line of defence.)
pub fn extract_bytes(bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    check_input_size(bytes, limits)?;
    let kind = sniff(bytes)?;
    extract_kind(kind, bytes, limits)
}

/// The checks every path does before sniffing, in one place so the isolated
/// and in-process paths cannot drift apart.
fn check_input_size(bytes: &[u8], limits: &Limits) -> Result<(), ExtractError> {
    if bytes.is_empty() {
        return Err(ExtractError::Empty);
    }
    if bytes.len() as u64 > limits.max_bytes {
        return Err(ExtractError::TooLarge);
    }
    Ok(())
}

/// Runs the parser for an already sniffed `kind`, guarded against panics.
fn extract_kind(kind: DocKind, bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    let result = match kind {
        DocKind::Pdf => guarded(ExtractError::Corrupt(DocKind::Pdf), || pdf::extract(bytes, limits)),
        DocKind::Docx => guarded(ExtractError::Corrupt(DocKind::Docx), || docx::extract(bytes, limits)),
        // Decoding text is our own code over encoding_rs: a panic there is a bug,
        // not a damaged file, so it is reported as a crash.
        DocKind::Text => guarded(ExtractError::Crashed, || text::extract(bytes, limits)),
    };
    match &result {
        Ok(extracted) => tracing::debug!(
            kind = ?extracted.kind,
            pages = extracted.pages,
            text_bytes = extracted.text.len(),
            "extracted document text"
        ),
        Err(error) => tracing::debug!(kind = ?kind, code = error.code(), "extraction failed"),
    }
    result
}

/// Calls `f`, turning a panic into `on_panic`. The panic payload is dropped
/// unread: it may quote the document.
fn guarded<T>(on_panic: ExtractError, f: impl FnOnce() -> Result<T, ExtractError>) -> Result<T, ExtractError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(_payload) => {
            tracing::warn!(code = on_panic.code(), "a document parser panicked");
            Err(on_panic)
        }
    }
}

/// Where the PDF and DOCX parsers run.
#[derive(Debug, Clone)]
pub enum Isolation {
    /// In this process, guarded by `catch_unwind` only. For tests, and for
    /// callers that already run in a disposable, resource-limited process.
    InProcess,
    /// In a child process `exe __extract-worker <result-file>` with memory,
    /// CPU and wall-clock limits. `exe` is normally this program itself
    /// (`std::env::current_exe()`), whose CLI must dispatch the hidden
    /// subcommand [`WORKER_SUBCOMMAND`] to [`run_worker`].
    Subprocess {
        /// The executable that implements the worker subcommand.
        exe: std::path::PathBuf,
    },
}

/// Extracts text with the given limits and isolation.
#[derive(Debug, Clone)]
pub struct Extractor {
    /// Bounds on every extraction.
    pub limits: Limits,
    /// Where the PDF and DOCX parsers run.
    pub isolation: Isolation,
}

impl Extractor {
    /// Extracts the text of `bytes`.
    ///
    /// Size checks and sniffing happen here, in the calling process, so an
    /// obviously unacceptable file never costs a process spawn. Plain text is
    /// always decoded in-process; PDF and DOCX go to the child process when
    /// [`Isolation::Subprocess`] is chosen.
    pub fn extract(&self, bytes: &[u8]) -> Result<Extracted, ExtractError> {
        check_input_size(bytes, &self.limits)?;
        let kind = sniff(bytes)?;
        match (&self.isolation, kind) {
            (Isolation::Subprocess { exe }, DocKind::Pdf | DocKind::Docx) => {
                isolate::extract_in_subprocess(exe, kind, bytes, &self.limits)
            }
            _ => extract_kind(kind, bytes, &self.limits),
        }
    }
}

/// Fails with [`ExtractError::TooLarge`] when `text` is over the output limit.
/// Shared by the readers so the limit means the same thing everywhere.
fn check_text_size(text: &str, limits: &Limits) -> Result<(), ExtractError> {
    if text.len() > limits.max_text_bytes { Err(ExtractError::TooLarge) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [ExtractError; 14] = [
        ExtractError::Empty,
        ExtractError::TooLarge,
        ExtractError::UnsupportedType,
        ExtractError::Corrupt(DocKind::Pdf),
        ExtractError::Corrupt(DocKind::Docx),
        ExtractError::Corrupt(DocKind::Text),
        ExtractError::NoTextLayer,
        ExtractError::Encrypted,
        ExtractError::TooManyPages,
        ExtractError::ZipBomb,
        ExtractError::Undecodable,
        ExtractError::Timeout,
        ExtractError::Crashed,
        ExtractError::Io,
    ];

    #[test]
    fn codes_are_unique_and_messages_present() {
        let mut codes: Vec<_> = ALL.iter().map(ExtractError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ALL.len());
        for e in &ALL {
            assert!(!e.message_ja().is_empty());
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn errors_round_trip_through_json() {
        for e in ALL {
            let json = serde_json::to_string(&e).unwrap();
            let back: ExtractError = serde_json::from_str(&json).unwrap();
            assert_eq!(back, e);
        }
        let r: Result<Extracted, ExtractError> =
            Ok(Extracted { kind: DocKind::Docx, text: "氏名\t山田\n".into(), pages: None });
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"docx\""));
        let back: Result<Extracted, ExtractError> = serde_json::from_str(&json).unwrap();
        assert_eq!(back.unwrap().text, "氏名\t山田\n");
    }

    #[test]
    fn limits_round_trip_through_json() {
        let limits = Limits { max_pages: 3, timeout: Duration::from_millis(1500), ..Limits::default() };
        let back: Limits = serde_json::from_str(&serde_json::to_string(&limits).unwrap()).unwrap();
        assert_eq!(back.max_pages, 3);
        assert_eq!(back.timeout, Duration::from_millis(1500));
        assert_eq!(back.max_bytes, 20 * 1024 * 1024);
    }

    #[test]
    fn empty_and_too_large_are_checked_first() {
        let limits = Limits { max_bytes: 4, ..Limits::default() };
        assert_eq!(extract_bytes(b"", &limits).unwrap_err(), ExtractError::Empty);
        assert_eq!(extract_bytes(b"hello", &limits).unwrap_err(), ExtractError::TooLarge);
        let extractor = Extractor { limits, isolation: Isolation::InProcess };
        assert_eq!(extractor.extract(b"hello").unwrap_err(), ExtractError::TooLarge);
        assert_eq!(extractor.extract(b"hey").unwrap().text, "hey");
    }

    #[test]
    fn subprocess_isolation_keeps_text_in_process() {
        // Text never spawns the worker, so a missing executable does not matter.
        let extractor = Extractor {
            limits: Limits::default(),
            isolation: Isolation::Subprocess { exe: "/nonexistent/hairyo".into() },
        };
        assert_eq!(extractor.extract("こんにちは".as_bytes()).unwrap().text, "こんにちは");
        // A PDF does, and a missing executable is an I/O error, not a crash of ours.
        assert_eq!(extractor.extract(b"%PDF-1.4 garbage").unwrap_err(), ExtractError::Io);
    }

    #[test]
    fn display_is_fixed_text() {
        assert_eq!(ExtractError::Corrupt(DocKind::Pdf).to_string(), "the Pdf file is damaged and could not be parsed");
    }
}
