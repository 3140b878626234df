//! Notifications for candidates: what the service did to their documents on its own, such as a
//! rescan putting a released document back into quarantine. Written by the change that causes
//! them (in its transaction); here they are read and marked read by their candidate only.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Result, Role, Service, ServiceError, User};
use crate::store::{StoreError, now};

/// One notification, as its candidate sees it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Notification {
    /// Id.
    pub id: String,
    /// The document it is about.
    pub document_id: Option<String>,
    /// What happened (`requarantined`).
    pub kind: String,
    /// The category ids concerned (for `requarantined`: those the consent does not cover).
    pub categories: Vec<String>,
    /// When it was written.
    pub created_at: String,
    /// When the candidate marked it read.
    pub read_at: Option<String>,
}

const COLUMNS: &str = "id, document_id, kind, detail, created_at, read_at";

impl Notification {
    fn from_row(row: &AnyRow) -> Result<Self> {
        let detail: String = row.try_get(3)?;
        let detail: serde_json::Value =
            serde_json::from_str(&detail).map_err(|_| StoreError::Corrupt("notification detail"))?;
        let categories = detail["categories"]
            .as_array()
            .map(|a| a.iter().filter_map(|c| c.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        Ok(Self {
            id: row.try_get(0)?,
            document_id: row.try_get(1)?,
            kind: row.try_get(2)?,
            categories,
            created_at: row.try_get(4)?,
            read_at: row.try_get(5)?,
        })
    }
}

impl Service {
    /// The candidate's own notifications, newest first.
    pub async fn notifications(&self, actor: &User) -> Result<Vec<Notification>> {
        actor.require(&[Role::Candidate])?;
        self.notifications_of(&actor.id).await
    }

    pub(super) async fn notifications_of(&self, user_id: &str) -> Result<Vec<Notification>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM notifications WHERE user_id = $1 ORDER BY created_at DESC, id DESC"
        ))
        .bind(user_id)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter().map(Notification::from_row).collect()
    }

    /// Marks one of the candidate's notifications read (the first time counts). Someone else's
    /// notification is `NotFound`: its existence is not disclosed.
    pub async fn mark_notification_read(&self, actor: &User, id: &str) -> Result<Notification> {
        actor.require(&[Role::Candidate])?;
        // Not audited: reading a message changes no personal data and no document.
        sqlx::query("UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL")
            .bind(now())
            .bind(id)
            .bind(&actor.id)
            .execute(&self.store.pool)
            .await?;
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM notifications WHERE id = $1 AND user_id = $2"))
            .bind(id)
            .bind(&actor.id)
            .fetch_optional(&self.store.pool)
            .await?
            .ok_or(ServiceError::NotFound)?;
        Notification::from_row(&row)
    }
}
