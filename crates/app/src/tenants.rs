//! Tenants and the operator's tasks (`tandem admin …`): run by whoever holds the database, so
//! they take no signed-in actor.

use crate::error::{AppError, Result};
use crate::people::NewPerson;
use crate::{App, Change, record};
use tandem_domain::ids::TenantId;
use tandem_domain::score::BandThresholds;
use tandem_domain::text::{Name, Slug};
use tandem_store::tenants::{self, TenantRow};

impl App {
    pub async fn create_tenant(&self, slug: &str, name: &str) -> Result<TenantRow> {
        let slug = Slug::parse("slug", slug)?;
        let name = Name::parse("name", name)?;
        let bands = BandThresholds::default();
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let row = TenantRow {
            id: tx.next_id().await?,
            slug: slug.as_str().into(),
            name: name.into_string(),
            band_yellow: bands.yellow_from,
            band_green: bands.green_from,
            created_at: now,
        };
        tenants::insert(&mut tx, &row).await.map_err(|e| match e {
            tandem_store::StoreError::Conflict => AppError::Conflict("slug_taken"),
            other => other.into(),
        })?;
        record(
            &mut tx,
            None,
            row.id,
            now,
            Change {
                entity: "tenant",
                id: row.id,
                action: "create",
                before: None,
                after: Some(serde_json::json!({"slug": row.slug, "name": row.name})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn tenant_by_slug(&self, slug: &str) -> Result<TenantRow> {
        tenants::by_slug(&self.db, &slug.trim().to_ascii_lowercase())
            .await?
            .ok_or(AppError::NotFound)
    }

    pub async fn tenant(&self, id: TenantId) -> Result<TenantRow> {
        tenants::get(&self.db, id.0)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Adds a person with a password (operator path; roles are taken as given).
    pub async fn admin_create_user(&self, tenant: TenantId, new: NewPerson) -> Result<i64> {
        self.tenant(tenant).await?;
        self.insert_person(None, tenant.0, new).await
    }

    pub fn bands(t: &TenantRow) -> BandThresholds {
        BandThresholds::new(t.band_yellow, t.band_green).unwrap_or_default()
    }
}
