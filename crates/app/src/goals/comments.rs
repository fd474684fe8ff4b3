//! Comments on objectives: the discussion beside a goal, visible to whoever may see it, and the
//! `@name` mentions in it (and in check-in notes), told to whoever is named and may see it.

use crate::error::{AppError, Result};
use crate::{Actor, App, Change, record};
use serde::Serialize;
use tandem_domain::{Invalid, Rule};
use tandem_store::notes::{self, CommentRow};

/// The people a text names, and what they are told.
#[derive(Default)]
pub(crate) struct Mentioned {
    people: Vec<tandem_store::people::PersonRow>,
    subject: (String, String),
    text: String,
    href: String,
}

impl Mentioned {
    pub(crate) async fn tell(&self, tx: &mut tandem_store::Tx, tenant: i64, now: i64) -> Result<()> {
        for p in &self.people {
            let (zh, en) = (&self.subject.0, &self.subject.1);
            let text = (self.text.as_str(), self.text.as_str());
            crate::notify::outbox::tell_people(tx, tenant, "mentioned", &[p], (zh, en), text, &self.href, now).await?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CommentView {
    pub id: i64,
    pub author: i64,
    pub author_name: String,
    pub body: String,
    pub created_at: i64,
}

impl App {
    /// Who `text` mentions (`@name` or `@email`) that may see the objective, other than the
    /// writer, and what to tell them. Resolved before the write that adds the text (it reads the
    /// projection); [`Mentioned::tell`] then writes the notifications inside it. Nobody learns of
    /// an objective they may not see by being named in it.
    pub(crate) async fn mentioned(&self, a: &Actor, objective: i64, text: &str) -> Result<Mentioned> {
        let mut out = Mentioned::default();
        if !text.contains('@') {
            return Ok(out);
        }
        let crate::goals::projection::Views { goals, org, .. } = self.views(a.tenant.0).await?;
        let Some(o) = goals.objective(objective) else { return Ok(out) };
        let mut known: std::collections::HashMap<String, Option<i64>> = std::collections::HashMap::new();
        for p in org.people.iter().filter(|p| p.active == 1) {
            // A name two people share means nobody; an email is always one person.
            known.entry(p.name.clone()).and_modify(|v| *v = None).or_insert(Some(p.id));
            known.insert(p.email.clone(), Some(p.id));
        }
        let owner = crate::org::owners::owner_of(&o.owner_type, o.owner_id);
        for id in tandem_domain::text::mentions(text, &known) {
            let Some(p) = org.person(id).filter(|p| p.id != a.person.0) else { continue };
            let them = crate::org::accounts::actor_of(p);
            let author = tandem_domain::ids::PersonId(o.author_id);
            if tandem_domain::policy::may_see_objective(&them, o.ever_published(), author, owner, &org.tree) {
                out.people.push(p.clone());
            }
        }
        let by = org.person(a.person.0).map(|p| p.name.clone()).unwrap_or_default();
        out.subject = (format!("【提到了你】{by} ·「{}」", o.title), format!("[Mention] {by} · “{}”", o.title));
        out.text = text.to_string();
        out.href = format!("/objectives/{objective}#comments");
        Ok(out)
    }

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
        let mentioned = self.mentioned(a, objective, body).await?;
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
        mentioned.tell(&mut tx, a.tenant.0, now).await?;
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
