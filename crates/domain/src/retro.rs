//! 复盘 (the retrospective of an objective): what was self-scored, what worked and what did
//! not, the causes (typed, so they can be counted across units and cycles, and split 主观 /
//! 客观), the lessons worth reusing, the actions that follow, and what becomes of each key result
//! in the next cycle. Parsed here from what a caller sent, refused field by field, and checked
//! for the traps the method warns of (a miss with no cause, blaming only the outside — 归罪于外 —,
//! a lesson nobody acts on, an action with no owner or date).

use crate::cycle::{format_date, parse_date};
use crate::lint::Finding;
use crate::{Invalid, Lang, Rule};
use serde::Serialize;

/// Most entries a retro holds in any one list.
pub const MAX_ITEMS: usize = 50;
/// Longest text of one entry, in characters.
pub const MAX_TEXT: usize = 2000;
/// Most tags on a lesson, and the longest tag.
pub const MAX_TAGS: usize = 10;
pub const MAX_TAG: usize = 30;

/// The eight cause types (fixed, so mining can count them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CauseType {
    Resources,
    Process,
    Capability,
    Dependency,
    Market,
    Target,
    Execution,
    Data,
}

impl CauseType {
    pub const ALL: [CauseType; 8] = [
        CauseType::Resources,
        CauseType::Process,
        CauseType::Capability,
        CauseType::Dependency,
        CauseType::Market,
        CauseType::Target,
        CauseType::Execution,
        CauseType::Data,
    ];
    const CODES: &'static [&'static str] =
        &["resources", "process", "capability", "dependency", "market", "target", "execution", "data"];

    pub fn as_str(self) -> &'static str {
        Self::CODES[self as usize]
    }

    pub fn parse(field: &str, s: &str) -> Result<CauseType, Invalid> {
        Self::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| Invalid::new(field, Rule::OneOf(Self::CODES)))
    }

    pub fn label(self, lang: Lang) -> &'static str {
        use CauseType::*;
        match self {
            Resources => lang.pick("资源不足", "Resources"),
            Process => lang.pick("流程问题", "Process"),
            Capability => lang.pick("能力短板", "Capability"),
            Dependency => lang.pick("协作依赖", "Dependency"),
            Market => lang.pick("市场环境", "Market"),
            Target => lang.pick("目标设定", "Target"),
            Execution => lang.pick("执行落实", "Execution"),
            Data => lang.pick("数据问题", "Data"),
        }
    }

    /// The same theme said of what worked (mining's success factors).
    pub fn factor_label(self, lang: Lang) -> &'static str {
        use CauseType::*;
        match self {
            Resources => lang.pick("资源到位", "Resources in place"),
            Process => lang.pick("流程与标准", "Process and standards"),
            Capability => lang.pick("能力与培训", "Skills and training"),
            Dependency => lang.pick("协作配合", "Working with others"),
            Market => lang.pick("把握市场", "Reading the market"),
            Target => lang.pick("目标清晰", "Clear targets"),
            Execution => lang.pick("执行跟进", "Follow-through"),
            Data => lang.pick("用数据说话", "Working from data"),
        }
    }
}

/// Whether a cause lay within the team's control (主观) or outside it (客观).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Locus {
    Subjective,
    Objective,
}

impl Locus {
    const CODES: &'static [&'static str] = &["subjective", "objective"];

    pub fn as_str(self) -> &'static str {
        Self::CODES[self as usize]
    }

    pub fn parse(field: &str, s: &str) -> Result<Locus, Invalid> {
        match s {
            "subjective" => Ok(Locus::Subjective),
            "objective" => Ok(Locus::Objective),
            _ => Err(Invalid::new(field, Rule::OneOf(Self::CODES))),
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Locus::Subjective => lang.pick("主观", "Within our control"),
            Locus::Objective => lang.pick("客观", "Outside our control"),
        }
    }
}

/// What becomes of a key result in the next cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CarryOver {
    Continue,
    Revise,
    Drop,
    ToKpi,
}

impl CarryOver {
    const CODES: &'static [&'static str] = &["continue", "revise", "drop", "to_kpi"];

    pub fn as_str(self) -> &'static str {
        Self::CODES[self as usize]
    }

    pub fn parse(field: &str, s: &str) -> Result<CarryOver, Invalid> {
        [CarryOver::Continue, CarryOver::Revise, CarryOver::Drop, CarryOver::ToKpi]
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| Invalid::new(field, Rule::OneOf(Self::CODES)))
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            CarryOver::Continue => lang.pick("继续", "Continue"),
            CarryOver::Revise => lang.pick("调整后继续", "Revise"),
            CarryOver::Drop => lang.pick("放弃", "Drop"),
            CarryOver::ToKpi => lang.pick("转为 KPI", "Turn into a KPI"),
        }
    }
}

/// An action's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionState {
    Open,
    Done,
}

impl ActionState {
    const CODES: &'static [&'static str] = &["open", "done"];

    pub fn as_str(self) -> &'static str {
        Self::CODES[self as usize]
    }

    pub fn parse(field: &str, s: &str) -> Result<ActionState, Invalid> {
        match s {
            "" | "open" => Ok(ActionState::Open),
            "done" => Ok(ActionState::Done),
            _ => Err(Invalid::new(field, Rule::OneOf(Self::CODES))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelfScore {
    pub key_result: i64,
    pub score: f64,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cause {
    pub text: String,
    #[serde(rename = "type")]
    pub kind: CauseType,
    #[serde(rename = "cause")]
    pub locus: Locus,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lesson {
    pub text: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    pub text: String,
    /// A person of the tenant (checked against the directory by the caller).
    pub owner: Option<i64>,
    /// `YYYY-MM-DD`.
    pub due: Option<String>,
    pub state: ActionState,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CarryDecision {
    pub key_result: i64,
    pub decision: CarryOver,
}

/// A checked retro.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Retro {
    pub self_scores: Vec<SelfScore>,
    pub worked: Vec<String>,
    pub did_not: Vec<String>,
    pub causes: Vec<Cause>,
    pub lessons: Vec<Lesson>,
    pub actions: Vec<Action>,
    pub carry_over: Vec<CarryDecision>,
}

/// A retro as a caller sends it: every value still a string or a number to check.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct RetroInput {
    pub self_scores: Vec<SelfScoreInput>,
    pub worked: Vec<String>,
    pub did_not: Vec<String>,
    pub causes: Vec<CauseInput>,
    pub lessons: Vec<LessonInput>,
    pub actions: Vec<ActionInput>,
    pub carry_over: Vec<CarryInput>,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct SelfScoreInput {
    pub key_result: i64,
    pub score: f64,
    pub note: String,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct CauseInput {
    pub text: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub cause: String,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct LessonInput {
    pub text: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct ActionInput {
    pub text: String,
    pub owner: Option<i64>,
    pub due: Option<String>,
    pub state: String,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct CarryInput {
    pub key_result: i64,
    pub decision: String,
}

/// A required text of at most `MAX_TEXT` characters, trimmed.
fn text(field: &str, s: &str) -> Result<String, Invalid> {
    let t = crate::text::note(field, s, MAX_TEXT)?;
    if t.is_empty() {
        return Err(Invalid::new(field, Rule::Required));
    }
    Ok(t)
}

fn list<T, U>(
    field: &str,
    items: &[T],
    mut each: impl FnMut(String, &T) -> Result<U, Invalid>,
) -> Result<Vec<U>, Invalid> {
    if items.len() > MAX_ITEMS {
        return Err(Invalid::new(field, Rule::TooMany { max: MAX_ITEMS }));
    }
    items.iter().enumerate().map(|(i, x)| each(format!("{field}[{i}]"), x)).collect()
}

/// Key results named twice in one list are refused: one self score and one decision each.
fn once(field: &str, ids: impl Iterator<Item = i64>) -> Result<(), Invalid> {
    let mut seen = std::collections::HashSet::new();
    for (i, id) in ids.enumerate() {
        if !seen.insert(id) {
            return Err(Invalid::new(format!("{field}[{i}].key_result"), Rule::Duplicate));
        }
    }
    Ok(())
}

impl Retro {
    /// Checks every field. `key_results` are the objective's key results: self scores and
    /// carry-over decisions may name only those.
    pub fn parse(raw: &RetroInput, key_results: &[i64]) -> Result<Retro, Invalid> {
        let known = |field: &str, kr: i64| {
            if key_results.contains(&kr) {
                Ok(kr)
            } else {
                Err(Invalid::new(format!("{field}.key_result"), Rule::UnknownRef))
            }
        };
        let self_scores = list("self_scores", &raw.self_scores, |f, s| {
            if !(s.score.is_finite() && (0.0..=1.0).contains(&s.score)) {
                return Err(Invalid::new(format!("{f}.score"), Rule::OutOfRange { min: 0.0, max: 1.0 }));
            }
            let note = s.note.trim();
            if note.chars().count() > MAX_TEXT {
                return Err(Invalid::new(format!("{f}.note"), Rule::TooLong { max: MAX_TEXT }));
            }
            Ok(SelfScore { key_result: known(&f, s.key_result)?, score: s.score, note: note.to_string() })
        })?;
        once("self_scores", self_scores.iter().map(|s| s.key_result))?;
        let lines = |field: &str, xs: &[String]| list(field, xs, |f, s| text(&f, s));
        let causes = list("causes", &raw.causes, |f, c| {
            Ok(Cause {
                text: text(&format!("{f}.text"), &c.text)?,
                kind: CauseType::parse(&format!("{f}.type"), &c.kind)?,
                locus: Locus::parse(&format!("{f}.cause"), &c.cause)?,
            })
        })?;
        let lessons = list("lessons", &raw.lessons, |f, l| {
            // "排班, 高峰" sent as one tag is two tags (tags are stored comma-joined).
            let mut tags: Vec<String> = vec![];
            for (i, t) in l.tags.iter().enumerate() {
                if t.chars().any(char::is_control) {
                    return Err(Invalid::new(format!("{f}.tags[{i}]"), Rule::NotText));
                }
                for t in t.split([',', '，', '、']).map(|t| t.trim().trim_start_matches('#').trim()) {
                    if t.chars().count() > MAX_TAG {
                        return Err(Invalid::new(format!("{f}.tags[{i}]"), Rule::TooLong { max: MAX_TAG }));
                    }
                    if !t.is_empty() && !tags.iter().any(|x| x == t) {
                        tags.push(t.to_string());
                    }
                }
            }
            if tags.len() > MAX_TAGS {
                return Err(Invalid::new(format!("{f}.tags"), Rule::TooMany { max: MAX_TAGS }));
            }
            Ok(Lesson { text: text(&format!("{f}.text"), &l.text)?, tags })
        })?;
        let actions = list("actions", &raw.actions, |f, a| {
            let due = match a.due.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
                Some(d) => Some(format_date(parse_date(&format!("{f}.due"), d)?)),
                None => None,
            };
            Ok(Action {
                text: text(&format!("{f}.text"), &a.text)?,
                owner: a.owner,
                due,
                state: ActionState::parse(&format!("{f}.state"), &a.state)?,
            })
        })?;
        let carry_over = list("carry_over", &raw.carry_over, |f, c| {
            Ok(CarryDecision {
                key_result: known(&f, c.key_result)?,
                decision: CarryOver::parse(&format!("{f}.decision"), &c.decision)?,
            })
        })?;
        once("carry_over", carry_over.iter().map(|c| c.key_result))?;
        Ok(Retro {
            self_scores,
            worked: lines("worked", &raw.worked)?,
            did_not: lines("did_not", &raw.did_not)?,
            causes,
            lessons,
            actions,
            carry_over,
        })
    }

    /// Whether anything was written beyond self scores.
    pub fn is_written(&self) -> bool {
        !(self.worked.is_empty()
            && self.did_not.is_empty()
            && self.causes.is_empty()
            && self.lessons.is_empty()
            && self.actions.is_empty())
    }
}

/// How a key result ended, as the retro's checks need it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub key_result: i64,
    /// The final score (the manager's, else the computed one).
    pub score: f64,
    /// Its objective is committed (expected at 1.0; a miss gets a blameless postmortem).
    pub committed: bool,
}

/// Below this an aspirational key result counts as missed (the red band's top by default).
pub const ASPIRATIONAL_MISS: f64 = 0.4;

impl Outcome {
    pub fn missed(&self) -> bool {
        if self.committed { self.score < 1.0 - 1e-9 } else { self.score < ASPIRATIONAL_MISS }
    }
}

/// The traps of a retro, in the goal-quality style: each finding names the list it is about.
pub fn check(retro: &Retro, outcomes: &[Outcome], lang: Lang) -> Vec<Finding> {
    let mut out = vec![];
    let mut push = |target: String, rule: &'static str, message: &str, suggestion: &str| {
        out.push(Finding { target, rule, severity: "warning", message: message.into(), suggestion: suggestion.into() })
    };
    let missed = outcomes.iter().filter(|o| o.missed()).count();
    if missed > 0 && retro.causes.is_empty() {
        let committed = outcomes.iter().any(|o| o.missed() && o.committed);
        push(
            "causes".into(),
            "miss_without_cause",
            &if committed {
                lang.pick(
                    "承诺型关键结果未达成，但没有写原因：请做一次不追责的复盘（发生了什么、为什么）。",
                    "A committed key result was missed and no cause is written: hold a blameless postmortem (what happened, and why).",
                )
                .to_string()
            } else {
                lang.pick(
                    &format!("{missed} 个关键结果明显未达成，但没有写原因。"),
                    &format!("{missed} key result(s) clearly missed, and no cause is written."),
                )
                .to_string()
            },
            lang.pick(
                "为每个未达成的结果写下至少一个原因，并标明类型。",
                "Write at least one typed cause for each miss.",
            ),
        );
    }
    if !retro.causes.is_empty() && retro.causes.iter().all(|c| c.locus == Locus::Objective) {
        push(
            "causes".into(),
            "only_outside_causes",
            lang.pick(
                "所有原因都是客观原因（归罪于外）：我们自己本可以做得不同的地方是什么？",
                "Every cause lies outside the team (blaming the outside): what could we ourselves have done differently?",
            ),
            lang.pick("补充至少一个主观原因：能力、执行、目标设定或我们自己的流程。", "Add at least one cause within your control: capability, execution, target setting or your own process."),
        );
    }
    if !retro.lessons.is_empty() && retro.actions.is_empty() {
        push(
            "actions".into(),
            "lesson_without_action",
            lang.pick(
                "写了经验，但没有后续行动：经验不落到行动上就会被忘记。",
                "Lessons without an action are forgotten: what will be done about them?",
            ),
            lang.pick(
                "为最重要的经验加一个行动（负责人和日期）。",
                "Add an action, with an owner and a date, for the most important lesson.",
            ),
        );
    }
    for (i, a) in retro.actions.iter().enumerate() {
        if a.owner.is_none() || a.due.is_none() {
            push(
                format!("actions[{i}]"),
                "action_without_owner_or_date",
                lang.pick(
                    &format!("行动「{}」缺少{}。", a.text, if a.owner.is_none() { "负责人" } else { "完成日期" }),
                    &format!(
                        "The action “{}” has no {}.",
                        a.text,
                        if a.owner.is_none() { "owner" } else { "due date" }
                    ),
                ),
                lang.pick("每个行动都要有负责人和完成日期。", "Every action needs an owner and a due date."),
            );
        }
    }
    for o in outcomes.iter().filter(|o| !o.committed && o.score < 1.0 - 1e-9) {
        if !retro.carry_over.iter().any(|c| c.key_result == o.key_result) {
            push(
                format!("carry_over.{}", o.key_result),
                "carry_forward",
                lang.pick(
                    "这个挑战型关键结果没有完全达成：要带入下个周期吗？",
                    "This aspirational key result was not fully reached: carry it forward?",
                ),
                lang.pick(
                    "选择继续、调整后继续、放弃或转为 KPI。",
                    "Choose continue, revise, drop or turn into a KPI.",
                ),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> RetroInput {
        RetroInput {
            self_scores: vec![SelfScoreInput { key_result: 1, score: 0.7, note: " 比预期慢 ".into() }],
            worked: vec!["早班提前备料".into()],
            did_not: vec!["晚高峰出杯慢".into()],
            causes: vec![CauseInput {
                text: "一直在等IT部排期".into(),
                kind: "dependency".into(),
                cause: "objective".into(),
            }],
            lessons: vec![LessonInput {
                text: "排班表每周五复核".into(),
                tags: vec!["#排班".into(), "排班".into(), " ".into()],
            }],
            actions: vec![ActionInput {
                text: "复核排班".into(),
                owner: Some(5),
                due: Some("2027-01-05".into()),
                state: "".into(),
            }],
            carry_over: vec![CarryInput { key_result: 1, decision: "continue".into() }],
        }
    }

    #[test]
    fn a_retro_is_checked_and_normalised() {
        let r = Retro::parse(&input(), &[1, 2]).expect("valid");
        assert_eq!(r.self_scores[0].note, "比预期慢");
        assert_eq!(r.lessons[0].tags, vec!["排班".to_string()], "tags trimmed, '#' dropped, once each");
        let mut split = input();
        split.lessons[0].tags = vec!["排班, 高峰".into(), "高峰、#出品".into()];
        let r = Retro::parse(&split, &[1]).expect("valid");
        assert_eq!(r.lessons[0].tags, vec!["排班", "高峰", "出品"], "a tag holding commas is several tags");
        assert_eq!(r.actions[0].due.as_deref(), Some("2027-01-05"));
        assert_eq!(r.actions[0].state, ActionState::Open);
        assert_eq!(r.causes[0].kind, CauseType::Dependency);
        assert!(r.is_written());
    }

    #[test]
    fn bad_fields_are_named() {
        let field = |f: fn(&mut RetroInput)| {
            let mut i = input();
            f(&mut i);
            Retro::parse(&i, &[1, 2]).expect_err("refused").field
        };
        assert_eq!(field(|i| i.self_scores[0].score = 1.5), "self_scores[0].score");
        assert_eq!(field(|i| i.self_scores[0].score = f64::NAN), "self_scores[0].score");
        assert_eq!(field(|i| i.self_scores[0].key_result = 9), "self_scores[0].key_result");
        assert_eq!(field(|i| i.self_scores.push(i.self_scores[0].clone())), "self_scores[1].key_result");
        assert_eq!(field(|i| i.causes[0].kind = "weather".into()), "causes[0].type");
        assert_eq!(field(|i| i.causes[0].cause = "both".into()), "causes[0].cause");
        assert_eq!(field(|i| i.causes[0].text = "  ".into()), "causes[0].text");
        assert_eq!(field(|i| i.worked.push("x".repeat(MAX_TEXT + 1))), "worked[1]");
        assert_eq!(field(|i| i.lessons[0].tags = (0..=MAX_TAGS).map(|n| n.to_string()).collect()), "lessons[0].tags");
        assert_eq!(field(|i| i.lessons[0].tags = vec!["x".repeat(MAX_TAG + 1)]), "lessons[0].tags[0]");
        assert_eq!(field(|i| i.lessons[0].tags = vec!["a\u{7}".into()]), "lessons[0].tags[0]");
        assert_eq!(field(|i| i.actions[0].due = Some("2027-02-30".into())), "actions[0].due");
        assert_eq!(field(|i| i.actions[0].state = "later".into()), "actions[0].state");
        assert_eq!(field(|i| i.carry_over[0].decision = "keep".into()), "carry_over[0].decision");
        assert_eq!(field(|i| i.did_not = vec!["x".into(); MAX_ITEMS + 1]), "did_not");
        assert_eq!(field(|i| i.worked[0] = "a\u{0}b".into()), "worked[0]");
    }

    #[test]
    fn every_code_round_trips() {
        for t in CauseType::ALL {
            assert_eq!(CauseType::parse("t", t.as_str()), Ok(t));
            assert_eq!(serde_json::to_value(t).ok(), Some(serde_json::json!(t.as_str())));
        }
        for d in ["continue", "revise", "drop", "to_kpi"] {
            assert_eq!(CarryOver::parse("d", d).map(CarryOver::as_str), Ok(d));
        }
        for l in ["subjective", "objective"] {
            assert_eq!(Locus::parse("l", l).map(Locus::as_str), Ok(l));
        }
    }

    fn rules(r: &Retro, o: &[Outcome]) -> Vec<&'static str> {
        check(r, o, Lang::Zh).into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn the_traps_are_named() {
        let committed_miss = [Outcome { key_result: 1, score: 0.8, committed: true }];
        let empty = Retro::default();
        assert_eq!(rules(&empty, &committed_miss), vec!["miss_without_cause"]);
        // Aspirational at 0.6 is no miss, but it asks whether to carry it forward.
        let aspirational = [Outcome { key_result: 1, score: 0.6, committed: false }];
        assert_eq!(rules(&empty, &aspirational), vec!["carry_forward"]);
        let low = [Outcome { key_result: 1, score: 0.2, committed: false }];
        assert_eq!(rules(&empty, &low), vec!["miss_without_cause", "carry_forward"]);
        let hit = [Outcome { key_result: 1, score: 1.0, committed: true }];
        assert!(rules(&empty, &hit).is_empty());

        let mut r = Retro::parse(&input(), &[1]).expect("valid");
        assert_eq!(rules(&r, &committed_miss), vec!["only_outside_causes"]);
        r.causes[0].locus = Locus::Subjective;
        assert!(rules(&r, &committed_miss).is_empty());
        r.actions[0].owner = None;
        assert_eq!(rules(&r, &committed_miss), vec!["action_without_owner_or_date"]);
        r.actions.clear();
        assert_eq!(rules(&r, &committed_miss), vec!["lesson_without_action"]);
        assert!(check(&r, &committed_miss, Lang::En)[0].message.starts_with("Lessons"));
    }
}
