//! Email against a real SMTP server on loopback (aiosmtpd, `smtp_sink.py`): a red light reaches
//! its owner and the owner's manager in their language, a KPI's only its circle, and nobody who
//! turned red-light email off.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use tandem_store::on_both_engines;
use tandem_store::testing::TestDb;

mod common;
use common::*;

on_both_engines! {
    red_lights_are_emailed_to_their_owner_and_manager => emails;
}

struct Sink {
    child: Child,
    port: u16,
    lines: Arc<Mutex<Vec<Value>>>,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sink() -> Sink {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_sink.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 with aiosmtpd (pip install aiosmtpd)");
    let out = child.stdout.take().expect("stdout");
    let lines = Arc::new(Mutex::new(vec![]));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if line == "ready" {
                let _ = ready_tx.send(());
            } else if let Ok(v) = serde_json::from_str::<Value>(&line) {
                sink.lock().expect("lock").push(v);
            }
        }
    });
    ready_rx.recv_timeout(std::time::Duration::from_secs(20)).expect("the SMTP sink started");
    Sink { child, port, lines }
}

async fn emails(t: &TestDb) {
    let sink = start_sink();
    let a = api(t).await;
    let li = a.login("li.na@demo.example").await;
    let r = a.call("PUT", "/api/v1/me/preferences", Some(&li), Some(json!({"email_alerts": false}))).await;
    assert_eq!(r.status, axum::http::StatusCode::OK);
    assert_eq!(a.call("GET", "/api/v1/me/preferences", Some(&li), None).await.body["email_alerts"], false);
    // Reading the red lights raises the demo's: each is emailed in the same transaction's outbox.
    let hr = a.login("hr@demo.example").await;
    let alerts = a.items("/api/v1/alerts", &hr).await;
    assert!(alerts.iter().any(|x| x["reason"] == "forecast_red"));
    let mailer = tandem_app::notify::email::Mailer::new(
        &format!("smtp://127.0.0.1:{}", sink.port),
        "Tandem <tandem@demo.example>",
    )
    .expect("mailer");
    let app = a.app.clone().with_mailer(mailer);
    let sent = app.dispatch_due().await.expect("dispatch");
    assert!(sent >= 3, "{sent} emails");
    // The sink prints each message as it takes it.
    let mut got = vec![];
    for _ in 0..100 {
        got = sink.lines.lock().expect("lock").clone();
        if got.len() >= sent {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(got.len(), sent, "every email was taken by the server");
    let to = |who: &str| got.iter().filter(|m| m["to"][0] == who).cloned().collect::<Vec<_>>();
    let zhang = to("zhang.wei@demo.example");
    let red = zhang
        .iter()
        .find(|m| m["subject"].as_str().is_some_and(|s| s.contains("值班时段顾客投诉")))
        .expect("zhang's red light");
    assert!(red["subject"].as_str().is_some_and(|s| s.starts_with("【红灯预警】")), "{red}");
    assert!(red["body"].as_str().is_some_and(|b| b.contains("负责人：张伟")), "{red}");
    assert!(to("li.na@demo.example").is_empty(), "she turned red-light email off");
    // The failing R&D KPI: its owner and her manager, nobody else.
    let kpi = "新品研发节点按期完成率";
    let about_kpi: Vec<&Value> =
        got.iter().filter(|m| m["subject"].as_str().is_some_and(|s| s.contains(kpi))).collect();
    let mut who: Vec<&str> = about_kpi.iter().filter_map(|m| m["to"][0].as_str()).collect();
    who.sort();
    assert_eq!(who, vec!["lin.xiao@demo.example", "sun.hao@demo.example"]);
    assert!(got.iter().all(|m| m["from"] == "tandem@demo.example"));
    // Delivered means delivered: another round sends nothing.
    assert_eq!(app.dispatch_due().await.expect("dispatch"), 0);
    // A KPI change decided: the requester (even with red-light email off) and the KPI's owner.
    let kpi = a.items("/api/v1/kpis", &li).await.into_iter().find(|k| k["name"] == "收银差错率").expect("kpi");
    let body = json!({"changes": {"target": 0.2}, "reason": "新收银系统上线首月"});
    let r = a.call("POST", &format!("/api/v1/kpis/{}/change-requests", kpi["id"]), Some(&li), Some(body)).await;
    let rid = r.body["id"].as_i64().expect("request");
    let decision = json!({"approve": false, "note": "下季度再议"});
    a.call("POST", &format!("/api/v1/kpi-change-requests/{rid}/decision"), Some(&hr), Some(decision)).await;
    assert_eq!(app.dispatch_due().await.expect("dispatch"), 2);
    for _ in 0..100 {
        if sink.lines.lock().expect("lock").len() >= got.len() + 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let all = sink.lines.lock().expect("lock").clone();
    let decided: Vec<&Value> = all[got.len()..].iter().collect();
    let mut who: Vec<&str> = decided.iter().filter_map(|m| m["to"][0].as_str()).collect();
    who.sort();
    assert_eq!(who, vec!["li.na@demo.example", "qin.yue@demo.example"]);
    assert!(decided.iter().all(|m| m["subject"] == "KPI 变更申请未批准：收银差错率"), "{decided:?}");
    assert!(decided.iter().all(|m| m["body"].as_str().is_some_and(|b| b.contains("下季度再议"))));
}
