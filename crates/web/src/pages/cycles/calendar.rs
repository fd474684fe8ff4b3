//! The cycles page: the list with its pace bars, HR's form and the state buttons.

use crate::AppState;
use crate::auth::PageUser;
use crate::pages::shared::labelled_message;
use crate::pages::{Frame, OkQuery, csrf_refusal, opt_id, render, user_error_page};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tandem_app::AppError;
use tandem_app::cycles::calendar::{CyclePatch, NewCycle};
use tandem_domain::cycle::{CycleState, PeriodKind};
use tandem_domain::policy;

pub struct CycleRowView {
    pub id: i64,
    pub name: String,
    pub parent_name: Option<String>,
    pub kind_label: &'static str,
    pub start: String,
    pub end: String,
    pub elapsed_pct: u32,
    pub state: String,
    pub state_label: &'static str,
    /// The states it may move to: (code, label).
    pub next: Vec<(&'static str, &'static str)>,
}

#[derive(Deserialize, Default)]
pub struct CycleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    parent: String,
}

#[derive(Template)]
#[template(path = "cycles/calendar.html")]
struct CyclesPage {
    f: Frame,
    cycles: Vec<CycleRowView>,
    kinds: Vec<(&'static str, &'static str)>,
    form: CycleForm,
}

fn kind_label(t: crate::i18n::Tr, k: &str) -> &'static str {
    match k {
        "year" => t.s("kind_year"),
        "half" => t.s("kind_half"),
        "quarter" => t.s("kind_quarter"),
        "month" => t.s("kind_month"),
        _ => t.s("kind_week"),
    }
}

async fn cycles_page(
    st: &AppState,
    u: &PageUser,
    form: CycleForm,
    error: Option<String>,
    ok: Option<&str>,
) -> Response {
    let cycles = match st.app.list_cycles(&u.session.actor).await {
        Ok(c) => c,
        Err(e) => return user_error_page(u, &e),
    };
    let mut f = Frame::for_user(u, "cycles", "cycles_title", "/cycles").with_ok(ok);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let t = f.t;
    let all = [CycleState::Planning, CycleState::Active, CycleState::Reviewing, CycleState::Closed];
    let rows = cycles
        .iter()
        .map(|c| {
            let state = CycleState::parse("state", &c.state).unwrap_or(CycleState::Planning);
            CycleRowView {
                id: c.id,
                name: c.name.clone(),
                parent_name: c.parent.and_then(|p| cycles.iter().find(|x| x.id == p)).map(|p| p.name.clone()),
                kind_label: kind_label(t, &c.kind),
                start: c.start.clone(),
                end: c.end.clone(),
                elapsed_pct: (c.elapsed * 100.0).round() as u32,
                state: c.state.clone(),
                state_label: state.label(t.0),
                next: all
                    .iter()
                    .filter(|s| **s != state && state.can_move_to(**s))
                    .map(|s| (s.as_str(), s.label(t.0)))
                    .collect(),
            }
        })
        .collect();
    let kinds = PeriodKind::ALL.iter().map(|k| (*k, kind_label(t, k))).collect();
    let form = CycleForm { kind: if form.kind.is_empty() { "quarter".into() } else { form.kind }, ..form };
    render(status, CyclesPage { f, cycles: rows, kinds, form })
}

pub async fn page(State(st): State<AppState>, u: PageUser, Query(q): Query<OkQuery>) -> Response {
    cycles_page(&st, &u, CycleForm::default(), None, q.ok.as_deref()).await
}

pub async fn create(State(st): State<AppState>, u: PageUser, Form(form): Form<CycleForm>) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let a = &u.session.actor;
    let result = async {
        let cap = policy::manage_cycles(a).ok_or(AppError::Forbidden)?;
        let new = NewCycle {
            name: form.name.clone(),
            kind: form.kind.clone(),
            start: form.start.clone(),
            end: form.end.clone(),
            parent: opt_id(&form.parent)?,
        };
        st.app.create_cycle(cap, a, new).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/cycles?ok=created").into_response(),
        Err(e) => cycles_page(&st, &u, form, Some(e.message(u.lang)), None).await,
    }
}

#[derive(Deserialize)]
pub struct StateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
pub struct ConfirmQuery {
    #[serde(default)]
    to: String,
}

#[derive(Template)]
#[template(path = "cycles/confirm.html")]
struct ConfirmPage {
    f: Frame,
    id: i64,
    title: String,
    to: String,
    reopen: bool,
    /// What will happen, one line each.
    consequences: Vec<String>,
    /// Said when the cycle is closed or reviewed before its end date.
    early: Option<String>,
    confirm: String,
    reason: String,
}

/// The step before a state change: what it will do, a warning when the cycle has not ended, and
/// (to reopen) the reason asked for. Nothing changes until HR confirms.
pub async fn confirm_state(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<ConfirmQuery>,
) -> Response {
    confirm_page(&st, &u, id, &q.to, String::new(), None).await
}

async fn confirm_page(
    st: &AppState,
    u: &PageUser,
    id: i64,
    to: &str,
    reason: String,
    error: Option<String>,
) -> Response {
    let a = &u.session.actor;
    let loaded = async {
        let cap = policy::manage_cycles(a).ok_or(AppError::Forbidden)?;
        let impact = st.app.cycle_impact(cap, a, id).await?;
        let from = CycleState::parse("state", &impact.cycle.state)?;
        let to = CycleState::parse("to", to)?;
        from.move_to(to)?;
        Ok::<_, AppError>((impact, from, to))
    }
    .await;
    let (impact, from, to) = match loaded {
        Ok(x) => x,
        Err(e) => return user_error_page(u, &e),
    };
    let mut f = Frame::for_user(u, "cycles", "cycles_title", &format!("/cycles/{id}/state?to={}", to.as_str()));
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let t = f.t;
    let lang = t.0;
    let (o, k, kpis) = (impact.objectives, impact.key_results, impact.kpis);
    let consequences: Vec<String> = match (from, to) {
        (CycleState::Planning, CycleState::Active) => vec![
            lang.pick(
                &format!("{o} 个已发布目标开始计时，本周起大家需要每周打卡"),
                &format!("{o} published objectives start running; weekly check-ins are owed from this week"),
            )
            .to_string(),
            lang.pick(
                &format!("{kpis} 个 KPI 被锁定：之后的修改需要提交变更申请，由 HR 审批"),
                &format!("{kpis} KPIs are locked: changes then go through a request HR approves"),
            )
            .to_string(),
        ],
        (CycleState::Active, CycleState::Reviewing) => vec![
            lang.pick(
                &format!("{o} 个目标的 {k} 个关键结果的数值被定格（保留来源、时间和填写人），得分冻结用于复盘"),
                &format!("The values of {k} key results of {o} objectives are frozen with their source, time and author; scores are fixed for the review"),
            )
            .to_string(),
            lang.pick("打卡停止；负责人填写自评和复盘，上级可给出最终得分（须写明理由）", "Check-ins stop; owners write their self scores and retros, managers may set final scores (with a reason)").to_string(),
        ],
        (CycleState::Reviewing, CycleState::Closed) => vec![
            lang.pick(
                &format!("{o} 个目标和 {kpis} 个 KPI 变为只读，得分成为最终结果"),
                &format!("{o} objectives and {kpis} KPIs become read-only; the scores are final"),
            )
            .to_string(),
            lang.pick("复盘里选择带入下期的关键结果，会成为下一周期的草稿", "Key results the retros carry forward become drafts in the next cycle").to_string(),
        ],
        (CycleState::Reviewing, CycleState::Active) => vec![
            lang.pick("重新开放打卡；已定格的数值保留，再次进入评估时重新定格", "Check-ins open again; the frozen values stay until the cycle goes into review again").to_string(),
        ],
        _ => vec![
            lang.pick(
                &format!("重新打开评估：{o} 个目标的复盘和最终得分可以再次修改，已带入下期的草稿不受影响"),
                &format!("The review reopens: retros and final scores of {o} objectives may change again; drafts already carried forward stay"),
            )
            .to_string(),
        ],
    };
    let early = (matches!(to, CycleState::Reviewing | CycleState::Closed) && !from.reopens(to) && impact.days_left > 0)
        .then(|| {
            let share = (1.0 - impact.cycle.elapsed).clamp(0.0, 1.0) * 100.0;
            let days = impact.days_left;
            lang.pick(
                &format!("周期还没有结束：距结束日 {} 还有 {days} 天（约 {share:.0}% 的周期）。提前结束会让剩下的时间不再计入。", impact.cycle.end),
                &format!("The cycle has not ended: {days} days (about {share:.0}% of it) remain before {}. Ending it early leaves that time out.", impact.cycle.end),
            )
            .to_string()
        });
    let title = lang
        .pick(
            &format!("「{}」：{} → {}", impact.cycle.name, from.label(lang), to.label(lang)),
            &format!("“{}”: {} → {}", impact.cycle.name, from.label(lang), to.label(lang)),
        )
        .to_string();
    let confirm = format!("{} {}", t.s("confirm_move_to"), to.label(lang));
    render(
        status,
        ConfirmPage {
            f,
            id,
            title,
            to: to.as_str().into(),
            reopen: from.reopens(to),
            consequences,
            early,
            confirm,
            reason,
        },
    )
}

pub async fn change_state(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<StateForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let a = &u.session.actor;
    let result = async {
        st.app.get_cycle(a, id).await?;
        let cap = policy::manage_cycles(a).ok_or(AppError::Forbidden)?;
        let patch =
            CyclePatch { state: Some(form.state.clone()), reason: Some(form.reason.clone()), ..Default::default() };
        st.app.update_cycle(cap, a, id, patch).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/cycles?ok=saved").into_response(),
        Err(e @ (AppError::NotFound | AppError::Forbidden)) => user_error_page(&u, &e),
        // Back to the confirmation, with the reason as typed.
        Err(e) => {
            let message = labelled_message(&e, crate::i18n::Tr(u.lang), &[("reason", "reopen_reason")]);
            confirm_page(&st, &u, id, &form.state, form.reason, Some(message)).await
        }
    }
}
