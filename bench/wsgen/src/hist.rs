//! Log-linear latency histogram in microseconds, like bench/e2e/histogram.mjs: one bucket per
//! µs below 64 µs, then 32 buckets per power of two (each at most ~3 % wide). Recording is
//! O(1) and allocation-free; percentiles are bucket midpoints; the maximum is exact.

const LINEAR: u64 = 64;
const SUB_BITS: u32 = 5;
const SUB: usize = 1 << SUB_BITS;
/// Powers of two above 2^6 covered (up to 2^46 µs: far beyond any run).
const OCTAVES: usize = 40;

/// Counts of round-trip latencies.
#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

fn bucket(us: u64) -> usize {
    if us < LINEAR {
        return us as usize;
    }
    let exp = 63 - us.leading_zeros(); // >= 6
    let sub = ((us >> (exp - SUB_BITS)) as usize) & (SUB - 1);
    (LINEAR as usize + (exp as usize - 6) * SUB + sub).min(LINEAR as usize + OCTAVES * SUB - 1)
}

/// Midpoint (µs) of bucket `i`.
fn midpoint(i: usize) -> u64 {
    if i < LINEAR as usize {
        return i as u64;
    }
    let j = i - LINEAR as usize;
    let exp = (j / SUB) as u32 + 6;
    let width = 1u64 << (exp - SUB_BITS);
    (1u64 << exp) + (j % SUB) as u64 * width + width / 2
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self {
            counts: vec![0; LINEAR as usize + OCTAVES * SUB],
            total: 0,
            max: 0,
        }
    }

    /// Records one latency of `us` microseconds.
    pub fn record(&mut self, us: u64) {
        self.counts[bucket(us)] += 1;
        self.total += 1;
        self.max = self.max.max(us);
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// Number of latencies recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// Largest latency recorded (exact), 0 when empty.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The `q`-quantile (0..=1) as its bucket's midpoint, never above the maximum; 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return midpoint(i).min(self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_narrow() {
        let mut last = 0;
        for us in [0u64, 1, 63, 64, 65, 100, 1000, 12_345, 1 << 20, 1 << 40] {
            let b = bucket(us);
            assert!(b >= last);
            last = b;
            let m = midpoint(b);
            assert!(
                m.abs_diff(us) as f64 <= (us as f64 * 0.035).max(0.5),
                "{us} -> {m}"
            );
        }
    }

    #[test]
    fn quantiles() {
        let mut h = Histogram::new();
        for us in 1..=100 {
            h.record(us);
        }
        assert_eq!(h.count(), 100);
        assert_eq!(h.quantile(0.5), 50);
        assert!((97..=100).contains(&h.quantile(0.99)));
        assert_eq!(h.max(), 100);
        assert_eq!(Histogram::new().quantile(0.5), 0);
    }
}
