//! Check-ins: a new value, a confidence, and the three questions of a weekly sync.

use crate::{Invalid, Rule};

/// The start (Monday 00:00 UTC, in µs) of the week holding `us`: a weekly check-in is owed until
/// one is made on or after it.
pub fn week_start(us: i64) -> i64 {
    const DAY: i64 = 86_400_000_000;
    let day = us.div_euclid(DAY);
    // 1970-01-01 was a Thursday: day 0 is 3 days after a Monday.
    (day - (day + 3).rem_euclid(7)) * DAY
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckIn {
    pub value: f64,
    pub confidence: u8,
    pub progress: String,
    pub blockers: String,
    pub help: String,
}

impl CheckIn {
    pub const MAX_TEXT: usize = 4000;

    pub fn parse(value: f64, confidence: i64, progress: &str, blockers: &str, help: &str) -> Result<Self, Invalid> {
        let value = crate::goal::finite("value", value)?;
        if !(0..=10).contains(&confidence) {
            return Err(Invalid::new("confidence", Rule::OutOfRange { min: 0.0, max: 10.0 }));
        }
        let text = |field: &str, s: &str| -> Result<String, Invalid> {
            let t = s.trim();
            if t.chars().count() > Self::MAX_TEXT {
                Err(Invalid::new(field, Rule::TooLong { max: Self::MAX_TEXT }))
            } else {
                Ok(t.to_string())
            }
        };
        Ok(CheckIn {
            value,
            confidence: confidence as u8,
            progress: text("progress", progress)?,
            blockers: text("blockers", blockers)?,
            help: text("help", help)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday() {
        let day = 86_400_000_000_i64;
        // 2026-11-16 is a Monday: 20773 days after the epoch.
        let monday = 20_773 * day;
        for offset in [0, 1, day - 1, 3 * day, 7 * day - 1] {
            assert_eq!(week_start(monday + offset), monday);
        }
        assert_eq!(week_start(monday - 1), monday - 7 * day);
    }

    #[test]
    fn confidence_and_value_are_checked() {
        assert!(CheckIn::parse(12.0, 7, "新店开业", "", "").is_ok());
        assert!(CheckIn::parse(12.0, 11, "", "", "").is_err());
        assert!(CheckIn::parse(12.0, -1, "", "", "").is_err());
        assert!(CheckIn::parse(f64::INFINITY, 5, "", "", "").is_err());
        assert!(CheckIn::parse(1.0, 5, &"x".repeat(4001), "", "").is_err());
    }
}
