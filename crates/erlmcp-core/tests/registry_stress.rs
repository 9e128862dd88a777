//! Four threads register, look up and unregister random keys; the final state must equal
//! the per-thread models, and the shared contended key space must stay consistent.

use std::collections::HashMap;

use erlmcp_core::registry::{RegistryOptions, ShardedRegistry};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[test]
fn concurrent_register_lookup_unregister_matches_model() {
    const THREADS: u32 = 4;
    const OPS: u32 = 40_000;
    let reg = ShardedRegistry::new(RegistryOptions { shards: 16 }).unwrap();

    let models: Vec<HashMap<String, u32>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let reg = &reg;
                s.spawn(move || {
                    let mut rng = StdRng::seed_from_u64(u64::from(t) + 1);
                    let mut own: HashMap<String, u32> = HashMap::new();
                    for i in 0..OPS {
                        // Own key space: exact model.
                        let k = format!("t{t}-k{}", rng.gen_range(0..500));
                        match rng.gen_range(0..3) {
                            0 => {
                                let h = t * 1_000_000 + i;
                                let inserted = reg.register(&k, h).unwrap();
                                assert_eq!(inserted, !own.contains_key(&k));
                                own.entry(k).or_insert(h);
                            }
                            1 => assert_eq!(reg.unregister(&k), own.remove(&k)),
                            _ => assert_eq!(reg.lookup(&k), own.get(&k).copied()),
                        }
                        // Shared key space: contended by every thread.
                        let shared = format!("shared-{}", rng.gen_range(0..64));
                        match rng.gen_range(0..3) {
                            0 => {
                                let _ = reg.register(&shared, 900_000_000 + t).unwrap();
                            }
                            1 => {
                                let _ = reg.unregister(&shared);
                            }
                            _ => {
                                if let Some(h) = reg.lookup(&shared) {
                                    assert!((900_000_000..900_000_000 + THREADS).contains(&h));
                                }
                            }
                        }
                    }
                    own
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    for model in &models {
        for (k, h) in model {
            assert_eq!(reg.lookup(k), Some(*h), "key {k}");
            assert_eq!(reg.shard_of_handle(*h), Some(reg.shard_of(k)));
        }
    }
    let own_total: usize = models.iter().map(HashMap::len).sum();
    let shared_found = (0..64)
        .filter(|i| reg.lookup(&format!("shared-{i}")).is_some())
        .count();
    assert_eq!(
        reg.len(),
        own_total + shared_found,
        "size counter matches the keys present"
    );
    assert_eq!(
        reg.shard_sizes().iter().map(|&n| n as usize).sum::<usize>(),
        reg.len()
    );
}
