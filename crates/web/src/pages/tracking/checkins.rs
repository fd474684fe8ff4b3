//! Check-ins from the objective page (one key result, or the whole objective at once), their
//! correction, and acknowledging a red light.

use crate::AppState;
use crate::auth::PageUser;
use crate::pages::goals::objective::{TypedCheckIn, objective_page, objective_page_as_of};
use crate::pages::shared::parse_num;
use crate::pages::{csrf_refusal, user_error_page};
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tandem_app::AppError;
use tandem_domain::{Invalid, Rule};

#[derive(Deserialize)]
pub struct CheckInForm {
    #[serde(default)]
    csrf: String,
    objective: i64,
    #[serde(default)]
    value: String,
    #[serde(default)]
    confidence: String,
    #[serde(default)]
    progress: String,
    #[serde(default)]
    blockers: String,
    #[serde(default)]
    help: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    status_reason: String,
}

pub async fn check_in(
    State(st): State<AppState>,
    u: PageUser,
    Path(kr): Path<i64>,
    Form(form): Form<CheckInForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let result = async { st.app.check_in(&u.session.actor, kr, form.parse()?).await }.await;
    if let Err(e) = &result
        && !matches!(e, AppError::NotFound)
    {
        let typed = TypedCheckIn {
            kr,
            value: form.value.clone(),
            confidence: form.confidence.trim().parse::<u8>().ok().filter(|c| *c <= 10).unwrap_or(7),
            progress: form.progress.clone(),
            blockers: form.blockers.clone(),
            help: form.help.clone(),
            status: form.status.clone(),
            status_reason: form.status_reason.clone(),
        };
        let fields = [
            ("value", "new_value"),
            ("confidence", "confidence"),
            ("progress", "q_progress"),
            ("blockers", "q_blockers"),
            ("help", "q_help"),
            ("status", "kr_status"),
            ("status_reason", "kr_status_reason"),
        ];
        let error = Some(crate::pages::shared::labelled_message(e, crate::i18n::Tr(u.lang), &fields));
        return objective_page_as_of(&st, &u, form.objective, error, &Default::default(), Some(typed)).await;
    }
    check_in_answer(&st, &u, &form, kr, result).await
}

impl CheckInForm {
    fn parse(&self) -> Result<tandem_domain::checkin::CheckIn, AppError> {
        let value = parse_num("value", &self.value, None)?;
        let confidence =
            self.confidence.trim().parse::<i64>().map_err(|_| Invalid::new("confidence", Rule::NotANumber))?;
        Ok(tandem_domain::checkin::CheckIn::parse(value, confidence, &self.progress, &self.blockers, &self.help)?
            .with_status(&self.status, &self.status_reason)?)
    }
}

async fn check_in_answer(
    st: &AppState,
    u: &PageUser,
    form: &CheckInForm,
    kr: i64,
    result: Result<tandem_app::tracking::checkins::CheckInOutcome, AppError>,
) -> Response {
    match result {
        // Back at the key result, with what the check-in changed said beside it.
        Ok(_) => Redirect::to(&format!("/objectives/{}?ok=checkin-{kr}#kr-{kr}", form.objective)).into_response(),
        Err(AppError::NotFound) => user_error_page(u, &AppError::NotFound),
        Err(e) => objective_page(st, u, form.objective, Some(e.message(u.lang)), None).await,
    }
}

/// The weekly check-in on a whole objective: a value for each KR filled in (blank ones are left
/// alone), one confidence and one set of answers.
pub async fn check_in_objective(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("");
    if let Some(r) = csrf_refusal(&u, get("csrf")) {
        return r;
    }
    let result = async {
        let mut values = vec![];
        for (name, v) in &fields {
            if let Some(kr) = name.strip_prefix("kr_").and_then(|k| k.parse::<i64>().ok())
                && !v.trim().is_empty()
            {
                values.push((kr, parse_num("value", v, None)?));
            }
        }
        let confidence =
            get("confidence").trim().parse::<i64>().map_err(|_| Invalid::new("confidence", Rule::NotANumber))?;
        let answers =
            tandem_domain::checkin::CheckIn::parse(0.0, confidence, get("progress"), get("blockers"), get("help"))?;
        st.app.check_in_objective(&u.session.actor, id, &values, answers).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/objectives/{id}?ok=saved")).into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => objective_page(&st, &u, id, Some(e.message(u.lang)), None).await,
    }
}

/// Corrects one's own check-in within the edit window.
pub async fn edit_check_in(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<CheckInForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let result = async { st.app.edit_check_in(&u.session.actor, id, form.parse()?).await }.await;
    let kr = result.as_ref().map(|o| o.key_result.id).unwrap_or_default();
    check_in_answer(&st, &u, &form, kr, result).await
}

#[derive(Deserialize)]
pub struct AckForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

/// Acknowledges a red light from the dashboard's list, with what is being done about it.
pub async fn acknowledge_alert(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<AckForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    match st.app.acknowledge_alert(&u.session.actor, id, &form.note).await {
        Ok(_) => Redirect::to("/dashboard?ok=saved#red-light-list").into_response(),
        Err(e) => user_error_page(&u, &e),
    }
}
