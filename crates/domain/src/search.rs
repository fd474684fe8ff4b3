//! Title search: case-insensitive substring match, ranked by matches at the start first, then
//! shorter titles, then the order titles were given in.
//!
//! The index keeps, for every character and every pair of adjacent characters, the titles that
//! hold it, in rank order (length, then position). A query walks the postings of its rarest
//! gram, confirms each candidate with a substring test, and stops as soon as no later candidate
//! can rank higher. The answer is always what a scan of every title would give (a property test
//! says so).

use std::collections::HashMap;

/// A gram: one character, or two adjacent ones.
type Gram = (char, Option<char>);

#[derive(Debug, Clone, Default)]
pub struct SearchIndex {
    /// The titles lowercased, with their length in characters.
    titles: Vec<(String, usize)>,
    postings: HashMap<Gram, Vec<u32>>,
}

/// How a title answers a query: (0 at the start else 1, length in characters, position given).
pub type Rank = (u8, usize, usize);

impl SearchIndex {
    pub fn new<'a>(titles: impl IntoIterator<Item = &'a str>) -> Self {
        let titles: Vec<(String, usize)> = titles
            .into_iter()
            .map(|t| {
                let t = t.to_lowercase();
                let n = t.chars().count();
                (t, n)
            })
            .collect();
        let mut order: Vec<u32> = (0..titles.len() as u32).collect();
        order.sort_by_key(|&i| (titles[i as usize].1, i));
        let mut postings: HashMap<Gram, Vec<u32>> = HashMap::new();
        for &i in &order {
            let chars: Vec<char> = titles[i as usize].0.chars().collect();
            let mut grams: Vec<Gram> = chars.iter().map(|&c| (c, None)).collect();
            grams.extend(chars.windows(2).map(|w| (w[0], Some(w[1]))));
            grams.sort_unstable();
            grams.dedup();
            for g in grams {
                postings.entry(g).or_default().push(i);
            }
        }
        SearchIndex { titles, postings }
    }

    pub fn len(&self) -> usize {
        self.titles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.titles.is_empty()
    }

    /// The titles that hold `q` (any case), best first, that `keep` accepts, at most `limit`.
    /// `keep` is asked only of titles that match, in rank order.
    pub fn search(&self, q: &str, limit: usize, mut keep: impl FnMut(usize) -> bool) -> Vec<(Rank, usize)> {
        let q = q.trim().to_lowercase();
        let chars: Vec<char> = q.chars().collect();
        if chars.is_empty() || limit == 0 {
            return vec![];
        }
        let grams: Vec<Gram> = if chars.len() == 1 {
            vec![(chars[0], None)]
        } else {
            chars.windows(2).map(|w| (w[0], Some(w[1]))).collect()
        };
        let Some(rarest) =
            grams.iter().map(|g| self.postings.get(g).map_or(&[][..], Vec::as_slice)).min_by_key(|p| p.len())
        else {
            return vec![];
        };
        // Candidates come shortest first, so within each kind (at the start or not) the first
        // `limit` found are the best; once `limit` start matches are in, nothing later can beat them.
        let (mut starts, mut others) = (vec![], vec![]);
        for &i in rarest {
            let i = i as usize;
            let (title, n) = &self.titles[i];
            let Some(pos) = title.find(&q) else { continue };
            if pos != 0 && others.len() >= limit {
                continue;
            }
            if !keep(i) {
                continue;
            }
            if pos == 0 {
                starts.push(((0, *n, i), i));
                if starts.len() >= limit {
                    break;
                }
            } else {
                others.push(((1, *n, i), i));
            }
        }
        starts.extend(others);
        starts.truncate(limit);
        starts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What a scan of every title answers.
    fn scan(titles: &[String], q: &str, limit: usize, keep: impl Fn(usize) -> bool) -> Vec<(Rank, usize)> {
        let q = q.trim().to_lowercase();
        if q.is_empty() {
            return vec![];
        }
        let mut hits: Vec<(Rank, usize)> = titles
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .filter_map(|(i, t)| {
                let t = t.to_lowercase();
                let pos = t.find(&q)?;
                Some(((u8::from(pos != 0), t.chars().count(), i), i))
            })
            .collect();
        hits.sort();
        hits.truncate(limit);
        hits
    }

    #[test]
    fn chinese_and_english() {
        let titles = ["提升会员复购率", "会员复购", "Grow NPS", "门店效率提升", "NPS 达到 60"];
        let ix = SearchIndex::new(titles);
        let ids = |q: &str| ix.search(q, 10, |_| true).into_iter().map(|(_, i)| i).collect::<Vec<_>>();
        assert_eq!(ids("会员"), vec![1, 0], "a match at the start first");
        assert_eq!(ids("nps"), vec![4, 2], "any case; at the start first");
        assert_eq!(ids("提"), vec![0, 3]);
        assert_eq!(ids("churn"), Vec::<usize>::new());
        assert_eq!(ids("  "), Vec::<usize>::new());
        assert_eq!(ix.search("会员", 1, |i| i != 1).into_iter().map(|(_, i)| i).collect::<Vec<_>>(), vec![0]);
    }

    proptest! {
        #[test]
        fn answers_what_a_scan_answers(
            titles in proptest::collection::vec("[ab会员 A]{0,6}", 0..40),
            q in "[ab会员A]{1,3}",
            limit in 1usize..6,
            hidden in 0usize..7,
        ) {
            let ix = SearchIndex::new(titles.iter().map(String::as_str));
            let keep = |i: usize| hidden == 0 || !i.is_multiple_of(hidden);
            prop_assert_eq!(ix.search(&q, limit, keep), scan(&titles, &q, limit, keep));
        }
    }
}
