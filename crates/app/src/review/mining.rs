//! Retro mining for a cycle (see `domain::mining`): the causes of the retros of the last four
//! finished cycles of its kind up to it — of a unit and the units below it, or of the whole company —
//! counted by type per cycle, the types units keep naming, and the teams several units name; and
//! what the well-scored objectives' retros say worked (success factors).

use crate::error::Result;
use crate::{Actor, App};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use tandem_domain::classify::Classifier;
use tandem_domain::ids::OrgUnitId;
use tandem_domain::mining::{self, MinedCause, MinedWorked, Quote, Team, short_names};
use tandem_domain::retro::CauseType;
use tandem_store::reviews;

/// How many finished cycles the trend covers.
const CYCLES: usize = 4;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QuoteView {
    pub objective: i64,
    pub objective_title: String,
    pub unit_name: String,
    pub cycle_name: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RecurringView {
    pub unit: i64,
    pub unit_name: String,
    pub kind: CauseType,
    pub cycles: Vec<String>,
    pub quotes: Vec<QuoteView>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NamedView {
    pub team: i64,
    pub team_name: String,
    pub by_units: Vec<String>,
    pub quotes: Vec<QuoteView>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FactorView {
    pub theme: CauseType,
    pub count: usize,
    pub unit_names: Vec<String>,
    pub quotes: Vec<QuoteView>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Mining {
    /// The cycles looked at, oldest first.
    pub cycles: Vec<String>,
    /// Per cause type, its count in each of those cycles.
    pub counts: Vec<(CauseType, Vec<usize>)>,
    pub recurring: Vec<RecurringView>,
    pub named: Vec<NamedView>,
    /// What the well-scored objectives' retros say worked, by theme, most often said first.
    pub success: Vec<FactorView>,
}

impl App {
    /// Mines the retros up to `cycle`, of `unit` and below it (the whole company without one),
    /// among objectives the caller may see.
    pub async fn retro_mining(&self, a: &Actor, cycle: i64, unit: Option<i64>) -> Result<Mining> {
        let finished = self.finished_cycles(a.tenant.0, cycle, CYCLES).await?;
        let mut retros = vec![];
        for (i, c) in finished.iter().enumerate() {
            retros.extend(reviews::retros_of_cycle(&self.db, a.tenant.0, c.id).await?.into_iter().map(|r| (i, r)));
        }
        let v = self.views(a.tenant.0).await?;
        if let Some(u) = unit {
            v.org.unit(u).ok_or(crate::AppError::NotFound)?;
        }
        let within: Option<HashSet<i64>> =
            unit.map(|u| v.org.tree.subtree(OrgUnitId(u)).into_iter().map(|x| x.0).collect());
        let mut causes = vec![];
        let mut worked = vec![];
        for (i, r) in &retros {
            let Some(o) = v.goals.objective(r.objective_id).filter(|o| Self::visible(a, o, &v.org)) else { continue };
            let Some(u) = v
                .org
                .unit_of_owner(&o.owner_type, o.owner_id)
                .filter(|u| within.as_ref().is_none_or(|w| w.contains(u)))
            else {
                continue;
            };
            let Some(input) = crate::review::retros::stored_input(r) else { continue };
            let score = v.goals.scores(o.id).0.unwrap_or(0.0);
            worked.extend(input.worked.into_iter().map(|text| MinedWorked {
                cycle: *i,
                unit: u,
                objective: o.id,
                score,
                text,
            }));
            for c in input.causes {
                if let Ok(kind) = CauseType::parse("type", &c.kind) {
                    causes.push(MinedCause { cycle: *i, unit: u, objective: o.id, kind, text: c.text });
                }
            }
        }
        let teams: Vec<Team> = v.org.units.iter().map(|u| Team { unit: u.id, names: short_names(&u.name) }).collect();
        let m = mining::mine(&causes, finished.len(), &teams);
        let model = Classifier::shipped();
        let success = mining::success_factors(&worked, |t| model.classify(t).kind);
        let unit_name = |u: i64| v.org.unit(u).map(|x| x.name.clone()).unwrap_or_default();
        let cycle_name = |i: usize| finished.get(i).map(|c| c.name.clone()).unwrap_or_default();
        let quote = |q: Quote| QuoteView {
            objective: q.objective,
            objective_title: v.goals.objective(q.objective).map(|o| o.title.clone()).unwrap_or_default(),
            unit_name: unit_name(q.unit),
            cycle_name: cycle_name(q.cycle),
            text: q.text,
        };
        let mut counts: BTreeMap<CauseType, Vec<usize>> = BTreeMap::new();
        for (i, per) in m.counts.iter().enumerate() {
            for (k, n) in per {
                counts.entry(*k).or_insert_with(|| vec![0; finished.len()])[i] = *n;
            }
        }
        Ok(Mining {
            cycles: finished.iter().map(|c| c.name.clone()).collect(),
            counts: counts.into_iter().collect(),
            recurring: m
                .recurring
                .into_iter()
                .map(|r| RecurringView {
                    unit: r.unit,
                    unit_name: unit_name(r.unit),
                    kind: r.kind,
                    cycles: r.cycles.into_iter().map(cycle_name).collect(),
                    quotes: r.quotes.into_iter().map(quote).collect(),
                })
                .collect(),
            named: m
                .named
                .into_iter()
                .map(|n| NamedView {
                    team: n.team,
                    team_name: unit_name(n.team),
                    by_units: n.by_units.into_iter().map(unit_name).collect(),
                    quotes: n.quotes.into_iter().map(quote).collect(),
                })
                .collect(),
            success: success
                .into_iter()
                .map(|f| FactorView {
                    theme: f.theme,
                    count: f.count,
                    unit_names: f.units.into_iter().map(unit_name).collect(),
                    quotes: f.quotes.into_iter().map(quote).collect(),
                })
                .collect(),
        })
    }
}
