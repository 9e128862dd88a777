//! `KeyMap`: string key -> handle, laid out for lookups that miss the CPU cache.
//!
//! A lookup among many keys is bound by memory latency, not arithmetic. A `HashMap<Box<str>, _>`
//! hit touches the control bytes, the entry, and then the boxed key bytes to confirm equality:
//! three cache misses. Here each entry is one 64-byte cache line holding the key's full hash,
//! its handle and, for keys up to [`INLINE`] bytes (session ids), the key bytes themselves, so a
//! hit costs the control bytes and one line. The caller passes the key's hash (the registry
//! already computed it to pick the shard), so the key is hashed once.

use hashbrown::HashTable;

/// Keys up to this many UTF-8 bytes are stored inside the entry.
pub const INLINE: usize = 46;

enum StoredKey {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl StoredKey {
    fn new(key: &str) -> Self {
        if key.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..key.len()].copy_from_slice(key.as_bytes());
            StoredKey::Inline {
                len: key.len() as u8,
                bytes,
            }
        } else {
            StoredKey::Heap(key.into())
        }
    }

    #[inline]
    fn eq(&self, key: &str) -> bool {
        match self {
            StoredKey::Inline { len, bytes } => &bytes[..*len as usize] == key.as_bytes(),
            StoredKey::Heap(b) => **b == *key,
        }
    }
}

struct Entry {
    hash: u64,
    handle: u32,
    key: StoredKey,
}

/// The bits of the key hash the table indexes by. The registry picks shards with the low
/// bits of the same hash, so within one shard those bits are all equal; rotating puts
/// independent bits where the table looks.
#[inline]
fn table_hash(hash: u64) -> u64 {
    hash.rotate_left(32)
}

/// String key -> `u32`, keyed by a caller-supplied 64-bit hash of the key.
#[derive(Default)]
pub struct KeyMap {
    table: HashTable<Entry>,
}

impl KeyMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of `key` (whose hash is `hash`).
    #[inline]
    pub fn get(&self, hash: u64, key: &str) -> Option<u32> {
        self.table
            .find(table_hash(hash), |e| e.hash == hash && e.key.eq(key))
            .map(|e| e.handle)
    }

    /// True when `key` is present.
    pub fn contains(&self, hash: u64, key: &str) -> bool {
        self.get(hash, key).is_some()
    }

    /// Inserts `key` -> `value` unless `key` is present; returns whether it inserted.
    pub fn insert_new(&mut self, hash: u64, key: &str, value: u32) -> bool {
        match self.table.entry(
            table_hash(hash),
            |e| e.hash == hash && e.key.eq(key),
            |e| table_hash(e.hash),
        ) {
            hashbrown::hash_table::Entry::Occupied(_) => false,
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(Entry {
                    hash,
                    handle: value,
                    key: StoredKey::new(key),
                });
                true
            }
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, hash: u64, key: &str) -> Option<u32> {
        match self
            .table
            .find_entry(table_hash(hash), |e| e.hash == hash && e.key.eq(key))
        {
            Ok(occupied) => Some(occupied.remove().0.handle),
            Err(_) => None,
        }
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Every value, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = u32> + '_ {
        self.table.iter().map(|e| e.handle)
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.table.clear();
    }
}

#[cfg(test)]
mod tests {
    use xxhash_rust::xxh3::xxh3_64;

    use super::*;

    #[test]
    fn entry_is_one_cache_line() {
        assert!(std::mem::size_of::<Entry>() <= 64);
    }

    #[test]
    fn inline_and_heap_keys_around_the_boundary() {
        let mut m = KeyMap::new();
        // ASCII and 2-byte characters, each exactly n bytes long.
        let keys: Vec<String> = (INLINE - 2..=INLINE + 2)
            .flat_map(|n| {
                [
                    "a".repeat(n),
                    "é".repeat(n / 2) + if n % 2 == 1 { "x" } else { "" },
                ]
            })
            .collect();
        for (i, k) in keys.iter().enumerate() {
            assert!(m.insert_new(xxh3_64(k.as_bytes()), k, i as u32));
            assert!(!m.insert_new(xxh3_64(k.as_bytes()), k, 99));
        }
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(m.get(xxh3_64(k.as_bytes()), k), Some(i as u32));
            // Same hash, different key: must not match.
            assert_eq!(m.get(xxh3_64(k.as_bytes()), "other"), None);
        }
        assert_eq!(m.len(), keys.len());
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(m.remove(xxh3_64(k.as_bytes()), k), Some(i as u32));
            assert!(!m.contains(xxh3_64(k.as_bytes()), k));
        }
        assert!(m.is_empty());
    }

    #[test]
    fn colliding_hashes_are_told_apart_by_the_key() {
        let mut m = KeyMap::new();
        assert!(m.insert_new(7, "x", 1));
        assert!(m.insert_new(7, "y", 2));
        assert_eq!(
            (m.get(7, "x"), m.get(7, "y"), m.get(7, "z")),
            (Some(1), Some(2), None)
        );
        assert_eq!(m.remove(7, "x"), Some(1));
        assert_eq!(m.get(7, "y"), Some(2));
        assert_eq!(m.values().collect::<Vec<_>>(), vec![2]);
        m.clear();
        assert!(m.is_empty());
    }
}
