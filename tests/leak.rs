//! The leak test of the upload service (issue 3, acceptance): no plaintext of a document, of a
//! finding's span or of a file name reaches the data directory or the logs.
//!
//! Starts the real binary (`hairyo serve`) on a temporary data directory with debug logging
//! captured, uploads documents containing known sensitive sentences (a text file, and the
//! committed DOCX and PDF fixtures), runs the whole flow as candidate, advisor and admin
//! (owner and advisor views, content, review queue and reviews, consent, provision,
//! withdrawal, redaction, export, suspension, deletion, statistics, audit), then searches
//! every file under the data directory (database with its encrypted blobs, `-wal`, `-shm`,
//! key file), the
//! server's temporary directory and the captured logs for the sentences, for distinctive
//! sensitive terms and for the uploaded file names, as UTF-8 bytes: zero hits. The search
//! runs twice, while the server is still running (the WAL holds the recent writes) and after
//! it stopped.
//!
//! One table legitimately holds some of those terms: `detector_snapshots`, the dictionaries
//! the server records for incremental rescans (dictionary terms such as 喘息, not document
//! data). While the server runs, a term found in that snapshot is therefore looked for
//! everywhere but the database files; after the stop the snapshot is deleted with
//! `secure_delete` and the WAL folded in, and every term is looked for in every file.
//!
//! The API is checked to have returned those sentences to their owner, so the search looks
//! for data that really went in.

mod server_harness;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use serde_json::{Value, json};
use server_harness::{Server, client, create_user, file_form, files_under, sample, verify_audit};

/// The custom text upload: two sentences with special-care information.
const ASTHMA_SENTENCE: &str = "気管支喘息のため、月に一度呼吸器内科に通院しています。";
const ADJUSTMENT_SENTENCE: &str = "2020年に適応障害と診断され、三か月間休職した経験があります。";
const TEXT_NAME: &str = "森川遥_健康メモ_気管支喘息.txt";
const CAND2_TEXT_NAME: &str = "saeki_kenko_zensoku_note.txt";
/// Plain data the flow sends on purpose (kept in the database as given).
const PLAIN_INPUTS: &[&str] = &[
    "森川 遥",
    "佐伯 真琴",
    "担当 一郎",
    "管理 花子",
    "株式会社サンプル商事",
    "求人企業への推薦",
    "本人の記載どおりであることを確認",
    "検証用の判定（テスト）",
];

fn custom_text() -> String {
    format!(
        "履歴書\n氏名　森川　遥\n職歴\n2018年4月　株式会社みどり物産　入社（営業事務）\n健康状態\n{ASTHMA_SENTENCE}\n本人希望記入欄\n{ADJUSTMENT_SENTENCE}\n"
    )
}

/// What must never be found on disk or in the logs.
fn needles() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<String> = vec![
        // Whole sentences.
        ASTHMA_SENTENCE.into(),
        ADJUSTMENT_SENTENCE.into(),
        // From samples/rirekisho_chronic_illness.{docx,pdf}.
        "1型糖尿病（20歳で発症）".into(),
        "インスリン注射で血糖値を管理しており".into(),
        "通院のため、月に1回、平日の午前に半休".into(),
        // From samples/resume_two_pages.pdf.
        "適応障害と診断され、半年間休職しました".into(),
        "長時間の障害対応が続いたことをきっかけに".into(),
        // Distinctive terms.
        "喘息".into(),
        "1型糖尿病".into(),
        "糖尿病".into(),
        "適応障害".into(),
        "インスリン".into(),
        "呼吸器内科".into(),
        "休職".into(),
        // The My Number of the refused upload (as written and without spaces).
        "7305 2619 4843".into(),
        "730526194843".into(),
        // File names as uploaded (and their distinctive stems).
        TEXT_NAME.into(),
        "健康メモ".into(),
        CAND2_TEXT_NAME.into(),
        "zensoku".into(),
        "rirekisho_chronic_illness".into(),
        "resume_two_pages".into(),
        "rirekisho_my_number".into(),
        "shokumu_nurse".into(),
    ];
    out.dedup();
    out.into_iter().map(|s| (s.clone(), s.into_bytes())).collect()
}

fn find_hits(files: &[PathBuf], needles: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut hits = Vec::new();
    for f in files {
        let Ok(bytes) = std::fs::read(f) else { continue };
        for (label, n) in needles {
            if bytes.windows(n.len()).any(|w| w == n.as_slice()) {
                hits.push(format!("{} contains {label:?}", f.display()));
            }
        }
    }
    hits
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{}", self.base, path)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let bytes = resp.bytes().await.expect("body");
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        (status, value)
    }
    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }
    async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body)).await
    }
    async fn delete(&self, path: &str, token: &str) -> StatusCode {
        self.call(reqwest::Method::DELETE, path, token, None).await.0
    }
    async fn content(&self, id: &str, token: &str) -> (StatusCode, Vec<u8>) {
        let resp = self
            .http
            .get(format!("{}/api/v1/documents/{id}/content", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        (resp.status(), resp.bytes().await.expect("body").to_vec())
    }
    async fn upload(&self, token: &str, name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(format!("{}/api/v1/documents", self.base))
            .bearer_auth(token)
            .multipart(file_form(name, bytes))
            .send()
            .await
            .expect("upload");
        let status = resp.status();
        (status, resp.json().await.expect("json"))
    }
}

fn quarantine_categories(doc: &Value) -> Vec<String> {
    const HOLDING: &[&str] = &[
        "race",
        "creed",
        "social_status",
        "medical_history",
        "disability",
        "health_checkup",
        "medical_care",
        "criminal_record",
        "crime_victim",
        "criminal_procedure",
        "juvenile_procedure",
    ];
    let mut cats: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["category"].as_str().unwrap().to_string())
        .filter(|c| HOLDING.contains(&c.as_str()))
        .collect();
    cats.sort();
    cats.dedup();
    cats
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_sensitive_reaches_the_data_directory_or_the_logs() {
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path();
    let (data, tmp, cwd) = (root.join("data"), root.join("tmp"), root.join("cwd"));
    for d in [&tmp, &cwd] {
        std::fs::create_dir_all(d).unwrap();
    }
    let log_path = root.join("server.log");
    // HAIRYO_LEAK_LOG=trace for an even noisier run.
    let level = std::env::var("HAIRYO_LEAK_LOG").unwrap_or_else(|_| "debug".into());

    let server = Server::start(&cwd, &tmp, &data, &log_path, &level);
    // Users are created with the CLI beside the running server, as an operator would.
    let cand = create_user(&cwd, &tmp, &data, "森川 遥", "candidate");
    let cand2 = create_user(&cwd, &tmp, &data, "佐伯 真琴", "candidate");
    let advisor = create_user(&cwd, &tmp, &data, "担当 一郎", "advisor");
    let admin = create_user(&cwd, &tmp, &data, "管理 花子", "admin");
    let api = Api { http: client(), base: server.base.clone() };

    // ---- uploads --------------------------------------------------------------------------
    let text = custom_text();
    let (s, d1) = api.upload(&cand, TEXT_NAME, text.clone().into_bytes()).await;
    assert_eq!(s, StatusCode::CREATED, "{d1}");
    assert_eq!(d1["status"], "quarantined", "{d1}");
    let d1_id = id_of(&d1);

    let docx = sample("rirekisho_chronic_illness.docx");
    let (s, d2) = api.upload(&cand, "rirekisho_chronic_illness.docx", docx.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{d2}");
    assert_eq!(d2["status"], "quarantined");
    let d2_id = id_of(&d2);

    let pdf = sample("resume_two_pages.pdf");
    let (s, d3) = api.upload(&cand, "resume_two_pages.pdf", pdf.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{d3}");
    assert_eq!(d3["status"], "quarantined", "{d3}");
    let d3_id = id_of(&d3);

    let (s, d4) = api.upload(&cand, "shokumu_nurse.docx", sample("shokumu_nurse.docx")).await;
    assert_eq!(s, StatusCode::CREATED, "{d4}");
    assert_eq!(d4["status"], "released", "{d4}");
    let d4_id = id_of(&d4);

    let (s, d5) = api.upload(&cand2, "rirekisho_chronic_illness.pdf", sample("rirekisho_chronic_illness.pdf")).await;
    assert_eq!(s, StatusCode::CREATED, "{d5}");
    assert_eq!(d5["status"], "quarantined", "{d5}");
    let d5_id = id_of(&d5);

    let (s, d6) = api.upload(&cand2, CAND2_TEXT_NAME, format!("健康状態\n{ASTHMA_SENTENCE}\n").into_bytes()).await;
    assert_eq!(s, StatusCode::CREATED, "{d6}");
    let d6_id = id_of(&d6);

    // Refused, nothing kept.
    let (s, refused) = api.upload(&cand, "rirekisho_my_number.txt", sample("rirekisho_my_number.txt")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["code"], "my_number_refused");
    let (s, refused) = api.upload(&cand, "rirekisho_my_number.docx", sample("rirekisho_my_number.docx")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");

    // ---- the owner sees everything: the sentences really went in -------------------------
    let (s, v) = api.get(&format!("/api/v1/documents/{d1_id}"), &cand).await;
    assert_eq!(s, StatusCode::OK);
    let owner_text = v["text"].as_str().unwrap();
    assert!(owner_text.contains(ASTHMA_SENTENCE) && owner_text.contains(ADJUSTMENT_SENTENCE));
    assert_eq!(v["name"], TEXT_NAME);
    let (s, v) = api.get(&format!("/api/v1/documents/{d2_id}"), &cand).await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["text"].as_str().unwrap().contains("インスリン注射で血糖値を管理しており"));
    let (s, v) = api.get(&format!("/api/v1/documents/{d3_id}"), &cand).await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["text"].as_str().unwrap().contains("適応障害"), "the PDF's text");
    let (s, bytes) = api.content(&d1_id, &cand).await;
    assert_eq!((s, bytes), (StatusCode::OK, text.clone().into_bytes()));
    let (s, bytes) = api.content(&d2_id, &cand).await;
    assert_eq!((s, bytes == docx), (StatusCode::OK, true));
    let (s, list) = api.get("/api/v1/documents", &cand).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["documents"].as_array().unwrap().len(), 4);

    // ---- the advisor: bounded views, no quarantined original -----------------------------
    let (s, list) = api.get("/api/v1/documents", &advisor).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["documents"].as_array().unwrap().len(), 6);
    for id in [&d1_id, &d2_id, &d3_id, &d4_id, &d5_id, &d6_id] {
        let (s, v) = api.get(&format!("/api/v1/documents/{id}"), &advisor).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(v.get("text").is_none() && v.get("name").is_none(), "advisor view: {v}");
    }
    assert_eq!(api.content(&d1_id, &advisor).await.0, StatusCode::FORBIDDEN);
    assert_eq!(api.content(&d3_id, &advisor).await.0, StatusCode::FORBIDDEN);
    assert_eq!(api.content(&d4_id, &advisor).await.0, StatusCode::OK);

    // Review queue and reviews with reasons (the reasons are the advisor's words, no quote).
    let (s, queue) = api.get("/api/v1/review/queue", &advisor).await;
    assert_eq!(s, StatusCode::OK);
    let items = queue["items"].as_array().unwrap().clone();
    assert!(items.len() >= 5, "{queue}");
    let of_doc = |doc: &str| -> Vec<String> {
        items
            .iter()
            .filter(|i| i["document_id"] == doc)
            .map(|i| i["finding_id"].as_str().unwrap().to_string())
            .collect()
    };
    let d3_findings = of_doc(&d3_id);
    assert!(!d3_findings.is_empty());
    let (s, f) = api.get(&format!("/api/v1/findings/{}", d3_findings[0]), &advisor).await;
    assert_eq!(s, StatusCode::OK, "{f}");
    let (s, r) = api
        .post(
            &format!("/api/v1/findings/{}/review", d3_findings[0]),
            &advisor,
            json!({"decision": "confirmed", "reason": "本人の記載どおりであることを確認"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    // Every finding of d5 a false positive: released without consent.
    let d5_findings = of_doc(&d5_id);
    assert!(!d5_findings.is_empty());
    let mut released = false;
    for fid in &d5_findings {
        let (s, r) = api
            .post(
                &format!("/api/v1/findings/{fid}/review"),
                &advisor,
                json!({"decision": "false_positive", "reason": "検証用の判定（テスト）"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        released = r["document_released"].as_bool().unwrap();
    }
    assert!(released);
    assert_eq!(api.content(&d5_id, &advisor).await.0, StatusCode::OK);

    // ---- consent, provision, withdrawal ----------------------------------------------------
    let (s, notice) = api.get("/api/v1/notice", &cand).await;
    assert_eq!(s, StatusCode::OK);
    let version = notice["version"].as_str().unwrap().to_string();
    let cats = quarantine_categories(&d1);
    let (s, consent) = api
        .post(
            &format!("/api/v1/documents/{d1_id}/consents"),
            &cand,
            json!({"categories": cats, "purposes": ["求人企業への推薦"], "notice_version": version}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{consent}");
    let consent_id = id_of(&consent);
    let (s, bytes) = api.content(&d1_id, &advisor).await;
    assert_eq!((s, bytes), (StatusCode::OK, text.clone().into_bytes()));
    let (s, p) = api
        .post(
            &format!("/api/v1/documents/{d1_id}/provisions"),
            &advisor,
            json!({"recipient": "株式会社サンプル商事", "purpose": "求人企業への推薦"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, w) = api.post(&format!("/api/v1/consents/{consent_id}/withdraw"), &cand, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{w}");
    assert_eq!(api.content(&d1_id, &advisor).await.0, StatusCode::FORBIDDEN);

    // ---- redaction -------------------------------------------------------------------------
    let (s, red) = api.post(&format!("/api/v1/documents/{d2_id}/redact"), &cand, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{red}");
    let red_id = id_of(&red);
    let (s, v) = api.get(&format!("/api/v1/documents/{red_id}"), &cand).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!v["text"].as_str().unwrap().contains("1型糖尿病"), "the span is masked");
    assert_eq!(api.get(&format!("/api/v1/documents/{d2_id}"), &cand).await.0, StatusCode::NOT_FOUND);

    // ---- export (開示), deletion, suspension (利用停止) -------------------------------------
    let (s, export) = api.get("/api/v1/me/export", &cand).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(export["provisions"].as_array().unwrap().len(), 1, "{export}");
    assert!(export.to_string().contains("気管支喘息"), "the export holds the candidate's own findings' spans");
    assert_eq!(api.delete(&format!("/api/v1/documents/{d3_id}"), &cand).await, StatusCode::NO_CONTENT);
    assert_eq!(api.delete(&format!("/api/v1/documents/{d6_id}"), &admin).await, StatusCode::NO_CONTENT);
    let (s, _) = api.post("/api/v1/me/suspend", &cand2, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(api.get(&format!("/api/v1/documents/{d5_id}"), &advisor).await.0, StatusCode::FORBIDDEN);

    // ---- administration --------------------------------------------------------------------
    for path in ["/api/v1/stats", "/api/v1/audit?limit=1000", "/api/v1/users", "/api/v1/documents"] {
        let (s, v) = api.get(path, &admin).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
    }
    let (s, v) = api.get("/api/v1/audit/verify", &admin).await;
    assert_eq!((s, v["ok"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
    let (s, v) = api.get("/api/v1/audit?limit=1000", &admin).await;
    assert_eq!(s, StatusCode::OK);
    let audit_text = v.to_string();
    let metrics = api.http.get(server.url("/metrics")).bearer_auth(&admin).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("hairyo_uploads_total"), "the admin reads the metrics");
    let needles = needles();
    for (label, _) in &needles {
        assert!(!audit_text.contains(label.as_str()), "the audit log holds {label:?}");
        assert!(!metrics.contains(label.as_str()), "the metrics hold {label:?}");
    }

    // ---- search: while running (WAL), then after a graceful stop ---------------------------
    // Positive control: the search finds what is there.
    assert!(
        !find_hits(
            &[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples/rirekisho_chronic_illness.txt")],
            &needles
        )
        .is_empty()
    );
    let running: Vec<PathBuf> = files_under(&data);
    assert!(running.iter().any(|p| p.file_name().is_some_and(|n| n == "hairyo.db-wal")), "expected a WAL: {running:?}");
    let snapshot = dictionary_snapshot(&data).await;
    let (in_dictionary, not_in_dictionary): (Vec<_>, Vec<_>) =
        needles.iter().cloned().partition(|(label, _)| snapshot.contains(label.as_str()));
    println!(
        "dictionary terms, looked for in the database after the snapshot is scrubbed: {:?}",
        in_dictionary.iter().map(|(l, _)| l).collect::<Vec<_>>()
    );
    for whole in [ASTHMA_SENTENCE, ADJUSTMENT_SENTENCE, TEXT_NAME, CAND2_TEXT_NAME] {
        assert!(not_in_dictionary.iter().any(|(l, _)| l == whole), "{whole} is looked for everywhere");
    }
    let (db_files, other_files): (Vec<PathBuf>, Vec<PathBuf>) =
        running.into_iter().partition(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("hairyo.db")));
    let mut hits = find_hits(&db_files, &not_in_dictionary);
    hits.extend(find_hits(&other_files, &needles));
    assert!(hits.is_empty(), "while running:\n{}", hits.join("\n"));

    let status = server.stop();
    assert!(status.success(), "graceful shutdown: {status:?}");
    let (code, out) = verify_audit(&root.join("cwd"), &tmp, &data);
    assert_eq!(code, 0, "{out}");
    scrub_dictionary_snapshot(&data).await;

    // The data directory holds the database and the key, nothing else (blobs are rows).
    let mut entries: Vec<String> =
        std::fs::read_dir(&data).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    entries.sort();
    let allowed = ["hairyo.db", "hairyo.db-shm", "hairyo.db-wal", "master.key"];
    assert!(entries.iter().all(|e| allowed.contains(&e.as_str())), "the data directory holds {entries:?}");
    let mut all = files_under(&data);
    all.extend(files_under(&tmp));
    all.push(log_path.clone());
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("upload stored"), "the logs were captured");
    let hits = find_hits(&all, &needles);
    assert!(hits.is_empty(), "after stop:\n{}", hits.join("\n"));
    // No plaintext copies left in the temporary directory either.
    let leftovers = files_under(&tmp);
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    check_no_plain_offsets(&data);

    // Erased documents left no blob rows; every live document has its own, and no blob row
    // belongs to an unknown document. (Read after the searches: opening the database may
    // checkpoint its WAL.)
    let (live, blobs) = stored(&data).await;
    for id in [&d2_id, &d3_id, &d6_id] {
        assert!(!live.contains_key(id.as_str()), "{id} is erased");
        assert!(!blobs.contains_key(id.as_str()), "blobs of erased {id}: {:?}", blobs.get(id.as_str()));
    }
    for id in [&d1_id, &d4_id, &d5_id, &red_id] {
        assert_eq!(live.get(id.as_str()), Some(&true), "{id} is live and has text");
        let expected = ["original", "sketch", "text"].map(String::from).to_vec();
        assert_eq!(blobs.get(id.as_str()), Some(&expected), "blobs of {id}");
    }
    let orphans: Vec<&String> = blobs.keys().filter(|id| !live.contains_key(id.as_str())).collect();
    assert!(orphans.is_empty(), "blob rows without a live document: {orphans:?}");
}

async fn open_database(data: &Path) -> sqlx::SqliteConnection {
    use sqlx::Connection;
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(data.join("hairyo.db"))
        .busy_timeout(std::time::Duration::from_secs(30));
    sqlx::SqliteConnection::connect_with(&options).await.expect("open the database")
}

/// The dictionaries recorded for incremental rescans (read beside the running server).
async fn dictionary_snapshot(data: &Path) -> String {
    use sqlx::Connection;
    let mut conn = open_database(data).await;
    let files: Vec<String> =
        sqlx::query_scalar("SELECT files FROM detector_snapshots").fetch_all(&mut conn).await.expect("snapshots");
    conn.close().await.expect("close");
    assert!(!files.is_empty(), "the server records its dictionaries at start");
    files.concat()
}

/// Deletes the dictionary snapshot, its bytes overwritten (`secure_delete`), and folds the WAL
/// into the database file: the byte search that follows then sees every other byte the
/// server left, and dictionary terms neither hide nor fake a leak.
async fn scrub_dictionary_snapshot(data: &Path) {
    use sqlx::Connection;
    let mut conn = open_database(data).await;
    for sql in ["PRAGMA secure_delete = ON", "DELETE FROM detector_snapshots", "PRAGMA wal_checkpoint(TRUNCATE)"] {
        sqlx::query(sql).execute(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    conn.close().await.expect("close");
}

/// The database after the stop: live (not erased) documents with `has_text`, and the blob
/// names per document id, sorted.
async fn stored(data: &Path) -> (BTreeMap<String, bool>, BTreeMap<String, Vec<String>>) {
    use sqlx::{Connection, Row};
    let mut conn = open_database(data).await;
    let mut live = BTreeMap::new();
    for r in
        sqlx::query("SELECT id, has_text FROM documents WHERE status <> 'erased'").fetch_all(&mut conn).await.unwrap()
    {
        live.insert(r.get::<String, _>(0), r.get::<i64, _>(1) != 0);
    }
    let mut blobs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in sqlx::query("SELECT document_id, name FROM blobs").fetch_all(&mut conn).await.unwrap() {
        blobs.entry(r.get(0)).or_default().push(r.get(1));
    }
    blobs.values_mut().for_each(|names| names.sort());
    conn.close().await.expect("close");
    (live, blobs)
}

/// The database holds findings' offsets and MACs, never spans: a sanity check on the schema's
/// promise that goes beyond the fixed needles (any 3-character run of the uploaded custom text
/// that is all kanji/kana must be absent from the database files).
fn check_no_plain_offsets(data: &Path) {
    let text = custom_text();
    let chars: Vec<char> = text.chars().collect();
    let mut grams = Vec::new();
    for w in chars.windows(3) {
        if w.iter().all(|c| (*c as u32) >= 0x3040 && !c.is_whitespace() && *c != '　') {
            grams.push(w.iter().collect::<String>());
        }
    }
    // Runs that also occur in what the test itself sends as plain data (user names, the
    // provision's recipient and purpose, review reasons) are not evidence of a leak.
    let allowed = PLAIN_INPUTS;
    let files = files_under(data);
    let mut hits = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap_or_default();
        for g in &grams {
            if allowed.iter().any(|a| a.contains(g.as_str())) {
                continue;
            }
            if bytes.windows(g.len()).any(|w| w == g.as_bytes()) {
                hits.push(format!("{} contains {g:?}", f.display()));
            }
        }
    }
    assert!(hits.is_empty(), "{}", hits.join("\n"));
}
