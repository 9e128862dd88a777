//! The open-file limit (`RLIMIT_NOFILE`), which Node cannot read or raise by itself.

use erlmcp_core::fd_limit::{self, FdLimits};
use napi_derive::napi;

/// Soft and hard open-file limits; `Infinity` when unlimited.
#[napi(object)]
pub struct JsFdLimits {
    pub soft: f64,
    pub hard: f64,
}

fn js(l: FdLimits) -> JsFdLimits {
    let n = |v: u64| {
        if v == u64::MAX {
            f64::INFINITY
        } else {
            v as f64
        }
    };
    JsFdLimits {
        soft: n(l.soft),
        hard: n(l.hard),
    }
}

/// The current limits, or null where the platform has none.
#[napi]
pub fn fd_limits() -> Option<JsFdLimits> {
    fd_limit::fd_limits().map(js)
}

/// Raises the soft limit toward `wanted` (up to the hard limit; never lowers it) and returns
/// the limits now in force, or null where unsupported.
#[napi]
pub fn raise_fd_limit(wanted: f64) -> Option<JsFdLimits> {
    let w = if wanted.is_finite() && wanted > 0.0 {
        wanted as u64
    } else {
        u64::MAX
    };
    fd_limit::raise_fd_limit(w).map(js)
}
