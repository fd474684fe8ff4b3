//! Scheduled pulls: a connector reads a business database (one read-only SQL query returning
//! `time` and `value`) or an HTTP JSON endpoint (values picked by paths) into a metric, on a
//! cron schedule (UTC), under a timeout. Only admins manage connectors. The connection string
//! or credential is sealed at rest and never shown again. Every run is logged with what it
//! fetched and wrote, or why it failed; the connector shows its last status to the admin.
//!
//! Pulled points are keyed by connector and time: the same rows again change nothing, and a
//! source that corrects a day it reported before revises that point (unlike pushes, which keep
//! the first value). With several servers on one database, each scheduled time is claimed by
//! exactly one of them (see `tandem_store::connectors::claim`).

use crate::data::metrics::{Ingest, PushOutcome, parse_time_text};
use crate::error::{AppError, Result, RowError};
use crate::secrets::SecretBox;
use crate::{Actor, App, Change, record};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;
use tandem_domain::metric::DataPoint;
use tandem_domain::policy::Role;
use tandem_domain::text::Name;
use tandem_domain::zone::Zone;
use tandem_domain::{Invalid, Lang, Rule};
use tandem_store::connectors::{self, Claim, ConnectorRow, RunRow};
use tandem_store::foreign::{self, SourceEngine, SourceError};

/// The most rows one run may bring (as many as one push).
pub const MAX_ROWS: usize = crate::data::metrics::MAX_BATCH;
/// The most bytes an HTTP source may answer with.
const MAX_BODY: usize = 8 * 1024 * 1024;
const KINDS: &[&str] = &["sql", "http"];

/// What may be read, besides the schedule and the admin's rights: SQLite files only inside
/// `sqlite_root`, and never Tandem's own database.
#[derive(Debug, Clone, Default)]
pub struct SourcePolicy {
    pub sqlite_root: Option<PathBuf>,
    /// Tandem's own database URL (PostgreSQL), which no connector may read.
    pub own_database: Option<String>,
    /// Tandem's own SQLite file, which no connector may read under any name (a hard link or a
    /// symbolic link to it inside the sources folder is the same file).
    pub own_sqlite: Option<PathBuf>,
}

/// A file's identity on its device, whatever path names it.
#[cfg(unix)]
fn file_identity(p: &std::path::Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_identity(p: &std::path::Path) -> Option<std::path::PathBuf> {
    p.canonicalize().ok()
}

/// What is not secret about a connector.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceConfig {
    /// SQL: one SELECT returning `time` and `value` columns, one row per time.
    #[serde(default)]
    pub query: String,
    /// HTTP: the JSON endpoint (GET).
    #[serde(default)]
    pub url: String,
    /// HTTP: dotted path to the list of items (or to one item); empty for the whole answer.
    #[serde(default)]
    pub items_path: String,
    /// HTTP: path in each item to its time; empty: the time of the run.
    #[serde(default)]
    pub time_path: String,
    /// HTTP: path in each item to its value; empty: the item itself.
    #[serde(default)]
    pub value_path: String,
}

/// A connector as an admin writes it. `secret` is the connection string (SQL) or a credential
/// sent as a header (HTTP: `Header-Name: value`, or a bare token sent as a bearer token); left
/// out on a change, the stored one stays.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewConnector {
    pub name: String,
    pub kind: String,
    pub metric_id: i64,
    pub schedule: String,
    pub timeout_secs: Option<i64>,
    pub secret: Option<String>,
    #[serde(flatten)]
    pub config: SourceConfig,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConnectorView {
    pub id: i64,
    pub name: String,
    pub kind: String,
    /// SQL: postgres, mysql or sqlite.
    pub engine: String,
    pub metric_id: i64,
    pub schedule: String,
    pub timeout_secs: i64,
    pub active: bool,
    /// Whether a secret is stored (it is never shown).
    pub has_secret: bool,
    #[serde(flatten)]
    pub config: SourceConfig,
    pub next_run_at: Option<i64>,
    pub last_run_at: Option<i64>,
    /// ``(never ran), `ok` or `failed`.
    pub last_status: String,
    pub last_error: String,
    pub running: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunView {
    pub id: i64,
    /// `schedule` or `manual`.
    pub cause: String,
    pub scheduled_for: Option<i64>,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// `running`, `ok`, `failed` or `abandoned`.
    pub status: String,
    pub fetched: i64,
    pub inserted: i64,
    pub error: String,
}

/// What "test now" found: the values it would write (the newest 20), how many, or why it could
/// not read them. Nothing is written.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TestOutcome {
    pub ok: bool,
    pub total: usize,
    pub sample: Vec<SampleRow>,
    pub error: String,
    pub row_errors: Vec<RowError>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SampleRow {
    pub time: i64,
    pub value: f64,
}

/// The next time after `after_us` (µs) that a five-field cron schedule names, read in `zone`
/// (the tenant's local time).
pub fn next_run(schedule: &str, after_us: i64, zone: Zone) -> Option<i64> {
    let cron = parse_schedule(schedule)?;
    next_of(&cron, after_us, zone)
}

fn parse_schedule(schedule: &str) -> Option<croner::Cron> {
    let s = schedule.trim();
    // Minutes at the finest: five fields, or an alias such as @daily.
    if !(s.starts_with('@') || s.split_whitespace().count() == 5) {
        return None;
    }
    croner::Cron::from_str(s).ok()
}

fn next_of(cron: &croner::Cron, after_us: i64, zone: Zone) -> Option<i64> {
    use chrono::TimeZone;
    let secs = after_us.div_euclid(1_000_000);
    let nanos = (after_us.rem_euclid(1_000_000) * 1000) as u32;
    let t = zone.tz().timestamp_opt(secs, nanos).single()?;
    let next = cron.find_next_occurrence(&t, false).ok()?;
    Some(next.timestamp() * 1_000_000 + i64::from(next.timestamp_subsec_micros()))
}

/// The value at a dotted path (`data.rows`, `result.0.value`); empty is the whole value.
pub fn pick<'a>(v: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    let path = path.trim().trim_start_matches("$.").trim_start_matches('$');
    if path.is_empty() {
        return Some(v);
    }
    path.split('.').try_fold(v, |cur, seg| match cur {
        serde_json::Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
        serde_json::Value::Object(o) => o.get(seg),
        _ => None,
    })
}

/// One fetched row, before it is checked: the time and value as the source gave them.
#[derive(Debug, Clone, PartialEq)]
struct RawRow {
    time: Option<RawTime>,
    value: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
enum RawTime {
    /// As the source wrote it (see `parse_time_text`).
    Text(String),
    /// The time of the run (µs), for sources that give none.
    Run(i64),
}

/// The rows an HTTP JSON answer holds by the connector's paths. A number time is seconds (or
/// milliseconds) since 1970; no time path means the time of the run.
fn rows_from_json(
    doc: &serde_json::Value,
    c: &SourceConfig,
    now_us: i64,
    lang: Lang,
) -> std::result::Result<Vec<RawRow>, String> {
    let items = pick(doc, &c.items_path).ok_or_else(|| {
        let (zh, en) = (
            format!("接口返回的内容里没有“{}”", c.items_path),
            format!("the answer has nothing at “{}”", c.items_path),
        );
        lang.pick(&zh, &en).to_string()
    })?;
    let list: Vec<&serde_json::Value> = match items {
        serde_json::Value::Array(a) => a.iter().collect(),
        one => vec![one],
    };
    Ok(list
        .into_iter()
        .map(|item| {
            let time = if c.time_path.trim().is_empty() {
                Some(RawTime::Run(now_us))
            } else {
                pick(item, &c.time_path).and_then(|t| match t {
                    serde_json::Value::String(s) => Some(RawTime::Text(s.clone())),
                    serde_json::Value::Number(n) => Some(RawTime::Text(n.to_string())),
                    _ => None,
                })
            };
            let value = pick(item, &c.value_path).and_then(|v| match v {
                serde_json::Value::Number(n) => n.as_f64(),
                serde_json::Value::String(s) => s.trim().replace([',', '，'], "").parse().ok(),
                _ => None,
            });
            RawRow { time, value }
        })
        .collect())
}

/// Checks fetched rows into points keyed by connector and time. Every bad row is named (rows
/// count from 1), and two rows for one time are refused: the query should sum them.
fn check_rows(connector: i64, rows: &[RawRow], lang: Lang) -> std::result::Result<Vec<DataPoint>, Vec<RowError>> {
    let mut ok = Vec::with_capacity(rows.len());
    let mut bad = vec![];
    let mut seen = std::collections::HashMap::new();
    let err = |i: usize, column: &str, (zh, en): (&str, &str)| RowError {
        row: i + 1,
        column: column.into(),
        reason: lang.pick(zh, en).into(),
    };
    for (i, r) in rows.iter().enumerate() {
        let time = match &r.time {
            Some(RawTime::Run(at)) => Some(*at),
            Some(RawTime::Text(t)) => parse_time_text(t),
            None => None,
        };
        let Some(time) = time else {
            bad.push(err(
                i,
                "time",
                (
                    "时间为空或无法识别（例如 2026-11-20 或 2026-11-20 08:00:00）",
                    "no time, or not one (e.g. 2026-11-20 or 2026-11-20 08:00:00)",
                ),
            ));
            continue;
        };
        let Some(value) = r.value.filter(|v| v.is_finite()) else {
            bad.push(err(i, "value", ("数值为空或不是数字", "no value, or not a number")));
            continue;
        };
        if let Some(first) = seen.insert(time, i + 1) {
            let (zh, en) = (
                format!("与第 {first} 行时间相同：请在查询里按时间汇总（每个时间一行）"),
                format!("same time as row {first}: sum by time in the query (one row per time)"),
            );
            bad.push(RowError { row: i + 1, column: "time".into(), reason: lang.pick(&zh, &en).into() });
            continue;
        }
        ok.push(DataPoint { time, value, external_id: Some(format!("pull:{connector}:{time}")) });
    }
    if bad.is_empty() { Ok(ok) } else { Err(bad) }
}

fn view(r: &ConnectorRow, now: i64) -> ConnectorView {
    ConnectorView {
        id: r.id,
        name: r.name.clone(),
        kind: r.kind.clone(),
        engine: r.engine.clone(),
        metric_id: r.metric_id,
        schedule: r.schedule.clone(),
        timeout_secs: r.timeout_ms / 1000,
        active: r.active == 1,
        has_secret: !r.secret_enc.is_empty(),
        config: serde_json::from_str(&r.config).unwrap_or_default(),
        next_run_at: r.next_run_at,
        last_run_at: r.last_run_at,
        last_status: r.last_status.clone(),
        last_error: r.last_error.clone(),
        running: r.lease_until.is_some_and(|l| l >= now),
    }
}

fn run_view(r: RunRow) -> RunView {
    RunView {
        id: r.id,
        cause: r.cause,
        scheduled_for: r.scheduled_for,
        started_at: r.started_at,
        finished_at: r.finished_at,
        status: r.status,
        fetched: r.fetched,
        inserted: r.inserted,
        error: r.error,
    }
}

fn owner_of(tenant: i64, id: i64) -> String {
    format!("connector:{tenant}:{id}")
}

impl App {
    /// Whether a database server's address is one Tandem may connect to (see `outbound`). The
    /// driver resolves the name again when it connects; the window between is the DNS answer's.
    async fn server_reachable(
        &self,
        dsn: &str,
        engine: SourceEngine,
    ) -> std::result::Result<(), crate::outbound::Refused> {
        if engine == SourceEngine::Sqlite {
            return Ok(());
        }
        let Some((host, port, _)) = server_identity(dsn) else { return Err(crate::outbound::Refused::BadUrl) };
        self.outbound.resolve(&host, port).await.map(|_| ())
    }
}

/// Host, port and database of a server URL (`scheme://user:pw@host:port/db?…`), to tell
/// whether two URLs name one database.
fn server_identity(url: &str) -> Option<(String, u16, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let rest = rest.rsplit_once('@').map(|(_, r)| r).unwrap_or(rest);
    let (hostport, db) = rest.split_once('/').unwrap_or((rest, ""));
    let db = db.split('?').next().unwrap_or("").to_string();
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().ok()?),
        None => (hostport, if scheme.starts_with("postgres") { 5432 } else { 3306 }),
    };
    let host = match host.to_ascii_lowercase().as_str() {
        "localhost" | "::1" | "[::1]" | "" => "127.0.0.1".to_string(),
        h => h.to_string(),
    };
    Some((host, port, db))
}

fn sqlite_path(url: &str) -> PathBuf {
    let p = url.split_once("://").map(|(_, p)| p).unwrap_or("");
    PathBuf::from(p.split('?').next().unwrap_or(""))
}

impl SourcePolicy {
    fn allows(&self, secret: &str, engine: SourceEngine) -> bool {
        match engine {
            SourceEngine::Sqlite => {
                let Some(root) = self.sqlite_root.as_deref().and_then(|r| r.canonicalize().ok()) else { return false };
                let path = sqlite_path(secret);
                // A file that does not exist yet is judged by its folder.
                let full = path.canonicalize().ok().or_else(|| {
                    Some(
                        path.parent()
                            .filter(|p| !p.as_os_str().is_empty())?
                            .canonicalize()
                            .ok()?
                            .join(path.file_name()?),
                    )
                });
                let own = self.own_sqlite.as_deref().and_then(file_identity);
                let same_file = own.is_some() && full.as_deref().and_then(file_identity) == own;
                full.is_some_and(|f| f.starts_with(&root) && f != root) && !same_file
            }
            _ => match (&self.own_database, server_identity(secret)) {
                (Some(own), Some(theirs)) => server_identity(own).is_none_or(|own| own != theirs),
                (None, Some(_)) => true,
                (_, None) => false,
            },
        }
    }
}

/// The header an HTTP credential is sent as.
fn header_of(secret: &str) -> Option<(String, String)> {
    let s = secret.trim();
    if s.is_empty() {
        return None;
    }
    match s.split_once(':') {
        Some((name, value)) if !name.contains(' ') && !name.is_empty() => {
            Some((name.trim().into(), value.trim().into()))
        }
        // `Bearer …`, `Basic …`: an Authorization value as it is.
        _ if s.contains(' ') => Some(("Authorization".into(), s.into())),
        _ => Some(("Authorization".into(), format!("Bearer {s}"))),
    }
}

impl App {
    /// The same app able to seal secrets and read sources under `policy`.
    pub fn with_connectors(self, secrets: Option<SecretBox>, policy: SourcePolicy) -> Self {
        App { secrets: secrets.map(std::sync::Arc::new), sources: std::sync::Arc::new(policy), ..self }
    }

    fn sealer(&self) -> Result<&SecretBox> {
        self.secrets.as_deref().ok_or_else(|| Invalid::new("secret", Rule::NoSecretKey).into())
    }

    fn admin_only(a: &Actor) -> Result<()> {
        if a.has(Role::Admin) { Ok(()) } else { Err(AppError::Forbidden) }
    }

    pub async fn list_connectors(&self, a: &Actor) -> Result<Vec<ConnectorView>> {
        Self::admin_only(a)?;
        let now = self.now();
        Ok(connectors::list(&self.db, a.tenant.0).await?.iter().map(|r| view(r, now)).collect())
    }

    pub async fn get_connector(&self, a: &Actor, id: i64) -> Result<ConnectorView> {
        Self::admin_only(a)?;
        let r = connectors::get(&self.db, a.tenant.0, id).await?.ok_or(AppError::NotFound)?;
        Ok(view(&r, self.now()))
    }

    /// Checks a connector as written and seals its secret for row `id`.
    async fn connector_row(
        &self,
        a: &Actor,
        id: i64,
        new: &NewConnector,
        before: Option<&ConnectorRow>,
    ) -> Result<ConnectorRow> {
        let name = Name::parse("name", &new.name)?;
        if !KINDS.contains(&new.kind.as_str()) {
            return Err(Invalid::new("kind", Rule::OneOf(KINDS)).into());
        }
        tandem_store::metrics::get(&self.db, a.tenant.0, new.metric_id)
            .await?
            .ok_or_else(|| Invalid::new("metric_id", Rule::UnknownRef))?;
        let schedule = new.schedule.trim().to_string();
        let cron = parse_schedule(&schedule).ok_or_else(|| Invalid::new("schedule", Rule::BadSchedule))?;
        let now = self.now();
        let zone = self.tenant_zone(a.tenant.0).await?;
        let next = next_of(&cron, now, zone).ok_or_else(|| Invalid::new("schedule", Rule::BadSchedule))?;
        if next_of(&cron, next, zone).is_some_and(|after| after - next < 60_000_000) {
            return Err(Invalid::new("schedule", Rule::BadSchedule).into());
        }
        let timeout = new.timeout_secs.unwrap_or(30);
        if !(1..=300).contains(&timeout) {
            return Err(Invalid::new("timeout_secs", Rule::OutOfRange { min: 1.0, max: 300.0 }).into());
        }
        let owner = owner_of(a.tenant.0, id);
        let given = new.secret.as_deref().map(str::trim).filter(|s| !s.is_empty());
        // The secret as it will be used: the one given, or the one stored (if the kind stayed).
        let secret = match (given, before) {
            (Some(s), _) => Some(s.to_string()),
            (None, Some(b)) if b.kind == new.kind && !b.secret_enc.is_empty() => {
                Some(self.sealer()?.open(&b.secret_enc, &owner).map_err(AppError::Internal)?)
            }
            _ => None,
        };
        let mut config = new.config.clone();
        let engine = match new.kind.as_str() {
            "sql" => {
                let dsn = secret.as_deref().ok_or_else(|| Invalid::new("secret", Rule::Required))?;
                let engine = SourceEngine::of(dsn).ok_or_else(|| Invalid::new("secret", Rule::BadSource))?;
                if !self.sources.allows(dsn, engine) {
                    return Err(Invalid::new("secret", Rule::SourceNotAllowed).into());
                }
                self.server_reachable(dsn, engine).await.map_err(|_| Invalid::new("secret", Rule::NotPublic))?;
                config.query =
                    foreign::clean_query(&config.query).map_err(|_| Invalid::new("query", Rule::Required))?.to_string();
                if config.query.len() > 10_000 {
                    return Err(Invalid::new("query", Rule::TooLong { max: 10_000 }).into());
                }
                config.url.clear();
                config.items_path.clear();
                config.time_path.clear();
                config.value_path.clear();
                engine.name().to_string()
            }
            _ => {
                let url = config.url.trim().to_string();
                if !(url.starts_with("http://") || url.starts_with("https://")) || reqwest::Url::parse(&url).is_err() {
                    return Err(Invalid::new("url", Rule::BadSource).into());
                }
                let target = self.outbound.check_url(&url).map_err(|e| match e {
                    crate::outbound::Refused::NotPublic(_) => Invalid::new("url", Rule::NotPublic),
                    _ => Invalid::new("url", Rule::BadSource),
                })?;
                self.outbound.check_resolved(&target).await?;
                for (field, v) in [
                    ("items_path", &config.items_path),
                    ("time_path", &config.time_path),
                    ("value_path", &config.value_path),
                ] {
                    if v.len() > 200 {
                        return Err(Invalid::new(field, Rule::TooLong { max: 200 }).into());
                    }
                }
                config.url = url;
                config.query.clear();
                String::new()
            }
        };
        let secret_enc = match secret {
            Some(s) if s.len() > 2000 => return Err(Invalid::new("secret", Rule::TooLong { max: 2000 }).into()),
            Some(s) => self.sealer()?.seal(&s, &owner),
            None => String::new(),
        };
        Ok(ConnectorRow {
            tenant_id: a.tenant.0,
            id,
            name: name.as_str().to_string(),
            kind: new.kind.clone(),
            engine,
            metric_id: new.metric_id,
            config: serde_json::to_string(&config).map_err(|e| AppError::Internal(e.to_string()))?,
            secret_enc,
            schedule,
            timeout_ms: timeout * 1000,
            active: i64::from(new.active.unwrap_or(true)),
            next_run_at: Some(next),
            lease_until: None,
            last_run_at: before.and_then(|b| b.last_run_at),
            last_status: before.map(|b| b.last_status.clone()).unwrap_or_default(),
            last_error: before.map(|b| b.last_error.clone()).unwrap_or_default(),
            created_by: Some(before.and_then(|b| b.created_by).unwrap_or(a.person.0)),
            created_at: before.map(|b| b.created_at).unwrap_or(now),
        })
    }

    pub async fn create_connector(&self, a: &Actor, new: &NewConnector) -> Result<ConnectorView> {
        Self::admin_only(a)?;
        let id = self.db.next_id().await?;
        let row = self.connector_row(a, id, new, None).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        connectors::insert(&mut tx, &row).await?;
        record(&mut tx, Some(a), a.tenant.0, now, Change::create("connector", id, audit(&row))).await?;
        tx.commit().await?;
        Ok(view(&row, now))
    }

    pub async fn update_connector(&self, a: &Actor, id: i64, new: &NewConnector) -> Result<ConnectorView> {
        Self::admin_only(a)?;
        let before = connectors::get(&self.db, a.tenant.0, id).await?.ok_or(AppError::NotFound)?;
        let row = self.connector_row(a, id, new, Some(&before)).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        connectors::update(&mut tx, &row).await?;
        let mut c = Change::create("connector", id, audit(&row));
        c.action = "update";
        c.before = Some(audit(&before));
        record(&mut tx, Some(a), a.tenant.0, now, c).await?;
        tx.commit().await?;
        Ok(view(&row, now))
    }

    /// Pauses or resumes the schedule.
    pub async fn set_connector_active(&self, a: &Actor, id: i64, active: bool) -> Result<ConnectorView> {
        Self::admin_only(a)?;
        let mut row = connectors::get(&self.db, a.tenant.0, id).await?.ok_or(AppError::NotFound)?;
        row.active = i64::from(active);
        if active {
            row.next_run_at = next_run(&row.schedule, self.now(), self.tenant_zone(a.tenant.0).await?);
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        connectors::update(&mut tx, &row).await?;
        let mut c = Change::create("connector", id, serde_json::json!({"active": active}));
        c.action = if active { "resume" } else { "pause" };
        record(&mut tx, Some(a), a.tenant.0, now, c).await?;
        tx.commit().await?;
        Ok(view(&row, now))
    }

    pub async fn delete_connector(&self, a: &Actor, id: i64) -> Result<()> {
        Self::admin_only(a)?;
        let before = connectors::get(&self.db, a.tenant.0, id).await?.ok_or(AppError::NotFound)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        connectors::delete(&mut tx, a.tenant.0, id).await?;
        let mut c = Change::create("connector", id, audit(&before));
        c.action = "delete";
        c.after = None;
        c.before = Some(audit(&before));
        record(&mut tx, Some(a), a.tenant.0, now, c).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn connector_runs(&self, a: &Actor, id: i64, limit: i64) -> Result<Vec<RunView>> {
        Self::admin_only(a)?;
        connectors::get(&self.db, a.tenant.0, id).await?.ok_or(AppError::NotFound)?;
        Ok(connectors::runs(&self.db, a.tenant.0, id, limit.clamp(1, 200)).await?.into_iter().map(run_view).collect())
    }

    /// Reads the source now and shows what a run would write; writes nothing.
    pub async fn test_connector(&self, a: &Actor, id: i64, lang: Lang) -> Result<TestOutcome> {
        Self::admin_only(a)?;
        let row = connectors::get(&self.db, a.tenant.0, id).await?.ok_or(AppError::NotFound)?;
        let fail = |error: String, row_errors: Vec<RowError>| TestOutcome {
            ok: false,
            total: 0,
            sample: vec![],
            error,
            row_errors,
        };
        Ok(match self.fetch(&row, lang).await {
            Err(e) => fail(e, vec![]),
            Ok(rows) => match check_rows(row.id, &rows, lang) {
                Err(errs) => fail(lang.pick("有数据行不合格", "Some rows are not usable").into(), errs),
                Ok(mut points) => TestOutcome {
                    ok: true,
                    total: points.len(),
                    sample: {
                        points.sort_by_key(|p| std::cmp::Reverse(p.time));
                        points.truncate(20);
                        points
                    }
                    .iter()
                    .map(|p| SampleRow { time: p.time, value: p.value })
                    .collect(),
                    error: String::new(),
                    row_errors: vec![],
                },
            },
        })
    }

    /// Runs a connector now (an admin's "run now"), unless a run of it is under way.
    pub async fn run_connector_now(&self, a: &Actor, id: i64, lang: Lang) -> Result<RunView> {
        Self::admin_only(a)?;
        let row = connectors::get(&self.db, a.tenant.0, id).await?.ok_or(AppError::NotFound)?;
        let now = self.now();
        let claim = Claim {
            tenant: row.tenant_id,
            connector: row.id,
            scheduled_for: None,
            next_run_at: None,
            now,
            lease_until: now + row.timeout_ms * 1000 + 60_000_000,
            run_id: self.db.next_id().await?,
            runner: "manual",
        };
        let run = connectors::claim(&self.db, &claim).await?.ok_or(AppError::Conflict("connector_busy"))?;
        Ok(run_view(self.execute(&row, run, lang).await?))
    }

    /// Runs every connector whose scheduled time has come, each scheduled time once across all
    /// servers sharing the database. Answers how many runs this server made.
    pub async fn run_due_connectors(&self, runner: &str) -> Result<usize> {
        let now = self.now();
        let mut ran = 0;
        for row in connectors::due(&self.db, now, 20).await? {
            let Some(due_at) = row.next_run_at else { continue };
            let zone = self.tenant_zone(row.tenant_id).await?;
            let claim = Claim {
                tenant: row.tenant_id,
                connector: row.id,
                scheduled_for: Some(due_at),
                // Missed times are not caught up: the next run is the next time after now.
                next_run_at: next_run(&row.schedule, now.max(due_at), zone),
                now,
                lease_until: now + row.timeout_ms * 1000 + 60_000_000,
                run_id: self.db.next_id().await?,
                runner,
            };
            let Some(run) = connectors::claim(&self.db, &claim).await? else { continue };
            let lang = Lang::Zh;
            if let Err(e) = self.execute(&row, run, lang).await {
                tracing::warn!(connector = row.id, error = %e, "connector run could not be recorded");
            }
            ran += 1;
        }
        Ok(ran)
    }

    /// Fetches, checks and writes one claimed run, and records how it ended.
    async fn execute(&self, row: &ConnectorRow, mut run: RunRow, lang: Lang) -> Result<RunRow> {
        let outcome: std::result::Result<(usize, PushOutcome), String> = async {
            let rows = self.fetch(row, lang).await?;
            let points = check_rows(row.id, &rows, lang).map_err(|errs| {
                let first =
                    errs.iter().take(3).map(|e| format!("#{} {}: {}", e.row, e.column, e.reason)).collect::<Vec<_>>();
                format!(
                    "{} ({})",
                    lang.pick("有数据行不合格，本次未写入", "Some rows are not usable; nothing was written"),
                    first.join("; ")
                )
            })?;
            let m = tandem_store::metrics::get(&self.db, row.tenant_id, row.metric_id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| lang.pick("目标指标已删除", "The metric is gone").to_string())?;
            let actor = Actor {
                tenant: tandem_domain::ids::TenantId(row.tenant_id),
                person: tandem_domain::ids::PersonId(row.created_by.unwrap_or(0)),
                roles: vec![Role::Admin],
            };
            let source = format!("pull:{}", row.id);
            let how = Ingest { key: None, source: &source, author: None, revise: true };
            let out = self.ingest(&actor, &m, &points, how).await.map_err(|e| e.message(lang))?;
            Ok((points.len(), out))
        }
        .await;
        run.finished_at = Some(self.now());
        match outcome {
            Ok((fetched, out)) => {
                run.status = "ok".into();
                run.fetched = fetched as i64;
                run.inserted = out.inserted;
            }
            Err(e) => {
                run.status = "failed".into();
                run.error = e.chars().take(1000).collect();
            }
        }
        connectors::finish(&self.db, &run).await?;
        Ok(run)
    }

    /// Reads a connector's source: its rows, or why they could not be read.
    async fn fetch(&self, row: &ConnectorRow, lang: Lang) -> std::result::Result<Vec<RawRow>, String> {
        let secret = if row.secret_enc.is_empty() {
            String::new()
        } else {
            let sealer =
                self.secrets.as_deref().ok_or_else(|| Invalid::new("secret", Rule::NoSecretKey).message(lang))?;
            sealer.open(&row.secret_enc, &owner_of(row.tenant_id, row.id)).map_err(|e| {
                format!("{}（{e}）", lang.pick("保存的凭据无法解密", "The stored credential cannot be decrypted"))
            })?
        };
        let config: SourceConfig = serde_json::from_str(&row.config).map_err(|e| e.to_string())?;
        let timeout = Duration::from_millis(row.timeout_ms.max(1000) as u64);
        match row.kind.as_str() {
            "sql" => {
                let engine = SourceEngine::of(&secret).ok_or_else(|| source_error(&SourceError::Scheme, lang))?;
                // Checked again at run time: the policy may have changed since it was saved.
                if !self.sources.allows(&secret, engine) {
                    return Err(Invalid::new("secret", Rule::SourceNotAllowed).message(lang));
                }
                self.server_reachable(&secret, engine).await.map_err(|e| e.message(lang))?;
                let rows = foreign::read_rows(&secret, &config.query, timeout, MAX_ROWS)
                    .await
                    .map_err(|e| source_error(&e, lang))?;
                Ok(rows.into_iter().map(|r| RawRow { time: r.time.map(RawTime::Text), value: r.value }).collect())
            }
            _ => {
                let doc = fetch_json(&self.outbound, &config.url, header_of(&secret), timeout, lang).await?;
                let rows = rows_from_json(&doc, &config, self.now(), lang)?;
                if rows.len() > MAX_ROWS {
                    return Err(source_error(&SourceError::TooMany(MAX_ROWS), lang));
                }
                Ok(rows)
            }
        }
    }
}

/// Why a source could not be read, in the admin's language (the source's own words kept).
fn source_error(e: &SourceError, lang: Lang) -> String {
    match (e, lang) {
        (_, Lang::En) => e.to_string(),
        (SourceError::Scheme, _) => "连接串不受支持：请用 postgres://、mysql://、mariadb:// 或 sqlite://".into(),
        (SourceError::NotASelect, _) => "查询必须是一条 SELECT（或 WITH … SELECT）语句".into(),
        (SourceError::Connect(m), _) => format!("无法连接数据源：{m}"),
        (SourceError::Query(m), _) => format!("查询失败：{m}"),
        (SourceError::Timeout(s), _) => format!("{s} 秒内没有返回"),
        (SourceError::TooMany(n), _) => format!("返回超过 {n} 行"),
    }
}

async fn fetch_json(
    rules: &std::sync::Arc<crate::outbound::Outbound>,
    url: &str,
    header: Option<(String, String)>,
    timeout: Duration,
    lang: Lang,
) -> std::result::Result<serde_json::Value, String> {
    let say = |zh: String, en: String| if lang == Lang::Zh { zh } else { en };
    // Checked here for a clear answer, and again by the client on every connection and redirect.
    let target = rules.check_url(url).map_err(|e| e.message(lang))?;
    if let Some(host) = target.host_str() {
        rules.resolve(host, target.port_or_known_default().unwrap_or(80)).await.map_err(|e| e.message(lang))?;
    }
    let client = rules.http_client(timeout)?;
    let mut req = client.get(url).header("Accept", "application/json");
    if let Some((k, v)) = header {
        req = req.header(k, v);
    }
    let secs = timeout.as_secs();
    let mut resp = req.send().await.map_err(|e| {
        if e.is_timeout() {
            say(format!("{secs} 秒内没有返回"), format!("no answer within {secs} s"))
        } else {
            say(format!("无法访问接口：{e}"), format!("cannot fetch: {e}"))
        }
    })?;
    if !resp.status().is_success() {
        let st = resp.status();
        return Err(say(format!("接口返回 {st}"), format!("the endpoint answered {st}")));
    }
    let mut body = Vec::new();
    while let Some(chunk) =
        resp.chunk().await.map_err(|e| say(format!("无法读取返回内容：{e}"), format!("cannot read the answer: {e}")))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BODY {
            let mb = MAX_BODY / 1024 / 1024;
            return Err(say(format!("返回内容超过 {mb} MB"), format!("the answer is larger than {mb} MB")));
        }
    }
    serde_json::from_slice(&body)
        .map_err(|e| say(format!("返回的不是 JSON：{e}"), format!("the answer is not JSON: {e}")))
}

/// What the audit log keeps of a connector: everything but the secret.
fn audit(r: &ConnectorRow) -> serde_json::Value {
    serde_json::json!({
        "name": r.name, "kind": r.kind, "engine": r.engine, "metric_id": r.metric_id,
        "config": serde_json::from_str::<serde_json::Value>(&r.config).unwrap_or_default(),
        "schedule": r.schedule, "timeout_ms": r.timeout_ms, "active": r.active == 1,
        "has_secret": !r.secret_enc.is_empty(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schedules() {
        let t0 = 1_793_491_200_000_000; // 2026-11-01T00:00:00Z, a Sunday
        let utc = Zone::parse("tz", "UTC").expect("utc");
        let next = |s: &str, t: i64| next_run(s, t, utc);
        assert_eq!(next("0 6 * * *", t0), Some(t0 + 6 * 3_600_000_000));
        assert_eq!(next("*/15 * * * *", t0 + 1), Some(t0 + 15 * 60_000_000));
        assert_eq!(next("@daily", t0), Some(t0 + 86_400_000_000));
        // Monday 09:00.
        assert_eq!(next("0 9 * * 1", t0), Some(t0 + 86_400_000_000 + 9 * 3_600_000_000));
        assert_eq!(next("not a schedule", t0), None);
        assert_eq!(next("* * * * * *", t0), None, "six fields (seconds) are refused");
        assert_eq!(next("61 * * * *", t0), None);
        // In the tenant's zone: 06:00 in Beijing is 22:00 UTC the day before.
        assert_eq!(next_run("0 6 * * *", t0, Zone::default()), Some(t0 + 22 * 3_600_000_000));
    }

    #[test]
    fn paths_pick_values() {
        let doc =
            json!({"data": {"rows": [{"d": "2026-11-01", "v": 3}, {"d": "2026-11-02", "v": "1,200"}]}, "total": 9.5});
        assert_eq!(pick(&doc, "data.rows.1.v"), Some(&json!("1,200")));
        assert_eq!(pick(&doc, "$.total"), Some(&json!(9.5)));
        assert_eq!(pick(&doc, ""), Some(&doc));
        assert_eq!(pick(&doc, "data.nope"), None);
        assert_eq!(pick(&doc, "data.rows.x"), None);
        let c = SourceConfig {
            items_path: "data.rows".into(),
            time_path: "d".into(),
            value_path: "v".into(),
            ..Default::default()
        };
        let rows = rows_from_json(&doc, &c, 0, Lang::En).unwrap();
        assert_eq!(
            rows,
            vec![
                RawRow { time: Some(RawTime::Text("2026-11-01".into())), value: Some(3.0) },
                RawRow { time: Some(RawTime::Text("2026-11-02".into())), value: Some(1200.0) }
            ]
        );
        // One value, at the time of the run.
        let c = SourceConfig { value_path: "total".into(), ..Default::default() };
        let rows = rows_from_json(&doc, &c, 42, Lang::En).unwrap();
        let points = check_rows(7, &rows, Lang::En).unwrap();
        assert_eq!(points, vec![DataPoint { time: 42, value: 9.5, external_id: Some("pull:7:42".into()) }]);
        let c = SourceConfig { items_path: "missing".into(), ..Default::default() };
        assert!(rows_from_json(&doc, &c, 0, Lang::En).is_err());
    }

    #[test]
    fn rows_are_checked_and_times_unique() {
        let rows = vec![
            RawRow { time: Some(RawTime::Text("2026-11-01".into())), value: Some(1.0) },
            RawRow { time: Some(RawTime::Text("2026-11-01 00:00:00".into())), value: Some(2.0) },
            RawRow { time: None, value: Some(1.0) },
            RawRow { time: Some(RawTime::Text("2026-11-03".into())), value: None },
        ];
        let errs = check_rows(1, &rows, Lang::En).unwrap_err();
        let named: Vec<(usize, &str)> = errs.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(named, vec![(2, "time"), (3, "time"), (4, "value")]);
        assert!(errs[0].reason.contains("row 1"));
    }

    #[test]
    fn sources_allowed() {
        let dir = std::env::temp_dir().join(format!("tandem-policy-{}", std::process::id()));
        let root = dir.join("sources");
        std::fs::create_dir_all(&root).unwrap();
        let own = dir.join("tandem.db");
        std::fs::write(&own, b"SQLite format 3\0").unwrap();
        let p = SourcePolicy {
            sqlite_root: Some(root.clone()),
            own_database: Some("postgres://app@localhost/tandem".into()),
            own_sqlite: Some(own.clone()),
        };
        // Item 16 of the security issue: a hard link to Tandem's own file inside the folder.
        let _ = std::fs::remove_file(root.join("innocent.db"));
        std::fs::hard_link(&own, root.join("innocent.db")).unwrap();
        let linked = format!("sqlite://{}", root.join("innocent.db").display());
        assert!(!p.allows(&linked, SourceEngine::Sqlite), "the same file under another name");
        let inside = format!("sqlite://{}", root.join("sales.db").display());
        let outside = format!("sqlite://{}", dir.join("tandem.db").display());
        let sneaky = format!("sqlite://{}/../tandem.db", root.display());
        assert!(p.allows(&inside, SourceEngine::Sqlite));
        assert!(!p.allows(&outside, SourceEngine::Sqlite));
        assert!(!p.allows(&sneaky, SourceEngine::Sqlite));
        assert!(!p.allows("postgres://x:y@127.0.0.1:5432/tandem", SourceEngine::Postgres), "own database");
        assert!(p.allows("postgres://x:y@127.0.0.1:5432/sales", SourceEngine::Postgres));
        assert!(p.allows("mysql://root@127.0.0.1:3306/tandem", SourceEngine::Mysql), "another server");
        assert!(!SourcePolicy::default().allows(&inside, SourceEngine::Sqlite), "no sources folder: no files");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn credentials_as_headers() {
        assert_eq!(header_of("X-Api-Key: abc"), Some(("X-Api-Key".into(), "abc".into())));
        assert_eq!(header_of("tok123"), Some(("Authorization".into(), "Bearer tok123".into())));
        assert_eq!(header_of("Bearer tok"), Some(("Authorization".into(), "Bearer tok".into())));
        assert_eq!(header_of(" "), None);
    }
}
