//! Throughput of the analysis and per-document cost of the whole pipeline.
//!
//! `cargo bench --bench pipeline` measures, in one run:
//!
//! * `text/tokenize_only`: Lindera segmentation alone of an already normalised
//!   résumé of about 10,000 characters (composed here; none of the evaluation
//!   set's wording);
//! * `text/analysis`: the detector's whole job on the same text, normalisation,
//!   segmentation and detection (`Detector::scan`);
//! * `text/normalize_only`: normalisation alone, to split `analysis` up;
//! * `document/{pdf,docx}/{in_process,subprocess}`: `Pipeline::scan_bytes` on
//!   the two-page résumé fixtures `samples/resume_two_pages.{pdf,docx}`, with
//!   the parsers in this process and in the bounded worker process (the
//!   `hairyo` binary built for this bench, else `target/release/hairyo`).
//!   Missing fixtures or binary skip those benchmarks with a message.
//!
//! Both text benchmarks report throughput in bytes of the original text, so
//! criterion's MB/s figures compare directly. Goals:
//!
//! * analysis throughput at least 0.75x the tokenizer's: detection is a thin
//!   layer over segmentation (the dependency notes measured Lindera at 4-13
//!   MB/s on this machine type);
//! * a 10,000-character résumé analysed in well under 5 ms.
//!
//! Measurement times are short (3 s, 20 samples) so the whole run takes a few
//! minutes on two cores; pass criterion's own flags for more precision.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, black_box, criterion_group, criterion_main};
use hairyo::extract::{Extractor, Isolation, Limits};
use hairyo::tokenize::{Tokenizer, normalize};
use hairyo::{Detector, Pipeline};

/// Résumé and career-history sentences (written for this benchmark). A few
/// carry special-care information so the detector's later stages run too.
const SENTENCES: &[&str] = &[
    "{year}年4月 {school}に入学しました。",
    "{year}年3月 {school}を卒業しました。",
    "{year}年4月 株式会社{company}に入社し、{dept}に配属されました。",
    "主な業務は法人顧客向けの提案営業で、年間売上目標の達成率は{pct}%でした。",
    "新人{n}名の教育担当として、研修計画の作成と面談を行いました。",
    "受発注システムの刷新プロジェクトに参加し、要件定義から運用テストまでを担当しました。",
    "{year}年に日商簿記検定{n}級を取得しました。",
    "TOEICは{score}点で、海外拠点との電話会議や英文メールに対応できます。",
    "Excelの関数とピボットテーブルを使った売上分析、PowerPointでの資料作成が得意です。",
    "前職では{dept}で在庫管理と物流コストの削減に取り組み、前年比{pct}%の削減を実現しました。",
    "お客様の声を商品企画に反映する仕組みを提案し、社内表彰を受けました。",
    "趣味は登山と写真で、週末は{city}近郊の山を歩いています。",
    "現住所は{city}で、通勤時間は約{n}0分です。",
    "健康状態は良好で、これまで大きな病気はありません。",
    "{year}年に{disease}と診断され、現在は月に一度通院しながら勤務しています。",
    "本人希望記入欄：勤務地は{city}を希望します。",
    "自己PRとして、粘り強く課題に向き合い、関係者を巻き込んで解決する力があります。",
    "退職理由は、より顧客に近い立場で仕事をしたいと考えたためです。",
    "志望動機は、貴社の地域密着の姿勢に共感し、これまでの経験を生かせると考えたことです。",
    "父が{disease}で療養しているため、土日の勤務は相談させてください。",
    "前科はありません。",
    "通勤には電車を利用し、{city}駅から乗り換えなしで通えます。",
];
const SCHOOLS: &[&str] = &["県立青葉高等学校", "みなと大学経済学部", "北星短期大学", "市立桜台中学校"];
const COMPANIES: &[&str] = &["サンプル商事", "ひかり物流", "東和システム", "あおば食品"];
const DEPTS: &[&str] = &["営業部", "物流管理課", "経営企画室", "カスタマーサポート部"];
const CITIES: &[&str] = &["東京都杉並区", "横浜市港北区", "大阪市北区", "札幌市中央区", "福岡市博多区"];
const DISEASES: &[&str] = &["うつ病", "糖尿病", "喘息", "適応障害"];

/// A résumé-like text of at least `chars` characters, deterministic.
fn resume_text(chars: usize) -> String {
    let mut text = String::from("履歴書\n氏名 佐藤 一郎\n");
    let mut i = 0usize;
    while text.chars().count() < chars {
        let template = SENTENCES[(i * 7 + i / SENTENCES.len()) % SENTENCES.len()];
        let line = template
            .replace("{year}", &(1998 + (i % 25)).to_string())
            .replace("{school}", SCHOOLS[i % SCHOOLS.len()])
            .replace("{company}", COMPANIES[i % COMPANIES.len()])
            .replace("{dept}", DEPTS[(i / 3) % DEPTS.len()])
            .replace("{city}", CITIES[(i / 2) % CITIES.len()])
            .replace("{disease}", DISEASES[(i / 5) % DISEASES.len()])
            .replace("{pct}", &(80 + i % 40).to_string())
            .replace("{score}", &(600 + (i * 15) % 300).to_string())
            .replace("{n}", &(1 + i % 9).to_string());
        text.push_str(&line);
        // Sections, and lines broken the way PDF text often is.
        text.push(if i % 4 == 3 { '\n' } else { ' ' });
        if i % 23 == 22 {
            text.push_str("\n職務経歴\n");
        }
        i += 1;
    }
    text
}

fn text_benches(c: &mut Criterion) {
    let text = resume_text(10_000);
    let detector = Detector::embedded().expect("built-in dictionaries");
    let tokenizer = Tokenizer::shared().expect("tokenizer dictionary");
    let normalized = normalize(&text);
    eprintln!(
        "résumé text: {} characters, {} bytes ({} bytes normalised), {} findings",
        text.chars().count(),
        text.len(),
        normalized.text.len(),
        detector.scan(&text).map(|d| d.findings.len()).unwrap_or(0)
    );

    let mut group = c.benchmark_group("text");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("tokenize_only", |b| {
        b.iter(|| tokenizer.analyze(black_box(&normalized)).unwrap().morphemes.len())
    });
    // For the breakdown: analysis = normalisation + segmentation + detection.
    group.bench_function("normalize_only", |b| b.iter(|| normalize(black_box(&text)).text.len()));
    group.bench_function("analysis", |b| b.iter(|| detector.scan(black_box(&text)).unwrap().findings.len()));
    group.finish();
}

/// Text with no sentence delimiter at all (PDF text after line joins), with a term every
/// hundred words or so: detection must stay linear in its length (issue 11: it was quadratic,
/// 1 MB in 4.6 s). `cargo bench --bench pipeline -- unpunctuated/`.
fn unpunctuated_benches(c: &mut Criterion) {
    let detector = Detector::embedded().expect("built-in dictionaries");
    const WORDS: &[&str] =
        &["東京", "大阪", "京都", "札幌", "福岡", "春", "夏", "秋", "冬", "山", "川", "海", "空", "花"];
    let text_of = |bytes: usize| {
        let mut text = String::with_capacity(bytes + 16);
        let mut i = 0usize;
        while text.len() < bytes {
            // A fixed pseudo-random walk through the words, a term at every 97th.
            i = i.wrapping_mul(1_103_515_245).wrapping_add(12_345) % 1_000_003;
            text.push_str(if i % 97 == 0 { "うつ病" } else { WORDS[i % WORDS.len()] });
        }
        text
    };
    let mut group = c.benchmark_group("unpunctuated");
    group.sample_size(10);
    for mb in [1usize, 4, 8] {
        let text = text_of(mb << 20);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("analysis", format!("{mb}MB")), &text, |b, text| {
            b.iter(|| detector.scan(black_box(text)).unwrap().findings.len())
        });
    }
    group.finish();
}

/// The `hairyo` binary for the subprocess worker: the one cargo built for this
/// bench, else `target/release/hairyo`.
fn worker_exe() -> Option<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    option_env!("CARGO_BIN_EXE_hairyo")
        .map(PathBuf::from)
        .into_iter()
        .chain([manifest.join("target/release/hairyo")])
        .find(|p| p.is_file())
}

fn document_benches(c: &mut Criterion) {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let detector = Arc::new(Detector::embedded().expect("built-in dictionaries"));
    let in_process =
        Pipeline::new(detector.clone(), Extractor { limits: Limits::default(), isolation: Isolation::InProcess });
    let exe = worker_exe();
    if let Some(exe) = &exe {
        eprintln!("subprocess worker: {}", exe.display());
    } else {
        eprintln!("skipping document/*/subprocess: no hairyo binary (build with `cargo build --release`)");
    }
    let subprocess = exe.map(|exe| {
        Pipeline::new(
            detector.clone(),
            Extractor { limits: Limits::default(), isolation: Isolation::Subprocess { exe } },
        )
    });

    let mut group = c.benchmark_group("document");
    for ext in ["pdf", "docx"] {
        let path = samples.join(format!("resume_two_pages.{ext}"));
        let Ok(bytes) = std::fs::read(&path) else {
            eprintln!("skipping document/{ext}: {} not found", path.display());
            continue;
        };
        let report = in_process.scan_bytes(&bytes);
        eprintln!(
            "{}: {} bytes, status {}, {} findings",
            path.display(),
            bytes.len(),
            report.status.id(),
            report.findings.len()
        );
        group.bench_with_input(BenchmarkId::new(ext, "in_process"), &bytes, |b, bytes| {
            b.iter(|| in_process.scan_bytes(black_box(bytes)).findings.len())
        });
        if let Some(subprocess) = &subprocess {
            group.bench_with_input(BenchmarkId::new(ext, "subprocess"), &bytes, |b, bytes| {
                b.iter(|| subprocess.scan_bytes(black_box(bytes)).findings.len())
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(20);
    targets = text_benches, unpunctuated_benches, document_benches
}
criterion_main!(benches);
