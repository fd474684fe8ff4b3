//! What retros say together: how often each cause type comes up per cycle, the types a unit keeps
//! naming (the same type in two of its last three retro cycles), the other teams that several
//! units' causes name ("waiting for IT" in four units), and what the best-scoring objectives say
//! worked — each with the sentences it rests on, so a reader can go back to the retros.

use crate::retro::CauseType;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A cause as mining reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct MinedCause {
    pub cycle: usize,
    pub unit: i64,
    pub objective: i64,
    pub kind: CauseType,
    pub text: String,
}

/// A unit others may name: its id and the names it goes by (its own name, and shorter forms).
#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    pub unit: i64,
    pub names: Vec<String>,
}

/// A sentence a finding rests on, and where it was written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quote {
    pub objective: i64,
    pub unit: i64,
    pub cycle: usize,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recurring {
    pub unit: i64,
    pub kind: CauseType,
    /// The cycles (by position) it came up in.
    pub cycles: Vec<usize>,
    pub quotes: Vec<Quote>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Named {
    /// The team named.
    pub team: i64,
    /// The other units whose causes name it.
    pub by_units: Vec<i64>,
    pub quotes: Vec<Quote>,
}

/// A "what worked" sentence of a retro, with its objective's final score.
#[derive(Debug, Clone, PartialEq)]
pub struct MinedWorked {
    pub cycle: usize,
    pub unit: i64,
    pub objective: i64,
    pub score: f64,
    pub text: String,
}

/// A success factor: what the retros of well-scored objectives say worked, by theme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Factor {
    pub theme: CauseType,
    /// Sentences of this theme, and the units they come from.
    pub count: usize,
    pub units: Vec<i64>,
    /// The best-scored first.
    pub quotes: Vec<Quote>,
}

/// From this final score up an objective counts as well-scored (the green band's default).
pub const WELL_SCORED: f64 = 0.7;

/// What the well-scored objectives' retros say worked, themed by `theme_of` (the cause
/// classifier: a sentence about training is about capability whether it went well or not), most
/// often said first; a theme said in one unit only counts when it was said twice.
pub fn success_factors(worked: &[MinedWorked], theme_of: impl Fn(&str) -> CauseType) -> Vec<Factor> {
    let mut by: BTreeMap<CauseType, Vec<&MinedWorked>> = BTreeMap::new();
    for w in worked.iter().filter(|w| w.score >= WELL_SCORED && !w.text.trim().is_empty()) {
        by.entry(theme_of(&w.text)).or_default().push(w);
    }
    let mut out: Vec<Factor> = by
        .into_iter()
        .filter(|(_, ws)| ws.len() >= 2)
        .map(|(theme, mut ws)| {
            let units: BTreeSet<i64> = ws.iter().map(|w| w.unit).collect();
            ws.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.cycle.cmp(&a.cycle)));
            Factor {
                theme,
                count: ws.len(),
                units: units.into_iter().collect(),
                quotes: ws
                    .iter()
                    .take(QUOTES)
                    .map(|w| Quote { objective: w.objective, unit: w.unit, cycle: w.cycle, text: w.text.clone() })
                    .collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(b.units.len().cmp(&a.units.len())).then(a.theme.cmp(&b.theme)));
    out
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mined {
    /// Per cycle (by position), the count of causes of each type.
    pub counts: Vec<BTreeMap<CauseType, usize>>,
    pub recurring: Vec<Recurring>,
    pub named: Vec<Named>,
}

/// How many of a unit's last cycles a type must come up in, out of how many.
pub const RECURS: usize = 2;
pub const OF_LAST: usize = 3;
/// How many other units must name a team.
pub const NAMED_BY: usize = 2;
/// Quotes kept per finding.
pub const QUOTES: usize = 3;

fn quote(c: &MinedCause) -> Quote {
    Quote { objective: c.objective, unit: c.unit, cycle: c.cycle, text: c.text.clone() }
}

/// The short forms a unit's name goes by in speech: "信息技术部" is also "信息部" and "技术部";
/// "供应链中心" is also "供应链"; English names lose "department"/"team".
pub fn short_names(name: &str) -> Vec<String> {
    let mut out = vec![name.to_string()];
    let chars: Vec<char> = name.chars().collect();
    if chars.iter().all(|c| !c.is_ascii()) {
        for suffix in ["中心", "部门", "部", "大区", "团队", "组"] {
            if let Some(stem) = name.strip_suffix(suffix)
                && stem.chars().count() >= 2
            {
                out.push(stem.to_string());
                if stem.contains("信息技术") {
                    out.push(format!("IT{suffix}"));
                }
                if stem.chars().count() == 4 {
                    // 信息技术 → 信息部, 技术部.
                    let s: Vec<char> = stem.chars().collect();
                    out.push(format!("{}{suffix}", s[..2].iter().collect::<String>()));
                    out.push(format!("{}{suffix}", s[2..].iter().collect::<String>()));
                }
            }
        }
    } else {
        let lower = name.to_lowercase();
        for suffix in [" department", " team", " dept"] {
            if let Some(stem) = lower.strip_suffix(suffix) {
                out.push(stem.to_string());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Whether `text` names `name`: anywhere for a Chinese name, as whole words for a Latin one (so
/// "IT" is not found in "it was late").
fn names(text: &str, name: &str) -> bool {
    if !name.is_ascii() {
        return text.contains(name);
    }
    let words: Vec<&str> = name.split_whitespace().collect();
    let text: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    !words.is_empty() && text.windows(words.len()).any(|w| w.iter().zip(&words).all(|(a, b)| a.eq_ignore_ascii_case(b)))
}

/// Mines `causes` from `cycles` cycles (positions 0.., oldest first).
pub fn mine(causes: &[MinedCause], cycles: usize, teams: &[Team]) -> Mined {
    let mut counts = vec![BTreeMap::new(); cycles];
    for c in causes {
        if let Some(m) = counts.get_mut(c.cycle) {
            *m.entry(c.kind).or_insert(0) += 1;
        }
    }
    // Recurring: per unit, the cycles it wrote retros in (its last three), and per type the
    // cycles among them the type came up in.
    let units: BTreeSet<i64> = causes.iter().map(|c| c.unit).collect();
    let mut recurring = vec![];
    for &u in &units {
        let mine: Vec<&MinedCause> = causes.iter().filter(|c| c.unit == u).collect();
        let seen: BTreeSet<usize> = mine.iter().map(|c| c.cycle).collect();
        let last: BTreeSet<usize> = seen.iter().rev().take(OF_LAST).copied().collect();
        for kind in CauseType::ALL {
            let hits: BTreeSet<usize> =
                mine.iter().filter(|c| c.kind == kind && last.contains(&c.cycle)).map(|c| c.cycle).collect();
            if hits.len() >= RECURS {
                recurring.push(Recurring {
                    unit: u,
                    kind,
                    cycles: hits.into_iter().collect(),
                    quotes: mine.iter().filter(|c| c.kind == kind).rev().take(QUOTES).map(|c| quote(c)).collect(),
                });
            }
        }
    }
    // Named teams: causes of other units that name a team.
    let mut named = vec![];
    for t in teams {
        let naming: Vec<&MinedCause> =
            causes.iter().filter(|c| c.unit != t.unit && t.names.iter().any(|n| names(&c.text, n))).collect();
        let by: BTreeSet<i64> = naming.iter().map(|c| c.unit).collect();
        if by.len() >= NAMED_BY {
            named.push(Named {
                team: t.unit,
                by_units: by.into_iter().collect(),
                quotes: naming.iter().rev().take(QUOTES).map(|c| quote(c)).collect(),
            });
        }
    }
    named.sort_by(|a, b| b.by_units.len().cmp(&a.by_units.len()).then(a.team.cmp(&b.team)));
    Mined { counts, recurring, named }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cause(cycle: usize, unit: i64, kind: CauseType, text: &str) -> MinedCause {
        MinedCause { cycle, unit, objective: unit * 10 + cycle as i64, kind, text: text.into() }
    }

    #[test]
    fn success_factors_come_from_well_scored_objectives() {
        use CauseType::*;
        let w = |cycle: usize, unit: i64, score: f64, text: &str| MinedWorked {
            cycle,
            unit,
            objective: unit * 10 + cycle as i64,
            score,
            text: text.into(),
        };
        let worked = [
            w(0, 1, 0.9, "新人上岗前做了两天带教培训"),
            w(1, 2, 0.8, "店长每周培训一次高峰流程"),
            w(1, 3, 0.95, "每周一复盘数据看板"),
            w(1, 4, 0.3, "培训做了三次"),
            w(0, 5, 0.75, "按看板数据调整排班"),
            w(1, 5, 0.7, "  "),
            w(0, 6, 0.99, "供应商提前锁定"),
        ];
        // A stand-in for the classifier: training is capability, a dashboard is data.
        let theme = |t: &str| {
            if t.contains("培训") {
                Capability
            } else if t.contains("看板") {
                Data
            } else {
                Dependency
            }
        };
        let f = success_factors(&worked, theme);
        assert_eq!(f.iter().map(|x| x.theme).collect::<Vec<_>>(), vec![Capability, Data], "one sentence is no factor");
        assert_eq!(
            (f[0].count, f[0].units.clone()),
            (2, vec![1, 2]),
            "the low-scored objective's sentence is left out"
        );
        assert_eq!(f[1].quotes[0].text, "每周一复盘数据看板", "the best-scored first");
        assert!(success_factors(&[], theme).is_empty());
    }

    #[test]
    fn short_names_are_what_people_say() {
        assert_eq!(short_names("信息技术部"), vec!["IT部", "信息技术", "信息技术部", "信息部", "技术部"]);
        assert_eq!(short_names("供应链中心"), vec!["供应链", "供应链中心"]);
        assert_eq!(short_names("IT Department"), vec!["IT Department", "it"]);
        assert!(names("We waited on IT for weeks", "it") && !names("it was late", "IT Department"));
        assert!(!names("Edit the plan", "it"), "whole words only");
        assert_eq!(short_names("财务"), vec!["财务"]);
    }

    #[test]
    fn recurring_types_and_named_teams() {
        use CauseType::*;
        let it = Team { unit: 9, names: short_names("信息技术部") };
        let causes = [
            cause(0, 1, Dependency, "一直在等信息部上线点单系统"),
            cause(1, 1, Dependency, "等信息部调整打印顺序等了一个月"),
            cause(1, 1, Resources, "周末人手不够"),
            cause(0, 2, Dependency, "收银故障报给信息部后要等两三天"),
            cause(1, 3, Target, "目标定得太高"),
            cause(0, 9, Capability, "信息技术部自己人手紧"),
        ];
        let m = mine(&causes, 2, &[it]);
        assert_eq!(m.counts[0].get(&Dependency), Some(&2));
        assert_eq!(m.counts[1].get(&Dependency), Some(&1));
        assert_eq!(m.recurring.len(), 1);
        assert_eq!(
            (m.recurring[0].unit, m.recurring[0].kind, m.recurring[0].cycles.clone()),
            (1, Dependency, vec![0, 1])
        );
        assert_eq!(m.named.len(), 1);
        assert_eq!(m.named[0].by_units, vec![1, 2], "its own retro does not count");
        assert_eq!(m.named[0].quotes.len(), 3);
    }

    #[test]
    fn a_type_once_is_no_pattern_and_one_unit_naming_a_team_is_none() {
        use CauseType::*;
        let causes =
            [cause(0, 1, Market, "竞品降价"), cause(2, 1, Data, "报表晚了"), cause(1, 2, Dependency, "等采购部")];
        let m = mine(&causes, 3, &[Team { unit: 5, names: short_names("采购部") }]);
        assert!(m.recurring.is_empty());
        assert!(m.named.is_empty());
    }
}
