//! One storage conformance suite, run on SQLite and on PostgreSQL: every behaviour the rest of
//! Tandem relies on must hold on both engines.

use tandem_store::credentials::{self, CredentialRow};
use tandem_store::cycles::{self, CycleRow};
use tandem_store::org::{self, OrgUnitRow};
use tandem_store::people::{self, PersonRow};
use tandem_store::tenants::{self, TenantRow};
use tandem_store::testing::TestDb;
use tandem_store::{Db, EventRecord, StoreError, events, on_both_engines};

on_both_engines! {
    rows_round_trip_and_stay_in_their_tenant => rows_round_trip;
    unique_email_per_tenant => unique_email;
    a_write_and_its_event_commit_together => write_and_event_atomic;
    credentials_expire_and_revoke => credentials_lifecycle;
    ids_are_unique_across_app_servers => ids_unique;
    cycles_update => cycles_update_body;
    concurrent_writers_lose_nothing => concurrent_writers;
    messages_of_a_removed_channel_are_dropped_not_sent => dropped_messages;
    ids_run_out_inside_a_write_without_waiting_on_it => ids_inside_a_write;
    many_writes_taking_ids_at_once_do_not_starve_the_pool => ids_under_load;
    the_database_summarises_points_as_the_domain_does => point_summaries;
    kpis_and_their_values_load_in_bulk => kpis_in_bulk;
    a_cycle_freezes_with_the_domains_scores_and_provenance => freeze_scores;
}

/// Points written in bulk (more than one statement's worth, with a repeated external id that is
/// skipped, some before 1970), then revised, are summarised by the database exactly as
/// `Summary::of` summarises them: over whole days from the day summaries, over any other window
/// from the points, in this tenant and metric only.
async fn point_summaries(t: &TestDb) {
    use tandem_domain::metric::{DataPoint, Summary};
    use tandem_store::metrics::{self, DAY_US, MetricRow, PointRow};
    let db = &t.db;
    let (a, b) = (tenant(db, "pts-a").await, tenant(db, "pts-b").await);
    let mut tx = db.begin().await.expect("begin");
    for (tenant_id, id) in [(a, 1), (b, 1), (a, 2)] {
        let m = MetricRow {
            tenant_id,
            id,
            name: format!("m{id}"),
            unit: String::new(),
            description: String::new(),
            created_by: None,
            created_at: 1,
        };
        metrics::insert_metric(&mut tx, &m).await.expect("metric");
    }
    let point = |tenant_id: i64, metric_id: i64, i: i64| PointRow {
        tenant_id,
        id: 10_000 + i + metric_id * 100_000 + tenant_id * 1_000_000,
        metric_id,
        // About seven points a day over 200 days from three days before 1970; two points share
        // each time, so the later id is the latest.
        at: (i / 2) * (DAY_US / 3) - 3 * DAY_US,
        value: ((i * 7919) % 1000) as f64 / 4.0 - 60.0,
        external_id: Some(format!("e{i}")),
        source: "push".into(),
        author_id: None,
        created_at: 1,
    };
    let rows: Vec<PointRow> = (0..1200).map(|i| point(a, 1, i)).collect();
    assert_eq!(metrics::insert_points(&mut tx, &rows).await.expect("points"), 1200);
    // A second batch: new points and one repeated external id (skipped).
    let mut more: Vec<PointRow> = (1200..1500).map(|i| point(a, 1, i)).collect();
    let mut dup = point(a, 1, 3);
    dup.id = 1;
    dup.value = 1e9;
    more.push(dup);
    assert_eq!(metrics::insert_points(&mut tx, &more).await.expect("more"), 300, "the repeated external id is skipped");
    // A revision of a few points (a source correcting its days).
    let revised: Vec<PointRow> =
        [5, 6, 700].iter().map(|&i| PointRow { id: 900_000 + i, value: -500.0 - i as f64, ..point(a, 1, i) }).collect();
    assert_eq!(metrics::upsert_points(&mut tx, &revised).await.expect("revise"), 3);
    metrics::insert_points(&mut tx, &(0..10).map(|i| point(b, 1, i)).collect::<Vec<_>>()).await.expect("b");
    metrics::insert_points(&mut tx, &(0..10).map(|i| point(a, 2, i)).collect::<Vec<_>>()).await.expect("m2");
    let windows = [
        (0, 50 * DAY_US),
        (-3 * DAY_US, 0),
        (DAY_US, 2 * DAY_US),
        (100 * DAY_US, 101 * DAY_US),
        (i64::MIN, i64::MAX),
        (i64::MIN, 10 * DAY_US),
        (400 * DAY_US, 500 * DAY_US),
        (12_345, DAY_US * 3 + 7),
    ];
    for (from, to) in windows {
        let pts = metrics::points_between_in(&mut tx, a, 1, from, to).await.expect("points");
        let want = Summary::of(
            &pts.iter().map(|p| DataPoint { time: p.at, value: p.value, external_id: None }).collect::<Vec<_>>(),
        );
        let got = metrics::summary_between_in(&mut tx, a, 1, from, to).await.expect("summary");
        match (want, got) {
            (None, None) => {}
            (Some(w), Some(g)) => {
                assert_eq!((w.count, w.min, w.max, w.latest), (g.count, g.min, g.max, g.latest), "[{from}, {to})");
                assert!((w.sum - g.sum).abs() < 1e-6, "[{from}, {to}): {} vs {}", w.sum, g.sum);
            }
            other => panic!("[{from}, {to}): {other:?}"),
        }
    }
    let all = metrics::summary_between_in(&mut tx, a, 1, i64::MIN, i64::MAX).await.expect("all").expect("some");
    assert_eq!(all.count, 1500);
    assert_eq!(all.min, -1200.0, "the revised value counts, not the first");
    tx.commit().await.expect("commit");
    let times = metrics::last_point_times(db, a).await.expect("times");
    assert!(times.contains(&(1, point(a, 1, 1499).at)) && times.contains(&(2, point(a, 2, 9).at)), "{times:?}");
}

/// KPIs and their period values inserted in bulk read back as written, and bump the tenant's KPI
/// version.
async fn kpis_in_bulk(t: &TestDb) {
    use tandem_store::goals::{self, KpiRow, KpiValueRow};
    let db = &t.db;
    let a = tenant(db, "kpis").await;
    let before = tenants::state(db, a).await.expect("state").expect("tenant").kpi_version;
    let kpis: Vec<KpiRow> = (0..700)
        .map(|i| KpiRow {
            tenant_id: a,
            id: 100 + i,
            cycle_id: 1,
            name: format!("指标 {i}"),
            owner_type: "person".into(),
            owner_id: 5 + i % 3,
            granularity: if i % 2 == 0 { "week" } else { "month" }.into(),
            direction: "higher_is_better".into(),
            target: 100.0,
            pass_threshold: 90.0,
            warn_threshold: (i % 3 == 0).then_some(80.0),
            unit: "%".into(),
            weight: 0.5,
            derived_type: (i % 4 == 0).then(|| "key_result".to_string()),
            derived_id: (i % 4 == 0).then_some(9),
            created_at: 1,
            updated_at: 2,
        })
        .collect();
    let values: Vec<KpiValueRow> = kpis
        .iter()
        .flat_map(|k| {
            (1..=3).map(move |m| KpiValueRow {
                tenant_id: a,
                id: k.id * 10 + m,
                kpi_id: k.id,
                period: format!("2026-{m:02}"),
                value: m as f64 * 10.0,
                author_id: Some(k.owner_id),
                source: String::new(),
                created_at: 3,
            })
        })
        .collect();
    let mut tx = db.begin().await.expect("begin");
    goals::insert_kpis(&mut tx, &kpis).await.expect("kpis");
    goals::insert_kpi_values(&mut tx, &values).await.expect("values");
    tx.commit().await.expect("commit");
    assert_eq!(goals::kpis(db, a).await.expect("read"), kpis);
    let mut back = goals::kpi_values(db, a).await.expect("values");
    back.sort_by_key(|v| v.id);
    assert_eq!(back, values);
    assert!(tenants::state(db, a).await.expect("state").expect("tenant").kpi_version > before);
}

/// More writes at once than the pool has connections, each taking ids while it holds its
/// connection, through several id blocks: every write finishes (a refill never waits for a
/// connection the waiting writes hold).
async fn ids_under_load(t: &TestDb) {
    let started = std::time::Instant::now();
    let mut tasks = vec![];
    for _ in 0..40 {
        let db = t.db.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = db.begin().await.expect("begin");
            let mut ids = vec![];
            for _ in 0..60 {
                ids.push(tx.next_id().await.expect("id"));
            }
            tx.commit().await.expect("commit");
            ids
        }));
    }
    let mut all = vec![];
    for task in tasks {
        all.extend(task.await.expect("join"));
    }
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "no id handed out twice");
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "no write waited out the pool");
}

/// A write that has taken the write lock and then uses up the id block takes the next block
/// without waiting on itself (SQLite has one write lock), and a block taken in a write that is
/// rolled back is never handed out again.
async fn ids_inside_a_write(t: &TestDb) {
    let db = &t.db;
    let a = tenant(db, "ids").await;
    let started = std::time::Instant::now();
    let mut kept = vec![];
    let mut tx = db.begin().await.expect("begin");
    let id = tx.next_id().await.expect("id");
    people::insert(&mut tx, &person(a, id, "first@x.cn", None)).await.expect("write");
    for _ in 0..2100 {
        kept.push(tx.next_id().await.expect("id inside a write"));
    }
    tx.commit().await.expect("commit");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "no wait on the write's own lock");
    // A write that takes a block and is rolled back.
    let mut tx = db.begin().await.expect("begin");
    let id = tx.next_id().await.expect("id");
    people::insert(&mut tx, &person(a, id, "second@x.cn", None)).await.expect("write");
    let mut lost = vec![];
    for _ in 0..1100 {
        lost.push(tx.next_id().await.expect("id"));
    }
    drop(tx);
    let mut tx = db.begin().await.expect("begin");
    for _ in 0..2100 {
        kept.push(tx.next_id().await.expect("id"));
    }
    tx.commit().await.expect("commit");
    for _ in 0..100 {
        kept.push(db.next_id().await.expect("id"));
    }
    let mut all = kept.clone();
    all.extend(&lost);
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "no id handed out twice, even after a rolled-back block");
}

async fn dropped_messages(t: &TestDb) {
    use tandem_store::notify::{self, OutboxRow};
    let db = &t.db;
    let tid = tenant(db, "drop").await;
    let mut tx = db.begin().await.expect("begin");
    for (id, channel) in [(1, 10), (2, 10), (3, 11), (4, 0)] {
        let row = OutboxRow {
            tenant_id: tid,
            id,
            channel_id: channel,
            event: "alert_raised".into(),
            payload: "{}".into(),
            created_at: 1,
            attempts: 0,
            next_attempt_at: 1,
            lease_until: None,
            delivered_at: None,
            last_error: String::new(),
            dropped_at: None,
        };
        notify::enqueue(&mut tx, &row).await.expect("enqueue");
    }
    assert_eq!(notify::drop_pending(&mut tx, tid, 10, 5).await.expect("drop"), 2);
    tx.commit().await.expect("commit");
    // A server that cannot send channel 0 (email) leaves its messages for one that can.
    let due = notify::claim_due(db, 100, 200, 10, Some(0)).await.expect("claim");
    assert_eq!(due.iter().map(|o| o.id).collect::<Vec<_>>(), vec![3], "only the live channel's message");
    let due = notify::claim_due(db, 100, 200, 10, None).await.expect("claim");
    assert_eq!(due.iter().map(|o| o.id).collect::<Vec<_>>(), vec![4], "the email, to a server that sends email");
    let all = notify::outbox(db, tid, 10).await.expect("outbox");
    assert!(all.iter().filter(|o| o.channel_id == 10).all(|o| o.dropped_at == Some(5) && o.delivered_at.is_none()));
}

async fn tenant(db: &Db, slug: &str) -> i64 {
    let mut tx = db.begin().await.expect("begin");
    let id = tx.next_id().await.expect("id");
    tenants::insert(
        &mut tx,
        &TenantRow {
            id,
            slug: slug.into(),
            name: slug.into(),
            band_yellow: 0.4,
            band_green: 0.7,
            created_at: 1,
            time_zone: "Asia/Shanghai".into(),
        },
    )
    .await
    .expect("tenant");
    tx.commit().await.expect("commit");
    id
}

fn person(tenant_id: i64, id: i64, email: &str, unit: Option<i64>) -> PersonRow {
    PersonRow {
        tenant_id,
        id,
        name: format!("名字 {id}"),
        email: email.into(),
        org_unit_id: unit,
        title: String::new(),
        roles: "member".into(),
        lang: "zh".into(),
        password_hash: None,
        active: 1,
        created_at: 5,
    }
}

async fn rows_round_trip(t: &TestDb) {
    let db = &t.db;
    let a = tenant(db, "alpha").await;
    let b = tenant(db, "beta").await;
    let mut tx = db.begin().await.expect("begin");
    let unit = OrgUnitRow {
        tenant_id: a,
        id: tx.next_id().await.expect("id"),
        name: "总部".into(),
        parent_id: None,
        manager_id: None,
        created_at: 7,
    };
    org::insert(&mut tx, &unit).await.expect("unit");
    let p = person(a, tx.next_id().await.expect("id"), "li@a.example", Some(unit.id));
    people::insert(&mut tx, &p).await.expect("person");
    tx.commit().await.expect("commit");

    assert_eq!(org::get(db, a, unit.id).await.expect("get"), Some(unit.clone()));
    assert_eq!(people::get(db, a, p.id).await.expect("get"), Some(p.clone()));
    assert_eq!(org::get(db, b, unit.id).await.expect("get"), None, "another tenant's id finds nothing");
    assert_eq!(people::get(db, b, p.id).await.expect("get"), None);
    assert!(people::list(db, b).await.expect("list").is_empty());
    assert_eq!(people::by_email_any_tenant(db, "li@a.example").await.expect("by email").len(), 1);
    assert_eq!(tenants::by_slug(db, "alpha").await.expect("slug").map(|t| t.id), Some(a));

    let mut moved = unit.clone();
    moved.name = "集团总部".into();
    let mut tx = db.begin().await.expect("begin");
    org::update(&mut tx, &moved).await.expect("update");
    tx.commit().await.expect("commit");
    assert_eq!(org::list(db, a).await.expect("list"), vec![moved]);
}

async fn unique_email(t: &TestDb) {
    let db = &t.db;
    let a = tenant(db, "alpha").await;
    let b = tenant(db, "beta").await;
    let mut tx = db.begin().await.expect("begin");
    people::insert(&mut tx, &person(a, 1, "x@e.example", None)).await.expect("first");
    people::insert(&mut tx, &person(b, 2, "x@e.example", None)).await.expect("same email, other tenant");
    tx.commit().await.expect("commit");
    let mut tx = db.begin().await.expect("begin");
    let dup = people::insert(&mut tx, &person(a, 3, "x@e.example", None)).await;
    assert!(matches!(dup, Err(StoreError::Conflict)), "{dup:?}");
    drop(tx);
    assert_eq!(people::count(db, a).await.expect("count"), 1);
}

async fn write_and_event_atomic(t: &TestDb) {
    let db = &t.db;
    let a = tenant(db, "alpha").await;
    let ev = |id| EventRecord {
        tenant_id: a,
        at: 100,
        actor_id: Some(9),
        entity: "org_unit",
        entity_id: id,
        action: "create",
        before: None,
        after: Some(serde_json::json!({"name": "华东"})),
        reason: Some("扩张".into()),
    };
    // Rolled back: neither the row nor the event remains.
    let mut tx = db.begin().await.expect("begin");
    org::insert(
        &mut tx,
        &OrgUnitRow { tenant_id: a, id: 50, name: "华东".into(), parent_id: None, manager_id: None, created_at: 1 },
    )
    .await
    .expect("insert");
    tx.record(ev(50)).await.expect("event");
    drop(tx);
    assert_eq!(org::get(db, a, 50).await.expect("get"), None);
    assert_eq!(events::count(db, a).await.expect("count"), 0);
    // Committed: both remain, and the event reads back as written.
    let mut tx = db.begin().await.expect("begin");
    org::insert(
        &mut tx,
        &OrgUnitRow { tenant_id: a, id: 51, name: "华东".into(), parent_id: None, manager_id: None, created_at: 1 },
    )
    .await
    .expect("insert");
    tx.record(ev(51)).await.expect("event");
    tx.commit().await.expect("commit");
    let hist = events::for_entity(db, a, "org_unit", 51).await.expect("history");
    assert_eq!(hist.len(), 1);
    assert_eq!(hist[0].after, Some(serde_json::json!({"name": "华东"})));
    assert_eq!(hist[0].reason.as_deref(), Some("扩张"));
    assert_eq!(hist[0].actor_id, Some(9));
}

async fn credentials_lifecycle(t: &TestDb) {
    let db = &t.db;
    let a = tenant(db, "alpha").await;
    let mut tx = db.begin().await.expect("begin");
    let row = |id, hash: &str, expires| CredentialRow {
        tenant_id: a,
        id,
        person_id: 1,
        kind: "session".into(),
        name: String::new(),
        token_hash: hash.into(),
        csrf: "c".into(),
        created_at: 0,
        last_used_at: None,
        expires_at: expires,
        revoked_at: None,
    };
    credentials::insert(&mut tx, &row(1, "h1", Some(1000))).await.expect("insert");
    credentials::insert(&mut tx, &row(2, "h2", None)).await.expect("insert");
    tx.commit().await.expect("commit");
    assert!(credentials::live_by_hash(db, "h1", 999).await.expect("q").is_some());
    assert!(credentials::live_by_hash(db, "h1", 1000).await.expect("q").is_none(), "expired");
    assert!(credentials::live_by_hash(db, "nope", 0).await.expect("q").is_none());
    let mut tx = db.begin().await.expect("begin");
    assert!(credentials::revoke(&mut tx, a, 1, 2, 5).await.expect("revoke"));
    assert!(!credentials::revoke(&mut tx, a + 1, 1, 1, 5).await.expect("revoke"), "other tenant cannot revoke");
    tx.commit().await.expect("commit");
    assert!(credentials::live_by_hash(db, "h2", 6).await.expect("q").is_none());
    assert!(credentials::live_by_hash(db, "h1", 6).await.expect("q").is_some());
    credentials::touch(db, a, 1, 100_000_000).await.expect("touch");
    let listed = credentials::list_for_person(db, a, 1, "session").await.expect("list");
    assert_eq!(listed.iter().find(|c| c.id == 1).and_then(|c| c.last_used_at), Some(100_000_000));
}

async fn ids_unique(t: &TestDb) {
    let other = t.second_handle().await;
    let (a, b) = (t.db.clone(), other.clone());
    let ta = tokio::spawn(async move {
        let mut v = vec![];
        for _ in 0..2500 {
            v.push(a.next_id().await.expect("id"));
        }
        v
    });
    let tb = tokio::spawn(async move {
        let mut v = vec![];
        for _ in 0..2500 {
            v.push(b.next_id().await.expect("id"));
        }
        v
    });
    let mut all = ta.await.expect("join");
    all.extend(tb.await.expect("join"));
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "no id handed out twice");
    other.close().await;
}

async fn cycles_update_body(t: &TestDb) {
    let db = &t.db;
    let a = tenant(db, "alpha").await;
    let mut c = CycleRow {
        tenant_id: a,
        id: 77,
        name: "2026 Q3".into(),
        kind: "quarter".into(),
        start_date: "2026-07-01".into(),
        end_date: "2026-09-30".into(),
        state: "planning".into(),
        parent_id: None,
        created_at: 1,
    };
    let mut tx = db.begin().await.expect("begin");
    cycles::insert(&mut tx, &c).await.expect("insert");
    let child = CycleRow {
        id: 78,
        name: "7月".into(),
        kind: "month".into(),
        end_date: "2026-07-31".into(),
        parent_id: Some(77),
        ..c.clone()
    };
    cycles::insert(&mut tx, &child).await.expect("child");
    assert_eq!(cycles::children_in(&mut tx, a, 77).await.expect("children"), vec![child]);
    tx.commit().await.expect("commit");
    c.state = "active".into();
    let mut tx = db.begin().await.expect("begin");
    cycles::update(&mut tx, &c).await.expect("update");
    tx.commit().await.expect("commit");
    assert_eq!(cycles::get(db, a, 77).await.expect("get"), Some(c));
    assert_eq!(cycles::list(db, a).await.expect("list").len(), 2);
}

/// Many concurrent writes through one handle each commit exactly once.
async fn concurrent_writers(t: &TestDb) {
    let db = &t.db;
    let a = tenant(db, "alpha").await;
    let mut handles = vec![];
    for i in 0..40 {
        let db = db.clone();
        handles.push(tokio::spawn(async move {
            let mut tx = db.begin().await.expect("begin");
            let id = tx.next_id().await.expect("id");
            people::insert(&mut tx, &person(a, id, &format!("p{i}@a.example"), None)).await.expect("insert");
            tx.record(EventRecord {
                tenant_id: a,
                at: i,
                actor_id: None,
                entity: "person",
                entity_id: id,
                action: "create",
                before: None,
                after: None,
                reason: None,
            })
            .await
            .expect("event");
            tx.commit().await.expect("commit");
        }));
    }
    for h in handles {
        h.await.expect("join");
    }
    assert_eq!(people::count(db, a).await.expect("count"), 40);
    assert_eq!(events::count(db, a).await.expect("count"), 40);
}

/// Both engines' migrations give the same tables and columns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_match_across_engines() {
    if tandem_store::testing::pg_disabled() {
        eprintln!("PostgreSQL switched off by TANDEM_TEST_NO_POSTGRES=1");
        return;
    }
    let lite = TestDb::new(tandem_store::Engine::Sqlite).await;
    let pg = TestDb::new(tandem_store::Engine::Postgres).await;
    // (table, column, type class): the same columns with the same kind of values.
    let mut lite_cols: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT m.name, p.name, CASE p.type WHEN 'INTEGER' THEN 'int' WHEN 'REAL' THEN 'float' WHEN 'TEXT' THEN 'text' ELSE p.type END \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
    )
    .fetch_all(lite.db.pool())
    .await
    .expect("sqlite columns");
    let mut pg_cols: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT), \
         CASE CAST(data_type AS TEXT) WHEN 'bigint' THEN 'int' WHEN 'double precision' THEN 'float' WHEN 'text' THEN 'text' \
         ELSE CAST(data_type AS TEXT) END \
         FROM information_schema.columns WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'",
    )
    .fetch_all(pg.db.pool())
    .await
    .expect("pg columns");
    lite_cols.sort();
    pg_cols.sort();
    assert!(!lite_cols.is_empty());
    assert_eq!(lite_cols, pg_cols);
    lite.finish().await;
    pg.finish().await;
}

/// Freezing a cycle scores in SQL: for every measure over a grid of baselines, targets and values
/// (equal, negative, zero), and with final scores outside [0, 1], the frozen score is the
/// domain's `kr_score` (or the clamped final score); the value's provenance is its latest
/// check-in when that set it (the later-written of two at one instant), else `setup`; drafts
/// and other cycles are left alone.
async fn freeze_scores(t: &TestDb) {
    use tandem_domain::score::{Measure, kr_score};
    use tandem_store::checkins::{self, CheckInRow};
    use tandem_store::goals::{self, KeyResultRow, ObjectiveRow};
    use tandem_store::reviews;
    let db = &t.db;
    let tid = tenant(db, "freeze").await;
    let other = tenant(db, "other").await;
    let mut tx = db.begin().await.expect("begin");
    let cycle = tx.next_id().await.expect("id");
    let objective = |id: i64, tenant_id: i64, status: &str| ObjectiveRow {
        tenant_id,
        id,
        cycle_id: cycle,
        title: format!("目标 {id}"),
        description: String::new(),
        kind: "aspirational".into(),
        owner_type: "person".into(),
        owner_id: 1,
        parent_id: None,
        status: status.into(),
        author_id: 1,
        created_at: 1,
        updated_at: 1,
        published_at: None,
    };
    let (published, draft, elsewhere) =
        (tx.next_id().await.expect("id"), tx.next_id().await.expect("id"), tx.next_id().await.expect("id"));
    goals::insert_objectives(
        &mut tx,
        &[
            objective(published, tid, "published"),
            objective(draft, tid, "draft"),
            objective(elsewhere, other, "published"),
        ],
    )
    .await
    .expect("objectives");
    let grid = [-5.0, 0.0, 1.0, 3.0, 5.0, 10.0, 100.0];
    let mut krs = vec![];
    for m in Measure::ALL {
        for b in grid {
            for tg in grid {
                for c in grid {
                    let id = tx.next_id().await.expect("id");
                    // Every seventh has a manager's final score, some outside [0, 1].
                    let over = (krs.len() % 7 == 0).then(|| [1.3, -0.2, 0.55][krs.len() % 3]);
                    krs.push(KeyResultRow {
                        tenant_id: tid,
                        id,
                        objective_id: published,
                        title: format!("KR {id}"),
                        measure: m.into(),
                        baseline: b,
                        target: tg,
                        current: c,
                        unit: String::new(),
                        weight: 1.0,
                        position: 0,
                        created_at: 2,
                        updated_at: 3,
                        override_score: over,
                        override_reason: over.map(|_| "复核".into()),
                    });
                }
            }
        }
    }
    let mut extra = krs[0].clone();
    extra.id = tx.next_id().await.expect("id");
    extra.objective_id = draft;
    let mut foreign = krs[1].clone();
    foreign.id = tx.next_id().await.expect("id");
    foreign.tenant_id = other;
    foreign.objective_id = elsewhere;
    // (In two batches: sqlx's `Any` driver refuses, on PostgreSQL, a multi-row insert whose
    // rows mix a present and an absent final score.)
    let (with, without): (Vec<KeyResultRow>, Vec<KeyResultRow>) =
        krs.iter().cloned().partition(|k| k.override_score.is_some());
    goals::insert_key_results(&mut tx, &with).await.expect("krs with final scores");
    goals::insert_key_results(&mut tx, &without).await.expect("krs");
    goals::insert_key_results(&mut tx, &[extra.clone(), foreign]).await.expect("krs");
    // Check-ins: the first KR's last one set its value; the second's was edited after; the
    // third has two at one instant (the later-written set it); the fourth's came from a metric.
    let check_in = |kr: &KeyResultRow, id: i64, value: f64, at: i64, source: &str| CheckInRow {
        tenant_id: tid,
        id,
        kr_id: kr.id,
        author_id: 42,
        value,
        previous: kr.baseline,
        confidence: 7,
        progress: String::new(),
        blockers: String::new(),
        help: String::new(),
        created_at: at,
        source: source.into(),
        status: String::new(),
        status_reason: String::new(),
    };
    let mut rows = vec![];
    for (k, value, at, source) in [
        (&krs[0], krs[0].current - 1.0, 10, ""),
        (&krs[0], krs[0].current, 20, ""),
        (&krs[1], krs[1].current + 1.0, 20, ""),
        (&krs[2], krs[2].current + 2.0, 30, ""),
        (&krs[2], krs[2].current, 30, "metric:9"),
        (&krs[3], krs[3].current, 40, "metric:9"),
    ] {
        rows.push(check_in(k, tx.next_id().await.expect("id"), value, at, source));
    }
    checkins::insert_many(&mut tx, &rows).await.expect("check-ins");
    let frozen = reviews::freeze_cycle(&mut tx, tid, cycle, 99).await.expect("freeze");
    tx.commit().await.expect("commit");
    assert_eq!(frozen, krs.len() as u64, "the published objective's key results, no draft's, no other tenant's");

    let finals = reviews::finals_of_cycle(db, tid, cycle).await.expect("finals");
    assert_eq!(finals.len(), krs.len());
    for (k, f) in krs.iter().zip(&finals) {
        assert_eq!(f.kr_id, k.id);
        let rule = kr_score(Measure::parse("m", &k.measure).expect("measure"), k.baseline, k.target, k.current);
        let want = k.override_score.map_or(rule, |o| o.clamp(0.0, 1.0));
        assert!(
            (f.score - want).abs() < 1e-12,
            "{} {} → {} at {}: frozen {} but the rule says {want}",
            k.measure,
            k.baseline,
            k.target,
            k.current,
            f.score
        );
        assert_eq!((f.value, f.cycle_id, f.objective_id, f.frozen_at), (k.current, cycle, published, 99));
    }
    let prov = |i: usize| (finals[i].source.as_str(), finals[i].value_at, finals[i].author_id);
    assert_eq!(prov(0), ("", 20, Some(42)), "its last check-in set it");
    assert_eq!(prov(1), ("setup", 3, None), "edited after its last check-in");
    assert_eq!(prov(2), ("metric:9", 30, Some(42)), "the later-written of two at one instant");
    assert_eq!(prov(3), ("metric:9", 40, Some(42)));
    assert_eq!(prov(4), ("setup", 3, None), "never checked in");
    // Frozen again (the cycle went back to running and into review again): the new values.
    let mut tx = db.begin().await.expect("begin");
    assert_eq!(reviews::freeze_cycle(&mut tx, tid, cycle, 100).await.expect("again"), krs.len() as u64);
    tx.commit().await.expect("commit");
    let again = reviews::finals_of_cycle(db, tid, cycle).await.expect("finals");
    assert_eq!(again.len(), krs.len());
    assert!(again.iter().all(|f| f.frozen_at == 100));
    assert!(reviews::finals_of_cycle(db, other, cycle).await.expect("finals").is_empty());
}
