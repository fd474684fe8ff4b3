//! Notification pages: each person's notification centre, and the channels admins add with
//! their delivery log.
//!
//! May use the shared page pieces.

pub(super) mod channels;
pub(super) mod inbox;
