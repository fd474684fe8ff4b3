//! Objectives and key results through the API, on SQLite and on PostgreSQL: scores and
//! alignment, draft privacy for every demo person, write rights, mid-cycle reasons, the open
//! format, as-of views, the cascade, comments and the objective's pages.

use axum::http::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use tandem_store::on_both_engines;
use tandem_store::testing::TestDb;

on_both_engines! {
    objectives_carry_scores_and_alignment => scores_and_alignment;
    drafts_are_seen_by_author_and_managers_only => draft_privacy;
    a_draft_stays_private_archived_or_published_later => draft_history_privacy;
    goals_are_written_by_the_right_people => write_rights;
    mid_cycle_changes_need_a_reason_and_kpis_stay_locked => adjustments;
    archived_objectives_leave_the_roll_up => archive;
    drafts_are_checked_for_quality => lint_api;
    an_objective_and_its_key_results_land_together => atomic_create;
    a_cycle_round_trips_through_the_open_format => round_trip;
    goals_can_be_seen_as_of_a_past_moment => as_of;
    downstream_owners_see_upstream_changes => cascade_notices;
    objectives_are_discussed_and_hr_keeps_a_kpi_library => comments_and_library;
    the_edit_form_rewords_and_realigns => edit_form;
    the_objective_page_shows_a_past_version => as_of_page;
    pages_derive_kpis_from_the_library_and_share_krs => derive_and_share;
}

mod common;
use common::*;

async fn scores_and_alignment(t: &TestDb) {
    let a = api(t).await;
    let admin = a.login("admin@demo.example").await;
    let objs = a.items("/api/v1/objectives", &admin).await;
    assert!(objs.len() >= 10, "{}", objs.len());
    assert!(objs.iter().all(|o| o["status"] == "published"), "the admin sees no one's draft");
    for k in ["id", "title", "kind", "owner", "cycle", "parent", "score", "band", "key_results"] {
        assert!(objs[0].get(k).is_some(), "objective.{k}");
    }
    assert!(objs.iter().filter(|o| !o["parent"].is_null()).count() >= 5);
    let by_id: HashMap<i64, &Value> = objs.iter().map(|o| (o["id"].as_i64().unwrap_or(0), o)).collect();
    for o in &objs {
        let krs = o["key_results"].as_array().expect("krs");
        for k in krs {
            for f in ["id", "title", "measure", "baseline", "target", "current", "weight", "score", "band"] {
                assert!(k.get(f).is_some(), "kr.{f}");
            }
            let s = k["score"].as_f64().unwrap_or(-1.0);
            assert!((0.0..=1.0).contains(&s));
            let band = if s >= 0.7 {
                "green"
            } else if s >= 0.4 {
                "yellow"
            } else {
                "red"
            };
            assert_eq!(k["band"], band);
        }
        // The objective's score is the weighted mean of its KRs.
        let (w, sum) = krs.iter().fold((0.0, 0.0), |(w, s), k| {
            (
                w + k["weight"].as_f64().unwrap_or(0.0),
                s + k["weight"].as_f64().unwrap_or(0.0) * k["score"].as_f64().unwrap_or(0.0),
            )
        });
        if w > 0.0 {
            assert!(close(o["score"].as_f64().unwrap_or(-1.0), sum / w), "{}", o["title"]);
        }
        // The roll-up is the mean of its own score and its children's roll-ups.
        let children: Vec<f64> =
            objs.iter().filter(|c| c["parent"] == o["id"]).map(|c| c["rollup"].as_f64().unwrap_or(0.0)).collect();
        let own = [o["score"].as_f64().unwrap_or(0.0)];
        let all: Vec<f64> = own.iter().chain(children.iter()).copied().collect();
        assert!(
            close(o["rollup"].as_f64().unwrap_or(-1.0), all.iter().sum::<f64>() / all.len() as f64),
            "rollup of {}",
            o["title"]
        );
        if let Some(p) = o["parent"].as_i64() {
            assert!(by_id.contains_key(&p), "parents are visible");
        }
    }
    // One KR checked by hand: waiting time 6 → 3 minutes, now 4.2: (4.2 - 6) / (3 - 6) = 0.6.
    let wait = objs
        .iter()
        .flat_map(|o| o["key_results"].as_array().cloned().unwrap_or_default())
        .find(|k| k["title"] == "顾客平均等待时间从6分钟降至3分钟以内")
        .expect("kr");
    assert!(close(wait["score"].as_f64().unwrap_or(0.0), 0.6));
    assert_eq!(wait["band"], "yellow");
    // The shared KR names both departments with their weights.
    let shared = objs
        .iter()
        .flat_map(|o| o["key_results"].as_array().cloned().unwrap_or_default())
        .find(|k| k["owners"].as_array().is_some_and(|o| o.len() == 2))
        .expect("a shared KR");
    let weights: Vec<f64> =
        shared["owners"].as_array().expect("owners").iter().map(|o| o["weight"].as_f64().unwrap_or(0.0)).collect();
    assert_eq!(weights, vec![0.6, 0.4]);
    // Filters: by unit (its subtree and its people), by owner, by cycle.
    let east = a.id_of("/api/v1/org-units", &admin, "name", "华东大区").await;
    let east_objs = a.items(&format!("/api/v1/objectives?unit={east}"), &admin).await;
    assert!(east_objs.iter().any(|o| o["owner_name"] == "张伟"), "a person below the unit");
    assert!(east_objs.iter().all(|o| o["owner_name"] != "华南大区"));
    let q = a.active_quarter(&admin).await;
    let running = objs.iter().filter(|o| o["cycle"] == q).count();
    assert!(running >= 10, "{running}");
    assert_eq!(a.items(&format!("/api/v1/objectives?cycle={q}"), &admin).await.len(), running);
    assert!(a.items("/api/v1/objectives?cycle=1", &admin).await.is_empty());
}

async fn draft_privacy(t: &TestDb) {
    let a = api(t).await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let draft = a
        .items("/api/v1/objectives", &zhang)
        .await
        .into_iter()
        .find(|o| o["status"] == "draft")
        .expect("zhang's draft");
    let id = draft["id"].as_i64().expect("id");
    for (email, sees) in [
        ("zhang.wei", true),
        ("li.na", true),
        ("zhao.min", true),
        ("ceo", true),
        ("yang.fan", false),
        ("lin.xiao", false),
        ("hr", false),
        ("admin", false),
        ("wang.lei", false),
    ] {
        let tok = a.login(&format!("{email}@demo.example")).await;
        let r = a.call("GET", &format!("/api/v1/objectives/{id}"), Some(&tok), None).await;
        assert_eq!(r.status == StatusCode::OK, sees, "{email} GET draft: {}", r.status);
        let listed = a.items("/api/v1/objectives", &tok).await.iter().any(|o| o["id"] == json!(id));
        assert_eq!(listed, sees, "{email} lists draft");
        if !sees {
            assert_eq!(r.status, StatusCode::NOT_FOUND);
            let p =
                a.call("PATCH", &format!("/api/v1/objectives/{id}"), Some(&tok), Some(json!({"title": "偷改"}))).await;
            assert_eq!(p.status, StatusCode::NOT_FOUND, "{email} cannot even find it to change");
        }
    }
    let r =
        a.call("PATCH", &format!("/api/v1/objectives/{id}"), Some(&zhang), Some(json!({"status": "published"}))).await;
    assert_eq!(r.status, StatusCode::OK);
    let lin = a.login("lin.xiao@demo.example").await;
    assert_eq!(
        a.call("GET", &format!("/api/v1/objectives/{id}"), Some(&lin), None).await.status,
        StatusCode::OK,
        "published: everyone"
    );
}

async fn write_rights(t: &TestDb) {
    let a = api_on_a_november_day(t).await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let li = a.login("li.na@demo.example").await;
    let lin = a.login("lin.xiao@demo.example").await;
    let hr = a.login("hr@demo.example").await;
    let q = a.active_quarter(&zhang).await;
    let people = a.items("/api/v1/people", &hr).await;
    let pid = |email: &str| people.iter().find(|p| p["email"] == email).and_then(|p| p["id"].as_i64()).expect("person");
    let (zhang_id, lin_id) = (pid("zhang.wei@demo.example"), pid("lin.xiao@demo.example"));
    let new = |owner: i64| json!({"title": "提升新员工上手速度", "cycle": q, "owner": {"type": "person", "id": owner}});
    assert_eq!(
        a.call("POST", "/api/v1/objectives", Some(&lin), Some(new(zhang_id))).await.status,
        StatusCode::FORBIDDEN,
        "a peer"
    );
    let r = a.call("POST", "/api/v1/objectives", Some(&li), Some(new(zhang_id))).await;
    assert_eq!(r.status, StatusCode::CREATED, "the manager: {:?}", r.body);
    assert_eq!(r.body["status"], "draft");
    let oid = r.body["id"].as_i64().expect("id");
    // The owner (and their manager) may edit; a peer may not, even once published.
    let r = a.call("POST", &format!("/api/v1/objectives/{oid}/key-results"), Some(&zhang), Some(json!({"title": "新员工独立上岗时间从14天缩短至7天", "measure": "decrease", "baseline": 14, "target": 7, "unit": "天"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!((r.body["score"].as_f64(), r.body["band"].as_str()), (Some(0.0), Some("red")));
    a.call("PATCH", &format!("/api/v1/objectives/{oid}"), Some(&zhang), Some(json!({"status": "published"}))).await;
    let r = a.call("PATCH", &format!("/api/v1/objectives/{oid}"), Some(&lin), Some(json!({"description": "x"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Alignment: a loop is refused; an unknown parent too.
    let objs = a.items("/api/v1/objectives", &zhang).await;
    let store_o = objs
        .iter()
        .find(|o| o["owner_name"] == "上海南京西路店")
        .and_then(|o| o["id"].as_i64())
        .expect("store objective");
    let r = a.call("PATCH", &format!("/api/v1/objectives/{oid}"), Some(&zhang), Some(json!({"parent": store_o}))).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = a.call("PATCH", &format!("/api/v1/objectives/{store_o}"), Some(&li), Some(json!({"parent": oid}))).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "alignment_loop"));
    let r = a
        .call(
            "POST",
            "/api/v1/objectives",
            Some(&zhang),
            Some(json!({"title": "x", "cycle": q, "parent": 999_999_999})),
        )
        .await;
    assert_eq!(r.body["error"]["field"], "parent");
    // The parent's roll-up now includes the new child.
    let parent = a.call("GET", &format!("/api/v1/objectives/{store_o}"), Some(&zhang), None).await.body;
    assert!(
        parent["rollup"].as_f64().unwrap_or(1.0) < parent["score"].as_f64().unwrap_or(0.0),
        "a red child pulls the roll-up down"
    );
    // KPIs: the manager sets them for reports, HR for anyone; the owner and peers do not.
    let month = a
        .items("/api/v1/cycles", &hr)
        .await
        .iter()
        .find(|c| c["kind"] == "month" && c["state"] == "planning")
        .and_then(|c| c["id"].as_i64())
        .expect("planning month");
    let kpi = |owner: i64| json!({"name": "门店卫生检查得分", "owner": {"type": "person", "id": owner}, "cycle": month, "direction": "higher_is_better", "target": 95, "pass": 90, "warn": 85, "unit": "分"});
    assert_eq!(
        a.call("POST", "/api/v1/kpis", Some(&zhang), Some(kpi(zhang_id))).await.status,
        StatusCode::FORBIDDEN,
        "own KPI"
    );
    assert_eq!(
        a.call("POST", "/api/v1/kpis", Some(&lin), Some(kpi(zhang_id))).await.status,
        StatusCode::FORBIDDEN,
        "peer"
    );
    let r = a.call("POST", "/api/v1/kpis", Some(&li), Some(kpi(zhang_id))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["locked"], false, "its cycle is still in planning");
    let kid = r.body["id"].as_i64().expect("id");
    assert_eq!(a.call("POST", "/api/v1/kpis", Some(&hr), Some(kpi(lin_id))).await.status, StatusCode::CREATED);
    let r = a.call("PATCH", &format!("/api/v1/kpis/{kid}"), Some(&li), Some(json!({"target": 96}))).await;
    assert_eq!((r.status, r.body["target"].as_f64()), (StatusCode::OK, Some(96.0)));
    let r = a.call("POST", "/api/v1/kpis", Some(&li), Some(json!({"name": "x", "owner": {"type": "person", "id": zhang_id}, "cycle": month, "target": 1, "pass": 2, "warn": 3}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "warn above pass for higher-is-better");
}

async fn adjustments(t: &TestDb) {
    let a = api(t).await;
    let li = a.login("li.na@demo.example").await;
    let objs = a.items("/api/v1/objectives", &li).await;
    let kr = objs
        .iter()
        .find(|o| o["owner_name"] == "上海南京西路店")
        .and_then(|o| o["key_results"].as_array().and_then(|k| k.first().cloned()))
        .expect("store KR");
    let kid = kr["id"].as_i64().expect("id");
    let r = a.call("PATCH", &format!("/api/v1/key-results/{kid}"), Some(&li), Some(json!({"target": 2.5}))).await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")),
        "the cycle runs"
    );
    let r = a
        .call(
            "PATCH",
            &format!("/api/v1/key-results/{kid}"),
            Some(&li),
            Some(json!({"target": 2.5, "reason": "新设备到店，出杯更快"})),
        )
        .await;
    assert_eq!((r.status, r.body["target"].as_f64()), (StatusCode::OK, Some(2.5)));
    let s = a.app.authenticate(&li).await.expect("session");
    let admin_actor = tandem_domain::policy::Actor {
        roles: vec![tandem_domain::policy::Role::Admin, tandem_domain::policy::Role::Hr],
        ..s.actor.clone()
    };
    let hist = a.app.history(&admin_actor, "key_result", kid).await.expect("history");
    let last = hist.last().expect("event");
    assert_eq!(last.reason.as_deref(), Some("新设备到店，出杯更快"));
    assert_eq!(last.before.as_ref().map(|b| b["target"].clone()), Some(json!(3.0)));
    // Weight changes are not a change of meaning: no reason needed.
    let r = a.call("PATCH", &format!("/api/v1/key-results/{kid}"), Some(&li), Some(json!({"weight": 2}))).await;
    assert_eq!(r.status, StatusCode::OK);
    // KPIs of a running cycle are locked.
    let zhao = a.login("zhao.min@demo.example").await;
    let running = a.items("/api/v1/kpis", &zhao).await.into_iter().find(|k| k["locked"] == true).expect("a locked KPI");
    let r = a.call("PATCH", &format!("/api/v1/kpis/{}", running["id"]), Some(&zhao), Some(json!({"target": 1}))).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "kpi_locked"));
    assert!(running["derived_from"]["type"] == "key_result", "cascaded from a KR");
}

async fn archive(t: &TestDb) {
    let a = api(t).await;
    let zhao = a.login("zhao.min@demo.example").await;
    let objs = a.items("/api/v1/objectives", &zhao).await;
    let hz = objs.iter().find(|o| o["owner_name"] == "杭州西湖店").expect("hz");
    let parent = hz["parent"].as_i64().expect("parent");
    let before = a.call("GET", &format!("/api/v1/objectives/{parent}"), Some(&zhao), None).await.body["rollup"]
        .as_f64()
        .expect("rollup");
    let r = a.call("DELETE", &format!("/api/v1/objectives/{}", hz["id"]), Some(&zhao), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(!a.items("/api/v1/objectives", &zhao).await.iter().any(|o| o["id"] == hz["id"]));
    assert!(
        a.items("/api/v1/objectives?include_archived=true", &zhao)
            .await
            .iter()
            .any(|o| o["id"] == hz["id"] && o["status"] == "archived")
    );
    let after = a.call("GET", &format!("/api/v1/objectives/{parent}"), Some(&zhao), None).await.body["rollup"]
        .as_f64()
        .expect("rollup");
    assert!((before - after).abs() > 1e-6, "the roll-up changed without the archived child");
    // The archived list shows it with a way back; a restore puts it back in the roll-up.
    let hid = hz["id"].as_i64().expect("id");
    let (status, page) = a.page("zhao.min@demo.example", "/objectives/archived").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("data-objective=\"{hid}\"")) && page.contains("恢复"), "{page}");
    let (_, other) = a.page("lin.xiao@demo.example", "/objectives/archived").await;
    assert!(
        !other.contains(&format!("action=\"/objectives/{hid}/status\"")),
        "no restore for someone who may not edit it"
    );
    let hid_s = hid.to_string();
    let (status, location, _) =
        a.form("zhao.min@demo.example", &format!("/objectives/{hid_s}/status"), &[("status", "published")]).await;
    assert_eq!((status, location), (StatusCode::SEE_OTHER, Some(format!("/objectives/{hid}?ok=saved"))));
    let restored = a.call("GET", &format!("/api/v1/objectives/{parent}"), Some(&zhao), None).await.body["rollup"]
        .as_f64()
        .expect("rollup");
    assert!((before - restored).abs() < 1e-9, "back in the roll-up");
}

async fn lint_api(t: &TestDb) {
    let a = api(t).await;
    let tok = a.login("zhang.wei@demo.example").await;
    let draft = json!({"objectives": [{"title": "提升华东市场品牌影响力", "kind": "aspirational",
        "key_results": [{"title": "拜访客户30次"}, {"title": "品牌认知度从20%提升至35%"}]}]});
    let r = a.call("POST", "/api/v1/lint", Some(&tok), Some(draft)).await;
    assert_eq!(r.status, StatusCode::OK);
    let findings = r.body["findings"].as_array().expect("findings");
    let pairs: Vec<(String, String)> = findings
        .iter()
        .map(|f| (f["target"].as_str().unwrap_or("").into(), f["rule"].as_str().unwrap_or("").into()))
        .collect();
    assert_eq!(pairs, vec![("objectives[0].key_results[0]".to_string(), "kr_is_activity".to_string())]);
    assert!(findings[0]["message"].as_str().is_some_and(|m| m.contains("活动")), "Chinese by default");
    assert!(findings[0]["suggestion"].as_str().is_some_and(|m| m.contains("转化率")));
    let req = axum::http::Request::post("/api/v1/lint")
        .header("authorization", format!("Bearer {tok}"))
        .header("content-type", "application/json")
        .header("accept-language", "en")
        .body(axum::body::Body::from(r#"{"objectives": [{"title": "Complete the Q3 tasks", "key_results": [{"title": "Host 5 webinars", "baseline": 1, "target": 1}]}]}"#))
        .expect("req");
    let r = a.raw(req).await;
    let rules: Vec<&str> =
        r.body["findings"].as_array().expect("findings").iter().filter_map(|f| f["rule"].as_str()).collect();
    assert_eq!(rules, vec!["objective_is_task", "kr_count", "kr_is_activity", "target_equals_baseline"]);
    assert!(r.body["findings"][0]["message"].as_str().is_some_and(|m| m.starts_with("This objective")));
    assert_eq!(
        a.call("POST", "/api/v1/lint", None, Some(json!({"objectives": []}))).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn atomic_create(t: &TestDb) {
    let a = api(t).await;
    let tok = a.login("lin.xiao@demo.example").await;
    let q = a.active_quarter(&tok).await;
    let before = a.items("/api/v1/objectives", &tok).await.len();
    let body = |second_target: Value| {
        json!({"title": "让新品更快被顾客记住", "cycle": q, "publish": true, "key_results": [
        {"title": "新品首周试饮转化率从10%提升至20%", "baseline": 10, "target": 20, "unit": "%"},
        {"title": "新品上市首月好评率达到90%", "measure": "increase", "baseline": 70, "target": second_target, "unit": "%"}]})
    };
    let r = a.call("POST", "/api/v1/objectives", Some(&tok), Some(body(json!("ninety")))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "a mistyped target");
    let r = a.call("POST", "/api/v1/objectives", Some(&tok), Some(json!({"title": "x", "cycle": q, "key_results": [{"title": "ok", "target": 1}, {"title": "", "target": 2}]}))).await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("key_results[1].title"))
    );
    assert_eq!(a.items("/api/v1/objectives", &tok).await.len(), before, "nothing half-written");
    let r = a.call("POST", "/api/v1/objectives", Some(&tok), Some(body(json!(90)))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["key_results"].as_array().map(Vec::len), Some(2));
    assert!(close(r.body["score"].as_f64().unwrap_or(-1.0), 0.0));
}

/// The file's ids replaced by their order, and the cycle left out: what must survive a round trip.
fn normalised(doc: &Value) -> Value {
    let mut doc = doc.clone();
    let mut ids: HashMap<i64, usize> = HashMap::new();
    let mut n = 0;
    for o in doc["objectives"].as_array().cloned().unwrap_or_default() {
        ids.insert(o["id"].as_i64().unwrap_or(0), n);
        n += 1;
        for k in o["key_results"].as_array().cloned().unwrap_or_default() {
            ids.insert(k["id"].as_i64().unwrap_or(0), n);
            n += 1;
        }
    }
    let map = |v: &mut Value, ids: &HashMap<i64, usize>| {
        if let Some(i) = v.as_i64() {
            *v = json!(ids.get(&i).map(|x| *x as i64).unwrap_or(i));
        }
    };
    doc["cycle"] = Value::Null;
    for o in doc["objectives"].as_array_mut().into_iter().flatten() {
        map(&mut o["id"], &ids);
        map(&mut o["parent"], &ids);
        for s in o["supports"].as_array_mut().into_iter().flatten() {
            map(s, &ids);
        }
        for k in o["key_results"].as_array_mut().into_iter().flatten() {
            map(&mut k["id"], &ids);
        }
    }
    for k in doc["kpis"].as_array_mut().into_iter().flatten() {
        k["id"] = Value::Null;
        map(&mut k["derived_from"]["id"], &ids);
    }
    doc
}

async fn round_trip(t: &TestDb) {
    let a = api(t).await;
    let ceo = a.login("ceo@demo.example").await;
    let q = a.active_quarter(&ceo).await;
    let next = a
        .items("/api/v1/cycles", &ceo)
        .await
        .iter()
        .find(|c| c["kind"] == "quarter" && c["state"] == "planning")
        .and_then(|c| c["id"].as_i64())
        .expect("next quarter");
    let first = a.call("GET", &format!("/api/v1/cycles/{q}/export"), Some(&ceo), None).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["format"], "tandem/v1");
    assert!(first.body["objectives"].as_array().map(Vec::len).unwrap_or(0) >= 10);
    // KPIs live in monthly cycles; the quarter's file carries none, and a member's file never carries others' KPIs.
    let req = axum::http::Request::post(format!("/api/v1/cycles/{next}/import"))
        .header("authorization", format!("Bearer {ceo}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(first.body.to_string()))
        .expect("req");
    let imported = a.raw(req).await;
    assert_eq!(imported.status, StatusCode::OK, "{:?}", imported.body);
    assert_eq!(imported.body["objectives"].as_u64(), first.body["objectives"].as_array().map(|v| v.len() as u64));
    let second = a.call("GET", &format!("/api/v1/cycles/{next}/export"), Some(&ceo), None).await;
    assert_eq!(normalised(&second.body), normalised(&first.body), "the same goals, links and numbers");
    // YAML too, and a broken file changes nothing.
    let yaml = axum::http::Request::get(format!("/api/v1/cycles/{next}/export?format=yaml"))
        .header("authorization", format!("Bearer {ceo}"))
        .body(axum::body::Body::empty())
        .expect("req");
    let y = a.raw(yaml).await;
    assert!(y.body.as_str().is_some_and(|s| s.starts_with("format: tandem/v1")));
    let before = a.items(&format!("/api/v1/objectives?cycle={next}"), &ceo).await.len();
    let mut broken = first.body.clone();
    broken["objectives"][3]["key_results"][0]["title"] = json!("");
    let req = axum::http::Request::post(format!("/api/v1/cycles/{next}/import"))
        .header("authorization", format!("Bearer {ceo}"))
        .body(axum::body::Body::from(broken.to_string()))
        .expect("req");
    let r = a.raw(req).await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("objectives[3].key_results[0].title"))
    );
    assert_eq!(a.items(&format!("/api/v1/objectives?cycle={next}"), &ceo).await.len(), before, "nothing half-applied");
    // A member may not import goals for others.
    let member = a.login("zhang.wei@demo.example").await;
    let req = axum::http::Request::post(format!("/api/v1/cycles/{next}/import"))
        .header("authorization", format!("Bearer {member}"))
        .body(axum::body::Body::from(first.body.to_string()))
        .expect("req");
    assert_eq!(a.raw(req).await.status, StatusCode::FORBIDDEN);
}

async fn as_of(t: &TestDb) {
    let a = api(t).await;
    let li = a.login("li.na@demo.example").await;
    let objs = a.items("/api/v1/objectives", &li).await;
    let store = objs.iter().find(|o| o["owner_name"] == "上海南京西路店").expect("store objective");
    let (oid, kid) = (store["id"].as_i64().expect("id"), store["key_results"][0]["id"].as_i64().expect("kr"));
    let fmt = |t: time::OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).expect("rfc3339");
    let before = fmt(time::OffsetDateTime::now_utc());
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let r = a
        .call(
            "PATCH",
            &format!("/api/v1/key-results/{kid}"),
            Some(&li),
            Some(json!({"target": 2.5, "title": "高峰时段顾客等待时间从5分钟降至2.5分钟", "reason": "新设备到店"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let after = fmt(time::OffsetDateTime::now_utc() + time::Duration::seconds(1));
    let then = a.call("GET", &format!("/api/v1/objectives/{oid}/as-of?at={}", urlenc(&before)), Some(&li), None).await;
    assert_eq!(then.status, StatusCode::OK, "{:?}", then.body);
    assert_eq!(then.body["key_results"][0]["target"].as_f64(), Some(3.0));
    assert_eq!(then.body["key_results"][0]["current"].as_f64(), Some(3.8));
    assert!(close(then.body["key_results"][0]["score"].as_f64().unwrap_or(0.0), 0.6));
    let now = a.call("GET", &format!("/api/v1/objectives/{oid}/as-of?at={}", urlenc(&after)), Some(&li), None).await;
    assert_eq!(now.body["key_results"][0]["target"].as_f64(), Some(2.5));
    let d = a
        .call(
            "GET",
            &format!("/api/v1/objectives/{oid}/diff?from={}&to={}", urlenc(&before), urlenc(&after)),
            Some(&li),
            None,
        )
        .await;
    let changes: Vec<(String, Value, Value)> = d.body["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| (c["field"].as_str().unwrap_or("").to_string(), c["before"].clone(), c["after"].clone()))
        .collect();
    assert_eq!(
        changes,
        vec![
            (
                "title".to_string(),
                json!("高峰时段顾客等待时间从5分钟降至3分钟"),
                json!("高峰时段顾客等待时间从5分钟降至2.5分钟")
            ),
            ("target".to_string(), json!(3.0), json!(2.5)),
        ]
    );
    // The whole tree as of a moment: archiving after it does not change the past.
    let q = a.active_quarter(&li).await;
    let live = a.items(&format!("/api/v1/objectives?cycle={q}"), &li).await.len();
    let hz = objs.iter().find(|o| o["owner_name"] == "杭州西湖店").and_then(|o| o["id"].as_i64()).expect("hz");
    let zhao = a.login("zhao.min@demo.example").await;
    let mid = fmt(time::OffsetDateTime::now_utc());
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert_eq!(
        a.call("DELETE", &format!("/api/v1/objectives/{hz}"), Some(&zhao), None).await.status,
        StatusCode::NO_CONTENT
    );
    let past = a.items(&format!("/api/v1/objectives/as-of?cycle={q}&at={}", urlenc(&mid)), &li).await;
    assert_eq!(past.len(), live, "the archived objective is still in the past tree");
    assert!(past.iter().any(|o| o["id"] == json!(hz)));
    assert_eq!(a.items(&format!("/api/v1/objectives?cycle={q}"), &li).await.len(), live - 1);
    assert!(a.items(&format!("/api/v1/objectives/as-of?cycle={q}&at=2000-01-01"), &li).await.is_empty());
    let r = a.call("GET", &format!("/api/v1/objectives/{oid}/as-of?at=2000-01-01"), Some(&li), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "it did not exist yet");
    let r = a.call("GET", &format!("/api/v1/objectives/{oid}/as-of?at=yesterday"), Some(&li), None).await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("at")));
    // Someone who may not see a draft may not see its past either.
    let draft = a
        .items("/api/v1/objectives", &a.login("zhang.wei@demo.example").await)
        .await
        .into_iter()
        .find(|o| o["status"] == "draft")
        .expect("draft");
    let lin = a.login("lin.xiao@demo.example").await;
    let r = a
        .call("GET", &format!("/api/v1/objectives/{}/as-of?at={}", draft["id"], urlenc(&after)), Some(&lin), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

fn urlenc(s: &str) -> String {
    s.replace(':', "%3A").replace('+', "%2B")
}

async fn cascade_notices(t: &TestDb) {
    let a = api(t).await;
    let li = a.login("li.na@demo.example").await;
    let zhang = a.login("zhang.wei@demo.example").await;
    assert!(a.items("/api/v1/me/upstream-changes", &zhang).await.is_empty(), "nothing changed yet");
    // Li Na changes the store KR that Zhang Wei's KPI was derived from, with a reason.
    let store = a
        .items("/api/v1/objectives", &li)
        .await
        .into_iter()
        .find(|o| o["owner_name"] == "上海南京西路店")
        .expect("store objective");
    let kr = store["key_results"][0]["id"].as_i64().expect("kr");
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let r = a
        .call(
            "PATCH",
            &format!("/api/v1/key-results/{kr}"),
            Some(&li),
            Some(json!({"target": 2.5, "reason": "新设备到店"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let notes = a.items("/api/v1/me/upstream-changes", &zhang).await;
    let kpi_note = notes.iter().find(|n| n["mine_kind"] == "kpi").expect("the derived KPI's owner is told");
    assert_eq!(kpi_note["upstream_id"], json!(kr));
    assert_eq!(kpi_note["reason"], "新设备到店");
    assert_eq!(kpi_note["changes"], json!([{"field": "target", "before": 3.0, "after": 2.5}]));
    // Zhang's own objective is aligned to the store objective, not to the KR: no objective notice for a KR change.
    assert!(notes.iter().all(|n| n["mine_kind"] == "kpi"));
    // Renaming the store objective tells the owner of what is aligned to it.
    let r = a
        .call(
            "PATCH",
            &format!("/api/v1/objectives/{}", store["id"]),
            Some(&li),
            Some(json!({"title": "打造顾客最愿意再来、最愿意推荐的门店", "reason": "加入推荐"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let notes = a.items("/api/v1/me/upstream-changes", &zhang).await;
    let o = notes.iter().find(|n| n["mine_kind"] == "objective").expect("aligned objective's owner is told");
    assert_eq!(o["changes"][0]["field"], "title");
    assert_eq!(o["changes"][0]["before"], "打造顾客最愿意再来的门店");
    // Someone with nothing downstream hears nothing.
    assert!(a.items("/api/v1/me/upstream-changes", &a.login("lin.xiao@demo.example").await).await.is_empty());
}

async fn comments_and_library(t: &TestDb) {
    let a = api(t).await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let lin = a.login("lin.xiao@demo.example").await;
    let objs = a.items("/api/v1/objectives", &zhang).await;
    let published = objs
        .iter()
        .find(|o| o["owner_name"] == "张伟" && o["status"] == "published")
        .and_then(|o| o["id"].as_i64())
        .expect("published");
    let draft = objs.iter().find(|o| o["status"] == "draft").and_then(|o| o["id"].as_i64()).expect("draft");
    let r = a
        .call(
            "POST",
            &format!("/api/v1/objectives/{published}/comments"),
            Some(&lin),
            Some(json!({"body": "研发这边可以提供新的出杯流程"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["author_name"], "林晓");
    assert_eq!(a.items(&format!("/api/v1/objectives/{published}/comments"), &zhang).await.len(), 1);
    let r =
        a.call("POST", &format!("/api/v1/objectives/{draft}/comments"), Some(&lin), Some(json!({"body": "x"}))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "no comments on a draft one may not see");
    let r = a
        .call("POST", &format!("/api/v1/objectives/{published}/comments"), Some(&lin), Some(json!({"body": "   "})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The library: everyone reads, HR writes.
    let hr = a.login("hr@demo.example").await;
    assert!(a.items("/api/v1/kpi-templates", &zhang).await.len() >= 5);
    let new = json!({"job_family": "门店·值班主管", "name": "交接班差错次数", "direction": "lower_is_better", "pass": 1, "warn": 3, "unit": "次"});
    assert_eq!(
        a.call("POST", "/api/v1/kpi-templates", Some(&zhang), Some(new.clone())).await.status,
        StatusCode::FORBIDDEN
    );
    let r = a.call("POST", "/api/v1/kpi-templates", Some(&hr), Some(new)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_i64().expect("id");
    assert_eq!(
        a.call("DELETE", &format!("/api/v1/kpi-templates/{id}"), Some(&zhang), None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        a.call("DELETE", &format!("/api/v1/kpi-templates/{id}"), Some(&hr), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        a.call("DELETE", &format!("/api/v1/kpi-templates/{id}"), Some(&hr), None).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn edit_form(t: &TestDb) {
    let a = api(t).await;
    let s = a.app.login("huang.lei@demo.example", "demo-2026", None, "test").await.expect("login");
    let tok = a.login("huang.lei@demo.example").await;
    let objs = a.items("/api/v1/objectives", &tok).await;
    let mkt = objs.iter().find(|o| o["owner_name"] == "市场品牌部").expect("marketing objective");
    let id = mkt["id"].as_i64().expect("id");
    let other = objs.iter().find(|o| o["owner_name"] == "华南大区").and_then(|o| o["id"].as_i64()).expect("south");
    let post = |body: String| {
        axum::http::Request::post(format!("/objectives/{id}"))
            .header("cookie", format!("tandem_session={}", s.secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(body))
            .expect("req")
    };
    let enc = |v: &str| v.bytes().map(|b| format!("%{b:02X}")).collect::<String>();
    // A running cycle: rewording without a reason is refused, and the form keeps the page.
    let r = a
        .raw(post(format!(
            "csrf={}&title={}&kind=aspirational&parent={}&supports_{other}=1",
            s.session.csrf,
            enc("让云栖成为华东年轻人最爱的茶饮品牌"),
            mkt["parent"]
        )))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = a
        .raw(post(format!(
            "csrf={}&title={}&kind=aspirational&parent={}&supports_{other}=1&reason={}",
            s.session.csrf,
            enc("让云栖成为华东年轻人最爱的茶饮品牌"),
            mkt["parent"],
            enc("聚焦年轻客群")
        )))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let now = a.call("GET", &format!("/api/v1/objectives/{id}"), Some(&tok), None).await.body;
    assert_eq!(now["title"], "让云栖成为华东年轻人最爱的茶饮品牌");
    assert_eq!(now["supports"], json!([other]));
    assert_eq!(now["parent"], mkt["parent"]);
}

async fn as_of_page(t: &TestDb) {
    let a = api(t).await;
    let s = a.app.login("li.na@demo.example", "demo-2026", None, "test").await.expect("login");
    let tok = a.login("li.na@demo.example").await;
    let id = a
        .items("/api/v1/objectives", &tok)
        .await
        .into_iter()
        .find(|o| o["owner_name"] == "上海南京西路店")
        .and_then(|o| o["id"].as_i64())
        .expect("id");
    let get = |q: String| {
        let router = a.router.clone();
        let secret = s.secret.clone();
        async move {
            let req = axum::http::Request::get(format!("/objectives/{id}{q}"))
                .header("cookie", format!("tandem_session={secret}"))
                .body(axum::body::Body::empty())
                .expect("req");
            let resp = tower::ServiceExt::oneshot(router, req).await.expect("page");
            let bytes = http_body_util::BodyExt::collect(resp.into_body()).await.expect("body").to_bytes();
            String::from_utf8_lossy(&bytes).into_owned()
        }
    };
    assert!(get("?as_of=2000-01-01".into()).await.contains("那一天这个目标还不存在"));
    let today = time::OffsetDateTime::now_utc().date();
    let page = get(format!("?as_of={}", tandem_domain::cycle::format_date(today))).await;
    assert!(
        page.contains("此后没有变化") && page.contains("高峰时段顾客等待时间从5分钟降至3分钟"),
        "today's version with its KRs"
    );
    assert!(get("?as_of=2026-13-45".into()).await.contains("不是有效日期"), "a bad date is explained, in Chinese");
}

async fn derive_and_share(t: &TestDb) {
    let a = api(t).await;
    let s = a.app.login("li.na@demo.example", "demo-2026", None, "test").await.expect("login");
    let tok = a.login("li.na@demo.example").await;
    let hr = a.login("hr@demo.example").await;
    let store = a
        .items("/api/v1/objectives", &tok)
        .await
        .into_iter()
        .find(|o| o["owner_name"] == "上海南京西路店")
        .expect("store");
    let (oid, kr) = (store["id"].as_i64().expect("id"), store["key_results"][0]["id"].as_i64().expect("kr"));
    let tpl = a
        .items("/api/v1/kpi-templates", &tok)
        .await
        .into_iter()
        .find(|x| x["name"] == "顾客平均等待时间")
        .and_then(|x| x["id"].as_i64())
        .expect("template");
    let people = a.items("/api/v1/people", &hr).await;
    let zhu = people.iter().find(|p| p["email"] == "zhu.qi@demo.example").and_then(|p| p["id"].as_i64()).expect("zhu");
    let month = a
        .items("/api/v1/cycles", &hr)
        .await
        .iter()
        .find(|c| c["kind"] == "month" && c["state"] == "active")
        .and_then(|c| c["id"].as_i64())
        .expect("month");
    let post = |path: String, body: String| {
        axum::http::Request::post(path)
            .header("cookie", format!("tandem_session={}", s.secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(body))
            .expect("req")
    };
    let r = a.raw(post(format!("/key-results/{kr}/kpis"), format!("csrf={}&objective={oid}&owner={zhu}&template={tpl}&cycle={month}&name=&pass=&warn=&unit=&direction=higher_is_better", s.session.csrf))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.body);
    let k = a
        .items("/api/v1/kpis", &hr)
        .await
        .into_iter()
        .find(|k| k["owner"]["id"] == json!(zhu) && k["name"] == "顾客平均等待时间")
        .expect("derived KPI");
    assert_eq!(
        (k["direction"].as_str(), k["pass"].as_f64(), k["warn"].as_f64(), k["unit"].as_str()),
        (Some("lower_is_better"), Some(3.0), Some(4.0), Some("分钟")),
        "from the template"
    );
    assert_eq!(k["derived_from"], json!({"type": "key_result", "id": kr}));
    let mkt = a.id_of("/api/v1/org-units", &hr, "name", "市场品牌部").await;
    let enc = |v: &str| v.bytes().map(|b| format!("%{b:02X}")).collect::<String>();
    let r = a
        .raw(post(
            format!("/objectives/{oid}/key-results"),
            format!(
                "csrf={}&title={}&measure=increase&baseline=10&target=30&unit=%25&co_owner={mkt}&co_share=40",
                s.session.csrf,
                enc("会员推荐新客占比从10%提升至30%")
            ),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let o = a.call("GET", &format!("/api/v1/objectives/{oid}"), Some(&tok), None).await.body;
    let shared = o["key_results"]
        .as_array()
        .expect("krs")
        .iter()
        .find(|k| k["owners"].as_array().is_some_and(|w| w.len() == 2))
        .cloned()
        .expect("shared KR");
    let w: Vec<f64> =
        shared["owners"].as_array().expect("owners").iter().map(|x| x["weight"].as_f64().unwrap_or(0.0)).collect();
    assert_eq!(w, vec![60.0, 40.0]);
}

fn rfc3339(us: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000).expect("time");
    t.format(&time::format_description::well_known::Rfc3339).expect("format")
}

/// Items 3 and 10 of the security issue: archiving a draft made it public, and publishing one
/// made its draft-era history public.
async fn draft_history_privacy(t: &TestDb) {
    use tandem_app::clock::Clock;
    let start = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000) as i64;
    let clock = std::sync::Arc::new(tandem_app::clock::FixedClock::new(start));
    let a = api_with_clock(t, clock.clone()).await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let li = a.login("li.na@demo.example").await;
    let lin = a.login("lin.xiao@demo.example").await;
    let cycle = a.active_quarter(&zhang).await;
    let hour = 3_600_000_000;
    let draft = |title: &str| json!({"title": title, "cycle": cycle, "key_results": [{"title": "门店复购率从30%提升至40%", "target": 40}]});
    let status = |tok: &str, path: String| {
        let tok = tok.to_string();
        let a = &a;
        async move { a.call("GET", &path, Some(&tok), None).await.status }
    };

    // A draft, reworded, then archived without ever being published.
    let r = a.call("POST", "/api/v1/objectives", Some(&zhang), Some(draft("私下草稿：不要给别人看"))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let hidden = r.body["id"].as_i64().expect("id");
    let kr = r.body["key_results"][0]["id"].as_i64().expect("kr");
    clock.advance(hour);
    let mid = rfc3339(clock.now_us());
    clock.advance(hour);
    assert_eq!(
        a.call("DELETE", &format!("/api/v1/objectives/{hidden}"), Some(&zhang), None).await.status,
        StatusCode::NO_CONTENT
    );
    clock.advance(hour);
    let now = rfc3339(clock.now_us());
    for path in [
        format!("/api/v1/objectives/{hidden}"),
        format!("/api/v1/key-results/{kr}"),
        format!("/api/v1/objectives/{hidden}/as-of?at={mid}"),
        format!("/api/v1/objectives/{hidden}/as-of?at={now}"),
        format!("/api/v1/objectives/{hidden}/diff?from={mid}&to={now}"),
    ] {
        assert_eq!(status(&lin, path.clone()).await, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(status(&li, path.clone()).await, StatusCode::OK, "the manager still may: {path}");
    }
    let listed = a.items(&format!("/api/v1/objectives?cycle={cycle}&include_archived=true"), &lin).await;
    assert!(listed.iter().all(|o| o["id"] != hidden), "not listed, archived or not");
    let tree = a.items(&format!("/api/v1/objectives/as-of?cycle={cycle}&at={mid}"), &lin).await;
    assert!(tree.iter().all(|o| o["id"] != hidden), "not in the past tree");
    assert_eq!(a.page("lin.xiao@demo.example", &format!("/objectives/{hidden}")).await.0, StatusCode::NOT_FOUND);

    // A draft reworded, then published: its history starts at publication for outsiders.
    let r = a.call("POST", "/api/v1/objectives", Some(&zhang), Some(draft("草稿时期的措辞XYZ"))).await;
    let oid = r.body["id"].as_i64().expect("id");
    clock.advance(hour);
    let as_draft = rfc3339(clock.now_us());
    a.call(
        "PATCH",
        &format!("/api/v1/objectives/{oid}"),
        Some(&zhang),
        Some(json!({"title": "让门店复购再上一个台阶"})),
    )
    .await;
    clock.advance(hour);
    let r =
        a.call("PATCH", &format!("/api/v1/objectives/{oid}"), Some(&zhang), Some(json!({"status": "published"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    clock.advance(hour);
    a.call(
        "PATCH",
        &format!("/api/v1/objectives/{oid}"),
        Some(&zhang),
        Some(json!({"description": "发布后补充的说明"})),
    )
    .await;
    clock.advance(hour);
    let now = rfc3339(clock.now_us());
    assert_eq!(status(&lin, format!("/api/v1/objectives/{oid}/as-of?at={as_draft}")).await, StatusCode::NOT_FOUND);
    assert_eq!(status(&li, format!("/api/v1/objectives/{oid}/as-of?at={as_draft}")).await, StatusCode::OK);
    let diff =
        a.call("GET", &format!("/api/v1/objectives/{oid}/diff?from={as_draft}&to={now}"), Some(&lin), None).await;
    assert_eq!(diff.status, StatusCode::OK);
    assert!(!diff.body.to_string().contains("XYZ"), "{}", diff.body);
    let (st, page) = a.page("lin.xiao@demo.example", &format!("/objectives/{oid}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("发布后补充的说明") && !page.contains("XYZ"), "the history shows no draft-era wording");
    let (_, page) = a.page("lin.xiao@demo.example", &format!("/objectives/{oid}?as_of={}", &as_draft[..10])).await;
    assert!(!page.contains("XYZ"));
    let (_, page) = a.page("li.na@demo.example", &format!("/objectives/{oid}")).await;
    assert!(page.contains("XYZ"), "the manager still reads the whole history");
}
