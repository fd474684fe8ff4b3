//! Goal pages: the goal tree, the alignment map, an objective with its history (and the forms
//! that change it), and the drafting form with goal-quality hints.
//!
//! May use the shared page pieces; KPI and tracking pages build on these, not the other way.

pub(super) mod edit;
pub(super) mod map;
pub(super) mod new;
pub(super) mod objective;
pub(super) mod tree;

use crate::AppState;
use crate::i18n::Tr;
use crate::pages::shared::{kind_label, num, pct, status_label, two};
use std::collections::HashMap;
use tandem_app::AppError;
use tandem_app::goals::objectives::ObjectiveView;

pub struct KrCard {
    /// "forecast 0.72 · expected 0.58 · confidence 7"
    pub pace: String,
    pub at_risk: bool,
    pub not_started: bool,
    pub disagrees: bool,
    pub id: i64,
    pub title: String,
    pub unit: String,
    pub nums: String,
    pub target: String,
    pub score_pct: u32,
    pub score_text: String,
    pub band: &'static str,
    pub owners: String,
    /// The current value as typed (a placeholder for the next check-in).
    pub current: String,
    /// The KR's values against the pace line (inline SVG; objective page only).
    pub chart: String,
    /// Its latest check-ins, newest first (objective page only), and how many it has in all.
    pub log: Vec<LogLine>,
    pub log_total: usize,
    /// Where its value comes from when bound to a metric, and whether the data is late.
    pub binding: Option<(String, bool)>,
    /// The status its owner last reported with a check-in: (code, label, reason, disagrees with
    /// the forecast).
    pub reported: Option<(&'static str, &'static str, String, bool)>,
    /// Just checked in by the reader: what changed ("3.1 → 2.8 分钟 · 得分 0.60 → 0.80").
    pub saved: Option<String>,
}

pub struct Card {
    pub id: i64,
    pub title: String,
    pub kind: String,
    pub kind_label: &'static str,
    pub status: String,
    pub status_label: &'static str,
    pub owner_name: String,
    /// The owner's page, when the owner is a person.
    pub owner_href: Option<String>,
    pub parent_id: i64,
    pub parent_title: Option<String>,
    pub score_pct: u32,
    pub score_text: String,
    pub band: &'static str,
    pub rollup_pct: u32,
    pub rollup_text: String,
    pub rollup_band: &'static str,
    pub krs: Vec<KrCard>,
    pub can_edit: bool,
}

pub(crate) fn card(o: &ObjectiveView, titles: &HashMap<i64, String>, t: Tr) -> Card {
    let (score_pct, score_text) = pct(o.score);
    let (rollup_pct, rollup_text) = pct(o.rollup);
    Card {
        id: o.id,
        title: o.title.clone(),
        kind: o.kind.clone(),
        kind_label: kind_label(t, &o.kind),
        status: o.status.clone(),
        status_label: status_label(t, &o.status),
        owner_name: o.owner_name.clone(),
        owner_href: match o.owner {
            tandem_domain::goal::Owner::Person(p) => Some(format!("/people/{}", p.0)),
            tandem_domain::goal::Owner::OrgUnit(_) => None,
        },
        parent_id: o.parent.unwrap_or(0),
        parent_title: o.parent.and_then(|p| titles.get(&p).cloned()),
        score_pct,
        score_text: if o.scored { score_text } else { "—".into() },
        band: o.band.as_str(),
        rollup_pct,
        rollup_text,
        rollup_band: o.rollup_band.as_str(),
        krs: o
            .key_results
            .iter()
            .map(|k| {
                let (score_pct, score_text) = pct(k.score);
                KrCard {
                    saved: None,
                    reported: None,
                    pace: {
                        let mut p = format!(
                            "{} {} · {} {}",
                            t.s("forecast"),
                            two(k.forecast),
                            t.s("expected"),
                            two(k.expected)
                        );
                        if let Some(c) = k.confidence {
                            p.push_str(&format!(" · {} {c}/10", t.s("confidence_short")));
                        }
                        p
                    },
                    at_risk: k.at_risk,
                    not_started: k.not_started,
                    disagrees: k.confidence_disagrees,
                    id: k.id,
                    title: k.title.clone(),
                    unit: k.unit.clone(),
                    nums: format!(
                        "{} → {} {} · {} {}{}",
                        num(k.baseline),
                        num(k.target),
                        k.unit,
                        t.s("current"),
                        num(k.current),
                        k.unit
                    ),
                    target: num(k.target),
                    score_pct,
                    score_text,
                    band: k.band.as_str(),
                    owners: if k.owners.len() > 1 {
                        k.owners.iter().map(|w| format!("{} ×{}", w.name, num(w.weight))).collect::<Vec<_>>().join("、")
                    } else {
                        String::new()
                    },
                    current: num(k.current),
                    chart: String::new(),
                    log: vec![],
                    log_total: 0,
                    binding: None,
                }
            })
            .collect(),
        can_edit: o.can_edit,
    }
}

/// One check-in in a KR's recent history on the objective page.
pub struct LogLine {
    pub id: i64,
    /// The status reported with it and why (kept when it is corrected).
    pub status: String,
    pub status_reason: String,
    pub head: String,
    pub progress: String,
    pub blockers: String,
    pub help: String,
    pub value: String,
    pub confidence: u8,
    pub can_edit: bool,
}

/// Check-ins shown under each key result; the rest are a click away, a page at a time.
const RECENT: usize = 5;

/// Fills each KR card with its chart (values against the pace line), where its value comes
/// from (`bindings`: key result, metric name, binding) and its latest check-ins.
async fn with_courses(
    st: &AppState,
    a: &tandem_domain::policy::Actor,
    o: &mut Card,
    bindings: &[(i64, String, tandem_app::data::metrics::BindingView)],
    t: Tr,
    zone: tandem_domain::zone::Zone,
) -> Result<(), AppError> {
    let courses = st.app.kr_courses(a, o.id).await?;
    let (start, end) = courses.first().map(|c| c.span).unwrap_or_default();
    let day = |us: i64| crate::pages::fmt_time(us, zone).get(5..10).unwrap_or_default().to_string();
    let (start, end) = (day(start), day(end));
    for k in &mut o.krs {
        if let Some(c) = courses.iter().find(|c| c.key_result == k.id) {
            let text = crate::svg::ChartText {
                title: &k.title,
                series: [t.s("chart_value"), t.s("chart_pace"), t.s("forecast")],
                start: &start,
                end: &end,
            };
            k.chart = crate::svg::kr_chart(c, &text);
        }
        k.binding = bindings.iter().find(|(kr, _, _)| *kr == k.id).map(|(_, name, b)| {
            let agg = match b.aggregation.as_str() {
                "sum" => t.s("agg_sum"),
                "mean" => t.s("agg_mean"),
                "min" => t.s("agg_min"),
                "max" => t.s("agg_max"),
                "count" => t.s("agg_count"),
                _ => t.s("agg_latest"),
            };
            let mut text = format!("{}「{}」· {agg}", t.s("bound_to"), name);
            if b.also_feeds_kpi {
                text.push_str(t.s("bound_feeds_kpi"));
            }
            (text, b.stale)
        });
        let (log, total) = st.app.check_in_page(a, k.id, 0, RECENT).await?;
        // What its owner last said of it (a value from data says nothing).
        k.reported = log.iter().find(|c| c.source.is_empty()).and_then(|c| {
            let s = tandem_domain::checkin::Status::parse("status", c.status.as_deref()?).ok()??;
            Some((s.as_str(), status_word(s, t), c.status_reason.clone(), s.disagrees_with(k.at_risk)))
        });
        k.log = log_lines(log, t, zone);
        k.log_total = total;
    }
    Ok(())
}

/// A reported status in the page's language.
pub(crate) fn status_word(s: tandem_domain::checkin::Status, t: Tr) -> &'static str {
    match s {
        tandem_domain::checkin::Status::OnTrack => t.s("status_on_track"),
        tandem_domain::checkin::Status::AtRisk => t.s("status_at_risk"),
        tandem_domain::checkin::Status::Delayed => t.s("status_delayed"),
    }
}

/// Check-ins as the objective page lists them.
pub(crate) fn log_lines(
    log: Vec<tandem_app::tracking::checkins::CheckInView>,
    t: Tr,
    zone: tandem_domain::zone::Zone,
) -> Vec<LogLine> {
    log.into_iter()
        .map(|c| LogLine {
            id: c.id,
            status: c.status.clone().unwrap_or_default(),
            status_reason: c.status_reason.clone(),
            head: {
                // A person's check-in shows its confidence; a value from a metric, its source.
                let mut said = match c.confidence {
                    Some(n) => format!("{} {n}/10", t.s("confidence_short")),
                    None => format!("{}{}", t.s("from_metric"), c.source.trim_start_matches("metric:")),
                };
                if let Some(s) =
                    c.status.as_deref().and_then(|s| tandem_domain::checkin::Status::parse("status", s).ok().flatten())
                {
                    said.push_str(&format!(" · {}", status_word(s, t)));
                    if !c.status_reason.is_empty() {
                        said.push_str(&format!("（{}）", c.status_reason));
                    }
                }
                format!(
                    "{} · {} · {} → {} · {said}",
                    crate::pages::fmt_time(c.created_at, zone),
                    c.author_name,
                    num(c.previous),
                    num(c.value)
                )
            },
            value: num(c.value),
            confidence: c.confidence.unwrap_or(7).clamp(0, 10) as u8,
            progress: c.progress,
            blockers: c.blockers,
            help: c.help,
            can_edit: c.can_edit,
        })
        .collect()
}
