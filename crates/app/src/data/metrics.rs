//! Metrics: named time series of business data. Points arrive in batches (push API now; files
//! and scheduled pulls later), are checked all before any is written, and are idempotent by
//! external id and by the batch's idempotency key. A key result or KPI bound to a metric takes
//! its value from the metric's points over its period, as a data check-in (or a KPI period
//! value) that names the metric as its source, in the same transaction as the points.

use crate::error::{AppError, Result, RowError};
use crate::org::owners::owner_of;
use crate::tracking::checkins::{Said, write_check_in};
use crate::{Actor, App, Change, record};
use serde::Serialize;
use std::collections::BTreeSet;
use std::collections::HashMap;
use tandem_domain::cycle::PeriodKind;
use tandem_domain::goal::Owner;
use tandem_domain::metric::{Aggregation, DataPoint};
use tandem_domain::policy::{self, Role};
use tandem_domain::text::Name;
use tandem_domain::{Invalid, Lang, Rule};
use tandem_store::metrics::{self, BindingRow, MetricRow, PointRow};

/// The most points one call may carry.
pub const MAX_BATCH: usize = 10_000;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MetricView {
    pub id: i64,
    pub name: String,
    pub unit: String,
    pub description: String,
    pub created_at: i64,
    /// The newest point's time (µs), if any.
    pub last_point_at: Option<i64>,
    /// What it feeds, as far as the caller may know: KPIs outside their circle are left out.
    pub bindings: Vec<BindingView>,
    /// The caller may read its points (a metric feeding a KPI is that KPI's data).
    pub readable: bool,
    /// The caller may bind a key result or KPI to it.
    pub bindable: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BindingView {
    pub metric: i64,
    /// `key_result` or `kpi`.
    pub subject_type: String,
    pub subject_id: i64,
    pub aggregation: String,
    pub stale_after_days: i64,
    /// No point has arrived for `stale_after_days`.
    pub stale: bool,
    /// The metric also feeds a KPI: a key result bound to it shows that KPI's data publicly
    /// (whoever bound it could see that KPI), and its page says so.
    pub also_feeds_kpi: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PointView {
    pub time: i64,
    pub value: f64,
    pub external_id: Option<String>,
    pub source: String,
    pub author: Option<i64>,
    pub received_at: i64,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct PushOutcome {
    pub inserted: i64,
    pub unchanged: i64,
    /// The batch's idempotency key was seen before: this is the first answer again.
    pub replayed: bool,
}

/// How checked points are written: under which batch key, from which source, by whom, and
/// whether a known point (same external id) with a new value is revised (scheduled pulls) or
/// left as it was (pushes and files).
pub(crate) struct Ingest<'a> {
    pub key: Option<&'a str>,
    pub source: &'a str,
    pub author: Option<i64>,
    pub revise: bool,
}

/// What a batch holds, as a hash of its checked points in order.
fn points_hash(points: &[DataPoint]) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for p in points {
        h.update(p.time.to_le_bytes());
        h.update(p.value.to_bits().to_le_bytes());
        let id = p.external_id.as_deref().unwrap_or_default();
        h.update([u8::from(p.external_id.is_some())]);
        h.update((id.len() as u64).to_le_bytes());
        h.update(id.as_bytes());
    }
    hex::encode(h.finalize())
}

/// One point as sent: any JSON, checked here so that every bad point is named.
pub fn parse_points(raw: &[serde_json::Value], lang: Lang) -> std::result::Result<Vec<DataPoint>, Vec<RowError>> {
    let mut ok = vec![];
    let mut bad = vec![];
    let mut first_of: HashMap<String, (usize, i64, f64)> = HashMap::new();
    let err = |i: usize, column: &str, (zh, en): (&str, &str)| RowError {
        row: i + 1,
        column: column.into(),
        reason: lang.pick(zh, en).into(),
    };
    for (i, p) in raw.iter().enumerate() {
        let time = match p.get("time").and_then(|t| t.as_str()) {
            Some(t) => match time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339) {
                Ok(t) => Some((t.unix_timestamp_nanos() / 1000) as i64),
                Err(_) => {
                    bad.push(err(
                        i,
                        "time",
                        (
                            "不是 RFC 3339 时间，例如 2026-11-20T08:00:00Z",
                            "not an RFC 3339 time, e.g. 2026-11-20T08:00:00Z",
                        ),
                    ));
                    None
                }
            },
            None => {
                bad.push(err(i, "time", ("缺少时间（RFC 3339）", "required (RFC 3339)")));
                None
            }
        };
        let value = match p.get("value").and_then(|v| v.as_f64()) {
            Some(v) if v.is_finite() => Some(v),
            _ => {
                bad.push(err(i, "value", ("不是数字", "not a number")));
                None
            }
        };
        let external = match p.get("external_id") {
            None | Some(serde_json::Value::Null) => Some(None),
            Some(serde_json::Value::String(s)) => Some(Some(s.as_str())),
            Some(_) => {
                bad.push(err(i, "external_id", ("必须是字符串", "not a string")));
                None
            }
        };
        if let (Some(t), Some(v), Some(x)) = (time, value, external) {
            match DataPoint::parse(t, v, x) {
                Ok(dp) => {
                    // One external id names one point: the same id with other data in one batch
                    // is a mistake at the source, not something to settle by keeping the first.
                    if let Some(id) = dp.external_id.clone() {
                        match first_of.get(&id) {
                            Some(&(row, time, value)) if (time, value) != (dp.time, dp.value) => {
                                // Each of the two rows names the other.
                                let clash = |here: usize, other: usize| RowError {
                                    row: here + 1,
                                    column: "external_id".into(),
                                    reason: match lang {
                                        Lang::Zh => {
                                            format!("外部编号“{id}”与第 {} 行相同，但时间或数值不同", other + 1)
                                        }
                                        Lang::En => format!(
                                            "external id “{id}” is also on row {} with another time or value",
                                            other + 1
                                        ),
                                    },
                                };
                                bad.push(clash(i, row));
                                bad.push(clash(row, i));
                                continue;
                            }
                            Some(_) => continue,
                            None => {
                                first_of.insert(id, (i, dp.time, dp.value));
                            }
                        }
                    }
                    ok.push(dp)
                }
                Err(e) => bad.push(RowError { row: i + 1, column: e.field.clone(), reason: e.message(lang) }),
            }
        }
    }
    bad.sort_by_key(|e| e.row);
    if bad.is_empty() { Ok(ok) } else { Err(bad) }
}

/// What a file of points holds once read: the points as the push API takes them, with the line
/// each came from, or every problem found.
#[derive(Debug, Clone, PartialEq)]
pub struct PointFile {
    pub points: Vec<serde_json::Value>,
    /// Whether the bytes were read as GBK (not UTF-8).
    pub gbk: bool,
}

/// [`read_points_csv`] off the async workers (see [`crate::cpu`]).
pub async fn read_points_off(bytes: &[u8], lang: Lang) -> Result<std::result::Result<PointFile, Vec<RowError>>> {
    let bytes = bytes.to_vec();
    crate::cpu::run(move || read_points_csv(&bytes, lang)).await
}

/// Reads a file of points: a header row naming `time` (时间), `value` (数值) and optionally
/// `external_id` (外部编号), as CSV in UTF-8 (with or without BOM) or GBK, or as an Excel
/// workbook (see `sheets`). Times may be RFC 3339,
/// `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DD` (UTC). Row numbers in errors are file lines.
pub fn read_points_csv(bytes: &[u8], lang: Lang) -> std::result::Result<PointFile, Vec<RowError>> {
    let table = crate::sheets::read_table(bytes, lang).map_err(|e| vec![e])?;
    let gbk = table.encoding == crate::sheets::Encoding::Gbk;
    let (Some(t_col), Some(v_col)) = (table.col(&["time", "时间"]), table.col(&["value", "数值", "值"])) else {
        let reason = lang.pick(
            "第一行须是表头，包含 time（时间）和 value（数值）列",
            "The first row must be a header with time and value columns",
        );
        return Err(vec![RowError { row: 1, column: String::new(), reason: reason.into() }]);
    };
    let x_col = table.col(&["external_id", "外部编号"]);
    let mut points = vec![];
    let mut bad = table.unreadable;
    for (line, rec) in table.rows {
        let time = normalise_time(rec.get(t_col).unwrap_or(""));
        let raw_value = rec.get(v_col).unwrap_or("").replace([',', '，'], "");
        let value =
            raw_value.parse::<f64>().map(serde_json::Value::from).unwrap_or(serde_json::Value::String(raw_value));
        let mut p = serde_json::json!({"time": time, "value": value});
        if let Some(x) = x_col.and_then(|c| rec.get(c)).filter(|x| !x.is_empty()) {
            p["external_id"] = x.into();
        }
        // Checked now, so that errors carry the file's line numbers.
        if let Err(errs) = parse_points(std::slice::from_ref(&p), lang) {
            bad.extend(errs.into_iter().map(|e| RowError { row: line, ..e }));
        }
        points.push(p);
    }
    if !bad.is_empty() {
        bad.sort_by_key(|e| e.row);
        return Err(bad);
    }
    if points.is_empty() {
        return Err(vec![RowError {
            row: 2,
            column: String::new(),
            reason: lang.pick("文件里没有数据行", "The file has no data rows").into(),
        }]);
    }
    Ok(PointFile { points, gbk })
}

/// A time as RFC 3339 when `parse_time_text` reads it; anything else as it was (and refused
/// with the push API's message).
fn normalise_time(s: &str) -> String {
    use time::format_description::well_known::Rfc3339;
    parse_time_text(s)
        .and_then(|us| time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| s.trim().to_string())
}

/// A time as spreadsheets, files and databases write it, as µs since 1970 (UTC unless the text
/// names an offset): RFC 3339; `YYYY-MM-DD`; `YYYY-MM-DD HH:MM[:SS[.fff]]` with an optional
/// offset (`Z`, `+08`, `+0800`, `+08:00`, as PostgreSQL writes `timestamptz` as text); or whole
/// seconds (ten digits or fewer) or milliseconds since 1970.
pub fn parse_time_text(s: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    let s = s.trim();
    if !s.is_ascii() || s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = s.parse().ok()?;
        return if s.len() <= 10 { n.checked_mul(1_000_000) } else { n.checked_mul(1_000) };
    }
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let mut t = String::with_capacity(40);
    t.push_str(&s[..10]);
    if s.len() == 10 {
        t.push_str("T00:00:00Z");
    } else {
        if !matches!(b[10], b' ' | b'T' | b't') {
            return None;
        }
        t.push('T');
        let rest = &s[11..];
        let (clock, off) = match rest.find(['Z', 'z', '+', '-']) {
            Some(i) => (rest[..i].trim(), rest[i..].trim()),
            None => (rest.trim(), ""),
        };
        match clock.len() {
            5 => {
                t.push_str(clock);
                t.push_str(":00");
            }
            n if n >= 8 => t.push_str(clock),
            _ => return None,
        }
        match off {
            "" | "Z" | "z" => t.push('Z'),
            o => {
                let digits: String = o[1..].chars().filter(|c| c.is_ascii_digit()).collect();
                t.push_str(&o[..1]);
                match digits.len() {
                    2 => {
                        t.push_str(&digits);
                        t.push_str(":00");
                    }
                    4 => {
                        t.push_str(&digits[..2]);
                        t.push(':');
                        t.push_str(&digits[2..]);
                    }
                    _ => return None,
                }
            }
        }
    }
    let dt = time::OffsetDateTime::parse(&t, &Rfc3339).ok()?;
    i64::try_from(dt.unix_timestamp_nanos() / 1000).ok()
}

fn may_manage(a: &Actor) -> bool {
    a.has(Role::Admin)
}

impl App {
    pub async fn create_metric(&self, a: &Actor, name: &str, unit: &str, description: &str) -> Result<MetricView> {
        if !may_manage(a) {
            return Err(AppError::Forbidden);
        }
        let name = Name::parse("name", name)?;
        let unit = unit.trim();
        if unit.chars().count() > 20 {
            return Err(Invalid::new("unit", Rule::TooLong { max: 20 }).into());
        }
        let description = crate::goals::objectives::long_text("description", description)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let row = MetricRow {
            tenant_id: a.tenant.0,
            id: tx.next_id().await?,
            name: name.as_str().into(),
            unit: unit.into(),
            description,
            created_by: Some(a.person.0),
            created_at: now,
        };
        metrics::insert_metric(&mut tx, &row).await.map_err(|e| match e {
            tandem_store::StoreError::Conflict => AppError::Conflict("duplicate"),
            e => e.into(),
        })?;
        let c = Change::create("metric", row.id, serde_json::json!({"name": row.name, "unit": row.unit}));
        record(&mut tx, Some(a), a.tenant.0, now, c).await?;
        tx.commit().await?;
        self.get_metric(a, row.id).await
    }

    /// The metric behind each of an objective's key results that has one: (key result, metric
    /// name, binding). Reads only those bindings, however many metrics the tenant has.
    pub async fn key_result_bindings(&self, a: &Actor, objective: i64) -> Result<Vec<(i64, String, BindingView)>> {
        let o = self.get_objective(a, objective).await?;
        let krs: Vec<i64> = o.key_results.iter().map(|k| k.id).collect();
        let t = a.tenant.0;
        let now = self.now();
        let mut out = vec![];
        for b in metrics::bindings_of_key_results(&self.db, t, &krs).await? {
            let Some(m) = metrics::get(&self.db, t, b.metric_id).await? else { continue };
            let (last, feeds) =
                tokio::try_join!(metrics::last_point_time(&self.db, t, m.id), metrics::feeds_a_kpi(&self.db, t, m.id))?;
            // Which KPIs it feeds is not the reader's business, only that it feeds one (a key
            // result's binding has no KPI of its own, so any id will do).
            let fed = feeds.then_some(0);
            out.push((b.subject_id, m.name, binding_view(&b, fed, last, now)));
        }
        Ok(out)
    }

    /// How many metrics the tenant has (to list them all, or offer a search).
    pub async fn metric_count(&self, a: &Actor) -> Result<usize> {
        Ok(metrics::count(&self.db, a.tenant.0).await? as usize)
    }

    /// Every metric of the tenant with its bindings (names and units are not private: anyone
    /// setting a goal may bind one; the points are business data, or a KPI's where the metric
    /// feeds one). A binding to a KPI the caller may not see is left out.
    pub async fn list_metrics(&self, a: &Actor) -> Result<Vec<MetricView>> {
        let (rows, last, bindings) = tokio::try_join!(
            metrics::list(&self.db, a.tenant.0),
            metrics::last_point_times(&self.db, a.tenant.0),
            metrics::bindings(&self.db, a.tenant.0)
        )?;
        let org = self.org_snapshot(a.tenant.0).await?;
        let feeds = self.kpi_feeds(a.tenant.0, &bindings).await?;
        let now = self.now();
        // By metric: a tenant may have thousands.
        let last: std::collections::HashMap<i64, i64> = last.into_iter().collect();
        let mut bound: std::collections::HashMap<i64, Vec<&BindingRow>> = std::collections::HashMap::new();
        for b in &bindings {
            bound.entry(b.metric_id).or_default().push(b);
        }
        Ok(rows
            .into_iter()
            .map(|m| {
                let last_point_at = last.get(&m.id).copied();
                let fed = feeds.get(&m.id).map(Vec::as_slice).unwrap_or_default();
                let owners: Vec<Owner> = fed.iter().map(|(_, o)| *o).collect();
                MetricView {
                    bindings: bound
                        .get(&m.id)
                        .into_iter()
                        .flatten()
                        .copied()
                        .filter(|b| {
                            b.subject_type != "kpi"
                                || fed.iter().any(|(k, o)| *k == b.subject_id && policy::may_see_kpi(a, *o, &org.tree))
                        })
                        .map(|b| binding_view(b, fed.iter().map(|(k, _)| *k), last_point_at, now))
                        .collect(),
                    readable: policy::may_read_metric(a, &owners, &org.tree),
                    bindable: policy::may_bind_metric(a, &owners, &org.tree),
                    id: m.id,
                    name: m.name,
                    unit: m.unit,
                    description: m.description,
                    created_at: m.created_at,
                    last_point_at,
                }
            })
            .collect())
    }

    /// The KPIs each metric feeds (metric → KPI ids and owners), from its bindings.
    async fn kpi_feeds(&self, tenant: i64, bindings: &[BindingRow]) -> Result<HashMap<i64, Vec<(i64, Owner)>>> {
        let mut out: HashMap<i64, Vec<(i64, Owner)>> = HashMap::new();
        if !bindings.iter().any(|b| b.subject_type == "kpi") {
            return Ok(out);
        }
        let snap = self.kpi_snapshot(tenant).await?;
        for b in bindings.iter().filter(|b| b.subject_type == "kpi") {
            if let Some(k) = snap.kpi(b.subject_id) {
                out.entry(b.metric_id).or_default().push((k.id, owner_of(&k.owner_type, k.owner_id)));
            }
        }
        Ok(out)
    }

    /// The owners of the KPIs `metric` feeds, but for the KPI `except` (the one being bound).
    async fn kpi_owners_fed_by(&self, tenant: i64, metric: i64, except: Option<i64>) -> Result<Vec<Owner>> {
        let bindings = metrics::bindings(&self.db, tenant).await?;
        let mine: Vec<BindingRow> = bindings.into_iter().filter(|b| b.metric_id == metric).collect();
        Ok(self
            .kpi_feeds(tenant, &mine)
            .await?
            .remove(&metric)
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| Some(*k) != except)
            .map(|(_, o)| o)
            .collect())
    }

    pub async fn get_metric(&self, a: &Actor, id: i64) -> Result<MetricView> {
        self.list_metrics(a).await?.into_iter().find(|m| m.id == id).ok_or(AppError::NotFound)
    }

    /// The newest points of a metric (admins and HR; anyone else where the metric feeds no KPI
    /// outside their circle), with how many it holds.
    pub async fn metric_points(&self, a: &Actor, id: i64, limit: i64) -> Result<(Vec<PointView>, i64)> {
        metrics::get(&self.db, a.tenant.0, id).await?.ok_or(AppError::NotFound)?;
        let (owners, org) =
            tokio::try_join!(self.kpi_owners_fed_by(a.tenant.0, id, None), self.org_snapshot(a.tenant.0))?;
        if !policy::may_read_metric(a, &owners, &org.tree) {
            return Err(AppError::Refused("metric_private"));
        }
        let (rows, total) = metrics::latest_points(&self.db, a.tenant.0, id, limit.clamp(1, MAX_BATCH as i64)).await?;
        Ok((
            rows.into_iter()
                .map(|p| PointView {
                    time: p.at,
                    value: p.value,
                    external_id: p.external_id,
                    source: p.source,
                    author: p.author_id,
                    received_at: p.created_at,
                })
                .collect(),
            total,
        ))
    }

    /// Takes a batch of points: all are checked before any is written; a point whose external
    /// id the metric holds already changes nothing; a batch whose idempotency key was seen gets
    /// the first answer again and writes nothing. Bound key results and KPIs move in the same
    /// transaction.
    pub async fn push_points(
        &self,
        a: &Actor,
        metric: i64,
        raw: &[serde_json::Value],
        idempotency_key: Option<&str>,
        source: &str,
        lang: Lang,
    ) -> Result<PushOutcome> {
        let m = metrics::get(&self.db, a.tenant.0, metric).await?.ok_or(AppError::NotFound)?;
        if !may_manage(a) {
            return Err(AppError::Forbidden);
        }
        if raw.len() > MAX_BATCH {
            return Err(Invalid::new("points", Rule::OutOfRange { min: 1.0, max: MAX_BATCH as f64 }).into());
        }
        let key = idempotency_key.map(str::trim).filter(|k| !k.is_empty());
        if key.is_some_and(|k| k.len() > 200) {
            return Err(Invalid::new("Idempotency-Key", Rule::TooLong { max: 200 }).into());
        }
        if raw.is_empty() {
            return Err(Invalid::new("points", Rule::Required).into());
        }
        let points = parse_points(raw, lang).map_err(AppError::ImportRejected)?;
        let how = Ingest { key, source, author: Some(a.person.0), revise: false };
        self.ingest(a, &m, &points, how).await
    }

    /// Writes checked points and moves what is bound to the metric, in one transaction.
    pub(crate) async fn ingest(
        &self,
        a: &Actor,
        m: &MetricRow,
        points: &[DataPoint],
        how: Ingest<'_>,
    ) -> Result<PushOutcome> {
        let Ingest { key, source, author, revise } = how;
        let metric = m.id;
        let now = self.now();
        let live = self.goal_write();
        let mut tx = self.db.begin().await?;
        let hash = points_hash(points);
        if let Some(k) = key
            && let Some((inserted, unchanged, seen)) = metrics::batch_in(&mut tx, a.tenant.0, metric, k).await?
        {
            if seen.is_some_and(|h| h != hash) {
                return Err(AppError::Conflict("idempotency_key_reused"));
            }
            return Ok(PushOutcome { inserted, unchanged, replayed: true });
        }
        let mut rows = Vec::with_capacity(points.len());
        for p in points {
            rows.push(PointRow {
                tenant_id: a.tenant.0,
                id: tx.next_id().await?,
                metric_id: m.id,
                at: p.time,
                value: p.value,
                external_id: p.external_id.clone(),
                source: source.into(),
                author_id: author,
                created_at: now,
            });
        }
        let inserted = if revise {
            metrics::upsert_points(&mut tx, &rows).await? as i64
        } else {
            metrics::insert_points(&mut tx, &rows).await? as i64
        };
        let answer = PushOutcome { inserted, unchanged: rows.len() as i64 - inserted, replayed: false };
        if let Some(k) = key {
            metrics::insert_batch(&mut tx, a.tenant.0, metric, k, &hash, (answer.inserted, answer.unchanged), now)
                .await?;
        }
        let mut moved = None;
        if inserted > 0 {
            let times: Vec<i64> = rows.iter().map(|p| p.at).collect();
            let which = Which { metric: m.id, subject: None };
            moved = self.apply_bindings(&mut tx, a, which, &times, now).await?;
        }
        tx.commit().await?;
        if let Some((version, writes)) = moved {
            live.apply(a.tenant.0, version, writes);
        }
        Ok(answer)
    }

    /// Imports a CSV file of points (see `read_points_csv`): all rows or none; the same file
    /// again changes nothing (its hash is the batch's idempotency key).
    pub async fn import_points_csv(
        &self,
        a: &Actor,
        metric: i64,
        file_name: &str,
        bytes: &[u8],
        lang: Lang,
    ) -> Result<PushOutcome> {
        metrics::get(&self.db, a.tenant.0, metric).await?.ok_or(AppError::NotFound)?;
        if !may_manage(a) {
            return Err(AppError::Forbidden);
        }
        let file = read_points_off(bytes, lang).await?.map_err(AppError::ImportRejected)?;
        use sha2::Digest;
        let key = format!("file:{}", hex::encode(sha2::Sha256::digest(bytes)));
        let name: String = file_name.chars().filter(|c| !c.is_control()).take(100).collect();
        let source = format!("file:{}", if name.is_empty() { "upload.csv" } else { &name });
        let out = self.push_points(a, metric, &file.points, Some(&key), &source, lang).await?;
        // The same file again: nothing was written this time.
        Ok(if out.replayed {
            PushOutcome { inserted: 0, unchanged: file.points.len() as i64, replayed: true }
        } else {
            out
        })
    }

    /// Brings the subjects bound to a metric in line with its points, for the periods the new
    /// points fall in (every subject, or only the one just bound). When a key result moved, the
    /// goals version is bumped and the answer is that version with the key results' changes, for
    /// the live projection once the write commits.
    async fn apply_bindings(
        &self,
        tx: &mut tandem_store::Tx,
        a: &Actor,
        which: Which<'_>,
        times: &[i64],
        now: i64,
    ) -> Result<Option<(i64, Vec<crate::goals::projection::KrWrite>)>> {
        let mut moved = vec![];
        let metric = which.metric;
        for b in metrics::bindings_of_metric_in(tx, a.tenant.0, metric).await? {
            if which.subject.is_some_and(|(t, id)| b.subject_type != t || b.subject_id != id) {
                continue;
            }
            let agg = aggregation(&b.aggregation)?;
            match b.subject_type.as_str() {
                "key_result" => {
                    // What the binding needs of the goals, read under the projection's read lock
                    // and let go before the next await (nothing of the tenant is copied).
                    let found = {
                        let goals_now = self.live_goals(a.tenant.0).await?;
                        goals_now.key_result(b.subject_id).and_then(|k| {
                            let o = goals_now.objective(k.objective_id)?;
                            // The span's end is the cycle's last microsecond: the window ends
                            // just after it, at a midnight (read from the day summaries).
                            let &(start, last) = goals_now.spans.get(&o.cycle_id)?;
                            let end = last.saturating_add(1);
                            let owners: Vec<(String, i64, f64)> = goals_now
                                .owners_of_kr(k.id)
                                .map(|w| (w.owner_type.clone(), w.owner_id, w.weight))
                                .collect();
                            Some((k.id, start, end, owners))
                        })
                    };
                    let Some((kr, start, end, owners)) = found else { continue };
                    if !times.iter().any(|t| (start..end).contains(t)) {
                        continue;
                    }
                    let summary = metrics::summary_between_in(tx, a.tenant.0, metric, start, end).await?;
                    let Some(value) = summary.map(|s| agg.reduce(&s)) else { continue };
                    let current = tandem_store::goals::key_result_in(tx, a.tenant.0, kr).await?.map(|k| k.current);
                    if current.is_some_and(|c| c == value) {
                        continue;
                    }
                    moved.push(write_check_in(tx, a, kr, &owners, Said::Data { value, metric }, now).await?.1);
                }
                "kpi" => {
                    let Some(k) = tandem_store::goals::kpi_in(tx, a.tenant.0, b.subject_id).await? else { continue };
                    let Ok(g) = PeriodKind::parse("granularity", &k.granularity) else { continue };
                    let periods: BTreeSet<String> =
                        times.iter().filter_map(|t| tandem_domain::kpi::period_of(g, date_of(*t))).collect();
                    for period in periods {
                        let Some((from, to)) = tandem_domain::kpi::period_range(g, &period) else { continue };
                        let (from, to) = (day_us(from), day_us(to));
                        let summary = metrics::summary_between_in(tx, a.tenant.0, metric, from, to).await?;
                        let Some(value) = summary.map(|s| agg.reduce(&s)) else { continue };
                        let source = format!("metric:{metric}");
                        crate::kpis::values::write_kpi_value(tx, a, k.id, &period, value, &source, now).await?;
                    }
                }
                _ => {}
            }
        }
        if moved.is_empty() {
            return Ok(None);
        }
        Ok(Some((tandem_store::goals::bump_version(tx, a.tenant.0).await?, moved)))
    }

    /// Binds a key result (by its objective's editors) or a KPI (by those who report its
    /// numbers) to a metric, and takes the value the metric's points give right away.
    pub async fn bind_metric(
        &self,
        a: &Actor,
        subject_type: &str,
        subject_id: i64,
        metric: i64,
        aggregation_name: &str,
        stale_after_days: Option<i64>,
    ) -> Result<BindingView> {
        let agg = aggregation(aggregation_name)?;
        let stale_after_days = stale_after_days.unwrap_or(7);
        if !(1..=366).contains(&stale_after_days) {
            return Err(Invalid::new("stale_after_days", Rule::OutOfRange { min: 1.0, max: 366.0 }).into());
        }
        metrics::get(&self.db, a.tenant.0, metric).await?.ok_or(AppError::NotFound)?;
        self.may_bind(a, subject_type, subject_id).await?;
        let except = (subject_type == "kpi").then_some(subject_id);
        let (owners, org) =
            tokio::try_join!(self.kpi_owners_fed_by(a.tenant.0, metric, except), self.org_snapshot(a.tenant.0))?;
        if !policy::may_bind_metric(a, &owners, &org.tree) {
            return Err(AppError::Refused("metric_private"));
        }
        let now = self.now();
        let live = self.goal_write();
        let mut tx = self.db.begin().await?;
        let row = BindingRow {
            tenant_id: a.tenant.0,
            id: tx.next_id().await?,
            metric_id: metric,
            subject_type: subject_type.into(),
            subject_id,
            aggregation: aggregation_name.into(),
            stale_after_days,
            created_by: Some(a.person.0),
            created_at: now,
        };
        metrics::upsert_binding(&mut tx, &row).await?;
        let what = serde_json::json!({"metric": metric, "aggregation": agg, "subject_type": subject_type, "subject_id": subject_id});
        record(&mut tx, Some(a), a.tenant.0, now, Change::create("metric_binding", row.id, what)).await?;
        // Take what the points already say: every time the metric holds counts.
        let pts = metrics::points_between_in(&mut tx, a.tenant.0, metric, i64::MIN, i64::MAX).await?;
        let times: Vec<i64> = pts.iter().map(|p| p.at).collect();
        // Only the subject just bound: others bound to the metric stay as they are.
        let which = Which { metric, subject: Some((subject_type, subject_id)) };
        let moved = self.apply_bindings(&mut tx, a, which, &times, now).await?;
        tx.commit().await?;
        if let Some((version, writes)) = moved {
            live.apply(a.tenant.0, version, writes);
        }
        self.list_metrics(a)
            .await?
            .into_iter()
            .flat_map(|m| m.bindings)
            .find(|b| b.subject_type == subject_type && b.subject_id == subject_id)
            .ok_or(AppError::NotFound)
    }

    pub async fn unbind_metric(&self, a: &Actor, subject_type: &str, subject_id: i64) -> Result<()> {
        self.may_bind(a, subject_type, subject_id).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !metrics::delete_binding(&mut tx, a.tenant.0, subject_type, subject_id).await? {
            return Err(AppError::NotFound);
        }
        let mut c = Change::create(
            "metric_binding",
            subject_id,
            serde_json::json!({"subject_type": subject_type, "subject_id": subject_id}),
        );
        c.action = "delete";
        record(&mut tx, Some(a), a.tenant.0, now, c).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The binding of a key result or KPI, if it has one (visible to whoever sees the subject).
    pub async fn binding_of(&self, a: &Actor, subject_type: &str, subject_id: i64) -> Result<Option<BindingView>> {
        match subject_type {
            "key_result" => {
                self.get_key_result(a, subject_id).await?;
            }
            _ => {
                self.get_kpi(a, subject_id).await?;
            }
        }
        Ok(self
            .list_metrics(a)
            .await?
            .into_iter()
            .flat_map(|m| m.bindings)
            .find(|b| b.subject_type == subject_type && b.subject_id == subject_id))
    }

    async fn may_bind(&self, a: &Actor, subject_type: &str, subject_id: i64) -> Result<()> {
        match subject_type {
            "key_result" => {
                let k = self.get_key_result(a, subject_id).await?;
                let o = self.get_objective(a, k.objective).await?;
                if !o.can_edit {
                    return Err(AppError::Forbidden);
                }
            }
            "kpi" => {
                let k = self.get_kpi(a, subject_id).await?;
                let org = self.org_snapshot(a.tenant.0).await?;
                if !tandem_domain::policy::may_edit_kpi(a, k.owner, &org.tree) {
                    return Err(AppError::Forbidden);
                }
            }
            _ => return Err(Invalid::new("subject_type", Rule::OneOf(&["key_result", "kpi"])).into()),
        }
        Ok(())
    }
}

/// Which bindings to bring in line: those of `metric`, or only `subject`'s.
#[derive(Clone, Copy)]
struct Which<'a> {
    metric: i64,
    subject: Option<(&'a str, i64)>,
}

fn aggregation(name: &str) -> Result<Aggregation> {
    Ok(match name {
        "latest" => Aggregation::Latest,
        "sum" => Aggregation::Sum,
        "mean" => Aggregation::Mean,
        "min" => Aggregation::Min,
        "max" => Aggregation::Max,
        "count" => Aggregation::Count,
        _ => {
            return Err(
                Invalid::new("aggregation", Rule::OneOf(&["latest", "sum", "mean", "min", "max", "count"])).into()
            );
        }
    })
}

/// `fed`: the KPIs its metric feeds.
fn binding_view(
    b: &BindingRow,
    fed: impl IntoIterator<Item = i64>,
    last_point_at: Option<i64>,
    now: i64,
) -> BindingView {
    let window = b.stale_after_days * 86_400_000_000;
    let this_kpi = (b.subject_type == "kpi").then_some(b.subject_id);
    let also_feeds_kpi = fed.into_iter().any(|k| Some(k) != this_kpi);
    BindingView {
        metric: b.metric_id,
        subject_type: b.subject_type.clone(),
        subject_id: b.subject_id,
        aggregation: b.aggregation.clone(),
        stale_after_days: b.stale_after_days,
        stale: last_point_at.is_none_or(|t| now - t > window),
        also_feeds_kpi,
    }
}

fn date_of(us: i64) -> time::Date {
    time::OffsetDateTime::from_unix_timestamp(us.div_euclid(1_000_000)).map(|t| t.date()).unwrap_or(time::Date::MIN)
}

fn day_us(d: time::Date) -> i64 {
    d.midnight().assume_utc().unix_timestamp() * 1_000_000
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times_as_sources_write_them() {
        let day = 1_793_491_200_000_000; // 2026-11-01T00:00:00Z
        for (text, want) in [
            ("2026-11-01", Some(day)),
            ("2026-11-01T00:00:00Z", Some(day)),
            ("2026-11-01 00:00:00", Some(day)),
            ("2026-11-01 08:00", Some(day + 8 * 3_600_000_000)),
            ("2026-11-01 08:00:00+08", Some(day)),
            ("2026-11-01 08:00:00+0800", Some(day)),
            ("2026-11-01T08:00:00+08:00", Some(day)),
            ("2026-10-31 23:00:00-01", Some(day)),
            ("2026-11-01 00:00:00.5+00", Some(day + 500_000)),
            ("1793491200", Some(day)),
            ("1793491200000", Some(day)),
            ("", None),
            ("yesterday", None),
            ("2026-13-01", None),
            ("2026-11-01 8", None),
            ("二〇二六-11-01", None),
            ("2026-11-01 08:00:00+8", None),
        ] {
            assert_eq!(parse_time_text(text), want, "{text}");
        }
    }

    #[test]
    fn csv_files_in_utf8_and_gbk_with_line_numbers() {
        let utf8 =
            "时间,数值,外部编号\n2026-11-20,3.5,a\n2026-11-20 08:30,\"1,200\",b\n\n2026-11-21T08:00:00+08:00,2,\n";
        let f = read_points_csv(utf8.as_bytes(), Lang::Zh).expect("read");
        assert_eq!(f.points.len(), 3, "blank lines are skipped");
        assert!(!f.gbk);
        assert_eq!(f.points[1]["value"], 1200.0);
        assert_eq!(f.points[1]["time"], "2026-11-20T08:30:00Z");
        assert!(f.points[2].get("external_id").is_none());
        let (gbk, _, _) = encoding_rs::GBK.encode("时间,数值\n2026-11-20,3\n");
        let f = read_points_csv(&gbk, Lang::Zh).expect("gbk");
        assert!(f.gbk);
        assert_eq!(f.points.len(), 1);
        let bad = read_points_csv(b"time,value\n2026-11-20,3\nyesterday,x\n", Lang::En).expect_err("bad");
        let named: Vec<(usize, &str)> = bad.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(named, vec![(3, "time"), (3, "value")], "file lines, header is line 1");
        assert_eq!(read_points_csv(b"when,how much\n1,2\n", Lang::En).expect_err("no header")[0].row, 1);
        assert!(read_points_csv(b"time,value\n", Lang::En).is_err(), "no rows");
    }

    #[test]
    fn one_external_id_names_one_point() {
        let raw = vec![
            serde_json::json!({"time": "2026-11-01T00:00:00Z", "value": 1.0, "external_id": "a"}),
            serde_json::json!({"time": "2026-11-01T00:00:00Z", "value": 1.0, "external_id": "a"}),
            serde_json::json!({"time": "2026-11-02T00:00:00Z", "value": 2.0, "external_id": "b"}),
            serde_json::json!({"time": "2026-11-02T00:00:00Z", "value": 9.0, "external_id": "b"}),
        ];
        let errs = parse_points(&raw, Lang::En).unwrap_err();
        let named: Vec<(usize, &str)> = errs.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(named, vec![(3, "external_id"), (4, "external_id")], "both rows of the clash");
        assert!(errs[0].reason.contains("row 4") && errs[1].reason.contains("row 3"));
        assert_eq!(parse_points(&raw[..2], Lang::En).unwrap().len(), 1, "the same point twice is one point");
    }

    #[test]
    fn every_bad_point_is_named() {
        let raw = vec![
            json!({"time": "2026-11-20T08:00:00Z", "value": 3.5, "external_id": "a"}),
            json!({"time": "not a time", "value": "abc"}),
            json!({"value": 1}),
            json!({"time": "2026-11-20T08:00:00+08:00", "value": 1, "external_id": 7}),
        ];
        let bad = parse_points(&raw, Lang::En).expect_err("rejected");
        let named: Vec<(usize, &str)> = bad.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(named, vec![(2, "time"), (2, "value"), (3, "time"), (4, "external_id")]);
        let ok = parse_points(&raw[..1], Lang::Zh).expect("accepted");
        assert_eq!(ok[0].time, 1_795_161_600_000_000);
        assert_eq!(ok[0].external_id.as_deref(), Some("a"));
    }
}
