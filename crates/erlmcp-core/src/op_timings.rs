//! `OpTimings`: how long each kind of operation took, as fixed-bound histograms.
//!
//! Built for Prometheus-style export at scrape time: every (operation, outcome) pair owns one
//! counter per bucket plus a running sum, all relaxed atomics, so recording is a bucket search
//! over a handful of bounds and two `fetch_add`s from any thread, and a scrape reads them
//! without stopping writers. Bounds are fixed at construction (exposition needs stable `le`
//! labels); an HDR histogram would give percentiles but not stable bucket edges.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{CoreError, CoreResult};

/// Upper bound on operations per table, to keep a mistaken argument from allocating gigabytes.
pub const MAX_OPS: usize = 1024;
/// Upper bound on bucket bounds per table.
pub const MAX_BOUNDS: usize = 64;

/// Counters of one table; see the module docs.
pub struct OpTimings {
    ops: usize,
    /// Ascending upper bounds in µs; a value `v` falls in the first bucket with `v <= bound`,
    /// or in the overflow bucket after the last.
    bounds_us: Box<[u64]>,
    /// `[op][outcome][bucket]`, outcome 0 = ok, 1 = error; `bounds_us.len() + 1` buckets.
    counts: Box<[AtomicU64]>,
    /// `[op][outcome]` sums of recorded µs.
    sums_us: Box<[AtomicU64]>,
}

/// The shape of an [`OpTimings`]: what a named instance is opened with (and compared by, so a
/// second `open` with other bounds is `OptionsMismatch`, not a table with the wrong buckets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpTimingsOptions {
    /// Operations in the table, `1..=MAX_OPS`.
    pub ops: usize,
    /// Strictly ascending bucket upper bounds in µs, `1..=MAX_BOUNDS` of them.
    pub bounds_us: Vec<u64>,
}

/// A copy of every counter, in the layout documented on [`OpTimings`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpTimingsSnapshot {
    /// Bucket counts, `[op][outcome][bucket]`, non-cumulative.
    pub counts: Vec<u64>,
    /// Sums in µs, `[op][outcome]`.
    pub sums_us: Vec<u64>,
}

impl OpTimings {
    /// A table for `ops` operations with the given ascending bucket bounds (µs).
    pub fn new(ops: usize, bounds_us: &[u64]) -> CoreResult<Self> {
        if ops == 0 || ops > MAX_OPS {
            return Err(CoreError::invalid(format!(
                "ops must be in 1..{MAX_OPS}, got {ops}"
            )));
        }
        if bounds_us.is_empty() || bounds_us.len() > MAX_BOUNDS {
            return Err(CoreError::invalid(format!(
                "boundsUs must have 1..{MAX_BOUNDS} entries, got {}",
                bounds_us.len()
            )));
        }
        if bounds_us.windows(2).any(|w| w[0] >= w[1]) {
            return Err(CoreError::invalid("boundsUs must be strictly ascending"));
        }
        let buckets = bounds_us.len() + 1;
        let counts = (0..ops * 2 * buckets).map(|_| AtomicU64::new(0)).collect();
        let sums_us = (0..ops * 2).map(|_| AtomicU64::new(0)).collect();
        Ok(Self {
            ops,
            bounds_us: bounds_us.into(),
            counts,
            sums_us,
        })
    }

    /// A table of the shape `options` (see [`OpTimings::new`]).
    pub fn with_options(options: &OpTimingsOptions) -> CoreResult<Self> {
        Self::new(options.ops, &options.bounds_us)
    }

    /// The shape this table was built with.
    pub fn options(&self) -> OpTimingsOptions {
        OpTimingsOptions {
            ops: self.ops,
            bounds_us: self.bounds_us.to_vec(),
        }
    }

    /// Operations in the table.
    pub fn ops(&self) -> usize {
        self.ops
    }

    /// The bucket bounds in µs.
    pub fn bounds_us(&self) -> &[u64] {
        &self.bounds_us
    }

    /// Records one operation that took `us` µs. An `op` beyond the table counts as the last
    /// one (callers reserve it for "other"), so a caller's bad index never loses a sample.
    #[inline]
    pub fn record(&self, op: usize, ok: bool, us: u64) {
        let op = op.min(self.ops - 1);
        let series = op * 2 + usize::from(!ok);
        let bucket = self.bounds_us.partition_point(|&b| b < us);
        let buckets = self.bounds_us.len() + 1;
        self.counts[series * buckets + bucket].fetch_add(1, Ordering::Relaxed);
        self.sums_us[series].fetch_add(us, Ordering::Relaxed);
    }

    /// Every counter now (each read is atomic; the set is not a single instant).
    pub fn snapshot(&self) -> OpTimingsSnapshot {
        OpTimingsSnapshot {
            counts: self
                .counts
                .iter()
                .map(|c| c.load(Ordering::Relaxed))
                .collect(),
            sums_us: self
                .sums_us
                .iter()
                .map(|c| c.load(Ordering::Relaxed))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::named::NamedTable;
    use std::sync::Arc;

    #[test]
    fn buckets_are_upper_inclusive_and_overflow_goes_last() {
        let t = OpTimings::new(2, &[10, 100]).unwrap();
        for us in [0, 10, 11, 100, 101, 5_000] {
            t.record(0, true, us);
        }
        t.record(1, false, 50);
        let s = t.snapshot();
        // op 0 ok: [<=10: 2, <=100: 2, >100: 2]; op 0 err: zeros; op 1 ok: zeros; op 1 err: [0,1,0]
        assert_eq!(s.counts, vec![2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
        assert_eq!(s.sums_us, vec![5_222, 0, 0, 50]);
    }

    #[test]
    fn out_of_range_op_counts_as_the_last() {
        let t = OpTimings::new(3, &[1]).unwrap();
        t.record(99, true, 1);
        assert_eq!(t.snapshot().counts[2 * 2 * 2], 1);
    }

    #[test]
    fn rejects_bad_shapes() {
        assert!(OpTimings::new(0, &[1]).is_err());
        assert!(OpTimings::new(MAX_OPS + 1, &[1]).is_err());
        assert!(OpTimings::new(1, &[]).is_err());
        assert!(OpTimings::new(1, &[5, 5]).is_err());
        assert!(OpTimings::new(1, &[6, 5]).is_err());
    }

    #[test]
    fn named_open_shares_one_table_and_refuses_another_shape() {
        let table: NamedTable<OpTimings, OpTimingsOptions> = NamedTable::new();
        let shape = |ops, bounds: &[u64]| OpTimingsOptions {
            ops,
            bounds_us: bounds.to_vec(),
        };
        let a = table
            .open("t", shape(2, &[10, 100]), OpTimings::with_options)
            .unwrap();
        let b = table
            .open("t", shape(2, &[10, 100]), OpTimings::with_options)
            .unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        a.record(1, true, 5);
        assert_eq!(b.snapshot().counts.iter().sum::<u64>(), 1);
        assert_eq!(b.options(), shape(2, &[10, 100]));
        for other in [shape(3, &[10, 100]), shape(2, &[10, 200]), shape(2, &[10])] {
            let e = table
                .open("t", other, OpTimings::with_options)
                .err()
                .unwrap();
            assert_eq!(e.code(), "ERR_OPTIONS_MISMATCH");
        }
        // A bad shape creates nothing; forgetting leaves holders their table.
        let e = table
            .open("bad", shape(1, &[5, 5]), OpTimings::with_options)
            .err()
            .unwrap();
        assert_eq!(e.code(), "ERR_INVALID_ARG");
        assert!(table.get("bad").is_none());
        assert!(table.remove("t"));
        let c = table
            .open("t", shape(3, &[1]), OpTimings::with_options)
            .unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(a.snapshot().counts.iter().sum::<u64>(), 1);
    }

    #[test]
    fn concurrent_records_through_separate_opens_are_all_counted() {
        let table: Arc<NamedTable<OpTimings, OpTimingsOptions>> = Arc::new(NamedTable::new());
        let shape = OpTimingsOptions {
            ops: 2,
            bounds_us: vec![10, 100],
        };
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (table, shape) = (Arc::clone(&table), shape.clone());
                std::thread::spawn(move || {
                    // Every thread opens the name itself, as every worker_thread does.
                    let t = table.open("t", shape, OpTimings::with_options).unwrap();
                    for n in 0..25_000u64 {
                        t.record((n % 2) as usize, true, n % 200);
                    }
                })
            })
            .collect();
        for th in threads {
            th.join().unwrap();
        }
        let s = table.get("t").unwrap().snapshot();
        assert_eq!(s.counts.iter().sum::<u64>(), 100_000);
        assert_eq!(
            s.sums_us.iter().sum::<u64>(),
            4 * (0..25_000u64).map(|n| n % 200).sum::<u64>()
        );
    }

    #[test]
    fn concurrent_records_are_all_counted() {
        let t = Arc::new(OpTimings::new(4, &[10, 100, 1_000]).unwrap());
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let t = Arc::clone(&t);
                std::thread::spawn(move || {
                    for n in 0..50_000u64 {
                        t.record(i, n % 3 != 0, n % 2_000);
                    }
                })
            })
            .collect();
        for th in threads {
            th.join().unwrap();
        }
        let s = t.snapshot();
        assert_eq!(s.counts.iter().sum::<u64>(), 200_000);
        let per_op: u64 = (0..50_000u64).map(|n| n % 2_000).sum();
        for op in 0..4 {
            assert_eq!(s.sums_us[op * 2] + s.sums_us[op * 2 + 1], per_op);
        }
    }
}
