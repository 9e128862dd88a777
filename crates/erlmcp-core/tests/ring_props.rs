//! Property test: ring queue vs a VecDeque model over random push/pop/drain sequences with
//! small capacities, so wrap-around happens constantly. Outcomes and bytes must match.

use std::collections::VecDeque;

use erlmcp_core::ring::{PushOutcome, RingOptions, RingQueue};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Push(Vec<u8>),
    Pop,
    Drain(u32),
    PushMany(Vec<Vec<u8>>),
}

fn op() -> impl Strategy<Value = Op> {
    let frame = proptest::collection::vec(any::<u8>(), 0..6);
    prop_oneof![
        4 => frame.clone().prop_map(Op::Push),
        2 => Just(Op::Pop),
        2 => (0u32..5).prop_map(Op::Drain),
        1 => proptest::collection::vec(frame, 0..6).prop_map(Op::PushMany),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn matches_vecdeque(capacity in 1u32..16, w in 1u32..=100, r in 1u32..=100, ops in proptest::collection::vec(op(), 1..200)) {
        let (warn_at, reject_at) = (f64::from(w.min(r)) / 100.0, f64::from(w.max(r)) / 100.0);
        let opts = RingOptions { capacity, warn_at, reject_at };
        let q = RingQueue::new(opts).unwrap();
        let (limit, warn) = (opts.reject_limit() as usize, opts.warn_limit() as usize);
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        let model_push = |m: &mut VecDeque<Vec<u8>>, f: &[u8]| {
            if m.len() >= limit { return PushOutcome::Rejected; }
            m.push_back(f.to_vec());
            if m.len() >= warn { PushOutcome::Warn } else { PushOutcome::Ok }
        };
        for op in ops {
            match op {
                Op::Push(f) => prop_assert_eq!(q.push(&f).unwrap(), model_push(&mut model, &f)),
                Op::Pop => prop_assert_eq!(q.pop().map(|b| b.to_vec()), model.pop_front()),
                Op::Drain(max) => {
                    let (mut data, mut ends) = (Vec::new(), Vec::new());
                    let n = q.drain_into(max, &mut data, &mut ends);
                    let want: Vec<Vec<u8>> = (0..max).map_while(|_| model.pop_front()).collect();
                    prop_assert_eq!(n as usize, want.len());
                    let mut start = 0;
                    for (end, w) in ends.iter().zip(&want) {
                        prop_assert_eq!(&data[start..*end as usize], &w[..]);
                        start = *end as usize;
                    }
                }
                Op::PushMany(frames) => {
                    let mut data = Vec::new();
                    let mut ends = Vec::new();
                    for f in &frames { data.extend_from_slice(f); ends.push(data.len() as u32); }
                    let (mut accepted, mut last) = (0u32, PushOutcome::Ok);
                    for f in &frames {
                        last = model_push(&mut model, f);
                        if last == PushOutcome::Rejected { break; }
                        accepted += 1;
                    }
                    prop_assert_eq!(q.push_many(&data, &ends).unwrap(), (accepted, last));
                }
            }
            prop_assert_eq!(q.depth() as usize, model.len());
            prop_assert!(model.len() <= limit && limit <= capacity as usize);
        }
    }
}
