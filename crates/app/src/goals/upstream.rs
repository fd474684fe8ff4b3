//! Telling the owners of aligned objectives that what they align to changed (the cascade's
//! notice, queued in the transaction of the change).

use crate::error::Result;
use crate::notify::outbox::{enqueue, tell_people};

/// Tells the owners of what is aligned to objective `upstream` that it changed (email, in the
/// transaction of the change), and channels that take cascade notices. `what` says what
/// changed, per language; `reason` is the written reason.
pub(crate) async fn queue_upstream_notice(
    tx: &mut tandem_store::Tx,
    goals_now: &crate::goals::snapshot::GoalSnapshot,
    org: &crate::org::chart::OrgSnapshot,
    upstream: &tandem_store::goals::ObjectiveRow,
    what: (&str, &str),
    reason: Option<&str>,
    now: i64,
) -> Result<()> {
    let tenant = upstream.tenant_id;
    let aligned: Vec<&tandem_store::goals::ObjectiveRow> = goals_now
        .objectives
        .iter()
        .filter(|o| o.status != "archived" && o.id != upstream.id)
        .filter(|o| {
            o.parent_id == Some(upstream.id)
                || goals_now.supports.iter().any(|s| s.objective_id == o.id && s.supports_id == upstream.id)
        })
        .collect();
    let reason = reason.unwrap_or("");
    for o in &aligned {
        let owner = match o.owner_type.as_str() {
            "person" => org.person(o.owner_id),
            _ => org.units.iter().find(|u| u.id == o.owner_id).and_then(|u| u.manager_id).and_then(|m| org.person(m)),
        };
        let Some(owner) = owner else { continue };
        let zh = format!(
            "上级目标「{}」已调整：{}。\n原因：{}\n请检查与它对齐的「{}」是否需要随之调整：/objectives/{}",
            upstream.title,
            what.0,
            if reason.is_empty() { "未填写" } else { reason },
            o.title,
            o.id
        );
        let en = format!(
            "The objective “{}” you align to changed: {}.\nReason: {}\nCheck whether “{}” should change with it: /objectives/{}",
            upstream.title,
            what.1,
            if reason.is_empty() { "none given" } else { reason },
            o.title,
            o.id
        );
        tell_people(
            tx,
            tenant,
            "upstream_changed",
            &[owner],
            ("【上级目标调整】", "[Upstream goal changed]"),
            (&zh, &en),
            &format!("/objectives/{}", o.id),
            now,
        )
        .await?;
    }
    if upstream.status == "published" {
        let zh = format!("【目标调整】「{}」：{}。原因：{}", upstream.title, what.0, reason);
        let en = format!("[Goal changed] “{}”: {}. Reason: {}", upstream.title, what.1, reason);
        let data = serde_json::json!({"objective": upstream.id, "aligned": aligned.iter().map(|o| o.id).collect::<Vec<_>>(), "reason": reason});
        enqueue(tx, tenant, "upstream_changed", (&zh, &en), data, now).await?;
    }
    Ok(())
}
