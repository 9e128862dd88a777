//! Bounded multi-producer multi-consumer queue of byte frames.
//!
//! The slots are a `crossbeam_queue::ArrayQueue` (a lock-free ring buffer). An atomic depth
//! counter is reserved *before* a frame goes in, so the reject threshold holds exactly under
//! any number of concurrent producers: the queue never holds more than `reject_limit` frames,
//! never grows and never blocks.
//!
//! [`RingQueue::drain_to`] fills a caller's buffer instead of allocating one. A frame it pops
//! that does not fit is kept aside (the carry) and handed out first by the next pop or drain,
//! still counted in the depth: the lock-free ring has no way to push a frame back in front.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use crossbeam_queue::ArrayQueue;
use crossbeam_utils::CachePadded;
use parking_lot::Mutex;

use crate::error::{CoreError, CoreResult};

/// Largest capacity accepted (16 Mi frames).
pub const MAX_CAPACITY: u32 = 1 << 24;

/// Options of a [`RingQueue`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RingOptions {
    /// Maximum frames held, `1..=2^24`. Default 10000.
    pub capacity: u32,
    /// Fill ratio from which accepted pushes answer [`PushOutcome::Warn`]. Default 0.75.
    pub warn_at: f64,
    /// Fill ratio at which pushes are rejected. Default 0.95.
    pub reject_at: f64,
}

impl Default for RingOptions {
    fn default() -> Self {
        Self {
            capacity: 10_000,
            warn_at: 0.75,
            reject_at: 0.95,
        }
    }
}

impl RingOptions {
    /// Checks `1 <= capacity <= 2^24` and `0 < warn_at <= reject_at <= 1`.
    pub fn validate(&self) -> CoreResult<()> {
        if self.capacity == 0 || self.capacity > MAX_CAPACITY {
            return Err(CoreError::invalid(format!(
                "capacity must be an integer in 1..={MAX_CAPACITY}, got {}",
                self.capacity
            )));
        }
        let ok = |v: f64| v.is_finite() && v > 0.0 && v <= 1.0;
        if !ok(self.warn_at) || !ok(self.reject_at) || self.warn_at > self.reject_at {
            return Err(CoreError::invalid(format!(
                "need 0 < warnAt <= rejectAt <= 1, got warnAt {} and rejectAt {}",
                self.warn_at, self.reject_at
            )));
        }
        Ok(())
    }

    /// Depth at which pushes are rejected: `ceil(capacity * reject_at)`, at least 1.
    pub fn reject_limit(&self) -> u32 {
        mark(self.capacity, self.reject_at)
    }

    /// Depth (after a push) from which the push answers warn: `ceil(capacity * warn_at)`.
    pub fn warn_limit(&self) -> u32 {
        mark(self.capacity, self.warn_at)
    }
}

/// `ceil(capacity * fraction)` in `1..=capacity`, as exact decimal arithmetic would give it.
/// A plain `f64` ceil is off by one where the product lands a hair above an integer
/// (`100.0 * 0.07` is 7.000000000000001), so a tolerance far below one frame is taken off first.
fn mark(capacity: u32, fraction: f64) -> u32 {
    ((f64::from(capacity) * fraction - 1e-6).ceil() as u32).clamp(1, capacity)
}

/// What a push did. The numeric values are part of the JS API.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Accepted, below the warn mark.
    Ok = 0,
    /// Accepted; the depth after the push is at or above the warn mark.
    Warn = 1,
    /// Refused: the depth had reached the reject mark. Nothing was queued.
    Rejected = 2,
}

/// Counters of a ring queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingStats {
    /// Frames accepted.
    pub pushed: u64,
    /// Frames removed by pop, drain or clear.
    pub popped: u64,
    /// Pushes refused.
    pub rejected: u64,
    /// Pushes accepted with [`PushOutcome::Warn`].
    pub warned: u64,
    /// Highest depth seen.
    pub high_water: u32,
    /// Frames queued now.
    pub depth: u32,
    /// Configured capacity.
    pub capacity: u32,
}

/// Checks that a frame's length fits the `u32` offsets of drained batches.
pub fn check_frame_len(len: usize) -> CoreResult<()> {
    if len > u32::MAX as usize {
        Err(CoreError::FrameTooLarge(len))
    } else {
        Ok(())
    }
}

/// A bounded MPMC queue of byte frames. See the module docs.
pub struct RingQueue {
    slots: ArrayQueue<Box<[u8]>>,
    /// Reserved + queued frames; incremented before a push, decremented after a pop.
    depth: CachePadded<AtomicU32>,
    options: RingOptions,
    reject_limit: u32,
    warn_limit: u32,
    pushed: CachePadded<AtomicU64>,
    popped: CachePadded<AtomicU64>,
    rejected: AtomicU64,
    warned: AtomicU64,
    high_water: AtomicU32,
    /// Frames popped by [`RingQueue::drain_to`] that did not fit, oldest first.
    carry: Mutex<VecDeque<Box<[u8]>>>,
    /// True while `carry` may hold frames: pops look at the lock only then.
    carried: AtomicBool,
}

impl RingQueue {
    /// An empty queue.
    pub fn new(options: RingOptions) -> CoreResult<Self> {
        options.validate()?;
        Ok(Self {
            slots: ArrayQueue::new(options.capacity as usize),
            depth: CachePadded::new(AtomicU32::new(0)),
            reject_limit: options.reject_limit(),
            warn_limit: options.warn_limit(),
            options,
            pushed: CachePadded::new(AtomicU64::new(0)),
            popped: CachePadded::new(AtomicU64::new(0)),
            rejected: AtomicU64::new(0),
            warned: AtomicU64::new(0),
            high_water: AtomicU32::new(0),
            carry: Mutex::new(VecDeque::new()),
            carried: AtomicBool::new(false),
        })
    }

    /// Depth at which pushes are rejected.
    pub fn reject_limit(&self) -> u32 {
        self.reject_limit
    }

    /// Reserves one slot; the depth after the reservation, or None at the reject mark.
    #[inline]
    fn reserve(&self) -> Option<u32> {
        let limit = self.reject_limit;
        self.depth
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |d| {
                (d < limit).then_some(d + 1)
            })
            .ok()
            .map(|before| before + 1)
    }

    #[inline]
    fn enqueue(&self, frame: Box<[u8]>, depth_after: u32) -> PushOutcome {
        // Cannot fail: at most reject_limit <= capacity slots are reserved at once.
        if self.slots.push(frame).is_err() {
            self.depth.fetch_sub(1, Ordering::AcqRel);
            self.rejected.fetch_add(1, Ordering::Relaxed);
            return PushOutcome::Rejected;
        }
        self.pushed.fetch_add(1, Ordering::Relaxed);
        self.high_water.fetch_max(depth_after, Ordering::Relaxed);
        if depth_after >= self.warn_limit {
            self.warned.fetch_add(1, Ordering::Relaxed);
            PushOutcome::Warn
        } else {
            PushOutcome::Ok
        }
    }

    /// Copies `frame` in. Never blocks; refuses at the reject mark.
    pub fn push(&self, frame: &[u8]) -> CoreResult<PushOutcome> {
        check_frame_len(frame.len())?;
        let Some(after) = self.reserve() else {
            self.rejected.fetch_add(1, Ordering::Relaxed);
            return Ok(PushOutcome::Rejected);
        };
        Ok(self.enqueue(frame.into(), after))
    }

    /// Pushes the frames `data[ends[i-1]..ends[i]]` (the first starts at 0) in order,
    /// stopping at the first rejection. Returns how many were accepted and the outcome of the
    /// last push attempted (`Ok` when there were none). `ERR_INVALID_ARG` (nothing pushed) if
    /// `ends` decreases or passes `data.len()`.
    pub fn push_many(&self, data: &[u8], ends: &[u32]) -> CoreResult<(u32, PushOutcome)> {
        let mut prev = 0usize;
        for &end in ends {
            let end = end as usize;
            if end < prev || end > data.len() {
                return Err(CoreError::invalid(format!(
                    "frame ends must be non-decreasing and at most {} (the data length)",
                    data.len()
                )));
            }
            prev = end;
        }
        let (mut start, mut accepted, mut last) = (0usize, 0u32, PushOutcome::Ok);
        for &end in ends {
            let end = end as usize;
            last = self.push(&data[start..end])?;
            if last == PushOutcome::Rejected {
                break;
            }
            accepted += 1;
            start = end;
        }
        Ok((accepted, last))
    }

    /// The next frame to hand out (the carry first), without touching the counters.
    #[inline]
    fn take(&self) -> Option<Box<[u8]>> {
        if self.carried.load(Ordering::Acquire) {
            let mut carry = self.carry.lock();
            if let Some(frame) = carry.pop_front() {
                self.carried.store(!carry.is_empty(), Ordering::Release);
                return Some(frame);
            }
        }
        self.slots.pop()
    }

    /// Keeps a taken frame aside, to be handed out before any other.
    fn put_back(&self, frame: Box<[u8]>) {
        let mut carry = self.carry.lock();
        carry.push_front(frame);
        self.carried.store(true, Ordering::Release);
    }

    /// Removes the oldest frame.
    pub fn pop(&self) -> Option<Box<[u8]>> {
        let frame = self.take()?;
        self.depth.fetch_sub(1, Ordering::AcqRel);
        self.popped.fetch_add(1, Ordering::Relaxed);
        Some(frame)
    }

    /// Pops up to `max` frames, appending their bytes to `data` and, per frame, its end
    /// offset (relative to the start of `data`, including bytes already in it) to `ends`.
    /// Returns the count. One call moves a whole batch; the only allocation is `data` growing.
    pub fn drain_into(&self, max: u32, data: &mut Vec<u8>, ends: &mut Vec<u32>) -> u32 {
        let mut n = 0;
        while n < max {
            let Some(frame) = self.take() else { break };
            data.extend_from_slice(&frame);
            ends.push(data.len() as u32);
            n += 1;
        }
        self.count_popped(n);
        n
    }

    /// Pops up to `max` frames (at most `ends.len()`) into the caller's `data`, back to back,
    /// and writes each one's end offset to `ends`; returns the count. Stops at the first frame
    /// that does not fit the space left (it is handed out first next time).
    /// `ERR_INVALID_ARG` (nothing taken) when `data` is too small for the first frame or
    /// longer than `u32` offsets reach.
    pub fn drain_to(&self, max: u32, data: &mut [u8], ends: &mut [u32]) -> CoreResult<u32> {
        if data.len() > u32::MAX as usize {
            return Err(CoreError::invalid(format!(
                "data must be at most {} bytes (u32 offsets)",
                u32::MAX
            )));
        }
        let limit = ends.len().min(max as usize);
        let (mut n, mut used) = (0usize, 0usize);
        while n < limit {
            let Some(frame) = self.take() else { break };
            let end = used + frame.len();
            if end > data.len() {
                let len = frame.len();
                self.put_back(frame);
                if n == 0 {
                    return Err(CoreError::invalid(format!(
                        "the next frame has {len} bytes, more than data's {}",
                        data.len()
                    )));
                }
                break;
            }
            data[used..end].copy_from_slice(&frame);
            ends[n] = end as u32;
            used = end;
            n += 1;
        }
        self.count_popped(n as u32);
        Ok(n as u32)
    }

    #[inline]
    fn count_popped(&self, n: u32) {
        if n > 0 {
            self.depth.fetch_sub(n, Ordering::AcqRel);
            self.popped.fetch_add(u64::from(n), Ordering::Relaxed);
        }
    }

    /// Frames queued (including pushes reserved but not yet stored).
    pub fn depth(&self) -> u32 {
        self.depth.load(Ordering::Acquire)
    }

    /// Configured capacity.
    pub fn capacity(&self) -> u32 {
        self.options.capacity
    }

    /// Counters.
    pub fn stats(&self) -> RingStats {
        RingStats {
            pushed: self.pushed.load(Ordering::Relaxed),
            popped: self.popped.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            warned: self.warned.load(Ordering::Relaxed),
            high_water: self.high_water.load(Ordering::Relaxed),
            depth: self.depth(),
            capacity: self.options.capacity,
        }
    }

    /// Drops every queued frame; returns how many (they count as popped).
    pub fn clear(&self) -> u32 {
        let mut n = 0;
        while self.pop().is_some() {
            n += 1;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(capacity: u32, warn_at: f64, reject_at: f64) -> RingQueue {
        RingQueue::new(RingOptions {
            capacity,
            warn_at,
            reject_at,
        })
        .unwrap()
    }

    #[test]
    fn thresholds_are_exact() {
        let r = q(20, 0.5, 0.75);
        let got: Vec<_> = (0..20).map(|i| r.push(&[i]).unwrap()).collect();
        assert!(got[..9].iter().all(|&o| o == PushOutcome::Ok));
        assert!(got[9..15].iter().all(|&o| o == PushOutcome::Warn));
        assert!(got[15..].iter().all(|&o| o == PushOutcome::Rejected));
        let s = r.stats();
        assert_eq!(
            (s.pushed, s.rejected, s.warned, s.high_water, s.depth),
            (15, 5, 6, 15, 15)
        );
    }

    #[test]
    fn fifo_pop_and_drain_offsets() {
        let r = q(10, 1.0, 1.0);
        r.push(b"ab").unwrap();
        r.push(b"").unwrap();
        r.push(b"cde").unwrap();
        assert_eq!(&*r.pop().unwrap(), b"ab");
        let (mut data, mut ends) = (b"xy".to_vec(), Vec::new());
        assert_eq!(r.drain_into(10, &mut data, &mut ends), 2);
        assert_eq!(data, b"xycde");
        assert_eq!(ends, vec![2, 5]);
        assert_eq!(r.drain_into(10, &mut data, &mut ends), 0);
        assert_eq!(r.stats().popped, 3);
    }

    #[test]
    fn drain_to_fills_the_callers_buffer_and_carries_what_does_not_fit() {
        let r = q(10, 1.0, 1.0);
        for f in [&b"ab"[..], b"", b"cde", b"fghi", b"j"] {
            r.push(f).unwrap();
        }
        let (mut data, mut ends) = ([0u8; 6], [0u32; 8]);
        // "ab", "" and "cde" fit in 6 bytes; "fghi" does not and is kept aside.
        assert_eq!(r.drain_to(10, &mut data, &mut ends).unwrap(), 3);
        assert_eq!((&data[..5], &ends[..3]), (&b"abcde"[..], &[2, 2, 5][..]));
        assert_eq!((r.depth(), r.stats().popped), (2, 3));
        // The carried frame comes first, whichever way the next frame is taken.
        let (mut small, mut one) = ([0u8; 2], [0u32; 1]);
        let e = r.drain_to(10, &mut small, &mut one).unwrap_err();
        assert_eq!(e.code(), "ERR_INVALID_ARG");
        assert_eq!(r.depth(), 2);
        assert_eq!(&*r.pop().unwrap(), b"fghi");
        // `max` and the length of `ends` both bound the count.
        r.push(b"k").unwrap();
        assert_eq!(r.drain_to(1, &mut data, &mut ends).unwrap(), 1);
        assert_eq!(r.drain_to(10, &mut data, &mut one).unwrap(), 1);
        assert_eq!((&data[..1], one[0]), (&b"k"[..], 1));
        assert_eq!(r.drain_to(10, &mut data, &mut ends).unwrap(), 0);
        assert_eq!((r.depth(), r.stats().popped), (0, 6));
    }

    #[test]
    fn drain_to_under_concurrent_producers_and_consumers_loses_and_repeats_nothing() {
        use std::sync::Arc;
        const PER: u32 = 20_000;
        let r = Arc::new(q(64, 1.0, 1.0));
        let producers: Vec<_> = (0..3u32)
            .map(|p| {
                let r = Arc::clone(&r);
                std::thread::spawn(move || {
                    for i in 0..PER {
                        // 4..=11 bytes: the id, then padding, so frames often do not fit.
                        let mut f = (p * PER + i).to_le_bytes().to_vec();
                        f.resize(4 + (i % 8) as usize, 0xee);
                        while r.push(&f).unwrap() == PushOutcome::Rejected {
                            std::thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        let taken = Arc::new(AtomicU32::new(0));
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let (r, taken) = (Arc::clone(&r), Arc::clone(&taken));
                std::thread::spawn(move || {
                    let (mut data, mut ends, mut seen) = ([0u8; 24], [0u32; 4], Vec::new());
                    while taken.load(Ordering::Acquire) < 3 * PER {
                        let n = r.drain_to(4, &mut data, &mut ends).unwrap();
                        taken.fetch_add(n, Ordering::AcqRel);
                        let mut start = 0;
                        for &end in &ends[..n as usize] {
                            let id = u32::from_le_bytes(data[start..start + 4].try_into().unwrap());
                            assert_eq!(end as usize - start, 4 + (id % PER % 8) as usize);
                            seen.push(id);
                            start = end as usize;
                        }
                        if n == 0 {
                            std::thread::yield_now();
                        }
                    }
                    seen
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        let mut all: Vec<u32> = consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..3 * PER).collect::<Vec<_>>());
        assert_eq!(r.depth(), 0);
    }

    #[test]
    fn push_many_stops_at_rejection_and_validates() {
        let r = q(4, 1.0, 1.0);
        assert_eq!(
            r.push_many(b"aabbccddee", &[2, 4, 6, 8, 10]).unwrap(),
            (4, PushOutcome::Rejected)
        );
        assert_eq!(r.depth(), 4);
        assert_eq!(r.push_many(b"", &[]).unwrap(), (0, PushOutcome::Ok));
        assert_eq!(
            r.push_many(b"ab", &[2, 1]).unwrap_err().code(),
            "ERR_INVALID_ARG"
        );
        assert_eq!(
            r.push_many(b"ab", &[3]).unwrap_err().code(),
            "ERR_INVALID_ARG"
        );
        assert_eq!(r.clear(), 4);
        assert_eq!(r.depth(), 0);
    }

    #[test]
    fn options_are_validated() {
        for (c, w, rj) in [
            (0, 0.5, 0.9),
            (MAX_CAPACITY + 1, 0.5, 0.9),
            (10, 0.0, 0.9),
            (10, 0.9, 0.8),
            (10, 0.5, 1.5),
            (10, f64::NAN, 1.0),
        ] {
            let o = RingOptions {
                capacity: c,
                warn_at: w,
                reject_at: rj,
            };
            assert_eq!(RingQueue::new(o).err().unwrap().code(), "ERR_INVALID_ARG");
        }
        let d = RingOptions::default();
        assert_eq!(
            (d.capacity, d.reject_limit(), d.warn_limit()),
            (10_000, 9_500, 7_500)
        );
        assert_eq!(
            RingOptions {
                capacity: 1,
                warn_at: 0.01,
                reject_at: 0.01
            }
            .reject_limit(),
            1
        );
    }

    #[test]
    fn marks_equal_exact_integer_rounding() {
        // Every capacity 1..=1000 at every whole percentage: ceil(capacity * pct / 100) exactly.
        for capacity in 1..=1000u32 {
            for pct in 1..=100u32 {
                let o = RingOptions {
                    capacity,
                    warn_at: f64::from(pct) / 100.0,
                    reject_at: 1.0,
                };
                let exact = (capacity * pct).div_ceil(100).max(1);
                assert_eq!(o.warn_limit(), exact, "capacity {capacity}, {pct} %");
            }
        }
        let o = RingOptions {
            capacity: 100,
            warn_at: 0.07,
            reject_at: 0.07,
        };
        assert_eq!(o.reject_limit(), 7);
    }

    #[test]
    fn frame_length_limit() {
        assert!(check_frame_len(u32::MAX as usize).is_ok());
        assert_eq!(
            check_frame_len(u32::MAX as usize + 1).unwrap_err().code(),
            "ERR_FRAME_TOO_LARGE"
        );
    }
}
