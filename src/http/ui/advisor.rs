//! The advisor's pages: the review queue, one finding, released documents, provisions.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;

use super::{Ctx, Form, UiError, csrf_field, kind_ja, layout, review_state_ja, status_badge, when};
use crate::detect::Category;
use crate::http::AppState;
use crate::review::{AdvisorFinding, Consent, DocStatus, DocumentMeta, ProvisionRequest, ReviewRequest, Role};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/review", get(queue))
        .route("/review/findings/{id}", get(finding).post(decide))
        .route("/released", get(released))
        .route("/documents/{id}/provisions", post(provide))
}

#[derive(Deserialize)]
struct QueueQuery {
    category: Option<String>,
    done: Option<String>,
}

fn category_name(id: &str) -> &str {
    Category::from_id(id).map_or(id, |c| c.name_ja())
}

async fn queue(State(state): State<AppState>, ctx: Ctx, Query(q): Query<QueueQuery>) -> Result<Response, UiError> {
    ctx.require(&[Role::Advisor])?;
    let category = q.category.filter(|c| !c.is_empty());
    let items = state.service.queue(&ctx.user, category.as_deref()).await?;
    let body = html! {
        h1 { "審査キュー" }
        @if q.done.is_some() { p.notice-ok role="status" { "判定を記録しました。" } }
        p { "未審査の検出箇所です（古い順）。" }
        form.filter method="get" action="/review" {
            label for="category" { "区分で絞り込む" }
            select #category name="category" {
                option value="" selected[category.is_none()] { "すべて" }
                @for c in Category::ALL {
                    option value=(c.id()) selected[category.as_deref() == Some(c.id())] { (c.name_ja()) }
                }
            }
            button type="submit" { "絞り込む" }
        }
        @if items.is_empty() {
            p { "審査待ちの項目はありません。" }
        } @else {
            div.table-wrap {
                table {
                    caption.visually-hidden { "審査待ちの検出箇所" }
                    thead { tr { th scope="col" { "検出日時" } th scope="col" { "区分" } th scope="col" { "ルール" } th scope="col" { "確信度" } th scope="col" { "書類の状態" } th scope="col" { "操作" } } }
                    tbody {
                        @for i in &items {
                            tr {
                                td.nowrap { (when(&i.created_at)) }
                                td { (i.category.name_ja()) }
                                td { code { (i.rule) } }
                                td { (format!("{:.0}%", i.confidence * 100.0)) }
                                td { (if i.document_status == "released" { "公開済み" } else { "隔離中" }) }
                                td.nowrap { a href={ "/review/findings/" (i.finding_id) } { "確認する" span.visually-hidden { "（" (i.category.name_ja()) "）" } } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout("審査キュー", Some(&ctx), body).into_response())
}

fn context_markup(f: &AdvisorFinding) -> maud::Markup {
    html! {
        @if let Some(c) = &f.context {
            p.context { "…" (c.before) mark.finding { (c.span) } (c.after) "…" }
        } @else {
            p { "（テキストなし）" }
        }
    }
}

async fn finding(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Result<Response, UiError> {
    ctx.require(&[Role::Advisor])?;
    let (f, document_id) = state.service.finding(&ctx.user, &id).await?;
    let body = html! {
        p.breadcrumb { a href="/review" { "審査キュー" } " › 検出箇所" }
        h1 { "検出箇所の審査" }
        dl.meta {
            dt { "区分" } dd { strong { (f.category.name_ja()) } " — " (f.category.explanation_ja()) }
            dt { "ルール" } dd { code { (f.rule) } }
            dt { "確信度" } dd { (format!("{:.0}%", f.confidence * 100.0)) }
            dt { "状態" } dd { (review_state_ja(&f.review_state)) }
            dt { "書類" } dd { a href={ "/documents/" (document_id) } { "書類の検出結果を見る" } }
        }
        h2 { "前後の文脈（前後30文字まで）" }
        (context_markup(&f))
        @if f.review_state == "pending" {
            form method="post" action={ "/review/findings/" (f.id) } {
                (csrf_field(&ctx))
                fieldset {
                    legend { "判定" }
                    div.check { input #d-confirmed type="radio" name="decision" value="confirmed" required; label for="d-confirmed" { "要配慮個人情報である（確定）" } }
                    div.check { input #d-fp type="radio" name="decision" value="false_positive" required; label for="d-fp" { "誤検出である" } }
                }
                div.field {
                    label for="reason" { "理由（必須）" }
                    textarea #reason name="reason" required maxlength="1000" rows="3" {}
                }
                button.primary type="submit" { "判定を記録する" }
            }
        }
    };
    Ok(layout("検出箇所の審査", Some(&ctx), body).into_response())
}

async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    let form = Form::parse(&body);
    ctx.check_csrf(&form)?;
    let req = ReviewRequest {
        decision: form.get("decision").unwrap_or("").to_string(),
        reason: form.get("reason").unwrap_or("").to_string(),
    };
    state.service.review(&ctx.user, &id, req).await?;
    Ok(Redirect::to("/review?done=1").into_response())
}

async fn released(State(state): State<AppState>, ctx: Ctx) -> Result<Response, UiError> {
    ctx.require(&[Role::Advisor])?;
    let docs: Vec<DocumentMeta> =
        state.service.list(&ctx.user).await?.into_iter().filter(|d| d.status == DocStatus::Released).collect();
    let body = html! {
        h1 { "公開済みの書類" }
        @if docs.is_empty() {
            p { "公開済みの書類はありません。" }
        } @else {
            div.table-wrap {
                table {
                    caption.visually-hidden { "公開済みの書類" }
                    thead { tr { th scope="col" { "書類" } th scope="col" { "形式" } th scope="col" { "提出日時" } th scope="col" { "判定" } } }
                    tbody {
                        @for d in &docs {
                            tr {
                                td { a href={ "/documents/" (d.id) } { "書類 " (d.id.chars().take(8).collect::<String>()) } }
                                td { (kind_ja(d.kind.as_deref())) }
                                td { (when(&d.created_at)) }
                                td { (verdict_ja(&d.verdict)) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout("公開済みの書類", Some(&ctx), body).into_response())
}

fn verdict_ja(v: &str) -> &'static str {
    match v {
        "quarantine" => "要配慮情報あり（同意済みまたは審査済み）",
        "flag" => "注意事項あり",
        "clear" => "問題なし",
        _ => "その他",
    }
}

/// The document page as an advisor or admin sees it: findings with bounded context only.
pub(super) fn document_page(
    ctx: &Ctx,
    meta: DocumentMeta,
    findings: Vec<AdvisorFinding>,
    consents: Vec<Consent>,
) -> Html<String> {
    let purposes: Vec<String> = {
        let mut p: Vec<String> =
            consents.iter().filter(|c| c.withdrawn_at.is_none()).flat_map(|c| c.purposes.clone()).collect();
        p.sort();
        p.dedup();
        p
    };
    let title = format!("書類 {}", meta.id.chars().take(8).collect::<String>());
    let body = html! {
        h1 { (title) }
        dl.meta {
            dt { "状態" } dd { (status_badge(&meta)) }
            dt { "形式" } dd { (kind_ja(meta.kind.as_deref())) }
            dt { "提出日時" } dd { (when(&meta.created_at)) }
            dt { "判定" } dd { (verdict_ja(&meta.verdict)) }
        }
        @if meta.status == DocStatus::Quarantined {
            p.alert role="status" { "この書類は本人の同意があるまで閲覧できません。検出箇所の前後の文脈のみ表示しています。" }
        }
        h2 { "検出箇所" }
        @if findings.is_empty() { p { "ありません。" } }
        ul.findings {
            @for f in &findings {
                li {
                    strong { (f.category.name_ja()) } " " code { (f.rule) } " " (format!("{:.0}%", f.confidence * 100.0)) "（" (review_state_ja(&f.review_state)) "）"
                    (context_markup(f))
                    @if f.review_state == "pending" && ctx.user.role == Role::Advisor { a href={ "/review/findings/" (f.id) } { "審査する" } }
                }
            }
        }
        p { a.button href={ "/documents/" (meta.id) "/original" } { "元のファイルをダウンロード" } }
        @if !consents.is_empty() {
            h2 { "本人の同意" }
            ul {
                @for c in &consents {
                    li { (when(&c.created_at)) "：" (c.categories.iter().map(|id| category_name(id)).collect::<Vec<_>>().join("、")) "（目的：" (c.purposes.join("、")) "）"
                        @if c.withdrawn_at.is_some() { " 撤回済み" } }
                }
            }
        }
        @if meta.status == DocStatus::Released && ctx.user.role == Role::Advisor {
            section aria-labelledby="prov-h" {
                h2 #prov-h { "求人企業への提供を記録する" }
                @if purposes.is_empty() {
                    p { "本人が同意した利用目的がないため、提供できません。" }
                } @else {
                    form method="post" action={ "/documents/" (meta.id) "/provisions" } {
                        (csrf_field(ctx))
                        div.field { label for="recipient" { "提供先（企業名）" } input #recipient type="text" name="recipient" required maxlength="200"; }
                        div.field {
                            label for="purpose" { "目的（本人が同意したもの）" }
                            select #purpose name="purpose" required { @for p in &purposes { option value=(p) { (p) } } }
                        }
                        button.primary type="submit" { "提供を記録する" }
                    }
                }
            }
        }
    };
    layout(&title, Some(ctx), body)
}

async fn provide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    let form = Form::parse(&body);
    ctx.check_csrf(&form)?;
    let req = ProvisionRequest {
        recipient: form.get("recipient").unwrap_or("").to_string(),
        purpose: form.get("purpose").unwrap_or("").to_string(),
    };
    let p = state.service.provide(&ctx.user, &id, req).await?;
    let body = html! {
        section.narrow {
            h1 { "提供を記録しました" }
            p { "第三者提供記録として保存しました。本人は開示請求でこの記録を確認できます。" }
            dl.meta { dt { "提供先" } dd { (p.recipient) } dt { "目的" } dd { (p.purpose) } dt { "日時" } dd { (when(&p.created_at)) } }
            p { a href={ "/documents/" (id) } { "書類に戻る" } }
        }
    };
    Ok(layout("提供を記録しました", Some(&ctx), body).into_response())
}
