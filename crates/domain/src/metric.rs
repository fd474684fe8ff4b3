//! Metrics: named time series of business data that feed key results and KPIs.

use crate::{Invalid, Rule};
use serde::{Deserialize, Serialize};

/// One data point; `time` is microseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct DataPoint {
    pub time: i64,
    pub value: f64,
    pub external_id: Option<String>,
}

impl DataPoint {
    pub fn parse(time: i64, value: f64, external_id: Option<&str>) -> Result<Self, Invalid> {
        let value = crate::goal::finite("value", value)?;
        let external_id = match external_id.map(str::trim) {
            Some("") | None => None,
            Some(s) if s.len() > 200 => {
                return Err(Invalid::new("external_id", Rule::TooLong { max: 200 }));
            }
            Some(s) => Some(s.to_string()),
        };
        Ok(DataPoint { time, value, external_id })
    }
}

/// How a binding reduces a metric's points over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    Latest,
    Sum,
    Mean,
    Min,
    Max,
    Count,
}

impl Aggregation {
    /// Reduces points given in time order; `None` when there are none.
    pub fn apply(self, points: &[DataPoint]) -> Option<f64> {
        let last = points.last()?;
        let vals = points.iter().map(|p| p.value);
        Some(match self {
            Aggregation::Latest => last.value,
            Aggregation::Sum => vals.sum(),
            Aggregation::Mean => vals.sum::<f64>() / points.len() as f64,
            Aggregation::Min => vals.fold(f64::INFINITY, f64::min),
            Aggregation::Max => vals.fold(f64::NEG_INFINITY, f64::max),
            Aggregation::Count => points.len() as f64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregations() {
        let pts: Vec<_> = [3.0, 1.0, 5.0]
            .iter()
            .enumerate()
            .map(|(i, v)| DataPoint { time: i as i64, value: *v, external_id: None })
            .collect();
        assert_eq!(Aggregation::Latest.apply(&pts), Some(5.0));
        assert_eq!(Aggregation::Sum.apply(&pts), Some(9.0));
        assert_eq!(Aggregation::Mean.apply(&pts), Some(3.0));
        assert_eq!(Aggregation::Min.apply(&pts), Some(1.0));
        assert_eq!(Aggregation::Max.apply(&pts), Some(5.0));
        assert_eq!(Aggregation::Count.apply(&pts), Some(3.0));
        assert_eq!(Aggregation::Sum.apply(&[]), None);
        assert!(DataPoint::parse(0, f64::NAN, None).is_err());
    }
}
