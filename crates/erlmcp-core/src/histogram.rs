//! Latency histogram of microseconds over the `hdrhistogram` crate.

use hdrhistogram::Histogram;
use parking_lot::Mutex;

use crate::error::{CoreError, CoreResult};

/// Options of a [`LatencyHistogram`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistogramOptions {
    /// Lowest discernible value in µs, `>= 1`. Default 1.
    pub lowest_us: u64,
    /// Highest trackable value in µs, `>= 2 * lowest_us`; larger values are clamped to it.
    /// Default 3_600_000_000 (one hour).
    pub highest_us: u64,
    /// Significant decimal digits, `1..=5`. Default 3.
    pub sigfig: u8,
}

impl Default for HistogramOptions {
    fn default() -> Self {
        Self {
            lowest_us: 1,
            highest_us: 3_600_000_000,
            sigfig: 3,
        }
    }
}

impl HistogramOptions {
    /// Checks the ranges HdrHistogram accepts.
    pub fn validate(&self) -> CoreResult<()> {
        if self.lowest_us == 0
            || self.highest_us < self.lowest_us.saturating_mul(2)
            || !(1..=5).contains(&self.sigfig)
        {
            return Err(CoreError::invalid(format!(
                "need lowestUs >= 1, highestUs >= 2 * lowestUs and sigfig in 1..=5, got {}, {}, {}",
                self.lowest_us, self.highest_us, self.sigfig
            )));
        }
        Ok(())
    }
}

/// Summary of a histogram (values in µs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistogramSnapshot {
    /// Values recorded.
    pub count: u64,
    /// Smallest value (0 when empty).
    pub min: u64,
    /// Largest value (0 when empty).
    pub max: u64,
    /// Mean.
    pub mean: f64,
    /// Standard deviation.
    pub stddev: f64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 95th percentile.
    pub p95: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
}

/// A thread-safe HdrHistogram of microseconds.
pub struct LatencyHistogram {
    inner: Mutex<Histogram<u64>>,
    options: HistogramOptions,
}

fn check_percentile(p: f64) -> CoreResult<f64> {
    if p.is_finite() && (0.0..=100.0).contains(&p) {
        Ok(p)
    } else {
        Err(CoreError::invalid(format!(
            "percentile must be in 0..=100, got {p}"
        )))
    }
}

impl LatencyHistogram {
    /// An empty histogram.
    pub fn new(options: HistogramOptions) -> CoreResult<Self> {
        options.validate()?;
        let h = Histogram::new_with_bounds(options.lowest_us, options.highest_us, options.sigfig)
            .map_err(|e| CoreError::invalid(format!("histogram bounds rejected: {e:?}")))?;
        Ok(Self {
            inner: Mutex::new(h),
            options,
        })
    }

    /// Records `us`, clamped into `0..=highest_us` (0 counts in the lowest bucket).
    pub fn record(&self, us: u64) {
        self.inner.lock().saturating_record(us);
    }

    /// Records every value of `values` under one lock.
    pub fn record_many(&self, values: &[u64]) {
        let mut h = self.inner.lock();
        for &v in values {
            h.saturating_record(v);
        }
    }

    /// Value at percentile `p` in `0..=100`.
    pub fn percentile(&self, p: f64) -> CoreResult<u64> {
        Ok(self
            .inner
            .lock()
            .value_at_quantile(check_percentile(p)? / 100.0))
    }

    /// Values at each percentile, under one lock.
    pub fn percentiles(&self, ps: &[f64]) -> CoreResult<Vec<u64>> {
        let qs: Vec<f64> = ps
            .iter()
            .map(|&p| check_percentile(p).map(|p| p / 100.0))
            .collect::<CoreResult<_>>()?;
        let h = self.inner.lock();
        Ok(qs.into_iter().map(|q| h.value_at_quantile(q)).collect())
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.inner.lock().len()
    }

    /// Adds every value of `other` (its values above this one's range are clamped).
    pub fn merge(&self, other: &LatencyHistogram) -> CoreResult<()> {
        if std::ptr::eq(self, other) {
            let mut h = self.inner.lock();
            let copy = h.clone();
            return h
                .add(&copy)
                .map_err(|e| CoreError::invalid(format!("merge failed: {e:?}")));
        }
        // Copy first so two histograms merging into each other cannot deadlock.
        let theirs = other.inner.lock().clone();
        let mut mine = self.inner.lock();
        for v in theirs.iter_recorded() {
            mine.saturating_record_n(v.value_iterated_to(), v.count_at_value());
        }
        Ok(())
    }

    /// Forgets every value.
    pub fn reset(&self) {
        self.inner.lock().reset();
    }

    /// The options this histogram was built with.
    pub fn options(&self) -> HistogramOptions {
        self.options
    }

    /// Count, extremes, mean, standard deviation and the usual percentiles, under one lock.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let h = self.inner.lock();
        let empty = h.is_empty();
        HistogramSnapshot {
            count: h.len(),
            min: if empty { 0 } else { h.min() },
            max: if empty { 0 } else { h.max() },
            mean: h.mean(),
            stddev: h.stdev(),
            p50: h.value_at_quantile(0.5),
            p90: h.value_at_quantile(0.9),
            p95: h.value_at_quantile(0.95),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_1_to_1000() {
        let h = LatencyHistogram::new(HistogramOptions::default()).unwrap();
        for v in 1..=1000 {
            h.record(v);
        }
        let s = h.snapshot();
        assert_eq!(
            (s.count, s.min, s.max, s.p50, s.p99),
            (1000, 1, 1000, 500, 990)
        );
        assert_eq!(
            h.percentiles(&[0.0, 90.0, 100.0]).unwrap(),
            vec![1, 900, 1000]
        );
        assert_eq!(h.percentile(101.0).unwrap_err().code(), "ERR_INVALID_ARG");
    }

    #[test]
    fn clamp_merge_reset() {
        let a = LatencyHistogram::new(HistogramOptions {
            highest_us: 1000,
            ..Default::default()
        })
        .unwrap();
        a.record(5_000);
        assert!(a.snapshot().max <= 1000);
        let b = LatencyHistogram::new(HistogramOptions::default()).unwrap();
        b.record_many(&[10, 20]);
        a.merge(&b).unwrap();
        assert_eq!(a.count(), 3);
        a.merge(&a).unwrap();
        assert_eq!(a.count(), 6);
        a.reset();
        assert_eq!(a.snapshot().count, 0);
        assert_eq!(a.snapshot().min, 0);
    }

    #[test]
    fn options_are_validated() {
        for o in [
            HistogramOptions {
                lowest_us: 0,
                ..Default::default()
            },
            HistogramOptions {
                sigfig: 6,
                ..Default::default()
            },
            HistogramOptions {
                lowest_us: 10,
                highest_us: 15,
                sigfig: 3,
            },
        ] {
            assert_eq!(
                LatencyHistogram::new(o).err().unwrap().code(),
                "ERR_INVALID_ARG"
            );
        }
    }
}
