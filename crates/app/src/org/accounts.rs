//! Sign-in, sessions, API tokens and passwords.
//!
//! Passwords are hashed with argon2id. Session and API-token secrets are random, shown once,
//! and stored only as SHA-256 hashes (they carry 256 bits of entropy, so a fast hash is enough
//! and every request can afford it). Failed sign-ins are throttled per email and per client.

use crate::error::{AppError, Result};
use crate::{App, Change, record};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use tandem_domain::ids::{PersonId, TenantId};
use tandem_domain::policy::{Actor, Role};
use tandem_domain::text::{Email, Name, NewPassword};
use tandem_store::credentials::{self, CredentialRow};
use tandem_store::{people, tenants};

pub const SESSION_TTL_US: i64 = 14 * 24 * 3600 * 1_000_000;
/// Wrong passwords for one email from one client before each further try must wait.
const FREE_FAILS: u32 = 5;
/// The longest wait between tries for one email from one client.
const MAX_DELAY_US: i64 = 15 * 60 * 1_000_000;
/// Wrong passwords from one client, whatever the emails, before it waits a whole window.
const FAILS_PER_CLIENT: u32 = 50;
const WINDOW_US: i64 = 15 * 60 * 1_000_000;
/// A count of failures is forgotten this long after the last one.
const FORGET_US: i64 = 24 * 3600 * 1_000_000;
/// An email in more tenants than this is checked against the first ones only.
const MAX_TENANTS_PER_EMAIL: usize = 20;

pub fn hash_password(p: &NewPassword) -> Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(p.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

fn verify_password(hash: &str, candidate: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(candidate.as_bytes(), &h).is_ok())
}

/// A hash to verify against when the account does not exist, so that a wrong email costs as
/// long as a wrong password and timing does not reveal which accounts exist.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let p = NewPassword::parse("decoy-password-never-used").ok();
        p.and_then(|p| hash_password(&p).ok()).unwrap_or_default()
    })
}

pub fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn random_secret(prefix: &str) -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    format!("{prefix}{}", hex::encode(b))
}

/// A random value for the double-submit CSRF cookie of the sign-in form.
pub fn random_csrf() -> String {
    random_secret("")
}

/// Counts failed sign-ins, in this process: per email and client, each failure past the first
/// few makes the next try wait twice as long (up to 15 minutes), so guessing one account is slow
/// while the same account signs in at once from anywhere else, and nobody can lock anyone out;
/// per client, many failures across emails stop that client for a while. Keys are the email as
/// typed, so a known and an unknown email are answered alike.
#[derive(Default)]
pub struct Throttle {
    /// key → (failures, first failure, last failure), µs.
    fails: Mutex<HashMap<String, (u32, i64, i64)>>,
}

impl Throttle {
    /// When the next try for `key` may come, if it must wait.
    fn wait(&self, key: &str, now: i64) -> Result<()> {
        let map = self.fails.lock().map_err(|_| AppError::Internal("throttle poisoned".into()))?;
        let Some(&(n, first, last)) = map.get(key) else { return Ok(()) };
        let until = if key.starts_with("c:") {
            (n >= FAILS_PER_CLIENT && now - first < WINDOW_US).then_some(first + WINDOW_US)
        } else {
            (n >= FREE_FAILS && now - last < FORGET_US).then(|| last + delay_after(n))
        };
        match until {
            Some(t) if t > now => Err(AppError::RateLimited { retry_after_s: ((t - now) / 1_000_000).max(1) as u64 }),
            _ => Ok(()),
        }
    }

    fn fail(&self, key: &str, now: i64) {
        if let Ok(mut map) = self.fails.lock() {
            if map.len() > 100_000 {
                map.retain(|_, (_, _, last)| now - *last < FORGET_US.min(WINDOW_US * 4));
            }
            let e = map.entry(key.to_string()).or_insert((0, now, now));
            let window = if key.starts_with("c:") { WINDOW_US } else { FORGET_US };
            if now - e.2 >= window || (key.starts_with("c:") && now - e.1 >= WINDOW_US) {
                *e = (0, now, now);
            }
            e.0 += 1;
            e.2 = now;
        }
    }

    fn clear(&self, key: &str) {
        if let Ok(mut map) = self.fails.lock() {
            map.remove(key);
        }
    }
}

/// How long the try after the `n`th failure waits: nothing for the first few, then 1 s, 2 s,
/// 4 s … up to 15 minutes.
fn delay_after(n: u32) -> i64 {
    if n < FREE_FAILS {
        return 0;
    }
    let doublings = (n - FREE_FAILS).min(30);
    (1_000_000i64 << doublings).min(MAX_DELAY_US)
}

/// The signed-in caller and the credential they used.
#[derive(Debug, Clone)]
pub struct Session {
    pub actor: Actor,
    pub credential_id: i64,
    pub kind: String,
    pub csrf: String,
    pub name: String,
    pub email: String,
    pub lang: String,
    /// Where the person's local time is: theirs, else their tenant's.
    pub zone: tandem_domain::zone::Zone,
}

/// What a successful sign-in hands back; `secret` is shown once and never stored.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub secret: String,
    pub session: Session,
}

pub fn parse_roles(s: &str) -> Vec<Role> {
    Role::parse_list("roles", s.split(',')).unwrap_or_else(|_| vec![Role::Member])
}

pub fn roles_text(roles: &[Role]) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}

impl App {
    /// Signs in by email and password. An email may have accounts in several tenants: the
    /// password decides which — right in exactly one, it signs in there; right in several, the
    /// answer lists those tenants to choose from (`tenant`, a slug, chooses); right in none, the
    /// same 401 whatever accounts exist. `client` identifies the caller for throttling.
    pub async fn login(&self, email: &str, password: &str, tenant: Option<&str>, client: &str) -> Result<SignedIn> {
        let now = self.now();
        let typed = email.trim().to_lowercase();
        let account_key = format!("e:{typed}|{client}");
        let client_key = format!("c:{client}");
        self.throttle.wait(&account_key, now)?;
        self.throttle.wait(&client_key, now)?;
        let email = Email::parse("email", email).map_err(|_| AppError::BadCredentials);
        let mut candidates = match &email {
            Ok(e) => people::by_email_any_tenant(&self.db, e.as_str()).await?,
            Err(_) => vec![],
        };
        if let Some(slug) = tenant.map(str::trim).filter(|s| !s.is_empty()) {
            let t = tenants::by_slug(&self.db, &slug.to_ascii_lowercase()).await?;
            candidates.retain(|p| Some(p.tenant_id) == t.as_ref().map(|t| t.id));
        }
        candidates.retain(|p| p.active == 1 && p.password_hash.is_some());
        candidates.truncate(MAX_TENANTS_PER_EMAIL);
        // One verification at least, so that an unknown email costs as long as a wrong password.
        let mut matches = vec![];
        if candidates.is_empty() {
            verify_password(decoy_hash(), password);
        }
        for p in candidates {
            if p.password_hash.as_deref().is_some_and(|h| verify_password(h, password)) {
                matches.push(p);
            }
        }
        if matches.is_empty() {
            self.throttle.fail(&account_key, now);
            self.throttle.fail(&client_key, now);
            return Err(AppError::BadCredentials);
        }
        self.throttle.clear(&account_key);
        if matches.len() > 1 {
            let mut choices = vec![];
            for p in &matches {
                if let Some(t) = tenants::get(&self.db, p.tenant_id).await? {
                    choices.push(crate::error::TenantChoice { slug: t.slug, name: t.name });
                }
            }
            return Err(AppError::ChooseTenant(choices));
        }
        let person = matches.remove(0);
        self.issue(&person, "session", "", Some(now + SESSION_TTL_US)).await
    }

    async fn issue(
        &self,
        person: &people::PersonRow,
        kind: &str,
        name: &str,
        expires: Option<i64>,
    ) -> Result<SignedIn> {
        let now = self.now();
        let secret = random_secret(match kind {
            "api" => "tdm_a_",
            "ingest" => "tdm_i_",
            _ => "tdm_s_",
        });
        let csrf = random_secret("");
        let mut tx = self.db.begin().await?;
        let id = tx.next_id().await?;
        credentials::insert(
            &mut tx,
            &CredentialRow {
                tenant_id: person.tenant_id,
                id,
                person_id: person.id,
                kind: kind.into(),
                name: name.into(),
                token_hash: token_hash(&secret),
                csrf: csrf.clone(),
                created_at: now,
                last_used_at: None,
                expires_at: expires,
                revoked_at: None,
            },
        )
        .await?;
        if kind != "session" {
            let actor = actor_of(person);
            record(
                &mut tx,
                Some(&actor),
                person.tenant_id,
                now,
                Change::create("api_token", id, serde_json::json!({"name": name, "scope": kind})),
            )
            .await?;
        }
        tx.commit().await?;
        // The person's own zone, else the tenant's (as every later request reads it).
        let tenant = tandem_store::tenants::get(&self.db, person.tenant_id).await?;
        let own = people::time_zone(&self.db, person.tenant_id, person.id).await?;
        let zone =
            tandem_domain::zone::Zone::or_default(own.as_deref().or(tenant.as_ref().map(|t| t.time_zone.as_str())));
        Ok(SignedIn {
            secret,
            session: Session {
                zone,
                actor: actor_of(person),
                credential_id: id,
                kind: kind.into(),
                csrf,
                name: person.name.clone(),
                email: person.email.clone(),
                lang: person.lang.clone(),
            },
        })
    }

    /// Resolves a session cookie or bearer token to the caller.
    pub async fn authenticate(&self, secret: &str) -> Result<Session> {
        let secret = secret.trim();
        if secret.is_empty() || secret.len() > 200 {
            return Err(AppError::Unauthenticated);
        }
        let now = self.now();
        // One read: the credential and the person it signs in.
        let s = credentials::live_session_by_hash(&self.db, &token_hash(secret), now)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if s.active != 1 {
            return Err(AppError::Unauthenticated);
        }
        // "Last used" is kept to the minute: most requests write nothing.
        if s.last_used_at.is_none_or(|t| t < now - 60_000_000) {
            credentials::touch(&self.db, s.tenant_id, s.credential_id, now).await?;
        }
        Ok(Session {
            actor: Actor { tenant: TenantId(s.tenant_id), person: PersonId(s.person_id), roles: parse_roles(&s.roles) },
            credential_id: s.credential_id,
            kind: s.kind,
            csrf: s.csrf,
            name: s.name,
            email: s.email,
            lang: s.lang,
            zone: tandem_domain::zone::Zone::or_default(Some(&s.time_zone)),
        })
    }

    pub async fn logout(&self, secret: &str) -> Result<()> {
        let mut tx = self.db.begin().await?;
        credentials::revoke_by_hash(&mut tx, &token_hash(secret), self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes the caller's own password; every other session of theirs is signed out.
    pub async fn change_password(&self, s: &Session, current: &str, new: &str) -> Result<()> {
        let person = people::get(&self.db, s.actor.tenant.0, s.actor.person.0).await?.ok_or(AppError::NotFound)?;
        if !person.password_hash.as_deref().is_some_and(|h| verify_password(h, current)) {
            return Err(AppError::Conflict("wrong_password"));
        }
        let new = NewPassword::parse(new)?;
        if verify_password(person.password_hash.as_deref().unwrap_or_default(), new.expose()) {
            return Err(tandem_domain::Invalid::new("new_password", tandem_domain::Rule::PasswordUnchanged).into());
        }
        let hash = hash_password(&new)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        people::set_password_hash(&mut tx, person.tenant_id, person.id, &hash).await?;
        credentials::revoke_all_except(&mut tx, person.tenant_id, person.id, Some(s.credential_id), now).await?;
        record(
            &mut tx,
            Some(&s.actor),
            person.tenant_id,
            now,
            Change {
                entity: "person",
                id: person.id,
                action: "password_changed",
                before: None,
                after: None,
                reason: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a password without knowing the old one (the `tandem admin reset-password` path).
    pub async fn reset_password(&self, tenant: TenantId, email: &str, new: &str) -> Result<()> {
        let email = Email::parse("email", email)?;
        let person = people::by_email(&self.db, tenant.0, email.as_str()).await?.ok_or(AppError::NotFound)?;
        let hash = hash_password(&NewPassword::parse(new)?)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        people::set_password_hash(&mut tx, tenant.0, person.id, &hash).await?;
        credentials::revoke_all_except(&mut tx, tenant.0, person.id, None, now).await?;
        record(
            &mut tx,
            None,
            tenant.0,
            now,
            Change {
                entity: "person",
                id: person.id,
                action: "password_reset",
                before: None,
                after: None,
                reason: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A named, long-lived API token for the caller; the secret is returned once.
    /// A named, long-lived API token for the caller; the secret is returned once. `scope` is
    /// `full` (acts as the caller) or `ingest` (may only push and read metric data).
    pub async fn create_api_token(&self, s: &Session, name: &str, scope: &str) -> Result<SignedIn> {
        let name = Name::parse("name", name)?;
        let kind = match scope {
            "" | "full" => "api",
            "ingest" => "ingest",
            _ => {
                return Err(
                    tandem_domain::Invalid::new("scope", tandem_domain::Rule::OneOf(&["full", "ingest"])).into()
                );
            }
        };
        let person = people::get(&self.db, s.actor.tenant.0, s.actor.person.0).await?.ok_or(AppError::NotFound)?;
        self.issue(&person, kind, name.as_str(), None).await
    }

    pub async fn list_api_tokens(&self, s: &Session) -> Result<Vec<CredentialRow>> {
        let (t, p) = (s.actor.tenant.0, s.actor.person.0);
        let mut all = credentials::list_for_person(&self.db, t, p, "api").await?;
        all.extend(credentials::list_for_person(&self.db, t, p, "ingest").await?);
        all.sort_by_key(|c| std::cmp::Reverse(c.created_at));
        Ok(all)
    }

    pub async fn revoke_api_token(&self, s: &Session, id: i64) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !credentials::revoke(&mut tx, s.actor.tenant.0, s.actor.person.0, id, now).await? {
            return Err(AppError::NotFound);
        }
        record(
            &mut tx,
            Some(&s.actor),
            s.actor.tenant.0,
            now,
            Change { entity: "api_token", id, action: "revoke", before: None, after: None, reason: None },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores the caller's language choice.
    /// The signed-in person's own time zone, if they chose one (else they see the company's).
    pub async fn own_time_zone(&self, s: &Session) -> Result<Option<String>> {
        Ok(people::time_zone(&self.db, s.actor.tenant.0, s.actor.person.0).await?)
    }

    /// Sets the signed-in person's own time zone (an IANA name); empty follows the company's.
    pub async fn set_own_time_zone(&self, s: &Session, zone: &str) -> Result<()> {
        let zone = match zone.trim() {
            "" => None,
            z => Some(tandem_domain::zone::Zone::parse("time_zone", z)?.name().to_string()),
        };
        let mut tx = self.db.begin().await?;
        people::set_time_zone(&mut tx, s.actor.tenant.0, s.actor.person.0, zone.as_deref()).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_language(&self, s: &Session, lang: tandem_domain::Lang) -> Result<()> {
        let mut p = people::get(&self.db, s.actor.tenant.0, s.actor.person.0).await?.ok_or(AppError::NotFound)?;
        p.lang = lang.code().into();
        let mut tx = self.db.begin().await?;
        people::update(&mut tx, &p).await?;
        tx.commit().await?;
        Ok(())
    }
}

pub fn actor_of(p: &people::PersonRow) -> Actor {
    Actor { tenant: TenantId(p.tenant_id), person: PersonId(p.id), roles: parse_roles(&p.roles) }
}
