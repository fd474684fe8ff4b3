//! Storage for Tandem on SQLite (the embedded default) and PostgreSQL (production).
//!
//! One code base serves both engines: queries use the SQL subset both accept (`$1`
//! placeholders, `RETURNING`, `ON CONFLICT`), and run through sqlx's `Any` driver; what
//! differs between engines (connection settings, migrations) lives in [`db`]. Every write
//! goes through one [`Tx`], which serialises writers on SQLite and carries the event log, so a
//! change and its event commit together or not at all. This crate knows rows, not rules: it
//! depends on the domain crate for ids only, and nothing here decides who may see what.

pub mod alerts;
pub mod checkins;
pub mod connectors;
pub mod credentials;
pub mod cycles;
pub mod db;
pub mod error;
pub mod events;
pub mod foreign;
pub mod goals;
pub mod metrics;
pub mod notes;
pub mod notify;
pub mod org;
pub mod people;
pub mod reviews;
pub mod tenants;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use db::{Db, Engine, Tx};
pub use error::StoreError;
pub use events::EventRecord;
