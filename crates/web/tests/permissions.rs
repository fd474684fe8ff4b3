//! The permissions matrix: every relation to an owner (self, same team, other team, the
//! management chain, HR, admin, another tenant) against a draft objective, a published
//! objective and a KPI, for reading and writing, through the API and the pages.

use axum::http::StatusCode;
use serde_json::json;
use tandem_store::on_both_engines;
use tandem_store::testing::TestDb;

mod common;
use common::*;

on_both_engines! {
    every_relation_reads_and_writes_what_it_may => matrix;
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Can {
    /// 200 / 2xx
    Yes,
    /// Sees it but may not change it.
    Forbidden,
    /// Does not learn it exists.
    Hidden,
    /// May change it, but the KPI is locked while its cycle runs.
    Locked,
}

/// (who, password, read draft, read published, read KPI, write draft, write published, write KPI)
type Row = (&'static str, &'static str, bool, bool, bool, Can, Can, Can);

async fn page_status(a: &Api, email: &str, password: &str, path: &str) -> (StatusCode, String) {
    a.page_as(email, password, path).await
}

async fn matrix(t: &TestDb) {
    let a = api(t).await;
    // Another tenant with its own admin.
    let other = a.app.create_tenant("acme", "Acme").await.expect("tenant");
    a.app
        .admin_create_user(
            tandem_domain::ids::TenantId(other.id),
            tandem_app::org::people::NewPerson {
                name: "Acme".into(),
                email: "root@acme.example".into(),
                roles: vec!["admin".into(), "hr".into()],
                password: Some("acme-password".into()),
                ..Default::default()
            },
        )
        .await
        .expect("acme admin");

    let zhang = a.login("zhang.wei@demo.example").await;
    let objs = a.items("/api/v1/objectives", &zhang).await;
    let draft = objs
        .iter()
        .find(|o| o["status"] == "draft" && o["owner_name"] == "张伟")
        .and_then(|o| o["id"].as_i64())
        .expect("draft");
    let published = objs
        .iter()
        .find(|o| o["status"] == "published" && o["owner_name"] == "张伟")
        .and_then(|o| o["id"].as_i64())
        .expect("published");
    let kpi = a.items("/api/v1/kpis", &zhang).await.first().cloned().expect("zhang's KPI");
    let kpi_id = kpi["id"].as_i64().expect("id");
    let kpi_name = kpi["name"].as_str().expect("name").to_string();

    use Can::*;
    let rows: [Row; 10] = [
        ("zhang.wei@demo.example", "demo-2026", true, true, true, Yes, Yes, Forbidden), // self: a person does not set their own KPIs
        ("yang.fan@demo.example", "demo-2026", false, true, false, Hidden, Forbidden, Hidden), // same team
        ("lin.xiao@demo.example", "demo-2026", false, true, false, Hidden, Forbidden, Hidden), // other team
        ("li.na@demo.example", "demo-2026", true, true, true, Yes, Yes, Locked),        // manager
        ("zhao.min@demo.example", "demo-2026", true, true, true, Yes, Yes, Locked),     // manager's manager
        ("ceo@demo.example", "demo-2026", true, true, true, Yes, Yes, Locked),          // top of the chain
        ("hr@demo.example", "demo-2026", false, true, true, Hidden, Forbidden, Locked), // HR
        ("wu.qian@demo.example", "demo-2026", false, true, true, Hidden, Forbidden, Locked), // HR, another person
        ("admin@demo.example", "demo-2026", false, true, false, Hidden, Forbidden, Hidden), // tenant admin is not HR
        ("root@acme.example", "acme-password", false, false, false, Hidden, Hidden, Hidden), // another tenant
    ];
    let code = |s: StatusCode| match s {
        StatusCode::OK => Yes,
        StatusCode::FORBIDDEN => Forbidden,
        StatusCode::NOT_FOUND => Hidden,
        StatusCode::CONFLICT => Locked,
        other => panic!("unexpected status {other}"),
    };
    for (who, pw, r_draft, r_pub, r_kpi, w_draft, w_pub, w_kpi) in rows {
        let r = a.call("POST", "/api/v1/auth/login", None, Some(json!({"email": who, "password": pw}))).await;
        let tok = r.body["token"].as_str().expect("token").to_string();
        // Reading, through the API…
        let get = |path: String| {
            let tok = tok.clone();
            let a = &a;
            async move { a.call("GET", &path, Some(&tok), None).await.status == StatusCode::OK }
        };
        assert_eq!(get(format!("/api/v1/objectives/{draft}")).await, r_draft, "{who} reads the draft");
        assert_eq!(get(format!("/api/v1/objectives/{published}")).await, r_pub, "{who} reads the published objective");
        assert_eq!(get(format!("/api/v1/kpis/{kpi_id}")).await, r_kpi, "{who} reads the KPI");
        let listed = a.items("/api/v1/kpis", &tok).await.iter().any(|k| k["id"] == json!(kpi_id));
        assert_eq!(listed, r_kpi, "{who} lists the KPI");
        // …and through the pages.
        let (s, _) = page_status(&a, who, pw, &format!("/objectives/{draft}")).await;
        assert_eq!(s == StatusCode::OK, r_draft, "{who} opens the draft's page");
        let (s, _) = page_status(&a, who, pw, &format!("/objectives/{published}")).await;
        assert_eq!(s == StatusCode::OK, r_pub, "{who} opens the published objective's page");
        let (_, board) = page_status(&a, who, pw, "/kpis").await;
        assert_eq!(board.contains(&kpi_name), r_kpi, "{who} sees the KPI on the board");
        // Writing.
        let w = a
            .call("PATCH", &format!("/api/v1/objectives/{draft}"), Some(&tok), Some(json!({"description": "补充说明"})))
            .await;
        assert_eq!(code(w.status), w_draft, "{who} changes the draft");
        let w = a
            .call(
                "PATCH",
                &format!("/api/v1/objectives/{published}"),
                Some(&tok),
                Some(json!({"description": "补充说明"})),
            )
            .await;
        assert_eq!(code(w.status), w_pub, "{who} changes the published objective");
        let w = a.call("PATCH", &format!("/api/v1/kpis/{kpi_id}"), Some(&tok), Some(json!({"target": 2.0}))).await;
        assert_eq!(code(w.status), w_kpi, "{who} changes the KPI");
        if !r_kpi {
            assert!(!w.body.to_string().contains(&kpi_name), "{who} learns nothing of the KPI from the error");
        }
    }
}
