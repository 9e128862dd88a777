//! `AdmissionControl`: per-shard and global in-flight depth limits.

use std::sync::{Arc, LazyLock};

use erlmcp_core::admission::{AdmissionControl, AdmissionOptions};
use erlmcp_core::named::NamedTable;
use napi_derive::napi;

use crate::error::{guard, guard_ok, Result};
use crate::options::{u32_opt, u64_opt};
use crate::slots::{Held, Slots};

static NAMED: LazyLock<NamedTable<AdmissionControl, AdmissionOptions>> =
    LazyLock::new(NamedTable::new);

/// Options of admission control.
#[napi(object)]
pub struct JsAdmissionOptions {
    /// Number of shards, 1..1024. Default 64.
    pub shards: Option<f64>,
    /// In-flight limit of one shard. Default 10000.
    pub max_per_shard: Option<f64>,
    /// In-flight limit over all shards. Default 500000.
    pub max_global: Option<f64>,
}

fn options(o: Option<JsAdmissionOptions>) -> erlmcp_core::CoreResult<AdmissionOptions> {
    let d = AdmissionOptions::default();
    let o = o.unwrap_or(JsAdmissionOptions {
        shards: None,
        max_per_shard: None,
        max_global: None,
    });
    let opts = AdmissionOptions {
        shards: u32_opt("shards", o.shards, d.shards, 1, 1024)?,
        max_per_shard: u32_opt("maxPerShard", o.max_per_shard, d.max_per_shard, 1, u32::MAX)?,
        max_global: u64_opt("maxGlobal", o.max_global, d.max_global, 1, 1 << 53)?,
    };
    opts.validate()?;
    Ok(opts)
}

/// Counters of admission control.
#[napi(object)]
pub struct JsAdmissionStats {
    pub shards: u32,
    pub global_depth: f64,
    pub max_per_shard: u32,
    pub max_global: f64,
    pub per_shard_depth: Vec<u32>,
    pub admitted: f64,
    pub shard_rejected: f64,
    pub global_rejected: f64,
}

/// Native admission control.
#[napi(js_name = "AdmissionControl")]
pub struct JsAdmissionControl {
    /// The instance, and its slot for the hot-path free functions (`fast.rs`).
    pub(crate) inner: Held<AdmissionControl>,
}

/// Every live instance, by id.
pub(crate) static ADMISSIONS: Slots<AdmissionControl> = Slots::new();

impl JsAdmissionControl {
    fn holding(item: Arc<AdmissionControl>) -> Self {
        Self {
            inner: ADMISSIONS.hold(item),
        }
    }
}

#[napi]
impl JsAdmissionControl {
    /// Slot id for the hot-path functions.
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.inner.id
    }

    #[napi(constructor)]
    pub fn new(options_: Option<JsAdmissionOptions>) -> Result<Self> {
        guard(|| {
            Ok(Self::holding(Arc::new(AdmissionControl::new(options(
                options_,
            )?)?)))
        })
    }

    #[napi(factory)]
    pub fn open(name: String, options_: Option<JsAdmissionOptions>) -> Result<Self> {
        guard(|| {
            let opts = options(options_)?;
            Ok(Self::holding(
                NAMED.open(&name, opts, |o| AdmissionControl::new(*o))?,
            ))
        })
    }

    #[napi]
    pub fn forget(name: String) -> bool {
        NAMED.remove(&name)
    }

    #[napi]
    pub fn depth(&self, shard: u32) -> Result<u32> {
        guard(|| self.inner.depth(shard))
    }

    #[napi(getter)]
    pub fn global_depth(&self) -> Result<f64> {
        guard_ok(|| self.inner.global_depth() as f64)
    }

    #[napi]
    pub fn stats(&self) -> Result<JsAdmissionStats> {
        guard_ok(|| {
            let s = self.inner.stats();
            JsAdmissionStats {
                shards: s.shards,
                global_depth: s.global_depth as f64,
                max_per_shard: s.max_per_shard,
                max_global: s.max_global as f64,
                per_shard_depth: s.per_shard_depth,
                admitted: s.admitted as f64,
                shard_rejected: s.shard_rejected as f64,
                global_rejected: s.global_rejected as f64,
            }
        })
    }
}
