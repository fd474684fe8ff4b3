//! Deriving a KPI from a key result (the cascade into the KPI track).

use crate::AppState;
use crate::auth::PageUser;
use crate::pages::goals::objective::objective_page;
use crate::pages::shared::parse_num;
use crate::pages::{csrf_refusal, opt_id, user_error_page};
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tandem_app::AppError;
use tandem_domain::kpi::DerivedFrom;
use tandem_domain::{Invalid, Rule};

#[derive(Deserialize)]
pub struct DeriveForm {
    #[serde(default)]
    csrf: String,
    objective: i64,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    pass: String,
    #[serde(default)]
    warn: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    cycle: String,
    #[serde(default)]
    template: String,
}

/// The cascade's last step: a KPI for a team member, derived from a key result.
pub async fn derive_kpi(
    State(st): State<AppState>,
    u: PageUser,
    Path(kr): Path<i64>,
    Form(form): Form<DeriveForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let result = async {
        // A library template fills whatever the form left empty.
        let tpl = match opt_id(&form.template)? {
            Some(tid) => st.app.list_templates(&u.session.actor).await?.into_iter().find(|x| x.id == tid),
            None => None,
        };
        let pass = parse_num("pass", &form.pass, tpl.as_ref().map(|x| x.pass))?;
        let warn = if form.warn.trim().is_empty() {
            tpl.as_ref().and_then(|x| x.warn)
        } else {
            Some(parse_num("warn", &form.warn, None)?)
        };
        let owner: i64 = form.owner.parse().map_err(|_| Invalid::new("owner", Rule::Required))?;
        let pick = |field: &str, from_tpl: Option<String>| {
            if field.trim().is_empty() { from_tpl.unwrap_or_default() } else { field.to_string() }
        };
        let direction = tpl.as_ref().map(|x| x.direction.clone()).unwrap_or_else(|| form.direction.clone());
        let new = tandem_app::kpis::kpi::NewKpi {
            name: pick(&form.name, tpl.as_ref().map(|x| x.name.clone())),
            owner: Some(tandem_app::org::owners::OwnerRef {
                kind: tandem_app::org::owners::OwnerKind::Person,
                id: owner,
            }),
            cycle: form.cycle.parse().map_err(|_| Invalid::new("cycle", Rule::Required))?,
            granularity: "month".into(),
            direction,
            target: pass,
            pass: Some(pass),
            warn,
            unit: pick(&form.unit, tpl.as_ref().map(|x| x.unit.clone())),
            weight: None,
            derived_from: Some(DerivedFrom::KeyResult(tandem_domain::ids::KeyResultId(kr))),
        };
        st.app.create_kpi(&u.session.actor, new).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/kpis?ok=created").into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => objective_page(&st, &u, form.objective, Some(e.message(u.lang)), None).await,
    }
}
