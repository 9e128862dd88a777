//! Threaded stress of the limiters: admission limits hold exactly and all slots come back;
//! concurrent consumers of one bucket get exactly `capacity` tokens; a hammered breaker never
//! hands out more half-open trials than allowed.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use erlmcp_core::admission::{AdmissionControl, AdmissionOptions, Admit};
use erlmcp_core::breaker::{BreakerOptions, BreakerState, CircuitBreaker, TripPolicy};
use erlmcp_core::bucket::{BucketOptions, TokenBuckets};
use erlmcp_core::clock::ManualClock;

#[test]
fn admission_limits_hold_under_contention() {
    let a = AdmissionControl::new(AdmissionOptions {
        shards: 4,
        max_per_shard: 5,
        max_global: 12,
    })
    .unwrap();
    let high = AtomicU64::new(0);
    let admitted = AtomicU64::new(0);
    std::thread::scope(|s| {
        for t in 0..4u32 {
            let (a, high, admitted) = (&a, &high, &admitted);
            s.spawn(move || {
                let mut held = Vec::new();
                for i in 0..50_000u32 {
                    let shard = if i % 2 == 0 { 0 } else { t };
                    if a.admit(shard).unwrap() == Admit::Ok {
                        admitted.fetch_add(1, Ordering::Relaxed);
                        held.push(shard);
                        assert!(a.depth(shard).unwrap() <= 5);
                    }
                    high.fetch_max(a.global_depth(), Ordering::Relaxed);
                    if held.len() > 3 {
                        a.release(held.remove(0), 1).unwrap();
                    }
                }
                for shard in held {
                    a.release(shard, 1).unwrap();
                }
            });
        }
    });
    assert!(high.load(Ordering::Relaxed) <= 12);
    assert_eq!(a.global_depth(), 0);
    let s = a.stats();
    assert_eq!(s.per_shard_depth, vec![0, 0, 0, 0]);
    assert_eq!(s.admitted, admitted.load(Ordering::Relaxed));
    assert_eq!(s.admitted + s.shard_rejected + s.global_rejected, 200_000);
}

#[test]
fn one_bucket_many_threads_exactly_capacity() {
    let clock = Arc::new(ManualClock::new(0));
    let t = TokenBuckets::with_clock(
        BucketOptions {
            capacity: 10_000,
            refill_per_sec: 1,
        },
        clock,
    )
    .unwrap();
    let ok = AtomicU32::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            let (t, ok) = (&t, &ok);
            s.spawn(move || {
                for _ in 0..5_000 {
                    if t.consume(42, 1) >= 0 {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(ok.load(Ordering::Relaxed), 10_000);
    assert_eq!(t.consume(42, 1), -1);
    let st = t.stats();
    assert_eq!((st.consumed, st.limited), (10_000, 10_001));
}

#[test]
fn half_open_trials_never_exceed_the_limit() {
    let clock = Arc::new(ManualClock::new(0));
    let opts = BreakerOptions {
        policy: TripPolicy::ConsecutiveFailures { threshold: 1 },
        open_ms: 1,
        half_open_max_calls: 3,
        success_threshold: 3,
    };
    let b = CircuitBreaker::with_clock(opts, Arc::clone(&clock)).unwrap();
    for _round in 0..200 {
        b.record_failure();
        clock.advance_ms(1);
        assert_eq!(b.state(), BreakerState::HalfOpen);
        let granted = AtomicU32::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                let (b, granted) = (&b, &granted);
                s.spawn(move || {
                    for _ in 0..20 {
                        if b.allow() {
                            granted.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(granted.load(Ordering::Relaxed), 3);
        b.record_failure(); // reopen for the next round
        assert_eq!(b.state(), BreakerState::Open);
    }
}
