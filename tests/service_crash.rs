//! The crash test of the upload service (issue 3, acceptance): kill -9 while 200 uploads run
//! concurrently, restart, and every document is either complete or absent.
//!
//! Starts the real binary (`hairyo serve`) and, in each of three rounds, fires 200 concurrent
//! uploads (a mix: small sensitive text and the DOCX fixture `rirekisho_chronic_illness.docx`,
//! which are quarantined; small clean text and `shokumu_nurse.docx`, which are released), and
//! kills the server with SIGKILL once a given number of them have been answered (early, about
//! half way, late). It then restarts the server on the same data directory and checks:
//!
//! * every upload acknowledged with `201` before the kill is present, with the id, status and
//!   verdict it was acknowledged with;
//! * every document row is complete: the `blobs` table holds its `original` and, when the
//!   document has text (`has_text`, verdict other than `error`), its `text` and the text's
//!   `sketch`, and nothing else;
//!   the owner can read it (name, text and original decrypt), the original is byte-for-byte one
//!   of the uploads and its size matches the row;
//! * verdict and status agree: `quarantine` has findings with a special-care category and is
//!   `quarantined`; `error` is `quarantined` as `unscannable`; `flag`/`clear` are `released`;
//!   and no sensitive upload is `released`;
//! * there is no blob row without a live document row: blobs are written in the document's
//!   transaction, so nothing can be orphaned and no sweep is needed; the data directory holds
//!   the database files and `master.key`, nothing else;
//! * the audit log has exactly one `upload` entry per document and its chain verifies, through
//!   the API and with `hairyo admin verify-audit` (run beside the live server, which must not
//!   disturb it, and after the final stop).
//!
//! Temporary extraction files that a killed server leaves in its temporary directory are
//! counted and reported (they are outside the data directory; see the test's output).

mod server_harness;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use server_harness::{Server, client, create_user, file_form, files_under, sample, verify_audit};

const UPLOADS_PER_ROUND: usize = 200;
/// Kill once this many uploads of the round have been answered.
const KILL_AFTER: &[usize] = &[20, 100, 180];
const CANDIDATES: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    SensitiveText,
    CleanText,
    SensitiveDocx,
    CleanDocx,
}

impl Kind {
    fn of(i: usize) -> Kind {
        match i % 4 {
            0 => Kind::SensitiveText,
            1 => Kind::CleanText,
            2 => Kind::SensitiveDocx,
            _ => Kind::CleanDocx,
        }
    }
    fn sensitive(self) -> bool {
        matches!(self, Kind::SensitiveText | Kind::SensitiveDocx)
    }
}

fn payload(kind: Kind, round: usize, i: usize) -> (String, Vec<u8>) {
    match kind {
        Kind::SensitiveText => (
            format!("health_{round}_{i}.txt"),
            format!("履歴書\n受付番号 {round}-{i}\n健康状態\n気管支喘息のため、月に一度呼吸器内科に通院しています。\n").into_bytes(),
        ),
        Kind::CleanText => (
            format!("career_{round}_{i}.txt"),
            format!("職務経歴書\n受付番号 {round}-{i}\n2018年4月　株式会社みどり物産　入社\n受発注業務と請求書の作成を担当しました。\n").into_bytes(),
        ),
        Kind::SensitiveDocx => (format!("chronic_{round}_{i}.docx"), sample("rirekisho_chronic_illness.docx")),
        Kind::CleanDocx => (format!("nurse_{round}_{i}.docx"), sample("shokumu_nurse.docx")),
    }
}

#[derive(Debug, Clone)]
struct Ack {
    id: String,
    kind: Kind,
    owner: usize,
    status: String,
    verdict: String,
}

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

struct Env {
    cwd: std::path::PathBuf,
    tmp: std::path::PathBuf,
    data: std::path::PathBuf,
    log: std::path::PathBuf,
}

impl Env {
    fn start(&self) -> Server {
        Server::start(&self.cwd, &self.tmp, &self.data, &self.log, "info")
    }
}

async fn get_json(http: &reqwest::Client, url: String, token: &str) -> (StatusCode, Value) {
    let resp = http.get(url).bearer_auth(token).send().await.expect("request");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// One round: 200 concurrent uploads, SIGKILL after `kill_after` answers. Returns the
/// acknowledged uploads and what was sent.
async fn round(
    server: Server,
    env: &Env,
    tokens: &[String],
    round: usize,
    kill_after: usize,
) -> (Vec<Ack>, Vec<Vec<u8>>) {
    let http = client();
    // An operator's admin command beside the live server during the storm: it opens the same
    // database and must neither disturb the uploads in flight nor be disturbed by them.
    let stop_admin = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let admin_runs = {
        let stop = stop_admin.clone();
        let (cwd, tmp, data) = (env.cwd.clone(), env.tmp.clone(), env.data.clone());
        tokio::task::spawn_blocking(move || {
            let mut runs = 0;
            while !stop.load(Ordering::SeqCst) {
                let (code, out) = verify_audit(&cwd, &tmp, &data);
                assert_eq!(code, 0, "verify-audit during uploads: {out}");
                runs += 1;
            }
            runs
        })
    };
    let answered = Arc::new(AtomicUsize::new(0));
    let mut sent = Vec::new();
    let mut tasks = Vec::new();
    for i in 0..UPLOADS_PER_ROUND {
        let kind = Kind::of(i);
        let (name, bytes) = payload(kind, round, i);
        sent.push(bytes.clone());
        let owner = i % CANDIDATES;
        let token = tokens[owner].clone();
        let url = server.url("/api/v1/documents");
        let http = http.clone();
        let answered = answered.clone();
        tasks.push(tokio::spawn(async move {
            let result = http.post(url).bearer_auth(token).multipart(file_form(&name, bytes)).send().await;
            let outcome = match result {
                Ok(resp) => {
                    let status = resp.status();
                    match resp.json::<Value>().await {
                        Ok(body) => Ok((status, body)),
                        Err(e) => Err(e.to_string()),
                    }
                }
                Err(e) => Err(e.to_string()),
            };
            if outcome.is_ok() {
                answered.fetch_add(1, Ordering::SeqCst);
            }
            (kind, owner, outcome)
        }));
    }
    let started = Instant::now();
    while answered.load(Ordering::SeqCst) < kill_after {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "only {} uploads answered in 300 s",
            answered.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let at_kill = answered.load(Ordering::SeqCst);
    server.kill9();
    stop_admin.store(true, Ordering::SeqCst);
    let admin_runs = admin_runs.await.expect("admin task");
    let mut acks = Vec::new();
    let mut failed = 0;
    for t in tasks {
        let (kind, owner, outcome) = t.await.expect("task");
        match outcome {
            Ok((status, body)) => {
                // Before the kill, the service answers every upload with 201: anything else is
                // a failure under load (busy database, timeout) that must not happen.
                assert_eq!(status, StatusCode::CREATED, "upload answered {status}: {body}");
                acks.push(Ack {
                    id: body["id"].as_str().expect("id").to_string(),
                    kind,
                    owner,
                    status: body["status"].as_str().expect("status").to_string(),
                    verdict: body["verdict"].as_str().expect("verdict").to_string(),
                });
            }
            Err(_) => failed += 1,
        }
    }
    println!(
        "round {round}: SIGKILL after {at_kill} answered ({:.1} s); {} acknowledged, {failed} cut off by the kill; {admin_runs} verify-audit runs beside the server",
        started.elapsed().as_secs_f64(),
        acks.len()
    );
    assert!(failed > 0, "the kill should interrupt uploads in flight");
    (acks, sent)
}

/// Checks the data directory and the API of a freshly restarted server.
async fn check(server: &Server, env: &Env, tokens: &[String], admin: &str, acks: &[Ack], sent: &BTreeSet<Vec<u8>>) {
    let http = client();
    // All documents (admins see every candidate's).
    let (s, list) = get_json(&http, server.url("/api/v1/documents"), admin).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let docs: BTreeMap<String, Value> = list["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["id"].as_str().unwrap().to_string(), d.clone()))
        .collect();

    // Blob rows and live document rows match one to one; the API lists exactly the live rows.
    let stored = stored(&env.data).await;
    let ids: BTreeSet<String> = docs.keys().cloned().collect();
    let live: BTreeSet<String> = stored.has_text.keys().cloned().collect();
    assert_eq!(live, ids, "document rows and the admin's list differ");
    let with_blobs: BTreeSet<String> = stored.blobs.keys().cloned().collect();
    let orphans: Vec<_> = with_blobs.difference(&ids).collect();
    let missing: Vec<_> = ids.difference(&with_blobs).collect();
    assert!(orphans.is_empty(), "blob rows without a live document: {orphans:?}");
    assert!(missing.is_empty(), "documents without blobs: {missing:?}");
    let mut entries: Vec<String> =
        std::fs::read_dir(&env.data).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    entries.sort();
    let allowed = ["hairyo.db", "hairyo.db-shm", "hairyo.db-wal", "master.key"];
    assert!(entries.iter().all(|e| allowed.contains(&e.as_str())), "the data directory holds {entries:?}");

    // Acknowledged uploads survived as acknowledged.
    for a in acks {
        let d = docs.get(&a.id).unwrap_or_else(|| panic!("acknowledged upload {} ({:?}) is gone", a.id, a.kind));
        assert_eq!(d["status"], a.status.as_str(), "{}", a.id);
        assert_eq!(d["verdict"], a.verdict.as_str(), "{}", a.id);
        assert!(d["owner_id"].is_string());
    }
    let ack_by_id: BTreeMap<&str, &Ack> = acks.iter().map(|a| (a.id.as_str(), a)).collect();

    // Owner of each document, from the candidates' own lists.
    let mut owner_token: BTreeMap<String, &str> = BTreeMap::new();
    for t in tokens {
        let (s, mine) = get_json(&http, server.url("/api/v1/documents"), t).await;
        assert_eq!(s, StatusCode::OK);
        for d in mine["documents"].as_array().unwrap() {
            owner_token.insert(d["id"].as_str().unwrap().to_string(), t.as_str());
        }
    }
    for a in acks {
        assert_eq!(owner_token.get(&a.id).copied(), Some(tokens[a.owner].as_str()), "owner of {}", a.id);
    }
    println!(
        "  {} documents after restart: {} acknowledged, {} committed but unacknowledged (response lost to the kill)",
        docs.len(),
        acks.len(),
        docs.len() - acks.len()
    );

    for (id, d) in &docs {
        let verdict = d["verdict"].as_str().unwrap();
        let status = d["status"].as_str().unwrap();
        // Blobs of the document: exactly `original`, and `text` when it has text.
        let has_text = stored.has_text[id];
        assert_eq!(has_text, verdict != "error", "has_text of {id} ({verdict})");
        let expected: Vec<String> =
            if has_text { vec!["original".into(), "sketch".into(), "text".into()] } else { vec!["original".into()] };
        assert_eq!(stored.blobs[id], expected, "blobs of {id} ({verdict})");

        let token = owner_token.get(id).unwrap_or_else(|| panic!("{id} has no candidate owner"));
        let (s, view) = get_json(&http, server.url(&format!("/api/v1/documents/{id}")), token).await;
        assert_eq!(s, StatusCode::OK, "owner view of {id}: {view}");
        assert!(view["name"].is_string(), "the name decrypts: {view}");
        assert_eq!(view["text"].is_string(), verdict != "error", "the text decrypts: {id}");
        let resp =
            http.get(server.url(&format!("/api/v1/documents/{id}/content"))).bearer_auth(token).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "content of {id}");
        let bytes = resp.bytes().await.unwrap().to_vec();
        assert!(sent.contains(&bytes), "the original of {id} is not one of the uploads");
        assert_eq!(d["size_bytes"].as_u64(), Some(bytes.len() as u64));

        let findings = view["findings"].as_array().unwrap();
        match verdict {
            "quarantine" => {
                assert_eq!(status, "quarantined", "{id}");
                assert!(
                    findings.iter().any(|f| HOLDING.contains(&f["category"].as_str().unwrap())),
                    "findings of quarantined {id}"
                );
            }
            "error" => {
                assert_eq!(status, "quarantined", "{id}");
                assert_eq!(d["reason"], "unscannable");
            }
            "flag" | "clear" => assert_eq!(status, "released", "{id}"),
            other => panic!("verdict {other}"),
        }
        // The content tells what was sent: sensitive uploads are never released.
        let sensitive = bytes.windows("喘息".len()).any(|w| w == "喘息".as_bytes())
            || bytes == sample("rirekisho_chronic_illness.docx");
        if sensitive {
            assert_ne!(status, "released", "sensitive {id} released");
        }
        if let Some(a) = ack_by_id.get(id.as_str()) {
            assert_eq!(a.kind.sensitive(), sensitive, "{id}");
        }
    }

    // One upload audit entry per document, and the chain verifies.
    let mut uploads = BTreeSet::new();
    let mut after = 0i64;
    loop {
        let (s, page) = get_json(&http, server.url(&format!("/api/v1/audit?after={after}&limit=1000")), admin).await;
        assert_eq!(s, StatusCode::OK);
        let entries = page["entries"].as_array().unwrap();
        if entries.is_empty() {
            break;
        }
        for e in entries {
            after = e["seq"].as_i64().unwrap();
            if e["action"] == "upload" {
                assert!(
                    uploads.insert(e["document_id"].as_str().unwrap().to_string()),
                    "two upload entries for one document"
                );
            }
        }
    }
    assert_eq!(uploads, ids, "upload audit entries and documents differ");
    let (s, v) = get_json(&http, server.url("/api/v1/audit/verify"), admin).await;
    assert_eq!((s, v["ok"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
    // The CLI beside the live server: verifies, and leaves in-flight work alone.
    let (code, out) = verify_audit(&env.cwd, &env.tmp, &env.data);
    assert_eq!(code, 0, "{out}");
}

/// What the database holds, read beside the running server.
struct Stored {
    /// Live (not erased) documents and whether they have text.
    has_text: BTreeMap<String, bool>,
    /// Blob names per document id, sorted (any document, erased or unknown included).
    blobs: BTreeMap<String, Vec<String>>,
}

async fn stored(data: &Path) -> Stored {
    use sqlx::{Connection, Row};
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(data.join("hairyo.db"))
        .busy_timeout(Duration::from_secs(30));
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await.expect("open the database");
    let mut has_text = BTreeMap::new();
    for r in
        sqlx::query("SELECT id, has_text FROM documents WHERE status <> 'erased'").fetch_all(&mut conn).await.unwrap()
    {
        has_text.insert(r.get::<String, _>(0), r.get::<i64, _>(1) != 0);
    }
    let mut blobs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in sqlx::query("SELECT document_id, name FROM blobs").fetch_all(&mut conn).await.unwrap() {
        blobs.entry(r.get(0)).or_default().push(r.get(1));
    }
    blobs.values_mut().for_each(|names| names.sort());
    conn.close().await.expect("close");
    Stored { has_text, blobs }
}

fn leftover_temp_files(tmp: &Path) -> usize {
    files_under(tmp).len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_200_concurrent_uploads_leaves_complete_documents_or_none() {
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path();
    let env =
        Env { cwd: root.join("cwd"), tmp: root.join("tmp"), data: root.join("data"), log: root.join("server.log") };
    std::fs::create_dir_all(&env.cwd).unwrap();
    std::fs::create_dir_all(&env.tmp).unwrap();

    let tokens: Vec<String> = (0..CANDIDATES)
        .map(|i| create_user(&env.cwd, &env.tmp, &env.data, &format!("候補者{i}"), "candidate"))
        .collect();
    let admin = create_user(&env.cwd, &env.tmp, &env.data, "管理者", "admin");

    let mut server = env.start();
    let mut acks: Vec<Ack> = Vec::new();
    let mut sent: BTreeSet<Vec<u8>> = BTreeSet::new();
    for (r, &kill_after) in KILL_AFTER.iter().enumerate() {
        let (a, s) = round(server, &env, &tokens, r, kill_after).await;
        acks.extend(a);
        sent.extend(s);
        // Worker processes of the killed server may still be finishing.
        tokio::time::sleep(Duration::from_millis(500)).await;
        server = env.start();
        check(&server, &env, &tokens, &admin, &acks, &sent).await;
        println!(
            "round {r}: restart checks passed; {} temporary files left by the killed server",
            leftover_temp_files(&env.tmp)
        );
    }
    let status = server.stop();
    assert!(status.success(), "{status:?}");
    let (code, out) = verify_audit(&env.cwd, &env.tmp, &env.data);
    assert_eq!(code, 0, "{out}");
    println!("{}", out.trim());
}
