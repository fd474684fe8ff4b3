//! Seeing people and teams, on SQLite and on PostgreSQL: a person's page (their OKRs, the KPIs
//! the viewer may see, their latest check-ins and red lights; their name links there from goals
//! and KPIs) and the KPI board narrowed to a person, a unit or a status.

use axum::http::StatusCode;
use tandem_store::on_both_engines;
use tandem_store::testing::TestDb;

on_both_engines! {
    a_person_page_shows_goals_and_only_the_kpis_the_viewer_may_see => person_page;
    the_kpi_board_filters_by_person_unit_and_status => board_filters;
    a_person_sees_times_in_their_own_time_zone => own_time_zone;
    a_managers_home_shows_what_the_team_still_owes => team_owed;
}

mod common;
use common::*;

async fn person_page(t: &TestDb) {
    let a = api(t).await;
    let li = a.login("li.na@demo.example").await;
    let zhang = a.id_of("/api/v1/people", &li, "email", "zhang.wei@demo.example").await;
    let kpis = a.items(&format!("/api/v1/kpis?owner={zhang}"), &li).await;
    let kpi = kpis.first().and_then(|k| k["name"].as_str()).expect("zhang.wei has a KPI").to_string();
    let cycle = a.active_quarter(&li).await;
    let objectives = a.items(&format!("/api/v1/objectives?owner={zhang}&cycle={cycle}"), &li).await;
    let published: Vec<&str> =
        objectives.iter().filter(|o| o["status"] == "published").filter_map(|o| o["title"].as_str()).collect();
    assert!(!published.is_empty());

    // The manager: OKRs, the KPI, check-ins with their notes, the red light.
    let (status, html) = a.page("li.na@demo.example", &format!("/people/{zhang}")).await;
    assert_eq!(status, StatusCode::OK);
    for title in &published {
        assert!(html.contains(title), "the manager sees the objective {title}");
    }
    assert!(html.contains(&kpi), "the manager sees the KPI");
    assert!(html.contains("id=\"person-check-ins\"") && html.contains("→"), "latest check-ins");
    assert!(html.contains("class=\"avatar big\""), "an avatar with initials");
    let alerts: Vec<_> = a.items("/api/v1/alerts", &li).await.into_iter().filter(|x| x["owner"] == zhang).collect();
    assert!(!alerts.is_empty(), "the demo gives zhang.wei a red light");
    let section = &html[html.find("id=\"person-red-lights\"").expect("red lights")..];
    let section = &section[..section.find("</section>").expect("end")];
    for x in &alerts {
        assert!(section.contains(x["subject_title"].as_str().expect("title")), "{x}");
    }

    // A colleague outside the chain: the OKRs (public), not the KPI (private).
    let (status, html) = a.page("lin.xiao@demo.example", &format!("/people/{zhang}")).await;
    assert_eq!(status, StatusCode::OK);
    for title in &published {
        assert!(html.contains(title), "OKRs are public: {title}");
    }
    assert!(!html.contains(&kpi), "the KPI stays private, its red lights too");
    assert!(html.contains("没有你可以查看的 KPI"), "and the page says why there is none");

    // Names link to the person: on an objective's page and on the KPI board.
    let id = objectives.iter().find(|o| o["status"] == "published").and_then(|o| o["id"].as_i64()).expect("id");
    let (_, html) = a.page("lin.xiao@demo.example", &format!("/objectives/{id}")).await;
    assert!(html.contains(&format!("class=\"person-link\" href=\"/people/{zhang}\"")), "the owner's name links");
    let (_, html) = a.page("li.na@demo.example", "/kpis").await;
    assert!(html.contains(&format!("href=\"/people/{zhang}\"")), "the KPI owner's name links");
}

/// The KPI rows of a board page: (id, their text).
fn rows(html: &str) -> Vec<String> {
    html.split("<tr id=\"kpi-").skip(1).map(|r| r[..r.find("</tr>").unwrap_or(r.len())].to_string()).collect()
}

async fn board_filters(t: &TestDb) {
    let a = api(t).await;
    let hr = a.login("hr@demo.example").await;
    let all = a.items("/api/v1/kpis", &hr).await;
    let (_, html) = a.page("hr@demo.example", "/kpis").await;
    assert_eq!(rows(&html).len(), all.len(), "unfiltered: every KPI HR may see");

    // By person: only theirs, and the page says how many of how many.
    let (_, html) = a.page("hr@demo.example", "/kpis?q=%E5%BC%A0%E4%BC%9F").await;
    let mine = all.iter().filter(|k| k["owner_name"] == "张伟").count();
    assert!(mine > 0);
    assert_eq!(rows(&html).len(), mine, "张伟's KPIs");
    assert!(html.contains(&format!("{mine} / {}", all.len())));
    // By unit, with the units below: a store's KPIs are among its region's.
    let zhang = a.id_of("/api/v1/people", &hr, "email", "zhang.wei@demo.example").await;
    let person = a.call("GET", &format!("/api/v1/people/{zhang}"), Some(&hr), None).await.body;
    let unit = person["org_unit_name"].as_str().expect("zhang.wei's unit").to_string();
    let enc = |v: &str| v.bytes().map(|b| format!("%{b:02X}")).collect::<String>();
    let (_, html) = a.page("hr@demo.example", &format!("/kpis?unit={}", enc(&unit))).await;
    let found = rows(&html);
    assert!(found.len() >= mine && found.len() < all.len(), "{} of {}", found.len(), all.len());
    assert!(found.iter().filter(|r| r.contains("张伟")).count() == mine);
    // By status: each row's latest value has it.
    for status in ["pass", "warn", "fail"] {
        let (_, html) = a.page("hr@demo.example", &format!("/kpis?status={status}")).await;
        for r in rows(&html) {
            assert!(r.contains(&format!("kpi-tag-{status}")), "{status}: {r}");
        }
    }
    // Nothing matches: the page says so and offers the way back.
    let (_, html) = a.page("hr@demo.example", "/kpis?q=zzzz-nobody").await;
    assert!(rows(&html).is_empty() && html.contains("没有符合条件的 KPI") && html.contains("清除筛选"));
    // A member's board stays their own, whatever they filter by.
    let lin = a.login("lin.xiao@demo.example").await;
    let own = a.items("/api/v1/kpis", &lin).await.len();
    let (_, html) = a.page("lin.xiao@demo.example", "/kpis?q=%E5%BC%A0%E4%BC%9F").await;
    assert!(rows(&html).len() <= own && !html.contains("高峰时段平均出杯时间"), "no one else's KPI");
}

async fn own_time_zone(t: &TestDb) {
    let a = api(t).await;
    let s = a.app.login("zhang.wei@demo.example", "demo-2026", None, "test").await.expect("login");
    assert_eq!(s.session.zone.name(), "Asia/Shanghai", "the company's by default");
    // A zone that does not exist is refused, named by its label, what was typed kept.
    let (status, _, html) =
        a.form("zhang.wei@demo.example", "/account/time-zone", &[("time_zone", "Mars/Olympus_Mons")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("我的时区") && html.contains("value=\"Mars/Olympus_Mons\""), "kept and named");
    // His own: his pages show times in it.
    let (status, location, _) =
        a.form("zhang.wei@demo.example", "/account/time-zone", &[("time_zone", "America/New_York")]).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/account?ok=saved#my-time-zone")));
    let s = a.app.login("zhang.wei@demo.example", "demo-2026", None, "test").await.expect("login");
    assert_eq!(s.session.zone.name(), "America/New_York");
    let (_, html) = a.page("zhang.wei@demo.example", "/account").await;
    assert!(html.contains("value=\"America/New_York\""));
    let other = a.app.login("li.na@demo.example", "demo-2026", None, "test").await.expect("login");
    assert_eq!(other.session.zone.name(), "Asia/Shanghai", "nobody else's changes");
    // Empty follows the company's again.
    a.form("zhang.wei@demo.example", "/account/time-zone", &[("time_zone", "")]).await;
    let s = a.app.login("zhang.wei@demo.example", "demo-2026", None, "test").await.expect("login");
    assert_eq!(s.session.zone.name(), "Asia/Shanghai");
}

async fn team_owed(t: &TestDb) {
    let a = api(t).await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let owed = a.items("/api/v1/me/inbox", &zhang).await;
    let krs: Vec<i64> =
        owed.iter().filter(|o| o["kind"] == "key_result").filter_map(|o| o["key_result"].as_i64()).collect();
    assert!(!krs.is_empty(), "zhang.wei owes check-ins this week: {owed:?}");
    let zid = a.id_of("/api/v1/people", &zhang, "email", "zhang.wei@demo.example").await;
    // His manager's home names him and how many he still owes, linked to his page.
    let (_, home) = a.page("li.na@demo.example", "/goals").await;
    let section = &home[home.find("id=\"team-owed\"").expect("the team's owed check-ins")..];
    let section = &section[..section.find("</ul>").expect("end")];
    assert!(section.contains(&format!("href=\"/people/{zid}\">张伟</a>")), "{section}");
    assert!(section.contains(&format!("{} 个关键结果", krs.len())), "{section}");
    // A member leads nobody: no such section.
    let (_, home) = a.page("zhang.wei@demo.example", "/goals").await;
    assert!(!home.contains("id=\"team-owed\""));
    // Once he has checked in on all of them, he is off her list.
    for kr in &krs {
        let k = a.call("GET", &format!("/api/v1/key-results/{kr}"), Some(&zhang), None).await.body;
        let r = a
            .call(
                "POST",
                &format!("/api/v1/key-results/{kr}/check-ins"),
                Some(&zhang),
                Some(serde_json::json!({"value": k["current"], "confidence": 6})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let (_, home) = a.page("li.na@demo.example", "/goals").await;
    assert!(
        !home.contains(&format!("href=\"/people/{zid}\">张伟</a> <span class=\"muted small\">·")),
        "he owes nothing now"
    );
}
