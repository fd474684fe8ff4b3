//! Tandem's domain: the model and the rules of OKRs and KPIs on one goal graph.
//!
//! Pure by design: no I/O, no async, no database or web types. Everything here can be tested
//! on its own, and the adapters (storage, web, CLI) depend on it, never the other way round.

pub mod ambition;
pub mod checkin;
pub mod classify;
pub mod cycle;
pub mod error;
pub mod focus;
pub mod goal;
pub mod ids;
pub mod kpi;
pub mod lang;
pub mod lint;
pub mod metric;
pub mod mining;
pub mod org;
pub mod pace;
pub mod policy;
pub mod relevance;
pub mod retro;
pub mod rollup;
pub mod score;
pub mod search;
pub mod text;
pub mod zone;

pub use error::{Invalid, Rule};
pub use lang::Lang;
