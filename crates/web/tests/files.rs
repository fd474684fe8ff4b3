//! Spreadsheets in and out, on SQLite and PostgreSQL: Excel exports hold what the caller may
//! see (numbers as numbers); KPI values and metric points come in from Excel or CSV files, all
//! rows or none, each bad row named, the same file twice changing nothing.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use calamine::{Data, Reader};
use serde_json::Value;
use tandem_store::on_both_engines;
use tandem_store::testing::TestDb;

mod common;
use common::*;

on_both_engines! {
    excel_exports_hold_only_what_the_caller_may_see => exports;
    kpi_values_come_in_from_a_workbook_whole_or_not_at_all => kpi_values;
    metric_points_come_in_from_a_workbook => points;
    okrs_come_in_from_a_sheet_whole_or_not_at_all => okr_sheet;
    hostile_files_are_refused_before_they_cost_anything => hostile;
}

async fn get_bytes(a: &Api, path: &str, token: &str) -> (StatusCode, Option<String>, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req =
        Request::get(path).header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty()).expect("req");
    let resp = a.router.clone().oneshot(req).await.expect("router");
    let status = resp.status();
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).map(String::from);
    (status, ct, resp.into_body().collect().await.expect("body").to_bytes().to_vec())
}

fn sheet(bytes: &[u8]) -> Vec<Vec<Data>> {
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("a workbook");
    let range = book.worksheet_range_at(0).expect("a sheet").expect("readable");
    range.rows().map(|r| r.to_vec()).collect()
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn post_file(a: &Api, path: &str, token: &str, bytes: Vec<u8>) -> Resp {
    let req = Request::post(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(bytes))
        .expect("req");
    a.raw(req).await
}

fn workbook(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let s = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            match v.parse::<f64>() {
                Ok(x) => s.write_number(r as u32, c as u16, x),
                Err(_) => s.write_string(r as u32, c as u16, *v),
            }
            .expect("cell");
        }
    }
    book.save_to_buffer().expect("xlsx")
}

async fn exports(t: &TestDb) {
    let a = api(t).await;
    let li = a.login("li.na@demo.example").await;
    let lin = a.login("lin.xiao@demo.example").await;
    let secret = "收银差错率";
    let (status, ct, bytes) = get_bytes(&a, "/api/v1/export/kpis.xlsx", &li).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct.as_deref(), Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
    let rows = sheet(&bytes);
    assert_eq!(text(&rows[0][1]), "kpi");
    let hers: Vec<&Vec<Data>> = rows.iter().filter(|r| text(&r[1]) == secret).collect();
    assert_eq!(hers.len(), 3, "her report's KPI with its three months");
    let value_col = rows[0].iter().position(|h| text(h) == "value").expect("value column");
    assert!(hers.iter().all(|r| matches!(r[value_col], Data::Float(_))), "values are numbers, not text");
    let (_, _, bytes) = get_bytes(&a, "/api/v1/export/kpis.xlsx", &lin).await;
    assert!(!sheet(&bytes).iter().any(|r| r.iter().any(|c| text(c) == secret)), "a private KPI stays private");
    let cycle = a
        .items("/api/v1/cycles", &li)
        .await
        .into_iter()
        .find(|c| c["kind"] == "quarter" && c["state"] == "active")
        .and_then(|c| c["id"].as_i64())
        .expect("quarter");
    let (status, _, bytes) = get_bytes(&a, &format!("/api/v1/export/goals.xlsx?cycle={cycle}"), &lin).await;
    assert_eq!(status, StatusCode::OK);
    let goals = sheet(&bytes);
    assert!(goals.iter().any(|r| text(&r[1]) == "让值班时段的出品又快又稳"));
    assert!(!goals.iter().any(|r| text(&r[1]) == "完成本季度的各项工作任务"), "someone else's draft stays out");
    let (status, _, bytes) = get_bytes(&a, &format!("/api/v1/export/check-ins.xlsx?cycle={cycle}"), &lin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(sheet(&bytes).len() > 5);
    let (status, _, _) = get_bytes(&a, "/api/v1/export/goals.xlsx", &lin).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the cycle is required");
}

async fn values_of(a: &Api, token: &str, name: &str) -> Vec<(String, f64, String)> {
    let kpis = a.items("/api/v1/kpis", token).await;
    let id = kpis.iter().find(|k| k["name"] == name).and_then(|k| k["id"].as_i64()).expect("kpi");
    let mut v: Vec<(String, f64, String)> = a
        .items(&format!("/api/v1/kpis/{id}/values"), token)
        .await
        .iter()
        .map(|x| {
            (
                x["period"].as_str().unwrap_or("").to_string(),
                x["value"].as_f64().unwrap_or(f64::NAN),
                x["source"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

async fn kpi_values(t: &TestDb) {
    let a = api(t).await;
    let li = a.login("li.na@demo.example").await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let before = values_of(&a, &li, "收银差错率").await;
    // Months before the demo's first value (the demo holds the last three months up to now):
    // history a file may bring in. The month after its last has not begun: refused.
    let shift = |period: &str, by: i32| {
        let (y, m) = period.split_once('-').expect("YYYY-MM");
        let months = y.parse::<i32>().expect("year") * 12 + m.parse::<i32>().expect("month") - 1 + by;
        format!("{}-{:02}", months.div_euclid(12), months.rem_euclid(12) + 1)
    };
    let next = shift(&before[0].0, -1);
    let earlier = shift(&before[0].0, -2);
    let future = shift(&before.last().expect("a value").0, 1);
    let file = workbook(&[
        vec!["kpi", "owner", "period", "value"],
        vec!["收银差错率", "秦月", next.as_str(), "0.09"],
        vec!["收银差错率", "qin.yue@demo.example", before[0].0.as_str(), &before[0].1.to_string()],
    ]);
    let path = "/api/v1/kpis/values/import?name=%E6%94%B6%E9%93%B6.xlsx";
    // A preview writes nothing.
    let r = post_file(&a, &format!("{path}&dry_run=true"), &li, file.clone()).await;
    assert_eq!(
        (r.status, r.body["rows"].as_u64(), r.body["changed"].as_u64()),
        (StatusCode::OK, Some(2), Some(1)),
        "{:?}",
        r.body
    );
    assert_eq!(values_of(&a, &li, "收银差错率").await, before);
    let r = post_file(&a, path, &li, file.clone()).await;
    assert_eq!((r.status, r.body["changed"].as_u64()), (StatusCode::OK, Some(1)));
    let after = values_of(&a, &li, "收银差错率").await;
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(after.first().map(|x| (x.0.as_str(), x.1, x.2.as_str())), Some((next.as_str(), 0.09, "file:收银.xlsx")));
    // The same file again changes nothing.
    let r = post_file(&a, path, &li, file).await;
    assert_eq!(r.body["changed"].as_u64(), Some(0));
    assert_eq!(values_of(&a, &li, "收银差错率").await, after);

    // One bad row rejects the file; every bad row is named; nothing is written.
    let csv = format!(
        "kpi,owner,period,value\n收银差错率,秦月,{earlier},0.08\n收银差错率,秦月,2027-Q1,0.1\n不存在的指标,,{earlier},1\n收银差错率,秦月,{next},很低\n收银差错率,秦月,{earlier},0.07\n收银差错率,秦月,{future},0.07\n收银差错率,秦月,{next},\"3,0\"\n"
    );
    let r = post_file(&a, "/api/v1/kpis/values/import", &li, csv.as_bytes().to_vec()).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "import_rejected"), "{:?}", r.body);
    let named: Vec<(u64, String)> = r.body["error"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|e: &Value| (e["row"].as_u64().unwrap_or(0), e["column"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(
        named,
        vec![
            (3, "period".into()),
            (4, "kpi".into()),
            (5, "value".into()),
            (6, "period".into()),
            (7, "period".into()),
            (8, "value".into())
        ],
        "a bad format, an unknown KPI, not a number, a repeat, a month to come, an ambiguous comma"
    );
    assert_eq!(values_of(&a, &li, "收银差错率").await, after, "nothing half-applied");
    // A peer cannot report someone else's numbers (nor even see them).
    let r = post_file(
        &a,
        "/api/v1/kpis/values/import",
        &zhang,
        "kpi,owner,period,value\n收银差错率,秦月,2027-01,0\n".into(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["error"]["rows"][0]["column"], "kpi");
    // No header: said so.
    let r = post_file(&a, "/api/v1/kpis/values/import", &li, "a,b\n1,2\n".into()).await;
    assert_eq!(r.body["error"]["rows"][0]["row"], 1);
}

async fn points(t: &TestDb) {
    let a = api(t).await;
    let admin = a.login("admin@demo.example").await;
    let r = a
        .call("POST", "/api/v1/metrics", Some(&admin), Some(serde_json::json!({"name": "Excel 数据", "unit": "件"})))
        .await;
    let m = r.body["id"].as_i64().expect("metric");
    let mut book = rust_xlsxwriter::Workbook::new();
    let s = book.add_worksheet();
    s.write_string(0, 0, "时间").expect("h");
    s.write_string(0, 1, "数值").expect("h");
    let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (i, day) in ["2026-11-18", "2026-11-19", "2026-11-20"].iter().enumerate() {
        let d = rust_xlsxwriter::ExcelDateTime::parse_from_str(day).expect("date");
        s.write_datetime_with_format(i as u32 + 1, 0, &d, &fmt).expect("date");
        s.write_number(i as u32 + 1, 1, 10.0 + i as f64).expect("n");
    }
    let bytes = book.save_to_buffer().expect("xlsx");
    let path = format!("/api/v1/metrics/{m}/import?name=points.xlsx");
    let r = post_file(&a, &path, &admin, bytes.clone()).await;
    assert_eq!((r.status, r.body["inserted"].as_i64()), (StatusCode::OK, Some(3)), "{:?}", r.body);
    let r = post_file(&a, &path, &admin, bytes).await;
    assert_eq!(r.body["inserted"].as_i64(), Some(0), "the same workbook again changes nothing");
    let pts = a.items(&format!("/api/v1/metrics/{m}/points"), &admin).await;
    assert!(
        pts.iter()
            .any(|p| p["time"] == "2026-11-20T00:00:00Z" && p["value"] == 12.0 && p["source"] == "file:points.xlsx"),
        "{pts:?}"
    );
}

async fn okr_sheet(t: &TestDb) {
    let a = api(t).await;
    let li = a.login("li.na@demo.example").await;
    let cycle = a
        .items("/api/v1/cycles", &li)
        .await
        .into_iter()
        .find(|c| c["kind"] == "quarter" && c["state"] == "active")
        .and_then(|c| c["id"].as_i64())
        .expect("quarter");
    let mine =
        |items: &[Value]| items.iter().filter(|o| o["title"].as_str().is_some_and(|t| t.starts_with("表格"))).count();
    let before = a.items(&format!("/api/v1/objectives?cycle={cycle}"), &li).await;
    assert_eq!(mine(&before), 0);
    let parent = before
        .iter()
        .find(|o| o["status"] == "published")
        .and_then(|o| o["title"].as_str())
        .expect("a published objective")
        .to_string();
    let sheet = workbook(&[
        vec!["目标", "负责人", "类型", "上级目标", "关键结果", "度量方式", "基线", "目标值", "单位", "权重"],
        vec![
            "表格：提升会员复购",
            "li.na@demo.example",
            "挑战型",
            parent.as_str(),
            "会员月复购率从25%提升至35%",
            "提升",
            "25",
            "35",
            "%",
            "2",
        ],
        vec!["", "", "", "", "会员小程序月活达到12000", "提升", "8000", "12000", "人", "1"],
        vec![
            "表格：夜班出品稳定",
            "李娜",
            "承诺型",
            "表格：提升会员复购",
            "夜班出品差错低于1%",
            "保持低于",
            "",
            "1",
            "%",
            "",
        ],
    ]);
    let path = format!("/api/v1/cycles/{cycle}/okrs/import");
    let r = post_file(&a, &format!("{path}?dry_run=true"), &li, sheet.clone()).await;
    assert_eq!(
        (r.status, r.body["objectives"].as_u64(), r.body["key_results"].as_u64()),
        (StatusCode::OK, Some(2), Some(3)),
        "{:?}",
        r.body
    );
    assert_eq!(mine(&a.items(&format!("/api/v1/objectives?cycle={cycle}"), &li).await), 0, "a preview writes nothing");
    let r = post_file(&a, &path, &li, sheet).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let after = a.items(&format!("/api/v1/objectives?cycle={cycle}"), &li).await;
    let made: Vec<&Value> =
        after.iter().filter(|o| o["title"].as_str().is_some_and(|t| t.starts_with("表格"))).collect();
    assert_eq!(made.len(), 2);
    assert!(made.iter().all(|o| o["status"] == "draft"), "drafts until someone publishes them");
    let first = made.iter().find(|o| o["title"] == "表格：提升会员复购").expect("first");
    let second = made.iter().find(|o| o["title"] == "表格：夜班出品稳定").expect("second");
    assert_eq!(second["parent"], first["id"], "a parent named in the sheet");
    assert_eq!(first["key_results"].as_array().map(Vec::len), Some(2));
    assert_eq!(first["kind"], "aspirational");
    assert_eq!(second["key_results"][0]["measure"], "stay_below");

    // Bad rows are named; nothing is written.
    let csv = "objective,owner,key_result,measure,target\n表格：坏的,nobody@demo.example,x,increase,1\n表格：也坏,li.na@demo.example,y,sideways,1\n,,z,increase,lots\n";
    let r = post_file(&a, &path, &li, csv.as_bytes().to_vec()).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "import_rejected"), "{:?}", r.body);
    let named: Vec<(u64, String)> = r.body["error"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|e: &Value| (e["row"].as_u64().unwrap_or(0), e["column"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(named, vec![(2, "owner".into()), (3, "measure".into()), (4, "target".into())]);
    assert_eq!(mine(&a.items(&format!("/api/v1/objectives?cycle={cycle}"), &li).await), 2, "nothing half-applied");
    // Someone else's goals are not mine to set.
    let zhang = a.login("zhang.wei@demo.example").await;
    let r = post_file(&a, &path, &zhang, "objective,owner\n表格：替人定,li.na@demo.example\n".into()).await;
    assert_eq!(r.body["error"]["rows"][0]["column"], "owner");
}

/// One archive entry that inflates to `mb` megabytes of one letter (a zip bomb), written in 1 MB
/// pieces so the test itself holds only the compressed bytes.
fn zip_bomb(mb: usize) -> Vec<u8> {
    use std::io::Write;
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(vec![]));
    let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    z.start_file("xl/worksheets/sheet1.xml", o.large_file(true)).expect("entry");
    let piece = vec![b'A'; 1 << 20];
    for _ in 0..mb {
        z.write_all(&piece).expect("write");
    }
    z.finish().expect("zip").into_inner()
}

/// Items 2 and 4 of the security issue: a member sent a 1.6 MB workbook inflating to 1.6 GB to
/// every import, and a 200 KB document of nested brackets to the document import.
async fn hostile(t: &TestDb) {
    let a = api(t).await;
    let admin = a.login("admin@demo.example").await;
    let zhang = a.login("zhang.wei@demo.example").await;
    let cycle = a.active_quarter(&admin).await;
    let metric = a.items("/api/v1/metrics", &admin).await[0]["id"].as_i64().expect("metric");
    let bomb = zip_bomb(64);
    assert!(bomb.len() < 1 << 20);
    for (who, path) in [
        (&zhang, format!("/api/v1/cycles/{cycle}/okrs/import?dry_run=true")),
        (&zhang, "/api/v1/kpis/values/import?dry_run=true".to_string()),
        (&admin, format!("/api/v1/metrics/{metric}/import")),
        (&admin, "/api/v1/people/import?dry_run=true".to_string()),
    ] {
        let r = post_file(&a, &path, who, bomb.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {:?}", r.body);
        let reason = r.body["error"]["rows"][0]["reason"].as_str().unwrap_or_default().to_string();
        assert!(reason.contains("解压后过大"), "{path}: {reason}");
    }
    let deep = format!("format: tandem/v1\nobjectives: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let req = Request::post(format!("/api/v1/cycles/{cycle}/import"))
        .header(header::AUTHORIZATION, format!("Bearer {zhang}"))
        .header(header::CONTENT_TYPE, "application/yaml")
        .body(Body::from(deep))
        .expect("req");
    let r = a.raw(req).await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("document")));
    assert!(r.body["error"]["message"].as_str().unwrap_or_default().contains("嵌套层数过多"), "{:?}", r.body);
}
