//! Circuit breaker behaviour on a manual clock: each policy trips at exactly its threshold,
//! open -> half_open timing, trial limits, listener events.

use std::sync::Arc;

use erlmcp_core::breaker::{BreakerOptions, BreakerState, CircuitBreaker, TripPolicy};
use erlmcp_core::clock::ManualClock;
use parking_lot::Mutex;

fn breaker(policy: TripPolicy) -> (CircuitBreaker<Arc<ManualClock>>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(1_000_000_000));
    let opts = BreakerOptions {
        policy,
        open_ms: 1000,
        half_open_max_calls: 2,
        success_threshold: 2,
    };
    (
        CircuitBreaker::with_clock(opts, Arc::clone(&clock)).unwrap(),
        clock,
    )
}

#[test]
fn consecutive_trips_at_threshold_not_before() {
    let (b, _) = breaker(TripPolicy::ConsecutiveFailures { threshold: 3 });
    b.record_failure();
    b.record_failure();
    b.record_success(None);
    b.record_failure();
    b.record_failure();
    assert_eq!(b.state(), BreakerState::Closed);
    b.record_failure();
    assert_eq!(b.state(), BreakerState::Open);
    assert!(!b.allow());
    let s = b.stats();
    assert_eq!(
        (s.failures, s.successes, s.opened, s.rejected),
        (5, 1, 1, 1)
    );
}

#[test]
fn open_to_half_open_after_open_ms_and_trial_limits() {
    let (b, clock) = breaker(TripPolicy::ConsecutiveFailures { threshold: 1 });
    b.record_failure();
    clock.advance_ms(999);
    assert!(!b.allow());
    assert_eq!(b.state(), BreakerState::Open);
    clock.advance_ms(1);
    assert_eq!(b.state(), BreakerState::HalfOpen);
    assert!(b.allow());
    assert!(b.allow());
    assert!(!b.allow());
    assert_eq!(b.stats().half_open_in_flight, 2);
    b.release_trial();
    assert!(b.allow());
    b.record_success(Some(10));
    assert_eq!(b.state(), BreakerState::HalfOpen);
    b.record_success(Some(30));
    assert_eq!(b.state(), BreakerState::Closed);
    let s = b.stats();
    assert_eq!(
        (s.latency_count, s.latency_mean_us, s.latency_max_us),
        (2, 20.0, 30)
    );
}

#[test]
fn half_open_failure_reopens_for_a_full_period() {
    let (b, clock) = breaker(TripPolicy::ConsecutiveFailures { threshold: 1 });
    b.record_failure();
    clock.advance_ms(1000);
    assert!(b.allow());
    b.record_failure();
    assert_eq!(b.state(), BreakerState::Open);
    clock.advance_ms(999);
    assert!(!b.allow());
    clock.advance_ms(1);
    assert!(b.allow());
    assert_eq!(b.stats().opened, 2);
}

#[test]
fn window_policy_counts_only_recent_failures() {
    let (b, clock) = breaker(TripPolicy::FailuresInWindow {
        threshold: 3,
        window_ms: 1000,
    });
    b.record_failure();
    b.record_failure();
    clock.advance_ms(1100); // both fall out of the window
    b.record_failure();
    b.record_failure();
    assert_eq!(b.state(), BreakerState::Closed);
    assert_eq!(b.stats().window_failures, 2);
    b.record_failure();
    assert_eq!(b.state(), BreakerState::Open);
}

#[test]
fn error_rate_needs_min_calls_then_trips_at_percentage() {
    let (b, clock) = breaker(TripPolicy::ErrorRate {
        threshold_pct: 50.0,
        window_ms: 1000,
        min_calls: 4,
    });
    b.record_success(None);
    b.record_failure();
    b.record_success(None);
    assert_eq!(b.state(), BreakerState::Closed);
    b.record_success(None);
    b.record_failure(); // 2 of 5 = 40 %
    assert_eq!(b.state(), BreakerState::Closed);
    b.record_failure(); // 3 of 6 = 50 %
    assert_eq!(b.state(), BreakerState::Open);
    // After closing again the window starts empty.
    clock.advance_ms(1000);
    assert!(b.allow());
    assert!(b.allow());
    b.record_success(None);
    b.record_success(None);
    assert_eq!(b.state(), BreakerState::Closed);
    assert_eq!(b.stats().window_calls, 0);
}

#[test]
fn forced_open_stays_open_until_closed() {
    let (b, clock) = breaker(TripPolicy::ConsecutiveFailures { threshold: 5 });
    b.force_open();
    clock.advance_ms(100_000);
    assert_eq!(b.state(), BreakerState::Open);
    assert!(!b.allow());
    b.force_close();
    assert!(b.allow());
    b.record_failure();
    b.reset();
    let s = b.stats();
    assert_eq!(
        (s.failures, s.rejected, s.opened, s.consecutive_failures),
        (0, 0, 0, 0)
    );
}

#[test]
fn listener_sees_every_transition_in_order() {
    let (b, clock) = breaker(TripPolicy::ConsecutiveFailures { threshold: 1 });
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    b.set_listener(Some(Box::new(move |from, to| {
        sink.lock().push((from.as_str(), to.as_str()))
    })));
    b.record_failure();
    clock.advance_ms(1000);
    b.allow();
    b.record_failure();
    clock.advance_ms(1000);
    b.allow();
    b.allow();
    b.record_success(None);
    b.record_success(None);
    b.force_open();
    b.force_close();
    assert_eq!(
        *seen.lock(),
        vec![
            ("closed", "open"),
            ("open", "half_open"),
            ("half_open", "open"),
            ("open", "half_open"),
            ("half_open", "closed"),
            ("closed", "open"),
            ("open", "closed"),
        ]
    );
}

#[test]
fn options_are_validated() {
    let bad = [
        BreakerOptions {
            policy: TripPolicy::ConsecutiveFailures { threshold: 0 },
            ..Default::default()
        },
        BreakerOptions {
            policy: TripPolicy::FailuresInWindow {
                threshold: 1,
                window_ms: 0,
            },
            ..Default::default()
        },
        BreakerOptions {
            policy: TripPolicy::ErrorRate {
                threshold_pct: 0.0,
                window_ms: 10,
                min_calls: 1,
            },
            ..Default::default()
        },
        BreakerOptions {
            policy: TripPolicy::ErrorRate {
                threshold_pct: 100.5,
                window_ms: 10,
                min_calls: 1,
            },
            ..Default::default()
        },
        BreakerOptions {
            success_threshold: 4,
            ..Default::default()
        },
        BreakerOptions {
            open_ms: 0,
            ..Default::default()
        },
    ];
    for o in bad {
        assert_eq!(
            CircuitBreaker::new(o).err().unwrap().code(),
            "ERR_INVALID_ARG",
            "{o:?}"
        );
    }
}
