//! The channels page against a real bot receiver on loopback, on SQLite and PostgreSQL: a test
//! message shows what the receiver answered, a channel is edited without typing its address
//! again, a saved address is never shown whole (a bot's address is its key), and emails waiting
//! for a mail server say so.

use axum::http::StatusCode;
use serde_json::json;
use std::sync::{Arc, Mutex};
use tandem_store::on_both_engines;
use tandem_store::testing::TestDb;

mod common;
use common::*;

on_both_engines! {
    channels_are_tested_edited_and_masked => channels;
}

/// A Feishu-like bot: answers 200 with its own code and message, which the test sets.
async fn start_bot(answer: Arc<Mutex<serde_json::Value>>, seen: Arc<Mutex<Vec<String>>>) -> String {
    let app = axum::Router::new().route(
        "/open-apis/bot/v2/hook/{token}",
        axum::routing::post(move |body: String| {
            let (answer, seen) = (answer.clone(), seen.clone());
            async move {
                seen.lock().expect("lock").push(body);
                axum::Json(answer.lock().expect("lock").clone())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/open-apis/bot/v2/hook/2f1c9a7e-secret-token-a1b2")
}

async fn channels(t: &TestDb) {
    let a = api(t).await.with_loopback_allowed();
    let admin = a.login("admin@demo.example").await;
    let answer = Arc::new(Mutex::new(json!({"code": 0, "msg": "success"})));
    let seen = Arc::new(Mutex::new(vec![]));
    let url = start_bot(answer.clone(), seen.clone()).await;
    let body = json!({"kind": "feishu", "name": "门店群", "url": url, "events": ["alert_raised"]});
    let r = a.call("POST", "/api/v1/channels", Some(&admin), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_i64().expect("id");
    assert!(!r.body["url"].as_str().unwrap_or_default().contains("secret-token"), "the API masks it too");

    // The page shows the host and the last characters, never the key.
    let (_, html) = a.page("admin@demo.example", "/channels").await;
    assert!(html.contains("…a1b2") && !html.contains("secret-token"), "masked");

    // A test message: delivered, with what the bot said.
    let (status, _, html) = a.form("admin@demo.example", &format!("/channels/{id}/test"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let row = &html[html.find(&format!("id=\"tested-{id}\"")).expect("the result beside the channel")..];
    let row = &row[..row.find("</tr>").expect("row end")];
    assert!(row.contains("测试消息已送达") && row.contains("HTTP 200") && row.contains("0 success"), "{row}");
    let sent = seen.lock().expect("lock").last().cloned().expect("the bot got it");
    assert!(sent.contains("测试消息"), "{sent}");
    // The bot refuses (a wrong signature): said as the bot said it.
    *answer.lock().expect("lock") =
        json!({"code": 19021, "msg": "sign match fail or timestamp is not within one hour"});
    let (_, _, html) = a.form("admin@demo.example", &format!("/channels/{id}/test"), &[]).await;
    assert!(html.contains("测试消息未送达") && html.contains("19021 sign match fail"), "the receiver's answer");
    *answer.lock().expect("lock") = json!({"code": 0, "msg": "success"});

    // Edit: a new name and events, the address left empty is kept.
    let (status, location, _) = a
        .form(
            "admin@demo.example",
            &format!("/channels/{id}"),
            &[("name", "华东门店群"), ("url", ""), ("lang", "zh"), ("alert_raised", "1"), ("weekly_digest", "1")],
        )
        .await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/channels?ok=saved")));
    let listed = a.items("/api/v1/channels", &admin).await;
    let c = listed.iter().find(|c| c["id"] == id).expect("the channel");
    assert_eq!(c["name"], "华东门店群");
    assert_eq!(c["events"], json!(["alert_raised", "weekly_digest"]));
    let (_, _, html) = a.form("admin@demo.example", &format!("/channels/{id}/test"), &[]).await;
    assert!(html.contains("测试消息已送达"), "the kept address still works");
    // A bad address is refused, the form open with what was typed.
    let (status, _, html) = a
        .form(
            "admin@demo.example",
            &format!("/channels/{id}"),
            &[("name", "改了一半的名字"), ("url", "ftp://x"), ("lang", "zh"), ("alert_raised", "1")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(&format!("id=\"edit-channel-{id}\"")) && html.contains("改了一半的名字"));
    assert!(html.contains("Webhook 地址") || html.contains("地址"), "the field named by its label");
    let after = a.items("/api/v1/channels", &admin).await;
    assert_eq!(
        after.iter().find(|c| c["id"] == id).map(|c| c["name"].clone()),
        Some(json!("华东门店群")),
        "nothing half-applied"
    );
    // Only admins test or edit.
    let (status, _, _) = a.form("zhang.wei@demo.example", &format!("/channels/{id}/test"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Emails raised while no mail server is configured say so, not "waiting to retry".
    let hr = a.login("hr@demo.example").await;
    assert!(!a.items("/api/v1/alerts", &hr).await.is_empty());
    let (_, html) = a.page("admin@demo.example", "/channels").await;
    assert!(html.contains("未配置邮件服务器"), "emails are waiting for a mail server");
}
