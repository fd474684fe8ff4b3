//! Cycles: years, quarters and months, and moving them planning → active → reviewing → closed.

pub mod calendar;
