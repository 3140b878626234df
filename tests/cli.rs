//! `hairyo scan` through the real binary: output formats, standard input, exit codes, errors,
//! encodings, `--explain`, My Numbers and offsets.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const DEPRESSION: &str =
    "職務経歴\n2019年4月　株式会社サンプル商事に入社\n前職在籍中にうつ病を発症し、半年間休職しました。\n";
const CLEAN: &str = "自己PR\n営業職として、新規開拓と既存顧客のフォローを担当してきました。\n";

fn hairyo() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hairyo"));
    // Built-in dictionaries, whatever the environment says.
    cmd.env_remove("HAIRYO_DICTIONARIES");
    cmd
}

fn scan(args: &[&str], paths: &[&Path]) -> Output {
    hairyo().arg("scan").args(args).args(paths).output().expect("run hairyo")
}

fn scan_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = hairyo()
        .arg("scan")
        .args(args)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hairyo");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().expect("wait for hairyo")
}

fn json_lines(out: &Output) -> Vec<Value> {
    let stdout = std::str::from_utf8(&out.stdout).expect("UTF-8 output");
    stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
}

fn stdout(out: &Output) -> &str {
    std::str::from_utf8(&out.stdout).expect("UTF-8 output")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().expect("an object").keys().map(String::as_str).collect()
}

fn categories(report: &Value) -> BTreeSet<&str> {
    report["findings"].as_array().unwrap().iter().map(|f| f["category"].as_str().unwrap()).collect()
}

#[test]
fn json_output_has_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "cv.txt", DEPRESSION.as_bytes());
    let out = scan(&["--format", "json"], &[&path]);
    assert_eq!(out.status.code(), Some(0));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "one JSON line per input");
    let report = &lines[0];
    assert_eq!(keys(report), BTreeSet::from(["path", "status", "findings", "dictionary_version"]));
    assert_eq!(report["path"].as_str(), Some(path.to_str().unwrap()));
    assert_eq!(report["status"], "quarantine");
    assert!(!report["dictionary_version"].as_str().unwrap().is_empty());
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(keys(f), BTreeSet::from(["category", "start", "end", "text", "confidence", "rule", "explanation"]));
        assert!(f["category"].is_string() && f["text"].is_string() && f["rule"].is_string());
        assert!(!f["explanation"].as_str().unwrap().is_empty(), "every finding says why: {f}");
        assert!(f["start"].as_u64().unwrap() < f["end"].as_u64().unwrap());
        let confidence = f["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&confidence), "{confidence}");
    }
    assert!(categories(report).contains("medical_history"), "{report}");
    let depression = findings.iter().find(|f| f["text"] == "うつ病").expect("うつ病 is found");
    assert_eq!(depression["category"], "medical_history");
}

#[test]
fn a_clean_document_is_clear_with_no_findings() {
    let out = scan_stdin(&["--format", "json"], CLEAN.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    let report = &json_lines(&out)[0];
    assert_eq!(report["status"], "clear");
    assert_eq!(report["findings"], Value::Array(vec![]));
    assert!(report.get("error").is_none());
}

#[test]
fn dash_reads_standard_input() {
    let out = scan_stdin(&["--format", "json"], DEPRESSION.as_bytes());
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["path"], "-");
    assert_eq!(lines[0]["status"], "quarantine");
    assert!(categories(&lines[0]).contains("medical_history"));
}

#[test]
fn text_format_names_the_category_in_japanese_and_highlights_the_span() {
    let out = scan_stdin(&[], DEPRESSION.as_bytes()); // text is the default format
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.starts_with("-: quarantine"), "{text}");
    assert!(text.contains("病歴"), "the Japanese category name: {text}");
    assert!(text.contains("medical_history"), "{text}");
    // Not a terminal: the span is marked with 【】 instead of colours, within its line.
    assert!(text.contains("前職在籍中に【うつ病】を発症し"), "{text}");
    assert!(!text.contains('\x1b'), "no colour codes when not on a terminal");
    assert!(text.contains("辞書バージョン"), "{text}");
    assert!(text.contains("根拠: matched medical_history."), "each finding says why: {text}");

    let explicit = scan_stdin(&["--format", "text"], DEPRESSION.as_bytes());
    assert_eq!(stdout(&explicit), text);
}

#[test]
fn one_bad_file_does_not_stop_the_others_and_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.txt", DEPRESSION.as_bytes());
    // A PNG signature and header under a .pdf name.
    let png = write(
        dir.path(),
        "photo.pdf",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\0IEND\xaeB`\x82",
    );
    let empty = write(dir.path(), "empty.txt", b"");
    let clean = write(dir.path(), "clean.txt", CLEAN.as_bytes());
    let out = scan(&["--format", "json"], &[&good, &png, &empty, &clean]);
    assert_eq!(out.status.code(), Some(1), "any failed input gives exit code 1");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 4, "every input gets a line, in input order");
    let paths: Vec<&str> = lines.iter().map(|l| l["path"].as_str().unwrap()).collect();
    let want: Vec<&str> = [&good, &png, &empty, &clean].iter().map(|p| p.to_str().unwrap()).collect();
    assert_eq!(paths, want);

    assert_eq!(lines[0]["status"], "quarantine");
    assert!(lines[0].get("error").is_none());
    assert_eq!(lines[3]["status"], "clear");
    for (bad, code) in [(&lines[1], "unsupported_type"), (&lines[2], "empty")] {
        assert_eq!(bad["status"], "error", "{bad}");
        assert_eq!(bad["findings"], Value::Array(vec![]));
        let error = &bad["error"];
        assert_eq!(keys(error), BTreeSet::from(["code", "message"]));
        assert_eq!(error["code"], code, "{bad}");
        assert!(!error["message"].as_str().unwrap().is_empty());
    }

    // The text format reports the error code too.
    let text = scan(&[], &[&png]);
    assert_eq!(text.status.code(), Some(1));
    assert!(stdout(&text).contains("エラー [unsupported_type]"), "{}", stdout(&text));
}

#[test]
fn all_good_inputs_exit_zero() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.txt", DEPRESSION.as_bytes());
    let b = write(dir.path(), "b.txt", CLEAN.as_bytes());
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let docx = samples.join("rirekisho_religion.docx");
    let pdf = samples.join("rirekisho_religion.pdf");
    let out = scan(&["--format", "json"], &[&a, &b, &docx, &pdf]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 4);
    assert!(lines.iter().all(|l| l["status"] != "error" && l.get("error").is_none()), "{lines:?}");
}

#[test]
fn a_missing_file_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("does-not-exist.pdf");
    let good = write(dir.path(), "good.txt", CLEAN.as_bytes());
    let out = scan(&["--format", "json"], &[&missing, &good]);
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert_eq!(lines[0]["status"], "error");
    assert_eq!(lines[0]["error"]["code"], "io_error");
    assert_eq!(lines[1]["status"], "clear", "the next input is still scanned");
}

#[test]
fn shift_jis_text_is_decoded() {
    let text = "履歴書\n氏名　山本 一郎\n\n健康状態\n持病の喘息があり、月に一度通院しています。\n\n本人希望記入欄\n貴社の規定に従います。\n";
    let (sjis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&sjis).is_err(), "the input really is not UTF-8");
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "sjis.txt", &sjis);
    let out = scan(&["--format", "json"], &[&path]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let report = &json_lines(&out)[0];
    assert_eq!(report["status"], "quarantine");
    assert_eq!(categories(report), BTreeSet::from(["medical_history", "medical_care"]));
    let texts: Vec<&str> = report["findings"].as_array().unwrap().iter().map(|f| f["text"].as_str().unwrap()).collect();
    assert!(texts.contains(&"喘息"), "findings quote the decoded text: {texts:?}");
    // Offsets point into the decoded (UTF-8) text.
    for f in report["findings"].as_array().unwrap() {
        let (start, end) = (f["start"].as_u64().unwrap() as usize, f["end"].as_u64().unwrap() as usize);
        assert_eq!(text.get(start..end), f["text"].as_str(), "{f}");
    }
}

#[test]
fn explain_lists_a_candidate_cancelled_by_negation() {
    let text = "賞罰\nなし\n\n本人希望記入欄\n前科はありません。\n";
    let out = scan_stdin(&["--explain"], text.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    let report = stdout(&out);
    assert!(report.starts_with("-: clear"), "{report}");
    let cancelled = report
        .lines()
        .find(|l| l.contains("（除外）") && l.contains("「前科」"))
        .unwrap_or_else(|| panic!("前科 listed as cancelled: {report}"));
    assert!(cancelled.contains("criminal_record"), "{cancelled}");
    assert!(cancelled.contains("negation"), "{cancelled}");

    // Without --explain the cancelled candidate is not shown.
    let quiet = scan_stdin(&[], text.as_bytes());
    assert!(!stdout(&quiet).contains("（除外）"), "{}", stdout(&quiet));
}

#[test]
fn a_my_number_is_quarantined() {
    // 7305 2619 484 followed by its check digit 3 (the official formula, weights 2..7 and 2..6).
    let text = "氏名　小川 花\nマイナンバー：7305 2619 4843\n";
    let out = scan_stdin(&["--format", "json"], text.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    let report = &json_lines(&out)[0];
    assert_eq!(report["status"], "quarantine");
    let f = &report["findings"][0];
    assert_eq!(f["category"], "my_number");
    assert_eq!(f["text"], "7305 2619 4843");

    // A wrong check digit is not a My Number; --explain says why.
    let wrong = "氏名　小川 花\nマイナンバー：7305 2619 4844\n";
    let out = scan_stdin(&["--format", "json"], wrong.as_bytes());
    assert_eq!(json_lines(&out)[0]["status"], "clear");
    let explained = scan_stdin(&["--explain"], wrong.as_bytes());
    assert!(stdout(&explained).contains("check_digit"), "{}", stdout(&explained));
}

#[test]
fn text_offsets_are_byte_offsets_into_the_file() {
    // CRLF line ends, full-width spaces and a half-width katakana line: the offsets must
    // still point into the file as written, not into a normalised copy.
    let text = "履歴書\r\n\r\n健康状態\r\n持病の喘息で、月に１回　内科に通院しています。\r\nｶｳﾝｾﾘﾝｸﾞを受けています。\r\n\r\n賞罰\r\n2018年　傷害罪で罰金刑\r\n";
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "crlf.txt", text.as_bytes());
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut paths = vec![path];
    let mut sample_txts: Vec<PathBuf> = std::fs::read_dir(&samples)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    sample_txts.sort();
    paths.extend(sample_txts);
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let out = scan(&["--format", "json"], &refs);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), paths.len());
    assert!(
        categories(&lines[0]).is_superset(&BTreeSet::from(["medical_history", "medical_care", "criminal_record"])),
        "{}",
        lines[0]
    );
    let mut checked = 0;
    for (path, report) in paths.iter().zip(&lines) {
        let bytes = std::fs::read(path).unwrap();
        for f in report["findings"].as_array().unwrap() {
            let (start, end) = (f["start"].as_u64().unwrap() as usize, f["end"].as_u64().unwrap() as usize);
            assert!(end <= bytes.len(), "{}: {f}", path.display());
            assert_eq!(
                std::str::from_utf8(&bytes[start..end]).ok(),
                f["text"].as_str(),
                "{}: text == bytes[start..end]",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} findings checked");
}

#[test]
fn long_text_without_delimiters_scans_quietly() {
    // 200 KB with no 。、 or line break: Lindera cuts it every 32 KB and says so at WARN, which
    // is no news to the person running the scan.
    let text = "東京大阪京都札幌福岡".repeat(7_000) + "うつ病で通院中";
    let out = scan_stdin(&["--format", "json"], text.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let report = &json_lines(&out)[0];
    assert_eq!(report["status"], "quarantine");
}
