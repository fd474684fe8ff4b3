//! Objectives and key results: kinds, owners and the parsed values a key result is made of.

use crate::ids::{CycleId, KeyResultId, ObjectiveId, OrgUnitId, PersonId};
use crate::score::{Measure, kr_score};
use crate::text::Name;
use crate::{Invalid, Rule};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectiveKind {
    /// Must be reached in full (1.0).
    Committed,
    /// Ambitious: 0.6–0.7 counts as success.
    Aspirational,
    /// Explores: judged by what was learned.
    Learning,
}

impl ObjectiveKind {
    pub const ALL: [&'static str; 3] = ["committed", "aspirational", "learning"];

    pub fn parse(field: &str, s: &str) -> Result<Self, Invalid> {
        match s.trim() {
            "committed" => Ok(Self::Committed),
            "aspirational" => Ok(Self::Aspirational),
            "learning" => Ok(Self::Learning),
            _ => Err(Invalid::new(field, Rule::OneOf(&Self::ALL))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Committed => "committed",
            Self::Aspirational => "aspirational",
            Self::Learning => "learning",
        }
    }

    /// The end-of-cycle score below which this kind of objective counts as off course.
    pub fn success_floor(self) -> f64 {
        match self {
            Self::Committed => 1.0,
            Self::Aspirational => 0.6,
            Self::Learning => 0.4,
        }
    }
}

/// Who carries a goal: a person or an org unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Owner {
    Person(PersonId),
    OrgUnit(OrgUnitId),
}

/// A weight in a weighted mean: finite and positive.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Weight(f64);

impl Weight {
    pub const MIN: f64 = 0.001;
    pub const MAX: f64 = 1000.0;

    pub fn parse(field: &str, w: f64) -> Result<Weight, Invalid> {
        if w.is_finite() && (Self::MIN..=Self::MAX).contains(&w) {
            Ok(Weight(w))
        } else {
            Err(Invalid::new(field, Rule::OutOfRange { min: Self::MIN, max: Self::MAX }))
        }
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

impl Default for Weight {
    fn default() -> Self {
        Weight(1.0)
    }
}

/// The largest magnitude a value may have: beyond it a number is a typo or an attack (1e308
/// turned a KR green and printed `inf` in exports), not a measurement.
pub const MAX_MAGNITUDE: f64 = 1e15;

/// A number for a message: at most four decimals, no trailing zeros ("3", "2.5", "0.3333").
pub fn display_number(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// A value that can be true: finite and smaller than [`MAX_MAGNITUDE`] in magnitude.
pub fn finite(field: &str, v: f64) -> Result<f64, Invalid> {
    if !v.is_finite() {
        Err(Invalid::new(field, Rule::NotANumber))
    } else if v.abs() >= MAX_MAGNITUDE {
        Err(Invalid::new(field, Rule::TooLarge))
    } else {
        Ok(v)
    }
}

/// Units of quantities that cannot be negative: durations, counts and money. A value below zero
/// in one of them ("−5 分钟" on "降至2.5分钟") is a typo, never a result.
const NEVER_NEGATIVE: &[&str] = &[
    // durations
    "秒",
    "分",
    "分钟",
    "小时",
    "时",
    "天",
    "日",
    "周",
    "个月",
    "月",
    "年",
    "工作日",
    "人天",
    "人日",
    "s",
    "sec",
    "secs",
    "second",
    "seconds",
    "min",
    "mins",
    "minute",
    "minutes",
    "h",
    "hr",
    "hrs",
    "hour",
    "hours",
    "d",
    "day",
    "days",
    "week",
    "weeks",
    "month",
    "months",
    "year",
    "years",
    "ms",
    // counts
    "个",
    "次",
    "件",
    "人",
    "名",
    "位",
    "家",
    "单",
    "笔",
    "场",
    "杯",
    "份",
    "条",
    "篇",
    "台",
    "起",
    "项",
    "门店",
    "家门店",
    "店",
    "款",
    "套",
    "张",
    "本",
    "部",
    "辆",
    "箱",
    "盒",
    "kg",
    "公斤",
    "吨",
    "千克",
    "克",
    "人次",
    "户",
    "count",
    "pcs",
    "people",
    "users",
    "orders",
    "customers",
    "stores",
    "items",
    "times",
    "visits",
    // money
    "元",
    "万元",
    "亿元",
    "万",
    "亿",
    "千元",
    "百万",
    "¥",
    "￥",
    "$",
    "€",
    "£",
    "usd",
    "cny",
    "rmb",
    "eur",
    "yuan",
    "dollars",
    "k",
    "m",
];

/// A quantity in `unit` can never be below zero (durations, counts, money).
pub fn never_negative(unit: &str) -> bool {
    let u = unit.trim().trim_start_matches('/').to_lowercase();
    !u.is_empty() && NEVER_NEGATIVE.contains(&u.as_str())
}

/// A value that can be true of a quantity in `unit`: finite, not absurdly large, and not below
/// zero where the unit cannot be.
pub fn plausible(field: &str, unit: &str, v: f64) -> Result<f64, Invalid> {
    let v = finite(field, v)?;
    if v < 0.0 && never_negative(unit) {
        return Err(Invalid::new(field, Rule::Negative { unit: unit.trim().to_string() }));
    }
    Ok(v)
}

/// A key result as written by its author, every value checked.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyResultSpec {
    pub title: Name,
    pub measure: Measure,
    pub baseline: f64,
    pub target: f64,
    pub unit: String,
    pub weight: Weight,
}

impl KeyResultSpec {
    pub fn parse(
        title: &str,
        measure: &str,
        baseline: f64,
        target: f64,
        unit: &str,
        weight: f64,
    ) -> Result<Self, Invalid> {
        let unit = unit.trim();
        if unit.chars().count() > 20 {
            return Err(Invalid::new("unit", Rule::TooLong { max: 20 }));
        }
        Ok(KeyResultSpec {
            title: Name::parse("title", title)?,
            measure: Measure::parse("measure", measure)?,
            baseline: plausible("baseline", unit, baseline)?,
            target: plausible("target", unit, target)?,
            unit: unit.to_string(),
            weight: Weight::parse("weight", weight)?,
        })
    }
}

/// An objective: a qualitative direction, owned by a person or a unit, aligned upward by
/// `parent` and sideways by `supports`. Drafts are private to author and manager until published.
#[derive(Debug, Clone, PartialEq)]
pub struct Objective {
    pub id: ObjectiveId,
    pub title: Name,
    pub kind: ObjectiveKind,
    pub owner: Owner,
    pub cycle: CycleId,
    pub parent: Option<ObjectiveId>,
    pub supports: Vec<ObjectiveId>,
    pub published: bool,
}

/// One carrier of a key result and the share of it they carry. A KR with several is shared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contribution {
    pub owner: Owner,
    pub weight: Weight,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyResult {
    pub id: KeyResultId,
    pub objective: ObjectiveId,
    pub spec: KeyResultSpec,
    pub current: f64,
    pub owners: Vec<Contribution>,
}

impl KeyResult {
    pub fn score(&self) -> f64 {
        kr_score(self.spec.measure, self.spec.baseline, self.spec.target, self.current)
    }

    /// Each carrier's share of the KR in [0, 1], by contribution weight.
    pub fn shares(&self) -> Vec<(Owner, f64)> {
        let total: f64 = self.owners.iter().map(|c| c.weight.get()).sum();
        self.owners.iter().map(|c| (c.owner, if total > 0.0 { c.weight.get() / total } else { 0.0 })).collect()
    }
}

/// An objective's own score: the weighted mean of its key results; `None` without any.
pub fn objective_score(krs: &[KeyResult]) -> Option<f64> {
    crate::rollup::weighted_mean(krs.iter().map(|k| (k.spec.weight.get(), k.score())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_counts_and_money_are_never_negative() {
        assert!(plausible("value", "分钟", -5.0).is_err());
        assert!(plausible("value", " 元 ", -1.0).is_err());
        assert!(plausible("value", "Minutes", -0.5).is_err());
        assert!(plausible("value", "分钟", 0.0).is_ok());
        assert!(plausible("value", "%", -3.0).is_ok(), "a growth rate may fall");
        assert!(plausible("value", "℃", -12.0).is_ok());
        assert!(plausible("value", "", -1.0).is_ok(), "no unit, no assumption");
        assert!(plausible("value", "分钟", 1e300).is_err());
        assert!(KeyResultSpec::parse("降至2.5分钟", "decrease", 4.0, -2.5, "分钟", 1.0).is_err());
        assert_eq!(display_number(2.5), "2.5");
        assert_eq!(display_number(3.0), "3");
        assert_eq!(display_number(9.530000000000001), "9.53");
    }

    fn kr(weight: f64, baseline: f64, target: f64, current: f64) -> KeyResult {
        KeyResult {
            id: KeyResultId(1),
            objective: ObjectiveId(1),
            spec: KeyResultSpec::parse("kr", "increase", baseline, target, "", weight).unwrap(),
            current,
            owners: vec![],
        }
    }

    #[test]
    fn objective_score_weighs_its_key_results() {
        assert_eq!(objective_score(&[]), None);
        let s = objective_score(&[kr(1.0, 0.0, 10.0, 10.0), kr(3.0, 0.0, 10.0, 2.0)]).unwrap();
        assert!((s - (1.0 + 3.0 * 0.2) / 4.0).abs() < 1e-12);
    }

    #[test]
    fn shared_key_results_split_by_contribution() {
        let mut k = kr(1.0, 0.0, 1.0, 0.5);
        k.owners = vec![
            Contribution { owner: Owner::OrgUnit(OrgUnitId(1)), weight: Weight::parse("w", 3.0).unwrap() },
            Contribution { owner: Owner::OrgUnit(OrgUnitId(2)), weight: Weight::parse("w", 1.0).unwrap() },
        ];
        assert_eq!(k.shares(), vec![(Owner::OrgUnit(OrgUnitId(1)), 0.75), (Owner::OrgUnit(OrgUnitId(2)), 0.25)]);
    }

    #[test]
    fn key_results_are_checked() {
        let kr = KeyResultSpec::parse("门店顾客满意度提升至90%", "increase", 80.0, 90.0, "%", 1.0);
        assert!(kr.is_ok());
        assert!(KeyResultSpec::parse("", "increase", 0.0, 1.0, "", 1.0).is_err());
        assert!(KeyResultSpec::parse("x", "grow", 0.0, 1.0, "", 1.0).is_err());
        assert!(KeyResultSpec::parse("x", "increase", f64::NAN, 1.0, "", 1.0).is_err());
        assert!(KeyResultSpec::parse("x", "increase", 0.0, 1.0, "", 0.0).is_err());
        assert!(KeyResultSpec::parse("x", "increase", 0.0, 1.0, "", -1.0).is_err());
    }

    #[test]
    fn owners_serialise_as_typed_refs() {
        let o = serde_json::to_string(&Owner::OrgUnit(OrgUnitId(7)));
        assert_eq!(o.ok().as_deref(), Some(r#"{"type":"org_unit","id":7}"#));
    }
}
