//! Comments on objectives: the discussion beside a goal, visible to whoever may see it.

use crate::error::{AppError, Result};
use crate::{Actor, App, Change, record};
use serde::Serialize;
use tandem_domain::{Invalid, Rule};
use tandem_store::notes::{self, CommentRow};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CommentView {
    pub id: i64,
    pub author: i64,
    pub author_name: String,
    pub body: String,
    pub created_at: i64,
}

impl App {
    /// The discussion on an objective, for whoever may see the objective.
    pub async fn comments_on(&self, a: &Actor, objective: i64) -> Result<Vec<CommentView>> {
        self.get_objective(a, objective).await?;
        let (rows, org) = tokio::try_join!(
            async { Ok::<_, AppError>(notes::comments(&self.db, a.tenant.0, "objective", objective).await?) },
            self.org_snapshot(a.tenant.0)
        )?;
        Ok(rows
            .into_iter()
            .map(|c| CommentView {
                id: c.id,
                author: c.author_id,
                author_name: org.person(c.author_id).map(|p| p.name.clone()).unwrap_or_default(),
                body: c.body,
                created_at: c.created_at,
            })
            .collect())
    }

    /// Anyone who may see an objective may discuss it.
    pub async fn add_comment(&self, a: &Actor, objective: i64, body: &str) -> Result<CommentView> {
        self.get_objective(a, objective).await?;
        let body = body.trim();
        if body.is_empty() {
            return Err(Invalid::new("body", Rule::Required).into());
        }
        if body.chars().count() > 4000 {
            return Err(Invalid::new("body", Rule::TooLong { max: 4000 }).into());
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let row = CommentRow {
            tenant_id: a.tenant.0,
            id: tx.next_id().await?,
            entity: "objective".into(),
            entity_id: objective,
            author_id: a.person.0,
            body: body.into(),
            created_at: now,
        };
        notes::insert_comment(&mut tx, &row).await?;
        record(
            &mut tx,
            Some(a),
            a.tenant.0,
            now,
            Change::create("comment", row.id, serde_json::json!({"objective": objective})),
        )
        .await?;
        tx.commit().await?;
        self.comments_on(a, objective).await?.into_iter().find(|c| c.id == row.id).ok_or(AppError::NotFound)
    }
}
