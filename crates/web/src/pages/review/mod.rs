//! Review pages: a unit's review of a cycle, an objective's 复盘, and the knowledge base of lessons.
//!
//! May use the shared page pieces.

pub(super) mod board;
pub(super) mod lessons;
pub(super) mod retro;
