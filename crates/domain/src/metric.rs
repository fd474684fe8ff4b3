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
        Summary::of(points).map(|s| self.reduce(&s))
    }

    /// Reduces what a summary of the points holds: every aggregation needs no more, so a
    /// database can summarise many points without sending them.
    pub fn reduce(self, s: &Summary) -> f64 {
        match self {
            Aggregation::Latest => s.latest,
            Aggregation::Sum => s.sum,
            Aggregation::Mean => s.sum / s.count as f64,
            Aggregation::Min => s.min,
            Aggregation::Max => s.max,
            Aggregation::Count => s.count as f64,
        }
    }
}

/// What every aggregation needs of a non-empty run of points: how many, their sum, the least,
/// the greatest, and the value of the latest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub count: u64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    pub latest: f64,
}

impl Summary {
    /// Summarises points given in time order; `None` when there are none.
    pub fn of(points: &[DataPoint]) -> Option<Summary> {
        let last = points.last()?;
        let vals = points.iter().map(|p| p.value);
        Some(Summary {
            count: points.len() as u64,
            sum: vals.clone().sum(),
            min: vals.clone().fold(f64::INFINITY, f64::min),
            max: vals.fold(f64::NEG_INFINITY, f64::max),
            latest: last.value,
        })
    }

    /// The summary of this run followed by `later`.
    pub fn then(self, later: Summary) -> Summary {
        Summary {
            count: self.count + later.count,
            sum: self.sum + later.sum,
            min: self.min.min(later.min),
            max: self.max.max(later.max),
            latest: later.latest,
        }
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

    use proptest::prelude::*;

    proptest! {
        /// Summarising two runs apart and joining them is summarising them together, so each
        /// aggregation can be answered from partial summaries.
        #[test]
        fn summaries_join_like_the_runs_they_summarise(
            a in prop::collection::vec(-1e6f64..1e6, 1..40),
            b in prop::collection::vec(-1e6f64..1e6, 1..40),
        ) {
            let pts = |vs: &[f64], from: usize| -> Vec<DataPoint> {
                vs.iter().enumerate().map(|(i, v)| DataPoint { time: (from + i) as i64, value: *v, external_id: None }).collect()
            };
            let (pa, pb) = (pts(&a, 0), pts(&b, a.len()));
            let all: Vec<DataPoint> = pa.iter().chain(pb.iter()).cloned().collect();
            let whole = Summary::of(&all).unwrap();
            let joined = Summary::of(&pa).unwrap().then(Summary::of(&pb).unwrap());
            prop_assert_eq!(whole.count, joined.count);
            prop_assert_eq!(whole.min, joined.min);
            prop_assert_eq!(whole.max, joined.max);
            prop_assert_eq!(whole.latest, joined.latest);
            prop_assert!((whole.sum - joined.sum).abs() <= 1e-6 * (1.0 + whole.sum.abs()));
            for agg in [Aggregation::Latest, Aggregation::Sum, Aggregation::Mean, Aggregation::Min, Aggregation::Max, Aggregation::Count] {
                let v = agg.reduce(&whole);
                let naive = match agg {
                    Aggregation::Latest => *b.last().unwrap(),
                    Aggregation::Sum => a.iter().chain(&b).sum(),
                    Aggregation::Mean => a.iter().chain(&b).sum::<f64>() / (a.len() + b.len()) as f64,
                    Aggregation::Min => a.iter().chain(&b).cloned().fold(f64::INFINITY, f64::min),
                    Aggregation::Max => a.iter().chain(&b).cloned().fold(f64::NEG_INFINITY, f64::max),
                    Aggregation::Count => (a.len() + b.len()) as f64,
                };
                prop_assert!((v - naive).abs() <= 1e-9 * (1.0 + naive.abs()), "{:?}: {} vs {}", agg, v, naive);
            }
        }
    }
}
