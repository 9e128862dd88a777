//! Token buckets, refilled on demand from a monotonic clock (no timers).
//!
//! Amounts are kept in micro-tokens (`u64`, 1 token = 1_000_000) so the arithmetic is exact
//! integer math: refilling `elapsed_ns` at `rate` tokens/s adds `elapsed_ns * rate / 1000`
//! micro-tokens (floored), computed in `u128` so no elapsed time can overflow it.

use parking_lot::Mutex;
use rustc_hash::FxHashMap;

use crossbeam_utils::CachePadded;

use crate::clock::{Clock, MonotonicClock};
use crate::error::{CoreError, CoreResult};

/// Micro-tokens per token.
pub const MICRO: u64 = 1_000_000;

/// Options of a bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketOptions {
    /// Maximum whole tokens (the burst), `>= 1`. Default 1000.
    pub capacity: u32,
    /// Tokens added per second, `>= 1`. Default 10000.
    pub refill_per_sec: u32,
}

impl Default for BucketOptions {
    fn default() -> Self {
        Self {
            capacity: 1000,
            refill_per_sec: 10_000,
        }
    }
}

impl BucketOptions {
    /// Checks both are at least 1.
    pub fn validate(&self) -> CoreResult<()> {
        if self.capacity == 0 || self.refill_per_sec == 0 {
            return Err(CoreError::invalid(format!(
                "capacity and refillPerSec must be at least 1, got {} and {}",
                self.capacity, self.refill_per_sec
            )));
        }
        Ok(())
    }

    fn cap_micro(&self) -> u64 {
        u64::from(self.capacity) * MICRO
    }
}

/// The state of one bucket: pure arithmetic, shared by [`TokenBucket`] and [`TokenBuckets`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketState {
    /// Micro-tokens available at `last_ns`; never above capacity.
    pub tokens: u64,
    /// Clock reading of the last refill.
    pub last_ns: u64,
}

impl BucketState {
    /// A full bucket at `now`.
    pub fn full(o: &BucketOptions, now: u64) -> Self {
        Self {
            tokens: o.cap_micro(),
            last_ns: now,
        }
    }

    /// Adds what accrued since `last_ns` (capped at capacity). A clock reading older than
    /// `last_ns` (impossible with a monotonic clock) adds nothing rather than underflowing.
    #[inline]
    pub fn refill(&mut self, o: &BucketOptions, now: u64) {
        let cap = o.cap_micro();
        if now <= self.last_ns {
            return;
        }
        if self.tokens >= cap {
            self.last_ns = now;
            return;
        }
        let add = (u128::from(now - self.last_ns) * u128::from(o.refill_per_sec)) / 1000;
        self.tokens = (u128::from(self.tokens) + add).min(u128::from(cap)) as u64;
        self.last_ns = now;
    }

    /// Takes `n` tokens if available: remaining whole tokens (floor), else the negative
    /// shortfall in whole tokens (ceil), taking nothing.
    #[inline]
    pub fn consume(&mut self, o: &BucketOptions, now: u64, n: u32) -> i64 {
        self.refill(o, now);
        let need = u64::from(n) * MICRO;
        if self.tokens >= need {
            self.tokens -= need;
            (self.tokens / MICRO) as i64
        } else {
            -((need - self.tokens).div_ceil(MICRO) as i64)
        }
    }

    /// Milliseconds until `n` tokens are available: 0 if now, else the smallest whole number
    /// of ms after which a refill covers the deficit.
    pub fn retry_after_ms(&mut self, o: &BucketOptions, now: u64, n: u32) -> CoreResult<u64> {
        if n > o.capacity {
            return Err(CoreError::invalid(format!(
                "n = {n} exceeds the bucket capacity {}: it can never be satisfied",
                o.capacity
            )));
        }
        self.refill(o, now);
        let need = u64::from(n) * MICRO;
        if self.tokens >= need {
            return Ok(0);
        }
        let deficit = u128::from(need - self.tokens);
        let ns = (deficit * 1000).div_ceil(u128::from(o.refill_per_sec));
        Ok(ns.div_ceil(1_000_000) as u64)
    }

    /// Gives back `n` tokens, capped at capacity.
    pub fn refund(&mut self, o: &BucketOptions, now: u64, n: u32) {
        self.refill(o, now);
        self.tokens = self
            .tokens
            .saturating_add(u64::from(n) * MICRO)
            .min(o.cap_micro());
    }

    /// Whole tokens available.
    pub fn available(&mut self, o: &BucketOptions, now: u64) -> u32 {
        self.refill(o, now);
        (self.tokens / MICRO) as u32
    }
}

/// One token bucket. Starts full.
pub struct TokenBucket<C: Clock = MonotonicClock> {
    state: Mutex<BucketState>,
    options: BucketOptions,
    clock: C,
}

impl TokenBucket<MonotonicClock> {
    /// A full bucket on the process's monotonic clock.
    pub fn new(options: BucketOptions) -> CoreResult<Self> {
        Self::with_clock(options, MonotonicClock)
    }
}

impl<C: Clock> TokenBucket<C> {
    /// A full bucket on `clock`.
    pub fn with_clock(options: BucketOptions, clock: C) -> CoreResult<Self> {
        options.validate()?;
        let now = clock.now_nanos();
        Ok(Self {
            state: Mutex::new(BucketState::full(&options, now)),
            options,
            clock,
        })
    }

    /// See [`BucketState::consume`].
    pub fn consume(&self, n: u32) -> i64 {
        self.state
            .lock()
            .consume(&self.options, self.clock.now_nanos(), n)
    }

    /// See [`BucketState::retry_after_ms`].
    pub fn retry_after_ms(&self, n: u32) -> CoreResult<u64> {
        self.state
            .lock()
            .retry_after_ms(&self.options, self.clock.now_nanos(), n)
    }

    /// Gives back `n` tokens, capped at capacity.
    pub fn refund(&self, n: u32) {
        self.state
            .lock()
            .refund(&self.options, self.clock.now_nanos(), n)
    }

    /// Whole tokens available now.
    pub fn available(&self) -> u32 {
        self.state
            .lock()
            .available(&self.options, self.clock.now_nanos())
    }

    /// Refills to capacity.
    pub fn reset(&self) {
        *self.state.lock() = BucketState::full(&self.options, self.clock.now_nanos());
    }

    /// The options.
    pub fn options(&self) -> BucketOptions {
        self.options
    }
}

/// Counters of a [`TokenBuckets`] table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BucketsStats {
    /// Live buckets.
    pub buckets: u64,
    /// Handles with an override.
    pub overrides: u64,
    /// Successful consume calls.
    pub consumed: u64,
    /// Limited consume calls.
    pub limited: u64,
    /// Buckets evicted while idle.
    pub evicted: u64,
}

struct Entry {
    state: BucketState,
    /// Per-handle capacity/rate; such a bucket is never evicted.
    custom: Option<BucketOptions>,
}

struct Shard {
    map: FxHashMap<u32, Entry>,
    /// Size at which the next insert first sweeps idle buckets out.
    sweep_at: usize,
    consumed: u64,
    limited: u64,
    evicted: u64,
}

const SHARDS: usize = 64;
const MIN_SWEEP: usize = 1024;

/// A table of token buckets keyed by handle, created full on first use.
///
/// Memory stays bounded without timers: when a shard grows to its sweep mark, the insert
/// first evicts every bucket that is full again (and has no override). A full bucket and a
/// missing one behave identically (a missing one is created full), so eviction never changes
/// a result. The mark is then set to twice the surviving size, which keeps sweeping amortised
/// O(1) per insert and the table within about twice the number of non-full buckets.
pub struct TokenBuckets<C: Clock = MonotonicClock> {
    shards: Box<[CachePadded<Mutex<Shard>>]>,
    options: BucketOptions,
    clock: C,
}

impl TokenBuckets<MonotonicClock> {
    /// An empty table on the process's monotonic clock.
    pub fn new(options: BucketOptions) -> CoreResult<Self> {
        Self::with_clock(options, MonotonicClock)
    }
}

impl<C: Clock> TokenBuckets<C> {
    /// An empty table on `clock`.
    pub fn with_clock(options: BucketOptions, clock: C) -> CoreResult<Self> {
        options.validate()?;
        let shards = (0..SHARDS)
            .map(|_| {
                CachePadded::new(Mutex::new(Shard {
                    map: FxHashMap::default(),
                    sweep_at: MIN_SWEEP,
                    consumed: 0,
                    limited: 0,
                    evicted: 0,
                }))
            })
            .collect();
        Ok(Self {
            shards,
            options,
            clock,
        })
    }

    #[inline]
    fn shard(&self, handle: u32) -> &Mutex<Shard> {
        &self.shards[handle as usize % SHARDS]
    }

    fn sweep(shard: &mut Shard, defaults: &BucketOptions, now: u64) -> u32 {
        let before = shard.map.len();
        shard.map.retain(|_, e| {
            if e.custom.is_some() {
                return true;
            }
            e.state.refill(defaults, now);
            e.state.tokens < defaults.cap_micro()
        });
        let evicted = (before - shard.map.len()) as u32;
        shard.evicted += u64::from(evicted);
        shard.sweep_at = (shard.map.len() * 2).max(MIN_SWEEP);
        evicted
    }

    /// Runs `f` on `handle`'s bucket (with its effective options), creating it full if absent.
    fn with_entry<R>(
        &self,
        handle: u32,
        f: impl FnOnce(&mut BucketState, &BucketOptions, u64) -> R,
    ) -> R {
        let now = self.clock.now_nanos();
        let mut guard = self.shard(handle).lock();
        let shard = &mut *guard;
        if !shard.map.contains_key(&handle) && shard.map.len() >= shard.sweep_at {
            Self::sweep(shard, &self.options, now);
        }
        let defaults = self.options;
        let entry = shard.map.entry(handle).or_insert_with(|| Entry {
            state: BucketState::full(&defaults, now),
            custom: None,
        });
        let opts = entry.custom.unwrap_or(defaults);
        f(&mut entry.state, &opts, now)
    }

    /// Takes `n` tokens from `handle`'s bucket (see [`BucketState::consume`]).
    #[inline]
    pub fn consume(&self, handle: u32, n: u32) -> i64 {
        let now = self.clock.now_nanos();
        let mut guard = self.shard(handle).lock();
        let shard = &mut *guard;
        let left = match shard.map.get_mut(&handle) {
            Some(e) => {
                let opts = e.custom.unwrap_or(self.options);
                e.state.consume(&opts, now, n)
            }
            None => {
                if shard.map.len() >= shard.sweep_at {
                    Self::sweep(shard, &self.options, now);
                }
                let mut state = BucketState::full(&self.options, now);
                let left = state.consume(&self.options, now, n);
                shard.map.insert(
                    handle,
                    Entry {
                        state,
                        custom: None,
                    },
                );
                left
            }
        };
        if left >= 0 {
            shard.consumed += 1;
        } else {
            shard.limited += 1;
        }
        left
    }

    /// Milliseconds until `handle` has `n` tokens.
    pub fn retry_after_ms(&self, handle: u32, n: u32) -> CoreResult<u64> {
        self.with_entry(handle, |s, o, now| s.retry_after_ms(o, now, n))
    }

    /// Gives `n` tokens back to `handle` (capped at its capacity).
    pub fn refund(&self, handle: u32, n: u32) {
        self.with_entry(handle, |s, o, now| s.refund(o, now, n))
    }

    /// Gives `handle` its own capacity and rate until [`TokenBuckets::clear_override`]. The
    /// bucket keeps its tokens, clamped to the new capacity.
    pub fn set_override(&self, handle: u32, options: BucketOptions) -> CoreResult<()> {
        options.validate()?;
        let now = self.clock.now_nanos();
        let mut guard = self.shard(handle).lock();
        let defaults = self.options;
        let entry = guard.map.entry(handle).or_insert_with(|| Entry {
            state: BucketState::full(&options, now),
            custom: None,
        });
        let old = entry.custom.unwrap_or(defaults);
        entry.state.refill(&old, now);
        entry.state.tokens = entry.state.tokens.min(options.cap_micro());
        entry.custom = Some(options);
        Ok(())
    }

    /// Returns `handle` to the default capacity and rate (tokens clamped). False if it had
    /// no override.
    pub fn clear_override(&self, handle: u32) -> bool {
        let now = self.clock.now_nanos();
        let mut guard = self.shard(handle).lock();
        match guard.map.get_mut(&handle) {
            Some(e) if e.custom.is_some() => {
                let old = e.custom.take().unwrap_or(self.options);
                e.state.refill(&old, now);
                e.state.tokens = e.state.tokens.min(self.options.cap_micro());
                true
            }
            _ => false,
        }
    }

    /// Drops `handle`'s bucket and override (e.g. when its session ends).
    pub fn remove(&self, handle: u32) -> bool {
        self.shard(handle).lock().map.remove(&handle).is_some()
    }

    /// Evicts every idle (full, not overridden) bucket now; returns how many.
    pub fn evict_idle(&self) -> u32 {
        let now = self.clock.now_nanos();
        self.shards
            .iter()
            .map(|s| Self::sweep(&mut s.lock(), &self.options, now))
            .sum()
    }

    /// Live buckets.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().map.len()).sum()
    }

    /// True when no bucket is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Handles with an override.
    pub fn overrides(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map.values().filter(|e| e.custom.is_some()).count())
            .sum()
    }

    /// Counters.
    pub fn stats(&self) -> BucketsStats {
        let mut st = BucketsStats::default();
        for s in self.shards.iter() {
            let s = s.lock();
            st.buckets += s.map.len() as u64;
            st.overrides += s.map.values().filter(|e| e.custom.is_some()).count() as u64;
            st.consumed += s.consumed;
            st.limited += s.limited;
            st.evicted += s.evicted;
        }
        st
    }

    /// The default options.
    pub fn options(&self) -> BucketOptions {
        self.options
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;

    fn opts(capacity: u32, refill_per_sec: u32) -> BucketOptions {
        BucketOptions {
            capacity,
            refill_per_sec,
        }
    }

    #[test]
    fn consume_refill_and_shortfall() {
        let clock = Arc::new(ManualClock::new(0));
        let b = TokenBucket::with_clock(opts(10, 5), Arc::clone(&clock)).unwrap();
        assert_eq!(b.consume(4), 6);
        assert_eq!(b.consume(7), -1);
        assert_eq!(b.consume(6), 0);
        assert_eq!(b.consume(1), -1);
        clock.advance_ms(199); // 0.995 tokens
        assert_eq!(b.consume(1), -1);
        clock.advance_ms(1);
        assert_eq!(b.consume(1), 0);
        clock.advance_ms(100_000);
        assert_eq!(b.available(), 10);
        assert_eq!(b.consume(0), 10);
    }

    #[test]
    fn retry_after_is_exact() {
        let clock = Arc::new(ManualClock::new(0));
        let b = TokenBucket::with_clock(opts(10, 3), Arc::clone(&clock)).unwrap();
        b.consume(10);
        // 1 token at 3/s = 333.33 ms -> 334 ms.
        assert_eq!(b.retry_after_ms(1).unwrap(), 334);
        clock.advance_ms(333);
        assert!(b.consume(1) < 0);
        clock.advance_ms(1);
        assert_eq!(b.consume(1), 0);
        assert_eq!(b.retry_after_ms(11).unwrap_err().code(), "ERR_INVALID_ARG");
        b.refund(100);
        assert_eq!(b.available(), 10);
        assert_eq!(b.retry_after_ms(10).unwrap(), 0);
    }

    #[test]
    fn options_validated() {
        assert_eq!(
            TokenBucket::new(opts(0, 1)).err().unwrap().code(),
            "ERR_INVALID_ARG"
        );
        assert_eq!(
            TokenBuckets::new(opts(1, 0)).err().unwrap().code(),
            "ERR_INVALID_ARG"
        );
        assert_eq!(BucketOptions::default(), opts(1000, 10_000));
    }

    #[test]
    fn table_buckets_are_independent_and_counted() {
        let clock = Arc::new(ManualClock::new(0));
        let t = TokenBuckets::with_clock(opts(2, 1), Arc::clone(&clock)).unwrap();
        assert_eq!(t.consume(1, 1), 1);
        assert_eq!(t.consume(1, 1), 0);
        assert_eq!(t.consume(1, 1), -1);
        assert_eq!(t.consume(2, 2), 0);
        assert_eq!(t.retry_after_ms(1, 1).unwrap(), 1000);
        let s = t.stats();
        assert_eq!((s.buckets, s.consumed, s.limited), (2, 3, 1));
    }

    #[test]
    fn overrides_clamp_and_persist() {
        let clock = Arc::new(ManualClock::new(0));
        let t = TokenBuckets::with_clock(opts(5, 1), Arc::clone(&clock)).unwrap();
        t.set_override(9, opts(100, 1)).unwrap();
        assert_eq!(t.consume(9, 100), 0);
        t.refund(9, 50);
        t.set_override(9, opts(10, 1)).unwrap();
        assert_eq!(t.consume(9, 0), 10);
        assert!(t.clear_override(9));
        assert_eq!(t.consume(9, 0), 5);
        assert!(!t.clear_override(9));
        assert_eq!(
            t.set_override(9, opts(0, 1)).unwrap_err().code(),
            "ERR_INVALID_ARG"
        );
    }

    #[test]
    fn eviction_only_takes_full_buckets() {
        let clock = Arc::new(ManualClock::new(0));
        let t = TokenBuckets::with_clock(opts(4, 1), Arc::clone(&clock)).unwrap();
        t.consume(1, 0);
        t.consume(2, 4);
        t.set_override(3, opts(4, 1)).unwrap();
        assert_eq!(t.evict_idle(), 1);
        assert_eq!(t.len(), 2);
        clock.advance_ms(4000);
        assert_eq!(t.evict_idle(), 1);
        assert_eq!(t.overrides(), 1);
        assert_eq!(t.stats().evicted, 2);
        assert!(t.remove(3));
        assert!(t.is_empty());
    }

    #[test]
    fn amortised_sweep_bounds_memory() {
        let clock = Arc::new(ManualClock::new(0));
        let t = TokenBuckets::with_clock(opts(1, 1000), Arc::clone(&clock)).unwrap();
        // 200k distinct handles, each touched once and full again 1 ms later.
        for h in 0..200_000u32 {
            t.consume(h, 0);
            if h % 1000 == 0 {
                clock.advance_ms(1);
            }
        }
        assert!(t.len() <= SHARDS * MIN_SWEEP, "len {} not bounded", t.len());
        assert!(t.stats().evicted > 0);
    }
}
