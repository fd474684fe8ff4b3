//! Exports as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read Chinese right) and
//! as XLSX: a cycle's goal tree, its KPI results, its check-ins and its review. Each holds only what the
//! caller may see: the rows come from the same visibility-scoped reads as the pages. One table
//! serves both formats.

use crate::error::{AppError, Result};
use crate::goals::objectives::ObjectiveFilter;
use crate::kpis::kpi::KpiFilter;
use crate::{Actor, App};

/// An export: a sheet name, a header and rows of text (numbers written as numbers in XLSX).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub sheet: &'static str,
    pub header: &'static [&'static str],
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn to_csv(&self) -> Result<String> {
        let mut w = csv::Writer::from_writer(vec![]);
        let io = |e: csv::Error| AppError::Internal(e.to_string());
        w.write_record(self.header).map_err(io)?;
        for r in &self.rows {
            w.write_record(r.iter().map(|c| inert(c).into_owned())).map_err(io)?;
        }
        let bytes = w.into_inner().map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(format!("\u{feff}{}", String::from_utf8_lossy(&bytes)))
    }

    /// One worksheet with a bold, frozen header row; cells that read as numbers are numbers.
    pub fn to_xlsx(&self) -> Result<Vec<u8>> {
        use rust_xlsxwriter::{Format, Workbook};
        let io = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name(self.sheet).map_err(io)?;
        let bold = Format::new().set_bold();
        for (c, h) in self.header.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *h, &bold).map_err(io)?;
            sheet.set_column_width(c as u16, 14).map_err(io)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(io)?;
        for (r, row) in self.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, v) in row.iter().enumerate() {
                let c = c as u16;
                match v.parse::<f64>() {
                    Ok(x) if x.is_finite() && !v.is_empty() && !v.starts_with('+') => sheet.write_number(r, c, x),
                    _ if v.is_empty() => continue,
                    _ => sheet.write_string(r, c, v),
                }
                .map_err(io)?;
            }
        }
        book.save_to_buffer().map_err(io)
    }
}

/// A cell a spreadsheet program will not run: text starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return gets a leading apostrophe (OWASP's advice on CSV injection). A plain number
/// (`-3.5`) is not a formula and is left as it is.
pub fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = cell.parse::<f64>().is_ok_and(f64::is_finite) && !cell.starts_with('+');
    if risky && !number { format!("'{cell}").into() } else { cell.into() }
}

fn when(us: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

fn n(v: f64) -> String {
    let r = (v * 10_000.0).round() / 10_000.0;
    format!("{r}")
}

impl App {
    /// One row per key result (an objective without any gets one row of its own).
    pub async fn export_goals(&self, a: &Actor, cycle: i64) -> Result<Table> {
        let objs = self.list_objectives(a, &ObjectiveFilter { cycle: Some(cycle), ..Default::default() }).await?;
        let title = |id: Option<i64>| {
            id.and_then(|p| objs.iter().find(|o| o.id == p)).map(|o| o.title.clone()).unwrap_or_default()
        };
        let mut rows = vec![];
        for o in &objs {
            let head = vec![
                o.id.to_string(),
                o.title.clone(),
                o.owner_name.clone(),
                o.kind.clone(),
                o.status.clone(),
                title(o.parent),
                n(o.score),
                n(o.rollup),
            ];
            if o.key_results.is_empty() {
                rows.push([head.clone(), vec![String::new(); 8]].concat());
            }
            for k in &o.key_results {
                let kr = vec![
                    k.title.clone(),
                    k.measure.clone(),
                    n(k.baseline),
                    n(k.target),
                    n(k.current),
                    k.unit.clone(),
                    n(k.score),
                    n(k.forecast),
                ];
                rows.push([head.clone(), kr].concat());
            }
        }
        Ok(Table {
            sheet: "goals",
            header: &[
                "objective_id",
                "objective",
                "owner",
                "kind",
                "status",
                "aligned_to",
                "score",
                "rollup",
                "key_result",
                "measure",
                "baseline",
                "target",
                "current",
                "unit",
                "kr_score",
                "forecast",
            ],
            rows,
        })
    }

    /// One row per KPI period value (a KPI without values gets one row of its own).
    pub async fn export_kpis(&self, a: &Actor, cycle: Option<i64>) -> Result<Table> {
        let kpis = self.list_kpis(a, &KpiFilter { cycle, ..Default::default() }).await?;
        let history = self.kpi_value_history(a).await?;
        let mut rows = vec![];
        for k in &kpis {
            let head = vec![
                k.id.to_string(),
                k.name.clone(),
                k.owner_name.clone(),
                k.direction.clone(),
                n(k.target),
                n(k.pass),
            ];
            let values = history.get(&k.id).map(Vec::as_slice).unwrap_or(&[]);
            if values.is_empty() {
                rows.push([head.clone(), vec![String::new(); 5]].concat());
            }
            for v in values {
                let status =
                    serde_json::to_value(v.status).ok().and_then(|s| s.as_str().map(String::from)).unwrap_or_default();
                let row = vec![v.period.clone(), n(v.value), status, v.source.clone(), when(v.recorded_at)];
                rows.push([head.clone(), row].concat());
            }
        }
        Ok(Table {
            sheet: "kpis",
            header: &[
                "kpi_id",
                "kpi",
                "owner",
                "direction",
                "target",
                "pass",
                "period",
                "value",
                "status",
                "source",
                "recorded_at",
            ],
            rows,
        })
    }

    /// A cycle's review: one row per key result of the published objectives the caller may see —
    /// its frozen value and where it came from, computed, self and final score, and its carry-over
    /// decision — beside its objective's retro (state, causes typed and split 主观/客观, lessons,
    /// actions; several entries one per line).
    pub async fn export_review(&self, a: &Actor, cycle: i64) -> Result<Table> {
        use crate::review::board::RetroState;
        let report = self.review_report(a, cycle).await?;
        let opt = |v: Option<f64>| v.map(n).unwrap_or_default();
        let mut rows = vec![];
        for o in &report {
            let r = &o.retro;
            let state = match o.state {
                RetroState::Missing => "missing",
                RetroState::Written => "written",
                RetroState::Acknowledged => "acknowledged",
            };
            let lines = |xs: Vec<String>| xs.join("\n");
            let head = vec![
                o.objective.to_string(),
                o.title.clone(),
                o.owner_name.clone(),
                o.unit_name.clone(),
                o.kind.clone(),
                state.to_string(),
                o.acknowledged_by_name.clone().unwrap_or_default(),
            ];
            let tail = vec![
                lines(r.worked.clone()),
                lines(r.did_not.clone()),
                lines(
                    r.causes.iter().map(|c| format!("{}/{}: {}", c.kind.as_str(), c.locus.as_str(), c.text)).collect(),
                ),
                lines(r.lessons.iter().map(|l| l.text.clone()).collect()),
                lines(
                    r.actions
                        .iter()
                        .map(|x| {
                            format!(
                                "{} [{}{}]",
                                x.text,
                                x.state.as_str(),
                                x.due.as_ref().map(|d| format!(", {d}")).unwrap_or_default()
                            )
                        })
                        .collect(),
                ),
            ];
            if o.key_results.is_empty() {
                rows.push([head.clone(), vec![String::new(); 11], tail.clone()].concat());
            }
            for k in &o.key_results {
                let carry = r.carry_over.iter().find(|c| c.key_result == k.key_result).map(|c| c.decision.as_str());
                let kr = vec![
                    k.title.clone(),
                    n(k.target),
                    n(k.value),
                    k.frozen.as_ref().map(|p| p.source.to_string()).unwrap_or_default(),
                    k.frozen.as_ref().map(|p| when(p.at)).unwrap_or_default(),
                    n(k.computed_score),
                    opt(k.self_score),
                    k.self_note.clone(),
                    opt(k.final_score),
                    k.final_reason.clone().unwrap_or_default(),
                    carry.unwrap_or_default().to_string(),
                ];
                rows.push([head.clone(), kr, tail.clone()].concat());
            }
        }
        Ok(Table {
            sheet: "review",
            header: &[
                "objective_id",
                "objective",
                "owner",
                "unit",
                "kind",
                "retro",
                "acknowledged_by",
                "key_result",
                "target",
                "frozen_value",
                "value_source",
                "value_recorded_at",
                "computed_score",
                "self_score",
                "self_note",
                "final_score",
                "final_reason",
                "carry_over",
                "worked",
                "did_not",
                "causes",
                "lessons",
                "actions",
            ],
            rows,
        })
    }

    /// Every check-in on the key results of the cycle's objectives the caller may see, oldest first.
    pub async fn export_check_ins(&self, a: &Actor, cycle: i64) -> Result<Table> {
        let objs = self.list_objectives(a, &ObjectiveFilter { cycle: Some(cycle), ..Default::default() }).await?;
        let (all, org) = tokio::try_join!(
            async { Ok::<_, AppError>(tandem_store::checkins::for_tenant(&self.db, a.tenant.0).await?) },
            self.org_snapshot(a.tenant.0)
        )?;
        let mut rows = vec![];
        for c in all {
            let Some((o, k)) = objs.iter().find_map(|o| o.key_results.iter().find(|k| k.id == c.kr_id).map(|k| (o, k)))
            else {
                continue;
            };
            rows.push(vec![
                when(c.created_at),
                o.title.clone(),
                k.title.clone(),
                org.person(c.author_id).map(|p| p.name.clone()).unwrap_or_default(),
                n(c.previous),
                n(c.value),
                if c.confidence >= 0 { c.confidence.to_string() } else { String::new() },
                c.progress,
                c.blockers,
                c.help,
                c.source,
            ]);
        }
        rows.sort_by(|x, y| x[0].cmp(&y[0]));
        Ok(Table {
            sheet: "check-ins",
            header: &[
                "time",
                "objective",
                "key_result",
                "author",
                "previous",
                "value",
                "confidence",
                "progress",
                "blockers",
                "help",
                "source",
            ],
            rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_numbers_stay_numbers() {
        for (cell, out) in [
            ("=HYPERLINK(\"http://x.invalid\",\"点我\")", "'=HYPERLINK(\"http://x.invalid\",\"点我\")"),
            ("+1+2", "'+1+2"),
            ("+5", "'+5"),
            ("-1+cmd|' /C calc'!A0", "'-1+cmd|' /C calc'!A0"),
            ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-3.5", "-3.5"),
            ("-inf", "'-inf"),
            ("门店复购率从30%提升至40%", "门店复购率从30%提升至40%"),
            ("", ""),
        ] {
            assert_eq!(inert(cell), out, "{cell:?}");
        }
        let t = Table { sheet: "s", header: &["title"], rows: vec![vec!["=1+1".into()], vec!["-2".into()]] };
        assert_eq!(t.to_csv().unwrap(), "\u{feff}title\n'=1+1\n-2\n");
    }
}
