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
    /// What the person says of the key result, beside the computed forecast (none: they leave
    /// it to the forecast), with the reason a status other than on track needs.
    pub status: Option<(Status, String)>,
}

/// A key result's status as its owner reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 正常
    OnTrack,
    /// 有风险
    AtRisk,
    /// 已延期
    Delayed,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::OnTrack, Status::AtRisk, Status::Delayed];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::OnTrack => "on_track",
            Status::AtRisk => "at_risk",
            Status::Delayed => "delayed",
        }
    }

    /// A stored or sent status; empty is none.
    pub fn parse(field: &str, s: &str) -> Result<Option<Status>, Invalid> {
        match s.trim() {
            "" => Ok(None),
            t => Status::ALL
                .into_iter()
                .find(|x| x.as_str() == t)
                .map(Some)
                .ok_or_else(|| Invalid::new(field, Rule::OneOf(&["on_track", "at_risk", "delayed"]))),
        }
    }

    /// The person and the data disagree: they say on track while the forecast is at risk, or
    /// at risk (or late) while the forecast is fine.
    pub fn disagrees_with(self, forecast_at_risk: bool) -> bool {
        match self {
            Status::OnTrack => forecast_at_risk,
            Status::AtRisk | Status::Delayed => !forecast_at_risk,
        }
    }
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
            status: None,
        })
    }

    /// With the status the person reports: at risk and delayed need a reason (what is in the
    /// way is what the manager can help with).
    pub fn with_status(mut self, status: &str, reason: &str) -> Result<Self, Invalid> {
        let reason = reason.trim();
        if reason.chars().count() > Self::MAX_TEXT {
            return Err(Invalid::new("status_reason", Rule::TooLong { max: Self::MAX_TEXT }));
        }
        self.status = match Status::parse("status", status)? {
            Some(Status::AtRisk | Status::Delayed) if reason.is_empty() => {
                return Err(Invalid::new("status_reason", Rule::Required));
            }
            Some(s) => Some((s, reason.to_string())),
            None => None,
        };
        Ok(self)
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

    #[test]
    fn a_status_other_than_on_track_needs_a_reason() {
        let c = || CheckIn::parse(3.0, 6, "", "", "").expect("check-in");
        assert_eq!(c().with_status("", "").expect("none").status, None);
        assert_eq!(c().with_status("on_track", "").expect("on track").status, Some((Status::OnTrack, String::new())));
        let e = c().with_status("at_risk", "  ").expect_err("a reason is needed");
        assert_eq!((e.field.as_str(), e.rule), ("status_reason", Rule::Required));
        assert!(c().with_status("delayed", "").is_err());
        let s = c().with_status("delayed", "供应商延期两周").expect("delayed").status;
        assert_eq!(s, Some((Status::Delayed, "供应商延期两周".into())));
        assert!(c().with_status("green", "").is_err(), "an unknown status is refused");
        assert!(c().with_status("at_risk", &"x".repeat(4001)).is_err());
    }

    #[test]
    fn the_person_and_the_forecast_disagree_when_they_say_opposite_things() {
        assert!(Status::OnTrack.disagrees_with(true));
        assert!(!Status::OnTrack.disagrees_with(false));
        assert!(Status::AtRisk.disagrees_with(false) && Status::Delayed.disagrees_with(false));
        assert!(!Status::AtRisk.disagrees_with(true));
    }
}
