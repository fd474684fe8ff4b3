//! The demo's weeks so far: a check-in on every published key result each Friday since the goals
//! were set, and three months of KPI numbers, so that the dashboards, forecasts, red lights and
//! divergence flags show real situations on first start. Deterministic: the same day gives the
//! same history.
//!
//! The situations are chosen, not random: most key results move steadily, early or late toward
//! where the demo stands today; the duty-shift complaints stall (the seeds' output-versus-
//! complaints case, beside a piece-rate KPI that keeps passing); the social-media follower count
//! has had no check-in for three weeks (a stale red light); and the winter-drink sales owner
//! reports high confidence while the data says otherwise.

use crate::App;
use crate::error::{AppError, Result};
use crate::org::accounts;
use std::collections::HashMap;
use std::sync::Arc;
use tandem_domain::checkin::CheckIn;
use tandem_domain::ids::TenantId;
use tandem_domain::policy::Actor;
use tandem_domain::score::{Measure, kr_score};
use tandem_store::{goals, people};
use time::{Date, Duration, Month, OffsetDateTime};

const HOUR_US: i64 = 3_600_000_000;
const DAY_US: i64 = 24 * HOUR_US;

fn us_at(d: Date, hour: u8) -> i64 {
    let t = d.with_hms(hour, 0, 0).map(|t| t.assume_utc()).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    t.unix_timestamp() * 1_000_000
}

fn date_of(us: i64) -> Date {
    OffsetDateTime::from_unix_timestamp(us.div_euclid(1_000_000)).map(|t| t.date()).unwrap_or(Date::MIN)
}

/// When the demo's goals were set: two days into the quarter at 09:00 UTC, or, in a quarter's
/// first week, eight days ago (while it was being planned), so that the demo always has a
/// check-in from more than a week ago and this week's are owed.
pub(crate) fn set_up_time(quarter_start: Date, now: i64) -> i64 {
    (us_at(quarter_start, 9) + 2 * DAY_US).min(now - 8 * DAY_US)
}

/// The check-in moments: every Friday at 09:00 UTC after `since` and before the current week
/// (so this week's check-ins are still owed), oldest first. Early in a cycle, when there is no
/// such Friday yet, one moment an hour after `since`.
pub(crate) fn check_in_days(since: i64, now: i64) -> Vec<i64> {
    let today = date_of(now);
    let monday = today - Duration::days(i64::from(today.weekday().number_days_from_monday()));
    let mut friday = us_at(monday - Duration::days(3), 9);
    let mut out = vec![];
    while friday > since {
        out.push(friday);
        friday -= 7 * DAY_US;
    }
    out.reverse();
    if out.is_empty() {
        out.push(since + HOUR_US);
    }
    out
}

/// How a key result's progress unfolds over the weeks so far (share of the way to today's value
/// at a share `x` of the weeks).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    Steady,
    Early,
    Late,
    /// Most of the way in the first weeks, then nothing.
    Stall,
}

impl Shape {
    fn at(self, x: f64) -> f64 {
        match self {
            Shape::Steady => x,
            Shape::Early => x.sqrt(),
            Shape::Late => x * x,
            Shape::Stall => (x * 3.0).min(1.0),
        }
    }
}

struct Profile {
    shape: Shape,
    /// Weeks before the last Friday with no check-in at all.
    silent_weeks: usize,
    /// Points of confidence above what the numbers support.
    optimism: i64,
}

fn profile_of(index: usize, title: &str) -> Profile {
    let shape = [Shape::Steady, Shape::Early, Shape::Steady, Shape::Late][index % 4];
    match title {
        t if t.starts_with("值班时段顾客投诉") => Profile { shape: Shape::Stall, silent_weeks: 0, optimism: 1 },
        t if t.starts_with("官方社交账号粉丝") => Profile { shape, silent_weeks: 2, optimism: 0 },
        t if t.starts_with("冬季新品首月销量") => Profile { shape: Shape::Late, silent_weeks: 0, optimism: 4 },
        _ => Profile { shape, silent_weeks: 0, optimism: 0 },
    }
}

/// A small deterministic jitter in [-1, 1] for (key result, week).
fn jitter(kr: usize, week: usize) -> f64 {
    let mut x =
        (kr as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (week as u64 + 1).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    x ^= x >> 29;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 32;
    (x % 2001) as f64 / 1000.0 - 1.0
}

/// A value as people would type it: whole numbers for big ranges, one decimal otherwise.
fn typed(v: f64, span: f64) -> f64 {
    if span >= 1000.0 { (v / 100.0).round() * 100.0 } else { (v * 10.0).round() / 10.0 }
}

/// A key result's way from its baseline to where it stands today.
#[derive(Debug, Clone, Copy)]
struct Course {
    measure: Measure,
    baseline: f64,
    target: f64,
    last: f64,
    shape: Shape,
}

/// The value of a KR in week `w` (1-based) of `n`, ending exactly at `last` in week `n`.
fn value_in_week(c: Course, kr: usize, w: usize, n: usize) -> f64 {
    let Course { measure, baseline, target, last, shape } = c;
    if w >= n {
        return last;
    }
    let j = jitter(kr, w);
    let span = (target - baseline).abs();
    match measure {
        Measure::StayAbove => last - if j > 0.4 { 1.0 } else { 0.0 },
        Measure::StayBelow => last + if j > 0.4 { 0.5 } else { 0.0 },
        Measure::Milestone => (baseline + (last - baseline) * shape.at(w as f64 / n as f64)).floor(),
        Measure::Increase | Measure::Decrease => {
            let v = baseline + (last - baseline) * shape.at(w as f64 / n as f64) + 0.03 * span * j;
            // Noise around a start at zero never makes a count or an amount negative.
            let v = if baseline.min(target) >= 0.0 { v.max(0.0) } else { v };
            typed(v, span)
        }
    }
}

const PROGRESS: [&str; 8] = [
    "按计划推进，本周数据已更新",
    "完成了两家门店的试点，效果符合预期",
    "流程调整已经上线，正在观察数据",
    "和相关部门对齐了下阶段的做法",
    "本周重点在培训和复盘",
    "数据略有波动，原因已找到",
    "新方案在部分门店试行",
    "跟进上周的问题，已解决大半",
];
const BLOCKERS: [&str; 4] = ["", "人手紧张，高峰时段排班困难", "", "供应商交期比预期晚一周"];
const HELP: [&str; 5] = ["", "", "需要市场部配合宣传物料", "", "希望总部协调设备采购"];

impl App {
    /// A copy of the app whose clock says `clock` (used to set the demo up in the past).
    pub fn with_clock(&self, clock: Arc<dyn crate::clock::Clock>) -> App {
        App { clock, ..self.clone() }
    }

    fn at_time(&self, us: i64) -> App {
        self.with_clock(Arc::new(crate::clock::FixedClock::new(us)))
    }

    /// Writes the weekly check-ins that bring each planned KR to its value today, and the KPI
    /// numbers of this month and the two before.
    pub(crate) async fn seed_demo_history(&self, t: TenantId, plan: &[(i64, f64)], since: i64) -> Result<()> {
        let now = self.now();
        let days = check_in_days(since, now);
        let n = days.len();
        let (snap, org) = tokio::try_join!(self.goal_snapshot(t.0), self.org_snapshot(t.0))?;
        let everyone: HashMap<i64, Actor> =
            people::list(&self.db, t.0).await?.iter().map(|p| (p.id, accounts::actor_of(p))).collect();
        let person_of = |kind: &str, id: i64| match kind {
            "person" => Some(id),
            _ => org.unit(id).and_then(|u| u.manager_id),
        };
        struct Line {
            kr: i64,
            author: Actor,
            owners: Vec<(String, i64, f64)>,
            course: Course,
            profile: Profile,
            span: (i64, i64),
        }
        let mut lines = vec![];
        for (i, (kr, last)) in plan.iter().enumerate() {
            let k = snap.key_result(*kr).ok_or(AppError::NotFound)?;
            let o = snap.objective(k.objective_id).ok_or(AppError::NotFound)?;
            let owners: Vec<(String, i64, f64)> = snap
                .kr_owners
                .iter()
                .filter(|w| w.kr_id == *kr)
                .map(|w| (w.owner_type.clone(), w.owner_id, w.weight))
                .collect();
            let carrier = owners.first().map(|(t, id, _)| (t.as_str(), *id)).unwrap_or((&o.owner_type, o.owner_id));
            let Some(author) = person_of(carrier.0, carrier.1).and_then(|p| everyone.get(&p)).cloned() else {
                continue;
            };
            let profile = profile_of(i, &k.title);
            lines.push(Line {
                kr: *kr,
                author,
                owners,
                course: Course {
                    measure: Measure::parse("measure", &k.measure)?,
                    baseline: k.baseline,
                    target: k.target,
                    last: *last,
                    shape: profile.shape,
                },
                profile,
                span: snap.spans.get(&o.cycle_id).copied().unwrap_or((since, now)),
            });
        }
        for (w, at) in days.iter().enumerate() {
            let week = w + 1;
            let mut tx = self.db.begin().await?;
            for (i, l) in lines.iter().enumerate() {
                // A silent KR reaches its value early and then hears nothing.
                let due = n.saturating_sub(l.profile.silent_weeks).max(1);
                if week > due {
                    continue;
                }
                let value = value_in_week(l.course, i, week, due);
                let score = kr_score(l.course.measure, l.course.baseline, l.course.target, value);
                let expected = ((at - l.span.0) as f64 / (l.span.1 - l.span.0).max(1) as f64).clamp(0.05, 1.0);
                let feel = 2.0 + 6.0 * (score / expected).min(1.0);
                let confidence = (feel.round() as i64 + l.profile.optimism).clamp(0, 10);
                let pick = |xs: &[&str]| xs[(i * 3 + w) % xs.len()].to_string();
                let input = CheckIn::parse(value, confidence, &pick(&PROGRESS), &pick(&BLOCKERS), &pick(&HELP))?;
                // A few minutes apart, as people check in one after another.
                let stamp = at + i as i64 * 7 * 60 * 1_000_000;
                let said = crate::tracking::checkins::Said::Person(input);
                crate::tracking::checkins::write_check_in(&mut tx, &l.author, l.kr, &l.owners, said, stamp).await?;
            }
            goals::bump_version(&mut tx, t.0).await?;
            tx.commit().await?;
        }
        self.seed_demo_kpi_numbers(t).await?;
        self.seed_demo_metrics(t, &days).await
    }

    /// Three metrics fed by push: the Hangzhou store's monthly revenue (bound to its manager's
    /// KPI), the Shanghai store's daily complaints (not bound yet), and the East region's weekly
    /// NPS survey (bound to the region's NPS key result).
    async fn seed_demo_metrics(&self, t: TenantId, days: &[i64]) -> Result<()> {
        let admin = self.demo_actor(t, "admin").await?;
        let now = self.now();
        let point = |at: i64, value: f64, id: String| {
            let time = OffsetDateTime::from_unix_timestamp(at.div_euclid(1_000_000))
                .ok()
                .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
                .unwrap_or_default();
            serde_json::json!({"time": time, "value": value, "external_id": id})
        };
        // Monthly revenue, entered when each month closed (this month's so far, two hours ago).
        let revenue = self.create_metric(&admin, "杭州西湖店月营业额", "万元", "收银系统每月推送").await?;
        let this_month = date_of(now).replace_day(1).unwrap_or(date_of(now));
        let mut pts = vec![];
        for (back, v) in [(2, 50.5), (1, 52.0), (0, 48.0)] {
            let first = months_before(this_month, back);
            let at = (us_at(months_before(first, -1), 2) - DAY_US).min(now - 2 * HOUR_US);
            pts.push(point(at, v, format!("hz-{}-{:02}", first.year(), first.month() as u8)));
        }
        self.push_points(&admin, revenue.id, &pts, None, "push", tandem_domain::Lang::Zh).await?;
        let hr = self.demo_actor(t, "hr").await?;
        let kpis = self.list_kpis(&hr, &crate::kpis::kpi::KpiFilter::default()).await?;
        if let Some(k) = kpis.iter().find(|k| k.name == "单店月营业额") {
            self.bind_metric(&hr, "kpi", k.id, revenue.id, "latest", Some(35)).await?;
        }
        // Daily complaints at the Shanghai store since the goals were set.
        let complaints = self.create_metric(&admin, "上海南京西路店每日顾客投诉", "起", "门店点评系统每日推送").await?;
        let first = days.first().copied().unwrap_or(now) - 7 * DAY_US;
        let mut pts = vec![];
        let mut at = first;
        let mut i = 0;
        while at < now - DAY_US {
            let v = ((jitter(99, i) + 1.0) * 1.6).floor();
            pts.push(point(at, v, format!("sh-{i}")));
            at += DAY_US;
            i += 1;
        }
        self.push_points(&admin, complaints.id, &pts, None, "push", tandem_domain::Lang::Zh).await?;
        // The weekly NPS survey of the East region, bound to the region's NPS key result: its
        // last reading is where the KR stands.
        let nps = self.create_metric(&admin, "华东门店NPS周调研", "分", "调研平台每周推送").await?;
        let snap = self.goal_snapshot(t.0).await?;
        let kr = snap.key_results.iter().find(|k| k.title.starts_with("华东门店NPS")).map(|k| (k.id, k.current));
        if let Some((kr, last)) = kr {
            let n = days.len().max(1);
            let pts: Vec<serde_json::Value> = days
                .iter()
                .enumerate()
                .map(|(w, at)| {
                    let v =
                        if w + 1 == n { last } else { typed(30.0 + (last - 30.0) * (w + 1) as f64 / n as f64, 18.0) };
                    point(*at + HOUR_US, v, format!("nps-{w}"))
                })
                .collect();
            self.push_points(&admin, nps.id, &pts, None, "push", tandem_domain::Lang::Zh).await?;
            let zhao = self.demo_actor(t, "zhao.min").await?;
            self.bind_metric(&zhao, "key_result", kr, nps.id, "latest", Some(10)).await?;
        }
        self.seed_demo_connector(t).await
    }

    /// A connector pulling daily sales from the POS database: a SQLite file the demo makes in
    /// the sources folder (60 days, the five stores), read every morning at 06:00 UTC. It has run
    /// once. Skipped where the server reads no sources or has no key (as in most tests).
    async fn seed_demo_connector(&self, t: TenantId) -> Result<()> {
        let (Some(root), Some(_)) = (self.sources.sqlite_root.clone(), self.secrets.as_ref()) else { return Ok(()) };
        let file = root.join("demo-sales.db");
        let today = date_of(self.now());
        let stores = ["杭州西湖店", "上海南京西路店", "苏州观前街店", "广州天河店", "深圳南山店"];
        let mut script = String::from(
            "CREATE TABLE daily_sales (day TEXT NOT NULL, store TEXT NOT NULL, amount NUMERIC NOT NULL, PRIMARY KEY (day, store));\n\
             INSERT INTO daily_sales VALUES ",
        );
        let mut first = true;
        for back in (1..=60).rev() {
            let day = today - time::Duration::days(back);
            for (i, store) in stores.iter().enumerate() {
                // 1.4–1.9 万元 a day, a little more at weekends.
                let weekend = if day.weekday().number_from_monday() >= 6 { 0.25 } else { 0.0 };
                let amount = ((1.65 + 0.25 * jitter(i + 50, back as usize) + weekend) * 100.0).round() / 100.0;
                if !first {
                    script.push_str(", ");
                }
                first = false;
                script.push_str(&format!("('{day}', '{store}', {amount})"));
            }
        }
        script.push(';');
        tandem_store::foreign::create_sqlite_source(&file, &script)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let admin = self.demo_actor(t, "admin").await?;
        let metric = self.create_metric(&admin, "全部门店日销售额", "万元", "收银（POS）库每日 06:00 定时拉取").await?;
        let new = crate::data::connectors::NewConnector {
            name: "收银库·门店日销售".into(),
            kind: "sql".into(),
            metric_id: metric.id,
            schedule: "0 6 * * *".into(),
            timeout_secs: Some(30),
            secret: Some(format!("sqlite://{}", file.display())),
            config: crate::data::connectors::SourceConfig {
                query: "SELECT day AS time, SUM(amount) AS value FROM daily_sales GROUP BY day ORDER BY day".into(),
                ..Default::default()
            },
            active: Some(true),
        };
        let c = self.create_connector(&admin, &new).await?;
        self.run_connector_now(&admin, c.id, tandem_domain::Lang::Zh).await?;
        Ok(())
    }

    /// The KPI numbers HR collected: the month before last, last month and this month so far, each
    /// entered just after its month closed (this month's two hours ago).
    async fn seed_demo_kpi_numbers(&self, t: TenantId) -> Result<()> {
        let numbers: [(&str, &str, [f64; 3]); 10] = [
            ("门店顾客平均等待时间不超过3分钟", "李娜", [3.9, 3.6, 3.4]),
            ("高峰时段出杯时间不超过3分钟", "张伟", [3.4, 3.2, 2.9]),
            ("出品标准抽检合格率", "杨帆", [95.8, 96.5, 97.0]),
            ("出品标准抽检合格率", "朱琪", [97.9, 98.2, 98.6]),
            ("每班出杯数（计件）", "杨帆", [295.0, 310.0, 332.0]),
            ("收银差错率", "秦月", [0.25, 0.18, 0.12]),
            ("单店月营业额", "王磊", [50.5, 52.0, 48.0]),
            ("门店NPS", "李娜", [36.0, 38.0, 41.0]),
            ("新品研发节点按期完成率", "林晓", [92.0, 88.0, 76.0]),
            ("原料缺货率", "彭丽", [2.1, 1.6, 1.2]),
        ];
        let hr = self.demo_actor(t, "hr").await?;
        let now = self.now();
        let this_month = date_of(now).replace_day(1).unwrap_or(date_of(now));
        let months: Vec<Date> = (0..3).rev().map(|back| months_before(this_month, back)).collect();
        let all_kpis = self.list_kpis(&hr, &crate::kpis::kpi::KpiFilter::default()).await?;
        for (m, first) in months.iter().enumerate() {
            let period = format!("{}-{:02}", first.year(), first.month() as u8);
            let closed = us_at(months_before(*first, -1), 2);
            let app = self.at_time(closed.min(now - 2 * HOUR_US));
            for (name, owner, values) in &numbers {
                if let Some(k) = all_kpis.iter().find(|k| k.name == *name && k.owner_name == *owner) {
                    app.record_kpi_value(&hr, k.id, &period, values[m], false).await?;
                }
            }
        }
        Ok(())
    }
}

/// The first of the month `back` months before `first` (negative: after).
fn months_before(first: Date, back: i32) -> Date {
    let total = first.year() * 12 + (first.month() as i32 - 1) - back;
    let month = Month::try_from((total.rem_euclid(12) + 1) as u8).unwrap_or(Month::January);
    Date::from_calendar_date(total.div_euclid(12), month, 1).unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn fridays_before_this_week() {
        // Sunday 2026-11-22: the quarter began on Thursday 2026-10-01, goals set on the 3rd.
        let since = set_up_time(date!(2026 - 10 - 01), us_at(date!(2026 - 11 - 22), 12));
        assert_eq!(date_of(since), date!(2026 - 10 - 03));
        let days: Vec<Date> = check_in_days(since, us_at(date!(2026 - 11 - 22), 12)).into_iter().map(date_of).collect();
        assert_eq!(days.first(), Some(&date!(2026 - 10 - 09)));
        assert_eq!(days.last(), Some(&date!(2026 - 11 - 13)), "nothing from the current week (from Monday the 16th)");
        assert_eq!(days.len(), 6);
        assert!(days.iter().all(|d| d.weekday() == time::Weekday::Friday));
    }

    #[test]
    fn early_in_a_cycle_there_is_a_check_in_over_a_week_old() {
        for day in 1..=14 {
            let now = us_at(date!(2026 - 10 - 01), 12) + (day - 1) * DAY_US;
            let since = set_up_time(date!(2026 - 10 - 01), now);
            assert!(since <= now - 8 * DAY_US, "set up more than a week before today");
            let days = check_in_days(since, now);
            assert!(!days.is_empty() && days[0] > since);
            let monday = tandem_domain::zone::Zone::default().week_start(now);
            assert!(days.iter().all(|d| *d < monday), "day {day}: this week's check-ins are still owed");
        }
    }

    fn course(measure: Measure, baseline: f64, target: f64, last: f64, shape: Shape) -> Course {
        Course { measure, baseline, target, last, shape }
    }

    #[test]
    fn weekly_values_end_where_the_demo_stands() {
        for shape in [Shape::Steady, Shape::Early, Shape::Late, Shape::Stall] {
            for kr in 0..20 {
                let vs: Vec<f64> =
                    (1..=7).map(|w| value_in_week(course(Measure::Decrease, 6.0, 2.0, 5.5, shape), kr, w, 7)).collect();
                assert_eq!(vs[6], 5.5);
                assert!(vs.iter().all(|v| (5.3..=6.2).contains(v)), "{vs:?}");
            }
        }
        let stages: Vec<f64> =
            (1..=6).map(|w| value_in_week(course(Measure::Milestone, 0.0, 5.0, 2.0, Shape::Steady), 1, w, 6)).collect();
        assert!(stages.windows(2).all(|p| p[0] <= p[1]), "stages only go up: {stages:?}");
        assert_eq!(months_before(date!(2026 - 01 - 01), 2), date!(2025 - 11 - 01));
        assert_eq!(months_before(date!(2026 - 12 - 01), -1), date!(2027 - 01 - 01));
    }
}
