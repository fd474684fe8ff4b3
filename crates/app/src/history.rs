//! Reading the event log: what changed on one thing, by whom, when.

use crate::error::Result;
use crate::{Actor, App};
use tandem_domain::policy::Role;
pub use tandem_store::events::StoredEvent;

impl App {
    /// The history of an org unit or a person. The directory is public inside a tenant, its
    /// audit trail is for the people who maintain it (admins and HR); others get an empty list.
    pub async fn history(&self, a: &Actor, entity: &str, id: i64) -> Result<Vec<StoredEvent>> {
        if !(a.has(Role::Admin) || a.has(Role::Hr)) {
            return Ok(vec![]);
        }
        Ok(tandem_store::events::for_entity(&self.db, a.tenant.0, entity, id).await?)
    }
}
