//! Running the PDF and DOCX parsers in a child process.
//!
//! `catch_unwind` contains panics, but not an abort, an allocation failure, a
//! stack overflow or an endless loop, and pdf-extract on damaged input is
//! capable of all of these in principle. A child process is the only boundary
//! that contains them: it gets an address-space limit (allocations beyond it
//! fail and the child dies), a CPU-time limit and no core dumps, and the parent
//! kills it when the wall-clock timeout passes.
//!
//! Protocol, parent side ([`extract_in_subprocess`]):
//! `exe __extract-worker -` with the document on stdin, the result read from
//! the child's stdout (bounded), stderr to `/dev/null`, and the [`Limits`] as
//! JSON in the environment variable [`LIMITS_ENV`]. The extracted text travels
//! through a pipe only: no temporary file holds it, so a process killed at any
//! moment leaves no plaintext on disk.
//!
//! Worker side ([`run_worker`]): limit itself, keep its stdout for the result
//! alone (file descriptor 1 is duplicated, then pointed at `/dev/null`, so
//! whatever a parser prints cannot mix with the result), read stdin, call
//! [`extract_bytes`], write `serde_json` of `Result<Extracted, ExtractError>`,
//! exit 0. Any other ending counts as a crash. A result path other than `-`
//! writes the result to that file instead (for debugging).

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};

use wait_timeout::ChildExt;

use super::{DocKind, ExtractError, Extracted, Limits, check_text_size, extract_bytes};

/// The hidden CLI subcommand that runs [`run_worker`]:
/// `hairyo __extract-worker <result-path>`.
pub const WORKER_SUBCOMMAND: &str = "__extract-worker";

/// The environment variable through which the parent passes [`Limits`] (as
/// JSON) to the worker, so the subcommand needs no flags.
pub const LIMITS_ENV: &str = "HAIRYO_EXTRACT_LIMITS";

/// Exit code of a worker that could not write its result.
const EXIT_NO_RESULT: i32 = 70;
/// Exit code of a worker whose [`LIMITS_ENV`] was present but not valid JSON.
const EXIT_BAD_LIMITS: i32 = 64;

/// The whole body of the hidden subcommand `hairyo __extract-worker <result-path>`.
///
/// Limits come from the environment variable [`LIMITS_ENV`] (JSON of
/// [`Limits`]); when it is absent, [`Limits::default`] applies. The document is
/// read from stdin. The result, `Result<Extracted, ExtractError>` as JSON, is
/// written to `result_path`. Returns the process exit code: 0 when a result
/// (success or extraction error) was written, non-zero otherwise. The caller
/// should `std::process::exit` with it straight away, and should dispatch to
/// this function before doing anything else costly (loading dictionaries,
/// setting up logging that writes document-derived data): the address-space
/// limit applies to the whole process.
pub fn run_worker(result_path: &Path) -> i32 {
    let limits = match std::env::var(LIMITS_ENV) {
        Ok(json) => match serde_json::from_str::<Limits>(&json) {
            Ok(limits) => limits,
            Err(_) => return EXIT_BAD_LIMITS,
        },
        Err(_) => Limits::default(),
    };
    // Limits first, before a single byte of the document is touched. A limit
    // that cannot be set (an unsupported platform, a lower hard limit we may
    // not raise) is not fatal: the parent's timeout still applies.
    apply_rlimits(&limits);

    let to_stdout = result_path == Path::new("-");
    let result_channel = if to_stdout { take_stdout() } else { None };
    if to_stdout && result_channel.is_none() {
        return EXIT_NO_RESULT;
    }
    let result = read_stdin(limits.max_bytes).and_then(|bytes| extract_bytes(&bytes, &limits));
    let Ok(json) = serde_json::to_vec(&result) else {
        return EXIT_NO_RESULT;
    };
    let written = match result_channel {
        Some(mut out) => out.write_all(&json).and_then(|()| out.flush()),
        None => File::create(result_path).and_then(|mut file| file.write_all(&json)),
    };
    if written.is_ok() { 0 } else { EXIT_NO_RESULT }
}

/// Keeps file descriptor 1 for the result alone: returns a duplicate of it and points
/// descriptor 1 at `/dev/null`, so anything a parser prints is discarded.
#[cfg(unix)]
fn take_stdout() -> Option<File> {
    use std::os::fd::{AsRawFd, FromRawFd};
    let null = std::fs::OpenOptions::new().write(true).open("/dev/null").ok()?;
    // SAFETY: dup and dup2 act on this process's own descriptors; the duplicate is owned
    // by the returned File and closed exactly once, by it.
    unsafe {
        let fd = libc::dup(1);
        if fd < 0 {
            return None;
        }
        if libc::dup2(null.as_raw_fd(), 1) < 0 {
            libc::close(fd);
            return None;
        }
        Some(File::from_raw_fd(fd))
    }
}

#[cfg(not(unix))]
fn take_stdout() -> Option<File> {
    None
}

/// Reads the document from stdin, at most `max_bytes` of it.
fn read_stdin(max_bytes: u64) -> Result<Vec<u8>, ExtractError> {
    let mut bytes = Vec::new();
    std::io::stdin().lock().take(max_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(|_| ExtractError::Io)?;
    if bytes.len() as u64 > max_bytes {
        return Err(ExtractError::TooLarge);
    }
    Ok(bytes)
}

#[cfg(unix)]
fn apply_rlimits(limits: &Limits) {
    use rlimit::Resource;
    let cpu_seconds = limits.timeout.as_secs().saturating_add(1);
    // Soft CPU limit sends SIGXCPU; the hard one, a second later, SIGKILL.
    let _ = lower_limit(Resource::CPU, cpu_seconds, cpu_seconds.saturating_add(1));
    let _ = lower_limit(Resource::CORE, 0, 0);
    let _ = lower_limit(Resource::AS, limits.memory_bytes, limits.memory_bytes);
}

#[cfg(not(unix))]
fn apply_rlimits(_limits: &Limits) {}

/// Sets a resource limit no higher than the current hard limit (raising a
/// hard limit needs privileges this process should not have).
#[cfg(unix)]
fn lower_limit(resource: rlimit::Resource, soft: u64, hard: u64) -> std::io::Result<()> {
    let (_, current_hard) = rlimit::getrlimit(resource)?;
    let hard = hard.min(current_hard);
    rlimit::setrlimit(resource, soft.min(hard), hard)
}

/// Extracts `bytes`, already sniffed as `kind` (PDF or DOCX), in a child
/// process running `exe __extract-worker <result-file>`.
pub(super) fn extract_in_subprocess(
    exe: &Path,
    kind: DocKind,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    let limits_json = serde_json::to_string(limits).map_err(|_| ExtractError::Io)?;
    let mut child = Command::new(exe)
        .arg(WORKER_SUBCOMMAND)
        .arg("-")
        .env(LIMITS_ENV, limits_json)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|error| {
            tracing::warn!(kind = ?error.kind(), "could not start the extraction worker");
            ExtractError::Io
        })?;

    let max_json = max_result_bytes(limits);
    let status = feed_and_wait(&mut child, bytes, limits, max_json)?;
    let Some((status, output)) = status else {
        tracing::warn!(kind = ?kind, timeout_ms = limits.timeout.as_millis() as u64, "extraction worker timed out");
        return Err(ExtractError::Timeout);
    };
    if !status.success() {
        return Err(classify_failure(status));
    }

    let result = parse_result(&output, max_json)?;
    // A result for another kind of document, or text over the limit, means
    // the worker is not the program we think it is: trust none of it.
    match &result {
        Ok(extracted) if extracted.kind != kind || check_text_size(&extracted.text, limits).is_err() => {
            tracing::warn!("extraction worker returned an inconsistent result");
            Err(ExtractError::Crashed)
        }
        _ => result,
    }
}

/// Writes `bytes` to the child's stdin on a separate thread while this one
/// waits, so a child that stops reading cannot deadlock the parent. Returns
/// `None` on timeout, after killing and reaping the child.
fn feed_and_wait(
    child: &mut Child,
    bytes: &[u8],
    limits: &Limits,
    max_output: u64,
) -> Result<Option<(ExitStatus, Vec<u8>)>, ExtractError> {
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            if let Some(mut stdin) = stdin {
                // A child that exits (or is killed) early closes the pipe: the
                // broken pipe is expected and its status tells the story.
                let _ = stdin.write_all(bytes);
                // Dropping stdin here sends EOF.
            }
        });
        // Read the result while the child runs (a full pipe would block it), bounded: a
        // child that writes more is cut off and fails on the broken pipe.
        let reader = scope.spawn(move || {
            let mut out = Vec::new();
            if let Some(stdout) = stdout {
                let _ = stdout.take(max_output.saturating_add(1)).read_to_end(&mut out);
            }
            out
        });
        let waited = child.wait_timeout(limits.timeout);
        match waited {
            Ok(Some(status)) => Ok(Some((status, reader.join().unwrap_or_default()))),
            Ok(None) => {
                // Killing closes the pipe, which ends the writer thread.
                let _ = child.kill();
                let _ = child.wait();
                Ok(None)
            }
            Err(error) => {
                tracing::warn!(kind = ?error.kind(), "waiting for the extraction worker failed");
                let _ = child.kill();
                let _ = child.wait();
                Err(ExtractError::Io)
            }
        }
    })
}

/// Why a worker that did not exit 0 failed.
fn classify_failure(status: ExitStatus) -> ExtractError {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            tracing::warn!(signal, "extraction worker killed by a signal");
            // SIGXCPU: the CPU-time limit, which is a timeout by another name.
            return if signal == libc::SIGXCPU { ExtractError::Timeout } else { ExtractError::Crashed };
        }
    }
    tracing::warn!(code = status.code(), "extraction worker failed");
    ExtractError::Crashed
}

/// The largest result accepted: JSON escaping can grow text up to six times (control
/// characters as \u00XX).
fn max_result_bytes(limits: &Limits) -> u64 {
    (limits.max_text_bytes as u64).saturating_mul(6).saturating_add(64 * 1024)
}

/// Parses the worker's result, bounded in size.
fn parse_result(json: &[u8], max_json: u64) -> Result<Result<Extracted, ExtractError>, ExtractError> {
    if json.len() as u64 > max_json {
        return Err(ExtractError::Crashed);
    }
    // Empty or half-written output means the worker died before finishing.
    serde_json::from_slice(json).map_err(|_| ExtractError::Crashed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limits() -> Limits {
        Limits { timeout: Duration::from_secs(5), ..Limits::default() }
    }

    #[test]
    fn result_round_trip() {
        let max = max_result_bytes(&limits());
        let ok: Result<Extracted, ExtractError> =
            Ok(Extracted { kind: DocKind::Pdf, text: "a\u{1}b 日本".into(), pages: Some(2) });
        let got = parse_result(&serde_json::to_vec(&ok).unwrap(), max).unwrap().unwrap();
        assert_eq!(got.text, "a\u{1}b 日本");
        let err: Result<Extracted, ExtractError> = Err(ExtractError::Corrupt(DocKind::Docx));
        assert_eq!(
            parse_result(&serde_json::to_vec(&err).unwrap(), max).unwrap().unwrap_err(),
            ExtractError::Corrupt(DocKind::Docx)
        );
        assert_eq!(parse_result(b"{\"Ok\":{\"kind\":", max).unwrap_err(), ExtractError::Crashed);
        assert_eq!(parse_result(b"", max).unwrap_err(), ExtractError::Crashed);
        assert_eq!(parse_result(&[b' '; 100], 10).unwrap_err(), ExtractError::Crashed);
    }

    // The tests below use ordinary system programs as stand-in workers: the
    // real worker needs the hairyo binary (see the crate's integration tests).

    #[cfg(unix)]
    #[test]
    fn a_worker_that_writes_nothing_has_crashed() {
        // `true` ignores its arguments, reads nothing and exits 0.
        let got = extract_in_subprocess(Path::new("true"), DocKind::Pdf, &vec![b'x'; 1 << 20], &limits());
        assert_eq!(got.unwrap_err(), ExtractError::Crashed);
    }

    #[cfg(unix)]
    #[test]
    fn a_failing_worker_has_crashed() {
        let got = extract_in_subprocess(Path::new("false"), DocKind::Docx, b"PK\x03\x04", &limits());
        assert_eq!(got.unwrap_err(), ExtractError::Crashed);
    }

    #[cfg(unix)]
    #[test]
    fn a_hanging_worker_times_out() {
        // `sleep __extract-worker <path>` fails at once on the bad argument, so
        // use a shell script that ignores its arguments and hangs.
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("hang.sh");
        std::fs::write(&script, "#!/bin/sh\nexec sleep 30\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let limits = Limits { timeout: Duration::from_millis(300), ..Limits::default() };
        let started = std::time::Instant::now();
        // 4 MiB on stdin, which the script never reads: must not deadlock.
        let got = extract_in_subprocess(&script, DocKind::Pdf, &vec![b'x'; 4 << 20], &limits);
        assert_eq!(got.unwrap_err(), ExtractError::Timeout);
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[cfg(unix)]
    #[test]
    fn a_worker_reporting_another_kind_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("liar.sh");
        // $2 is `-`: the result goes to stdout.
        std::fs::write(
            &script,
            "#!/bin/sh\ncat >/dev/null\nprintf '{\"Ok\":{\"kind\":\"text\",\"text\":\"x\",\"pages\":null}}'\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let got = extract_in_subprocess(&script, DocKind::Pdf, b"%PDF-", &limits());
        assert_eq!(got.unwrap_err(), ExtractError::Crashed);
        // The same script reporting the right kind is believed.
        let got = extract_in_subprocess(&script, DocKind::Text, b"x", &limits());
        assert_eq!(got.unwrap().text, "x");
    }

    #[test]
    fn a_missing_executable_is_an_io_error() {
        let got = extract_in_subprocess(Path::new("/nonexistent/worker"), DocKind::Pdf, b"%PDF-", &limits());
        assert_eq!(got.unwrap_err(), ExtractError::Io);
    }
}
