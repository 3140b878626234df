//! Rescan throughput against the in-process pipeline, and incremental against full.
//!
//! `cargo bench --bench rescan` stores `HAIRYO_RESCAN_DOCS` (default 10,000) generated
//! résumé-size documents (about 2,000 characters each) in a temporary SQLite store under the
//! built-in dictionaries, then makes a one-term change (a condition added to an entry of
//! `medical_history.toml`) and measures, on the same store:
//!
//! - the in-process pipeline's throughput on the same texts (`Pipeline::scan_text`), in one
//!   thread and in two;
//! - a full rescan (`full = true`) with one worker and with two workers: read the sealed
//!   text, decrypt, scan, diff the findings, commit outcome rows in batch transactions;
//! - an incremental rescan after the one-term change (one worker).
//!
//! It prints a markdown table with the ratios: full rescan / pipeline (goal ≥ 0.8 at the
//! same parallelism) and full / incremental time (goal ≥ 10×), for `HAIRYO_RESCAN_ROUNDS`
//! (default 5) rounds, each rescan compared with the mean of the pipeline measured just
//! before and just after it, and their medians. Before each run the documents' detector
//! version is set back, so each run rescans every document.
//!
//! Built but not run by `cargo test --benches` (which does not pass `--bench`).

#[path = "../tests/support/rescan.rs"]
mod rescan_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use hairyo::Pipeline;
use hairyo::rescan::{Mode, RescanRequest, Worker};
use hairyo::review::{Role, Service};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rescan_support::{dictionaries_copy, dictionaries_with, service_with};

const LINES: &[&str] = &[
    "法人営業として新規顧客を年間二十社開拓し、売上を前年比百二十パーセントに伸ばしました。",
    "在庫管理システムの導入を担当し、出荷ミスを三割減らしました。",
    "チームリーダーとして五名のメンバーを指導し、離職率を下げました。",
    "経理部で月次決算と年次決算、監査対応を担当しました。",
    "顧客満足度調査の設計と分析を行い、改善施策を提案しました。",
    "新人研修の講師を三年間務め、研修資料を全面的に改訂しました。",
    "物流センターの立ち上げに参画し、作業手順の標準化を進めました。",
    "品質管理の改善提案で社長賞を受賞しました。",
    "Excel VBAで定型業務を自動化し、月二十時間の工数を削減しました。",
    "取引先との価格交渉を担当し、仕入れコストを五パーセント削減しました。",
    "看護師として病棟で患者様の看護にあたり、退院支援に携わりました。",
    "趣味はランニングで、毎年フルマラソンに出場しています。",
    "TOEIC 800点を取得しており、英語での商談にも対応できます。",
    "持病の喘息で月に一度通院しています。",
    "身体障害者手帳（四級）を所持しています。",
    "労働組合の執行委員を二年務めました。",
    "前科はありません。",
];

fn corpus(n: usize) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(42);
    (0..n)
        .map(|i| {
            let mut text = format!("職務経歴書\n氏名 候補者{i}\n■職務経歴\n");
            while text.chars().count() < 2000 {
                // Mostly career lines; now and then a sensitive one (as in real résumés).
                let k = if rng.gen_range(0..12) == 0 { rng.gen_range(13..LINES.len()) } else { rng.gen_range(0..13) };
                text.push_str(LINES[k]);
                text.push('\n');
            }
            text
        })
        .collect()
}

fn pipeline_rate(pipeline: &Pipeline, texts: &[String], threads: usize) -> f64 {
    let started = Instant::now();
    std::thread::scope(|s| {
        for chunk in texts.chunks(texts.len().div_ceil(threads)) {
            s.spawn(move || {
                for t in chunk {
                    std::hint::black_box(pipeline.scan_text(t.clone()));
                }
            });
        }
    });
    texts.len() as f64 / started.elapsed().as_secs_f64()
}

/// Runs one rescan to its end with `workers` in-process workers; returns (seconds, summary).
async fn run_rescan(service: &Arc<Service>, full: bool, workers: usize) -> (f64, hairyo::rescan::Summary) {
    let req = RescanRequest { mode: Mode::Stale, dry_run: false, reextract: false, full, batch_size: None };
    let started = Instant::now();
    let rescan = service.start_rescan(None, req, "bench").await.unwrap();
    let (_stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let w = Worker::new(service.clone(), Duration::from_secs(60), Some(rescan.id.clone()));
            let stop = stop_rx.clone();
            tokio::spawn(async move { w.run(stop, Duration::from_millis(5)).await.unwrap() })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let p = service.rescan_progress(None, &rescan.id).await.unwrap();
    assert_eq!(p.progress.done, rescan.total);
    (secs, p.summary)
}

async fn set_stale(service: &Service, version: &str) {
    sqlx::query("UPDATE documents SET detector_version = $1").bind(version).execute(&service.store.pool).await.unwrap();
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n: usize = std::env::var("HAIRYO_RESCAN_DOCS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let v2_dir = tmp.path().join("dict-v2");
    dictionaries_with(&v2_dir, "medical_history.toml", "chronic", "ジストニア");
    let texts = corpus(n);
    let chars: usize = texts.iter().map(|t| t.chars().count()).sum::<usize>() / n;

    // Both versions without the learned model, as in the rescan tests (a model change rescans
    // everything).
    let repository = tmp.path().join("dict-v1");
    dictionaries_copy(&repository);
    let started = Instant::now();
    let old_version;
    {
        let service = service_with(&data, None, &repository).await;
        old_version = service.pipeline.detector().version().to_string();
        service.register_detector().await.unwrap();
        let (user, _) = service.create_user(None, "候補者", Role::Candidate).await.unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for chunk in texts.chunks(n.div_ceil(8)) {
            let (service, user, chunk) = (service.clone(), user.clone(), chunk.to_vec());
            tasks.spawn(async move {
                for t in chunk {
                    service.upload(&user, "cv.txt", t.into_bytes()).await.unwrap();
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        service.store.pool.close().await;
    }
    eprintln!("stored {n} documents (avg {chars} chars) in {:.1} s", started.elapsed().as_secs_f64());

    let service = service_with(&data, None, &v2_dir).await;
    let pipeline = service.pipeline.clone();
    // The machine's speed drifts (shared cores): each rescan is measured between two runs of
    // the pipeline at the same parallelism, in rounds, and the medians are reported.
    let rounds: usize = std::env::var("HAIRYO_RESCAN_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let (mut ratio1, mut ratio2, mut speedup) = (Vec::new(), Vec::new(), Vec::new());
    let mut rows = Vec::new();
    for round in 1..=rounds {
        // Each rescan is compared with the pipeline measured just before and just after it.
        let before = pipeline_rate(&pipeline, &texts, 1);
        set_stale(&service, &old_version).await;
        let (full1, s) = run_rescan(&service, true, 1).await;
        assert_eq!(s.scanned as usize, n);
        let p1 = (before + pipeline_rate(&pipeline, &texts, 1)) / 2.0;
        let before = pipeline_rate(&pipeline, &texts, 2);
        set_stale(&service, &old_version).await;
        let (full2, _) = run_rescan(&service, true, 2).await;
        let p2 = (before + pipeline_rate(&pipeline, &texts, 2)) / 2.0;
        set_stale(&service, &old_version).await;
        let (inc, s) = run_rescan(&service, false, 1).await;
        assert_eq!(s.unaffected as usize + s.scanned as usize, n);
        let (r1, r2) = (n as f64 / full1, n as f64 / full2);
        ratio1.push(r1 / p1);
        ratio2.push(r2 / p2);
        speedup.push(full1 / inc);
        rows.push(format!(
            "| {round} | {p1:.0} | {r1:.0} | **{:.2}** | {p2:.0} | {r2:.0} | **{:.2}** | {full1:.2} s | {inc:.2} s ({} scanned) | **{:.1}×** |",
            r1 / p1,
            r2 / p2,
            s.scanned,
            full1 / inc
        ));
    }
    println!("{n} documents, avg {chars} characters; docs/s unless marked.\n");
    println!(
        "| round | pipeline 1 thread | full rescan 1 worker | ratio | pipeline 2 threads | full rescan 2 workers | ratio | full, 1 worker | incremental, 1 worker | speed-up |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
    println!(
        "\nmedians: full/pipeline **{:.2}** (1 worker), **{:.2}** (2 workers); incremental **{:.1}×** faster than full",
        median(ratio1),
        median(ratio2),
        median(speedup)
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
