//! Metrics and their points, bindings, and connectors.

pub mod connectors;
pub mod metrics;
