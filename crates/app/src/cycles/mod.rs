//! The planning calendar and its rhythm: cycles nested year → quarter → month, and moving them
//! planning → active → reviewing → closed, with what a move sets off (going into review freezes
//! every key result's value and score with its provenance; closing carries the retros' decisions
//! into the next cycle as drafts).
//!
//! May use: `review`, `goals`, `org` and the kernel. Everything else reads cycles through the
//! store; nothing below uses this folder.

pub mod calendar;
