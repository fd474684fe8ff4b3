//! The weekly rhythm of a running cycle: check-ins, dashboards (the heat map and unit trees),
//! red-light alerts, trends and charts, the scoring report, and the weekly reminder and digest.
//!
//! May use: `goals`, `kpis`, `org`, `notify` and the kernel.

pub mod alerts;
pub mod checkins;
pub mod dashboard;
pub mod reports;
pub mod trends;
pub mod weekly;
