//! The knowledge base: lessons from every retro the caller may see, searched in Chinese or
//! English and filtered by cause type, unit and cycle.

use crate::AppState;
use crate::auth::PageUser;
use crate::pages::{Frame, UnitOption, opt_id, render, unit_options, user_error_page};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tandem_app::AppError;
use tandem_app::review::lessons::LessonFilter;
use tandem_domain::retro::CauseType;

#[derive(Deserialize)]
pub struct LessonQuery {
    #[serde(default)]
    q: String,
    #[serde(default, rename = "type")]
    kind: String,
    unit: Option<String>,
    cycle: Option<String>,
}

pub struct Line {
    pub text: String,
    pub tags: Vec<String>,
    /// Where its retro is.
    pub href: String,
    pub objective_title: String,
    pub unit_name: String,
    pub cycle_name: String,
    pub types: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "review/lessons.html")]
struct LessonsPage {
    f: Frame,
    q: String,
    kind: String,
    unit: i64,
    cycle: i64,
    types: Vec<(&'static str, &'static str)>,
    units: Vec<UnitOption>,
    cycles: Vec<(i64, String)>,
    lines: Vec<Line>,
}

pub async fn page(State(st): State<AppState>, u: PageUser, Query(q): Query<LessonQuery>) -> Response {
    let a = &u.session.actor;
    let lang = u.lang;
    let loaded = async {
        let unit = opt_id(q.unit.as_deref().unwrap_or(""))?;
        let cycle = opt_id(q.cycle.as_deref().unwrap_or(""))?;
        let kind = Some(q.kind.trim()).filter(|k| !k.is_empty()).map(|k| CauseType::parse("type", k)).transpose()?;
        let filter = LessonFilter { q: q.q.clone(), unit, kind, tag: None, cycle, limit: 50 };
        let (lessons, cycles, org) =
            tokio::try_join!(st.app.lessons(a, &filter), st.app.list_cycles(a), st.app.org_snapshot(a.tenant.0))?;
        Ok::<_, AppError>((lessons, cycles, org, unit, cycle))
    }
    .await;
    let (lessons, cycles, org, unit, cycle) = match loaded {
        Ok(x) => x,
        Err(e) => return user_error_page(&u, &e),
    };
    let f = Frame::for_user(&u, "review", "knowledge_base", "/lessons");
    let lines = lessons
        .into_iter()
        .map(|l| Line {
            href: crate::pages::shared::lesson_retro_href(&l),
            tags: l.tags,
            objective_title: if l.objective.is_some() { l.objective_title } else { f.t.s("team_retro").to_string() },
            unit_name: l.unit_name,
            cycle_name: cycles.iter().find(|c| c.id == l.cycle).map(|c| c.name.clone()).unwrap_or_default(),
            types: l.types.iter().map(|t| t.label(lang)).collect(),
            text: l.text,
        })
        .collect();
    render(
        StatusCode::OK,
        LessonsPage {
            q: q.q,
            kind: q.kind,
            unit: unit.unwrap_or(0),
            cycle: cycle.unwrap_or(0),
            types: CauseType::ALL.iter().map(|t| (t.as_str(), t.label(lang))).collect(),
            units: unit_options(&org),
            cycles: cycles.iter().map(|c| (c.id, c.name.clone())).collect(),
            lines,
            f,
        },
    )
}
