//! OKRs from a spreadsheet (CSV in UTF-8 or GBK, or Excel): one row per key result, the
//! objective's columns repeated or left blank below its first row. Every row is checked (the
//! owner is a person's email or name or an org unit's name, the kind and measure are known, the
//! numbers are numbers, a parent names an objective in the file or the cycle); then the sheet
//! becomes a `tandem/v1` document and goes in through the same all-or-nothing import as YAML.
//! Objectives come in as drafts unless the sheet says `published`, so a manager can look first.

use crate::error::{AppError, Result, RowError};
use crate::exchange::document::{Document, FORMAT, ImportSummary, KeyResultDoc, ObjectiveDoc, OwnerDoc};
use crate::org::owners::{OwnerKind, OwnerRef};
use crate::{Actor, App};
use tandem_domain::Lang;
use tandem_domain::goal::{KeyResultSpec, ObjectiveKind};

const OBJECTIVE: &[&str] = &["objective", "目标", "目标名称", "o"];
const OWNER: &[&str] = &["owner", "负责人", "所有者"];
const KIND: &[&str] = &["kind", "类型", "目标类型"];
const STATUS: &[&str] = &["status", "状态"];
const PARENT: &[&str] = &["parent", "上级目标", "对齐到"];
const KR: &[&str] = &["key_result", "关键结果", "kr"];
const MEASURE: &[&str] = &["measure", "度量方式", "度量"];
const BASELINE: &[&str] = &["baseline", "基线", "起始值"];
const TARGET: &[&str] = &["target", "目标值"];
const UNIT: &[&str] = &["unit", "单位"];
const WEIGHT: &[&str] = &["weight", "权重"];

/// Kinds and measures as people write them in Chinese.
fn kind_of(s: &str) -> &str {
    match s.trim() {
        "" => "aspirational",
        "承诺型" | "承诺" => "committed",
        "挑战型" | "挑战" | "愿景型" => "aspirational",
        "学习型" | "学习" | "探索型" => "learning",
        other => other,
    }
}

fn measure_of(s: &str) -> &str {
    match s.trim() {
        "" | "提升" | "增加" => "increase",
        "降低" | "减少" => "decrease",
        "保持高于" | "不低于" => "stay_above",
        "保持低于" | "不高于" => "stay_below",
        "里程碑" => "milestone",
        other => other,
    }
}

impl App {
    /// Reads a sheet of OKRs into `cycle`: all rows or none. `dry_run` checks and counts only.
    pub async fn import_okr_sheet(
        &self,
        a: &Actor,
        cycle: i64,
        bytes: &[u8],
        dry_run: bool,
        lang: Lang,
    ) -> Result<ImportSummary> {
        let mut table = crate::sheets::read_table_off(bytes, lang).await?;
        let (org, goals_now) = tokio::try_join!(self.org_snapshot(a.tenant.0), self.goal_snapshot(a.tenant.0))?;
        let col = |names: &[&str]| table.col(names);
        let Some(obj_col) = col(OBJECTIVE) else {
            let reason = lang.pick(
                "第一行须是表头，至少包含 objective（目标）列；关键结果用 key_result、target 等列",
                "The first row must be a header with at least an objective column; key results use key_result, target and so on",
            );
            return Err(AppError::ImportRejected(vec![RowError {
                row: 1,
                column: String::new(),
                reason: reason.into(),
            }]));
        };
        let cols = [OWNER, KIND, STATUS, PARENT, KR, MEASURE, BASELINE, TARGET, UNIT, WEIGHT].map(col);
        let [owner_c, kind_c, status_c, parent_c, kr_c, measure_c, base_c, target_c, unit_c, weight_c] = cols;
        let err = |row: usize, column: &str, (zh, en): (&str, &str)| RowError {
            row,
            column: column.into(),
            reason: lang.pick(zh, en).into(),
        };
        let mut bad = std::mem::take(&mut table.unreadable);
        let mut objectives: Vec<ObjectiveDoc> = vec![];
        // Parents are named by title: resolved once every objective of the sheet is known.
        let mut parents: Vec<(usize, usize, String)> = vec![];
        let mut next_id = -1;
        let mut current: Option<usize> = None;
        for (line, rec) in &table.rows {
            let line = *line;
            let cell = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("").trim().to_string();
            let title = cell(Some(obj_col));
            // A new objective where the title changes; blank continues the one above.
            let starts = !title.is_empty() && current.is_none_or(|c| objectives[c].title != title);
            if starts {
                let owner_text = cell(owner_c);
                let owner = if owner_text.is_empty() {
                    Some(OwnerRef { kind: OwnerKind::Person, id: a.person.0 })
                } else {
                    org.people
                        .iter()
                        .find(|p| p.active == 1 && (p.email.eq_ignore_ascii_case(&owner_text) || p.name == owner_text))
                        .map(|p| OwnerRef { kind: OwnerKind::Person, id: p.id })
                        .or_else(|| {
                            org.units
                                .iter()
                                .find(|u| u.name == owner_text)
                                .map(|u| OwnerRef { kind: OwnerKind::OrgUnit, id: u.id })
                        })
                };
                let Some(owner) = owner else {
                    bad.push(err(
                        line,
                        "owner",
                        (
                            "找不到这个负责人（填写邮箱、姓名或部门名称）",
                            "No such owner (an email, a name or an org unit's name)",
                        ),
                    ));
                    continue;
                };
                if !tandem_domain::policy::may_set_goals_for(a, owner.owner(), &org.tree) {
                    bad.push(err(
                        line,
                        "owner",
                        ("你不能为这个负责人设定目标", "You may not set goals for this owner"),
                    ));
                    continue;
                }
                let kind = kind_of(&cell(kind_c)).to_string();
                if ObjectiveKind::parse("kind", &kind).is_err() {
                    bad.push(err(
                        line,
                        "kind",
                        ("类型须是 承诺型、挑战型 或 学习型", "kind must be committed, aspirational or learning"),
                    ));
                }
                let status = match cell(status_c).as_str() {
                    "published" | "已发布" | "发布" => "published",
                    _ => "draft",
                };
                let parent = cell(parent_c);
                if !parent.is_empty() {
                    parents.push((line, objectives.len(), parent));
                }
                objectives.push(ObjectiveDoc {
                    id: next_id,
                    title,
                    description: String::new(),
                    kind,
                    owner: OwnerDoc { owner, name: String::new() },
                    parent: None,
                    supports: vec![],
                    status: status.into(),
                    key_results: vec![],
                    retro: None,
                });
                next_id -= 1;
                current = Some(objectives.len() - 1);
            }
            let Some(c) = current else {
                bad.push(err(line, "objective", ("第一条数据行须填写目标", "The first data row needs an objective")));
                continue;
            };
            let kr_title = cell(kr_c);
            if kr_title.is_empty() {
                continue;
            }
            let number = |v: String, column: &str, default: f64, bad: &mut Vec<RowError>| {
                if v.is_empty() {
                    return default;
                }
                v.replace([',', '，'], "").trim_end_matches('%').parse::<f64>().unwrap_or_else(|_| {
                    bad.push(err(line, column, ("不是数字", "not a number")));
                    default
                })
            };
            let baseline = number(cell(base_c), "baseline", 0.0, &mut bad);
            let target_text = cell(target_c);
            if target_text.is_empty() {
                bad.push(err(line, "target", ("关键结果须填写目标值", "A key result needs a target")));
                continue;
            }
            let target = number(target_text, "target", 0.0, &mut bad);
            let weight = number(cell(weight_c), "weight", 1.0, &mut bad);
            let measure = measure_of(&cell(measure_c)).to_string();
            let unit = cell(unit_c);
            if let Err(e) = KeyResultSpec::parse(&kr_title, &measure, baseline, target, &unit, weight) {
                bad.push(RowError { row: line, column: e.field.clone(), reason: e.message(lang) });
                continue;
            }
            let id = next_id;
            next_id -= 1;
            objectives[c].key_results.push(KeyResultDoc {
                id,
                title: kr_title,
                measure,
                baseline,
                target,
                current: None,
                unit,
                weight,
                owners: vec![],
            });
        }
        for (line, idx, title) in parents {
            let in_file = objectives.iter().find(|o| o.title == title).map(|o| o.id);
            let in_cycle = goals_now
                .objectives
                .iter()
                .find(|o| o.cycle_id == cycle && o.title == title && o.status != "archived")
                .map(|o| o.id);
            match in_file.or(in_cycle) {
                Some(p) => objectives[idx].parent = Some(p),
                None => bad.push(err(
                    line,
                    "parent",
                    ("上级目标不在表里，也不在这个周期里", "The parent is neither in the sheet nor in this cycle"),
                )),
            }
        }
        if !bad.is_empty() {
            bad.sort_by_key(|e| e.row);
            return Err(AppError::ImportRejected(bad));
        }
        if objectives.is_empty() {
            return Err(AppError::ImportRejected(vec![err(2, "", ("文件里没有数据行", "The file has no data rows"))]));
        }
        let doc = Document { format: FORMAT.into(), cycle: None, objectives, kpis: vec![], team_retros: vec![] };
        if dry_run {
            return Ok(ImportSummary {
                objectives: doc.objectives.len(),
                key_results: doc.objectives.iter().map(|o| o.key_results.len()).sum(),
                kpis: 0,
            });
        }
        self.import_cycle(a, cycle, &doc).await
    }
}
