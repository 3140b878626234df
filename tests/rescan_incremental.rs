//! Incremental rescans equal full rescans, on a corpus of thousands of generated résumés.
//!
//! The dictionaries change in four ways at once: a term added to an entry, an entry removed,
//! an entry's confidence retuned, an entry added. One store is filled under the old
//! dictionaries (uploads, consents, false positives resolved by an advisor) and copied; one
//! copy is rescanned incrementally, the other in full, and everything a rescan can change
//! must come out identical. Underneath, for every text the change cannot affect, the old and
//! new detectors must give the same findings and the same cancelled candidates.

#[path = "support/rescan.rs"]
mod rescan_support;

use std::path::Path;
use std::time::Instant;

use hairyo::detect::{Delta, Detector, ENGINE, Sketch};
use hairyo::review::{ConsentRequest, DocStatus, ReviewRequest, Role, current_notice};
use hairyo::store::{Store, StoreConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rescan_support::{rescan_cli, service_with};
use sqlx::Row;

const DOCUMENTS: usize = 2000;

fn edit_dictionaries(dir: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("dictionaries");
    std::fs::create_dir_all(dir).unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        let mut text = std::fs::read_to_string(e.path()).unwrap();
        let entry_at = |text: &str, id: &str| text.find(&format!("id = \"{id}\"")).expect("entry");
        match name.as_str() {
            // A term added to an entry.
            "medical_history.toml" => {
                let at = entry_at(&text, "chronic");
                let terms = at + text[at..].find("terms = [").unwrap() + "terms = [".len();
                text.insert_str(terms, "\"ジストニア\", ");
                // A confidence retuned.
                let at = entry_at(&text, "injury");
                let c = at + text[at..].find("confidence = 0.85").unwrap();
                text.replace_range(c..c + "confidence = 0.85".len(), "confidence = 0.8");
            }
            // An entry removed.
            "criminal_record.toml" => {
                let at = text[..entry_at(&text, "fine")].rfind("[[entry]]").unwrap();
                let end = at + 9 + text[at + 9..].find("[[entry]]").unwrap();
                text.replace_range(at..end, "");
            }
            // An entry added.
            "creed.toml" => {
                text.push_str("\n[[entry]]\nid = \"zen_meeting\"\nconfidence = 0.8\nterms = [\"座禅会\"]\n")
            }
            _ => {}
        }
        std::fs::write(dir.join(&name), text).unwrap();
    }
}

const NEUTRAL: &[&str] = &[
    "法人営業として新規顧客を年間二十社開拓しました。",
    "在庫管理システムの導入を担当し、出荷ミスを三割減らしました。",
    "チームリーダーとして五名のメンバーを指導しました。",
    "TOEIC 800点を取得しています。",
    "趣味はランニングで、毎年フルマラソンに出場しています。",
    "経理部で月次決算と年次決算を担当しました。",
    "顧客満足度調査の設計と分析を行いました。",
    "新人研修の講師を三年間務めました。",
    "物流センターの立ち上げに参画しました。",
    "品質管理の改善提案で社長賞を受賞しました。",
    "看護師として病棟で患者様の看護にあたりました。",
    "刑務官として受刑者の社会復帰を支援しました。",
    "刑事法のゼミで量刑について研究しました。",
];

const SENSITIVE: &[&str] = &[
    "持病の喘息で月に一度通院しています。",
    "うつ病で半年間休職した経験があります。",
    "身体障害者手帳（四級）を所持しています。",
    "健康診断で血圧が高いと指摘されました。",
    "五年前に窃盗罪で執行猶予付きの判決を受けました。",
    "学生時代にストーカー被害に遭いました。",
    "熱心なクリスチャンで、日曜は教会に通っています。",
    "労働組合の執行委員を二年務めました。",
    "母が糖尿病で、介護のため時短勤務を希望します。",
    "前科はありません。",
    "通院の必要はありません。",
];

const CHANGED: &[&str] = &[
    "ジストニアがあり、字を書く作業はゆっくりになります。",
    "ジストニアの影響で、細かい作業に時間がかかります。",
    "父がジストニアの治療を受けています。",
    "交通違反で罰金を支払ったことがあります。",
    "罰金刑を受けたことがあります。",
    "罰金制度の見直しを提案しました。",
    "昨年、腰椎骨折で入院しました。",
    "スキーで骨折したことがあります。",
    "週末は座禅会に通っています。",
    "会社の座禅会の運営を担当しました。",
];

fn corpus(n: usize) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(20261122);
    (0..n)
        .map(|i| {
            let mut text = format!("職務経歴書\n氏名 候補者{i}\n■職務経歴\n");
            let lines = rng.gen_range(6..16);
            for j in 0..lines {
                if j == lines / 2 {
                    text.push_str("■自己PR\n");
                }
                let pool = match rng.gen_range(0..40) {
                    0..=30 => NEUTRAL,
                    31..=37 => SENSITIVE,
                    _ => CHANGED,
                };
                text.push_str(pool[rng.gen_range(0..pool.len())]);
                text.push('\n');
            }
            text
        })
        .collect()
}

/// Everything a rescan can change, without row ids or times.
async fn fingerprint(data: &Path) -> Vec<String> {
    let store = Store::connect(&StoreConfig { data_dir: data.to_path_buf(), database_url: None, master_key: None })
        .await
        .unwrap();
    let mut out = Vec::new();
    let queries = [
        "SELECT id || '|' || status || '|' || COALESCE(reason, '') || '|' || detector_version || '|' || verdict FROM documents ORDER BY id",
        "SELECT document_id || '|' || category || '|' || start_byte || '|' || end_byte || '|' || rule || '|' || review_state || '|' || confidence || '|' || span_mac \
         FROM findings ORDER BY document_id, start_byte, end_byte, rule",
        "SELECT user_id || '|' || document_id || '|' || kind || '|' || detail FROM notifications ORDER BY document_id",
        "SELECT action || '|' || COALESCE(document_id, '') FROM audit WHERE action LIKE 'rescan_%' AND document_id IS NOT NULL ORDER BY document_id, action",
    ];
    for sql in queries {
        for r in sqlx::query(sql).fetch_all(&store.pool).await.unwrap() {
            out.push(r.try_get::<String, _>(0).unwrap());
        }
    }
    store.pool.close().await;
    out
}

/// Copies a store: a consistent snapshot of its database (`VACUUM INTO`, whatever its WAL
/// holds and whichever connection is still closing) and its master key. Copying the files
/// raced with SQLite removing the WAL when the last connection closed.
async fn copy_store(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    let store = Store::connect(&StoreConfig { data_dir: from.to_path_buf(), database_url: None, master_key: None })
        .await
        .unwrap();
    let target = to.join("hairyo.db");
    sqlx::query("VACUUM INTO $1").bind(target.to_str().unwrap()).execute(&store.pool).await.unwrap();
    store.pool.close().await;
    std::fs::copy(from.join("master.key"), to.join("master.key")).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_rescan_equals_full_rescan_on_thousands_of_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = (Path::new(env!("CARGO_MANIFEST_DIR")).join("dictionaries"), tmp.path().join("dict-v2"));
    edit_dictionaries(&v2);
    let texts = corpus(DOCUMENTS);

    // The theorem underneath: where the delta finds nothing, old and new detections agree.
    let old = Detector::from_dir(&v1).unwrap();
    let new = Detector::from_dir(&v2).unwrap();
    let delta = Delta::between(old.dictionary_files().to_vec(), old.version(), ENGINE, &new).unwrap().expect("delta");
    // The added term alone, the retuned entry in its old and new forms, the removed entry and
    // the added one.
    assert_eq!(delta.entries(), 5);
    let started = Instant::now();
    let (mut unaffected, mut by_sketch) = (0, 0);
    for text in &texts {
        let sketch_says = delta.may_affect_sketch(&Sketch::of_text(text));
        if !delta.may_affect(text) {
            unaffected += 1;
            by_sketch += usize::from(!sketch_says);
            assert_eq!(old.scan(text).unwrap(), new.scan(text).unwrap(), "unaffected text changed:\n{text}");
        } else {
            // A sketch has no false negatives: what the delta can affect, its sketch admits.
            assert!(sketch_says, "the sketch ruled out an affected text:\n{text}");
        }
    }
    assert!(unaffected > DOCUMENTS / 5 && unaffected < DOCUMENTS * 4 / 5, "{unaffected} unaffected");
    // The sketches alone settle most unaffected texts (the rest are read and tested).
    assert!(by_sketch * 10 > unaffected * 9, "sketches settle {by_sketch} of {unaffected}");
    eprintln!("detector check: {unaffected}/{DOCUMENTS} unaffected ({by_sketch} by sketch), {:?}", started.elapsed());

    // One store under v1: uploads, some consents, some resolved false positives.
    let a = tmp.path().join("a");
    let started = Instant::now();
    {
        let service = service_with(&a, None, &v1).await;
        service.register_detector().await.unwrap();
        let (candidate, _) = service.create_user(None, "候補者", Role::Candidate).await.unwrap();
        let (advisor, _) = service.create_user(None, "アドバイザー", Role::Advisor).await.unwrap();
        let mut rng = StdRng::seed_from_u64(7);
        for text in &texts {
            let up = service.upload(&candidate, "cv.txt", text.as_bytes().to_vec()).await.unwrap();
            if up.status != DocStatus::Quarantined {
                continue;
            }
            match rng.gen_range(0..3) {
                0 => {
                    let mut cats: Vec<String> = up
                        .findings
                        .iter()
                        .filter(|f| f.category.action() == hairyo::detect::Action::Quarantine)
                        .map(|f| f.category.id().to_string())
                        .collect();
                    cats.sort();
                    cats.dedup();
                    let req = ConsentRequest {
                        categories: cats,
                        purposes: vec!["求人企業への推薦".into()],
                        notice_version: current_notice().version.to_string(),
                    };
                    service.consent(&candidate, &up.id, req, None, "api").await.unwrap();
                }
                1 => {
                    let f = &up.findings[0];
                    let req =
                        ReviewRequest { decision: "false_positive".into(), reason: "文脈上該当しない".into() };
                    service.review(&advisor, &f.id, req).await.unwrap();
                }
                _ => {}
            }
        }
        service.store.pool.close().await;
    }
    eprintln!("stored {DOCUMENTS} documents in {:?}", started.elapsed());
    let b = tmp.path().join("b");
    copy_store(&a, &b).await;
    assert_eq!(fingerprint(&a).await, fingerprint(&b).await);
    // A quarter of the documents of the incremental copy lose their sketches, as if stored
    // before sketches existed; one more has a damaged one. Their texts are read instead, and
    // the rescan gives them sketches.
    let texts_stored = {
        let store =
            Store::connect(&StoreConfig { data_dir: a.clone(), database_url: None, master_key: None }).await.unwrap();
        let gone = sqlx::query(
            "DELETE FROM blobs WHERE name = 'sketch' AND document_id IN (SELECT id FROM documents WHERE rowid % 4 = 0)",
        )
        .execute(&store.pool)
        .await
        .unwrap()
        .rows_affected();
        assert!(gone as usize > DOCUMENTS / 5, "{gone}");
        sqlx::query("UPDATE blobs SET data = X'00' WHERE name = 'sketch' AND document_id = (SELECT MIN(document_id) FROM blobs WHERE name = 'sketch')")
            .execute(&store.pool)
            .await
            .unwrap();
        let texts: i64 =
            sqlx::query("SELECT COUNT(*) FROM blobs WHERE name = 'text'").fetch_one(&store.pool).await.unwrap().get(0);
        store.pool.close().await;
        texts
    };

    let started = Instant::now();
    let incremental = rescan_cli(&a, None, &v2, &["--stale"]);
    let t_incremental = started.elapsed();
    let started = Instant::now();
    let full = rescan_cli(&b, None, &v2, &["--stale", "--full"]);
    let t_full = started.elapsed();
    eprintln!("incremental {t_incremental:?}, full {t_full:?}");

    let (si, sf) = (&incremental["summary"], &full["summary"]);
    assert_eq!(si["unaffected"], unaffected, "{incremental}");
    assert_eq!(sf["scanned"], DOCUMENTS, "{full}");
    for key in ["changed", "requarantined", "added", "removed", "errors"] {
        assert_eq!(si[key], sf[key], "{key}: incremental {incremental} full {full}");
    }
    assert!(si["requarantined"].as_i64().unwrap() > 0, "{incremental}");
    assert!(si["removed"]["criminal_record"].as_i64().unwrap() > 0, "{incremental}");
    let (fa, fb) = (fingerprint(&a).await, fingerprint(&b).await);
    assert_eq!(fa.len(), fb.len());
    for data in [&a, &b] {
        let store = Store::connect(&StoreConfig { data_dir: data.clone(), database_url: None, master_key: None })
            .await
            .unwrap();
        let sketches: i64 = sqlx::query("SELECT COUNT(*) FROM blobs WHERE name = 'sketch' AND length(data) > 1")
            .fetch_one(&store.pool)
            .await
            .unwrap()
            .get(0);
        assert_eq!(sketches, texts_stored, "every stored text has a sketch again");
        store.pool.close().await;
    }
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!(x, y, "incremental and full rescans disagree");
    }
}
