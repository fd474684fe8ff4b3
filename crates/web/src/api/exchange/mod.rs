//! The `tandem/v1` document, exports, and sheet imports.

pub mod document;
pub mod exports;
