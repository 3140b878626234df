//! Snapshot tests over the committed résumé fixtures in `samples/` (made by
//! `scripts/make-samples.sh` from `samples/src/`), through the real binary:
//! `hairyo scan --format json` on every `.txt`, `.docx` and `.pdf`.
//!
//! * One snapshot per file (`tests/snapshots/samples_snapshot__<name>_<ext>.snap`), with the
//!   dictionary version redacted: it changes whenever a dictionary does.
//! * The three formats of a sample agree on the status and the set of categories.
//! * Each sample's categories are checked against what the taxonomy expects
//!   ([`EXPECTED`]); samples the detector still gets wrong are listed in [`KNOWN_GAPS`].
//!
//! After a detector or dictionary change, refresh and then read every changed snapshot:
//! `INSTA_UPDATE=always cargo test --test samples_snapshot` (or `cargo insta review`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// What the taxonomy (`shared/taxonomy.md`) says each sample contains: status and the exact set
/// of categories. Every sample in `samples/src/` must be listed.
const EXPECTED: &[(&str, &str, &[&str])] = &[
    // 健康状態: 1型糖尿病, インスリン, 月1回内科に通院; 本人希望: 通院のため半休.
    ("rirekisho_chronic_illness", "quarantine", &["medical_care", "medical_history"]),
    // 賞罰: 罰金刑（略式命令）for 酒気帯び運転; 健康状態 良好.
    ("rirekisho_conviction", "quarantine", &["criminal_record"]),
    // 本人希望: 障害者雇用枠, 身体障害者手帳, 車椅子; 定期的な通院はなく (negated).
    ("shokumu_disability_employment", "quarantine", &["disability"]),
    // 本籍 (flag) and 本人希望: プロテスタントのキリスト教徒, 教会の礼拝.
    ("rirekisho_religion", "quarantine", &["creed", "family_origin"]),
    // 労働組合 支部執行委員: flag only.
    ("shokumu_union_officer", "flag", &["union_membership"]),
    // マイナンバー with a valid check digit; 賞罰 なし, 健康状態 良好.
    ("rirekisho_my_number", "quarantine", &["my_number"]),
    // Hard negative: psychiatric and surgical nursing, 服薬指導, 化学療法 of patients.
    ("shokumu_nurse", "clear", &[]),
    // Hard negative: criminal defence, juvenile cases, victim support, employer-side 団体交渉.
    ("shokumu_lawyer", "clear", &[]),
    // Hard negative: disability employment support, 生活保護, DV victims, 保護観察 — as work.
    ("shokumu_social_worker", "clear", &[]),
    // Two pages: 適応障害と診断され休職 (history + diagnosis); 通院や服薬はしておらず (negated).
    ("resume_two_pages", "quarantine", &["medical_care", "medical_history"]),
    // 休職 told indirectly: 体調を崩し, 心療内科を受診, 療養, 主治医の指導 (history + care);
    // 本人希望: 月に1回、平日の夕方に通院 (care). 健康状態 良好, 賞罰 なし.
    ("shokumu_mental_leave", "quarantine", &["medical_care", "medical_history"]),
    // Hard negative: pharmacist / MR / device sales — 服薬指導, 抗うつ薬, 統合失調症, 手術, 透析,
    // 通院中の患者様, 肝機能障害 (side effect), 糖尿病療養指導士 — all as work. 賞罰 なし, 健康状態 良好.
    ("shokumu_mr_pharmacist", "clear", &[]),
    // 身体障害者手帳（6級）, 障害者雇用枠, 補聴器, 合理的配慮; システム障害対応 is IT work, not a finding.
    ("rirekisho_disability_it", "quarantine", &["disability"]),
    // 賞罰: 傷害罪により罰金30万円, 執行猶予期間満了（窃盗罪 懲役1年・執行猶予3年）;
    // 東和精機労働組合 執行委員・書記長 (flag).
    ("rirekisho_fine_union", "quarantine", &["criminal_record", "union_membership"]),
    // Hard negative: police officer and insurance investigator — 被害届の受理, 逮捕・取調べ, 家宅捜索,
    // 少年の補導, 家庭裁判所送致, 詐欺 — as work; 少年柔道教室 as volunteering; 賞罰: 賞 only, 罰 なし.
    ("shokumu_insurance_investigator", "clear", &[]),
    // 出生地 リマ市 and 本籍 沖縄県 (flag); 日系三世, ケチュア系 (race); カトリックの信徒, ミサ (creed).
    ("rirekisho_heritage_faith", "quarantine", &["creed", "family_origin", "race"]),
];

/// Samples whose categories the detector does not yet get right (reported to the detector's
/// owners). The test fails when one of them starts matching [`EXPECTED`]: remove it from here.
const KNOWN_GAPS: &[&str] = &[];

const FORMATS: [&str; 3] = ["txt", "docx", "pdf"];

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// The sample names (sources in `samples/src/`), sorted.
fn sample_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(samples_dir().join("src"))
        .expect("samples/src exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("txt" | "html")))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every fixture file name in `samples/` (`name.ext`), sorted.
fn fixture_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(samples_dir())
        .expect("samples/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.is_file())
        .filter(|p| p.extension().and_then(|e| e.to_str()).is_some_and(|e| FORMATS.contains(&e)))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

/// The JSON report of every fixture, by file name: one run of the binary over all of them
/// (run from `samples/`, so each report's `path` is the bare file name).
fn reports() -> &'static BTreeMap<String, Value> {
    static REPORTS: OnceLock<BTreeMap<String, Value>> = OnceLock::new();
    REPORTS.get_or_init(|| {
        let files = fixture_files();
        assert!(!files.is_empty(), "no fixtures in samples/: run scripts/make-samples.sh");
        let out = Command::new(env!("CARGO_BIN_EXE_hairyo"))
            .current_dir(samples_dir())
            .args(["scan", "--format", "json"])
            .args(&files)
            .env_remove("HAIRYO_DICTIONARIES")
            .output()
            .expect("run hairyo");
        let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
        let lines: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
        assert_eq!(lines.len(), files.len(), "one line per input; stderr: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "every fixture is readable; output:\n{stdout}");
        files.into_iter().zip(lines).collect()
    })
}

fn status(report: &Value) -> &str {
    report["status"].as_str().expect("status is a string")
}

fn categories(report: &Value) -> BTreeSet<&str> {
    report["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .map(|f| f["category"].as_str().expect("category is a string"))
        .collect()
}

#[test]
fn every_sample_has_its_three_fixtures_and_nothing_else() {
    let names = sample_names();
    assert!(names.len() >= 8, "about eight samples expected, found {names:?}");
    let expected: Vec<String> = {
        let mut v: Vec<String> =
            names.iter().flat_map(|n| FORMATS.iter().map(move |ext| format!("{n}.{ext}"))).collect();
        v.sort();
        v
    };
    assert_eq!(fixture_files(), expected, "samples/ out of date: run scripts/make-samples.sh");
    let listed: BTreeSet<&str> = EXPECTED.iter().map(|(n, _, _)| *n).collect();
    let on_disk: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(listed, on_disk, "EXPECTED must list every sample");
    for gap in KNOWN_GAPS {
        assert!(listed.contains(gap), "KNOWN_GAPS names an unknown sample {gap}");
    }
    assert!(samples_dir().join("resume_two_pages.pdf").is_file(), "the benchmarks use resume_two_pages");
}

#[test]
fn snapshot_every_fixture() {
    for (file, report) in reports() {
        assert_eq!(report["path"].as_str(), Some(file.as_str()));
        let name = file.replace('.', "_");
        insta::assert_json_snapshot!(name, report, { ".dictionary_version" => "[version]" });
    }
}

#[test]
fn formats_of_a_sample_agree_on_status_and_categories() {
    let reports = reports();
    let mut disagreements = Vec::new();
    for name in sample_names() {
        let per_format: Vec<(&str, &str, BTreeSet<&str>)> = FORMATS
            .iter()
            .map(|ext| {
                let report = &reports[&format!("{name}.{ext}")];
                (*ext, status(report), categories(report))
            })
            .collect();
        let (_, first_status, first_categories) = &per_format[0];
        if per_format.iter().any(|(_, s, c)| s != first_status || c != first_categories) {
            disagreements.push(format!("{name}: {per_format:?}"));
        }
    }
    assert!(disagreements.is_empty(), "formats disagree:\n{}", disagreements.join("\n"));
}

#[test]
fn samples_match_the_taxonomy() {
    let reports = reports();
    let mut wrong = Vec::new();
    let mut fixed = Vec::new();
    for (name, want_status, want) in EXPECTED {
        let want: BTreeSet<&str> = want.iter().copied().collect();
        // The text version is the reference; the other formats must agree with it (see above).
        let report = &reports[&format!("{name}.txt")];
        let ok = status(report) == *want_status && categories(report) == want;
        match (ok, KNOWN_GAPS.contains(name)) {
            (false, false) => wrong.push(format!(
                "{name}: expected {want_status} {want:?}, got {} {:?}",
                status(report),
                categories(report)
            )),
            (true, true) => fixed.push(*name),
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "samples scanned wrongly:\n{}", wrong.join("\n"));
    assert!(fixed.is_empty(), "now correct, remove from KNOWN_GAPS: {fixed:?}");
}

#[test]
fn findings_point_into_the_text_files() {
    for (file, report) in reports().iter().filter(|(f, _)| f.ends_with(".txt")) {
        let bytes = std::fs::read(samples_dir().join(file)).unwrap();
        for f in report["findings"].as_array().unwrap() {
            let (start, end) = (f["start"].as_u64().unwrap() as usize, f["end"].as_u64().unwrap() as usize);
            assert_eq!(
                std::str::from_utf8(&bytes[start..end]).ok(),
                f["text"].as_str(),
                "{file}: finding {f} does not point at its text"
            );
        }
    }
}

/// The detector segments only the sentences that hold a candidate; on every sample that must
/// give exactly what segmenting the whole text gives.
#[test]
fn region_segmentation_equals_full_segmentation() {
    let detector = hairyo::Detector::embedded().expect("dictionaries");
    let mut checked = 0;
    for entry in std::fs::read_dir(samples_dir()).expect("samples") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "txt") {
            let text = std::fs::read_to_string(&path).expect("read");
            assert_eq!(detector.scan(&text).unwrap(), detector.scan_exhaustive(&text).unwrap(), "{}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} samples");
}
