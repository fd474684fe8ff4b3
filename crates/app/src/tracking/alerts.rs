//! Red-light alerts (红灯预警): a KR whose forecast is red, a KR with no check-in for 14 days,
//! a KPI whose latest value fails its threshold. Raised once per cause while unresolved,
//! acknowledged with a note, resolved by themselves when the cause goes away.

use crate::error::{AppError, Result};
use crate::goals::snapshot::pace_of;
use crate::org::owners::owner_of;
use crate::{Actor, App, Change, record};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use tandem_domain::cycle::CycleState;
use tandem_domain::kpi::KpiStatus;
use tandem_domain::policy;
use tandem_store::alerts::{self, AlertRow};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AlertView {
    pub id: i64,
    /// `key_result` or `kpi`.
    pub subject_type: String,
    pub subject_id: i64,
    pub subject_title: String,
    /// The objective a KR alert is about.
    pub objective: Option<i64>,
    /// `forecast_red`, `stale` or `kpi_fail`.
    pub reason: String,
    pub owner: Option<i64>,
    pub owner_name: String,
    /// `open` or `acknowledged`.
    pub state: String,
    pub note: String,
    pub raised_at: i64,
    /// The caller may acknowledge it: its owner, anyone above them, or HR, while it is open.
    pub can_acknowledge: bool,
}

/// Why a red light is on, in Chinese and English (pages, API answers and messages share it).
pub fn reason_words(reason: &str) -> Option<(&'static str, &'static str)> {
    Some(match reason {
        "forecast_red" => ("按目前趋势，周期结束时将处于红灯区", "At the current trend it ends the cycle in the red"),
        "stale" => ("已超过 14 天没有打卡更新", "No check-in for 14 days or more"),
        "kpi_fail" => ("最新一期数值未达到考核线", "The latest value fails its threshold"),
        _ => return None,
    })
}

/// Per tenant, what the red lights were last brought in line with: (goals version, KPI version,
/// minute), so they are synced at most once per change and minute.
#[derive(Default)]
pub(crate) struct AlertSync(std::sync::Mutex<HashMap<i64, (i64, i64, i64)>>);

impl AlertSync {
    fn get(&self, tenant: i64) -> Option<(i64, i64, i64)> {
        self.0.lock().ok()?.get(&tenant).copied()
    }

    fn set(&self, tenant: i64, inputs: (i64, i64, i64)) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(tenant, inputs);
        }
    }
}

impl App {
    /// Brings the tenant's alerts in line with the goals as they are now: raises what is newly
    /// off course, resolves what has recovered. Idempotent; safe to run from any app server.
    pub async fn sync_alerts(&self, tenant: i64) -> Result<()> {
        // What the alerts are derived from: the goals, the KPIs and the time (paces and staleness
        // move with it; to the minute is enough). Unchanged since this server last synced:
        // nothing to do.
        let st = tandem_store::tenants::state(&self.db, tenant).await?.ok_or(AppError::NotFound)?;
        let inputs = (st.goals_version, st.kpi_version, self.now() / 60_000_000);
        if self.alert_sync.get(tenant) == Some(inputs) {
            return Ok(());
        }
        self.sync_alerts_now(tenant).await?;
        self.alert_sync.set(tenant, inputs);
        Ok(())
    }

    async fn sync_alerts_now(&self, tenant: i64) -> Result<()> {
        let cycles = tandem_store::cycles::list(&self.db, tenant).await?;
        let active: Vec<i64> = cycles.iter().filter(|c| c.state == CycleState::Active.as_str()).map(|c| c.id).collect();
        let now = self.now();
        // (subject type, subject id, reason, owner), and the title and objective of each key
        // result named, read from the live projection between two awaits.
        let mut wanted: Vec<(&'static str, i64, &'static str, Option<i64>)> = vec![];
        let mut kr_titles: HashMap<i64, (String, i64)> = HashMap::new();
        let org = {
            let crate::goals::projection::Views { goals: goals_now, org, bands } = self.views(tenant).await?;
            let lead = |t: &str, id: i64| policy::owner_lead(owner_of(t, id), &org.tree).map(|p| p.0);
            for o in goals_now.objectives.iter().filter(|o| o.status == "published" && active.contains(&o.cycle_id)) {
                for k in goals_now.key_results_of(o.id) {
                    let pace = pace_of(k, o, &goals_now, now);
                    let owner = lead(&o.owner_type, o.owner_id);
                    // A key result just added has a week (or until its first check-in) before
                    // its forecast can turn it red.
                    let red = pace.judged && bands.band(pace.forecast) == tandem_domain::score::Band::Red;
                    let stale = now - pace.last.unwrap_or(k.created_at) >= 14 * 86_400_000_000;
                    if red {
                        wanted.push(("key_result", k.id, "forecast_red", owner));
                    }
                    if stale {
                        wanted.push(("key_result", k.id, "stale", owner));
                    }
                    if red || stale {
                        kr_titles.insert(k.id, (k.title.clone(), k.objective_id));
                    }
                }
            }
            org
        };
        let lead = |t: &str, id: i64| policy::owner_lead(owner_of(t, id), &org.tree).map(|p| p.0);
        let kpis = self.kpi_snapshot(tenant).await?;
        for k in kpis.rows.iter().filter(|k| active.contains(&k.cycle_id)) {
            let Some(latest) = kpis.latest(k.id) else { continue };
            let dir = tandem_domain::kpi::Direction::parse("direction", &k.direction)?;
            let t = tandem_domain::kpi::Thresholds::new(dir, k.pass_threshold, k.warn_threshold)?;
            if t.evaluate(latest) == KpiStatus::Fail {
                wanted.push(("kpi", k.id, "kpi_fail", lead(&k.owner_type, k.owner_id)));
            }
        }
        let mut tx = self.db.begin().await?;
        let existing = alerts::unresolved_in(&mut tx, tenant).await?;
        let key = |t: &str, id: i64, r: &str| format!("{t}:{id}:{r}");
        let want: HashSet<String> = wanted.iter().map(|(t, id, r, _)| key(t, *id, r)).collect();
        let have: HashSet<String> = existing.iter().map(|a| key(&a.subject_type, a.subject_id, &a.reason)).collect();
        let mut changed = false;
        for a in existing.iter().filter(|a| !want.contains(&key(&a.subject_type, a.subject_id, &a.reason))) {
            alerts::resolve(&mut tx, tenant, a.id, now).await?;
            let mut c = Change::update(
                "alert",
                a.id,
                serde_json::json!({"state": a.state}),
                serde_json::json!({"state": "resolved"}),
            );
            c.action = "resolve";
            record(&mut tx, None, tenant, now, c).await?;
            changed = true;
        }
        for (t, id, r, owner) in wanted.iter().filter(|(t, id, r, _)| !have.contains(&key(t, *id, r))) {
            let row = AlertRow {
                tenant_id: tenant,
                id: tx.next_id().await?,
                subject_type: (*t).into(),
                subject_id: *id,
                reason: (*r).into(),
                owner_id: *owner,
                state: "open".into(),
                note: String::new(),
                raised_at: now,
                acknowledged_at: None,
                resolved_at: None,
            };
            alerts::insert(&mut tx, &row).await?;
            // Channels are shared places: only public goals' red lights go there, never a KPI's.
            if *t == "key_result"
                && let Some((k_title, k_objective)) = kr_titles.get(id)
            {
                let who = owner.and_then(|p| org.person(p)).map(|p| p.name.clone()).unwrap_or_default();
                let (zh, en) = reason_words(r).unwrap_or((r, r));
                let text =
                    (format!("【红灯预警】{k_title} · {who}：{zh}"), format!("[Red light] {k_title} · {who}: {en}"));
                let data = serde_json::json!({
                    "alert": row.id, "reason": r, "key_result": id, "objective": k_objective,
                    "title": k_title, "owner": owner, "owner_name": who,
                });
                crate::notify::outbox::enqueue(&mut tx, tenant, "alert_raised", (&text.0, &text.1), data, now).await?;
            }
            // The owner and their manager hear about it by email, in their language (a KPI's red
            // light reaches only them: both are in its circle).
            let (title, href) = match *t {
                "key_result" => (
                    kr_titles.get(id).map(|k| k.0.clone()),
                    kr_titles.get(id).map(|k| format!("/objectives/{}#kr-{id}", k.1)).unwrap_or_default(),
                ),
                _ => (kpis.kpi(*id).map(|k| k.name.clone()), format!("/kpis#kpi-{id}")),
            };
            if let (Some(title), Some(o)) = (title, owner.and_then(|p| org.person(p))) {
                let boss = org.tree.manager_of(tandem_domain::ids::PersonId(o.id)).and_then(|m| org.person(m.0));
                let people: Vec<_> = std::iter::once(o).chain(boss).collect();
                let (zh, en) = reason_words(r).unwrap_or((r, r));
                let subject = (format!("【红灯预警】{title}"), format!("[Red light] {title}"));
                let text = (
                    format!("{title}\n负责人：{}\n原因：{zh}\n\n请在双轨中查看并确认采取的措施。", o.name),
                    format!(
                        "{title}\nOwner: {}\nWhy: {en}\n\nOpen Tandem to see it and say what is being done.",
                        o.name
                    ),
                );
                crate::notify::outbox::tell_people(
                    &mut tx,
                    tenant,
                    "alert_raised",
                    &people,
                    (&subject.0, &subject.1),
                    (&text.0, &text.1),
                    &href,
                    now,
                )
                .await?;
            }
            let mut c = Change::create("alert", row.id, serde_json::json!({"subject": t, "id": id, "reason": r}));
            c.action = "raise";
            record(&mut tx, None, tenant, now, c).await?;
            changed = true;
        }
        if changed {
            tx.commit().await?;
        }
        Ok(())
    }

    /// Unresolved alerts the caller may see: a KR's with its objective, a KPI's only within the
    /// KPI's circle.
    pub async fn list_alerts(&self, a: &Actor) -> Result<Vec<AlertView>> {
        self.alerts_where(a, None).await
    }

    /// The red lights of one person's goals and KPIs that the caller may see.
    pub async fn alerts_of(&self, a: &Actor, person: i64) -> Result<Vec<AlertView>> {
        self.alerts_where(a, Some(person)).await
    }

    async fn alerts_where(&self, a: &Actor, owner: Option<i64>) -> Result<Vec<AlertView>> {
        match self.sync_alerts(a.tenant.0).await {
            // Another server raised the same alert a moment ago: its row stands.
            Ok(()) | Err(AppError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
        let (rows, kpis) = tokio::try_join!(
            async {
                Ok::<_, AppError>(match owner {
                    Some(o) => alerts::unresolved_of(&self.db, a.tenant.0, o).await?,
                    None => alerts::unresolved(&self.db, a.tenant.0).await?,
                })
            },
            self.kpi_snapshot(a.tenant.0)
        )?;
        let crate::goals::projection::Views { goals: goals_now, org, .. } = self.views(a.tenant.0).await?;
        let mut out = vec![];
        for r in rows {
            let (title, objective) = match r.subject_type.as_str() {
                "key_result" => {
                    let Some(k) = goals_now.key_result(r.subject_id) else { continue };
                    let Some(o) = goals_now.objective(k.objective_id) else { continue };
                    let visible = policy::may_see_objective(
                        a,
                        o.ever_published(),
                        tandem_domain::ids::PersonId(o.author_id),
                        owner_of(&o.owner_type, o.owner_id),
                        &org.tree,
                    );
                    if !visible {
                        continue;
                    }
                    (k.title.clone(), Some(o.id))
                }
                // A KPI's red light only within the KPI's circle.
                _ => match kpis.kpi(r.subject_id) {
                    Some(k) if policy::may_see_kpi(a, owner_of(&k.owner_type, k.owner_id), &org.tree) => {
                        (k.name.clone(), None)
                    }
                    _ => continue,
                },
            };
            out.push(AlertView {
                id: r.id,
                subject_type: r.subject_type,
                subject_id: r.subject_id,
                subject_title: title,
                objective,
                reason: r.reason,
                owner: r.owner_id,
                owner_name: r.owner_id.and_then(|p| org.person(p)).map(|p| p.name.clone()).unwrap_or_default(),
                can_acknowledge: r.state == "open"
                    && (a.has(policy::Role::Hr)
                        || r.owner_id.is_some_and(|o| {
                            o == a.person.0 || org.tree.is_above(a.person, tandem_domain::ids::PersonId(o))
                        })),
                state: r.state,
                note: r.note,
                raised_at: r.raised_at,
            });
        }
        Ok(out)
    }

    /// The owner, anyone above them, or HR acknowledges an open alert with what is being done.
    pub async fn acknowledge_alert(&self, a: &Actor, id: i64, note: &str) -> Result<AlertView> {
        let alert = self.list_alerts(a).await?.into_iter().find(|x| x.id == id).ok_or(AppError::NotFound)?;
        if !alert.can_acknowledge {
            return Err(if alert.state == "open" {
                AppError::Forbidden
            } else {
                AppError::Conflict("already_decided")
            });
        }
        let note = note.trim();
        if note.is_empty() {
            return Err(tandem_domain::Invalid::new("note", tandem_domain::Rule::Required).into());
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !alerts::acknowledge(&mut tx, a.tenant.0, id, note, now).await? {
            return Err(AppError::Conflict("already_decided"));
        }
        let mut c = Change::update(
            "alert",
            id,
            serde_json::json!({"state": "open"}),
            serde_json::json!({"state": "acknowledged", "note": note}),
        );
        c.action = "acknowledge";
        record(&mut tx, Some(a), a.tenant.0, now, c).await?;
        tx.commit().await?;
        self.list_alerts(a).await?.into_iter().find(|x| x.id == id).ok_or(AppError::NotFound)
    }
}
