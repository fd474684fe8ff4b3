//! Tenants and the operator's tasks (`tandem admin …`): run by whoever holds the database, so
//! they take no signed-in actor.

use crate::error::{AppError, Result};
use crate::org::people::NewPerson;
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
            time_zone: tandem_domain::zone::Zone::DEFAULT.into(),
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
            Change::create("tenant", row.id, serde_json::json!({"slug": row.slug, "name": row.name})),
        )
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn tenant_by_slug(&self, slug: &str) -> Result<TenantRow> {
        tenants::by_slug(&self.db, &slug.trim().to_ascii_lowercase()).await?.ok_or(AppError::NotFound)
    }

    pub async fn tenant(&self, id: TenantId) -> Result<TenantRow> {
        tenants::get(&self.db, id.0).await?.ok_or(AppError::NotFound)
    }

    /// Adds a person with a password (operator path; roles are taken as given).
    pub async fn admin_create_user(&self, tenant: TenantId, new: NewPerson) -> Result<i64> {
        self.tenant(tenant).await?;
        self.insert_person(None, tenant.0, new).await
    }

    /// The tenant's time zone.
    pub async fn tenant_zone(&self, tenant: i64) -> Result<tandem_domain::zone::Zone> {
        let t = tenants::get(&self.db, tenant).await?;
        Ok(tandem_domain::zone::Zone::or_default(t.as_ref().map(|t| t.time_zone.as_str())))
    }

    pub fn bands(t: &TenantRow) -> BandThresholds {
        BandThresholds::new(t.band_yellow, t.band_green).unwrap_or_default()
    }
}

/// A tenant's own settings as the API shows them.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct TenantView {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// Scores from here up are yellow (below: red).
    pub band_yellow_from: f64,
    /// Scores from here up are green.
    pub band_green_from: f64,
    /// IANA name: times are shown, weeks begin and reminders go out in it.
    pub time_zone: String,
}

#[derive(Debug, Clone, Default)]
pub struct TenantPatch {
    pub name: Option<String>,
    pub band_yellow_from: Option<f64>,
    pub band_green_from: Option<f64>,
    pub time_zone: Option<String>,
}

fn tenant_view(t: &TenantRow) -> TenantView {
    TenantView {
        id: t.id,
        slug: t.slug.clone(),
        name: t.name.clone(),
        band_yellow_from: t.band_yellow,
        band_green_from: t.band_green,
        time_zone: t.time_zone.clone(),
    }
}

impl App {
    /// The caller's own tenant.
    pub async fn my_tenant(&self, a: &crate::Actor) -> Result<TenantView> {
        Ok(tenant_view(&self.tenant(a.tenant).await?))
    }

    /// Renames the tenant or changes its colour bands (tenant admin).
    pub async fn update_tenant(
        &self,
        _cap: tandem_domain::policy::ManageOrg,
        a: &crate::Actor,
        patch: TenantPatch,
    ) -> Result<TenantView> {
        let before = self.tenant(a.tenant).await?;
        let mut after = before.clone();
        if let Some(n) = &patch.name {
            after.name = Name::parse("name", n)?.into_string();
        }
        let bands = BandThresholds::new(
            patch.band_yellow_from.unwrap_or(before.band_yellow),
            patch.band_green_from.unwrap_or(before.band_green),
        )?;
        after.band_yellow = bands.yellow_from;
        after.band_green = bands.green_from;
        if let Some(z) = &patch.time_zone {
            after.time_zone = tandem_domain::zone::Zone::parse("time_zone", z)?.name().into();
        }
        if after != before {
            let now = self.now();
            let mut tx = self.db.begin().await?;
            tenants::update(&mut tx, &after).await?;
            let json = |t: &TenantRow| serde_json::json!({"name": t.name, "band_yellow_from": t.band_yellow, "band_green_from": t.band_green, "time_zone": t.time_zone});
            record(
                &mut tx,
                Some(a),
                a.tenant.0,
                now,
                crate::Change::update("tenant", a.tenant.0, json(&before), json(&after)),
            )
            .await?;
            tx.commit().await?;
        }
        Ok(tenant_view(&after))
    }
}

impl App {
    /// Acts as a named person of a tenant, for operator commands (`tandem export --as …`):
    /// whoever runs them holds the database, and the person's own rights still apply.
    pub async fn operator_actor(&self, slug: &str, email: &str) -> Result<crate::Actor> {
        let t = self.tenant_by_slug(slug).await?;
        let email = tandem_domain::text::Email::parse("as", email)?;
        let p = tandem_store::people::by_email(&self.db, t.id, email.as_str()).await?.ok_or(AppError::NotFound)?;
        Ok(crate::org::accounts::actor_of(&p))
    }
}
