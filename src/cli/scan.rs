//! `hairyo scan`: scan files (or standard input) and print a report per input.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::decide::Status;
use crate::detect::Detector;
use crate::extract::{Extractor, Isolation, Limits};
use crate::pipeline::{Pipeline, Report, ScanError};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: each finding with its line, the span highlighted.
    Text,
    /// JSON Lines, one object per input.
    Json,
}

/// Arguments of `hairyo scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Load dictionaries from this folder instead of the built-in ones.
    #[arg(long, env = "HAIRYO_DICTIONARIES")]
    pub dictionaries: Option<PathBuf>,
    /// Also list candidates that context rules cancelled, with the reason (text format).
    #[arg(long)]
    pub explain: bool,
    /// Parse in this process instead of a bounded child process (for debugging only).
    #[arg(long, hide = true)]
    pub in_process: bool,
    /// Files to scan; `-` reads standard input.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// One line of `--format json`.
#[derive(Serialize)]
struct JsonLine<'a> {
    path: &'a str,
    status: Status,
    findings: &'a [crate::detect::Finding],
    dictionary_version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a ScanError>,
}

/// Runs the command; returns the process exit code: 0 when every input was scanned, 1 when
/// any input failed (its report says why).
pub fn run(args: ScanArgs) -> anyhow::Result<i32> {
    let detector = match &args.dictionaries {
        Some(dir) => Detector::from_dir(dir)?,
        None => Detector::embedded()?,
    };
    let isolation =
        if args.in_process { Isolation::InProcess } else { Isolation::Subprocess { exe: std::env::current_exe()? } };
    let limits = Limits::default();
    let pipeline = Pipeline::new(Arc::new(detector), Extractor { limits: limits.clone(), isolation });

    let reports = scan_all(&pipeline, &args.paths, &limits);
    let stdout = std::io::stdout();
    let color = stdout.is_terminal();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = false;
    for (path, report) in args.paths.iter().zip(&reports) {
        let name = path.to_string_lossy();
        failed |= report.status == Status::Error;
        match args.format {
            Format::Json => {
                let line = JsonLine {
                    path: &name,
                    status: report.status,
                    findings: &report.findings,
                    dictionary_version: &report.dictionary_version,
                    error: report.error.as_ref(),
                };
                serde_json::to_writer(&mut out, &line)?;
                writeln!(out)?;
            }
            Format::Text => write_text(&mut out, &name, report, args.explain, color)?,
        }
    }
    out.flush()?;
    Ok(i32::from(failed))
}

/// Scans every input, in parallel over the machine's cores, keeping input order.
fn scan_all(pipeline: &Pipeline, paths: &[PathBuf], limits: &Limits) -> Vec<Report> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(paths.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Report>>> = paths.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(path) = paths.get(i) else { break };
                    let report = scan_path(pipeline, path, limits);
                    if let Ok(mut slot) = results[i].lock() {
                        *slot = Some(report);
                    }
                }
            });
        }
    });
    results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| pipeline_error(pipeline, "scan_failed", "解析中に内部エラーが発生しました"))
        })
        .collect()
}

fn scan_path(pipeline: &Pipeline, path: &std::path::Path, limits: &Limits) -> Report {
    let started = std::time::Instant::now();
    let bytes = if path.as_os_str() == "-" {
        read_bounded(std::io::stdin().lock(), limits.max_bytes)
    } else {
        std::fs::File::open(path).and_then(|f| read_bounded(f, limits.max_bytes))
    };
    let report = match bytes {
        Ok(Some(bytes)) => pipeline.scan_bytes(&bytes),
        Ok(None) => pipeline_error(pipeline, "too_large", "ファイルが大きすぎます"),
        Err(_) => pipeline_error(pipeline, "io_error", "ファイルを読み込めませんでした"),
    };
    tracing::info!(
        status = report.status.id(),
        findings = report.findings.len(),
        error = report.error.as_ref().map(|e| e.code.as_str()),
        ms = started.elapsed().as_millis() as u64,
        "scanned"
    );
    report
}

/// Reads at most `max` bytes; `None` when the input is larger.
fn read_bounded(r: impl Read, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    r.take(max + 1).read_to_end(&mut buf)?;
    Ok((buf.len() as u64 <= max).then_some(buf))
}

fn pipeline_error(pipeline: &Pipeline, code: &str, message: &str) -> Report {
    Report {
        status: Status::Error,
        findings: Vec::new(),
        suppressed: Vec::new(),
        dictionary_version: pipeline.detector().version().to_string(),
        error: Some(ScanError { code: code.into(), message: message.into() }),
        kind: None,
        text: String::new(),
    }
}

fn status_ja(status: Status) -> &'static str {
    match status {
        Status::Quarantine => "隔離（同意が必要）",
        Status::Flag => "注意（担当者確認）",
        Status::Clear => "問題なし",
        Status::Error => "エラー（読み取れないため保留）",
    }
}

fn write_text(out: &mut impl Write, name: &str, report: &Report, explain: bool, color: bool) -> std::io::Result<()> {
    writeln!(out, "{name}: {} / {} — {} 件", report.status.id(), status_ja(report.status), report.findings.len())?;
    if let Some(e) = &report.error {
        writeln!(out, "  エラー [{}]: {}", e.code, e.message)?;
    }
    let (on, off) = if color { ("\x1b[1;7m", "\x1b[0m") } else { ("【", "】") };
    for f in &report.findings {
        let (line_no, line_start, line_end) = line_of(&report.text, f.start);
        let end = f.end.min(line_end).max(f.start);
        writeln!(
            out,
            "  {}行目  {} / {} ({}) 確信度 {:.2}  規則 {}",
            line_no,
            f.category.name_ja(),
            f.category.name_en(),
            f.category.id(),
            f.confidence,
            f.rule
        )?;
        writeln!(
            out,
            "    {}{on}{}{off}{}",
            &report.text[line_start..f.start],
            &report.text[f.start..end],
            &report.text[end..line_end]
        )?;
        writeln!(out, "    → {}", f.category.explanation_ja())?;
        if !f.explanation.is_empty() {
            writeln!(out, "    根拠: {}", f.explanation)?;
        }
    }
    if explain {
        for s in &report.suppressed {
            let (line_no, _, _) = line_of(&report.text, s.start);
            writeln!(
                out,
                "  （除外）{}行目  {} 「{}」 規則 {} 理由 {}",
                line_no,
                s.category.id(),
                report.text.get(s.start..s.end).unwrap_or(""),
                s.rule,
                s.reason
            )?;
        }
    }
    writeln!(out, "  辞書バージョン {}", report.dictionary_version)
}

/// Line number (1-based) and byte range of the line holding `at`.
fn line_of(text: &str, at: usize) -> (usize, usize, usize) {
    let at = at.min(text.len());
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    (text[..start].matches('\n').count() + 1, start, end)
}
