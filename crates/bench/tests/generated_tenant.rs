//! The generated tenant is one the app could have made: KPIs for about half of the people with a
//! value per period, department metrics whose points sum to their key results' values (the
//! check-ins are the running sums), and an ingestion metric whose points move the CEO's key
//! result and KPI through the app's own ingestion path.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use tandem_domain::lang::Lang;
use tandem_store::on_both_engines;
use tandem_store::testing::TestDb;
use tandem_store::{checkins, goals, metrics};

on_both_engines! {
    the_generated_tenant_holds_kpis_and_metrics_as_the_app_would => generated;
}

async fn generated(t: &TestDb) {
    let app = tandem_app::App::new(t.db.clone(), Arc::new(tandem_app::clock::SystemClock));
    let fx = tandem_bench::generate::generate(&app, "bench", 120, 7).await.expect("generate");
    let db = &t.db;
    let tenant = fx.tenant;

    // KPIs: about half of the people hold 2–3 each, and every KPI has a value per period.
    let kpis = goals::kpis(db, tenant).await.expect("kpis");
    assert_eq!(kpis.len(), fx.kpis);
    let mut per_owner: HashMap<i64, usize> = HashMap::new();
    for k in &kpis {
        *per_owner.entry(k.owner_id).or_default() += 1;
    }
    let share = per_owner.len() as f64 / fx.people as f64;
    assert!((0.3..=0.7).contains(&share), "{} of {} people hold KPIs", per_owner.len(), fx.people);
    let values = goals::kpi_values(db, tenant).await.expect("values");
    assert_eq!(values.len(), fx.kpi_values);
    let with_values: BTreeSet<i64> = values.iter().map(|v| v.kpi_id).collect();
    let ceo_kpi = kpis.iter().find(|k| k.name == "全渠道订单量").expect("the CEO's KPI").id;
    assert!(kpis.iter().all(|k| k.id == ceo_kpi || with_values.contains(&k.id)), "every KPI but the CEO's has values");
    for v in &values {
        let k = kpis.iter().find(|k| k.id == v.kpi_id).expect("kpi");
        let g = tandem_domain::cycle::PeriodKind::parse("g", &k.granularity).expect("granularity");
        assert_eq!(tandem_domain::kpi::parse_period(g, &v.period).as_deref(), Ok(v.period.as_str()));
    }
    assert!(kpis.iter().any(|k| k.derived_type.as_deref() == Some("key_result")), "some KPIs are cascaded");

    // Department metrics: each bound key result's value is the sum of its metric's points, and
    // its last check-in says so.
    let bindings = metrics::bindings(db, tenant).await.expect("bindings");
    let krs: HashMap<i64, f64> =
        goals::key_results(db, tenant).await.expect("krs").into_iter().map(|k| (k.id, k.current)).collect();
    let mut tx = db.begin().await.expect("begin");
    let mut department_bindings = 0;
    for b in bindings.iter().filter(|b| b.metric_id != fx.metric) {
        assert_eq!((b.subject_type.as_str(), b.aggregation.as_str()), ("key_result", "sum"));
        let sum = metrics::summary_between_in(&mut tx, tenant, b.metric_id, i64::MIN, i64::MAX)
            .await
            .expect("summary")
            .expect("points")
            .sum;
        assert!((krs[&b.subject_id] - sum).abs() < 1e-6, "KR {} holds {} not {sum}", b.subject_id, krs[&b.subject_id]);
        let history = checkins::for_kr(db, tenant, b.subject_id).await.expect("history");
        let last = history.iter().max_by_key(|c| c.created_at).expect("check-ins");
        assert!((last.value - sum).abs() < 1e-6 && last.source == format!("metric:{}", b.metric_id));
        department_bindings += 1;
    }
    drop(tx);
    assert_eq!(department_bindings, fx.metrics, "one bound key result per department metric");
    assert!(fx.points >= 82 * fx.metrics && fx.metrics > 0);

    // The ingestion metric is bound to the CEO's key result and KPI: a pushed point moves both.
    let ceo = app.operator_actor("bench", tandem_bench::generate::CEO_EMAIL).await.expect("ceo");
    let ceo_kr = bindings
        .iter()
        .find(|b| b.metric_id == fx.metric && b.subject_type == "key_result")
        .expect("bound KR")
        .subject_id;
    let now = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let at = now.format(&time::format_description::well_known::Rfc3339).expect("time");
    let pts = [serde_json::json!({"time": at, "value": 1234.0, "external_id": "x1"})];
    let out = app.push_points(&ceo, fx.metric, &pts, None, "push", Lang::Zh).await.expect("push");
    assert_eq!(out.inserted, 1);
    let kr = goals::key_results(db, tenant).await.expect("krs").into_iter().find(|k| k.id == ceo_kr).expect("kr");
    assert_eq!(kr.current, 1234.0);
    let week = tandem_domain::kpi::period_of(tandem_domain::cycle::PeriodKind::Week, now.date()).expect("week");
    let values = goals::kpi_values(db, tenant).await.expect("values");
    assert!(values.iter().any(|v| v.kpi_id == ceo_kpi && v.period == week && v.value == 1234.0), "{values:?}");
}
