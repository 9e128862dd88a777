//! Monotonic time sources. Primitives that refill or expire (token buckets, breaker windows)
//! read time on demand through [`Clock`] instead of running timers, so tests can drive
//! time by hand with [`ManualClock`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

/// A monotonic clock in nanoseconds from an arbitrary, fixed origin.
pub trait Clock: Send + Sync + 'static {
    /// Nanoseconds since this clock's origin; never decreases.
    fn now_nanos(&self) -> u64;
}

/// The process's monotonic clock (`std::time::Instant`), shared origin for every instance so
/// readings are comparable across threads and instances.
#[derive(Debug, Clone, Copy, Default)]
pub struct MonotonicClock;

fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

impl Clock for MonotonicClock {
    #[inline]
    fn now_nanos(&self) -> u64 {
        origin().elapsed().as_nanos() as u64
    }
}

/// A clock moved only by [`ManualClock::advance`]; for deterministic tests.
#[derive(Debug, Default)]
pub struct ManualClock {
    now: AtomicU64,
}

impl ManualClock {
    /// A clock reading `start_nanos`.
    pub fn new(start_nanos: u64) -> Self {
        Self {
            now: AtomicU64::new(start_nanos),
        }
    }

    /// Moves the clock forward by `nanos`.
    pub fn advance(&self, nanos: u64) {
        self.now.fetch_add(nanos, Ordering::SeqCst);
    }

    /// Moves the clock forward by `ms` milliseconds.
    pub fn advance_ms(&self, ms: u64) {
        self.advance(ms * 1_000_000);
    }
}

impl Clock for ManualClock {
    fn now_nanos(&self) -> u64 {
        self.now.load(Ordering::SeqCst)
    }
}

impl<C: Clock> Clock for std::sync::Arc<C> {
    fn now_nanos(&self) -> u64 {
        (**self).now_nanos()
    }
}
