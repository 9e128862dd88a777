//! `Router`: the one native call per inbound message.

use std::sync::{Arc, LazyLock};

use erlmcp_core::error::check_handle;
use erlmcp_core::named::NamedTable;
use erlmcp_core::router::Router;
use napi::bindgen_prelude::Uint8Array;
use napi_derive::napi;

use crate::admission::JsAdmissionControl;
use crate::breaker::JsCircuitBreaker;
use crate::bucket::JsTokenBuckets;
use crate::error::{guard, guard_ok, Result};
use crate::registry::JsShardedRegistry;

/// Identity of a router's parts: a named router matches only the same four instances.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Parts([usize; 4]);

static NAMED: LazyLock<NamedTable<Router, Parts>> = LazyLock::new(NamedTable::new);

/// Counters of a router.
#[napi(object)]
pub struct JsRouterStats {
    /// Verdicts given, indexed by code (0 ok .. 5 unknown handle).
    pub verdicts: Vec<f64>,
    pub completed_ok: f64,
    pub completed_failed: f64,
}

/// Native router.
#[napi(js_name = "Router")]
pub struct JsRouter {
    inner: Arc<Router>,
}

fn parts(
    r: &JsShardedRegistry,
    b: &JsTokenBuckets,
    a: &JsAdmissionControl,
    c: &JsCircuitBreaker,
) -> Parts {
    Parts([
        Arc::as_ptr(&r.inner) as usize,
        Arc::as_ptr(&b.inner) as usize,
        Arc::as_ptr(&a.inner) as usize,
        Arc::as_ptr(&c.entry.breaker) as usize,
    ])
}

fn build(
    r: &JsShardedRegistry,
    b: &JsTokenBuckets,
    a: &JsAdmissionControl,
    c: &JsCircuitBreaker,
) -> erlmcp_core::CoreResult<Router> {
    Router::new(
        Arc::clone(&r.inner),
        Arc::clone(&b.inner),
        Arc::clone(&a.inner),
        Arc::clone(&c.entry.breaker),
    )
}

#[napi]
impl JsRouter {
    #[napi(constructor)]
    pub fn new(
        registry: &JsShardedRegistry,
        buckets: &JsTokenBuckets,
        admission: &JsAdmissionControl,
        breaker: &JsCircuitBreaker,
    ) -> Result<Self> {
        guard(|| {
            Ok(Self {
                inner: Arc::new(build(registry, buckets, admission, breaker)?),
            })
        })
    }

    /// The named router over these parts (which should themselves be named instances when
    /// several workers share it).
    #[napi(factory)]
    pub fn open(
        name: String,
        registry: &JsShardedRegistry,
        buckets: &JsTokenBuckets,
        admission: &JsAdmissionControl,
        breaker: &JsCircuitBreaker,
    ) -> Result<Self> {
        guard(|| {
            let p = parts(registry, buckets, admission, breaker);
            Ok(Self {
                inner: NAMED.open(&name, p, |_| build(registry, buckets, admission, breaker))?,
            })
        })
    }

    #[napi]
    pub fn forget(name: String) -> bool {
        NAMED.remove(&name)
    }

    /// 0 OK, 1 RATE_LIMITED, 2 SHARD_OVERLOADED, 3 GLOBAL_OVERLOADED, 4 CIRCUIT_OPEN,
    /// 5 UNKNOWN_HANDLE.
    #[napi]
    pub fn admit(&self, handle: u32) -> Result<u32> {
        guard_ok(|| self.inner.admit(handle) as u32)
    }

    #[napi]
    pub fn admit_many(&self, handles: &[u32]) -> Result<Uint8Array> {
        guard_ok(|| {
            let mut out = Vec::new();
            self.inner.admit_many(handles, &mut out);
            Uint8Array::new(out)
        })
    }

    /// Ends an admitted message; `latencyUs` negative when unknown.
    #[napi]
    pub fn complete(&self, handle: u32, success: bool, latency_us: f64) -> Result<()> {
        guard(|| {
            let h = check_handle(handle as u64)?;
            self.inner.complete(h, success, latency(latency_us))
        })
    }

    #[napi]
    pub fn complete_on_shard(&self, shard: u32, success: bool, latency_us: f64) -> Result<()> {
        guard(|| {
            self.inner
                .complete_on_shard(shard, success, latency(latency_us))
        })
    }

    #[napi]
    pub fn stats(&self) -> Result<JsRouterStats> {
        guard_ok(|| {
            let s = self.inner.stats();
            JsRouterStats {
                verdicts: s.verdicts.iter().map(|&v| v as f64).collect(),
                completed_ok: s.completed_ok as f64,
                completed_failed: s.completed_failed as f64,
            }
        })
    }
}

fn latency(us: f64) -> Option<u64> {
    (us >= 0.0 && us.is_finite()).then_some(us as u64)
}
