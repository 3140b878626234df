//! Rescans for admins: start one (the server's workers run it), list them, follow one.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::{ApiError, AppState, AuthUser};
use crate::rescan::RescanRequest;
use crate::review::Role;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/rescans", get(list).post(start)).route("/api/v1/rescans/{id}", get(progress))
}

/// Queues a rescan and answers at once with its progress (202: the workers do the work).
async fn start(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    // The role first: a caller who may not start rescans learns nothing about the body.
    user.require(&[Role::Admin])?;
    // Unknown fields are refused rather than ignored, so a misspelt `dry_run` cannot start a
    // real rescan; so is an array, which serde would otherwise read field by field.
    let req = body
        .ok()
        .filter(|Json(v)| v.is_object())
        .and_then(|Json(v)| serde_json::from_value::<RescanRequest>(v).ok())
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", "リクエストの形式が不正です"))?;
    let rescan = state.service.start_rescan(Some(&user), req, "api").await?;
    let progress = state.service.rescan_progress(Some(&user), &rescan.id).await?;
    let location = format!("/api/v1/rescans/{}", rescan.id);
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(progress)).into_response())
}

async fn list(State(state): State<AppState>, AuthUser(user): AuthUser) -> Result<Response, ApiError> {
    Ok(Json(json!({ "rescans": state.service.rescans(&user).await? })).into_response())
}

async fn progress(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(state.service.rescan_progress(Some(&user), &id).await?).into_response())
}
