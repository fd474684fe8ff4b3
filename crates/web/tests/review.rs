//! The review at cycle end through the API, on SQLite and on PostgreSQL: key results frozen with
//! their provenance, retros written by their owner only while the cycle is in review (self scores
//! fixed once it closes), acknowledged by the manager, private where the objective is a draft,
//! and their lessons found by the knowledge base.

use axum::http::StatusCode;
use serde_json::{Value, json};
use tandem_store::on_both_engines;
use tandem_store::testing::TestDb;

mod common;
use common::*;

on_both_engines! {
    a_cycle_in_review_freezes_scores_and_takes_retros => retro_flow;
    lessons_are_found_by_whoever_may_see_their_objective => lessons;
    the_demo_closes_two_quarters_and_ambition_names_its_numbers => ambition;
    causes_are_classified_with_the_words_that_decided => classify;
    retros_are_mined_for_what_keeps_coming_back => mining;
    a_next_cycle_created_after_the_close_takes_what_waited => carry_later;
    a_unit_writes_its_team_retro_and_its_lessons_are_found => team_retro;
}

/// The objective titled `title` in the cycle, as `tok` sees it.
async fn objective(a: &Api, tok: &str, cycle: i64, title: &str) -> Value {
    a.items(&format!("/api/v1/objectives?cycle={cycle}"), tok)
        .await
        .into_iter()
        .find(|o| o["title"] == title)
        .unwrap_or_else(|| panic!("objective {title}"))
}

async fn set_state(a: &Api, admin: &str, cycle: i64, state: &str) {
    let r = a.call("PATCH", &format!("/api/v1/cycles/{cycle}"), Some(admin), Some(json!({"state": state}))).await;
    assert_eq!(r.status, StatusCode::OK, "{state}: {:?}", r.body);
}

fn a_retro(kr: i64, owner: i64) -> Value {
    json!({
        "self_scores": [{"key_result": kr, "score": 0.6, "note": "高峰时段还是慢"}],
        "worked": ["早班提前备料"],
        "did_not": ["晚高峰出杯仍然偏慢"],
        "causes": [{"text": "新店员没有培训过高峰流程", "type": "capability", "cause": "subjective"}],
        "lessons": [{"text": "高峰前30分钟完成备料并由值班主管复核", "tags": ["出品", "#高峰"]}],
        "actions": [{"text": "每周一次高峰演练", "owner": owner, "due": "2027-01-15"}],
        "carry_over": [{"key_result": kr, "decision": "continue"}]
    })
}

async fn retro_flow(t: &TestDb) {
    let a = api(t).await;
    let (admin, zhang, li, lin) = (
        a.login("admin@demo.example").await,
        a.login("zhang.wei@demo.example").await,
        a.login("li.na@demo.example").await,
        a.login("lin.xiao@demo.example").await,
    );
    let q = a.active_quarter(&admin).await;
    let o = objective(&a, &zhang, q, "让值班时段的出品又快又稳").await;
    let id = o["id"].as_i64().expect("id");
    let kr = o["key_results"][0]["id"].as_i64().expect("kr");
    let me = a.call("GET", "/api/v1/me", Some(&zhang), None).await.body["id"].as_i64().expect("me");
    let path = format!("/api/v1/objectives/{id}/retro");

    // While the cycle runs: an empty retro to read, none to write.
    let r = a.call("GET", &path, Some(&lin), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["written"], false);
    assert_eq!(r.body["cycle_state"], "active");
    assert_eq!(r.body["causes"], json!([]));
    assert!(r.body["key_results"][0]["frozen"].is_null(), "nothing frozen yet");
    let r = a.call("PUT", &path, Some(&zhang), Some(a_retro(kr, me))).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "not_in_review"));

    // Into review: every published key result is frozen with where its value came from. The
    // state change is applied to the goal projection in place: the tenant is not read again.
    a.call("GET", &format!("/api/v1/dashboard?cycle={q}"), Some(&zhang), None).await;
    let before = a.app.live_stats();
    set_state(&a, &admin, q, "reviewing").await;
    assert_eq!(a.call("GET", &path, Some(&zhang), None).await.body["cycle_state"], "reviewing");
    assert_eq!(a.app.live_stats().rebuilds, before.rebuilds, "a cycle's state change is applied in place");
    let r = a.call("GET", &path, Some(&zhang), None).await;
    let k = &r.body["key_results"][0];
    assert_eq!(k["value"], o["key_results"][0]["current"], "frozen at its last value");
    assert_eq!(k["frozen"]["source"], "check_in", "the demo's Friday check-ins set it: {k}");
    assert!(k["frozen"]["author_name"].as_str().is_some_and(|n| !n.is_empty()), "{k}");
    assert_eq!(r.body["can_edit"], true);
    assert_eq!(r.body["can_acknowledge"], false);
    let rules: Vec<&str> =
        r.body["hints"].as_array().expect("hints").iter().filter_map(|h| h["rule"].as_str()).collect();
    assert!(rules.contains(&"carry_forward"), "an aspirational KR below 1.0 asks to be carried forward: {rules:?}");

    // Only whoever may edit the objective writes its retro; bad fields are named.
    let r = a.call("PUT", &path, Some(&lin), Some(a_retro(kr, me))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = a.call("PUT", &path, Some(&li), Some(a_retro(kr, me))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "the manager acknowledges and scores; the owner writes");
    let mut bad = a_retro(kr, me);
    bad["causes"][0]["type"] = json!("weather");
    let r = a.call("PUT", &path, Some(&zhang), Some(bad)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["error"]["message"].as_str().is_some_and(|m| m.contains("causes[0].type")), "{:?}", r.body);
    let mut bad = a_retro(kr, me);
    bad["actions"][0]["owner"] = json!(987_654_321);
    let r = a.call("PUT", &path, Some(&zhang), Some(bad)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "an action's owner must be a person here");
    let mut bad = a_retro(kr, me);
    bad["self_scores"][0]["score"] = json!(1.5);
    assert_eq!(a.call("PUT", &path, Some(&zhang), Some(bad)).await.status, StatusCode::UNPROCESSABLE_ENTITY);

    let r = a.call("PUT", &path, Some(&zhang), Some(a_retro(kr, me))).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["written"], true);
    assert_eq!(r.body["lessons"][0]["tags"], json!(["出品", "高峰"]));
    assert_eq!(r.body["key_results"][0]["self_score"], 0.6);
    assert_eq!(r.body["key_results"][0]["self_note"], "高峰时段还是慢");
    assert_eq!(r.body["actions"][0]["state"], "open");
    let rules: Vec<&str> =
        r.body["hints"].as_array().expect("hints").iter().filter_map(|h| h["rule"].as_str()).collect();
    assert!(!rules.contains(&"only_outside_causes") && !rules.contains(&"lesson_without_action"), "{rules:?}");
    // Anyone who may see the objective reads it.
    let seen = a.call("GET", &path, Some(&lin), None).await;
    assert_eq!(seen.body["causes"][0]["type"], "capability");
    assert_eq!(seen.body["can_edit"], false);

    // The review of the owner's store lists it, written, and names who is to acknowledge it.
    let r = a.call("GET", &format!("/api/v1/cycles/{q}/review"), Some(&zhang), None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["unit_name"], "上海南京西路店", "the caller's own unit");
    let row = r.body["objectives"].as_array().expect("rows").iter().find(|x| x["objective"] == id).cloned();
    let row = row.expect("the objective is on its unit's review");
    assert_eq!((row["retro"].as_str(), row["lessons"].as_u64()), (Some("written"), Some(1)));
    assert!(r.body["to_acknowledge"].as_array().expect("owed").iter().any(|x| x["name"] == "李娜"), "{:?}", r.body);
    assert_eq!(
        a.call("GET", "/api/v1/cycles/987654321/review", Some(&zhang), None).await.status,
        StatusCode::NOT_FOUND
    );
    let r = a.call("GET", &format!("/api/v1/cycles/{q}/review?unit=x"), Some(&zhang), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // The manager above the owner acknowledges it, once; nobody else may.
    let ack = format!("{path}/acknowledge");
    assert_eq!(a.call("POST", &ack, Some(&lin), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(a.call("POST", &ack, Some(&zhang), None).await.status, StatusCode::FORBIDDEN, "not one's own");
    assert_eq!(a.call("GET", &path, Some(&li), None).await.body["can_acknowledge"], true);
    let r = a.call("POST", &ack, Some(&li), None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["acknowledged_by_name"], "李娜");
    assert_eq!(a.call("POST", &ack, Some(&li), None).await.code(), "already_acknowledged");
    // Saving the same text keeps the acknowledgement; changing it asks for a new one.
    let r = a.call("PUT", &path, Some(&zhang), Some(a_retro(kr, me))).await;
    assert_eq!(r.body["acknowledged_by_name"], "李娜");
    let mut changed = a_retro(kr, me);
    changed["worked"] = json!(["早班提前备料", "交接班清单"]);
    let r = a.call("PUT", &path, Some(&zhang), Some(changed.clone())).await;
    assert!(r.body["acknowledged_by"].is_null(), "{:?}", r.body);

    // The open format carries the retro with its objective.
    let doc = a.call("GET", &format!("/api/v1/cycles/{q}/export"), Some(&lin), None).await;
    let exported = doc.body["objectives"].as_array().expect("objectives").iter().find(|x| x["id"] == id).cloned();
    assert_eq!(exported.map(|x| x["retro"]["causes"][0]["type"].clone()), Some(json!("capability")), "{:?}", doc.body);

    // The review exports, one row per key result beside its retro.
    let csv = a.call("GET", &format!("/api/v1/export/review.csv?cycle={q}"), Some(&zhang), None).await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = csv.body.as_str().unwrap_or_default().to_string();
    let row = text.lines().find(|l| l.contains("让值班时段的出品又快又稳")).unwrap_or_default().to_string();
    assert!(text.contains("capability/subjective: 新店员没有培训过高峰流程"), "the typed cause: {text}");
    assert!(row.contains(",0.6,高峰时段还是慢,"), "the self score and its note: {row}");
    assert!(row.contains(",check_in,") && row.contains(",continue,"), "frozen from a check-in, carried: {row}");
    let x = a.call("GET", &format!("/api/v1/export/review.xlsx?cycle={q}"), Some(&zhang), None).await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.headers["content-type"].to_str().is_ok_and(|t| t.contains("spreadsheetml")));
    assert_eq!(
        a.call("GET", "/api/v1/export/review.csv", Some(&zhang), None).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // A draft's retro is its author's and managers' only.
    let draft = a
        .items(&format!("/api/v1/objectives?cycle={q}"), &zhang)
        .await
        .into_iter()
        .find(|o| o["status"] == "draft")
        .and_then(|o| o["id"].as_i64())
        .expect("zhang's draft");
    let dpath = format!("/api/v1/objectives/{draft}/retro");
    assert_eq!(a.call("GET", &dpath, Some(&lin), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(a.call("GET", &dpath, Some(&zhang), None).await.status, StatusCode::OK);
    assert_eq!(a.call("PUT", &dpath, Some(&zhang), Some(json!({"worked": ["x"]}))).await.code(), "never_published");

    // Closed: the retro may still grow, but self scores stay as they were.
    set_state(&a, &admin, q, "closed").await;
    let mut later = changed.clone();
    later["lessons"].as_array_mut().expect("lessons").push(json!({"text": "交接班清单贴在吧台", "tags": []}));
    let r = a.call("PUT", &path, Some(&zhang), Some(later.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["lessons"].as_array().map(Vec::len), Some(2));
    later["self_scores"][0]["score"] = json!(0.9);
    let r = a.call("PUT", &path, Some(&zhang), Some(later)).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "cycle_closed"));
    let r = a.call("GET", &path, Some(&zhang), None).await;
    assert_eq!(r.body["key_results"][0]["self_score"], 0.6, "the refused write changed nothing");

    // Closing carried the decision forward: a draft in the next quarter, starting where the key
    // result ended, seen by its owner and not by a colleague.
    let next = a
        .items("/api/v1/cycles", &admin)
        .await
        .into_iter()
        .find(|c| c["kind"] == "quarter" && c["state"] == "planning")
        .and_then(|c| c["id"].as_i64())
        .expect("next quarter");
    let drafts = a.items(&format!("/api/v1/objectives?cycle={next}"), &zhang).await;
    let carried = drafts.iter().find(|o| o["title"] == "让值班时段的出品又快又稳").expect("the carried draft");
    assert_eq!(carried["status"], "draft");
    assert_eq!(carried["key_results"].as_array().map(Vec::len), Some(1), "only the key result to continue");
    assert_eq!(carried["key_results"][0]["baseline"], o["key_results"][0]["current"], "it starts where it ended");
    assert_eq!(carried["key_results"][0]["target"], o["key_results"][0]["target"]);
    assert!(
        a.items(&format!("/api/v1/objectives?cycle={next}"), &lin)
            .await
            .iter()
            .all(|o| o["title"] != "让值班时段的出品又快又稳")
    );
    let (_, page) = a.page("zhang.wei@demo.example", &format!("/objectives/{}", carried["id"])).await;
    assert!(page.contains("id=\"carried-from\""), "the draft names where it came from");
    let (_, page) = a.page("zhang.wei@demo.example", &format!("/objectives/{id}/retro")).await;
    assert!(page.contains(&format!("/objectives/{}\"", carried["id"])), "the retro links to the draft");
}

async fn lessons(t: &TestDb) {
    let a = api(t).await;
    let (admin, zhang, lin) = (
        a.login("admin@demo.example").await,
        a.login("zhang.wei@demo.example").await,
        a.login("lin.xiao@demo.example").await,
    );
    let q = a.active_quarter(&admin).await;
    let o = objective(&a, &zhang, q, "让值班时段的出品又快又稳").await;
    let (id, kr) = (o["id"].as_i64().expect("id"), o["key_results"][0]["id"].as_i64().expect("kr"));
    let me = a.call("GET", "/api/v1/me", Some(&zhang), None).await.body["id"].as_i64().expect("me");
    set_state(&a, &admin, q, "reviewing").await;
    let r = a.call("PUT", &format!("/api/v1/objectives/{id}/retro"), Some(&zhang), Some(a_retro(kr, me))).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // The demo's finished quarters have lessons of their own: counts are of this quarter's.
    let find = |query: &str| {
        let a = &a;
        let lin = lin.clone();
        let query = query.to_string();
        async move { a.call("GET", &format!("/api/v1/lessons?{query}"), Some(&lin), None).await }
    };
    let r = find("q=%E5%A4%87%E6%96%99%E5%A4%8D%E6%A0%B8").await; // 备料复核
    assert_eq!(r.status, StatusCode::OK);
    let first = &r.body["items"][0];
    assert_eq!(first["text"], "高峰前30分钟完成备料并由值班主管复核");
    assert_eq!(first["objective"], id);
    assert_eq!(first["unit_name"], "上海南京西路店");
    assert_eq!(first["types"], json!(["capability"]));
    assert!(first["score"].as_f64().is_some_and(|s| s > 0.0));
    assert_eq!(find(&format!("type=capability&cycle={q}")).await.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(find(&format!("type=market&cycle={q}")).await.body["items"], json!([]));
    assert_eq!(
        find(&format!("tag=%E9%AB%98%E5%B3%B0&cycle={q}")).await.body["items"].as_array().map(Vec::len),
        Some(1)
    ); // 高峰
    assert_eq!(find(&format!("cycle={q}")).await.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(find("cycle=1").await.body["items"], json!([]));
    let unit = a.id_of("/api/v1/org-units", &admin, "name", "华东大区").await;
    assert_eq!(
        find(&format!("unit={unit}&cycle={q}")).await.body["items"].as_array().map(Vec::len),
        Some(1),
        "units below count"
    );
    let rd = a.id_of("/api/v1/org-units", &admin, "name", "产品研发中心").await;
    assert_eq!(find(&format!("unit={rd}&cycle={q}")).await.body["items"], json!([]));
    let r = find("type=weather").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(find("limit=0").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        find(&format!("q=%E7%AB%9E%E4%BA%89%E5%AF%B9%E6%89%8B&cycle={q}")).await.body["items"],
        json!([]),
        "竞争对手: nothing"
    );
    // Searched once (and so indexed), the knowledge base follows the next save at once.
    let mut changed = a_retro(kr, me);
    changed["lessons"] = json!([{"text": "竞争对手开业当周加推第二杯半价", "tags": ["促销"]}]);
    let r = a.call("PUT", &format!("/api/v1/objectives/{id}/retro"), Some(&zhang), Some(changed)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = find(&format!("q=%E7%AB%9E%E4%BA%89%E5%AF%B9%E6%89%8B&cycle={q}")).await;
    assert_eq!(r.body["items"][0]["text"], "竞争对手开业当周加推第二杯半价");
    let r = find("q=%E5%A4%87%E6%96%99%E5%A4%8D%E6%A0%B8").await;
    assert!(r.body["items"].as_array().expect("items").iter().all(|l| l["objective"] != id), "the old lesson is gone");
}

async fn ambition(t: &TestDb) {
    let a = api(t).await;
    let lin = a.login("lin.xiao@demo.example").await;
    let cycles = a.items("/api/v1/cycles", &lin).await;
    let closed: Vec<&Value> = cycles.iter().filter(|c| c["kind"] == "quarter" && c["state"] == "closed").collect();
    assert_eq!(closed.len(), 2, "the demo lived two quarters through");
    // Every closed quarter's published objectives were frozen, and most have a retro.
    for c in &closed {
        let objs = a.items(&format!("/api/v1/objectives?cycle={}", c["id"]), &lin).await;
        assert_eq!(objs.len(), 5);
        let o = &objs[0];
        let r = a.call("GET", &format!("/api/v1/objectives/{}/retro", o["id"]), Some(&lin), None).await;
        assert_eq!(r.body["written"], true, "{:?}", r.body);
        assert!(r.body["key_results"][0]["frozen"]["source"] == "check_in", "{:?}", r.body["key_results"][0]);
    }
    let q = a.active_quarter(&lin).await;
    let r = a.call("GET", &format!("/api/v1/cycles/{q}/ambition"), Some(&lin), None).await;
    assert_eq!(r.status, StatusCode::OK);
    let unit = |name: &str| -> Value {
        r.body["units"]
            .as_array()
            .expect("units")
            .iter()
            .find(|u| u["unit_name"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let kinds = |u: &Value| -> Vec<String> {
        u["flags"]
            .as_array()
            .map(|f| f.iter().filter_map(|x| x["kind"].as_str().map(String::from)).collect())
            .unwrap_or_default()
    };
    let hz = unit("杭州西湖店");
    assert_eq!(kinds(&hz), vec!["sandbagging"]);
    assert!(hz["aspirational_mean"].as_f64().is_some_and(|m| m >= 0.9));
    assert!(hz["flags"][0]["evidence"].as_str().is_some_and(|e| e.contains("0.99") && e.contains("0.98")), "{hz}");
    assert_eq!(kinds(&unit("市场品牌部")), vec!["unrealistic"]);
    assert_eq!(kinds(&unit("广州天河店")), vec!["committed_miss"]);
    assert_eq!(unit("广州天河店")["committed_hit_rate"], 0.75);
    assert!(kinds(&unit("产品研发中心")).is_empty(), "an honest team");
    assert!(kinds(&unit("上海南京西路店")).is_empty(), "too few aspirational key results to judge");
    // In the caller's language; a cycle of another tenant is not there.
    let en = a
        .raw(
            axum::http::Request::builder()
                .uri(format!("/api/v1/cycles/{q}/ambition"))
                .header("authorization", format!("Bearer {lin}"))
                .header("accept-language", "en")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    let flags = en.body["units"]
        .as_array()
        .expect("units")
        .iter()
        .flat_map(|u| u["flags"].as_array().cloned().unwrap_or_default());
    assert!(
        flags
            .clone()
            .any(|f| f["evidence"].as_str().is_some_and(|e| e.starts_with("Aspirational key results averaged")))
    );
    assert_eq!(
        a.call("GET", "/api/v1/cycles/987654321/ambition", Some(&lin), None).await.status,
        StatusCode::NOT_FOUND
    );
    // A person's own pattern: theirs, their managers' and HR's to see, nobody else's.
    let people = a.items("/api/v1/people", &lin).await;
    let zhang_id = people.iter().find(|p| p["name"] == "张伟").and_then(|p| p["id"].as_i64()).expect("张伟");
    let path = format!("/api/v1/people/{zhang_id}/ambition?cycle={q}");
    for who in ["zhang.wei", "li.na", "hr"] {
        let tok = a.login(&format!("{who}@demo.example")).await;
        let r = a.call("GET", &path, Some(&tok), None).await;
        assert_eq!(r.status, StatusCode::OK, "{who}: {:?}", r.body);
        assert_eq!(r.body["cycles"].as_array().map(Vec::len), Some(2), "{who}: the two finished quarters");
        assert!(r.body["flags"].is_array());
    }
    assert_eq!(a.call("GET", &path, Some(&lin), None).await.status, StatusCode::NOT_FOUND, "a colleague");
    let r = a.call("GET", &format!("/api/v1/people/{zhang_id}/ambition"), Some(&lin), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "the cycle is required");
    let (_, page) = a.page("li.na@demo.example", &format!("/people/{zhang_id}")).await;
    assert!(page.contains("id=\"person-ambition\""), "the manager sees it on the person's page");
    let (status, page) = a.page("lin.xiao@demo.example", &format!("/people/{zhang_id}")).await;
    assert!(status == StatusCode::OK && !page.contains("id=\"person-ambition\""), "a colleague does not");

    // The lessons of the finished quarters are in the knowledge base.
    let found = a.call("GET", "/api/v1/lessons?q=%E4%BE%9B%E5%BA%94%E5%95%86", Some(&lin), None).await; // 供应商
    assert!(found.body["items"][0]["text"].as_str().is_some_and(|t| t.contains("供应商")), "{:?}", found.body);
}

async fn classify(t: &TestDb) {
    let a = api(t).await;
    let lin = a.login("lin.xiao@demo.example").await;
    let texts = [
        "预算在二月被砍了一半，投放只能停掉",
        "一直在等IT部排期，接口上不了线",
        "竞争对手在旁边开店并打五折",
        "团队没人做过直播，经验不足",
    ];
    let r = a.call("POST", "/api/v1/retros/classify", Some(&lin), Some(json!({"texts": texts}))).await;
    assert_eq!(r.status, StatusCode::OK);
    let items = r.body["items"].as_array().expect("items");
    let got: Vec<&str> = items.iter().filter_map(|i| i["type"].as_str()).collect();
    assert_eq!(got, vec!["resources", "dependency", "market", "capability"]);
    assert_eq!(items[1]["cause"], "objective");
    assert_eq!(items[3]["cause"], "subjective");
    for (i, text) in items.iter().zip(texts) {
        let because = i["because"].as_array().expect("because");
        assert!(
            !because.is_empty() && because.iter().all(|w| w.as_str().is_some_and(|w| text.to_lowercase().contains(w))),
            "{i}"
        );
        assert!(i["confidence"].as_f64().is_some_and(|c| (0.0..=1.0).contains(&c)));
    }
    // Bounded: at most 100 texts of at most 2,000 characters; signed in only.
    let many = vec!["人手不够"; 101];
    assert_eq!(
        a.call("POST", "/api/v1/retros/classify", Some(&lin), Some(json!({"texts": many}))).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let long = "等".repeat(2001);
    let r = a.call("POST", "/api/v1/retros/classify", Some(&lin), Some(json!({"texts": ["ok", long]}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["error"]["message"].as_str().is_some_and(|m| m.contains("texts[1]")));
    assert_eq!(
        a.call("POST", "/api/v1/retros/classify", None, Some(json!({"texts": ["x"]}))).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        a.call("POST", "/api/v1/retros/classify", Some(&lin), Some(json!({"texts": []}))).await.body["items"],
        json!([])
    );
}

async fn mining(t: &TestDb) {
    let a = api(t).await;
    let lin = a.login("lin.xiao@demo.example").await;
    let q = a.active_quarter(&lin).await;
    let r = a.call("GET", &format!("/api/v1/retros/mining?cycle={q}"), Some(&lin), None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["cycles"].as_array().map(Vec::len), Some(2), "the two finished quarters");
    let dependency = r.body["types"].as_array().expect("types").iter().find(|x| x["type"] == "dependency").cloned();
    assert_eq!(dependency.map(|d| d["counts"].clone()), Some(json!([3, 3])));
    // The Shanghai store waited on IT in both quarters; three units name IT.
    let recurring = r.body["recurring"].as_array().expect("recurring");
    assert!(recurring.iter().any(|x| x["unit_name"] == "上海南京西路店" && x["type"] == "dependency"), "{recurring:?}");
    let named = &r.body["named"][0];
    assert_eq!(named["team_name"], "信息技术部");
    assert_eq!(named["by_units"].as_array().map(Vec::len), Some(3));
    assert!(named["quotes"][0]["text"].as_str().is_some_and(|s| s.contains("信息部")));
    // Success factors: what the well-scored objectives' retros say worked, each said twice or more.
    let factors = r.body["success_factors"].as_array().expect("success factors");
    assert!(!factors.is_empty(), "the demo's well-scored objectives say what worked");
    for f in factors {
        assert!(
            f["count"].as_u64().is_some_and(|n| n >= 2) && !f["quotes"].as_array().is_some_and(Vec::is_empty),
            "{f}"
        );
    }
    // One unit's view: only its own and its subunits' retros.
    let rd = a.id_of("/api/v1/org-units", &lin, "name", "产品研发中心").await;
    let r = a.call("GET", &format!("/api/v1/retros/mining?cycle={q}&unit={rd}"), Some(&lin), None).await;
    assert!(r.body["named"].as_array().is_some_and(Vec::is_empty));
    let total: u64 = r.body["types"]
        .as_array()
        .expect("types")
        .iter()
        .flat_map(|x| x["counts"].as_array().cloned().unwrap_or_default())
        .filter_map(|n| n.as_u64())
        .sum();
    assert_eq!(total, 3, "R&D's own three causes");
    assert_eq!(
        a.call("GET", "/api/v1/retros/mining?cycle=987654321", Some(&lin), None).await.status,
        StatusCode::NOT_FOUND
    );
}

/// A cycle closed with no next one yet keeps its decisions; the next one, created later, takes
/// them once, and its review page and `GET /cycles/{id}/carried` say what the retro asked.
async fn carry_later(t: &TestDb) {
    let a = api(t).await;
    let (admin, zhang, lin) = (
        a.login("admin@demo.example").await,
        a.login("zhang.wei@demo.example").await,
        a.login("lin.xiao@demo.example").await,
    );
    let me = a.call("GET", "/api/v1/me", Some(&zhang), None).await.body["id"].as_i64().expect("me");
    let quarter =
        |name: &str, start: &str, end: &str| json!({"name": name, "kind": "quarter", "start": start, "end": end});
    let r = a.call("POST", "/api/v1/cycles", Some(&admin), Some(quarter("2030 Q1", "2030-01-01", "2030-03-31"))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let q1 = r.body["id"].as_i64().expect("cycle");
    set_state(&a, &admin, q1, "active").await;
    let title = "门店排班覆盖所有高峰时段";
    let r = a
        .call(
            "POST",
            "/api/v1/objectives",
            Some(&zhang),
            Some(json!({"title": title, "cycle": q1, "owner": {"type": "person", "id": me}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_i64().expect("id");
    let mut krs = vec![];
    for (t, target) in [("高峰时段排班覆盖率从70%提升到95%", 95), ("排班投诉从每月8次降到2次以下", 2)]
    {
        let (baseline, measure) = if target == 2 { (8, "decrease") } else { (70, "increase") };
        let r = a
            .call(
                "POST",
                &format!("/api/v1/objectives/{id}/key-results"),
                Some(&zhang),
                Some(json!({"title": t, "measure": measure, "baseline": baseline, "target": target, "unit": ""})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        krs.push(r.body["id"].as_i64().expect("kr"));
    }
    let r =
        a.call("PATCH", &format!("/api/v1/objectives/{id}"), Some(&zhang), Some(json!({"status": "published"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    set_state(&a, &admin, q1, "reviewing").await;
    let mut retro = a_retro(krs[0], me);
    retro["carry_over"] = json!([
        {"key_result": krs[0], "decision": "revise"},
        {"key_result": krs[1], "decision": "drop"}
    ]);
    let r = a.call("PUT", &format!("/api/v1/objectives/{id}/retro"), Some(&zhang), Some(retro)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    set_state(&a, &admin, q1, "closed").await;

    // A quarter that does not follow it (it starts months later) takes nothing.
    let r = a.call("POST", "/api/v1/cycles", Some(&admin), Some(quarter("2030 Q3", "2030-07-01", "2030-09-30"))).await;
    let q3 = r.body["id"].as_i64().expect("cycle");
    assert!(a.items(&format!("/api/v1/objectives?cycle={q3}"), &zhang).await.is_empty());
    // The quarter that follows it, created now, takes the decision to revise and not the one to drop.
    let r = a.call("POST", "/api/v1/cycles", Some(&admin), Some(quarter("2030 Q2", "2030-04-01", "2030-06-30"))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let q2 = r.body["id"].as_i64().expect("cycle");
    let drafts = a.items(&format!("/api/v1/objectives?cycle={q2}"), &zhang).await;
    assert_eq!(drafts.len(), 1, "{drafts:?}");
    assert_eq!((drafts[0]["title"].as_str(), drafts[0]["status"].as_str()), (Some(title), Some("draft")));
    assert_eq!(drafts[0]["key_results"].as_array().map(Vec::len), Some(1));
    assert_eq!(drafts[0]["key_results"][0]["title"], "高峰时段排班覆盖率从70%提升到95%");

    let path = format!("/api/v1/cycles/{q2}/carried");
    let r = a.call("GET", &path, Some(&zhang), None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let item = &r.body["items"][0];
    assert_eq!(item["from_objective"], id);
    assert_eq!(item["from_cycle_name"], "2030 Q1");
    assert_eq!(item["key_results"], json!([{"title": "高峰时段排班覆盖率从70%提升到95%", "decision": "revise"}]));
    assert_eq!(item["did_not"], json!(["晚高峰出杯仍然偏慢"]));
    assert_eq!(item["lessons"], json!(["高峰前30分钟完成备料并由值班主管复核"]));
    // A draft is its circle's: a colleague sees nothing carried; an unknown cycle is not found.
    assert_eq!(a.call("GET", &path, Some(&lin), None).await.body["items"], json!([]));
    assert_eq!(
        a.call("GET", "/api/v1/cycles/987654321/carried", Some(&zhang), None).await.status,
        StatusCode::NOT_FOUND
    );
    let (_, page) = a.page("zhang.wei@demo.example", &format!("/review?cycle={q2}")).await;
    assert!(page.contains("id=\"carried-in\"") && page.contains("晚高峰出杯仍然偏慢"), "the review page lists it");
    let (_, page) = a.page("lin.xiao@demo.example", &format!("/review?cycle={q2}")).await;
    assert!(!page.contains("id=\"carried-in\""));

    // A second quarter following Q1 finds nothing left to draft.
    let r =
        a.call("POST", "/api/v1/cycles", Some(&admin), Some(quarter("2030 Q2 bis", "2030-04-02", "2030-06-30"))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let bis = r.body["id"].as_i64().expect("cycle");
    assert!(a.items(&format!("/api/v1/objectives?cycle={bis}"), &zhang).await.is_empty(), "drafted once");
}

/// The team 复盘: the unit's lead writes it while the quarter is in review (no self scores, no
/// carry-over: those are per key result), the manager above acknowledges it, everyone reads it,
/// and its lessons are in the knowledge base.
async fn team_retro(t: &TestDb) {
    let a = api(t).await;
    let (admin, zhang, li, zhao, lin) = (
        a.login("admin@demo.example").await,
        a.login("zhang.wei@demo.example").await,
        a.login("li.na@demo.example").await,
        a.login("zhao.min@demo.example").await,
        a.login("lin.xiao@demo.example").await,
    );
    let q = a.active_quarter(&admin).await;
    let store = a.id_of("/api/v1/org-units", &admin, "name", "上海南京西路店").await;
    let me = a.call("GET", "/api/v1/me", Some(&zhang), None).await.body["id"].as_i64().expect("me");
    let path = format!("/api/v1/org-units/{store}/retro?cycle={q}");
    let body = json!({
        "worked": ["每周复盘会固定在周一早班前"],
        "did_not": ["晚高峰出杯慢的问题拖了两个月"],
        "causes": [{"text": "新店员排班时没有考虑高峰经验", "type": "process", "cause": "subjective"}],
        "lessons": [{"text": "排班表按高峰经验分层，新人不单独顶晚高峰", "tags": ["排班"]}],
        "actions": [{"text": "下周起执行分层排班", "owner": me, "due": "2027-01-10"}]
    });

    let r = a.call("GET", &path, Some(&lin), None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!((r.body["written"].as_bool(), r.body["can_edit"].as_bool()), (Some(false), Some(false)));
    let r = a.call("PUT", &path, Some(&li), Some(body.clone())).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "not_in_review"));

    set_state(&a, &admin, q, "reviewing").await;
    assert_eq!(a.call("GET", &path, Some(&li), None).await.body["can_edit"], true, "the store's manager");
    assert_eq!(a.call("PUT", &path, Some(&zhang), Some(body.clone())).await.status, StatusCode::FORBIDDEN, "a member");
    assert_eq!(a.call("PUT", &path, Some(&lin), Some(body.clone())).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.call("PUT", &path, Some(&zhao), Some(body.clone())).await.status,
        StatusCode::FORBIDDEN,
        "acknowledges, does not write"
    );
    let mut bad = body.clone();
    bad["self_scores"] = json!([{"key_result": 1, "score": 0.5}]);
    assert_eq!(
        a.call("PUT", &path, Some(&li), Some(bad)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no self scores here"
    );
    let r = a.call("PUT", &path, Some(&li), Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["written"], true);
    assert_eq!(r.body["causes"][0]["type"], "process");
    assert_eq!(r.body["unit_name"], "上海南京西路店");
    let r = a.call("GET", &path, Some(&lin), None).await;
    assert_eq!(r.body["lessons"][0]["text"], "排班表按高峰经验分层，新人不单独顶晚高峰", "everyone reads it");

    // Its lesson is in the knowledge base, as the team's.
    let r = a.call("GET", "/api/v1/lessons?q=%E5%88%86%E5%B1%82%E6%8E%92%E7%8F%AD", Some(&lin), None).await; // 分层排班
    let item = &r.body["items"][0];
    assert_eq!(item["text"], "排班表按高峰经验分层，新人不单独顶晚高峰", "{:?}", r.body);
    assert_eq!((item["source"].as_str(), item["objective"].is_null()), (Some("team"), true));
    assert_eq!(item["unit"], store);
    assert_eq!(item["types"], json!(["process"]));
    let r = a.call("GET", &format!("/api/v1/lessons?type=process&cycle={q}&unit={store}"), Some(&lin), None).await;
    assert!(r.body["items"].as_array().expect("items").iter().any(|l| l["source"] == "team"));

    // The open format carries it.
    let doc = a.call("GET", &format!("/api/v1/cycles/{q}/export?format=yaml"), Some(&lin), None).await;
    let yaml = doc.body.as_str().unwrap_or_default();
    assert!(yaml.contains("team_retros:") && yaml.contains("排班表按高峰经验分层"), "{yaml}");

    // The manager above acknowledges it, once; a colleague may not.
    let ack = format!("/api/v1/org-units/{store}/retro/acknowledge?cycle={q}");
    assert_eq!(a.call("POST", &ack, Some(&lin), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(a.call("POST", &ack, Some(&li), None).await.status, StatusCode::FORBIDDEN, "not one's own");
    let r = a.call("POST", &ack, Some(&zhao), None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["acknowledged_by_name"], "赵敏");
    assert_eq!(a.call("POST", &ack, Some(&zhao), None).await.code(), "already_acknowledged");
    assert_eq!(
        a.call("GET", &format!("/api/v1/org-units/987654321/retro?cycle={q}"), Some(&lin), None).await.status,
        StatusCode::NOT_FOUND
    );

    // The pages: the board links to it; the lead gets the form without key results.
    let (_, page) = a.page("li.na@demo.example", &format!("/review?cycle={q}&unit={store}")).await;
    assert!(page.contains(&format!("/teams/{store}/retro/{q}")), "the review page links to the team retro");
    let (status, page) = a.page("li.na@demo.example", &format!("/teams/{store}/retro/{q}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"retro-form\"") && !page.contains("id=\"kr-scores\""), "the form, no key results");
    let (_, page) = a.page("lin.xiao@demo.example", &format!("/teams/{store}/retro/{q}")).await;
    assert!(page.contains("分层排班") && !page.contains("id=\"retro-form\""), "a colleague reads it");
}
