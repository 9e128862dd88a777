//! The registry's own handles under contention: eight threads allocating and freeing never
//! see a handle live twice, and eight threads sharing one key count its holders exactly.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Barrier;

use erlmcp_core::registry::{RegistryOptions, ShardedRegistry};

const THREADS: usize = 8;

fn registry() -> ShardedRegistry {
    ShardedRegistry::new(RegistryOptions { shards: 16 }).unwrap()
}

#[test]
fn register_new_never_hands_out_a_live_handle_twice() {
    const ROUNDS: usize = 10_000;
    /// Keys each thread holds at once, so handles are freed and reused across threads.
    const HELD: usize = 16;
    let reg = registry();
    // Handles stay dense: never above the most ever live at once.
    let live: Vec<AtomicBool> = (0..THREADS * HELD)
        .map(|_| AtomicBool::new(false))
        .collect();
    let opened = AtomicU64::new(0);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (reg, live, opened) = (&reg, &live, &opened);
            s.spawn(move || {
                let mut held: Vec<(String, u32)> = Vec::with_capacity(HELD);
                for i in 0..ROUNDS {
                    let key = format!("t{t}-s{i}");
                    let h = reg
                        .register_new(&key)
                        .unwrap()
                        .expect("a fresh key registers");
                    assert!((h as usize) < live.len(), "handle {h} is not dense");
                    assert!(
                        !live[h as usize].swap(true, Ordering::AcqRel),
                        "handle {h} live twice"
                    );
                    assert_eq!(reg.lookup(&key), Some(h));
                    assert_eq!(reg.register_new(&key).unwrap(), None);
                    opened.fetch_add(1, Ordering::Relaxed);
                    held.push((key, h));
                    if held.len() == HELD || i % 7 == 0 {
                        let (key, h) = held.swap_remove(i % held.len());
                        // Not live before the registry may hand it to someone else.
                        assert!(live[h as usize].swap(false, Ordering::AcqRel));
                        assert_eq!(reg.unregister(&key), Some(h));
                    }
                }
                for (key, h) in held {
                    assert!(live[h as usize].swap(false, Ordering::AcqRel));
                    assert_eq!(reg.unregister(&key), Some(h));
                }
            });
        }
    });
    assert_eq!(opened.load(Ordering::Relaxed), (THREADS * ROUNDS) as u64);
    assert_eq!((reg.len(), reg.allocated()), (0, 0));
    assert!(live.iter().all(|l| !l.load(Ordering::Relaxed)));
}

#[test]
fn concurrent_distinct_keys_get_distinct_handles() {
    const PER: usize = 10_000;
    let reg = registry();
    let all: Vec<Vec<u32>> = std::thread::scope(|s| {
        let joins: Vec<_> = (0..THREADS)
            .map(|t| {
                let reg = &reg;
                s.spawn(move || {
                    (0..PER)
                        .map(|i| reg.register_new(&format!("t{t}-{i}")).unwrap().unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        joins.into_iter().map(|j| j.join().unwrap()).collect()
    });
    let mut handles: Vec<u32> = all.into_iter().flatten().collect();
    handles.sort_unstable();
    assert_eq!(handles, (0..(THREADS * PER) as u32).collect::<Vec<_>>());
    assert_eq!(reg.len(), THREADS * PER);
}

#[test]
fn racing_for_one_new_key_registers_it_once() {
    const KEYS: usize = 2_000;
    let reg = registry();
    let won = AtomicU32::new(0);
    let barrier = Barrier::new(THREADS);
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            let (reg, won, barrier) = (&reg, &won, &barrier);
            s.spawn(move || {
                barrier.wait();
                for k in 0..KEYS {
                    if reg.register_new(&format!("k{k}")).unwrap().is_some() {
                        won.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(won.load(Ordering::Relaxed) as usize, KEYS);
    assert_eq!((reg.len(), reg.allocated()), (KEYS, KEYS as u64));
}

#[test]
fn shared_key_holders_are_exact_and_the_handle_is_stable() {
    const HOLDS: usize = 1_000;
    let reg = registry();
    let barrier = Barrier::new(THREADS);
    let firsts = AtomicU32::new(0);
    let lasts = AtomicU32::new(0);
    let seen: Vec<u32> = std::thread::scope(|s| {
        let joins: Vec<_> = (0..THREADS)
            .map(|_| {
                let (reg, barrier, firsts, lasts) = (&reg, &barrier, &firsts, &lasts);
                s.spawn(move || {
                    let mut handle = None;
                    for _ in 0..HOLDS {
                        let (h, first) = reg.acquire("principal:p").unwrap();
                        if first {
                            firsts.fetch_add(1, Ordering::Relaxed);
                        }
                        // Held by this thread at least: the handle cannot change.
                        assert_eq!(*handle.get_or_insert(h), h);
                    }
                    barrier.wait();
                    // Every hold is in: the count is exact.
                    assert_eq!(reg.holders("principal:p"), (THREADS * HOLDS) as u32);
                    barrier.wait();
                    for _ in 0..HOLDS {
                        assert_eq!(reg.lookup("principal:p"), handle);
                        if reg.release("principal:p").unwrap() {
                            lasts.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    handle.unwrap()
                })
            })
            .collect();
        joins.into_iter().map(|j| j.join().unwrap()).collect()
    });
    assert!(seen.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(firsts.load(Ordering::Relaxed), 1);
    assert_eq!(lasts.load(Ordering::Relaxed), 1);
    assert_eq!(
        (reg.holders("principal:p"), reg.len(), reg.allocated()),
        (0, 0, 0)
    );
}

#[test]
fn churning_shared_key_reports_one_last_per_first() {
    const ROUNDS: usize = 10_000;
    let reg = registry();
    // A holder that never lets go keeps one key's handle pinned while others churn.
    let (anchor, first) = reg.acquire("anchor").unwrap();
    assert!(first);
    let firsts = AtomicU64::new(0);
    let lasts = AtomicU64::new(0);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (reg, firsts, lasts) = (&reg, &firsts, &lasts);
            s.spawn(move || {
                for i in 0..ROUNDS {
                    let (a, first) = reg.acquire("anchor").unwrap();
                    assert!(!first);
                    assert_eq!(a, anchor);
                    let (h, first) = reg.acquire("churn").unwrap();
                    assert_ne!(h, anchor);
                    if first {
                        firsts.fetch_add(1, Ordering::Relaxed);
                    }
                    // Other keys come and go meanwhile, reusing freed handles.
                    let own = format!("t{t}-{i}");
                    let o = reg.register_new(&own).unwrap().unwrap();
                    assert!(o != anchor && o != h);
                    assert_eq!(reg.lookup("churn"), Some(h));
                    reg.unregister(&own);
                    if reg.release("churn").unwrap() {
                        lasts.fetch_add(1, Ordering::Relaxed);
                    }
                    assert!(!reg.release("anchor").unwrap());
                }
            });
        }
    });
    assert_eq!(
        firsts.load(Ordering::Relaxed),
        lasts.load(Ordering::Relaxed)
    );
    assert!(firsts.load(Ordering::Relaxed) >= 1);
    assert_eq!(reg.holders("anchor"), 1);
    assert!(reg.release("anchor").unwrap());
    assert_eq!((reg.len(), reg.allocated()), (0, 0));
}
