//! Channels, email preferences and the delivery log.

pub mod channels;
