//! One person's goals as a viewer may see them, for their page: OKRs of the running cycles,
//! the KPIs the viewer may see (the person's circle only), the latest check-ins on their goals
//! and their open red lights. Reads only that person's objectives, KPIs and alerts.

use crate::AppState;
use crate::i18n::Tr;
use crate::pages::goals::{Card, card};
use crate::pages::kpis::{KpiLine, kpi_lines};
use crate::pages::tracking::my_goals::RedLight;
use std::collections::HashMap;
use tandem_app::AppError;
use tandem_app::goals::objectives::ObjectiveFilter;
use tandem_app::kpis::kpi::KpiFilter;
use tandem_domain::kpi::DerivedFrom;
use tandem_domain::policy::Actor;
use tandem_domain::zone::Zone;

/// Check-ins listed on a person's page.
const RECENT_CHECK_INS: usize = 8;

/// One check-in on a person's goals, as their page lists it.
pub struct CheckInLine {
    /// "3 天前", and the exact local time.
    pub when: (String, String),
    pub objective: i64,
    pub key_result: String,
    /// "3.1 → 2.8 · 信心 7/10"
    pub nums: String,
    pub note: String,
}

pub struct PersonGoals {
    /// Objectives of the running cycles (else of the newest cycle that has any).
    pub objectives: Vec<Card>,
    pub kpis: Vec<KpiLine>,
    pub check_ins: Vec<CheckInLine>,
    pub red_lights: Vec<RedLight>,
}

pub(crate) async fn person_goals(
    st: &AppState,
    a: &Actor,
    person: i64,
    t: Tr,
    zone: Zone,
) -> Result<PersonGoals, AppError> {
    let cycles = st.app.list_cycles(a).await?;
    let owned = st.app.list_objectives(a, &ObjectiveFilter { owner: Some(person), ..Default::default() }).await?;
    let running: Vec<i64> = cycles.iter().filter(|c| c.state == "active").map(|c| c.id).collect();
    // The running cycles' objectives; when none runs, the newest cycle's the person has.
    let shown_cycles: Vec<i64> = if owned.iter().any(|o| running.contains(&o.cycle)) {
        running
    } else {
        let newest = cycles.iter().filter(|c| owned.iter().any(|o| o.cycle == c.id)).max_by_key(|c| c.start.clone());
        newest.map(|c| vec![c.id]).unwrap_or_default()
    };
    let shown: Vec<_> = owned.iter().filter(|o| shown_cycles.contains(&o.cycle)).collect();
    let mut titles: HashMap<i64, String> = HashMap::new();
    for o in &shown {
        if let Some(p) = o.parent
            && let Ok(parent) = st.app.get_objective(a, p).await
        {
            titles.insert(p, parent.title);
        }
    }
    let objectives = shown.iter().map(|o| card(o, &titles, t)).collect();
    let ids: Vec<i64> = owned.iter().map(|o| o.id).collect();
    let now = st.app.now();
    let check_ins = st
        .app
        .latest_check_ins_on(a, &ids, RECENT_CHECK_INS)
        .await?
        .into_iter()
        .map(|(c, kr, objective)| {
            let said = match c.confidence {
                Some(n) => format!(" · {} {n}/10", t.s("confidence_short")),
                None => String::new(),
            };
            let nums =
                format!("{} → {}{said}", crate::pages::shared::num(c.previous), crate::pages::shared::num(c.value));
            CheckInLine {
                when: crate::pages::fmt_ago(c.created_at, now, zone, t.0),
                objective,
                key_result: kr,
                nums,
                note: c.progress,
            }
        })
        .collect();
    // KPIs: only those the viewer may see (list_kpis asks the policy), of running cycles.
    let kpis: Vec<_> = st
        .app
        .list_kpis(a, &KpiFilter { owner: Some(person), cycle: None })
        .await?
        .into_iter()
        .filter(|k| cycles.iter().any(|c| c.id == k.cycle && c.state != "closed"))
        .collect();
    let values = st.app.kpi_value_history_of(a, &kpis).await?;
    let (mut kr_titles, mut obj_titles) = (HashMap::new(), HashMap::new());
    for k in &kpis {
        match k.derived_from {
            Some(DerivedFrom::KeyResult(kr)) => {
                if let Ok(v) = st.app.get_key_result(a, kr.0).await {
                    kr_titles.insert(kr.0, v.title);
                }
            }
            Some(DerivedFrom::Objective(o)) => {
                if let Ok(v) = st.app.get_objective(a, o.0).await {
                    obj_titles.insert(o.0, v.title);
                }
            }
            None => {}
        }
    }
    let kpis = kpi_lines(&kpis, &obj_titles, &kr_titles, &values, st.app.clock.today(), t);
    let red_lights = st.app.alerts_of(a, person).await?.into_iter().map(|r| RedLight::of(r, t)).collect();
    Ok(PersonGoals { objectives, kpis, check_ins, red_lights })
}
