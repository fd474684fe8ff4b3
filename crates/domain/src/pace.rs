//! Pace, forecast and the flags that come from them (PRODUCT.md §3).
//!
//! Expected progress at a moment is the elapsed share of the cycle. The forecast of the
//! end-of-cycle score is a least-squares line through the KR's score history, anchored at the
//! score its baseline had when the cycle started: with one check-in that is the straight line
//! from the start through it, a flat series stays flat, and noise is averaged out rather than
//! followed. A straight line is the model because most OKR progress is roughly linear over a
//! quarter, it needs no tuning, and it is easy to explain on a chart next to the pace line.

use crate::goal::ObjectiveKind;
use crate::kpi::KpiStatus;

/// One observation: the share of the cycle elapsed (0–1) and the KR's score then.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub t: f64,
    pub score: f64,
}

/// The forecast end-of-cycle score, in [0, 1].
pub fn forecast(start_score: f64, points: &[Point]) -> f64 {
    let mut pts: Vec<Point> = vec![Point { t: 0.0, score: start_score }];
    pts.extend(
        points
            .iter()
            .copied()
            .filter(|p| p.t.is_finite() && p.score.is_finite())
            .map(|p| Point { t: p.t.clamp(0.0, 1.0), score: p.score }),
    );
    let n = pts.len() as f64;
    let mt = pts.iter().map(|p| p.t).sum::<f64>() / n;
    let ms = pts.iter().map(|p| p.score).sum::<f64>() / n;
    let var: f64 = pts.iter().map(|p| (p.t - mt).powi(2)).sum();
    let cov: f64 = pts.iter().map(|p| (p.t - mt) * (p.score - ms)).sum();
    let at_end = if var < 1e-12 {
        // Every point at the same moment: no trend to read, the latest level is the forecast.
        pts.last().map(|p| p.score).unwrap_or(0.0)
    } else {
        let slope = cov / var;
        ms + slope * (1.0 - mt)
    };
    if at_end.is_nan() { 0.0 } else { at_end.clamp(0.0, 1.0) }
}

/// Days a key result gets before its pace is judged when nobody has checked in on it yet.
pub const GRACE_DAYS: f64 = 7.0;

/// When a key result's clock starts: its cycle's start, or, for one added later, the moment it
/// was added (or its first check-in, if that came earlier: an imported history). Expected
/// progress and the forecast count from here, so a KR added mid-cycle is not behind at once.
pub fn kr_start(cycle_start: i64, created_at: i64, first_check_in: Option<i64>) -> i64 {
    cycle_start.max(first_check_in.map_or(created_at, |f| f.min(created_at)))
}

/// A key result has had a fair chance to be judged once someone checked in on it, or once
/// [`GRACE_DAYS`] have passed since its start. Before that it raises no red light.
pub fn judged(checked_in: bool, days_since_start: f64) -> bool {
    checked_in || days_since_start >= GRACE_DAYS
}

/// A key result nobody has started yet: no check-in, still at its baseline, no final score. While
/// its cycle is open it counts for nothing in roll-ups (it is shown as not started rather than
/// dragging its objective down as a zero); once the cycle ends it counts as what it is.
pub fn not_started(checked_in: bool, current: f64, baseline: f64, final_score: bool, cycle_open: bool) -> bool {
    cycle_open && !checked_in && !final_score && current == baseline
}

/// A KR is at risk when, once judged, its forecast falls below what counts as success for its
/// objective's kind, or when nobody has checked in for 14 days.
pub fn at_risk(kind: ObjectiveKind, forecast: f64, days_since_check_in: Option<f64>, judged: bool) -> bool {
    judged && (forecast < kind.success_floor() || days_since_check_in.is_none_or(|d| d >= 14.0))
}

/// Self-reported confidence (0–10) far from the data's forecast: people tend to report goals
/// healthier than they are.
pub fn confidence_disagrees(confidence: u8, forecast: f64) -> bool {
    (f64::from(confidence) / 10.0 - forecast).abs() >= 0.35
}

/// Seed 002's textile case: a KPI that keeps passing while the KR it serves stalls behind pace.
pub fn diverges(kpi_recent: &[KpiStatus], kr_score: f64, expected: f64) -> bool {
    kpi_recent.len() >= 2
        && kpi_recent.iter().rev().take(2).all(|s| *s == KpiStatus::Pass)
        && kr_score + 0.15 < expected
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(t: f64, score: f64) -> Point {
        Point { t, score }
    }

    #[test]
    fn edge_cases() {
        // No check-in: the start level.
        assert_eq!(forecast(0.0, &[]), 0.0);
        // One point halfway at 0.4: the line from the start through it ends at 0.8.
        assert!((forecast(0.0, &[p(0.5, 0.4)]) - 0.8).abs() < 1e-9);
        // Flat series: stays flat.
        assert!((forecast(0.6, &[p(0.2, 0.6), p(0.4, 0.6), p(0.6, 0.6)]) - 0.6).abs() < 1e-9);
        // Ahead of the line: capped at 1.
        assert_eq!(forecast(0.0, &[p(0.1, 0.5)]), 1.0);
        // Falling: not below 0.
        assert_eq!(forecast(0.9, &[p(0.5, 0.2), p(0.6, 0.1)]), 0.0);
        // Noisy but rising steadily: close to the trend, not the last wiggle.
        let noisy = [p(0.1, 0.12), p(0.2, 0.18), p(0.3, 0.33), p(0.4, 0.36), p(0.5, 0.52), p(0.6, 0.55)];
        assert!((forecast(0.0, &noisy) - 0.95).abs() < 0.08, "{}", forecast(0.0, &noisy));
        assert!(forecast(0.0, &[p(0.5, f64::NAN)]).is_finite());
    }

    #[test]
    fn risk_and_flags() {
        assert!(at_risk(ObjectiveKind::Committed, 0.95, Some(1.0), true));
        assert!(!at_risk(ObjectiveKind::Aspirational, 0.65, Some(1.0), true));
        assert!(at_risk(ObjectiveKind::Aspirational, 0.9, Some(15.0), true), "stale");
        assert!(at_risk(ObjectiveKind::Aspirational, 0.9, None, true), "never checked in");
        assert!(!at_risk(ObjectiveKind::Committed, 0.0, Some(0.1), false), "not yet judged");
        assert!(confidence_disagrees(9, 0.3));
        assert!(!confidence_disagrees(6, 0.55));
        use KpiStatus::*;
        assert!(diverges(&[Warn, Pass, Pass], 0.2, 0.6));
        assert!(!diverges(&[Pass, Fail], 0.2, 0.6), "the KPI is not passing");
        assert!(!diverges(&[Pass, Pass], 0.55, 0.6), "the KR keeps pace");
        assert!(!diverges(&[Pass], 0.0, 0.9), "one period is not a pattern");
    }

    #[test]
    fn a_key_result_added_late_gets_a_fair_start() {
        let day = 86_400;
        // Added on day 40 of the cycle: its clock starts then, not on day 0.
        assert_eq!(kr_start(0, 40 * day, None), 40 * day);
        // Added before the cycle began: the cycle's start.
        assert_eq!(kr_start(10 * day, 0, None), 10 * day);
        // An imported history older than the row: the first check-in.
        assert_eq!(kr_start(0, 40 * day, Some(5 * day)), 5 * day);
        assert!(!judged(false, 1.0), "a day old, never checked in");
        assert!(judged(false, GRACE_DAYS), "a week gone");
        assert!(judged(true, 0.0), "checked in: its pace speaks");
        assert!(not_started(false, 3.0, 3.0, false, true));
        assert!(!not_started(false, 3.0, 3.0, false, false), "the cycle ended: it counts as it is");
        assert!(!not_started(false, 3.5, 3.0, false, true), "set up with progress already made");
        assert!(!not_started(true, 3.0, 3.0, false, true), "checked in, even at the baseline");
        assert!(!not_started(false, 3.0, 3.0, true, true), "a final score was given");
    }

    proptest! {
        #[test]
        fn forecast_stays_in_unit_interval(start in 0.0f64..=1.0, pts in prop::collection::vec((0.0f64..=1.0, -2.0f64..3.0), 0..20)) {
            let pts: Vec<Point> = pts.into_iter().map(|(t, s)| p(t, s)).collect();
            let f = forecast(start, &pts);
            prop_assert!((0.0..=1.0).contains(&f));
        }

        #[test]
        fn a_better_latest_value_never_lowers_the_forecast(start in 0.0f64..0.5, ts in prop::collection::vec(0.05f64..0.9, 1..8), s in 0.0f64..1.0, up in 0.0f64..0.5) {
            let mut ts = ts;
            ts.sort_by(f64::total_cmp);
            let base: Vec<Point> = ts.iter().map(|t| p(*t, s)).collect();
            let mut better = base.clone();
            if let Some(last) = better.last_mut() {
                last.score += up;
            }
            prop_assert!(forecast(start, &better) + 1e-9 >= forecast(start, &base));
        }
    }
}
