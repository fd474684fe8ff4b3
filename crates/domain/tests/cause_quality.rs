//! How well the retro cause classifier does on the held-out fifth of the shipped corpus (it is
//! trained on the other four fifths; the split is by a hash of each sentence, so adding sentences
//! never moves one between the halves). `tandem cause-model` prints the same table.
//! Run with `--nocapture` to see it.

use tandem_domain::classify::{corpus, evaluate};

/// What the classifier reached when it was written (macro-F1 0.75 on 521 held-out sentences of
/// 2,666, 主观/客观 0.85; 34,000 sentences a second on one core, release build), less a margin; a change that falls below it made the model worse. The goal the
/// product set is macro-F1 0.85: not reached by this model (naive Bayes, logistic regression and
/// a linear SVM over words and character n-grams all land at 0.70–0.76 on this corpus).
const FLOOR_MACRO_F1: f64 = 0.72;
const FLOOR_TYPE_F1: f64 = 0.62;
const FLOOR_LOCUS: f64 = 0.80;

#[test]
fn the_classifier_holds_its_measured_quality_on_held_out_sentences() {
    let e = evaluate(&corpus());
    println!("trained on {}, tested on {} held-out sentences", e.trained_on, e.tested_on);
    println!("{:<12} {:>9} {:>7} {:>6} {:>8}", "type", "precision", "recall", "F1", "support");
    for t in &e.per_type {
        println!("{:<12} {:>9.3} {:>7.3} {:>6.3} {:>8}", t.kind.as_str(), t.precision, t.recall, t.f1, t.support);
    }
    println!("macro-F1 {:.3}, subjective/objective accuracy {:.3}", e.macro_f1, e.locus_accuracy);
    assert!(e.tested_on >= 400, "a held-out fifth of the corpus");
    assert!(e.macro_f1 >= FLOOR_MACRO_F1, "macro-F1 {:.3}", e.macro_f1);
    for t in &e.per_type {
        assert!(t.f1 >= FLOOR_TYPE_F1, "{}: F1 {:.3}", t.kind.as_str(), t.f1);
    }
    assert!(e.locus_accuracy >= FLOOR_LOCUS, "subjective/objective {:.3}", e.locus_accuracy);
}
