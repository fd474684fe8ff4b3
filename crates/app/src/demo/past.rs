//! The demo's two finished quarters: goals set at the start of each, checked in through it,
//! frozen when it went into review, self-scored, retro'd, scored by managers and closed — so the
//! review pages, the knowledge base and ambition calibration show real situations on first start.
//!
//! The situations are chosen: the Hangzhou store sets aspirational goals it hits every time
//! (sandbagging), marketing sets ones it reaches a fifth of (over-reaching), the Shanghai store
//! and R&D score in the 0.6–0.7 range aspirational goals are meant for, the Guangzhou store misses
//! a committed key result in the last quarter, and three stores wait on IT in their retros.

use crate::App;
use crate::cycles::calendar::{CyclePatch, NewCycle};
use crate::error::Result;
use crate::goals::key_results::NewKeyResult;
use crate::goals::objectives::NewObjective;
use crate::org::accounts;
use std::sync::Arc;
use tandem_domain::Lang;
use tandem_domain::checkin::CheckIn;
use tandem_domain::goal::Owner;
use tandem_domain::ids::{OrgUnitId, TenantId};
use tandem_domain::policy::{Actor, ManageCycles};
use tandem_domain::retro::{ActionInput, CarryInput, CauseInput, LessonInput, RetroInput, SelfScoreInput};
use tandem_store::{org, people};

/// (title, measure, baseline, target, final value, unit)
type Kr = (&'static str, &'static str, f64, f64, f64, &'static str);

/// A past objective: who owns it (a unit by name, or a person by email prefix), its kind, key
/// results, and its retro.
struct Past {
    owner: Who,
    kind: &'static str,
    title: &'static str,
    krs: &'static [Kr],
    retro: Option<Retro>,
}

enum Who {
    Unit(&'static str),
    Person(&'static str),
}

struct Retro {
    /// Self scores in the order of the key results.
    self_scores: &'static [f64],
    worked: &'static [&'static str],
    did_not: &'static [&'static str],
    /// (text, type, subjective?)
    causes: &'static [(&'static str, &'static str, bool)],
    /// (text, tags)
    lessons: &'static [(&'static str, &'static [&'static str])],
    /// (text, owner email prefix, days after the quarter ends)
    actions: &'static [(&'static str, &'static str, i64)],
    /// Decisions in the order of the key results.
    carry: &'static [&'static str],
    /// A manager's final score for the first key result, with its reason.
    final_score: Option<(f64, &'static str)>,
    /// Who acknowledges it (email prefix).
    acknowledged_by: Option<&'static str>,
}

const Q_EARLIER: &[Past] = &[
    Past {
        owner: Who::Unit("杭州西湖店"),
        kind: "aspirational",
        title: "把西湖店做成华东区的标杆门店",
        krs: &[
            ("月均营业额从38万元提升至42万元", "increase", 38.0, 42.0, 41.9, "万元"),
            ("会员复购率从30%提升至33%", "increase", 30.0, 33.0, 33.0, "%"),
            ("外卖平台评分从4.6提升至4.7", "increase", 4.6, 4.7, 4.7, "分"),
        ],
        retro: Some(Retro {
            self_scores: &[1.0, 1.0, 1.0],
            worked: &["排班和备料节奏稳定，三项指标都按计划达成"],
            did_not: &["新品推广基本靠总部活动，门店自己的动作不多"],
            causes: &[("外卖评分提升主要靠平台上的满减活动拉动", "market", false)],
            lessons: &[("高峰前一小时把外卖打包台单独分出来，出餐超时明显减少", &["外卖", "出品"])],
            actions: &[("把外卖打包台分区做法整理成门店标准", "wang.lei", 20)],
            carry: &["drop", "continue", "drop"],
            final_score: None,
            acknowledged_by: Some("zhao.min"),
        }),
    },
    Past {
        owner: Who::Unit("市场品牌部"),
        kind: "aspirational",
        title: "让云栖成为年轻人第一个想到的茶饮品牌",
        krs: &[
            ("小红书粉丝从2万增长至20万", "increase", 2.0, 20.0, 5.0, "万"),
            ("品牌搜索指数从1500提升至6000", "increase", 1500.0, 6000.0, 2400.0, ""),
            ("联名活动带来新会员10万人", "increase", 0.0, 100000.0, 30000.0, "人"),
        ],
        retro: Some(Retro {
            self_scores: &[0.3, 0.3, 0.4],
            worked: &["联名活动的首周声量超出预期"],
            did_not: &["粉丝和搜索指数都远低于目标", "联名带来的新会员大多只来了一次"],
            causes: &[
                ("目标是参照头部品牌拍脑袋定的，没有看我们自己的历史增速", "target", true),
                ("投放预算只批了申请的一半，达人合作砍掉了三分之二", "resources", false),
            ],
            lessons: &[(
                "定增长目标前先拉近四个季度的实际增速，挑战目标定在历史最好水平的一倍以内",
                &["目标设定", "增长"],
            )],
            actions: &[("下季度目标按历史增速重新测算后再提交", "huang.lei", 10)],
            carry: &["revise", "revise", "drop"],
            final_score: None,
            acknowledged_by: Some("ceo"),
        }),
    },
    Past {
        owner: Who::Person("zhang.wei"),
        kind: "aspirational",
        title: "让值班时段的出品更快",
        krs: &[
            ("高峰时段平均出杯时间从5分钟降至3分钟", "decrease", 5.0, 3.0, 3.7, "分钟"),
            ("值班时段漏单从每周5单降至1单", "decrease", 5.0, 1.0, 2.6, "单"),
        ],
        retro: Some(Retro {
            self_scores: &[0.6, 0.6],
            worked: &["两人一组的出杯分工让高峰更顺"],
            did_not: &["漏单还是集中在外卖和堂食同时爆单的时候"],
            causes: &[
                ("一直在等信息部上线新的点单系统，外卖和堂食分流方案拖到了六月底", "dependency", false),
                ("新来的两位店员没有练过高峰流程", "capability", true),
            ],
            lessons: &[("新人上岗前先跟两个完整的晚高峰班次", &["培训", "高峰"])],
            actions: &[("把高峰带教写进新人上岗清单", "li.na", 14)],
            carry: &["continue", "revise"],
            final_score: None,
            acknowledged_by: Some("li.na"),
        }),
    },
    Past {
        owner: Who::Unit("产品研发中心"),
        kind: "aspirational",
        title: "推出两款夏季爆款饮品",
        krs: &[
            ("夏季新品首月销量达到15万杯", "increase", 0.0, 150000.0, 98000.0, "杯"),
            ("新品口味测试好评率从60%提升至80%", "increase", 60.0, 80.0, 73.0, "%"),
            ("新品从立项到上市从60天缩短至40天", "decrease", 60.0, 40.0, 47.0, "天"),
        ],
        retro: Some(Retro {
            self_scores: &[0.7, 0.6, 0.6],
            worked: &["口味测试提前到门店做，反馈快了一周"],
            did_not: &["第二款新品因为原料断货推迟了三周"],
            causes: &[
                ("芒果供应商六月交货延迟了三周", "dependency", false),
                ("立项评审要过五个部门签字，光审批就用了十天", "process", true),
            ],
            lessons: &[("关键原料至少找两家供应商，并在立项时锁定首批数量", &["供应链", "新品"])],
            actions: &[("新品立项评审改为一次会议决策", "sun.hao", 15)],
            carry: &["continue", "continue", "revise"],
            final_score: None,
            acknowledged_by: Some("ceo"),
        }),
    },
    Past {
        owner: Who::Unit("广州天河店"),
        kind: "committed",
        title: "天河店运营全面达标",
        krs: &[
            ("食品安全抽检合格率从96%提升至100%", "increase", 96.0, 100.0, 100.0, "%"),
            ("顾客投诉从每月6起降至3起以内", "decrease", 6.0, 3.0, 3.0, "起"),
        ],
        retro: Some(Retro {
            self_scores: &[1.0, 1.0],
            worked: &["每日开店前的食安自查表坚持了整个季度"],
            did_not: &["收银系统故障时只能手工记单，高峰排队很长"],
            causes: &[("收银系统故障报给信息部后要等两三天才有人来修", "dependency", false)],
            lessons: &[("收银系统故障时启用纸质点单流程，并提前培训每一位收银员", &["收银", "应急"])],
            actions: &[("整理收银故障应急流程并贴在吧台", "ye.qing", 7)],
            carry: &["continue", "continue"],
            final_score: None,
            acknowledged_by: Some("liang.hui"),
        }),
    },
];

/// A unit's team retro of the later quarter: (unit, worked, did not, causes (text, type, ours),
/// lessons (text, tags), actions (text, owner, due days after the end), acknowledged by).
type TeamPast = (
    &'static str,
    &'static str,
    &'static str,
    (&'static str, &'static str, bool),
    (&'static str, &'static [&'static str]),
    (&'static str, &'static str, i64),
    &'static str,
);

const TEAM_LATER: &[TeamPast] = &[
    (
        "上海南京西路店",
        "晚高峰双人出杯，排队时间明显缩短",
        "外卖高峰和堂食抢人手，外卖超时率没降下来",
        ("排班时没有把外卖平台的出餐时限算进去", "process", true),
        ("外卖高峰单独排一名打包员，和堂食出杯分开", &["排班", "外卖"]),
        ("下季度起外卖高峰单独排班", "li.na", 14),
        "zhao.min",
    ),
    (
        "杭州西湖店",
        "会员复购活动每周都按时上线",
        "目标定得太保守，两个季度都提前完成，没有逼出新打法",
        ("定目标时只参考了去年同期，没看新商圈的客流变化", "target", true),
        ("定目标时同时参考去年同期和商圈客流预测，挑战值取两者中较高的", &["目标设定"]),
        ("下季度目标先和区域一起校准再发布", "wang.lei", 7),
        "zhao.min",
    ),
];

const Q_LATER: &[Past] = &[
    Past {
        owner: Who::Unit("杭州西湖店"),
        kind: "aspirational",
        title: "西湖店继续领跑华东区",
        krs: &[
            ("月均营业额从42万元提升至45万元", "increase", 42.0, 45.0, 44.8, "万元"),
            ("每月新增会员从800人提升至900人", "increase", 800.0, 900.0, 900.0, "人"),
            ("出杯超时率从8%降至7%", "decrease", 8.0, 7.0, 7.0, "%"),
        ],
        retro: Some(Retro {
            self_scores: &[1.0, 1.0, 1.0],
            worked: &["三项指标全部达成"],
            did_not: &["没有尝试新的增长方式"],
            causes: &[("目标基本按去年已经做到的水平定，挑战不够", "target", true)],
            lessons: &[("挑战型目标要定到只有五到七成把握的高度，全部达成说明定低了", &["目标设定"])],
            actions: &[("下季度至少一个关键结果按区域最好水平定", "wang.lei", 10)],
            carry: &["revise", "drop", "drop"],
            final_score: None,
            acknowledged_by: Some("zhao.min"),
        }),
    },
    Past {
        owner: Who::Unit("市场品牌部"),
        kind: "aspirational",
        title: "打响云栖的年轻化品牌形象",
        krs: &[
            ("抖音粉丝从5万增长至50万", "increase", 5.0, 50.0, 14.0, "万"),
            ("会员小程序月活从8万提升至40万", "increase", 8.0, 40.0, 16.0, "万"),
            ("品牌认知度调研从12%提升至35%", "increase", 12.0, 35.0, 17.0, "%"),
        ],
        retro: Some(Retro {
            self_scores: &[0.3, 0.3, 0.3],
            worked: &["短视频的完播率比上季度高"],
            did_not: &["三个关键结果都只完成了两成左右"],
            causes: &[
                ("目标又一次定得远高于历史增速", "target", true),
                ("小程序改版要排信息部的期，八月才上线", "dependency", false),
            ],
            lessons: &[("大目标拆成每月可检验的小目标，第一个月没过半就及时调整", &["目标设定", "节奏"])],
            actions: &[],
            carry: &["revise", "continue", "drop"],
            final_score: Some((0.25, "抽样复核后，抖音涨粉中约三成来自一次性抽奖活动")),
            acknowledged_by: None,
        }),
    },
    Past {
        owner: Who::Person("zhang.wei"),
        kind: "aspirational",
        title: "值班时段出品又快又准",
        krs: &[
            ("高峰时段平均出杯时间从4分钟降至2.5分钟", "decrease", 4.0, 2.5, 3.0, "分钟"),
            ("值班时段漏单从每周3单降至0单", "decrease", 3.0, 0.0, 1.0, "单"),
        ],
        retro: Some(Retro {
            self_scores: &[0.7, 0.6],
            worked: &["新点单系统上线后外卖和堂食分开出单"],
            did_not: &["出杯时间在周末晚高峰还是超过3分钟"],
            causes: &[
                ("周末晚高峰排班只有三个人，人手明显不够", "resources", true),
                ("等信息部调整点单系统的打印顺序等了一个月", "dependency", false),
            ],
            lessons: &[("周末晚高峰按订单预测多排一个机动岗", &["排班", "高峰"])],
            actions: &[("按近四周订单数据调整周末排班", "zhang.wei", 7)],
            carry: &["continue", "continue"],
            final_score: None,
            acknowledged_by: Some("li.na"),
        }),
    },
    Past {
        owner: Who::Unit("产品研发中心"),
        kind: "aspirational",
        title: "秋季新品打出口碑",
        krs: &[
            ("秋季新品首月销量达到18万杯", "increase", 0.0, 180000.0, 120000.0, "杯"),
            ("新品复购率达到25%", "increase", 0.0, 25.0, 16.0, "%"),
            ("新品研发周期从47天缩短至35天", "decrease", 47.0, 35.0, 39.0, "天"),
        ],
        retro: Some(Retro {
            self_scores: &[0.7, 0.6, 0.7],
            worked: &["立项改成一次会议决策后，研发周期短了一周"],
            did_not: &["复购率不如预期"],
            causes: &[("新品口味偏甜，第二次购买的顾客反馈腻", "capability", true)],
            lessons: &[("口味测试要包含第二次饮用的反馈，不只看第一口", &["新品", "口味"])],
            actions: &[("口味测试表增加复饮评分项", "lin.xiao", 10)],
            carry: &["continue", "continue", "continue"],
            final_score: None,
            acknowledged_by: Some("ceo"),
        }),
    },
    Past {
        owner: Who::Unit("广州天河店"),
        kind: "committed",
        title: "天河店服务与食安双达标",
        krs: &[
            ("食品安全抽检合格率保持在100%", "increase", 98.0, 100.0, 100.0, "%"),
            ("高峰排队时间从12分钟降至8分钟以内", "decrease", 12.0, 8.0, 8.8, "分钟"),
        ],
        retro: Some(Retro {
            self_scores: &[1.0, 0.7],
            worked: &["食安全季度零问题"],
            did_not: &["高峰排队时间没降到8分钟"],
            causes: &[
                ("自助点单机坏了两台，报修后等信息部一周才换新", "dependency", false),
                ("店里没有专人盯排队，高峰时没人及时分流", "execution", true),
            ],
            lessons: &[("高峰时段安排一名店员专门引导顾客用小程序点单", &["排队", "高峰"])],
            actions: &[("高峰引导岗写进排班表", "ye.qing", 7), ("自助点单机备一台备机", "liu.yang", 30)],
            carry: &["continue", "revise"],
            final_score: None,
            acknowledged_by: Some("liang.hui"),
        }),
    },
];

/// The value of a key result `share` of the way from its baseline to its final value.
fn along(k: &Kr, share: f64) -> f64 {
    let v = k.2 + (k.4 - k.2) * share;
    (v * 100.0).round() / 100.0
}

impl App {
    async fn past_actor(&self, t: TenantId, who: &str) -> Result<Actor> {
        let p =
            people::by_email(&self.db, t.0, &format!("{who}@demo.example")).await?.ok_or(crate::AppError::NotFound)?;
        Ok(accounts::actor_of(&p))
    }

    /// The person who writes a past objective's retro and checks in on it: the person, or the
    /// unit's manager.
    async fn past_owner(&self, t: TenantId, who: &Who) -> Result<(Owner, Actor)> {
        match who {
            Who::Person(email) => {
                let a = self.past_actor(t, email).await?;
                Ok((Owner::Person(a.person), a))
            }
            Who::Unit(name) => {
                let u = org::list(&self.db, t.0)
                    .await?
                    .into_iter()
                    .find(|u| u.name == *name)
                    .ok_or(crate::AppError::NotFound)?;
                let manager = u.manager_id.ok_or(crate::AppError::NotFound)?;
                let p = people::get(&self.db, t.0, manager).await?.ok_or(crate::AppError::NotFound)?;
                Ok((Owner::OrgUnit(OrgUnitId(u.id)), accounts::actor_of(&p)))
            }
        }
    }

    /// Creates a finished quarter from `start` to `end` (dates) under `year` and lives it through.
    #[allow(clippy::too_many_arguments)]
    async fn seed_demo_past_quarter(
        &self,
        t: TenantId,
        cap: ManageCycles,
        hr: &Actor,
        name: String,
        (start, end): (time::Date, time::Date),
        year: Option<i64>,
        goals: &[Past],
        team: &[TeamPast],
    ) -> Result<()> {
        let at = |day: time::Date, hour: i64| {
            let d = day.midnight().assume_utc().unix_timestamp() * 1_000_000 + hour * 3_600_000_000;
            self.with_clock(Arc::new(crate::clock::FixedClock::new(d)))
        };
        let start_us = start.midnight().assume_utc().unix_timestamp() * 1_000_000;
        let end_us = end.midnight().assume_utc().unix_timestamp() * 1_000_000;
        let fmt = tandem_domain::cycle::format_date;
        let c = at(start, 8)
            .create_cycle(
                cap,
                hr,
                NewCycle { name, kind: "quarter".into(), start: fmt(start), end: fmt(end), parent: year },
            )
            .await?;
        let set = |app: App, state: &'static str| async move {
            app.update_cycle(cap, hr, c.id, CyclePatch { state: Some(state.into()), ..Default::default() }).await
        };
        set(at(start, 8), "active").await?;
        // Goals on the second day, check-ins a month apart, the last one the week before the end.
        let mut made = vec![];
        for g in goals {
            let (owner, lead) = self.past_owner(t, &g.owner).await?;
            let o = at(start.next_day().unwrap_or(start), 10)
                .create_objective(
                    &lead,
                    NewObjective {
                        title: g.title.into(),
                        kind: g.kind.into(),
                        owner: Some(owner),
                        cycle: c.id,
                        publish: true,
                        key_results: g
                            .krs
                            .iter()
                            .map(|k| NewKeyResult {
                                title: k.0.into(),
                                measure: k.1.into(),
                                baseline: k.2,
                                target: k.3,
                                current: Some(k.2),
                                unit: k.5.into(),
                                ..Default::default()
                            })
                            .collect(),
                        ..Default::default()
                    },
                )
                .await?;
            made.push((o.id, o.key_results.iter().map(|k| k.id).collect::<Vec<_>>(), lead));
        }
        let span = end_us - start_us;
        for (step, share, confidence) in [(0.33, 0.4, 7), (0.66, 0.75, 7), (0.93, 1.0, 6)] {
            let when = start_us + (span as f64 * step) as i64;
            let app = self.with_clock(Arc::new(crate::clock::FixedClock::new(when)));
            for (g, (_, krs, lead)) in goals.iter().zip(&made) {
                for (k, id) in g.krs.iter().zip(krs) {
                    let input = CheckIn::parse(along(k, share), confidence, "按计划推进", "", "")?;
                    app.check_in(lead, *id, input).await?;
                }
            }
        }
        // Into review the day after the end; retros within the week; closed ten days later.
        let after = |days: i64| end.checked_add(time::Duration::days(days)).unwrap_or(end);
        set(at(after(1), 9), "reviewing").await?;
        for (g, (objective, krs, lead)) in goals.iter().zip(&made) {
            let Some(r) = &g.retro else { continue };
            let mut actions = vec![];
            for (text, owner, days) in r.actions {
                let owner = self.past_actor(t, owner).await?;
                actions.push(ActionInput {
                    text: (*text).into(),
                    owner: Some(owner.person.0),
                    due: Some(fmt(after(*days))),
                    state: String::new(),
                });
            }
            let input = RetroInput {
                self_scores: krs
                    .iter()
                    .zip(r.self_scores)
                    .map(|(k, s)| SelfScoreInput { key_result: *k, score: *s, note: String::new() })
                    .collect(),
                worked: r.worked.iter().map(|s| (*s).into()).collect(),
                did_not: r.did_not.iter().map(|s| (*s).into()).collect(),
                causes: r
                    .causes
                    .iter()
                    .map(|(text, kind, ours)| CauseInput {
                        text: (*text).into(),
                        kind: (*kind).into(),
                        cause: if *ours { "subjective" } else { "objective" }.into(),
                    })
                    .collect(),
                lessons: r
                    .lessons
                    .iter()
                    .map(|(text, tags)| LessonInput {
                        text: (*text).into(),
                        tags: tags.iter().map(|t| (*t).into()).collect(),
                    })
                    .collect(),
                actions,
                carry_over: krs
                    .iter()
                    .zip(r.carry)
                    .map(|(k, d)| CarryInput { key_result: *k, decision: (*d).into() })
                    .collect(),
            };
            at(after(3), 10).save_retro(lead, *objective, &input, Lang::Zh).await?;
            if let Some((score, reason)) = r.final_score {
                let boss = self.past_actor(t, r.acknowledged_by.unwrap_or("ceo")).await?;
                at(after(4), 10).override_kr_score(&boss, krs[0], score, reason).await?;
            }
            if let Some(who) = r.acknowledged_by {
                let boss = self.past_actor(t, who).await?;
                at(after(5), 10).acknowledge_retro(&boss, *objective, Lang::Zh).await?;
            }
        }
        for (unit, worked, did_not, cause, lesson, action, by) in team {
            let (owner, lead) = self.past_owner(t, &Who::Unit(unit)).await?;
            let Owner::OrgUnit(u) = owner else { continue };
            let doer = self.past_actor(t, action.1).await?;
            let input = RetroInput {
                worked: vec![(*worked).into()],
                did_not: vec![(*did_not).into()],
                causes: vec![CauseInput {
                    text: cause.0.into(),
                    kind: cause.1.into(),
                    cause: if cause.2 { "subjective" } else { "objective" }.into(),
                }],
                lessons: vec![LessonInput {
                    text: lesson.0.into(),
                    tags: lesson.1.iter().map(|t| (*t).into()).collect(),
                }],
                actions: vec![ActionInput {
                    text: action.0.into(),
                    owner: Some(doer.person.0),
                    due: Some(fmt(after(action.2))),
                    state: String::new(),
                }],
                ..Default::default()
            };
            at(after(6), 15).save_team_retro(&lead, u.0, c.id, &input, Lang::Zh).await?;
            let boss = self.past_actor(t, by).await?;
            at(after(7), 10).acknowledge_team_retro(&boss, u.0, c.id, Lang::Zh).await?;
        }
        set(at(after(10), 9), "closed").await?;
        Ok(())
    }

    /// The two quarters before `current` (its start date), lived through.
    pub(crate) async fn seed_demo_past(
        &self,
        t: TenantId,
        cap: ManageCycles,
        hr: &Actor,
        quarters: [(String, (time::Date, time::Date), Option<i64>); 2],
    ) -> Result<()> {
        let [earlier, later] = quarters;
        self.seed_demo_past_quarter(t, cap, hr, earlier.0, earlier.1, earlier.2, Q_EARLIER, &[]).await?;
        self.seed_demo_past_quarter(t, cap, hr, later.0, later.1, later.2, Q_LATER, TEAM_LATER).await?;
        Ok(())
    }
}
