//! Sign-in and tokens, the tenant, org units, people and cycles.

pub mod auth;
pub mod cycles;
pub mod people;
pub mod tenant;
pub mod units;
