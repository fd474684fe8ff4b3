//! Ranked text search for prose (lessons, retros): Okapi BM25 over terms that work for Chinese and
//! English alike without a dictionary — each run of Han characters gives its single characters and
//! its adjacent pairs (most Chinese words are one or two characters), each run of letters or
//! digits gives one lowercased word (with a plural `s` dropped). An inverted index answers a
//! query by walking only the postings of its own terms; a query of two or more Han characters
//! asks by its pairs alone (a single character such as 店 is in most documents and would walk
//! most postings for almost no ranking), a lone character by itself.

use std::collections::HashMap;

/// BM25's term-frequency saturation and length normalisation (the usual values).
const K1: f64 = 1.2;
const B: f64 = 0.75;

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

/// The terms of a text, in order, with repeats.
pub fn terms(text: &str) -> Vec<String> {
    split(text, true)
}

/// The terms a query asks by: a run of Han characters by its pairs (by itself when it is one
/// character), words as they are; each once.
pub fn query_terms(q: &str) -> Vec<String> {
    let mut out = split(q, false);
    out.sort();
    out.dedup();
    out
}

/// Splits `text` into terms; `singles`: each Han character too, not only pairs.
fn split(text: &str, singles: bool) -> Vec<String> {
    let mut out = vec![];
    let mut han: Vec<char> = vec![];
    let mut word = String::new();
    let flush_han = |han: &mut Vec<char>, out: &mut Vec<String>| {
        if singles || han.len() == 1 {
            out.extend(han.iter().map(|c| c.to_string()));
        }
        out.extend(han.windows(2).map(|w| w.iter().collect::<String>()));
        han.clear();
    };
    let flush_word = |word: &mut String, out: &mut Vec<String>| {
        if !word.is_empty() {
            let w = std::mem::take(word);
            let w =
                if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") { w[..w.len() - 1].to_string() } else { w };
            out.push(w);
        }
    };
    for c in text.chars() {
        if is_han(c) {
            flush_word(&mut word, &mut out);
            han.push(c);
        } else if c.is_alphanumeric() {
            flush_han(&mut han, &mut out);
            word.extend(c.to_lowercase());
        } else {
            flush_han(&mut han, &mut out);
            flush_word(&mut word, &mut out);
        }
    }
    flush_han(&mut han, &mut out);
    flush_word(&mut word, &mut out);
    out
}

/// An index of documents for BM25 ranking.
#[derive(Debug, Clone, Default)]
pub struct TextIndex {
    /// Per term, the documents holding it and how often.
    postings: HashMap<String, Vec<(u32, u16)>>,
    /// Each document's length in terms.
    lengths: Vec<u32>,
    average: f64,
}

impl TextIndex {
    pub fn new<'a>(docs: impl IntoIterator<Item = &'a str>) -> Self {
        let mut postings: HashMap<String, Vec<(u32, u16)>> = HashMap::new();
        let mut lengths = vec![];
        for (i, d) in docs.into_iter().enumerate() {
            let ts = terms(d);
            lengths.push(ts.len() as u32);
            let mut counts: HashMap<String, u16> = HashMap::new();
            for t in ts {
                let n = counts.entry(t).or_default();
                *n = n.saturating_add(1);
            }
            for (t, n) in counts {
                postings.entry(t).or_default().push((i as u32, n));
            }
        }
        let total: u64 = lengths.iter().map(|&l| u64::from(l)).sum();
        let average = if lengths.is_empty() { 0.0 } else { total as f64 / lengths.len() as f64 };
        TextIndex { postings, lengths, average }
    }

    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// The documents that share a term with `q`, best first (ties: earlier document first), that
    /// `keep` accepts, at most `limit`. Each comes with its score. `keep` is asked about the best
    /// candidates only, not about every document that matched.
    pub fn search(&self, q: &str, limit: usize, keep: impl Fn(usize) -> bool) -> Vec<(f64, usize)> {
        let n = self.lengths.len() as f64;
        let mut scores: HashMap<u32, f64> = HashMap::new();
        for t in &query_terms(q) {
            let Some(p) = self.postings.get(t) else { continue };
            let df = p.len() as f64;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            scores.reserve(p.len());
            for &(d, tf) in p {
                let tf = f64::from(tf);
                let len = f64::from(self.lengths[d as usize]);
                let norm = K1 * (1.0 - B + B * len / self.average.max(1.0));
                *scores.entry(d).or_default() += idf * tf * (K1 + 1.0) / (tf + norm);
            }
        }
        let mut hits: Vec<(f64, usize)> = scores.into_iter().map(|(d, s)| (s, d as usize)).collect();
        best_kept(&mut hits, limit, keep)
    }
}

/// The best `limit` of `hits` that `keep` accepts, best first (ties: lower index first): sorts a
/// few times `limit` candidates at a time rather than every hit.
fn best_kept(hits: &mut [(f64, usize)], limit: usize, keep: impl Fn(usize) -> bool) -> Vec<(f64, usize)> {
    let order = |a: &(f64, usize), b: &(f64, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    let mut out = vec![];
    let mut from = 0;
    let mut step = limit.max(1) * 4;
    while from < hits.len() && out.len() < limit {
        let rest = &mut hits[from..];
        let take = step.min(rest.len());
        if take < rest.len() {
            rest.select_nth_unstable_by(take - 1, order);
        }
        rest[..take].sort_by(order);
        out.extend(rest[..take].iter().copied().filter(|h| keep(h.1)).take(limit - out.len()));
        from += take;
        step *= 4;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_of_chinese_and_english() {
        assert_eq!(terms("排班复核"), vec!["排", "班", "复", "核", "排班", "班复", "复核"]);
        assert_eq!(terms("Weekly rosters, checked!"), vec!["weekly", "roster", "checked"]);
        assert_eq!(terms("NPS 达到60分"), vec!["nps", "达", "到", "达到", "60", "分"]);
        assert!(terms(" ，。 ").is_empty());
        assert_eq!(query_terms("排班复核 排班"), vec!["复核", "排班", "班复"], "pairs only, each once");
        assert_eq!(query_terms("店 NPS"), vec!["nps", "店"], "a lone character asks by itself");
    }

    #[test]
    fn the_best_kept_are_the_best_of_all_in_order() {
        // 1,000 hits with repeated scores; keep only odd documents: the answer is the full sort,
        // filtered, cut — whatever the limit.
        let all: Vec<(f64, usize)> = (0..1000).map(|i| (f64::from((i * 7919 % 97) as u32), i)).collect();
        for limit in [1, 5, 20, 300, 2000] {
            let mut expect = all.clone();
            expect.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let expect: Vec<_> = expect.into_iter().filter(|h| h.1 % 2 == 1).take(limit).collect();
            let mut hits = all.clone();
            assert_eq!(best_kept(&mut hits, limit, |d| d % 2 == 1), expect, "limit {limit}");
        }
        assert!(best_kept(&mut [], 5, |_| true).is_empty());
        assert!(best_kept(&mut [(1.0, 0)], 0, |_| true).is_empty());
    }

    #[test]
    fn the_closest_lesson_ranks_first() {
        let docs = [
            "排班表每周五由店长复核并公示",
            "新品上市前两周完成培训",
            "Check the roster every Friday before publishing it",
            "供应商交期要提前锁定",
            "店长每周复核排班",
        ];
        let ix = TextIndex::new(docs);
        let ids = |q: &str| ix.search(q, 10, |_| true).into_iter().map(|(_, i)| i).collect::<Vec<_>>();
        assert_eq!(ids("复核并公示")[0], 0);
        assert_eq!(ids("排班复核")[..2], [4, 0], "the shorter document holding both words first");
        assert_eq!(ids("rosters friday"), vec![2]);
        assert!(ids("竞争对手").is_empty());
        assert!(ids("").is_empty());
        // `keep` filters; `limit` cuts.
        assert_eq!(ix.search("复核", 10, |i| i != 4).into_iter().map(|h| h.1).collect::<Vec<_>>(), vec![0]);
        assert_eq!(ix.search("复核", 1, |_| true).len(), 1);
    }
}
