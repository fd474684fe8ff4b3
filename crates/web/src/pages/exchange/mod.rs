//! File pages: KPI values and OKRs read from CSV/Excel sheets, checked and previewed first.
//!
//! May use the shared page pieces.

pub(super) mod imports;
