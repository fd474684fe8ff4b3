//! Tracking pages: my goals and what I owe this week, check-ins, red lights and the company heat map.
//!
//! May use the goal and KPI pages and the shared pieces.

pub(super) mod checkins;
pub(super) mod dashboard;
pub(super) mod my_goals;
pub(super) mod person;
