//! Objectives and key results: writing, aligning and reading them with their scores; the
//! in-memory projection every goal read goes through ([`snapshot`], kept current by
//! [`projection`]); as-of views and history; comments; goal-quality checks; and the notice that
//! tells owners of aligned objectives what changed upstream.
//!
//! May use: `org`, `notify` and the kernel. The goal snapshot lives here; every capability above
//! reads goals through it.

pub mod asof;
pub mod comments;
pub mod key_results;
pub mod lint;
pub mod objectives;
pub mod projection;
pub mod snapshot;
pub mod upstream;
