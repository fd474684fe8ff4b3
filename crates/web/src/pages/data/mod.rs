//! Data pages: metrics with their points, file imports and bindings, and scheduled pulls (connectors).
//!
//! May use the shared page pieces.

pub(super) mod connectors;
pub(super) mod metrics;
