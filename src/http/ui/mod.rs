//! The browser UI: server-rendered HTML (maud) on the same origin as the API, in Japanese.
//!
//! - The sign-in form exchanges the API token for a random 32-byte session id in an HttpOnly,
//!   SameSite=Strict cookie. Sessions live in the database (`ui_sessions`, keyed by the id's
//!   SHA-256, without the token), so any server behind a load balancer serves any session.
//!   Every request loads the user afresh, so a removed or suspended user is seen at once.
//! - Every POST form carries the session's CSRF token in a hidden field, checked on every
//!   POST; a POST whose `Origin` is another site is refused as well.
//! - Every UI response carries a strict Content-Security-Policy (no inline scripts or styles),
//!   `nosniff`, `no-referrer` and `no-store`. Static assets are embedded in the binary.
//! - Errors are friendly Japanese pages; a document that is not the caller's is "not found".

mod admin;
mod advisor;
mod candidate;
mod session;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, html};

use super::{ApiError, AppState};
use crate::review::{DocStatus, DocumentMeta, Role, ServiceError, User};

pub(crate) use session::Session;

/// The UI routes (pages, forms, static assets).
pub(super) fn routes() -> Router<AppState> {
    let pages = Router::new()
        .merge(session::routes())
        .merge(candidate::routes())
        .merge(advisor::routes())
        .merge(admin::routes())
        // Forms are small: a body past FORM_BODY_LIMIT is refused (413) before it is buffered.
        // The upload form's route lifts this and counts its stream against the upload limit.
        .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT))
        .layer(middleware::map_response(security_headers));
    let assets = Router::new()
        .route("/static/app.css", get(|| async { asset("text/css; charset=utf-8", CSS) }))
        .route("/static/app.js", get(|| async { asset("text/javascript; charset=utf-8", JS) }));
    pages.merge(assets)
}

/// The largest body a form post may have (sign-in, consent, review, admin forms): far above
/// any real form, far below what would cost the server memory.
pub(crate) const FORM_BODY_LIMIT: usize = 64 * 1024;

const CSS: &str = include_str!("../../../static/app.css");
const JS: &str = include_str!("../../../static/app.js");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'";

async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

// ---- the signed-in caller -----------------------------------------------------------------

/// A signed-in browser: the user (loaded afresh on this request) and the session.
pub(crate) struct Ctx {
    pub user: User,
    pub session: Session,
}

impl Ctx {
    /// Refuses a POST whose form does not carry this session's CSRF token.
    fn check_csrf(&self, form: &Form) -> Result<(), UiError> {
        match form.get("csrf") {
            Some(t) if session::constant_eq(t.as_bytes(), self.session.csrf.as_bytes()) => Ok(()),
            _ => Err(UiError::Page(
                StatusCode::FORBIDDEN,
                "フォームの有効期限が切れたか、不正な送信です。ページを再読み込みしてやり直してください",
            )),
        }
    }

    fn require(&self, roles: &[Role]) -> Result<(), UiError> {
        self.user.require(roles).map_err(UiError::from)
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let (session, user) = session::lookup(state, &parts.headers).await?.ok_or(UiError::SignIn)?;
        if parts.method == axum::http::Method::POST && !same_origin(&parts.headers) {
            return Err(UiError::Page(StatusCode::FORBIDDEN, "別のサイトからの送信は受け付けられません"));
        }
        Ok(Ctx { user, session })
    }
}

/// False when the request names an `Origin` that is not this host. Browsers send
/// `Origin: null` under `Referrer-Policy: no-referrer`: that proves nothing either way, and
/// the CSRF token (with the SameSite=Strict cookie) still decides.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    if origin == "null" {
        return true;
    }
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else { return false };
    let bare = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://")).unwrap_or("");
    bare == host
}

/// Whether the request came over TLS (directly or through a proxy saying so).
fn is_tls(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

// ---- forms ---------------------------------------------------------------------------------

/// An `application/x-www-form-urlencoded` body (repeated names kept: checkbox groups).
pub(crate) struct Form(Vec<(String, String)>);

impl Form {
    fn parse(body: &Bytes) -> Self {
        Form(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }
}

fn csrf_field(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.session.csrf); }
}

// ---- errors --------------------------------------------------------------------------------

/// What a UI handler can fail with.
pub(crate) enum UiError {
    /// Not signed in (or the session expired): go to the sign-in page.
    SignIn,
    /// A friendly error page.
    Page(StatusCode, &'static str),
}

impl From<ServiceError> for UiError {
    fn from(e: ServiceError) -> Self {
        if matches!(e, ServiceError::Unauthenticated) {
            return UiError::SignIn;
        }
        let api = ApiError::from(e);
        UiError::Page(api.status, api.message)
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        match self {
            UiError::SignIn => Redirect::to("/signin").into_response(),
            UiError::Page(status, message) => {
                let title = match status {
                    StatusCode::FORBIDDEN => "閲覧できません",
                    StatusCode::NOT_FOUND => "見つかりません",
                    StatusCode::PAYLOAD_TOO_LARGE => "ファイルが大きすぎます",
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => "この形式には対応していません",
                    StatusCode::CONFLICT => "この操作はできません",
                    s if s.is_client_error() => "入力内容を確認してください",
                    _ => "エラーが発生しました",
                };
                let body = html! {
                    section.error role="alert" {
                        h1 { (title) }
                        p.error-message { (message) }
                        p { a href="/" { "ホームへ戻る" } }
                    }
                };
                (status, layout(title, None, body)).into_response()
            }
        }
    }
}

/// A `404` page for UI paths that do not exist.
pub(crate) fn not_found() -> UiError {
    UiError::Page(StatusCode::NOT_FOUND, "お探しのページは見つかりません")
}

// ---- layout --------------------------------------------------------------------------------

/// A whole page: header with navigation for the role, main content.
fn layout(title: &str, ctx: Option<&Ctx>, main: Markup) -> Html<String> {
    let page = html! {
        (DOCTYPE)
        html lang="ja" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " | hairyo" }
                link rel="stylesheet" href="/static/app.css";
                script src="/static/app.js" defer {}
            }
            body {
                a.skip href="#main" { "本文へ移動" }
                header.site {
                    a.brand href="/" { "hairyo" span.sub { "書類の要配慮個人情報チェック" } }
                    @if let Some(ctx) = ctx {
                        nav aria-label="メインメニュー" {
                            ul {
                                @match ctx.user.role {
                                    Role::Candidate => {
                                        li { a href="/documents" { "提出書類一覧" } }
                                        li { a href="/upload" { "書類をアップロード" } }
                                        li { a href="/account" { "自分の情報" } }
                                    }
                                    Role::Advisor => {
                                        li { a href="/review" { "審査キュー" } }
                                        li { a href="/released" { "公開済みの書類" } }
                                    }
                                    Role::Admin => {
                                        li { a href="/admin/users" { "利用者" } }
                                        li { a href="/admin/audit" { "監査ログ" } }
                                        li { a href="/admin/stats" { "統計" } }
                                    }
                                }
                            }
                        }
                        form.signout method="post" action="/signout" {
                            (csrf_field(ctx))
                            span.who { (ctx.user.name) "（" (role_ja(ctx.user.role)) "）" }
                            button type="submit" { "サインアウト" }
                        }
                    }
                }
                main #main { (main) }
            }
        }
    };
    Html(page.into_string())
}

fn role_ja(role: Role) -> &'static str {
    match role {
        Role::Candidate => "求職者",
        Role::Advisor => "キャリアアドバイザー",
        Role::Admin => "管理者",
    }
}

/// A document's status in Japanese.
fn status_ja(meta: &DocumentMeta) -> &'static str {
    match (meta.status, meta.reason.as_deref()) {
        (DocStatus::Quarantined, Some("unscannable")) => "隔離中（読み取り不可）",
        (DocStatus::Quarantined, Some("consent_withdrawn")) => "隔離中（同意撤回）",
        (DocStatus::Quarantined, Some("rescan")) => "隔離中（辞書更新で再保留）",
        (DocStatus::Quarantined, _) => "隔離中（同意待ち）",
        (DocStatus::Released, _) => "公開済み",
        (DocStatus::Erased, _) => "削除済み",
    }
}

fn status_badge(meta: &DocumentMeta) -> Markup {
    let class = match meta.status {
        DocStatus::Quarantined => "badge held",
        DocStatus::Released => "badge released",
        DocStatus::Erased => "badge erased",
    };
    html! { span class=(class) { (status_ja(meta)) } }
}

fn review_state_ja(state: &str) -> &'static str {
    match state {
        "pending" => "未審査",
        "confirmed" => "確定",
        "false_positive" => "誤検出",
        _ => "不明",
    }
}

fn kind_ja(kind: Option<&str>) -> &'static str {
    match kind {
        Some("pdf") => "PDF",
        Some("docx") => "Word（DOCX）",
        Some("text") => "テキスト",
        _ => "不明",
    }
}

/// `2026-11-22T18:53:07.123Z` → `2026-11-22 18:53`.
fn when(ts: &str) -> String {
    ts.replace('T', " ").chars().take(16).collect()
}

fn notice_block(text: &str) -> Markup {
    html! {
        div.notice tabindex="0" role="region" aria-label="お知らせの本文" {
            @for line in text.lines() {
                @if let Some(h) = line.strip_prefix("# ") { h3 { (h) } }
                @else if !line.trim().is_empty() { p { (line) } }
            }
        }
    }
}
