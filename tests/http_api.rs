//! The upload service through its HTTP edge: `app(state).oneshot(request)` against a real
//! database, with the real detector and the real extraction subprocess. Every test runs twice:
//! `sqlite::…` on the SQLite file in a temporary data directory, `postgres::…` on a fresh
//! PostgreSQL database (see `support/db.rs`; `HAIRYO_TEST_POSTGRES=off` skips those).
//!
//! Every endpoint and its errors, and an authorisation matrix (every role × every endpoint ×
//! a quarantined and a released document of one candidate, a rescan and a notification)
//! written out as a table so that it documents the policy.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use hairyo::detect::Detector;
use hairyo::extract::{Extractor, Isolation, Limits};
use hairyo::http::{AppState, app};
use hairyo::pipeline::Pipeline;
use hairyo::rescan::{Mode, RescanRequest, Worker};
use hairyo::review::{Role, Service};
use hairyo::store::{Store, StoreConfig, default_db_path, new_id, now};

#[path = "support/db.rs"]
mod db;
use db::{TestDb, backend_tests};

// ---- documents (our own wording) -----------------------------------------------------------

/// A résumé line with a medical history and regular treatment: quarantined.
const MEDICAL: &str =
    "職務経歴書\n氏名 佐藤一郎\n持病の喘息で月に一度通院しています。\n前職では法人営業を担当しました。\n";
/// Another medical history, for the released (consented) document.
const SURGERY: &str = "履歴書\n氏名 佐藤一郎\n二年前に腰椎椎間板ヘルニアの手術を受け、現在は完治しています。\n";
/// A disability certificate: quarantined, one category.
const DISABILITY: &str =
    "職務経歴書\n氏名 鈴木花子\n身体障害者手帳（四級）を所持しており、通勤には配慮をお願いしています。\n";
/// Nothing sensitive: released, clear.
const CLEAN: &str =
    "職務経歴書\n氏名 佐藤一郎\n物流会社で在庫管理システムの導入を担当し、出荷ミスを三割減らしました。\n";
/// Only a union office: flagged, released.
const UNION: &str = "職務経歴書\n氏名 佐藤一郎\n前職では労働組合の執行委員を二年務めました。\n";
/// A valid My Number (check digit 8) on line 3: refused.
const MY_NUMBER: &str = "履歴書\n氏名 佐藤一郎\nマイナンバー：1234 5678 9018\n";
const MY_NUMBER_DIGITS: &str = "1234 5678 9018";

/// The purpose candidates consent to in these tests.
const PURPOSE: &str = "求人企業への推薦";

fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0".to_vec();
    v.extend_from_slice(&[0x90, 0x77, 0x53, 0xde]);
    v
}

/// A PDF header followed by garbage: recognised as a PDF, cannot be read.
fn broken_pdf() -> Vec<u8> {
    let mut v = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R".to_vec();
    v.extend_from_slice(&[0x00, 0xff, 0x13, 0x37, 0x42, 0x00, 0x7f]);
    v
}

// ---- harness --------------------------------------------------------------------------------

fn detector() -> Arc<Detector> {
    static DETECTOR: OnceLock<Arc<Detector>> = OnceLock::new();
    DETECTOR.get_or_init(|| Arc::new(Detector::embedded().expect("embedded detector"))).clone()
}

/// One service on its own data directory and database.
struct Env {
    app: Router,
    service: Arc<Service>,
    dir: PathBuf,
    _tmp: tempfile::TempDir,
    /// Last: the database is dropped after the service that uses it.
    db: TestDb,
}

/// A user and their token.
#[derive(Clone)]
struct Who {
    id: String,
    token: String,
}

enum Payload {
    None,
    Json(Value),
    Raw(String, Vec<u8>),
    File(&'static str, Vec<u8>),
}

struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    bytes: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.text()))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
    /// Asserts the status (and the error code for errors) and returns the JSON body.
    #[track_caller]
    fn expect(&self, status: u16, code: Option<&str>) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text());
        if let Some(code) = code {
            let body = self.json();
            assert_eq!(body["error"]["code"], code, "body: {body}");
            assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "message: {body}");
            return body;
        }
        if self.bytes.is_empty() { Value::Null } else { self.json() }
    }
}

fn multipart(field: &str, name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "hairyo-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    body.extend_from_slice(
        format!("Content-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl Env {
    async fn new(db: TestDb) -> Self {
        Self::with_limit(db, 1024 * 1024).await
    }

    async fn with_limit(db: TestDb, max_upload_bytes: usize) -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("data");
        let store = Store::open(&StoreConfig { data_dir: dir.clone(), database_url: db.url(), master_key: None })
            .await
            .expect("open store");
        let limits = Limits { max_bytes: max_upload_bytes as u64, ..Limits::default() };
        let extractor =
            Extractor { limits, isolation: Isolation::Subprocess { exe: PathBuf::from(env!("CARGO_BIN_EXE_hairyo")) } };
        let service = Service::new(store, Pipeline::new(detector(), extractor), Duration::from_secs(60));
        let app = app(AppState::new(service.clone(), max_upload_bytes));
        Self { app, service, dir, _tmp: tmp, db }
    }

    async fn user(&self, name: &str, role: Role) -> Who {
        let (user, token) = self.service.create_user(None, name, role).await.expect("create user");
        Who { id: user.id, token }
    }

    async fn send(&self, method: &str, uri: &str, token: Option<&str>, payload: Payload) -> Resp {
        self.send_with(method, uri, token, payload, &[]).await
    }

    async fn send_with(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        payload: Payload,
        extra: &[(&str, &str)],
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        for (k, v) in extra {
            b = b.header(*k, *v);
        }
        let body = match payload {
            Payload::None => Body::empty(),
            Payload::Json(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            Payload::Raw(ct, bytes) => {
                b = b.header(header::CONTENT_TYPE, ct);
                Body::from(bytes)
            }
            Payload::File(name, bytes) => {
                let (ct, body) = multipart("file", name, &bytes);
                b = b.header(header::CONTENT_TYPE, ct);
                Body::from(body)
            }
        };
        let resp = self.app.clone().oneshot(b.body(body).expect("request")).await.expect("infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes().to_vec();
        Resp { status, headers, bytes }
    }

    async fn get(&self, uri: &str, who: &Who) -> Resp {
        self.send("GET", uri, Some(&who.token), Payload::None).await
    }

    async fn post(&self, uri: &str, who: &Who, body: Value) -> Resp {
        self.send("POST", uri, Some(&who.token), Payload::Json(body)).await
    }

    async fn upload(&self, who: &Who, name: &'static str, bytes: impl Into<Vec<u8>>) -> Resp {
        self.send("POST", "/api/v1/documents", Some(&who.token), Payload::File(name, bytes.into())).await
    }

    /// Uploads and returns the 201 body.
    async fn uploaded(&self, who: &Who, name: &'static str, bytes: impl Into<Vec<u8>>) -> Value {
        self.upload(who, name, bytes).await.expect(201, None)
    }

    async fn notice_version(&self) -> String {
        let r = self.send("GET", "/api/v1/notice", None, Payload::None).await;
        r.expect(200, None)["version"].as_str().expect("notice version").to_string()
    }

    /// Consents to every special-care category of a document's findings.
    async fn consent_all(&self, who: &Who, doc: &Value, purposes: &[&str]) -> Value {
        let body = json!({ "categories": special_care(doc), "purposes": purposes, "notice_version": self.notice_version().await });
        self.post(&format!("/api/v1/documents/{}/consents", id(doc)), who, body).await.expect(201, None)
    }

    /// The documents that have blobs, sorted.
    async fn blob_entries(&self) -> Vec<String> {
        use sqlx::Row;
        let rows = sqlx::query("SELECT DISTINCT document_id FROM blobs ORDER BY document_id")
            .fetch_all(&self.service.store.pool)
            .await
            .expect("blobs");
        // Sorted here too: the database's collation need not be byte order.
        let mut out: Vec<String> = rows.iter().map(|r| r.try_get(0).expect("document_id")).collect();
        out.sort();
        out
    }

    /// The number of blobs of one document.
    async fn blob_count(&self, document_id: &str) -> i64 {
        self.count(&format!("SELECT COUNT(*) FROM blobs WHERE document_id = '{document_id}'")).await
    }

    /// A connection of its own to the service's database, behind the service's back.
    async fn raw_connection(&self) -> sqlx::AnyConnection {
        use sqlx::Connection;
        let url = self.db.url().unwrap_or_else(|| format!("sqlite://{}", default_db_path(&self.dir).display()));
        sqlx::AnyConnection::connect(&url).await.expect("open the database")
    }

    async fn audit(&self, admin: &Who) -> Vec<Value> {
        let r = self.get("/api/v1/audit?limit=1000", admin).await.expect(200, None);
        r["entries"].as_array().expect("entries").clone()
    }

    /// A notification to `to` about `document`, written as a rescan writes it.
    async fn notify(&self, to: &Who, document: &str, categories: &[&str]) -> String {
        let id = new_id();
        sqlx::query(
            "INSERT INTO notifications (id, user_id, document_id, kind, detail, created_at) VALUES ($1, $2, $3, 'requarantined', $4, $5)",
        )
        .bind(&id)
        .bind(&to.id)
        .bind(document)
        .bind(json!({ "categories": categories }).to_string())
        .bind(now())
        .execute(&self.service.store.pool)
        .await
        .expect("insert notification");
        id
    }

    async fn count(&self, sql: &str) -> i64 {
        use sqlx::Row;
        sqlx::query(sql).fetch_one(&self.service.store.pool).await.expect("count").try_get(0).expect("count column")
    }
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

/// The special-care (quarantine-causing) categories among a document's findings.
fn special_care(doc: &Value) -> Vec<String> {
    const FLAGGED: &[&str] = &["family_origin", "union_membership", "my_number"];
    let set: BTreeSet<String> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["category"].as_str().unwrap().to_string())
        .filter(|c| !FLAGGED.contains(&c.as_str()))
        .collect();
    set.into_iter().collect()
}

fn with(list: &[String], extra: &str) -> Vec<String> {
    let mut v = list.to_vec();
    v.push(extra.to_string());
    v
}

fn categories(doc: &Value) -> BTreeSet<String> {
    doc["findings"].as_array().expect("findings").iter().map(|f| f["category"].as_str().unwrap().to_string()).collect()
}

fn actions(entries: &[Value]) -> Vec<String> {
    entries.iter().map(|e| e["action"].as_str().unwrap().to_string()).collect()
}

// ---- the cases, each on SQLite and on PostgreSQL --------------------------------------------

backend_tests!(
    upload_holds_releases_and_refuses,
    my_number_is_refused_and_nothing_is_stored,
    too_large_uploads_get_413,
    lists_are_scoped_by_role_and_suspension,
    owner_sees_spans_advisor_sees_bounded_context_and_is_audited,
    content_owner_always_advisor_only_when_released,
    consent_must_cover_every_category_and_can_be_withdrawn,
    review_queue_and_decisions,
    redact_releases_a_masked_copy_and_erases_the_original,
    delete_erases_rows_keys_and_blobs,
    export_holds_everything_about_the_candidate,
    suspension_withholds_documents_from_advisors,
    provisions_need_a_released_document_and_a_consented_purpose,
    stats_suppress_cells_under_five,
    audit_log_is_chained_and_tampering_is_detected,
    admins_create_users_whose_tokens_work,
    probes_metrics_notice_and_openapi,
    authorization_matrix,
    dictionary_status_counts_stale_documents,
    admins_run_rescans_and_follow_their_progress,
    candidates_read_their_own_notifications,
    an_erasure_racing_the_last_review_leaves_the_document_erased,
);

// ---- upload ---------------------------------------------------------------------------------

async fn upload_holds_releases_and_refuses(db: TestDb) {
    let env = Env::new(db).await;
    let cand = env.user("候補者 佐藤", Role::Candidate).await;

    // Special-care information: held, with the owner's spans.
    let q = env.uploaded(&cand, "shokumu.txt", MEDICAL).await;
    assert_eq!(q["status"], "quarantined");
    assert_eq!(q["verdict"], "quarantine");
    assert_eq!(q["reason"], "special_care");
    assert!(categories(&q).contains("medical_history"), "{q}");
    let findings = q["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        let (s, e) = (f["start"].as_u64().unwrap() as usize, f["end"].as_u64().unwrap() as usize);
        assert_eq!(&MEDICAL[s..e], f["text"].as_str().unwrap(), "span of {f}");
        assert_eq!(f["review_state"], "pending");
        assert!(
            f["id"].is_string() && f["rule"].is_string() && f["confidence"].is_number() && f["explanation"].is_string()
        );
    }

    // Nothing found: released.
    let c = env.uploaded(&cand, "clean.txt", CLEAN).await;
    assert_eq!((c["status"].as_str(), c["verdict"].as_str()), (Some("released"), Some("clear")));
    assert_eq!(c["findings"], json!([]));
    assert!(c["reason"].is_null());

    // Only an employment-screening item (a union office): flagged, released.
    let u = env.uploaded(&cand, "union.txt", UNION).await;
    assert_eq!((u["status"].as_str(), u["verdict"].as_str()), (Some("released"), Some("flag")));
    assert_eq!(categories(&u), BTreeSet::from(["union_membership".to_string()]));

    // A PDF that cannot be read is stored held as unscannable (fail closed).
    let p = env.uploaded(&cand, "broken.pdf", broken_pdf()).await;
    assert_eq!(
        (p["status"].as_str(), p["verdict"].as_str(), p["reason"].as_str()),
        (Some("quarantined"), Some("error"), Some("unscannable"))
    );
    assert!(p["error"].as_str().is_some_and(|e| !e.is_empty()), "{p}");
    assert_eq!(p["findings"], json!([]));

    // Wrong type, empty file, no `file` field, not multipart: refused, nothing stored.
    env.upload(&cand, "photo.pdf", png()).await.expect(415, Some("unsupported_type"));
    env.upload(&cand, "empty.txt", Vec::new()).await.expect(422, Some("empty"));
    let (ct, body) = multipart("attachment", "x.txt", CLEAN.as_bytes());
    env.send("POST", "/api/v1/documents", Some(&cand.token), Payload::Raw(ct, body))
        .await
        .expect(422, Some("missing_file"));
    let not_multipart =
        env.send("POST", "/api/v1/documents", Some(&cand.token), Payload::Json(json!({ "file": CLEAN }))).await;
    not_multipart.expect(415, Some("multipart_required"));

    let list = env.get("/api/v1/documents", &cand).await.expect(200, None);
    assert_eq!(list["documents"].as_array().unwrap().len(), 4);
    assert_eq!(env.blob_entries().await.len(), 4);
}

async fn my_number_is_refused_and_nothing_is_stored(db: TestDb) {
    let env = Env::new(db).await;
    let admin = env.user("管理者", Role::Admin).await;
    let cand = env.user("候補者 佐藤", Role::Candidate).await;

    let r = env.upload(&cand, "rirekisho.txt", MY_NUMBER).await;
    let body = r.expect(422, Some("my_number_refused"));
    let locations = body["error"]["locations"].as_array().expect("locations");
    assert_eq!(locations.len(), 1, "{body}");
    let (s, e) = (locations[0]["start"].as_u64().unwrap() as usize, locations[0]["end"].as_u64().unwrap() as usize);
    assert_eq!(&MY_NUMBER[s..e], MY_NUMBER_DIGITS);
    assert_eq!(locations[0]["line"], 3);
    assert!(!r.text().contains(MY_NUMBER_DIGITS), "the number is not echoed back");

    // Nothing stored: no document, no finding, no blob, nothing listed.
    let list = env.get("/api/v1/documents", &cand).await.expect(200, None);
    assert_eq!(list["documents"], json!([]));
    assert_eq!(env.count("SELECT COUNT(*) FROM documents").await, 0);
    assert_eq!(env.count("SELECT COUNT(*) FROM findings").await, 0);
    assert_eq!(env.blob_entries().await, Vec::<String>::new());

    // The refusal itself is audited, without the number.
    let audit = env.audit(&admin).await;
    let refused: Vec<&Value> = audit.iter().filter(|e| e["action"] == "upload_refused").collect();
    assert_eq!(refused.len(), 1);
    assert!(refused[0]["document_id"].is_null());
    // The whole number, spaced or not: a four-digit run also turns up by chance in hashes and ids.
    let audit = serde_json::to_string(&audit).unwrap();
    assert!(!audit.contains(MY_NUMBER_DIGITS) && !audit.contains(&MY_NUMBER_DIGITS.replace(' ', "")), "{audit}");
}

async fn too_large_uploads_get_413(db: TestDb) {
    const LIMIT: usize = 64 * 1024;
    let env = Env::with_limit(db, LIMIT).await;
    let cand = env.user("候補者 佐藤", Role::Candidate).await;
    let line = "物流会社で在庫管理システムの導入を担当しました。\n";
    let text = |bytes: usize| line.repeat(bytes / line.len() + 1);

    // Just over the file limit (inside the multipart envelope allowance) and far over the
    // request body limit: both 413 with the JSON error.
    env.upload(&cand, "big.txt", text(LIMIT + 1)).await.expect(413, Some("too_large"));
    env.upload(&cand, "huge.txt", text(6 * LIMIT)).await.expect(413, Some("too_large"));
    assert_eq!(env.get("/api/v1/documents", &cand).await.expect(200, None)["documents"], json!([]));
    assert_eq!(env.blob_entries().await, Vec::<String>::new());

    // Under the limit is fine.
    let mut ok = text(LIMIT - 4 * 1024);
    ok.truncate(ok.rfind('\n').unwrap() + 1);
    assert!(ok.len() < LIMIT);
    let d = env.uploaded(&cand, "ok.txt", ok).await;
    assert_eq!(d["status"], "released");
}

// ---- list, get, content ---------------------------------------------------------------------

async fn lists_are_scoped_by_role_and_suspension(db: TestDb) {
    let env = Env::new(db).await;
    let owner = env.user("候補者 佐藤", Role::Candidate).await;
    let other = env.user("候補者 鈴木", Role::Candidate).await;
    let advisor = env.user("アドバイザー 田中", Role::Advisor).await;
    let admin = env.user("管理者", Role::Admin).await;
    let q = env.uploaded(&owner, "shokumu.txt", MEDICAL).await;
    let c = env.uploaded(&owner, "clean.txt", CLEAN).await;
    let o = env.uploaded(&other, "union.txt", UNION).await;

    let ids = |v: &Value| -> BTreeSet<String> { v["documents"].as_array().unwrap().iter().map(id).collect() };
    let mine = env.get("/api/v1/documents", &owner).await.expect(200, None);
    assert_eq!(ids(&mine), BTreeSet::from([id(&q), id(&c)]));
    for d in mine["documents"].as_array().unwrap() {
        assert_eq!(d["owner_id"], owner.id.as_str());
        assert!(d["name"].is_string(), "the owner sees the file name: {d}");
        assert!(d.get("findings").is_none() && d.get("text").is_none(), "metadata only: {d}");
    }
    assert_eq!(ids(&env.get("/api/v1/documents", &other).await.expect(200, None)), BTreeSet::from([id(&o)]));
    let all = env.get("/api/v1/documents", &advisor).await.expect(200, None);
    assert_eq!(ids(&all), BTreeSet::from([id(&q), id(&c), id(&o)]));
    for d in all["documents"].as_array().unwrap() {
        assert!(
            d.get("name").is_none() && d.get("findings").is_none() && d.get("text").is_none(),
            "metadata only: {d}"
        );
    }
    assert_eq!(ids(&env.get("/api/v1/documents", &admin).await.expect(200, None)).len(), 3);

    // 利用停止: advisors no longer see the candidate's documents; admins still do.
    let s = env.send("POST", "/api/v1/me/suspend", Some(&other.token), Payload::None).await.expect(200, None);
    assert_eq!(s["suspended"], true);
    assert_eq!(ids(&env.get("/api/v1/documents", &advisor).await.expect(200, None)), BTreeSet::from([id(&q), id(&c)]));
    assert_eq!(ids(&env.get("/api/v1/documents", &admin).await.expect(200, None)).len(), 3);
    assert_eq!(ids(&env.get("/api/v1/documents", &other).await.expect(200, None)), BTreeSet::from([id(&o)]));
}

async fn owner_sees_spans_advisor_sees_bounded_context_and_is_audited(db: TestDb) {
    let env = Env::new(db).await;
    let owner = env.user("候補者 佐藤", Role::Candidate).await;
    let advisor = env.user("アドバイザー 田中", Role::Advisor).await;
    let admin = env.user("管理者", Role::Admin).await;
    let head = "自己PR\n大学卒業後、食品メーカーで十年間にわたり量販店向けの提案営業と販促企画を担当してきました。\n";
    let tail = "趣味は週末の山歩きで、地図を読みながら計画を立て、準備を重ねることの大切さを学びました。昨年は北アルプスの縦走に挑戦しました。\n";
    let text = format!("{head}持病の喘息で月に一度通院しています。\n{tail}");
    let doc = env.uploaded(&owner, "jikopr.txt", text.clone()).await;
    let doc_id = id(&doc);

    // The owner: spans, offsets and the text.
    let mine = env.get(&format!("/api/v1/documents/{doc_id}"), &owner).await.expect(200, None);
    assert_eq!(mine["text"], text.as_str());
    assert_eq!(mine["name"], "jikopr.txt");
    assert_eq!(mine["status"], "quarantined");
    for f in mine["findings"].as_array().unwrap() {
        let (s, e) = (f["start"].as_u64().unwrap() as usize, f["end"].as_u64().unwrap() as usize);
        assert_eq!(&text[s..e], f["text"].as_str().unwrap());
    }

    // An advisor: category, rule, confidence, a bounded window; no text, no offsets.
    let r = env.get(&format!("/api/v1/documents/{doc_id}"), &advisor).await;
    let seen = r.expect(200, None);
    assert!(seen.get("text").is_none(), "{seen}");
    assert!(seen.get("name").is_none(), "{seen}");
    assert_eq!(seen["status"], "quarantined");
    let owner_spans: Vec<&str> =
        mine["findings"].as_array().unwrap().iter().map(|f| f["text"].as_str().unwrap()).collect();
    let findings = seen["findings"].as_array().unwrap();
    assert_eq!(findings.len(), owner_spans.len());
    for f in findings {
        for key in ["start", "end", "text"] {
            assert!(f.get(key).is_none(), "advisor finding has {key}: {f}");
        }
        assert!(f["category"].is_string() && f["rule"].is_string() && f["confidence"].is_number(), "{f}");
        let ctx = &f["context"];
        assert!(ctx["before"].as_str().unwrap().chars().count() <= 30, "{ctx}");
        assert!(ctx["after"].as_str().unwrap().chars().count() <= 30, "{ctx}");
        assert!(owner_spans.contains(&ctx["span"].as_str().unwrap()), "{ctx}");
    }
    // Never the whole text: the start of the document and the end of it are out of reach.
    let body = r.text();
    assert!(!body.contains("自己PR") && !body.contains("大学卒業後"), "{body}");
    assert!(!body.contains("北アルプス"), "{body}");

    // Unknown documents: 404 for everyone.
    env.get("/api/v1/documents/00000000-0000-0000-0000-000000000000", &owner).await.expect(404, Some("not_found"));
    env.get("/api/v1/documents/not-an-id", &advisor).await.expect(404, Some("not_found"));

    // The advisor's view is in the audit log; the owner's own reads are not views by others.
    let audit = env.audit(&admin).await;
    let views: Vec<&Value> = audit.iter().filter(|e| e["action"] == "view").collect();
    assert_eq!(views.len(), 1, "{views:?}");
    assert_eq!(views[0]["actor_id"], advisor.id.as_str());
    assert_eq!(views[0]["document_id"], doc_id.as_str());
    assert_eq!(views[0]["subject_id"], owner.id.as_str());
    assert_eq!(views[0]["detail"]["what"], "findings");
}

async fn content_owner_always_advisor_only_when_released(db: TestDb) {
    let env = Env::new(db).await;
    let owner = env.user("候補者 佐藤", Role::Candidate).await;
    let advisor = env.user("アドバイザー 田中", Role::Advisor).await;
    let admin = env.user("管理者", Role::Admin).await;
    let doc = env.uploaded(&owner, "shokumu.txt", MEDICAL).await;
    let url = format!("/api/v1/documents/{}/content", id(&doc));

    let r = env.get(&url, &owner).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.bytes, MEDICAL.as_bytes());
    assert!(r.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/plain"));
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");

    env.get(&url, &advisor).await.expect(403, Some("quarantined"));
    env.get(&url, &admin).await.expect(403, Some("quarantined"));

    env.consent_all(&owner, &doc, &[PURPOSE]).await;
    let r = env.get(&url, &advisor).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.bytes, MEDICAL.as_bytes());

    // An unscannable PDF: the owner gets the bytes back; advisors do not.
    let pdf = env.uploaded(&owner, "broken.pdf", broken_pdf()).await;
    let purl = format!("/api/v1/documents/{}/content", id(&pdf));
    assert_eq!(env.get(&purl, &owner).await.bytes, broken_pdf());
    env.get(&purl, &advisor).await.expect(403, Some("quarantined"));

    let audit = env.audit(&admin).await;
    assert!(
        audit
            .iter()
            .any(|e| e["action"] == "view" && e["actor_id"] == advisor.id.as_str() && e["detail"]["what"] == "content"),
        "content views by advisors are audited"
    );
}

// ---- consent ---------------------------------------------------------------------------------

async fn consent_must_cover_every_category_and_can_be_withdrawn(db: TestDb) {
    let env = Env::new(db).await;
    let owner = env.user("候補者 佐藤", Role::Candidate).await;
    let notice = env.send("GET", "/api/v1/notice", None, Payload::None).await.expect(200, None);
    let version = notice["version"].as_str().unwrap().to_string();
    assert!(notice["text"].as_str().unwrap().contains("要配慮個人情報"));
    let text = format!("{MEDICAL}{}", DISABILITY.split_once('\n').unwrap().1.split_once('\n').unwrap().1);
    let doc = env.uploaded(&owner, "shokumu.txt", text).await;
    let required = special_care(&doc);
    assert!(required.len() >= 2, "want several categories: {required:?}");
    let url = format!("/api/v1/documents/{}/consents", id(&doc));

    // Only some of the categories: 422 with what is missing.
    let r = env
        .post(&url, &owner, json!({ "categories": [required[0]], "purposes": [PURPOSE], "notice_version": version }))
        .await;
    let body = r.expect(422, Some("consent_incomplete"));
    let missing: BTreeSet<String> = serde_json::from_value(body["error"]["missing"].clone()).unwrap();
    assert_eq!(missing, required[1..].iter().cloned().collect());

    // Unknown notice version, unknown or non-special-care category, no purpose, bad JSON.
    let r = env
        .post(&url, &owner, json!({ "categories": required, "purposes": [PURPOSE], "notice_version": "1999-01" }))
        .await;
    assert_eq!(r.expect(422, Some("unknown_notice"))["error"]["current"], version.as_str());
    let r = env
        .post(
            &url,
            &owner,
            json!({ "categories": with(&required, "nationality"), "purposes": [PURPOSE], "notice_version": version }),
        )
        .await;
    r.expect(422, Some("unknown_category"));
    let r = env.post(&url, &owner, json!({ "categories": with(&required, "union_membership"), "purposes": [PURPOSE], "notice_version": version })).await;
    r.expect(422, Some("unknown_category"));
    env.post(&url, &owner, json!({ "categories": required, "purposes": [" "], "notice_version": version }))
        .await
        .expect(422, Some("purposes_required"));
    // A consent names a few purposes, each a phrase: not a list of thousands, not an essay.
    let many: Vec<String> = (0..21).map(|i| format!("目的{i}")).collect();
    env.post(&url, &owner, json!({ "categories": required, "purposes": many, "notice_version": version }))
        .await
        .expect(422, Some("purposes_required"));
    env.post(
        &url,
        &owner,
        json!({ "categories": required, "purposes": ["あ".repeat(201)], "notice_version": version }),
    )
    .await
    .expect(422, Some("purposes_required"));
    env.post(&url, &owner, json!({ "categories": required })).await.expect(422, Some("invalid_body"));
    env.send("POST", &url, Some(&owner.token), Payload::Raw("application/json".into(), b"{not json".to_vec()))
        .await
        .expect(422, Some("invalid_body"));
    let still = env.get(&format!("/api/v1/documents/{}", id(&doc)), &owner).await.expect(200, None);
    assert_eq!((still["status"].as_str(), still["consents"].as_array().unwrap().len()), (Some("quarantined"), 0));

    // Complete: 201, recorded with the notice's hash and how it was given; released.
    let body = json!({ "categories": required, "purposes": [PURPOSE, "面接日程の調整"], "notice_version": version });
    let r = env
        .send_with("POST", &url, Some(&owner.token), Payload::Json(body), &[("user-agent", "hairyo-test/1.0")])
        .await;
    let consent = r.expect(201, None);
    assert_eq!(consent["notice_version"], version.as_str());
    assert_eq!(consent["notice_sha256"], notice["sha256"]);
    assert_eq!(consent["method"], "api");
    assert_eq!(consent["user_agent"], "hairyo-test/1.0");
    let given: BTreeSet<String> = serde_json::from_value(consent["categories"].clone()).unwrap();
    assert_eq!(given, required.iter().cloned().collect());
    assert_eq!(consent["purposes"], json!([PURPOSE, "面接日程の調整"]));
    assert!(consent["withdrawn_at"].is_null());
    let released = env.get(&format!("/api/v1/documents/{}", id(&doc)), &owner).await.expect(200, None);
    assert_eq!(released["status"], "released");
    assert_eq!(released["consents"][0]["id"], consent["id"]);

    // Withdrawal: held again; a second withdrawal conflicts; unknown consents are 404.
    let wurl = format!("/api/v1/consents/{}/withdraw", id(&consent));
    let w = env.send("POST", &wurl, Some(&owner.token), Payload::None).await.expect(200, None);
    assert!(w["withdrawn_at"].is_string(), "{w}");
    let held = env.get(&format!("/api/v1/documents/{}", id(&doc)), &owner).await.expect(200, None);
    assert_eq!((held["status"].as_str(), held["reason"].as_str()), (Some("quarantined"), Some("consent_withdrawn")));
    assert!(held["consents"][0]["withdrawn_at"].is_string());
    env.send("POST", &wurl, Some(&owner.token), Payload::None).await.expect(409, Some("already_withdrawn"));
    env.send("POST", "/api/v1/consents/nope/withdraw", Some(&owner.token), Payload::None)
        .await
        .expect(404, Some("not_found"));

    // An unscannable document cannot be consented to (it was never checked).
    let pdf = env.uploaded(&owner, "broken.pdf", broken_pdf()).await;
    let r = env
        .post(
            &format!("/api/v1/documents/{}/consents", id(&pdf)),
            &owner,
            json!({ "categories": [], "purposes": [PURPOSE], "notice_version": version }),
        )
        .await;
    r.expect(409, Some("unscannable"));
}

// ---- review ---------------------------------------------------------------------------------

async fn review_queue_and_decisions(db: TestDb) {
    let env = Env::new(db).await;
    let a = env.user("候補者 佐藤", Role::Candidate).await;
    let b = env.user("候補者 鈴木", Role::Candidate).await;
    let advisor = env.user("アドバイザー 田中", Role::Advisor).await;
    let admin = env.user("管理者", Role::Admin).await;
    let first = env.uploaded(&a, "shokumu.txt", MEDICAL).await;
    let second = env.uploaded(&b, "shokumu.txt", DISABILITY).await;
    env.uploaded(&a, "clean.txt", CLEAN).await;
    assert_eq!(categories(&second), BTreeSet::from(["disability".to_string()]));

    // Oldest first: every finding of the first upload before those of the second.
    let queue = env.get("/api/v1/review/queue", &advisor).await.expect(200, None);
    let items = queue["items"].as_array().unwrap();
    let docs: Vec<String> = items.iter().map(|i| i["document_id"].as_str().unwrap().to_string()).collect();
    let n1 = first["findings"].as_array().unwrap().len();
    let n2 = second["findings"].as_array().unwrap().len();
    assert_eq!(docs, [vec![id(&first); n1], vec![id(&second); n2]].concat());
    let times: Vec<&str> = items.iter().map(|i| i["created_at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert!(items.iter().all(|i| i["document_status"] == "quarantined"));

    // ?category= filters; unknown categories are refused.
    let only = env.get("/api/v1/review/queue?category=disability", &advisor).await.expect(200, None);
    let only = only["items"].as_array().unwrap();
    assert_eq!(only.len(), n2);
    assert!(only.iter().all(|i| i["category"] == "disability" && i["document_id"] == id(&second).as_str()));
    env.get("/api/v1/review/queue?category=nationality", &advisor).await.expect(422, Some("unknown_category"));

    // One finding: bounded context, no offsets; unknown findings 404.
    let fid = items[0]["finding_id"].as_str().unwrap().to_string();
    let f = env.get(&format!("/api/v1/findings/{fid}"), &advisor).await.expect(200, None);
    assert_eq!(f["document_id"], id(&first).as_str());
    assert!(f["finding"]["context"]["span"].is_string() && f["finding"].get("start").is_none(), "{f}");
    env.get("/api/v1/findings/nope", &advisor).await.expect(404, Some("not_found"));

    // Decisions need a reason and a known decision.
    let rurl = format!("/api/v1/findings/{fid}/review");
    env.post(&rurl, &advisor, json!({ "decision": "confirmed" })).await.expect(422, Some("reason_required"));
    env.post(&rurl, &advisor, json!({ "decision": "confirmed", "reason": "   " }))
        .await
        .expect(422, Some("reason_required"));
    env.post(&rurl, &advisor, json!({ "decision": "maybe", "reason": "迷う" }))
        .await
        .expect(422, Some("invalid_decision"));
    env.post(&rurl, &advisor, json!({ "reason": "判定なし" })).await.expect(422, Some("invalid_body"));
    env.post("/api/v1/findings/nope/review", &advisor, json!({ "decision": "confirmed", "reason": "確認" }))
        .await
        .expect(404, Some("not_found"));

    // First document: one finding confirmed, the rest false positives: still held.
    let first_ids: Vec<String> = first["findings"].as_array().unwrap().iter().map(id).collect();
    let o = env
        .post(
            &format!("/api/v1/findings/{}/review", first_ids[0]),
            &advisor,
            json!({ "decision": "confirmed", "reason": "本人の病歴の記載" }),
        )
        .await;
    assert_eq!(o.expect(200, None)["document_released"], false);
    for fid in &first_ids[1..] {
        let o = env
            .post(
                &format!("/api/v1/findings/{fid}/review"),
                &advisor,
                json!({ "decision": "false_positive", "reason": "検証用" }),
            )
            .await;
        assert_eq!(o.expect(200, None)["document_released"], false);
    }
    let held = env.get(&format!("/api/v1/documents/{}", id(&first)), &a).await.expect(200, None);
    assert_eq!(held["status"], "quarantined");

    // Second document: every holding finding a false positive: released without consent.
    let second_ids: Vec<String> = second["findings"].as_array().unwrap().iter().map(id).collect();
    let mut last = Value::Null;
    for fid in &second_ids {
        last = env
            .post(
                &format!("/api/v1/findings/{fid}/review"),
                &advisor,
                json!({ "decision": "false_positive", "reason": "社名の一部であり本人の情報ではない" }),
            )
            .await
            .expect(200, None);
    }
    assert_eq!(last["document_released"], true);
    let released = env.get(&format!("/api/v1/documents/{}", id(&second)), &b).await.expect(200, None);
    assert_eq!(released["status"], "released");
    assert_eq!(released["consents"], json!([]));
    assert!(released["findings"].as_array().unwrap().iter().all(|f| f["review_state"] == "false_positive"));
    assert_eq!(env.get(&format!("/api/v1/documents/{}/content", id(&second)), &advisor).await.status, 200);

    // Another advisor confirms one of them: a confirmed special-care finding without consent
    // holds the document again, in the same transaction.
    let other = env.user("担当 二郎", Role::Advisor).await;
    let o = env
        .post(
            &format!("/api/v1/findings/{}/review", second_ids[0]),
            &other,
            json!({ "decision": "confirmed", "reason": "本人の病歴と判断" }),
        )
        .await;
    assert_eq!(o.expect(200, None)["document_released"], false);
    let again = env.get(&format!("/api/v1/documents/{}", id(&second)), &b).await.expect(200, None);
    assert_eq!(again["status"], "quarantined");
    assert_ne!(env.get(&format!("/api/v1/documents/{}/content", id(&second)), &advisor).await.status, 200);

    // Nothing left pending.
    assert_eq!(env.get("/api/v1/review/queue", &advisor).await.expect(200, None)["items"], json!([]));
    let audit = env.audit(&admin).await;
    assert_eq!(audit.iter().filter(|e| e["action"] == "review").count(), n1 + n2 + 1);
    assert!(audit.iter().any(|e| e["action"] == "review" && e["detail"]["held_again"] == true));
    assert!(audit.iter().any(|e| e["action"] == "review" && e["detail"]["released"] == true));
}

/// Erasure and the review that would release a document, run at the same time, many times: a
/// status change is guarded by the status it was decided from, so an erased document never
/// ends released (the race the security issue found in 14 of 60 attempts).
async fn an_erasure_racing_the_last_review_leaves_the_document_erased(db: TestDb) {
    let env = Env::new(db).await;
    let owner = env.user("候補者 佐藤", Role::Candidate).await;
    let advisor = env.user("担当 一郎", Role::Advisor).await;
    let mut erased = Vec::new();
    for _ in 0..24 {
        let doc = env.uploaded(&owner, "shokumu.txt", DISABILITY).await;
        let ids: Vec<String> = doc["findings"].as_array().unwrap().iter().map(id).collect();
        for fid in &ids[1..] {
            env.post(
                &format!("/api/v1/findings/{fid}/review"),
                &advisor,
                json!({ "decision": "false_positive", "reason": "検証" }),
            )
            .await
            .expect(200, None);
        }
        let (review_url, doc_url) =
            (format!("/api/v1/findings/{}/review", ids[0]), format!("/api/v1/documents/{}", id(&doc)));
        let review = env.post(&review_url, &advisor, json!({ "decision": "false_positive", "reason": "検証" }));
        let erase = env.send("DELETE", &doc_url, Some(&owner.token), Payload::None);
        let (review, erase) = tokio::join!(review, erase);
        assert!(matches!(review.status.as_u16(), 200 | 404 | 409), "{}", review.status);
        assert_eq!(erase.status, 204);
        erased.push(id(&doc));
    }
    for doc in erased {
        let status: String = sqlx::query_scalar("SELECT status FROM documents WHERE id = $1")
            .bind(&doc)
            .fetch_one(&env.service.store.pool)
            .await
            .unwrap();
        assert_eq!(status, "erased", "{doc}");
    }
}

// ---- redaction and erasure ------------------------------------------------------------------

async fn redact_releases_a_masked_copy_and_erases_the_original(db: TestDb) {
    let env = Env::new(db).await;
    let owner = env.user("候補者 佐藤", Role::Candidate).await;
    let advisor = env.user("アドバイザー 田中", Role::Advisor).await;
    let doc = env.uploaded(&owner, "shokumu.txt", MEDICAL).await;
    let old = id(&doc);

    let r = env.send("POST", &format!("/api/v1/documents/{old}/redact"), Some(&owner.token), Payload::None).await;
    let copy = r.expect(201, None);
    let new = id(&copy);
    assert_ne!(new, old);
    assert_eq!(copy["status"], "released");
    assert_eq!(copy["findings"], json!([]));

    let seen = env.get(&format!("/api/v1/documents/{new}"), &owner).await.expect(200, None);
    let text = seen["text"].as_str().unwrap();
    assert!(text.contains('■'), "{text}");
    for f in doc["findings"].as_array().unwrap() {
        assert!(!text.contains(f["text"].as_str().unwrap()), "{text}");
    }
    assert_eq!(text.chars().count(), MEDICAL.chars().count(), "one ■ per masked character");
    assert!(text.contains("前職では法人営業を担当しました。"), "the rest is kept: {text}");
    assert_eq!(seen["redacted_from"], old.as_str());
    assert_eq!(seen["status"], "released");

    // The original is gone: 404, no blobs, only the copy listed.
    env.get(&format!("/api/v1/documents/{old}"), &owner).await.expect(404, Some("not_found"));
    env.get(&format!("/api/v1/documents/{old}/content"), &owner).await.expect(404, Some("not_found"));
    env.send("POST", &format!("/api/v1/documents/{old}/redact"), Some(&owner.token), Payload::None)
        .await
        .expect(404, Some("not_found"));
    assert_eq!(env.blob_entries().await, vec![new.clone()]);
    assert_eq!(env.blob_count(&old).await, 0, "no blob of the erased original");
    let list = env.get("/api/v1/documents", &owner).await.expect(200, None);
    assert_eq!(list["documents"].as_array().unwrap().iter().map(id).collect::<Vec<_>>(), vec![new.clone()]);

    // Advisors may read the masked copy.
    let c = env.get(&format!("/api/v1/documents/{new}/content"), &advisor).await;
    assert_eq!(c.status, 200);
    assert_eq!(String::from_utf8(c.bytes).unwrap(), text);

    // Nothing to mask in a document that could not be read.
    let pdf = env.uploaded(&owner, "broken.pdf", broken_pdf()).await;
    env.send("POST", &format!("/api/v1/documents/{}/redact", id(&pdf)), Some(&owner.token), Payload::None)
        .await
        .expect(409, Some("unscannable"));
}

async fn delete_erases_rows_keys_and_blobs(db: TestDb) {
    let env = Env::new(db).await;
    let owner = env.user("候補者 佐藤", Role::Candidate).await;
    let admin = env.user("管理者", Role::Admin).await;
    let q = id(&env.uploaded(&owner, "shokumu.txt", MEDICAL).await);
    let r = id(&env.uploaded(&owner, "clean.txt", CLEAN).await);
    assert_eq!(env.blob_entries().await, {
        let mut v = vec![q.clone(), r.clone()];
        v.sort();
        v
    });

    let d = env.send("DELETE", &format!("/api/v1/documents/{q}"), Some(&owner.token), Payload::None).await;
    assert_eq!(d.status, 204);
    assert!(d.bytes.is_empty());
    env.get(&format!("/api/v1/documents/{q}"), &owner).await.expect(404, Some("not_found"));
    env.get(&format!("/api/v1/documents/{q}/content"), &owner).await.expect(404, Some("not_found"));
    env.send("DELETE", &format!("/api/v1/documents/{q}"), Some(&owner.token), Payload::None)
        .await
        .expect(404, Some("not_found"));
    assert_eq!(env.blob_entries().await, vec![r.clone()]);
    assert_eq!(env.blob_count(&q).await, 0, "no blob of the erased document");
    assert_eq!(env.count(&format!("SELECT COUNT(*) FROM findings WHERE document_id = '{q}'")).await, 0);
    assert_eq!(
        env.count(&format!(
            "SELECT COUNT(*) FROM documents WHERE id = '{q}' AND wrapped_key IS NULL AND status = 'erased'"
        ))
        .await,
        1
    );

    // An admin may erase too.
    assert_eq!(
        env.send("DELETE", &format!("/api/v1/documents/{r}"), Some(&admin.token), Payload::None).await.status,
        204
    );
    assert_eq!(env.blob_entries().await, Vec::<String>::new());
    assert_eq!(env.blob_count(&r).await, 0);
    assert_eq!(env.get("/api/v1/documents", &owner).await.expect(200, None)["documents"], json!([]));
    let erased: Vec<Value> = env.audit(&admin).await.into_iter().filter(|e| e["action"] == "erase").collect();
    assert_eq!(erased.len(), 2);
    assert_eq!(erased[1]["actor_id"], admin.id.as_str());
}

// ---- candidate rights and provision ---------------------------------------------------------

async fn export_holds_everything_about_the_candidate(db: TestDb) {
    let env = Env::new(db).await;
    let owner = env.user("候補者 佐藤", Role::Candidate).await;
    let other = env.user("候補者 鈴木", Role::Candidate).await;
    let advisor = env.user("アドバイザー 田中", Role::Advisor).await;
    let doc = env.uploaded(&owner, "shokumu.txt", MEDICAL).await;
    let theirs = env.uploaded(&other, "shokumu.txt", DISABILITY).await;
    let consent = env.consent_all(&owner, &doc, &[PURPOSE]).await;
    let fid = id(&doc["findings"][0]);
    env.post(
        &format!("/api/v1/findings/{fid}/review"),
        &advisor,
        json!({ "decision": "confirmed", "reason": "本人の病歴" }),
    )
    .await
    .expect(200, None);
    env.get(&format!("/api/v1/documents/{}", id(&doc)), &advisor).await.expect(200, None);
    let prov = env
        .post(
            &format!("/api/v1/documents/{}/provisions", id(&doc)),
            &advisor,
            json!({ "recipient": "株式会社みなと物流", "purpose": PURPOSE }),
        )
        .await
        .expect(201, None);

    let r = env.get("/api/v1/me/export", &owner).await;
    let export = r.expect(200, None);
    assert!(r.headers[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment"));
    assert_eq!(export["user"]["id"], owner.id.as_str());
    let docs = export["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["document"]["id"], id(&doc).as_str());
    assert_eq!(docs[0]["findings"].as_array().unwrap().len(), doc["findings"].as_array().unwrap().len());
    assert!(docs[0]["findings"][0]["text"].is_string(), "the candidate sees their spans");
    assert_eq!(docs[0]["consents"][0]["id"], consent["id"]);
    let reviews = export["reviews"].as_array().unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!(
        (reviews[0]["finding_id"].as_str(), reviews[0]["decision"].as_str()),
        (Some(fid.as_str()), Some("confirmed"))
    );
    assert_eq!(export["provisions"][0]["id"], prov["id"]);
    assert_eq!(export["provisions"][0]["recipient"], "株式会社みなと物流");
    let audit = export["audit"].as_array().unwrap();
    assert!(audit.iter().all(|e| e["subject_id"] == owner.id.as_str()));
    let acts: BTreeSet<String> = actions(audit).into_iter().collect();
    for a in ["user_created", "upload", "consent", "review", "view", "provision"] {
        assert!(acts.contains(a), "{a} missing from {acts:?}");
    }
    let raw = r.text();
    assert!(!raw.contains(&id(&theirs)) && !raw.contains(&other.id), "nothing about anyone else");

    // Erasing the document does not erase the consent record (it is proof, kept append-only):
    // what is still held is still disclosed.
    env.send("DELETE", &format!("/api/v1/documents/{}", id(&doc)), Some(&owner.token), Payload::None)
        .await
        .expect(204, None);
    let after = env.get("/api/v1/me/export", &owner).await.expect(200, None);
    assert_eq!(after["documents"], json!([]));
    assert_eq!(env.count("SELECT COUNT(*) FROM consents").await, 1, "the consent record is kept");
    let consents = after["consents"].as_array().expect("every consent the candidate gave");
    assert_eq!(consents.len(), 1, "{after}");
    assert_eq!(consents[0]["id"], consent["id"]);
    assert_eq!(after["provisions"][0]["id"], prov["id"]);
    assert_eq!(after["reviews"].as_array().unwrap().len(), 1);
    assert!(actions(after["audit"].as_array().unwrap()).contains(&"erase".to_string()));
}

async fn suspension_withholds_documents_from_advisors(db: TestDb) {
    let env = Env::new(db).await;
    let owner = env.user("候補者 佐藤", Role::Candidate).await;
    let other = env.user("候補者 鈴木", Role::Candidate).await;
    let advisor = env.user("アドバイザー 田中", Role::Advisor).await;
    let admin = env.user("管理者", Role::Admin).await;
    let released = env.uploaded(&owner, "clean.txt", CLEAN).await;
    env.consent_all(&owner, &released, &[PURPOSE]).await;
    let held = env.uploaded(&owner, "shokumu.txt", MEDICAL).await;
    let theirs = env.uploaded(&other, "shokumu.txt", DISABILITY).await;
    let rid = id(&released);
    env.get(&format!("/api/v1/documents/{rid}"), &advisor).await.expect(200, None);

    env.send("POST", "/api/v1/me/suspend", Some(&owner.token), Payload::None).await.expect(200, None);
    // Twice is harmless.
    env.send("POST", "/api/v1/me/suspend", Some(&owner.token), Payload::None).await.expect(200, None);
    assert_eq!(env.get("/api/v1/me", &owner).await.expect(200, None)["suspended"], true);

    env.get(&format!("/api/v1/documents/{rid}"), &advisor).await.expect(403, Some("suspended"));
    env.get(&format!("/api/v1/documents/{rid}/content"), &advisor).await.expect(403, Some("suspended"));
    env.post(
        &format!("/api/v1/documents/{rid}/provisions"),
        &advisor,
        json!({ "recipient": "株式会社みなと物流", "purpose": PURPOSE }),
    )
    .await
    .expect(403, Some("suspended"));
    let hfid = id(&held["findings"][0]);
    env.get(&format!("/api/v1/findings/{hfid}"), &advisor).await.expect(403, Some("suspended"));
    env.post(
        &format!("/api/v1/findings/{hfid}/review"),
        &advisor,
        json!({ "decision": "false_positive", "reason": "確認" }),
    )
    .await
    .expect(403, Some("suspended"));
    let list = env.get("/api/v1/documents", &advisor).await.expect(200, None);
    assert_eq!(list["documents"].as_array().unwrap().iter().map(id).collect::<Vec<_>>(), vec![id(&theirs)]);
    let queue = env.get("/api/v1/review/queue", &advisor).await.expect(200, None);
    let items = queue["items"].as_array().unwrap();
    assert!(!items.is_empty() && items.iter().all(|i| i["document_id"] == id(&theirs).as_str()), "{queue}");

    // The candidate and admins still reach the documents.
    env.get(&format!("/api/v1/documents/{rid}"), &owner).await.expect(200, None);
    assert_eq!(env.get(&format!("/api/v1/documents/{rid}/content"), &owner).await.status, 200);
    env.get(&format!("/api/v1/documents/{rid}"), &admin).await.expect(200, None);
    let export = env.get("/api/v1/me/export", &owner).await.expect(200, None);
    assert!(actions(export["audit"].as_array().unwrap()).contains(&"suspend".to_string()));
}

async fn provisions_need_a_released_document_and_a_consented_purpose(db: TestDb) {
    let env = Env::new(db).await;
    let owner = env.user("候補者 佐藤", Role::Candidate).await;
    let advisor = env.user("アドバイザー 田中", Role::Advisor).await;
    let doc = env.uploaded(&owner, "shokumu.txt", MEDICAL).await;
    let url = format!("/api/v1/documents/{}/provisions", id(&doc));
    let req = json!({ "recipient": "株式会社みなと物流", "purpose": PURPOSE });

    env.post(&url, &advisor, req.clone()).await.expect(403, Some("quarantined"));
    let consent = env.consent_all(&owner, &doc, &[PURPOSE]).await;
    env.post(&url, &advisor, json!({ "recipient": "株式会社みなと物流", "purpose": "販促メールの送付" }))
        .await
        .expect(422, Some("purpose_not_consented"));
    env.post(&url, &advisor, json!({ "recipient": " ", "purpose": PURPOSE }))
        .await
        .expect(422, Some("recipient_and_purpose_required"));
    env.post(&url, &advisor, json!({ "recipient": "株式会社みなと物流" })).await.expect(422, Some("invalid_body"));
    env.post("/api/v1/documents/nope/provisions", &advisor, req.clone()).await.expect(404, Some("not_found"));
    let p = env.post(&url, &advisor, req.clone()).await.expect(201, None);
    assert_eq!(p["consent_id"], consent["id"]);
    assert_eq!(p["advisor_id"], advisor.id.as_str());
    assert_eq!((p["recipient"].as_str(), p["purpose"].as_str()), (Some("株式会社みなと物流"), Some(PURPOSE)));

    // Released without any consent (nothing sensitive): no purpose was consented to.
    let clean = env.uploaded(&owner, "clean.txt", CLEAN).await;
    env.post(&format!("/api/v1/documents/{}/provisions", id(&clean)), &advisor, req.clone())
        .await
        .expect(422, Some("purpose_not_consented"));

    // The record is in the candidate's export.
    let export = env.get("/api/v1/me/export", &owner).await.expect(200, None);
    let provs = export["provisions"].as_array().unwrap();
    assert_eq!(provs.len(), 1);
    assert_eq!(provs[0]["id"], p["id"]);

    // Withdrawn: held again, no more provision.
    env.send("POST", &format!("/api/v1/consents/{}/withdraw", id(&consent)), Some(&owner.token), Payload::None)
        .await
        .expect(200, None);
    env.post(&url, &advisor, req).await.expect(403, Some("quarantined"));
}

// ---- administration -------------------------------------------------------------------------

async fn stats_suppress_cells_under_five(db: TestDb) {
    let env = Env::new(db).await;
    let admin = env.user("管理者", Role::Admin).await;
    let cand = env.user("候補者 佐藤", Role::Candidate).await;
    for _ in 0..5 {
        env.uploaded(&cand, "union.txt", UNION).await;
    }
    env.uploaded(&cand, "shokumu.txt", MEDICAL).await;

    let s = env.get("/api/v1/stats", &admin).await.expect(200, None);
    assert_eq!(s["suppressed_below"], 5);
    assert_eq!(s["documents_by_status"]["released"], 5);
    assert!(s["documents_by_status"]["quarantined"].is_null(), "1 document: suppressed: {s}");
    assert!(s["documents_by_status"]["erased"].is_null());
    let cats = s["documents_by_category"].as_object().unwrap();
    assert_eq!(cats.len(), 14, "every category is listed: {s}");
    assert_eq!(cats["union_membership"], 5);
    assert!(cats["medical_history"].is_null() && cats["race"].is_null(), "{s}");
    assert!(cats.values().all(|v| v.is_null() || v.as_i64().unwrap() >= 5));
    env.get("/api/v1/stats", &cand).await.expect(403, Some("forbidden"));
}

async fn audit_log_is_chained_and_tampering_is_detected(db: TestDb) {
    let env = Env::new(db).await;
    let admin = env.user("管理者", Role::Admin).await;
    let cand = env.user("候補者 佐藤", Role::Candidate).await;
    let doc = env.uploaded(&cand, "shokumu.txt", MEDICAL).await;
    env.consent_all(&cand, &doc, &[PURPOSE]).await;

    let entries = env.audit(&admin).await;
    assert_eq!(actions(&entries), ["user_created", "user_created", "upload", "consent"]);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e["seq"], i as i64 + 1);
        if i > 0 {
            assert_eq!(e["prev_hash"], entries[i - 1]["hash"]);
        }
    }
    let raw = serde_json::to_string(&entries).unwrap();
    assert!(!raw.contains("喘息") && !raw.contains("佐藤"), "no text or names in the audit log: {raw}");
    let page = env.get("/api/v1/audit?after=2&limit=1", &admin).await.expect(200, None);
    assert_eq!(page["entries"].as_array().unwrap().len(), 1);
    assert_eq!(page["entries"][0]["seq"], 3);

    let v = env.get("/api/v1/audit/verify", &admin).await.expect(200, None);
    assert_eq!(v, json!({ "ok": true, "entries": 4 }));

    // Tamper with the database directly, behind the service's back.
    {
        use sqlx::Connection;
        let mut conn = env.raw_connection().await;
        let n = sqlx::query("UPDATE audit SET detail = '{\"role\":\"admin\"}' WHERE seq = 2")
            .execute(&mut conn)
            .await
            .expect("tamper");
        assert_eq!(n.rows_affected(), 1);
        conn.close().await.unwrap();
    }
    let v = env.get("/api/v1/audit/verify", &admin).await.expect(200, None);
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["broken_at"], 2, "{v}");
    assert!(v["why"].is_string());
}

async fn admins_create_users_whose_tokens_work(db: TestDb) {
    let env = Env::new(db).await;
    let admin = env.user("管理者", Role::Admin).await;
    let r = env.post("/api/v1/users", &admin, json!({ "name": "アドバイザー 山本", "role": "advisor" })).await;
    let created = r.expect(201, None);
    let token = created["token"].as_str().unwrap().to_string();
    assert_eq!(created["user"]["role"], "advisor");
    let new = Who { id: id(&created["user"]), token };
    let me = env.get("/api/v1/me", &new).await.expect(200, None);
    assert_eq!(
        (me["id"].as_str(), me["role"].as_str(), me["name"].as_str()),
        (Some(new.id.as_str()), Some("advisor"), Some("アドバイザー 山本"))
    );
    env.get("/api/v1/review/queue", &new).await.expect(200, None);

    env.post("/api/v1/users", &admin, json!({ "name": "誰か", "role": "root" }))
        .await
        .expect(422, Some("invalid_role"));
    env.post("/api/v1/users", &admin, json!({ "name": "  ", "role": "candidate" }))
        .await
        .expect(422, Some("invalid_name"));
    env.post("/api/v1/users", &admin, json!({ "role": "candidate" })).await.expect(422, Some("invalid_body"));

    let users = env.get("/api/v1/users", &admin).await;
    let list = users.expect(200, None);
    let ids: Vec<String> = list["users"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(ids, vec![admin.id.clone(), new.id.clone()]);
    assert!(!users.text().contains("token"), "no token or token hash is listed");
}

async fn probes_metrics_notice_and_openapi(db: TestDb) {
    let env = Env::new(db).await;
    let cand = env.user("候補者 佐藤", Role::Candidate).await;
    let h = env.send("GET", "/healthz", None, Payload::None).await;
    assert_eq!((h.status.as_u16(), h.text().as_str()), (200, "ok"));
    assert_eq!(env.send("GET", "/readyz", None, Payload::None).await.status, 200);
    env.uploaded(&cand, "union.txt", UNION).await;

    // Metrics are for an admin's token (a scraper's), not for anyone on the network.
    let admin = env.user("管理者", Role::Admin).await;
    assert_eq!(env.send("GET", "/metrics", None, Payload::None).await.status, 401);
    assert_eq!(env.get("/metrics", &cand).await.status, 403);
    let m = env.get("/metrics", &admin).await;
    assert_eq!(m.status, 200);
    let text = m.text();
    // Findings are counted, never by category: that would show what each upload held.
    assert!(!text.contains("category="), "{text}");
    for name in [
        "hairyo_http_requests_total",
        "hairyo_http_request_seconds",
        "hairyo_uploads_total",
        "hairyo_findings_total",
        "hairyo_pipeline_seconds",
    ] {
        assert!(text.contains(name), "{name} missing from /metrics");
    }
    assert!(text.contains("verdict=\"flag\""), "uploads by verdict");
    // Requests are labelled by route template, never by the raw path with its ids.
    let doc = env.uploaded(&cand, "clean.txt", CLEAN).await;
    env.get(&format!("/api/v1/documents/{}", id(&doc)), &cand).await.expect(200, None);
    let text = env.get("/metrics", &admin).await.text();
    assert!(text.contains("route=\"/api/v1/documents/{id}\""), "{text}");
    assert!(!text.contains(&id(&doc)), "no document id in the metrics");

    // Nothing a cache could keep: document text, findings and files are no-store.
    for path in [format!("/api/v1/documents/{}", id(&doc)), format!("/api/v1/documents/{}/content", id(&doc))] {
        let r = env.get(&path, &cand).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.headers.get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"), "{path}");
    }

    let n = env.send("GET", "/api/v1/notice", None, Payload::None).await.expect(200, None);
    assert!(n["version"].is_string() && n["sha256"].as_str().unwrap().len() == 64 && n["text"].is_string());

    let o = env.send("GET", "/api/v1/openapi.json", None, Payload::None).await;
    assert_eq!(o.status, 200);
    let spec = o.json();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let paths = spec["paths"].as_object().unwrap();
    for (method, path) in documented_routes() {
        assert!(
            paths.get(&path).and_then(|p| p.get(method.to_lowercase())).is_some(),
            "{method} {path} not in openapi.json"
        );
    }
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            assert!(
                documented_routes().contains(&(method.to_uppercase(), path.clone())),
                "openapi.json documents {method} {path} that the matrix does not test"
            );
        }
    }

    // Malformed credentials are 401 like missing ones.
    for auth in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "bearer x"] {
        let r = env.send_with("GET", "/api/v1/me", None, Payload::None, &[("authorization", auth)]).await;
        r.expect(401, Some("unauthenticated"));
    }
}

// ---- the authorisation matrix ---------------------------------------------------------------

/// What a request sends.
#[derive(Clone, Copy, Debug)]
enum B {
    /// Nothing.
    No,
    /// A clean text file (multipart).
    Upload,
    /// A complete consent for {Q}.
    Consent,
    /// A review decision.
    Review,
    /// A provision for the consented purpose.
    Provide,
    /// A new user.
    NewUser,
    /// A rescan request (a dry run).
    Rescan,
}

const U: &str = "401 unauthenticated";
const NF: &str = "404 not_found";
const F: &str = "403 forbidden";
const QH: &str = "403 quarantined";

/// Columns: the caller.
const ROLES: [&str; 6] = ["anonymous", "wrong token", "owner", "other candidate", "advisor", "admin"];

/// Every endpoint × every caller, with a document of `owner`: {Q} quarantined (medical
/// history, no consent), {R} released (medical history, consented for the purpose), {C} the
/// consent on {R}, {F} a finding of {Q}, {S} a finished rescan, {N} a notification to `owner`
/// about {Q}. A cell is the status, and for errors the code.
#[rustfmt::skip]
const MATRIX: &[(&str, &str, B, [&str; 6])] = &[
    // method   path                                   body        anonymous wrong token owner  other cand. advisor  admin
    ("GET",    "/healthz",                             B::No,      ["200",   "200",      "200", "200",      "200",   "200"]),
    ("GET",    "/readyz",                              B::No,      ["200",   "200",      "200", "200",      "200",   "200"]),
    ("GET",    "/metrics",                             B::No,      [U,       U,          F,     F,          F,       "200"]),
    ("GET",    "/api/v1/notice",                       B::No,      ["200",   "200",      "200", "200",      "200",   "200"]),
    ("GET",    "/api/v1/openapi.json",                 B::No,      ["200",   "200",      "200", "200",      "200",   "200"]),
    ("GET",    "/api/v1/me",                           B::No,      [U,       U,          "200", "200",      "200",   "200"]),
    ("POST",   "/api/v1/documents",                    B::Upload,  [U,       U,          "201", "201",      F,       F    ]),
    ("GET",    "/api/v1/documents",                    B::No,      [U,       U,          "200", "200",      "200",   "200"]),
    ("GET",    "/api/v1/documents/{Q}",                B::No,      [U,       U,          "200", NF,         "200",   "200"]),
    ("GET",    "/api/v1/documents/{R}",                B::No,      [U,       U,          "200", NF,         "200",   "200"]),
    ("GET",    "/api/v1/documents/{Q}/content",        B::No,      [U,       U,          "200", NF,         QH,      QH   ]),
    ("GET",    "/api/v1/documents/{R}/content",        B::No,      [U,       U,          "200", NF,         "200",   "200"]),
    ("POST",   "/api/v1/documents/{Q}/consents",       B::Consent, [U,       U,          "201", NF,         F,       F    ]),
    ("POST",   "/api/v1/consents/{C}/withdraw",        B::No,      [U,       U,          "200", NF,         F,       F    ]),
    ("POST",   "/api/v1/documents/{Q}/redact",         B::No,      [U,       U,          "201", NF,         F,       F    ]),
    ("POST",   "/api/v1/documents/{R}/redact",         B::No,      [U,       U,          "201", NF,         F,       F    ]),
    ("DELETE", "/api/v1/documents/{Q}",                B::No,      [U,       U,          "204", NF,         F,       "204"]),
    ("DELETE", "/api/v1/documents/{R}",                B::No,      [U,       U,          "204", NF,         F,       "204"]),
    ("POST",   "/api/v1/documents/{Q}/provisions",     B::Provide, [U,       U,          F,     F,          QH,      F    ]),
    ("POST",   "/api/v1/documents/{R}/provisions",     B::Provide, [U,       U,          F,     F,          "201",   F    ]),
    ("GET",    "/api/v1/review/queue",                 B::No,      [U,       U,          F,     F,          "200",   F    ]),
    ("GET",    "/api/v1/findings/{F}",                 B::No,      [U,       U,          F,     F,          "200",   "200"]),
    ("POST",   "/api/v1/findings/{F}/review",          B::Review,  [U,       U,          F,     F,          "200",   F    ]),
    ("GET",    "/api/v1/me/export",                    B::No,      [U,       U,          "200", "200",      F,       F    ]),
    ("POST",   "/api/v1/me/suspend",                   B::No,      [U,       U,          "200", "200",      F,       F    ]),
    ("GET",    "/api/v1/users",                        B::No,      [U,       U,          F,     F,          F,       "200"]),
    ("POST",   "/api/v1/users",                        B::NewUser, [U,       U,          F,     F,          F,       "201"]),
    ("GET",    "/api/v1/stats",                        B::No,      [U,       U,          F,     F,          F,       "200"]),
    ("GET",    "/api/v1/audit",                        B::No,      [U,       U,          F,     F,          F,       "200"]),
    ("GET",    "/api/v1/audit/verify",                 B::No,      [U,       U,          F,     F,          F,       "200"]),
    ("POST",   "/api/v1/rescans",                      B::Rescan,  [U,       U,          F,     F,          F,       "202"]),
    ("GET",    "/api/v1/rescans",                      B::No,      [U,       U,          F,     F,          F,       "200"]),
    ("GET",    "/api/v1/rescans/{S}",                  B::No,      [U,       U,          F,     F,          F,       "200"]),
    ("GET",    "/api/v1/notifications",                B::No,      [U,       U,          "200", "200",      F,       F    ]),
    ("POST",   "/api/v1/notifications/{N}/read",       B::No,      [U,       U,          "200", NF,         F,       F    ]),
];

/// (METHOD, OpenAPI path) of every row of the matrix.
fn documented_routes() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = MATRIX
        .iter()
        .map(|(m, p, _, _)| {
            let p = ["{Q}", "{R}", "{C}", "{F}", "{S}", "{N}"].iter().fold(p.to_string(), |p, h| p.replace(h, "{id}"));
            (m.to_string(), p)
        })
        .filter(|(_, p)| p != "/api/v1/openapi.json")
        .collect();
    out.dedup();
    out
}

/// The documents and users every cell of the matrix starts from.
struct Fixture {
    env: Env,
    owner: Who,
    other: Who,
    advisor: Who,
    admin: Who,
    q: Value,
    r: String,
    c: String,
    f: String,
    s: String,
    n: String,
    version: String,
}

impl Fixture {
    async fn new(db: TestDb) -> Self {
        let env = Env::new(db).await;
        let owner = env.user("候補者 佐藤", Role::Candidate).await;
        let other = env.user("候補者 鈴木", Role::Candidate).await;
        let advisor = env.user("アドバイザー 田中", Role::Advisor).await;
        let admin = env.user("管理者", Role::Admin).await;
        let q = env.uploaded(&owner, "shokumu.txt", MEDICAL).await;
        assert_eq!(q["status"], "quarantined");
        let r = env.uploaded(&owner, "rirekisho.txt", SURGERY).await;
        assert_eq!(r["status"], "quarantined");
        let consent = env.consent_all(&owner, &r, &[PURPOSE]).await;
        let f = id(&q["findings"][0]);
        let version = env.notice_version().await;
        // Every document is current: a stale rescan has nothing to do and is finished at once.
        let req = RescanRequest { mode: Mode::Stale, dry_run: true, reextract: false, full: false, batch_size: None };
        let rescan = env.service.start_rescan(None, req, "cli").await.expect("rescan");
        assert_eq!(rescan.state, "finished");
        let n = env.notify(&owner, &id(&q), &["medical_history"]).await;
        Self { r: id(&r), c: id(&consent), f, s: rescan.id, n, q, version, env, owner, other, advisor, admin }
    }

    fn token(&self, role: &str) -> Option<String> {
        match role {
            "anonymous" => None,
            "wrong token" => Some(format!("hry_{}", "0".repeat(64))),
            "owner" => Some(self.owner.token.clone()),
            "other candidate" => Some(self.other.token.clone()),
            "advisor" => Some(self.advisor.token.clone()),
            "admin" => Some(self.admin.token.clone()),
            _ => unreachable!(),
        }
    }

    async fn call(&self, method: &str, path: &str, body: B, role: &str) -> Resp {
        let path = path
            .replace("{Q}", &id(&self.q))
            .replace("{R}", &self.r)
            .replace("{C}", &self.c)
            .replace("{F}", &self.f)
            .replace("{S}", &self.s)
            .replace("{N}", &self.n);
        let payload = match body {
            B::No => Payload::None,
            B::Upload => Payload::File("clean.txt", CLEAN.as_bytes().to_vec()),
            B::Consent => Payload::Json(
                json!({ "categories": special_care(&self.q), "purposes": [PURPOSE], "notice_version": self.version }),
            ),
            B::Review => Payload::Json(json!({ "decision": "confirmed", "reason": "本人の病歴の記載" })),
            B::Provide => Payload::Json(json!({ "recipient": "株式会社みなと物流", "purpose": PURPOSE })),
            B::NewUser => Payload::Json(json!({ "name": "アドバイザー 山本", "role": "advisor" })),
            B::Rescan => Payload::Json(json!({ "mode": "all", "dry_run": true })),
        };
        self.env.send(method, &path, self.token(role).as_deref(), payload).await
    }
}

async fn authorization_matrix(db: TestDb) {
    let mut fx = Fixture::new(db).await;
    let mut failures = Vec::new();
    let mut cells = 0;
    for (method, path, body, expected) in MATRIX {
        for (role, want) in ROLES.iter().zip(expected) {
            cells += 1;
            let resp = fx.call(method, path, *body, role).await;
            let (want_status, want_code) = match want.split_once(' ') {
                Some((s, c)) => (s.parse::<u16>().unwrap(), Some(c)),
                None => (want.parse::<u16>().unwrap(), None),
            };
            let got_code = if resp.status.is_client_error() || resp.status.is_server_error() {
                serde_json::from_slice::<Value>(&resp.bytes)
                    .ok()
                    .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
            } else {
                None
            };
            if resp.status.as_u16() != want_status || want_code.is_some_and(|c| got_code.as_deref() != Some(c)) {
                failures.push(format!(
                    "{method} {path} as {role}: expected {want}, got {} {} — {}",
                    resp.status.as_u16(),
                    got_code.unwrap_or_default(),
                    resp.text().chars().take(200).collect::<String>()
                ));
            }
            // A refusal never carries what it refuses.
            if !resp.status.is_success() {
                for secret in ["喘息", "ヘルニア", "佐藤"] {
                    if resp.text().contains(secret) {
                        failures.push(format!("{method} {path} as {role}: the refusal contains {secret}"));
                    }
                }
            }
            // A request that changed something gets a fresh world for the next cell.
            if resp.status.is_success() && *method != "GET" {
                fx = Fixture::new(fx.env.db.fresh().await).await;
            }
        }
    }
    assert_eq!(cells, MATRIX.len() * ROLES.len());
    assert!(failures.is_empty(), "{} of {cells} cells differ:\n{}", failures.len(), failures.join("\n"));
}

/// Issue 5 groundwork: documents scanned with another detector version are counted as stale.
async fn dictionary_status_counts_stale_documents(db: TestDb) {
    let env = Env::new(db).await;
    let who = env.user("候補者", Role::Candidate).await;
    let cand = env.service.authenticate(&who.token).await.expect("token");
    env.service.upload(&cand, "a.txt", "持病の喘息があります。".as_bytes().to_vec()).await.expect("upload");
    env.service.upload(&cand, "b.txt", "営業を担当しました。".as_bytes().to_vec()).await.expect("upload");
    let status = env.service.dictionary_status().await.expect("status");
    assert_eq!((status.documents, status.stale), (2, 0));
    assert_eq!(status.current, env.service.pipeline.detector().version());
    sqlx::query(
        "UPDATE documents SET detector_version = 'dict-old.ipadic-old' WHERE id IN (SELECT id FROM documents LIMIT 1)",
    )
    .execute(&env.service.store.pool)
    .await
    .expect("update");
    let status = env.service.dictionary_status().await.expect("status");
    assert_eq!((status.documents, status.stale), (2, 1));
    assert_eq!(status.stale_by_version, vec![("dict-old.ipadic-old".to_string(), 1)]);
}

// ---- rescans and notifications --------------------------------------------------------------

/// Starts a rescan through the API, runs a worker for it beside the polling client, and
/// returns the final progress once the API reports it finished.
async fn rescan_through_the_api(env: &Env, admin: &Who, request: Value) -> Value {
    let r = env.post("/api/v1/rescans", admin, request.clone()).await;
    let started = r.expect(202, None);
    let rescan_id = id(&started);
    assert_eq!(r.headers[header::LOCATION], format!("/api/v1/rescans/{rescan_id}").as_str());
    assert_eq!(started["state"], "running", "{started}");
    assert_eq!(started["origin"], "api");
    assert_eq!(started["mode"], request["mode"]);
    assert_eq!(started["dry_run"], request["dry_run"].as_bool().unwrap_or(false));
    assert_eq!(started["target_version"], env.service.pipeline.detector().version());
    assert_eq!(started["progress"], json!({ "done": 0, "failed": 0, "pending": started["total"] }));

    // No worker runs inside this Env: one of our own, for this rescan only, beside the poller.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = {
        let service = env.service.clone();
        let only = Some(rescan_id.clone());
        tokio::spawn(async move {
            Worker::new(service, Duration::from_secs(30), only).run(stop_rx, Duration::from_millis(50)).await
        })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let progress = loop {
        let p = env.get(&format!("/api/v1/rescans/{rescan_id}"), admin).await.expect(200, None);
        if p["state"] == "finished" {
            break p;
        }
        assert_eq!(p["state"], "running", "{p}");
        assert!(std::time::Instant::now() < deadline, "rescan not finished in 120 s: {p}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let stats = tokio::time::timeout(Duration::from_secs(30), worker)
        .await
        .expect("the worker stops once its rescan is finished")
        .expect("worker task")
        .expect("worker");
    assert!(stats.jobs >= 1 && stats.retried == 0, "{stats:?}");
    drop(stop_tx);
    progress
}

async fn admins_run_rescans_and_follow_their_progress(db: TestDb) {
    let env = Env::new(db).await;
    let cand = env.user("候補者 佐藤", Role::Candidate).await;
    let advisor = env.user("アドバイザー 田中", Role::Advisor).await;
    let admin = env.user("管理者", Role::Admin).await;
    let held = env.uploaded(&cand, "shokumu.txt", MEDICAL).await;
    assert_eq!(held["status"], "quarantined");
    let released = env.uploaded(&cand, "rirekisho.txt", SURGERY).await;
    env.consent_all(&cand, &released, &[PURPOSE]).await;
    env.uploaded(&cand, "clean.txt", CLEAN).await;
    env.uploaded(&cand, "union.txt", UNION).await;
    let documents = 4;
    let before = env.get("/api/v1/documents", &admin).await.expect(200, None);
    let findings = env.count("SELECT COUNT(*) FROM findings").await;

    // The documents were scanned with this very detector: only "all" finds work, and a full
    // scan finds exactly what the uploads found.
    let dry = rescan_through_the_api(&env, &admin, json!({ "mode": "all", "full": true, "dry_run": true })).await;
    assert_eq!(dry["total"], documents);
    assert_eq!(dry["progress"], json!({ "done": documents, "failed": 0, "pending": 0 }), "{dry}");
    assert_eq!(dry["summary"]["scanned"], documents, "{dry}");
    assert_eq!(dry["summary"]["changed"], 0, "{dry}");
    assert_eq!(dry["summary"]["requarantined"], 0, "{dry}");
    assert!(dry["finished_at"].is_string(), "{dry}");
    // A dry run changes nothing, the audit log included.
    assert!(!actions(&env.audit(&admin).await).contains(&"rescan_started".to_string()));

    let real = rescan_through_the_api(&env, &admin, json!({ "mode": "all", "full": true })).await;
    assert_eq!(real["progress"], json!({ "done": documents, "failed": 0, "pending": 0 }), "{real}");
    assert_eq!(real["summary"]["changed"], 0, "{real}");
    assert_eq!(real["summary"]["requarantined"], 0, "{real}");
    assert_eq!(real["dry_run"], false);
    let after = env.get("/api/v1/documents", &admin).await.expect(200, None);
    let statuses = |v: &Value| -> Vec<(Value, Value, Value)> {
        v["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["id"].clone(), d["status"].clone(), d["reason"].clone()))
            .collect()
    };
    assert_eq!(statuses(&after), statuses(&before), "nothing changed status");
    assert_eq!(env.count("SELECT COUNT(*) FROM findings").await, findings);
    assert_eq!(env.count("SELECT COUNT(*) FROM notifications").await, 0);
    let started: Vec<Value> = env.audit(&admin).await.into_iter().filter(|e| e["action"] == "rescan_started").collect();
    assert_eq!(started.len(), 1, "{started:?}");
    assert_eq!(started[0]["actor_id"], admin.id.as_str());
    assert_eq!(started[0]["detail"]["rescan"], real["id"]);

    // The list, newest first; each in full.
    let list = env.get("/api/v1/rescans", &admin).await.expect(200, None);
    let ids: Vec<&Value> = list["rescans"].as_array().unwrap().iter().map(|r| &r["id"]).collect();
    assert_eq!(ids, vec![&real["id"], &dry["id"]], "{list}");
    assert_eq!(list["rescans"][0]["state"], "finished");

    // Stale mode: nothing is stale, so the rescan is finished as soon as it is made.
    let r = env.post("/api/v1/rescans", &admin, json!({})).await.expect(202, None);
    assert_eq!(
        (r["mode"].as_str(), r["state"].as_str(), r["total"].as_i64()),
        (Some("stale"), Some("finished"), Some(0))
    );

    // Refusals: the role before the body, unknown fields and bad values, unknown ids.
    let rescans = env.count("SELECT COUNT(*) FROM rescans").await;
    for who in [&cand, &advisor] {
        env.post("/api/v1/rescans", who, json!({ "mode": "all" })).await.expect(403, Some("forbidden"));
        env.post("/api/v1/rescans", who, json!({ "nonsense": 1 })).await.expect(403, Some("forbidden"));
        env.get("/api/v1/rescans", who).await.expect(403, Some("forbidden"));
        env.get(&format!("/api/v1/rescans/{}", id(&real)), who).await.expect(403, Some("forbidden"));
    }
    let anonymous = env.send("POST", "/api/v1/rescans", None, Payload::Json(json!({}))).await;
    anonymous.expect(401, Some("unauthenticated"));
    for bad in [
        json!({ "mode": "all", "dryrun": true }),
        json!({ "mode": "everything" }),
        json!({ "dry_run": "yes" }),
        json!(["all"]),
    ] {
        env.post("/api/v1/rescans", &admin, bad).await.expect(400, Some("invalid_body"));
    }
    let not_json =
        env.send("POST", "/api/v1/rescans", Some(&admin.token), Payload::Raw("text/plain".into(), b"{}".to_vec()));
    not_json.await.expect(400, Some("invalid_body"));
    assert_eq!(env.count("SELECT COUNT(*) FROM rescans").await, rescans, "a refused request starts nothing");
    env.get(&format!("/api/v1/rescans/{}", new_id()), &admin).await.expect(404, Some("not_found"));
}

async fn candidates_read_their_own_notifications(db: TestDb) {
    let env = Env::new(db).await;
    let owner = env.user("候補者 佐藤", Role::Candidate).await;
    let other = env.user("候補者 鈴木", Role::Candidate).await;
    let advisor = env.user("アドバイザー 田中", Role::Advisor).await;
    let admin = env.user("管理者", Role::Admin).await;
    let doc = id(&env.uploaded(&owner, "shokumu.txt", MEDICAL).await);
    let clean = id(&env.uploaded(&owner, "clean.txt", CLEAN).await);
    let theirs = id(&env.uploaded(&other, "shokumu.txt", DISABILITY).await);
    let first = env.notify(&owner, &clean, &["union_membership"]).await;
    let second = env.notify(&owner, &doc, &["medical_history", "medical_care"]).await;
    let others = env.notify(&other, &theirs, &["disability"]).await;

    // Own only, newest first, in the documented shape.
    let list = env.get("/api/v1/notifications", &owner).await.expect(200, None);
    let notes = list["notifications"].as_array().expect("notifications");
    let ids: Vec<String> = notes.iter().map(id).collect();
    assert_eq!(ids, vec![second.clone(), first.clone()], "{list}");
    assert_eq!(
        notes[0],
        json!({
            "id": second, "document_id": doc, "kind": "requarantined",
            "categories": ["medical_history", "medical_care"], "created_at": notes[0]["created_at"], "read_at": null,
        })
    );
    assert!(notes[0]["created_at"].is_string());
    let mine = env.get("/api/v1/notifications", &other).await.expect(200, None);
    assert_eq!(mine["notifications"].as_array().unwrap().iter().map(id).collect::<Vec<_>>(), vec![others.clone()]);
    for who in [&advisor, &admin] {
        env.get("/api/v1/notifications", who).await.expect(403, Some("forbidden"));
        env.post(&format!("/api/v1/notifications/{second}/read"), who, json!({})).await.expect(403, Some("forbidden"));
    }

    // Marking read: someone else's is not found (and stays unread); the first time counts.
    env.post(&format!("/api/v1/notifications/{second}/read"), &other, json!({})).await.expect(404, Some("not_found"));
    env.post(&format!("/api/v1/notifications/{}/read", new_id()), &owner, json!({}))
        .await
        .expect(404, Some("not_found"));
    assert_eq!(env.count("SELECT COUNT(*) FROM notifications WHERE read_at IS NOT NULL").await, 0);
    let read = env.post(&format!("/api/v1/notifications/{second}/read"), &owner, json!({})).await.expect(200, None);
    assert_eq!(read["id"], second.as_str());
    let read_at = read["read_at"].as_str().expect("read_at").to_string();
    let again = env.post(&format!("/api/v1/notifications/{second}/read"), &owner, json!({})).await.expect(200, None);
    assert_eq!(again["read_at"], read_at.as_str(), "the first reading counts");
    let list = env.get("/api/v1/notifications", &owner).await.expect(200, None);
    assert_eq!(list["notifications"][0]["read_at"], read_at.as_str());
    assert_eq!(list["notifications"][1]["read_at"], Value::Null);
    assert_eq!(
        env.get("/api/v1/notifications", &other).await.expect(200, None)["notifications"][0]["read_at"],
        Value::Null
    );

    // 開示: the export holds them, and nothing of anyone else's.
    let r = env.get("/api/v1/me/export", &owner).await;
    let export = r.expect(200, None);
    assert_eq!(export["notifications"], list["notifications"], "{export}");
    assert!(!r.text().contains(&others), "nothing about anyone else");

    // Erasing a document erases its notifications (they name what was found in it).
    env.send("DELETE", &format!("/api/v1/documents/{doc}"), Some(&owner.token), Payload::None).await.expect(204, None);
    let list = env.get("/api/v1/notifications", &owner).await.expect(200, None);
    assert_eq!(list["notifications"].as_array().unwrap().iter().map(id).collect::<Vec<_>>(), vec![first.clone()]);
    let export = env.get("/api/v1/me/export", &owner).await.expect(200, None);
    assert_eq!(export["notifications"].as_array().unwrap().len(), 1);
    assert_eq!(env.count(&format!("SELECT COUNT(*) FROM notifications WHERE document_id = '{doc}'")).await, 0);
}
