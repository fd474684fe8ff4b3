//! The in-app notification centre: what each person was told (written by
//! [`super::outbox::tell_people`] with every personal email), newest first, read and unread.

use crate::error::{AppError, Result};
use crate::{Actor, App};
use serde::Serialize;
use tandem_store::notify;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NotificationView {
    pub id: i64,
    /// `alert_raised`, `mentioned`, `kpi_change_decided`, `upstream_changed`,
    /// `check_in_reminder`, `weekly_digest`.
    pub event: String,
    pub title: String,
    pub body: String,
    pub href: String,
    pub created_at: i64,
    pub read: bool,
}

impl App {
    /// A page of the caller's notifications, newest first, and how many they have in all.
    pub async fn notifications(
        &self,
        a: &Actor,
        page: usize,
        per_page: usize,
    ) -> Result<(Vec<NotificationView>, usize)> {
        let limit = i64::try_from(per_page.clamp(1, 200)).unwrap_or(200);
        let offset = i64::try_from(page.saturating_mul(per_page)).unwrap_or(i64::MAX);
        let (rows, total) = notify::notifications(&self.db, a.tenant.0, a.person.0, limit, offset).await?;
        let views = rows
            .into_iter()
            .map(|n| NotificationView {
                id: n.id,
                event: n.event,
                title: n.title,
                body: n.body,
                href: n.href,
                created_at: n.created_at,
                read: n.read_at.is_some(),
            })
            .collect();
        Ok((views, total as usize))
    }

    /// How many of the caller's notifications are unread (the bell's number).
    pub async fn unread_notifications(&self, a: &Actor) -> Result<i64> {
        Ok(notify::unread_count(&self.db, a.tenant.0, a.person.0).await?)
    }

    /// Marks one of the caller's notifications read and answers where it points.
    pub async fn open_notification(&self, a: &Actor, id: i64) -> Result<String> {
        notify::mark_read(&self.db, a.tenant.0, a.person.0, Some(id), self.now()).await?.ok_or(AppError::NotFound)
    }

    /// Marks all of the caller's notifications read.
    pub async fn read_all_notifications(&self, a: &Actor) -> Result<()> {
        notify::mark_read(&self.db, a.tenant.0, a.person.0, None, self.now()).await?;
        Ok(())
    }
}
