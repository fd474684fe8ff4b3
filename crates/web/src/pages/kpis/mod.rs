//! KPI pages: the KPI board, change requests, the library, and deriving a KPI from a key result.
//!
//! May use the goal pages (a derived KPI goes back to its objective's page) and the shared pieces.

pub(super) mod board;
pub(super) mod derive;
pub(super) mod library;
pub(super) mod requests;

use crate::i18n::Tr;
use crate::pages::shared::num;
use std::collections::HashMap;
use tandem_app::kpis::kpi::KpiView;
use tandem_domain::kpi::DerivedFrom;

/// "pass ≥ 98% · warn ≥ 95% · fail < 95%", the way the direction reads.
fn thresholds_text(t: Tr, direction: &str, pass: f64, warn: Option<f64>, unit: &str) -> String {
    let (better, worse) = if direction == "lower_is_better" { ("≤", ">") } else { ("≥", "<") };
    let mut th = format!("{} {better} {}{unit}", t.s("pass"), num(pass));
    let fail_line = warn.unwrap_or(pass);
    if let Some(w) = warn {
        th.push_str(&format!(" · {} {better} {}{unit}", t.s("warn"), num(w)));
    }
    th.push_str(&format!(" · {} {worse} {}{unit}", t.s("fail"), num(fail_line)));
    th
}

fn period_label(t: Tr, granularity: &str) -> &'static str {
    match granularity {
        "week" => t.s("kind_week"),
        "quarter" => t.s("kind_quarter"),
        _ => t.s("kind_month"),
    }
}

pub struct KpiLine {
    pub diverges: bool,
    /// The latest period's value: (period, value with unit, status code, status label).
    pub latest: Option<(String, String, &'static str, &'static str)>,
    pub id: i64,
    pub can_request: bool,
    pub target_raw: String,
    pub name: String,
    pub owner_name: String,
    /// The owner's page, when the owner is a person.
    pub owner_href: Option<String>,
    pub period: &'static str,
    pub target: String,
    pub thresholds: String,
    pub locked: bool,
    pub derived: Option<String>,
    /// The values per period against the pass and warn lines (inline SVG; KPI board only).
    pub chart: String,
    /// The caller may record this period's value: the current period to suggest.
    pub record: Option<String>,
    /// A value form sent back with what was typed and why it was refused.
    pub retry: Option<ValueRetry>,
    /// A change request sent back the same way: (new target, reason, why refused).
    pub request_retry: Option<(String, String, String)>,
}

/// What was typed in a KPI's value form that was refused, kept for the next try.
#[derive(Debug, Clone, Default)]
pub struct ValueRetry {
    pub period: String,
    pub value: String,
    pub error: String,
    /// The period holds a value already: the form asks for a tick to replace it.
    pub confirm_replace: bool,
}

/// The KPI rows of a board: latest value, trend chart, and, for those who report its numbers, a
/// form for the current period.
pub(crate) fn kpi_lines(
    kpis: &[KpiView],
    titles: &HashMap<i64, String>,
    kr_titles: &HashMap<i64, String>,
    history: &HashMap<i64, Vec<tandem_app::kpis::values::KpiValueView>>,
    today: time::Date,
    t: Tr,
) -> Vec<KpiLine> {
    kpis.iter()
        .map(|k| {
            let th = thresholds_text(t, &k.direction, k.pass, k.warn, &k.unit);
            let values = history.get(&k.id).map(Vec::as_slice).unwrap_or(&[]);
            let chart = if values.is_empty() {
                String::new()
            } else {
                let points: Vec<(String, f64, &str)> = values
                    .iter()
                    .rev()
                    .take(6)
                    .rev()
                    .map(|v| (v.period.clone(), v.value, status_code(v.status)))
                    .collect();
                let text = crate::svg::ChartText {
                    title: &k.name,
                    series: [t.s("chart_value"), t.s("pass"), t.s("warn")],
                    start: "",
                    end: "",
                };
                crate::svg::kpi_chart(&points, k.pass, k.warn, &text)
            };
            let record = k
                .can_edit
                .then(|| tandem_domain::cycle::PeriodKind::parse("granularity", &k.granularity).ok())
                .flatten()
                .and_then(|g| tandem_domain::kpi::period_of(g, today));
            KpiLine {
                retry: None,
                request_retry: None,
                chart,
                record,
                diverges: k.diverges,
                latest: values.last().map(|v| {
                    let code = status_code(v.status);
                    let label = t.s(code);
                    (v.period.clone(), format!("{}{}", num(v.value), k.unit), code, label)
                }),
                id: k.id,
                can_request: k.can_edit && k.locked,
                target_raw: num(k.target),
                name: k.name.clone(),
                owner_name: k.owner_name.clone(),
                owner_href: match k.owner {
                    tandem_domain::goal::Owner::Person(p) => Some(format!("/people/{}", p.0)),
                    tandem_domain::goal::Owner::OrgUnit(_) => None,
                },
                period: period_label(t, &k.granularity),
                target: format!("{}{}", num(k.target), k.unit),
                thresholds: th,
                locked: k.locked,
                derived: match k.derived_from {
                    Some(DerivedFrom::KeyResult(id)) => kr_titles.get(&id.0).cloned(),
                    Some(DerivedFrom::Objective(id)) => titles.get(&id.0).cloned(),
                    None => None,
                },
            }
        })
        .collect()
}

fn status_code(s: tandem_domain::kpi::KpiStatus) -> &'static str {
    match s {
        tandem_domain::kpi::KpiStatus::Pass => "pass",
        tandem_domain::kpi::KpiStatus::Warn => "warn",
        tandem_domain::kpi::KpiStatus::Fail => "fail",
    }
}
