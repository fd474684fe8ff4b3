//! The company itself: tenants, accounts and sign-in, people, org units and the org chart
//! (with its import from a sheet), and who may own a goal.
//!
//! May use: the kernel (`error`, `clock`, `cpu`, `history`, `sheets`, `secrets`, `outbound`). Used by
//! every other capability; it uses none of them.

pub mod accounts;
pub mod chart;
pub mod import;
pub mod owners;
pub mod people;
pub mod tenants;
