//! `LatencyHistogram`: HdrHistogram of microseconds.

use std::sync::{Arc, LazyLock};

use erlmcp_core::histogram::{HistogramOptions, LatencyHistogram};
use erlmcp_core::named::NamedTable;
use napi::bindgen_prelude::Float64Array;
use napi_derive::napi;

use crate::error::{guard, guard_ok, Result};
use crate::options::{u32_opt, u64_opt};
use crate::slots::{Held, Slots};

static NAMED: LazyLock<NamedTable<LatencyHistogram, HistogramOptions>> =
    LazyLock::new(NamedTable::new);

/// Options of a histogram.
#[napi(object)]
pub struct JsHistogramOptions {
    /// Lowest discernible value in µs. Default 1.
    pub lowest_us: Option<f64>,
    /// Highest trackable value in µs; larger values are clamped. Default 3600000000 (1 h).
    pub highest_us: Option<f64>,
    /// Significant decimal digits, 1..5. Default 3.
    pub sigfig: Option<f64>,
}

fn options(o: Option<JsHistogramOptions>) -> erlmcp_core::CoreResult<HistogramOptions> {
    let d = HistogramOptions::default();
    let o = o.unwrap_or(JsHistogramOptions {
        lowest_us: None,
        highest_us: None,
        sigfig: None,
    });
    let opts = HistogramOptions {
        lowest_us: u64_opt("lowestUs", o.lowest_us, d.lowest_us, 1, 1 << 53)?,
        highest_us: u64_opt("highestUs", o.highest_us, d.highest_us, 2, 1 << 53)?,
        sigfig: u32_opt("sigfig", o.sigfig, d.sigfig as u32, 1, 5)? as u8,
    };
    opts.validate()?;
    Ok(opts)
}

/// Summary of a histogram.
#[napi(object)]
pub struct JsHistogramSnapshot {
    pub count: f64,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub stddev: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub p999: f64,
}

/// Native latency histogram.
#[napi(js_name = "LatencyHistogram")]
pub struct JsLatencyHistogram {
    /// The instance, and its slot for the hot-path free functions (`fast.rs`).
    pub(crate) inner: Held<LatencyHistogram>,
}

/// Every live instance, by id.
pub(crate) static HISTOGRAMS: Slots<LatencyHistogram> = Slots::new();

impl JsLatencyHistogram {
    fn holding(item: Arc<LatencyHistogram>) -> Self {
        Self {
            inner: HISTOGRAMS.hold(item),
        }
    }
}

#[napi]
impl JsLatencyHistogram {
    /// Slot id for the hot-path functions.
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.inner.id
    }

    #[napi(constructor)]
    pub fn new(options_: Option<JsHistogramOptions>) -> Result<Self> {
        guard(|| {
            Ok(Self::holding(Arc::new(LatencyHistogram::new(options(
                options_,
            )?)?)))
        })
    }

    #[napi(factory)]
    pub fn open(name: String, options_: Option<JsHistogramOptions>) -> Result<Self> {
        guard(|| {
            let opts = options(options_)?;
            Ok(Self::holding(
                NAMED.open(&name, opts, |o| LatencyHistogram::new(*o))?,
            ))
        })
    }

    #[napi]
    pub fn forget(name: String) -> bool {
        NAMED.remove(&name)
    }

    /// Records many values in one call.
    #[napi]
    pub fn record_many(&self, values: Float64Array) -> Result<()> {
        guard(|| {
            let mut ints = Vec::with_capacity(values.len());
            for v in values.iter() {
                ints.push(crate::error::to_count("value", v.round())?);
            }
            self.inner.record_many(&ints);
            Ok(())
        })
    }

    #[napi]
    pub fn percentile(&self, p: f64) -> Result<f64> {
        guard(|| Ok(self.inner.percentile(p)? as f64))
    }

    #[napi]
    pub fn percentiles(&self, ps: Vec<f64>) -> Result<Vec<f64>> {
        guard(|| {
            Ok(self
                .inner
                .percentiles(&ps)?
                .into_iter()
                .map(|v| v as f64)
                .collect())
        })
    }

    #[napi]
    pub fn merge(&self, other: &JsLatencyHistogram) -> Result<()> {
        guard(|| self.inner.merge(&other.inner))
    }

    #[napi]
    pub fn reset(&self) -> Result<()> {
        guard_ok(|| self.inner.reset())
    }

    #[napi]
    pub fn snapshot(&self) -> Result<JsHistogramSnapshot> {
        guard_ok(|| {
            let s = self.inner.snapshot();
            JsHistogramSnapshot {
                count: s.count as f64,
                min: s.min as f64,
                max: s.max as f64,
                mean: s.mean,
                stddev: s.stddev,
                p50: s.p50 as f64,
                p90: s.p90 as f64,
                p95: s.p95 as f64,
                p99: s.p99 as f64,
                p999: s.p999 as f64,
            }
        })
    }
}
