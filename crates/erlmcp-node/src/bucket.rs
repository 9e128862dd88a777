//! `TokenBucket` and `TokenBuckets`: refill on demand from the monotonic clock, no timers.

use std::sync::{Arc, LazyLock};

use erlmcp_core::bucket::{BucketOptions, TokenBucket, TokenBuckets};
use erlmcp_core::error::check_handle;
use erlmcp_core::named::NamedTable;
use napi_derive::napi;

use crate::error::{guard, guard_ok, Result};
use crate::options::u32_opt;
use crate::slots::{Held, Slots};

static NAMED: LazyLock<NamedTable<TokenBuckets, BucketOptions>> = LazyLock::new(NamedTable::new);
static NAMED_SINGLE: LazyLock<NamedTable<TokenBucket, BucketOptions>> =
    LazyLock::new(NamedTable::new);

/// Options of a token bucket.
#[napi(object)]
pub struct JsBucketOptions {
    /// Maximum tokens (burst). Default 1000.
    pub capacity: Option<f64>,
    /// Tokens added per second. Default 10000.
    pub refill_per_sec: Option<f64>,
}

pub(crate) fn options(o: Option<JsBucketOptions>) -> erlmcp_core::CoreResult<BucketOptions> {
    let d = BucketOptions::default();
    let o = o.unwrap_or(JsBucketOptions {
        capacity: None,
        refill_per_sec: None,
    });
    let opts = BucketOptions {
        capacity: u32_opt("capacity", o.capacity, d.capacity, 1, u32::MAX)?,
        refill_per_sec: u32_opt(
            "refillPerSec",
            o.refill_per_sec,
            d.refill_per_sec,
            1,
            u32::MAX,
        )?,
    };
    opts.validate()?;
    Ok(opts)
}

/// Counters of a bucket table.
#[napi(object)]
pub struct JsBucketsStats {
    pub buckets: f64,
    pub overrides: f64,
    pub consumed: f64,
    pub limited: f64,
    pub evicted: f64,
}

/// One native token bucket.
#[napi(js_name = "TokenBucket")]
pub struct JsTokenBucket {
    inner: Arc<TokenBucket>,
}

#[napi]
impl JsTokenBucket {
    #[napi(constructor)]
    pub fn new(options_: Option<JsBucketOptions>) -> Result<Self> {
        guard(|| {
            Ok(Self {
                inner: Arc::new(TokenBucket::new(options(options_)?)?),
            })
        })
    }

    #[napi(factory)]
    pub fn open(name: String, options_: Option<JsBucketOptions>) -> Result<Self> {
        guard(|| {
            let opts = options(options_)?;
            Ok(Self {
                inner: NAMED_SINGLE.open(&name, opts, |o| TokenBucket::new(*o))?,
            })
        })
    }

    #[napi]
    pub fn forget(name: String) -> bool {
        NAMED_SINGLE.remove(&name)
    }

    /// Remaining whole tokens after taking `n`, or the negative shortfall when limited.
    #[napi]
    pub fn consume(&self, n: u32) -> Result<i64> {
        guard_ok(|| self.inner.consume(n))
    }

    #[napi]
    pub fn retry_after_ms(&self, n: u32) -> Result<f64> {
        guard(|| Ok(self.inner.retry_after_ms(n)? as f64))
    }

    #[napi]
    pub fn refund(&self, n: u32) -> Result<()> {
        guard_ok(|| self.inner.refund(n))
    }

    #[napi(getter)]
    pub fn available(&self) -> Result<u32> {
        guard_ok(|| self.inner.available())
    }

    #[napi]
    pub fn reset(&self) -> Result<()> {
        guard_ok(|| self.inner.reset())
    }
}

/// A native table of token buckets keyed by handle.
#[napi(js_name = "TokenBuckets")]
pub struct JsTokenBuckets {
    /// The instance, and its slot for the hot-path free functions (`fast.rs`).
    pub(crate) inner: Held<TokenBuckets>,
}

/// Every live instance, by id.
pub(crate) static BUCKETS: Slots<TokenBuckets> = Slots::new();

impl JsTokenBuckets {
    fn holding(item: Arc<TokenBuckets>) -> Self {
        Self {
            inner: BUCKETS.hold(item),
        }
    }
}

#[napi]
impl JsTokenBuckets {
    /// Slot id for the hot-path functions.
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.inner.id
    }

    #[napi(constructor)]
    pub fn new(options_: Option<JsBucketOptions>) -> Result<Self> {
        guard(|| {
            Ok(Self::holding(Arc::new(TokenBuckets::new(options(
                options_,
            )?)?)))
        })
    }

    #[napi(factory)]
    pub fn open(name: String, options_: Option<JsBucketOptions>) -> Result<Self> {
        guard(|| {
            let opts = options(options_)?;
            Ok(Self::holding(
                NAMED.open(&name, opts, |o| TokenBuckets::new(*o))?,
            ))
        })
    }

    #[napi]
    pub fn forget(name: String) -> bool {
        NAMED.remove(&name)
    }

    #[napi]
    pub fn retry_after_ms(&self, handle: u32, n: u32) -> Result<f64> {
        guard(|| Ok(self.inner.retry_after_ms(check_handle(handle as u64)?, n)? as f64))
    }

    #[napi]
    pub fn refund(&self, handle: u32, n: u32) -> Result<()> {
        guard(|| {
            self.inner.refund(check_handle(handle as u64)?, n);
            Ok(())
        })
    }

    #[napi]
    pub fn set_override(&self, handle: u32, options_: JsBucketOptions) -> Result<()> {
        guard(|| {
            self.inner
                .set_override(check_handle(handle as u64)?, options(Some(options_))?)
        })
    }

    #[napi]
    pub fn clear_override(&self, handle: u32) -> Result<bool> {
        guard_ok(|| self.inner.clear_override(handle))
    }

    #[napi]
    pub fn remove(&self, handle: u32) -> Result<bool> {
        guard_ok(|| self.inner.remove(handle))
    }

    #[napi]
    pub fn evict_idle(&self) -> Result<u32> {
        guard_ok(|| self.inner.evict_idle())
    }

    #[napi(getter)]
    pub fn size(&self) -> Result<f64> {
        guard_ok(|| self.inner.len() as f64)
    }

    #[napi]
    pub fn stats(&self) -> Result<JsBucketsStats> {
        guard_ok(|| {
            let s = self.inner.stats();
            JsBucketsStats {
                buckets: s.buckets as f64,
                overrides: s.overrides as f64,
                consumed: s.consumed as f64,
                limited: s.limited as f64,
                evicted: s.evicted as f64,
            }
        })
    }
}
