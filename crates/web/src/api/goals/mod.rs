//! Objectives and key results, their comments, as-of views and goal-quality checks.

pub mod asof;
pub mod comments;
pub mod lint;
pub mod objectives;
