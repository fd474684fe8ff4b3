//! Goals in and out as files: the `tandem/v1` open format (export and import of a cycle's OKRs
//! and KPIs), Excel and CSV exports, and OKR sheets read into drafts.
//!
//! May use: `review`, `kpis`, `goals`, `org` and the kernel.

pub mod document;
pub mod exports;
pub mod okr_sheets;
