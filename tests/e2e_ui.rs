//! End-to-end test of the browser UI in real headless Chromium, driven over WebDriver
//! (`chromedriver`) with fantoccini, against the real `hairyo serve` binary.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without them the
//! test FAILS with a message saying so: it never passes silently.
//!
//! Screenshots of the main pages go to `target/ui-screenshots/` (test artefacts); with
//! `HAIRYO_UPDATE_SCREENSHOTS=1` the two the README shows are copied to `docs/screenshots/`.

mod server_harness;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use server_harness::{Server, create_user};

const CHROMIUM_CANDIDATES: &[&str] = &["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

fn find_program(candidates: &[&str], name: &str) -> Option<PathBuf> {
    if let Some(p) = candidates.iter().map(PathBuf::from).find(|p| p.exists()) {
        return Some(p);
    }
    std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(name)).find(|p| p.exists()))
}

/// A chromedriver on a free loopback port, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver(exe: &Path, log: &Path) -> Driver {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(exe)
        .arg(format!("--port={port}"))
        .arg(format!("--log-path={}", log.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start listening on port {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    Driver { child, url: format!("http://127.0.0.1:{port}") }
}

struct Ui {
    c: Client,
    base: String,
    shots: PathBuf,
}

impl Ui {
    async fn goto(&self, path: &str) {
        self.c.goto(&format!("{}{}", self.base, path)).await.unwrap_or_else(|e| panic!("goto {path}: {e}"));
    }

    async fn find(&self, css: &str) -> Element {
        self.c
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("element {css} not found: {e}"))
    }

    async fn all(&self, css: &str) -> Vec<Element> {
        self.c.find_all(Locator::Css(css)).await.unwrap()
    }

    /// The text of the first match, retried while the page is being replaced.
    async fn text(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.find(css).await.text().await {
                Ok(t) => return t,
                Err(e) => assert!(Instant::now() < deadline, "text of {css}: {e}"),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn source(&self) -> String {
        self.c.source().await.unwrap()
    }

    async fn path(&self) -> String {
        self.c.current_url().await.unwrap().path().to_string()
    }

    /// Waits until the current path satisfies `f`.
    async fn wait_path(&self, what: &str, f: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let p = self.path().await;
            if f(&p) {
                return p;
            }
            assert!(Instant::now() < deadline, "still at {p}, waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn shot(&self, name: &str) {
        let png = self.c.screenshot().await.expect("screenshot");
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    async fn sign_in(&self, token: &str) {
        self.goto("/signin").await;
        self.find("#token").await.send_keys(token).await.unwrap();
        self.find("main form button[type=submit]").await.click().await.unwrap();
        self.wait_path("home after sign-in", |p| p != "/signin").await;
    }

    async fn sign_out(&self) {
        self.find("form.signout button").await.click().await.unwrap();
        self.wait_path("sign-in page", |p| p == "/signin").await;
    }

    async fn upload(&self, file: &Path) -> String {
        self.goto("/upload").await;
        self.find("#file").await.send_keys(&file.display().to_string()).await.unwrap();
        self.find("#upload-form button[type=submit]").await.click().await.unwrap();
        let p = self
            .wait_path("the new document's page", |p| p.starts_with("/documents/") && p.len() > "/documents/".len())
            .await;
        self.find("pre.doc-text, main p").await;
        p.trim_start_matches("/documents/").to_string()
    }
}

fn chrome_caps(profile: &Path, binary: &Path) -> serde_json::Map<String, serde_json::Value> {
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": binary.display().to_string(),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=ja",
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    caps.as_object().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn candidate_advisor_and_admin_in_a_real_browser() {
    let chromium = find_program(CHROMIUM_CANDIDATES, "chromium").unwrap_or_else(|| {
        panic!("Chromium is not installed: `apt-get install -y chromium chromium-driver` (or run .ci/run, which installs them)")
    });
    let driver_exe = find_program(&["/usr/bin/chromedriver"], "chromedriver").unwrap_or_else(|| {
        panic!(
            "chromedriver is not installed: `apt-get install -y chromium-driver` (or run .ci/run, which installs it)"
        )
    });

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shots = root.join("target/ui-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cwd, tmp, data) = (dir.path().join("cwd"), dir.path().join("tmp"), dir.path().join("data"));
    for d in [&cwd, &tmp] {
        std::fs::create_dir_all(d).unwrap();
    }
    let server = Server::start(&cwd, &tmp, &data, &dir.path().join("server.log"), "info");
    let alice = create_user(&cwd, &tmp, &data, "佐伯 真琴", "candidate");
    let bob = create_user(&cwd, &tmp, &data, "倉持 拓海", "candidate");
    let advisor = create_user(&cwd, &tmp, &data, "相談員 山田", "advisor");
    let admin = create_user(&cwd, &tmp, &data, "管理者", "admin");

    let driver = start_driver(&driver_exe, &dir.path().join("chromedriver.log"));
    let profile = dir.path().join("profile");
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let c = ClientBuilder::new(connector)
        .capabilities(chrome_caps(&profile, &chromium))
        .connect(&driver.url)
        .await
        .unwrap_or_else(|e| panic!("could not start headless Chromium through chromedriver: {e}"));
    let ui = Ui { c, base: server.base.clone(), shots: shots.clone() };

    // ---- not signed in: redirected to the sign-in page ---------------------------------
    ui.goto("/documents").await;
    ui.wait_path("sign-in redirect", |p| p == "/signin").await;
    let src = ui.source().await;
    assert!(src.contains("lang=\"ja\""), "html lang");
    ui.shot("01-signin").await;

    // ---- candidate: upload, see it held with the passage highlighted, consent -----------
    ui.sign_in(&alice).await;
    assert_eq!(ui.path().await, "/documents");
    ui.goto("/upload").await;
    let upload_text = ui.text("main").await;
    assert!(upload_text.contains("20MB") && upload_text.contains("PDF"), "limits stated: {upload_text}");
    ui.shot("02-candidate-upload").await;

    let doc1 = ui.upload(&root.join("samples/rirekisho_chronic_illness.docx")).await;
    assert!(ui.text("dl.meta").await.contains("隔離中（同意待ち）"));
    let marks = ui.all("pre.doc-text mark").await;
    assert!(!marks.is_empty(), "findings highlighted");
    let mut mark_texts = Vec::new();
    for m in &marks {
        mark_texts.push(m.text().await.unwrap());
    }
    assert!(
        mark_texts.iter().any(|t| t.contains("糖尿病") && t.contains("病歴：")),
        "a <mark> holds the medical term with its category and explanation: {mark_texts:?}"
    );
    // The consent form: the notice and its version shown, nothing pre-ticked.
    let consent = ui.text("section.consent").await;
    assert!(consent.contains("お知らせの版：2026-11"), "{consent}");
    assert!(consent.contains("求人企業への推薦") && consent.contains("キャリア相談"));
    let boxes = ui.all("section.consent input[type=checkbox]").await;
    assert!(boxes.len() >= 3, "a box per category and per purpose");
    for b in &boxes {
        assert!(!b.is_selected().await.unwrap(), "nothing is pre-ticked");
    }
    ui.c.set_window_size(1280, 1500).await.unwrap();
    ui.c.execute(
        "document.querySelector('pre.doc-text mark').scrollIntoView({block: 'start'}); window.scrollBy(0, -120)",
        vec![],
    )
    .await
    .unwrap();
    ui.shot("03-candidate-document").await;
    ui.c.set_window_size(1280, 1000).await.unwrap();
    for b in ui.all("section.consent input[name=category]").await {
        b.click().await.unwrap();
    }
    ui.find("#purpose-0").await.click().await.unwrap();
    ui.find("section.consent button[type=submit]").await.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ui.text("dl.meta").await.contains("公開済み") {
        assert!(Instant::now() < deadline, "document not released after consent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ui.text("main").await.contains("同意を撤回する"));
    ui.shot("04-candidate-document-released").await;

    // ---- candidate: a second document, redacted ----------------------------------------
    let doc2 = ui.upload(&root.join("samples/rirekisho_religion.docx")).await;
    assert_ne!(doc1, doc2);
    ui.find(&format!("form[action=\"/documents/{doc2}/redact\"] button")).await.click().await.unwrap();
    let redacted = ui
        .wait_path("the redacted copy", |p| {
            p.starts_with("/documents/") && !p.ends_with(&doc2) && !p.ends_with("/redact")
        })
        .await;
    let text = ui.text("pre.doc-text").await;
    assert!(text.contains('■'), "the redacted copy's text is masked: {text}");
    assert!(!text.contains("キリスト教徒"));
    ui.shot("05-candidate-redacted").await;
    ui.goto("/documents").await;
    let list = ui.text("main").await;
    assert!(list.contains("公開済み"), "{list}");
    ui.shot("06-candidate-documents").await;
    // Readable on a phone.
    ui.c.set_window_size(390, 844).await.unwrap();
    ui.goto(&format!("/documents/{doc1}")).await;
    ui.shot("06b-candidate-document-phone").await;
    ui.c.set_window_size(1280, 1000).await.unwrap();
    ui.goto(&format!("/documents/{doc1}/delete")).await;
    assert!(ui.text("main").await.contains("元に戻すことはできません"));
    ui.shot("07-candidate-delete-confirm").await;
    ui.goto("/account").await;
    assert!(ui.text("main").await.contains("開示"));
    ui.shot("08-candidate-account").await;
    ui.sign_out().await;
    let _ = redacted;

    // ---- another candidate: cannot open the first candidate's page (404) ----------------
    ui.sign_in(&bob).await;
    ui.goto(&format!("/documents/{doc1}")).await;
    assert!(ui.text("h1").await.contains("見つかりません"));
    let src = ui.source().await;
    assert!(!src.contains("糖尿病") && !src.contains("佐伯"), "nothing of the other candidate leaks");
    ui.shot("09-other-candidate-404").await;
    let held = ui.upload(&root.join("samples/rirekisho_conviction.docx")).await;
    assert!(ui.text("dl.meta").await.contains("隔離中（同意待ち）"));
    ui.sign_out().await;

    // ---- advisor: queue, the quarantined original refused, a false positive -------------
    ui.sign_in(&advisor).await;
    assert_eq!(ui.path().await, "/review");
    ui.shot("10-advisor-queue").await;
    // Filter by category through the select.
    ui.find("#category").await.select_by_value("criminal_record").await.unwrap();
    ui.find("form.filter button").await.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while ui.c.current_url().await.unwrap().query() != Some("category=criminal_record") {
        assert!(Instant::now() < deadline, "the filter did not apply");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let href = ui.find("main table tbody a").await.attr("href").await.unwrap().expect("a finding link");
    ui.goto(&href).await;
    ui.wait_path("finding page", |p| p.starts_with("/review/findings/")).await;
    let finding_page = ui.text("main").await;
    assert!(finding_page.contains("犯罪の経歴") || finding_page.contains("犯罪"), "{finding_page}");
    assert!(!ui.all("p.context mark").await.is_empty(), "the span is highlighted in its context");
    ui.shot("11-advisor-finding").await;
    let finding_url = ui.c.current_url().await.unwrap();
    // The quarantined original: a 403 page.
    ui.goto(&format!("/documents/{held}/original")).await;
    assert!(ui.text("main").await.contains("この書類は本人の同意があるまで閲覧できません"));
    ui.shot("12-advisor-quarantined-403").await;
    // Back to the finding: a false positive with a reason.
    ui.c.goto(finding_url.as_str()).await.unwrap();
    ui.find("#d-fp").await.click().await.unwrap();
    ui.find("#reason").await.send_keys("刑罰に関する一般的な説明であり、本人の経歴ではない").await.unwrap();
    ui.find("main form button[type=submit]").await.click().await.unwrap();
    ui.wait_path("queue after decision", |p| p == "/review").await;
    assert!(ui.text("main").await.contains("判定を記録しました"));
    ui.goto("/released").await;
    assert!(ui.text("main").await.contains(&doc1[..8]), "the consented document is listed as released");
    ui.shot("13-advisor-released").await;
    ui.goto(&format!("/documents/{doc1}")).await;
    assert!(ui.text("main").await.contains("求人企業への提供を記録する"));
    ui.find("#recipient").await.send_keys("株式会社サンプル").await.unwrap();
    ui.find("section form button[type=submit]").await.click().await.unwrap();
    ui.wait_path("provision recorded", |p| p.ends_with("/provisions")).await;
    assert!(ui.text("h1").await.contains("提供を記録しました"));
    ui.sign_out().await;

    // ---- admin: users, audit chain, statistics -----------------------------------------
    ui.sign_in(&admin).await;
    assert_eq!(ui.path().await, "/admin/users");
    ui.shot("14-admin-users").await;
    ui.goto("/admin/audit").await;
    assert!(ui.text("main").await.contains("ハッシュチェーンの検証：正常"));
    ui.shot("15-admin-audit").await;
    ui.goto("/admin/stats").await;
    assert!(ui.text("main").await.contains("辞書のバージョン"));
    ui.shot("16-admin-stats").await;

    ui.c.close().await.unwrap();
    drop(driver);
    server.stop();

    // The README shows these two; refreshed on request only, so a test run leaves the
    // working tree as it was.
    if std::env::var_os("HAIRYO_UPDATE_SCREENSHOTS").is_some() {
        let docs = root.join("docs/screenshots");
        std::fs::create_dir_all(&docs).unwrap();
        for name in ["03-candidate-document", "10-advisor-queue"] {
            std::fs::copy(shots.join(format!("{name}.png")), docs.join(format!("{name}.png"))).unwrap();
        }
    }
}
