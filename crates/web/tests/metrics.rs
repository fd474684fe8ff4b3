//! Metrics through the API, on SQLite and PostgreSQL: pushed points are checked all before any
//! is written and are idempotent; bound key results and KPIs follow the points and say where
//! their value came from; ingestion tokens push and do nothing else.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tandem_store::on_both_engines;
use tandem_store::testing::TestDb;

mod common;
use common::*;

on_both_engines! {
    pushed_points_are_all_or_nothing_and_idempotent => push;
    bound_key_results_and_kpis_follow_their_metric => bindings;
    a_metric_feeding_a_kpi_is_read_and_bound_only_by_that_kpis_circle => private_metric;
    an_ingestion_token_pushes_and_does_nothing_else => ingest_token;
    a_csv_file_is_imported_whole_or_not_at_all => csv_import;
}

fn iso(us: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000).expect("time");
    t.format(&time::format_description::well_known::Rfc3339).expect("format")
}

fn now_us() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000) as i64
}

async fn new_metric(a: &Api, admin: &str, name: &str) -> i64 {
    let r = a.call("POST", "/api/v1/metrics", Some(admin), Some(json!({"name": name, "unit": "件"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_i64().expect("id")
}

async fn push_with_key(a: &Api, token: &str, metric: i64, points: &[Value], key: &str) -> (StatusCode, Value) {
    let req = Request::post(format!("/api/v1/metrics/{metric}/points"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header("idempotency-key", key)
        .body(Body::from(json!({"points": points}).to_string()))
        .expect("req");
    let r = a.raw(req).await;
    (r.status, r.body)
}

async fn push(t: &TestDb) {
    let a = api(t).await;
    let admin = a.login("admin@demo.example").await;
    let m = new_metric(&a, &admin, "门店投诉").await;
    let path = format!("/api/v1/metrics/{m}/points");
    let now = now_us();
    let pts: Vec<Value> = (0..1000)
        .map(|i| json!({"time": iso(now - i * 60_000_000), "value": i as f64, "external_id": format!("p-{i}")}))
        .collect();
    let r = a.call("POST", &path, Some(&admin), Some(json!({"points": pts}))).await;
    assert_eq!(
        (r.status, r.body["inserted"].as_i64(), r.body["unchanged"].as_i64()),
        (StatusCode::OK, Some(1000), Some(0))
    );
    let r = a.call("POST", &path, Some(&admin), Some(json!({"points": pts}))).await;
    assert_eq!(
        (r.body["inserted"].as_i64(), r.body["unchanged"].as_i64()),
        (Some(0), Some(1000)),
        "resending changes nothing"
    );
    // One bad point rejects the batch; every bad field is named.
    let mut bad = pts[..5].to_vec();
    bad[0] = json!({"time": iso(now), "value": 1.0, "external_id": "fresh"});
    bad.push(json!({"time": "not a time", "value": "abc", "external_id": "bad"}));
    let r = a.call("POST", &path, Some(&admin), Some(json!({"points": bad}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let named: Vec<(i64, String)> = r.body["error"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|e| (e["row"].as_i64().unwrap_or(0), e["column"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(named, vec![(6, "time".to_string()), (6, "value".to_string())]);
    let listed = a.call("GET", &format!("{path}?limit=10"), Some(&admin), None).await.body;
    assert_eq!(listed["total"].as_i64(), Some(1000), "nothing of the rejected batch was written");
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(10));
    assert_eq!(listed["items"][0]["source"], "push");
    // An idempotency key: the same key answers as the first time and writes nothing more.
    let fresh: Vec<Value> = (0..3).map(|i| json!({"time": iso(now + i), "value": 1.0})).collect();
    let first = push_with_key(&a, &admin, m, &fresh, "batch-42").await;
    assert_eq!((first.0, first.1["inserted"].as_i64()), (StatusCode::OK, Some(3)));
    let again = push_with_key(&a, &admin, m, &fresh, "batch-42").await;
    assert_eq!(again.1, first.1, "the first answer again");
    // Item 14 of the security issue: the same key with other points was silently dropped.
    let other: Vec<Value> = (0..3).map(|i| json!({"time": iso(now + i), "value": 7.0})).collect();
    let r = push_with_key(&a, &admin, m, &other, "batch-42").await;
    assert_eq!(
        (r.0, r.1["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("idempotency_key_reused"))
    );
    let clash = json!({"points": [
        {"time": iso(now + 10), "value": 1.0, "external_id": "dup"},
        {"time": iso(now + 10), "value": 2.0, "external_id": "dup"},
    ]});
    let r = a.call("POST", &path, Some(&admin), Some(clash)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let rows: Vec<u64> =
        r.body["error"]["rows"].as_array().expect("rows").iter().filter_map(|e| e["row"].as_u64()).collect();
    assert_eq!(rows, vec![1, 2], "both points named");
    let r = a.call("POST", &path, Some(&admin), Some(json!({"points": []}))).await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("points")),
        "an empty batch"
    );
    let listed = a.call("GET", &path, Some(&admin), None).await.body;
    assert_eq!(listed["total"].as_i64(), Some(1003), "points without external ids were not written twice");
    // Limits and rights.
    let many: Vec<Value> = (0..10_001).map(|i| json!({"time": iso(now), "value": i})).collect();
    let r = a.call("POST", &path, Some(&admin), Some(json!({"points": many}))).await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("points")));
    let zhang = a.login("zhang.wei@demo.example").await;
    assert_eq!(a.call("POST", &path, Some(&zhang), Some(json!({"points": fresh}))).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.call("GET", &path, Some(&zhang), None).await.status,
        StatusCode::OK,
        "a metric feeding no KPI is business data: whoever may bind it may read it"
    );
    assert_eq!(
        a.call("POST", "/api/v1/metrics/99999999/points", Some(&admin), Some(json!({"points": fresh}))).await.status,
        StatusCode::NOT_FOUND
    );
    let r = a.call("POST", "/api/v1/metrics", Some(&admin), Some(json!({"name": "门店投诉"}))).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "metric names are unique");
    assert_eq!(
        a.call("POST", "/api/v1/metrics", Some(&zhang), Some(json!({"name": "x"}))).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn bindings(t: &TestDb) {
    let a = api(t).await;
    let admin = a.login("admin@demo.example").await;
    let li = a.login("li.na@demo.example").await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let m = new_metric(&a, &admin, "值班投诉").await;
    let o = a
        .items("/api/v1/objectives", &zhang)
        .await
        .into_iter()
        .find(|o| o["owner_name"] == "张伟" && o["status"] == "published")
        .expect("objective");
    let kr = o["key_results"][1]["id"].as_i64().expect("kr");
    let bind = json!({"metric": m, "aggregation": "latest"});
    let lin = a.login("lin.xiao@demo.example").await;
    assert_eq!(
        a.call("PUT", &format!("/api/v1/key-results/{kr}/binding"), Some(&lin), Some(bind.clone())).await.status,
        StatusCode::FORBIDDEN
    );
    let r = a
        .call(
            "PUT",
            &format!("/api/v1/key-results/{kr}/binding"),
            Some(&li),
            Some(json!({"metric": m, "aggregation": "median"})),
        )
        .await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("aggregation")));
    let r = a.call("PUT", &format!("/api/v1/key-results/{kr}/binding"), Some(&li), Some(bind)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["stale"], true, "no data yet");
    let before = a.call("GET", &format!("/api/v1/objectives/{}", o["id"]), Some(&zhang), None).await.body;
    // 6 → 2 complaints; the metric says 3 now.
    let now = now_us();
    let pts = json!({"points": [
        {"time": iso(now - 3_600_000_000), "value": 4.0, "external_id": "a"},
        {"time": iso(now - 60_000_000), "value": 3.0, "external_id": "b"},
    ]});
    let r = a.call("POST", &format!("/api/v1/metrics/{m}/points"), Some(&admin), Some(pts)).await;
    assert_eq!(r.status, StatusCode::OK);
    let k = a.call("GET", &format!("/api/v1/key-results/{kr}"), Some(&zhang), None).await.body;
    assert_eq!(k["current"].as_f64(), Some(3.0), "the latest point by time");
    let history = a.items(&format!("/api/v1/key-results/{kr}/check-ins"), &zhang).await;
    assert_eq!(history[0]["source"], format!("metric:{m}"), "the check-in names its source");
    assert!(history[0]["confidence"].is_null(), "data carries no confidence");
    let after = a.call("GET", &format!("/api/v1/objectives/{}", o["id"]), Some(&zhang), None).await.body;
    assert!(after["score"].as_f64() > before["score"].as_f64(), "the objective moved");
    // An older point does not change the latest value: no new check-in.
    let n = history.len();
    let old = json!({"points": [{"time": iso(now - 7_200_000_000), "value": 5.0, "external_id": "c"}]});
    a.call("POST", &format!("/api/v1/metrics/{m}/points"), Some(&admin), Some(old)).await;
    assert_eq!(a.items(&format!("/api/v1/key-results/{kr}/check-ins"), &zhang).await.len(), n);
    let b = a.call("GET", &format!("/api/v1/key-results/{kr}/binding"), Some(&zhang), None).await;
    assert_eq!((b.status, b.body["stale"].as_bool()), (StatusCode::OK, Some(false)));
    // A KPI takes each period's mean; only its circle may bind it.
    let kpi = a.items("/api/v1/kpis", &li).await.into_iter().find(|k| k["name"] == "收银差错率").expect("kpi");
    let kid = kpi["id"].as_i64().expect("id");
    let errors = new_metric(&a, &admin, "收银差错").await;
    let bind = json!({"metric": errors, "aggregation": "mean"});
    assert_eq!(
        a.call("PUT", &format!("/api/v1/kpis/{kid}/binding"), Some(&zhang), Some(bind.clone())).await.status,
        StatusCode::NOT_FOUND,
        "private to its circle"
    );
    assert_eq!(
        a.call("PUT", &format!("/api/v1/kpis/{kid}/binding"), Some(&li), Some(bind)).await.status,
        StatusCode::OK
    );
    let pts = json!({"points": [{"time": iso(now - 1_000_000), "value": 0.3}, {"time": iso(now), "value": 0.5}]});
    a.call("POST", &format!("/api/v1/metrics/{errors}/points"), Some(&admin), Some(pts)).await;
    let today = time::OffsetDateTime::now_utc().date();
    let period = format!("{}-{:02}", today.year(), today.month() as u8);
    let values = a.items(&format!("/api/v1/kpis/{kid}/values"), &li).await;
    let v = values.iter().find(|v| v["period"] == period.as_str()).expect("this month");
    assert!((v["value"].as_f64().unwrap_or(0.0) - 0.4).abs() < 1e-9, "{v}");
    assert_eq!(v["source"], format!("metric:{errors}"));
    // A person may still check in on a bound KR; binding another KR to the same metric leaves it
    // alone.
    let r = a
        .call(
            "POST",
            &format!("/api/v1/key-results/{kr}/check-ins"),
            Some(&zhang),
            Some(json!({"value": 2.6, "confidence": 6})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let other = o["key_results"][0]["id"].as_i64().expect("kr");
    let bind = json!({"metric": m, "aggregation": "latest"});
    assert_eq!(
        a.call("PUT", &format!("/api/v1/key-results/{other}/binding"), Some(&li), Some(bind)).await.status,
        StatusCode::OK
    );
    let k = a.call("GET", &format!("/api/v1/key-results/{other}"), Some(&zhang), None).await.body;
    assert_eq!(k["current"].as_f64(), Some(3.0), "the newly bound KR takes the metric's value");
    let k = a.call("GET", &format!("/api/v1/key-results/{kr}"), Some(&zhang), None).await.body;
    assert_eq!(k["current"].as_f64(), Some(2.6), "the other bound KR keeps its check-in");
    a.call("DELETE", &format!("/api/v1/key-results/{other}/binding"), Some(&li), None).await;
    // Unbinding stops the flow.
    assert_eq!(
        a.call("DELETE", &format!("/api/v1/key-results/{kr}/binding"), Some(&li), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        a.call("GET", &format!("/api/v1/key-results/{kr}/binding"), Some(&li), None).await.status,
        StatusCode::NOT_FOUND
    );
    let more = json!({"points": [{"time": iso(now_us()), "value": 2.0, "external_id": "d"}]});
    a.call("POST", &format!("/api/v1/metrics/{m}/points"), Some(&admin), Some(more)).await;
    let k = a.call("GET", &format!("/api/v1/key-results/{kr}"), Some(&zhang), None).await.body;
    assert_eq!(k["current"].as_f64(), Some(2.6), "no longer bound: the new point does not move it");
}

/// Item 1 of the security issue: a member bound his own KR to the metric feeding someone's KPI
/// and read the KPI's numbers off the KR.
async fn private_metric(t: &TestDb) {
    let a = api(t).await;
    let admin = a.login("admin@demo.example").await;
    let hr = a.login("hr@demo.example").await;
    let li = a.login("li.na@demo.example").await;
    let lin = a.login("lin.xiao@demo.example").await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let m = new_metric(&a, &admin, "收银差错（门店）").await;
    let kpi = a.items("/api/v1/kpis", &li).await.into_iter().find(|k| k["name"] == "收银差错率").expect("kpi");
    let kid = kpi["id"].as_i64().expect("id");
    let r = a
        .call(
            "PUT",
            &format!("/api/v1/kpis/{kid}/binding"),
            Some(&hr),
            Some(json!({"metric": m, "aggregation": "mean"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let pts = json!({"points": [{"time": iso(now_us() - 1_000_000), "value": 0.37}]});
    assert_eq!(
        a.call("POST", &format!("/api/v1/metrics/{m}/points"), Some(&admin), Some(pts)).await.status,
        StatusCode::OK
    );

    // Lin Xiao (R&D) is outside the KPI's circle: he may not bind his own KR to it ...
    let own = a
        .items("/api/v1/objectives", &lin)
        .await
        .into_iter()
        .find(|o| o["owner_name"] == "林晓" && o["status"] == "published")
        .expect("lin's objective");
    let kr = own["key_results"][0]["id"].as_i64().expect("kr");
    let before = a.call("GET", &format!("/api/v1/key-results/{kr}"), Some(&lin), None).await.body;
    for agg in ["latest", "max", "count"] {
        let r = a
            .call(
                "PUT",
                &format!("/api/v1/key-results/{kr}/binding"),
                Some(&lin),
                Some(json!({"metric": m, "aggregation": agg})),
            )
            .await;
        assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "metric_private"), "{agg}: {:?}", r.body);
    }
    let after = a.call("GET", &format!("/api/v1/key-results/{kr}"), Some(&lin), None).await.body;
    assert_eq!(after["current"], before["current"], "nothing was taken from the metric");
    // ... nor read its points, nor learn from the list which KPI it feeds.
    let r = a.call("GET", &format!("/api/v1/metrics/{m}/points"), Some(&lin), None).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "metric_private"));
    for who in [&lin, &zhang] {
        let listed = a.items("/api/v1/metrics", who).await;
        assert!(
            listed
                .iter()
                .flat_map(|x| x["bindings"].as_array().cloned().unwrap_or_default())
                .all(|b| b["subject_type"] != "kpi"),
            "a member's metric list names no KPI outside their circle"
        );
        let mine = listed.iter().find(|x| x["id"] == m).expect("the metric is listed");
        assert_eq!((mine["readable"].as_bool(), mine["bindable"].as_bool()), (Some(false), Some(false)));
    }
    let (_, page) = a.page("lin.xiao@demo.example", &format!("/objectives/{}", own["id"])).await;
    assert!(!page.contains("收银差错（门店）"), "the bind form does not offer it");
    // The admin runs the feeds and reads the points, but may not republish a KPI it cannot see.
    assert_eq!(a.call("GET", &format!("/api/v1/metrics/{m}/points"), Some(&admin), None).await.status, StatusCode::OK);
    let listed = a.items("/api/v1/metrics", &admin).await;
    assert!(
        listed
            .iter()
            .flat_map(|x| x["bindings"].as_array().cloned().unwrap_or_default())
            .all(|b| b["subject_type"] != "kpi")
    );

    // Li Na (the KPI owner's manager) may, and the KR then says it shows a KPI's data.
    let store = a
        .items("/api/v1/objectives", &zhang)
        .await
        .into_iter()
        .find(|o| o["owner_name"] == "张伟" && o["status"] == "published")
        .expect("zhang's objective");
    let kr = store["key_results"][0]["id"].as_i64().expect("kr");
    let r = a
        .call(
            "PUT",
            &format!("/api/v1/key-results/{kr}/binding"),
            Some(&li),
            Some(json!({"metric": m, "aggregation": "latest"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["also_feeds_kpi"], true);
    let b = a.call("GET", &format!("/api/v1/key-results/{kr}/binding"), Some(&lin), None).await;
    assert_eq!((b.status, b.body["also_feeds_kpi"].as_bool()), (StatusCode::OK, Some(true)));
    let (_, page) = a.page("lin.xiao@demo.example", &format!("/objectives/{}", store["id"])).await;
    assert!(page.contains("该指标同时用于考核 KPI"), "the KR's page says it shows a KPI's data");
}

async fn ingest_token(t: &TestDb) {
    let a = api(t).await;
    let admin = a.login("admin@demo.example").await;
    let m = new_metric(&a, &admin, "日销售额").await;
    let r =
        a.call("POST", "/api/v1/me/tokens", Some(&admin), Some(json!({"name": "pos-sync", "scope": "ingest"}))).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let token = r.body["token"].as_str().expect("token").to_string();
    assert!(token.starts_with("tdm_i_"));
    let pts = json!({"points": [{"time": iso(now_us()), "value": 12.5, "external_id": "d1"}]});
    let r = a.call("POST", &format!("/api/v1/metrics/{m}/points"), Some(&token), Some(pts)).await;
    assert_eq!((r.status, r.body["inserted"].as_i64()), (StatusCode::OK, Some(1)));
    assert_eq!(a.call("GET", "/api/v1/metrics", Some(&token), None).await.status, StatusCode::OK);
    for path in ["/api/v1/objectives", "/api/v1/kpis", "/api/v1/people", "/api/v1/me/tokens"] {
        let r = a.call("GET", path, Some(&token), None).await;
        assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "token_scope"), "{path}");
    }
    let listed = a.items("/api/v1/me/tokens", &admin).await;
    assert!(listed.iter().any(|t| t["name"] == "pos-sync" && t["scope"] == "ingest"));
    let r = a.call("POST", "/api/v1/me/tokens", Some(&admin), Some(json!({"name": "x", "scope": "root"}))).await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("scope")));
}

async fn import_csv(a: &Api, token: &str, metric: i64, body: Vec<u8>) -> (StatusCode, Value) {
    let req = Request::post(format!("/api/v1/metrics/{metric}/import?name=pos.csv"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(body))
        .expect("req");
    let r = a.raw(req).await;
    (r.status, r.body)
}

/// A CSV of points, UTF-8 or GBK: a bad line refuses the file (named by line and column); the
/// same file twice changes nothing; the points say which file they came from.
async fn csv_import(t: &TestDb) {
    let a = api(t).await;
    let admin = a.login("admin@demo.example").await;
    let m = new_metric(&a, &admin, "门店客流").await;
    let bad = "时间,数值,外部编号\n2026-11-20,120,a\n2026-11-21,很多,b\n".as_bytes().to_vec();
    let (status, body) = import_csv(&a, &admin, m, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (body["error"]["rows"][0]["row"].as_i64(), body["error"]["rows"][0]["column"].as_str()),
        (Some(3), Some("value"))
    );
    let path = format!("/api/v1/metrics/{m}/points");
    let total = || async { a.call("GET", &path, Some(&admin), None).await.body["total"].as_i64() };
    assert_eq!(total().await, Some(0), "nothing written");
    let (gbk, _, _) = encoding_rs::GBK.encode("时间,数值,外部编号\n2026-11-20,120,a\n2026-11-21 09:30,\"1,350\",b\n");
    let (status, body) = import_csv(&a, &admin, m, gbk.to_vec()).await;
    assert_eq!((status, body["inserted"].as_i64()), (StatusCode::OK, Some(2)), "{body}");
    let (_, again) = import_csv(&a, &admin, m, gbk.to_vec()).await;
    assert_eq!(again["inserted"].as_i64(), Some(0), "the same file changes nothing");
    assert_eq!(total().await, Some(2));
    let listed = a.call("GET", &format!("/api/v1/metrics/{m}/points"), Some(&admin), None).await.body;
    assert_eq!(listed["items"][0]["value"].as_f64(), Some(1350.0));
    assert_eq!(listed["items"][0]["source"], "file:pos.csv");
    let zhang = a.login("zhang.wei@demo.example").await;
    let (status, _) = import_csv(&a, &zhang, m, b"time,value\n2026-11-20,1\n".to_vec()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
