//! KPIs: private to their owner, the owner's management chain and HR through every door; locked
//! once the cycle runs, changed through HR-approved requests; period values; HR's library; KPI
//! value sheets; and the cascade's feedback (what changed upstream of my objectives and KPIs),
//! which spans both tracks and so lives above goals.
//!
//! May use: `goals`, `org`, `notify` and the kernel.

pub mod cascade;
pub mod changes;
pub mod files;
pub mod kpi;
pub mod library;
pub mod snapshot;
pub mod values;
