//! Documents: upload, list, read, content, consent, redaction, deletion, provision.

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::{ApiError, AppState, AuthUser, user_agent};
use crate::review::{ConsentRequest, ProvisionRequest};

pub(super) fn routes(state: &AppState) -> Router<AppState> {
    // The multipart envelope adds a little to the file itself.
    let limit = state.max_upload_bytes + 64 * 1024;
    Router::new()
        .route("/api/v1/documents", post(upload).get(list).layer(DefaultBodyLimit::max(limit)))
        .route("/api/v1/documents/{id}", get(show).delete(erase))
        .route("/api/v1/documents/{id}/content", get(content))
        .route("/api/v1/documents/{id}/consents", post(consent))
        .route("/api/v1/consents/{id}/withdraw", post(withdraw))
        .route("/api/v1/documents/{id}/redact", post(redact))
        .route("/api/v1/documents/{id}/provisions", post(provide))
}

fn invalid(code: &'static str) -> ApiError {
    ApiError::from(crate::review::ServiceError::Invalid(code, json!({})))
}

/// Reads the `file` field, refusing more than the limit as it streams in. The bytes stay in
/// memory (bounded by the limit): plaintext of an upload never touches the disk.
async fn read_file(mut multipart: Multipart, limit: usize) -> Result<(String, Vec<u8>), ApiError> {
    let too_large = || ApiError::from(crate::review::ServiceError::TooLarge);
    while let Some(mut field) = multipart.next_field().await.map_err(|e| multipart_error(e.status()))? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("upload").chars().take(200).collect::<String>();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e.status()))? {
            if bytes.len() + chunk.len() > limit {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok((name, bytes));
    }
    Err(invalid("missing_file"))
}

fn multipart_error(status: StatusCode) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::from(crate::review::ServiceError::TooLarge)
    } else {
        invalid("invalid_body")
    }
}

async fn upload(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    user.require(&[crate::review::Role::Candidate])?;
    // Not multipart/form-data (or no boundary): a JSON error like every other, not axum's
    // plain-text 400.
    let multipart = multipart.map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "multipart_required",
            "multipart/form-data の file フィールドでアップロードしてください",
        )
    })?;
    let (name, bytes) = read_file(multipart, state.max_upload_bytes).await?;
    let uploaded = state.service.upload(&user, &name, bytes).await?;
    Ok((StatusCode::CREATED, Json(uploaded)).into_response())
}

async fn list(State(state): State<AppState>, AuthUser(user): AuthUser) -> Result<Response, ApiError> {
    Ok(Json(json!({ "documents": state.service.list(&user).await? })).into_response())
}

async fn show(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(state.service.get(&user, &id).await?).into_response())
}

async fn content(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (bytes, kind) = state.service.content(&user, &id).await?;
    let mime = match kind.as_deref() {
        Some("pdf") => "application/pdf",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "text/plain; charset=utf-8",
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (header::CONTENT_DISPOSITION, "attachment"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
        .into_response())
}

async fn consent(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Json<ConsentRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body.map_err(|_| invalid("invalid_body"))?;
    let consent = state.service.consent(&user, &id, req, user_agent(&headers).as_deref(), "api").await?;
    Ok((StatusCode::CREATED, Json(consent)).into_response())
}

async fn withdraw(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(state.service.withdraw(&user, &id).await?).into_response())
}

async fn redact(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok((StatusCode::CREATED, Json(state.service.redact(&user, &id).await?)).into_response())
}

async fn erase(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state.service.erase(&user, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn provide(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    body: Result<Json<ProvisionRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body.map_err(|_| invalid("invalid_body"))?;
    Ok((StatusCode::CREATED, Json(state.service.provide(&user, &id, req).await?)).into_response())
}
