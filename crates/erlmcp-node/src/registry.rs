//! `ShardedRegistry`: string key -> 31-bit handle, sharded by a stable hash.

use std::sync::{Arc, LazyLock};

use erlmcp_core::named::NamedTable;
use erlmcp_core::registry::{RegistryOptions, ShardedRegistry};
use napi_derive::napi;

use crate::error::{guard, guard_ok, Result};
use crate::options::u32_opt;
use crate::slots::{Held, Slots};

static NAMED: LazyLock<NamedTable<ShardedRegistry, RegistryOptions>> =
    LazyLock::new(NamedTable::new);

/// Options of a registry.
#[napi(object)]
pub struct JsRegistryOptions {
    /// Number of shards, a power of two in 1..1024. Default 64.
    pub shards: Option<f64>,
}

fn options(o: Option<JsRegistryOptions>) -> erlmcp_core::CoreResult<RegistryOptions> {
    let d = RegistryOptions::default();
    let o = o.unwrap_or(JsRegistryOptions { shards: None });
    Ok(RegistryOptions {
        shards: u32_opt("shards", o.shards, d.shards, 1, 1024)?,
    })
}

/// Per-shard counts and skew.
#[napi(object)]
pub struct JsRegistryStats {
    pub shards: u32,
    pub size: f64,
    pub per_shard: Vec<u32>,
    pub min: u32,
    pub max: u32,
    pub mean: f64,
    pub skew: f64,
}

/// One hold of a shared entry: its handle, and whether this call created the entry.
#[napi(object)]
pub struct JsAcquired {
    pub handle: u32,
    pub first: bool,
}

/// Native sharded registry.
#[napi(js_name = "ShardedRegistry")]
pub struct JsShardedRegistry {
    /// The instance, and its slot for the hot-path free functions (`fast.rs`).
    pub(crate) inner: Held<ShardedRegistry>,
}

/// Every live instance, by id.
pub(crate) static REGISTRIES: Slots<ShardedRegistry> = Slots::new();

impl JsShardedRegistry {
    fn holding(item: Arc<ShardedRegistry>) -> Self {
        Self {
            inner: REGISTRIES.hold(item),
        }
    }
}

#[napi]
impl JsShardedRegistry {
    /// Slot id for the hot-path functions.
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.inner.id
    }

    #[napi(constructor)]
    pub fn new(options_: Option<JsRegistryOptions>) -> Result<Self> {
        guard(|| {
            Ok(Self::holding(Arc::new(ShardedRegistry::new(options(
                options_,
            )?)?)))
        })
    }

    /// The process-global instance named `name` (created on first open), shared by all workers.
    #[napi(factory)]
    pub fn open(name: String, options_: Option<JsRegistryOptions>) -> Result<Self> {
        guard(|| {
            let opts = options(options_)?;
            Ok(Self::holding(
                NAMED.open(&name, opts, |o| ShardedRegistry::new(*o))?,
            ))
        })
    }

    /// Forgets the named instance `name`; returns whether it existed.
    #[napi]
    pub fn forget(name: String) -> bool {
        NAMED.remove(&name)
    }

    #[napi]
    pub fn register(&self, key: String, handle: f64) -> Result<bool> {
        guard(|| {
            let h = crate::error::to_count("handle", handle)?;
            self.inner
                .register(&key, erlmcp_core::error::check_handle(h)?)
        })
    }

    /// Registers `key` with a handle the registry allocates; returns it, or -1 when `key` is
    /// already registered.
    #[napi]
    pub fn register_new(&self, key: String) -> Result<i32> {
        guard(|| Ok(self.inner.register_new(&key)?.map_or(-1, |h| h as i32)))
    }

    /// One hold of the shared entry `key` (created with a fresh handle on the first hold).
    #[napi]
    pub fn acquire(&self, key: String) -> Result<JsAcquired> {
        guard(|| {
            let (handle, first) = self.inner.acquire(&key)?;
            Ok(JsAcquired { handle, first })
        })
    }

    /// Gives back one hold of `key`; true when it was the last (the entry is gone).
    #[napi]
    pub fn release(&self, key: String) -> Result<bool> {
        guard(|| self.inner.release(&key))
    }

    /// Holders of the shared entry `key` (0 when absent or not shared).
    #[napi]
    pub fn holders(&self, key: String) -> Result<u32> {
        guard_ok(|| self.inner.holders(&key))
    }

    /// Handles the registry allocated that are live now.
    #[napi(getter)]
    pub fn allocated(&self) -> Result<f64> {
        guard_ok(|| self.inner.allocated() as f64)
    }

    /// Returns the handle removed, or -1; a handle the registry allocated is freed.
    #[napi]
    pub fn unregister(&self, key: String) -> Result<i32> {
        guard_ok(|| self.inner.unregister(&key).map_or(-1, |h| h as i32))
    }

    #[napi]
    pub fn shard_of(&self, key: String) -> Result<u32> {
        guard_ok(|| self.inner.shard_of(&key))
    }

    /// Shard of the key registered with `handle`, or -1.
    #[napi]
    pub fn shard_of_handle(&self, handle: u32) -> Result<i32> {
        guard_ok(|| self.inner.shard_of_handle(handle).map_or(-1, |s| s as i32))
    }

    #[napi(getter)]
    pub fn size(&self) -> Result<f64> {
        guard_ok(|| self.inner.len() as f64)
    }

    #[napi(getter)]
    pub fn shards(&self) -> Result<u32> {
        guard_ok(|| self.inner.shard_count())
    }

    #[napi]
    pub fn shard_sizes(&self) -> Result<Vec<u32>> {
        guard_ok(|| self.inner.shard_sizes())
    }

    #[napi]
    pub fn stats(&self) -> Result<JsRegistryStats> {
        guard_ok(|| {
            let s = self.inner.stats();
            JsRegistryStats {
                shards: s.shards,
                size: s.size as f64,
                per_shard: s.per_shard,
                min: s.min,
                max: s.max,
                mean: s.mean,
                skew: s.skew,
            }
        })
    }

    #[napi]
    pub fn clear(&self) -> Result<()> {
        guard_ok(|| self.inner.clear())
    }
}

/// The stable shard function: `xxh3_64(utf8(key)) & (shards - 1)`.
#[napi]
pub fn shard_index(key: String, shards: f64) -> Result<u32> {
    guard(|| {
        let n = u32_opt("shards", Some(shards), 64, 1, 1024)?;
        RegistryOptions { shards: n }.validate()?;
        Ok(erlmcp_core::registry::shard_index(&key, n))
    })
}
