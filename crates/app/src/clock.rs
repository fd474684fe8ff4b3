//! Time as a port, so tests can hold it still.

use std::sync::atomic::{AtomicI64, Ordering};

pub trait Clock: Send + Sync {
    /// Microseconds since the Unix epoch.
    fn now_us(&self) -> i64;

    fn today(&self) -> time::Date {
        time::OffsetDateTime::from_unix_timestamp_nanos(self.now_us() as i128 * 1000)
            .map(|t| t.date())
            .unwrap_or(time::Date::MIN)
    }
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now_us(&self) -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
    }
}

/// A clock that only moves when told to.
pub struct FixedClock(pub AtomicI64);

impl FixedClock {
    pub fn new(us: i64) -> Self {
        FixedClock(AtomicI64::new(us))
    }

    pub fn advance(&self, us: i64) {
        self.0.fetch_add(us, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now_us(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
