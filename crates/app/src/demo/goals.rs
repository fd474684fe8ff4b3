//! The demo company's goals for the running quarter: company OKRs, unit OKRs aligned to them,
//! personal OKRs, a KR shared by two departments, KPIs cascaded from KRs, and a draft with the
//! quality problems the goal-quality hints are there to catch. Situations from the seed
//! articles, in our own words: brand reach in East China, waiting time in tea shops, output
//! versus complaints, energy use.

use crate::App;
use crate::error::{AppError, Result};
use crate::goals::key_results::NewKeyResult;
use crate::goals::objectives::NewObjective;
use crate::kpis::kpi::NewKpi;
use crate::org::accounts;
use crate::org::owners::{OwnerKind, OwnerRef};
use tandem_domain::goal::Owner;
use tandem_domain::ids::{KeyResultId, OrgUnitId, PersonId, TenantId};
use tandem_domain::kpi::DerivedFrom;
use tandem_domain::policy::Actor;
use tandem_store::{cycles, goals, org, people};

/// (title, measure, baseline, target, current, unit)
type Kr = (&'static str, &'static str, f64, f64, f64, &'static str);

/// Where each published KR should stand today: (KR id, value), filled while the goals are set up.
pub(crate) type Finals = std::sync::Mutex<Vec<(i64, f64)>>;

impl App {
    pub(crate) async fn demo_actor(&self, t: TenantId, email: &str) -> Result<Actor> {
        let p = people::by_email(&self.db, t.0, &format!("{email}@demo.example")).await?.ok_or(AppError::NotFound)?;
        Ok(accounts::actor_of(&p))
    }

    async fn demo_unit(&self, t: TenantId, name: &str) -> Result<Owner> {
        let u = org::list(&self.db, t.0).await?.into_iter().find(|u| u.name == name).ok_or(AppError::NotFound)?;
        Ok(Owner::OrgUnit(OrgUnitId(u.id)))
    }

    #[allow(clippy::too_many_arguments)]
    async fn demo_objective(
        &self,
        plan: &Finals,
        a: &Actor,
        owner: Owner,
        cycle: i64,
        title: &str,
        kind: &str,
        parent: Option<i64>,
        publish: bool,
        krs: &[Kr],
    ) -> Result<(i64, Vec<i64>)> {
        let key_results = krs
            .iter()
            .map(|(title, measure, baseline, target, current, unit)| NewKeyResult {
                title: (*title).into(),
                measure: (*measure).into(),
                baseline: *baseline,
                target: *target,
                // Published goals start at their baseline; their check-in history brings them to
                // where the demo stands today.
                current: Some(if publish { *baseline } else { *current }),
                unit: (*unit).into(),
                ..Default::default()
            })
            .collect();
        let o = self
            .create_objective(
                a,
                NewObjective {
                    title: title.into(),
                    kind: kind.into(),
                    owner: Some(owner),
                    cycle,
                    parent,
                    publish,
                    key_results,
                    ..Default::default()
                },
            )
            .await?;
        let ids: Vec<i64> = o.key_results.iter().map(|k| k.id).collect();
        if publish {
            let mut plan = plan.lock().unwrap_or_else(|e| e.into_inner());
            plan.extend(ids.iter().zip(krs).map(|(id, k)| (*id, k.4)));
        }
        Ok((o.id, ids))
    }

    /// Fills the goals once: answers whether it did anything. The goals are set up two days into
    /// the running quarter, as a company would, and their check-ins and KPI numbers follow week by
    /// week up to today.
    pub async fn seed_demo_goals(&self, t: TenantId) -> Result<bool> {
        let all = cycles::list(&self.db, t.0).await?;
        let running = |kind: &str| all.iter().find(|c| c.kind == kind && c.state == "active");
        let (Some(quarter), Some(month)) = (running("quarter"), running("month")) else { return Ok(false) };
        // Once per running quarter (the finished quarters before it have goals of their own).
        if goals::objectives(&self.db, t.0).await?.iter().any(|o| o.cycle_id == quarter.id) {
            return Ok(false);
        }
        let start = tandem_domain::cycle::parse_date("start", &quarter.start_date)?;
        let since = crate::demo::history::set_up_time(start, self.now());
        let past = self.with_clock(std::sync::Arc::new(crate::clock::FixedClock::new(since)));
        let plan = Finals::default();
        past.seed_demo_goal_tree(t, quarter.id, month.id, &plan).await?;
        let plan = plan.into_inner().unwrap_or_else(|e| e.into_inner());
        self.seed_demo_history(t, &plan, since).await?;
        Ok(true)
    }

    async fn seed_demo_goal_tree(&self, t: TenantId, quarter: i64, month: i64, plan: &Finals) -> Result<()> {
        let ceo = self.demo_actor(t, "ceo").await?;
        let hq = self.demo_unit(t, "云栖茶饮总部").await?;
        let (brand, _) = self
            .demo_objective(
                plan,
                &ceo,
                hq,
                quarter,
                "成为华东顾客首选的茶饮品牌",
                "aspirational",
                None,
                true,
                &[
                    ("华东门店月均复购率从28%提升至38%", "increase", 28.0, 38.0, 33.0, "%"),
                    ("门店顾客净推荐值（NPS）从32提升至45", "increase", 32.0, 45.0, 40.0, "分"),
                    ("华东市场品牌认知度从20%提升至35%", "increase", 20.0, 35.0, 27.0, "%"),
                ],
            )
            .await?;
        let (ops, ops_krs) = self
            .demo_objective(
                plan,
                &ceo,
                hq,
                quarter,
                "让每一家门店高效、稳定地运营",
                "committed",
                None,
                true,
                &[
                    ("顾客平均等待时间从6分钟降至3分钟以内", "decrease", 6.0, 3.0, 4.2, "分钟"),
                    ("食品安全抽检合格率保持100%", "stay_above", 0.0, 100.0, 100.0, "%"),
                    ("单店月均营业额从45万元提升至60万元", "increase", 45.0, 60.0, 52.0, "万元"),
                ],
            )
            .await?;
        let (rd_company, _) = self
            .demo_objective(
                plan,
                &ceo,
                hq,
                quarter,
                "打造持续推出爆款新品的研发能力",
                "aspirational",
                None,
                true,
                &[
                    ("新品研发周期从90天缩短至60天", "decrease", 90.0, 60.0, 75.0, "天"),
                    ("本季度上市新品中至少2款进入销量前十", "milestone", 0.0, 2.0, 1.0, "款"),
                ],
            )
            .await?;
        self.demo_objective(
            plan,
            &ceo,
            hq,
            quarter,
            "降低门店能耗，践行绿色经营",
            "learning",
            None,
            true,
            &[
                ("单店月均用电量降低15%", "decrease", 100.0, 85.0, 95.0, "指数"),
                ("完成5家门店节能设备改造试点", "milestone", 0.0, 5.0, 2.0, "家"),
            ],
        )
        .await?;

        let zhao = self.demo_actor(t, "zhao.min").await?;
        let east = self.demo_unit(t, "华东大区").await?;
        let (east_o, east_krs) = self
            .demo_objective(
                plan,
                &zhao,
                east,
                quarter,
                "让华东门店的顾客体验成为区域标杆",
                "aspirational",
                Some(brand),
                true,
                &[
                    ("华东门店NPS从30提升至48", "increase", 30.0, 48.0, 41.0, "分"),
                    ("高峰时段等待不超过3分钟的门店占比从40%提升至80%", "increase", 40.0, 80.0, 62.0, "%"),
                ],
            )
            .await?;
        let liang = self.demo_actor(t, "liang.hui").await?;
        let south = self.demo_unit(t, "华南大区").await?;
        self.demo_objective(
            plan,
            &liang,
            south,
            quarter,
            "华南门店营业额稳步增长",
            "committed",
            Some(ops),
            true,
            &[
                ("华南单店月均营业额从42万元提升至55万元", "increase", 42.0, 55.0, 47.0, "万元"),
                ("会员消费占比从35%提升至50%", "increase", 35.0, 50.0, 41.0, "%"),
            ],
        )
        .await?;
        let huang = self.demo_actor(t, "huang.lei").await?;
        let marketing = self.demo_unit(t, "市场品牌部").await?;
        let (mkt_o, _) = self
            .demo_objective(
                plan,
                &huang,
                marketing,
                quarter,
                "提升云栖在华东市场的品牌影响力",
                "aspirational",
                Some(brand),
                true,
                &[
                    ("市场调研中品牌认知度从20%提升至35%", "increase", 20.0, 35.0, 28.0, "%"),
                    ("官方社交账号粉丝从5万增长至12万", "increase", 5.0, 12.0, 9.0, "万"),
                ],
            )
            .await?;
        let sun = self.demo_actor(t, "sun.hao").await?;
        let rd = self.demo_unit(t, "产品研发中心").await?;
        let (rd_o, _) = self
            .demo_objective(
                plan,
                &sun,
                rd,
                quarter,
                "建立快速迭代的新品研发流程",
                "aspirational",
                Some(rd_company),
                true,
                &[("新品从立项到上市的周期从90天缩短至60天", "decrease", 90.0, 60.0, 78.0, "天")],
            )
            .await?;
        // The KR carried by two departments: R&D makes the drink, marketing brings people back.
        let shared = self
            .add_key_result(
                &sun,
                rd_o,
                NewKeyResult {
                    title: "新品上市首月复购率从15%提升至30%".into(),
                    measure: "increase".into(),
                    baseline: 15.0,
                    target: 30.0,
                    current: Some(15.0),
                    unit: "%".into(),
                    owners: vec![(rd, 0.6), (marketing, 0.4)],
                    ..Default::default()
                },
            )
            .await?;
        plan.lock().unwrap_or_else(|e| e.into_inner()).push((shared.id, 19.0));
        self.update_objective(
            &huang,
            mkt_o,
            crate::goals::objectives::ObjectivePatch { supports: Some(vec![rd_o]), ..Default::default() },
        )
        .await?;
        let deng = self.demo_actor(t, "deng.gang").await?;
        let supply = self.demo_unit(t, "供应链中心").await?;
        let (_, supply_krs) = self
            .demo_objective(
                plan,
                &deng,
                supply,
                quarter,
                "保障门店原料新鲜、供应稳定",
                "committed",
                Some(ops),
                true,
                &[
                    ("原料缺货率从3%降至0.5%以下", "decrease", 3.0, 0.5, 1.2, "%"),
                    ("冷链运输准时率保持在98%以上", "stay_above", 0.0, 98.0, 97.0, "%"),
                ],
            )
            .await?;

        let li = self.demo_actor(t, "li.na").await?;
        let sh = self.demo_unit(t, "上海南京西路店").await?;
        let (sh_o, sh_krs) = self
            .demo_objective(
                plan,
                &li,
                sh,
                quarter,
                "打造顾客最愿意再来的门店",
                "aspirational",
                Some(east_o),
                true,
                &[
                    ("高峰时段顾客等待时间从5分钟降至3分钟", "decrease", 5.0, 3.0, 3.8, "分钟"),
                    ("门店月复购率从30%提升至40%", "increase", 30.0, 40.0, 34.0, "%"),
                ],
            )
            .await?;
        let wang = self.demo_actor(t, "wang.lei").await?;
        let hz = self.demo_unit(t, "杭州西湖店").await?;
        self.demo_objective(
            plan,
            &wang,
            hz,
            quarter,
            "提升西湖店节假日高峰的接待能力",
            "aspirational",
            Some(east_o),
            true,
            &[
                ("节假日高峰每小时出杯数从180杯提升至260杯", "increase", 180.0, 260.0, 210.0, "杯"),
                ("节假日顾客投诉从每月8起降至2起以内", "decrease", 8.0, 2.0, 5.0, "起"),
            ],
        )
        .await?;
        let zhang = self.demo_actor(t, "zhang.wei").await?;
        let (_, duty_krs) = self
            .demo_objective(
                plan,
                &zhang,
                Owner::Person(zhang.person),
                quarter,
                "让值班时段的出品又快又稳",
                "aspirational",
                Some(sh_o),
                true,
                &[
                    ("高峰时段平均出杯时间从4分钟降至2.5分钟", "decrease", 4.0, 2.5, 3.1, "分钟"),
                    ("值班时段顾客投诉从每月6起降至2起以内", "decrease", 6.0, 2.0, 5.5, "起"),
                ],
            )
            .await?;
        let lin = self.demo_actor(t, "lin.xiao").await?;
        self.demo_objective(
            plan,
            &lin,
            Owner::Person(lin.person),
            quarter,
            "研发两款冬季爆款饮品",
            "aspirational",
            Some(rd_o),
            true,
            &[
                ("冬季新品首月销量达到20万杯", "increase", 0.0, 200000.0, 64000.0, "杯"),
                ("新品口味测试好评率从60%提升至85%", "increase", 60.0, 85.0, 71.0, "%"),
            ],
        )
        .await?;
        // A draft with the problems the goal-quality hints catch: a task for an objective,
        // activities and a vague wish for key results.
        self.demo_objective(
            plan,
            &zhang,
            Owner::Person(zhang.person),
            quarter,
            "完成本季度的各项工作任务",
            "committed",
            None,
            false,
            &[
                ("拜访周边写字楼客户30次", "increase", 0.0, 30.0, 0.0, "次"),
                ("举办3场门店品鉴活动", "increase", 0.0, 3.0, 0.0, "场"),
                ("提升顾客满意度", "increase", 0.0, 1.0, 0.0, ""),
            ],
        )
        .await?;

        // KPIs for the running month, cascaded from the KRs above (the store's waiting-time KR
        // becomes "顾客等待时间不超过3分钟" for the people who serve the customers).
        let person = |p: PersonId| Some(OwnerRef { kind: OwnerKind::Person, id: p.0 });
        let kpi = |name: &str,
                   owner: Option<OwnerRef>,
                   direction: &str,
                   target: f64,
                   pass: f64,
                   warn: f64,
                   unit: &str,
                   from: Option<i64>| NewKpi {
            name: name.into(),
            owner,
            cycle: month,
            granularity: "month".into(),
            direction: direction.into(),
            target,
            pass: Some(pass),
            warn: Some(warn),
            unit: unit.into(),
            weight: Some(1.0),
            derived_from: from.map(|k| DerivedFrom::KeyResult(KeyResultId(k))),
        };
        let p_of = |a: &Actor| a.person;
        let staff = |email: &'static str| async move { self.demo_actor(t, email).await };
        self.create_kpi(
            &zhao,
            kpi("门店顾客平均等待时间不超过3分钟", person(p_of(&li)), "lower", 3.0, 3.0, 4.0, "分钟", Some(ops_krs[0])),
        )
        .await?;
        self.create_kpi(
            &li,
            kpi("高峰时段出杯时间不超过3分钟", person(p_of(&zhang)), "lower", 2.5, 3.0, 3.5, "分钟", Some(sh_krs[0])),
        )
        .await?;
        for email in ["yang.fan", "zhu.qi"] {
            let who = staff(email).await?;
            self.create_kpi(
                &li,
                kpi("出品标准抽检合格率", person(who.person), "higher", 98.0, 98.0, 95.0, "%", Some(sh_krs[1])),
            )
            .await?;
        }
        // Piece-rate output beside the complaints KR it was meant to serve: the seeds' textile
        // case in a tea shop, where output can keep passing while complaints stay high.
        let yang = staff("yang.fan").await?;
        self.create_kpi(
            &li,
            kpi("每班出杯数（计件）", person(yang.person), "higher", 300.0, 280.0, 250.0, "杯", Some(duty_krs[1])),
        )
        .await?;
        let qin = staff("qin.yue").await?;
        self.create_kpi(&li, kpi("收银差错率", person(qin.person), "lower", 0.1, 0.2, 0.5, "%", None)).await?;
        self.create_kpi(
            &zhao,
            kpi("单店月营业额", person(wang.person), "higher", 55.0, 50.0, 45.0, "万元", Some(ops_krs[2])),
        )
        .await?;
        self.create_kpi(&zhao, kpi("门店NPS", person(li.person), "higher", 45.0, 40.0, 35.0, "分", Some(east_krs[0])))
            .await?;
        self.create_kpi(&sun, kpi("新品研发节点按期完成率", person(lin.person), "higher", 90.0, 90.0, 80.0, "%", None))
            .await?;
        let peng = staff("peng.li").await?;
        self.create_kpi(
            &deng,
            kpi("原料缺货率", person(peng.person), "lower", 0.5, 1.0, 2.0, "%", Some(supply_krs[0])),
        )
        .await?;
        // HR's KPI library, per job family.
        let hr = self.demo_actor(t, "hr").await?;
        let cap = tandem_domain::policy::manage_kpi_library(&hr).ok_or(AppError::Forbidden)?;
        for (family, name, direction, pass, warn, unit) in [
            ("门店·茶饮师", "出品标准抽检合格率", "higher", 98.0, 95.0, "%"),
            ("门店·店长", "顾客平均等待时间", "lower", 3.0, 4.0, "分钟"),
            ("门店·店长", "门店月营业额达成率", "higher", 100.0, 90.0, "%"),
            ("门店·收银员", "收银差错率", "lower", 0.2, 0.5, "%"),
            ("供应链·采购", "原料缺货率", "lower", 1.0, 2.0, "%"),
            ("研发·饮品研发师", "新品研发节点按期完成率", "higher", 90.0, 80.0, "%"),
        ] {
            let new = crate::kpis::library::NewTemplate {
                job_family: family.into(),
                name: name.into(),
                granularity: "month".into(),
                direction: direction.into(),
                pass,
                warn: Some(warn),
                unit: unit.into(),
                weight: None,
            };
            self.create_template(cap, &hr, new).await?;
        }
        Ok(())
    }
}
