//! The one error type of the HTTP edge: a status, a stable code, a Japanese message, and
//! optional structured detail. Internal causes are logged by code, never sent to clients.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::review::ServiceError;

/// An error response: `{"error": {"code", "message", ...detail}}`.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code.
    pub code: &'static str,
    /// Message for people (Japanese).
    pub message: &'static str,
    /// Extra fields.
    pub detail: serde_json::Value,
}

impl ApiError {
    /// An error without detail.
    pub fn new(status: StatusCode, code: &'static str, message: &'static str) -> Self {
        Self { status, code, message, detail: serde_json::Value::Null }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        use ServiceError as E;
        match e {
            E::Unauthenticated => ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "認証が必要です"),
            E::Forbidden("quarantined") => {
                ApiError::new(StatusCode::FORBIDDEN, "quarantined", "この書類は本人の同意があるまで閲覧できません")
            }
            E::Forbidden("suspended") => {
                ApiError::new(StatusCode::FORBIDDEN, "suspended", "本人の申し出により利用が停止されています")
            }
            E::Forbidden("own_document") => {
                ApiError::new(StatusCode::FORBIDDEN, "own_document", "自分の書類は審査できません")
            }
            E::Forbidden(_) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", "この操作の権限がありません"),
            E::NotFound => ApiError::new(StatusCode::NOT_FOUND, "not_found", "見つかりません"),
            E::Conflict(code) => ApiError::new(StatusCode::CONFLICT, code, conflict_message(code)),
            E::Invalid(code, detail) => {
                ApiError { status: StatusCode::UNPROCESSABLE_ENTITY, code, message: invalid_message(code), detail }
            }
            E::MyNumber(locations) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "my_number_refused",
                message: "マイナンバー（個人番号）が含まれているため、お預かりできません。該当箇所を削除して再度アップロードしてください",
                detail: json!({ "locations": locations }),
            },
            E::TooLarge => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "ファイルが大きすぎます"),
            E::UnsupportedType => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_type",
                "PDF、Word（DOCX）、テキストのいずれかをアップロードしてください",
            ),
            E::Empty => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "empty", "ファイルが空です"),
            E::Store(e) => {
                tracing::error!(code = e.code(), "storage failure");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "内部エラーが発生しました")
            }
        }
    }
}

fn conflict_message(code: &str) -> &'static str {
    match code {
        "unscannable" => {
            "読み取れなかった書類には同意できません。削除して、テキストを含むファイルを再度アップロードしてください"
        }
        "my_number" => "マイナンバーを含む書類には同意できません。マスキングまたは削除を選んでください",
        "already_withdrawn" => "この同意は既に撤回されています",
        "status_changed" => "書類の状態が変わりました。画面を更新してから、もう一度お試しください",
        _ => "現在の状態ではこの操作はできません",
    }
}

fn invalid_message(code: &str) -> &'static str {
    match code {
        "consent_incomplete" => "同意が必要な項目がすべて選ばれていません",
        "purposes_required" => "利用目的を選んでください",
        "unknown_notice" => "表示されたお知らせの版が古いか不明です",
        "unknown_category" => "不明な区分です",
        "reason_required" => "理由の記入が必要です",
        "invalid_decision" => "判定は confirmed か false_positive です",
        "purpose_not_consented" => "本人が同意していない目的での提供はできません",
        "recipient_and_purpose_required" => "提供先と目的が必要です",
        "invalid_name" => "名前が不正です",
        "invalid_role" => "役割が不正です",
        "missing_file" => "file フィールドがありません",
        "invalid_body" => "リクエストの形式が不正です",
        _ => "リクエストが不正です",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let (Some(obj), serde_json::Value::Object(detail)) = (error.as_object_mut(), self.detail) {
            obj.extend(detail);
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}
