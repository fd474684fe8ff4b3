//! Tandem's use cases, one folder per capability (`org`, `notify`, `goals`, `kpis`, `tracking`,
//! `review`, `cycles`, `data`, `exchange`, `demo`), each saying at its top what it owns and which others it may use;
//! the files beside this one are the kernel, which every capability may use and which uses none.
//! Every call takes the signed-in [`Actor`] (or a capability the policy handed out), reads and
//! writes through the store, and records each change in the event log inside the same
//! transaction. No HTTP here, no SQL either.

// The kernel: tools with no business rules, usable by every capability and using none.
pub mod clock;
pub mod cpu;
pub mod error;
pub mod history;
pub mod outbound;
pub mod secrets;
pub mod sheets;

// The capabilities, each in its folder; the folder's doc comment says what it may use.
pub mod cycles;
pub mod data;
pub mod demo;
pub mod exchange;
pub mod goals;
pub mod kpis;
pub mod notify;
pub mod org;
pub mod review;
pub mod tracking;

pub use clock::Clock;
pub use error::{AppError, RowError};
pub use tandem_domain::policy::Actor;

use std::sync::Arc;
use tandem_store::Db;

/// Per-tenant org charts with the org version each was read at.
type OrgCache = std::collections::HashMap<i64, (i64, Arc<org::chart::OrgSnapshot>)>;

/// The application: a database, a clock, and the in-process guards (login throttling).
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    throttle: Arc<org::accounts::Throttle>,
    /// Per-tenant live goal projections (see `goals::projection`).
    live: Arc<goals::projection::Live>,
    /// Per-tenant KPIs and their values (see `kpis::snapshot`).
    kpi_cache: Arc<kpis::snapshot::KpiCache>,
    /// What dashboards keep between requests (see `tracking::dashboard`).
    dashboards: Arc<tracking::dashboard::Kept>,
    /// When each tenant's red lights were last synced (see `tracking::alerts`).
    alert_sync: Arc<tracking::alerts::AlertSync>,
    /// Per-tenant org charts with the org version they were read at.
    org_cache: Arc<std::sync::Mutex<OrgCache>>,
    /// Per-tenant lesson indexes (see `review::lessons`).
    lessons: Arc<review::lessons::LessonCache>,
    /// Where email goes out (none: email notifications wait until it is configured).
    mailer: Option<notify::email::Mailer>,
    /// Seals connector and channel secrets at rest (none: such secrets cannot be saved).
    secrets: Option<Arc<secrets::SecretBox>>,
    /// What connectors may read.
    sources: Arc<data::connectors::SourcePolicy>,
    /// Where connectors, webhooks and bots may connect.
    outbound: Arc<outbound::Outbound>,
    /// The client webhooks and bots are posted with, bound to `outbound` (made on first use).
    webhook_client: Arc<std::sync::OnceLock<reqwest::Client>>,
}

impl App {
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        App {
            db,
            clock,
            throttle: Arc::new(org::accounts::Throttle::default()),
            live: Default::default(),
            kpi_cache: Default::default(),
            dashboards: Default::default(),
            alert_sync: Default::default(),
            org_cache: Default::default(),
            lessons: Default::default(),
            mailer: None,
            secrets: None,
            sources: Default::default(),
            outbound: Default::default(),
            webhook_client: Default::default(),
        }
    }

    /// The same app connecting out under `rules` (the operator's `TANDEM_OUTBOUND_ALLOW`).
    pub fn with_outbound(self, rules: outbound::Outbound) -> Self {
        App { outbound: Arc::new(rules), webhook_client: Default::default(), ..self }
    }

    /// The same app sending email through `mailer`.
    pub fn with_mailer(self, mailer: notify::email::Mailer) -> Self {
        App { mailer: Some(mailer), ..self }
    }

    pub fn now(&self) -> i64 {
        self.clock.now_us()
    }
}

/// One change to record: what, which one, what happened, and the values before and after.
pub(crate) struct Change {
    pub entity: &'static str,
    pub id: i64,
    pub action: &'static str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// Why, when the change needs one (mid-cycle adjustments).
    pub reason: Option<String>,
}

impl Change {
    pub(crate) fn create(entity: &'static str, id: i64, after: serde_json::Value) -> Self {
        Change { entity, id, action: "create", before: None, after: Some(after), reason: None }
    }

    pub(crate) fn update(entity: &'static str, id: i64, before: serde_json::Value, after: serde_json::Value) -> Self {
        Change { entity, id, action: "update", before: Some(before), after: Some(after), reason: None }
    }
}

/// Appends a change to the event log, inside the write that makes it.
pub(crate) async fn record(
    tx: &mut tandem_store::Tx,
    actor: Option<&Actor>,
    tenant: i64,
    at: i64,
    c: Change,
) -> Result<(), AppError> {
    tx.record(tandem_store::EventRecord {
        tenant_id: tenant,
        at,
        actor_id: actor.map(|a| a.person.0),
        entity: c.entity,
        entity_id: c.id,
        action: c.action,
        before: c.before,
        after: c.after,
        reason: c.reason,
    })
    .await?;
    Ok(())
}
