//! The benchmark harness end to end on a tiny tenant, on SQLite and (unless switched off)
//! PostgreSQL: `tandem bench run --json` generates, serves, drives every workload and its
//! baseline, and prints one JSON document. This proves the harness works; it asserts no timing.

use std::process::Command;

#[test]
fn bench_run_reports_every_workload_on_every_engine() {
    let engines =
        if std::env::var("TANDEM_TEST_NO_POSTGRES").is_ok_and(|v| v == "1") { "sqlite" } else { "sqlite,postgres" };
    let out = Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(["bench", "run", "--employees", "40", "--engines", engines, "--max-secs", "2", "--json"])
        .output()
        .expect("run tandem bench");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench failed: {stderr}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let workloads = doc["workloads"].as_array().expect("workloads");
    let n_engines = engines.split(',').count();
    assert_eq!(workloads.len(), 13 * n_engines, "{doc}");
    for w in workloads {
        for field in ["name", "engine", "throughput", "p50_ms", "p99_ms", "wall_s", "peak_rss_mb", "baseline_ratio"] {
            assert!(w.get(field).is_some(), "{field} missing in {w}");
        }
        assert!(w["requests"].as_u64().unwrap_or(0) > 0, "every workload sent requests: {w}");
        assert!(w["peak_rss_mb"].as_f64().unwrap_or(0.0) > 0.0, "the server's memory was read: {w}");
    }
    // Reads have a baseline; writes do not.
    let ratio = |name: &str| workloads.iter().find(|w| w["name"] == name).map(|w| w["baseline_ratio"].clone());
    assert!(ratio("heat_map").is_some_and(|r| r.is_number()));
    assert!(ratio("search").is_some_and(|r| r.is_number()));
    assert!(ratio("lessons_search").is_some_and(|r| r.is_number()));
    assert!(ratio("cycle_freeze").is_some_and(|r| r.is_null()));
    // The freeze is one write, and it succeeded (the review reads after it read frozen values).
    for w in workloads.iter().filter(|w| w["name"] == "cycle_freeze") {
        assert_eq!((w["requests"].as_u64(), w["errors"].as_u64()), (Some(1), Some(0)), "{w}");
    }
    assert!(ratio("check_in_1_client").is_some_and(|r| r.is_null()));
    // The two pages were read whole, signed in (a redirect to sign in would fail the bench).
    for w in workloads.iter().filter(|w| w["name"] == "objective_page" || w["name"] == "person_page") {
        assert!(w["page_bytes"].as_u64().unwrap_or(0) > 1000, "{w}");
    }
    let generated = doc["generated"].as_array().expect("generated");
    assert_eq!(generated.len(), n_engines);
    assert!(generated.iter().all(|g| g["key_results"].as_u64().unwrap_or(0) >= 2 * 40));
    assert!(generated.iter().all(|g| g["lessons"].as_u64() == Some(4000)), "100 lessons per employee");
}
