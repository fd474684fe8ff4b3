//! Goal-quality checks: the traps the seed articles warn about, caught while a goal is drafted.
//!
//! Rules (names are part of the public contract): `kr_is_activity`, `kr_no_measure`,
//! `objective_is_task`, `too_many_objectives`, `kr_count`, `target_equals_baseline`. Each
//! finding says why, in Chinese or English, and suggests a rewrite pattern.
//!
//! The checks are word lists and a few shapes, not a model: an activity verb with no outcome
//! in sight ("举办3场峰会", "Host 5 webinars"); no number, ratio or acceptance condition
//! ("提升满意度"); an objective that starts like a to-do or is made of numbers. Their precision
//! and recall are measured on the labelled set in `data/lint_labelled.tsv`.

use crate::Lang;
use crate::focus::{self, FocusWarning};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Draft {
    #[serde(default)]
    pub objectives: Vec<DraftObjective>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct DraftObjective {
    pub title: String,
    #[serde(default)]
    pub kind: Option<String>,
    /// Who carries it; objectives are grouped by owner for the focus limit.
    #[serde(default)]
    pub owner: Option<serde_json::Value>,
    #[serde(default)]
    pub key_results: Vec<DraftKeyResult>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct DraftKeyResult {
    pub title: String,
    #[serde(default)]
    pub baseline: Option<f64>,
    #[serde(default)]
    pub target: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub target: String,
    pub rule: &'static str,
    pub severity: &'static str,
    pub message: String,
    pub suggestion: String,
}

// ----- the shapes of text -----

const ZH_NUMERALS: &str = "零一二两三四五六七八九十百千万";
const ZH_UNITS: &str = "场次篇个份款家位条期年月周天小时分钟%倍成项套名人次元件台";

fn has_digit(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c))
}

/// Digits, a percent sign, or a Chinese numeral with a measure word ("三场", "千分之五").
fn has_number(s: &str) -> bool {
    if has_digit(s) || s.contains('%') || s.contains('％') || s.contains('‰') {
        return true;
    }
    if ["百分之", "千分之", "万分之", "一倍", "翻番", "翻一番"].iter().any(|p| s.contains(p)) {
        return true;
    }
    // "每一家", "每一个" mean "every", not a count.
    let chars: Vec<char> = s.chars().collect();
    chars.windows(3).any(|w| w[0] != '每' && ZH_NUMERALS.contains(w[1]) && w[1] != '零' && ZH_UNITS.contains(w[2]))
        || chars.len() >= 2 && ZH_NUMERALS.contains(chars[0]) && chars[0] != '零' && ZH_UNITS.contains(chars[1])
}

fn lower_words(s: &str) -> Vec<String> {
    s.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\''))
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

fn has_word(words: &[String], list: &[&str]) -> bool {
    words.iter().any(|w| list.contains(&w.as_str()))
}

const ZH_ACCEPTANCE: &[&str] = &[
    "上线",
    "投产",
    "通过",
    "获得",
    "认证",
    "验收",
    "全部",
    "所有",
    "全员",
    "零事故",
    "零投诉",
    "零缺陷",
    "零重大",
    "零差错",
    "零客诉",
];
const EN_ACCEPTANCE: &[&str] = &[
    "zero",
    "pass",
    "passes",
    "passed",
    "launch",
    "launched",
    "live",
    "certified",
    "certification",
    "approved",
    "all",
    "every",
    "double",
    "triple",
    "halve",
];

/// A number, a ratio, or a condition one can check at the end of the cycle.
fn has_measure(s: &str) -> bool {
    has_number(s) || ZH_ACCEPTANCE.iter().any(|w| s.contains(w)) || has_word(&lower_words(s), EN_ACCEPTANCE)
}

/// Verbs that describe doing things rather than what the doing achieves.
const ZH_ACTIVITY: &[&str] = &[
    "举办",
    "举行",
    "召开",
    "组织",
    "开展",
    "拜访",
    "走访",
    "参加",
    "撰写",
    "编写",
    "发送",
    "推送",
    "拨打",
    "打电话",
    "策划",
    "录制",
    "投放",
    "访谈",
    "巡店",
    "巡检",
    "辅导",
    "演练",
    "开会",
    "上门",
];
/// Verbs that are activities when they count something ("完成3份报告", "发布8条视频").
const ZH_COUNTED_ACTIVITY: &[&str] = &["完成", "发布", "发表", "培训", "提交", "做", "进行", "制作", "安排"];
const ZH_COUNT_UNITS: &str = "场次篇期份条个家位套轮趟回";

const EN_ACTIVITY: &[&str] = &[
    "host",
    "hold",
    "organize",
    "organise",
    "conduct",
    "attend",
    "visit",
    "call",
    "write",
    "publish",
    "post",
    "send",
    "schedule",
    "arrange",
    "interview",
    "meet",
    "train",
];
/// Generic verbs that are activities only with an activity noun ("run 4 workshops").
const EN_GENERIC_ACTIVITY: &[&str] =
    &["run", "make", "do", "give", "deliver", "present", "record", "complete", "finish", "create"];
const EN_ACTIVITY_NOUNS: &[&str] = &[
    "webinar",
    "webinars",
    "event",
    "events",
    "meeting",
    "meetings",
    "article",
    "articles",
    "post",
    "posts",
    "blog",
    "blogs",
    "call",
    "calls",
    "visit",
    "visits",
    "workshop",
    "workshops",
    "training",
    "trainings",
    "session",
    "sessions",
    "campaign",
    "campaigns",
    "email",
    "emails",
    "newsletter",
    "newsletters",
    "talk",
    "talks",
    "presentation",
    "presentations",
    "interview",
    "interviews",
    "conference",
    "conferences",
    "summit",
    "summits",
    "demo",
    "demos",
    "report",
    "reports",
    "video",
    "videos",
    "offsite",
    "offsites",
    "show",
    "shows",
    "1:1",
    "customers",
    "accounts",
];

/// Words that name an outcome: a rate, a money amount, a time, a satisfaction, a share.
const ZH_OUTCOME: &[&str] = &[
    "率",
    "度",
    "%",
    "％",
    "份额",
    "占比",
    "成本",
    "收入",
    "营收",
    "销售额",
    "营业额",
    "利润",
    "毛利",
    "销量",
    "时间",
    "时长",
    "周期",
    "天数",
    "转化",
    "留存",
    "复购",
    "投诉",
    "客诉",
    "缺货",
    "故障",
    "事故",
    "NPS",
    "评分",
    "好评",
    "得分",
    "用户数",
    "粉丝",
    "客单价",
    "单价",
    "能耗",
    "电耗",
    "用电",
    "合格",
    "准时",
    "可用性",
    "效率",
    "周转",
    "流失",
    "提升至",
    "提升到",
    "提高到",
    "提高至",
    "降至",
    "降低至",
    "缩短至",
    "缩短到",
    "增长至",
    "增长到",
];
const EN_OUTCOME: &[&str] = &[
    "rate",
    "revenue",
    "sales",
    "profit",
    "margin",
    "cost",
    "costs",
    "retention",
    "churn",
    "conversion",
    "nps",
    "csat",
    "satisfaction",
    "uptime",
    "availability",
    "latency",
    "share",
    "awareness",
    "engagement",
    "users",
    "time",
    "p95",
    "p99",
    "complaints",
    "incidents",
    "score",
    "%",
];

fn zh_counted(s: &str, verb: &str) -> bool {
    // The verb followed, within a few characters, by a number and a count unit.
    let Some(pos) = s.find(verb) else { return false };
    let rest: Vec<char> = s[pos + verb.len()..].chars().take(8).collect();
    rest.windows(2).any(|w| (w[0].is_ascii_digit() || ZH_NUMERALS.contains(w[0])) && ZH_COUNT_UNITS.contains(w[1]))
}

fn is_activity(s: &str) -> bool {
    let words = lower_words(s);
    let zh_outcome = ZH_OUTCOME.iter().any(|w| s.contains(w)) && !outcome_marker_is_part_of_activity(s);
    let en_outcome = has_word(&words, EN_OUTCOME) || s.contains('%');
    if zh_outcome || en_outcome {
        return false;
    }
    let zh = ZH_ACTIVITY.iter().any(|v| s.contains(v)) || ZH_COUNTED_ACTIVITY.iter().any(|v| zh_counted(s, v));
    let first = words.first().map(String::as_str).unwrap_or("");
    let en = (EN_ACTIVITY.contains(&first)
        && (has_word(&words, EN_ACTIVITY_NOUNS) || has_digit(s) || words.len() <= 6))
        || (EN_GENERIC_ACTIVITY.contains(&first) && has_word(&words, EN_ACTIVITY_NOUNS));
    zh || en
}

/// "分析会", "时间表" and the like contain outcome characters without naming an outcome.
fn outcome_marker_is_part_of_activity(s: &str) -> bool {
    let stripped = ["分析", "时间表", "度假", "制度", "年度", "季度", "月度", "进度"]
        .iter()
        .fold(s.to_string(), |acc, w| acc.replace(w, ""));
    !ZH_OUTCOME.iter().any(|w| stripped.contains(w))
}

const ZH_TASK_START: &[&str] = &[
    "完成", "提交", "撰写", "编写", "编制", "召开", "举办", "组织", "开展", "整理", "制定", "落实", "执行", "做好",
    "处理", "参加", "安排", "准备",
];
const EN_TASK_START: &[&str] = &[
    "complete",
    "finish",
    "submit",
    "write",
    "hold",
    "host",
    "organize",
    "organise",
    "prepare",
    "migrate",
    "update",
    "fix",
    "implement",
    "do",
    "attend",
    "conduct",
    "file",
    "deliver",
    "send",
    "finalize",
    "draft",
    "reach",
    "hit",
    "achieve",
];

/// Removes years and quarters ("2026年", "2026", "Q3"), which name a time rather than a target.
fn without_dates(s: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let four_digits = i + 4 <= chars.len()
            && chars[i..i + 4].iter().all(|c| c.is_ascii_digit())
            && (chars[i] == '1' || chars[i] == '2');
        if four_digits && (i + 4 == chars.len() || !chars[i + 4].is_ascii_digit()) {
            i += 4;
            if i < chars.len() && chars[i] == '年' {
                i += 1;
            }
            continue;
        }
        if (chars[i] == 'Q' || chars[i] == 'q') && i + 1 < chars.len() && ('1'..='4').contains(&chars[i + 1]) {
            i += 2;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn objective_is_task(s: &str) -> bool {
    let t = s.trim();
    let words = lower_words(t);
    let first = words.first().map(String::as_str).unwrap_or("");
    ZH_TASK_START.iter().any(|v| t.starts_with(v))
        || ["工作任务", "各项任务", "各项工作", "日常工作"].iter().any(|w| t.contains(w))
        || EN_TASK_START.contains(&first)
        || has_number(&without_dates(t))
}

// ----- findings -----

fn finding(target: String, rule: &'static str, lang: Lang, msg: (&str, &str), sug: (&str, &str)) -> Finding {
    Finding {
        target,
        rule,
        severity: "warning",
        message: lang.pick(msg.0, msg.1).into(),
        suggestion: lang.pick(sug.0, sug.1).into(),
    }
}

/// Checks one key result's wording.
pub fn check_key_result(target: &str, kr: &DraftKeyResult, lang: Lang) -> Vec<Finding> {
    let mut out = vec![];
    let t = kr.title.trim();
    if is_activity(t) {
        out.push(finding(
            target.into(),
            "kr_is_activity",
            lang,
            ("这个关键结果数的是做了多少事（活动或投入），而不是带来了什么结果。", "This key result counts an activity or input, not the outcome it should bring."),
            (
                "写出活动要带来的结果：例如把“拜访客户30次”改为“拜访后意向客户转化率提升至X%”，把“举办3场峰会”改为“目标客户品牌认知度从A%提升至B%”。",
                "Name the result the activity should bring: e.g. turn “Visit 30 customers” into “Raise the post-visit conversion of prospects to X%”, and “Host 5 webinars” into “Grow qualified leads from A to B”.",
            ),
        ));
    }
    if !has_measure(t) && kr.target.is_none() {
        out.push(finding(
            target.into(),
            "kr_no_measure",
            lang,
            ("没有数字、比例或可验证的完成条件，周期结束时无法判断是否达成。", "No number, ratio or verifiable condition: at the end of the cycle nobody can tell whether it was reached."),
            (
                "写成“指标从基线值提升（或降低）至目标值”，例如把“提升顾客满意度”改为“顾客满意度从80%提升至90%”。",
                "Write it as “metric from baseline to target”, e.g. turn “Improve customer satisfaction” into “Raise CSAT from 80% to 90%”.",
            ),
        ));
    }
    if let (Some(b), Some(tg)) = (kr.baseline, kr.target)
        && b == tg
    {
        out.push(finding(
                target.into(),
                "target_equals_baseline",
                lang,
                ("目标值等于基线值：不需要任何进步就算完成。", "The target equals the baseline: it is reached without any progress."),
                (
                    "设一个需要努力才能达到的目标值（有五到七成把握）；若只是守住现状，请用“保持在…以上/以下”的方式。",
                    "Set a target that takes effort (50–70% confidence); to hold a level, use a stay-above / stay-below key result.",
                ),
            ));
    }
    out
}

/// Checks one objective's wording.
pub fn check_objective(target: &str, title: &str, lang: Lang) -> Vec<Finding> {
    if !objective_is_task(title) {
        return vec![];
    }
    vec![finding(
        target.into(),
        "objective_is_task",
        lang,
        (
            "这个目标读起来像一项任务或一组数字，而不是一个方向。",
            "This objective reads as a task or a set of numbers rather than a direction.",
        ),
        (
            "目标写方向和意义，例如“成为华东顾客首选的茶饮品牌”；把任务拆成行动，把数字放进关键结果。",
            "State the direction and why it matters, e.g. “Become the first choice for tea drinkers in East China”; move tasks to plans and numbers to key results.",
        ),
    )]
}

/// Every finding for a draft.
pub fn lint(draft: &Draft, lang: Lang) -> Vec<Finding> {
    let mut out = vec![];
    let mut per_owner: Vec<(Option<&serde_json::Value>, usize)> = vec![];
    for (i, o) in draft.objectives.iter().enumerate() {
        let target = format!("objectives[{i}]");
        out.extend(check_objective(&target, &o.title, lang));
        if let Some(w) = focus::krs_per_objective(o.key_results.len()) {
            out.push(Finding {
                target: target.clone(),
                rule: w.rule(),
                severity: "warning",
                message: w.message(lang),
                suggestion: lang
                    .pick(
                        "保留最能说明目标达成的 2–4 个关键结果。",
                        "Keep the 2–4 key results that best show the objective is reached.",
                    )
                    .into(),
            });
        }
        for (j, kr) in o.key_results.iter().enumerate() {
            out.extend(check_key_result(&format!("{target}.key_results[{j}]"), kr, lang));
        }
        match per_owner.iter_mut().find(|(w, _)| *w == o.owner.as_ref()) {
            Some((_, n)) => *n += 1,
            None => per_owner.push((o.owner.as_ref(), 1)),
        }
    }
    for (_, n) in per_owner {
        if let Some(w @ FocusWarning::TooManyObjectives { .. }) = focus::objectives_per_owner(n) {
            out.push(Finding {
                target: "objectives".into(),
                rule: w.rule(),
                severity: "warning",
                message: w.message(lang),
                suggestion: lang
                    .pick(
                        "只留下最重要的 3–5 个目标，其余放进下个周期或日常工作。",
                        "Keep the 3–5 that matter most; move the rest to a later cycle or to daily work.",
                    )
                    .into(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kr(t: &str) -> DraftKeyResult {
        DraftKeyResult { title: t.into(), baseline: None, target: None }
    }

    fn rules(t: &str) -> Vec<&'static str> {
        check_key_result("kr", &kr(t), Lang::Zh).into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn the_contract_examples() {
        assert_eq!(rules("拜访客户30次"), vec!["kr_is_activity"]);
        assert!(rules("品牌认知度从20%提升至35%").is_empty());
        assert!(rules("季度销售额达到500万元").is_empty());
        assert!(rules("Keep uptime at or above 99.9%").is_empty());
        assert_eq!(rules("举办3场行业峰会"), vec!["kr_is_activity"]);
        assert_eq!(rules("Host 5 webinars"), vec!["kr_is_activity"]);
        assert_eq!(rules("提升满意度"), vec!["kr_no_measure"]);
    }

    #[test]
    fn whole_draft() {
        let d = Draft {
            objectives: vec![DraftObjective {
                title: "完成本季度工作任务".into(),
                key_results: vec![DraftKeyResult {
                    title: "门店复购率从30%提升至40%".into(),
                    baseline: Some(30.0),
                    target: Some(30.0),
                }],
                ..Default::default()
            }],
        };
        let got: Vec<(String, &str)> = lint(&d, Lang::En).into_iter().map(|f| (f.target, f.rule)).collect();
        assert_eq!(
            got,
            vec![
                ("objectives[0]".to_string(), "objective_is_task"),
                ("objectives[0]".to_string(), "kr_count"),
                ("objectives[0].key_results[0]".to_string(), "target_equals_baseline"),
            ]
        );
        let six =
            Draft { objectives: vec![DraftObjective { title: "让顾客满意".into(), ..Default::default() }; 6] };
        assert!(lint(&six, Lang::Zh).iter().any(|f| f.rule == "too_many_objectives" && f.target == "objectives"));
    }

    #[test]
    fn dates_are_not_targets() {
        assert_eq!(without_dates("2026年成为华南第一"), "成为华南第一");
        assert!(!objective_is_task("2026年成为华南地区最受欢迎的茶饮品牌"));
        assert!(objective_is_task("客户满意度达到90%"));
    }
}
