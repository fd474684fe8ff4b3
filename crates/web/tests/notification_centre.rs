//! The notification centre, on SQLite and on PostgreSQL: `@name` mentions in comments and
//! check-in notes reach those named who may see the objective (nobody learns of a draft by being
//! named in it), red lights and decided change requests arrive beside the email, the bell counts
//! what is unread, and opening one marks it read and goes where it points.

use axum::http::StatusCode;
use serde_json::json;
use tandem_store::on_both_engines;
use tandem_store::testing::TestDb;

mod common;
use common::*;

on_both_engines! {
    mentions_red_lights_and_decisions_reach_the_notification_centre => centre;
}

async fn centre(t: &TestDb) {
    let a = api(t).await;
    let actor = |email: &'static str| {
        let a = &a;
        async move { a.app.operator_actor("demo", email).await.expect("actor") }
    };
    let told = |email: &'static str, event: &'static str| {
        let a = &a;
        async move {
            let who = a.app.operator_actor("demo", email).await.expect("actor");
            let (all, _) = a.app.notifications(&who, 0, 200).await.expect("notifications");
            all.into_iter().filter(|n| n.event == event).collect::<Vec<_>>()
        }
    };
    let zhang = a.login("zhang.wei@demo.example").await;
    let o = a
        .items("/api/v1/objectives", &zhang)
        .await
        .into_iter()
        .find(|o| o["owner_name"] == "张伟" && o["status"] == "published")
        .expect("objective");
    let oid = o["id"].as_i64().expect("id");

    // A comment naming two people: both told, the writer not.
    let (status, _, _) = a
        .form(
            "li.na@demo.example",
            &format!("/objectives/{oid}/comments"),
            &[("body", "@张伟 投诉的事这周能收口吗？\n抄送 @林晓")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let to_zhang = told("zhang.wei@demo.example", "mentioned").await;
    assert_eq!(to_zhang.len(), 1, "{to_zhang:?}");
    assert!(to_zhang[0].title.contains("李娜") && to_zhang[0].body.contains("投诉的事"));
    assert_eq!(to_zhang[0].href, format!("/objectives/{oid}#comments"));
    assert_eq!(told("lin.xiao@demo.example", "mentioned").await.len(), 1);
    assert!(told("li.na@demo.example", "mentioned").await.is_empty(), "not the writer");

    // A draft: his manager may see it and is told; a colleague who may not see it is not.
    let r = a
        .call(
            "POST",
            "/api/v1/objectives",
            Some(&zhang),
            Some(json!({"title": "私下草稿：明年开两家新店", "cycle": o["cycle"], "key_results": [{"title": "新店从0家增加到2家", "target": 2}]})),
        )
        .await;
    let draft = r.body["id"].as_i64().expect("draft");
    let r = a
        .call(
            "POST",
            &format!("/api/v1/objectives/{draft}/comments"),
            Some(&zhang),
            Some(json!({"body": "@林晓 @李娜 先看看这个想法"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(told("lin.xiao@demo.example", "mentioned").await.len(), 1, "nothing about a draft she may not see");
    let to_li = told("li.na@demo.example", "mentioned").await;
    assert!(to_li.iter().any(|n| n.title.contains("私下草稿")), "the manager may see it: {to_li:?}");

    // A check-in note naming the manager tells her.
    let kr = o["key_results"][0]["id"].as_i64().expect("kr");
    let body =
        json!({"value": o["key_results"][0]["current"], "confidence": 6, "blockers": "缺一台封口机 @李娜 能否协调"});
    let r = a.call("POST", &format!("/api/v1/key-results/{kr}/check-ins"), Some(&zhang), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(told("li.na@demo.example", "mentioned").await.iter().any(|n| n.body.contains("缺一台封口机")));

    // Red lights reach their owner's centre as they are raised.
    let hr = a.login("hr@demo.example").await;
    assert!(!a.items("/api/v1/alerts", &hr).await.is_empty());
    let red = told("zhang.wei@demo.example", "alert_raised").await;
    assert!(!red.is_empty(), "his red light");
    assert!(red.iter().all(|n| n.href.starts_with("/objectives/") || n.href.starts_with("/kpis")), "{red:?}");

    // The bell counts what is unread; opening one marks it read and goes there.
    let me = actor("zhang.wei@demo.example").await;
    let unread = a.app.unread_notifications(&me).await.expect("count");
    assert!(unread >= 2);
    let (_, html) = a.page("zhang.wei@demo.example", "/goals").await;
    assert!(
        html.contains("id=\"bell\"") && html.contains(&format!("<span class=\"count\">{unread}</span>")),
        "the bell"
    );
    let (status, page) = a.page("zhang.wei@demo.example", "/notifications").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("提到了你") && page.contains("投诉的事"));
    assert!(
        page.contains("<time title=\"20") && page.contains(">刚刚</time>"),
        "how long ago, the exact time on hover"
    );
    let s = a.app.login("zhang.wei@demo.example", "demo-2026", None, "test").await.expect("login");
    let get = |path: String, secret: String| {
        axum::http::Request::get(path)
            .header("cookie", format!("tandem_session={secret}"))
            .body(axum::body::Body::empty())
            .expect("req")
    };
    let r = a.raw(get(format!("/notifications/{}", to_zhang[0].id), s.secret.clone())).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers.get("location").and_then(|l| l.to_str().ok()),
        Some(format!("/objectives/{oid}#comments").as_str())
    );
    assert_eq!(a.app.unread_notifications(&me).await.expect("count"), unread - 1);
    // Someone else's is not found.
    let lin = a.app.login("lin.xiao@demo.example", "demo-2026", None, "test").await.expect("login");
    let r = a.raw(get(format!("/notifications/{}", to_zhang[0].id), lin.secret.clone())).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // All read: the bell is quiet.
    let (status, _, _) = a.form("zhang.wei@demo.example", "/notifications/read", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(a.app.unread_notifications(&me).await.expect("count"), 0);
    let (_, html) = a.page("zhang.wei@demo.example", "/goals").await;
    assert!(!html.contains("<span class=\"count\">"));

    // A decided change request reaches the one who asked.
    let li = a.login("li.na@demo.example").await;
    let zid = a.id_of("/api/v1/people", &li, "email", "zhang.wei@demo.example").await;
    let kpi = a.items(&format!("/api/v1/kpis?owner={zid}"), &li).await.into_iter().next().expect("kpi");
    let r = a
        .call(
            "POST",
            &format!("/api/v1/kpis/{}/change-requests", kpi["id"]),
            Some(&li),
            Some(json!({"changes": {"target": 2.8}, "reason": "设备延期"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let rid = r.body["id"].as_i64().expect("request");
    let r = a
        .call(
            "POST",
            &format!("/api/v1/kpi-change-requests/{rid}/decision"),
            Some(&hr),
            Some(json!({"approve": true, "note": "同意"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let decided = told("li.na@demo.example", "kpi_change_decided").await;
    assert!(decided.iter().any(|n| n.body.contains("同意") && n.href == "/kpis/requests"), "{decided:?}");
}
