//! Cycles: named periods that nest and move through planning → active → reviewing → closed.

use crate::ids::CycleId;
use crate::{Invalid, Rule};
use serde::{Deserialize, Serialize};
use time::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CycleState {
    Planning,
    Active,
    Reviewing,
    Closed,
}

impl CycleState {
    pub const ALL: [&'static str; 4] = ["planning", "active", "reviewing", "closed"];

    pub fn as_str(self) -> &'static str {
        match self {
            CycleState::Planning => "planning",
            CycleState::Active => "active",
            CycleState::Reviewing => "reviewing",
            CycleState::Closed => "closed",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<CycleState, Invalid> {
        match s.trim() {
            "planning" => Ok(CycleState::Planning),
            "active" => Ok(CycleState::Active),
            "reviewing" => Ok(CycleState::Reviewing),
            "closed" => Ok(CycleState::Closed),
            _ => Err(Invalid::new(field, Rule::OneOf(&Self::ALL))),
        }
    }

    /// The life of a cycle: forward one step at a time. Staying put is allowed (an idempotent
    /// PATCH); going back one step is a reopening (a review back to running, a closed cycle back
    /// to review), which needs a reason on the record. A closed cycle never runs again.
    pub fn can_move_to(self, to: CycleState) -> bool {
        use CycleState::*;
        self == to
            || matches!((self, to), (Planning, Active) | (Active, Reviewing) | (Reviewing, Closed))
            || self.reopens(to)
    }

    /// Moving back one step: a review back to running, or a closed cycle back to review.
    pub fn reopens(self, to: CycleState) -> bool {
        use CycleState::*;
        matches!((self, to), (Reviewing, Active) | (Closed, Reviewing))
    }

    pub fn move_to(self, to: CycleState) -> Result<CycleState, Invalid> {
        if self.can_move_to(to) {
            Ok(to)
        } else {
            Err(Invalid::new("state", Rule::BadTransition { from: self.as_str(), to: to.as_str() }))
        }
    }

    pub fn label(self, lang: crate::Lang) -> &'static str {
        use CycleState::*;
        match self {
            Planning => lang.pick("规划中", "Planning"),
            Active => lang.pick("进行中", "Active"),
            Reviewing => lang.pick("评估中", "Reviewing"),
            Closed => lang.pick("已关闭", "Closed"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Year,
    Half,
    Quarter,
    Month,
    Week,
}

impl PeriodKind {
    pub const ALL: [&'static str; 5] = ["year", "half", "quarter", "month", "week"];

    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Year => "year",
            PeriodKind::Half => "half",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Month => "month",
            PeriodKind::Week => "week",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<PeriodKind, Invalid> {
        match s.trim() {
            "year" => Ok(PeriodKind::Year),
            "half" => Ok(PeriodKind::Half),
            "quarter" => Ok(PeriodKind::Quarter),
            "month" => Ok(PeriodKind::Month),
            "week" => Ok(PeriodKind::Week),
            _ => Err(Invalid::new(field, Rule::OneOf(&Self::ALL))),
        }
    }
}

/// The dates of a cycle, inclusive on both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: Date,
    pub end: Date,
}

impl Span {
    pub fn new(start: Date, end: Date) -> Result<Span, Invalid> {
        if end <= start {
            return Err(Invalid::new("end", Rule::EndBeforeStart));
        }
        Ok(Span { start, end })
    }

    pub fn contains(&self, other: &Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// Elapsed share of the cycle on `day`, in [0, 1]: the pace line's expected progress.
    pub fn elapsed(&self, day: Date) -> f64 {
        let total = (self.end - self.start).whole_days() as f64 + 1.0;
        let done = (day - self.start).whole_days() as f64 + 1.0;
        (done / total).clamp(0.0, 1.0)
    }
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(field: &str, s: &str) -> Result<Date, Invalid> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &fmt).map_err(|_| Invalid::new(field, Rule::BadDate))
}

pub fn format_date(d: Date) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    d.format(&fmt).unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    pub id: CycleId,
    pub name: String,
    pub kind: PeriodKind,
    pub span: Span,
    pub state: CycleState,
    pub parent: Option<CycleId>,
}

/// A nested cycle must lie inside its parent (Q3 contains July).
pub fn check_nesting(parent: &Span, child: &Span) -> Result<(), Invalid> {
    if parent.contains(child) { Ok(()) } else { Err(Invalid::new("parent", Rule::OutsideParent)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn states_move_forward_only() {
        use CycleState::*;
        assert!(Planning.move_to(Active).is_ok());
        assert!(Active.move_to(Reviewing).is_ok());
        assert!(Reviewing.move_to(Closed).is_ok());
        assert!(Reviewing.move_to(Active).is_ok());
        assert!(Planning.move_to(Closed).is_err());
        assert!(Closed.move_to(Active).is_err());
        assert!(Active.move_to(Planning).is_err());
        assert_eq!(Closed.move_to(Closed), Ok(Closed));
        assert!(Closed.move_to(Reviewing).is_ok(), "HR may reopen a closed cycle's review");
        assert!(Closed.reopens(Reviewing) && Reviewing.reopens(Active));
        assert!(!Active.reopens(Reviewing) && !Closed.reopens(Active));
    }

    #[test]
    fn spans_and_nesting() {
        let q3 = Span::new(date!(2026 - 07 - 01), date!(2026 - 09 - 30)).unwrap();
        let jul = Span::new(date!(2026 - 07 - 01), date!(2026 - 07 - 31)).unwrap();
        let oct = Span::new(date!(2026 - 10 - 01), date!(2026 - 10 - 31)).unwrap();
        assert!(check_nesting(&q3, &jul).is_ok());
        assert!(check_nesting(&q3, &oct).is_err());
        assert!(Span::new(date!(2026 - 07 - 01), date!(2026 - 07 - 01)).is_err());
        assert_eq!(q3.elapsed(date!(2026 - 06 - 01)), 0.0);
        assert_eq!(q3.elapsed(date!(2026 - 12 - 01)), 1.0);
        assert!((q3.elapsed(date!(2026 - 08 - 15)) - 46.0 / 92.0).abs() < 1e-9);
    }

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(parse_date("start", "2026-07-01").map(format_date), Ok("2026-07-01".into()));
        assert!(parse_date("start", "2026-13-01").is_err());
        assert!(parse_date("start", "01/07/2026").is_err());
    }
}
