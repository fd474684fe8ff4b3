//! Two `tandem serve` processes on one PostgreSQL database: concurrent check-ins on the same
//! objectives through both, then through one. Every server's scores must equal a server's
//! that computes them from scratch, no check-in may be lost, the weekly notices both
//! schedulers race for go out once, and a server alone keeps its projection current in place.

use std::process::Command;

#[test]
fn two_servers_on_one_database_agree_with_a_from_scratch_recomputation() {
    if std::env::var("TANDEM_TEST_NO_POSTGRES").is_ok_and(|v| v == "1") {
        eprintln!("PostgreSQL switched off by TANDEM_TEST_NO_POSTGRES=1");
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(["bench", "scale-out", "--employees", "60", "--servers", "2", "--check-ins", "400"])
        .output()
        .expect("run tandem bench scale-out");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "scale-out failed: {stderr}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let phases = doc["phases"].as_array().expect("phases");
    assert_eq!(phases.len(), 2, "{doc}");
    for p in phases {
        assert_eq!(p["check_ins"].as_u64(), Some(400), "every check-in sent: {p}");
        assert_eq!(p["errors"].as_u64(), Some(0), "none refused or failed: {p}");
        assert!(p["compared"].as_u64().unwrap_or(0) > 50, "the whole tenant compared: {p}");
        assert_eq!(p["mismatches"].as_array().map(Vec::len), Some(0), "every score as from scratch: {p}");
    }
    assert_eq!(phases[0]["servers"].as_u64(), Some(2));
    // Alone, the server applied every one of its check-ins in place and read the tenant whole at
    // most once (to catch up with the other server's last writes).
    let alone = &phases[1];
    assert!(alone["rebuilds"][0].as_u64().is_some_and(|n| n <= 1), "{alone}");
    assert!(alone["applied_in_place"][0].as_u64().is_some_and(|n| n >= 400), "{alone}");
    assert_eq!(doc["lost_updates"].as_i64(), Some(0), "each key result holds its latest check-in: {doc}");
    assert_eq!(doc["duplicate_reminders"].as_u64(), Some(0), "one reminder per person: {doc}");
    let runs = doc["notice_runs"].as_array().expect("notice runs");
    // The week's digest is due from Monday 08:00 UTC (and the reminders from Thursday 09:00).
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
    let monday_morning = (secs / 86_400 + 3).is_multiple_of(7) && secs % 86_400 < 8 * 3600;
    assert!(monday_morning || !runs.is_empty(), "the schedulers sent the week's notices: {doc}");
    assert!(runs.iter().all(|r| r[2] == 1), "each weekly notice claimed once: {doc}");
}
