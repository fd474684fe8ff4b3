//! Goal search and the scoring report, on SQLite and PostgreSQL.

use axum::http::StatusCode;
use serde_json::Value;
use tandem_store::on_both_engines;
use tandem_store::testing::TestDb;

mod common;
use common::*;

on_both_engines! {
    search_finds_what_you_may_see_in_chinese_and_english => search;
    the_scoring_report_covers_every_person_and_unit => scores;
    a_units_tree_carries_the_scores_the_objectives_show => unit_tree;
}

async fn search(t: &TestDb) {
    let a = api(t).await;
    let lin = a.login("lin.xiao@demo.example").await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let hits = a.items("/api/v1/search?q=NPS", &lin).await;
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h["title"].as_str().unwrap_or("").to_lowercase().contains("nps")));
    let lower = a.items("/api/v1/search?q=nps", &lin).await;
    assert_eq!(hits.len(), lower.len(), "case does not matter");
    let cn = a.items("/api/v1/search?q=%E5%87%BA%E6%9D%AF", &lin).await; // 出杯
    assert!(cn.iter().any(|h| h["kind"] == "key_result" && h["title"].as_str().unwrap_or("").contains("出杯")));
    // Zhang's draft is his: he finds it, Lin does not.
    let draft = "%E5%AE%8C%E6%88%90%E6%9C%AC%E5%AD%A3%E5%BA%A6"; // 完成本季度
    assert!(!a.items(&format!("/api/v1/search?q={draft}"), &zhang).await.is_empty());
    assert!(a.items(&format!("/api/v1/search?q={draft}"), &lin).await.is_empty(), "someone else's draft stays out");
    let few = a.items("/api/v1/search?q=%E6%8F%90%E5%8D%87&limit=3", &lin).await; // 提升
    assert_eq!(few.len(), 3);
    assert!(a.items("/api/v1/search?q=%20", &lin).await.is_empty());
}

async fn scores(t: &TestDb) {
    let a = api(t).await;
    let lin = a.login("lin.xiao@demo.example").await;
    let cycle = running_quarter(&a, &lin).await;
    let r = a.call("GET", &format!("/api/v1/cycles/{cycle}/scores"), Some(&lin), None).await;
    assert_eq!(r.status, StatusCode::OK);
    let objs = a.items(&format!("/api/v1/objectives?cycle={cycle}"), &lin).await;
    let published: Vec<&Value> = objs.iter().filter(|o| o["status"] == "published").collect();
    // The company (first unit, the root) counts every published objective.
    assert_eq!(r.body["units"][0]["objectives"].as_u64(), Some(published.len() as u64));
    // A person's score is the mean roll-up of their own published objectives.
    let zhang = r.body["people"].as_array().expect("people").iter().find(|p| p["name"] == "张伟").expect("zhang");
    let his: Vec<f64> = published
        .iter()
        .filter(|o| o["owner"]["type"] == "person" && o["owner_name"] == "张伟")
        .map(|o| o["rollup"].as_f64().expect("rollup"))
        .collect();
    assert_eq!(zhang["objectives"].as_u64(), Some(his.len() as u64));
    let mean = his.iter().sum::<f64>() / his.len() as f64;
    assert!((zhang["score"].as_f64().expect("score") - mean).abs() < 1e-9);
    let r = a.call("GET", "/api/v1/cycles/999999999/scores", Some(&lin), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn unit_tree(t: &TestDb) {
    let a = api(t).await;
    let lin = a.login("lin.xiao@demo.example").await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let cycle = running_quarter(&a, &lin).await;
    let units = a.items("/api/v1/org-units", &lin).await;
    let root = units.iter().find(|u| u["parent"].is_null()).and_then(|u| u["id"].as_i64()).expect("root unit");
    for (who, token) in [("lin", &lin), ("zhang", &zhang)] {
        let r = a.call("GET", &format!("/api/v1/org-units/{root}/tree?cycle={cycle}"), Some(token), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let nodes = r.body["nodes"].as_array().expect("nodes");
        // The same objectives, scores and bands as the full list, each followed by its key results.
        let objs = a.items(&format!("/api/v1/objectives?cycle={cycle}&unit={root}"), token).await;
        let tree_objs: Vec<&Value> = nodes.iter().filter(|n| n["kind"] == "objective").collect();
        assert_eq!(tree_objs.len(), objs.len(), "{who} sees the same objectives");
        for o in &objs {
            let n = tree_objs.iter().find(|n| n["id"] == o["id"]).expect("objective in the tree");
            assert!((n["rollup"].as_f64().expect("rollup") - o["rollup"].as_f64().expect("rollup")).abs() < 1e-12);
            assert_eq!(n["band"], o["rollup_band"]);
            for k in o["key_results"].as_array().expect("krs") {
                let kn = nodes.iter().find(|n| n["kind"] == "key_result" && n["id"] == k["id"]).expect("kr node");
                assert_eq!(kn["parent"], o["id"]);
                assert_eq!(kn["current"], k["current"]);
                assert!(kn.get("rollup").is_none() && kn.get("owner_name").is_none(), "only what applies: {kn}");
                assert_eq!(kn["band"], k["band"]);
            }
        }
    }
    // Someone else's draft stays out of Lin's tree, as it stays out of her list.
    let draft = "完成本季度";
    let of = |token: &str| {
        let token = token.to_string();
        let a = &a;
        async move {
            let r = a.call("GET", &format!("/api/v1/org-units/{root}/tree?cycle={cycle}"), Some(&token), None).await;
            r.body["nodes"].as_array().expect("nodes").iter().any(|n| n["title"].as_str().unwrap_or("").contains(draft))
        }
    };
    assert!(of(&zhang).await, "Zhang sees his own draft");
    assert!(!of(&lin).await, "Lin does not");
    // A unit without drafts answers every caller alike (one answer, shared and rendered once),
    // and follows a check-in at once.
    let ceo = a.login("ceo@demo.example").await;
    let mut shared = None;
    for u in units.iter().filter_map(|u| u["id"].as_i64()) {
        let objs = a.items(&format!("/api/v1/objectives?cycle={cycle}&unit={u}"), &ceo).await;
        if !objs.is_empty() && objs.iter().all(|o| o["status"] != "draft") {
            shared = Some(u);
            break;
        }
    }
    let unit = shared.expect("a unit with objectives and no draft");
    let path = format!("/api/v1/org-units/{unit}/tree?cycle={cycle}");
    let first = a.call("GET", &path, Some(&lin), None).await.body;
    assert_eq!(a.call("GET", &path, Some(&zhang), None).await.body, first, "the same tree for everyone");
    assert_eq!(a.call("GET", &path, Some(&lin), None).await.body, first, "and again");
    let kr = first["nodes"].as_array().and_then(|n| n.iter().find(|n| n["kind"] == "key_result")).cloned().expect("kr");
    let value = if kr["current"] == kr["target"] { 0.0 } else { kr["target"].as_f64().expect("target") };
    let body = serde_json::json!({"value": value, "confidence": 5});
    let r = a.call("POST", &format!("/api/v1/key-results/{}/check-ins", kr["id"]), Some(&ceo), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    for token in [&lin, &zhang] {
        let after = a.call("GET", &path, Some(token), None).await.body;
        let moved = after["nodes"].as_array().and_then(|n| n.iter().find(|n| n["id"] == kr["id"]).cloned());
        assert_eq!(moved.and_then(|k| k["current"].as_f64()), Some(value), "the check-in shows at once");
    }
    let r = a.call("GET", &format!("/api/v1/org-units/999999999/tree?cycle={cycle}"), Some(&lin), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = a.call("GET", &format!("/api/v1/org-units/{root}/tree?cycle=999999999"), Some(&lin), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "an unknown cycle");
    // A cycle just made has an empty tree, not a missing one.
    let hr = a.login("hr@demo.example").await;
    let new_cycle =
        serde_json::json!({"name": "2027 Q1", "kind": "quarter", "start": "2027-01-01", "end": "2027-03-31"});
    let r = a.call("POST", "/api/v1/cycles", Some(&hr), Some(new_cycle)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let fresh = r.body["id"].as_i64().expect("cycle id");
    let r = a.call("GET", &format!("/api/v1/org-units/{root}/tree?cycle={fresh}"), Some(&lin), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["nodes"].as_array().map(Vec::len), Some(0));
}

/// The demo's running quarter.
async fn running_quarter(a: &Api, token: &str) -> i64 {
    a.items("/api/v1/cycles", token)
        .await
        .into_iter()
        .find(|c| c["kind"] == "quarter" && c["state"] == "active")
        .and_then(|c| c["id"].as_i64())
        .expect("quarter")
}
