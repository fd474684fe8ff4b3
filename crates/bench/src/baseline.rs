//! The same questions answered the way a typical OKR app does, on the same database and data:
//! roll-ups computed at read time with a recursive CTE over the alignment tree, walking the
//! parent index (heat map; the team dashboard then loads the rows it shows), a query per object for the scoring report, and `LIKE` for search. Each is timed
//! from this process (no HTTP, which favours the baseline) and its median returned.

use crate::generate::Fixture;
use std::time::{Duration, Instant};
use tandem_store::{Db, Engine};

fn clamp(engine: Engine, e: &str) -> String {
    match engine {
        Engine::Sqlite => format!("MAX(0.0, MIN(1.0, {e}))"),
        Engine::Postgres => format!("GREATEST(0.0, LEAST(1.0, {e}))"),
    }
}

/// An objective's own score (the weighted mean of its key results) for the objective `t.id`,
/// through the `(tenant_id, objective_id)` index.
fn own_score(engine: Engine) -> String {
    let score = clamp(engine, "(k.current - k.baseline) / (k.target - k.baseline)");
    format!(
        "(SELECT SUM(k.weight * {score}) / SUM(k.weight) FROM key_results k \
          WHERE k.tenant_id = $1 AND k.objective_id = t.id)"
    )
}

/// The recursive step over the alignment tree, through the `(tenant_id, parent_id)` index.
const DESCEND: &str = "SELECT t.root, o.id FROM tree t JOIN objectives o \
                       ON o.tenant_id = $1 AND o.parent_id = t.id AND o.status = 'published'";

/// The company heat map: every objective's roll-up over everything aligned below it (a
/// recursive CTE per read), averaged per org unit of the owner.
fn heat_map_sql(engine: Engine) -> String {
    format!(
        "WITH RECURSIVE tree(root, id) AS (SELECT id, id FROM objectives WHERE tenant_id = $1 AND cycle_id = $2 \
           AND status = 'published' UNION ALL {DESCEND}), \
         rollup AS (SELECT t.root AS id, AVG({}) AS score FROM tree t GROUP BY t.root) \
         SELECT p.org_unit_id, AVG(r.score), COUNT(*) FROM rollup r \
         JOIN objectives o ON o.tenant_id = $1 AND o.id = r.id \
         JOIN people p ON p.tenant_id = $1 AND p.id = o.owner_id GROUP BY p.org_unit_id",
        own_score(engine)
    )
}

/// One department's objectives (its units', its people's) with their roll-ups: the units below
/// it by one recursive CTE, the objectives aligned below each by another.
fn team_sql(engine: Engine) -> String {
    format!(
        "WITH RECURSIVE units(id) AS (SELECT CAST($3 AS BIGINT) UNION ALL SELECT u.id FROM org_units u JOIN units s \
           ON u.tenant_id = $1 AND u.parent_id = s.id), \
         tree(root, id) AS (SELECT o.id, o.id FROM objectives o WHERE o.tenant_id = $1 AND o.cycle_id = $2 \
           AND o.status = 'published' AND ((o.owner_type = 'person' AND o.owner_id IN \
             (SELECT p.id FROM people p JOIN units s ON p.tenant_id = $1 AND p.org_unit_id = s.id)) \
           OR (o.owner_type = 'org_unit' AND o.owner_id IN (SELECT id FROM units))) UNION ALL {DESCEND}) \
         SELECT t.root, AVG({}) FROM tree t GROUP BY t.root",
        own_score(engine)
    )
}

async fn heat_map(db: &Db, engine: Engine, fx: &Fixture) -> Result<(), String> {
    sqlx::query(&heat_map_sql(engine))
        .bind(fx.tenant)
        .bind(fx.cycle)
        .fetch_all(db.pool())
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// A department's tree as a dashboard shows it: the roll-ups by recursive CTE, then the rows of
/// its objectives and their key results (titles, values, targets) to show beside them.
async fn team(db: &Db, engine: Engine, fx: &Fixture, i: usize) -> Result<(), String> {
    let e = |x: sqlx::Error| x.to_string();
    let unit = fx.departments[(i * 7919) % fx.departments.len().max(1)];
    let rollups: Vec<(i64, Option<f64>)> = sqlx::query_as(&team_sql(engine))
        .bind(fx.tenant)
        .bind(fx.cycle)
        .bind(unit)
        .fetch_all(db.pool())
        .await
        .map_err(e)?;
    if rollups.is_empty() {
        return Ok(());
    }
    let ids = rollups.iter().map(|r| r.0.to_string()).collect::<Vec<_>>().join(", ");
    let objectives = sqlx::query(&format!(
        "SELECT id, title, owner_type, owner_id, parent_id, status FROM objectives WHERE tenant_id = $1 AND id IN ({ids})"
    ))
    .bind(fx.tenant)
    .fetch_all(db.pool())
    .await
    .map_err(e)?;
    let key_results = sqlx::query(&format!(
        "SELECT id, objective_id, title, baseline, target, current, weight FROM key_results \
         WHERE tenant_id = $1 AND objective_id IN ({ids})"
    ))
    .bind(fx.tenant)
    .fetch_all(db.pool())
    .await
    .map_err(e)?;
    std::hint::black_box((objectives.len(), key_results.len()));
    Ok(())
}

/// Every person's score the naive way: their objectives, then each objective's key results.
async fn report(db: &Db, fx: &Fixture) -> Result<(), String> {
    let e = |x: sqlx::Error| x.to_string();
    let people: Vec<i64> = sqlx::query_scalar("SELECT id FROM people WHERE tenant_id = $1")
        .bind(fx.tenant)
        .fetch_all(db.pool())
        .await
        .map_err(e)?;
    let mut total = 0.0;
    for p in people {
        let objs: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM objectives WHERE tenant_id = $1 AND cycle_id = $2 AND owner_id = $3 AND status = 'published'",
        )
        .bind(fx.tenant)
        .bind(fx.cycle)
        .bind(p)
        .fetch_all(db.pool())
        .await
        .map_err(e)?;
        for o in objs {
            let krs: Vec<(f64, f64, f64, f64)> = sqlx::query_as(
                "SELECT current, baseline, target, weight FROM key_results WHERE tenant_id = $1 AND objective_id = $2",
            )
            .bind(fx.tenant)
            .bind(o)
            .fetch_all(db.pool())
            .await
            .map_err(e)?;
            let w: f64 = krs.iter().map(|k| k.3).sum();
            total += krs.iter().map(|(c, b, t, w)| w * ((c - b) / (t - b)).clamp(0.0, 1.0)).sum::<f64>() / w.max(1e-9);
        }
    }
    std::hint::black_box(total);
    Ok(())
}

/// Search the way a typical app does: `LIKE '%q%'` over the titles, ranked as Tandem ranks
/// (matches at the start first, then shorter titles), top 20.
async fn search(db: &Db, engine: Engine, fx: &Fixture, i: usize) -> Result<(), String> {
    const TERMS: [&str; 6] = ["会员", "复购", "nps", "交付", "growth", "门店效率"];
    let term = TERMS[i % TERMS.len()];
    let pos = match engine {
        Engine::Sqlite => "instr(lower(title), $3)",
        Engine::Postgres => "strpos(lower(title), $3)",
    };
    sqlx::query(&format!(
        "SELECT id, title FROM (SELECT id, title FROM objectives WHERE tenant_id = $1 AND lower(title) LIKE $2 \
         UNION ALL SELECT id, title FROM key_results WHERE tenant_id = $1 AND lower(title) LIKE $2) hits \
         ORDER BY CASE WHEN {pos} = 1 THEN 0 ELSE 1 END, length(title), id LIMIT 20"
    ))
    .bind(fx.tenant)
    .bind(format!("%{term}%"))
    .bind(term)
    .fetch_all(db.pool())
    .await
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// What the knowledge-base workload asks (Chinese phrases and English words), shared with the
/// baseline.
pub const LESSON_TERMS: [&str; 6] = ["排班复核", "供应商交期", "高峰备料", "培训", "roster", "灰度发布"];

/// The knowledge base the way a typical app searches it: `LIKE '%q%'` over every lesson's text,
/// shorter first, top 20.
async fn lessons(db: &Db, fx: &Fixture, i: usize) -> Result<(), String> {
    let term = LESSON_TERMS[i % LESSON_TERMS.len()];
    sqlx::query(
        "SELECT id, text FROM lessons WHERE tenant_id = $1 AND lower(text) LIKE $2 ORDER BY length(text), id LIMIT 20",
    )
    .bind(fx.tenant)
    .bind(format!("%{term}%"))
    .fetch_all(db.pool())
    .await
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// The index the typical design's report loop relies on (objectives by owner), which Tandem's
/// own schema does not need. Made once, after generation.
pub async fn prepare(db: &Db) -> Result<(), String> {
    sqlx::query("CREATE INDEX IF NOT EXISTS baseline_objectives_owner ON objectives (tenant_id, owner_id)")
        .execute(db.pool())
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query("ANALYZE").execute(db.pool()).await.map_err(|e| e.to_string())?;
    Ok(())
}

/// Stops a baseline query cut off at its limit. Dropping the client's future does not stop
/// PostgreSQL: the backend runs the recursive CTE on to its end (minutes at 100,000 employees)
/// with its parallel workers on both cores, so every later workload of the run was measured
/// beside it (at 100,000 employees, 64 concurrent check-ins ran at 139/s beside it and 456/s
/// without it; ingestion at 1,000 and 26,000 points/s). The baselines' CTEs are the only
/// statements of the scratch database that begin `WITH RECURSIVE`.
async fn cancel_running(db: &Db, engine: Engine) {
    if engine == Engine::Postgres {
        let _ = sqlx::query(
            "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE 'WITH RECURSIVE%'",
        )
        .execute(db.pool())
        .await;
    }
}

/// A baseline's median latency (ms), and whether it was cut off: a run still going after the
/// time allowed (six times the workload's) is stopped there, and its time is then a lower bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timed {
    pub p50_ms: f64,
    pub capped: bool,
}

/// The baseline for `workload`, or None where there is none (writes).
pub async fn measure(
    db: &Db,
    engine: Engine,
    workload: &str,
    fx: &Fixture,
    max_secs: f64,
) -> Result<Option<Timed>, String> {
    let runs = match workload {
        "heat_map" | "scoring_report" => 7,
        "team_dashboard" | "search" | "lessons_search" => 51,
        _ => return Ok(None),
    };
    let deadline = Instant::now() + Duration::from_secs_f64(max_secs);
    let limit = Duration::from_secs_f64(max_secs * 6.0);
    let mut times = vec![];
    for i in 0..runs + 1 {
        let t = Instant::now();
        let run = async {
            match workload {
                "heat_map" => heat_map(db, engine, fx).await,
                "team_dashboard" => team(db, engine, fx, i).await,
                "scoring_report" => report(db, fx).await,
                "lessons_search" => lessons(db, fx, i).await,
                _ => search(db, engine, fx, i).await,
            }
        };
        match tokio::time::timeout(limit, run).await {
            Ok(done) => done?,
            Err(_) => {
                cancel_running(db, engine).await;
                return Ok(Some(Timed { p50_ms: limit.as_secs_f64() * 1000.0, capped: true }));
            }
        }
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        // A baseline slower than the time allowed is timed once, not waited out again.
        if Instant::now() > deadline {
            break;
        }
    }
    // The first run warms the caches: left out when there are others.
    if times.len() > 2 {
        times.remove(0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times.get(times.len() / 2).map(|&p50_ms| Timed { p50_ms, capped: false }))
}
