//! Several `tandem serve` processes on one PostgreSQL database.
//!
//! Two phases of concurrent check-ins on the same key results (so the same objectives and the
//! same ancestors): first through every server at once, then through one server alone (its
//! projection is then kept current in place, not rebuilt). After each phase every server's
//! answer for every objective — its score, its roll-up and each key result's value — is
//! compared with a server started afterwards, which computes everything from scratch; every
//! key result must hold the value of its latest check-in (no lost update); and the weekly
//! notices the servers' schedulers raced for must have been claimed once, each reminder sent
//! to each person once.

use crate::{Scratch, Server, drive, err, generate};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tandem_store::{Db, Engine};

#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    pub servers: usize,
    pub clients: usize,
    pub check_ins: u64,
    pub errors: u64,
    pub throughput: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Objectives compared with the from-scratch server, and those that differed.
    pub compared: usize,
    pub mismatches: Vec<String>,
    /// Per server: projection rebuilds and writes applied in place during the phase.
    pub rebuilds: Vec<u64>,
    pub applied_in_place: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScaleOut {
    pub employees: usize,
    pub key_results_hit: usize,
    pub phases: Vec<Phase>,
    /// Key results whose value is not that of their latest check-in.
    pub lost_updates: i64,
    /// (kind, period, claims) for each weekly notice the schedulers ran.
    pub notice_runs: Vec<(String, String, i64)>,
    /// Check-in reminders queued for the same person more than once.
    pub duplicate_reminders: usize,
}

/// Options for [`scale_out`].
#[derive(Debug, Clone)]
pub struct ScaleOptions {
    pub employees: usize,
    pub seed: u64,
    pub servers: usize,
    pub check_ins: u64,
    pub pg_url: String,
    pub tandem_bin: std::path::PathBuf,
}

pub async fn scale_out(opts: &ScaleOptions, progress: &(dyn Fn(&str) + Sync)) -> Result<ScaleOut, String> {
    let scratch = Scratch::new(Engine::Postgres, &opts.pg_url).await?;
    let out = run(opts, &scratch, progress).await;
    scratch.drop_all().await;
    out
}

struct Node {
    server: Server,
    token: String,
}

async fn start(opts: &ScaleOptions, scratch: &Scratch, client: &reqwest::Client, name: &str) -> Result<Node, String> {
    let dir = scratch.dir.join(name);
    std::fs::create_dir_all(&dir).map_err(err)?;
    let server = Server::start(&opts.tandem_bin, &scratch.url, &dir)?;
    let token = server.sign_in(client).await?;
    Ok(Node { server, token })
}

/// The server's counters: (rebuilds, writes applied in place).
pub(crate) async fn counters(client: &reqwest::Client, base: &str) -> Result<(u64, u64), String> {
    let text = client.get(format!("{base}/metrics")).send().await.map_err(err)?.text().await.map_err(err)?;
    let read = |name: &str| {
        text.lines().find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse::<u64>().ok())).unwrap_or(0)
    };
    Ok((read("tandem_goal_projection_rebuilds_total "), read("tandem_goal_writes_applied_total ")))
}

/// Every objective of the cycle as a server answers it: id → (score, roll-up, KR values).
type Answer = HashMap<i64, (f64, f64, Vec<(i64, f64)>)>;

async fn answer(client: &reqwest::Client, node: &Node, cycle: i64) -> Result<Answer, String> {
    let body: serde_json::Value = client
        .get(format!("{}/api/v1/objectives?cycle={cycle}", node.server.base))
        .bearer_auth(&node.token)
        .send()
        .await
        .map_err(err)?
        .json()
        .await
        .map_err(err)?;
    let items = body["items"].as_array().ok_or_else(|| format!("no items in {body}"))?;
    Ok(items
        .iter()
        .map(|o| {
            let krs = o["key_results"]
                .as_array()
                .map(|ks| {
                    ks.iter()
                        .map(|k| (k["id"].as_i64().unwrap_or(0), k["current"].as_f64().unwrap_or(f64::NAN)))
                        .collect()
                })
                .unwrap_or_default();
            (
                o["id"].as_i64().unwrap_or(0),
                (o["score"].as_f64().unwrap_or(f64::NAN), o["rollup"].as_f64().unwrap_or(f64::NAN), krs),
            )
        })
        .collect())
}

/// Where `got` differs from `want` (from scratch), in words.
fn differences(server: usize, got: &Answer, want: &Answer) -> Vec<String> {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9;
    let mut out = vec![];
    if got.len() != want.len() {
        out.push(format!("server {server}: {} objectives, from scratch {}", got.len(), want.len()));
    }
    for (id, (score, rollup, krs)) in want {
        match got.get(id) {
            None => out.push(format!("server {server}: objective {id} missing")),
            Some((s, r, k)) => {
                if !close(*s, *score) || !close(*r, *rollup) {
                    out.push(format!("server {server}: objective {id} score {s}/{r}, from scratch {score}/{rollup}"));
                }
                if k.len() != krs.len() || k.iter().zip(krs).any(|(a, b)| a.0 != b.0 || !close(a.1, b.1)) {
                    out.push(format!("server {server}: objective {id} key results {k:?}, from scratch {krs:?}"));
                }
            }
        }
    }
    out
}

async fn run(opts: &ScaleOptions, scratch: &Scratch, progress: &(dyn Fn(&str) + Sync)) -> Result<ScaleOut, String> {
    progress(&format!("scale-out: generating {} employees on PostgreSQL", opts.employees));
    let db = Db::connect(&scratch.url).await.map_err(err)?;
    db.migrate().await.map_err(err)?;
    let app = tandem_app::App::new(db.clone(), Arc::new(tandem_app::clock::SystemClock));
    let fx = generate::generate(&app, "bench", opts.employees, opts.seed).await?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build().map_err(err)?;
    let mut nodes = vec![];
    for s in 0..opts.servers.max(1) {
        nodes.push(start(opts, scratch, &client, &format!("server{s}")).await?);
    }
    // The key results of the first objectives: a handful of objectives, each checked in on by
    // every server, their ancestors shared.
    let hot: Arc<Vec<i64>> = Arc::new(fx.key_results.iter().take(24).copied().collect());
    let mut phases = vec![];
    for (phase, through) in [(0, nodes.len()), (1, 1)] {
        progress(&format!("scale-out: phase {}: check-ins through {through} server(s)", phase + 1));
        let before: Vec<(u64, u64)> = {
            let mut v = vec![];
            for n in &nodes {
                v.push(counters(&client, &n.server.base).await?);
            }
            v
        };
        let clients = 16;
        let per_server = opts.check_ins / through as u64;
        let mut tasks = vec![];
        for (s, node) in nodes.iter().take(through).enumerate() {
            let (client, base, token, hot) =
                (client.clone(), node.server.base.clone(), node.token.clone(), hot.clone());
            let offset = (phase * 1_000_000 + s * 100_000) as u64;
            tasks.push(tokio::spawn(async move {
                let make: crate::MakeRequest = Arc::new(move |i| {
                    let kr = hot[((i + s as u64) as usize) % hot.len()];
                    let value = 10.0 + ((i + offset) % 90) as f64;
                    (
                        reqwest::Method::POST,
                        format!("/api/v1/key-results/{kr}/check-ins"),
                        Some(serde_json::json!({"value": value, "confidence": 6, "progress": "scale-out"})),
                    )
                });
                drive(&client, &base, &token, per_server, clients, 120.0, make).await
            }));
        }
        let mut hist = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).map_err(err)?;
        let (mut sent, mut errors, mut wall) = (0, 0, 0.0f64);
        for t in tasks {
            let m = t.await.map_err(err)?;
            let _ = hist.add(&m.hist);
            sent += m.requests;
            errors += m.errors;
            wall = wall.max(m.wall);
        }
        // Every server as it answers now, against one that starts from the database alone.
        let fresh = start(opts, scratch, &client, &format!("fresh{phase}")).await?;
        let want = answer(&client, &fresh, fx.cycle).await?;
        let mut mismatches = vec![];
        for (s, node) in nodes.iter().enumerate() {
            mismatches.extend(differences(s, &answer(&client, node, fx.cycle).await?, &want));
        }
        let mut rebuilds = vec![];
        let mut applied = vec![];
        for (n, b) in nodes.iter().zip(&before) {
            let now = counters(&client, &n.server.base).await?;
            rebuilds.push(now.0 - b.0);
            applied.push(now.1 - b.1);
        }
        drop(fresh);
        phases.push(Phase {
            servers: through,
            clients: clients * through,
            check_ins: sent,
            errors,
            throughput: if wall > 0.0 { sent as f64 / wall } else { 0.0 },
            p50_ms: hist.value_at_quantile(0.5) as f64 / 1000.0,
            p99_ms: hist.value_at_quantile(0.99) as f64 / 1000.0,
            compared: want.len(),
            mismatches,
            rebuilds,
            applied_in_place: applied,
        });
    }
    // The schedulers run the weekly notices once a minute from their start; give them a moment.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let lost_updates: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM key_results k WHERE k.tenant_id = $1 AND k.current <> \
         (SELECT c.value FROM check_ins c WHERE c.tenant_id = $1 AND c.kr_id = k.id ORDER BY c.created_at DESC, c.id DESC LIMIT 1)",
    )
    .bind(fx.tenant)
    .fetch_one(db.pool())
    .await
    .map_err(err)?;
    let notice_runs: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT kind, period, COUNT(*) FROM notice_runs WHERE tenant_id = $1 GROUP BY kind, period ORDER BY kind, period",
    )
    .bind(fx.tenant)
    .fetch_all(db.pool())
    .await
    .map_err(err)?;
    let payloads: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM outbox WHERE tenant_id = $1 AND event = 'check_in_reminder'")
            .bind(fx.tenant)
            .fetch_all(db.pool())
            .await
            .map_err(err)?;
    let mut seen = std::collections::HashSet::new();
    let duplicate_reminders = payloads
        .iter()
        .filter_map(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .filter_map(|p| p["to"].as_str().map(String::from))
        .filter(|to| !seen.insert(to.clone()))
        .count();
    drop(nodes);
    db.close().await;
    Ok(ScaleOut {
        employees: opts.employees,
        key_results_hit: hot.len(),
        phases,
        lost_updates,
        notice_runs,
        duplicate_reminders,
    })
}
