//! The administrator's pages: users and tokens, the audit log with chain verification,
//! statistics and the dictionary version.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};

use super::{Ctx, Form, UiError, csrf_field, layout, role_ja, when};
use crate::detect::Category;
use crate::http::AppState;
use crate::review::{Role, ServiceError};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(|| async { axum::response::Redirect::to("/admin/users") }))
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/audit", get(audit))
        .route("/admin/stats", get(stats))
}

async fn users_page(state: &AppState, ctx: &Ctx, created: Option<Markup>) -> Result<Response, UiError> {
    let users = state.service.users(&ctx.user).await?;
    let body = html! {
        h1 { "利用者" }
        @if let Some(c) = created { (c) }
        section aria-labelledby="new-h" {
            h2 #new-h { "利用者を追加" }
            form method="post" action="/admin/users" {
                (csrf_field(ctx))
                div.field { label for="name" { "名前" } input #name type="text" name="name" required maxlength="100"; }
                div.field {
                    label for="role" { "役割" }
                    select #role name="role" required {
                        option value="candidate" { "求職者" }
                        option value="advisor" { "キャリアアドバイザー" }
                        option value="admin" { "管理者" }
                    }
                }
                button.primary type="submit" { "追加してトークンを発行" }
            }
        }
        h2 { "登録済みの利用者" }
        div.table-wrap {
            table {
                caption.visually-hidden { "利用者一覧" }
                thead { tr { th scope="col" { "名前" } th scope="col" { "役割" } th scope="col" { "ID" } th scope="col" { "利用停止" } } }
                tbody {
                    @for u in &users {
                        tr { td { (u.name) } td { (role_ja(u.role)) } td { code { (u.id) } } td { (if u.suspended { "停止中" } else { "—" }) } }
                    }
                }
            }
        }
    };
    Ok(layout("利用者", Some(ctx), body).into_response())
}

async fn users(State(state): State<AppState>, ctx: Ctx) -> Result<Response, UiError> {
    users_page(&state, &ctx, None).await
}

async fn create_user(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Result<Response, UiError> {
    let form = Form::parse(&body);
    ctx.check_csrf(&form)?;
    ctx.require(&[Role::Admin])?;
    let role = Role::from_id(form.get("role").unwrap_or(""))
        .ok_or(UiError::Page(StatusCode::UNPROCESSABLE_ENTITY, "役割が不正です"))?;
    let (user, token) = state.service.create_user(Some(&ctx.user), form.get("name").unwrap_or(""), role).await?;
    let created = html! {
        div.alert.token role="status" {
            p { strong { (user.name) "（" (role_ja(user.role)) "）を追加しました。" } }
            p { "アクセストークン（この画面でのみ表示します。本人に安全な方法で渡してください）：" }
            p { code #new-token { (token) } }
        }
    };
    users_page(&state, &ctx, Some(created)).await
}

async fn audit(State(state): State<AppState>, ctx: Ctx) -> Result<Response, UiError> {
    ctx.require(&[Role::Admin])?;
    let verified = state.service.store.verify_audit().await.map_err(ServiceError::from)?;
    let total = match &verified {
        Ok(n) => *n,
        Err(b) => b.seq,
    };
    let entries = state.service.audit_log(&ctx.user, (total - 200).max(0), 200).await?;
    let body = html! {
        h1 { "監査ログ" }
        @match &verified {
            Ok(n) => { p.notice-ok role="status" { "ハッシュチェーンの検証：正常（" (n) "件）" } }
            Err(b) => { p.alert.error-message role="alert" { "ハッシュチェーンの検証：改ざんを検出しました（" (b.seq) "件目：" (b.why) "）" } }
        }
        p { "新しい順に最大200件を表示します。" }
        div.table-wrap {
            table {
                caption.visually-hidden { "監査ログ" }
                thead { tr { th scope="col" { "番号" } th scope="col" { "日時" } th scope="col" { "操作" } th scope="col" { "実行者" } th scope="col" { "書類" } th scope="col" { "対象者" } } }
                tbody {
                    @for e in entries.iter().rev() {
                        tr {
                            td { (e.seq) }
                            td { (when(&e.at)) }
                            td { code { (e.action) } }
                            td { code { (short(e.actor_id.as_deref())) } }
                            td { code { (short(e.document_id.as_deref())) } }
                            td { code { (short(e.subject_id.as_deref())) } }
                        }
                    }
                }
            }
        }
    };
    Ok(layout("監査ログ", Some(&ctx), body).into_response())
}

fn short(id: Option<&str>) -> String {
    id.map_or_else(|| "—".into(), |s| s.chars().take(8).collect())
}

async fn stats(State(state): State<AppState>, ctx: Ctx) -> Result<Response, UiError> {
    let s = state.service.stats(&ctx.user).await?;
    let cell = |v: Option<&serde_json::Value>| match v.and_then(|v| v.as_i64()) {
        Some(n) => n.to_string(),
        None => "5件未満（非表示）".to_string(),
    };
    let statuses = [("quarantined", "隔離中"), ("released", "公開済み"), ("erased", "削除済み")];
    let body = html! {
        h1 { "統計" }
        p { "辞書のバージョン：" code { (s["dictionary_version"].as_str().unwrap_or("不明")) } }
        p { "個人の特定を防ぐため、5件未満の値は表示しません。" }
        h2 { "状態ごとの書類数" }
        div.table-wrap {
            table {
                thead { tr { th scope="col" { "状態" } th scope="col" { "書類数" } } }
                tbody { @for (id, ja) in statuses { tr { td { (ja) } td { (cell(s["documents_by_status"].get(id))) } } } }
            }
        }
        h2 { "区分ごとの書類数" }
        div.table-wrap {
            table {
                thead { tr { th scope="col" { "区分" } th scope="col" { "書類数" } } }
                tbody { @for c in Category::ALL { tr { td { (c.name_ja()) } td { (cell(s["documents_by_category"].get(c.id()))) } } } }
            }
        }
    };
    Ok(layout("統計", Some(&ctx), body).into_response())
}
