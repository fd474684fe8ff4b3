//! Shared by the HTTP test suites: the real router over a test database holding the demo.
#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use tandem_app::App;
use tandem_app::clock::SystemClock;
use tandem_store::testing::TestDb;
use tower::ServiceExt;

pub struct Api {
    pub app: App,
    pub router: Router,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

pub async fn api(t: &TestDb) -> Api {
    api_with_clock(t, Arc::new(SystemClock)).await
}

/// The demo under a clock the test moves (e.g. `FixedClock`).
pub async fn api_with_clock(t: &TestDb, clock: Arc<dyn tandem_app::clock::Clock>) -> Api {
    let app = App::new(t.db.clone(), clock);
    app.seed_demo().await.expect("demo");
    let router = tandem_web::router(tandem_web::AppState::new(app.clone(), false));
    Api { app, router }
}

impl Api {
    /// The router over `app` (an app the test reconfigured, e.g. with outbound rules).
    pub fn over(app: App) -> Api {
        Api { router: tandem_web::router(tandem_web::AppState::new(app.clone(), false)), app }
    }

    /// The app with the operator's allow list opening loopback, where the tests' receivers and
    /// sources listen.
    pub fn with_loopback_allowed(self) -> Api {
        Api::over(self.app.with_outbound(loopback_allowed()))
    }

    pub async fn raw(&self, req: Request<Body>) -> Resp {
        let resp = self.router.clone().oneshot(req).await.expect("router");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Resp { status, headers, body }
    }

    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(v) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())),
            None => b.body(Body::empty()),
        };
        self.raw(req.expect("request")).await
    }

    pub async fn login(&self, email: &str) -> String {
        let r =
            self.call("POST", "/api/v1/auth/login", None, Some(json!({"email": email, "password": "demo-2026"}))).await;
        assert_eq!(r.status, StatusCode::OK, "{email}: {:?}", r.body);
        r.body["token"].as_str().expect("token").to_string()
    }

    pub async fn items(&self, path: &str, token: &str) -> Vec<Value> {
        let r = self.call("GET", path, Some(token), None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
        r.body["items"].as_array().cloned().unwrap_or_default()
    }

    /// A page as `email` (signed in with `password`) sees it: status and HTML.
    pub async fn page_as(&self, email: &str, password: &str, path: &str) -> (StatusCode, String) {
        let s = self.app.login(email, password, None, "test").await.expect("login");
        let req = Request::get(path)
            .header("cookie", format!("tandem_session={}", s.secret))
            .body(Body::empty())
            .expect("req");
        let resp = self.router.clone().oneshot(req).await.expect("page");
        let status = resp.status();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// A page as a demo account sees it.
    pub async fn page(&self, email: &str, path: &str) -> (StatusCode, String) {
        self.page_as(email, "demo-2026", path).await
    }

    /// A form posted from a page by a demo account (signed in, with its CSRF token): the
    /// status, the `Location` it redirects to (if any) and the HTML.
    pub async fn form(&self, email: &str, path: &str, fields: &[(&str, &str)]) -> (StatusCode, Option<String>, String) {
        let s = self.app.login(email, "demo-2026", None, "test").await.expect("login");
        let enc = |v: &str| v.bytes().map(|b| format!("%{b:02X}")).collect::<String>();
        let mut body = format!("csrf={}", s.session.csrf);
        for (k, v) in fields {
            body.push_str(&format!("&{k}={}", enc(v)));
        }
        let req = Request::post(path)
            .header("cookie", format!("tandem_session={}", s.secret))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("req");
        let resp = self.router.clone().oneshot(req).await.expect("page");
        let status = resp.status();
        let location = resp.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()).map(String::from);
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        (status, location, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The demo's active quarter.
    pub async fn active_quarter(&self, token: &str) -> i64 {
        self.items("/api/v1/cycles", token)
            .await
            .into_iter()
            .find(|c| c["kind"] == "quarter" && c["state"] == "active")
            .and_then(|c| c["id"].as_i64())
            .expect("an active quarter")
    }

    pub async fn id_of(&self, path: &str, token: &str, field: &str, value: &str) -> i64 {
        self.items(path, token)
            .await
            .iter()
            .find(|x| x[field] == value)
            .and_then(|x| x["id"].as_i64())
            .unwrap_or_else(|| panic!("{value} in {path}"))
    }
}

/// Outbound rules opening loopback, where the tests' receivers and sources listen.
pub fn loopback_allowed() -> tandem_app::outbound::Outbound {
    tandem_app::outbound::Outbound::parse("127.0.0.1,::1,localhost").expect("allow list")
}

/// The database handle a second app server would have: its own pool on PostgreSQL; on SQLite
/// (one server per file by design) the same handle, so writes take turns as they do in one
/// process.
pub async fn second_server_db(t: &TestDb) -> tandem_store::Db {
    match t.db.engine() {
        tandem_store::Engine::Postgres => t.second_handle().await,
        tandem_store::Engine::Sqlite => t.db.clone(),
    }
}

/// The demo as of 2026-11-20, for tests that name months: the demo is seeded around today (the
/// last three months of KPI values, a planning month only before a quarter's last month).
pub async fn api_on_a_november_day(t: &TestDb) -> Api {
    let day = 1_795_147_200_000_000; // 2026-11-20T04:00:00Z
    api_with_clock(t, std::sync::Arc::new(tandem_app::clock::FixedClock::new(day))).await
}

/// Two scores are the same (to rounding).
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}
