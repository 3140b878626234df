//! Rescans after a dictionary change, through `hairyo rescan` against a store that the
//! service filled, on SQLite and on PostgreSQL.
//!
//! One term is added to the dictionaries (a condition they did not know). The rescan must put
//! back into quarantine exactly the released documents that mention it about the candidate
//! without a consent covering it, keep a resolved false positive resolved, evaluate only the
//! documents the change can affect, and report the same in a dry run that changes nothing.
//! A full rescan afterwards must find nothing more to change: incremental equals full.

#[path = "support/db.rs"]
mod db;
#[path = "support/rescan.rs"]
mod rescan_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use db::{TestDb, backend_tests};
use hairyo::review::{ConsentRequest, DocStatus, ReviewRequest, Role, Service, User, current_notice};
use rescan_support::{dictionaries_copy, dictionaries_with, service_with};
use serde_json::Value;
use sqlx::Row;

backend_tests!(added_term_requarantines_exactly_the_uncovered_documents);

/// The condition the new dictionary version learns.
const NEW_TERM: &str = "ジストニア";

/// Everything a rescan could change: statuses, reasons, findings with review states,
/// notifications, the audit length and the versions.
async fn state(service: &Service) -> Vec<String> {
    let pool = &service.store.pool;
    let mut out = Vec::new();
    for r in
        sqlx::query("SELECT id, status, COALESCE(reason, ''), detector_version, verdict FROM documents ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap()
    {
        let cols: Vec<String> = (0..5).map(|i| r.try_get::<String, _>(i).unwrap()).collect();
        out.push(cols.join("|"));
    }
    for r in sqlx::query(
        "SELECT document_id, category, start_byte, end_byte, rule, review_state FROM findings ORDER BY document_id, start_byte, rule",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    {
        out.push(format!(
            "{}|{}|{}|{}|{}|{}",
            r.try_get::<String, _>(0).unwrap(),
            r.try_get::<String, _>(1).unwrap(),
            r.try_get::<i64, _>(2).unwrap(),
            r.try_get::<i64, _>(3).unwrap(),
            r.try_get::<String, _>(4).unwrap(),
            r.try_get::<String, _>(5).unwrap()
        ));
    }
    for sql in ["SELECT COUNT(*) FROM notifications", "SELECT COUNT(*) FROM audit"] {
        out.push(format!("{sql}: {}", count(service, sql).await));
    }
    out
}

async fn count(service: &Service, sql: &str) -> i64 {
    sqlx::query(sql).fetch_one(&service.store.pool).await.unwrap().try_get(0).unwrap()
}

struct Doc {
    id: String,
    owner: User,
}

async fn upload(service: &Service, owner: &User, text: &str) -> (Doc, hairyo::review::Uploaded) {
    let up = service.upload(owner, "resume.txt", text.as_bytes().to_vec()).await.expect("upload");
    (Doc { id: up.id.clone(), owner: owner.clone() }, up)
}

/// Consents to `categories` for a document.
async fn consent(service: &Service, doc: &Doc, categories: &[&str]) {
    let req = ConsentRequest {
        categories: categories.iter().map(|c| c.to_string()).collect(),
        purposes: vec!["求人企業への推薦".into()],
        notice_version: current_notice().version.to_string(),
    };
    service.consent(&doc.owner, &doc.id, req, None, "api").await.expect("consent");
}

async fn status_of(service: &Service, doc: &Doc) -> (String, Option<String>) {
    let r = sqlx::query("SELECT status, reason FROM documents WHERE id = $1")
        .bind(&doc.id)
        .fetch_one(&service.store.pool)
        .await
        .unwrap();
    (r.try_get(0).unwrap(), r.try_get(1).unwrap())
}

fn resume(body: &str) -> String {
    format!(
        "職務経歴書\n氏名 山田太郎\n■職務経歴\n株式会社サンプル物流 在庫管理担当（2018年4月～現在）\n■自己PR\n粘り強く改善に取り組みます。\n■その他\n{body}\n"
    )
}

async fn added_term_requarantines_exactly_the_uncovered_documents(db: TestDb) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (v1, v2) = (tmp.path().join("dict-v1"), tmp.path().join("dict-v2"));
    dictionaries_copy(&v1);
    dictionaries_with(&v2, "medical_history.toml", "chronic", NEW_TERM);
    let service = service_with(&data, db.url(), &v1).await;
    service.register_detector().await.unwrap();
    let mut people = Vec::new();
    for i in 0..4 {
        people.push(service.create_user(None, &format!("候補者{i}"), Role::Candidate).await.unwrap().0);
    }
    let (advisor, _) = service.create_user(None, "アドバイザー", Role::Advisor).await.unwrap();
    let p = |i: usize| &people[i % people.len()];

    // Nothing sensitive, before and after.
    let mut plain = Vec::new();
    for (i, body) in [
        "出荷ミスを三割減らしました。",
        "倉庫管理システムの導入を主導しました。",
        "新人教育の手順書を作りました。",
        "月次の棚卸しを半日短縮しました。",
        "取引先との納期調整を担当しました。",
        "英語での問い合わせ対応も行っています。",
    ]
    .iter()
    .enumerate()
    {
        let (doc, up) = upload(&service, p(i), &resume(body)).await;
        assert_eq!(up.status, DocStatus::Released);
        plain.push(doc);
    }
    // Released and clear under v1, the new condition under v2: back into quarantine.
    let mut uncovered = Vec::new();
    for (i, body) in [
        format!("{NEW_TERM}のため、細かい作業に時間がかかることがあります。"),
        format!("{NEW_TERM}があり、字を書く作業はゆっくりになります。"),
        format!("{NEW_TERM}の影響で、左手の細かい動きが苦手です。"),
    ]
    .iter()
    .enumerate()
    {
        let (doc, up) = upload(&service, p(i), &resume(body)).await;
        assert_eq!(up.status, DocStatus::Released, "clear under v1: {body}");
        uncovered.push(doc);
    }
    // Consented to disability only, and mentions the new condition: uncovered too.
    let (doc, up) = upload(
        &service,
        p(1),
        &resume(&format!("身体障害者手帳（四級）を所持しています。{NEW_TERM}により左手に軽いまひがあります。")),
    )
    .await;
    let held: BTreeSet<String> = up.findings.iter().map(|f| f.category.id().to_string()).collect();
    assert_eq!(held, BTreeSet::from(["disability".to_string()]), "{:?}", up.findings);
    consent(&service, &doc, &["disability"]).await;
    uncovered.push(doc);
    // Consented to medical history already: the new finding is covered, stays released.
    let (covered, up) =
        upload(&service, p(2), &resume(&format!("持病の喘息があります。{NEW_TERM}の治療歴もあります。"))).await;
    let cats: Vec<String> = up.findings.iter().map(|f| f.category.id().to_string()).collect();
    let cats: BTreeSet<&str> = cats.iter().map(String::as_str).collect();
    consent(&service, &covered, &cats.into_iter().collect::<Vec<_>>()).await;
    // Negated: scanned again (the term is there) but no finding.
    let (negated, _) =
        upload(&service, p(3), &resume(&format!("健康面の配慮は不要です。{NEW_TERM}はありません。"))).await;
    // Quarantined without consent: stays quarantined, gains a finding.
    let (held_doc, up) = upload(&service, p(0), &resume(&format!("喘息と{NEW_TERM}で通院しています。"))).await;
    assert_eq!(up.status, DocStatus::Quarantined);
    // A false positive resolved by an advisor (released). The one-term change leaves it alone;
    // the full rescan at the end reads it again and must keep it resolved.
    let (fp_doc, up) = upload(&service, p(1), &resume("社内報で喘息についての記事を書きました。")).await;
    assert!(!up.findings.is_empty());
    for f in &up.findings {
        let req = ReviewRequest { decision: "false_positive".into(), reason: "業務内容の記述".into() };
        service.review(&advisor, &f.id, req).await.expect("review");
    }
    let fp_before = count(
        &service,
        &format!(
            "SELECT COUNT(*) FROM findings WHERE document_id = '{}' AND review_state = 'false_positive'",
            fp_doc.id
        ),
    )
    .await;

    let total = count(&service, "SELECT COUNT(*) FROM documents").await;
    let before = state(&service).await;

    // A dry run reports and changes nothing.
    let dry = rescan_cli(&data, &db, &v2, &["--stale", "--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["total"], total, "{dry}");
    assert_eq!(dry["progress"]["done"], total, "{dry}");
    assert_eq!(dry["summary"]["requarantined"], uncovered.len(), "{dry}");
    assert_eq!(state(&service).await, before, "a dry run changed the store");

    // The real run: the same report, and the store follows it.
    let real = rescan_cli(&data, &db, &v2, &["--stale"]);
    assert_eq!(real["summary"], dry["summary"], "dry run and real run differ");
    let s = &real["summary"];
    assert_eq!(s["requarantined"], uncovered.len(), "{real}");
    assert_eq!(real["progress"]["failed"], 0);
    // Incremental: the plain documents were not scanned again.
    assert!(s["unaffected"].as_i64().unwrap() >= plain.len() as i64, "{real}");
    assert_eq!(s["scanned"].as_i64().unwrap() + s["unaffected"].as_i64().unwrap(), total, "{real}");
    // One new medical history finding per document mentioning the condition about the candidate.
    let mentions = uncovered.len() + 2; // + covered, held_doc
    assert!(s["added"]["medical_history"].as_i64().unwrap() >= mentions as i64, "{real}");

    for doc in &uncovered {
        assert_eq!(status_of(&service, doc).await, ("quarantined".into(), Some("rescan".into())), "{}", doc.id);
        let notes = count(
            &service,
            &format!("SELECT COUNT(*) FROM notifications WHERE document_id = '{}' AND user_id = '{}' AND kind = 'requarantined'", doc.id, doc.owner.id),
        )
        .await;
        assert_eq!(notes, 1, "one notification for {}", doc.id);
    }
    for doc in plain.iter().chain([&covered, &negated, &fp_doc]) {
        assert_eq!(status_of(&service, doc).await.0, "released", "{}", doc.id);
    }
    assert_eq!(status_of(&service, &held_doc).await.0, "quarantined");
    assert_eq!(count(&service, "SELECT COUNT(*) FROM notifications").await, uncovered.len() as i64);
    assert_eq!(
        count(&service, "SELECT COUNT(*) FROM audit WHERE action = 'rescan_requarantine'").await,
        uncovered.len() as i64
    );
    // The resolved false positives stay resolved.
    let fp_after = count(
        &service,
        &format!(
            "SELECT COUNT(*) FROM findings WHERE document_id = '{}' AND review_state = 'false_positive'",
            fp_doc.id
        ),
    )
    .await;
    assert_eq!(fp_after, fp_before);
    // Nothing stale is left and the audit chain holds.
    let v2_service = service_with(&data, db.url(), &v2).await;
    assert_eq!(v2_service.dictionary_status().await.unwrap().stale, 0);
    assert!(v2_service.store.verify_audit().await.unwrap().is_ok());

    // The candidate can consent again to what was added, and is released.
    let doc = &uncovered[3];
    consent(&v2_service, doc, &["disability", "medical_history"]).await;
    assert_eq!(status_of(&v2_service, doc).await.0, "released");

    // Incremental equals full: a full rescan of everything finds nothing more to change.
    let full = rescan_cli(&data, &db, &v2, &["--all", "--full"]);
    assert_eq!(full["summary"]["scanned"], total, "{full}");
    assert_eq!(full["summary"]["changed"], 0, "{full}");
    assert_eq!(full["summary"]["requarantined"], 0, "{full}");
    let by_category: BTreeMap<String, i64> = serde_json::from_value(full["summary"]["added"].clone()).unwrap();
    assert!(by_category.is_empty(), "{full}");
    let fp_full = count(
        &v2_service,
        &format!(
            "SELECT COUNT(*) FROM findings WHERE document_id = '{}' AND review_state = 'false_positive'",
            fp_doc.id
        ),
    )
    .await;
    assert_eq!(fp_full, fp_before);
    assert_eq!(status_of(&v2_service, &fp_doc).await.0, "released");
}

fn rescan_cli(data: &Path, db: &TestDb, dictionaries: &Path, args: &[&str]) -> Value {
    rescan_support::rescan_cli(data, db.url(), dictionaries, args)
}
