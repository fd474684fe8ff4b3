//! Check-ins, the dashboard and unit trees, red-light alerts and the scoring report.

pub mod alerts;
pub mod checkins;
pub mod dashboard;
pub mod reports;
