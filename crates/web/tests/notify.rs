//! Notifications against a real HTTP receiver on loopback, on SQLite and PostgreSQL: a red light
//! raised in a transaction leaves an outbox message per subscribed channel; a failing receiver
//! gets it again with backoff until it answers 2xx, and never again after that; every attempt
//! is logged; private KPI alerts never reach a shared channel.

use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tandem_app::clock::{Clock, FixedClock, SystemClock};
use tandem_store::on_both_engines;
use tandem_store::testing::TestDb;

mod common;
use common::*;

on_both_engines! {
    a_notification_survives_a_failing_receiver_and_arrives_once => delivery;
    channels_post_only_where_they_may => channel_addresses;
}

#[derive(Default)]
struct Receiver {
    /// Requests still to refuse with 500.
    fail: AtomicUsize,
    /// Every request: (answered status, headers, body).
    seen: Mutex<Vec<(u16, HeaderMap, String)>>,
}

async fn start_receiver(r: Arc<Receiver>) -> String {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let r = r.clone();
            async move {
                let status = if r.fail.load(Ordering::SeqCst) > 0 {
                    r.fail.fetch_sub(1, Ordering::SeqCst);
                    500
                } else {
                    200
                };
                r.seen.lock().expect("lock").push((status, headers, body));
                (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), "{}")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hook")
}

async fn delivery(t: &TestDb) {
    let clock = Arc::new(FixedClock::new(SystemClock.now_us()));
    let a = api_with_clock(t, clock.clone()).await;
    // The receiver listens on loopback, which only the operator's allow list opens.
    let a = a.with_loopback_allowed();
    let admin = a.login("admin@demo.example").await;
    let receiver = Arc::new(Receiver::default());
    let url = start_receiver(receiver.clone()).await;
    // Rules first.
    for (body, field) in [
        (json!({"kind": "fax", "name": "x", "url": url, "events": ["alert_raised"]}), "kind"),
        (json!({"kind": "webhook", "name": "x", "url": "ftp://x", "events": ["alert_raised"]}), "url"),
        (json!({"kind": "webhook", "name": "x", "url": url, "events": ["everything"]}), "events"),
    ] {
        let r = a.call("POST", "/api/v1/channels", Some(&admin), Some(body)).await;
        assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)));
    }
    let zhang = a.login("zhang.wei@demo.example").await;
    let body = json!({"kind": "webhook", "name": "ops", "url": url, "secret": "s3cret", "events": ["alert_raised"]});
    assert_eq!(
        a.call("POST", "/api/v1/channels", Some(&zhang), Some(body.clone())).await.status,
        StatusCode::FORBIDDEN
    );
    let r = a.call("POST", "/api/v1/channels", Some(&admin), Some(body)).await;
    assert_eq!((r.status, r.body["signed"].as_bool()), (StatusCode::CREATED, Some(true)));
    assert!(r.body.get("secret").is_none(), "the secret is never shown again");

    // Reading the red lights brings them in line with the goals: the demo's are raised now.
    receiver.fail.store(2, Ordering::SeqCst);
    let hr = a.login("hr@demo.example").await;
    let alerts = a.items("/api/v1/alerts", &hr).await;
    let kr_alerts = alerts.iter().filter(|x| x["subject_type"] == "key_result").count();
    assert!(kr_alerts >= 1 && alerts.iter().any(|x| x["subject_type"] == "kpi"), "{alerts:?}");

    let mut rounds = 0;
    loop {
        a.app.dispatch_due().await.expect("dispatch");
        let ok = receiver.seen.lock().expect("lock").iter().filter(|s| s.0 == 200).count();
        if ok == kr_alerts {
            break;
        }
        rounds += 1;
        assert!(rounds < 10, "delivered {ok} of {kr_alerts}");
        // Past the longest backoff so far.
        clock.advance(70_000_000);
    }
    // Once more, later: nothing is sent again.
    clock.advance(3_600_000_000);
    a.app.dispatch_due().await.expect("dispatch");
    let seen = receiver.seen.lock().expect("lock").clone();
    let mut delivered: Vec<String> = seen
        .iter()
        .filter(|s| s.0 == 200)
        .map(|s| s.1.get("x-tandem-delivery").and_then(|v| v.to_str().ok()).unwrap_or("").to_string())
        .collect();
    delivered.sort();
    let n = delivered.len();
    delivered.dedup();
    assert_eq!((n, delivered.len()), (kr_alerts, kr_alerts), "each message answered 2xx exactly once");
    assert_eq!(seen.iter().filter(|s| s.0 == 500).count(), 2, "the refused attempts were retried");
    for (_, headers, body) in &seen {
        let sig = headers.get("x-tandem-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(b"s3cret").expect("key");
        mac.update(body.as_bytes());
        assert_eq!(sig, format!("sha256={}", hex::encode(mac.finalize().into_bytes())), "signed over the body");
        let v: Value = serde_json::from_str(body).expect("json");
        assert_eq!(v["event"], "alert_raised");
        assert!(v["text"].as_str().is_some_and(|t| t.starts_with("【红灯预警】")), "{v}");
        assert_ne!(v["data"]["reason"], "kpi_fail", "a private KPI's alert never goes to a channel");
        assert!(!body.contains("新品研发节点按期完成率"));
    }
    // The log shows every attempt.
    // (Personal emails wait in the same outbox; this app has no mailer, so they are not sent.)
    let log: Vec<Value> =
        a.items("/api/v1/deliveries", &admin).await.into_iter().filter(|d| d["channel"] != 0).collect();
    assert_eq!(log.len(), kr_alerts);
    assert!(log.iter().all(|d| !d["delivered_at"].is_null()));
    let attempts: usize = log.iter().map(|d| d["log"].as_array().map(Vec::len).unwrap_or(0)).sum();
    assert_eq!(attempts, kr_alerts + 2);
    assert!(log.iter().flat_map(|d| d["log"].as_array().cloned().unwrap_or_default()).any(|x| x["status"] == 500));
    assert_eq!(a.call("GET", "/api/v1/deliveries", Some(&zhang), None).await.status, StatusCode::FORBIDDEN);
}

/// Item 6 of the security issue: webhooks and bot channels accepted any host.
async fn channel_addresses(t: &TestDb) {
    let a = api(t).await;
    let admin = a.login("admin@demo.example").await;
    let receiver = Arc::new(Receiver::default());
    let url = start_receiver(receiver.clone()).await;
    let port = url.rsplit(':').next().and_then(|p| p.split('/').next()).expect("port").to_string();
    let channel = |kind: &str, url: String| json!({"kind": kind, "name": "x", "url": url, "events": ["alert_raised"]});
    for (kind, url, rule) in [
        ("webhook", url.clone(), "TANDEM_OUTBOUND_ALLOW"),
        ("webhook", format!("http://2130706433:{port}/hook"), "TANDEM_OUTBOUND_ALLOW"),
        ("webhook", format!("http://localhost:{port}/hook"), "TANDEM_OUTBOUND_ALLOW"),
        ("webhook", "http://169.254.169.254/latest".into(), "TANDEM_OUTBOUND_ALLOW"),
        ("feishu", "https://attacker.example/open-apis/bot/v2/hook/x".into(), "open.feishu.cn"),
        ("dingtalk", format!("http://127.0.0.1:{port}/robot/send"), "TANDEM_OUTBOUND_ALLOW"),
        ("dingtalk", "https://dingtalk.attacker.example/robot/send".into(), "oapi.dingtalk.com"),
        ("wecom", "https://qyapi.weixin.qq.com.attacker.example/cgi-bin/webhook/send".into(), "qyapi.weixin.qq.com"),
    ] {
        let r = a.call("POST", "/api/v1/channels", Some(&admin), Some(channel(kind, url.clone()))).await;
        assert_eq!(
            (r.status, r.body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("url")),
            "{kind} {url}"
        );
        assert!(r.body["error"]["message"].as_str().unwrap_or_default().contains(rule), "{kind} {url}: {:?}", r.body);
    }
    // The vendor's own host is taken (it is checked again, after DNS, on every post).
    let r = a
        .call(
            "POST",
            "/api/v1/channels",
            Some(&admin),
            Some(channel("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/abc".into())),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // Nothing reached the receiver, whatever was raised and dispatched.
    let hr = a.login("hr@demo.example").await;
    a.items("/api/v1/alerts", &hr).await;
    a.app.dispatch_due().await.expect("dispatch");
    assert!(receiver.seen.lock().expect("lock").is_empty());
}
