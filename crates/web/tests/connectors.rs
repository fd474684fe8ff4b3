//! Scheduled pulls through the API, with Tandem on SQLite and on PostgreSQL: SQL connectors read
//! a real PostgreSQL, MariaDB and SQLite source; an HTTP connector reads a local JSON server.
//! Runs are idempotent, revise a corrected day, fail with a reason the admin can read, and
//! never write to the source. Secrets are sealed at rest and never shown. Scheduled runs from
//! two servers on one database happen once per scheduled time.

use axum::http::StatusCode;
use serde_json::{Value, json};
use sqlx::{Connection, Executor};
use std::sync::Arc;
use tandem_app::App;
use tandem_app::clock::FixedClock;
use tandem_app::data::connectors::SourcePolicy;
use tandem_app::secrets::SecretBox;
use tandem_store::on_both_engines;
use tandem_store::testing::{TestDb, pg_disabled, pg_url};

mod common;
use common::*;

on_both_engines! {
    sql_connectors_read_postgres_mariadb_and_sqlite => sql_sources;
    an_http_connector_reads_json_by_paths => http_source;
    connectors_are_for_admins_and_checked_at_the_edge => validation;
    each_scheduled_time_runs_once_across_two_servers => scheduled_once;
    connectors_reach_only_the_addresses_they_may => outbound;
}

fn mariadb_url() -> String {
    std::env::var("TANDEM_TEST_MARIADB_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{prefix}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

struct Sources {
    dir: std::path::PathBuf,
}

impl Sources {
    fn new() -> Sources {
        let dir = std::env::temp_dir().join(unique("tandem_sources"));
        std::fs::create_dir_all(&dir).expect("sources dir");
        Sources { dir }
    }
}

impl Drop for Sources {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The demo with connectors switched on: a secret key, and `sources` as the SQLite folder.
async fn connector_api(t: &TestDb, sources: &Sources, clock: Option<Arc<FixedClock>>) -> Api {
    let api = match clock {
        Some(c) => api_with_clock(t, c).await,
        None => api(t).await,
    };
    let key = SecretBox::from_key_text(&"ab".repeat(32)).expect("key");
    let policy = SourcePolicy { sqlite_root: Some(sources.dir.clone()), ..Default::default() };
    Api::over(api.app.with_connectors(Some(key), policy)).with_loopback_allowed()
}

async fn new_metric(a: &Api, admin: &str, name: &str) -> i64 {
    let r = a.call("POST", "/api/v1/metrics", Some(admin), Some(json!({"name": name, "unit": "元"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_i64().expect("id")
}

async fn points(a: &Api, admin: &str, metric: i64) -> Vec<(String, f64, String)> {
    let r = a.call("GET", &format!("/api/v1/metrics/{metric}/points"), Some(admin), None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let mut v: Vec<(String, f64, String)> = r.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| {
            (
                p["time"].as_str().unwrap_or("").to_string(),
                p["value"].as_f64().expect("value"),
                p["source"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

async fn run(a: &Api, admin: &str, connector: i64) -> Value {
    let r = a.call("POST", &format!("/api/v1/connectors/{connector}/runs"), Some(admin), None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

/// Creates a SQL connector, tests it, runs it twice (the second changes nothing), corrects a
/// day at the source and runs again (one point revised), then breaks the source (a failed run
/// with its reason). `exec` changes the source.
async fn exercise_sql<F, Fut>(a: &Api, admin: &str, name: &str, dsn: &str, query: &str, mut exec: F)
where
    F: FnMut(&'static str) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let metric = new_metric(a, admin, name).await;
    let body = json!({"name": name, "kind": "sql", "metric_id": metric, "schedule": "0 6 * * *",
        "timeout_secs": 10, "secret": dsn, "query": query});
    let r = a.call("POST", "/api/v1/connectors", Some(admin), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{name}: {:?}", r.body);
    assert_eq!(r.body["has_secret"], true);
    assert!(!r.body.to_string().contains(dsn), "the connection string is never shown");
    let id = r.body["id"].as_i64().expect("id");
    assert!(r.body["next_run_at"].as_i64().is_some());

    // Test now: what would be written, nothing written.
    let r = a.call("POST", &format!("/api/v1/connectors/{id}/test"), Some(admin), None).await;
    assert_eq!(
        (r.status, r.body["ok"].as_bool(), r.body["total"].as_u64()),
        (StatusCode::OK, Some(true), Some(3)),
        "{name}: {:?}",
        r.body
    );
    assert_eq!(
        (r.body["sample"][0]["value"].as_f64(), r.body["sample"][2]["value"].as_f64()),
        (Some(75.25), Some(1200.5)),
        "newest first"
    );
    assert!(points(a, admin, metric).await.is_empty(), "a test writes nothing");

    let first = run(a, admin, id).await;
    assert_eq!(
        (first["status"].as_str(), first["fetched"].as_i64(), first["inserted"].as_i64()),
        (Some("ok"), Some(3), Some(3)),
        "{name}: {first:?}"
    );
    let pts = points(a, admin, metric).await;
    assert_eq!(pts.len(), 3);
    assert_eq!(pts[0].1, 1200.5, "NUMERIC / DECIMAL values arrive as numbers");
    assert!(pts[0].0.starts_with("2026-11-01T00:00:00"), "{name}: {:?}", pts[0]);
    assert!(pts.iter().all(|p| p.2 == format!("pull:{id}")), "provenance names the connector");

    let again = run(a, admin, id).await;
    assert_eq!(
        (again["status"].as_str(), again["inserted"].as_i64()),
        (Some("ok"), Some(0)),
        "the same rows change nothing"
    );

    exec("fix").await;
    let revised = run(a, admin, id).await;
    assert_eq!(revised["inserted"].as_i64(), Some(1), "{name}: a corrected day is revised: {revised:?}");
    let pts = points(a, admin, metric).await;
    assert_eq!(pts.len(), 3, "revised, not added");
    assert_eq!(pts[1].1, 99.0);

    exec("break").await;
    let failed = run(a, admin, id).await;
    assert_eq!(failed["status"], "failed");
    assert!(!failed["error"].as_str().unwrap_or("").is_empty());
    let c = a.call("GET", &format!("/api/v1/connectors/{id}"), Some(admin), None).await;
    assert_eq!((c.body["last_status"].as_str(), c.body["running"].as_bool()), (Some("failed"), Some(false)));
    assert!(!c.body["last_error"].as_str().unwrap_or("").is_empty());
    let runs = a.items(&format!("/api/v1/connectors/{id}/runs"), admin).await;
    let statuses: Vec<&str> = runs.iter().map(|r| r["status"].as_str().unwrap_or("")).collect();
    assert_eq!(statuses, vec!["failed", "ok", "ok", "ok"], "newest first");
    assert!(runs.iter().all(|r| r["cause"] == "manual"));
}

async fn sql_sources(t: &TestDb) {
    let sources = Sources::new();
    let a = connector_api(t, &sources, None).await;
    let admin = a.login("admin@demo.example").await;

    // SQLite, in the sources folder.
    let file = sources.dir.join("sales.db");
    {
        let mut c =
            sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", file.display())).await.expect("sqlite");
        c.execute(
            "CREATE TABLE sales (day TEXT, amount NUMERIC); \
                   INSERT INTO sales VALUES ('2026-11-01', 1200.5), ('2026-11-02', 80), ('2026-11-03', 75.25)",
        )
        .await
        .expect("sqlite source");
    }
    let dsn = format!("sqlite://{}", file.display());
    let sqlite_file = file.clone();
    exercise_sql(
        &a,
        &admin,
        "SQLite 销售额",
        &dsn,
        "SELECT day AS time, amount AS value FROM sales ORDER BY day;",
        |what| {
            let f = sqlite_file.clone();
            async move {
                let mut c =
                    sqlx::SqliteConnection::connect(&format!("sqlite://{}", f.display())).await.expect("sqlite");
                let sql = if what == "fix" {
                    "UPDATE sales SET amount = 99 WHERE day = '2026-11-02'"
                } else {
                    "DROP TABLE sales"
                };
                c.execute(sql).await.expect("change source");
            }
        },
    )
    .await;

    // PostgreSQL: DATE and NUMERIC columns in a schema of their own.
    if !pg_disabled() {
        let schema = unique("src");
        let mut pg = sqlx::PgConnection::connect(&pg_url()).await.expect("postgres source");
        pg.execute(
            format!(
                "CREATE SCHEMA {schema}; CREATE TABLE {schema}.sales (day DATE, amount NUMERIC(12,2)); \
                 INSERT INTO {schema}.sales VALUES ('2026-11-01', 1200.5), ('2026-11-02', 80), ('2026-11-03', 75.25); \
                 CREATE SEQUENCE {schema}.seq;"
            )
            .as_str(),
        )
        .await
        .expect("pg source");
        let q = format!("SELECT day AS time, amount AS value FROM {schema}.sales ORDER BY day");
        let s2 = schema.clone();
        exercise_sql(&a, &admin, "PostgreSQL 销售额", &pg_url(), &q, |what| {
            let s = s2.clone();
            async move {
                let mut c = sqlx::PgConnection::connect(&pg_url()).await.expect("pg");
                let sql = if what == "fix" {
                    format!("UPDATE {s}.sales SET amount = 99 WHERE day = '2026-11-02'")
                } else {
                    format!("ALTER TABLE {s}.sales RENAME TO gone")
                };
                c.execute(sql.as_str()).await.expect("change source");
            }
        })
        .await;

        // Read-only: a query that would write (advance a sequence) is refused by the source.
        let m = new_metric(&a, &admin, "序列").await;
        let body = json!({"name": "写入尝试", "kind": "sql", "metric_id": m, "schedule": "0 6 * * *", "secret": pg_url(),
            "query": format!("SELECT '2026-11-01' AS time, nextval('{schema}.seq') AS value")});
        let id = a.call("POST", "/api/v1/connectors", Some(&admin), Some(body)).await.body["id"].as_i64().expect("id");
        let r = run(&a, &admin, id).await;
        assert_eq!(r["status"], "failed");
        assert!(r["error"].as_str().unwrap_or("").contains("read-only"), "{r:?}");
        let left: i64 =
            sqlx::query_scalar(&format!("SELECT last_value FROM {schema}.seq")).fetch_one(&mut pg).await.expect("seq");
        let called: bool =
            sqlx::query_scalar(&format!("SELECT is_called FROM {schema}.seq")).fetch_one(&mut pg).await.expect("seq");
        assert_eq!((left, called), (1, false), "the sequence never moved");

        // A slow source is cut off at the timeout.
        let body = json!({"name": "慢查询", "kind": "sql", "metric_id": m, "schedule": "0 6 * * *", "secret": pg_url(),
            "timeout_secs": 1, "query": "SELECT now() AS time, 1 AS value FROM pg_sleep(5)"});
        let id = a.call("POST", "/api/v1/connectors", Some(&admin), Some(body)).await.body["id"].as_i64().expect("id");
        let started = std::time::Instant::now();
        let r = run(&a, &admin, id).await;
        assert_eq!(r["status"], "failed");
        assert!(started.elapsed() < std::time::Duration::from_secs(4), "cut off, not waited out");
        pg.execute(format!("DROP SCHEMA {schema} CASCADE").as_str()).await.expect("drop");
    }

    // MariaDB: DATETIME and DECIMAL columns.
    let table = unique("src_sales");
    let mut my = sqlx::MySqlConnection::connect(&mariadb_url())
        .await
        .expect("MariaDB is required at 127.0.0.1:3306 (root, no password, database test)");
    my.execute(
        format!(
            "CREATE TABLE {table} (day DATETIME, amount DECIMAL(12,2)); \
             INSERT INTO {table} VALUES ('2026-11-01 00:00:00', 1200.5), ('2026-11-02 00:00:00', 80), ('2026-11-03 00:00:00', 75.25)"
        )
        .as_str(),
    )
    .await
    .expect("mariadb source");
    let q = format!("SELECT day AS time, amount AS value FROM {table} ORDER BY day");
    let t2 = table.clone();
    exercise_sql(&a, &admin, "MariaDB 销售额", &mariadb_url().replacen("mysql://", "mariadb://", 1), &q, |what| {
        let t = t2.clone();
        async move {
            let mut c = sqlx::MySqlConnection::connect(&mariadb_url()).await.expect("mariadb");
            let sql = if what == "fix" {
                format!("UPDATE {t} SET amount = 99 WHERE day = '2026-11-02 00:00:00'")
            } else {
                format!("RENAME TABLE {t} TO {t}_gone")
            };
            c.execute(sql.as_str()).await.expect("change source");
        }
    })
    .await;
    my.execute(format!("DROP TABLE IF EXISTS {table}_gone, {table}").as_str()).await.expect("drop");

    // Sealed at rest: the stored secret holds no part of the connection string.
    let stored = tandem_store::connectors::list(
        &t.db,
        a.app.operator_actor("demo", "admin@demo.example").await.expect("actor").tenant.0,
    )
    .await
    .expect("rows");
    assert!(stored.len() >= 3);
    for row in &stored {
        assert!(row.secret_enc.starts_with("v1:"), "{}", row.name);
        assert!(!row.secret_enc.contains("127.0.0.1") && !row.secret_enc.contains("sales.db"));
    }
}

/// A tiny JSON server on loopback that wants a bearer token.
async fn json_server(body: Arc<std::sync::Mutex<Value>>) -> String {
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/sales",
        get(move |headers: axum::http::HeaderMap| {
            let body = body.clone();
            async move {
                if headers.get("authorization").and_then(|h| h.to_str().ok()) != Some("Bearer s3cret") {
                    return (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "who are you"})));
                }
                let b = body.lock().expect("lock").clone();
                (StatusCode::OK, axum::Json(b))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    format!("http://{addr}/sales")
}

async fn http_source(t: &TestDb) {
    let sources = Sources::new();
    let a = connector_api(t, &sources, None).await;
    let admin = a.login("admin@demo.example").await;
    let metric = new_metric(&a, &admin, "线上订单").await;
    let doc = Arc::new(std::sync::Mutex::new(json!({"data": {"rows": [
        {"date": "2026-11-01", "orders": {"paid": 12}},
        {"date": "2026-11-02", "orders": {"paid": "1,300"}},
    ]}})));
    let url = json_server(doc.clone()).await;
    let body = json!({"name": "订单接口", "kind": "http", "metric_id": metric, "schedule": "*/30 * * * *",
        "url": url, "items_path": "data.rows", "time_path": "date", "value_path": "orders.paid", "secret": "s3cret"});
    let r = a.call("POST", "/api/v1/connectors", Some(&admin), Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(!r.body.to_string().contains("s3cret"));
    let id = r.body["id"].as_i64().expect("id");
    let first = run(&a, &admin, id).await;
    assert_eq!((first["status"].as_str(), first["inserted"].as_i64()), (Some("ok"), Some(2)), "{first:?}");
    let pts = points(&a, &admin, metric).await;
    assert_eq!(pts.iter().map(|p| p.1).collect::<Vec<_>>(), vec![12.0, 1300.0]);
    assert_eq!(run(&a, &admin, id).await["inserted"], 0);

    // A change without a secret keeps the stored one; a wrong one is refused by the endpoint.
    let mut changed = body.clone();
    changed.as_object_mut().expect("obj").remove("secret");
    changed["name"] = json!("订单接口（每小时）");
    changed["schedule"] = json!("0 * * * *");
    let r = a.call("PUT", &format!("/api/v1/connectors/{id}"), Some(&admin), Some(changed.clone())).await;
    assert_eq!((r.status, r.body["has_secret"].as_bool()), (StatusCode::OK, Some(true)), "{:?}", r.body);
    assert_eq!(run(&a, &admin, id).await["status"], "ok", "the kept secret still opens");
    changed["secret"] = json!("wrong");
    a.call("PUT", &format!("/api/v1/connectors/{id}"), Some(&admin), Some(changed)).await;
    let denied = run(&a, &admin, id).await;
    assert_eq!(denied["status"], "failed");
    assert!(denied["error"].as_str().unwrap_or("").contains("401"), "{denied:?}");

    // Rows the paths do not find are named by row and column; nothing is written.
    *doc.lock().expect("lock") =
        json!({"data": {"rows": [{"date": "2026-11-05", "orders": {}}, {"date": "soon", "orders": {"paid": 1}}]}});
    let r = a.call("PUT", &format!("/api/v1/connectors/{id}"), Some(&admin), Some(body)).await;
    assert_eq!(r.status, StatusCode::OK);
    let test = a.call("POST", &format!("/api/v1/connectors/{id}/test"), Some(&admin), None).await;
    assert_eq!(test.body["ok"], false);
    let named: Vec<(u64, &str)> = test.body["row_errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| (e["row"].as_u64().unwrap_or(0), e["column"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(named, vec![(1, "value"), (2, "time")]);
    assert_eq!(run(&a, &admin, id).await["status"], "failed");
    assert_eq!(points(&a, &admin, metric).await.len(), 2, "a failed run writes nothing");

    // Removed: gone from the list, its points stay.
    let r = a.call("DELETE", &format!("/api/v1/connectors/{id}"), Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(a.items("/api/v1/connectors", &admin).await.is_empty());
    assert_eq!(points(&a, &admin, metric).await.len(), 2);
}

async fn validation(t: &TestDb) {
    let sources = Sources::new();
    let a = connector_api(t, &sources, None).await;
    let admin = a.login("admin@demo.example").await;
    let member = a.login("zhang.wei@demo.example").await;
    let metric = new_metric(&a, &admin, "校验").await;
    let good = json!({"name": "好的", "kind": "sql", "metric_id": metric, "schedule": "0 6 * * *",
        "secret": format!("sqlite://{}", sources.dir.join("x.db").display()), "query": "SELECT 1 AS time, 2 AS value"});
    assert_eq!(a.call("GET", "/api/v1/connectors", Some(&member), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.call("POST", "/api/v1/connectors", Some(&member), Some(good.clone())).await.status,
        StatusCode::FORBIDDEN
    );
    let outside = std::env::temp_dir().join("tandem.db");
    for (field, value, code) in [
        ("schedule", json!("every day"), "invalid_input"),
        ("schedule", json!("* * * * * *"), "invalid_input"),
        ("secret", json!("ftp://host/x"), "invalid_input"),
        ("secret", json!(format!("sqlite://{}", outside.display())), "invalid_input"),
        ("query", json!("DELETE FROM sales"), "invalid_input"),
        ("kind", json!("ftp"), "invalid_input"),
        ("metric_id", json!(999_999_999), "invalid_input"),
        ("timeout_secs", json!(0), "invalid_input"),
    ] {
        let mut body = good.clone();
        body[field] = value.clone();
        let r = a.call("POST", "/api/v1/connectors", Some(&admin), Some(body)).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, code), "{field}={value}: {:?}", r.body);
        assert!(!r.body["error"]["message"].as_str().unwrap_or("").is_empty());
    }
    assert_eq!(a.call("POST", "/api/v1/connectors", Some(&admin), Some(good)).await.status, StatusCode::CREATED);

    // Without a key on the server, a secret cannot be saved.
    let bare =
        Api::over(App::new(t.db.clone(), Arc::new(tandem_app::clock::SystemClock)).with_outbound(loopback_allowed()));
    let body = json!({"name": "无密钥", "kind": "http", "metric_id": metric, "schedule": "0 6 * * *",
        "url": "http://127.0.0.1:9/x", "secret": "tok"});
    let r = bare.call("POST", "/api/v1/connectors", Some(&admin), Some(body)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(r.body["error"]["message"].as_str().unwrap_or("").contains("TANDEM_SECRET_KEY"));
}

async fn scheduled_once(t: &TestDb) {
    let sources = Sources::new();
    // 2026-11-20 05:59:30 UTC: the daily 06:00 run is 30 s away.
    let clock = Arc::new(FixedClock::new(1_795_154_370_000_000));
    let a = connector_api(t, &sources, Some(clock.clone())).await;
    let admin = a.login("admin@demo.example").await;
    // Schedules read in the company's time zone: this company keeps UTC.
    let r = a.call("PATCH", "/api/v1/tenant", Some(&admin), Some(json!({"time_zone": "UTC"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let file = sources.dir.join("daily.db");
    {
        let mut c =
            sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", file.display())).await.expect("sqlite");
        c.execute("CREATE TABLE t (d TEXT, v REAL); INSERT INTO t VALUES ('2026-11-19', 5)").await.expect("source");
    }
    let metric = new_metric(&a, &admin, "日报").await;
    let body = json!({"name": "日报", "kind": "sql", "metric_id": metric, "schedule": "0 6 * * *",
        "secret": format!("sqlite://{}", file.display()), "query": "SELECT d AS time, v AS value FROM t"});
    let id = a.call("POST", "/api/v1/connectors", Some(&admin), Some(body)).await.body["id"].as_i64().expect("id");

    // A second server: its own database handle, the same key, the same clock.
    let second = {
        let key = SecretBox::from_key_text(&"ab".repeat(32)).expect("key");
        let policy = SourcePolicy { sqlite_root: Some(sources.dir.clone()), ..Default::default() };
        App::new(second_server_db(t).await, clock.clone())
            .with_connectors(Some(key), policy)
            .with_outbound(loopback_allowed())
    };
    assert_eq!(a.app.run_due_connectors("one").await.expect("run"), 0, "not due yet");
    // Three days: each server polls many times around each 06:00.
    for _day in 0..3 {
        clock.advance(60_000_000);
        let mut handles = vec![];
        for round in 0..4 {
            let (x, y) = (a.app.clone(), second.clone());
            handles
                .push(tokio::spawn(async move { x.run_due_connectors(&format!("one-{round}")).await.expect("one") }));
            handles
                .push(tokio::spawn(async move { y.run_due_connectors(&format!("two-{round}")).await.expect("two") }));
        }
        let mut ran = 0;
        for h in handles {
            ran += h.await.expect("join");
        }
        assert_eq!(ran, 1, "one run per scheduled time, whichever server");
        clock.advance(86_400_000_000 - 60_000_000);
    }
    let runs = a.items(&format!("/api/v1/connectors/{id}/runs"), &admin).await;
    assert_eq!(runs.len(), 3);
    let mut times: Vec<i64> = runs.iter().map(|r| r["scheduled_for"].as_i64().expect("scheduled")).collect();
    times.sort();
    times.dedup();
    assert_eq!(times.len(), 3);
    assert!(runs.iter().all(|r| r["cause"] == "schedule" && r["status"] == "ok"), "{runs:?}");
    assert_eq!(points(&a, &admin, metric).await.len(), 1, "the same row every day: one point");

    // Paused: no scheduled runs.
    let r =
        a.call("PUT", &format!("/api/v1/connectors/{id}/active"), Some(&admin), Some(json!({"active": false}))).await;
    assert_eq!((r.status, r.body["active"].as_bool()), (StatusCode::OK, Some(false)));
    clock.advance(2 * 86_400_000_000);
    assert_eq!(a.app.run_due_connectors("one").await.expect("run"), 0);
    if t.db.engine() == tandem_store::Engine::Postgres {
        second.db.close().await;
    }
}

/// Item 6 of the security issue: HTTP connectors fetched loopback in every spelling and followed
/// redirects, and SQL connectors acted as a port scanner.
async fn outbound(t: &TestDb) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let sources = Sources::new();
    let allowed = connector_api(t, &sources, None).await;
    let strict = Api::over(allowed.app.clone().with_outbound(Default::default()));
    let by_name = Api::over(
        allowed.app.clone().with_outbound(tandem_app::outbound::Outbound::parse("localhost").expect("allow list")),
    );
    let admin = strict.login("admin@demo.example").await;
    let metric = new_metric(&strict, &admin, "探针").await;
    // A loopback server counting requests: /r redirects to /in by an address spelled as a number.
    let hits = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = hits.clone();
    let app = axum::Router::new()
        .route(
            "/r",
            axum::routing::get(move || async move {
                axum::response::Redirect::temporary(&format!("http://2130706433:{port}/in"))
            }),
        )
        .route(
            "/in",
            axum::routing::get(move || {
                let seen = seen.clone();
                async move {
                    seen.fetch_add(1, Ordering::SeqCst);
                    axum::Json(json!([{"t": "2026-11-01", "v": 1}]))
                }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    let http = |url: String| {
        json!({"name": format!("探针 {url}"), "kind": "http", "metric_id": metric, "schedule": "0 6 * * *",
        "url": url, "items_path": "", "time_path": "t", "value_path": "v"})
    };
    for url in [
        format!("http://2130706433:{port}/in"),
        format!("http://0177.0.0.1:{port}/in"),
        format!("http://0x7f.1:{port}/in"),
        format!("http://localhost:{port}/in"),
        format!("http://[::ffff:127.0.0.1]:{port}/in"),
        format!("http://0.0.0.0:{port}/in"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
    ] {
        let r = strict.call("POST", "/api/v1/connectors", Some(&admin), Some(http(url.clone()))).await;
        assert_eq!(
            (r.status, r.body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("url")),
            "{url}: {:?}",
            r.body
        );
        assert!(r.body["error"]["message"].as_str().unwrap_or_default().contains("TANDEM_OUTBOUND_ALLOW"));
    }
    for dsn in [mariadb_url(), "mysql://root@2130706433:3306/test".into(), "postgres://x@[::1]:5432/test".into()] {
        let body = json!({"name": "端口探测", "kind": "sql", "metric_id": metric, "schedule": "0 6 * * *", "secret": dsn,
            "query": "SELECT 1 AS time, 2 AS value"});
        let r = strict.call("POST", "/api/v1/connectors", Some(&admin), Some(body)).await;
        assert_eq!(
            (r.status, r.body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("secret")),
            "{dsn}"
        );
    }
    // Saved while the operator allowed loopback, run after the rule narrowed: refused at run time.
    let r = allowed
        .call("POST", "/api/v1/connectors", Some(&admin), Some(http(format!("http://127.0.0.1:{port}/in"))))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_i64().expect("id");
    let ran = run(&strict, &admin, id).await;
    assert_eq!(ran["status"], "failed", "{ran:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 0, "never reached");
    assert_eq!(run(&allowed, &admin, id).await["status"], "ok", "the operator's rule opens it");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    // Allowed by name, a redirect to the same host in another spelling is not followed.
    let r = by_name
        .call("POST", "/api/v1/connectors", Some(&admin), Some(http(format!("http://localhost:{port}/r"))))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let ran = run(&by_name, &admin, r.body["id"].as_i64().expect("id")).await;
    assert_eq!(ran["status"], "failed", "{ran:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 1, "the redirect was not followed");
}
