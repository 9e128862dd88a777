//! `OpTimings`: per-operation duration histograms with fixed bounds (Prometheus export).

use std::sync::{Arc, LazyLock};

use erlmcp_core::named::NamedTable;
use erlmcp_core::op_timings::{OpTimings, OpTimingsOptions};
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

/// The process-wide tables of `OpTimings.open(name, ...)`.
static NAMED: LazyLock<NamedTable<OpTimings, OpTimingsOptions>> = LazyLock::new(NamedTable::new);

fn options(ops: u32, bounds_us: &[f64]) -> erlmcp_core::CoreResult<OpTimingsOptions> {
    let bounds_us = bounds_us
        .iter()
        .map(|&b| to_count("boundsUs[]", b))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(OpTimingsOptions {
        ops: ops as usize,
        bounds_us,
    })
}

impl JsOpTimings {
    fn holding(item: Arc<OpTimings>) -> Self {
        Self {
            inner: OP_TIMINGS.hold(item),
        }
    }
}

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
            let t = OpTimings::with_options(&options(ops, &bounds_us)?)?;
            Ok(Self::holding(Arc::new(t)))
        })
    }

    /// The process-wide table named `name` (shared by every worker_thread), created with this
    /// shape if absent; `ERR_OPTIONS_MISMATCH` if it exists with another.
    #[napi(factory)]
    pub fn open(name: String, ops: u32, bounds_us: Vec<f64>) -> Result<Self> {
        guard(|| {
            let shape = options(ops, &bounds_us)?;
            Ok(Self::holding(NAMED.open(
                &name,
                shape,
                OpTimings::with_options,
            )?))
        })
    }

    /// Forgets the table named `name`; instances already open keep it. Whether it existed.
    #[napi]
    pub fn forget(name: String) -> bool {
        NAMED.remove(&name)
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
