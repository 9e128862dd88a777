//! Registry: lookup hit/miss at 100k keys, register+unregister churn, batched lookup.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use erlmcp_core::registry::{RegistryOptions, ShardedRegistry};

fn registry(c: &mut Criterion) {
    let r = ShardedRegistry::new(RegistryOptions::default()).unwrap();
    let keys: Vec<String> = (0..100_000)
        .map(|i| format!("session-{i:08x}-{}", i * 7919))
        .collect();
    for (i, k) in keys.iter().enumerate() {
        r.register(k, i as u32).unwrap();
    }
    let mut i = 0usize;
    c.bench_function("registry/lookup hit (100k keys)", |b| {
        b.iter(|| {
            i = (i + 7919) % keys.len();
            r.lookup(black_box(&keys[i]))
        })
    });
    c.bench_function("registry/lookup miss", |b| {
        b.iter(|| r.lookup(black_box("session-missing")))
    });
    c.bench_function("registry/register+unregister", |b| {
        b.iter(|| {
            r.register(black_box("churn-key"), 1).unwrap();
            r.unregister(black_box("churn-key"))
        })
    });
    let joined = keys[..1000].join("\0");
    let mut out = vec![0i32; 1000];
    c.bench_function("registry/lookup_many_into (1000 keys)", |b| {
        b.iter(|| r.lookup_many_into(black_box(joined.as_bytes()), 0, &mut out))
    });
}

criterion_group!(benches, registry);
criterion_main!(benches);
