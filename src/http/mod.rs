//! The HTTP edge (axum): `app(state)` builds the router; one module per resource. Handlers
//! parse, call the domain service ([`crate::review`]) and shape responses; nothing here knows
//! SQL or detection.

mod admin;
mod documents;
mod error;
mod meta;
mod notifications;
mod rescans;
mod review;
mod ui;

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::Router;
use axum::extract::{FromRequestParts, MatchedPath, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::{self, Next};
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub use error::ApiError;

use crate::review::{Service, User};

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The domain service.
    pub service: Arc<Service>,
    /// Largest upload accepted, in bytes.
    pub max_upload_bytes: usize,
    /// The Prometheus registry.
    pub metrics: PrometheusHandle,
}

impl AppState {
    /// State around a service.
    pub fn new(service: Arc<Service>, max_upload_bytes: usize) -> Self {
        Self { service, max_upload_bytes, metrics: metrics_handle() }
    }
}

/// The process-wide Prometheus recorder (installed once; every app in the process shares it).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0])
                .expect("static buckets")
                .build_recorder();
            let handle = recorder.handle();
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// The router: API under `/api/v1`, probes and metrics at the root.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(documents::routes(&state))
        .merge(review::routes())
        .merge(admin::routes())
        .merge(rescans::routes())
        .merge(notifications::routes())
        .merge(meta::routes())
        .merge(ui::routes())
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "見つかりません") })
        .layer(middleware::from_fn(record_request))
        .layer(middleware::map_response(no_store_by_default))
        .with_state(state)
}

/// Responses may carry document text, findings or personal data: no cache keeps them unless a
/// route says otherwise (the static assets do).
async fn no_store_by_default(mut response: Response) -> Response {
    response
        .headers_mut()
        .entry(axum::http::header::CACHE_CONTROL)
        .or_insert(axum::http::HeaderValue::from_static("no-store"));
    response
}

async fn record_request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let seconds = started.elapsed().as_secs_f64();
    metrics::counter!("hairyo_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status.clone()).increment(1);
    metrics::histogram!("hairyo_http_request_seconds", "method" => method.clone(), "route" => route.clone())
        .record(seconds);
    tracing::info!(%method, %route, %status, ms = (seconds * 1000.0) as u64, "request");
    response
}

/// The authenticated caller, from `Authorization: Bearer <token>`.
pub struct AuthUser(pub User);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "認証が必要です"))?;
        Ok(AuthUser(state.service.authenticate(token).await?))
    }
}

/// The client's user agent, kept with consents.
pub(crate) fn user_agent(headers: &axum::http::HeaderMap) -> Option<String> {
    headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned)
}
