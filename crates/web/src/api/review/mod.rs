//! The end of a cycle: retros (复盘) with self and final scores, and the knowledge base of lessons.

pub mod ambition;
pub mod board;
pub mod carried;
pub mod classify;
pub mod lessons;
pub mod mining;
pub mod retros;
pub mod team;
