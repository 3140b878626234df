//! Advisor review: the queue, one finding, and decisions.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::{ApiError, AppState, AuthUser};
use crate::review::ReviewRequest;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/review/queue", get(queue))
        .route("/api/v1/findings/{id}", get(finding))
        .route("/api/v1/findings/{id}/review", post(review))
}

#[derive(Deserialize)]
struct QueueQuery {
    category: Option<String>,
}

async fn queue(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Query(q): Query<QueueQuery>,
) -> Result<Response, ApiError> {
    let category = q.category.filter(|c| !c.is_empty());
    Ok(Json(json!({ "items": state.service.queue(&user, category.as_deref()).await? })).into_response())
}

async fn finding(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (finding, document_id) = state.service.finding(&user, &id).await?;
    Ok(Json(json!({ "finding": finding, "document_id": document_id })).into_response())
}

async fn review(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    body: Result<Json<ReviewRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) =
        body.map_err(|_| ApiError::from(crate::review::ServiceError::Invalid("invalid_body", json!({}))))?;
    Ok(Json(state.service.review(&user, &id, req).await?).into_response())
}
