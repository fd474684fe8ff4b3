//! Weekly notices, in each tenant's local time: on Thursday from 09:00, a check-in reminder to
//! everyone who still owes one this week (by email, and the list of names to channels that take
//! reminders); on Monday from 08:00, a digest of last week for every manager (by email: their team's red lights and
//! who did not check in) and a company summary to channels that take digests. Each is sent once
//! per tenant and week, whichever server gets there first (a row per notice, claimed in the
//! transaction that queues the messages). Only tenants with a running cycle get them.

use crate::error::Result;
use crate::notify::outbox::{enqueue, tell_people};
use crate::{Actor, App};
use std::collections::{HashMap, HashSet};
use tandem_domain::ids::PersonId;
use tandem_domain::policy::Role;
use tandem_domain::zone::Zone;

const DAY: i64 = 86_400_000_000;

/// The weekly notices due at `now` (µs) in `zone`: (kind, the local Monday of the week they are
/// for, as `YYYY-MM-DD`). Pure.
pub fn due_notices(now: i64, zone: &Zone) -> Vec<(&'static str, String)> {
    let monday = zone.date(zone.week_start(now));
    let mut out = vec![];
    if now >= zone.at(monday, 8, 0) {
        // The digest is about the week that just ended.
        out.push(("weekly_digest", (monday - time::Duration::days(7)).to_string()));
    }
    if now >= zone.at(monday + time::Duration::days(3), 9, 0) {
        out.push(("check_in_reminder", monday.to_string()));
    }
    out
}

impl App {
    /// Queues the weekly notices that are due and not yet sent, for every tenant. Answers how
    /// many notices (not messages) this server queued.
    pub async fn send_weekly_notices(&self) -> Result<usize> {
        let now = self.now();
        let mut sent = 0;
        for t in tandem_store::tenants::all(&self.db).await? {
            let zone = Zone::or_default(Some(&t.time_zone));
            let due = due_notices(now, &zone);
            if due.is_empty() {
                continue;
            }
            let running = tandem_store::cycles::list(&self.db, t.id).await?.iter().any(|c| c.state == "active");
            if !running {
                continue;
            }
            for (kind, period) in &due {
                // Cheap to ask every minute; the work is done once a week.
                if tandem_store::notify::notice_sent(&self.db, t.id, kind, period).await? {
                    continue;
                }
                let queued = match *kind {
                    "check_in_reminder" => self.queue_reminders(t.id, period, now).await?,
                    _ => self.queue_digests(t.id, period, now, &zone).await?,
                };
                sent += usize::from(queued);
            }
        }
        Ok(sent)
    }

    /// Everyone active.
    async fn active_people(&self, tenant: i64) -> Result<Vec<tandem_store::people::PersonRow>> {
        let org = self.org_snapshot(tenant).await?;
        Ok(org.people.iter().filter(|p| p.active == 1).cloned().collect())
    }

    async fn queue_reminders(&self, tenant: i64, period: &str, now: i64) -> Result<bool> {
        let mut owing = vec![];
        let mut owed_by = self.owed_by_person(tenant, None).await?;
        for p in self.active_people(tenant).await? {
            let owed = owed_by.remove(&p.id).unwrap_or_default();
            let krs: Vec<String> = owed.iter().filter(|o| o.kind == "key_result").map(|o| o.title.clone()).collect();
            let kpis: Vec<String> = owed
                .iter()
                .filter(|o| o.kind == "kpi")
                .map(|o| format!("{}（{}）", o.title, o.owner_name.clone().unwrap_or_default()))
                .collect();
            if !krs.is_empty() || !kpis.is_empty() {
                owing.push((p, krs, kpis));
            }
        }
        let mut tx = self.db.begin().await?;
        if !tandem_store::notify::claim_notice(&mut tx, tenant, "check_in_reminder", period, now).await? {
            return Ok(false);
        }
        for (p, krs, kpis) in &owing {
            let list = |xs: &[String]| xs.iter().map(|x| format!("· {x}")).collect::<Vec<_>>().join("\n");
            let mut zh = format!("{}，本周还有 {} 项未更新，请在周五前打卡：\n", p.name, krs.len() + kpis.len());
            let mut en = format!(
                "{}, {} items still need this week's update; please check in by Friday:\n",
                p.name,
                krs.len() + kpis.len()
            );
            if !krs.is_empty() {
                zh.push_str(&format!("关键结果：\n{}\n", list(krs)));
                en.push_str(&format!("Key results:\n{}\n", list(krs)));
            }
            if !kpis.is_empty() {
                zh.push_str(&format!("下属 KPI 数据：\n{}\n", list(kpis)));
                en.push_str(&format!("Your reports' KPI values:\n{}\n", list(kpis)));
            }
            zh.push_str("打开“我的目标”即可打卡：/goals");
            en.push_str("Check in from My goals: /goals");
            tell_people(
                &mut tx,
                tenant,
                "check_in_reminder",
                &[p],
                ("【打卡提醒】本周还未更新", "[Reminder] This week's check-in"),
                (&zh, &en),
                "/goals",
                now,
            )
            .await?;
        }
        // Channels hear who owes key-result check-ins (OKRs are public; KPIs are not mentioned).
        let names: Vec<&str> =
            owing.iter().filter(|(_, krs, _)| !krs.is_empty()).map(|(p, _, _)| p.name.as_str()).collect();
        if !names.is_empty() {
            let zh = format!("【打卡提醒】本周还有 {} 人未更新关键结果：{}", names.len(), names.join("、"));
            let en = format!(
                "[Reminder] {} people have not updated their key results this week: {}",
                names.len(),
                names.join(", ")
            );
            enqueue(
                &mut tx,
                tenant,
                "check_in_reminder",
                (&zh, &en),
                serde_json::json!({"week": period, "people": names}),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn queue_digests(&self, tenant: i64, period: &str, now: i64, zone: &Zone) -> Result<bool> {
        let org = self.org_snapshot(tenant).await?;
        let week_end = zone.week_start(now);
        let week_from = week_end - 7 * DAY;
        // People who carry a key result that had no check-in last week: one pass over the goals.
        // And the company's week in numbers: objectives, key results, key results updated.
        let (silent, counts): (HashSet<i64>, (usize, usize, usize)) = {
            let goals_now = self.live_goals(tenant).await?;
            let quiet_kr = |kr: i64| {
                !goals_now
                    .check_ins
                    .get(&kr)
                    .is_some_and(|h| h.iter().any(|(t, _, _)| (week_from..week_end).contains(t)))
            };
            let owned = goals_now.kr_owners.iter().filter(|w| w.owner_type == "person").map(|w| (w.owner_id, w.kr_id));
            let led = goals_now
                .objectives
                .iter()
                .filter(|o| o.status == "published" && o.owner_type == "person")
                .flat_map(|o| goals_now.key_results_of(o.id).map(move |k| (o.owner_id, k.id)));
            let silent = owned.chain(led).filter(|&(_, kr)| quiet_kr(kr)).map(|(p, _)| p).collect();
            let published: Vec<_> = goals_now.objectives.iter().filter(|o| o.status == "published").collect();
            let krs: Vec<i64> = published.iter().flat_map(|o| goals_now.key_results_of(o.id).map(|k| k.id)).collect();
            let updated = krs.iter().filter(|kr| !quiet_kr(**kr)).count();
            (silent, (published.len(), krs.len(), updated))
        };
        // Everyone below each manager: each person is added to the team of everyone above them.
        let mut teams: HashMap<i64, Vec<i64>> = HashMap::new();
        for x in org.people.iter().filter(|x| x.active == 1) {
            for boss in org.tree.management_chain(PersonId(x.id)) {
                if boss.0 != x.id {
                    teams.entry(boss.0).or_default().push(x.id);
                }
            }
        }
        // The red lights once, as HR sees them; each manager hears only of their team's and their
        // own, all of which (a KPI's included) they may see.
        let hr = Actor { tenant: tandem_domain::ids::TenantId(tenant), person: PersonId(0), roles: vec![Role::Hr] };
        let alerts = self.list_alerts(&hr).await?;
        let mut digests = vec![];
        for p in self.active_people(tenant).await? {
            let Some(team) = teams.get(&p.id) else { continue };
            let members: HashSet<i64> = team.iter().copied().collect();
            let reds: Vec<String> = alerts
                .iter()
                .filter(|x| x.owner.is_some_and(|o| members.contains(&o) || o == p.id))
                .take(8)
                .map(|x| format!("· {}（{}）", x.subject_title, x.owner_name))
                .collect();
            // Who on the team carries a key result that had no check-in last week.
            let quiet: Vec<String> = team
                .iter()
                .filter(|m| silent.contains(m))
                .filter_map(|m| org.person(*m).map(|m| m.name.clone()))
                .collect();
            digests.push((p, team.len(), reds, quiet));
        }
        let mut tx = self.db.begin().await?;
        if !tandem_store::notify::claim_notice(&mut tx, tenant, "weekly_digest", period, now).await? {
            return Ok(false);
        }
        for (p, size, reds, quiet) in &digests {
            let none = |xs: &[String], zh: &'static str, en: &'static str| {
                if xs.is_empty() { (zh.to_string(), en.to_string()) } else { (xs.join("\n"), xs.join("\n")) }
            };
            let (r_zh, r_en) = none(reds, "· 无", "· none");
            let q = if quiet.is_empty() {
                ("全部按时更新".to_string(), "everyone checked in".to_string())
            } else {
                (quiet.join("、"), quiet.join(", "))
            };
            let zh = format!(
                "{}，这是你团队（{} 人）{} 这一周的周报。\n红灯：\n{}\n上周未打卡：{}\n热力图与红灯清单：/dashboard",
                p.name, size, period, r_zh, q.0
            );
            let en = format!(
                "{}, your team's ({} people) digest for the week of {}.\nRed lights:\n{}\nNo check-in last week: {}\nHeat map and red lights: /dashboard",
                p.name, size, period, r_en, q.1
            );
            tell_people(
                &mut tx,
                tenant,
                "weekly_digest",
                &[p],
                ("【团队周报】", "[Weekly digest]"),
                (&zh, &en),
                "/dashboard",
                now,
            )
            .await?;
        }
        // Channels get the company's week in numbers (OKRs only).
        let (published, krs, updated) = counts;
        let zh = format!(
            "【周报】{} 这一周：{} 个目标、{} 个关键结果，其中 {} 个本周有更新。",
            period, published, krs, updated
        );
        let en = format!(
            "[Weekly] Week of {}: {} objectives, {} key results, {} updated this week.",
            period, published, krs, updated
        );
        let data = serde_json::json!({"week": period, "objectives": published, "key_results": krs, "updated": updated});
        enqueue(&mut tx, tenant, "weekly_digest", (&zh, &en), data, now).await?;
        tx.commit().await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000_000;

    #[test]
    fn notices_fall_due_in_the_week() {
        let monday = 1_795_392_000_000_000; // 2026-11-23T00:00:00Z, a Monday
        let utc = Zone::parse("tz", "UTC").expect("utc");
        let due = |t: i64| due_notices(t, &utc);
        assert!(due(monday + 7 * HOUR).is_empty(), "before Monday 08:00");
        assert_eq!(due(monday + 8 * HOUR), vec![("weekly_digest", "2026-11-16".to_string())]);
        assert_eq!(due(monday + 3 * DAY + 8 * HOUR).len(), 1, "Thursday before 09:00");
        assert_eq!(
            due(monday + 3 * DAY + 9 * HOUR),
            vec![("weekly_digest", "2026-11-16".to_string()), ("check_in_reminder", "2026-11-23".to_string())]
        );
        assert_eq!(due(monday + 6 * DAY + 23 * HOUR).len(), 2, "Sunday night: both (sent once, by their rows)");
        // In Beijing the Thursday reminder goes out at 09:00 there (01:00 UTC), not 17:00.
        let beijing = Zone::default();
        assert_eq!(due_notices(monday + 3 * DAY + HOUR - 1, &beijing).len(), 1);
        assert_eq!(
            due_notices(monday + 3 * DAY + HOUR, &beijing),
            vec![("weekly_digest", "2026-11-16".to_string()), ("check_in_reminder", "2026-11-23".to_string())]
        );
        // Monday 00:30 UTC is 08:30 in Beijing: the digest is due there, not yet in UTC.
        assert_eq!(due_notices(monday + HOUR / 2, &beijing).len(), 1);
        assert!(due_notices(monday + HOUR / 2, &utc).is_empty());
    }
}
