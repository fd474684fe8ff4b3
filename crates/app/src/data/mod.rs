//! Business data flowing in: metrics and their points (pushed, or from CSV/Excel files),
//! bindings that move key results and KPIs, and scheduled pulls from SQL and HTTP sources.
//!
//! May use: `tracking` (a bound key result checks in), `kpis`, `goals`, `org` and the kernel.

pub mod connectors;
pub mod metrics;
