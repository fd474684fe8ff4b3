//! KPIs through the API and pages, on SQLite and on PostgreSQL: privacy for every demo person,
//! locked KPIs changed only through HR, and period values judged by their thresholds.

use axum::http::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use tandem_store::on_both_engines;
use tandem_store::testing::TestDb;

mod common;
use common::*;

on_both_engines! {
    kpis_are_private_to_owner_chain_and_hr => kpi_privacy_matrix;
    locked_kpis_change_only_through_hr => kpi_change_requests;
    pages_show_kpis_only_to_their_circle => kpi_pages;
    kpi_values_are_judged_by_their_thresholds => kpi_values;
    the_kpi_library_form_keeps_what_was_typed => library_form;
}

/// Every demo person against every KPI: visible (list and GET) exactly to the owner, the
/// owner's management chain and HR; nobody else learns it exists.
async fn kpi_privacy_matrix(t: &TestDb) {
    let a = api(t).await;
    let hr = a.login("hr@demo.example").await;
    let kpis = a.items("/api/v1/kpis", &hr).await;
    assert!(kpis.len() >= 5, "{}", kpis.len());
    for k in ["id", "name", "owner", "cycle", "direction", "target", "unit"] {
        assert!(kpis[0].get(k).is_some(), "kpi.{k}");
    }
    let people = a.items("/api/v1/people", &hr).await;
    let manager: HashMap<i64, Option<i64>> =
        people.iter().map(|p| (p["id"].as_i64().unwrap_or(0), p["manager"].as_i64())).collect();
    let chain = |mut p: i64| {
        let mut out = vec![p];
        while let Some(Some(m)) = manager.get(&p) {
            if out.contains(m) {
                break;
            }
            out.push(*m);
            p = *m;
        }
        out
    };
    let mut checks = 0;
    for person in &people {
        let pid = person["id"].as_i64().expect("id");
        let tok = a.login(person["email"].as_str().expect("email")).await;
        let is_hr = person["roles"].as_array().is_some_and(|r| r.contains(&json!("hr")));
        let listed: Vec<i64> = a.items("/api/v1/kpis", &tok).await.iter().filter_map(|k| k["id"].as_i64()).collect();
        for k in &kpis {
            let kid = k["id"].as_i64().expect("id");
            let owner = k["owner"]["id"].as_i64().expect("owner");
            let allowed = is_hr || chain(owner).contains(&pid);
            let r = a.call("GET", &format!("/api/v1/kpis/{kid}"), Some(&tok), None).await;
            assert_eq!(
                r.status == StatusCode::OK,
                allowed,
                "{} GET KPI {} of {}",
                person["email"],
                k["name"],
                k["owner_name"]
            );
            assert_eq!(listed.contains(&kid), allowed, "{} lists KPI {}", person["email"], k["name"]);
            if !allowed {
                assert_eq!(r.status, StatusCode::NOT_FOUND);
                assert!(!r.body.to_string().contains(&k["name"].as_str().unwrap_or("?").to_string()));
            }
            checks += 1;
        }
    }
    assert!(checks >= 52 * 5, "{checks}");
}

async fn kpi_change_requests(t: &TestDb) {
    let a = api(t).await;
    let li = a.login("li.na@demo.example").await;
    let hr = a.login("hr@demo.example").await;
    let kpi =
        a.items("/api/v1/kpis", &li).await.into_iter().find(|k| k["name"] == "收银差错率").expect("a report's KPI");
    let kid = kpi["id"].as_i64().expect("id");
    assert_eq!(kpi["locked"], true);
    let r = a.call("PATCH", &format!("/api/v1/kpis/{kid}"), Some(&li), Some(json!({"target": 0.2}))).await;
    assert_eq!(r.code(), "kpi_locked");
    let r = a
        .call(
            "POST",
            &format!("/api/v1/kpis/{kid}/change-requests"),
            Some(&li),
            Some(json!({"changes": {"target": 0.2}, "reason": "  "})),
        )
        .await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")));
    let r = a
        .call(
            "POST",
            &format!("/api/v1/kpis/{kid}/change-requests"),
            Some(&li),
            Some(json!({"changes": {"target": 0.2, "pass": 0.3}, "reason": "新收银系统上线首月，差错率基线偏高"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let rid = r.body["id"].as_i64().expect("id");
    assert_eq!(r.body["status"], "pending");
    // Private like the KPI: an unrelated member sees no request; the owner and HR do.
    let lin = a.login("lin.xiao@demo.example").await;
    assert!(a.items("/api/v1/kpi-change-requests", &lin).await.is_empty());
    assert!(a.items("/api/v1/kpi-change-requests?status=pending", &hr).await.iter().any(|x| x["id"] == json!(rid)));
    let qin = a.login("qin.yue@demo.example").await;
    assert!(
        a.items("/api/v1/kpi-change-requests", &qin).await.iter().any(|x| x["id"] == json!(rid)),
        "the owner sees it"
    );
    // Only HR decides.
    let r = a
        .call("POST", &format!("/api/v1/kpi-change-requests/{rid}/decision"), Some(&li), Some(json!({"approve": true})))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = a
        .call(
            "POST",
            &format!("/api/v1/kpi-change-requests/{rid}/decision"),
            Some(&hr),
            Some(json!({"approve": true, "note": "同意，下月复核"})),
        )
        .await;
    assert_eq!((r.status, r.body["status"].as_str()), (StatusCode::OK, Some("approved")));
    let k = a.call("GET", &format!("/api/v1/kpis/{kid}"), Some(&hr), None).await;
    assert_eq!((k.body["target"].as_f64(), k.body["pass"].as_f64()), (Some(0.2), Some(0.3)));
    let r = a
        .call(
            "POST",
            &format!("/api/v1/kpi-change-requests/{rid}/decision"),
            Some(&hr),
            Some(json!({"approve": false})),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "already_decided"));
    // A refusal needs its reason, typed on the page once for either decision; the requester
    // reads it.
    let r = a
        .call(
            "POST",
            &format!("/api/v1/kpis/{kid}/change-requests"),
            Some(&li),
            Some(json!({"changes": {"target": 0.05}, "reason": "再降一点"})),
        )
        .await;
    let second = r.body["id"].as_i64().expect("id");
    let path = format!("/kpis/requests/{second}");
    let (status, _, html) = a.form("hr@demo.example", &path, &[("approve", "false"), ("note", " ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("“审批意见”不能为空"), "{html}");
    let (status, location, _) =
        a.form("hr@demo.example", &path, &[("approve", "false"), ("note", "本季度刚调过一次\n下季度再议")]).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/kpis/requests?ok=saved")));
    let mine = a.items("/api/v1/kpi-change-requests", &li).await;
    let decided = mine.iter().find(|x| x["id"] == json!(second)).expect("request");
    assert_eq!(
        (decided["status"].as_str(), decided["decision_note"].as_str()),
        (Some("rejected"), Some("本季度刚调过一次\n下季度再议"))
    );
    let (_, page) = a.page("li.na@demo.example", "/kpis/requests").await;
    assert!(page.contains("本季度刚调过一次"), "the requester sees why");
    // The applied change carries the request's reason in the KPI's history.
    let s = a.app.authenticate(&hr).await.expect("hr");
    let hist = tandem_store::events::for_entity(&a.app.db, s.actor.tenant.0, "kpi", kid).await.expect("history");
    let last = hist.last().expect("event");
    assert!(last.reason.as_deref().is_some_and(|r| r.starts_with("新收银系统上线首月")));
    assert_eq!(last.before.as_ref().map(|b| b["target"].clone()), Some(json!(0.1)));
}

/// The pages are doors too: someone outside a KPI's circle never sees its name or numbers.
async fn kpi_pages(t: &TestDb) {
    let a = api(t).await;
    let page = |email: &'static str, path: &'static str| {
        let app = a.app.clone();
        let router = a.router.clone();
        async move {
            let s = app.login(&format!("{email}@demo.example"), "demo-2026", None, "test").await.expect("login");
            let req = axum::http::Request::get(path)
                .header("cookie", format!("tandem_session={}", s.secret))
                .body(axum::body::Body::empty())
                .expect("req");
            let resp = tower::ServiceExt::oneshot(router, req).await.expect("page");
            assert_eq!(resp.status(), StatusCode::OK, "{email} {path}");
            let bytes = http_body_util::BodyExt::collect(resp.into_body()).await.expect("body").to_bytes();
            String::from_utf8_lossy(&bytes).into_owned()
        }
    };
    let secret_kpi = "收银差错率";
    for path in ["/kpis", "/goals", "/kpis/requests"] {
        assert!(!page("lin.xiao", path).await.contains(secret_kpi), "R&D member on {path}");
        assert!(!page("zhang.wei", path).await.contains(secret_kpi), "a peer of the owner on {path}");
    }
    assert!(page("qin.yue", "/goals").await.contains(secret_kpi), "the owner");
    assert!(page("li.na", "/kpis").await.contains(secret_kpi), "the manager");
    assert!(page("hr", "/kpis").await.contains(secret_kpi), "HR");
}

async fn kpi_values(t: &TestDb) {
    let a = api_on_a_november_day(t).await;
    let li = a.login("li.na@demo.example").await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let lin = a.login("lin.xiao@demo.example").await;
    // Zhang's KPI: lower is better, pass ≤ 3, warn ≤ 3.5 (minutes).
    let k = a.items("/api/v1/kpis", &zhang).await.first().cloned().expect("kpi");
    let id = k["id"].as_i64().expect("id");
    let send = |tok: &str, body: Value| {
        let tok = tok.to_string();
        let a = &a;
        async move { a.call("POST", &format!("/api/v1/kpis/{id}/values"), Some(&tok), Some(body)).await }
    };
    // The demo has recorded September to November: each is replaced here, as asked.
    let post =
        |tok: &str, period: &str, value: f64| send(tok, json!({"period": period, "value": value, "replace": true}));
    assert_eq!(post(&zhang, "2026-10", 2.0).await.status, StatusCode::FORBIDDEN, "nobody reports their own KPI");
    assert_eq!(post(&lin, "2026-10", 2.0).await.status, StatusCode::NOT_FOUND);
    let r = post(&li, "2026-Q4", 2.0).await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("period")),
        "a monthly KPI takes months"
    );
    assert_eq!(post(&li, "2026-09", 2.8).await.body["status"], "pass");
    assert_eq!(post(&li, "2026-10", 3.3).await.body["status"], "warn");
    assert_eq!(post(&li, "2026-11", 3.9).await.body["status"], "fail");
    // A second value for a recorded period is not taken silently: it asks, naming the first.
    let r = send(&li, json!({"period": "2026-11", "value": 3.2})).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "period_recorded"), "{:?}", r.body);
    assert!(r.body["error"]["message"].as_str().unwrap_or_default().contains("3.9"), "{:?}", r.body);
    assert_eq!(
        send(&li, json!({"period": "2026-11", "value": 3.9})).await.status,
        StatusCode::CREATED,
        "the same again"
    );
    let r = post(&li, "2026-11", 3.2).await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (StatusCode::CREATED, Some("warn")),
        "a correction, asked for, replaces the value"
    );
    // No value for a month still to come, nor a negative duration.
    for (period, value, field) in [("2026-12", 3.0, "period"), ("2027-01", 3.0, "period"), ("2026-11", -3.0, "value")] {
        let r = post(&li, period, value).await;
        assert_eq!(
            (r.status, r.body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{period} {value}: {:?}",
            r.body
        );
    }
    // From the board: a refused value comes back with the form open, what was typed kept, the
    // field named as the form labels it; a recorded period asks for a tick to replace it.
    let path = format!("/kpis/{id}/values");
    let (status, _, html) = a.form("li.na@demo.example", &path, &[("period", "2026-10"), ("value", "3,0")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("value=\"3,0\"") && html.contains("“数值”中的逗号有歧义") && html.contains(" open>"),
        "{html}"
    );
    let (status, _, html) = a.form("li.na@demo.example", &path, &[("period", "2026-10"), ("value", "３．４")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("这一期已记录为 3.3") && html.contains("name=\"replace\""), "{html}");
    let (status, location, _) =
        a.form("li.na@demo.example", &path, &[("period", "2026-10"), ("value", "３．４"), ("replace", "1")]).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some(format!("/kpis?ok=saved#kpi-{id}").as_str()))
    );
    assert_eq!(post(&li, "2026-10", 3.3).await.status, StatusCode::CREATED, "back as it was");
    let values = a.items(&format!("/api/v1/kpis/{id}/values"), &zhang).await;
    let trend: Vec<(String, String)> = values
        .iter()
        .map(|v| (v["period"].as_str().unwrap_or("").into(), v["status"].as_str().unwrap_or("").into()))
        .collect();
    assert_eq!(
        trend,
        vec![("2026-09".into(), "pass".into()), ("2026-10".into(), "warn".into()), ("2026-11".into(), "warn".into())]
    );
    assert_eq!(
        a.call("GET", &format!("/api/v1/kpis/{id}/values"), Some(&lin), None).await.status,
        StatusCode::NOT_FOUND,
        "numbers stay private"
    );
}

async fn library_form(t: &TestDb) {
    let a = api(t).await;
    // A threshold that is not a number: refused, named by its label, everything typed kept.
    let fields = [
        ("job_family", "门店·店长"),
        ("name", "月度毛利率"),
        ("direction", "lower_is_better"),
        ("pass", "三十"),
        ("warn", "35"),
        ("unit", "%"),
    ];
    let (status, _, html) = a.form("hr@demo.example", "/kpis/library", &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = &html[html.find("role=\"alert\"").expect("the reason")..];
    let error = &error[..error.find("</").expect("end")];
    assert!(error.contains("达标"), "the field named as the form labels it: {error}");
    assert!(!html.contains("“pass”"), "not by its input name");
    for v in ["门店·店长", "月度毛利率", "value=\"三十\"", "value=\"35\"", "value=\"%\""] {
        assert!(html.contains(v), "kept: {v}");
    }
    assert!(html.contains("value=\"lower_is_better\" selected"), "the direction kept");
    // Fixed, it goes in and the form is empty again.
    let mut fixed = fields;
    fixed[3] = ("pass", "30");
    let (status, location, _) = a.form("hr@demo.example", "/kpis/library", &fixed).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/kpis/library?ok=created")));
    let (_, html) = a.page("hr@demo.example", "/kpis/library").await;
    assert!(html.contains("月度毛利率") && !html.contains("value=\"30\""));
}
