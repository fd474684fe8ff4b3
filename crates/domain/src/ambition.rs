//! Ambition calibration, for teams: over a unit's last finished cycles, how its aspirational key
//! results scored, how many committed ones it hit, and how sure it said it was at the start. A
//! team that scores 0.9 or more on aspirational goals cycle after cycle probably sets them too low
//! (sandbagging); one that stays below 0.4 sets them out of reach. Each flag cites the numbers it
//! used, and a unit with too few key results to judge gets none. Flags are prompts for the next
//! planning conversation, never inputs to pay, never a ranking of teams.

use crate::Lang;
use serde::Serialize;

/// How many finished cycles are looked at, and in how many of them a pattern must show.
pub const WINDOW: usize = 3;
pub const REPEATS: usize = 2;
/// Aspirational key results a cycle needs before its mean says anything.
pub const MIN_ASPIRATIONAL: usize = 3;
/// A committed key result counts as hit at this score.
pub const HIT: f64 = 1.0 - 1e-9;
pub const SANDBAGGING: f64 = 0.9;
pub const UNREALISTIC: f64 = 0.4;
/// Committed key results a cycle needs before a miss is flagged.
pub const MIN_COMMITTED: usize = 2;

/// One key result's outcome in a finished cycle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub committed: bool,
    /// The final score (the manager's where set), in [0, 1].
    pub score: f64,
    /// The confidence given at the first check-in (0–10), if any.
    pub start_confidence: Option<u8>,
}

/// A unit's outcomes in one finished cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleOutcomes {
    pub cycle: String,
    pub outcomes: Vec<Outcome>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    Sandbagging,
    Unrealistic,
    CommittedMiss,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    pub kind: FlagKind,
    /// A sentence citing the numbers used.
    pub evidence: String,
}

/// One cycle's numbers for a unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CycleStats {
    pub cycle: String,
    pub aspirational: usize,
    pub aspirational_mean: Option<f64>,
    pub committed: usize,
    pub committed_hit_rate: Option<f64>,
    /// Mean start confidence (0–1) and mean final score of the key results that have one.
    pub start_confidence: Option<f64>,
    pub outcome: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// Oldest first, at most `WINDOW`.
    pub cycles: Vec<CycleStats>,
    /// Over those cycles.
    pub aspirational_mean: Option<f64>,
    pub committed_hit_rate: Option<f64>,
    pub flags: Vec<Flag>,
}

fn mean(xs: impl Iterator<Item = f64>) -> Option<f64> {
    let (s, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    (n > 0).then(|| s / n as f64)
}

fn stats(c: &CycleOutcomes) -> CycleStats {
    let asp: Vec<f64> = c.outcomes.iter().filter(|o| !o.committed).map(|o| o.score).collect();
    let com: Vec<bool> = c.outcomes.iter().filter(|o| o.committed).map(|o| o.score >= HIT).collect();
    let sure: Vec<&Outcome> = c.outcomes.iter().filter(|o| o.start_confidence.is_some()).collect();
    CycleStats {
        cycle: c.cycle.clone(),
        aspirational: asp.len(),
        aspirational_mean: mean(asp.iter().copied()),
        committed: com.len(),
        committed_hit_rate: mean(com.iter().map(|h| if *h { 1.0 } else { 0.0 })),
        start_confidence: mean(sure.iter().filter_map(|o| o.start_confidence).map(|c| f64::from(c.min(10)) / 10.0)),
        outcome: mean(sure.iter().map(|o| o.score)),
    }
}

fn list(xs: &[String], lang: Lang) -> String {
    xs.join(lang.pick("、", ", "))
}

/// Calibrates a unit from its finished cycles, oldest first (only the last `WINDOW` count).
pub fn calibrate(history: &[CycleOutcomes], lang: Lang) -> Calibration {
    let recent = &history[history.len().saturating_sub(WINDOW)..];
    let cycles: Vec<CycleStats> = recent.iter().map(stats).collect();
    let judged: Vec<&CycleStats> = cycles.iter().filter(|c| c.aspirational >= MIN_ASPIRATIONAL).collect();
    let fmt = |c: &CycleStats| format!("{} {:.2}", c.cycle, c.aspirational_mean.unwrap_or(0.0));
    let mut flags = vec![];
    let high: Vec<String> =
        judged.iter().filter(|c| c.aspirational_mean.is_some_and(|m| m >= SANDBAGGING)).map(|c| fmt(c)).collect();
    if high.len() >= REPEATS {
        flags.push(Flag {
            kind: FlagKind::Sandbagging,
            evidence: lang
                .pick(
                    &format!(
                        "挑战型关键结果的平均得分在最近 {} 个周期中有 {} 个达到 {SANDBAGGING} 以上（{}）：目标可能定得偏保守，下个周期可以更大胆。",
                        cycles.len(),
                        high.len(),
                        list(&high, lang)
                    ),
                    &format!(
                        "Aspirational key results averaged {SANDBAGGING} or more in {} of the last {} cycles ({}): the goals may be too safe; aim higher next cycle.",
                        high.len(),
                        cycles.len(),
                        list(&high, lang)
                    ),
                )
                .to_string(),
        });
    }
    let low: Vec<String> =
        judged.iter().filter(|c| c.aspirational_mean.is_some_and(|m| m < UNREALISTIC)).map(|c| fmt(c)).collect();
    if low.len() >= REPEATS {
        flags.push(Flag {
            kind: FlagKind::Unrealistic,
            evidence: lang
                .pick(
                    &format!(
                        "挑战型关键结果的平均得分在最近 {} 个周期中有 {} 个低于 {UNREALISTIC}（{}）：目标可能超出了可达范围，参考历史数据重新校准。",
                        cycles.len(),
                        low.len(),
                        list(&low, lang)
                    ),
                    &format!(
                        "Aspirational key results averaged below {UNREALISTIC} in {} of the last {} cycles ({}): the goals may be out of reach; calibrate them against history.",
                        low.len(),
                        cycles.len(),
                        list(&low, lang)
                    ),
                )
                .to_string(),
        });
    }
    if let Some(last) = cycles.last().filter(|c| c.committed >= MIN_COMMITTED)
        && let Some(rate) = last.committed_hit_rate.filter(|r| *r < 1.0)
    {
        let missed = last.committed - (rate * last.committed as f64).round() as usize;
        flags.push(Flag {
            kind: FlagKind::CommittedMiss,
            evidence: lang
                .pick(
                    &format!("{} 的 {} 个承诺型关键结果中有 {missed} 个未达成（达成率 {:.0}%）：承诺型目标应当全部达成，请做不追责的复盘。", last.cycle, last.committed, rate * 100.0),
                    &format!("{missed} of {} committed key results were missed in {} (hit rate {:.0}%): committed goals are expected to be met; hold a blameless postmortem.", last.committed, last.cycle, rate * 100.0),
                )
                .to_string(),
        });
    }
    let all: Vec<&Outcome> = recent.iter().flat_map(|c| &c.outcomes).collect();
    Calibration {
        aspirational_mean: mean(all.iter().filter(|o| !o.committed).map(|o| o.score)),
        committed_hit_rate: mean(all.iter().filter(|o| o.committed).map(|o| if o.score >= HIT { 1.0 } else { 0.0 })),
        cycles,
        flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cycle(name: &str, asp: &[f64], com: &[f64]) -> CycleOutcomes {
        let o = |committed, score| Outcome { committed, score, start_confidence: Some(7) };
        CycleOutcomes {
            cycle: name.into(),
            outcomes: asp.iter().map(|s| o(false, *s)).chain(com.iter().map(|s| o(true, *s))).collect(),
        }
    }

    fn kinds(c: &Calibration) -> Vec<FlagKind> {
        c.flags.iter().map(|f| f.kind).collect()
    }

    #[test]
    fn a_team_that_always_scores_high_is_asked_to_aim_higher() {
        let h = [cycle("Q2", &[0.95, 1.0, 0.9], &[1.0, 1.0]), cycle("Q3", &[1.0, 0.92, 0.97], &[1.0, 1.0])];
        let c = calibrate(&h, Lang::Zh);
        assert_eq!(kinds(&c), vec![FlagKind::Sandbagging]);
        assert!(
            c.flags[0].evidence.contains("Q2 0.95") && c.flags[0].evidence.contains("Q3 0.96"),
            "{}",
            c.flags[0].evidence
        );
        assert_eq!(c.committed_hit_rate, Some(1.0));
    }

    #[test]
    fn a_team_that_always_falls_short_is_asked_to_calibrate() {
        let h = [
            cycle("Q2", &[0.2, 0.3, 0.35], &[]),
            cycle("Q3", &[0.5, 0.6, 0.7], &[]),
            cycle("Q4", &[0.1, 0.3, 0.2], &[]),
        ];
        assert_eq!(kinds(&calibrate(&h, Lang::En)), vec![FlagKind::Unrealistic]);
    }

    #[test]
    fn too_few_key_results_say_nothing() {
        let h = [cycle("Q2", &[1.0, 1.0], &[1.0]), cycle("Q3", &[1.0, 0.95], &[])];
        assert!(calibrate(&h, Lang::Zh).flags.is_empty());
    }

    #[test]
    fn an_honest_team_gets_no_flag_and_a_committed_miss_is_named() {
        let h = [cycle("Q2", &[0.6, 0.7, 0.65], &[1.0, 1.0]), cycle("Q3", &[0.7, 0.55, 0.8], &[1.0, 0.8, 1.0])];
        let c = calibrate(&h, Lang::En);
        assert_eq!(kinds(&c), vec![FlagKind::CommittedMiss]);
        assert!(
            c.flags[0].evidence.starts_with("1 of 3 committed key results were missed in Q3"),
            "{}",
            c.flags[0].evidence
        );
    }

    #[test]
    fn only_the_last_cycles_count() {
        let old = [cycle("Q1", &[1.0; 3], &[]), cycle("Q2", &[1.0; 3], &[])];
        let h = [old[0].clone(), old[1].clone(), cycle("Q3", &[0.6; 3], &[]), cycle("Q4", &[0.6; 3], &[])];
        let c = calibrate(&h, Lang::Zh);
        assert_eq!(c.cycles.len(), WINDOW);
        assert!(c.flags.is_empty(), "Q1 has left the window");
    }

    proptest! {
        /// A flag needs its pattern in enough cycles with enough key results; means stay in [0, 1].
        #[test]
        fn flags_follow_their_rule(cycles in proptest::collection::vec(proptest::collection::vec((any::<bool>(), 0.0..=1.0f64), 0..8), 0..6)) {
            let h: Vec<CycleOutcomes> = cycles.iter().enumerate().map(|(i, os)| CycleOutcomes {
                cycle: format!("C{i}"),
                outcomes: os.iter().map(|(c, s)| Outcome { committed: *c, score: *s, start_confidence: None }).collect(),
            }).collect();
            let c = calibrate(&h, Lang::En);
            let recent = &h[h.len().saturating_sub(WINDOW)..];
            let count = |pred: &dyn Fn(f64) -> bool| recent.iter().filter(|c| {
                let asp: Vec<f64> = c.outcomes.iter().filter(|o| !o.committed).map(|o| o.score).collect();
                asp.len() >= MIN_ASPIRATIONAL && pred(asp.iter().sum::<f64>() / asp.len() as f64)
            }).count();
            prop_assert_eq!(kinds(&c).contains(&FlagKind::Sandbagging), count(&|m| m >= SANDBAGGING) >= REPEATS);
            prop_assert_eq!(kinds(&c).contains(&FlagKind::Unrealistic), count(&|m| m < UNREALISTIC) >= REPEATS);
            for m in [c.aspirational_mean, c.committed_hit_rate].into_iter().flatten() {
                prop_assert!((0.0..=1.0).contains(&m));
            }
        }
    }
}
