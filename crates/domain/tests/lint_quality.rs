//! Precision and recall of the goal-quality rules on the labelled set in `data/`.
//! Run with `--nocapture` to see the table and every miss.

use tandem_domain::Lang;
use tandem_domain::lint::{DraftKeyResult, check_key_result, check_objective};

struct Score {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Score {
    fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 { 1.0 } else { self.tp as f64 / (self.tp + self.fp) as f64 }
    }
    fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 { 1.0 } else { self.tp as f64 / (self.tp + self.fn_) as f64 }
    }
}

const RULES: [&str; 3] = ["kr_is_activity", "kr_no_measure", "objective_is_task"];

/// Scores every rule over a labelled file, printing misses and the table.
fn evaluate(name: &str, data: &str) -> (usize, Vec<Score>) {
    let rules = RULES;
    let mut scores: Vec<Score> = rules.iter().map(|_| Score { tp: 0, fp: 0, fn_: 0 }).collect();
    let mut items = 0;
    for line in data.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 4, "bad line: {line}");
        let (kind, lang, labels, text) = (cols[0], cols[1], cols[2], cols[3]);
        let lang = if lang == "zh" { Lang::Zh } else { Lang::En };
        let found: Vec<&str> = if kind == "kr" {
            check_key_result("kr", &DraftKeyResult { title: text.into(), baseline: None, target: None }, lang)
                .into_iter()
                .map(|f| f.rule)
                .collect()
        } else {
            check_objective("o", text, lang).into_iter().map(|f| f.rule).collect()
        };
        let expected: Vec<&str> = labels.split(',').filter(|l| *l != "-").collect();
        for (i, rule) in rules.iter().enumerate() {
            let applies = if kind == "kr" { rule.starts_with("kr_") } else { rule.starts_with("objective_") };
            if !applies {
                continue;
            }
            match (expected.contains(rule), found.contains(rule)) {
                (true, true) => scores[i].tp += 1,
                (false, true) => {
                    scores[i].fp += 1;
                    println!("false positive {rule}: {text}");
                }
                (true, false) => {
                    scores[i].fn_ += 1;
                    println!("missed {rule}: {text}");
                }
                (false, false) => {}
            }
        }
        items += 1;
    }
    println!("{name}: {items} labelled items");
    println!("{:<20} {:>9} {:>7} {:>4} {:>4} {:>4}", "rule", "precision", "recall", "tp", "fp", "fn");
    for (rule, s) in rules.iter().zip(&scores) {
        println!("{rule:<20} {:>9.3} {:>7.3} {:>4} {:>4} {:>4}", s.precision(), s.recall(), s.tp, s.fp, s.fn_);
    }
    (items, scores)
}

#[test]
fn rules_are_precise_and_complete_on_the_labelled_set() {
    let (items, scores) = evaluate("development set", include_str!("../data/lint_labelled.tsv"));
    assert!(items >= 150);
    for (rule, s) in RULES.iter().zip(&scores) {
        assert!(
            s.precision() >= 0.9 && s.recall() >= 0.9,
            "{rule}: precision {:.3}, recall {:.3}",
            s.precision(),
            s.recall()
        );
    }
}

/// The held-out set was not used to tune the rules; it may show misses, but not many.
#[test]
fn rules_hold_up_on_held_out_text() {
    let (items, scores) = evaluate("held-out set", include_str!("../data/lint_heldout.tsv"));
    assert!(items >= 40);
    for (rule, s) in RULES.iter().zip(&scores) {
        assert!(
            s.precision() >= 0.8 && s.recall() >= 0.8,
            "{rule}: precision {:.3}, recall {:.3}",
            s.precision(),
            s.recall()
        );
    }
}
