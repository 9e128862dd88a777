//! Sharded string-key -> handle registry.
//!
//! Keys are spread over a power-of-two number of shards by a stable hash; each shard is its
//! own `RwLock`ed map, so a lookup takes one shard's read lock and writes to different shards
//! never contend. A reverse index (handle -> shard), sharded by handle bits, lets the router
//! find a handle's shard without the key.
//!
//! Handles come from the caller ([`ShardedRegistry::register`]) or from the registry itself
//! ([`ShardedRegistry::register_new`], [`ShardedRegistry::acquire`]): a process-wide
//! allocator (free list plus counter, [`HandleAlloc`]) under the registry's own mutex, so
//! callers on many threads (worker_threads sharing one named registry) never get the same
//! live handle. An allocated handle is freed when its key is unregistered (or released by its
//! last holder), and reused. Do not mix caller-chosen and allocated handles in one registry
//! unless the caller's handles lie outside the allocated range: the registry does not check.

use std::sync::atomic::{AtomicUsize, Ordering};

use crossbeam_utils::CachePadded;
use parking_lot::{Mutex, RwLock};
use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::xxh3_64;

use crate::error::{check_handle, CoreError, CoreResult, MAX_HANDLE};
use crate::handles::HandleAlloc;
use crate::keymap::KeyMap;

/// Set in a stored value when the registry allocated the handle (so unregister frees it).
/// Handles are 31-bit, so the top bit of the stored `u32` is free for it.
const OWNED: u32 = 1 << 31;

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

/// One shard: its keys, and the holder counts of its shared (acquired) entries.
#[derive(Default)]
struct ShardMap {
    /// key -> handle; the [`OWNED`] bit marks handles the registry allocated.
    keys: KeyMap,
    /// handle -> holders (>= 1) of each shared entry of this shard. An entry is here exactly
    /// while its key is registered through [`ShardedRegistry::acquire`].
    holders: FxHashMap<u32, u32>,
}

impl ShardMap {
    /// Removes `key` and its holder count; the stored value (with the [`OWNED`] bit).
    fn remove(&mut self, hash: u64, key: &str) -> Option<u32> {
        let stored = self.keys.remove(hash, key)?;
        if stored & OWNED != 0 {
            self.holders.remove(&(stored & MAX_HANDLE));
        }
        Some(stored)
    }
}

type Shard = CachePadded<RwLock<ShardMap>>;
type ReverseShard = CachePadded<RwLock<FxHashMap<u32, u32>>>;

/// String key -> 31-bit handle, sharded. See the module docs.
///
/// Lock order: a key shard, then the reverse shard or the allocator (never two key shards).
pub struct ShardedRegistry {
    shards: Box<[Shard]>,
    /// handle -> shard of the key that registered it; sharded by `handle & mask`.
    reverse: Box<[ReverseShard]>,
    mask: u32,
    size: CachePadded<AtomicUsize>,
    /// Handles of [`register_new`](Self::register_new) and [`acquire`](Self::acquire).
    alloc: Mutex<HandleAlloc>,
}

impl ShardedRegistry {
    /// An empty registry; `ERR_INVALID_ARG` unless `shards` is a power of two in 1..=1024.
    pub fn new(options: RegistryOptions) -> CoreResult<Self> {
        options.validate()?;
        let n = options.shards as usize;
        Ok(Self {
            shards: (0..n)
                .map(|_| CachePadded::new(RwLock::new(ShardMap::default())))
                .collect(),
            reverse: (0..n)
                .map(|_| CachePadded::new(RwLock::new(FxHashMap::default())))
                .collect(),
            mask: options.shards - 1,
            size: CachePadded::new(AtomicUsize::new(0)),
            alloc: Mutex::new(HandleAlloc::new()),
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
    /// The caller owns `handle`: unregistering the key does not free it for
    /// [`register_new`](Self::register_new).
    pub fn register(&self, key: &str, handle: u32) -> CoreResult<bool> {
        let handle = check_handle(u64::from(handle))?;
        check_key(key)?;
        let (hash, s, shard) = self.shard(key);
        {
            let mut map = shard.write();
            if !map.keys.insert_new(hash, key, handle) {
                return Ok(false);
            }
            // Under the shard lock, so an unregister of this key cannot interleave between
            // the forward insert and the reverse insert.
            self.reverse_of(handle).write().insert(handle, s);
        }
        self.size.fetch_add(1, Ordering::Relaxed);
        Ok(true)
    }

    /// Registers `key` with a handle the registry allocates (a freed one first, else the
    /// next new one), atomically: `Ok(None)` (and nothing allocated) when `key` is already
    /// registered. Concurrent callers on any number of threads never get the same live
    /// handle. [`unregister`](Self::unregister) frees the handle for reuse.
    ///
    /// Keys as for [`register`](Self::register); `ERR_INVALID_ARG` once 2^31 handles are live.
    pub fn register_new(&self, key: &str) -> CoreResult<Option<u32>> {
        check_key(key)?;
        let (hash, s, shard) = self.shard(key);
        let mut map = shard.write();
        if map.keys.contains(hash, key) {
            return Ok(None);
        }
        let handle = self.insert_owned(&mut map, hash, key, s)?;
        Ok(Some(handle))
    }

    /// Takes one hold of the shared entry `key`: on the first hold registers `key` with a
    /// freshly allocated handle (as [`register_new`](Self::register_new)) and returns
    /// `(handle, true)`; later holds count one more holder and return `(handle, false)` with
    /// the same handle, which stays stable until the last [`release`](Self::release).
    ///
    /// `ERR_ALREADY_REGISTERED` when `key` is registered but not shared (by
    /// [`register`](Self::register) or [`register_new`](Self::register_new)); `ERR_INVALID_ARG`
    /// for a bad key, or when 2^32 - 1 holds are held.
    pub fn acquire(&self, key: &str) -> CoreResult<(u32, bool)> {
        check_key(key)?;
        let (hash, s, shard) = self.shard(key);
        let mut map = shard.write();
        if let Some(stored) = map.keys.get(hash, key) {
            let handle = stored & MAX_HANDLE;
            return match map.holders.get_mut(&handle) {
                Some(n) if stored & OWNED != 0 => {
                    *n = n
                        .checked_add(1)
                        .ok_or_else(|| CoreError::invalid("too many holders of one key"))?;
                    Ok((handle, false))
                }
                _ => Err(CoreError::AlreadyRegistered(key.to_owned())),
            };
        }
        let handle = self.insert_owned(&mut map, hash, key, s)?;
        map.holders.insert(handle, 1);
        Ok((handle, true))
    }

    /// Gives back one hold of the shared entry `key`. Returns true for the last holder: then
    /// `key` is unregistered and its handle freed, in the same critical section as the
    /// decrement (so exactly one caller sees true per first [`acquire`](Self::acquire)).
    /// False, and nothing changed, when `key` is not a shared entry (absent, or registered
    /// by [`register`](Self::register)/[`register_new`](Self::register_new)).
    pub fn release(&self, key: &str) -> CoreResult<bool> {
        let (hash, s, shard) = self.shard(key);
        let mut map = shard.write();
        let Some(stored) = map.keys.get(hash, key) else {
            return Ok(false);
        };
        if stored & OWNED == 0 {
            return Ok(false);
        }
        let handle = stored & MAX_HANDLE;
        match map.holders.get_mut(&handle) {
            None => return Ok(false),
            Some(n) if *n > 1 => {
                *n -= 1;
                return Ok(false);
            }
            Some(_) => {}
        }
        map.remove(hash, key);
        self.forget_handle(handle, s, true);
        drop(map);
        self.size.fetch_sub(1, Ordering::Relaxed);
        Ok(true)
    }

    /// Holders of the shared entry `key` (0 when `key` is absent or not shared).
    pub fn holders(&self, key: &str) -> u32 {
        let (hash, _, shard) = self.shard(key);
        let map = shard.read();
        match map.keys.get(hash, key) {
            Some(stored) if stored & OWNED != 0 => map
                .holders
                .get(&(stored & MAX_HANDLE))
                .copied()
                .unwrap_or(0),
            _ => 0,
        }
    }

    /// Handles the registry allocated that are live now (shared entries count once).
    pub fn allocated(&self) -> u64 {
        self.alloc.lock().live()
    }

    /// Under `map`'s (shard `s`'s) write lock: allocates a handle, inserts `key` -> handle
    /// (marked owned) and its reverse entry. `key` must be absent.
    fn insert_owned(&self, map: &mut ShardMap, hash: u64, key: &str, s: u32) -> CoreResult<u32> {
        let handle = self.alloc.lock().alloc()?;
        let inserted = map.keys.insert_new(hash, key, handle | OWNED);
        debug_assert!(inserted);
        self.reverse_of(handle).write().insert(handle, s);
        self.size.fetch_add(1, Ordering::Relaxed);
        Ok(handle)
    }

    /// Under the key shard's lock: drops `handle`'s reverse entry if it points at shard `s`,
    /// and frees the handle when the registry owns it. The reverse entry goes first, so a
    /// new owner of the freed handle never loses its own reverse entry.
    fn forget_handle(&self, handle: u32, s: u32, owned: bool) {
        {
            let mut rev = self.reverse_of(handle).write();
            if rev.get(&handle) == Some(&s) {
                rev.remove(&handle);
            }
        }
        if owned {
            self.alloc.lock().free(handle);
        }
    }

    /// Removes `key` (any kind of entry, whatever its holders); returns the handle it had.
    /// A handle the registry allocated is freed for reuse.
    ///
    /// The reverse entry of that handle is removed only if it still points at this key's
    /// shard: handles are expected to be unique per key, and when a handle was reused for a
    /// newer key in another shard that newer registration wins.
    pub fn unregister(&self, key: &str) -> Option<u32> {
        let (hash, s, shard) = self.shard(key);
        let handle = {
            let mut map = shard.write();
            let stored = map.remove(hash, key)?;
            let handle = stored & MAX_HANDLE;
            self.forget_handle(handle, s, stored & OWNED != 0);
            handle
        };
        self.size.fetch_sub(1, Ordering::Relaxed);
        Some(handle)
    }

    /// The handle of `key`. Takes one shard's read lock; allocates nothing.
    #[inline]
    pub fn lookup(&self, key: &str) -> Option<u32> {
        let (hash, _, shard) = self.shard(key);
        shard.read().keys.get(hash, key).map(|v| v & MAX_HANDLE)
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
        self.shards
            .iter()
            .map(|s| s.read().keys.len() as u32)
            .collect()
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

    /// Removes every key (shard by shard, not atomically), freeing the handles it allocated.
    pub fn clear(&self) {
        for (shard, rev) in self.shards.iter().zip(self.reverse.iter()) {
            let mut map = shard.write();
            let removed = map.keys.len();
            {
                let mut alloc = self.alloc.lock();
                for stored in map.keys.values().filter(|v| v & OWNED != 0) {
                    alloc.free(stored & MAX_HANDLE);
                }
            }
            map.keys.clear();
            map.holders.clear();
            drop(map);
            rev.write().clear();
            self.size.fetch_sub(removed, Ordering::Relaxed);
        }
    }
}

/// Keys must be non-empty and free of NUL (the separator of batched lookups).
fn check_key(key: &str) -> CoreResult<()> {
    if key.is_empty() {
        return Err(CoreError::invalid("key must be a non-empty string"));
    }
    if key.as_bytes().contains(&0) {
        return Err(CoreError::invalid("key must not contain NUL (\\0)"));
    }
    Ok(())
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
    fn register_new_allocates_frees_and_reuses() {
        let r = reg(8);
        assert_eq!(r.register_new("a").unwrap(), Some(0));
        assert_eq!(r.register_new("b").unwrap(), Some(1));
        assert_eq!(r.register_new("a").unwrap(), None);
        assert_eq!((r.len(), r.allocated()), (2, 2));
        assert_eq!(r.lookup("a"), Some(0));
        assert_eq!(r.shard_of_handle(1), Some(r.shard_of("b")));
        assert_eq!(r.unregister("a"), Some(0));
        assert_eq!((r.len(), r.allocated()), (1, 1));
        // The freed handle is reused first.
        assert_eq!(r.register_new("c").unwrap(), Some(0));
        assert_eq!(r.shard_of_handle(0), Some(r.shard_of("c")));
        assert_eq!(r.register_new("").unwrap_err().code(), "ERR_INVALID_ARG");
        assert_eq!(r.register_new("x\0").unwrap_err().code(), "ERR_INVALID_ARG");
        // A caller-chosen handle is not freed into the allocator.
        assert!(r.register("manual", 100).unwrap());
        assert_eq!(r.unregister("manual"), Some(100));
        assert_eq!(r.register_new("d").unwrap(), Some(2));
        assert_eq!(r.allocated(), 3);
    }

    #[test]
    fn acquire_release_holders() {
        let r = reg(4);
        assert_eq!(r.holders("p"), 0);
        assert_eq!(r.acquire("p").unwrap(), (0, true));
        assert_eq!(r.acquire("p").unwrap(), (0, false));
        assert_eq!(r.acquire("q").unwrap(), (1, true));
        assert_eq!((r.holders("p"), r.holders("q"), r.len()), (2, 1, 2));
        assert_eq!(r.lookup("p"), Some(0));
        assert!(!r.release("p").unwrap());
        assert_eq!(r.holders("p"), 1);
        assert!(r.release("p").unwrap());
        assert_eq!((r.holders("p"), r.lookup("p"), r.len()), (0, None, 1));
        assert_eq!(r.shard_of_handle(0), None);
        assert!(!r.release("p").unwrap());
        // Handle 0 was freed: the next allocation gets it.
        assert_eq!(r.acquire("p2").unwrap(), (0, true));
        assert_eq!(r.allocated(), 2);
    }

    #[test]
    fn acquire_and_release_leave_other_kinds_alone() {
        let r = reg(4);
        r.register("plain", 7).unwrap();
        r.register_new("fresh").unwrap();
        for k in ["plain", "fresh"] {
            assert_eq!(r.acquire(k).unwrap_err().code(), "ERR_ALREADY_REGISTERED");
            assert!(!r.release(k).unwrap());
            assert_eq!(r.holders(k), 0);
        }
        assert_eq!(r.len(), 2);
        // A shared key is not available to register_new/register either.
        r.acquire("shared").unwrap();
        assert_eq!(r.register_new("shared").unwrap(), None);
        assert!(!r.register("shared", 9).unwrap());
        // unregister removes a shared entry whatever its holders, and frees its handle.
        r.acquire("shared").unwrap();
        let h = r.lookup("shared").unwrap();
        assert_eq!(r.unregister("shared"), Some(h));
        assert_eq!(r.holders("shared"), 0);
        assert!(!r.release("shared").unwrap());
        assert_eq!(r.allocated(), 1);
    }

    #[test]
    fn clear_frees_allocated_handles() {
        let r = reg(4);
        for i in 0..10 {
            r.register_new(&format!("s{i}")).unwrap();
        }
        r.acquire("p").unwrap();
        r.register("manual", 500).unwrap();
        r.clear();
        assert_eq!((r.len(), r.allocated(), r.holders("p")), (0, 0, 0));
        let mut again: Vec<u32> = (0..11)
            .map(|i| r.register_new(&format!("t{i}")).unwrap().unwrap())
            .collect();
        again.sort_unstable();
        assert_eq!(again, (0..11).collect::<Vec<_>>());
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
