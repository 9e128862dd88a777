//! Per-message calls as free functions over slot ids (see `slots.rs` for why). Arguments are
//! numbers, strings and typed arrays only; results are numbers or typed arrays.

use erlmcp_core::error::check_handle;
use napi::bindgen_prelude::{
    Buffer, Int32ArraySlice, Uint32Array, Uint32ArraySlice, Uint8Array, Uint8ArraySlice,
};
use napi_derive::napi;

use crate::admission::ADMISSIONS;
use crate::breaker::BREAKERS;
use crate::bucket::BUCKETS;
use crate::error::{guard, Result};
use crate::histogram::HISTOGRAMS;
use crate::key::Key;
use crate::op_timings::OP_TIMINGS;
use crate::registry::REGISTRIES;
use crate::ring::{JsDrained, RINGS};
use crate::router::ROUTERS;

fn latency(us: f64) -> Option<u64> {
    (us >= 0.0 && us.is_finite()).then_some(us as u64)
}

/// Handle of `key`, or -1.
#[napi(ts_args_type = "id: number, key: string")]
pub fn registry_lookup(id: u32, key: Key) -> Result<i32> {
    guard(|| REGISTRIES.with(id, |r| Ok(r.lookup(key.as_str()).map_or(-1, |h| h as i32))))
}

/// Writes the handle of each NUL-separated UTF-8 key of `joined` into `out` (-1 where
/// missing) and returns how many keys there were; only the first `out.length` are written.
/// Bytes in, caller's array out: N-API's conversion of a large fresh string, and an external
/// ArrayBuffer created per call, each cost more than the lookups themselves.
#[napi]
pub fn registry_lookup_joined(id: u32, joined: &[u8], mut out: Int32ArraySlice) -> Result<u32> {
    // SAFETY: we run on the isolate's thread, which owns `out` for the duration of the call;
    // only a SharedArrayBuffer-backed array could change under us, and then only to other
    // i32 values, which is harmless here.
    let out = unsafe { out.as_mut() };
    guard(|| REGISTRIES.with(id, |r| Ok(r.lookup_many_into(joined, 0, out))))
}

/// Tokens left after taking `n` from `handle`, or the negative shortfall.
#[napi]
pub fn buckets_consume(id: u32, handle: u32, n: u32) -> Result<i64> {
    guard(|| BUCKETS.with(id, |b| Ok(b.consume(check_handle(u64::from(handle))?, n))))
}

/// 0 ok, 1 shard overloaded, 2 global overloaded.
#[napi]
pub fn admission_admit(id: u32, shard: u32) -> Result<u32> {
    guard(|| ADMISSIONS.with(id, |a| Ok(a.admit(shard)? as u32)))
}

#[napi]
pub fn admission_release(id: u32, shard: u32, n: u32) -> Result<()> {
    guard(|| ADMISSIONS.with(id, |a| a.release(shard, n)))
}

#[napi]
pub fn breaker_allow(id: u32) -> Result<bool> {
    guard(|| BREAKERS.with(id, |b| Ok(b.breaker.allow())))
}

/// `latencyUs` negative when unknown.
#[napi]
pub fn breaker_record_success(id: u32, latency_us: f64) -> Result<()> {
    guard(|| {
        BREAKERS.with(id, |b| {
            b.breaker.record_success(latency(latency_us));
            Ok(())
        })
    })
}

#[napi]
pub fn breaker_record_failure(id: u32) -> Result<()> {
    guard(|| {
        BREAKERS.with(id, |b| {
            b.breaker.record_failure();
            Ok(())
        })
    })
}

/// 0 ok, 1 warn, 2 rejected.
#[napi]
pub fn ring_push(id: u32, frame: &[u8]) -> Result<u32> {
    guard(|| RINGS.with(id, |q| Ok(q.push(frame)? as u32)))
}

/// Pushes `data[ends[i-1]..ends[i]]` in order until a rejection; `accepted * 4 + lastOutcome`.
#[napi]
pub fn ring_push_many(id: u32, data: &[u8], ends: &[u32]) -> Result<f64> {
    guard(|| {
        RINGS.with(id, |q| {
            let (accepted, last) = q.push_many(data, ends)?;
            Ok(f64::from(accepted) * 4.0 + f64::from(last as u32))
        })
    })
}

#[napi]
pub fn ring_pop(id: u32) -> Result<Option<Buffer>> {
    guard(|| RINGS.with(id, |q| Ok(q.pop().map(|f| Buffer::from(f.into_vec())))))
}

/// Up to `max` frames in one call.
#[napi]
pub fn ring_drain(id: u32, max: u32) -> Result<JsDrained> {
    guard(|| {
        RINGS.with(id, |q| {
            let (mut data, mut ends) = (Vec::new(), Vec::new());
            q.drain_into(max, &mut data, &mut ends);
            Ok(JsDrained {
                data: Buffer::from(data),
                ends: Uint32Array::new(ends),
            })
        })
    })
}

/// Up to `max` frames into the caller's `data` (back to back) and `ends` (each frame's end
/// offset); returns the count. No allocation per call: a consumer that drains often (once per
/// I/O callback) would otherwise create two external ArrayBuffers each time, and those cost
/// more than the drain itself.
#[napi]
pub fn ring_drain_to(
    id: u32,
    max: u32,
    mut data: Uint8ArraySlice,
    mut ends: Uint32ArraySlice,
) -> Result<u32> {
    // SAFETY: we run on the isolate's thread, which owns both arrays for the duration of the
    // call; only SharedArrayBuffer-backed arrays could change under us, and then only to other
    // byte values, which the caller reads after we return.
    let (data, ends) = unsafe { (data.as_mut(), ends.as_mut()) };
    guard(|| RINGS.with(id, |q| q.drain_to(max, data, ends)))
}

#[napi]
pub fn histogram_record(id: u32, us: f64) -> Result<()> {
    guard(|| {
        let v = crate::error::to_count("value", us.round())?;
        HISTOGRAMS.with(id, |h| {
            h.record(v);
            Ok(())
        })
    })
}

/// 0 OK, 1 RATE_LIMITED, 2 SHARD_OVERLOADED, 3 GLOBAL_OVERLOADED, 4 CIRCUIT_OPEN,
/// 5 UNKNOWN_HANDLE.
#[napi]
pub fn router_admit(id: u32, handle: u32) -> Result<u32> {
    guard(|| ROUTERS.with(id, |r| Ok(r.admit(handle) as u32)))
}

/// A shard manager's submit in one crossing: `router_admit` for `handle`, then, when admitted,
/// the frame `handle, seq` (u32 little-endian each, see src/shards/frame.ts) pushed to ring
/// `ring`. Answers the AdmitCode, or 6 (QUEUE_FULL) when the ring refused the frame (its
/// admission slot is then given back).
#[napi]
pub fn router_admit_enqueue(id: u32, ring: u32, handle: u32, seq: u32) -> Result<u32> {
    let mut frame = [0u8; 8];
    frame[..4].copy_from_slice(&handle.to_le_bytes());
    frame[4..].copy_from_slice(&seq.to_le_bytes());
    guard(|| {
        ROUTERS.with(id, |r| {
            RINGS.with(ring, |q| r.admit_enqueue(handle, q, &frame))
        })
    })
}

#[napi]
pub fn router_admit_many(id: u32, handles: &[u32]) -> Result<Uint8Array> {
    guard(|| {
        ROUTERS.with(id, |r| {
            let mut out = Vec::with_capacity(handles.len());
            r.admit_many(handles, &mut out);
            Ok(Uint8Array::new(out))
        })
    })
}

/// Ends an admitted message; `latencyUs` negative when unknown.
#[napi]
pub fn router_complete(id: u32, handle: u32, success: bool, latency_us: f64) -> Result<()> {
    guard(|| {
        let h = check_handle(u64::from(handle))?;
        ROUTERS.with(id, |r| r.complete(h, success, latency(latency_us)))
    })
}

#[napi]
pub fn router_complete_on_shard(id: u32, shard: u32, success: bool, latency_us: f64) -> Result<()> {
    guard(|| {
        ROUTERS.with(id, |r| {
            r.complete_on_shard(shard, success, latency(latency_us))
        })
    })
}

/// Ends an admitted message like `router_complete_on_shard` (`success` is what the breaker
/// sees) and records its duration under operation `op` of the `OpTimings` table `timings`
/// (`op_ok`: answered without a JSON-RPC error), in the same N-API crossing.
#[napi]
pub fn router_complete_timed(
    id: u32,
    shard: u32,
    success: bool,
    latency_us: f64,
    timings: u32,
    op: u32,
    op_ok: bool,
) -> Result<()> {
    guard(|| {
        let us = latency(latency_us);
        ROUTERS.with(id, |r| r.complete_on_shard(shard, success, us))?;
        OP_TIMINGS.with(timings, |t| {
            t.record(op as usize, op_ok, us.unwrap_or(0));
            Ok(())
        })
    })
}
