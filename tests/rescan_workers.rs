//! Rescans by several `hairyo worker` processes sharing one PostgreSQL queue, one of them
//! killed mid-run.
//!
//! 2,000 stored résumés, a dictionary change that adds one condition, a full rescan toward the
//! new dictionaries and four worker processes. One worker is SIGKILLed while it holds a batch:
//! its lease runs out, another worker takes the batch over, and in the end every document has
//! exactly one outcome (none lost, none applied twice), the findings equal what the new
//! detector finds in each text (no duplicated finding from a double apply), exactly the
//! released documents that mention the condition about the candidate without a consent
//! covering it are held again with one notification and one audit entry each, and the summary
//! says so.

#[path = "support/db.rs"]
#[allow(unused_macros, unused_imports)] // backend_tests!: this test is PostgreSQL only
mod db;
#[path = "support/rescan.rs"]
mod rescan_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use db::TestDb;
use hairyo::detect::{Action, Category};
use hairyo::rescan::{Mode, RescanRequest};
use hairyo::review::{ConsentRequest, DocStatus, Role, Service, User, current_notice};
use rescan_support::{dictionaries_copy, dictionaries_with, service_with};
use sqlx::Row;

/// The condition the new dictionary version learns.
const NEW_TERM: &str = "ジストニア";
const DOCUMENTS: usize = 2_000;
const CANDIDATES: usize = 20;
const WORKERS: usize = 4;
/// Uploads at once while filling the store.
const UPLOADERS: usize = 8;
/// Documents per batch: small enough that the four workers have many batches each (a
/// worker holds two at a time: one it scans, the next one it reads).
const BATCH: i64 = 64;

/// The lease of the worker processes: the killed worker's batch is taken over after this.
const LEASE_SECS: u64 = 3;
const DEADLINE: Duration = Duration::from_secs(300);

// ---- the documents ------------------------------------------------------------------------

/// What a document holds besides ordinary work history, and what happens to it at upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Nothing sensitive: released.
    Plain,
    /// The new condition about the candidate: released under v1, held again under v2.
    Term,
    /// A disability consented to, and the new condition: the consent does not cover it.
    TermConsented,
    /// Medical history consented to, and the new condition: covered, stays released.
    TermCovered,
    /// Medical history without consent (held), and the new condition: stays held.
    TermHeld,
    /// A disability consented to; no new condition.
    Consented,
    /// Medical history without consent (held); no new condition.
    Held,
    /// The new condition, negated: no finding in either version.
    Negated,
    /// The new condition, about a relative: no finding in either version.
    ThirdParty,
}

fn kind(i: usize) -> Kind {
    if i % 7 == 0 {
        match (i / 7) % 8 {
            0..=4 => Kind::Term,
            5 => Kind::TermConsented,
            6 => Kind::TermCovered,
            _ => Kind::TermHeld,
        }
    } else if i % 13 == 0 {
        Kind::Consented
    } else if i % 17 == 0 {
        Kind::Held
    } else if i % 19 == 0 {
        Kind::Negated
    } else if i % 23 == 0 {
        Kind::ThirdParty
    } else {
        Kind::Plain
    }
}

impl Kind {
    /// Mentions the new condition about the candidate: gains a finding under v2.
    fn gains(self) -> bool {
        matches!(self, Kind::Term | Kind::TermConsented | Kind::TermCovered | Kind::TermHeld)
    }

    /// Released before the rescan and not covered for medical history: held again.
    fn requarantined(self) -> bool {
        matches!(self, Kind::Term | Kind::TermConsented)
    }

    fn consents(self) -> bool {
        matches!(self, Kind::TermConsented | Kind::TermCovered | Kind::Consented)
    }

    fn held_at_upload(self) -> bool {
        matches!(self, Kind::TermConsented | Kind::TermCovered | Kind::TermHeld | Kind::Consented | Kind::Held)
    }
}

const WORK: &[&str] = &[
    "出荷ミスを三割減らしました。",
    "倉庫管理システムの導入を主導しました。",
    "新人教育の手順書を作りました。",
    "月次の棚卸しを半日短縮しました。",
    "取引先との納期調整を担当しました。",
    "英語での問い合わせ対応も行っています。",
    "受注から出荷までの業務フローを見直し、リードタイムを二日短縮しました。",
    "複数拠点の在庫データを統合し、欠品率を改善しました。",
    "五名のチームのリーダーとして、日々の進捗管理を行いました。",
    "顧客からの要望を整理し、仕様書にまとめる役割を担いました。",
    "表計算ソフトのマクロを使い、集計作業を自動化しました。",
    "物流センターの立ち上げに参加し、レイアウト設計を担当しました。",
    "協力会社との定例会議を運営し、課題の早期解決に努めました。",
    "品質管理の担当として、検品基準の見直しを進めました。",
    "年間予算の策定と実績管理を担当しました。",
    "営業部門と連携し、販売計画に合わせた仕入れ計画を立てました。",
    "社内の改善提案制度で二度表彰されました。",
    "新しい配送ルートを提案し、輸送コストを一割削減しました。",
    "基幹システムの更新プロジェクトで、現場側の窓口を務めました。",
    "海外の仕入れ先とメールで価格交渉を行いました。",
    "作業手順を動画で共有する仕組みを作りました。",
    "繁忙期の人員配置を計画し、残業時間を減らしました。",
    "返品処理の流れを整理し、処理時間を短くしました。",
    "職場の整理整頓を推進し、作業効率を高めました。",
    "顧客満足度調査を企画し、結果を改善活動につなげました。",
    "後輩の指導を通じて、伝える力を磨きました。",
    "データ分析の研修を受け、需要予測に活用しました。",
    "取引先の工場を訪問し、生産計画のすり合わせを行いました。",
    "週次の報告資料を作成し、経営層に説明しました。",
    "部署間の調整役として、情報共有の仕組みを整えました。",
];

const PR: &[&str] = &[
    "粘り強く改善に取り組みます。",
    "数字に基づいて課題を見つけることが得意です。",
    "周囲と協力しながら、目標の達成に向けて行動します。",
    "新しい仕組みを学ぶことが好きです。",
    "小さな改善を積み重ねることを大切にしています。",
    "相手の立場に立って説明するよう心がけています。",
];

const COMPANIES: &[&str] =
    &["株式会社サンプル物流", "東和精機株式会社", "みなと商事株式会社", "株式会社青葉システム", "北斗運輸株式会社"];
const SURNAMES: &[&str] = &["山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤"];
const GIVEN: &[&str] = &["太郎", "花子", "健一", "美咲", "翔太", "由美", "大輔", "真由美", "直樹", "彩"];
const QUALIFICATIONS: &[&str] =
    &["普通自動車第一種運転免許", "日商簿記検定2級", "TOEIC 780点", "基本情報技術者", "フォークリフト運転技能講習修了"];

const DISABILITY: &str = "身体障害者手帳（四級）を所持しています。";
const ASTHMA: &str = "持病の喘息があります。";

/// The new condition, about the candidate.
fn about_candidate(i: usize) -> String {
    match i % 3 {
        0 => format!("{NEW_TERM}のため、細かい作業に時間がかかることがあります。"),
        1 => format!("{NEW_TERM}があり、字を書く作業はゆっくりになります。"),
        _ => format!("{NEW_TERM}の影響で、左手の細かい動きが苦手です。"),
    }
}

/// The ■その他 section of document `i`.
fn other(i: usize) -> String {
    match kind(i) {
        Kind::Plain => "勤務開始日は相談に応じます。".to_string(),
        Kind::Term => about_candidate(i),
        Kind::TermConsented => format!("{DISABILITY}\n{}", about_candidate(i)),
        Kind::TermCovered | Kind::TermHeld => format!("{ASTHMA}\n{}", about_candidate(i)),
        Kind::Consented => DISABILITY.to_string(),
        Kind::Held => ASTHMA.to_string(),
        Kind::Negated => format!("健康面の配慮は不要です。{NEW_TERM}はありません。"),
        Kind::ThirdParty => format!("母が{NEW_TERM}の治療を受けています。"),
    }
}

/// A résumé of 1,000 to 3,000 characters, different for every `i`.
fn resume(i: usize) -> String {
    let mut seed = (i as u64).wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    let mut next = move |n: usize| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((seed >> 33) % n as u64) as usize
    };
    let target = 1_000 + next(2_000);
    let mut text = format!(
        "職務経歴書\n氏名 {}{}\n■職務要約\n{}\n■職務経歴\n{}（{}年{}月～現在）\n",
        SURNAMES[next(SURNAMES.len())],
        GIVEN[next(GIVEN.len())],
        WORK[next(WORK.len())],
        COMPANIES[next(COMPANIES.len())],
        2005 + next(15),
        1 + next(12),
    );
    let mut tail = String::from("\n■資格\n");
    for _ in 0..1 + next(3) {
        tail.push_str(QUALIFICATIONS[next(QUALIFICATIONS.len())]);
        tail.push('\n');
    }
    tail.push_str("■自己PR\n");
    for _ in 0..4 + next(6) {
        tail.push_str(PR[next(PR.len())]);
    }
    tail.push_str(&format!("\n■その他\n{}\n", other(i)));
    let tail_len = tail.chars().count();
    while text.chars().count() + tail_len < target {
        text.push_str(WORK[next(WORK.len())]);
        if next(3) == 0 {
            text.push('\n');
        }
    }
    text + &tail
}

/// A finding as compared: category, rule, start, end.
type Key = (String, String, i64, i64);

/// One stored document and what the test knows about it.
struct Doc {
    index: usize,
    id: String,
    kind: Kind,
    /// Released when the rescan starts.
    released: bool,
    /// The categories consented to.
    consented: BTreeSet<Category>,
    /// Its findings under v1 (at upload), sorted.
    v1: Vec<Key>,
}

async fn store_one(service: &Service, owner: &User, i: usize) -> Doc {
    let text = resume(i);
    assert!((1_000..=3_100).contains(&text.chars().count()), "document {i}: {} characters", text.chars().count());
    let up = service.upload(owner, "resume.txt", text.into_bytes()).await.expect("upload");
    let k = kind(i);
    let expected = if k.held_at_upload() { DocStatus::Quarantined } else { DocStatus::Released };
    assert_eq!(up.status, expected, "document {i} ({k:?}) at upload: {:?}", up.findings);
    let mut v1: Vec<Key> = up
        .findings
        .iter()
        .map(|f| (f.category.id().to_string(), f.rule.clone(), f.start as i64, f.end as i64))
        .collect();
    v1.sort();
    let mut consented = BTreeSet::new();
    if k.consents() {
        consented = up.findings.iter().map(|f| f.category).filter(|c| c.action() == Action::Quarantine).collect();
        let req = ConsentRequest {
            categories: consented.iter().map(|c| c.id().to_string()).collect(),
            purposes: vec!["求人企業への推薦".into()],
            notice_version: current_notice().version.to_string(),
        };
        service.consent(owner, &up.id, req, None, "api").await.expect("consent");
    }
    Doc { index: i, id: up.id, kind: k, released: !k.held_at_upload() || k.consents(), consented, v1 }
}

// ---- the worker processes -----------------------------------------------------------------

/// The `hairyo worker` processes. Those still running are killed when this is dropped (a
/// failing test must not leave them behind), and on a failure their logs are printed.
struct Workers {
    children: Vec<Option<Child>>,
    logs: Vec<PathBuf>,
}

impl Workers {
    fn spawn(n: usize, data: &Path, url: &str, dictionaries: &Path, logs: &Path) -> Self {
        let mut workers = Self { children: Vec::new(), logs: Vec::new() };
        for w in 0..n {
            let log = logs.join(format!("worker-{w}.log"));
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_hairyo"));
            // Only the flags configure the workers, whatever the environment of the test says.
            for (var, _) in std::env::vars() {
                if var.starts_with("HAIRYO_") {
                    cmd.env_remove(var);
                }
            }
            cmd.env("HAIRYO_LOG", "info,sqlx=warn")
                .args(["worker", "--concurrency", "1", "--lease-secs", &LEASE_SECS.to_string()])
                .arg("--data-dir")
                .arg(data)
                .args(["--database-url", url])
                .arg("--dictionaries-dir")
                .arg(dictionaries)
                .args(["--config", "/nonexistent.toml"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap());
            workers.children.push(Some(cmd.spawn().expect("spawn hairyo worker")));
            workers.logs.push(log);
        }
        workers
    }

    /// Waits until every worker has loaded its detector and polls the queue.
    async fn ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        for (w, log) in self.logs.iter().enumerate() {
            while !std::fs::read_to_string(log).unwrap_or_default().contains("worker running") {
                assert!(Instant::now() < deadline, "worker {w} did not start");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    /// Whether `lease_owner` is worker `w`'s id (`<hostname>-<pid>-<random>`).
    fn owns(&self, w: usize, lease_owner: &str) -> bool {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        lease_owner.starts_with(&format!("{}-{}-", host.trim(), self.pid(w)))
    }

    fn pid(&self, w: usize) -> i32 {
        self.children[w].as_ref().expect("running").id() as i32
    }

    fn signal(&self, w: usize, signal: i32) {
        // SAFETY: kill(2) on the pid of a child we have not reaped yet.
        let rc = unsafe { libc::kill(self.pid(w), signal) };
        assert_eq!(rc, 0, "kill({}, {signal})", self.pid(w));
    }

    fn kill(&mut self, w: usize) {
        let mut child = self.children[w].take().expect("running");
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
    }

    /// SIGTERM to every worker still running; each must finish its batch and exit 0.
    async fn stop(&mut self) {
        for w in 0..self.children.len() {
            if self.children[w].is_some() {
                self.signal(w, libc::SIGTERM);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        for (w, slot) in self.children.iter_mut().enumerate() {
            let Some(child) = slot else { continue };
            let status = loop {
                if let Some(status) = child.try_wait().expect("wait") {
                    break status;
                }
                assert!(Instant::now() < deadline, "worker {w} did not stop on SIGTERM");
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            *slot = None;
            assert!(status.success(), "worker {w} exited with {status}");
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for mut child in self.children.iter_mut().filter_map(Option::take) {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            for log in &self.logs {
                let text = std::fs::read_to_string(log).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                let tail = lines[lines.len().saturating_sub(30)..].join("\n");
                eprintln!("---- {} (last 30 lines)\n{tail}", log.display());
            }
        }
    }
}

// ---- queries --------------------------------------------------------------------------------

async fn scalar(service: &Service, sql: &str, bind: &str) -> i64 {
    sqlx::query(sql).bind(bind).fetch_one(&service.store.pool).await.unwrap().try_get(0).unwrap()
}

/// `key -> COUNT(*)` of a query grouped by one text column.
async fn per_document(service: &Service, sql: &str) -> BTreeMap<String, i64> {
    sqlx::query(sql)
        .fetch_all(&service.store.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get(0).unwrap(), r.try_get(1).unwrap()))
        .collect()
}

/// The jobs running under a lease of worker `w`: (job id, lease owner).
async fn leased_by(service: &Service, workers: &Workers, w: usize) -> Vec<(String, String)> {
    sqlx::query("SELECT id, lease_owner FROM jobs WHERE state = 'running' AND lease_owner IS NOT NULL")
        .fetch_all(&service.store.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get(0).unwrap(), r.try_get(1).unwrap()))
        .filter(|(_, owner): &(String, String)| workers.owns(w, owner))
        .collect()
}

// ---- the test -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_worker_loses_nothing_and_duplicates_nothing() {
    let Some(db) = TestDb::postgres().await else { return };
    let url = db.url().expect("PostgreSQL");
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (v1, v2) = (tmp.path().join("dict-v1"), tmp.path().join("dict-v2"));
    dictionaries_copy(&v1);
    dictionaries_with(&v2, "medical_history.toml", "chronic", NEW_TERM);

    // ---- 2,000 documents under v1, several uploads at once.
    let service_v1 = service_with(&data, db.url(), &v1).await;
    service_v1.register_detector().await.unwrap();
    let mut people = Vec::new();
    for c in 0..CANDIDATES {
        people.push(service_v1.create_user(None, &format!("候補者{c}"), Role::Candidate).await.unwrap().0);
    }
    let people = Arc::new(people);
    let mut uploaders = Vec::new();
    for u in 0..UPLOADERS {
        let (service, people) = (service_v1.clone(), people.clone());
        uploaders.push(tokio::spawn(async move {
            let mut docs = Vec::new();
            for i in (u..DOCUMENTS).step_by(UPLOADERS) {
                docs.push(store_one(&service, &people[i % CANDIDATES], i).await);
            }
            docs
        }));
    }
    let mut docs = Vec::new();
    for u in uploaders {
        docs.extend(u.await.expect("uploader"));
    }
    docs.sort_by_key(|d| d.index);
    let stored_in = started.elapsed();
    eprintln!("stored {DOCUMENTS} documents in {:.1} s", stored_in.as_secs_f64());

    // ---- What v2 finds in each stored text, from the v2 detector itself. The text is
    // extracted as the upload did, so the offsets are those of the stored text.
    let service_v2 = service_with(&data, db.url(), &v2).await;
    let v2_version = service_v2.pipeline.detector().version().to_string();
    assert_ne!(v2_version, service_v1.pipeline.detector().version());
    let expect_started = Instant::now();
    let pipeline = service_v2.pipeline.clone();
    let indexes: Vec<usize> = docs.iter().map(|d| d.index).collect();
    let v2_findings: Vec<(Vec<Key>, Vec<Key>)> = tokio::task::spawn_blocking(move || {
        indexes
            .into_iter()
            .map(|i| {
                let report = pipeline.scan_bytes(resume(i).as_bytes());
                assert!(report.error.is_none(), "document {i}: {:?}", report.error);
                let key =
                    |f: &hairyo::Finding| (f.category.id().to_string(), f.rule.clone(), f.start as i64, f.end as i64);
                let mut all: Vec<Key> = report.findings.iter().map(key).collect();
                all.sort();
                let term: Vec<Key> = report.findings.iter().filter(|f| f.text == NEW_TERM).map(key).collect();
                (all, term)
            })
            .collect()
    })
    .await
    .unwrap();
    let mut changed = BTreeSet::new();
    let mut requarantined = BTreeSet::new();
    let mut added: BTreeMap<String, i64> = BTreeMap::new();
    for (doc, (v2, term)) in docs.iter().zip(&v2_findings) {
        // Exactly the documents that mention the condition about the candidate gain findings,
        // and only the condition's: the fixture is what it says.
        assert_eq!(!term.is_empty(), doc.kind.gains(), "document {} ({:?}): {v2:?}", doc.index, doc.kind);
        let mut gained = v2.clone();
        for f in &doc.v1 {
            let at = gained.iter().position(|g| g == f);
            let at = at.unwrap_or_else(|| panic!("document {}: v2 loses {f:?}", doc.index));
            gained.remove(at);
        }
        assert_eq!(gained, *term, "document {} ({:?})", doc.index, doc.kind);
        if gained.is_empty() {
            continue;
        }
        changed.insert(doc.id.clone());
        for (category, ..) in &gained {
            *added.entry(category.clone()).or_default() += 1;
        }
        let uncovered = v2.iter().filter_map(|(c, ..)| Category::from_id(c)).any(|c| match c.action() {
            Action::Flag => false,
            Action::Reject => true,
            Action::Quarantine => !doc.consented.contains(&c),
        });
        if doc.released && uncovered {
            requarantined.insert(doc.id.clone());
        }
        assert_eq!(doc.released && uncovered, doc.kind.requarantined(), "document {} ({:?})", doc.index, doc.kind);
    }
    assert!(requarantined.len() > 150 && changed.len() > requarantined.len(), "{}", requarantined.len());
    eprintln!(
        "expected from the v2 detector in {:.1} s: {} documents change, {} go back to quarantine",
        expect_started.elapsed().as_secs_f64(),
        changed.len(),
        requarantined.len()
    );

    // ---- A full rescan toward v2, run by four worker processes.
    // The workers are started first, so that all four compete from the first batch on.
    let mut workers = Workers::spawn(WORKERS, &data, &url, &v2, tmp.path());
    workers.ready().await;
    let rescan_started = Instant::now();
    let req =
        RescanRequest { mode: Mode::Stale, dry_run: false, reextract: false, full: true, batch_size: Some(BATCH) };
    let rescan = service_v2.start_rescan(None, req, "test").await.expect("start rescan");
    assert_eq!(rescan.total, DOCUMENTS as i64);

    // Kill worker 0 once a fifth of the documents are done, while it holds a batch. It is
    // stopped first so that what it holds can be read without a race; if it holds nothing
    // then (between two batches), it goes on and the next chance is taken.
    let (killed, taken): (String, Vec<String>) = loop {
        assert!(rescan_started.elapsed() < DEADLINE, "no chance to kill a worker mid-run");
        let done = scalar(
            &service_v2,
            "SELECT COUNT(*) FROM rescan_items WHERE rescan_id = $1 AND state = 'done'",
            &rescan.id,
        )
        .await;
        assert!(done < DOCUMENTS as i64, "the rescan finished before a worker could be killed");
        if done * 5 >= DOCUMENTS as i64 && !leased_by(&service_v2, &workers, 0).await.is_empty() {
            workers.signal(0, libc::SIGSTOP);
            // A commit the worker sent just before it stopped lands on the server meanwhile.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let held = leased_by(&service_v2, &workers, 0).await;
            if let Some((_, owner)) = held.first() {
                let owner = owner.clone();
                workers.kill(0);
                break (owner, held.into_iter().map(|(job, _)| job).collect());
            }
            workers.signal(0, libc::SIGCONT);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let done_at_kill =
        scalar(&service_v2, "SELECT COUNT(*) FROM rescan_items WHERE rescan_id = $1 AND state = 'done'", &rescan.id)
            .await;
    eprintln!(
        "killed worker {killed} holding {taken:?} at {done_at_kill}/{DOCUMENTS} after {:.1} s",
        rescan_started.elapsed().as_secs_f64()
    );

    loop {
        let state = service_v2.rescan(&rescan.id).await.unwrap().state;
        if state == "finished" {
            break;
        }
        assert_eq!(state, "running");
        assert!(rescan_started.elapsed() < DEADLINE, "the rescan did not finish within {DEADLINE:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rescan_took = rescan_started.elapsed();
    workers.stop().await;
    eprintln!("rescan by {WORKERS} workers (one killed) in {:.1} s", rescan_took.as_secs_f64());

    // ---- Every document has exactly one outcome, every batch committed once.
    let items = per_document(
        &service_v2,
        &format!("SELECT state, COUNT(*) FROM rescan_items WHERE rescan_id = '{}' GROUP BY state", rescan.id),
    )
    .await;
    assert_eq!(items, BTreeMap::from([("done".to_string(), DOCUMENTS as i64)]), "outcome rows by state");
    let jobs = sqlx::query("SELECT id, state, attempts, batch FROM jobs WHERE rescan_id = $1")
        .bind(&rescan.id)
        .fetch_all(&service_v2.store.pool)
        .await
        .unwrap();
    assert_eq!(jobs.len(), DOCUMENTS.div_ceil(BATCH as usize), "one job per batch");
    let mut retried = 0;
    for job in &jobs {
        let (id, state, attempts): (String, String, i64) =
            (job.try_get(0).unwrap(), job.try_get(1).unwrap(), job.try_get(2).unwrap());
        assert_eq!(state, "done", "job {id}");
        retried += usize::from(attempts >= 2);
        if !taken.contains(&id) {
            continue;
        }
        // The batch of the killed worker was taken over by another, and committed by it alone.
        assert!(attempts >= 2, "job {id} held by the killed worker: attempts {attempts}");
        let batch: i64 = job.try_get(3).unwrap();
        let owners = per_document(
            &service_v2,
            &format!(
                "SELECT COALESCE(worker, ''), COUNT(*) FROM rescan_items WHERE rescan_id = '{}' AND batch = {batch} GROUP BY worker",
                rescan.id
            ),
        )
        .await;
        assert_eq!(owners.len(), 1, "job {id}: {owners:?}");
        assert!(!owners.contains_key(&killed) && !owners.contains_key(""), "job {id}: {owners:?}");
    }
    assert!(retried >= 1, "no job was taken over");
    let distinct = scalar(
        &service_v2,
        "SELECT COUNT(DISTINCT worker) FROM rescan_items WHERE rescan_id = $1 AND worker IS NOT NULL",
        &rescan.id,
    )
    .await;
    let by_worker = per_document(
        &service_v2,
        &format!("SELECT worker, COUNT(*) FROM rescan_items WHERE rescan_id = '{}' GROUP BY worker", rescan.id),
    )
    .await;
    eprintln!("outcomes per worker: {by_worker:?}");
    assert!(distinct >= 3, "only {distinct} workers committed outcomes: {by_worker:?}");

    // ---- The findings are exactly the v2 detector's: nothing lost, nothing doubled.
    let mut stored: BTreeMap<String, Vec<Key>> = BTreeMap::new();
    for r in sqlx::query("SELECT document_id, category, rule, start_byte, end_byte FROM findings")
        .fetch_all(&service_v2.store.pool)
        .await
        .unwrap()
    {
        stored.entry(r.try_get(0).unwrap()).or_default().push((
            r.try_get(1).unwrap(),
            r.try_get(2).unwrap(),
            r.try_get(3).unwrap(),
            r.try_get(4).unwrap(),
        ));
    }
    for (doc, (v2, term)) in docs.iter().zip(&v2_findings) {
        let mut have = stored.remove(&doc.id).unwrap_or_default();
        have.sort();
        assert_eq!(&have, v2, "findings of document {} ({:?})", doc.index, doc.kind);
        for t in term {
            assert_eq!(have.iter().filter(|f| *f == t).count(), 1, "document {}: {t:?}", doc.index);
        }
    }
    assert!(stored.is_empty(), "findings of unknown documents: {:?}", stored.keys());

    // ---- Held again: exactly the expected documents, once each.
    let once: BTreeMap<String, i64> = requarantined.iter().map(|id| (id.clone(), 1)).collect();
    let notes = per_document(
        &service_v2,
        "SELECT document_id, COUNT(*) FROM notifications WHERE kind = 'requarantined' GROUP BY document_id",
    )
    .await;
    assert_eq!(notes, once, "requarantined notifications per document");
    let audited = per_document(
        &service_v2,
        "SELECT document_id, COUNT(*) FROM audit WHERE action = 'rescan_requarantine' GROUP BY document_id",
    )
    .await;
    assert_eq!(audited, once, "rescan_requarantine audit entries per document");
    let updates = per_document(
        &service_v2,
        "SELECT document_id, COUNT(*) FROM audit WHERE action = 'rescan_update' GROUP BY document_id",
    )
    .await;
    let once_updated: BTreeMap<String, i64> = changed.difference(&requarantined).map(|id| (id.clone(), 1)).collect();
    assert_eq!(updates, once_updated, "rescan_update audit entries per document");
    let finished = scalar(&service_v2, "SELECT COUNT(*) FROM audit WHERE action = $1", "rescan_finished").await;
    assert_eq!(finished, 1, "rescan_finished audit entries");
    let statuses: BTreeMap<String, (String, String)> =
        sqlx::query("SELECT id, status, COALESCE(reason, ''), detector_version FROM documents")
            .fetch_all(&service_v2.store.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| {
                let version: String = r.try_get(3).unwrap();
                assert_eq!(version, v2_version, "detector version of {}", r.try_get::<String, _>(0).unwrap());
                (r.try_get(0).unwrap(), (r.try_get(1).unwrap(), r.try_get(2).unwrap()))
            })
            .collect();
    assert_eq!(statuses.len(), DOCUMENTS);
    let held_by_rescan: BTreeSet<String> =
        statuses.iter().filter(|(_, (s, r))| s == "quarantined" && r == "rescan").map(|(id, _)| id.clone()).collect();
    assert_eq!(held_by_rescan, requarantined, "documents held by the rescan");
    for doc in &docs {
        let (status, _) = &statuses[&doc.id];
        let expected = if doc.released && !requarantined.contains(&doc.id) { "released" } else { "quarantined" };
        assert_eq!(status, expected, "document {} ({:?})", doc.index, doc.kind);
    }

    // ---- The summary says the same.
    let progress = service_v2.rescan_progress(None, &rescan.id).await.unwrap();
    assert_eq!(progress.rescan.state, "finished");
    assert_eq!((progress.progress.done, progress.progress.failed, progress.progress.pending), (DOCUMENTS as i64, 0, 0));
    let s = &progress.summary;
    assert_eq!(s.scanned, DOCUMENTS as i64, "{s:?}");
    assert_eq!((s.unaffected, s.skipped, s.errors), (0, 0, 0), "{s:?}");
    assert_eq!(s.changed, changed.len() as i64, "{s:?}");
    assert_eq!(s.requarantined, requarantined.len() as i64, "{s:?}");
    assert_eq!(s.added, added, "{s:?}");
    assert!(s.removed.is_empty(), "{s:?}");
    assert!(service_v2.store.verify_audit().await.unwrap().is_ok(), "audit chain");

    eprintln!(
        "timings: store {:.1} s, rescan {:.1} s, total {:.1} s",
        stored_in.as_secs_f64(),
        rescan_took.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
