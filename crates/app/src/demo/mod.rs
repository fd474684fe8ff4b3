//! The demo company 云栖茶饮 (Yunqi Tea): its org and people, goals, KPIs and weeks of history.
//!
//! May use every capability; none uses it.

pub mod company;
mod goals;
mod history;
mod past;
