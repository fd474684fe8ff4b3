//! The team 复盘: one per unit and cycle, for the review meeting — across the unit's objectives,
//! what worked and what did not, typed causes, lessons (which join the knowledge base) and
//! actions. The unit's lead writes it while the cycle is in review or closed, a manager above
//! acknowledges it, and everyone may read it, as everyone may read the unit's goals.

use crate::error::{AppError, Result};
use crate::review::retros::{above_lead, assignees_of, check_action_owners, in_review, leads, lesson_rows};
use crate::{Actor, App, Change, record};
use serde::Serialize;
use tandem_domain::Lang;
use tandem_domain::goal::Owner;
use tandem_domain::ids::OrgUnitId;
use tandem_domain::lint::Finding;
use tandem_domain::retro::{self, Retro, RetroInput};
use tandem_store::reviews::{self, TeamRetroRow};

/// A unit's team retro as its readers see it (an empty one until written).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TeamRetroView {
    pub unit: i64,
    pub unit_name: String,
    pub cycle: i64,
    pub cycle_name: String,
    pub cycle_state: String,
    #[serde(flatten)]
    pub retro: Retro,
    /// The retro's traps (only outside causes, a lesson nobody acts on, …).
    pub hints: Vec<Finding>,
    pub written: bool,
    pub author: Option<i64>,
    pub updated_at: Option<i64>,
    pub acknowledged_by: Option<i64>,
    pub acknowledged_by_name: Option<String>,
    pub acknowledged_at: Option<i64>,
    /// Whether the caller may write it now (the unit's lead, while the cycle is in review or
    /// closed) and acknowledge it (a manager above the lead).
    pub can_edit: bool,
    pub can_acknowledge: bool,
    /// Whom its actions may go to.
    pub assignees: Vec<(i64, String)>,
}

/// A stored team retro, read back (it was checked when written).
fn stored(row: &TeamRetroRow) -> Result<Retro> {
    let bad = |e: String| AppError::Internal(format!("team retro of unit {} cycle {}: {e}", row.unit_id, row.cycle_id));
    let input: RetroInput = serde_json::from_str(&row.body).map_err(|e| bad(e.to_string()))?;
    Retro::parse(&input, &[]).map_err(|e| bad(e.to_string()))
}

impl App {
    /// The unit's team retro of `cycle`. 404 for an unknown unit or cycle.
    pub async fn team_retro(&self, a: &Actor, unit: i64, cycle: i64, lang: Lang) -> Result<TeamRetroView> {
        let (row, c) = tokio::try_join!(
            async { Ok::<_, AppError>(reviews::team_retro(&self.db, a.tenant.0, unit, cycle).await?) },
            async { Ok::<_, AppError>(tandem_store::cycles::get(&self.db, a.tenant.0, cycle).await?) },
        )?;
        let c = c.ok_or(AppError::NotFound)?;
        let org = self.org_snapshot(a.tenant.0).await?;
        let u = org.unit(unit).ok_or(AppError::NotFound)?;
        let retro = row.as_ref().map(stored).transpose()?.unwrap_or_default();
        let owner = Owner::OrgUnit(OrgUnitId(unit));
        let hints = if in_review(&c.state) { retro::check(&retro, &[], lang) } else { vec![] };
        let ack_by = row.as_ref().and_then(|r| r.acknowledged_by);
        Ok(TeamRetroView {
            unit,
            unit_name: u.name.clone(),
            cycle,
            cycle_name: c.name.clone(),
            cycle_state: c.state.clone(),
            written: retro.is_written(),
            retro,
            hints,
            author: row.as_ref().map(|r| r.author_id),
            updated_at: row.as_ref().map(|r| r.updated_at),
            acknowledged_by: ack_by,
            acknowledged_by_name: ack_by.and_then(|p| org.person(p)).map(|p| p.name.clone()),
            acknowledged_at: row.as_ref().and_then(|r| r.acknowledged_at),
            can_edit: in_review(&c.state) && leads(a, owner, &org),
            can_acknowledge: row.is_some() && ack_by.is_none() && above_lead(a, owner, &org),
            assignees: assignees_of(owner, &org),
        })
    }

    /// Writes the unit's team retro whole, with its lessons (into the knowledge base), in one write.
    pub async fn save_team_retro(
        &self,
        a: &Actor,
        unit: i64,
        cycle: i64,
        input: &RetroInput,
        lang: Lang,
    ) -> Result<TeamRetroView> {
        let c = tandem_store::cycles::get(&self.db, a.tenant.0, cycle).await?.ok_or(AppError::NotFound)?;
        let retro = {
            let org = self.org_snapshot(a.tenant.0).await?;
            org.unit(unit).ok_or(AppError::NotFound)?;
            if !leads(a, Owner::OrgUnit(OrgUnitId(unit)), &org) {
                return Err(AppError::Forbidden);
            }
            // Self scores and carry-over decisions are per key result: not in a team retro.
            let retro = Retro::parse(input, &[])?;
            check_action_owners(&retro, &org)?;
            retro
        };
        if !in_review(&c.state) {
            return Err(AppError::Conflict("not_in_review"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let before = reviews::team_retro_in(&mut tx, a.tenant.0, unit, cycle).await?;
        let body = serde_json::to_value(&retro).map_err(|e| AppError::Internal(e.to_string()))?;
        reviews::save_team_retro(
            &mut tx,
            &TeamRetroRow {
                tenant_id: a.tenant.0,
                unit_id: unit,
                cycle_id: cycle,
                body: body.to_string(),
                author_id: a.person.0,
                created_at: before.as_ref().map_or(now, |b| b.created_at),
                updated_at: now,
                acknowledged_by: None,
                acknowledged_at: None,
            },
        )
        .await?;
        let lessons = lesson_rows(&mut tx, a.tenant.0, (None, Some(unit)), cycle, &retro, now).await?;
        reviews::replace_team_lessons(&mut tx, a.tenant.0, unit, cycle, &lessons).await?;
        let after = serde_json::json!({"cycle": cycle, "retro": body});
        let change = match &before {
            Some(b) => Change::update(
                "team_retro",
                unit,
                serde_json::json!({"cycle": cycle, "retro": serde_json::from_str::<serde_json::Value>(&b.body)
                    .map_err(|e| AppError::Internal(e.to_string()))?}),
                after,
            ),
            None => Change::create("team_retro", unit, after),
        };
        record(&mut tx, Some(a), a.tenant.0, now, change).await?;
        tx.commit().await?;
        self.team_retro(a, unit, cycle, lang).await
    }

    /// A manager above the unit's lead acknowledges its team retro (once).
    pub async fn acknowledge_team_retro(&self, a: &Actor, unit: i64, cycle: i64, lang: Lang) -> Result<TeamRetroView> {
        {
            let org = self.org_snapshot(a.tenant.0).await?;
            org.unit(unit).ok_or(AppError::NotFound)?;
            if !above_lead(a, Owner::OrgUnit(OrgUnitId(unit)), &org) {
                return Err(AppError::Forbidden);
            }
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let row =
            reviews::team_retro_in(&mut tx, a.tenant.0, unit, cycle).await?.ok_or(AppError::Conflict("no_retro"))?;
        if row.acknowledged_by.is_some() {
            return Err(AppError::Conflict("already_acknowledged"));
        }
        reviews::acknowledge_team(&mut tx, a.tenant.0, unit, cycle, a.person.0, now).await?;
        let mut c = Change::update(
            "team_retro",
            unit,
            serde_json::json!({"cycle": cycle, "acknowledged_by": null}),
            serde_json::json!({"cycle": cycle, "acknowledged_by": a.person.0}),
        );
        c.action = "acknowledge";
        record(&mut tx, Some(a), a.tenant.0, now, c).await?;
        tx.commit().await?;
        self.team_retro(a, unit, cycle, lang).await
    }
}
