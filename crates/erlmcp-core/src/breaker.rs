//! Circuit breaker: closed -> open on a trip policy, open -> half_open after `open_ms`
//! (evaluated lazily when asked, no timers), half_open -> closed after `success_threshold`
//! trial successes, or back to open on any trial failure.
//!
//! The closed-state `allow()` is one atomic load. Counters are atomics; the mutex is taken only
//! for the rolling window, half-open bookkeeping and transitions.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::clock::{Clock, MonotonicClock};
use crate::error::{CoreError, CoreResult};

/// Breaker state. The numeric values are part of the JS API.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls flow; failures feed the trip policy.
    Closed = 0,
    /// Calls are refused until `open_ms` has passed (or forever while forced open).
    Open = 1,
    /// A few trial calls are let through to probe recovery.
    HalfOpen = 2,
}

impl BreakerState {
    /// "closed", "open" or "half_open".
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }

    fn from_u8(v: u8) -> Self {
        match v {
            1 => BreakerState::Open,
            2 => BreakerState::HalfOpen,
            _ => BreakerState::Closed,
        }
    }
}

/// When a closed breaker opens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TripPolicy {
    /// `threshold` failures in a row (a success resets the run).
    ConsecutiveFailures {
        /// Failures in a row that trip; `>= 1`.
        threshold: u32,
    },
    /// `threshold` failures within the rolling window.
    FailuresInWindow {
        /// Failures that trip; `>= 1`.
        threshold: u32,
        /// Window length in ms; `>= 1`.
        window_ms: u32,
    },
    /// Failures are at least `threshold_pct` % of the calls in the rolling window, once the
    /// window holds at least `min_calls` calls (opossum's errorThresholdPercentage and
    /// volumeThreshold). Evaluated when a failure is recorded: a success never trips.
    ErrorRate {
        /// Percentage in `(0, 100]`.
        threshold_pct: f64,
        /// Window length in ms; `>= 1`.
        window_ms: u32,
        /// Calls needed before the rate counts; `>= 1`.
        min_calls: u32,
    },
}

/// Options of a [`CircuitBreaker`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerOptions {
    /// Trip policy. Default: 5 consecutive failures.
    pub policy: TripPolicy,
    /// Time open before half_open, in ms. Default 30000.
    pub open_ms: u32,
    /// Trial calls let through per half-open period. Default 3.
    pub half_open_max_calls: u32,
    /// Trial successes that close the breaker (`<= half_open_max_calls`). Default 3.
    pub success_threshold: u32,
}

impl Default for BreakerOptions {
    fn default() -> Self {
        Self {
            policy: TripPolicy::ConsecutiveFailures { threshold: 5 },
            open_ms: 30_000,
            half_open_max_calls: 3,
            success_threshold: 3,
        }
    }
}

impl BreakerOptions {
    /// Checks every field; `success_threshold > half_open_max_calls` could never close.
    pub fn validate(&self) -> CoreResult<()> {
        let bad = |m: &str| Err(CoreError::invalid(m.to_string()));
        match self.policy {
            TripPolicy::ConsecutiveFailures { threshold: 0 } => {
                return bad("failureThreshold must be at least 1")
            }
            TripPolicy::FailuresInWindow {
                threshold,
                window_ms,
            } if threshold == 0 || window_ms == 0 => {
                return bad("failureThreshold and windowMs must be at least 1")
            }
            TripPolicy::ErrorRate {
                threshold_pct,
                window_ms,
                min_calls,
            } => {
                if !(threshold_pct.is_finite() && threshold_pct > 0.0 && threshold_pct <= 100.0) {
                    return bad("errorThresholdPct must be in (0, 100]");
                }
                if window_ms == 0 || min_calls == 0 {
                    return bad("windowMs and minCalls must be at least 1");
                }
            }
            _ => {}
        }
        if self.open_ms == 0 || self.half_open_max_calls == 0 || self.success_threshold == 0 {
            return bad("openMs, halfOpenMaxCalls and successThreshold must be at least 1");
        }
        if self.success_threshold > self.half_open_max_calls {
            return Err(CoreError::invalid(format!(
                "successThreshold ({}) must not exceed halfOpenMaxCalls ({}): the breaker could never close",
                self.success_threshold, self.half_open_max_calls
            )));
        }
        Ok(())
    }

    fn window_ms(&self) -> Option<u32> {
        match self.policy {
            TripPolicy::ConsecutiveFailures { .. } => None,
            TripPolicy::FailuresInWindow { window_ms, .. }
            | TripPolicy::ErrorRate { window_ms, .. } => Some(window_ms),
        }
    }
}

/// Number of buckets of the rolling window.
pub const WINDOW_BUCKETS: u64 = 10;

/// Calls and failures over the last `WINDOW_BUCKETS` buckets of `window_ms / 10` ms each
/// (at least 1 ms): the window is exact to one bucket, like opossum's rolling counts.
#[derive(Debug, Clone, Default)]
struct Window {
    bucket_ns: u64,
    /// (bucket epoch, calls, failures); slot = epoch % WINDOW_BUCKETS.
    slots: [(u64, u64, u64); WINDOW_BUCKETS as usize],
}

impl Window {
    fn new(window_ms: u32) -> Self {
        Self {
            bucket_ns: (u64::from(window_ms) * 1_000_000 / WINDOW_BUCKETS).max(1_000_000),
            ..Default::default()
        }
    }

    fn record(&mut self, now: u64, failed: bool) {
        let epoch = now / self.bucket_ns + 1; // +1 so epoch 0 means "never used"
        let slot = &mut self.slots[(epoch % WINDOW_BUCKETS) as usize];
        if slot.0 != epoch {
            *slot = (epoch, 0, 0);
        }
        slot.1 += 1;
        slot.2 += u64::from(failed);
    }

    fn totals(&self, now: u64) -> (u64, u64) {
        let epoch = now / self.bucket_ns + 1;
        self.slots
            .iter()
            .filter(|s| s.0 != 0 && s.0 + WINDOW_BUCKETS > epoch && s.0 <= epoch)
            .fold((0, 0), |(c, f), s| (c + s.1, f + s.2))
    }

    fn clear(&mut self) {
        self.slots = Default::default();
    }
}

struct Inner {
    window: Option<Window>,
    forced_open: bool,
    half_open_granted: u32,
    half_open_successes: u32,
}

/// Called after each transition with (from, to).
pub type Listener = Arc<dyn Fn(BreakerState, BreakerState) + Send + Sync>;

/// Counters and state of a breaker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerStats {
    /// Current state.
    pub state: BreakerState,
    /// Successes recorded.
    pub successes: u64,
    /// Failures recorded.
    pub failures: u64,
    /// `allow()` calls refused.
    pub rejected: u64,
    /// Current run of failures while closed.
    pub consecutive_failures: u32,
    /// Calls in the rolling window (0 for the consecutive policy).
    pub window_calls: u64,
    /// Failures in the rolling window.
    pub window_failures: u64,
    /// Times the breaker opened.
    pub opened: u64,
    /// Trial permits handed out in the current half-open period.
    pub half_open_in_flight: u32,
    /// Successes that reported a latency.
    pub latency_count: u64,
    /// Mean of those latencies, µs.
    pub latency_mean_us: f64,
    /// Largest of those latencies, µs.
    pub latency_max_us: u64,
    /// Time since the last transition (or creation), ms.
    pub last_transition_ms_ago: u64,
}

/// A circuit breaker. See the module docs.
pub struct CircuitBreaker<C: Clock = MonotonicClock> {
    state: AtomicU8,
    /// When the breaker last opened (valid while open).
    opened_at: AtomicU64,
    last_transition: AtomicU64,
    consecutive: AtomicU32,
    successes: AtomicU64,
    failures: AtomicU64,
    rejected: AtomicU64,
    opened: AtomicU64,
    latency_count: AtomicU64,
    latency_sum: AtomicU64,
    latency_max: AtomicU64,
    inner: Mutex<Inner>,
    listener: RwLock<Option<Listener>>,
    options: BreakerOptions,
    clock: C,
}

impl CircuitBreaker<MonotonicClock> {
    /// A closed breaker on the process's monotonic clock.
    pub fn new(options: BreakerOptions) -> CoreResult<Self> {
        Self::with_clock(options, MonotonicClock)
    }
}

impl<C: Clock> CircuitBreaker<C> {
    /// A closed breaker on `clock`.
    pub fn with_clock(options: BreakerOptions, clock: C) -> CoreResult<Self> {
        options.validate()?;
        let now = clock.now_nanos();
        Ok(Self {
            state: AtomicU8::new(BreakerState::Closed as u8),
            opened_at: AtomicU64::new(0),
            last_transition: AtomicU64::new(now),
            consecutive: AtomicU32::new(0),
            successes: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            opened: AtomicU64::new(0),
            latency_count: AtomicU64::new(0),
            latency_sum: AtomicU64::new(0),
            latency_max: AtomicU64::new(0),
            inner: Mutex::new(Inner {
                window: options.window_ms().map(Window::new),
                forced_open: false,
                half_open_granted: 0,
                half_open_successes: 0,
            }),
            listener: RwLock::new(None),
            options,
            clock,
        })
    }

    /// Sets (or clears) the transition listener. It runs after the transition, outside the
    /// breaker's lock, on the thread that caused it.
    pub fn set_listener(
        &self,
        listener: Option<Box<dyn Fn(BreakerState, BreakerState) + Send + Sync>>,
    ) {
        *self.listener.write() = listener.map(Arc::from);
    }

    fn notify(&self, change: Option<(BreakerState, BreakerState)>) {
        if let Some((from, to)) = change {
            let l = self.listener.read().clone();
            if let Some(l) = l {
                l(from, to);
            }
        }
    }

    #[inline]
    fn load(&self) -> BreakerState {
        BreakerState::from_u8(self.state.load(Ordering::Acquire))
    }

    /// Moves to `to` (caller holds the lock); returns the change to notify.
    fn transition(
        &self,
        inner: &mut Inner,
        to: BreakerState,
        now: u64,
    ) -> Option<(BreakerState, BreakerState)> {
        let from = self.load();
        if from == to {
            return None;
        }
        match to {
            BreakerState::Open => {
                self.opened_at.store(now, Ordering::Release);
                self.opened.fetch_add(1, Ordering::Relaxed);
            }
            BreakerState::HalfOpen => {
                inner.half_open_granted = 0;
                inner.half_open_successes = 0;
            }
            BreakerState::Closed => {
                self.consecutive.store(0, Ordering::Relaxed);
                if let Some(w) = inner.window.as_mut() {
                    w.clear();
                }
            }
        }
        self.state.store(to as u8, Ordering::Release);
        self.last_transition.store(now, Ordering::Relaxed);
        Some((from, to))
    }

    fn open_elapsed(&self, now: u64) -> bool {
        now.saturating_sub(self.opened_at.load(Ordering::Acquire))
            >= u64::from(self.options.open_ms) * 1_000_000
    }

    /// Applies the lazy open -> half_open transition if `open_ms` has passed (lock held).
    fn settle(&self, inner: &mut Inner, now: u64) -> Option<(BreakerState, BreakerState)> {
        if self.load() == BreakerState::Open && !inner.forced_open && self.open_elapsed(now) {
            self.transition(inner, BreakerState::HalfOpen, now)
        } else {
            None
        }
    }

    /// Whether a call may proceed. Closed: always (one atomic load). Open: no, until `open_ms`
    /// has passed, then the breaker turns half open. Half open: yes for the first
    /// `half_open_max_calls` asks of the period (each takes a trial permit), then no.
    #[inline]
    pub fn allow(&self) -> bool {
        let s = self.load();
        if s == BreakerState::Closed {
            return true;
        }
        let now = self.clock.now_nanos();
        if s == BreakerState::Open && !self.open_elapsed(now) {
            self.rejected.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        let (allowed, change) = {
            let mut inner = self.inner.lock();
            let change = self.settle(&mut inner, now);
            let allowed = match self.load() {
                BreakerState::Closed => true,
                BreakerState::Open => false,
                BreakerState::HalfOpen => {
                    if inner.half_open_granted < self.options.half_open_max_calls {
                        inner.half_open_granted += 1;
                        true
                    } else {
                        false
                    }
                }
            };
            (allowed, change)
        };
        if !allowed {
            self.rejected.fetch_add(1, Ordering::Relaxed);
        }
        self.notify(change);
        allowed
    }

    /// Records a successful call, with its latency in µs when known.
    pub fn record_success(&self, latency_us: Option<u64>) {
        self.successes.fetch_add(1, Ordering::Relaxed);
        if let Some(us) = latency_us {
            self.latency_count.fetch_add(1, Ordering::Relaxed);
            self.latency_sum.fetch_add(us, Ordering::Relaxed);
            self.latency_max.fetch_max(us, Ordering::Relaxed);
        }
        let s = self.load();
        if s == BreakerState::Closed && self.options.window_ms().is_none() {
            // Fast path: only reset the run, and only write when there is one.
            if self.consecutive.load(Ordering::Relaxed) != 0 {
                self.consecutive.store(0, Ordering::Relaxed);
            }
            return;
        }
        let now = self.clock.now_nanos();
        let change = {
            let mut inner = self.inner.lock();
            match self.load() {
                BreakerState::Closed => {
                    self.consecutive.store(0, Ordering::Relaxed);
                    if let Some(w) = inner.window.as_mut() {
                        w.record(now, false);
                    }
                    None
                }
                BreakerState::HalfOpen => {
                    inner.half_open_successes += 1;
                    if inner.half_open_successes >= self.options.success_threshold {
                        self.transition(&mut inner, BreakerState::Closed, now)
                    } else {
                        None
                    }
                }
                // A late result of a call started before the breaker opened: counted only.
                BreakerState::Open => None,
            }
        };
        self.notify(change);
    }

    /// Records a failed call.
    pub fn record_failure(&self) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        let now = self.clock.now_nanos();
        let change = {
            let mut inner = self.inner.lock();
            match self.load() {
                BreakerState::Closed => {
                    let run = self
                        .consecutive
                        .fetch_add(1, Ordering::Relaxed)
                        .saturating_add(1);
                    let trip = match self.options.policy {
                        TripPolicy::ConsecutiveFailures { threshold } => run >= threshold,
                        TripPolicy::FailuresInWindow { threshold, .. } => {
                            inner.window.as_mut().is_some_and(|w| {
                                w.record(now, true);
                                w.totals(now).1 >= u64::from(threshold)
                            })
                        }
                        TripPolicy::ErrorRate {
                            threshold_pct,
                            min_calls,
                            ..
                        } => inner.window.as_mut().is_some_and(|w| {
                            w.record(now, true);
                            let (calls, failed) = w.totals(now);
                            calls >= u64::from(min_calls)
                                && failed as f64 * 100.0 >= threshold_pct * calls as f64
                        }),
                    };
                    if trip {
                        self.transition(&mut inner, BreakerState::Open, now)
                    } else {
                        None
                    }
                }
                BreakerState::HalfOpen => self.transition(&mut inner, BreakerState::Open, now),
                BreakerState::Open => None,
            }
        };
        self.notify(change);
    }

    /// Gives back a trial permit that `allow()` granted for a call that was not made.
    /// No effect outside half_open.
    pub fn release_trial(&self) {
        let mut inner = self.inner.lock();
        if self.load() == BreakerState::HalfOpen {
            inner.half_open_granted = inner.half_open_granted.saturating_sub(1);
        }
    }

    /// Opens and stays open (no half-open probing) until `force_close` or `reset`.
    pub fn force_open(&self) {
        let now = self.clock.now_nanos();
        let change = {
            let mut inner = self.inner.lock();
            inner.forced_open = true;
            self.transition(&mut inner, BreakerState::Open, now)
        };
        self.notify(change);
    }

    /// Closes at once (clearing a forced open).
    pub fn force_close(&self) {
        let now = self.clock.now_nanos();
        let change = {
            let mut inner = self.inner.lock();
            inner.forced_open = false;
            self.transition(&mut inner, BreakerState::Closed, now)
        };
        self.notify(change);
    }

    /// Closed, with every counter and window cleared.
    pub fn reset(&self) {
        self.force_close();
        let _guard = self.inner.lock();
        for c in [
            &self.successes,
            &self.failures,
            &self.rejected,
            &self.opened,
            &self.latency_count,
            &self.latency_sum,
            &self.latency_max,
        ] {
            c.store(0, Ordering::Relaxed);
        }
        self.consecutive.store(0, Ordering::Relaxed);
    }

    /// Current state, after applying a due open -> half_open transition.
    pub fn state(&self) -> BreakerState {
        let s = self.load();
        if s != BreakerState::Open {
            return s;
        }
        let now = self.clock.now_nanos();
        let change = {
            let mut inner = self.inner.lock();
            self.settle(&mut inner, now)
        };
        self.notify(change);
        self.load()
    }

    /// Counters and state.
    pub fn stats(&self) -> BreakerStats {
        let state = self.state();
        let now = self.clock.now_nanos();
        let inner = self.inner.lock();
        let (window_calls, window_failures) =
            inner.window.as_ref().map_or((0, 0), |w| w.totals(now));
        let count = self.latency_count.load(Ordering::Relaxed);
        BreakerStats {
            state,
            successes: self.successes.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            consecutive_failures: self.consecutive.load(Ordering::Relaxed),
            window_calls,
            window_failures,
            opened: self.opened.load(Ordering::Relaxed),
            half_open_in_flight: if state == BreakerState::HalfOpen {
                inner.half_open_granted
            } else {
                0
            },
            latency_count: count,
            latency_mean_us: if count == 0 {
                0.0
            } else {
                self.latency_sum.load(Ordering::Relaxed) as f64 / count as f64
            },
            latency_max_us: self.latency_max.load(Ordering::Relaxed),
            last_transition_ms_ago: now
                .saturating_sub(self.last_transition.load(Ordering::Relaxed))
                / 1_000_000,
        }
    }

    /// The options.
    pub fn options(&self) -> BreakerOptions {
        self.options
    }
}
