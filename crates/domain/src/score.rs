//! Key-result scores and colour bands (PRODUCT.md §3).

use crate::{Invalid, Rule};
use serde::{Deserialize, Serialize};

/// How a key result is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// From a baseline up to a target.
    Increase,
    /// From a baseline down to a target.
    Decrease,
    /// Hold the value at or above a threshold (the target).
    StayAbove,
    /// Hold the value at or below a threshold (the target).
    StayBelow,
    /// Done or not done; with stages, `current` counts stages done out of `target`.
    Milestone,
}

impl Measure {
    pub const ALL: [&'static str; 5] = ["increase", "decrease", "stay_above", "stay_below", "milestone"];

    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Increase => "increase",
            Measure::Decrease => "decrease",
            Measure::StayAbove => "stay_above",
            Measure::StayBelow => "stay_below",
            Measure::Milestone => "milestone",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Measure, Invalid> {
        Self::ALL
            .iter()
            .position(|m| *m == s.trim())
            .map(|i| {
                [Measure::Increase, Measure::Decrease, Measure::StayAbove, Measure::StayBelow, Measure::Milestone][i]
            })
            .ok_or_else(|| Invalid::new(field, Rule::OneOf(&Self::ALL)))
    }
}

/// The score of a key result in [0, 1]. Non-finite inputs score 0 rather than poisoning a
/// roll-up with NaN.
pub fn kr_score(measure: Measure, baseline: f64, target: f64, current: f64) -> f64 {
    if !(baseline.is_finite() && target.is_finite() && current.is_finite()) {
        return 0.0;
    }
    let s = match measure {
        Measure::Increase | Measure::Decrease => {
            if target == baseline {
                // Nothing to move: reached when the value is on the right side of the target.
                let reached = match measure {
                    Measure::Increase => current >= target,
                    _ => current <= target,
                };
                if reached { 1.0 } else { 0.0 }
            } else {
                (current - baseline) / (target - baseline)
            }
        }
        Measure::StayAbove => {
            if current >= target {
                1.0
            } else if target > 0.0 && current > 0.0 {
                current / target
            } else {
                0.0
            }
        }
        Measure::StayBelow => {
            if current <= target {
                1.0
            } else if target > 0.0 {
                target / current
            } else {
                0.0
            }
        }
        Measure::Milestone => {
            if target > 0.0 {
                current / target
            } else if current > 0.0 {
                1.0
            } else {
                0.0
            }
        }
    };
    if s.is_nan() { 0.0 } else { s.clamp(0.0, 1.0) }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Red,
    Yellow,
    Green,
}

impl Band {
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Red => "red",
            Band::Yellow => "yellow",
            Band::Green => "green",
        }
    }
}

/// A tenant's colour thresholds: red below `yellow_from`, green from `green_from`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BandThresholds {
    pub yellow_from: f64,
    pub green_from: f64,
}

impl Default for BandThresholds {
    fn default() -> Self {
        BandThresholds { yellow_from: 0.4, green_from: 0.7 }
    }
}

impl BandThresholds {
    pub fn new(yellow_from: f64, green_from: f64) -> Result<Self, Invalid> {
        let ok = yellow_from.is_finite()
            && green_from.is_finite()
            && 0.0 < yellow_from
            && yellow_from < green_from
            && green_from <= 1.0;
        if ok { Ok(BandThresholds { yellow_from, green_from }) } else { Err(Invalid::new("bands", Rule::BandOrder)) }
    }

    pub fn band(&self, score: f64) -> Band {
        if score >= self.green_from {
            Band::Green
        } else if score >= self.yellow_from {
            Band::Yellow
        } else {
            Band::Red
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert_eq!(kr_score(Measure::Increase, 20.0, 35.0, 27.5), 0.5);
        assert_eq!(kr_score(Measure::Increase, 20.0, 35.0, 50.0), 1.0);
        assert_eq!(kr_score(Measure::Increase, 20.0, 35.0, 10.0), 0.0);
        assert_eq!(kr_score(Measure::Decrease, 10.0, 3.0, 6.5), 0.5);
        assert_eq!(kr_score(Measure::StayAbove, 0.0, 99.9, 99.95), 1.0);
        assert!((kr_score(Measure::StayAbove, 0.0, 98.0, 49.0) - 0.5).abs() < 1e-12);
        assert_eq!(kr_score(Measure::StayBelow, 0.0, 3.0, 2.0), 1.0);
        assert_eq!(kr_score(Measure::StayBelow, 0.0, 3.0, 6.0), 0.5);
        assert_eq!(kr_score(Measure::Milestone, 0.0, 1.0, 0.0), 0.0);
        assert_eq!(kr_score(Measure::Milestone, 0.0, 4.0, 3.0), 0.75);
        assert_eq!(kr_score(Measure::Increase, 5.0, 5.0, 5.0), 1.0);
        assert_eq!(kr_score(Measure::Increase, 0.0, 1.0, f64::NAN), 0.0);
    }

    #[test]
    fn bands() {
        let b = BandThresholds::default();
        assert_eq!(b.band(0.39), Band::Red);
        assert_eq!(b.band(0.4), Band::Yellow);
        assert_eq!(b.band(0.69), Band::Yellow);
        assert_eq!(b.band(0.7), Band::Green);
        assert!(BandThresholds::new(0.5, 0.5).is_err());
        assert!(BandThresholds::new(0.0, 0.5).is_err());
        assert!(BandThresholds::new(0.3, 1.1).is_err());
        assert!(BandThresholds::new(0.3, 0.8).is_ok());
    }

    fn measure() -> impl Strategy<Value = Measure> {
        prop_oneof![
            Just(Measure::Increase),
            Just(Measure::Decrease),
            Just(Measure::StayAbove),
            Just(Measure::StayBelow),
            Just(Measure::Milestone)
        ]
    }

    proptest! {
        #[test]
        fn scores_stay_in_unit_interval(m in measure(), b in -1e9f64..1e9, t in -1e9f64..1e9, c in -1e9f64..1e9) {
            let s = kr_score(m, b, t, c);
            prop_assert!((0.0..=1.0).contains(&s));
        }

        #[test]
        fn moving_toward_target_never_lowers_score(b in -1e6f64..1e6, t in -1e6f64..1e6, c in -1e6f64..1e6, step in 0.0f64..1e6) {
            // Toward the target means up when the target is above the baseline, down otherwise.
            // A target equal to the baseline means "at least" for increase, "at most" for decrease.
            let dir = if t >= b { 1.0 } else { -1.0 };
            let before = kr_score(Measure::Increase, b, t, c);
            let after = kr_score(Measure::Increase, b, t, c + dir * step);
            prop_assert!(after >= before);
            let dir = if t <= b { -1.0 } else { 1.0 };
            let before = kr_score(Measure::Decrease, b, t, c);
            let after = kr_score(Measure::Decrease, b, t, c + dir * step);
            prop_assert!(after >= before);
        }

        #[test]
        fn holding_measures_are_monotone(t in 0.001f64..1e6, c in 0.0f64..1e6, step in 0.0f64..1e6) {
            prop_assert!(kr_score(Measure::StayAbove, 0.0, t, c + step) >= kr_score(Measure::StayAbove, 0.0, t, c));
            prop_assert!(kr_score(Measure::StayBelow, 0.0, t, c) >= kr_score(Measure::StayBelow, 0.0, t, c + step));
        }

        #[test]
        fn decrease_mirrors_increase(b in -1e6f64..1e6, t in -1e6f64..1e6, c in -1e6f64..1e6) {
            let inc = kr_score(Measure::Increase, b, t, c);
            let dec = kr_score(Measure::Decrease, -b, -t, -c);
            prop_assert!((inc - dec).abs() < 1e-9);
        }

        #[test]
        fn band_is_monotone(a in 0.0f64..=1.0, d in 0.0f64..=1.0) {
            let b = BandThresholds::default();
            prop_assert!(b.band((a + d).min(1.0)) >= b.band(a));
        }
    }
}
