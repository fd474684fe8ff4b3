//! Sign-in and tokens, the tenant, org units and people.

pub mod auth;
pub mod people;
pub mod tenant;
pub mod units;
