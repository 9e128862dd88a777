//! Node bindings of erlmcp-core (napi-rs). This crate only converts arguments and maps errors
//! (see `error.rs`); every rule and invariant lives in erlmcp-core.

// napi-rs registers exported functions through module constructors that are not compiled
// into `cargo test` builds, so they look unused there.
#![cfg_attr(test, allow(dead_code))]

mod admission;
mod breaker;
mod bucket;
mod error;
mod fast;
mod fd_limit;
mod histogram;
mod key;
mod listen_socket;
mod op_timings;
mod options;
mod registry;
mod ring;
mod router;
mod slots;

use napi_derive::napi;

/// Panics on purpose so tests can prove a Rust panic reaches JS as an `ERR_PANIC` error
/// instead of aborting the process. Not part of the public TS API.
#[napi(js_name = "__panicForTest")]
pub fn panic_for_test() -> error::Result<()> {
    error::guard(|| -> erlmcp_core::CoreResult<()> { panic!("deliberate test panic") })
}

/// Does nothing but cross N-API (u32 in, u32 out): the benchmarks measure the per-call floor
/// with it. Not part of the public TS API.
#[napi(js_name = "__noopForBench")]
pub fn noop_for_bench(x: u32) -> u32 {
    x
}
