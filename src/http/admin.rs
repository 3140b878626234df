//! The candidate's own data (me), and administration: users, statistics, the audit log.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::{ApiError, AppState, AuthUser};
use crate::review::{Role, ServiceError};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/export", get(export))
        .route("/api/v1/me/suspend", post(suspend))
        .route("/api/v1/users", get(users).post(create_user))
        .route("/api/v1/stats", get(stats))
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/audit/verify", get(verify))
}

async fn me(AuthUser(user): AuthUser) -> Json<crate::review::User> {
    Json(user)
}

async fn export(State(state): State<AppState>, AuthUser(user): AuthUser) -> Result<Response, ApiError> {
    let data = state.service.export(&user).await?;
    Ok((
        [
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"hairyo-export.json\""),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        Json(data),
    )
        .into_response())
}

async fn suspend(State(state): State<AppState>, AuthUser(user): AuthUser) -> Result<Response, ApiError> {
    state.service.suspend(&user).await?;
    Ok(Json(json!({ "suspended": true })).into_response())
}

async fn users(State(state): State<AppState>, AuthUser(user): AuthUser) -> Result<Response, ApiError> {
    Ok(Json(json!({ "users": state.service.users(&user).await? })).into_response())
}

#[derive(Deserialize)]
struct NewUser {
    name: String,
    role: String,
}

async fn create_user(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    body: Result<Json<NewUser>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Admin])?;
    let Json(req) = body.map_err(|_| ApiError::from(ServiceError::Invalid("invalid_body", json!({}))))?;
    let role =
        Role::from_id(&req.role).ok_or_else(|| ApiError::from(ServiceError::Invalid("invalid_role", json!({}))))?;
    let (created, token) = state.service.create_user(Some(&user), &req.name, role).await?;
    Ok((StatusCode::CREATED, Json(json!({ "user": created, "token": token }))).into_response())
}

async fn stats(State(state): State<AppState>, AuthUser(user): AuthUser) -> Result<Response, ApiError> {
    Ok(Json(state.service.stats(&user).await?).into_response())
}

#[derive(Deserialize)]
struct AuditQuery {
    #[serde(default)]
    after: i64,
    #[serde(default = "default_limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    200
}

async fn audit(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    Ok(Json(json!({ "entries": state.service.audit_log(&user, q.after, q.limit).await? })).into_response())
}

async fn verify(State(state): State<AppState>, AuthUser(user): AuthUser) -> Result<Response, ApiError> {
    user.require(&[Role::Admin])?;
    let result = state.service.store.verify_audit().await.map_err(ServiceError::from)?;
    Ok(Json(match result {
        Ok(entries) => json!({ "ok": true, "entries": entries }),
        Err(b) => json!({ "ok": false, "broken_at": b.seq, "why": b.why }),
    })
    .into_response())
}
