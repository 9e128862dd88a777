//! `OpTimings`: per-operation duration histograms with fixed bounds (Prometheus export).

use std::sync::Arc;

use erlmcp_core::op_timings::OpTimings;
use napi::bindgen_prelude::Float64Array;
use napi_derive::napi;

use crate::error::{guard, guard_ok, to_count, Result};
use crate::slots::{Held, Slots};

/// Native per-operation duration counters.
#[napi(js_name = "OpTimings")]
pub struct JsOpTimings {
    /// The instance, and its slot for the hot-path free functions (`fast.rs`).
    pub(crate) inner: Held<OpTimings>,
}

/// Every live instance, by id.
pub(crate) static OP_TIMINGS: Slots<OpTimings> = Slots::new();

#[napi]
impl JsOpTimings {
    /// Slot id for the hot-path functions.
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.inner.id
    }

    /// `ops` operations; `boundsUs` strictly ascending bucket upper bounds in µs.
    #[napi(constructor)]
    pub fn new(ops: u32, bounds_us: Vec<f64>) -> Result<Self> {
        guard(|| {
            let bounds = bounds_us
                .iter()
                .map(|&b| to_count("boundsUs[]", b))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let t = OpTimings::new(ops as usize, &bounds)?;
            Ok(Self {
                inner: OP_TIMINGS.hold(Arc::new(t)),
            })
        })
    }

    /// Counts `[op][outcome][bucket]` (non-cumulative) followed by sums in µs `[op][outcome]`.
    #[napi]
    pub fn snapshot(&self) -> Result<Float64Array> {
        guard_ok(|| {
            let s = self.inner.snapshot();
            let all: Vec<f64> = s
                .counts
                .iter()
                .chain(s.sums_us.iter())
                .map(|&v| v as f64)
                .collect();
            Float64Array::new(all)
        })
    }
}
