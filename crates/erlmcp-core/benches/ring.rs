//! Ring queue: push+pop of 256-byte frames, push 1000 + one drain.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use erlmcp_core::ring::{RingOptions, RingQueue};

fn ring(c: &mut Criterion) {
    let q = RingQueue::new(RingOptions {
        capacity: 4096,
        warn_at: 1.0,
        reject_at: 1.0,
    })
    .unwrap();
    let frame = [7u8; 256];
    c.bench_function("ring/push+pop 256B", |b| {
        b.iter(|| {
            q.push(black_box(&frame)).unwrap();
            q.pop()
        })
    });
    let (mut data, mut ends) = (Vec::with_capacity(256 * 1000), Vec::with_capacity(1000));
    c.bench_function("ring/push 1000 x 256B + drain", |b| {
        b.iter(|| {
            for _ in 0..1000 {
                q.push(black_box(&frame)).unwrap();
            }
            data.clear();
            ends.clear();
            q.drain_into(1000, &mut data, &mut ends)
        })
    });
}

criterion_group!(benches, ring);
criterion_main!(benches);
