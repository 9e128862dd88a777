//! Threads admitting and completing through one router: verdicts add up, limits hold, and
//! every admission slot is returned.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use erlmcp_core::admission::{AdmissionControl, AdmissionOptions};
use erlmcp_core::breaker::{BreakerOptions, CircuitBreaker};
use erlmcp_core::bucket::{BucketOptions, TokenBuckets};
use erlmcp_core::registry::{RegistryOptions, ShardedRegistry};
use erlmcp_core::router::{AdmitCode, Router};

#[test]
fn concurrent_admit_complete_keeps_exact_accounting() {
    const THREADS: u32 = 4;
    const PER_THREAD: u32 = 20_000;
    const HANDLES: u32 = 64;
    const MAX_PER_SHARD: u32 = 3;

    let registry = Arc::new(ShardedRegistry::new(RegistryOptions { shards: 8 }).unwrap());
    for h in 0..HANDLES {
        registry.register(&format!("s{h}"), h).unwrap();
    }
    // Effectively unlimited buckets: this test is about admission accounting.
    let buckets = Arc::new(
        TokenBuckets::new(BucketOptions {
            capacity: u32::MAX,
            refill_per_sec: u32::MAX,
        })
        .unwrap(),
    );
    let admission = Arc::new(
        AdmissionControl::new(AdmissionOptions {
            shards: 8,
            max_per_shard: MAX_PER_SHARD,
            max_global: 10,
        })
        .unwrap(),
    );
    let breaker = Arc::new(CircuitBreaker::new(BreakerOptions::default()).unwrap());
    let router = Router::new(
        Arc::clone(&registry),
        buckets,
        Arc::clone(&admission),
        breaker,
    )
    .unwrap();

    let ok = AtomicU64::new(0);
    let overloaded = AtomicU64::new(0);
    let max_seen = AtomicU64::new(0);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (router, admission, ok, overloaded, max_seen) =
                (&router, &admission, &ok, &overloaded, &max_seen);
            s.spawn(move || {
                let mut held: Vec<u32> = Vec::new();
                for i in 0..PER_THREAD {
                    let h = (i * 31 + t * 7) % HANDLES;
                    match router.admit(h) {
                        AdmitCode::Ok => {
                            ok.fetch_add(1, Ordering::Relaxed);
                            held.push(h);
                        }
                        AdmitCode::ShardOverloaded | AdmitCode::GlobalOverloaded => {
                            overloaded.fetch_add(1, Ordering::Relaxed);
                        }
                        other => panic!("unexpected verdict {other:?}"),
                    }
                    max_seen.fetch_max(admission.global_depth(), Ordering::Relaxed);
                    // Hold up to two messages per thread so limits are exercised.
                    if held.len() > 2 {
                        let h = held.remove(0);
                        router.complete(h, true, Some(5)).unwrap();
                    }
                }
                for h in held {
                    router.complete(h, true, None).unwrap();
                }
            });
        }
    });

    let stats = router.stats();
    let total = u64::from(THREADS * PER_THREAD);
    assert_eq!(
        ok.load(Ordering::Relaxed) + overloaded.load(Ordering::Relaxed),
        total
    );
    assert_eq!(
        stats.verdicts[AdmitCode::Ok as usize],
        ok.load(Ordering::Relaxed)
    );
    assert_eq!(stats.verdicts.iter().sum::<u64>(), total);
    assert_eq!(stats.completed_ok, ok.load(Ordering::Relaxed));
    assert!(
        max_seen.load(Ordering::Relaxed) <= 10,
        "global limit exceeded"
    );
    assert_eq!(admission.global_depth(), 0, "every slot returned");
    for shard in 0..8 {
        assert_eq!(admission.depth(shard).unwrap(), 0);
    }
}
