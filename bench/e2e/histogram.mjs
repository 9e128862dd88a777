// Log-linear latency histogram in whole microseconds (HdrHistogram-like, fixed size):
// values below 64 µs get one bucket each; above, every power of two is split into 32 buckets,
// so a bucket is at most ~3 % wide. Recording is O(1) and allocation-free; percentiles walk
// the buckets, so no array of samples is ever kept or sorted.

const LINEAR = 64;
const SUB = 32;
const SIZE = LINEAR + 26 * SUB; // covers up to 2^32 µs (~71 minutes)

/** Bucket index of a non-negative value in µs. */
function indexOf(us) {
  const v = us < 0 ? 0 : us >= 0xffffffff ? 0xffffffff : Math.floor(us);
  if (v < LINEAR) return v;
  const e = 31 - Math.clz32(v); // >= 6
  return LINEAR + (e - 6) * SUB + ((v >>> (e - 5)) - SUB);
}

/** Smallest value (µs) that falls into bucket `i`, and the bucket's width. */
function bounds(i) {
  if (i < LINEAR) return [i, 1];
  const e = 6 + Math.floor((i - LINEAR) / SUB);
  const m = SUB + ((i - LINEAR) % SUB);
  return [m * 2 ** (e - 5), 2 ** (e - 5)];
}

export class Histogram {
  constructor() {
    this.counts = new Float64Array(SIZE);
    this.total = 0;
    this.sum = 0;
    this.max = 0;
  }

  /** Records one latency in µs. */
  record(us) {
    this.counts[indexOf(us)]++;
    this.total++;
    this.sum += us;
    if (us > this.max) this.max = us;
  }

  /** Adds another histogram's counts (e.g. from a serialized one). */
  merge(other) {
    for (let i = 0; i < SIZE; i++) this.counts[i] += other.counts[i];
    this.total += other.total;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  /**
   * Percentile `p` (0..100) in µs: the midpoint of the bucket holding the nearest-rank
   * sample (exact below 64 µs, within ~1.5 % above), capped at the recorded maximum.
   */
  percentile(p) {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i];
      if (seen >= rank) {
        const [lo, w] = bounds(i);
        return Math.min(lo + (w - 1) / 2, this.max);
      }
    }
    return this.max;
  }

  /** Summary in µs. */
  summary() {
    return {
      count: this.total,
      meanUs: this.total ? this.sum / this.total : Number.NaN,
      p50Us: this.percentile(50),
      p95Us: this.percentile(95),
      p99Us: this.percentile(99),
      maxUs: this.max,
    };
  }
}
