//! The drafting form, with live goal-quality hints (and a server-side check without JavaScript).

use crate::AppState;
use crate::auth::PageUser;
use crate::i18n::Tr;
use crate::pages::shared::{CycleQuery, load, measure_options, parse_num, pick_cycle};
use crate::pages::{Frame, csrf_refusal, opt_id, render, user_error_page};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;
use tandem_app::AppError;
use tandem_app::goals::key_results::NewKeyResult;
use tandem_app::goals::objectives::NewObjective;
use tandem_app::review::lessons::LessonFilter;
use tandem_domain::goal::Owner;
use tandem_domain::ids::{OrgUnitId, PersonId};
use tandem_domain::lint::{Draft, DraftKeyResult, DraftObjective, lint};
use tandem_domain::{Invalid, Rule};

#[derive(Deserialize, Default, Clone)]
pub struct KrFields {
    pub title: String,
    pub measure: String,
    pub baseline: String,
    pub target: String,
    pub unit: String,
}

#[derive(Default)]
pub struct DraftForm {
    pub title: String,
    pub kind: String,
    pub owner: String,
    pub cycle: String,
    pub parent: String,
    pub krs: Vec<KrFields>,
}

pub struct Hint {
    pub rule: &'static str,
    pub where_: String,
    pub message: String,
    pub suggestion: String,
}

#[derive(Template)]
#[template(path = "goals/objective_new.html")]
struct NewPage {
    f: Frame,
    form: DraftForm,
    kinds: Vec<(&'static str, &'static str)>,
    owners: Vec<(String, String)>,
    cycles: Vec<(i64, String)>,
    parents: Vec<(i64, String)>,
    measures: Vec<(&'static str, &'static str)>,
    checked: bool,
    findings: Vec<Hint>,
    /// Past lessons closest to what is being drafted: (text, where its retro is, what it is of).
    lessons: Vec<(String, String, String)>,
}

async fn new_page(
    st: &AppState,
    u: &PageUser,
    form: DraftForm,
    error: Option<String>,
    findings: Option<Vec<Hint>>,
) -> Response {
    let a = &u.session.actor;
    let words = std::iter::once(form.title.as_str())
        .chain(form.krs.iter().map(|k| k.title.as_str()))
        .collect::<Vec<_>>()
        .join(" ");
    let loaded = async {
        let l = load(st, u).await?;
        let org = st.app.org_snapshot(a.tenant.0).await?;
        let lessons = if words.trim().is_empty() {
            vec![]
        } else {
            st.app.lessons(a, &LessonFilter { q: words.clone(), limit: 3, ..Default::default() }).await?
        };
        Ok::<_, AppError>((l, org, lessons))
    }
    .await;
    let (l, org, lessons) = match loaded {
        Ok(x) => x,
        Err(e) => return user_error_page(u, &e),
    };
    let mut f = Frame::for_user(u, "goals", "new_objective", "/objectives/new");
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let t = f.t;
    let mut owners = vec![(format!("person:{}", a.person.0), format!("{}（{}）", u.session.name, t.s("me")))];
    for x in org
        .units
        .iter()
        .filter(|x| tandem_domain::policy::may_set_goals_for(a, Owner::OrgUnit(OrgUnitId(x.id)), &org.tree))
    {
        owners.push((format!("org_unit:{}", x.id), x.name.clone()));
    }
    let cycle: Option<i64> = form.cycle.parse().ok();
    let cycle = pick_cycle(&l.cycles, cycle);
    let form = DraftForm { cycle: cycle.map(|c| c.to_string()).unwrap_or_default(), ..form };
    let page = NewPage {
        kinds: vec![
            ("aspirational", t.s("kind_aspirational")),
            ("committed", t.s("kind_committed")),
            ("learning", t.s("kind_learning")),
        ],
        owners,
        cycles: l.cycles.iter().filter(|c| c.state != "closed").map(|c| (c.id, c.name.clone())).collect(),
        parents: l
            .all
            .iter()
            .filter(|o| o.status == "published" && Some(o.cycle) == cycle)
            .map(|o| (o.id, format!("{} · {}", o.owner_name, o.title)))
            .collect(),
        measures: measure_options(t),
        checked: findings.is_some(),
        findings: findings.unwrap_or_default(),
        lessons: lessons
            .into_iter()
            .map(|x| {
                let href = crate::pages::shared::lesson_retro_href(&x);
                let of = if x.objective.is_some() { x.objective_title } else { x.unit_name };
                (x.text, href, of)
            })
            .collect(),
        form,
        f,
    };
    render(status, page)
}

pub async fn new_objective(State(st): State<AppState>, u: PageUser, Query(q): Query<CycleQuery>) -> Response {
    let form = DraftForm {
        kind: "aspirational".into(),
        owner: format!("person:{}", u.session.actor.person.0),
        cycle: q.cycle.map(|c| c.to_string()).unwrap_or_default(),
        parent: q.parent.map(|p| p.to_string()).unwrap_or_default(),
        krs: vec![KrFields { measure: "increase".into(), ..Default::default() }; 4],
        ..Default::default()
    };
    new_page(&st, &u, form, None, None).await
}

fn draft_form(fields: &HashMap<String, String>) -> DraftForm {
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    DraftForm {
        title: get("title"),
        kind: get("kind"),
        owner: get("owner"),
        cycle: get("cycle"),
        parent: get("parent"),
        krs: (0..4)
            .map(|i| KrFields {
                title: get(&format!("kr{i}_title")),
                measure: get(&format!("kr{i}_measure")),
                baseline: get(&format!("kr{i}_baseline")),
                target: get(&format!("kr{i}_target")),
                unit: get(&format!("kr{i}_unit")),
            })
            .collect(),
    }
}

fn hints(form: &DraftForm, t: Tr) -> Vec<Hint> {
    let rows: Vec<usize> = (0..form.krs.len()).filter(|i| !form.krs[*i].title.trim().is_empty()).collect();
    let draft = Draft {
        objectives: vec![DraftObjective {
            title: form.title.clone(),
            kind: Some(form.kind.clone()),
            owner: None,
            key_results: rows
                .iter()
                .map(|i| {
                    let k = &form.krs[*i];
                    DraftKeyResult {
                        title: k.title.clone(),
                        baseline: k.baseline.trim().parse().ok(),
                        target: k.target.trim().parse().ok(),
                    }
                })
                .collect(),
        }],
    };
    lint(&draft, t.0)
        .into_iter()
        .map(|f| {
            let where_ =
                match f.target.split("key_results[").nth(1).and_then(|s| s.trim_end_matches(']').parse::<usize>().ok())
                {
                    Some(j) => format!("{} {}", t.s("kr_title"), rows.get(j).map(|r| r + 1).unwrap_or(j + 1)),
                    None => t.s("objective").to_string(),
                };
            Hint { rule: f.rule, where_, message: f.message, suggestion: f.suggestion }
        })
        .collect()
}

pub async fn create_objective(
    State(st): State<AppState>,
    u: PageUser,
    Form(fields): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, fields.get("csrf").map(String::as_str).unwrap_or("")) {
        return r;
    }
    let form = draft_form(&fields);
    let action = fields.get("action").map(String::as_str).unwrap_or("draft");
    let found = hints(&form, Tr(u.lang));
    if action == "check" {
        return new_page(&st, &u, form, None, Some(found)).await;
    }
    let result = async {
        let owner = match form.owner.split_once(':') {
            Some(("org_unit", id)) => {
                Some(Owner::OrgUnit(OrgUnitId(id.parse().map_err(|_| Invalid::new("owner", Rule::UnknownRef))?)))
            }
            Some(("person", id)) => {
                Some(Owner::Person(PersonId(id.parse().map_err(|_| Invalid::new("owner", Rule::UnknownRef))?)))
            }
            _ => None,
        };
        let mut key_results = vec![];
        for (i, k) in form.krs.iter().enumerate().filter(|(_, k)| !k.title.trim().is_empty()) {
            let at = |e: Invalid| Invalid::new(format!("{} {} · {}", Tr(u.lang).s("kr_title"), i + 1, e.field), e.rule);
            key_results.push(NewKeyResult {
                title: k.title.clone(),
                measure: if k.measure.is_empty() { "increase".into() } else { k.measure.clone() },
                baseline: parse_num("baseline", &k.baseline, Some(0.0)).map_err(at)?,
                target: parse_num("target", &k.target, None).map_err(at)?,
                unit: k.unit.clone(),
                ..Default::default()
            });
        }
        let new = NewObjective {
            title: form.title.clone(),
            kind: form.kind.clone(),
            owner,
            cycle: form.cycle.parse().map_err(|_| Invalid::new("cycle", Rule::Required))?,
            parent: opt_id(&form.parent)?,
            publish: action == "publish",
            key_results,
            ..Default::default()
        };
        st.app.create_objective(&u.session.actor, new).await
    }
    .await;
    match result {
        Ok(o) => Redirect::to(&format!("/objectives/{}?ok=created", o.id)).into_response(),
        Err(e) => new_page(&st, &u, form, Some(e.message(u.lang)), Some(found)).await,
    }
}
