//! Property test: token bucket arithmetic vs an exact rational model (u128 micro-tokens with
//! the same floor on refill), for random (advance, consume, refund) sequences.

use std::sync::Arc;

use erlmcp_core::bucket::{BucketOptions, TokenBucket, MICRO};
use erlmcp_core::clock::ManualClock;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Advance(u64),
    Consume(u32),
    Refund(u32),
    Retry(u32),
}

fn op(cap: u32) -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u64..3_000_000_000).prop_map(Op::Advance),
        (0..=cap + 2).prop_map(Op::Consume),
        (0..=cap).prop_map(Op::Refund),
        (0..=cap).prop_map(Op::Retry),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn matches_exact_model(cap in 1u32..50, rate in 1u32..5000, ops in (1u32..50).prop_flat_map(|c| proptest::collection::vec(op(c), 1..100))) {
        let clock = Arc::new(ManualClock::new(0));
        let opts = BucketOptions { capacity: cap, refill_per_sec: rate };
        let b = TokenBucket::with_clock(opts, Arc::clone(&clock)).unwrap();
        let cap_m = u128::from(cap) * u128::from(MICRO);
        let (mut tokens, mut last, mut now) = (cap_m, 0u128, 0u128);
        let refill = |tokens: &mut u128, last: &mut u128, now: u128| {
            if *tokens < cap_m { *tokens = (*tokens + (now - *last) * u128::from(rate) / 1000).min(cap_m); }
            *last = now;
        };
        for op in ops {
            match op {
                Op::Advance(ns) => { clock.advance(ns); now += u128::from(ns); }
                Op::Consume(n) => {
                    refill(&mut tokens, &mut last, now);
                    let need = u128::from(n) * u128::from(MICRO);
                    let want = if tokens >= need { tokens -= need; (tokens / u128::from(MICRO)) as i64 }
                               else { -(((need - tokens).div_ceil(u128::from(MICRO))) as i64) };
                    prop_assert_eq!(b.consume(n), want);
                }
                Op::Refund(n) => {
                    refill(&mut tokens, &mut last, now);
                    tokens = (tokens + u128::from(n) * u128::from(MICRO)).min(cap_m);
                    b.refund(n);
                }
                Op::Retry(n) if n <= cap => {
                    let ms = b.retry_after_ms(n).unwrap();
                    if ms > 0 {
                        // One ms less would not be enough; exactly `ms` is.
                        let mut t1 = tokens; let mut l1 = last;
                        refill(&mut t1, &mut l1, now);
                        let need = u128::from(n) * u128::from(MICRO);
                        let at = |ms: u64| (t1 + u128::from(ms) * 1_000_000 * u128::from(rate) / 1000).min(cap_m);
                        prop_assert!(at(ms) >= need);
                        prop_assert!(at(ms - 1) < need);
                    }
                }
                Op::Retry(_) => {}
            }
            let avail = b.available();
            refill(&mut tokens, &mut last, now);
            prop_assert_eq!(u128::from(avail), tokens / u128::from(MICRO));
            prop_assert!(tokens <= cap_m);
        }
    }
}
