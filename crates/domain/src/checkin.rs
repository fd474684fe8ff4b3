//! Check-ins: a new value, a confidence, and the three questions of a weekly sync. (Where a week
//! begins is local time: see [`crate::zone::Zone::week_start`].)

use crate::{Invalid, Rule};

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
    fn confidence_and_value_are_checked() {
        assert!(CheckIn::parse(12.0, 7, "新店开业", "", "").is_ok());
        assert!(CheckIn::parse(12.0, 11, "", "", "").is_err());
        assert!(CheckIn::parse(12.0, -1, "", "", "").is_err());
        assert!(CheckIn::parse(f64::INFINITY, 5, "", "", "").is_err());
        assert!(CheckIn::parse(1.0, 5, &"x".repeat(4001), "", "").is_err());
    }
}
