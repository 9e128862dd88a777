//! `RingQueue`: bounded MPMC queue of byte frames; batch calls move many frames per crossing.

use std::sync::{Arc, LazyLock};

use erlmcp_core::named::NamedTable;
use erlmcp_core::ring::{RingOptions, RingQueue};
use napi::bindgen_prelude::{Buffer, Uint32Array};
use napi_derive::napi;

use crate::error::{guard, guard_ok, Result};
use crate::options::{f64_opt, u32_opt};
use crate::slots::{Held, Slots};

static NAMED: LazyLock<NamedTable<RingQueue, RingOptions>> = LazyLock::new(NamedTable::new);

/// Options of a ring queue.
#[napi(object)]
pub struct JsRingOptions {
    /// Maximum frames held. Default 10000, at most 16777216.
    pub capacity: Option<f64>,
    /// Fill ratio from which pushes answer 'warn'. Default 0.75.
    pub warn_at: Option<f64>,
    /// Fill ratio from which pushes are rejected. Default 0.95.
    pub reject_at: Option<f64>,
}

fn options(o: Option<JsRingOptions>) -> erlmcp_core::CoreResult<RingOptions> {
    let d = RingOptions::default();
    let o = o.unwrap_or(JsRingOptions {
        capacity: None,
        warn_at: None,
        reject_at: None,
    });
    let opts = RingOptions {
        capacity: u32_opt("capacity", o.capacity, d.capacity, 1, 1 << 24)?,
        warn_at: f64_opt("warnAt", o.warn_at, d.warn_at)?,
        reject_at: f64_opt("rejectAt", o.reject_at, d.reject_at)?,
    };
    opts.validate()?;
    Ok(opts)
}

/// Counters of a ring queue.
#[napi(object)]
pub struct JsRingStats {
    pub pushed: f64,
    pub popped: f64,
    pub rejected: f64,
    pub warned: f64,
    pub high_water: u32,
    pub depth: u32,
    pub capacity: u32,
}

/// Frames drained in one call: `data` holds them back to back, frame i ends at `ends[i]`.
#[napi(object)]
pub struct JsDrained {
    pub data: Buffer,
    pub ends: Uint32Array,
}

/// Native ring queue.
#[napi(js_name = "RingQueue")]
pub struct JsRingQueue {
    /// The instance, and its slot for the hot-path free functions (`fast.rs`).
    pub(crate) inner: Held<RingQueue>,
}

/// Every live instance, by id.
pub(crate) static RINGS: Slots<RingQueue> = Slots::new();

impl JsRingQueue {
    fn holding(item: Arc<RingQueue>) -> Self {
        Self {
            inner: RINGS.hold(item),
        }
    }
}

#[napi]
impl JsRingQueue {
    /// Slot id for the hot-path functions.
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.inner.id
    }

    #[napi(constructor)]
    pub fn new(options_: Option<JsRingOptions>) -> Result<Self> {
        guard(|| Ok(Self::holding(Arc::new(RingQueue::new(options(options_)?)?))))
    }

    #[napi(factory)]
    pub fn open(name: String, options_: Option<JsRingOptions>) -> Result<Self> {
        guard(|| {
            let opts = options(options_)?;
            Ok(Self::holding(
                NAMED.open(&name, opts, |o| RingQueue::new(*o))?,
            ))
        })
    }

    #[napi]
    pub fn forget(name: String) -> bool {
        NAMED.remove(&name)
    }

    #[napi(getter)]
    pub fn depth(&self) -> Result<u32> {
        guard_ok(|| self.inner.depth())
    }

    #[napi(getter)]
    pub fn capacity(&self) -> Result<u32> {
        guard_ok(|| self.inner.capacity())
    }

    #[napi]
    pub fn stats(&self) -> Result<JsRingStats> {
        guard_ok(|| {
            let s = self.inner.stats();
            JsRingStats {
                pushed: s.pushed as f64,
                popped: s.popped as f64,
                rejected: s.rejected as f64,
                warned: s.warned as f64,
                high_water: s.high_water,
                depth: s.depth,
                capacity: s.capacity,
            }
        })
    }

    /// Drops every queued frame; returns how many.
    #[napi]
    pub fn clear(&self) -> Result<u32> {
        guard_ok(|| self.inner.clear())
    }
}
