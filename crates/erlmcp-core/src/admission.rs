//! Per-shard admission control: how many messages are in flight on each shard and overall.
//!
//! Each shard has its own cache-padded counter, so a flooded shard never slows or refuses
//! another. Limits are exact under concurrency: a slot is taken with a compare-and-swap that
//! only succeeds below the limit, and a global refusal gives the shard slot back.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crossbeam_utils::CachePadded;

use crate::error::{CoreError, CoreResult};

/// Options of [`AdmissionControl`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdmissionOptions {
    /// Number of shards, `1..=1024`. Default 64.
    pub shards: u32,
    /// Messages in flight allowed per shard, `>= 1`. Default 10000.
    pub max_per_shard: u32,
    /// Messages in flight allowed over all shards, `>= 1`. Default 500000.
    pub max_global: u64,
}

impl Default for AdmissionOptions {
    fn default() -> Self {
        Self {
            shards: 64,
            max_per_shard: 10_000,
            max_global: 500_000,
        }
    }
}

impl AdmissionOptions {
    /// Checks the ranges.
    pub fn validate(&self) -> CoreResult<()> {
        if self.shards == 0 || self.shards > 1024 {
            return Err(CoreError::invalid(format!(
                "shards must be in 1..=1024, got {}",
                self.shards
            )));
        }
        if self.max_per_shard == 0 {
            return Err(CoreError::invalid("maxPerShard must be at least 1"));
        }
        if self.max_global == 0 {
            return Err(CoreError::invalid("maxGlobal must be at least 1"));
        }
        Ok(())
    }
}

/// Verdict of [`AdmissionControl::admit`]. The numeric values are part of the JS API.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// A slot was taken; give it back with `release`.
    Ok = 0,
    /// The shard holds `max_per_shard`; nothing taken.
    ShardOverloaded = 1,
    /// All shards together hold `max_global`; nothing taken.
    GlobalOverloaded = 2,
}

/// Counters of admission control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmissionStats {
    /// Number of shards.
    pub shards: u32,
    /// Slots held over all shards.
    pub global_depth: u64,
    /// Per-shard limit.
    pub max_per_shard: u32,
    /// Global limit.
    pub max_global: u64,
    /// Slots held per shard.
    pub per_shard_depth: Vec<u32>,
    /// Admissions granted.
    pub admitted: u64,
    /// Refusals because a shard was full.
    pub shard_rejected: u64,
    /// Refusals because the global limit was reached.
    pub global_rejected: u64,
}

#[derive(Default)]
struct ShardSlot {
    depth: AtomicU32,
    admitted: AtomicU64,
    shard_rejected: AtomicU64,
    global_rejected: AtomicU64,
}

/// Per-shard and global in-flight limits. See the module docs.
pub struct AdmissionControl {
    shards: Box<[CachePadded<ShardSlot>]>,
    global: CachePadded<AtomicU64>,
    options: AdmissionOptions,
}

impl AdmissionControl {
    /// All shards empty.
    pub fn new(options: AdmissionOptions) -> CoreResult<Self> {
        options.validate()?;
        Ok(Self {
            shards: (0..options.shards)
                .map(|_| CachePadded::new(ShardSlot::default()))
                .collect(),
            global: CachePadded::new(AtomicU64::new(0)),
            options,
        })
    }

    #[inline]
    fn slot(&self, shard: u32) -> CoreResult<&ShardSlot> {
        self.shards
            .get(shard as usize)
            .map(|s| &**s)
            .ok_or(CoreError::InvalidShard {
                shard: shard as usize,
                shards: self.shards.len(),
            })
    }

    /// Takes one slot on `shard`, or says which limit refused it.
    #[inline]
    pub fn admit(&self, shard: u32) -> CoreResult<Admit> {
        let slot = self.slot(shard)?;
        let max = self.options.max_per_shard;
        if slot
            .depth
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |d| {
                (d < max).then_some(d + 1)
            })
            .is_err()
        {
            slot.shard_rejected.fetch_add(1, Ordering::Relaxed);
            return Ok(Admit::ShardOverloaded);
        }
        let gmax = self.options.max_global;
        if self
            .global
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |g| {
                (g < gmax).then_some(g + 1)
            })
            .is_err()
        {
            slot.depth.fetch_sub(1, Ordering::AcqRel);
            slot.global_rejected.fetch_add(1, Ordering::Relaxed);
            return Ok(Admit::GlobalOverloaded);
        }
        slot.admitted.fetch_add(1, Ordering::Relaxed);
        Ok(Admit::Ok)
    }

    /// Gives `n` slots of `shard` back. `ERR_RELEASE_UNDERFLOW`, changing nothing, if the
    /// shard holds fewer than `n` (that would be a double completion somewhere).
    pub fn release(&self, shard: u32, n: u32) -> CoreResult<()> {
        let slot = self.slot(shard)?;
        slot.depth
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |d| d.checked_sub(n))
            .map_err(|d| CoreError::ReleaseUnderflow {
                shard: shard as usize,
                depth: u64::from(d),
                requested: u64::from(n),
            })?;
        self.global.fetch_sub(u64::from(n), Ordering::AcqRel);
        Ok(())
    }

    /// Slots held on `shard`.
    pub fn depth(&self, shard: u32) -> CoreResult<u32> {
        Ok(self.slot(shard)?.depth.load(Ordering::Acquire))
    }

    /// Slots held over all shards.
    pub fn global_depth(&self) -> u64 {
        self.global.load(Ordering::Acquire)
    }

    /// The options this instance was built with.
    pub fn options(&self) -> AdmissionOptions {
        self.options
    }

    /// Counters.
    pub fn stats(&self) -> AdmissionStats {
        let sum = |f: fn(&ShardSlot) -> &AtomicU64| {
            self.shards
                .iter()
                .map(|s| f(s).load(Ordering::Relaxed))
                .sum()
        };
        AdmissionStats {
            shards: self.options.shards,
            global_depth: self.global_depth(),
            max_per_shard: self.options.max_per_shard,
            max_global: self.options.max_global,
            per_shard_depth: self
                .shards
                .iter()
                .map(|s| s.depth.load(Ordering::Relaxed))
                .collect(),
            admitted: sum(|s| &s.admitted),
            shard_rejected: sum(|s| &s.shard_rejected),
            global_rejected: sum(|s| &s.global_rejected),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ac(shards: u32, max_per_shard: u32, max_global: u64) -> AdmissionControl {
        AdmissionControl::new(AdmissionOptions {
            shards,
            max_per_shard,
            max_global,
        })
        .unwrap()
    }

    #[test]
    fn per_shard_limit_is_isolated() {
        let a = ac(2, 2, 100);
        assert_eq!(a.admit(0).unwrap(), Admit::Ok);
        assert_eq!(a.admit(0).unwrap(), Admit::Ok);
        assert_eq!(a.admit(0).unwrap(), Admit::ShardOverloaded);
        assert_eq!(a.admit(1).unwrap(), Admit::Ok);
        assert_eq!(
            (a.depth(0).unwrap(), a.depth(1).unwrap(), a.global_depth()),
            (2, 1, 3)
        );
    }

    #[test]
    fn global_limit_gives_shard_slot_back() {
        let a = ac(2, 5, 2);
        a.admit(0).unwrap();
        a.admit(1).unwrap();
        assert_eq!(a.admit(0).unwrap(), Admit::GlobalOverloaded);
        assert_eq!(a.depth(0).unwrap(), 1);
        let s = a.stats();
        assert_eq!((s.admitted, s.shard_rejected, s.global_rejected), (2, 0, 1));
    }

    #[test]
    fn release_and_underflow() {
        let a = ac(1, 5, 5);
        a.admit(0).unwrap();
        let e = a.release(0, 2).unwrap_err();
        assert_eq!(e.code(), "ERR_RELEASE_UNDERFLOW");
        assert_eq!(a.depth(0).unwrap(), 1);
        a.release(0, 1).unwrap();
        assert_eq!(a.global_depth(), 0);
        a.release(0, 0).unwrap();
    }

    /// `ConnectionLimiter.open` (src/transports/limiter.ts) is a named one-shard instance with
    /// `max_per_shard == max_global`: threads opening it by name share one exact limit.
    #[test]
    fn named_one_shard_limit_is_exact_across_threads() {
        use crate::named::NamedTable;
        use std::sync::Arc;

        let table: Arc<NamedTable<AdmissionControl, AdmissionOptions>> =
            Arc::new(NamedTable::new());
        let opts = |max: u32| AdmissionOptions {
            shards: 1,
            max_per_shard: max,
            max_global: u64::from(max),
        };
        let a = table
            .open("c", opts(8), |o| AdmissionControl::new(*o))
            .unwrap();
        let b = table
            .open("c", opts(8), |o| AdmissionControl::new(*o))
            .unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let e = table
            .open("c", opts(9), |o| AdmissionControl::new(*o))
            .err()
            .unwrap();
        assert_eq!(e.code(), "ERR_OPTIONS_MISMATCH");

        let peak = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (table, peak) = (Arc::clone(&table), Arc::clone(&peak));
                std::thread::spawn(move || {
                    let a = table
                        .open("c", opts(8), |o| AdmissionControl::new(*o))
                        .unwrap();
                    let (mut ok, mut refused) = (0u64, 0u64);
                    for i in 0..20_000u32 {
                        // Hold 1..=3 slots at once, so the limit is hit often.
                        let want = 1 + i % 3;
                        let mut held = 0;
                        for _ in 0..want {
                            if a.admit(0).unwrap() == Admit::Ok {
                                held += 1;
                                peak.fetch_max(a.global_depth(), Ordering::Relaxed);
                            } else {
                                refused += 1;
                            }
                        }
                        ok += u64::from(held);
                        a.release(0, held).unwrap();
                    }
                    (ok, refused)
                })
            })
            .collect();
        let (mut ok, mut refused) = (0, 0);
        for th in threads {
            let (o, r) = th.join().unwrap();
            ok += o;
            refused += r;
        }
        let s = a.stats();
        assert!(peak.load(Ordering::Relaxed) <= 8);
        assert_eq!(s.global_depth, 0);
        assert_eq!(s.admitted, ok);
        assert_eq!(s.shard_rejected + s.global_rejected, refused);
        assert_eq!(
            ok + refused,
            4 * (0..20_000u64).map(|i| 1 + i % 3).sum::<u64>()
        );
        assert_eq!(a.release(0, 1).unwrap_err().code(), "ERR_RELEASE_UNDERFLOW");
    }

    #[test]
    fn bad_shards_and_options() {
        let a = ac(4, 1, 1);
        assert_eq!(a.admit(4).unwrap_err().code(), "ERR_INVALID_SHARD");
        assert_eq!(a.release(9, 1).unwrap_err().code(), "ERR_INVALID_SHARD");
        assert_eq!(a.depth(4).unwrap_err().code(), "ERR_INVALID_SHARD");
        for o in [
            AdmissionOptions {
                shards: 0,
                ..Default::default()
            },
            AdmissionOptions {
                shards: 1025,
                ..Default::default()
            },
            AdmissionOptions {
                max_per_shard: 0,
                ..Default::default()
            },
            AdmissionOptions {
                max_global: 0,
                ..Default::default()
            },
        ] {
            assert_eq!(
                AdmissionControl::new(o).err().unwrap().code(),
                "ERR_INVALID_ARG"
            );
        }
    }
}
