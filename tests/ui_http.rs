//! The browser UI's security properties without a browser: `app(state).oneshot(...)`.
//! Security headers, the session cookie's flags, CSRF on every POST, static assets, and that a
//! candidate gets a 404 page for another candidate's document.

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

struct Env {
    _tmp: tempfile::TempDir,
    app: Router,
    service: Arc<Service>,
}

async fn env() -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&StoreConfig { data_dir: tmp.path().join("data"), database_url: None, master_key: None })
        .await
        .unwrap();
    let extractor = Extractor {
        limits: Limits::default(),
        isolation: Isolation::Subprocess { exe: PathBuf::from(env!("CARGO_BIN_EXE_hairyo")) },
    };
    let service =
        Service::new(store, Pipeline::new(Arc::new(Detector::embedded().unwrap()), extractor), Duration::from_secs(60));
    Env { _tmp: tmp, app: app(AppState::new(service.clone(), 1024 * 1024)), service }
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
