//! The status a key result's owner reports beside the forecast (正常 / 有风险 / 已延期 with a
//! reason), on SQLite and on PostgreSQL: through the API and the objective page, shown side by
//! side with the forecast and flagged where the two disagree.

use axum::http::StatusCode;
use serde_json::json;
use tandem_store::on_both_engines;
use tandem_store::testing::TestDb;

mod common;
use common::*;

on_both_engines! {
    an_owner_reports_a_status_beside_the_forecast => reported_status;
}

async fn reported_status(t: &TestDb) {
    let a = api(t).await;
    let tok = a.login("zhang.wei@demo.example").await;
    let o = a
        .items("/api/v1/objectives", &tok)
        .await
        .into_iter()
        .find(|o| o["owner_name"] == "张伟" && o["status"] == "published")
        .expect("objective");
    let oid = o["id"].as_i64().expect("id");
    let kr = &o["key_results"][0];
    let kid = kr["id"].as_i64().expect("kr");
    let target = kr["target"].as_f64().expect("target");
    let post = |body: serde_json::Value| {
        let tok = tok.clone();
        let a = &a;
        async move { a.call("POST", &format!("/api/v1/key-results/{kid}/check-ins"), Some(&tok), Some(body)).await }
    };

    // At risk or delayed needs a reason; an unknown status is refused; nothing is written.
    let r = post(json!({"value": target, "confidence": 8, "status": "at_risk"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["error"]["field"], "status_reason", "{:?}", r.body);
    let r = post(json!({"value": target, "confidence": 8, "status": "green"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["error"]["field"], "status");
    let before = a.items(&format!("/api/v1/key-results/{kid}/check-ins"), &tok).await.len();

    // The target reached, yet the owner says it is late: both are kept and shown, and the page
    // flags that they disagree.
    let r = post(
        json!({"value": target, "confidence": 8, "status": "delayed", "status_reason": "供应商的新设备延期两周到货"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["check_in"]["status"], "delayed");
    let log = a.items(&format!("/api/v1/key-results/{kid}/check-ins"), &tok).await;
    assert_eq!(log.len(), before + 1);
    assert_eq!(
        (log[0]["status"].as_str(), log[0]["status_reason"].as_str()),
        (Some("delayed"), Some("供应商的新设备延期两周到货"))
    );
    let (_, page) = a.page("li.na@demo.example", &format!("/objectives/{oid}")).await;
    let said = &page[page.find(&format!("id=\"reported-{kid}\"")).expect("the reported status is shown")..];
    let said = &said[..said.find("</span></span>").unwrap_or(said.len().min(600))];
    assert!(said.contains("已延期") && said.contains("供应商的新设备延期两周到货"), "{said}");
    assert!(page.contains("与预测不一致"), "the owner and the forecast disagree");

    // On the page: a refused status keeps what was typed, names the field by its label.
    let (status, _, html) = a
        .form(
            "zhang.wei@demo.example",
            &format!("/key-results/{kid}/check-ins"),
            &[
                ("objective", &oid.to_string()),
                ("value", "3"),
                ("confidence", "5"),
                ("status", "at_risk"),
                ("progress", "本周两家店缺人"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("状态原因"), "the field is named as the form labels it");
    assert!(html.contains("本周两家店缺人"), "what was typed is kept");
    assert!(html.contains("value=\"at_risk\" checked"), "and the status chosen");
    // With a reason it is taken; leaving it to the forecast shows no status.
    let (status, _, _) = a
        .form(
            "zhang.wei@demo.example",
            &format!("/key-results/{kid}/check-ins"),
            &[("objective", &oid.to_string()), ("value", "3"), ("confidence", "5"), ("status", ""), ("progress", "")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = a.page("li.na@demo.example", &format!("/objectives/{oid}")).await;
    assert!(!page.contains(&format!("id=\"reported-{kid}\"")), "the latest check-in leaves it to the forecast");
}
