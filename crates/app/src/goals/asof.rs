//! Goals as of a past moment, and what changed between two: rebuilt from the event log, which
//! holds every version of every objective and key result.

use crate::error::{AppError, Result};
use crate::{Actor, App};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use tandem_domain::score::{Measure, kr_score};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KeyResultAsOf {
    pub id: i64,
    pub title: String,
    pub measure: String,
    pub baseline: f64,
    pub target: f64,
    pub current: f64,
    pub unit: String,
    pub weight: f64,
    pub score: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ObjectiveAsOf {
    pub id: i64,
    /// The moment shown, µs since the epoch.
    pub at: i64,
    pub title: String,
    pub kind: String,
    pub status: String,
    pub parent: Option<i64>,
    pub score: Option<f64>,
    pub key_results: Vec<KeyResultAsOf>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Difference {
    /// `objective` or `key_result`.
    pub item: &'static str,
    pub id: i64,
    /// The title at the later moment (or the earlier one, for something removed).
    pub title: String,
    /// The field that changed, or `added` / `removed`.
    pub field: String,
    pub before: Value,
    pub after: Value,
}

fn num(v: &Value, k: &str) -> f64 {
    v.get(k).and_then(Value::as_f64).unwrap_or(0.0)
}

fn text(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

/// The end of a `YYYY-MM-DD` day (UTC), in µs since the epoch.
pub fn end_of_day_us(date: &str) -> Result<i64> {
    let d = tandem_domain::cycle::parse_date("date", date)?;
    let next = d.next_day().ok_or_else(|| tandem_domain::Invalid::new("date", tandem_domain::Rule::BadDate))?;
    Ok(next.midnight().assume_utc().unix_timestamp() * 1_000_000 - 1)
}

impl App {
    /// The objective as it stood at `at`: its wording, status and key results with the values
    /// and scores they had then. 404 if it did not exist yet (or is not visible to the caller).
    pub async fn objective_as_of(&self, a: &Actor, id: i64, at: i64) -> Result<ObjectiveAsOf> {
        self.as_of(a, id, at).await?.ok_or(AppError::NotFound)
    }

    async fn as_of(&self, a: &Actor, id: i64, at: i64) -> Result<Option<ObjectiveAsOf>> {
        let events = self.objective_history(a, id).await?;
        let mut objective: Option<&Value> = None;
        let mut krs: BTreeMap<i64, &Value> = BTreeMap::new();
        for e in events.iter().filter(|e| e.at <= at) {
            let Some(after) = e.after.as_ref() else { continue };
            match e.entity.as_str() {
                "objective" => objective = Some(after),
                "key_result" => {
                    krs.insert(e.entity_id, after);
                }
                _ => {}
            }
        }
        let Some(o) = objective else { return Ok(None) };
        let key_results: Vec<KeyResultAsOf> = krs
            .iter()
            .map(|(kid, k)| {
                let measure = text(k, "measure");
                let (baseline, target) = (num(k, "baseline"), num(k, "target"));
                let current = k.get("current").and_then(Value::as_f64).unwrap_or(baseline);
                let score =
                    Measure::parse("measure", &measure).map(|m| kr_score(m, baseline, target, current)).unwrap_or(0.0);
                KeyResultAsOf {
                    id: *kid,
                    title: text(k, "title"),
                    measure,
                    baseline,
                    target,
                    current,
                    unit: text(k, "unit"),
                    weight: k.get("weight").and_then(Value::as_f64).unwrap_or(1.0),
                    score,
                }
            })
            .collect();
        let score = tandem_domain::rollup::weighted_mean(key_results.iter().map(|k| (k.weight, k.score)));
        Ok(Some(ObjectiveAsOf {
            id,
            at,
            title: text(o, "title"),
            kind: text(o, "kind"),
            status: text(o, "status"),
            parent: o.get("parent").and_then(Value::as_i64),
            score,
            key_results,
        }))
    }

    /// A cycle's goal tree as it stood at `at`: every objective the caller may see that existed
    /// then and was not archived, with its key results and scores of that moment.
    pub async fn tree_as_of(&self, a: &Actor, cycle: i64, at: i64) -> Result<Vec<ObjectiveAsOf>> {
        let filter = crate::goals::objectives::ObjectiveFilter {
            cycle: Some(cycle),
            include_archived: true,
            ..Default::default()
        };
        let mut out = vec![];
        for o in self.list_objectives(a, &filter).await? {
            if let Some(snap) = self.as_of(a, o.id, at).await?
                && snap.status != "archived"
            {
                out.push(snap);
            }
        }
        Ok(out)
    }

    /// What changed on an objective and its key results between two moments.
    pub async fn objective_diff(&self, a: &Actor, id: i64, from: i64, to: i64) -> Result<Vec<Difference>> {
        let before = self.as_of(a, id, from).await?;
        let after = self.as_of(a, id, to).await?.ok_or(AppError::NotFound)?;
        let mut out = vec![];
        let field = |out: &mut Vec<Difference>, item, id, title: &str, f: &str, b: Value, a: Value| {
            if b != a {
                out.push(Difference { item, id, title: title.to_string(), field: f.to_string(), before: b, after: a });
            }
        };
        match &before {
            None => {
                field(&mut out, "objective", id, &after.title, "added", Value::Null, Value::String(after.title.clone()))
            }
            Some(b) => {
                field(
                    &mut out,
                    "objective",
                    id,
                    &after.title,
                    "title",
                    b.title.clone().into(),
                    after.title.clone().into(),
                );
                field(
                    &mut out,
                    "objective",
                    id,
                    &after.title,
                    "kind",
                    b.kind.clone().into(),
                    after.kind.clone().into(),
                );
                field(
                    &mut out,
                    "objective",
                    id,
                    &after.title,
                    "status",
                    b.status.clone().into(),
                    after.status.clone().into(),
                );
                field(&mut out, "objective", id, &after.title, "parent", b.parent.into(), after.parent.into());
            }
        }
        let old: Vec<KeyResultAsOf> = before.map(|b| b.key_results).unwrap_or_default();
        for k in &after.key_results {
            match old.iter().find(|o| o.id == k.id) {
                None => field(&mut out, "key_result", k.id, &k.title, "added", Value::Null, k.title.clone().into()),
                Some(o) => {
                    field(
                        &mut out,
                        "key_result",
                        k.id,
                        &k.title,
                        "title",
                        o.title.clone().into(),
                        k.title.clone().into(),
                    );
                    field(
                        &mut out,
                        "key_result",
                        k.id,
                        &k.title,
                        "measure",
                        o.measure.clone().into(),
                        k.measure.clone().into(),
                    );
                    field(&mut out, "key_result", k.id, &k.title, "baseline", o.baseline.into(), k.baseline.into());
                    field(&mut out, "key_result", k.id, &k.title, "target", o.target.into(), k.target.into());
                    field(&mut out, "key_result", k.id, &k.title, "current", o.current.into(), k.current.into());
                    field(&mut out, "key_result", k.id, &k.title, "weight", o.weight.into(), k.weight.into());
                }
            }
        }
        for o in old.iter().filter(|o| !after.key_results.iter().any(|k| k.id == o.id)) {
            field(&mut out, "key_result", o.id, &o.title, "removed", o.title.clone().into(), Value::Null);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn end_of_day() {
        // 2026-11-22T23:59:59.999999Z
        assert_eq!(super::end_of_day_us("2026-11-22").unwrap(), 1_795_391_999_999_999);
        assert!(super::end_of_day_us("2026-02-30").is_err());
    }
}
