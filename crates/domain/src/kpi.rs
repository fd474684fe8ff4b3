//! KPIs: the operating numbers that hold the line, judged against thresholds.

use crate::cycle::PeriodKind;
use crate::goal::{Owner, Weight};
use crate::ids::{CycleId, KeyResultId, KpiId, ObjectiveId};
use crate::{Invalid, Rule};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
}

impl Direction {
    pub const ALL: [&'static str; 2] = ["higher_is_better", "lower_is_better"];

    pub fn parse(field: &str, s: &str) -> Result<Self, Invalid> {
        match s.trim() {
            "higher_is_better" | "higher" => Ok(Self::HigherIsBetter),
            "lower_is_better" | "lower" => Ok(Self::LowerIsBetter),
            _ => Err(Invalid::new(field, Rule::OneOf(&Self::ALL))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::HigherIsBetter => "higher_is_better",
            Self::LowerIsBetter => "lower_is_better",
        }
    }

    /// Whether `a` is at least as good as `b`.
    pub fn at_least(self, a: f64, b: f64) -> bool {
        match self {
            Self::HigherIsBetter => a >= b,
            Self::LowerIsBetter => a <= b,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KpiStatus {
    Pass,
    Warn,
    Fail,
}

/// A KPI's bar: `pass` is the threshold to meet; `warn`, when set, is the line between a
/// warning and a failure (e.g. pass ≥ 98 %, warn ≥ 95 %, below that fail).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub direction: Direction,
    pub pass: f64,
    pub warn: Option<f64>,
}

impl Thresholds {
    pub fn new(direction: Direction, pass: f64, warn: Option<f64>) -> Result<Self, Invalid> {
        crate::goal::finite("pass", pass)?;
        if let Some(w) = warn {
            crate::goal::finite("warn", w)?;
            if !direction.at_least(pass, w) {
                return Err(Invalid::new("warn", Rule::OutOfRange { min: f64::MIN, max: pass }));
            }
        }
        Ok(Thresholds { direction, pass, warn })
    }

    pub fn evaluate(&self, value: f64) -> KpiStatus {
        if !value.is_finite() {
            KpiStatus::Fail
        } else if self.direction.at_least(value, self.pass) {
            KpiStatus::Pass
        } else if self.warn.is_some_and(|w| self.direction.at_least(value, w)) {
            KpiStatus::Warn
        } else {
            KpiStatus::Fail
        }
    }
}

/// What a KPI was cascaded from (company KR → store KPI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum DerivedFrom {
    Objective(ObjectiveId),
    KeyResult(KeyResultId),
}

/// A KPI. Always private: only its owner, the owner's management chain and HR may see it
/// (see `policy::may_see_private_of`); others may at most learn its colour.
#[derive(Debug, Clone, PartialEq)]
pub struct Kpi {
    pub id: KpiId,
    pub name: crate::text::Name,
    pub owner: Owner,
    pub cycle: CycleId,
    pub granularity: PeriodKind,
    pub target: f64,
    pub thresholds: Thresholds,
    pub unit: String,
    /// Weight in appraisal.
    pub weight: Weight,
    pub derived_from: Option<DerivedFrom>,
}

/// Checks a period label for a granularity: `2026-11` (month), `2026-Q4` (quarter),
/// `2026-W47` (ISO week).
pub fn parse_period(granularity: PeriodKind, s: &str) -> Result<String, Invalid> {
    let s = s.trim().to_ascii_uppercase();
    let bad = || Invalid::new("period", Rule::OneOf(&["YYYY-MM", "YYYY-Qn", "YYYY-Www"]));
    let (year, rest) = s.split_once('-').ok_or_else(bad)?;
    let year: i32 = year.parse().map_err(|_| bad())?;
    if !(2000..=2100).contains(&year) {
        return Err(bad());
    }
    let ok = match granularity {
        PeriodKind::Month => rest.len() == 2 && rest.parse::<u8>().is_ok_and(|m| (1..=12).contains(&m)),
        PeriodKind::Quarter => {
            rest.strip_prefix('Q').is_some_and(|q| q.len() == 1 && q.parse::<u8>().is_ok_and(|q| (1..=4).contains(&q)))
        }
        PeriodKind::Week => {
            rest.strip_prefix('W').is_some_and(|w| w.len() == 2 && w.parse::<u8>().is_ok_and(|w| (1..=53).contains(&w)))
        }
        _ => false,
    };
    if ok { Ok(s) } else { Err(bad()) }
}

/// The period of the given granularity that holds `d` (ISO weeks for weeks); `None` for the
/// granularities KPIs are not reported by.
pub fn period_of(granularity: PeriodKind, d: time::Date) -> Option<String> {
    match granularity {
        PeriodKind::Month => Some(format!("{}-{:02}", d.year(), d.month() as u8)),
        PeriodKind::Quarter => Some(format!("{}-Q{}", d.year(), (d.month() as u8 - 1) / 3 + 1)),
        PeriodKind::Week => {
            let (y, w, _) = d.to_iso_week_date();
            Some(format!("{y}-W{w:02}"))
        }
        PeriodKind::Year | PeriodKind::Half => None,
    }
}

/// The days a period covers: `[first, next period's first)`, for a valid period string of the
/// given granularity.
pub fn period_range(granularity: PeriodKind, period: &str) -> Option<(time::Date, time::Date)> {
    use time::{Date, Month};
    let (y, rest) = period.split_once('-')?;
    let y: i32 = y.parse().ok()?;
    let month_start = |y: i32, m: i32| {
        let (y, m) = (y + (m - 1).div_euclid(12), (m - 1).rem_euclid(12) + 1);
        Date::from_calendar_date(y, Month::try_from(m as u8).ok()?, 1).ok()
    };
    match granularity {
        PeriodKind::Month => {
            let m: i32 = rest.parse().ok()?;
            Some((month_start(y, m)?, month_start(y, m + 1)?))
        }
        PeriodKind::Quarter => {
            let q: i32 = rest.strip_prefix('Q')?.parse().ok()?;
            Some((month_start(y, (q - 1) * 3 + 1)?, month_start(y, q * 3 + 1)?))
        }
        PeriodKind::Week => {
            let w: u8 = rest.strip_prefix('W')?.parse().ok()?;
            let first = Date::from_iso_week_date(y, w, time::Weekday::Monday).ok()?;
            Some((first, first + time::Duration::days(7)))
        }
        PeriodKind::Year | PeriodKind::Half => None,
    }
}

/// How far before its cycle a KPI's history may reach: earlier periods are the record its
/// trend and next targets are read from, up to a year back.
pub const HISTORY_DAYS: i64 = 366;

/// A period a value may be recorded for: it has begun by `today` (no value for a period still
/// to come), it does not begin after the KPI's cycle `[cycle_start, cycle_end]` ends (that is the
/// next cycle's KPI), and it ends no more than [`HISTORY_DAYS`] before the cycle starts.
pub fn check_period(
    granularity: PeriodKind,
    period: &str,
    today: time::Date,
    cycle_start: time::Date,
    cycle_end: time::Date,
) -> Result<(), Invalid> {
    let (first, next) = period_range(granularity, period).ok_or_else(|| Invalid::new("period", Rule::BadDate))?;
    if first > today {
        return Err(Invalid::new("period", Rule::FuturePeriod));
    }
    if next <= cycle_start - time::Duration::days(HISTORY_DAYS) || first > cycle_end {
        return Err(Invalid::new("period", Rule::OutsideCycle));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_recorded_for_periods_begun_within_the_cycle() {
        use time::macros::date;
        let (start, end) = (date!(2026 - 10 - 01), date!(2026 - 12 - 31));
        let today = date!(2026 - 11 - 20);
        let check = |g, p: &str| check_period(g, p, today, start, end).map_err(|e| e.rule);
        assert_eq!(check(PeriodKind::Month, "2026-11"), Ok(()), "the month under way");
        assert_eq!(check(PeriodKind::Month, "2026-10"), Ok(()));
        assert_eq!(check(PeriodKind::Month, "2026-12"), Err(Rule::FuturePeriod));
        assert_eq!(check(PeriodKind::Month, "2027-01"), Err(Rule::FuturePeriod));
        assert_eq!(check(PeriodKind::Month, "2026-09"), Ok(()), "history before the cycle");
        assert_eq!(check(PeriodKind::Month, "2025-10"), Ok(()), "a year back");
        assert_eq!(check(PeriodKind::Month, "2025-08"), Err(Rule::OutsideCycle), "older than a year");
        assert_eq!(check(PeriodKind::Quarter, "2026-Q4"), Ok(()));
        // A cycle that ended: its periods only, none of the next cycle's.
        let (start, end) = (date!(2026 - 07 - 01), date!(2026 - 09 - 30));
        assert_eq!(
            check_period(PeriodKind::Month, "2026-10", today, start, end).map_err(|e| e.rule),
            Err(Rule::OutsideCycle)
        );
        assert_eq!(
            check_period(PeriodKind::Week, "2026-W40", today, start, end),
            Ok(()),
            "the week that straddles the end"
        );
    }

    #[test]
    fn a_period_covers_the_days_that_name_it() {
        use time::macros::date;
        assert_eq!(period_range(PeriodKind::Month, "2026-12"), Some((date!(2026 - 12 - 01), date!(2027 - 01 - 01))));
        assert_eq!(period_range(PeriodKind::Quarter, "2026-Q4"), Some((date!(2026 - 10 - 01), date!(2027 - 01 - 01))));
        assert_eq!(period_range(PeriodKind::Week, "2026-W53"), Some((date!(2026 - 12 - 28), date!(2027 - 01 - 04))));
        // Every day of a range is named by that period, and the day after is not.
        for g in [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::Week] {
            let mut d = date!(2025 - 12 - 20);
            while d < date!(2027 - 01 - 10) {
                let p = period_of(g, d).expect("period");
                let (a, b) = period_range(g, &p).expect("range");
                assert!(a <= d && d < b, "{p}: {a}..{b} holds {d}");
                assert_ne!(period_of(g, b).as_deref(), Some(p.as_str()));
                d = d.next_day().expect("day");
            }
        }
    }

    #[test]
    fn the_period_holding_a_day() {
        use time::macros::date;
        assert_eq!(period_of(PeriodKind::Month, date!(2026 - 11 - 22)).as_deref(), Some("2026-11"));
        assert_eq!(period_of(PeriodKind::Quarter, date!(2026 - 11 - 22)).as_deref(), Some("2026-Q4"));
        assert_eq!(period_of(PeriodKind::Week, date!(2026 - 11 - 22)).as_deref(), Some("2026-W47"));
        // 2027-01-01 is a Friday: ISO week 53 of 2026.
        assert_eq!(period_of(PeriodKind::Week, date!(2027 - 01 - 01)).as_deref(), Some("2026-W53"));
        for d in [date!(2026 - 01 - 01), date!(2026 - 06 - 30), date!(2026 - 12 - 31)] {
            for g in [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::Week] {
                let p = period_of(g, d).expect("period");
                assert_eq!(parse_period(g, &p), Ok(p.clone()), "{p} is a valid period");
            }
        }
    }

    #[test]
    fn periods() {
        assert_eq!(parse_period(PeriodKind::Month, "2026-11"), Ok("2026-11".into()));
        assert_eq!(parse_period(PeriodKind::Quarter, "2026-q4"), Ok("2026-Q4".into()));
        assert_eq!(parse_period(PeriodKind::Week, "2026-W47"), Ok("2026-W47".into()));
        for (g, bad) in [
            (PeriodKind::Month, "2026-13"),
            (PeriodKind::Month, "2026-Q4"),
            (PeriodKind::Quarter, "2026-Q5"),
            (PeriodKind::Week, "2026-W54"),
            (PeriodKind::Month, "26-11"),
        ] {
            assert!(parse_period(g, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pass_warn_fail_by_direction() {
        let t = Thresholds::new(Direction::HigherIsBetter, 98.0, Some(95.0)).unwrap();
        assert_eq!(t.evaluate(99.0), KpiStatus::Pass);
        assert_eq!(t.evaluate(96.0), KpiStatus::Warn);
        assert_eq!(t.evaluate(90.0), KpiStatus::Fail);
        let wait = Thresholds::new(Direction::LowerIsBetter, 3.0, Some(5.0)).unwrap();
        assert_eq!(wait.evaluate(2.5), KpiStatus::Pass);
        assert_eq!(wait.evaluate(4.0), KpiStatus::Warn);
        assert_eq!(wait.evaluate(6.0), KpiStatus::Fail);
        assert_eq!(wait.evaluate(f64::NAN), KpiStatus::Fail);
        assert!(Thresholds::new(Direction::HigherIsBetter, 95.0, Some(98.0)).is_err());
    }
}
