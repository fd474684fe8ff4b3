//! A synthetic tenant of N employees, deterministic from a seed, loaded through the real storage
//! layer (check-ins in bulk): an org tree 5–7 levels deep of teams of eight, each unit with a
//! manager; one running quarter; 1–3 published objectives per person (two on average) with 2–4
//! key results each (about six key results per person), every objective aligned to one of the
//! manager's; 12 weekly check-ins per key result; 2–3 KPIs for half of the people (weekly or
//! monthly, a quarter of them cascaded from one of the manager's key results) with a value for
//! every period so far; a metric of daily points per department feeding one of its manager's
//! key results, whose check-ins are the metric's running sums; and a metric for the ingestion
//! workload, bound to a key result and a KPI of the CEO's. Bulk rows use multi-row inserts.

use tandem_app::App;
use tandem_app::org::people::NewPerson;
use tandem_domain::cycle::PeriodKind;
use tandem_domain::ids::TenantId;
use tandem_store::checkins::CheckInRow;
use tandem_store::cycles::CycleRow;
use tandem_store::goals::{KeyResultRow, KpiRow, KpiValueRow, ObjectiveRow};
use tandem_store::metrics::{BindingRow, MetricRow, PointRow};
use tandem_store::org::OrgUnitRow;
use tandem_store::people::PersonRow;
use tandem_store::reviews::LessonRow;

pub const PASSWORD: &str = "bench-2026";
pub const CEO_EMAIL: &str = "ceo@bench.example";
const DAY: i64 = 86_400_000_000;
const WEEK: i64 = 7 * DAY;

/// SplitMix64: small, fast, and the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// In `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What the workloads need to know of the generated tenant.
#[derive(Debug, Clone, Default)]
pub struct Fixture {
    pub tenant: i64,
    pub cycle: i64,
    pub people: usize,
    pub units: usize,
    /// Departments of about a hundred people (their units and the teams below), for the
    /// team-dashboard workload.
    pub departments: Vec<i64>,
    pub objectives: usize,
    pub key_results: Vec<i64>,
    pub check_ins: usize,
    /// Lessons in the knowledge base (100 per employee, at most 200,000).
    pub lessons: usize,
    pub kpis: usize,
    pub kpi_values: usize,
    /// Metrics with points (the ingestion workload's metric starts empty) and their points.
    pub metrics: usize,
    pub points: usize,
    /// The ingestion workload's metric, bound to a key result and a KPI.
    pub metric: i64,
}

/// How many lessons a tenant of `employees` has: a hundred per employee, at most 200,000 (what
/// a large company gathers over a few years of retros).
pub fn lesson_count(employees: usize) -> usize {
    (employees * 100).min(200_000)
}

/// Lessons are written by someone, about something, with a reason: enough combinations that
/// their words spread like real ones (a few common, most rare).
const LESSON_WHO: &[&str] =
    &["店长", "值班主管", "区域经理", "产品经理", "采购", "客服组长", "HR BP", "销售代表", "仓库主管", "项目经理"];
const LESSON_WHAT: &[&str] = &[
    "每周五复核排班并公示",
    "提前两周锁定供应商交期",
    "新品上市前完成门店培训",
    "高峰前30分钟完成备料",
    "上线前先做灰度发布",
    "客户回访后48小时内跟进",
    "每月盘点一次临期库存",
    "把数据口径写进目标说明",
    "跨部门依赖在周会上逐项确认",
    "新员工第一周安排师傅带教",
    "促销方案提前一周报给财务",
    "重要客户每季度上门拜访",
    "需求评审时写清验收标准",
    "设备保养按周排进计划",
    "投诉当天闭环并复盘原因",
];
const LESSON_WHY: &[&str] = &[
    "否则高峰时段人手不够",
    "避免断货影响销售",
    "上季度因此延期两周",
    "返工成本远高于提前沟通",
    "目标设定时低估了难度",
    "数据晚到导致判断失误",
    "等待IT排期耽误了上线",
    "市场变化比预期快",
];
const LESSON_EN: &[&str] = &[
    "Review the roster every Friday before publishing it",
    "Lock supplier lead times two weeks ahead",
    "Train every store before a product launch",
    "Write the acceptance criteria into the requirement review",
    "Confirm cross-team dependencies item by item in the weekly meeting",
    "Close every complaint the same day and note its cause",
];
const LESSON_TAGS: &[&str] = &["排班", "供应链", "培训", "发布", "客户", "库存", "数据", "协作", "招聘", "促销"];

fn lesson_text(rng: &mut Rng) -> String {
    let pick = |rng: &mut Rng, xs: &[&str]| xs[rng.range(0, xs.len() as u64 - 1) as usize].to_string();
    if rng.range(0, 4) == 0 {
        return format!("{} (team {})", pick(rng, LESSON_EN), rng.range(1, 500));
    }
    let who = pick(rng, LESSON_WHO);
    let what = pick(rng, LESSON_WHAT);
    let why = pick(rng, LESSON_WHY);
    format!("{who}{what}，{why}（第{}组）", rng.range(1, 500))
}

/// KPI names, with which way is better: a pass line, a warning line and a typical value.
const KPIS: &[(&str, &str, f64, f64, f64)] = &[
    ("出杯速度达标率", "higher_is_better", 95.0, 85.0, 95.0),
    ("准时交付率", "higher_is_better", 98.0, 95.0, 97.0),
    ("客诉率", "lower_is_better", 2.0, 3.0, 2.0),
    ("毛利率", "higher_is_better", 60.0, 55.0, 61.0),
    ("库存周转天数", "lower_is_better", 30.0, 36.0, 31.0),
    ("员工培训完成率", "higher_is_better", 90.0, 80.0, 92.0),
];

/// Words to build titles from, Chinese and English, so that search has something to find.
const ZH: &[&str] = &[
    "提升",
    "会员",
    "复购",
    "门店",
    "出杯",
    "效率",
    "客户",
    "满意度",
    "新品",
    "供应链",
    "交付",
    "质量",
    "成本",
    "增长",
    "渠道",
    "培训",
];
const EN: &[&str] =
    &["growth", "retention", "NPS", "delivery", "quality", "pipeline", "churn", "onboarding", "latency", "revenue"];

fn title(rng: &mut Rng, n: usize) -> String {
    let mut t = String::new();
    for _ in 0..n {
        t.push_str(ZH[rng.range(0, ZH.len() as u64 - 1) as usize]);
    }
    t.push(' ');
    t.push_str(EN[rng.range(0, EN.len() as u64 - 1) as usize]);
    t
}

fn date_of(us: i64) -> time::Date {
    time::OffsetDateTime::from_unix_timestamp(us.div_euclid(1_000_000)).map(|d| d.date()).unwrap_or(time::Date::MIN)
}

fn period(kind: PeriodKind, d: time::Date) -> String {
    tandem_domain::kpi::period_of(kind, d).unwrap_or_default()
}

/// Generates and loads the tenant `slug` of `employees` people.
pub async fn generate(app: &App, slug: &str, employees: usize, seed: u64) -> Result<Fixture, String> {
    let e = |x: &dyn std::fmt::Display| x.to_string();
    let mut rng = Rng::new(seed);
    let now = app.now();
    let tenant = app.create_tenant(slug, "Bench 基准公司").await.map_err(|x| e(&x))?;
    let t = tenant.id;
    let ceo = app
        .admin_create_user(
            TenantId(t),
            NewPerson {
                name: "CEO".into(),
                email: CEO_EMAIL.into(),
                title: "CEO".into(),
                roles: vec!["admin".into()],
                password: Some(PASSWORD.into()),
                ..Default::default()
            },
        )
        .await
        .map_err(|x| e(&x))?;
    let db = &app.db;

    // The org: teams of eight under a tree whose fan-out keeps it 5–7 levels deep.
    let teams = employees.div_ceil(8).max(1);
    let depth = if teams > 5_000 {
        7
    } else if teams > 200 {
        6
    } else {
        5
    };
    let fanout = ((teams as f64).powf(1.0 / (depth - 1) as f64).ceil() as usize).max(2);
    // Level by level: each unit (id, parent, level).
    let mut units: Vec<(i64, Option<i64>, usize)> = vec![];
    let mut level: Vec<i64> = vec![db.next_id().await.map_err(|x| e(&x))?];
    units.push((level[0], None, 0));
    for l in 1..depth {
        let want = if l == depth - 1 { teams } else { fanout.pow(l as u32).min(teams) };
        let mut next = vec![];
        for i in 0..want {
            let id = db.next_id().await.map_err(|x| e(&x))?;
            let parent = level[i % level.len()];
            units.push((id, Some(parent), l));
            next.push(id);
        }
        level = next;
    }
    let team_ids = level.clone();
    // Departments for the team dashboard: the level whose units hold about a hundred people
    // each (some 700–1,000 objectives and key results), as a manager's whole team would.
    let departments: Vec<i64> = {
        let per = |l: usize| employees as f64 / units.iter().filter(|u| u.2 == l).count().max(1) as f64;
        let best = (1..depth).min_by(|&a, &b| (per(a) - 110.0).abs().total_cmp(&(per(b) - 110.0).abs())).unwrap_or(0);
        units.iter().filter(|u| u.2 == best).map(|u| u.0).collect()
    };
    // People: the CEO leads the root; every other unit gets a manager; teams get members.
    let mut people: Vec<(i64, i64)> = vec![(ceo, units[0].0)]; // (person, unit)
    let mut manager_of_unit = std::collections::HashMap::new();
    manager_of_unit.insert(units[0].0, ceo);
    let mut rows = vec![];
    let mut person_rows = vec![];
    for &(u, _, _) in units.iter().skip(1) {
        let id = db.next_id().await.map_err(|x| e(&x))?;
        manager_of_unit.insert(u, id);
        people.push((id, u));
    }
    let mut left = employees.saturating_sub(people.len());
    'fill: loop {
        for &u in &team_ids {
            if left == 0 {
                break 'fill;
            }
            let id = db.next_id().await.map_err(|x| e(&x))?;
            people.push((id, u));
            left -= 1;
        }
        if team_ids.is_empty() {
            break;
        }
    }
    for (i, &(p, u)) in people.iter().enumerate().skip(1) {
        person_rows.push(PersonRow {
            tenant_id: t,
            id: p,
            name: format!("员工{i:06}"),
            email: format!("p{i}@bench.example"),
            org_unit_id: Some(u),
            title: "员工".into(),
            roles: String::new(),
            lang: "zh".into(),
            password_hash: None,
            active: 1,
            created_at: now,
        });
    }
    for &(u, parent, l) in &units {
        rows.push(OrgUnitRow {
            tenant_id: t,
            id: u,
            name: format!("部门L{l}-{u}"),
            parent_id: parent,
            manager_id: manager_of_unit.get(&u).copied(),
            created_at: now,
        });
    }
    {
        let mut tx = db.begin().await.map_err(|x| e(&x))?;
        // The CEO was created without a unit: put them at the root.
        for u in &rows {
            tandem_store::org::insert(&mut tx, u).await.map_err(|x| e(&x))?;
        }
        sqlx::query("UPDATE people SET org_unit_id = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(units[0].0)
            .bind(t)
            .bind(ceo)
            .execute(tx.conn())
            .await
            .map_err(|x| e(&x))?;
        tandem_store::org::bump_version(&mut tx, t).await.map_err(|x| e(&x))?;
        tx.commit().await.map_err(|x| e(&x))?;
    }
    for chunk in person_rows.chunks(2000) {
        let mut tx = db.begin().await.map_err(|x| e(&x))?;
        for p in chunk {
            tandem_store::people::insert(&mut tx, p).await.map_err(|x| e(&x))?;
        }
        tx.commit().await.map_err(|x| e(&x))?;
    }

    // One quarter, started 12 weeks ago, running.
    let cycle = db.next_id().await.map_err(|x| e(&x))?;
    let day = |us: i64| date_of(us).to_string();
    let start = now - 12 * WEEK - DAY;
    {
        let mut tx = db.begin().await.map_err(|x| e(&x))?;
        tandem_store::cycles::insert(
            &mut tx,
            &CycleRow {
                tenant_id: t,
                id: cycle,
                name: "基准季度".into(),
                kind: "quarter".into(),
                start_date: day(start),
                end_date: day(now + 2 * WEEK),
                state: "active".into(),
                parent_id: None,
                created_at: now,
            },
        )
        .await
        .map_err(|x| e(&x))?;
        tx.commit().await.map_err(|x| e(&x))?;
    }

    // Objectives, managers first (units in level order), each aligned to one of the manager's.
    let unit_parent: std::collections::HashMap<i64, Option<i64>> = units.iter().map(|&(u, p, _)| (u, p)).collect();
    let mut objectives_of: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
    let mut objectives = vec![];
    let mut krs = vec![];
    let mut check_ins = vec![];
    let mut kr_ids = vec![];
    // Each person's key results, and where each key result's 12 check-ins start in `check_ins`.
    let mut krs_of: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
    let mut first_check_in: std::collections::HashMap<i64, (usize, usize)> = std::collections::HashMap::new();
    for &(p, u) in &people {
        let boss = if manager_of_unit.get(&u) == Some(&p) {
            unit_parent.get(&u).copied().flatten().and_then(|pu| manager_of_unit.get(&pu).copied())
        } else {
            manager_of_unit.get(&u).copied()
        };
        let n = rng.range(1, 3);
        for _ in 0..n {
            let id = db.next_id().await.map_err(|x| e(&x))?;
            let parent = boss
                .and_then(|b| objectives_of.get(&b))
                .and_then(|os| os.get(rng.range(0, os.len() as u64 - 1) as usize))
                .copied();
            let words = rng.range(2, 4) as usize;
            objectives.push(ObjectiveRow {
                tenant_id: t,
                id,
                cycle_id: cycle,
                title: title(&mut rng, words),
                description: String::new(),
                kind: "aspirational".into(),
                owner_type: "person".into(),
                owner_id: p,
                parent_id: parent,
                status: "published".into(),
                author_id: p,
                created_at: start,
                updated_at: start,
                published_at: Some(start),
            });
            objectives_of.entry(p).or_default().push(id);
            for pos in 0..rng.range(2, 4) {
                let kr = db.next_id().await.map_err(|x| e(&x))?;
                first_check_in.insert(kr, (check_ins.len(), krs.len()));
                krs_of.entry(p).or_default().push(kr);
                let pace = 0.5 + rng.unit();
                let mut value = 0.0;
                for w in 0..12 {
                    let previous = value;
                    value = (100.0 * pace * (w + 1) as f64 / 13.0 + 5.0 * (rng.unit() - 0.5)).clamp(0.0, 120.0);
                    check_ins.push(CheckInRow {
                        tenant_id: t,
                        id: db.next_id().await.map_err(|x| e(&x))?,
                        kr_id: kr,
                        author_id: p,
                        value,
                        previous,
                        confidence: rng.range(3, 9) as i64,
                        progress: String::new(),
                        blockers: String::new(),
                        help: String::new(),
                        created_at: start + w * WEEK + DAY * 4,
                        source: String::new(),
                        status: String::new(),
                        status_reason: String::new(),
                    });
                }
                let words = rng.range(2, 3) as usize;
                krs.push(KeyResultRow {
                    tenant_id: t,
                    id: kr,
                    objective_id: id,
                    title: title(&mut rng, words),
                    measure: "increase".into(),
                    baseline: 0.0,
                    target: 100.0,
                    current: value,
                    unit: "%".into(),
                    weight: 1.0,
                    position: pos as i64,
                    created_at: start,
                    updated_at: start,
                    override_score: None,
                    override_reason: None,
                });
                kr_ids.push(kr);
            }
        }
    }
    // KPIs for half of the people, each with a value for every period of the quarter so far.
    let week_days: Vec<time::Date> = (0..12).map(|w| date_of(start + w * WEEK + 4 * DAY)).collect();
    let mut months: Vec<String> = vec![];
    for d in (0..=(now - start) / DAY).map(|d| date_of(start + d * DAY)) {
        let m = period(PeriodKind::Month, d);
        if months.last() != Some(&m) {
            months.push(m);
        }
    }
    let mut kpis = vec![];
    let mut kpi_values = vec![];
    for &(p, u) in &people {
        if rng.unit() >= 0.5 {
            continue;
        }
        let boss = manager_of_unit.get(&u).copied().filter(|&b| b != p);
        for _ in 0..rng.range(2, 3) {
            let id = db.next_id().await.map_err(|x| e(&x))?;
            let (name, direction, pass, warn, typical) = KPIS[rng.range(0, KPIS.len() as u64 - 1) as usize];
            let weekly = rng.unit() < 1.0 / 3.0;
            let derived = boss
                .and_then(|b| krs_of.get(&b))
                .filter(|_| rng.unit() < 0.25)
                .map(|ks| ks[rng.range(0, ks.len() as u64 - 1) as usize]);
            kpis.push(KpiRow {
                tenant_id: t,
                id,
                cycle_id: cycle,
                name: name.into(),
                owner_type: "person".into(),
                owner_id: p,
                granularity: if weekly { "week" } else { "month" }.into(),
                direction: direction.into(),
                target: typical,
                pass_threshold: pass,
                warn_threshold: Some(warn),
                unit: "%".into(),
                weight: 1.0,
                derived_type: derived.map(|_| "key_result".to_string()),
                derived_id: derived,
                created_at: start,
                updated_at: start,
            });
            let periods: Vec<String> =
                if weekly { week_days.iter().map(|&d| period(PeriodKind::Week, d)).collect() } else { months.clone() };
            for label in periods {
                kpi_values.push(KpiValueRow {
                    tenant_id: t,
                    id: db.next_id().await.map_err(|x| e(&x))?,
                    kpi_id: id,
                    period: label,
                    value: (typical * (0.9 + 0.2 * rng.unit()) * 100.0).round() / 100.0,
                    author_id: Some(p),
                    source: String::new(),
                    created_at: now,
                });
            }
        }
    }

    // A metric of daily sales per department, feeding one of its manager's key results (a sum
    // over the quarter): the key result's weekly check-ins become the metric's running sums.
    let mut metric_rows = vec![];
    let mut points = vec![];
    let mut bindings = vec![];
    let data_days = 82; // through the last weekly check-in (week 11, day 4)
    for &u in &departments {
        let Some(&kr) = manager_of_unit.get(&u).and_then(|m| krs_of.get(m)).and_then(|ks| ks.first()) else {
            continue;
        };
        let Some(&(ci, ki)) = first_check_in.get(&kr) else { continue };
        let id = db.next_id().await.map_err(|x| e(&x))?;
        metric_rows.push(MetricRow {
            tenant_id: t,
            id,
            name: format!("部门{u}·日销售"),
            unit: "万元".into(),
            description: String::new(),
            created_by: Some(ceo),
            created_at: start,
        });
        let per_day = 100.0 * (0.5 + rng.unit()) / data_days as f64;
        let mut daily = Vec::with_capacity(data_days);
        for d in 0..data_days as i64 {
            let at = start + d * DAY;
            let value = (per_day * (0.5 + rng.unit()) * 100.0).round() / 100.0;
            daily.push((at, value));
            points.push(PointRow {
                tenant_id: t,
                id: db.next_id().await.map_err(|x| e(&x))?,
                metric_id: id,
                at,
                value,
                external_id: Some(format!("d{d}")),
                source: "push".into(),
                author_id: Some(ceo),
                created_at: at,
            });
        }
        let mut previous = 0.0;
        for w in 0..12 {
            let c = &mut check_ins[ci + w as usize];
            let value: f64 = daily.iter().filter(|&&(at, _)| at <= c.created_at).map(|&(_, v)| v).sum();
            c.value = value;
            c.previous = previous;
            c.confidence = -1;
            c.author_id = ceo;
            c.source = format!("metric:{id}");
            previous = value;
        }
        krs[ki].current = previous;
        bindings.push(BindingRow {
            tenant_id: t,
            id: db.next_id().await.map_err(|x| e(&x))?,
            metric_id: id,
            subject_type: "key_result".into(),
            subject_id: kr,
            aggregation: "sum".into(),
            stale_after_days: 7,
            created_by: Some(ceo),
            created_at: start,
        });
    }
    // The ingestion workload's metric, bound to the CEO's first key result and to a weekly KPI
    // of the CEO's, so ingestion moves a key result, its ancestors and a KPI as it lands.
    let metric = db.next_id().await.map_err(|x| e(&x))?;
    metric_rows.push(MetricRow {
        tenant_id: t,
        id: metric,
        name: "基准指标".into(),
        unit: "件".into(),
        description: String::new(),
        created_by: Some(ceo),
        created_at: now,
    });
    let ceo_kpi = db.next_id().await.map_err(|x| e(&x))?;
    kpis.push(KpiRow {
        tenant_id: t,
        id: ceo_kpi,
        cycle_id: cycle,
        name: "全渠道订单量".into(),
        owner_type: "person".into(),
        owner_id: ceo,
        granularity: "week".into(),
        direction: "higher_is_better".into(),
        target: 1_000_000.0,
        pass_threshold: 900_000.0,
        warn_threshold: Some(800_000.0),
        unit: "件".into(),
        weight: 1.0,
        derived_type: None,
        derived_id: None,
        created_at: now,
        updated_at: now,
    });
    let ceo_kr = krs_of.get(&ceo).and_then(|ks| ks.first()).copied();
    for (subject_type, subject_id) in [("kpi", Some(ceo_kpi)), ("key_result", ceo_kr)] {
        let Some(subject_id) = subject_id else { continue };
        bindings.push(BindingRow {
            tenant_id: t,
            id: db.next_id().await.map_err(|x| e(&x))?,
            metric_id: metric,
            subject_type: subject_type.into(),
            subject_id,
            aggregation: "sum".into(),
            stale_after_days: 7,
            created_by: Some(ceo),
            created_at: now,
        });
    }

    for chunk in objectives.chunks(50_000) {
        let mut tx = db.begin().await.map_err(|x| e(&x))?;
        tandem_store::goals::insert_objectives(&mut tx, chunk).await.map_err(|x| e(&x))?;
        tx.commit().await.map_err(|x| e(&x))?;
    }
    for chunk in krs.chunks(50_000) {
        let mut tx = db.begin().await.map_err(|x| e(&x))?;
        tandem_store::goals::insert_key_results(&mut tx, chunk).await.map_err(|x| e(&x))?;
        tx.commit().await.map_err(|x| e(&x))?;
    }
    // The knowledge base: lessons of earlier retros, attached to this cycle's objectives.
    let mut lessons = vec![];
    for i in 0..lesson_count(employees) {
        let o = &objectives[i % objectives.len()];
        lessons.push(LessonRow {
            tenant_id: t,
            id: db.next_id().await.map_err(|x| e(&x))?,
            objective_id: Some(o.id),
            unit_id: None,
            cycle_id: cycle,
            position: (i / objectives.len()) as i64,
            text: lesson_text(&mut rng),
            tags: LESSON_TAGS[rng.range(0, LESSON_TAGS.len() as u64 - 1) as usize].into(),
            created_at: now,
        });
    }
    for chunk in lessons.chunks(50_000) {
        let mut tx = db.begin().await.map_err(|x| e(&x))?;
        tandem_store::reviews::insert_lessons(&mut tx, chunk).await.map_err(|x| e(&x))?;
        tandem_store::reviews::bump_lessons_version(&mut tx, t).await.map_err(|x| e(&x))?;
        tx.commit().await.map_err(|x| e(&x))?;
    }
    for chunk in check_ins.chunks(50_000) {
        let mut tx = db.begin().await.map_err(|x| e(&x))?;
        tandem_store::checkins::insert_many(&mut tx, chunk).await.map_err(|x| e(&x))?;
        tx.commit().await.map_err(|x| e(&x))?;
    }
    for chunk in kpis.chunks(50_000) {
        let mut tx = db.begin().await.map_err(|x| e(&x))?;
        tandem_store::goals::insert_kpis(&mut tx, chunk).await.map_err(|x| e(&x))?;
        tx.commit().await.map_err(|x| e(&x))?;
    }
    for chunk in kpi_values.chunks(50_000) {
        let mut tx = db.begin().await.map_err(|x| e(&x))?;
        tandem_store::goals::insert_kpi_values(&mut tx, chunk).await.map_err(|x| e(&x))?;
        tx.commit().await.map_err(|x| e(&x))?;
    }
    for chunk in points.chunks(50_000) {
        let mut tx = db.begin().await.map_err(|x| e(&x))?;
        tandem_store::metrics::insert_points(&mut tx, chunk).await.map_err(|x| e(&x))?;
        tx.commit().await.map_err(|x| e(&x))?;
    }
    // Metrics and bindings last; the projection learns of everything above.
    {
        let mut tx = db.begin().await.map_err(|x| e(&x))?;
        for m in &metric_rows {
            tandem_store::metrics::insert_metric(&mut tx, m).await.map_err(|x| e(&x))?;
        }
        for b in &bindings {
            tandem_store::metrics::upsert_binding(&mut tx, b).await.map_err(|x| e(&x))?;
        }
        tandem_store::goals::bump_version(&mut tx, t).await.map_err(|x| e(&x))?;
        tx.commit().await.map_err(|x| e(&x))?;
    }
    // Planner statistics, as a database in service has them (PostgreSQL's autovacuum gathers
    // them; on SQLite, without them, a recursive CTE can be planned a hundred times slower).
    sqlx::query("ANALYZE").execute(db.pool()).await.map_err(|x| e(&x))?;
    Ok(Fixture {
        tenant: t,
        cycle,
        people: people.len(),
        units: units.len(),
        departments,
        objectives: objectives.len(),
        key_results: kr_ids,
        check_ins: check_ins.len(),
        lessons: lessons.len(),
        kpis: kpis.len(),
        kpi_values: kpi_values.len(),
        metrics: metric_rows.len() - 1,
        points: points.len(),
        metric,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_numbers() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(Rng::new(8).next_u64(), xs[0]);
        let mut r = Rng::new(1);
        assert!((0..1000).map(|_| r.range(2, 4)).all(|x| (2..=4).contains(&x)));
        assert!((0..1000).map(|_| r.unit()).all(|x| (0.0..1.0).contains(&x)));
    }
}
