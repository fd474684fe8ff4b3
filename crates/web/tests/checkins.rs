//! Check-ins through the API, on SQLite and PostgreSQL: live scores up the alignment chain,
//! who may check in, bad input, and no lost update under concurrent check-ins.

use axum::http::StatusCode;
use serde_json::{Value, json};
use tandem_store::on_both_engines;
use tandem_store::testing::TestDb;

mod common;
use common::*;

on_both_engines! {
    a_check_in_moves_every_score_above_it => live_scores;
    concurrent_check_ins_lose_nothing => concurrent;
    the_objective_page_takes_a_check_in => page_check_in;
    the_inbox_lists_what_is_owed => inbox;
    a_check_in_is_corrected_only_briefly_by_its_author => edit_window;
    forecasts_and_divergence_are_shown => pace;
    red_lights_are_raised_once_and_resolve_themselves => red_lights;
    the_dashboard_shows_units_by_band => dashboard;
    weekly_trends_end_at_the_current_roll_up => trends;
    a_whole_objective_is_checked_in_at_once_or_not_at_all => objective_check_in;
    closing_a_cycle_freezes_and_managers_set_final_scores => cycle_close;
    values_that_cannot_be_true_are_refused => implausible;
    a_key_result_added_mid_cycle_gets_a_fair_start => added_mid_cycle;
}

async fn live_scores(t: &TestDb) {
    let a = api(t).await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let mine = a
        .items("/api/v1/objectives", &zhang)
        .await
        .into_iter()
        .find(|o| o["owner_name"] == "张伟" && o["status"] == "published")
        .expect("objective");
    let kr = mine["key_results"][0].clone();
    let kid = kr["id"].as_i64().expect("kr");
    let prior = a.items(&format!("/api/v1/key-results/{kid}/check-ins"), &zhang).await.len();
    // 4 → 2.5 minutes; 2.8 is (2.8 - 4) / (2.5 - 4) = 0.8.
    let r = a.call("POST", &format!("/api/v1/key-results/{kid}/check-ins"), Some(&zhang), Some(json!({"value": 2.8, "confidence": 7, "progress": "新流程上线", "blockers": "", "help": "需要第二台封口机"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(close(r.body["key_result"]["score"].as_f64().unwrap_or(0.0), 0.8));
    assert_eq!(r.body["key_result"]["band"], "green");
    assert!(close(r.body["check_in"]["previous"].as_f64().unwrap_or(0.0), 3.1));
    let ancestors = r.body["ancestors"].as_array().expect("ancestors").clone();
    assert_eq!(ancestors.len(), 3, "store → East region → company");
    for anc in &ancestors {
        let now = a.call("GET", &format!("/api/v1/objectives/{}", anc["objective"]), Some(&zhang), None).await.body;
        assert!(
            close(anc["rollup"].as_f64().unwrap_or(-1.0), now["rollup"].as_f64().unwrap_or(-2.0)),
            "the answer already holds the new roll-up"
        );
    }
    let history = a.items(&format!("/api/v1/key-results/{kid}/check-ins"), &zhang).await;
    assert_eq!(history.len(), prior + 1, "appended to the demo's weekly history");
    assert_eq!(history[0]["help"], "需要第二台封口机", "newest first");
    // Rules: confidence 0–10; only the people who carry it; hidden drafts stay hidden.
    let r = a
        .call(
            "POST",
            &format!("/api/v1/key-results/{kid}/check-ins"),
            Some(&zhang),
            Some(json!({"value": 2.7, "confidence": 11})),
        )
        .await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("confidence")));
    let r = a
        .call(
            "POST",
            &format!("/api/v1/key-results/{kid}/check-ins"),
            Some(&zhang),
            Some(json!({"value": "fast", "confidence": 5})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let lin = a.login("lin.xiao@demo.example").await;
    let r = a
        .call(
            "POST",
            &format!("/api/v1/key-results/{kid}/check-ins"),
            Some(&lin),
            Some(json!({"value": 1, "confidence": 5})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let li = a.login("li.na@demo.example").await;
    let r = a
        .call(
            "POST",
            &format!("/api/v1/key-results/{kid}/check-ins"),
            Some(&li),
            Some(json!({"value": 2.6, "confidence": 8})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "the manager may check in for the team");
    let draft_kr = a
        .items("/api/v1/objectives", &zhang)
        .await
        .into_iter()
        .find(|o| o["status"] == "draft")
        .map(|o| o["key_results"][0]["id"].clone())
        .expect("draft kr");
    let r = a
        .call(
            "POST",
            &format!("/api/v1/key-results/{draft_kr}/check-ins"),
            Some(&lin),
            Some(json!({"value": 1, "confidence": 5})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// Fifty check-ins at once on the KRs of one objective: every KR ends at its last check-in's
/// value, every check-in is recorded, and every score equals a recomputation from the values.
async fn concurrent(t: &TestDb) {
    let a = api(t).await;
    let li = a.login("li.na@demo.example").await;
    let store = a
        .items("/api/v1/objectives", &li)
        .await
        .into_iter()
        .find(|o| o["owner_name"] == "上海南京西路店")
        .expect("store");
    let krs: Vec<i64> = store["key_results"].as_array().expect("krs").iter().filter_map(|k| k["id"].as_i64()).collect();
    let mut prior = 0;
    for k in &krs {
        prior += a.items(&format!("/api/v1/key-results/{k}/check-ins"), &li).await.len();
    }
    let mut tasks = vec![];
    for i in 0..50 {
        let router = a.router.clone();
        let tok = li.clone();
        let kr = krs[i % krs.len()];
        tasks.push(tokio::spawn(async move {
            let body = json!({"value": 3.0 + (i as f64) / 100.0, "confidence": (i % 11) as i64}).to_string();
            let req = axum::http::Request::post(format!("/api/v1/key-results/{kr}/check-ins"))
                .header("authorization", format!("Bearer {tok}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body))
                .expect("req");
            tower::ServiceExt::oneshot(router, req).await.expect("response").status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("join"), StatusCode::CREATED);
    }
    let o = a.call("GET", &format!("/api/v1/objectives/{}", store["id"]), Some(&li), None).await.body;
    let mut total = 0;
    let (mut w, mut sum) = (0.0, 0.0);
    for k in o["key_results"].as_array().expect("krs") {
        let history = a.items(&format!("/api/v1/key-results/{}/check-ins", k["id"]), &li).await;
        total += history.len();
        let last: &Value = history.first().expect("a check-in");
        assert!(
            close(k["current"].as_f64().unwrap_or(-1.0), last["value"].as_f64().unwrap_or(-2.0)),
            "the KR holds its last check-in"
        );
        let (b, tg, c) = (
            k["baseline"].as_f64().unwrap_or(0.0),
            k["target"].as_f64().unwrap_or(0.0),
            k["current"].as_f64().unwrap_or(0.0),
        );
        let score = ((c - b) / (tg - b)).clamp(0.0, 1.0);
        assert!(close(k["score"].as_f64().unwrap_or(-1.0), score));
        w += k["weight"].as_f64().unwrap_or(0.0);
        sum += k["weight"].as_f64().unwrap_or(0.0) * score;
    }
    assert_eq!(total, prior + 50, "no check-in lost");
    assert!(close(o["score"].as_f64().unwrap_or(-1.0), sum / w), "objective score = weighted mean of its KRs");
}

async fn page_check_in(t: &TestDb) {
    let a = api(t).await;
    let s = a.app.login("zhang.wei@demo.example", "demo-2026", None, "test").await.expect("login");
    let tok = a.login("zhang.wei@demo.example").await;
    let o = a
        .items("/api/v1/objectives", &tok)
        .await
        .into_iter()
        .find(|o| o["owner_name"] == "张伟" && o["status"] == "published")
        .expect("objective");
    let kid = o["key_results"][1]["id"].as_i64().expect("kr");
    // 本周待办 links open the key result's check-in; a week with nothing owed says so.
    let (_, home) = a.page("zhang.wei@demo.example", "/goals").await;
    assert!(home.contains(&format!("?check_in={kid}#kr-{kid}")) && !home.contains("id=\"nothing-owed\""), "{home}");
    let (_, home) = a.page("admin@demo.example", "/goals").await;
    assert!(home.contains("id=\"nothing-owed\"") && home.contains("本周已全部完成"), "the admin owes nothing");
    let enc = |v: &str| v.bytes().map(|b| format!("%{b:02X}")).collect::<String>();
    let req = axum::http::Request::post(format!("/key-results/{kid}/check-ins"))
        .header("cookie", format!("tandem_session={}", s.secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!(
            "csrf={}&objective={}&value=3&confidence=6&progress={}&blockers=&help=",
            s.session.csrf,
            o["id"],
            enc("投诉复盘会后下降")
        )))
        .expect("req");
    let r = a.raw(req).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let location = r.headers.get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_string();
    assert_eq!(location, format!("/objectives/{}?ok=checkin-{kid}#kr-{kid}", o["id"]));
    let k = a.call("GET", &format!("/api/v1/key-results/{kid}"), Some(&tok), None).await.body;
    assert!(close(k["current"].as_f64().unwrap_or(0.0), 3.0));
    // Back on the page, the key result says what the check-in changed.
    let (_, page) = a.page("zhang.wei@demo.example", &location).await;
    assert!(page.contains(&format!("id=\"saved-{kid}\"")) && page.contains("✓ 已打卡："), "{page}");
    // A refused check-in keeps what was typed, with the form open and the reason shown.
    let req = axum::http::Request::post(format!("/key-results/{kid}/check-ins"))
        .header("cookie", format!("tandem_session={}", s.secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!(
            "csrf={}&objective={}&value=abc&confidence=4&progress={}&blockers=&help=",
            s.session.csrf,
            o["id"],
            enc("保留这段文字")
        )))
        .expect("req");
    let r = a.raw(req).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.body.as_str().unwrap_or_default();
    assert!(html.contains(r#"value="abc""#) && html.contains(">保留这段文字</textarea>"), "nothing typed is lost");
    assert!(html.contains(r#"name="confidence" min="0" max="10" step="1" value="4""#), "the confidence as typed");
    // 6 → 2 complaints, now 3: 0.75.
    assert!(close(k["score"].as_f64().unwrap_or(0.0), 0.75));
    // The whole-objective form: the filled KR moves, the blank one stays; a bad value saves none
    // and the page says why.
    let k0 = o["key_results"][0]["id"].as_i64().expect("kr");
    let post = |body: String| {
        let req = axum::http::Request::post(format!("/objectives/{}/check-ins", o["id"]))
            .header("cookie", format!("tandem_session={}", s.secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(body))
            .expect("req");
        a.raw(req)
    };
    let r =
        post(format!("csrf={}&kr_{k0}=abc&kr_{kid}=2&confidence=6&progress=&blockers=&help=", s.session.csrf)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.as_str().is_some_and(|h| h.contains("数字")), "the page names the problem");
    let k = a.call("GET", &format!("/api/v1/key-results/{kid}"), Some(&tok), None).await.body;
    assert!(close(k["current"].as_f64().unwrap_or(0.0), 3.0), "nothing saved");
    let r = post(format!(
        "csrf={}&kr_{k0}=&kr_{kid}=2&confidence=8&progress={}&blockers=&help=",
        s.session.csrf,
        enc("达成")
    ))
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let k = a.call("GET", &format!("/api/v1/key-results/{kid}"), Some(&tok), None).await.body;
    assert!(close(k["current"].as_f64().unwrap_or(0.0), 2.0));
    let k = a.call("GET", &format!("/api/v1/key-results/{k0}"), Some(&tok), None).await.body;
    assert!(close(k["current"].as_f64().unwrap_or(0.0), 3.1), "the blank KR is left alone");
}

/// Its author may correct a check-in for 30 minutes while it is the latest on its KR; the KR and
/// the roll-ups take the corrected value. Later, or after another check-in, it is on the record.
async fn edit_window(t: &TestDb) {
    use tandem_app::clock::{Clock, FixedClock, SystemClock};
    let clock = std::sync::Arc::new(FixedClock::new(SystemClock.now_us()));
    let a = &api_with_clock(t, clock.clone()).await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let li = a.login("li.na@demo.example").await;
    let o = a
        .items("/api/v1/objectives", &zhang)
        .await
        .into_iter()
        .find(|o| o["owner_name"] == "张伟" && o["status"] == "published")
        .expect("objective");
    let kid = o["key_results"][0]["id"].as_i64().expect("kr");
    let post = |v: f64, who: &str| {
        let body = json!({"value": v, "confidence": 6, "progress": "first try"});
        let (path, who) = (format!("/api/v1/key-results/{kid}/check-ins"), who.to_string());
        async move { a.call("POST", &path, Some(&who), Some(body)).await }
    };
    let r = post(2.0, &zhang).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["check_in"]["can_edit"], true);
    let cid = r.body["check_in"]["id"].as_i64().expect("id");
    let edit = |v: f64, who: String| {
        let path = format!("/api/v1/check-ins/{cid}");
        async move {
            a.call("PATCH", &path, Some(&who), Some(json!({"value": v, "confidence": 7, "progress": "typo fixed"})))
                .await
        }
    };
    clock.advance(10 * 60 * 1_000_000);
    assert_eq!(edit(3.0, li.clone()).await.status, StatusCode::FORBIDDEN, "only its author");
    let r = edit(3.0, zhang.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(close(r.body["key_result"]["current"].as_f64().unwrap_or(0.0), 3.0));
    // 4 → 2.5 minutes: 3.0 scores (3 - 4) / (2.5 - 4).
    assert!(close(r.body["key_result"]["score"].as_f64().unwrap_or(0.0), 1.0 / 1.5));
    assert_eq!(
        (r.body["check_in"]["id"].as_i64(), r.body["check_in"]["progress"].as_str()),
        (Some(cid), Some("typo fixed"))
    );
    let history = a.items(&format!("/api/v1/key-results/{kid}/check-ins"), &zhang).await;
    assert_eq!(history[0]["value"].as_f64(), Some(3.0), "corrected in place, not appended");
    assert_eq!(history[0]["previous"].as_f64(), Some(3.1));
    let r = edit(3.0, zhang.clone()).await;
    assert_eq!((r.status, r.body["check_in"]["confidence"].as_i64()), (StatusCode::OK, Some(7)));
    // Bad input is refused with the field named.
    let r = a
        .call("PATCH", &format!("/api/v1/check-ins/{cid}"), Some(&zhang), Some(json!({"value": 1, "confidence": -1})))
        .await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("confidence")));
    // After the window it is locked.
    clock.advance(21 * 60 * 1_000_000);
    let r = edit(2.9, zhang.clone()).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "check_in_locked"));
    assert!(a.items(&format!("/api/v1/key-results/{kid}/check-ins"), &zhang).await[0]["can_edit"] == false);
    // A newer check-in locks the older one even inside the window.
    let first = post(2.9, &zhang).await.body["check_in"]["id"].as_i64().expect("id");
    clock.advance(60 * 1_000_000);
    assert_eq!(post(2.8, &li).await.status, StatusCode::CREATED);
    let r = a
        .call(
            "PATCH",
            &format!("/api/v1/check-ins/{first}"),
            Some(&zhang),
            Some(json!({"value": 2.0, "confidence": 5})),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "check_in_locked"));
    let k = a.call("GET", &format!("/api/v1/key-results/{kid}"), Some(&zhang), None).await.body;
    assert!(close(k["current"].as_f64().unwrap_or(0.0), 2.8), "the newer value stands");
    assert_eq!(
        a.call("PATCH", "/api/v1/check-ins/987654321", Some(&zhang), Some(json!({"value": 1, "confidence": 5})))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn inbox(t: &TestDb) {
    let a = api(t).await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let owed = a.items("/api/v1/me/inbox", &zhang).await;
    assert_eq!(owed.len(), 2, "both KRs of his published objective; not the draft's");
    let kid = owed[0]["key_result"].as_i64().expect("kr");
    let r = a
        .call(
            "POST",
            &format!("/api/v1/key-results/{kid}/check-ins"),
            Some(&zhang),
            Some(json!({"value": 3.0, "confidence": 6})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let owed = a.items("/api/v1/me/inbox", &zhang).await;
    assert_eq!(owed.len(), 1, "checked in this week");
    assert!(owed.iter().all(|o| o["key_result"] != json!(kid)));
    // A unit's KRs are owed by its manager.
    let li = a.login("li.na@demo.example").await;
    assert!(a.items("/api/v1/me/inbox", &li).await.iter().any(|o| o["objective_title"] == "打造顾客最愿意再来的门店"));
    assert!(a.items("/api/v1/me/inbox", &a.login("hr@demo.example").await).await.is_empty());
}

async fn pace(t: &TestDb) {
    let a = api(t).await;
    let li = a.login("li.na@demo.example").await;
    for o in a.items("/api/v1/objectives", &li).await {
        for k in o["key_results"].as_array().cloned().unwrap_or_default() {
            for f in ["expected", "forecast"] {
                let v = k[f].as_f64().unwrap_or(-1.0);
                assert!((0.0..=1.0).contains(&v), "{f} of {}", k["title"]);
            }
            assert!(k["at_risk"].is_boolean());
        }
    }
    // A check-in far behind pace with high confidence: at risk, and the confidence disagrees.
    let zhang = a.login("zhang.wei@demo.example").await;
    let o = a
        .items("/api/v1/objectives", &zhang)
        .await
        .into_iter()
        .find(|o| o["owner_name"] == "张伟" && o["status"] == "published")
        .expect("objective");
    // The duty-shift complaints (6 → 2 a month) stalled in the demo; back to 6 now.
    let stalled = &o["key_results"][1];
    let kid = stalled["id"].as_i64().expect("kr");
    let r = a
        .call(
            "POST",
            &format!("/api/v1/key-results/{kid}/check-ins"),
            Some(&zhang),
            Some(json!({"value": 6.0, "confidence": 10})),
        )
        .await;
    let k = &r.body["key_result"];
    let forecast = k["forecast"].as_f64().unwrap_or(1.0);
    assert!(forecast < 0.4, "red: {forecast}");
    assert!(forecast <= stalled["forecast"].as_f64().unwrap_or(0.0), "a worse value never raises the forecast");
    assert_eq!(k["at_risk"], true);
    assert_eq!(k["confidence"].as_i64(), Some(10));
    assert_eq!(k["confidence_disagrees"], true);
    // Piece-rate output keeps passing while the complaints KR it serves lags: flagged exactly
    // when that KR is more than 0.15 behind pace.
    let kpis = a.items("/api/v1/kpis", &li).await;
    let piece = kpis.iter().find(|k| k["name"] == "每班出杯数（计件）").expect("piece-rate KPI");
    let kr = a.call("GET", &format!("/api/v1/key-results/{}", piece["derived_from"]["id"]), Some(&li), None).await.body;
    let behind = kr["score"].as_f64().unwrap_or(1.0) + 0.15 < kr["expected"].as_f64().unwrap_or(0.0);
    assert_eq!(piece["diverges"], json!(behind));
    let zhu = kpis.iter().find(|k| k["name"] == "出品标准抽检合格率" && k["owner_name"] == "朱琪").expect("zhu");
    let kr = a.call("GET", &format!("/api/v1/key-results/{}", zhu["derived_from"]["id"]), Some(&li), None).await.body;
    let behind = kr["score"].as_f64().unwrap_or(1.0) + 0.15 < kr["expected"].as_f64().unwrap_or(0.0);
    assert_eq!(zhu["diverges"], json!(behind));
}

async fn red_lights(t: &TestDb) {
    let a = api(t).await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let li = a.login("li.na@demo.example").await;
    let lin = a.login("lin.xiao@demo.example").await;
    let hr = a.login("hr@demo.example").await;
    let o = a
        .items("/api/v1/objectives", &zhang)
        .await
        .into_iter()
        .find(|o| o["owner_name"] == "张伟" && o["status"] == "published")
        .expect("objective");
    // The duty-shift complaints, stalled in the demo (whether its forecast is already red depends
    // on how far into the quarter today is).
    let kid = o["key_results"][1]["id"].as_i64().expect("kr");
    let mine =
        |list: &[Value]| list.iter().filter(|x| x["subject_id"] == json!(kid) && x["reason"] == "forecast_red").count();
    assert!(mine(&a.items("/api/v1/alerts", &zhang).await) <= 1);
    // No progress at all, twice: the forecast is red, and one alert says so.
    for _ in 0..2 {
        let r = a
            .call(
                "POST",
                &format!("/api/v1/key-results/{kid}/check-ins"),
                Some(&zhang),
                Some(json!({"value": 6.0, "confidence": 5})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let alerts = a.items("/api/v1/alerts", &zhang).await;
    assert_eq!(mine(&alerts), 1, "raised");
    let alert = alerts.iter().find(|x| x["subject_id"] == json!(kid)).cloned().expect("alert");
    for k in ["id", "reason", "state"] {
        assert!(!alert[k].is_null(), "alert.{k}");
    }
    assert_eq!(alert["state"], "open");
    assert_eq!(mine(&a.items("/api/v1/alerts", &li).await), 1, "the manager sees it");
    assert_eq!(mine(&a.items("/api/v1/alerts", &zhang).await), 1, "and it is not raised twice");
    // Acknowledged with a note by the owner; someone unrelated may not.
    let aid = alert["id"].as_i64().expect("id");
    assert_eq!(
        a.call("POST", &format!("/api/v1/alerts/{aid}/acknowledge"), Some(&lin), Some(json!({"note": "x"})))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = a
        .call(
            "POST",
            &format!("/api/v1/alerts/{aid}/acknowledge"),
            Some(&zhang),
            Some(json!({"note": "增加一台封口机"})),
        )
        .await;
    assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("acknowledged")));
    // Back on track: once the forecast leaves the red band, the alert resolves itself.
    let mut weeks = 0;
    loop {
        let r = a
            .call(
                "POST",
                &format!("/api/v1/key-results/{kid}/check-ins"),
                Some(&zhang),
                Some(json!({"value": 2.0, "confidence": 8})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        weeks += 1;
        let red = r.body["key_result"]["forecast"].as_f64().unwrap_or(0.0) < 0.4;
        assert_eq!(mine(&a.items("/api/v1/alerts", &zhang).await), usize::from(red), "open exactly while red");
        if !red {
            break;
        }
        assert!(weeks < 8, "eight check-ins at the target leave the red band");
    }
    // A failing KPI raises an alert only its circle sees.
    let kpi = a.items("/api/v1/kpis", &li).await.into_iter().find(|k| k["name"] == "收银差错率").expect("kpi");
    // The running month, recorded in the demo already: replaced, as asked.
    let values = a.items(&format!("/api/v1/kpis/{}/values", kpi["id"]), &li).await;
    let month = values.last().and_then(|v| v["period"].as_str()).expect("a recorded month").to_string();
    let r = a
        .call(
            "POST",
            &format!("/api/v1/kpis/{}/values", kpi["id"]),
            Some(&li),
            Some(json!({"period": month, "value": 0.9, "replace": true})),
        )
        .await;
    assert_eq!(r.body["status"], "fail", "{:?}", r.body);
    let kpi_alert = |list: Vec<Value>| list.iter().any(|x| x["subject_type"] == "kpi" && x["subject_id"] == kpi["id"]);
    assert!(kpi_alert(a.items("/api/v1/alerts", &li).await), "the manager");
    assert!(kpi_alert(a.items("/api/v1/alerts", &hr).await), "HR");
    assert!(!kpi_alert(a.items("/api/v1/alerts", &lin).await), "not someone outside the KPI's circle");
    assert!(!kpi_alert(a.items("/api/v1/alerts", &zhang).await), "not a peer of the owner");
}

async fn dashboard(t: &TestDb) {
    let a = api(t).await;
    let admin = a.login("admin@demo.example").await;
    let q = a
        .items("/api/v1/cycles", &admin)
        .await
        .iter()
        .find(|c| c["kind"] == "quarter" && c["state"] == "active")
        .and_then(|c| c["id"].as_i64())
        .expect("quarter");
    let d = a.call("GET", &format!("/api/v1/dashboard?cycle={q}"), Some(&admin), None).await;
    assert_eq!(d.status, StatusCode::OK);
    let units = d.body["units"].as_array().expect("units").clone();
    assert!(units.len() >= 10);
    let published = a
        .items(&format!("/api/v1/objectives?cycle={q}"), &admin)
        .await
        .iter()
        .filter(|o| o["status"] == "published")
        .count();
    let counted: u64 = units
        .iter()
        .map(|u| {
            u["counts"]["red"].as_u64().unwrap_or(0)
                + u["counts"]["yellow"].as_u64().unwrap_or(0)
                + u["counts"]["green"].as_u64().unwrap_or(0)
        })
        .sum();
    assert_eq!(counted as usize, published, "every published objective counted once, in its owner's unit");
    let store = units.iter().find(|u| u["name"] == "上海南京西路店").expect("store");
    assert!(store["band"].is_string() && store["score"].is_number());
    let empty = units.iter().find(|u| u["name"] == "财务部").expect("finance");
    assert!(empty["score"].is_null() && empty["band"].is_null(), "no objectives: no score, not red");
    // The units' scores are kept between requests; a check-in moves them at once, and every
    // caller sees the same scores.
    let store_score = |d: &Value| {
        d["units"].as_array().and_then(|u| u.iter().find(|u| u["name"] == "上海南京西路店")).map(|u| u["score"].clone())
    };
    let tree = a.call("GET", &format!("/api/v1/org-units/{}/tree?cycle={q}", store["id"]), Some(&admin), None).await;
    let nodes = tree.body["nodes"].as_array().cloned().unwrap_or_default();
    let kr = nodes.iter().find(|n| n["kind"] == "key_result").expect("a key result in the store");
    let value = if kr["current"] == kr["target"] { 0.0 } else { kr["target"].as_f64().expect("target") };
    let ceo = a.login("ceo@demo.example").await;
    let path = format!("/api/v1/key-results/{}/check-ins", kr["id"]);
    let r = a.call("POST", &path, Some(&ceo), Some(json!({"value": value, "confidence": 5}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let after = a.call("GET", &format!("/api/v1/dashboard?cycle={q}"), Some(&admin), None).await.body;
    assert_ne!(store_score(&after), Some(store["score"].clone()), "the check-in moved the store's score");
    let zhang = a.login("zhang.wei@demo.example").await;
    let theirs = a.call("GET", &format!("/api/v1/dashboard?cycle={q}"), Some(&zhang), None).await.body;
    assert_eq!(store_score(&theirs), store_score(&after));
    assert_eq!(a.call("GET", "/api/v1/dashboard?cycle=1", Some(&admin), None).await.status, StatusCode::NOT_FOUND);
    // KPI red lights appear only to the KPI's circle.
    let li = a.login("li.na@demo.example").await;
    let kpi = a.items("/api/v1/kpis", &li).await.into_iter().find(|k| k["name"] == "收银差错率").expect("kpi");
    let values = a.items(&format!("/api/v1/kpis/{}/values", kpi["id"]), &li).await;
    let month = values.last().and_then(|v| v["period"].as_str()).expect("a recorded month").to_string();
    let r = a
        .call(
            "POST",
            &format!("/api/v1/kpis/{}/values", kpi["id"]),
            Some(&li),
            Some(json!({"period": month, "value": 0.9, "replace": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let has_kpi_light = |d: &Value| {
        d["red_lights"]
            .as_array()
            .is_some_and(|r| r.iter().any(|x| x["subject_type"] == "kpi" && x["subject_id"] == kpi["id"]))
    };
    assert!(has_kpi_light(&a.call("GET", &format!("/api/v1/dashboard?cycle={q}"), Some(&li), None).await.body));
    let lin = a.login("lin.xiao@demo.example").await;
    let theirs = a.call("GET", &format!("/api/v1/dashboard?cycle={q}"), Some(&lin), None).await.body;
    assert!(!has_kpi_light(&theirs));
    assert!(!theirs.to_string().contains("收银差错率"), "not even its name");
    // The heat-map page draws a tile per unit, coloured by band, linked to the unit's tree.
    let s = a.app.login("ceo@demo.example", "demo-2026", None, "test").await.expect("login");
    let req = axum::http::Request::get(format!("/dashboard?cycle={q}"))
        .header("cookie", format!("tandem_session={}", s.secret))
        .body(axum::body::Body::empty())
        .expect("req");
    let resp = tower::ServiceExt::oneshot(a.router.clone(), req).await.expect("page");
    assert_eq!(resp.status(), StatusCode::OK);
    let html =
        String::from_utf8_lossy(&http_body_util::BodyExt::collect(resp.into_body()).await.expect("body").to_bytes())
            .into_owned();
    assert_eq!(html.matches("class=\"tile heat-").count(), units.len());
    assert!(html.contains(&format!("/goals/tree?cycle={q}&amp;unit={}", store["id"])));
}

async fn cycle_close(t: &TestDb) {
    let a = api(t).await;
    let hr = a.login("hr@demo.example").await;
    let li = a.login("li.na@demo.example").await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let q = a
        .items("/api/v1/cycles", &hr)
        .await
        .iter()
        .find(|c| c["kind"] == "quarter" && c["state"] == "active")
        .and_then(|c| c["id"].as_i64())
        .expect("quarter");
    let o = a
        .items("/api/v1/objectives", &zhang)
        .await
        .into_iter()
        .find(|o| o["owner_name"] == "张伟" && o["status"] == "published")
        .expect("objective");
    let kid = o["key_results"][0]["id"].as_i64().expect("kr");
    let over = |tok: &str, body: Value| {
        let tok = tok.to_string();
        let a = &a;
        async move { a.call("POST", &format!("/api/v1/key-results/{kid}/override"), Some(&tok), Some(body)).await }
    };
    assert_eq!(
        over(&li, json!({"score": 0.9, "reason": "x"})).await.code(),
        "not_reviewing",
        "not while the cycle runs"
    );
    assert_eq!(
        a.call("PATCH", &format!("/api/v1/cycles/{q}"), Some(&hr), Some(json!({"state": "reviewing"}))).await.status,
        StatusCode::OK
    );
    let r = a
        .call(
            "POST",
            &format!("/api/v1/key-results/{kid}/check-ins"),
            Some(&zhang),
            Some(json!({"value": 2.6, "confidence": 8})),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "not_running"), "scores are frozen in review");
    assert_eq!(
        over(&zhang, json!({"score": 1.0, "reason": "我觉得达成了"})).await.status,
        StatusCode::FORBIDDEN,
        "not one's own"
    );
    assert_eq!(over(&li, json!({"score": 0.9, "reason": " "})).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(over(&li, json!({"score": 1.5, "reason": "x"})).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = over(&li, json!({"score": 0.9, "reason": "新设备晚到两周，流程已达标"})).await;
    assert_eq!((r.status, r.body["score"].as_f64()), (StatusCode::OK, Some(0.9)));
    assert_eq!(r.body["override_reason"], "新设备晚到两周，流程已达标");
    let now = a.call("GET", &format!("/api/v1/objectives/{}", o["id"]), Some(&zhang), None).await.body;
    let (w, s) = now["key_results"].as_array().expect("krs").iter().fold((0.0, 0.0), |(w, s), k| {
        (
            w + k["weight"].as_f64().unwrap_or(0.0),
            s + k["weight"].as_f64().unwrap_or(0.0) * k["score"].as_f64().unwrap_or(0.0),
        )
    });
    assert!(close(now["score"].as_f64().unwrap_or(-1.0), s / w), "the objective score uses the final score");
    assert_eq!(
        a.call("PATCH", &format!("/api/v1/cycles/{q}"), Some(&hr), Some(json!({"state": "closed"}))).await.status,
        StatusCode::OK
    );
    assert_eq!(over(&li, json!({"score": 0.8, "reason": "x"})).await.code(), "cycle_closed", "closed is read-only");
    let r = a.call("PATCH", &format!("/api/v1/key-results/{kid}"), Some(&li), Some(json!({"weight": 2}))).await;
    assert_eq!(r.code(), "cycle_closed");
}

/// The team tree's sparklines: each published objective's weekly roll-up, ending at the roll-up
/// shown now; drafts are not traced.
async fn trends(t: &TestDb) {
    let a = api(t).await;
    let li = a.login("li.na@demo.example").await;
    let objs = a.items("/api/v1/objectives", &li).await;
    let ids: Vec<i64> = objs.iter().filter_map(|o| o["id"].as_i64()).collect();
    let tenant = a.app.tenant_by_slug("demo").await.expect("tenant").id;
    let trends = a.app.score_trends(tenant, &ids, 10).await.expect("trends");
    for o in &objs {
        let id = o["id"].as_i64().expect("id");
        match o["status"].as_str() {
            Some("published") => {
                let series = &trends[&id];
                // Weeks before the cycle began are left out: one point at least.
                assert!(!series.is_empty(), "{}", o["title"]);
                let last = *series.last().expect("last");
                assert!(close(last, o["rollup"].as_f64().unwrap_or(-1.0)), "{}: {last} vs {}", o["title"], o["rollup"]);
                assert!(series.iter().all(|v| (0.0..=1.0).contains(v)));
            }
            _ => assert!(!trends.contains_key(&id), "drafts are not traced"),
        }
    }
}

/// The weekly check-in on a whole objective: every KR named moves, in one write; a bad entry
/// refuses the lot.
async fn objective_check_in(t: &TestDb) {
    let a = api(t).await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let o = a
        .items("/api/v1/objectives", &zhang)
        .await
        .into_iter()
        .find(|o| o["owner_name"] == "张伟" && o["status"] == "published")
        .expect("objective");
    let oid = o["id"].as_i64().expect("id");
    let krs: Vec<i64> = o["key_results"].as_array().expect("krs").iter().filter_map(|k| k["id"].as_i64()).collect();
    let count = |kr: i64| {
        let a = &a;
        let zhang = zhang.clone();
        async move { a.items(&format!("/api/v1/key-results/{kr}/check-ins"), &zhang).await.len() }
    };
    let before = (count(krs[0]).await, count(krs[1]).await);
    let path = format!("/api/v1/objectives/{oid}/check-ins");
    // Refused as a whole: a KR of another objective, a repeated KR, nothing at all, a bad confidence.
    let other = a
        .items("/api/v1/objectives", &zhang)
        .await
        .into_iter()
        .find(|x| x["owner_name"] == "上海南京西路店")
        .and_then(|x| x["key_results"][0]["id"].as_i64())
        .expect("other kr");
    for (body, field) in [
        (
            json!({"values": [{"key_result": krs[0], "value": 2.0}, {"key_result": other, "value": 1}], "confidence": 6}),
            "key_result",
        ),
        (
            json!({"values": [{"key_result": krs[0], "value": 2.0}, {"key_result": krs[0], "value": 3}], "confidence": 6}),
            "key_result",
        ),
        (json!({"values": [], "confidence": 6}), "values"),
        (json!({"values": [{"key_result": krs[0], "value": 2.0}], "confidence": 12}), "confidence"),
    ] {
        let r = a.call("POST", &path, Some(&zhang), Some(body)).await;
        assert_eq!(
            (r.status, r.body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{:?}",
            r.body
        );
    }
    assert_eq!((count(krs[0]).await, count(krs[1]).await), before, "nothing was written");
    let lin = a.login("lin.xiao@demo.example").await;
    let body = json!({"values": [{"key_result": krs[0], "value": 2.0}], "confidence": 6});
    assert_eq!(a.call("POST", &path, Some(&lin), Some(body)).await.status, StatusCode::FORBIDDEN);
    // Both KRs at once: 4 → 2.5 minutes at 3.0 scores 2/3; 6 → 2 complaints at 4 scores 1/2.
    let body = json!({
        "values": [{"key_result": krs[0], "value": 3.0}, {"key_result": krs[1], "value": 4.0}],
        "confidence": 7, "progress": "本周复盘", "blockers": "", "help": "需要排班支持"
    });
    let r = a.call("POST", &path, Some(&zhang), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let made = r.body["check_ins"].as_array().expect("check-ins");
    assert_eq!(made.len(), 2);
    assert!(made.iter().all(|c| c["confidence"] == 7 && c["help"] == "需要排班支持"));
    assert_eq!((count(krs[0]).await, count(krs[1]).await), (before.0 + 1, before.1 + 1));
    let score = r.body["objective"]["score"].as_f64().unwrap_or(-1.0);
    let ws: Vec<f64> =
        o["key_results"].as_array().expect("krs").iter().map(|k| k["weight"].as_f64().unwrap_or(1.0)).collect();
    let expected = (ws[0] * (2.0 / 3.0) + ws[1] * 0.5) / (ws[0] + ws[1]);
    assert!(close(score, expected), "{score} vs {expected}");
    assert_eq!(r.body["ancestors"].as_array().map(Vec::len), Some(3));
}

/// Item 8 of the security issue: check-ins and points of ±1e308 were accepted, turned a KR green
/// and printed `inf` in the exports.
async fn implausible(t: &TestDb) {
    let a = api(t).await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let li = a.login("li.na@demo.example").await;
    let admin = a.login("admin@demo.example").await;
    let mine = a
        .items("/api/v1/objectives", &zhang)
        .await
        .into_iter()
        .find(|o| o["owner_name"] == "张伟" && o["status"] == "published")
        .expect("objective");
    let kr = mine["key_results"][0]["id"].as_i64().expect("kr");
    let before = a.call("GET", &format!("/api/v1/key-results/{kr}"), Some(&zhang), None).await.body;
    for v in [1e308, -1e308, 1e15, -2e15] {
        let r = a
            .call(
                "POST",
                &format!("/api/v1/key-results/{kr}/check-ins"),
                Some(&zhang),
                Some(json!({"value": v, "confidence": 5})),
            )
            .await;
        assert_eq!(
            (r.status, r.body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("value")),
            "{v}"
        );
    }
    let r = a
        .call(
            "POST",
            &format!("/api/v1/key-results/{kr}/check-ins"),
            Some(&zhang),
            Some(json!({"value": 1e308, "confidence": 5})),
        )
        .await;
    assert!(r.body["error"]["message"].as_str().unwrap_or_default().contains("10^15"), "{:?}", r.body);
    // −5 minutes on "降至2.5分钟" would score 1.00: a duration is never negative.
    assert_eq!(mine["key_results"][0]["unit"], "分钟");
    let r = a
        .call(
            "POST",
            &format!("/api/v1/key-results/{kr}/check-ins"),
            Some(&zhang),
            Some(json!({"value": -5.0, "confidence": 5})),
        )
        .await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("value")));
    assert!(r.body["error"]["message"].as_str().unwrap_or_default().contains("不能为负数"), "{:?}", r.body);
    let after = a.call("GET", &format!("/api/v1/key-results/{kr}"), Some(&zhang), None).await.body;
    assert_eq!(after["current"], before["current"], "nothing was stored");
    let r = a
        .call(
            "POST",
            &format!("/api/v1/key-results/{kr}/check-ins"),
            Some(&zhang),
            Some(json!({"value": 999_999_999_999.0, "confidence": 5})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "a large but possible value is taken");
    // Targets, points and KPI values alike.
    let r = a
        .call(
            "PATCH",
            &format!("/api/v1/key-results/{kr}"),
            Some(&zhang),
            Some(json!({"target": 1e300, "reason": "x"})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("target")),
        "{:?}",
        r.body
    );
    let m = a.call("POST", "/api/v1/metrics", Some(&admin), Some(json!({"name": "极端值探针"}))).await.body["id"]
        .as_i64()
        .expect("metric");
    let r = a
        .call(
            "POST",
            &format!("/api/v1/metrics/{m}/points"),
            Some(&admin),
            Some(json!({"points": [{"time": "2026-11-01T00:00:00Z", "value": -1e308}]})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"]["rows"][0]["column"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("value"))
    );
    let kpi = a.items("/api/v1/kpis", &li).await.into_iter().find(|k| k["name"] == "收银差错率").expect("kpi");
    let r = a
        .call(
            "POST",
            &format!("/api/v1/kpis/{}/values", kpi["id"]),
            Some(&li),
            Some(json!({"period": "2026-11", "value": 1e16})),
        )
        .await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("value")));
}

async fn added_mid_cycle(t: &TestDb) {
    // 2026-11-20: two thirds into the quarter.
    let clock = std::sync::Arc::new(tandem_app::clock::FixedClock::new(1_795_147_200_000_000));
    let a = api_with_clock(t, clock.clone()).await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let o = a
        .items("/api/v1/objectives", &zhang)
        .await
        .into_iter()
        .find(|o| o["owner_name"] == "张伟" && o["status"] == "published")
        .expect("objective");
    let oid = o["id"].as_i64().expect("id");
    let alerts_before = a.items("/api/v1/alerts", &zhang).await.len();
    let r = a
        .call(
            "POST",
            &format!("/api/v1/objectives/{oid}/key-results"),
            Some(&zhang),
            Some(json!({"title": "新员工独立上岗时间从14天缩短至7天", "measure": "decrease", "baseline": 14, "target": 7, "unit": "天"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let kid = r.body["id"].as_i64().expect("kr");
    // Just added: not started, expected nothing yet, not at risk, no red light, and the
    // objective's score is what its other key results make it.
    let after = a.call("GET", &format!("/api/v1/objectives/{oid}"), Some(&zhang), None).await.body;
    let k =
        after["key_results"].as_array().and_then(|l| l.iter().find(|k| k["id"] == json!(kid))).cloned().expect("kr");
    assert_eq!((k["not_started"].as_bool(), k["at_risk"].as_bool()), (Some(true), Some(false)), "{k:?}");
    assert!(k["expected"].as_f64().unwrap_or(1.0) < 0.01, "expected counts from its start: {}", k["expected"]);
    assert!(close(after["score"].as_f64().unwrap_or(-1.0), o["score"].as_f64().unwrap_or(-2.0)), "not dragged down");
    assert!(close(after["rollup"].as_f64().unwrap_or(-1.0), o["rollup"].as_f64().unwrap_or(-2.0)));
    let alerts = a.items("/api/v1/alerts", &zhang).await;
    assert_eq!(alerts.len(), alerts_before, "no red light for a key result a minute old");
    assert!(alerts.iter().all(|x| x["subject_id"] != json!(kid)));
    // Six days on, still untouched: still its grace period.
    clock.advance(6 * 86_400_000_000);
    assert!(a.items("/api/v1/alerts", &zhang).await.iter().all(|x| x["subject_id"] != json!(kid)));
    // A week on, nothing done: now its pace is judged, and it is red.
    clock.advance(2 * 86_400_000_000);
    let k = a.call("GET", &format!("/api/v1/key-results/{kid}"), Some(&zhang), None).await.body;
    assert_eq!(k["at_risk"], true, "{k:?}");
    let red = |l: &[Value]| l.iter().any(|x| x["subject_id"] == json!(kid) && x["reason"] == "forecast_red");
    assert!(red(&a.items("/api/v1/alerts", &zhang).await));
    // Its first check-in starts it: it counts in the objective's score from now on.
    let r = a
        .call(
            "POST",
            &format!("/api/v1/key-results/{kid}/check-ins"),
            Some(&zhang),
            Some(json!({"value": 12.0, "confidence": 6})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["key_result"]["not_started"], false);
    let now = a.call("GET", &format!("/api/v1/objectives/{oid}"), Some(&zhang), None).await.body;
    let weights: f64 =
        now["key_results"].as_array().expect("krs").iter().map(|k| k["weight"].as_f64().unwrap_or(0.0)).sum();
    let mean: f64 = now["key_results"]
        .as_array()
        .expect("krs")
        .iter()
        .map(|k| k["weight"].as_f64().unwrap_or(0.0) * k["score"].as_f64().unwrap_or(0.0))
        .sum::<f64>()
        / weights;
    assert!(close(now["score"].as_f64().unwrap_or(-1.0), mean), "{} vs {mean}", now["score"]);
}
