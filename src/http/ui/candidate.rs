//! The candidate's pages: upload, my documents, a document with its findings highlighted,
//! consent, withdrawal, redaction, deletion, 開示 (export) and 利用停止 (suspend). The document
//! page also serves advisors and admins, with their bounded view.

use std::collections::BTreeSet;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};

use super::{Ctx, Form, UiError, csrf_field, kind_ja, layout, notice_block, review_state_ja, status_badge, when};
use crate::detect::{Action, Category};
use crate::http::{AppState, user_agent};
use crate::review::{
    ConsentRequest, DocStatus, DocumentMeta, DocumentView, Notification, OwnerFinding, Role, ServiceError,
    current_notice,
};

/// The purposes a candidate can choose, each separately.
pub(super) const PURPOSES: &[&str] = &["求人企業への推薦", "キャリア相談"];

/// The largest CSRF token field the upload form accepts (a token is 43 characters).
const CSRF_FIELD_LIMIT: usize = 256;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        // The upload streams under the configured upload limit (counted in the handler).
        .route("/documents", get(list).post(upload).layer(DefaultBodyLimit::disable()))
        .route("/upload", get(upload_page))
        .route("/documents/{id}", get(show))
        .route("/documents/{id}/original", get(original))
        .route("/documents/{id}/consent", post(consent))
        .route("/consents/{id}/withdraw", post(withdraw))
        .route("/documents/{id}/redact", post(redact))
        .route("/documents/{id}/delete", get(delete_page).post(delete))
        .route("/account", get(account))
        .route("/account/export", get(export))
        .route("/account/suspend", get(suspend_page).post(suspend))
        .route("/notifications/{id}/read", post(read_notification))
}

async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, UiError> {
    ctx.require(&[Role::Candidate])?;
    let docs = state.service.list(&ctx.user).await?;
    let notes = unread_notes(&docs, state.service.notifications(&ctx.user).await?);
    let body = html! {
        h1 { "提出書類一覧" }
        @if !notes.is_empty() {
            section.alert aria-labelledby="notes-h" {
                h2 #notes-h { "お知らせ（" (notes.len()) "件）" }
                ul.notifications {
                    @for (n, d) in &notes {
                        li {
                            "辞書の更新により、文書「"
                            a href={ "/documents/" (d.id) } { (d.name.as_deref().unwrap_or("（名称なし）")) }
                            "」に新たな要配慮個人情報（" (categories_ja(&n.categories)) "）が見つかったため、再び保留にしました。内容を確認し、同意・マスキング・削除のいずれかを選んでください。"
                            form.inline method="post" action={ "/notifications/" (n.id) "/read" } {
                                (csrf_field(&ctx))
                                button type="submit" { "確認済みにする" }
                            }
                        }
                    }
                }
            }
        }
        p { a.button.primary href="/upload" { "書類をアップロード" } }
        @if docs.is_empty() {
            p { "まだ書類はありません。" }
        } @else {
            div.table-wrap {
                table {
                    caption.visually-hidden { "提出した書類" }
                    thead { tr { th scope="col" { "ファイル名" } th scope="col" { "形式" } th scope="col" { "提出日時" } th scope="col" { "状態" } } }
                    tbody {
                        @for d in &docs {
                            tr {
                                td { a href={ "/documents/" (d.id) } { (d.name.as_deref().unwrap_or("（名称なし）")) } }
                                td { (kind_ja(d.kind.as_deref())) }
                                td { (when(&d.created_at)) }
                                td { (status_badge(d)) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout("提出書類一覧", Some(&ctx), body).into_response())
}

/// Unread notifications of documents still held because of a rescan, each with its document.
/// Once the candidate has chosen (consent, masking or deletion) the message is moot and goes.
fn unread_notes(docs: &[DocumentMeta], notes: Vec<Notification>) -> Vec<(Notification, &DocumentMeta)> {
    notes
        .into_iter()
        .filter(|n| n.read_at.is_none() && n.kind == "requarantined")
        .filter_map(|n| {
            let doc = docs.iter().find(|d| Some(&d.id) == n.document_id.as_ref())?;
            (doc.status == DocStatus::Quarantined && doc.reason.as_deref() == Some("rescan")).then_some((n, doc))
        })
        .collect()
}

/// Category ids as their Japanese names: 「病歴、心身の機能の障害」.
fn categories_ja(ids: &[String]) -> String {
    ids.iter().map(|id| Category::from_id(id).map_or(id.as_str(), |c| c.name_ja())).collect::<Vec<_>>().join("、")
}

async fn read_notification(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    ctx.check_csrf(&Form::parse(&body))?;
    state.service.mark_notification_read(&ctx.user, &id).await?;
    Ok(Redirect::to("/documents").into_response())
}

async fn upload_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, UiError> {
    ctx.require(&[Role::Candidate])?;
    let mb = state.max_upload_bytes / (1024 * 1024);
    let body = html! {
        h1 { "書類をアップロード" }
        p { "履歴書・職務経歴書をアップロードしてください。病歴などの要配慮個人情報が含まれている場合、あなたが同意するまで担当者は閲覧できません。" }
        ul.limits {
            li { "形式：PDF、Word（DOCX）、テキスト" }
            li { "大きさ：" (mb) "MB まで" }
            li { "マイナンバー（個人番号）を含む書類はお預かりできません" }
        }
        form #upload-form method="post" action="/documents" enctype="multipart/form-data" data-max-bytes=(state.max_upload_bytes) {
            (csrf_field(&ctx))
            div #drop-zone .drop-zone {
                label for="file" { "ファイルを選ぶか、ここにドラッグ＆ドロップしてください" }
                input #file type="file" name="file" required accept=".pdf,.docx,.txt,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document,text/plain" aria-describedby="upload-status";
            }
            div.progress-row {
                label for="upload-progress" { "進捗" }
                progress #upload-progress max="100" value="0" { "0%" }
            }
            p #upload-status role="status" aria-live="polite" {}
            button.primary type="submit" { "アップロード" }
        }
    };
    Ok(layout("書類をアップロード", Some(&ctx), body).into_response())
}

/// The form upload: the CSRF field and the file, the limit enforced while streaming.
async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, UiError> {
    ctx.require(&[Role::Candidate])?;
    let bad = || UiError::Page(StatusCode::BAD_REQUEST, "ファイルを選んでからアップロードしてください");
    let mut multipart = multipart.map_err(|_| bad())?;
    // Every field counts against the upload limit, and the token field against a token's size:
    // nothing is buffered past them.
    let limit = state.max_upload_bytes;
    let (mut csrf, mut file) = (None, None);
    let mut total = 0usize;
    while let Some(mut field) = multipart.next_field().await.map_err(|_| bad())? {
        let name = field.name().map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|_| bad())? {
            total += chunk.len();
            if total > limit {
                return Err(ServiceError::TooLarge.into());
            }
            match name.as_deref() {
                Some("csrf") if bytes.len() + chunk.len() > CSRF_FIELD_LIMIT => return Err(bad()),
                Some("csrf" | "file") => bytes.extend_from_slice(&chunk),
                _ => {}
            }
        }
        match name.as_deref() {
            Some("csrf") => csrf = Some(String::from_utf8_lossy(&bytes).into_owned()),
            Some("file") => {
                let file_name = field.file_name().unwrap_or("upload").chars().take(200).collect::<String>();
                file = Some((file_name, bytes));
            }
            _ => {}
        }
    }
    ctx.check_csrf(&Form(vec![("csrf".into(), csrf.unwrap_or_default())]))?;
    let (name, bytes) = file.filter(|(n, b)| !b.is_empty() || !n.is_empty()).ok_or_else(bad)?;
    let uploaded = state.service.upload(&ctx.user, &name, bytes).await?;
    Ok(Redirect::to(&format!("/documents/{}", uploaded.id)).into_response())
}

/// A finding cluster: overlapping findings share one highlight.
struct Cluster<'a> {
    start: usize,
    end: usize,
    findings: Vec<&'a OwnerFinding>,
}

fn clusters<'a>(text: &str, findings: &'a [OwnerFinding]) -> Vec<Cluster<'a>> {
    let mut fs: Vec<&OwnerFinding> = findings
        .iter()
        .filter(|f| {
            f.start < f.end && f.end <= text.len() && text.is_char_boundary(f.start) && text.is_char_boundary(f.end)
        })
        .collect();
    fs.sort_by_key(|f| (f.start, f.end));
    let mut out: Vec<Cluster> = Vec::new();
    for f in fs {
        match out.last_mut() {
            Some(c) if f.start < c.end => {
                c.end = c.end.max(f.end);
                c.findings.push(f);
            }
            _ => out.push(Cluster { start: f.start, end: f.end, findings: vec![f] }),
        }
    }
    out
}

/// 「病歴：要配慮個人情報にあたります」 (the taxonomy's explanation names the category).
fn label(f: &OwnerFinding) -> String {
    if f.explanation.contains('：') {
        f.explanation.to_string()
    } else {
        format!("{}：{}", f.category.name_ja(), f.explanation)
    }
}

/// The extracted text with every finding marked in place.
fn highlighted(text: &str, findings: &[OwnerFinding]) -> Markup {
    let cs = clusters(text, findings);
    let mut pos = 0;
    let mut parts: Vec<Markup> = Vec::new();
    for c in &cs {
        let labels: Vec<String> = c.findings.iter().map(|f| label(f)).collect::<BTreeSet<_>>().into_iter().collect();
        let resolved = c.findings.iter().all(|f| f.review_state == "false_positive");
        let class = if resolved { "finding resolved" } else { "finding" };
        let before = &text[pos..c.start];
        let span = &text[c.start..c.end];
        parts.push(html! {
            (before)
            mark class=(class) id={ "f-" (c.findings[0].id) } {
                (span)
                span.why { "【" (labels.join("／")) @if resolved { "（誤検出と判定済み）" } "】" }
            }
        });
        pos = c.end;
    }
    let rest = &text[pos..];
    html! { @for p in parts { (p) } (rest) }
}

async fn show(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Result<Response, UiError> {
    match state.service.get(&ctx.user, &id).await? {
        DocumentView::Owner { meta, findings, text, consents } => {
            let unresolved: BTreeSet<Category> = findings
                .iter()
                .filter(|f| f.review_state != "false_positive" && f.category.action() == Action::Quarantine)
                .map(|f| f.category)
                .collect();
            let my_number =
                findings.iter().any(|f| f.review_state != "false_positive" && f.category.action() == Action::Reject);
            let can_consent = meta.status == DocStatus::Quarantined
                && meta.reason.as_deref() != Some("unscannable")
                && !my_number
                && !unresolved.is_empty();
            let notice = current_notice();
            let title = meta.name.clone().unwrap_or_else(|| "書類".into());
            let body = html! {
                p.breadcrumb { a href="/documents" { "提出書類一覧" } " › " (title) }
                h1 { (title) }
                dl.meta {
                    dt { "状態" } dd { (status_badge(&meta)) }
                    dt { "形式" } dd { (kind_ja(meta.kind.as_deref())) }
                    dt { "提出日時" } dd { (when(&meta.created_at)) }
                    @if let Some(from) = &meta.redacted_from { dt { "元の書類" } dd { "マスキング済みの写し（元の書類 " (from.chars().take(8).collect::<String>()) "… は削除済み）" } }
                }
                @if meta.status == DocStatus::Quarantined {
                    div.alert role="status" {
                        @if meta.reason.as_deref() == Some("unscannable") {
                            p { "この書類は文字を読み取れなかったため、安全のため隔離しています。削除して、文字を含むファイルを再度アップロードしてください。" }
                        } @else if meta.reason.as_deref() == Some("rescan") {
                            p { strong { "辞書の更新により、この書類にあなたが同意していない要配慮個人情報が新たに見つかったため、再び保留にしました。" } "あなたが同意するまで、担当者は閲覧できません。下の印の付いた箇所を確認し、「同意する」「マスキングする」「削除する」のいずれかを選んでください。どれを選んでも不利益はありません。" }
                        } @else {
                            p { strong { "この書類には要配慮個人情報が含まれています。" } "あなたが同意するまで、担当者は閲覧できません。下の印の付いた箇所を確認し、「同意する」「マスキングする」「削除する」のいずれかを選んでください。どれを選んでも不利益はありません。" }
                        }
                    }
                }
                section aria-labelledby="text-h" {
                    h2 #text-h { "抽出されたテキスト" }
                    @if let Some(t) = &text {
                        pre.doc-text tabindex="0" { (highlighted(t, &findings)) }
                    } @else {
                        p { "テキストはありません。" }
                    }
                }
                @if !findings.is_empty() {
                    section aria-labelledby="findings-h" {
                        h2 #findings-h { "見つかった箇所（" (findings.len()) "件）" }
                        ul.findings {
                            @for f in &findings {
                                li {
                                    a href={ "#f-" (f.id) } { "「" (f.text) "」" }
                                    " — " strong { (label(f)) }
                                    " " span.state { "（" (review_state_ja(&f.review_state)) "）" }
                                }
                            }
                        }
                    }
                }
                @if can_consent {
                    section.consent aria-labelledby="consent-h" {
                        h2 #consent-h { "同意する" }
                        p { "以下のお知らせをお読みください。" }
                        (notice_block(notice.text))
                        p.version { "お知らせの版：" (notice.version) }
                        form method="post" action={ "/documents/" (meta.id) "/consent" } {
                            (csrf_field(&ctx))
                            input type="hidden" name="notice_version" value=(notice.version);
                            fieldset {
                                legend { "取得・利用に同意する情報の種類（すべて選ぶと公開されます）" }
                                @for c in &unresolved {
                                    div.check {
                                        input type="checkbox" name="category" value=(c.id()) id={ "cat-" (c.id()) };
                                        label for={ "cat-" (c.id()) } { strong { (c.name_ja()) } " — " (c.explanation_ja()) }
                                    }
                                }
                            }
                            fieldset {
                                legend { "利用目的（同意するものを選んでください）" }
                                @for (i, p) in super::candidate::PURPOSES.iter().enumerate() {
                                    div.check {
                                        input type="checkbox" name="purpose" value=(p) id={ "purpose-" (i) };
                                        label for={ "purpose-" (i) } { (p) }
                                    }
                                }
                            }
                            button.primary type="submit" { "同意して公開する" }
                        }
                    }
                }
                section aria-labelledby="alt-h" {
                    h2 #alt-h { "その他の操作" }
                    div.actions {
                        @if !findings.is_empty() && meta.status != DocStatus::Erased && meta.reason.as_deref() != Some("unscannable") {
                            form method="post" action={ "/documents/" (meta.id) "/redact" } {
                                (csrf_field(&ctx))
                                button type="submit" { "マスキングする（該当箇所を■で伏せた写しを作り、元の書類は削除）" }
                            }
                        }
                        a.button.danger href={ "/documents/" (meta.id) "/delete" } { "削除する" }
                        a.button href={ "/documents/" (meta.id) "/original" } { "元のファイルをダウンロード" }
                    }
                }
                @if !consents.is_empty() {
                    section aria-labelledby="consents-h" {
                        h2 #consents-h { "同意の記録" }
                        ul.consents {
                            @for c in &consents {
                                li {
                                    (when(&c.created_at)) "：" (c.categories.iter().map(|id| Category::from_id(id).map_or(id.as_str(), |c| c.name_ja())).collect::<Vec<_>>().join("、"))
                                    "（目的：" (c.purposes.join("、")) "／お知らせ " (c.notice_version) "）"
                                    @if let Some(w) = &c.withdrawn_at {
                                        " " span.state { "撤回済み " (when(w)) }
                                    } @else {
                                        form.inline method="post" action={ "/consents/" (c.id) "/withdraw" } {
                                            (csrf_field(&ctx))
                                            button type="submit" { "同意を撤回する" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            };
            Ok(layout(&title, Some(&ctx), body).into_response())
        }
        DocumentView::Advisor { meta, findings, consents } => {
            Ok(super::advisor::document_page(&ctx, meta, findings, consents).into_response())
        }
    }
}

async fn original(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Result<Response, UiError> {
    let (bytes, kind) = state.service.content(&ctx.user, &id).await?;
    let mime = match kind.as_deref() {
        Some("pdf") => "application/pdf",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "text/plain; charset=utf-8",
    };
    Ok(([(header::CONTENT_TYPE, mime), (header::CONTENT_DISPOSITION, "attachment")], bytes).into_response())
}

async fn consent(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, UiError> {
    let form = Form::parse(&body);
    ctx.check_csrf(&form)?;
    let req = ConsentRequest {
        categories: form.all("category"),
        purposes: form.all("purpose"),
        notice_version: form.get("notice_version").unwrap_or("").to_string(),
    };
    state.service.consent(&ctx.user, &id, req, user_agent(&headers).as_deref(), "web").await?;
    Ok(Redirect::to(&format!("/documents/{id}")).into_response())
}

async fn withdraw(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    ctx.check_csrf(&Form::parse(&body))?;
    let c = state.service.withdraw(&ctx.user, &id).await?;
    Ok(Redirect::to(&format!("/documents/{}", c.document_id)).into_response())
}

async fn redact(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    ctx.check_csrf(&Form::parse(&body))?;
    let copy = state.service.redact(&ctx.user, &id).await?;
    Ok(Redirect::to(&format!("/documents/{}", copy.id)).into_response())
}

async fn delete_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Result<Response, UiError> {
    ctx.require(&[Role::Candidate, Role::Admin])?;
    let DocumentView::Owner { meta, .. } = state.service.get(&ctx.user, &id).await? else {
        return Err(super::not_found());
    };
    let name = meta.name.unwrap_or_else(|| "書類".into());
    let body = html! {
        section.narrow {
            h1 { "書類の削除" }
            p { "「" (name) "」を削除します。暗号鍵を破棄するため、元に戻すことはできません。同意の記録は証跡として残ります。" }
            form method="post" action={ "/documents/" (id) "/delete" } {
                (csrf_field(&ctx))
                div.actions {
                    button.danger type="submit" { "削除する" }
                    a.button href={ "/documents/" (id) } { "やめる" }
                }
            }
        }
    };
    Ok(layout("書類の削除", Some(&ctx), body).into_response())
}

async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    ctx.check_csrf(&Form::parse(&body))?;
    state.service.erase(&ctx.user, &id).await?;
    Ok(Redirect::to("/documents").into_response())
}

async fn account(ctx: Ctx) -> Result<Response, UiError> {
    ctx.require(&[Role::Candidate])?;
    let body = html! {
        h1 { "自分の情報" }
        section aria-labelledby="export-h" {
            h2 #export-h { "保有個人データの開示" }
            p { "当社があなたについて保有している情報（書類、検出結果、同意、審査、第三者提供の記録、監査記録）を JSON 形式でダウンロードできます。" }
            p { a.button href="/account/export" download="hairyo-export.json" { "自分のデータをダウンロード（開示）" } }
        }
        section aria-labelledby="suspend-h" {
            h2 #suspend-h { "利用停止" }
            @if ctx.user.suspended {
                p { strong { "利用停止中です。" } "あなたの書類は担当者から見えません。" }
            } @else {
                p { "利用停止を求めると、あなたの書類はすべて担当者から見えなくなります。" }
                p { a.button.danger href="/account/suspend" { "利用停止を求める" } }
            }
        }
    };
    Ok(layout("自分の情報", Some(&ctx), body).into_response())
}

async fn export(State(state): State<AppState>, ctx: Ctx) -> Result<Response, UiError> {
    let data = state.service.export(&ctx.user).await?;
    let json = serde_json::to_vec_pretty(&data)
        .map_err(|_| UiError::Page(StatusCode::INTERNAL_SERVER_ERROR, "内部エラーが発生しました"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"hairyo-export.json\""),
        ],
        json,
    )
        .into_response())
}

async fn suspend_page(ctx: Ctx) -> Result<Response, UiError> {
    ctx.require(&[Role::Candidate])?;
    let body = html! {
        section.narrow {
            h1 { "利用停止の確認" }
            p { "利用停止を求めると、あなたの書類はすべて担当者から見えなくなり、求人企業への推薦もできなくなります。よろしいですか。" }
            form method="post" action="/account/suspend" {
                (csrf_field(&ctx))
                div.actions {
                    button.danger type="submit" { "利用停止を求める" }
                    a.button href="/account" { "やめる" }
                }
            }
        }
    };
    Ok(layout("利用停止の確認", Some(&ctx), body).into_response())
}

async fn suspend(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Result<Response, UiError> {
    ctx.check_csrf(&Form::parse(&body))?;
    state.service.suspend(&ctx.user).await?;
    Ok(Redirect::to("/account").into_response())
}
