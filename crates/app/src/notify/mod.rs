//! Notifications out: channels (webhooks and chat bots), each person's email choices, and the
//! outbox every capability writes its messages to inside the transaction of the event that causes
//! them, delivered with retries by every server.
//!
//! May use: `org` and the kernel. Capabilities above it compose their own messages (a red light in
//! `tracking`, an upstream change in `goals`, a decided request in `kpis`) and hand them to
//! [`outbox`].

pub mod channels;
pub mod email;
pub mod inbox;
pub mod outbox;
