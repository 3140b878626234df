//! Probes, metrics, the notice and the OpenAPI description.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::{ApiError, AppState, AuthUser};
use crate::review::{Role, current_notice};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .route("/api/v1/notice", get(notice))
        .route("/api/v1/openapi.json", get(openapi))
}

async fn ready(State(state): State<AppState>) -> Response {
    match sqlx::query("SELECT 1").execute(&state.service.store.pool).await {
        Ok(_) => (StatusCode::OK, "ready").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

/// Prometheus metrics, for an admin's bearer token only (a scraper is configured with one):
/// even counts without categories tell when someone's upload was held.
async fn metrics(State(state): State<AppState>, AuthUser(user): AuthUser) -> Result<Response, ApiError> {
    if user.role != Role::Admin {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "管理者のみが参照できます"));
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response())
}

async fn notice() -> Json<serde_json::Value> {
    let n = current_notice();
    Json(json!({ "version": n.version, "sha256": n.sha256(), "text": n.text }))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], include_str!("openapi.json")).into_response()
}
