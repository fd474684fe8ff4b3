//! The cycles page: the calendar of years, quarters and months, and moving a cycle's state.
//!
//! May use the shared page pieces.

pub(super) mod calendar;
