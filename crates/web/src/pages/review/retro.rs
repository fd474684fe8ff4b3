//! An objective's 复盘 page: each key result's frozen value (and where it came from), computed,
//! self and final score; what worked and what did not; typed causes; lessons; actions; what
//! becomes of each key result next cycle; the retro's traps as hints. The owner writes it, a
//! manager above the owner sets final scores and acknowledges it. Works without JavaScript: the
//! lists show what is written plus two empty rows, and a save keeps what was typed on an error.

use crate::AppState;
use crate::auth::PageUser;
use crate::i18n::Tr;
use crate::pages::shared::num;
use crate::pages::{Frame, OkQuery, csrf_refusal, fmt_time, render, user_error_page};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;
use tandem_app::AppError;
use tandem_app::review::retros::RetroView;
use tandem_app::review::team::TeamRetroView;
use tandem_domain::retro::{
    ActionInput, CarryInput, CarryOver, CauseInput, CauseType, LessonInput, Locus, Retro, RetroInput, SelfScoreInput,
};
use tandem_domain::zone::Zone;
use tandem_domain::{Invalid, Lang, Rule};

/// Empty rows offered under each list for the next entries.
const BLANK_ROWS: usize = 2;

pub struct KrLine {
    pub id: i64,
    pub title: String,
    pub value: String,
    /// "打卡 · 张伟 · 2026-11-27 10:00", "数据接入 · …", "初始值".
    pub provenance: String,
    pub computed: String,
    pub self_score: String,
    pub self_note: String,
    pub final_score: Option<String>,
    pub final_reason: String,
    pub carry: String,
}

pub struct CauseLine {
    pub text: String,
    pub kind: String,
    pub locus: String,
}

pub struct LessonLine {
    pub text: String,
    pub tags: String,
}

pub struct ActionLine {
    pub text: String,
    pub owner: i64,
    pub due: String,
    pub done: bool,
}

/// What the form shows: the saved retro, or what was typed when a save was refused.
pub struct Typed {
    pub self_scores: HashMap<i64, (String, String)>,
    pub carry: HashMap<i64, String>,
    pub worked: String,
    pub did_not: String,
    pub causes: Vec<CauseLine>,
    pub lessons: Vec<LessonLine>,
    pub actions: Vec<ActionLine>,
}

impl Typed {
    fn saved(r: &Retro) -> Typed {
        Typed {
            self_scores: r.self_scores.iter().map(|s| (s.key_result, (num(s.score), s.note.clone()))).collect(),
            carry: r.carry_over.iter().map(|c| (c.key_result, c.decision.as_str().to_string())).collect(),
            worked: r.worked.join("\n"),
            did_not: r.did_not.join("\n"),
            causes: r
                .causes
                .iter()
                .map(|c| CauseLine {
                    text: c.text.clone(),
                    kind: c.kind.as_str().into(),
                    locus: c.locus.as_str().into(),
                })
                .collect(),
            lessons: r.lessons.iter().map(|l| LessonLine { text: l.text.clone(), tags: l.tags.join("，") }).collect(),
            actions: r
                .actions
                .iter()
                .map(|a| ActionLine {
                    text: a.text.clone(),
                    owner: a.owner.unwrap_or(0),
                    due: a.due.clone().unwrap_or_default(),
                    done: a.state == tandem_domain::retro::ActionState::Done,
                })
                .collect(),
        }
    }

    /// The form as posted: `self_{kr}`, `note_{kr}`, `carry_{kr}`, `worked`, `did_not` (a line
    /// each), and numbered rows `cause_text_{i}` …, `lesson_text_{i}` …, `action_text_{i}` ….
    fn posted(fields: &HashMap<String, String>) -> Typed {
        let get = |k: &str| fields.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
        let rows = |prefix: &str| -> Vec<usize> {
            let mut ix: Vec<usize> =
                fields.keys().filter_map(|k| k.strip_prefix(prefix).and_then(|i| i.parse().ok())).collect();
            ix.sort_unstable();
            ix.dedup();
            ix.truncate(tandem_domain::retro::MAX_ITEMS + BLANK_ROWS);
            ix
        };
        let per_kr = |prefix: &str| -> HashMap<i64, String> {
            fields
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix(prefix)?.parse().ok()?, v.trim().to_string())))
                .collect()
        };
        let notes = per_kr("note_");
        Typed {
            self_scores: per_kr("self_")
                .into_iter()
                .map(|(k, s)| (k, (s, notes.get(&k).cloned().unwrap_or_default())))
                .collect(),
            carry: per_kr("carry_"),
            worked: get("worked"),
            did_not: get("did_not"),
            causes: rows("cause_text_")
                .into_iter()
                .map(|i| CauseLine {
                    text: get(&format!("cause_text_{i}")),
                    kind: get(&format!("cause_type_{i}")),
                    locus: get(&format!("cause_locus_{i}")),
                })
                .filter(|c| !c.text.is_empty())
                .collect(),
            lessons: rows("lesson_text_")
                .into_iter()
                .map(|i| LessonLine { text: get(&format!("lesson_text_{i}")), tags: get(&format!("lesson_tags_{i}")) })
                .filter(|l| !l.text.is_empty())
                .collect(),
            actions: rows("action_text_")
                .into_iter()
                .map(|i| ActionLine {
                    text: get(&format!("action_text_{i}")),
                    owner: get(&format!("action_owner_{i}")).parse().unwrap_or(0),
                    due: get(&format!("action_due_{i}")),
                    done: get(&format!("action_done_{i}")) == "1",
                })
                .filter(|a| !a.text.is_empty())
                .collect(),
        }
    }

    /// The retro to save, in the API's terms (the domain checks every field).
    fn input(&self, krs: &[i64]) -> Result<RetroInput, Invalid> {
        let mut self_scores = vec![];
        for (i, kr) in krs.iter().enumerate() {
            let Some((score, note)) = self.self_scores.get(kr) else { continue };
            if score.is_empty() {
                continue;
            }
            let score: f64 = score
                .replace('，', ".")
                .parse()
                .map_err(|_| Invalid::new(format!("self_scores[{i}].score"), Rule::NotANumber))?;
            self_scores.push(SelfScoreInput { key_result: *kr, score, note: note.clone() });
        }
        let lines = |s: &str| s.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
        Ok(RetroInput {
            self_scores,
            worked: lines(&self.worked),
            did_not: lines(&self.did_not),
            causes: self
                .causes
                .iter()
                .map(|c| CauseInput { text: c.text.clone(), kind: c.kind.clone(), cause: c.locus.clone() })
                .collect(),
            lessons: self
                .lessons
                .iter()
                .map(|l| LessonInput {
                    text: l.text.clone(),
                    tags: l
                        .tags
                        .split([',', '，', '、', ';', '；'])
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(String::from)
                        .collect(),
                })
                .collect(),
            actions: self
                .actions
                .iter()
                .map(|a| ActionInput {
                    text: a.text.clone(),
                    owner: (a.owner > 0).then_some(a.owner),
                    due: Some(a.due.clone()).filter(|d| !d.is_empty()),
                    state: if a.done { "done".into() } else { "open".into() },
                })
                .collect(),
            carry_over: krs
                .iter()
                .filter_map(|kr| {
                    let d = self.carry.get(kr).filter(|d| !d.is_empty())?;
                    Some(CarryInput { key_result: *kr, decision: d.clone() })
                })
                .collect(),
        })
    }
}

#[derive(Template)]
#[template(path = "review/retro.html")]
struct RetroPage {
    f: Frame,
    id: i64,
    title: String,
    cycle: i64,
    /// `active`, `reviewing` or `closed` (or `planning`).
    state: String,
    committed: bool,
    can_edit: bool,
    /// Self scores are fixed once the cycle closes.
    self_open: bool,
    can_acknowledge: bool,
    can_finalize: bool,
    acknowledged: Option<String>,
    krs: Vec<KrLine>,
    worked: String,
    did_not: String,
    causes: Vec<CauseLine>,
    lessons: Vec<LessonLine>,
    actions: Vec<ActionLine>,
    hints: Vec<(String, String)>,
    types: Vec<(&'static str, &'static str)>,
    loci: Vec<(&'static str, &'static str)>,
    decisions: Vec<(&'static str, &'static str)>,
    people: Vec<(i64, String)>,
    /// The draft the decisions became in the next cycle, and that cycle.
    carried: Option<(i64, String)>,
    /// Where the form posts, and the acknowledgement.
    form_action: String,
    ack_action: String,
    /// The way back: (href, label).
    back: (String, &'static str),
    /// A unit's team retro (no key results, no self scores, no carry-over).
    team: bool,
}

/// The causes, lessons and actions as typed, with blank rows under each for the next entries
/// when the retro may be written.
fn padded(typed: &mut Typed, pad: bool) -> (Vec<CauseLine>, Vec<LessonLine>, Vec<ActionLine>) {
    let mut causes = std::mem::take(&mut typed.causes);
    let mut lessons = std::mem::take(&mut typed.lessons);
    let mut actions = std::mem::take(&mut typed.actions);
    if pad {
        causes.extend((0..BLANK_ROWS).map(|_| CauseLine {
            text: String::new(),
            kind: String::new(),
            locus: String::new(),
        }));
        lessons.extend((0..BLANK_ROWS).map(|_| LessonLine { text: String::new(), tags: String::new() }));
        actions.extend((0..BLANK_ROWS).map(|_| ActionLine {
            text: String::new(),
            owner: 0,
            due: String::new(),
            done: false,
        }));
    }
    (causes, lessons, actions)
}

fn cause_types(lang: Lang) -> Vec<(&'static str, &'static str)> {
    CauseType::ALL.iter().map(|c| (c.as_str(), c.label(lang))).collect()
}

fn loci(lang: Lang) -> Vec<(&'static str, &'static str)> {
    [Locus::Subjective, Locus::Objective].iter().map(|l| (l.as_str(), l.label(lang))).collect()
}

fn acknowledged_line(name: Option<String>, at: Option<i64>, zone: Zone) -> Option<String> {
    name.map(|n| format!("{n} · {}", at.map(|at| fmt_time(at, zone)).unwrap_or_default()))
}

fn provenance_text(t: Tr, k: &tandem_app::review::retros::KrReview, zone: Zone) -> String {
    let Some(p) = &k.frozen else { return t.s("not_frozen_yet").into() };
    let source = match p.source {
        "check_in" => t.s("source_check_in"),
        "metric" => t.s("source_metric"),
        _ => t.s("source_setup"),
    };
    let who = p.author_name.clone().map(|n| format!(" · {n}")).unwrap_or_default();
    format!("{source}{who} · {}", fmt_time(p.at, zone))
}

fn page(
    u: &PageUser,
    v: RetroView,
    typed: Option<Typed>,
    error: Option<String>,
    ok: Option<&str>,
    carried: Option<(i64, String)>,
) -> Response {
    let mut f = Frame::for_user(u, "review", "retro", &format!("/objectives/{}/retro", v.objective)).with_ok(ok);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let t = f.t;
    let typed = typed.unwrap_or_else(|| Typed::saved(&v.retro));
    let krs = v
        .key_results
        .iter()
        .map(|k| {
            let (self_score, self_note) = typed.self_scores.get(&k.key_result).cloned().unwrap_or_default();
            KrLine {
                id: k.key_result,
                title: k.title.clone(),
                value: format!("{}{}", num(k.value), k.unit),
                provenance: provenance_text(t, k, u.session.zone),
                computed: format!("{:.2}", k.computed_score),
                self_score,
                self_note,
                final_score: k.final_score.map(|s| format!("{s:.2}")),
                final_reason: k.final_reason.clone().unwrap_or_default(),
                carry: typed.carry.get(&k.key_result).cloned().unwrap_or_default(),
            }
        })
        .collect();
    let mut typed = typed;
    let (causes, lessons, actions) = padded(&mut typed, v.can_edit);
    let lang = u.lang;
    let acknowledged = acknowledged_line(v.acknowledged_by_name.clone(), v.acknowledged_at, u.session.zone);
    render(
        status,
        RetroPage {
            id: v.objective,
            title: v.objective_title,
            cycle: v.cycle,
            self_open: v.can_edit && v.cycle_state == "reviewing",
            state: v.cycle_state,
            committed: v.committed,
            can_edit: v.can_edit,
            can_acknowledge: v.can_acknowledge,
            can_finalize: v.can_finalize,
            acknowledged,
            krs,
            worked: typed.worked,
            did_not: typed.did_not,
            causes,
            lessons,
            actions,
            hints: v.hints.into_iter().map(|h| (h.message, h.suggestion)).collect(),
            types: cause_types(lang),
            loci: loci(lang),
            decisions: [CarryOver::Continue, CarryOver::Revise, CarryOver::Drop, CarryOver::ToKpi]
                .iter()
                .map(|d| (d.as_str(), d.label(lang)))
                .collect(),
            people: v.assignees,
            carried,
            form_action: format!("/objectives/{}/retro", v.objective),
            ack_action: format!("/objectives/{}/retro/acknowledge", v.objective),
            back: (format!("/objectives/{}", v.objective), "back_to_objective"),
            team: false,
            f,
        },
    )
}

fn team_path(unit: i64, cycle: i64) -> String {
    format!("/teams/{unit}/retro/{cycle}")
}

/// A unit's team retro page: the same form without key results, self scores and carry-over.
fn team_page(
    u: &PageUser,
    v: TeamRetroView,
    typed: Option<Typed>,
    error: Option<String>,
    ok: Option<&str>,
) -> Response {
    let path = team_path(v.unit, v.cycle);
    let mut f = Frame::for_user(u, "review", "team_retro", &path).with_ok(ok);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let mut typed = typed.unwrap_or_else(|| Typed::saved(&v.retro));
    let (causes, lessons, actions) = padded(&mut typed, v.can_edit);
    let lang = u.lang;
    render(
        status,
        RetroPage {
            id: v.unit,
            title: format!("{} · {}", v.unit_name, v.cycle_name),
            cycle: v.cycle,
            self_open: false,
            state: v.cycle_state,
            committed: false,
            can_edit: v.can_edit,
            can_acknowledge: v.can_acknowledge,
            can_finalize: false,
            acknowledged: acknowledged_line(v.acknowledged_by_name, v.acknowledged_at, u.session.zone),
            krs: vec![],
            worked: typed.worked,
            did_not: typed.did_not,
            causes,
            lessons,
            actions,
            hints: v.hints.into_iter().map(|h| (h.message, h.suggestion)).collect(),
            types: cause_types(lang),
            loci: loci(lang),
            decisions: vec![],
            people: v.assignees,
            carried: None,
            ack_action: format!("{path}/acknowledge"),
            back: (format!("/review?cycle={}&unit={}", v.cycle, v.unit), "review_board"),
            form_action: path,
            team: true,
            f,
        },
    )
}

pub async fn team_show(
    State(st): State<AppState>,
    u: PageUser,
    Path((unit, cycle)): Path<(i64, i64)>,
    Query(q): Query<OkQuery>,
) -> Response {
    match st.app.team_retro(&u.session.actor, unit, cycle, u.lang).await {
        Ok(v) => team_page(&u, v, None, None, q.ok.as_deref()),
        Err(e) => user_error_page(&u, &e),
    }
}

pub async fn team_save(
    State(st): State<AppState>,
    u: PageUser,
    Path((unit, cycle)): Path<(i64, i64)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let fields: HashMap<String, String> = fields.into_iter().collect();
    if let Some(r) = csrf_refusal(&u, fields.get("csrf").map_or("", String::as_str)) {
        return r;
    }
    let view = match st.app.team_retro(&u.session.actor, unit, cycle, u.lang).await {
        Ok(v) => v,
        Err(e) => return user_error_page(&u, &e),
    };
    let typed = Typed::posted(&fields);
    let result = match typed.input(&[]) {
        Ok(input) => st.app.save_team_retro(&u.session.actor, unit, cycle, &input, u.lang).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Redirect::to(&format!("{}?ok=saved", team_path(unit, cycle))).into_response(),
        Err(e @ (AppError::Forbidden | AppError::NotFound)) => user_error_page(&u, &e),
        Err(e) => team_page(&u, view, Some(typed), Some(refusal(&e, u.lang)), None),
    }
}

pub async fn team_acknowledge(
    State(st): State<AppState>,
    u: PageUser,
    Path((unit, cycle)): Path<(i64, i64)>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    match st.app.acknowledge_team_retro(&u.session.actor, unit, cycle, u.lang).await {
        Ok(_) => Redirect::to(&format!("{}?ok=saved", team_path(unit, cycle))).into_response(),
        Err(e @ AppError::Conflict(_)) => match st.app.team_retro(&u.session.actor, unit, cycle, u.lang).await {
            Ok(v) => team_page(&u, v, None, Some(e.message(u.lang)), None),
            Err(e) => user_error_page(&u, &e),
        },
        Err(e) => user_error_page(&u, &e),
    }
}

pub async fn show(State(st): State<AppState>, u: PageUser, Path(id): Path<i64>, Query(q): Query<OkQuery>) -> Response {
    let a = &u.session.actor;
    match tokio::try_join!(st.app.retro(a, id, u.lang), st.app.carries(a, id)) {
        Ok((v, carries)) => {
            // The draft this retro's decisions became in the next cycle.
            let carried = carries
                .iter()
                .find(|c| c.from_objective == id)
                .and_then(|c| Some((c.to_objective?, c.to_cycle_name.clone().unwrap_or_default())));
            page(&u, v, None, None, q.ok.as_deref(), carried)
        }
        Err(e) => user_error_page(&u, &e),
    }
}

/// The message for a refused save, in the page's language.
fn refusal(e: &AppError, lang: Lang) -> String {
    match e {
        AppError::Conflict("cycle_closed") => lang
            .pick(
                "周期已结束：自评分不能再修改，其余内容可以继续补充。",
                "The cycle is closed: self scores stay as they were; the rest may still be added to.",
            )
            .into(),
        _ => e.message(lang),
    }
}

pub async fn save(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let fields: HashMap<String, String> = fields.into_iter().collect();
    if let Some(r) = csrf_refusal(&u, fields.get("csrf").map_or("", String::as_str)) {
        return r;
    }
    let view = match st.app.retro(&u.session.actor, id, u.lang).await {
        Ok(v) => v,
        Err(e) => return user_error_page(&u, &e),
    };
    let typed = Typed::posted(&fields);
    let krs: Vec<i64> = view.key_results.iter().map(|k| k.key_result).collect();
    let result = match typed.input(&krs) {
        Ok(input) => st.app.save_retro(&u.session.actor, id, &input, u.lang).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/objectives/{id}/retro?ok=saved")).into_response(),
        Err(e @ (AppError::Forbidden | AppError::NotFound)) => user_error_page(&u, &e),
        Err(e) => page(&u, view, Some(typed), Some(refusal(&e, u.lang)), None, None),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn acknowledge(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    match st.app.acknowledge_retro(&u.session.actor, id, u.lang).await {
        Ok(_) => Redirect::to(&format!("/objectives/{id}/retro?ok=saved")).into_response(),
        Err(e @ AppError::Conflict(_)) => match st.app.retro(&u.session.actor, id, u.lang).await {
            Ok(v) => page(&u, v, None, Some(e.message(u.lang)), None, None),
            Err(e) => user_error_page(&u, &e),
        },
        Err(e) => user_error_page(&u, &e),
    }
}

#[derive(Deserialize)]
pub struct FinalForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    objective: i64,
    #[serde(default)]
    score: String,
    #[serde(default)]
    reason: String,
}

/// A manager's final score for a key result, with its reason.
pub async fn final_score(
    State(st): State<AppState>,
    u: PageUser,
    Path(kr): Path<i64>,
    Form(form): Form<FinalForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let result = match form.score.trim().replace('，', ".").parse::<f64>() {
        Ok(s) => st.app.override_kr_score(&u.session.actor, kr, s, &form.reason).await,
        Err(_) => Err(Invalid::new("score", Rule::NotANumber).into()),
    };
    match result {
        Ok(k) => Redirect::to(&format!("/objectives/{}/retro?ok=saved#kr-{kr}", k.objective)).into_response(),
        Err(e @ (AppError::Forbidden | AppError::NotFound)) => user_error_page(&u, &e),
        Err(e) => match st.app.retro(&u.session.actor, form.objective, u.lang).await {
            Ok(v) => page(&u, v, None, Some(e.message(u.lang)), None, None),
            Err(e) => user_error_page(&u, &e),
        },
    }
}
