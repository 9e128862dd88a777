//! Several producers and consumers on one ring queue: every accepted frame is received
//! exactly once, none lost or duplicated, and depth never exceeds the reject limit.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use erlmcp_core::ring::{PushOutcome, RingOptions, RingQueue};

#[test]
fn producers_and_consumers_exactly_once() {
    const PRODUCERS: u32 = 4;
    const PER_PRODUCER: u32 = 50_000;
    const CONSUMERS: usize = 3;
    let q = RingQueue::new(RingOptions {
        capacity: 256,
        warn_at: 0.5,
        reject_at: 0.9,
    })
    .unwrap();
    let limit = q.reject_limit();
    let done = AtomicBool::new(false);
    let max_depth = AtomicU64::new(0);

    let received: Vec<Vec<u64>> = std::thread::scope(|s| {
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|c| {
                let (q, done, max_depth) = (&q, &done, &max_depth);
                s.spawn(move || {
                    let mut got = Vec::new();
                    let (mut data, mut ends) = (Vec::new(), Vec::new());
                    loop {
                        max_depth.fetch_max(u64::from(q.depth()), Ordering::Relaxed);
                        let n = if c % 2 == 0 {
                            data.clear();
                            ends.clear();
                            q.drain_into(17, &mut data, &mut ends)
                        } else {
                            match q.pop() {
                                Some(f) => {
                                    got.push(u64::from_le_bytes(f[..8].try_into().unwrap()));
                                    continue;
                                }
                                None => 0,
                            }
                        };
                        let mut start = 0;
                        for &end in &ends[..n as usize] {
                            got.push(u64::from_le_bytes(
                                data[start..start + 8].try_into().unwrap(),
                            ));
                            start = end as usize;
                        }
                        if n == 0 {
                            if done.load(Ordering::Acquire) && q.depth() == 0 {
                                return got;
                            }
                            std::thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        std::thread::scope(|p| {
            for t in 0..PRODUCERS {
                let q = &q;
                p.spawn(move || {
                    for i in 0..PER_PRODUCER {
                        let id = (u64::from(t) << 32) | u64::from(i);
                        let mut frame = id.to_le_bytes().to_vec();
                        frame.resize(8 + (i % 40) as usize, 0xAB);
                        while q.push(&frame).unwrap() == PushOutcome::Rejected {
                            std::thread::yield_now();
                        }
                    }
                });
            }
        });
        done.store(true, Ordering::Release);
        consumers.into_iter().map(|c| c.join().unwrap()).collect()
    });

    let mut all: Vec<u64> = received.into_iter().flatten().collect();
    let total = (PRODUCERS * PER_PRODUCER) as usize;
    assert_eq!(all.len(), total, "no frame lost or duplicated");
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), total, "no duplicates");
    let s = q.stats();
    assert_eq!(s.pushed, total as u64);
    assert_eq!(s.popped, total as u64);
    assert_eq!(s.depth, 0);
    assert!(s.high_water <= limit);
    assert!(max_depth.load(Ordering::Relaxed) <= u64::from(limit));
}
