//! The HTTP API end to end, on SQLite and on PostgreSQL: the real router over a real database
//! holding the demo company, called the way an integration would call it.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tandem_store::on_both_engines;
use tandem_store::testing::TestDb;

mod common;
use common::*;

on_both_engines! {
    sign_in_and_errors_follow_the_contract => sign_in_contract;
    every_demo_role_can_sign_in => demo_roles;
    another_tenant_sees_nothing => tenant_isolation;
    roles_are_enforced => role_checks;
    bad_input_gets_a_clear_error_and_changes_nothing => bad_input;
    org_chart_import_is_all_or_nothing => csv_import;
    cycles_move_through_their_states => cycle_states;
    browser_sessions_need_csrf_for_writes => cookie_csrf;
    passwords_and_tokens => passwords_and_tokens_body;
    failed_sign_ins_are_throttled => throttling;
    an_email_may_sign_in_to_several_tenants => shared_email;
    answers_carry_the_security_headers => security_headers;
    changes_are_in_the_event_log => event_log;
    colour_bands_are_set_per_tenant => tenant_bands;
    a_token_made_on_the_account_page_is_shown_once => token_page;
    times_are_shown_in_the_company_time_zone => time_zone;
}

async fn sign_in_contract(t: &TestDb) {
    let a = api(t).await;
    let r = a
        .call("POST", "/api/v1/auth/login", None, Some(json!({"email": "ADMIN@demo.example", "password": "demo-2026"})))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    for k in ["id", "name", "email", "roles"] {
        assert!(!r.body["user"][k].is_null(), "user.{k}");
    }
    assert!(r.body["user"]["roles"].as_array().is_some_and(|rs| rs.contains(&json!("admin"))));
    let token = r.body["token"].as_str().expect("token");
    let me = a.call("GET", "/api/v1/me", Some(token), None).await;
    assert_eq!(me.body["email"], "admin@demo.example");

    let bad = a
        .call("POST", "/api/v1/auth/login", None, Some(json!({"email": "admin@demo.example", "password": "nope"})))
        .await;
    assert_eq!((bad.status, bad.code()), (StatusCode::UNAUTHORIZED, "bad_credentials"));
    assert_eq!(bad.body["error"]["message"], "邮箱或密码不正确", "Chinese by default");
    let req = Request::post("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT_LANGUAGE, "en-US,en;q=0.9")
        .body(Body::from(r#"{"email":"nobody@demo.example","password":"x"}"#))
        .expect("req");
    let en = a.raw(req).await;
    assert_eq!(
        (en.status, en.body["error"]["message"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("Wrong email or password"))
    );

    let anon = a.call("GET", "/api/v1/people", None, None).await;
    assert_eq!((anon.status, anon.code()), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    let junk = a.call("GET", "/api/v1/people", Some("tdm_s_not-a-token"), None).await;
    assert_eq!(junk.status, StatusCode::UNAUTHORIZED);

    let out = a.call("POST", "/api/v1/auth/logout", Some(token), None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(a.call("GET", "/api/v1/me", Some(token), None).await.status, StatusCode::UNAUTHORIZED, "signed out");
}

async fn demo_roles(t: &TestDb) {
    let a = api(t).await;
    for email in [
        "admin@demo.example",
        "hr@demo.example",
        "ceo@demo.example",
        "zhao.min@demo.example",
        "li.na@demo.example",
        "zhang.wei@demo.example",
        "lin.xiao@demo.example",
    ] {
        a.login(email).await;
    }
    let tok = a.login("admin@demo.example").await;
    let people = a.items("/api/v1/people", &tok).await;
    assert!((40..=80).contains(&people.len()), "{} people", people.len());
    let zhang = people.iter().find(|p| p["email"] == "zhang.wei@demo.example").expect("zhang");
    let li = people.iter().find(|p| p["email"] == "li.na@demo.example").expect("li");
    let zhao = people.iter().find(|p| p["email"] == "zhao.min@demo.example").expect("zhao");
    assert_eq!(zhang["manager"], li["id"], "a store member reports to the store manager");
    assert_eq!(li["manager"], zhao["id"], "the store manager reports to the region manager");
    // Running the demo again changes nothing.
    let again = a.app.seed_demo().await.expect("demo again");
    assert!(!again.created);
    assert_eq!(a.items("/api/v1/people", &tok).await.len(), people.len());
    assert!(a.items("/api/v1/cycles", &tok).await.iter().any(|c| c["state"] == "active"));
}

async fn tenant_isolation(t: &TestDb) {
    let a = api(t).await;
    let demo_admin = a.login("admin@demo.example").await;
    let other = a.app.create_tenant("acme", "Acme").await.expect("tenant");
    a.app
        .admin_create_user(
            tandem_domain::ids::TenantId(other.id),
            tandem_app::org::people::NewPerson {
                name: "Acme Admin".into(),
                email: "root@acme.example".into(),
                roles: vec!["admin".into(), "hr".into()],
                password: Some("acme-password".into()),
                ..Default::default()
            },
        )
        .await
        .expect("acme admin");
    let r = a
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "root@acme.example", "password": "acme-password"})),
        )
        .await;
    let acme = r.body["token"].as_str().expect("token").to_string();

    let units = a.items("/api/v1/org-units", &demo_admin).await;
    let people = a.items("/api/v1/people", &demo_admin).await;
    let cycles = a.items("/api/v1/cycles", &demo_admin).await;
    assert!(a.items("/api/v1/org-units", &acme).await.is_empty());
    assert_eq!(a.items("/api/v1/people", &acme).await.len(), 1);
    assert!(a.items("/api/v1/cycles", &acme).await.is_empty());
    let mut probed = 0;
    for (kind, list) in [("org-units", &units), ("people", &people), ("cycles", &cycles)] {
        for item in list.iter() {
            let id = item["id"].as_i64().expect("id");
            let get = a.call("GET", &format!("/api/v1/{kind}/{id}"), Some(&acme), None).await;
            assert_eq!((get.status, get.code()), (StatusCode::NOT_FOUND, "not_found"), "GET {kind}/{id}");
            let patch =
                a.call("PATCH", &format!("/api/v1/{kind}/{id}"), Some(&acme), Some(json!({"name": "hijacked"}))).await;
            assert_eq!(patch.status, StatusCode::NOT_FOUND, "PATCH {kind}/{id}");
            probed += 1;
        }
    }
    assert!(probed > 60);
    // Nothing was renamed, and another tenant's ids cannot be used as references either.
    assert!(a.items("/api/v1/people", &demo_admin).await.iter().all(|p| p["name"] != "hijacked"));
    let unit = units[0]["id"].as_i64().expect("id");
    let r = a.call("POST", "/api/v1/org-units", Some(&acme), Some(json!({"name": "x", "parent": unit}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = a
        .call(
            "POST",
            "/api/v1/people",
            Some(&acme),
            Some(json!({"name": "x", "email": "x@acme.example", "org_unit": unit})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let tok = a.call("POST", "/api/v1/me/tokens", Some(&demo_admin), Some(json!({"name": "ci"}))).await;
    let tid = tok.body["id"].as_i64().expect("token id");
    assert_eq!(
        a.call("DELETE", &format!("/api/v1/me/tokens/{tid}"), Some(&acme), None).await.status,
        StatusCode::NOT_FOUND
    );
    let demo_token = tok.body["token"].as_str().expect("secret");
    assert_eq!(
        a.call("GET", "/api/v1/me", Some(demo_token), None).await.status,
        StatusCode::OK,
        "not revoked by the other tenant"
    );
}

async fn role_checks(t: &TestDb) {
    let a = api(t).await;
    let admin = a.login("admin@demo.example").await;
    let hr = a.login("hr@demo.example").await;
    let member = a.login("zhang.wei@demo.example").await;
    let manager = a.login("zhao.min@demo.example").await;
    let unit = a.items("/api/v1/org-units", &admin).await[0]["id"].as_i64().expect("unit");
    let someone = a.id_of("/api/v1/people", &admin, "email", "lin.xiao@demo.example").await;
    let cycle = a.items("/api/v1/cycles", &admin).await[0]["id"].as_i64().expect("cycle");
    let new_unit = json!({"name": "成都春熙路店", "parent": unit});
    let new_cycle = json!({"name": "2027 H1", "kind": "half", "start": "2027-01-01", "end": "2027-06-30"});

    for (who, tok) in [("member", &member), ("manager", &manager), ("hr", &hr)] {
        let r = a.call("POST", "/api/v1/org-units", Some(tok), Some(new_unit.clone())).await;
        assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "forbidden"), "{who} creates a unit");
        let r = a.call("PATCH", &format!("/api/v1/org-units/{unit}"), Some(tok), Some(json!({"name": "x"}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} renames a unit");
    }
    for (who, tok) in [("member", &member), ("manager", &manager)] {
        let r = a.call("POST", "/api/v1/cycles", Some(tok), Some(new_cycle.clone())).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} creates a cycle");
        let r = a.call("PATCH", &format!("/api/v1/cycles/{cycle}"), Some(tok), Some(json!({"name": "x"}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} edits a cycle");
        let r = a.call("PATCH", &format!("/api/v1/people/{someone}"), Some(tok), Some(json!({"title": "x"}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} edits a person");
        let r =
            a.call("POST", "/api/v1/people", Some(tok), Some(json!({"name": "x", "email": "x@demo.example"}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} adds a person");
        let r = a.call("POST", "/api/v1/people/import", Some(tok), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} imports");
    }
    // Everyone in the tenant can read the directory, the chart and the cycles.
    for tok in [&member, &manager] {
        assert!(!a.items("/api/v1/people", tok).await.is_empty());
        assert!(!a.items("/api/v1/org-units", tok).await.is_empty());
        assert!(!a.items("/api/v1/cycles", tok).await.is_empty());
    }
    assert_eq!(a.call("POST", "/api/v1/cycles", Some(&hr), Some(new_cycle.clone())).await.status, StatusCode::CREATED);
    assert_eq!(a.call("POST", "/api/v1/org-units", Some(&admin), Some(new_unit)).await.status, StatusCode::CREATED);
    // HR manages people but cannot hand out the admin role; an admin can.
    let r = a
        .call("PATCH", &format!("/api/v1/people/{someone}"), Some(&hr), Some(json!({"title": "首席饮品研发师"})))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = a.call("PATCH", &format!("/api/v1/people/{someone}"), Some(&hr), Some(json!({"roles": ["admin"]}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r =
        a.call("PATCH", &format!("/api/v1/people/{someone}"), Some(&admin), Some(json!({"roles": ["admin"]}))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["roles"].as_array().is_some_and(|rs| rs.contains(&json!("admin"))));
    // An admin cannot remove their own admin role or deactivate themselves.
    let me = a.call("GET", "/api/v1/me", Some(&admin), None).await.body["id"].as_i64().expect("me");
    let r = a.call("PATCH", &format!("/api/v1/people/{me}"), Some(&admin), Some(json!({"roles": []}))).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "last_admin"));
    let r = a.call("PATCH", &format!("/api/v1/people/{me}"), Some(&admin), Some(json!({"active": false}))).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // A deactivated person is signed out and cannot sign in; their API tokens end and do not
    // come back with reactivation (item 12 of the security issue).
    let lin = a.login("lin.xiao@demo.example").await;
    let token = a.call("POST", "/api/v1/me/tokens", Some(&lin), Some(json!({"name": "script"}))).await.body["token"]
        .as_str()
        .expect("token")
        .to_string();
    let r = a.call("PATCH", &format!("/api/v1/people/{someone}"), Some(&admin), Some(json!({"active": false}))).await;
    assert_eq!(r.status, StatusCode::OK);
    a.call("PATCH", &format!("/api/v1/people/{someone}"), Some(&admin), Some(json!({"active": true}))).await;
    assert_eq!(a.call("GET", "/api/v1/me", Some(&token), None).await.status, StatusCode::UNAUTHORIZED);
    a.call("PATCH", &format!("/api/v1/people/{someone}"), Some(&admin), Some(json!({"active": false}))).await;
    let r = a
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "lin.xiao@demo.example", "password": "demo-2026"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn bad_input(t: &TestDb) {
    let a = api(t).await;
    let admin = a.login("admin@demo.example").await;
    let before = a.items("/api/v1/org-units", &admin).await.len();
    let malformed = Request::post("/api/v1/org-units")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"name":"#))
        .expect("req");
    let r = a.raw(malformed).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "bad_json"));
    assert!(!r.body["error"]["message"].as_str().unwrap_or("").is_empty());
    let r = a.call("POST", "/api/v1/org-units", Some(&admin), Some(json!({"name": 42}))).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "bad_request"));
    // Item 11 of the security issue: an array was read by position, and `[null, null]` detached
    // a unit and cleared its manager.
    let unit = a.id_of("/api/v1/org-units", &admin, "name", "上海南京西路店").await;
    let before_unit = a.call("GET", &format!("/api/v1/org-units/{unit}"), Some(&admin), None).await.body;
    for body in [json!([null, null]), json!(["x"]), json!(null), json!(3)] {
        let r = a.call("PATCH", &format!("/api/v1/org-units/{unit}"), Some(&admin), Some(body.clone())).await;
        assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "bad_request"), "{body}");
        assert!(r.body["error"]["message"].as_str().unwrap_or("").contains("JSON 对象"), "{:?}", r.body);
    }
    let after_unit = a.call("GET", &format!("/api/v1/org-units/{unit}"), Some(&admin), None).await.body;
    assert_eq!(before_unit, after_unit, "nothing changed");
    let no_type = Request::post("/api/v1/org-units")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .body(Body::from(r#"{"name":"x"}"#))
        .expect("req");
    assert_eq!(a.raw(no_type).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = a.call("GET", "/api/v1/org-units/abc", Some(&admin), None).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "bad_request"));
    let r = a.call("POST", "/api/v1/org-units", Some(&admin), Some(json!({"name": "   "}))).await;
    assert_eq!(
        (r.status, r.code(), r.body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", Some("name"))
    );
    let r =
        a.call("POST", "/api/v1/people", Some(&admin), Some(json!({"name": "王五", "email": "not-an-email"}))).await;
    assert_eq!(r.body["error"]["field"], "email");
    let r = a
        .call("POST", "/api/v1/people", Some(&admin), Some(json!({"name": "王五", "email": "li.na@demo.example"})))
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "email_taken"));
    let r = a
        .call(
            "POST",
            "/api/v1/people",
            Some(&admin),
            Some(json!({"name": "王五", "email": "w5@demo.example", "roles": ["boss"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = a
        .call(
            "POST",
            "/api/v1/cycles",
            Some(&admin),
            Some(json!({"name": "x", "kind": "quarter", "start": "2027-03-31", "end": "2027-01-01"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = a
        .call(
            "POST",
            "/api/v1/cycles",
            Some(&admin),
            Some(json!({"name": "x", "kind": "decade", "start": "2027-01-01", "end": "2027-03-31"})),
        )
        .await;
    assert_eq!(r.body["error"]["field"], "kind");
    // An org unit cannot be moved below itself.
    let units = a.items("/api/v1/org-units", &admin).await;
    let root = units.iter().find(|u| u["parent"].is_null()).and_then(|u| u["id"].as_i64()).expect("root");
    let child = units.iter().find(|u| u["parent"] == json!(root)).and_then(|u| u["id"].as_i64()).expect("child");
    let r = a.call("PATCH", &format!("/api/v1/org-units/{root}"), Some(&admin), Some(json!({"parent": child}))).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "org_cycle"));
    assert_eq!(a.items("/api/v1/org-units", &admin).await.len(), before, "nothing was written");
    let r = a.call("GET", "/api/v1/nothing-here", Some(&admin), None).await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "unknown_endpoint"));
}

async fn csv_import(t: &TestDb) {
    let a = api(t).await;
    let admin = a.login("admin@demo.example").await;
    let people_before = a.items("/api/v1/people", &admin).await.len();
    let units_before = a.items("/api/v1/org-units", &admin).await.len();
    let post = |body: &'static str, dry: bool| {
        Request::post(format!("/api/v1/people/import{}", if dry { "?dry_run=true" } else { "" }))
            .header(header::AUTHORIZATION, format!("Bearer {admin}"))
            .header(header::CONTENT_TYPE, "text/csv")
            .body(Body::from(body))
            .expect("req")
    };
    let bad = "姓名,邮箱,部门,上级部门,职位,角色,负责人\n\
               刘备,liu.bei@demo.example,成都春熙路店,华南大区,店长,,是\n\
               ,guan.yu@demo.example,成都春熙路店,,茶饮师,,否\n\
               张飞,not-an-email,成都春熙路店,,茶饮师,,否\n\
               赵云,zhao.yun@demo.example,重庆解放碑店,西南大区,店长,,是\n\
               诸葛亮,liu.bei@demo.example,成都春熙路店,,顾问,,是\n";
    let r = a.raw(post(bad, false)).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "import_rejected"));
    let rows: Vec<(i64, String)> = r.body["error"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|e| (e["row"].as_i64().unwrap_or(0), e["column"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(rows, vec![(3, "name".into()), (4, "email".into()), (6, "email".into())], "file-level checks first");
    assert_eq!(a.items("/api/v1/people", &admin).await.len(), people_before, "nothing half-applied");

    // Rows that parse, but break org rules: an unknown parent and two managers for one unit.
    let bad2 = "name,email,unit,parent_unit,manager\n\
                刘备,liu.bei@demo.example,成都春熙路店,华南大区,yes\n\
                赵云,zhao.yun@demo.example,重庆解放碑店,西南大区,yes\n\
                诸葛亮,zhuge@demo.example,成都春熙路店,,yes\n";
    let r = a.raw(post(bad2, false)).await;
    let cols: Vec<(i64, String)> = r.body["error"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|e| (e["row"].as_i64().unwrap_or(0), e["column"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(cols, vec![(3, "parent_unit".into()), (4, "manager".into())]);
    assert_eq!(a.items("/api/v1/org-units", &admin).await.len(), units_before);

    let good = "name,email,unit,parent_unit,title,roles,manager\n\
                刘备,liu.bei@demo.example,成都春熙路店,西南大区,店长,,yes\n\
                关羽,guan.yu@demo.example,成都春熙路店,,茶饮师,,no\n\
                诸葛亮,zhuge@demo.example,西南大区,华南大区,大区经理,hr,yes\n\
                张伟,zhang.wei@demo.example,成都春熙路店,,值班主管,,no\n";
    let dry = a.raw(post(good, true)).await;
    assert_eq!(dry.status, StatusCode::OK, "{:?}", dry.body);
    assert_eq!(
        (dry.body["units_created"].as_i64(), dry.body["people_created"].as_i64(), dry.body["people_updated"].as_i64()),
        (Some(2), Some(3), Some(1))
    );
    assert_eq!(a.items("/api/v1/people", &admin).await.len(), people_before, "dry run writes nothing");
    // The preview names each unit to be created and each person who changes.
    let new_units: Vec<(&str, i64)> = dry.body["new_units"]
        .as_array()
        .expect("new units")
        .iter()
        .map(|u| (u["name"].as_str().unwrap_or(""), u["row"].as_i64().unwrap_or(0)))
        .collect();
    assert_eq!(new_units, vec![("成都春熙路店", 2), ("西南大区", 4)]);
    let zhang = &dry.body["changed_people"][0];
    assert_eq!(zhang["email"], "zhang.wei@demo.example");
    assert!(
        zhang["changes"].as_array().expect("changes").iter().any(|c| c[0] == "unit" && c[2] == "成都春熙路店"),
        "{zhang}"
    );
    // A misspelt unit is pointed out; asked not to create units, the import refuses and writes nothing.
    let typo = "name,email,unit
孙权,sun.quan@demo.example,华东大去
";
    let r = a.raw(post(typo, true)).await;
    assert_eq!(r.body["new_units"][0]["similar_to"], "华东大区", "{:?}", r.body);
    let strict = Request::post("/api/v1/people/import?create_units=false")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(typo))
        .expect("req");
    let r = a.raw(strict).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "confirm_new_units"), "{:?}", r.body);
    assert!(r.body["error"]["message"].as_str().unwrap_or_default().contains("华东大去"));
    assert_eq!(a.items("/api/v1/org-units", &admin).await.len(), units_before, "no unit was made");
    let done = a.raw(post(good, false)).await;
    assert_eq!(done.status, StatusCode::OK);
    let people = a.items("/api/v1/people", &admin).await;
    assert_eq!(people.len(), people_before + 3);
    let guan = people.iter().find(|p| p["email"] == "guan.yu@demo.example").expect("guan");
    let liu = people.iter().find(|p| p["email"] == "liu.bei@demo.example").expect("liu");
    let zhuge = people.iter().find(|p| p["email"] == "zhuge@demo.example").expect("zhuge");
    assert_eq!(guan["manager"], liu["id"]);
    assert_eq!(liu["manager"], zhuge["id"], "new units were placed under new parents");
    assert_eq!(
        people.iter().find(|p| p["email"] == "zhang.wei@demo.example").map(|p| p["org_unit_name"].clone()),
        Some(json!("成都春熙路店"))
    );
    // Sending the same file again changes nothing new.
    let again = a.raw(post(good, false)).await;
    assert_eq!((again.body["units_created"].as_i64(), again.body["people_created"].as_i64()), (Some(0), Some(0)));
    assert_eq!(a.items("/api/v1/people", &admin).await.len(), people_before + 3);
}

async fn cycle_states(t: &TestDb) {
    let a = api(t).await;
    let hr = a.login("hr@demo.example").await;
    let r = a
        .call(
            "POST",
            "/api/v1/cycles",
            Some(&hr),
            Some(json!({"name": "2027 H1", "kind": "half", "start": "2027-01-01", "end": "2027-06-30"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    for k in ["id", "name", "start", "end", "state"] {
        assert!(!r.body[k].is_null(), "cycle.{k}");
    }
    let h1 = r.body["id"].as_i64().expect("id");
    assert_eq!(r.body["state"], "planning");
    let r = a
        .call(
            "POST",
            "/api/v1/cycles",
            Some(&hr),
            Some(
                json!({"name": "2027年7月", "kind": "month", "start": "2027-07-01", "end": "2027-07-31", "parent": h1}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a month outside its half");
    let r = a
        .call(
            "POST",
            "/api/v1/cycles",
            Some(&hr),
            Some(
                json!({"name": "2027年1月", "kind": "month", "start": "2027-01-01", "end": "2027-01-31", "parent": h1}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = a.call("PATCH", &format!("/api/v1/cycles/{h1}"), Some(&hr), Some(json!({"end": "2027-01-15"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "shrinking would leave January outside");
    let r = a.call("PATCH", &format!("/api/v1/cycles/{h1}"), Some(&hr), Some(json!({"state": "closed"}))).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "bad_state_transition"));
    for s in ["active", "reviewing", "closed"] {
        let r = a.call("PATCH", &format!("/api/v1/cycles/{h1}"), Some(&hr), Some(json!({"state": s}))).await;
        assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some(s)));
    }
    let r = a.call("PATCH", &format!("/api/v1/cycles/{h1}"), Some(&hr), Some(json!({"name": "renamed"}))).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "cycle_closed"));
    let r = a.call("PATCH", &format!("/api/v1/cycles/{h1}"), Some(&hr), Some(json!({"state": "active"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "closed never runs again");
    // HR may reopen a closed cycle's review, with a reason on the record.
    let r = a.call("PATCH", &format!("/api/v1/cycles/{h1}"), Some(&hr), Some(json!({"state": "reviewing"}))).await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")));
    let why = "财务数据晚到，需要重算两个关键结果";
    let r = a
        .call("PATCH", &format!("/api/v1/cycles/{h1}"), Some(&hr), Some(json!({"state": "reviewing", "reason": why})))
        .await;
    assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("reviewing")), "{:?}", r.body);
    let s = a.app.authenticate(&hr).await.expect("hr");
    let hist = tandem_store::events::for_entity(&a.app.db, s.actor.tenant.0, "cycle", h1).await.expect("history");
    assert_eq!(hist.last().and_then(|e| e.reason.as_deref()), Some(why));
    // From the page: a state change is confirmed on a page that says what it will do.
    let q = a.active_quarter(&hr).await;
    let (status, page) = a.page("hr@demo.example", &format!("/cycles/{q}/state?to=reviewing")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("个关键结果的数值被定格") && page.contains("id=\"confirm-state\""), "{page}");
    assert_eq!(
        a.call("GET", &format!("/api/v1/cycles/{q}"), Some(&hr), None).await.body["state"],
        "active",
        "nothing changed yet"
    );
    let (status, _) = a.page("zhang.wei@demo.example", &format!("/cycles/{q}/state?to=reviewing")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn cookie_csrf(t: &TestDb) {
    let a = api(t).await;
    let signed = a.app.login("admin@demo.example", "demo-2026", None, "test").await.expect("login");
    let cookie = format!("tandem_session={}", signed.secret);
    let get = Request::get("/api/v1/me").header(header::COOKIE, &cookie).body(Body::empty()).expect("req");
    assert_eq!(a.raw(get).await.status, StatusCode::OK, "reads need no CSRF token");
    let body = r#"{"name":"新部门"}"#;
    let no_csrf = Request::post("/api/v1/org-units")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("req");
    assert_eq!(a.raw(no_csrf).await.status, StatusCode::FORBIDDEN);
    let wrong = Request::post("/api/v1/org-units")
        .header(header::COOKIE, &cookie)
        .header("x-csrf-token", "0".repeat(64))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("req");
    assert_eq!(a.raw(wrong).await.status, StatusCode::FORBIDDEN);
    let ok = Request::post("/api/v1/org-units")
        .header(header::COOKIE, &cookie)
        .header("x-csrf-token", &signed.session.csrf)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("req");
    assert_eq!(a.raw(ok).await.status, StatusCode::CREATED);
    // Page forms are checked too: a form post without the session's token changes nothing.
    let form = Request::post("/org")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("csrf=forged&name=%E4%BC%AA%E9%80%A0"))
        .expect("req");
    assert_eq!(a.raw(form).await.status, StatusCode::FORBIDDEN);
    let form = Request::post("/org")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("csrf={}&name=%E6%AD%A3%E5%B8%B8&parent=&manager=", signed.session.csrf)))
        .expect("req");
    let r = a.raw(form).await;
    assert_eq!(
        (r.status, r.headers.get(header::LOCATION).and_then(|v| v.to_str().ok())),
        (StatusCode::SEE_OTHER, Some("/org?ok=created"))
    );
    let tok = a.login("admin@demo.example").await;
    let names: Vec<Value> = a.items("/api/v1/org-units", &tok).await.iter().map(|u| u["name"].clone()).collect();
    assert!(names.contains(&json!("正常")) && !names.contains(&json!("伪造")));
}

async fn passwords_and_tokens_body(t: &TestDb) {
    let a = api(t).await;
    let first = a.login("li.na@demo.example").await;
    let second = a.login("li.na@demo.example").await;
    let r = a
        .call(
            "POST",
            "/api/v1/me/password",
            Some(&first),
            Some(json!({"current_password": "wrong", "new_password": "new-secret-1"})),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "wrong_password"));
    let r = a
        .call(
            "POST",
            "/api/v1/me/password",
            Some(&first),
            Some(json!({"current_password": "demo-2026", "new_password": "short"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Item 13 of the security issue: weak passwords, each with its reason in both languages.
    for (weak, zh) in [
        ("        ", "至少需要 8 个字符"),
        ("\0\0\0\0\0\0\0\0", "控制字符"),
        ("Password123", "太常见"),
        ("demo-2026", "不能与当前密码相同"),
    ] {
        let body = json!({"current_password": "demo-2026", "new_password": weak});
        let r = a.call("POST", "/api/v1/me/password", Some(&first), Some(body)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{weak:?}");
        assert!(r.body["error"]["message"].as_str().unwrap_or_default().contains(zh), "{weak:?}: {:?}", r.body);
    }
    // Item 12: API tokens end with the password that made them, and with the account.
    let made = a.call("POST", "/api/v1/me/tokens", Some(&first), Some(json!({"name": "sync"}))).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let token = made.body["token"].as_str().expect("token").to_string();
    assert_eq!(a.call("GET", "/api/v1/me", Some(&token), None).await.status, StatusCode::OK);
    let r = a
        .call(
            "POST",
            "/api/v1/me/password",
            Some(&first),
            Some(json!({"current_password": "demo-2026", "new_password": "new-secret-1"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        a.call("GET", "/api/v1/me", Some(&token), None).await.status,
        StatusCode::UNAUTHORIZED,
        "the token ended"
    );
    assert_eq!(
        a.call("GET", "/api/v1/me", Some(&first), None).await.status,
        StatusCode::OK,
        "the session that changed it stays"
    );
    assert_eq!(
        a.call("GET", "/api/v1/me", Some(&second), None).await.status,
        StatusCode::UNAUTHORIZED,
        "other sessions end"
    );
    let r = a
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "li.na@demo.example", "password": "new-secret-1"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    let r = a.call("POST", "/api/v1/me/tokens", Some(&first), Some(json!({"name": "门店销售同步"}))).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let (id, secret) = (r.body["id"].as_i64().expect("id"), r.body["token"].as_str().expect("secret").to_string());
    assert_eq!(a.call("GET", "/api/v1/me", Some(&secret), None).await.body["email"], "li.na@demo.example");
    let listed = a.items("/api/v1/me/tokens", &first).await;
    assert_eq!(listed.len(), 2, "this one and the one the password change revoked");
    assert_eq!((listed[0]["revoked"].as_bool(), listed[1]["revoked"].as_bool()), (Some(false), Some(true)));
    assert!(!listed[0].to_string().contains(&secret), "the secret is never listed");
    assert_eq!(
        a.call("DELETE", &format!("/api/v1/me/tokens/{id}"), Some(&first), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(a.call("GET", "/api/v1/me", Some(&secret), None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.call("DELETE", &format!("/api/v1/me/tokens/{id}"), Some(&first), None).await.status,
        StatusCode::NOT_FOUND
    );
}

/// Item 9 of the security issue: ten wrong passwords locked any account (admins included) for
/// 15 minutes against the right password, renewable forever, and the 429 (never sent for unknown
/// emails) told which accounts exist.
async fn throttling(t: &TestDb) {
    let start = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000) as i64;
    let clock = std::sync::Arc::new(tandem_app::clock::FixedClock::new(start));
    let a = api_with_clock(t, clock.clone()).await;
    let login = |email: &'static str, password: &'static str| {
        let a = &a;
        async move { a.call("POST", "/api/v1/auth/login", None, Some(json!({"email": email, "password": password}))).await }
    };
    // A known and an unknown email answer alike, try for try.
    let mut answers = vec![];
    for _ in 0..8 {
        let known = login("hr@demo.example", "guess").await;
        let unknown = login("nobody@demo.example", "guess").await;
        assert_eq!(known.status, unknown.status);
        assert_eq!(known.body, unknown.body);
        answers.push(known.status);
    }
    assert_eq!(answers[..5], [StatusCode::UNAUTHORIZED; 5], "the first few are just wrong");
    assert!(answers[5..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "then each try waits");
    let r = login("hr@demo.example", "demo-2026").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        "from here, even the right one waits"
    );
    assert_eq!(r.headers.get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()), Some("1"));
    assert!(r.body["error"]["message"].as_str().unwrap_or_default().contains("秒"), "{:?}", r.body);
    // From anywhere else the right password signs in at once: nobody can lock HR out.
    a.app.login("hr@demo.example", "demo-2026", None, "198.51.100.7").await.expect("another client signs in");
    // The waits double with each wrong try, and end with the right password.
    clock.advance(1_100_000);
    assert_eq!(login("hr@demo.example", "guess").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login("hr@demo.example", "demo-2026").await.status, StatusCode::TOO_MANY_REQUESTS);
    clock.advance(1_100_000);
    assert_eq!(login("hr@demo.example", "demo-2026").await.status, StatusCode::TOO_MANY_REQUESTS, "2 s now");
    clock.advance(1_000_000);
    assert_eq!(login("hr@demo.example", "demo-2026").await.status, StatusCode::OK);
    assert_eq!(login("hr@demo.example", "guess").await.status, StatusCode::UNAUTHORIZED, "a fresh start");
    // Other accounts are not slowed by someone guessing at HR's.
    a.login("ceo@demo.example").await;
    // One client guessing across many emails is stopped as a whole.
    for i in 0..50 {
        let email = format!("guess{i}@demo.example");
        a.app.login(&email, "x", None, "192.0.2.9").await.expect_err("wrong");
    }
    let e = a.app.login("ceo@demo.example", "demo-2026", None, "192.0.2.9").await.expect_err("that client waits");
    assert_eq!(e.code(), "rate_limited");
}

/// Item 5 of the security issue: another tenant's admin created a person with a demo user's
/// email, and the real user's sign-in answered 409 whatever the password.
async fn shared_email(t: &TestDb) {
    let a = api(t).await;
    let add = |slug: &'static str, name: &'static str, email: &'static str, password: &'static str| {
        let a = &a;
        async move {
            let other = a.app.create_tenant(slug, name).await.expect("tenant");
            let p = tandem_app::org::people::NewPerson {
                name: "Impostor".into(),
                email: email.into(),
                password: Some(password.into()),
                ..Default::default()
            };
            a.app.admin_create_user(tandem_domain::ids::TenantId(other.id), p).await.expect("person");
            other.id
        }
    };
    let login = |body: Value| {
        let a = &a;
        async move { a.call("POST", "/api/v1/auth/login", None, Some(body)).await }
    };
    let acme = add("acme", "Acme 公司", "zhang.wei@demo.example", "impostor-pass-2026").await;
    let r = login(json!({"email": "zhang.wei@demo.example", "password": "demo-2026"})).await;
    assert_eq!(r.status, StatusCode::OK, "the real user still signs in: {:?}", r.body);
    assert_eq!(r.body["user"]["name"], "张伟");
    let r = login(json!({"email": "zhang.wei@demo.example", "password": "impostor-pass-2026"})).await;
    assert_eq!((r.status, r.body["user"]["tenant"].as_i64()), (StatusCode::OK, Some(acme)), "each password its tenant");
    // A wrong password answers the same whatever exists where.
    let shared = login(json!({"email": "zhang.wei@demo.example", "password": "wrong-password-1"})).await;
    let nobody = login(json!({"email": "nobody@demo.example", "password": "wrong-password-1"})).await;
    let single = login(json!({"email": "li.na@demo.example", "password": "wrong-password-1"})).await;
    assert_eq!((shared.status, &shared.body), (StatusCode::UNAUTHORIZED, &nobody.body));
    assert_eq!(single.body, nobody.body);
    // Right in two tenants: the answer names them to choose from, and the choice signs in.
    add("beta", "Beta 茶业", "zhang.wei@demo.example", "demo-2026").await;
    let r = login(json!({"email": "zhang.wei@demo.example", "password": "demo-2026"})).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "ambiguous_account"), "{:?}", r.body);
    let mut names: Vec<&str> =
        r.body["error"]["tenants"].as_array().expect("tenants").iter().filter_map(|t| t["name"].as_str()).collect();
    names.sort();
    assert_eq!(names, vec!["Beta 茶业", "云栖茶饮连锁有限公司"], "only where the password is right");
    let r = login(json!({"email": "zhang.wei@demo.example", "password": "demo-2026", "tenant": "beta"})).await;
    assert_eq!((r.status, r.body["user"]["name"].as_str()), (StatusCode::OK, Some("Impostor")));
}

/// Item 15 of the security issue: a strict Content-Security-Policy, HSTS behind HTTPS, and no
/// cache keeping private answers.
async fn security_headers(t: &TestDb) {
    let a = api(t).await;
    let li = a.login("li.na@demo.example").await;
    let h = |r: &Resp, name: &str| r.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    for path in ["/api/v1/kpis", "/api/v1/people", "/api/v1/export/kpis.csv", "/api/v1/me"] {
        let r = a.call("GET", path, Some(&li), None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(h(&r, "cache-control"), "no-store", "{path}");
    }
    let (status, _) = a.page("li.na@demo.example", "/kpis").await;
    assert_eq!(status, StatusCode::OK);
    let r = a.call("GET", "/login", None, None).await;
    let csp = h(&r, "content-security-policy");
    assert!(
        csp.contains("script-src 'self'")
            && csp.contains("frame-ancestors 'none'")
            && !csp.contains("script-src 'self' 'unsafe-inline'"),
        "{csp}"
    );
    assert_eq!(h(&r, "cache-control"), "no-store");
    assert!(h(&r, "strict-transport-security").is_empty(), "no HSTS over plain HTTP");
    let css = a.call("GET", "/static/app.css", None, None).await;
    assert_eq!(h(&css, "cache-control"), "public, max-age=3600", "static files may be cached");
    let secure = Api { router: tandem_web::router(tandem_web::AppState::new(a.app.clone(), true)), app: a.app.clone() };
    let r = secure.call("GET", "/login", None, None).await;
    assert!(h(&r, "strict-transport-security").starts_with("max-age="), "HSTS with secure cookies");
}

async fn event_log(t: &TestDb) {
    let a = api(t).await;
    let admin = a.login("admin@demo.example").await;
    let unit = a.id_of("/api/v1/org-units", &admin, "name", "杭州西湖店").await;
    let r = a
        .call("PATCH", &format!("/api/v1/org-units/{unit}"), Some(&admin), Some(json!({"name": "杭州西湖旗舰店"})))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let session = a.app.authenticate(&admin).await.expect("session");
    let hist = a.app.history(&session.actor, "org_unit", unit).await.expect("history");
    let last = hist.last().expect("an event");
    assert_eq!(last.action, "update");
    assert_eq!(last.before.as_ref().map(|b| b["name"].clone()), Some(json!("杭州西湖店")));
    assert_eq!(last.after.as_ref().map(|b| b["name"].clone()), Some(json!("杭州西湖旗舰店")));
    assert_eq!(last.actor_id, Some(session.actor.person.0));
    let member = a.app.authenticate(&a.login("zhang.wei@demo.example").await).await.expect("member");
    assert!(
        a.app.history(&member.actor, "org_unit", unit).await.expect("history").is_empty(),
        "the audit trail is for admins and HR"
    );
}

async fn tenant_bands(t: &TestDb) {
    let a = api(t).await;
    let admin = a.login("admin@demo.example").await;
    let hr = a.login("hr@demo.example").await;
    let r = a.call("GET", "/api/v1/tenant", Some(&hr), None).await;
    assert_eq!((r.body["band_yellow_from"].as_f64(), r.body["band_green_from"].as_f64()), (Some(0.4), Some(0.7)));
    let r = a.call("PATCH", "/api/v1/tenant", Some(&hr), Some(json!({"band_green_from": 0.8}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = a.call("PATCH", "/api/v1/tenant", Some(&admin), Some(json!({"band_yellow_from": 0.9}))).await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("bands")),
        "yellow above green"
    );
    let r = a
        .call("PATCH", "/api/v1/tenant", Some(&admin), Some(json!({"band_yellow_from": 0.3, "band_green_from": 0.8})))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = a.call("GET", "/api/v1/tenant", Some(&hr), None).await;
    assert_eq!((r.body["band_yellow_from"].as_f64(), r.body["band_green_from"].as_f64()), (Some(0.3), Some(0.8)));
}

/// The OpenAPI document is OpenAPI 3, names every contract path, and every route it documents
/// is served (none answers "unknown endpoint" or "method not allowed").
#[tokio::test]
async fn openapi_covers_every_route() {
    let t = TestDb::new(tandem_store::Engine::Sqlite).await;
    let a = api(&t).await;
    let doc = a.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = doc.body["paths"].as_object().expect("paths");
    for p in [
        "/api/v1/auth/login",
        "/api/v1/me",
        "/api/v1/org-units",
        "/api/v1/org-units/{id}",
        "/api/v1/people",
        "/api/v1/people/{id}",
        "/api/v1/cycles",
        "/api/v1/cycles/{id}",
    ] {
        assert!(paths.contains_key(p), "{p} is documented");
    }
    let token = a.login("admin@demo.example").await;
    let mut checked = 0;
    for (path, ops) in paths {
        for method in ops.as_object().expect("ops").keys() {
            let concrete = path.replace("{id}", "0");
            let r = a.call(&method.to_uppercase(), &concrete, Some(&token), None).await;
            assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert_ne!(r.code(), "unknown_endpoint", "{method} {path}");
            checked += 1;
        }
    }
    assert!(checked >= 17, "{checked} operations");
    // Health and metrics need no sign-in; metrics count what was just served.
    assert_eq!(a.call("GET", "/healthz", None, None).await.status, StatusCode::OK);
    let m = a.call("GET", "/metrics", None, None).await;
    let text = m.body.as_str().unwrap_or("");
    assert!(text.contains("# TYPE tandem_http_requests_total counter"), "{text}");
    let api_2xx: u64 = text
        .lines()
        .find(|l| l.starts_with("tandem_http_requests_total{area=\"api\",status=\"2xx\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(api_2xx >= 2, "{api_2xx} API successes counted");
    t.finish().await;
}

async fn token_page(t: &TestDb) {
    let a = api(t).await;
    let s = a.app.login("zhang.wei@demo.example", "demo-2026", None, "test").await.expect("login");
    let cookie = format!("tandem_session={}", s.secret);
    let get = |path: &str| Request::get(path).header("cookie", &cookie).body(Body::empty()).expect("req");
    let html = |r: &Resp| r.body.as_str().unwrap_or_default().to_string();
    let tokens = |html: &str| html.matches("/revoke\"").count();
    let before = html(&a.raw(get("/account")).await);
    let post = Request::post("/account/tokens")
        .header("cookie", &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("csrf={}&name=ci&scope=full", s.session.csrf)))
        .expect("req");
    // The post redirects; the page it lands on shows the secret once.
    let r = a.raw(post).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let location = r.headers.get(header::LOCATION).and_then(|l| l.to_str().ok()).map(String::from).expect("redirect");
    assert!(location.starts_with("/account?ok=created&reveal="), "{location}");
    let r = a.raw(get(&location)).await;
    assert_eq!(r.status, StatusCode::OK);
    let page = html(&r);
    assert!(page.contains("tdm_"), "the secret is shown: {page}");
    assert_eq!(tokens(&page), tokens(&before) + 1);
    // A reload makes no second token and shows the secret no more.
    let r = a.raw(get(&location)).await;
    assert_eq!(r.status, StatusCode::OK);
    let again = html(&r);
    assert!(!again.contains("tdm_") && again.contains("只显示一次"), "{again}");
    assert_eq!(tokens(&again), tokens(&before) + 1);
    // Nor to another session of the same person.
    let (_, other) = a.page("zhang.wei@demo.example", &location).await;
    assert!(!other.contains("tdm_"));
}

async fn time_zone(t: &TestDb) {
    let a = api_on_a_november_day(t).await; // 2026-11-20T04:00Z: 12:00 in Beijing, 05:00 in Berlin
    let admin = a.login("admin@demo.example").await;
    let zhang = a.login("zhang.wei@demo.example").await;
    assert_eq!(a.call("GET", "/api/v1/tenant", Some(&admin), None).await.body["time_zone"], "Asia/Shanghai");
    let r = a.call("PATCH", "/api/v1/tenant", Some(&admin), Some(json!({"time_zone": "Mars/Olympus"}))).await;
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("time_zone")));
    let r = a.call("PATCH", "/api/v1/tenant", Some(&zhang), Some(json!({"time_zone": "UTC"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let o = a
        .items("/api/v1/objectives", &zhang)
        .await
        .into_iter()
        .find(|o| o["owner_name"] == "张伟" && o["status"] == "published")
        .expect("objective");
    let kid = o["key_results"][0]["id"].as_i64().expect("kr");
    let r = a
        .call(
            "POST",
            &format!("/api/v1/key-results/{kid}/check-ins"),
            Some(&zhang),
            Some(json!({"value": 3.0, "confidence": 6})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let path = format!("/objectives/{}", o["id"]);
    let (_, page) = a.page("zhang.wei@demo.example", &path).await;
    assert!(page.contains("2026-11-20 12:00") && !page.contains("UTC"), "Beijing time");
    // The admin moves the company to Berlin from the org page; a wrong name keeps what was typed.
    let (status, _, html) = a.form("admin@demo.example", "/org/time-zone", &[("time_zone", "Europe/Berln")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("“公司时区”不是已知的时区") && html.contains("value=\"Europe/Berln\""), "{html}");
    let (status, location, _) = a.form("admin@demo.example", "/org/time-zone", &[("time_zone", "Europe/Berlin")]).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/org?ok=saved#time-zone")));
    let (_, page) = a.page("zhang.wei@demo.example", &path).await;
    assert!(page.contains("2026-11-20 05:00") && !page.contains("2026-11-20 12:00"), "Berlin time");
}
