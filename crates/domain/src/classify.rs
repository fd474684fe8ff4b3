//! Which of the eight cause types a retro's cause sentence names, and whether it lay within the
//! team's control (主观) or outside it (客观): offline and explainable, in Chinese and English.
//!
//! A multinomial naive Bayes over the sentence's terms (Han characters and pairs, words; see
//! [`crate::relevance::terms`]) and a small lexicon of cue words per type, trained on the labelled
//! corpus in `data/retro_causes*.tsv`. Sentences are read clause by clause: a clause that denies
//! a cause ("不是预算的问题", "it wasn't the market") counts for little, a clause that names the
//! main one ("主要是", "mainly", "the real problem") for more. The answer names the words that
//! decided it, so a person can see why and correct it.

use crate::relevance::terms;
use crate::retro::{CauseType, Locus};
use std::collections::HashMap;

/// The labelled corpus, shipped with the code.
const CORPUS: [&str; 3] = [
    include_str!("../data/retro_causes.tsv"),
    include_str!("../data/retro_causes_more_a.tsv"),
    include_str!("../data/retro_causes_more_b.tsv"),
];

/// Laplace smoothing of term counts.
const ALPHA: f64 = 0.5;
/// How much one lexicon cue counts, against one term.
const LEXICON_WEIGHT: f64 = 2.0;
/// Scales a score difference per unit of evidence into a probability.
const CONFIDENCE_SCALE: f64 = 8.0;
/// How much a clause that denies a cause, and one that names the main cause, count.
const DENIED: f64 = 0.2;
const STRESSED: f64 = 2.0;

/// Cue words per type: prior knowledge the model weighs like any other evidence.
const LEXICON: [(CauseType, &[&str]); 8] = [
    (
        CauseType::Resources,
        &[
            "预算",
            "经费",
            "人手",
            "人力",
            "缺人",
            "招不到",
            "编制",
            "人不够",
            "不够用",
            "资源",
            "设备",
            "机器",
            "场地",
            "库存",
            "时间不够",
            "工期",
            "砍",
            "削减",
            "冻结",
            "配额",
            "产能",
            "budget",
            "headcount",
            "understaffed",
            "short-staffed",
            "funding",
            "cut",
            "frozen",
            "capacity",
            "equipment",
            "machine",
            "shortage",
            "not enough",
            "quota",
            "hiring freeze",
            "bandwidth",
            "cash",
        ],
    ),
    (
        CauseType::Process,
        &[
            "流程",
            "审批",
            "签字",
            "环节",
            "交接",
            "标准",
            "规范",
            "制度",
            "职责",
            "权责",
            "分工",
            "手续",
            "层层",
            "机制",
            "sop",
            "模板",
            "process",
            "approval",
            "sign-off",
            "handoff",
            "hand-off",
            "handover",
            "workflow",
            "procedure",
            "standard",
            "bureaucra",
            "red tape",
            "ownership",
            "responsibilit",
            "checklist",
            "escalation",
        ],
    ),
    (
        CauseType::Capability,
        &[
            "能力",
            "经验",
            "技能",
            "不会",
            "不懂",
            "培训",
            "新人",
            "新手",
            "生疏",
            "水平",
            "专业",
            "短板",
            "熟练",
            "没做过",
            "skill",
            "experience",
            "inexperienced",
            "training",
            "untrained",
            "know-how",
            "knowledge",
            "junior",
            "new hire",
            "competenc",
            "expertise",
            "never done",
            "capabilit",
            "know how",
        ],
    ),
    (
        CauseType::Dependency,
        &[
            "等",
            "排期",
            "依赖",
            "配合",
            "对接",
            "供应商",
            "物流",
            "外包",
            "代理",
            "合作方",
            "总部",
            "部门",
            "第三方",
            "平台方",
            "厂商",
            "到货",
            "卡在",
            "waiting",
            "wait",
            "depend",
            "supplier",
            "vendor",
            "agency",
            "partner",
            "another team",
            "other team",
            "legal",
            "procurement",
            "third-party",
            "third party",
            "delivery",
            "blocked",
            "integration",
            "headquarters",
            "contractor",
            "logistics",
        ],
    ),
    (
        CauseType::Market,
        &[
            "市场",
            "竞争",
            "对手",
            "竞品",
            "价格战",
            "降价",
            "政策",
            "监管",
            "法规",
            "天气",
            "疫情",
            "季节",
            "淡季",
            "旺季",
            "需求",
            "消费",
            "经济",
            "行业",
            "客流",
            "台风",
            "暴雨",
            "高温",
            "汇率",
            "涨价",
            "平台规则",
            "market",
            "competitor",
            "competition",
            "price war",
            "regulation",
            "regulatory",
            "weather",
            "season",
            "demand",
            "economy",
            "economic",
            "recession",
            "industry",
            "consumer",
            "foot traffic",
            "storm",
            "tariff",
            "inflation",
        ],
    ),
    (
        CauseType::Target,
        &[
            "目标",
            "指标",
            "基线",
            "太高",
            "太低",
            "拍脑袋",
            "不合理",
            "太多",
            "过多",
            "加码",
            "基数",
            "target",
            "goal",
            "baseline",
            "too ambitious",
            "unrealistic",
            "too high",
            "too low",
            "metric",
            "kpi",
            "okr",
            "too many",
            "sandbag",
            "stretch",
            "benchmark",
        ],
    ),
    (
        CauseType::Execution,
        &[
            "执行",
            "落实",
            "跟进",
            "拖延",
            "拖",
            "没做",
            "忘了",
            "松懈",
            "优先级",
            "临时",
            "换人",
            "懈怠",
            "推进",
            "落地",
            "节奏",
            "没坚持",
            "搁置",
            "execution",
            "follow up",
            "follow-up",
            "followed up",
            "procrastinat",
            "priorit",
            "slipped",
            "never started",
            "forgot",
            "lost focus",
            "didn't stick",
            "momentum",
            "discipline",
            "dropped the ball",
            "put off",
            "neglect",
        ],
    ),
    (
        CauseType::Data,
        &[
            "数据",
            "报表",
            "统计",
            "口径",
            "埋点",
            "记录",
            "不一致",
            "对不上",
            "缺失",
            "不准",
            "台账",
            "核对",
            "data",
            "report",
            "dashboard",
            "tracking",
            "numbers",
            "figures",
            "inconsistent",
            "missing",
            "inaccurate",
            "unreliable",
            "definition",
            "spreadsheet",
            "records",
            "analytics",
        ],
    ),
];

/// Words that deny what their clause names, and words that stress it as the main cause.
const DENIALS: [&str; 17] = [
    "不是",
    "并非",
    "不在于",
    "倒不是",
    "谈不上",
    "而不是",
    "与其说",
    "wasn't",
    "isn't",
    "not the",
    "not because",
    "rather than",
    "not a ",
    "not our",
    "nothing to do",
    "no shortage",
    "not really",
];
const STRESS: [&str; 15] = [
    "主要",
    "根本",
    "关键是",
    "说到底",
    "归根",
    "其实是",
    "真正",
    "mainly",
    "root cause",
    "above all",
    "really",
    "main reason",
    "the real",
    "actually",
    "primarily",
];

/// One labelled sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    pub text: String,
    pub kind: CauseType,
    pub locus: Locus,
}

/// The corpus, every line checked (a bad line is a bug in the shipped data: it panics in tests).
pub fn corpus() -> Vec<Labelled> {
    CORPUS
        .iter()
        .flat_map(|f| f.lines().skip(1))
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let mut it = l.split('\t');
            let (_lang, kind, locus, text) = (it.next()?, it.next()?, it.next()?, it.next()?);
            Some(Labelled {
                text: text.to_string(),
                kind: CauseType::parse("type", kind).ok()?,
                locus: Locus::parse("cause", locus).ok()?,
            })
        })
        .collect()
}

/// Whether a sentence belongs to the held-out fifth (by a hash of its text, so the split never
/// moves when sentences are added).
pub fn held_out(text: &str) -> bool {
    // FNV-1a, 64 bits.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h.is_multiple_of(5)
}

/// A sentence's clauses: split at punctuation and at "but" / "而是" / "但".
fn clauses(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut out = vec![];
    let mut cur = String::new();
    for c in lower.chars() {
        if "，,；;。.!！?？:：—–()（）".contains(c) {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out.into_iter()
        .flat_map(|c| {
            let mut parts = vec![c];
            for sep in [" but ", "但是", "而是", "不过", "可是"] {
                parts = parts.into_iter().flat_map(|p| p.split(sep).map(String::from).collect::<Vec<_>>()).collect();
            }
            parts
        })
        .filter(|c| !c.trim().is_empty())
        .collect()
}

/// A sentence's features with their weights: terms and lexicon cues, clause by clause.
fn features(text: &str) -> HashMap<String, f64> {
    let mut f: HashMap<String, f64> = HashMap::new();
    for clause in clauses(text) {
        let mut w = 1.0;
        if DENIALS.iter().any(|d| clause.contains(d)) {
            w = DENIED;
        }
        if STRESS.iter().any(|s| clause.contains(s)) {
            w = STRESSED;
        }
        for t in terms(&clause) {
            *f.entry(t).or_default() += w;
        }
        for (kind, cues) in &LEXICON {
            let hits = cues.iter().filter(|c| clause.contains(*c)).count();
            if hits > 0 {
                *f.entry(format!("lex:{}", kind.as_str())).or_default() += w * LEXICON_WEIGHT * hits as f64;
            }
        }
    }
    f
}

/// A multinomial naive Bayes over weighted features.
#[derive(Debug, Clone)]
struct Bayes {
    /// Log prior per class.
    prior: Vec<f64>,
    /// Log likelihood per feature and class.
    likelihood: HashMap<String, Vec<f64>>,
}

impl Bayes {
    fn train(samples: &[(HashMap<String, f64>, usize)], classes: usize) -> Bayes {
        let mut docs = vec![0.0; classes];
        let mut counts: HashMap<String, Vec<f64>> = HashMap::new();
        let mut totals = vec![0.0; classes];
        for (f, c) in samples {
            docs[*c] += 1.0;
            for (t, w) in f {
                counts.entry(t.clone()).or_insert_with(|| vec![0.0; classes])[*c] += w;
                totals[*c] += w;
            }
        }
        let n: f64 = docs.iter().sum::<f64>().max(1.0);
        let vocabulary = counts.len() as f64;
        let likelihood = counts
            .into_iter()
            .map(|(t, cs)| {
                let ls =
                    cs.iter().zip(&totals).map(|(c, tot)| ((c + ALPHA) / (tot + ALPHA * vocabulary)).ln()).collect();
                (t, ls)
            })
            .collect();
        Bayes { prior: docs.iter().map(|d| ((d + 1.0) / (n + classes as f64)).ln()).collect(), likelihood }
    }

    /// Each class's log score.
    fn scores(&self, f: &HashMap<String, f64>) -> Vec<f64> {
        let mut s = self.prior.clone();
        for (t, w) in f {
            if let Some(ls) = self.likelihood.get(t) {
                for (x, l) in s.iter_mut().zip(ls) {
                    *x += w * l;
                }
            }
        }
        s
    }
}

/// What the classifier answers for one sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub kind: CauseType,
    pub locus: Locus,
    /// The model's probability of `kind`, in [0, 1].
    pub confidence: f64,
    /// The words that decided it, most telling first.
    pub because: Vec<String>,
}

/// A trained classifier.
#[derive(Debug, Clone)]
pub struct Classifier {
    kinds: Bayes,
    loci: Bayes,
}

const LOCI: [Locus; 2] = [Locus::Subjective, Locus::Objective];

impl Classifier {
    pub fn train(samples: &[Labelled]) -> Classifier {
        let with = |c: &Labelled| features(&c.text);
        let kinds: Vec<_> = samples.iter().map(|s| (with(s), s.kind as usize)).collect();
        let loci: Vec<_> = samples
            .iter()
            .map(|s| {
                let mut f = with(s);
                // The type says much about control (a market cause is rarely ours).
                f.insert(format!("type:{}", s.kind.as_str()), LEXICON_WEIGHT);
                (f, LOCI.iter().position(|l| *l == s.locus).unwrap_or(0))
            })
            .collect();
        Classifier { kinds: Bayes::train(&kinds, CauseType::ALL.len()), loci: Bayes::train(&loci, LOCI.len()) }
    }

    /// The classifier trained on the whole shipped corpus, built once.
    pub fn shipped() -> &'static Classifier {
        static MODEL: std::sync::OnceLock<Classifier> = std::sync::OnceLock::new();
        MODEL.get_or_init(|| Classifier::train(&corpus()))
    }

    pub fn classify(&self, text: &str) -> Verdict {
        let f = features(text);
        let scores = self.kinds.scores(&f);
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]));
        let (best, second) = (order[0], order.get(1).copied().unwrap_or(order[0]));
        // Naive Bayes is sure of everything: its scores, per unit of evidence and scaled (to match
        // its accuracy on a validation split), give a confidence worth reading.
        let evidence: f64 = f.iter().filter(|(t, _)| self.kinds.likelihood.contains_key(*t)).map(|(_, w)| w).sum();
        let top = scores[best];
        let total: f64 = scores.iter().map(|s| (CONFIDENCE_SCALE * (s - top) / evidence.max(1.0)).exp()).sum();
        let kind = CauseType::ALL[best];
        let mut lf = f.clone();
        lf.insert(format!("type:{}", kind.as_str()), LEXICON_WEIGHT);
        let ls = self.loci.scores(&lf);
        let locus = if ls[0] >= ls[1] { LOCI[0] } else { LOCI[1] };
        Verdict { kind, locus, confidence: 1.0 / total, because: self.because(text, &f, best, second) }
    }

    /// The words that decided it: the type's cue words found in the text, then the terms that
    /// most favour `best` over `second` — pairs and words before single characters, none
    /// overlapping one already shown, no English function words.
    fn because(&self, text: &str, f: &HashMap<String, f64>, best: usize, second: usize) -> Vec<String> {
        let lower = text.to_lowercase();
        let mut out: Vec<String> =
            LEXICON[best].1.iter().filter(|c| lower.contains(*c)).map(|c| c.to_string()).collect();
        out.truncate(2);
        let mut telling: Vec<(f64, &String)> = f
            .iter()
            .filter(|(t, _)| !t.starts_with("lex:") && !STOP.contains(&t.as_str()))
            .filter_map(|(t, w)| {
                let ls = self.kinds.likelihood.get(t)?;
                let lift = w * (ls[best] - ls[second]);
                (lift > 0.0).then_some((lift + if t.chars().count() > 1 { 0.5 } else { 0.0 }, t))
            })
            .collect();
        telling.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        for (_, t) in telling {
            if out.len() >= 3 {
                break;
            }
            let han = t.chars().all(|c| !c.is_ascii());
            let overlaps = out
                .iter()
                .any(|o| o.contains(t.as_str()) || t.contains(o.as_str()) || (han && t.chars().any(|c| o.contains(c))));
            if !overlaps {
                out.push(t.clone());
            }
        }
        out
    }
}

/// English words too common to explain anything.
const STOP: [&str; 24] = [
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "we", "our", "was", "were", "is", "it", "that",
    "with", "by", "at", "so", "but", "this", "they",
];

/// Precision, recall and F1 of one type on a held-out set.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeScore {
    pub kind: CauseType,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub trained_on: usize,
    pub tested_on: usize,
    pub per_type: Vec<TypeScore>,
    pub macro_f1: f64,
    pub locus_accuracy: f64,
}

/// Trains on the corpus outside the held-out fifth and scores the held-out fifth.
pub fn evaluate(all: &[Labelled]) -> Evaluation {
    let (test, train): (Vec<Labelled>, Vec<Labelled>) = all.iter().cloned().partition(|l| held_out(&l.text));
    let model = Classifier::train(&train);
    let verdicts: Vec<Verdict> = test.iter().map(|l| model.classify(&l.text)).collect();
    let per_type: Vec<TypeScore> = CauseType::ALL
        .iter()
        .map(|&k| {
            let tp = test.iter().zip(&verdicts).filter(|(l, v)| l.kind == k && v.kind == k).count() as f64;
            let predicted = verdicts.iter().filter(|v| v.kind == k).count() as f64;
            let support = test.iter().filter(|l| l.kind == k).count();
            let precision = if predicted > 0.0 { tp / predicted } else { 0.0 };
            let recall = if support > 0 { tp / support as f64 } else { 0.0 };
            let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
            TypeScore { kind: k, precision, recall, f1, support }
        })
        .collect();
    let macro_f1 = per_type.iter().map(|t| t.f1).sum::<f64>() / per_type.len() as f64;
    let right = test.iter().zip(&verdicts).filter(|(l, v)| l.locus == v.locus).count();
    Evaluation {
        trained_on: train.len(),
        tested_on: test.len(),
        per_type,
        macro_f1,
        locus_accuracy: right as f64 / test.len().max(1) as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_corpus_is_whole() {
        let raw: usize = CORPUS.iter().map(|f| f.lines().skip(1).filter(|l| !l.trim().is_empty()).count()).sum();
        let parsed = corpus();
        assert_eq!(parsed.len(), raw, "every line of the corpus parses");
        for k in CauseType::ALL {
            assert!(parsed.iter().filter(|l| l.kind == k).count() >= 80, "{k:?} has too few sentences");
        }
        let mut texts: Vec<&str> = parsed.iter().map(|l| l.text.as_str()).collect();
        texts.sort_unstable();
        let n = texts.len();
        texts.dedup();
        assert_eq!(texts.len(), n, "no sentence twice");
    }

    #[test]
    fn clauses_that_deny_count_for_little() {
        let f = features("不是预算的问题，主要是我们没人会做短视频");
        assert!(f.get("预算").copied().unwrap_or(0.0) < 0.5);
        assert!(f.get("短视").copied().unwrap_or(0.0) >= 2.0);
    }

    #[test]
    fn the_answer_names_its_words() {
        let v = Classifier::shipped().classify("一直在等供应商交货，新品上不了架");
        assert_eq!(v.kind, CauseType::Dependency);
        assert_eq!(v.locus, Locus::Objective);
        assert!(
            !v.because.is_empty() && v.because.iter().all(|w| "一直在等供应商交货，新品上不了架".contains(w.as_str()))
        );
        assert!((0.0..=1.0).contains(&v.confidence));
    }
}
