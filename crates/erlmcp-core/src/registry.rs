//! Sharded string-key -> handle registry.
//!
//! Keys are spread over a power-of-two number of shards by a stable hash; each shard is its
//! own `RwLock`ed map, so a lookup takes one shard's read lock and writes to different shards
//! never contend. A reverse index (handle -> shard), sharded by handle bits, lets the router
//! find a handle's shard without the key.

use std::sync::atomic::{AtomicUsize, Ordering};

use crossbeam_utils::CachePadded;
use parking_lot::RwLock;
use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::xxh3_64;

use crate::error::{check_handle, CoreError, CoreResult};
use crate::keymap::KeyMap;

/// Shard count bounds: a power of two in `1..=MAX_SHARDS`.
pub const MAX_SHARDS: u32 = 1024;

/// Options of a [`ShardedRegistry`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegistryOptions {
    /// Number of shards; a power of two in `1..=1024`. Default 64.
    pub shards: u32,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        Self { shards: 64 }
    }
}

impl RegistryOptions {
    /// Checks the shard count.
    pub fn validate(&self) -> CoreResult<()> {
        if self.shards == 0 || self.shards > MAX_SHARDS || !self.shards.is_power_of_two() {
            return Err(CoreError::invalid(format!(
                "shards must be a power of two in 1..=1024, got {}",
                self.shards
            )));
        }
        Ok(())
    }
}

/// The stable shard function: the low bits of `xxh3_64(utf8(key))` (seed 0).
///
/// This is a compatibility promise: the same key maps to the same shard in every process,
/// platform and version, because other nodes route by it. `shards` must be a power of two.
#[inline]
pub fn shard_index(key: &str, shards: u32) -> u32 {
    shard_of_hash(xxh3_64(key.as_bytes()), shards)
}

#[inline]
fn shard_of_hash(hash: u64, shards: u32) -> u32 {
    (hash & u64::from(shards.saturating_sub(1))) as u32
}

/// Counts and skew of a registry, for monitoring.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryStats {
    /// Number of shards.
    pub shards: u32,
    /// Keys registered.
    pub size: u64,
    /// Keys per shard.
    pub per_shard: Vec<u32>,
    /// Fewest keys in a shard.
    pub min: u32,
    /// Most keys in a shard.
    pub max: u32,
    /// Mean keys per shard.
    pub mean: f64,
    /// `max / mean`: 1.0 is perfectly even; 0.0 when empty.
    pub skew: f64,
}

type Shard = CachePadded<RwLock<KeyMap>>;
type ReverseShard = CachePadded<RwLock<FxHashMap<u32, u32>>>;

/// String key -> 31-bit handle, sharded. See the module docs.
pub struct ShardedRegistry {
    shards: Box<[Shard]>,
    /// handle -> shard of the key that registered it; sharded by `handle & mask`.
    reverse: Box<[ReverseShard]>,
    mask: u32,
    size: CachePadded<AtomicUsize>,
}

impl ShardedRegistry {
    /// An empty registry; `ERR_INVALID_ARG` unless `shards` is a power of two in 1..=1024.
    pub fn new(options: RegistryOptions) -> CoreResult<Self> {
        options.validate()?;
        let n = options.shards as usize;
        Ok(Self {
            shards: (0..n)
                .map(|_| CachePadded::new(RwLock::new(KeyMap::new())))
                .collect(),
            reverse: (0..n)
                .map(|_| CachePadded::new(RwLock::new(FxHashMap::default())))
                .collect(),
            mask: options.shards - 1,
            size: CachePadded::new(AtomicUsize::new(0)),
        })
    }

    /// Number of shards.
    pub fn shard_count(&self) -> u32 {
        self.mask + 1
    }

    /// The shard `key` belongs to ([`shard_index`]).
    #[inline]
    pub fn shard_of(&self, key: &str) -> u32 {
        shard_index(key, self.mask + 1)
    }

    #[inline]
    fn shard(&self, key: &str) -> (u64, u32, &Shard) {
        // One hash per key: it picks the shard and indexes the shard's map.
        let hash = xxh3_64(key.as_bytes());
        let s = shard_of_hash(hash, self.mask + 1);
        (hash, s, &self.shards[s as usize])
    }

    #[inline]
    fn reverse_of(&self, handle: u32) -> &ReverseShard {
        &self.reverse[(handle & self.mask) as usize]
    }

    /// Maps `key` to `handle`. Returns false (and changes nothing) if `key` exists.
    ///
    /// Keys must be non-empty and free of NUL, which is the separator of batched lookups.
    pub fn register(&self, key: &str, handle: u32) -> CoreResult<bool> {
        let handle = check_handle(u64::from(handle))?;
        if key.is_empty() {
            return Err(CoreError::invalid("key must be a non-empty string"));
        }
        if key.as_bytes().contains(&0) {
            return Err(CoreError::invalid("key must not contain NUL (\\0)"));
        }
        let (hash, s, shard) = self.shard(key);
        {
            let mut map = shard.write();
            if !map.insert_new(hash, key, handle) {
                return Ok(false);
            }
            // Under the shard lock, so an unregister of this key cannot interleave between
            // the forward insert and the reverse insert.
            self.reverse_of(handle).write().insert(handle, s);
        }
        self.size.fetch_add(1, Ordering::Relaxed);
        Ok(true)
    }

    /// Removes `key`; returns the handle it had.
    ///
    /// The reverse entry of that handle is removed only if it still points at this key's
    /// shard: handles are expected to be unique per key, and when a handle was reused for a
    /// newer key in another shard that newer registration wins.
    pub fn unregister(&self, key: &str) -> Option<u32> {
        let (hash, s, shard) = self.shard(key);
        let handle = {
            let mut map = shard.write();
            let handle = map.remove(hash, key)?;
            let mut rev = self.reverse_of(handle).write();
            if rev.get(&handle) == Some(&s) {
                rev.remove(&handle);
            }
            handle
        };
        self.size.fetch_sub(1, Ordering::Relaxed);
        Some(handle)
    }

    /// The handle of `key`. Takes one shard's read lock; allocates nothing.
    #[inline]
    pub fn lookup(&self, key: &str) -> Option<u32> {
        let (hash, _, shard) = self.shard(key);
        shard.read().get(hash, key)
    }

    /// Looks up the keys separated by `sep` in `joined` in one pass, writing each handle (or
    /// -1) into `out` in order. Returns the number of keys in `joined`, of which the first
    /// `out.len()` are written. Empty input is zero keys; a key that is not valid UTF-8 is -1.
    pub fn lookup_many_into(&self, joined: &[u8], sep: u8, out: &mut [i32]) -> u32 {
        if joined.is_empty() {
            return 0;
        }
        let mut n = 0u32;
        for part in joined.split(|&b| b == sep) {
            if let Some(slot) = out.get_mut(n as usize) {
                let h = std::str::from_utf8(part).ok().and_then(|k| self.lookup(k));
                *slot = h.map_or(-1, |h| h as i32);
            }
            n = n.saturating_add(1);
        }
        n
    }

    /// Shard of the key registered with `handle` (most recent registration), if any.
    #[inline]
    pub fn shard_of_handle(&self, handle: u32) -> Option<u32> {
        self.reverse_of(handle).read().get(&handle).copied()
    }

    /// Number of keys (an atomic counter: O(1), no locks).
    pub fn len(&self) -> usize {
        self.size.load(Ordering::Relaxed)
    }

    /// True when no key is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keys per shard (each shard read under its own lock; not one atomic snapshot).
    pub fn shard_sizes(&self) -> Vec<u32> {
        self.shards.iter().map(|s| s.read().len() as u32).collect()
    }

    /// Per-shard counts and skew.
    pub fn stats(&self) -> RegistryStats {
        let per_shard = self.shard_sizes();
        let size: u64 = per_shard.iter().map(|&n| u64::from(n)).sum();
        let min = per_shard.iter().copied().min().unwrap_or(0);
        let max = per_shard.iter().copied().max().unwrap_or(0);
        let mean = size as f64 / per_shard.len() as f64;
        let skew = if size == 0 {
            0.0
        } else {
            f64::from(max) / mean
        };
        RegistryStats {
            shards: self.shard_count(),
            size,
            per_shard,
            min,
            max,
            mean,
            skew,
        }
    }

    /// Removes every key.
    pub fn clear(&self) {
        for (shard, rev) in self.shards.iter().zip(self.reverse.iter()) {
            let mut map = shard.write();
            let removed = map.len();
            map.clear();
            drop(map);
            rev.write().clear();
            self.size.fetch_sub(removed, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(shards: u32) -> ShardedRegistry {
        ShardedRegistry::new(RegistryOptions { shards }).unwrap()
    }

    #[test]
    fn shard_counts_are_validated() {
        for bad in [0, 3, 6, 2048, 1025] {
            assert_eq!(
                ShardedRegistry::new(RegistryOptions { shards: bad })
                    .err()
                    .unwrap()
                    .code(),
                "ERR_INVALID_ARG"
            );
        }
        for good in [1, 2, 64, 1024] {
            assert_eq!(reg(good).shard_count(), good);
        }
        assert_eq!(RegistryOptions::default().shards, 64);
    }

    #[test]
    fn shard_index_is_pinned() {
        // Other nodes route by these values: a change here is a breaking change.
        assert_eq!(shard_index("session-1", 1024), PIN_SESSION_1);
        assert_eq!(shard_index("abc", 1024), PIN_ABC);
        assert_eq!(shard_index("abc", 64), PIN_ABC & 63);
        assert_eq!(shard_index("", 1024), (xxh3_64(b"") & 1023) as u32);
        assert_eq!(shard_index("anything", 1), 0);
    }

    const PIN_SESSION_1: u32 = 773;
    const PIN_ABC: u32 = 336;

    #[test]
    fn register_lookup_unregister() {
        let r = reg(4);
        assert!(r.register("a", 1).unwrap());
        assert!(!r.register("a", 2).unwrap());
        assert_eq!(r.lookup("a"), Some(1));
        assert_eq!(r.lookup("b"), None);
        assert_eq!(r.len(), 1);
        assert_eq!(r.shard_of_handle(1), Some(r.shard_of("a")));
        assert_eq!(r.unregister("a"), Some(1));
        assert_eq!(r.unregister("a"), None);
        assert_eq!(r.shard_of_handle(1), None);
        assert!(r.is_empty());
    }

    #[test]
    fn bad_keys_and_handles() {
        let r = reg(4);
        assert_eq!(r.register("", 1).unwrap_err().code(), "ERR_INVALID_ARG");
        assert_eq!(r.register("a\0b", 1).unwrap_err().code(), "ERR_INVALID_ARG");
        assert_eq!(
            r.register("a", 0x8000_0000).unwrap_err().code(),
            "ERR_INVALID_HANDLE"
        );
        assert!(r.register("max", crate::MAX_HANDLE).unwrap());
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn lookup_many_into_in_order() {
        let r = reg(8);
        r.register("x", 10).unwrap();
        r.register("y", 20).unwrap();
        let mut out = [0i32; 3];
        assert_eq!(r.lookup_many_into(b"x\0nope\0y", 0, &mut out), 3);
        assert_eq!(out, [10, -1, 20]);
        assert_eq!(r.lookup_many_into(b"", 0, &mut out), 0);
        assert_eq!(r.lookup_many_into(b"\xff\0x", 0, &mut out), 2);
        assert_eq!(out[..2], [-1, 10]);
        // More keys than room: counted, only the first out.len() written.
        let mut two = [0i32; 2];
        assert_eq!(r.lookup_many_into(b"y\0x\0y", 0, &mut two), 3);
        assert_eq!(two, [20, 10]);
    }

    #[test]
    fn reused_handle_keeps_newest_reverse_entry() {
        let r = reg(1024);
        // Find two keys in different shards.
        let a = "k-a";
        let b = (0..)
            .map(|i| format!("k-{i}"))
            .find(|k| r.shard_of(k) != r.shard_of(a))
            .unwrap();
        r.register(a, 5).unwrap();
        r.register(&b, 5).unwrap();
        assert_eq!(r.shard_of_handle(5), Some(r.shard_of(&b)));
        r.unregister(a);
        assert_eq!(r.shard_of_handle(5), Some(r.shard_of(&b)));
    }

    #[test]
    fn stats_and_clear() {
        let r = reg(4);
        for i in 0..100 {
            r.register(&format!("s{i}"), i).unwrap();
        }
        let s = r.stats();
        assert_eq!(s.size, 100);
        assert_eq!(s.per_shard.iter().sum::<u32>(), 100);
        assert_eq!(s.mean, 25.0);
        assert_eq!(s.skew, f64::from(s.max) / 25.0);
        assert_eq!(r.shard_sizes(), s.per_shard);
        r.clear();
        assert_eq!(r.len(), 0);
        assert_eq!(r.stats().skew, 0.0);
        assert_eq!(r.shard_of_handle(3), None);
    }
}
