//! `/metrics` in Prometheus text format: request counts by method, route class and status,
//! and a latency histogram. Kept by hand: a handful of atomics is all it takes.

use crate::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

const BUCKETS_MS: [f64; 10] = [0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 1000.0];
const AREAS: [&str; 4] = ["api", "page", "static", "other"];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

#[derive(Default)]
pub struct Metrics {
    requests: [[AtomicU64; 5]; 4],
    buckets: [AtomicU64; 10],
    count: AtomicU64,
    sum_us: AtomicU64,
}

fn area(path: &str) -> usize {
    if path.starts_with("/api/") {
        0
    } else if path.starts_with("/static/") {
        2
    } else if path == "/healthz" || path == "/metrics" {
        3
    } else {
        1
    }
}

pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let a = area(req.uri().path());
    let start = Instant::now();
    let resp = next.run(req).await;
    let m = &state.metrics;
    let class = (resp.status().as_u16() / 100).clamp(1, 5) as usize - 1;
    m.requests[a][class].fetch_add(1, Ordering::Relaxed);
    let us = start.elapsed().as_micros() as u64;
    m.count.fetch_add(1, Ordering::Relaxed);
    m.sum_us.fetch_add(us, Ordering::Relaxed);
    for (i, b) in BUCKETS_MS.iter().enumerate() {
        if (us as f64) <= b * 1000.0 {
            m.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
    }
    resp
}

pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let m = &state.metrics;
    let mut out = String::new();
    let _ = writeln!(out, "# HELP tandem_http_requests_total HTTP requests answered, by area and status class.");
    let _ = writeln!(out, "# TYPE tandem_http_requests_total counter");
    for (ai, a) in AREAS.iter().enumerate() {
        for (ci, c) in CLASSES.iter().enumerate() {
            let n = m.requests[ai][ci].load(Ordering::Relaxed);
            let _ = writeln!(out, "tandem_http_requests_total{{area=\"{a}\",status=\"{c}\"}} {n}");
        }
    }
    let _ = writeln!(out, "# HELP tandem_http_request_duration_seconds Time to answer a request.");
    let _ = writeln!(out, "# TYPE tandem_http_request_duration_seconds histogram");
    for (i, b) in BUCKETS_MS.iter().enumerate() {
        let n = m.buckets[i].load(Ordering::Relaxed);
        let _ = writeln!(out, "tandem_http_request_duration_seconds_bucket{{le=\"{}\"}} {n}", b / 1000.0);
    }
    let count = m.count.load(Ordering::Relaxed);
    let _ = writeln!(out, "tandem_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
    let _ = writeln!(out, "tandem_http_request_duration_seconds_sum {}", m.sum_us.load(Ordering::Relaxed) as f64 / 1e6);
    let _ = writeln!(out, "tandem_http_request_duration_seconds_count {count}");
    let live = state.app.live_stats();
    let _ =
        writeln!(out, "# HELP tandem_goal_projection_rebuilds_total Goal projections read whole from the database.");
    let _ = writeln!(out, "# TYPE tandem_goal_projection_rebuilds_total counter");
    let _ = writeln!(out, "tandem_goal_projection_rebuilds_total {}", live.rebuilds);
    let _ = writeln!(
        out,
        "# HELP tandem_goal_writes_applied_total Committed goal writes applied to a projection in place."
    );
    let _ = writeln!(out, "# TYPE tandem_goal_writes_applied_total counter");
    let _ = writeln!(out, "tandem_goal_writes_applied_total {}", live.applied);
    let _ = writeln!(out, "# HELP tandem_build_info Version of the running binary.");
    let _ = writeln!(out, "# TYPE tandem_build_info gauge");
    let _ = writeln!(out, "tandem_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], out)
}
