//! The demo company: 云栖茶饮 (Yunqi Tea), a Chinese tea-drink chain with headquarters,
//! functions, two regions with stores, supply chain and R&D. Idempotent: a second run finds the
//! tenant and changes nothing.

use crate::App;
use crate::cycles::calendar::{CyclePatch, NewCycle};
use crate::error::Result;
use crate::org::accounts;
use crate::org::people::NewPerson;
use tandem_domain::Lang;
use tandem_domain::cycle::format_date;
use tandem_domain::ids::TenantId;
use tandem_domain::policy::{self, Actor};
use tandem_domain::text::NewPassword;
use tandem_store::people;
use time::{Date, Month};

pub const SLUG: &str = "demo";
pub const PASSWORD: &str = "demo-2026";

/// (name, email prefix, unit, parent unit, title, roles, manages the unit)
type Who = (&'static str, &'static str, &'static str, &'static str, &'static str, &'static str, bool);

const PEOPLE: &[Who] = &[
    ("陈志远", "ceo", "云栖茶饮总部", "", "首席执行官", "", true),
    ("周静", "zhou.jing", "云栖茶饮总部", "", "总裁办主任", "", false),
    ("王丽华", "hr", "人力资源部", "云栖茶饮总部", "人力资源总监", "hr", true),
    ("吴倩", "wu.qian", "人力资源部", "云栖茶饮总部", "绩效专员", "hr", false),
    ("郑凯", "zheng.kai", "人力资源部", "云栖茶饮总部", "招聘经理", "", false),
    ("刘洋", "liu.yang", "信息技术部", "云栖茶饮总部", "信息技术经理", "", true),
    ("系统管理员", "admin", "信息技术部", "云栖茶饮总部", "系统管理员", "admin", false),
    ("冯磊", "feng.lei", "信息技术部", "云栖茶饮总部", "后端工程师", "", false),
    ("何雪", "he.xue", "信息技术部", "云栖茶饮总部", "数据分析师", "", false),
    ("孙浩", "sun.hao", "产品研发中心", "云栖茶饮总部", "研发总监", "", true),
    ("林晓", "lin.xiao", "产品研发中心", "云栖茶饮总部", "饮品研发师", "", false),
    ("高远", "gao.yuan", "产品研发中心", "云栖茶饮总部", "饮品研发师", "", false),
    ("谢敏", "xie.min", "产品研发中心", "云栖茶饮总部", "品控工程师", "", false),
    ("马超", "ma.chao", "产品研发中心", "云栖茶饮总部", "包装设计师", "", false),
    ("黄蕾", "huang.lei", "市场品牌部", "云栖茶饮总部", "品牌总监", "", true),
    ("罗琳", "luo.lin", "市场品牌部", "云栖茶饮总部", "新媒体运营", "", false),
    ("宋佳", "song.jia", "市场品牌部", "云栖茶饮总部", "会员运营", "", false),
    ("唐杰", "tang.jie", "市场品牌部", "云栖茶饮总部", "市场专员", "", false),
    ("钱伟", "qian.wei", "财务部", "云栖茶饮总部", "财务经理", "", true),
    ("许芳", "xu.fang", "财务部", "云栖茶饮总部", "会计", "", false),
    ("曹宁", "cao.ning", "财务部", "云栖茶饮总部", "出纳", "", false),
    ("邓刚", "deng.gang", "供应链中心", "云栖茶饮总部", "供应链总监", "", true),
    ("彭丽", "peng.li", "供应链中心", "云栖茶饮总部", "采购主管", "", false),
    ("曾强", "zeng.qiang", "供应链中心", "云栖茶饮总部", "仓储主管", "", false),
    ("蒋涛", "jiang.tao", "供应链中心", "云栖茶饮总部", "物流专员", "", false),
    ("赵敏", "zhao.min", "华东大区", "云栖茶饮总部", "华东大区经理", "", true),
    ("胡斌", "hu.bin", "华东大区", "云栖茶饮总部", "区域督导", "", false),
    ("李娜", "li.na", "上海南京西路店", "华东大区", "店长", "", true),
    ("张伟", "zhang.wei", "上海南京西路店", "华东大区", "值班主管", "", false),
    ("杨帆", "yang.fan", "上海南京西路店", "华东大区", "茶饮师", "", false),
    ("朱琪", "zhu.qi", "上海南京西路店", "华东大区", "茶饮师", "", false),
    ("秦月", "qin.yue", "上海南京西路店", "华东大区", "收银员", "", false),
    ("王磊", "wang.lei", "杭州西湖店", "华东大区", "店长", "", true),
    ("陆瑶", "lu.yao", "杭州西湖店", "华东大区", "值班主管", "", false),
    ("韩梅", "han.mei", "杭州西湖店", "华东大区", "茶饮师", "", false),
    ("姚晨", "yao.chen", "杭州西湖店", "华东大区", "茶饮师", "", false),
    ("沈洁", "shen.jie", "苏州观前街店", "华东大区", "店长", "", true),
    ("范宇", "fan.yu", "苏州观前街店", "华东大区", "茶饮师", "", false),
    ("邱爽", "qiu.shuang", "苏州观前街店", "华东大区", "茶饮师", "", false),
    ("方琼", "fang.qiong", "苏州观前街店", "华东大区", "收银员", "", false),
    ("梁辉", "liang.hui", "华南大区", "云栖茶饮总部", "华南大区经理", "", true),
    ("江燕", "jiang.yan", "华南大区", "云栖茶饮总部", "区域督导", "", false),
    ("叶青", "ye.qing", "广州天河店", "华南大区", "店长", "", true),
    ("苏航", "su.hang", "广州天河店", "华南大区", "值班主管", "", false),
    ("邵婷", "shao.ting", "广州天河店", "华南大区", "茶饮师", "", false),
    ("雷鸣", "lei.ming", "广州天河店", "华南大区", "茶饮师", "", false),
    ("贺颖", "he.ying", "广州天河店", "华南大区", "收银员", "", false),
    ("龙飞", "long.fei", "深圳南山店", "华南大区", "店长", "", true),
    ("白露", "bai.lu", "深圳南山店", "华南大区", "值班主管", "", false),
    ("武阳", "wu.yang", "深圳南山店", "华南大区", "茶饮师", "", false),
    ("汪蓉", "wang.rong", "深圳南山店", "华南大区", "茶饮师", "", false),
    ("严松", "yan.song", "深圳南山店", "华南大区", "茶饮师", "", false),
];

/// What `tandem demo` reports.
#[derive(Debug, Clone)]
pub struct DemoOutcome {
    pub created: bool,
    pub tenant: TenantId,
    pub people: i64,
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

fn quarter_start(d: Date) -> Date {
    let m = ((d.month() as u8 - 1) / 3) * 3 + 1;
    Date::from_calendar_date(d.year(), Month::try_from(m).unwrap_or(Month::January), 1).unwrap_or(d)
}

fn add_months(d: Date, n: i32) -> Date {
    let total = d.year() * 12 + (d.month() as i32 - 1) + n;
    let (y, m) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    Date::from_calendar_date(y, Month::try_from(m as u8).unwrap_or(Month::January), 1).unwrap_or(d)
}

fn quarter_name(d: Date) -> String {
    format!("{} Q{}", d.year(), (d.month() as u8 - 1) / 3 + 1)
}

impl App {
    /// Fills the demo company into this database, once.
    pub async fn seed_demo(&self) -> Result<DemoOutcome> {
        if let Ok(t) = self.tenant_by_slug(SLUG).await {
            // Each part is filled once; a database from an older demo gets the newer parts.
            let created = self.seed_demo_goals(TenantId(t.id)).await?;
            let n = people::count(&self.db, t.id).await?;
            return Ok(DemoOutcome { created, tenant: TenantId(t.id), people: n });
        }
        let tenant = self.create_tenant(SLUG, "云栖茶饮连锁有限公司").await?;
        let tid = TenantId(tenant.id);
        // The admin account comes first, then everyone else through the org-chart import, the
        // same path a customer's admin uses.
        let admin_id = self
            .admin_create_user(
                tid,
                NewPerson {
                    name: "系统管理员".into(),
                    email: "admin@demo.example".into(),
                    title: "系统管理员".into(),
                    roles: vec!["admin".into()],
                    password: Some(PASSWORD.into()),
                    ..Default::default()
                },
            )
            .await?;
        let admin = Actor {
            tenant: tid,
            person: tandem_domain::ids::PersonId(admin_id),
            roles: accounts::parse_roles("admin,member"),
        };
        let mut csv = String::from("name,email,unit,parent_unit,title,roles,manager\n");
        for (name, email, unit, parent, title, roles, manages) in PEOPLE {
            csv.push_str(
                &[
                    *name,
                    &format!("{email}@demo.example"),
                    unit,
                    parent,
                    title,
                    roles,
                    if *manages { "yes" } else { "no" },
                ]
                .map(csv_field)
                .join(","),
            );
            csv.push('\n');
        }
        let cap = policy::manage_org(&admin).ok_or(crate::AppError::Forbidden)?;
        self.import_org_chart(cap, &admin, csv.as_bytes(), false, true, Lang::Zh).await?;

        // Every demo account shares the published demo password.
        let hash = accounts::hash_password(&NewPassword::parse(PASSWORD)?)?;
        let mut tx = self.db.begin().await?;
        for p in people::list_in(&mut tx, tid.0).await? {
            if p.password_hash.is_none() {
                people::set_password_hash(&mut tx, tid.0, p.id, &hash).await?;
            }
        }
        tx.commit().await?;

        // Cycles around today: the two quarters before closed, this quarter active with its
        // months, next quarter in planning, and the year.
        let hr = people::by_email(&self.db, tid.0, "hr@demo.example").await?.ok_or(crate::AppError::NotFound)?;
        let hr = accounts::actor_of(&hr);
        let cap = policy::manage_cycles(&hr).ok_or(crate::AppError::Forbidden)?;
        let today = self.clock.today();
        let q = quarter_start(today);
        let day_before = |d: Date| d.previous_day().unwrap_or(d);
        let year_start = Date::from_calendar_date(today.year(), Month::January, 1).unwrap_or(today);
        let year_end = Date::from_calendar_date(today.year(), Month::December, 31).unwrap_or(today);
        let year = self
            .create_cycle(
                cap,
                &hr,
                NewCycle {
                    name: format!("{} 年度", today.year()),
                    kind: "year".into(),
                    start: format_date(year_start),
                    end: format_date(year_end),
                    parent: None,
                },
            )
            .await?;
        self.update_cycle(cap, &hr, year.id, CyclePatch { state: Some("active".into()), ..Default::default() }).await?;
        let quarters = [(0, "active"), (3, "planning")];
        for (offset, state) in quarters {
            let start = add_months(q, offset);
            let end = day_before(add_months(start, 3));
            let parent = (start.year() == today.year()).then_some(year.id);
            let c = self
                .create_cycle(
                    cap,
                    &hr,
                    NewCycle {
                        name: quarter_name(start),
                        kind: "quarter".into(),
                        start: format_date(start),
                        end: format_date(end),
                        parent,
                    },
                )
                .await?;
            for step in ["active", "reviewing", "closed"] {
                if state == "planning" || (state == "active" && step != "active") {
                    break;
                }
                self.update_cycle(cap, &hr, c.id, CyclePatch { state: Some(step.into()), ..Default::default() })
                    .await?;
            }
            if offset == 0 {
                for m in 0..3 {
                    let ms = add_months(start, m);
                    let me = day_before(add_months(ms, 1));
                    let mc = self
                        .create_cycle(
                            cap,
                            &hr,
                            NewCycle {
                                name: format!("{}年{}月", ms.year(), ms.month() as u8),
                                kind: "month".into(),
                                start: format_date(ms),
                                end: format_date(me),
                                parent: Some(c.id),
                            },
                        )
                        .await?;
                    let steps: &[&str] = if me < today {
                        &["active", "reviewing", "closed"]
                    } else if ms <= today {
                        &["active"]
                    } else {
                        &[]
                    };
                    for s in steps {
                        self.update_cycle(
                            cap,
                            &hr,
                            mc.id,
                            CyclePatch { state: Some((*s).into()), ..Default::default() },
                        )
                        .await?;
                    }
                }
            }
        }
        self.seed_demo_goals(tid).await?;
        // The two quarters before this one, lived through to their retros. (Set up after the
        // running quarter's goals, so that lists in id order show the running goals first.)
        let past = |offset: i32| {
            let start = add_months(q, offset);
            let parent = (start.year() == today.year()).then_some(year.id);
            (quarter_name(start), (start, day_before(add_months(start, 3))), parent)
        };
        self.seed_demo_past(tid, cap, &hr, [past(-6), past(-3)]).await?;
        let n = people::count(&self.db, tid.0).await?;
        Ok(DemoOutcome { created: true, tenant: tid, people: n })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn calendar_helpers() {
        assert_eq!(quarter_start(date!(2026 - 11 - 22)), date!(2026 - 10 - 01));
        assert_eq!(add_months(date!(2026 - 10 - 01), 3), date!(2027 - 01 - 01));
        assert_eq!(add_months(date!(2026 - 01 - 01), -3), date!(2025 - 10 - 01));
        assert_eq!(quarter_name(date!(2026 - 07 - 01)), "2026 Q3");
    }
}
