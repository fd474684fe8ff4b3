//! KPIs, their change requests and period values, and HR's library.

pub mod kpi;
pub mod library;
