//! The browser UI's security properties without a browser: `app(state).oneshot(...)`.
//! Security headers, the session cookie's flags, CSRF on every POST, static assets, and that a
//! candidate gets a 404 page for another candidate's document; sessions that live in the
//! database, shared by every server on it; the notice of a document held again by a rescan.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use hairyo::detect::Detector;
use hairyo::extract::{Extractor, Isolation, Limits};
use hairyo::http::{AppState, app};
use hairyo::pipeline::Pipeline;
use hairyo::review::{Role, Service};
use hairyo::store::{Store, StoreConfig};
use sha2::Digest;

#[path = "support/db.rs"]
mod db;
use db::{TestDb, backend_tests};

struct Env {
    tmp: tempfile::TempDir,
    app: Router,
    service: Arc<Service>,
    database_url: Option<String>,
}

async fn env() -> Env {
    env_on(&TestDb::sqlite()).await
}

async fn env_on(db: &TestDb) -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let database_url = db.url();
    let store = Store::open(&store_config(&tmp, &database_url)).await.unwrap();
    let (app, service) = server(store);
    Env { tmp, app, service, database_url }
}

fn store_config(tmp: &tempfile::TempDir, database_url: &Option<String>) -> StoreConfig {
    StoreConfig { data_dir: tmp.path().join("data"), database_url: database_url.clone(), master_key: None }
}

/// One server's router and service over a store (several may share one database).
fn server(store: Store) -> (Router, Arc<Service>) {
    let extractor = Extractor {
        limits: Limits::default(),
        isolation: Isolation::Subprocess { exe: PathBuf::from(env!("CARGO_BIN_EXE_hairyo")) },
    };
    let service =
        Service::new(store, Pipeline::new(Arc::new(Detector::embedded().unwrap()), extractor), Duration::from_secs(60));
    (app(AppState::new(service.clone(), 1024 * 1024)), service)
}

async fn send(app: &Router, req: Request<Body>) -> (Response<Body>, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (Response::from_parts(parts, Body::empty()), String::from_utf8_lossy(&bytes).into_owned())
}

fn cookies(res: &Response<Body>) -> Vec<String> {
    res.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect()
}

fn cookie_value(set: &[String], name: &str) -> String {
    set.iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_string())
        .expect(name)
}

fn hidden_csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("csrf field") + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

/// Signs in through the form; returns the session cookie and a page's CSRF token.
async fn sign_in(app: &Router, token: &str, tls: bool) -> (String, Vec<String>) {
    let (res, html) = send(app, Request::get("/signin").body(Body::empty()).unwrap()).await;
    let pre = cookie_value(&cookies(&res), "hairyo_signin");
    assert_eq!(hidden_csrf(&html), pre);
    let mut req = Request::post("/signin")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("hairyo_signin={pre}"));
    if tls {
        req = req.header("x-forwarded-proto", "https");
    }
    let (res, _) = send(app, req.body(Body::from(format!("csrf={pre}&token={token}"))).unwrap()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let set = cookies(&res);
    (cookie_value(&set, "hairyo_session"), set)
}

#[tokio::test]
async fn headers_cookie_csrf_and_isolation() {
    let e = env().await;
    let (_, alice) = e.service.create_user(None, "alice", Role::Candidate).await.unwrap();
    let (_, bob) = e.service.create_user(None, "bob", Role::Candidate).await.unwrap();

    // Not signed in: redirected; security headers on every UI response.
    let (res, _) = send(&e.app, Request::get("/documents").body(Body::empty()).unwrap()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/signin");
    let (res, html) = send(&e.app, Request::get("/signin").body(Body::empty()).unwrap()).await;
    let h = res.headers();
    assert_eq!(
        h[header::CONTENT_SECURITY_POLICY],
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"
    );
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    assert!(html.contains("<html lang=\"ja\">") && html.contains("name=\"viewport\""));
    assert!(!html.contains("<script>") && !html.contains(" style="), "no inline script or style");

    // A wrong token, a missing pre-session token.
    let (res, _) = send(
        &e.app,
        Request::post("/signin")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("token={alice}")))
            .unwrap(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Session cookie flags; Secure only over TLS.
    let (_, set) = sign_in(&e.app, &alice, false).await;
    let session = set.iter().find(|c| c.starts_with("hairyo_session=")).unwrap();
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Strict")
            && session.contains("Path=/")
            && !session.contains("Secure"),
        "{session}"
    );
    let (_, set) = sign_in(&e.app, &alice, true).await;
    assert!(set.iter().find(|c| c.starts_with("hairyo_session=")).unwrap().contains("; Secure"));

    let (sid, _) = sign_in(&e.app, &alice, false).await;
    let cookie = format!("hairyo_session={sid}");
    let (res, html) =
        send(&e.app, Request::get("/documents").header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(html.contains("提出書類一覧"));
    let csrf = hidden_csrf(&html);

    // Upload through the UI endpoint (multipart with the CSRF field).
    let boundary = "b0undary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n健康状態：1型糖尿病のため月に1回通院しています。\r\n--{boundary}--\r\n"
    );
    let (res, _) = send(
        &e.app,
        Request::post("/documents")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body.replace(&csrf, "wrong")))
            .unwrap(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "upload without the CSRF token");
    let (res, _) = send(
        &e.app,
        Request::post("/documents")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let doc_path = res.headers()[header::LOCATION].to_str().unwrap().to_string();
    let (res, html) =
        send(&e.app, Request::get(&doc_path).header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(html.contains("隔離中（同意待ち）"));
    assert!(html.contains("<mark") && html.contains("病歴：要配慮個人情報にあたります"), "{html}");
    assert!(!html.contains("checked"), "nothing pre-ticked");

    // POSTs without the CSRF token are refused; the document stays held.
    for (path, form) in [
        (
            format!("{doc_path}/consent"),
            "category=medical_history&category=medical_care&purpose=x&notice_version=2026-11".to_string(),
        ),
        (format!("{doc_path}/redact"), String::new()),
        (format!("{doc_path}/delete"), String::new()),
        ("/account/suspend".to_string(), String::new()),
        ("/signout".to_string(), String::new()),
    ] {
        let (res, _) = send(
            &e.app,
            Request::post(&path)
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form))
                .unwrap(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path} without CSRF");
    }
    // A cross-site Origin is refused even with the token.
    let (res, _) = send(
        &e.app,
        Request::post(format!("{doc_path}/redact"))
            .header(header::COOKIE, &cookie)
            .header(header::HOST, "hairyo.example")
            .header(header::ORIGIN, "https://evil.example")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={csrf}")))
            .unwrap(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Another candidate: a 404 page that shows nothing of the document.
    let (bob_sid, _) = sign_in(&e.app, &bob, false).await;
    let (res, html) = send(
        &e.app,
        Request::get(&doc_path)
            .header(header::COOKIE, format!("hairyo_session={bob_sid}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(html.contains("見つかりません") && !html.contains("糖尿病") && !html.contains("a.txt"));
    let (res, _) = send(
        &e.app,
        Request::get(format!("{doc_path}/original"))
            .header(header::COOKIE, format!("hairyo_session={bob_sid}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Sign-out ends the session.
    let (res, _) = send(
        &e.app,
        Request::post("/signout")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={csrf}")))
            .unwrap(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (res, _) =
        send(&e.app, Request::get("/documents").header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    assert_eq!(res.headers()[header::LOCATION], "/signin");
}

#[tokio::test]
async fn static_assets_are_embedded_with_types_and_caching() {
    let e = env().await;
    for (path, ty) in
        [("/static/app.css", "text/css; charset=utf-8"), ("/static/app.js", "text/javascript; charset=utf-8")]
    {
        let (res, body) = send(&e.app, Request::get(path).body(Body::empty()).unwrap()).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CONTENT_TYPE], ty);
        assert_eq!(res.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(res.headers()[header::CACHE_CONTROL].to_str().unwrap().contains("max-age"));
        assert!(!body.is_empty());
    }
}

async fn get_page(app: &Router, path: &str, sid: &str) -> (Response<Body>, String) {
    send(app, Request::get(path).header(header::COOKIE, format!("hairyo_session={sid}")).body(Body::empty()).unwrap())
        .await
}

async fn post_form(app: &Router, path: &str, sid: &str, form: String) -> (Response<Body>, String) {
    send(
        app,
        Request::post(path)
            .header(header::COOKIE, format!("hairyo_session={sid}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .unwrap(),
    )
    .await
}

async fn session_count(service: &Service) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM ui_sessions").fetch_one(&service.store.pool).await.unwrap()
}

// The session table on each backend (PostgreSQL is the scaled mode that needs it).
backend_tests!(
    sessions_are_shared_by_servers_on_one_database,
    expired_sessions_are_refused_and_deleted,
    sessions_end_with_their_user_and_are_capped_per_user,
    requarantined_documents_are_announced_to_their_owner,
);

/// Two servers behind a load balancer: a session opened on one works on the other, and
/// signing out on either ends it on both.
async fn sessions_are_shared_by_servers_on_one_database(db: TestDb) {
    let e = env_on(&db).await;
    let (other, other_service) = server(Store::connect(&store_config(&e.tmp, &e.database_url)).await.unwrap());
    let (_, alice) = e.service.create_user(None, "alice", Role::Candidate).await.unwrap();

    let (sid, _) = sign_in(&e.app, &alice, false).await;
    let (res, html) = get_page(&other, "/documents", &sid).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(html.contains("提出書類一覧") && html.contains("alice"));
    let csrf = hidden_csrf(&html);
    let (_, html) = get_page(&e.app, "/documents", &sid).await;
    assert_eq!(hidden_csrf(&html), csrf, "one session, one CSRF token, whichever server renders it");

    // Only the SHA-256 of the cookie value is stored, and no token.
    let keys: Vec<String> =
        sqlx::query_scalar("SELECT id_hash FROM ui_sessions").fetch_all(&other_service.store.pool).await.unwrap();
    assert_eq!(keys, vec![hex::encode(sha2::Sha256::digest(sid.as_bytes()))]);
    let dump: Vec<String> =
        sqlx::query_scalar("SELECT id_hash || user_id || csrf || created_at || expires_at FROM ui_sessions")
            .fetch_all(&other_service.store.pool)
            .await
            .unwrap();
    assert!(!dump[0].contains(&sid) && !dump[0].contains(&alice));

    // A CSRF-protected POST on the other server: an upload, then seen on the first server.
    let boundary = "b0undary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n営業職として5年間勤務しました。\r\n--{boundary}--\r\n"
    );
    let (res, _) = send(
        &other,
        Request::post("/documents")
            .header(header::COOKIE, format!("hairyo_session={sid}"))
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let doc_path = res.headers()[header::LOCATION].to_str().unwrap().to_string();
    assert!(doc_path.starts_with("/documents/"), "{doc_path}");
    let (res, _) = get_page(&e.app, &doc_path, &sid).await;
    assert_eq!(res.status(), StatusCode::OK);

    // A wrong CSRF token is still refused on either server.
    let (res, _) = post_form(&other, "/signout", &sid, "csrf=wrong".into()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Sign out on the other server; the first no longer knows the cookie.
    let (res, _) = post_form(&other, "/signout", &sid, format!("csrf={csrf}")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/signin");
    assert_eq!(session_count(&e.service).await, 0);
    for app in [&e.app, &other] {
        let (res, _) = get_page(app, "/documents", &sid).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()[header::LOCATION], "/signin");
        let (res, _) = get_page(app, "/", &sid).await;
        assert_eq!(res.headers()[header::LOCATION], "/signin");
        let (res, _) = post_form(app, "/signout", &sid, format!("csrf={csrf}")).await;
        assert_eq!(res.headers()[header::LOCATION], "/signin");
    }
}

async fn expired_sessions_are_refused_and_deleted(db: TestDb) {
    let e = env_on(&db).await;
    let (_, alice) = e.service.create_user(None, "alice", Role::Candidate).await.unwrap();
    let (sid, _) = sign_in(&e.app, &alice, false).await;
    let (res, _) = get_page(&e.app, "/documents", &sid).await;
    assert_eq!(res.status(), StatusCode::OK);

    sqlx::query("UPDATE ui_sessions SET expires_at = '2000-01-01T00:00:00.000000Z'")
        .execute(&e.service.store.pool)
        .await
        .unwrap();
    let (res, _) = get_page(&e.app, "/documents", &sid).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/signin");
    assert_eq!(session_count(&e.service).await, 0, "deleted when refused");

    // Expired rows nobody presents again are swept by the next sign-in.
    sign_in(&e.app, &alice, false).await;
    sqlx::query("UPDATE ui_sessions SET expires_at = '2000-01-01T00:00:00.000000Z'")
        .execute(&e.service.store.pool)
        .await
        .unwrap();
    let (fresh, _) = sign_in(&e.app, &alice, false).await;
    assert_eq!(session_count(&e.service).await, 1);
    let (res, _) = get_page(&e.app, "/documents", &fresh).await;
    assert_eq!(res.status(), StatusCode::OK);
}

async fn sessions_end_with_their_user_and_are_capped_per_user(db: TestDb) {
    let e = env_on(&db).await;
    let (_, alice) = e.service.create_user(None, "alice", Role::Candidate).await.unwrap();
    let (bob_user, bob) = e.service.create_user(None, "bob", Role::Candidate).await.unwrap();
    let (alice_sid, _) = sign_in(&e.app, &alice, false).await;

    // Bob signs in more often than the cap: his oldest sessions go, Alice's stays.
    let mut bob_sids = Vec::new();
    for _ in 0..21 {
        bob_sids.push(sign_in(&e.app, &bob, false).await.0);
    }
    assert_eq!(session_count(&e.service).await, 21);
    let (res, _) = get_page(&e.app, "/documents", &bob_sids[0]).await;
    assert_eq!(res.headers()[header::LOCATION], "/signin", "the oldest of bob's sessions");
    let (res, _) = get_page(&e.app, "/documents", &bob_sids[20]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (res, _) = get_page(&e.app, "/documents", &alice_sid).await;
    assert_eq!(res.status(), StatusCode::OK);

    // A user removed from the database takes their sessions along.
    sqlx::query("DELETE FROM users WHERE id = $1").bind(&bob_user.id).execute(&e.service.store.pool).await.unwrap();
    let (res, _) = get_page(&e.app, "/documents", &bob_sids[20]).await;
    assert_eq!(res.headers()[header::LOCATION], "/signin");
    assert_eq!(session_count(&e.service).await, 1);
}

/// A rescan put a released document back into quarantine: its owner's list says so in
/// Japanese, with the categories and a link, until they mark it read; nobody else sees it.
async fn requarantined_documents_are_announced_to_their_owner(db: TestDb) {
    let e = env_on(&db).await;
    let (alice_user, alice) = e.service.create_user(None, "alice", Role::Candidate).await.unwrap();
    let (_, bob) = e.service.create_user(None, "bob", Role::Candidate).await.unwrap();
    let doc = e
        .service
        .upload(&alice_user, "職務経歴書_2026.txt", "物流会社で在庫管理を担当しました。".as_bytes().to_vec())
        .await
        .unwrap();
    // What a rescan writes when the dictionaries start to catch something in it.
    sqlx::query("UPDATE documents SET status = 'quarantined', reason = 'rescan' WHERE id = $1")
        .bind(&doc.id)
        .execute(&e.service.store.pool)
        .await
        .unwrap();
    let note = hairyo::store::new_id();
    sqlx::query(
        "INSERT INTO notifications (id, user_id, document_id, kind, detail, created_at) VALUES ($1, $2, $3, 'requarantined', $4, $5)",
    )
    .bind(&note)
    .bind(&alice_user.id)
    .bind(&doc.id)
    .bind(r#"{"categories": ["medical_history", "disability"]}"#)
    .bind(hairyo::store::now())
    .execute(&e.service.store.pool)
    .await
    .unwrap();

    let (sid, _) = sign_in(&e.app, &alice, false).await;
    let (res, html) = get_page(&e.app, "/documents", &sid).await;
    assert_eq!(res.status(), StatusCode::OK);
    let message = format!(
        "辞書の更新により、文書「<a href=\"/documents/{}\">職務経歴書_2026.txt</a>」に新たな要配慮個人情報（病歴、心身の機能の障害）が見つかったため、再び保留にしました。内容を確認し、同意・マスキング・削除のいずれかを選んでください。",
        doc.id
    );
    assert!(html.contains(&message), "{html}");
    assert!(html.contains("隔離中（辞書更新で再保留）"), "the status in Japanese: {html}");
    assert!(!html.contains("medical_history") && !html.contains(">rescan<"), "no ids shown: {html}");
    let (_, page) = get_page(&e.app, &format!("/documents/{}", doc.id), &sid).await;
    assert!(
        page.contains("辞書の更新により、この書類にあなたが同意していない要配慮個人情報が新たに見つかったため"),
        "{page}"
    );

    // Bob sees nothing of it and cannot mark it read.
    let (bob_sid, _) = sign_in(&e.app, &bob, false).await;
    let (_, bob_html) = get_page(&e.app, "/documents", &bob_sid).await;
    assert!(!bob_html.contains("辞書の更新により") && !bob_html.contains(&doc.id));
    let bob_csrf = hidden_csrf(&bob_html);
    let (res, _) =
        post_form(&e.app, &format!("/notifications/{note}/read"), &bob_sid, format!("csrf={bob_csrf}")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Marking it read takes the session's CSRF token; then the notice is gone.
    let csrf = hidden_csrf(&html);
    let (res, _) = post_form(&e.app, &format!("/notifications/{note}/read"), &sid, "csrf=wrong".into()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (res, _) = post_form(&e.app, &format!("/notifications/{note}/read"), &sid, format!("csrf={csrf}")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/documents");
    let (_, html) = get_page(&e.app, "/documents", &sid).await;
    assert!(!html.contains("辞書の更新により"), "{html}");
    assert!(html.contains("隔離中（辞書更新で再保留）"), "the document is still held");
}
