//! Limiters: token bucket consume (single and 10k-handle table), admission admit+release,
//! breaker allow+record_success in closed state, histogram record.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use erlmcp_core::admission::{AdmissionControl, AdmissionOptions};
use erlmcp_core::breaker::{BreakerOptions, CircuitBreaker};
use erlmcp_core::bucket::{BucketOptions, TokenBucket, TokenBuckets};
use erlmcp_core::histogram::{HistogramOptions, LatencyHistogram};

fn limits(c: &mut Criterion) {
    let unlimited = BucketOptions {
        capacity: u32::MAX,
        refill_per_sec: u32::MAX,
    };
    let one = TokenBucket::new(unlimited).unwrap();
    c.bench_function("bucket/consume", |b| b.iter(|| one.consume(black_box(1))));
    let table = TokenBuckets::new(unlimited).unwrap();
    let mut h = 0u32;
    c.bench_function("buckets/consume (10k handles)", |b| {
        b.iter(|| {
            h = (h + 7919) % 10_000;
            table.consume(black_box(h), 1)
        })
    });
    let a = AdmissionControl::new(AdmissionOptions::default()).unwrap();
    c.bench_function("admission/admit+release", |b| {
        b.iter(|| {
            a.admit(black_box(3)).unwrap();
            a.release(3, 1).unwrap()
        })
    });
    let br = CircuitBreaker::new(BreakerOptions::default()).unwrap();
    c.bench_function("breaker/allow+record_success (closed)", |b| {
        b.iter(|| {
            let ok = br.allow();
            br.record_success(Some(black_box(120)));
            ok
        })
    });
    let hist = LatencyHistogram::new(HistogramOptions::default()).unwrap();
    c.bench_function("histogram/record", |b| {
        b.iter(|| hist.record(black_box(1234)))
    });
}

criterion_group!(benches, limits);
criterion_main!(benches);
