//! KPI period values from a file (CSV in UTF-8 or GBK, or Excel): what HR collects every month
//! in a spreadsheet. Every row is checked first (the KPI exists and the caller sees it and may
//! report its numbers, the period fits the KPI's granularity, the value is a number, no KPI and
//! period twice); then all rows are written in one transaction, or none. A row whose value is
//! already recorded changes nothing, so the same file twice changes nothing.

use crate::error::{AppError, Result, RowError};
use crate::kpis::kpi::KpiFilter;
use crate::kpis::values::write_kpi_value;
use crate::{Actor, App};
use serde::Serialize;
use std::collections::HashMap;
use tandem_domain::cycle::PeriodKind;
use tandem_domain::{Invalid, Lang, Rule, policy};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KpiValueImport {
    /// Rows in the file.
    pub rows: usize,
    /// Rows whose value was new or different (written unless this was a preview).
    pub changed: usize,
    pub dry_run: bool,
    /// The rows as read: (KPI, owner, period, value).
    pub first: Vec<(String, String, String, f64)>,
}

const KPI_ID: &[&str] = &["kpi_id", "kpi编号", "编号"];
const KPI_NAME: &[&str] = &["kpi", "kpi名称", "指标", "名称"];
const OWNER: &[&str] = &["owner", "负责人", "owner_email", "邮箱"];
const PERIOD: &[&str] = &["period", "周期", "期间"];
const VALUE: &[&str] = &["value", "数值", "值", "实际值"];

impl App {
    /// Checks a file of KPI values and, unless `dry_run`, writes it whole (source `file:<name>`).
    pub async fn import_kpi_values(
        &self,
        a: &Actor,
        file_name: &str,
        bytes: &[u8],
        dry_run: bool,
        lang: Lang,
    ) -> Result<KpiValueImport> {
        let mut table = crate::sheets::read_table_off(bytes, lang).await?;
        let kpis = self.list_kpis(a, &KpiFilter::default()).await?;
        let org = self.org_snapshot(a.tenant.0).await?;
        let history = self.kpi_value_history(a).await?;
        let spans: HashMap<i64, (time::Date, time::Date)> = tandem_store::cycles::list(&self.db, a.tenant.0)
            .await?
            .into_iter()
            .filter_map(|c| {
                let start = tandem_domain::cycle::parse_date("start", &c.start_date).ok()?;
                Some((c.id, (start, tandem_domain::cycle::parse_date("end", &c.end_date).ok()?)))
            })
            .collect();
        let today = self.clock.today();
        let col = |names: &[&str]| table.col(names);
        let (id_col, name_col, owner_col) = (col(KPI_ID), col(KPI_NAME), col(OWNER));
        let (Some(period_col), Some(value_col)) = (col(PERIOD), col(VALUE)) else {
            return Err(AppError::ImportRejected(vec![header_error(lang)]));
        };
        if id_col.is_none() && name_col.is_none() {
            return Err(AppError::ImportRejected(vec![header_error(lang)]));
        }
        let err = |row: usize, column: &str, zh: String, en: String| RowError {
            row,
            column: column.into(),
            reason: if lang == Lang::Zh { zh } else { en },
        };
        let mut bad = std::mem::take(&mut table.unreadable);
        let mut good: Vec<(usize, i64, String, f64)> = vec![];
        let mut seen: HashMap<(i64, String), usize> = HashMap::new();
        for (line, rec) in &table.rows {
            let line = *line;
            let cell = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("").trim();
            // Which KPI: by id, or by name (and owner, when names repeat).
            let found = match cell(id_col) {
                id if !id.is_empty() => id.parse::<i64>().ok().and_then(|id| kpis.iter().find(|k| k.id == id)),
                _ => {
                    let (name, owner) = (cell(name_col), cell(owner_col));
                    let named: Vec<_> = kpis
                        .iter()
                        .filter(|k| k.name == name)
                        .filter(|k| {
                            owner.is_empty()
                                || k.owner_name == owner
                                || owner_email(&org, k).is_some_and(|e| e.eq_ignore_ascii_case(owner))
                        })
                        .collect();
                    match named.as_slice() {
                        [one] => Some(*one),
                        [] => None,
                        _ => {
                            bad.push(err(
                                line,
                                "owner",
                                format!("有多个名为“{name}”的 KPI，请填写负责人或 KPI 编号"),
                                format!("Several KPIs are named “{name}”; give the owner or the KPI id"),
                            ));
                            continue;
                        }
                    }
                }
            };
            let Some(k) = found else {
                let column = if id_col.is_some() && !cell(id_col).is_empty() { "kpi_id" } else { "kpi" };
                bad.push(err(
                    line,
                    column,
                    "找不到这个 KPI，或你无权查看".into(),
                    "No such KPI, or not visible to you".into(),
                ));
                continue;
            };
            if !policy::may_edit_kpi(a, k.owner, &org.tree) {
                bad.push(err(
                    line,
                    "kpi",
                    format!("你不能填报“{}”的数据", k.name),
                    format!("You may not report “{}”", k.name),
                ));
                continue;
            }
            let Ok(kind) = PeriodKind::parse("granularity", &k.granularity) else { continue };
            let period = match tandem_domain::kpi::parse_period(kind, cell(Some(period_col))) {
                Ok(p) => p,
                Err(_) => {
                    let example = match k.granularity.as_str() {
                        "month" => "2026-11",
                        "quarter" => "2026-Q4",
                        "week" => "2026-W47",
                        _ => "2026",
                    };
                    bad.push(err(
                        line,
                        "period",
                        format!("周期格式不对，这个 KPI 按{}填报，例如 {example}", k.granularity),
                        format!("Not a period of this KPI ({}), e.g. {example}", k.granularity),
                    ));
                    continue;
                }
            };
            if let Some(&(start, end)) = spans.get(&k.cycle)
                && let Err(e) = tandem_domain::kpi::check_period(kind, &period, today, start, end)
            {
                let (zh, en) = (Invalid::new("周期", e.rule.clone()), Invalid::new("period", e.rule));
                bad.push(err(line, "period", zh.message(Lang::Zh), en.message(Lang::En)));
                continue;
            }
            let raw = cell(Some(value_col));
            let value = match tandem_domain::text::parse_number("value", raw.trim_end_matches(['%', '％']))
                .and_then(|v| v.ok_or_else(|| Invalid::new("value", Rule::Required)))
                .and_then(|v| tandem_domain::goal::plausible("value", &k.unit, v))
            {
                Ok(v) => v,
                Err(e) if matches!(e.rule, Rule::Required | Rule::NotANumber) => {
                    bad.push(err(line, "value", "数值为空或不是数字".into(), "No value, or not a number".into()));
                    continue;
                }
                // Named by the column's meaning, not its header.
                Err(e) => {
                    let (zh, en) = (Invalid::new("数值", e.rule.clone()), Invalid::new("value", e.rule));
                    bad.push(err(line, "value", zh.message(Lang::Zh), en.message(Lang::En)));
                    continue;
                }
            };
            if let Some(first) = seen.insert((k.id, period.clone()), line) {
                bad.push(err(
                    line,
                    "period",
                    format!("与第 {first} 行重复（同一 KPI、同一周期）"),
                    format!("Same KPI and period as line {first}"),
                ));
                continue;
            }
            good.push((line, k.id, period, value));
        }
        if !bad.is_empty() {
            bad.sort_by_key(|e| e.row);
            return Err(AppError::ImportRejected(bad));
        }
        if good.is_empty() {
            return Err(AppError::ImportRejected(vec![err(
                2,
                "",
                "文件里没有数据行".into(),
                "The file has no data rows".into(),
            )]));
        }
        let unchanged = |kpi: i64, period: &str, value: f64| {
            history.get(&kpi).is_some_and(|vs| vs.iter().any(|v| v.period == period && v.value == value))
        };
        let changed: Vec<&(usize, i64, String, f64)> =
            good.iter().filter(|(_, k, p, v)| !unchanged(*k, p, *v)).collect();
        let report = KpiValueImport {
            rows: good.len(),
            changed: changed.len(),
            dry_run,
            first: good
                .iter()
                .take(20)
                .filter_map(|(_, id, p, v)| {
                    let k = kpis.iter().find(|k| k.id == *id)?;
                    Some((k.name.clone(), k.owner_name.clone(), p.clone(), *v))
                })
                .collect(),
        };
        if dry_run || changed.is_empty() {
            return Ok(report);
        }
        let name: String = file_name.chars().filter(|c| !c.is_control()).take(100).collect();
        let source = format!("file:{}", if name.is_empty() { "upload" } else { &name });
        let now = self.now();
        let mut tx = self.db.begin().await?;
        for (_, kpi, period, value) in changed {
            write_kpi_value(&mut tx, a, *kpi, period, *value, &source, now).await?;
        }
        tx.commit().await?;
        Ok(report)
    }
}

fn owner_email<'a>(org: &'a crate::org::chart::OrgSnapshot, k: &crate::kpis::kpi::KpiView) -> Option<&'a str> {
    match k.owner {
        tandem_domain::goal::Owner::Person(p) => org.person(p.0).map(|x| x.email.as_str()),
        _ => None,
    }
}

fn header_error(lang: Lang) -> RowError {
    RowError {
        row: 1,
        column: String::new(),
        reason: lang
            .pick(
                "第一行须是表头：kpi_id（或 kpi 名称 + owner 负责人）、period（周期）、value（数值）",
                "The first row must be a header: kpi_id (or kpi name + owner), period, value",
            )
            .into(),
    }
}
