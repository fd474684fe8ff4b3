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
    let cycle = a
        .items("/api/v1/cycles", &lin)
        .await
        .into_iter()
        .find(|c| c["kind"] == "quarter" && c["state"] == "active")
        .and_then(|c| c["id"].as_i64())
        .expect("quarter");
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
