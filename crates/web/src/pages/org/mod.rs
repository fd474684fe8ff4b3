//! Directory and account pages: org units, people (with the org-chart import), and my account.
//!
//! May use the shared page pieces.

pub(super) mod account;
pub(super) mod people;
pub(super) mod units;
