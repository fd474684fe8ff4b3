//! Courses over time, for charts: each key result's values through its cycle against the pace
//! line, and each objective's score week by week (the team tree's sparklines). Read from the goal
//! projection; nothing here queries per item.

use crate::error::{AppError, Result};
use crate::goals::snapshot::kr_row_score;
use crate::{Actor, App};
use std::collections::HashMap;
use tandem_domain::score::Measure;

const WEEK_US: i64 = 7 * 24 * 3600 * 1_000_000;

/// One key result's course through its cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct KrCourse {
    pub key_result: i64,
    pub measure: Measure,
    pub baseline: f64,
    pub target: f64,
    /// The cycle's start and end (µs).
    pub span: (i64, i64),
    /// (time µs, value): what it held when the cycle started (or it was set up), then every
    /// check-in.
    pub points: Vec<(i64, f64)>,
    pub now: i64,
    /// The forecast end-of-cycle score.
    pub forecast: f64,
    pub score: f64,
}

impl App {
    /// The courses of an objective's key results (the objective must be visible to `a`).
    pub async fn kr_courses(&self, a: &Actor, objective: i64) -> Result<Vec<KrCourse>> {
        let view = self.get_objective(a, objective).await?;
        let snap = self.live_goals(a.tenant.0).await?;
        let o = snap.objective(objective).ok_or(AppError::NotFound)?;
        let now = self.now();
        let span = snap.spans.get(&o.cycle_id).copied().unwrap_or((now, now + 1));
        Ok(snap
            .key_results_of(objective)
            .map(|k| {
                let history = snap.check_ins.get(&k.id).map(Vec::as_slice).unwrap_or(&[]);
                let first = history.first().map(|(t, _, _)| *t).unwrap_or(now);
                let start = (span.0.max(k.created_at.min(first)), snap.kr_value_at(k, first - 1));
                let mut points = vec![start];
                points.extend(history.iter().map(|(t, v, _)| (*t, *v)));
                KrCourse {
                    key_result: k.id,
                    measure: Measure::parse("measure", &k.measure).unwrap_or(Measure::Increase),
                    baseline: k.baseline,
                    target: k.target,
                    span,
                    points,
                    now,
                    forecast: view.key_results.iter().find(|x| x.id == k.id).map(|x| x.forecast).unwrap_or(0.0),
                    score: kr_row_score(k),
                }
            })
            .collect())
    }

    /// Each published objective's roll-up at the end of each of the last `weeks` weeks up to now
    /// (oldest first, none before its cycle began). Drafts are not traced: callers may pass any
    /// ids.
    pub async fn score_trends(&self, tenant: i64, ids: &[i64], weeks: usize) -> Result<HashMap<i64, Vec<f64>>> {
        let snap = self.live_goals(tenant).await?;
        let now = self.now();
        let times: Vec<i64> = (0..weeks).rev().map(|j| now - j as i64 * WEEK_US).collect();
        let rollups: Vec<HashMap<i64, f64>> = times.iter().map(|t| snap.rollups_at(*t)).collect();
        Ok(ids
            .iter()
            .filter_map(|id| {
                let o = snap.objective(*id).filter(|o| o.status == "published")?;
                let start = snap.spans.get(&o.cycle_id).map(|s| s.0).unwrap_or(now);
                let series = times
                    .iter()
                    .zip(&rollups)
                    .filter(|(t, _)| **t >= start)
                    .filter_map(|(_, r)| r.get(id).copied())
                    .collect();
                Some((*id, series))
            })
            .collect())
    }
}
