//! The end of a cycle: each key result's value frozen with its provenance, self scores beside
//! the manager's final ones, the 复盘 (retro) of every objective with its typed causes, lessons,
//! actions and carry-over decisions, and the knowledge base of lessons.
//!
//! May use: `goals`, `org`, `notify` and the kernel. `cycles` calls in here when a cycle goes into
//! review; the appraisal and insight capabilities will read frozen scores and retros from here.

pub mod ambition;
pub mod board;
pub mod carry;
pub mod lessons;
pub mod mining;
pub mod report;
pub mod retros;
pub mod scores;
pub mod team;
