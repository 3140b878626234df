//! The candidate's notifications: what the service did to their documents on its own.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::{ApiError, AppState, AuthUser};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/notifications", get(list)).route("/api/v1/notifications/{id}/read", post(read))
}

async fn list(State(state): State<AppState>, AuthUser(user): AuthUser) -> Result<Response, ApiError> {
    Ok(Json(json!({ "notifications": state.service.notifications(&user).await? })).into_response())
}

async fn read(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(state.service.mark_notification_read(&user, &id).await?).into_response())
}
