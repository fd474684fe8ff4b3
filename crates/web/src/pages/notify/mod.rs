//! Notification pages: the channels admins add and their delivery log.
//!
//! May use the shared page pieces.

pub(super) mod channels;
