//! The scheduled and cascading notices, on SQLite and PostgreSQL: Thursday's check-in reminder
//! to those who owe one and Monday's digest to managers, each once per week across two servers,
//! with channels hearing only about OKRs; each person's email choices respected; and a change to
//! an objective told to the owners of what is aligned to it, in the same transaction.

use axum::http::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use tandem_app::App;
use tandem_app::clock::FixedClock;
use tandem_store::notify::{self, OutboxRow};
use tandem_store::on_both_engines;
use tandem_store::testing::TestDb;

mod common;
use common::*;

on_both_engines! {
    weekly_notices_go_once_to_those_concerned => weekly;
    a_changed_objective_is_told_to_what_aligns_to_it => cascade;
}

/// 2026-11-26, a Thursday, 09:30 UTC.
const THURSDAY: i64 = 1_795_685_400_000_000;

async fn outbox(a: &Api) -> Vec<(OutboxRow, Value)> {
    let tenant = a.app.operator_actor("demo", "admin@demo.example").await.expect("admin").tenant.0;
    notify::outbox(&a.app.db, tenant, 10_000)
        .await
        .expect("outbox")
        .into_iter()
        .map(|o| {
            let v: Value = serde_json::from_str(&o.payload).expect("payload");
            (o, v)
        })
        .collect()
}

fn emails_to<'a>(rows: &'a [(OutboxRow, Value)], event: &str, to: &str) -> Vec<&'a Value> {
    rows.iter().filter(|(o, v)| o.event == event && v["to"] == to).map(|(_, v)| v).collect()
}

async fn weekly(t: &TestDb) {
    let clock = Arc::new(FixedClock::new(THURSDAY));
    let a = api_with_clock(t, clock.clone()).await;
    // The channel points at loopback, which only the operator's allow list opens.
    let a = a.with_loopback_allowed();
    let admin = a.login("admin@demo.example").await;
    let body = json!({"kind": "webhook", "name": "群", "url": "http://127.0.0.1:9/hook",
        "events": ["check_in_reminder", "weekly_digest"]});
    assert_eq!(a.call("POST", "/api/v1/channels", Some(&admin), Some(body)).await.status, StatusCode::CREATED);

    // Two servers at once: each notice is queued once.
    let second = App::new(second_server_db(t).await, clock.clone());
    let (x, y) = (a.app.clone(), second.clone());
    let (one, two) = tokio::join!(x.send_weekly_notices(), y.send_weekly_notices());
    assert_eq!(one.expect("one") + two.expect("two"), 2, "the digest of last week and this week's reminder");
    assert_eq!(a.app.send_weekly_notices().await.expect("again"), 0);

    let rows = outbox(&a).await;
    // Zhang Wei owes this week's check-ins (the demo's last ones were last Friday).
    let his = emails_to(&rows, "check_in_reminder", "zhang.wei@demo.example");
    assert_eq!(his.len(), 1);
    let text = his[0]["text"].as_str().unwrap_or("");
    assert!(text.contains("张伟") && text.contains("关键结果"), "{text}");
    // Li Na leads a store: her digest names her team's red lights.
    let digest = emails_to(&rows, "weekly_digest", "li.na@demo.example");
    assert_eq!(digest.len(), 1);
    assert!(digest[0]["text"].as_str().unwrap_or("").contains("红灯"), "{:?}", digest[0]);
    // Someone who leads no one gets no digest.
    assert!(emails_to(&rows, "weekly_digest", "zhang.wei@demo.example").is_empty());
    // The channel: one reminder naming people, one company digest; no KPI anywhere in them.
    let channel: Vec<&Value> = rows.iter().filter(|(o, _)| o.channel_id != 0).map(|(_, v)| v).collect();
    assert_eq!(channel.len(), 2, "{channel:?}");
    assert!(channel.iter().any(|v| v["text"].as_str().unwrap_or("").contains("张伟")));
    assert!(channel.iter().all(|v| !v.to_string().contains("收银差错率") && !v.to_string().contains("KPI")));

    let others = |rows: &[(OutboxRow, Value)]| {
        rows.iter()
            .filter(|(o, v)| {
                o.event == "check_in_reminder" && v["to"].is_string() && v["to"] != "zhang.wei@demo.example"
            })
            .count()
    };
    let others_first_week = others(&rows);
    assert!(others_first_week > 0);

    // Zhang turns the reminder off; next week he is not reminded, others are.
    let zhang = a.login("zhang.wei@demo.example").await;
    let r = a
        .call(
            "PUT",
            "/api/v1/me/preferences",
            Some(&zhang),
            Some(json!({"email_events": {"check_in_reminder": false}})),
        )
        .await;
    assert_eq!((r.status, r.body["email_events"]["check_in_reminder"].as_bool()), (StatusCode::OK, Some(false)));
    assert_eq!(r.body["email_alerts"], true, "the other choices stay");
    let bad =
        a.call("PUT", "/api/v1/me/preferences", Some(&zhang), Some(json!({"email_events": {"spam": true}}))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    clock.advance(7 * 86_400_000_000);
    assert_eq!(a.app.send_weekly_notices().await.expect("next week"), 2);
    let rows = outbox(&a).await;
    assert_eq!(emails_to(&rows, "check_in_reminder", "zhang.wei@demo.example").len(), 1, "not reminded again");
    assert_eq!(others(&rows), 2 * others_first_week, "everyone else is reminded again");
    if t.db.engine() == tandem_store::Engine::Postgres {
        second.db.close().await;
    }
}

async fn cascade(t: &TestDb) {
    let a = api(t).await;
    let ceo = a.login("ceo@demo.example").await;
    let all = a.items("/api/v1/objectives", &ceo).await;
    // A published objective with something aligned to it.
    let (parent, child) = all
        .iter()
        .filter(|o| o["status"] == "published")
        .find_map(|p| {
            all.iter().find(|c| c["parent"] == p["id"] && c["status"] == "published").map(|c| (p.clone(), c.clone()))
        })
        .expect("an aligned pair in the demo");
    let before = outbox(&a).await.len();
    let title = format!("{}（调整）", parent["title"].as_str().unwrap_or(""));
    let path = format!("/api/v1/objectives/{}", parent["id"]);
    let r = a.call("PATCH", &path, Some(&ceo), Some(json!({"title": title, "reason": "市场变化，聚焦华东"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let rows = outbox(&a).await;
    let new: Vec<&(OutboxRow, Value)> = rows.iter().filter(|(o, _)| o.event == "upstream_changed").collect();
    assert_eq!(rows.len() - before, new.len(), "only cascade notices were queued");
    let child_id = child["id"].as_i64().expect("id");
    let told: Vec<&Value> = new.iter().map(|(_, v)| v).filter(|v| v["to"].is_string()).collect();
    assert!(!told.is_empty());
    assert!(
        told.iter().any(|v| {
            let t = v["text"].as_str().unwrap_or("");
            t.contains("市场变化，聚焦华东") && t.contains(&format!("/objectives/{child_id}"))
        }),
        "{told:?}"
    );
    // A change without a reason is refused, and tells no one.
    let r = a.call("PATCH", &path, Some(&ceo), Some(json!({"title": "再改一次"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(outbox(&a).await.len(), rows.len(), "nothing half-applied");
}
