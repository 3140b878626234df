//! Sign-in, sign-out and the in-memory session table.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::html;
use rand::RngCore;
use zeroize::Zeroizing;

use super::{Ctx, Form, UiError, is_tls, layout};
use crate::http::AppState;
use crate::review::{Role, ServiceError};

/// The session cookie.
const COOKIE: &str = "hairyo_session";
/// The cookie that protects the sign-in form itself (double submit).
const PRE_COOKIE: &str = "hairyo_signin";
/// A session lasts this long after sign-in.
const LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);
/// At most this many live sessions (oldest dropped first).
const MAX_SESSIONS: usize = 10_000;

/// One signed-in browser.
#[derive(Clone)]
pub(crate) struct Session {
    /// The random id in the cookie.
    pub id: String,
    /// The CSRF token of every form of this session.
    pub csrf: String,
    token: Arc<Zeroizing<String>>,
    expires: Instant,
}

impl Session {
    /// The API token the session was opened with (re-authenticated on every request).
    pub fn token(&self) -> &str {
        self.token.as_str()
    }
}

fn table() -> &'static Mutex<HashMap<String, Session>> {
    static TABLE: OnceLock<Mutex<HashMap<String, Session>>> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn random_hex() -> String {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    hex::encode(raw)
}

/// Compares without an early exit.
pub(crate) fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The live session named by the request's cookie.
pub(crate) fn lookup(headers: &HeaderMap) -> Option<Session> {
    let id = cookie(headers, COOKIE)?;
    let mut table = table().lock().unwrap_or_else(|e| e.into_inner());
    match table.get(&id) {
        Some(s) if s.expires > Instant::now() => Some(s.clone()),
        Some(_) => {
            table.remove(&id);
            None
        }
        None => None,
    }
}

/// Ends a session.
pub(crate) fn remove(id: &str) {
    table().lock().unwrap_or_else(|e| e.into_inner()).remove(id);
}

fn open(token: &str) -> Session {
    let session = Session {
        id: random_hex(),
        csrf: random_hex(),
        token: Arc::new(Zeroizing::new(token.to_string())),
        expires: Instant::now() + LIFETIME,
    };
    let mut table = table().lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    table.retain(|_, s| s.expires > now);
    if table.len() >= MAX_SESSIONS {
        if let Some(oldest) = table.iter().min_by_key(|(_, s)| s.expires).map(|(k, _)| k.clone()) {
            table.remove(&oldest);
        }
    }
    table.insert(session.id.clone(), session.clone());
    session
}

fn set_cookie(name: &str, value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"))
        .expect("cookie is ASCII")
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/signin", get(signin_page).post(signin))
        .route("/signout", axum::routing::post(signout))
}

async fn home(headers: HeaderMap, State(state): State<AppState>) -> Response {
    let Some(session) = lookup(&headers) else { return Redirect::to("/signin").into_response() };
    match state.service.authenticate(session.token()).await {
        Ok(user) => Redirect::to(match user.role {
            Role::Candidate => "/documents",
            Role::Advisor => "/review",
            Role::Admin => "/admin/users",
        })
        .into_response(),
        Err(_) => Redirect::to("/signin").into_response(),
    }
}

fn signin_form(headers: &HeaderMap, status: StatusCode, error: Option<&str>) -> Response {
    let pre = random_hex();
    let body = html! {
        section.narrow {
            h1 { "サインイン" }
            p { "管理者から受け取ったアクセストークンを入力してください。" }
            @if let Some(e) = error { p.alert.error-message role="alert" { (e) } }
            form method="post" action="/signin" {
                input type="hidden" name="csrf" value=(pre);
                div.field {
                    label for="token" { "アクセストークン" }
                    input #token type="password" name="token" required autocomplete="current-password" spellcheck="false" autofocus;
                }
                button.primary type="submit" { "サインイン" }
            }
        }
    };
    let mut res = (status, layout("サインイン", None, body)).into_response();
    res.headers_mut().append(header::SET_COOKIE, set_cookie(PRE_COOKIE, &pre, 600, is_tls(headers)));
    res
}

async fn signin_page(headers: HeaderMap) -> Response {
    signin_form(&headers, StatusCode::OK, None)
}

async fn signin(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = Form::parse(&body);
    let pre_ok = match (cookie(&headers, PRE_COOKIE), form.get("csrf")) {
        (Some(c), Some(f)) => constant_eq(c.as_bytes(), f.as_bytes()),
        _ => false,
    };
    if !pre_ok || !super::same_origin(&headers) {
        return signin_form(
            &headers,
            StatusCode::FORBIDDEN,
            Some("フォームの有効期限が切れました。もう一度入力してください。"),
        );
    }
    let token = Zeroizing::new(form.get("token").unwrap_or("").trim().to_string());
    match state.service.authenticate(&token).await {
        Ok(_) => {
            let session = open(&token);
            let tls = is_tls(&headers);
            let mut res = Redirect::to("/").into_response();
            res.headers_mut().append(header::SET_COOKIE, set_cookie(COOKIE, &session.id, LIFETIME.as_secs(), tls));
            res.headers_mut().append(header::SET_COOKIE, set_cookie(PRE_COOKIE, "", 0, tls));
            res
        }
        Err(ServiceError::Unauthenticated) => {
            signin_form(&headers, StatusCode::UNAUTHORIZED, Some("アクセストークンが正しくありません。"))
        }
        Err(e) => UiError::from(e).into_response(),
    }
}

async fn signout(ctx: Ctx, headers: HeaderMap, body: Bytes) -> Result<Response, UiError> {
    ctx.check_csrf(&Form::parse(&body))?;
    remove(&ctx.session.id);
    let mut res = Redirect::to("/signin").into_response();
    res.headers_mut().append(header::SET_COOKIE, set_cookie(COOKIE, "", 0, is_tls(&headers)));
    Ok(res)
}
