//! Property test: the breaker against a reference model of its state machine (consecutive
//! policy, manual clock), for random operation sequences. State, every `allow()` answer and
//! the listener's transitions must equal the model's at every step.

use std::sync::Arc;

use erlmcp_core::breaker::{BreakerOptions, BreakerState, CircuitBreaker, TripPolicy};
use erlmcp_core::clock::ManualClock;
use parking_lot::Mutex;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Allow,
    Success,
    Failure,
    Advance(u64),
    ForceOpen,
    ForceClose,
    Reset,
    ReleaseTrial,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Allow),
        3 => Just(Op::Success),
        4 => Just(Op::Failure),
        3 => (0u64..1500).prop_map(Op::Advance),
        1 => Just(Op::ForceOpen),
        1 => Just(Op::ForceClose),
        1 => Just(Op::Reset),
        1 => Just(Op::ReleaseTrial),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum S {
    Closed,
    Open,
    Half,
}

struct Model {
    s: S,
    forced: bool,
    run: u32,
    opened_at: u64,
    granted: u32,
    ok: u32,
    transitions: Vec<(S, S)>,
}

impl Model {
    fn go(&mut self, to: S, now: u64) {
        if self.s == to {
            return;
        }
        match to {
            S::Open => self.opened_at = now,
            S::Half => {
                self.granted = 0;
                self.ok = 0;
            }
            S::Closed => self.run = 0,
        }
        self.transitions.push((self.s, to));
        self.s = to;
    }
    fn settle(&mut self, now: u64, open_ms: u64) {
        if self.s == S::Open && !self.forced && now - self.opened_at >= open_ms * 1_000_000 {
            self.go(S::Half, now);
        }
    }
}

fn to_s(b: BreakerState) -> S {
    match b {
        BreakerState::Closed => S::Closed,
        BreakerState::Open => S::Open,
        BreakerState::HalfOpen => S::Half,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn matches_model(
        threshold in 1u32..5,
        max_calls in 1u32..4,
        succ_pick in 0u32..4,
        ops in proptest::collection::vec(op(), 1..120),
    ) {
        let success_threshold = 1 + succ_pick % max_calls;
        let open_ms = 1000u64;
        let clock = Arc::new(ManualClock::new(0));
        let opts = BreakerOptions {
            policy: TripPolicy::ConsecutiveFailures { threshold },
            open_ms: open_ms as u32,
            half_open_max_calls: max_calls,
            success_threshold,
        };
        let b = CircuitBreaker::with_clock(opts, Arc::clone(&clock)).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        b.set_listener(Some(Box::new(move |f, t| sink.lock().push((to_s(f), to_s(t))))));
        let mut m = Model { s: S::Closed, forced: false, run: 0, opened_at: 0, granted: 0, ok: 0, transitions: vec![] };
        for op in ops {
            let now = clock.now_nanos_for_test();
            match op {
                Op::Allow => {
                    m.settle(now, open_ms);
                    let want = match m.s {
                        S::Closed => true,
                        S::Open => false,
                        S::Half => if m.granted < max_calls { m.granted += 1; true } else { false },
                    };
                    prop_assert_eq!(b.allow(), want);
                }
                Op::Success => {
                    b.record_success(None);
                    match m.s {
                        S::Closed => m.run = 0,
                        S::Half => { m.ok += 1; if m.ok >= success_threshold { m.go(S::Closed, now); } }
                        S::Open => {}
                    }
                }
                Op::Failure => {
                    b.record_failure();
                    match m.s {
                        S::Closed => { m.run += 1; if m.run >= threshold { m.go(S::Open, now); } }
                        S::Half => m.go(S::Open, now),
                        S::Open => {}
                    }
                }
                Op::Advance(ms) => clock.advance_ms(ms),
                Op::ForceOpen => { b.force_open(); m.forced = true; m.go(S::Open, now); }
                Op::ForceClose => { b.force_close(); m.forced = false; m.go(S::Closed, now); }
                Op::Reset => { b.reset(); m.forced = false; m.go(S::Closed, now); m.run = 0; }
                Op::ReleaseTrial => { b.release_trial(); if m.s == S::Half { m.granted = m.granted.saturating_sub(1); } }
            }
            let now = clock.now_nanos_for_test();
            m.settle(now, open_ms);
            prop_assert_eq!(to_s(b.state()), m.s);
            prop_assert_eq!(&*seen.lock(), &m.transitions);
        }
    }
}

trait NowForTest {
    fn now_nanos_for_test(&self) -> u64;
}

impl NowForTest for Arc<ManualClock> {
    fn now_nanos_for_test(&self) -> u64 {
        use erlmcp_core::clock::Clock;
        self.now_nanos()
    }
}
