//! A cycle's review in one read, for exports: every published objective the caller may see with
//! its key results at review (frozen value and where it came from, computed, self and final
//! score) and its retro.

use crate::error::{AppError, Result};
use crate::org::owners::{owner_name, owner_of};
use crate::review::board::RetroState;
use crate::review::retros::KrReview;
use crate::{Actor, App};
use std::collections::HashMap;
use tandem_domain::retro::Retro;
use tandem_store::reviews;

/// One objective of a cycle's review.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectiveReview {
    pub objective: i64,
    pub title: String,
    pub kind: String,
    pub owner_name: String,
    pub unit_name: String,
    pub state: RetroState,
    pub acknowledged_by_name: Option<String>,
    pub key_results: Vec<KrReview>,
    pub retro: Retro,
}

impl App {
    /// The review of `cycle`: the published objectives the caller may see, in id order.
    pub async fn review_report(&self, a: &Actor, cycle: i64) -> Result<Vec<ObjectiveReview>> {
        let (retros, finals) = tokio::try_join!(
            async { Ok::<_, AppError>(reviews::retros_of_cycle(&self.db, a.tenant.0, cycle).await?) },
            async { Ok::<_, AppError>(reviews::finals_of_cycle(&self.db, a.tenant.0, cycle).await?) },
        )?;
        let v = self.views(a.tenant.0).await?;
        v.goals.cycle_states.get(&cycle).ok_or(AppError::NotFound)?;
        let retros: HashMap<i64, &reviews::RetroRow> = retros.iter().map(|r| (r.objective_id, r)).collect();
        let mut finals_of: HashMap<i64, Vec<reviews::KrFinalRow>> = HashMap::new();
        for f in finals {
            finals_of.entry(f.objective_id).or_default().push(f);
        }
        let mut out = vec![];
        for o in v.goals.objectives.iter().filter(|o| o.cycle_id == cycle && o.status == "published") {
            if !Self::visible(a, o, &v.org) {
                continue;
            }
            let krs: Vec<i64> = v.goals.key_results_of(o.id).map(|k| k.id).collect();
            let row = retros.get(&o.id);
            let retro = row
                .and_then(|r| crate::review::retros::stored_input(r))
                .and_then(|i| Retro::parse(&i, &krs).ok())
                .unwrap_or_default();
            let state = match row {
                Some(r) if r.acknowledged_by.is_some() => RetroState::Acknowledged,
                Some(_) if retro.is_written() => RetroState::Written,
                _ => RetroState::Missing,
            };
            let owner = owner_of(&o.owner_type, o.owner_id);
            let unit = v.org.unit_of_owner(&o.owner_type, o.owner_id);
            out.push(ObjectiveReview {
                objective: o.id,
                title: o.title.clone(),
                kind: o.kind.clone(),
                owner_name: owner_name(owner, &v.org),
                unit_name: unit.and_then(|u| v.org.unit(u)).map(|u| u.name.clone()).unwrap_or_default(),
                state,
                acknowledged_by_name: row
                    .and_then(|r| r.acknowledged_by)
                    .and_then(|p| v.org.person(p))
                    .map(|p| p.name.clone()),
                key_results: Self::kr_reviews(
                    &v.goals,
                    o.id,
                    &retro,
                    finals_of.get(&o.id).map(Vec::as_slice).unwrap_or(&[]),
                    &v.org,
                ),
                retro,
            });
        }
        Ok(out)
    }
}
