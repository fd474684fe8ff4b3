//! CSV exports on SQLite and PostgreSQL: what the caller may see and nothing more.

use axum::http::StatusCode;
use tandem_store::on_both_engines;
use tandem_store::testing::TestDb;

mod common;
use common::*;

on_both_engines! {
    exports_hold_only_what_the_caller_may_see => exports;
}

async fn exports(t: &TestDb) {
    let a = api(t).await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let lin = a.login("lin.xiao@demo.example").await;
    let li = a.login("li.na@demo.example").await;
    let cycle = a
        .items("/api/v1/cycles", &zhang)
        .await
        .into_iter()
        .find(|c| c["kind"] == "quarter" && c["state"] == "active")
        .and_then(|c| c["id"].as_i64())
        .expect("quarter");
    let get = |path: String, who: String| {
        let a = &a;
        async move {
            let r = a.call("GET", &path, Some(&who), None).await;
            assert_eq!(r.status, StatusCode::OK, "{path}");
            let text = r.body.as_str().unwrap_or_default().to_string();
            assert!(text.starts_with('\u{feff}'), "a BOM for spreadsheet programs");
            assert_eq!(r.headers.get("content-type").and_then(|v| v.to_str().ok()), Some("text/csv; charset=utf-8"));
            text
        }
    };
    let draft = "完成本季度的各项工作任务";
    let mine = get(format!("/api/v1/export/goals.csv?cycle={cycle}"), zhang.clone()).await;
    assert!(mine.lines().next().is_some_and(|h| h.contains("objective,owner")));
    assert!(mine.contains("让值班时段的出品又快又稳") && mine.contains(draft), "his own draft is his");
    let theirs = get(format!("/api/v1/export/goals.csv?cycle={cycle}"), lin.clone()).await;
    assert!(
        theirs.contains("让值班时段的出品又快又稳") && !theirs.contains(draft),
        "published is public, drafts are not"
    );
    let secret = "收银差错率";
    assert!(!get("/api/v1/export/kpis.csv".into(), lin.clone()).await.contains(secret), "a private KPI stays private");
    assert!(!get("/api/v1/export/kpis.csv".into(), zhang.clone()).await.contains(secret), "not even for a peer");
    let managers = get("/api/v1/export/kpis.csv".into(), li.clone()).await;
    let rows = managers.lines().filter(|l| l.contains(secret)).count();
    assert_eq!(rows, 3, "her report's KPI with its three months of values");
    let checks = get(format!("/api/v1/export/check-ins.csv?cycle={cycle}"), zhang.clone()).await;
    assert!(checks.lines().count() > 5, "the demo's weekly history");
    assert!(checks.contains("高峰时段平均出杯时间从4分钟降至2.5分钟"));
    let r = a.call("GET", "/api/v1/export/goals.csv", Some(&zhang), None).await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("cycle")));

    // Item 7 of the security issue: a title or check-in text that a spreadsheet would run.
    let planted = "=HYPERLINK(\"http://example.invalid/\",\"点我\")";
    let r = a
        .call(
            "POST",
            "/api/v1/objectives",
            Some(&zhang),
            Some(serde_json::json!({"title": planted, "cycle": cycle, "publish": true,
                "key_results": [{"title": "门店复购率从30%提升至40%", "target": 40}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let kr = r.body["key_results"][0]["id"].as_i64().expect("kr");
    let note = serde_json::json!({"value": 31, "confidence": 6, "progress": "@SUM(1+1)*cmd|' /C calc'!A0"});
    let r = a.call("POST", &format!("/api/v1/key-results/{kr}/check-ins"), Some(&zhang), Some(note)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    for path in
        [format!("/api/v1/export/goals.csv?cycle={cycle}"), format!("/api/v1/export/check-ins.csv?cycle={cycle}")]
    {
        let text = get(path.clone(), li.clone()).await;
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        let cells: Vec<String> =
            rdr.records().flat_map(|r| r.expect("csv").iter().map(String::from).collect::<Vec<_>>()).collect();
        assert!(cells.iter().any(|c| c.contains("HYPERLINK")), "{path}: the planted title is there");
        if path.contains("check-ins") {
            assert!(cells.iter().any(|c| c.contains("SUM(1+1)")), "the planted check-in text is there");
        }
        let live: Vec<&String> = cells.iter().filter(|c| c.starts_with(['=', '+', '@', '\t', '\r'])).collect();
        assert!(live.is_empty(), "{path}: {live:?}");
    }
}
