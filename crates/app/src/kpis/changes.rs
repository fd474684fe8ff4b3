//! KPI change requests: once a KPI is locked, its owner or manager asks, HR approves or
//! rejects, and the decision is on the record with its reason.

use crate::error::{AppError, Result};
use crate::kpis::kpi::{KpiFilter, KpiPatch, apply_patch, kpi_json};
use crate::{Actor, App, Change, record};
use serde::Serialize;
use tandem_domain::policy;
use tandem_domain::{Invalid, Rule};
use tandem_store::goals::{self};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChangeRequestView {
    pub id: i64,
    pub kpi: i64,
    pub kpi_name: String,
    pub owner_name: String,
    pub requested_by: i64,
    pub requested_by_name: String,
    pub reason: String,
    pub changes: KpiPatch,
    /// The KPI's values when the request was made.
    pub before: serde_json::Value,
    pub status: String,
    pub decided_by: Option<i64>,
    pub decision_note: String,
    pub created_at: i64,
}

impl App {
    /// Asks HR to change a locked KPI. Whoever may set the KPI may ask; a reason is required.
    pub async fn request_kpi_change(
        &self,
        a: &Actor,
        kpi: i64,
        changes: KpiPatch,
        reason: &str,
    ) -> Result<ChangeRequestView> {
        let view = self.get_kpi(a, kpi).await?;
        let org = self.org_snapshot(a.tenant.0).await?;
        if !policy::may_edit_kpi(a, view.owner, &org.tree) {
            return Err(AppError::Forbidden);
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Invalid::new("reason", Rule::Required).into());
        }
        if reason.chars().count() > 2000 {
            return Err(Invalid::new("reason", Rule::TooLong { max: 2000 }).into());
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let before = goals::kpi_in(&mut tx, a.tenant.0, kpi).await?.ok_or(AppError::NotFound)?;
        // Checked now, so HR decides on a change that can be applied.
        if apply_patch(&before, &changes)? == before {
            return Err(Invalid::new("changes", Rule::Required).into());
        }
        let row = goals::KpiChangeRow {
            tenant_id: a.tenant.0,
            id: tx.next_id().await?,
            kpi_id: kpi,
            requested_by: a.person.0,
            reason: reason.into(),
            changes_json: serde_json::to_string(&changes).map_err(|e| AppError::Internal(e.to_string()))?,
            before_json: kpi_json(&before).to_string(),
            status: "pending".into(),
            decided_by: None,
            decided_at: None,
            decision_note: String::new(),
            created_at: now,
        };
        goals::insert_kpi_change(&mut tx, &row).await?;
        let mut c = Change::create("kpi_change_request", row.id, serde_json::json!({"kpi": kpi, "changes": changes}));
        c.reason = Some(reason.into());
        record(&mut tx, Some(a), a.tenant.0, now, c).await?;
        tx.commit().await?;
        self.list_kpi_changes(a, None).await?.into_iter().find(|r| r.id == row.id).ok_or(AppError::NotFound)
    }

    /// Change requests on KPIs the caller may see (HR: all of them).
    pub async fn list_kpi_changes(&self, a: &Actor, status: Option<&str>) -> Result<Vec<ChangeRequestView>> {
        let all = KpiFilter::default();
        let (rows, visible, org) = tokio::try_join!(
            async { Ok::<_, AppError>(goals::kpi_changes(&self.db, a.tenant.0).await?) },
            self.list_kpis(a, &all),
            self.org_snapshot(a.tenant.0),
        )?;
        Ok(rows
            .into_iter()
            .filter(|r| status.is_none_or(|s| r.status == s))
            .filter_map(|r| {
                let k = visible.iter().find(|k| k.id == r.kpi_id)?;
                Some(ChangeRequestView {
                    id: r.id,
                    kpi: r.kpi_id,
                    kpi_name: k.name.clone(),
                    owner_name: k.owner_name.clone(),
                    requested_by: r.requested_by,
                    requested_by_name: org.person(r.requested_by).map(|p| p.name.clone()).unwrap_or_default(),
                    reason: r.reason,
                    changes: serde_json::from_str(&r.changes_json).unwrap_or_default(),
                    before: serde_json::from_str(&r.before_json).unwrap_or_default(),
                    status: r.status,
                    decided_by: r.decided_by,
                    decision_note: r.decision_note,
                    created_at: r.created_at,
                })
            })
            .collect())
    }

    /// HR approves (the change is applied, with the request's reason on the record) or rejects.
    pub async fn decide_kpi_change(
        &self,
        _hr: policy::DecideKpiChanges,
        a: &Actor,
        id: i64,
        approve: bool,
        note: &str,
    ) -> Result<ChangeRequestView> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let req = goals::kpi_change_in(&mut tx, a.tenant.0, id).await?.ok_or(AppError::NotFound)?;
        if req.status != "pending" {
            return Err(AppError::Conflict("already_decided"));
        }
        // A refusal says why: the requester reads it with the decision.
        let note = tandem_domain::text::note("note", note, 2000)?;
        if !approve && note.is_empty() {
            return Err(Invalid::new("note", Rule::Required).into());
        }
        if !goals::decide_kpi_change(
            &mut tx,
            a.tenant.0,
            id,
            if approve { "approved" } else { "rejected" },
            a.person.0,
            now,
            &note,
        )
        .await?
        {
            return Err(AppError::Conflict("already_decided"));
        }
        let mut c = Change::update(
            "kpi_change_request",
            id,
            serde_json::json!({"status": "pending"}),
            serde_json::json!({"status": if approve { "approved" } else { "rejected" }, "note": note}),
        );
        c.action = if approve { "approve" } else { "reject" };
        record(&mut tx, Some(a), a.tenant.0, now, c).await?;
        if approve {
            let before = goals::kpi_in(&mut tx, a.tenant.0, req.kpi_id).await?.ok_or(AppError::NotFound)?;
            let changes: KpiPatch =
                serde_json::from_str(&req.changes_json).map_err(|e| AppError::Internal(e.to_string()))?;
            let mut after = apply_patch(&before, &changes)?;
            after.updated_at = now;
            goals::update_kpi(&mut tx, &after).await?;
            let mut c = Change::update("kpi", req.kpi_id, kpi_json(&before), kpi_json(&after));
            c.reason = Some(format!("{} (#{id})", req.reason));
            record(&mut tx, Some(a), a.tenant.0, now, c).await?;
        }
        // The requester and the KPI's owner hear the decision (both are in the KPI's circle).
        let kpi = goals::kpi_in(&mut tx, a.tenant.0, req.kpi_id).await?.ok_or(AppError::NotFound)?;
        let org = self.org_snapshot(a.tenant.0).await?;
        let owner = (kpi.owner_type == "person").then_some(kpi.owner_id).and_then(|p| org.person(p));
        let people: Vec<_> = org.person(req.requested_by).into_iter().chain(owner).collect();
        let (zh, en) = if approve { ("已批准", "approved") } else { ("未批准", "rejected") };
        let note = note.as_str();
        let subject = (format!("KPI 变更申请{zh}：{}", kpi.name), format!("KPI change {en}: {}", kpi.name));
        let text = (
            format!("{}\n申请理由：{}\nHR 的答复：{}", kpi.name, req.reason, if note.is_empty() { "—" } else { note }),
            format!(
                "{}\nReason given: {}\nHR's answer: {}",
                kpi.name,
                req.reason,
                if note.is_empty() { "—" } else { note }
            ),
        );
        crate::notify::outbox::tell_people(
            &mut tx,
            a.tenant.0,
            "kpi_change_decided",
            &people,
            (&subject.0, &subject.1),
            (&text.0, &text.1),
            "/kpis/requests",
            now,
        )
        .await?;
        tx.commit().await?;
        self.list_kpi_changes(a, None).await?.into_iter().find(|r| r.id == id).ok_or(AppError::NotFound)
    }
}
