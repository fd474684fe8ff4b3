//! Tandem's benchmark harness. For each engine it generates a synthetic tenant into a fresh
//! database, starts the real `tandem serve` on it, drives each workload over loopback HTTP
//! (warm-up first; latencies in an HDR histogram), and answers the same questions the way a
//! typical OKR app does — roll-ups by recursive CTE at read time, a query loop per object for
//! the report, `LIKE` for search — on the same database, so each read workload gets its ratio
//! Tandem / baseline from one run. Reported per workload: throughput, p50 and p99 latency, wall
//! time, the server's peak RSS and CPU seconds. No timing is asserted anywhere.

pub mod baseline;
pub mod generate;
pub mod scale;

use hdrhistogram::Histogram;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tandem_store::{Db, Engine};

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub employees: usize,
    pub seed: u64,
    pub engines: Vec<Engine>,
    /// A PostgreSQL server (any database on it); each run makes and drops its own database.
    pub pg_url: String,
    /// The `tandem` binary to serve with.
    pub tandem_bin: PathBuf,
    /// No workload runs longer than this.
    pub max_secs_per_workload: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Workload {
    pub name: String,
    pub engine: String,
    pub requests: u64,
    pub concurrency: usize,
    /// Requests (or points, for ingestion) per second of wall time.
    pub throughput: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub wall_s: f64,
    /// The server's peak resident memory so far.
    pub peak_rss_mb: f64,
    /// The server's CPU seconds during the workload, and requests per CPU-second.
    pub server_cpu_s: f64,
    pub per_cpu_s: f64,
    /// Baseline p50 / Tandem p50 (reads only): how many times faster than the typical design.
    pub baseline_ratio: Option<f64>,
    pub baseline_p50_ms: Option<f64>,
    /// The baseline was cut off at its time limit: its p50 and the ratio are lower bounds.
    pub baseline_capped: bool,
    pub errors: u64,
    /// The server's goal projection during the workload: rebuilds (each reads the whole tenant)
    /// and committed writes applied in place.
    pub rebuilds: u64,
    pub applied_in_place: u64,
    /// For a page: the size of its HTML, in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_bytes: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Generated {
    pub engine: String,
    pub seconds: f64,
    pub people: usize,
    pub units: usize,
    pub objectives: usize,
    pub key_results: usize,
    pub check_ins: usize,
    pub lessons: usize,
    pub kpis: usize,
    pub kpi_values: usize,
    pub metrics: usize,
    pub points: usize,
    /// From `tandem serve` starting to its first 200 on a read that loads the tenant.
    pub first_read_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub employees: usize,
    pub seed: u64,
    pub generated: Vec<Generated>,
    pub workloads: Vec<Workload>,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// A database for one run, and how to get rid of it.
struct Scratch {
    url: String,
    engine: Engine,
    dir: PathBuf,
    pg: Option<(String, String)>,
}

impl Scratch {
    async fn new(engine: Engine, pg_url: &str) -> Result<Scratch, String> {
        let tag = format!("{}_{}", std::process::id(), Instant::now().elapsed().as_nanos() ^ now_ns());
        let dir = std::env::temp_dir().join(format!("tandem-bench-{tag}"));
        std::fs::create_dir_all(&dir).map_err(err)?;
        match engine {
            Engine::Sqlite => Ok(Scratch {
                url: format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()),
                engine,
                dir,
                pg: None,
            }),
            Engine::Postgres => {
                let name = format!("tandem_bench_{tag}");
                let admin = Db::connect(pg_url).await.map_err(|e| format!("PostgreSQL at {pg_url}: {e}"))?;
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(admin.pool()).await.map_err(err)?;
                admin.close().await;
                let base = pg_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(pg_url);
                Ok(Scratch { url: format!("{base}/{name}"), engine, dir, pg: Some((pg_url.to_string(), name)) })
            }
        }
    }

    async fn drop_all(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((admin_url, name)) = self.pg
            && let Ok(admin) = Db::connect(&admin_url).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(admin.pool()).await;
            admin.close().await;
        }
    }
}

fn now_ns() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

fn engine_name(e: Engine) -> &'static str {
    match e {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    }
}

/// A running `tandem serve`.
struct Server {
    child: std::process::Child,
    base: String,
}

impl Server {
    fn start(bin: &PathBuf, url: &str, dir: &std::path::Path) -> Result<Server, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(err)?.port();
        let child = std::process::Command::new(bin)
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .env("TANDEM_DATABASE_URL", url)
            .env("TANDEM_DATA_DIR", dir)
            .env("TANDEM_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        Ok(Server { child, base: format!("http://127.0.0.1:{port}") })
    }

    /// Waits for `/healthz` (up to a minute), then signs in as the generated CEO: the API token.
    async fn sign_in(&self, client: &reqwest::Client) -> Result<String, String> {
        let mut up = false;
        for _ in 0..600 {
            if client.get(format!("{}/healthz", self.base)).send().await.is_ok_and(|r| r.status().is_success()) {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if !up {
            return Err("tandem serve did not answer /healthz within a minute".into());
        }
        let login = client
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&serde_json::json!({"email": generate::CEO_EMAIL, "password": generate::PASSWORD}))
            .send()
            .await
            .map_err(err)?
            .json::<serde_json::Value>()
            .await
            .map_err(err)?;
        Ok(login["token"].as_str().ok_or("sign-in failed")?.to_string())
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident memory (MB) and CPU seconds so far, from /proc.
    fn usage(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let hwm = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|k| k.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0;
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        // Fields after the command name: utime and stime are the 12th and 13th.
        let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = after.split_whitespace().collect();
        let ticks = f.get(11).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0)
            + f.get(12).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
        (hwm, ticks / 100.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request of a workload: method, path and body for the i-th request.
type MakeRequest = Arc<dyn Fn(u64) -> (reqwest::Method, String, Option<serde_json::Value>) + Send + Sync>;

struct Measured {
    hist: Histogram<u64>,
    requests: u64,
    errors: u64,
    wall: f64,
}

/// Sends up to `total` requests from `concurrency` clients (stopping at `max_secs`).
async fn drive(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    total: u64,
    concurrency: usize,
    max_secs: f64,
    make: MakeRequest,
) -> Measured {
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(max_secs);
    let mut tasks = vec![];
    for _ in 0..concurrency {
        let (client, base, token, next, make) =
            (client.clone(), base.to_string(), token.to_string(), next.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("histogram bounds");
            let (mut n, mut errors) = (0u64, 0u64);
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total || Instant::now() > deadline {
                    break;
                }
                let (method, path, body) = make(i);
                // A request still waiting at the deadline is cut off there (and counted as an error).
                let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
                // The bearer token for the API; the same secret as a session cookie for pages.
                let mut req = client
                    .request(method, format!("{base}{path}"))
                    .bearer_auth(&token)
                    .header(reqwest::header::COOKIE, format!("tandem_session={token}"))
                    .timeout(left);
                if let Some(b) = body {
                    req = req.json(&b);
                }
                let t = Instant::now();
                let ok = match req.send().await {
                    Ok(r) => {
                        let good = r.status().is_success();
                        let _ = r.bytes().await;
                        good
                    }
                    Err(_) => false,
                };
                let _ = hist.record((t.elapsed().as_micros() as u64).max(1));
                n += 1;
                if !ok {
                    errors += 1;
                }
            }
            (hist, n, errors)
        }));
    }
    let mut hist = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("histogram bounds");
    let (mut requests, mut errors) = (0, 0);
    for t in tasks {
        if let Ok((h, n, e)) = t.await {
            let _ = hist.add(h);
            requests += n;
            errors += e;
        }
    }
    Measured { hist, requests, errors, wall: start.elapsed().as_secs_f64() }
}

struct Spec {
    name: &'static str,
    total: u64,
    concurrency: usize,
    warmup: u64,
    /// Units of work per request (points per batch for ingestion).
    per_request: u64,
    make: MakeRequest,
}

/// Runs every workload on every engine and answers the report.
pub async fn run(opts: &Options, progress: &(dyn Fn(&str) + Sync)) -> Result<Report, String> {
    let mut report = Report { employees: opts.employees, seed: opts.seed, generated: vec![], workloads: vec![] };
    for &engine in &opts.engines {
        let scratch = Scratch::new(engine, &opts.pg_url).await?;
        let out = run_engine(opts, &scratch, progress).await;
        scratch.drop_all().await;
        let (generated, mut workloads) = out?;
        report.generated.push(generated);
        report.workloads.append(&mut workloads);
    }
    Ok(report)
}

async fn run_engine(
    opts: &Options,
    scratch: &Scratch,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<(Generated, Vec<Workload>), String> {
    let engine = engine_name(scratch.engine);
    progress(&format!("{engine}: generating {} employees", opts.employees));
    let db = Db::connect(&scratch.url).await.map_err(err)?;
    db.migrate().await.map_err(err)?;
    let app = tandem_app::App::new(db.clone(), Arc::new(tandem_app::clock::SystemClock));
    let t0 = Instant::now();
    let fx = generate::generate(&app, "bench", opts.employees, opts.seed).await?;
    let gen_s = t0.elapsed().as_secs_f64();
    progress(&format!(
        "{engine}: {} objectives, {} key results, {} check-ins, {} lessons, {} KPIs with {} values, {} metrics with {} points in {gen_s:.1} s",
        fx.objectives,
        fx.key_results.len(),
        fx.check_ins,
        fx.lessons,
        fx.kpis,
        fx.kpi_values,
        fx.metrics,
        fx.points
    ));

    baseline::prepare(&db).await?;
    let server = Server::start(&opts.tandem_bin, &scratch.url, &scratch.dir)?;
    // No redirects followed: a page that sends the caller to sign in is an error, not a success.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(err)?;
    let started = Instant::now();
    let token = server.sign_in(&client).await?;
    let cycle = fx.cycle;
    // The first read loads the tenant's projection.
    let first = client
        .get(format!("{}/api/v1/dashboard?cycle={cycle}", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .map_err(err)?;
    if !first.status().is_success() {
        return Err(format!("dashboard answered {}", first.status()));
    }
    let first_read_s = started.elapsed().as_secs_f64();
    let generated = Generated {
        engine: engine.into(),
        seconds: gen_s,
        people: fx.people,
        units: fx.units,
        objectives: fx.objectives,
        key_results: fx.key_results.len(),
        check_ins: fx.check_ins,
        lessons: fx.lessons,
        kpis: fx.kpis,
        kpi_values: fx.kpi_values,
        metrics: fx.metrics,
        points: fx.points,
        first_read_s,
    };

    let (ceo, ceo_objective) = ceo_and_objective(&client, &server.base, &token, cycle).await?;
    let pages = [("objective_page", format!("/objectives/{ceo_objective}")), ("person_page", format!("/people/{ceo}"))];
    let mut page_bytes = std::collections::HashMap::new();
    for (name, path) in &pages {
        page_bytes.insert(*name, page_size(&client, &server.base, &token, path).await?);
    }
    let n = opts.employees as u64;
    let departments = Arc::new(fx.departments.clone());
    let krs = Arc::new(fx.key_results.clone());
    let metric = fx.metric;
    const TERMS: [&str; 6] = ["会员", "复购", "nps", "交付", "growth", "门店效率"];
    let batch = 10_000u64;
    let points = (n * 100).clamp(batch, 1_000_000);
    // Reads run with one client: their p50 is then a latency, as each baseline's (timed one
    // query at a time) is, and the ratio compares like with like.
    let specs = vec![
        Spec {
            name: "heat_map",
            total: 200,
            concurrency: 1,
            warmup: 5,
            per_request: 1,
            make: Arc::new(move |_| (reqwest::Method::GET, format!("/api/v1/dashboard?cycle={cycle}"), None)),
        },
        Spec {
            name: "team_dashboard",
            total: 1000,
            concurrency: 1,
            warmup: 10,
            per_request: 1,
            make: {
                let departments = departments.clone();
                Arc::new(move |i| {
                    let u = departments[(i as usize * 7919) % departments.len().max(1)];
                    (reqwest::Method::GET, format!("/api/v1/org-units/{u}/tree?cycle={cycle}"), None)
                })
            },
        },
        Spec {
            name: "scoring_report",
            total: 50,
            concurrency: 1,
            warmup: 2,
            per_request: 1,
            make: Arc::new(move |_| (reqwest::Method::GET, format!("/api/v1/cycles/{cycle}/scores"), None)),
        },
        Spec {
            name: "search",
            total: 2000,
            concurrency: 1,
            warmup: 20,
            per_request: 1,
            make: Arc::new(|i| {
                (
                    reqwest::Method::GET,
                    format!("/api/v1/search?q={}&limit=20", urlencode(TERMS[i as usize % TERMS.len()])),
                    None,
                )
            }),
        },
        // An objective's page (the CEO's: the most aligned below it, the longest history) and
        // a person's page, whole HTML, as the CEO sees them.
        Spec {
            name: "objective_page",
            total: 300,
            concurrency: 1,
            warmup: 5,
            per_request: 1,
            make: {
                let path = pages[0].1.clone();
                Arc::new(move |_| (reqwest::Method::GET, path.clone(), None))
            },
        },
        Spec {
            name: "person_page",
            total: 300,
            concurrency: 1,
            warmup: 5,
            per_request: 1,
            make: {
                let path = pages[1].1.clone();
                Arc::new(move |_| (reqwest::Method::GET, path.clone(), None))
            },
        },
        Spec {
            name: "check_in_1_client",
            total: 500,
            concurrency: 1,
            warmup: 5,
            per_request: 1,
            make: {
                let krs = krs.clone();
                Arc::new(move |i| check_in(&krs, i))
            },
        },
        Spec {
            name: "check_in_64_clients",
            total: 5000,
            concurrency: 64,
            warmup: 0,
            per_request: 1,
            make: {
                let krs = krs.clone();
                Arc::new(move |i| check_in(&krs, i + 1_000_000))
            },
        },
        Spec {
            name: "ingest_points",
            total: points / batch,
            concurrency: 2,
            warmup: 0,
            per_request: batch,
            make: Arc::new(move |i| {
                let pts: Vec<serde_json::Value> = (0..batch)
                    .map(|j| {
                        let k = i * batch + j;
                        serde_json::json!({"time": format!("2026-{:02}-{:02}T{:02}:{:02}:{:02}Z", 1 + k % 12, 1 + k % 28, k % 24, (k / 24) % 60, (k / 1440) % 60), "value": (k % 1000) as f64, "external_id": format!("b{k}")})
                    })
                    .collect();
                (
                    reqwest::Method::POST,
                    format!("/api/v1/metrics/{metric}/points"),
                    Some(serde_json::json!({"points": pts})),
                )
            }),
        },
        Spec {
            name: "lessons_search",
            total: 2000,
            concurrency: 1,
            warmup: 20,
            per_request: 1,
            make: Arc::new(|i| {
                let term = baseline::LESSON_TERMS[i as usize % baseline::LESSON_TERMS.len()];
                (reqwest::Method::GET, format!("/api/v1/lessons?q={}&limit=20", urlencode(term)), None)
            }),
        },
        // The cycle goes into review once: every key result of the cycle frozen in one write.
        Spec {
            name: "cycle_freeze",
            total: 1,
            concurrency: 1,
            warmup: 0,
            per_request: 1,
            make: Arc::new(move |_| {
                (
                    reqwest::Method::PATCH,
                    format!("/api/v1/cycles/{cycle}"),
                    Some(serde_json::json!({"state": "reviewing"})),
                )
            }),
        },
        Spec {
            name: "review_board",
            total: 500,
            concurrency: 1,
            warmup: 10,
            per_request: 1,
            make: {
                let departments = departments.clone();
                Arc::new(move |i| {
                    let u = departments[(i as usize * 7919) % departments.len().max(1)];
                    (reqwest::Method::GET, format!("/api/v1/cycles/{cycle}/review?unit={u}"), None)
                })
            },
        },
        Spec {
            name: "ambition",
            total: 50,
            concurrency: 1,
            warmup: 2,
            per_request: 1,
            make: Arc::new(move |_| (reqwest::Method::GET, format!("/api/v1/cycles/{cycle}/ambition"), None)),
        },
    ];
    let base_db = Db::connect(&scratch.url).await.map_err(err)?;
    let mut out = vec![];
    for s in specs {
        progress(&format!("{engine}: {}", s.name));
        if s.warmup > 0 {
            drive(&client, &server.base, &token, s.warmup, 1, opts.max_secs_per_workload, s.make.clone()).await;
        }
        let (_, cpu0) = server.usage();
        let before = scale::counters(&client, &server.base).await?;
        let m =
            drive(&client, &server.base, &token, s.total, s.concurrency, opts.max_secs_per_workload, s.make.clone())
                .await;
        let (rss, cpu1) = server.usage();
        let after = scale::counters(&client, &server.base).await?;
        let p50 = m.hist.value_at_quantile(0.5) as f64 / 1000.0;
        let baseline = baseline::measure(&base_db, scratch.engine, s.name, &fx, opts.max_secs_per_workload).await?;
        let work = (m.requests * s.per_request) as f64;
        let cpu = (cpu1 - cpu0).max(0.0);
        out.push(Workload {
            name: s.name.into(),
            engine: engine.into(),
            requests: m.requests,
            concurrency: s.concurrency,
            throughput: if m.wall > 0.0 { work / m.wall } else { 0.0 },
            p50_ms: p50,
            p99_ms: m.hist.value_at_quantile(0.99) as f64 / 1000.0,
            wall_s: m.wall,
            peak_rss_mb: rss,
            server_cpu_s: cpu,
            per_cpu_s: if cpu > 0.0 { work / cpu } else { 0.0 },
            baseline_ratio: baseline.map(|b| if p50 > 0.0 { b.p50_ms / p50 } else { 0.0 }),
            baseline_p50_ms: baseline.map(|b| b.p50_ms),
            baseline_capped: baseline.is_some_and(|b| b.capped),
            errors: m.errors,
            rebuilds: after.0.saturating_sub(before.0),
            applied_in_place: after.1.saturating_sub(before.1),
            page_bytes: page_bytes.get(s.name).copied(),
        });
    }
    base_db.close().await;
    db.close().await;
    drop(server);
    Ok((generated, out))
}

/// The signed-in CEO's person id and their first objective of the cycle.
async fn ceo_and_objective(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    cycle: i64,
) -> Result<(i64, i64), String> {
    let get = |path: String| async move {
        client
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .map_err(err)?
            .json::<serde_json::Value>()
            .await
            .map_err(err)
    };
    let me = get("/api/v1/me".into()).await?;
    let ceo = me["id"].as_i64().or_else(|| me["person"]["id"].as_i64()).ok_or(format!("no id in /me: {me}"))?;
    let objs = get(format!("/api/v1/objectives?cycle={cycle}&owner={ceo}")).await?;
    let list = objs["items"].as_array().or_else(|| objs.as_array()).cloned().unwrap_or_default();
    let first = list.first().and_then(|o| o["id"].as_i64()).ok_or("the CEO has no objective")?;
    Ok((ceo, first))
}

/// A page's size in bytes, checking that it answers 200 (not a redirect to sign in).
async fn page_size(client: &reqwest::Client, base: &str, token: &str, path: &str) -> Result<u64, String> {
    let r = client
        .get(format!("{base}{path}"))
        .header(reqwest::header::COOKIE, format!("tandem_session={token}"))
        .send()
        .await
        .map_err(err)?;
    if r.status() != reqwest::StatusCode::OK {
        return Err(format!("{path} answered {}", r.status()));
    }
    Ok(r.bytes().await.map_err(err)?.len() as u64)
}

fn check_in(krs: &[i64], i: u64) -> (reqwest::Method, String, Option<serde_json::Value>) {
    let kr = krs[(i as usize).wrapping_mul(104_729) % krs.len().max(1)];
    let value = 50.0 + (i % 50) as f64;
    (
        reqwest::Method::POST,
        format!("/api/v1/key-results/{kr}/check-ins"),
        Some(serde_json::json!({"value": value, "confidence": 7, "progress": "bench"})),
    )
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}
