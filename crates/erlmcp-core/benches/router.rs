//! Router fast path: admit + complete over 10k registered handles.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use erlmcp_core::admission::{AdmissionControl, AdmissionOptions};
use erlmcp_core::breaker::{BreakerOptions, CircuitBreaker};
use erlmcp_core::bucket::{BucketOptions, TokenBuckets};
use erlmcp_core::registry::{RegistryOptions, ShardedRegistry};
use erlmcp_core::router::Router;

fn router(c: &mut Criterion) {
    let registry = Arc::new(ShardedRegistry::new(RegistryOptions::default()).unwrap());
    for h in 0..10_000u32 {
        registry.register(&format!("session-{h}"), h).unwrap();
    }
    let buckets = Arc::new(
        TokenBuckets::new(BucketOptions {
            capacity: u32::MAX,
            refill_per_sec: u32::MAX,
        })
        .unwrap(),
    );
    let admission = Arc::new(AdmissionControl::new(AdmissionOptions::default()).unwrap());
    let breaker = Arc::new(CircuitBreaker::new(BreakerOptions::default()).unwrap());
    let router = Router::new(registry, buckets, admission, breaker).unwrap();
    let mut h = 0u32;
    c.bench_function("router/admit+complete (10k handles)", |b| {
        b.iter(|| {
            h = (h + 7919) % 10_000;
            let code = router.admit(black_box(h));
            router.complete(h, true, None).unwrap();
            code
        })
    });
    c.bench_function("router/admit unknown handle", |b| {
        b.iter(|| router.admit(black_box(20_000)))
    });
}

criterion_group!(benches, router);
criterion_main!(benches);
