//! Sign-in, sign-out and the session table (`ui_sessions`, shared by every server).
//!
//! The cookie carries a random 32-byte id; the database keeps only its SHA-256, the user id,
//! the CSRF token and the expiry. No API token is kept anywhere after sign-in: every request
//! loads the user by id, so a suspension is seen at once and a deleted user's sessions are
//! gone with the user. Sessions are not document state: they are written on the pool without
//! the audit lock or audit entries (sign-in was never audited).

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::html;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;
use zeroize::Zeroizing;

use super::{Ctx, Form, UiError, is_tls, layout};
use crate::http::AppState;
use crate::review::{Role, ServiceError, User};
use crate::store;

/// The session cookie.
const COOKIE: &str = "hairyo_session";
/// The cookie that protects the sign-in form itself (double submit).
const PRE_COOKIE: &str = "hairyo_signin";
/// A session lasts this long after sign-in (an absolute limit: nothing is written per request,
/// so a page view costs one read and no write on the shared database).
const LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);
/// At most this many live sessions per user (oldest dropped first). Per user rather than
/// global: with a shared table a global cap would let one user's sign-ins end everyone's
/// sessions, while this still bounds what one leaked token can add.
const MAX_SESSIONS_PER_USER: i64 = 20;

/// One signed-in browser. Holds neither the cookie value nor any token.
#[derive(Clone)]
pub(crate) struct Session {
    /// The SHA-256 of the random id in the cookie: the row's key.
    id_hash: String,
    /// The CSRF token of every form of this session. Stored as is, not hashed: every form
    /// must show it, and on its own it grants nothing, since a POST also needs the session
    /// cookie, which the database knows only by its hash.
    pub csrf: String,
}

fn random_hex() -> String {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    hex::encode(raw)
}

fn id_hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
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

/// The live session named by the request's cookie, with its user loaded afresh. An expired
/// session is deleted on the way.
pub(crate) async fn lookup(state: &AppState, headers: &HeaderMap) -> Result<Option<(Session, User)>, ServiceError> {
    let Some(id) = cookie(headers, COOKIE).map(Zeroizing::new) else { return Ok(None) };
    // Anything but our own ids (64 hex digits) is not worth a query.
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let pool = &state.service.store.pool;
    let key = id_hash(&id);
    let row = sqlx::query(
        "SELECT u.id, u.name, u.role, u.suspended_at, s.csrf, s.expires_at \
         FROM ui_sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
    )
    .bind(&key)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let expires_at: String = row.try_get(5)?;
    if expires_at <= store::now() {
        sqlx::query("DELETE FROM ui_sessions WHERE id_hash = $1").bind(&key).execute(pool).await?;
        return Ok(None);
    }
    let user = User::from_row(&row)?;
    Ok(Some((Session { id_hash: key, csrf: row.try_get(4)? }, user)))
}

/// Ends a session (on every server: the row is gone).
pub(crate) async fn remove(state: &AppState, session: &Session) -> Result<(), ServiceError> {
    sqlx::query("DELETE FROM ui_sessions WHERE id_hash = $1")
        .bind(&session.id_hash)
        .execute(&state.service.store.pool)
        .await?;
    Ok(())
}

/// Opens a session for a user who just proved their token; returns the cookie value. Expired
/// rows of every user are swept here, and the user's oldest sessions beyond the cap dropped.
async fn open(state: &AppState, user: &User) -> Result<Zeroizing<String>, ServiceError> {
    let pool = &state.service.store.pool;
    let id = Zeroizing::new(random_hex());
    let now = time::OffsetDateTime::now_utc();
    let (created_at, expires_at) = (store::timestamp(now), store::timestamp(now + LIFETIME));
    sqlx::query("DELETE FROM ui_sessions WHERE expires_at <= $1").bind(&created_at).execute(pool).await?;
    sqlx::query("INSERT INTO ui_sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(id_hash(&id))
        .bind(&user.id)
        .bind(random_hex())
        .bind(&created_at)
        .bind(&expires_at)
        .execute(pool)
        .await?;
    sqlx::query(
        "DELETE FROM ui_sessions WHERE user_id = $1 AND id_hash NOT IN \
         (SELECT id_hash FROM ui_sessions WHERE user_id = $1 ORDER BY created_at DESC, id_hash LIMIT $2)",
    )
    .bind(&user.id)
    .bind(MAX_SESSIONS_PER_USER)
    .execute(pool)
    .await?;
    Ok(id)
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
    match lookup(&state, &headers).await {
        Ok(Some((_, user))) => Redirect::to(match user.role {
            Role::Candidate => "/documents",
            Role::Advisor => "/review",
            Role::Admin => "/admin/users",
        })
        .into_response(),
        Ok(None) => Redirect::to("/signin").into_response(),
        Err(e) => UiError::from(e).into_response(),
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
        Ok(user) => {
            let id = match open(&state, &user).await {
                Ok(id) => id,
                Err(e) => return UiError::from(e).into_response(),
            };
            let tls = is_tls(&headers);
            let mut res = Redirect::to("/").into_response();
            res.headers_mut().append(header::SET_COOKIE, set_cookie(COOKIE, &id, LIFETIME.as_secs(), tls));
            res.headers_mut().append(header::SET_COOKIE, set_cookie(PRE_COOKIE, "", 0, tls));
            res
        }
        Err(ServiceError::Unauthenticated) => {
            signin_form(&headers, StatusCode::UNAUTHORIZED, Some("アクセストークンが正しくありません。"))
        }
        Err(e) => UiError::from(e).into_response(),
    }
}

async fn signout(
    ctx: Ctx,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, UiError> {
    ctx.check_csrf(&Form::parse(&body))?;
    remove(&state, &ctx.session).await?;
    let mut res = Redirect::to("/signin").into_response();
    res.headers_mut().append(header::SET_COOKIE, set_cookie(COOKIE, "", 0, is_tls(&headers)));
    Ok(res)
}
