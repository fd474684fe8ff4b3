//! Pages that grow with the company, on SQLite and on PostgreSQL: an objective's history and
//! check-in logs come a page at a time, and its pickers (parent, KPI owner, shared unit,
//! metric) list the likely choices and a search instead of every objective or person.

use axum::http::StatusCode;
use serde_json::{Value, json};
use tandem_store::on_both_engines;
use tandem_store::testing::TestDb;

on_both_engines! {
    long_histories_come_a_page_at_a_time => paged_history;
    pickers_search_instead_of_listing_everything => pickers;
}

mod common;
use common::*;

async fn paged_history(t: &TestDb) {
    let start = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000) as i64;
    let clock = std::sync::Arc::new(tandem_app::clock::FixedClock::new(start));
    let a = api_with_clock(t, clock.clone()).await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let cycle = a.active_quarter(&zhang).await;
    let minute = 60_000_000;
    // A draft reworded twice before it is published: outsiders see its history from publication.
    let r = a
        .call(
            "POST",
            "/api/v1/objectives",
            Some(&zhang),
            Some(json!({"title": "草稿一", "cycle": cycle, "key_results": [{"title": "会员复购率从30%提升至40%", "baseline": 30, "target": 40}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let oid = r.body["id"].as_i64().expect("id");
    let kr = r.body["key_results"][0]["id"].as_i64().expect("kr");
    for (i, patch) in [json!({"title": "草稿二"}), json!({"title": "让会员愿意再来"}), json!({"status": "published"})]
        .into_iter()
        .enumerate()
    {
        clock.advance(minute * (i as i64 + 1));
        let r = a.call("PATCH", &format!("/api/v1/objectives/{oid}"), Some(&zhang), Some(patch)).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    for v in 0..27 {
        clock.advance(minute);
        let body = json!({"value": 30.0 + f64::from(v) * 0.3, "confidence": 7, "progress": format!("第{v}次")});
        let r = a.call("POST", &format!("/api/v1/key-results/{kr}/check-ins"), Some(&zhang), Some(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }

    // Every page, newest first, put together is the whole history, for the author (who saw
    // the draft) and for a colleague (who did not).
    for email in ["zhang.wei@demo.example", "lin.xiao@demo.example"] {
        let who = a.app.operator_actor("demo", email).await.expect("actor");
        let whole = a.app.objective_history(&who, oid).await.expect("history");
        assert!(whole.len() > 27, "{email}: {} events", whole.len());
        for per_page in [1, 7, 20, 1000] {
            let mut pages = vec![];
            for page in 0.. {
                let (events, total) = a.app.objective_history_page(&who, oid, page, per_page).await.expect("page");
                assert_eq!(total, whole.len(), "{email}, {per_page} a page: the count");
                if events.is_empty() {
                    break;
                }
                assert!(events.len() <= per_page);
                pages.push(events);
            }
            let joined: Vec<_> = pages.into_iter().rev().flatten().collect();
            assert_eq!(joined, whole, "{email}, {per_page} a page");
        }
    }
    let lin = a.app.operator_actor("demo", "lin.xiao@demo.example").await.expect("actor");
    let seen = a.app.objective_history(&lin, oid).await.expect("history");
    assert!(
        seen.iter().all(|e| !e.after.as_ref().is_some_and(|v| v.to_string().contains("草稿"))),
        "the draft's wording stays private"
    );

    // The page: 20 events and a pager; 5 check-ins under the key result and a link to the rest.
    let (status, html) = a.page("lin.xiao@demo.example", &format!("/objectives/{oid}")).await;
    assert_eq!(status, StatusCode::OK);
    let pages = seen.len().div_ceil(20);
    assert!(html.contains(&format!("1 / {pages}")), "a history pager");
    assert!(html.contains(&format!("/objectives/{oid}?history=1#history")), "a link to older events");
    assert!(html.contains("查看全部打卡 (27)"), "the rest of the log is a click away");
    let log = &html[html.find("class=\"checkin-log\"").expect("a log")..];
    let log = &log[..log.find("</ul>").expect("log end")];
    assert_eq!(log.matches("<li>").count(), 5, "the five newest check-ins: {log}");
    assert!(log.contains("第26次") && log.contains("第22次") && !log.contains("第21次"));
    let (_, older) = a.page("lin.xiao@demo.example", &format!("/objectives/{oid}?history={}", pages - 1)).await;
    assert!(older.contains(&format!("{pages} / {pages}")));
    assert!(older.contains("让会员愿意再来"), "the oldest page starts at publication");
    assert!(!older.contains("草稿一"), "and shows nothing of the draft");
    let (_, log) = a.page("lin.xiao@demo.example", &format!("/objectives/{oid}?log={kr}")).await;
    assert!(log.contains("1 / 2") && log.contains("第26次") && log.contains("第7次") && !log.contains("第6次"));
    let (_, log) = a.page("lin.xiao@demo.example", &format!("/objectives/{oid}?log={kr}&log_page=1")).await;
    assert!(log.contains("2 / 2") && log.contains("第6次") && log.contains("第0次") && !log.contains("第7次"));
    // A page past the end is empty, not an error; a page number that is not one is refused.
    let (status, _) = a.page("lin.xiao@demo.example", &format!("/objectives/{oid}?history=999999999999")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = a.page("lin.xiao@demo.example", &format!("/objectives/{oid}?history=-1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// The options of the `<select>` with this id, as (value, label).
fn options(html: &str, id: &str) -> Vec<(String, String)> {
    let at = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no select {id}"));
    let end = at + html[at..].find("</select>").expect("select end");
    html[at..end]
        .split("<option value=\"")
        .skip(1)
        .map(|o| {
            let value = o.split('"').next().unwrap_or_default().to_string();
            let label = o.split('>').nth(1).unwrap_or_default().split('<').next().unwrap_or_default().to_string();
            (value, label)
        })
        .collect()
}

async fn pickers(t: &TestDb) {
    let a = api(t).await;
    let ceo = a.login("ceo@demo.example").await;
    let cycle = a.active_quarter(&ceo).await;
    let objs = a.items(&format!("/api/v1/objectives?cycle={cycle}"), &ceo).await;
    let mine = objs.iter().find(|o| o["owner_name"] == "陈总").or_else(|| objs.first()).expect("an objective");
    let id = mine["id"].as_i64().expect("id");

    // A small company: every choice is listed, no search box.
    let (_, html) = a.page("ceo@demo.example", &format!("/objectives/{id}")).await;
    let listed = options(&html, "e-parent");
    assert!(listed.len() > 3, "{listed:?}");
    assert!(!html.contains("name=\"parent_q\""), "no search among a few");
    assert!(listed.iter().all(|(v, _)| v != &id.to_string()), "not aligned to itself");

    // Sixty more objectives: the parent select lists the likely ones and offers a search.
    let mut made: Vec<i64> = vec![];
    for i in 0..60 {
        let title = format!("拓展第{i}号城市的加盟门店");
        let body = json!({"title": title, "cycle": cycle, "status": "published", "key_results": [{"title": "加盟门店从0家增加到3家", "target": 3}]});
        let r = a.call("POST", "/api/v1/objectives", Some(&ceo), Some(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        let oid = r.body["id"].as_i64().expect("id");
        if r.body["status"] != "published" {
            let r = a
                .call("PATCH", &format!("/api/v1/objectives/{oid}"), Some(&ceo), Some(json!({"status": "published"})))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        }
        made.push(oid);
    }
    let (_, html) = a.page("ceo@demo.example", &format!("/objectives/{id}")).await;
    let few = options(&html, "e-parent");
    assert!(few.len() <= 51, "{} options", few.len());
    assert!(html.contains("name=\"parent_q\""), "a search box");
    // Searching without JavaScript: the same page, the section open, the match listed.
    let (_, html) = a
        .page("ceo@demo.example", &format!("/objectives/{id}?parent_q=%E7%AC%AC42%E5%8F%B7&open=edit-objective"))
        .await;
    let found = options(&html, "e-parent");
    assert!(found.iter().any(|(v, l)| v == &made[42].to_string() && l.contains("拓展第42号城市")), "{found:?}");
    assert!(found.iter().all(|(v, _)| v.is_empty() || v == &made[42].to_string()), "only the match: {found:?}");
    assert!(html.contains("id=\"edit-objective\" style=\"padding:.8rem 1.2rem\" open"), "the form is open again");
    // With JavaScript: the same choices as JSON.
    let s = a.app.login("ceo@demo.example", "demo-2026", None, "test").await.expect("login");
    let get = |path: String| {
        axum::http::Request::get(path)
            .header("cookie", format!("tandem_session={}", s.secret))
            .body(axum::body::Body::empty())
            .expect("req")
    };
    let r = a.raw(get(format!("/pick/objective?q=%E7%AC%AC42%E5%8F%B7&of={id}"))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["options"][0][0], json!(made[42]), "{:?}", r.body);
    // An objective cannot be aligned below itself: its own aligned objective is not offered.
    let child = a
        .call(
            "POST",
            "/api/v1/objectives",
            Some(&ceo),
            Some(json!({"title": "子目标：城市加盟试点", "cycle": cycle, "parent": made[0], "key_results": [{"title": "试点城市从0个增加到2个", "target": 2}]})),
        )
        .await;
    let child = child.body["id"].as_i64().expect("child");
    a.call("PATCH", &format!("/api/v1/objectives/{child}"), Some(&ceo), Some(json!({"status": "published"}))).await;
    let r = a
        .raw(get(format!("/pick/objective?q=%E5%9F%8E%E5%B8%82%E5%8A%A0%E7%9B%9F%E8%AF%95%E7%82%B9&of={}", made[0])))
        .await;
    assert!(r.body["options"].as_array().expect("options").iter().all(|o| o[0] != json!(child)), "{:?}", r.body);
    // Someone who may not see an objective gets nothing about it.
    let r = a.raw(get("/pick/objective?q=x&of=999999999".into())).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // People: the KPI owner picker finds a person by name; a member may set KPIs for nobody
    // else, so it offers nobody else.
    let r = a.raw(get(format!("/pick/person?q={}", "%E6%9E%97"))).await;
    let people: Vec<Value> = r.body["options"].as_array().cloned().unwrap_or_default();
    assert!(people.iter().any(|p| p[1].as_str().is_some_and(|l| l.contains('林'))), "{:?}", r.body);
    let lin = a.app.login("lin.xiao@demo.example", "demo-2026", None, "test").await.expect("login");
    let req = axum::http::Request::get("/pick/person?q=")
        .header("cookie", format!("tandem_session={}", lin.secret))
        .body(axum::body::Body::empty())
        .expect("req");
    let r = a.raw(req).await;
    assert!(r.body["options"].as_array().is_some_and(|o| o.len() <= 1), "{:?}", r.body);
}
