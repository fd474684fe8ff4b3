//! Scores at cycle end: when a cycle goes into review, every key result of its published
//! objectives is frozen — its value, its score and where the value came from (a person's
//! check-in, a metric, or the value it was set up with) — so that what the review, the retro and
//! later the appraisal read cannot drift.

use crate::error::Result;
use serde::Serialize;
use tandem_store::Tx;
use tandem_store::reviews::{self, KrFinalRow};

/// Where a frozen value came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    /// `check_in` (typed by a person), `metric` (a bound metric), or `setup` (never checked in).
    pub source: &'static str,
    /// The metric, for `metric`.
    pub metric: Option<i64>,
    /// When the value was recorded (µs).
    pub at: i64,
    /// Who recorded it (a person's check-in, or whoever the metric's check-in ran as).
    pub author: Option<i64>,
    pub author_name: Option<String>,
}

/// Reads a stored source (`''`, `metric:<id>`, `setup`).
pub(crate) fn provenance(f: &KrFinalRow, name: impl Fn(i64) -> Option<String>) -> Provenance {
    let metric = f.source.strip_prefix("metric:").and_then(|m| m.parse().ok());
    let source = match (f.source.as_str(), metric) {
        ("", _) => "check_in",
        (_, Some(_)) => "metric",
        _ => "setup",
    };
    Provenance { source, metric, at: f.value_at, author: f.author_id, author_name: f.author_id.and_then(name) }
}

/// Freezes the key results of `cycle`'s published objectives, inside the write that moves the
/// cycle into review (in one statement: see `reviews::freeze_cycle`). Answers how many were
/// frozen.
pub(crate) async fn freeze(tx: &mut Tx, tenant: i64, cycle: i64, now: i64) -> Result<u64> {
    Ok(reviews::freeze_cycle(tx, tenant, cycle, now).await?)
}
