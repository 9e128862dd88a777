//! `Router`: the one native call per inbound message.

use std::sync::{Arc, LazyLock};

use erlmcp_core::named::NamedTable;
use erlmcp_core::router::Router;
use napi_derive::napi;

use crate::admission::JsAdmissionControl;
use crate::breaker::JsCircuitBreaker;
use crate::bucket::JsTokenBuckets;
use crate::error::{guard, guard_ok, Result};
use crate::registry::JsShardedRegistry;
use crate::slots::{Held, Slots};

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
    /// The instance, and its slot for the hot-path free functions (`fast.rs`).
    pub(crate) inner: Held<Router>,
}

/// Every live instance, by id.
pub(crate) static ROUTERS: Slots<Router> = Slots::new();

impl JsRouter {
    fn holding(item: Arc<Router>) -> Self {
        Self {
            inner: ROUTERS.hold(item),
        }
    }
}

fn parts(
    r: &JsShardedRegistry,
    b: &JsTokenBuckets,
    a: &JsAdmissionControl,
    c: &JsCircuitBreaker,
) -> Parts {
    Parts([
        Arc::as_ptr(&r.inner.item) as usize,
        Arc::as_ptr(&b.inner.item) as usize,
        Arc::as_ptr(&a.inner.item) as usize,
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
        Arc::clone(&r.inner.item),
        Arc::clone(&b.inner.item),
        Arc::clone(&a.inner.item),
        Arc::clone(&c.entry.breaker),
    )
}

#[napi]
impl JsRouter {
    /// Slot id for the hot-path functions.
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.inner.id
    }

    #[napi(constructor)]
    pub fn new(
        registry: &JsShardedRegistry,
        buckets: &JsTokenBuckets,
        admission: &JsAdmissionControl,
        breaker: &JsCircuitBreaker,
    ) -> Result<Self> {
        guard(|| {
            Ok(Self::holding(Arc::new(build(
                registry, buckets, admission, breaker,
            )?)))
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
            Ok(Self::holding(NAMED.open(&name, p, |_| {
                build(registry, buckets, admission, breaker)
            })?))
        })
    }

    #[napi]
    pub fn forget(name: String) -> bool {
        NAMED.remove(&name)
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
