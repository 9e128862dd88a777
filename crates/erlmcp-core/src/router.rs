//! The fast path: one call decides whether an inbound message may proceed, checking the
//! sender's token bucket, its shard's admission depth and the global circuit breaker.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crossbeam_utils::CachePadded;

use crate::admission::{AdmissionControl, Admit};
use crate::breaker::CircuitBreaker;
use crate::bucket::TokenBuckets;
use crate::error::{CoreError, CoreResult};
use crate::registry::ShardedRegistry;
use crate::ring::{PushOutcome, RingQueue};

/// The verdict of [`Router::admit`]. The numeric values are part of the JS API.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdmitCode {
    /// Admitted: the caller must call [`Router::complete`] when the message is done.
    Ok = 0,
    /// The handle's token bucket is empty.
    RateLimited = 1,
    /// The handle's shard has `max_per_shard` messages in flight.
    ShardOverloaded = 2,
    /// `max_global` messages are in flight over all shards.
    GlobalOverloaded = 3,
    /// The global breaker is open (or half open with all trial slots taken).
    CircuitOpen = 4,
    /// No key is registered with this handle, so it has no shard.
    UnknownHandle = 5,
}

/// Number of distinct [`AdmitCode`] values.
pub const ADMIT_CODES: usize = 6;

/// What [`Router::admit_enqueue`] answers when admitted but the queue was at its reject mark.
pub const QUEUE_FULL: u32 = ADMIT_CODES as u32;

/// Counters of a router, one per [`AdmitCode`], plus completions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterStats {
    /// Verdicts given, indexed by `AdmitCode as usize`.
    pub verdicts: [u64; ADMIT_CODES],
    /// `complete` calls with success.
    pub completed_ok: u64,
    /// `complete` calls with failure.
    pub completed_failed: u64,
}

/// Composes the four primitives into the one check made per inbound message.
///
/// Order of checks, and why: the bucket first, because a rate-limited sender must not take
/// an admission slot or a half-open trial from others; then the shard's admission; the breaker
/// last, because in half-open state `allow` hands out one of a few trial permits that should go
/// only to a message that will really run. A later rejection undoes the earlier steps (token
/// refunded, admission released), so a rejected message has no lasting effect but the counters.
pub struct Router {
    registry: Arc<ShardedRegistry>,
    buckets: Arc<TokenBuckets>,
    admission: Arc<AdmissionControl>,
    breaker: Arc<CircuitBreaker>,
    verdicts: [CachePadded<AtomicU64>; ADMIT_CODES],
    completed_ok: CachePadded<AtomicU64>,
    completed_failed: CachePadded<AtomicU64>,
}

impl Router {
    /// A router over the given parts. The registry and admission control must have the same
    /// shard count, since a handle's registry shard indexes its admission slot.
    pub fn new(
        registry: Arc<ShardedRegistry>,
        buckets: Arc<TokenBuckets>,
        admission: Arc<AdmissionControl>,
        breaker: Arc<CircuitBreaker>,
    ) -> CoreResult<Self> {
        let (rs, as_) = (registry.shard_count(), admission.stats().shards);
        if rs != as_ {
            return Err(CoreError::invalid(format!(
                "registry has {rs} shards but admission control has {as_}: they must match"
            )));
        }
        Ok(Self {
            registry,
            buckets,
            admission,
            breaker,
            verdicts: Default::default(),
            completed_ok: Default::default(),
            completed_failed: Default::default(),
        })
    }

    /// Decides whether one message from `handle` may proceed. On [`AdmitCode::Ok`] one
    /// admission slot and (when half open) one breaker trial are held until [`Router::complete`].
    pub fn admit(&self, handle: u32) -> AdmitCode {
        let code = self.decide(handle);
        self.verdicts[code as usize].fetch_add(1, Ordering::Relaxed);
        code
    }

    /// [`Router::admit`], then, when admitted, `frame` pushed to `queue`: a shard manager's
    /// submit in one call. Answers an [`AdmitCode`] as `u32`, or [`QUEUE_FULL`] when the queue
    /// refused the frame; that message is then completed at once (its admission slot given
    /// back, as a success without latency), so a refusal holds nothing.
    pub fn admit_enqueue(&self, handle: u32, queue: &RingQueue, frame: &[u8]) -> CoreResult<u32> {
        let code = self.admit(handle);
        if code != AdmitCode::Ok {
            return Ok(code as u32);
        }
        let pushed = queue.push(frame);
        if matches!(pushed, Ok(PushOutcome::Ok | PushOutcome::Warn)) {
            return Ok(AdmitCode::Ok as u32);
        }
        // Admitted a moment ago, so the handle has its shard unless unregistered meanwhile.
        if let Some(shard) = self.registry.shard_of_handle(handle) {
            self.complete_on_shard(shard, true, None)?;
        }
        pushed.map(|_| QUEUE_FULL)
    }

    fn decide(&self, handle: u32) -> AdmitCode {
        let Some(shard) = self.registry.shard_of_handle(handle) else {
            return AdmitCode::UnknownHandle;
        };
        if self.buckets.consume(handle, 1) < 0 {
            return AdmitCode::RateLimited;
        }
        let admitted = match self.admission.admit(shard) {
            Ok(Admit::Ok) => None,
            Ok(Admit::ShardOverloaded) => Some(AdmitCode::ShardOverloaded),
            Ok(Admit::GlobalOverloaded) => Some(AdmitCode::GlobalOverloaded),
            // Unreachable by construction (shard counts match); answer as overloaded rather
            // than panic.
            Err(_) => Some(AdmitCode::ShardOverloaded),
        };
        if let Some(rejected) = admitted {
            self.buckets.refund(handle, 1);
            return rejected;
        }
        if !self.breaker.allow() {
            // Cannot underflow: the slot was taken just above.
            let _ = self.admission.release(shard, 1);
            self.buckets.refund(handle, 1);
            return AdmitCode::CircuitOpen;
        }
        AdmitCode::Ok
    }

    /// Runs [`Router::admit`] for each handle, writing one code per handle into `out`.
    pub fn admit_many(&self, handles: &[u32], out: &mut Vec<u8>) {
        out.reserve(handles.len());
        out.extend(handles.iter().map(|&h| self.admit(h) as u8));
    }

    /// Ends a message admitted for `handle`: releases its admission slot and reports the
    /// outcome to the breaker. Fails with `ERR_INVALID_ARG` (nothing released) when the
    /// handle no longer has a shard (unregistered while the message was in flight); use
    /// [`Router::complete_on_shard`] when the caller kept the shard.
    pub fn complete(&self, handle: u32, success: bool, latency_us: Option<u64>) -> CoreResult<()> {
        let shard = self.registry.shard_of_handle(handle).ok_or_else(|| {
            CoreError::invalid(format!(
                "handle {handle} is not registered: complete a message before unregistering its key, or use completeOnShard"
            ))
        })?;
        self.complete_on_shard(shard, success, latency_us)
    }

    /// Ends a message admitted on `shard` (see [`Router::complete`]).
    pub fn complete_on_shard(
        &self,
        shard: u32,
        success: bool,
        latency_us: Option<u64>,
    ) -> CoreResult<()> {
        self.admission.release(shard, 1)?;
        if success {
            self.breaker.record_success(latency_us);
            self.completed_ok.fetch_add(1, Ordering::Relaxed);
        } else {
            self.breaker.record_failure();
            self.completed_failed.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Counters since creation.
    pub fn stats(&self) -> RouterStats {
        let mut verdicts = [0; ADMIT_CODES];
        for (v, c) in verdicts.iter_mut().zip(self.verdicts.iter()) {
            *v = c.load(Ordering::Relaxed);
        }
        RouterStats {
            verdicts,
            completed_ok: self.completed_ok.load(Ordering::Relaxed),
            completed_failed: self.completed_failed.load(Ordering::Relaxed),
        }
    }

    /// The registry this router reads shards from.
    pub fn registry(&self) -> &Arc<ShardedRegistry> {
        &self.registry
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::AdmissionOptions;
    use crate::breaker::BreakerOptions;
    use crate::bucket::BucketOptions;
    use crate::registry::RegistryOptions;

    fn router(
        capacity: u32,
        max_per_shard: u32,
        max_global: u64,
    ) -> (Router, Arc<AdmissionControl>, Arc<TokenBuckets>) {
        let registry = Arc::new(ShardedRegistry::new(RegistryOptions { shards: 4 }).unwrap());
        registry.register("a", 1).unwrap();
        registry.register("b", 2).unwrap();
        let buckets = Arc::new(
            TokenBuckets::new(BucketOptions {
                capacity,
                refill_per_sec: 1,
            })
            .unwrap(),
        );
        let admission = Arc::new(
            AdmissionControl::new(AdmissionOptions {
                shards: 4,
                max_per_shard,
                max_global,
            })
            .unwrap(),
        );
        let breaker = Arc::new(
            CircuitBreaker::new(BreakerOptions {
                open_ms: 60_000,
                ..BreakerOptions::default()
            })
            .unwrap(),
        );
        let r = Router::new(
            registry,
            Arc::clone(&buckets),
            Arc::clone(&admission),
            breaker,
        )
        .unwrap();
        (r, admission, buckets)
    }

    #[test]
    fn verdicts_in_order_of_checks() {
        let (r, admission, buckets) = router(2, 100, 100);
        assert_eq!(r.admit(1), AdmitCode::Ok);
        assert_eq!(r.admit(1), AdmitCode::Ok);
        assert_eq!(r.admit(1), AdmitCode::RateLimited);
        assert_eq!(r.admit(9), AdmitCode::UnknownHandle);
        assert_eq!(admission.global_depth(), 2);
        r.complete(1, true, Some(3)).unwrap();
        r.complete(1, true, None).unwrap();
        assert_eq!(admission.global_depth(), 0);
        assert_eq!(buckets.consume(2, 0), 2);
        let s = r.stats();
        assert_eq!(s.verdicts, [2, 1, 0, 0, 0, 1]);
        assert_eq!(s.completed_ok, 2);
    }

    #[test]
    fn admit_enqueue_pushes_admitted_frames_and_gives_back_refused_ones() {
        use crate::ring::RingOptions;
        let (r, admission, _) = router(3, 100, 100);
        let q = RingQueue::new(RingOptions {
            capacity: 1,
            warn_at: 1.0,
            reject_at: 1.0,
        })
        .unwrap();
        assert_eq!(r.admit_enqueue(1, &q, b"f1").unwrap(), AdmitCode::Ok as u32);
        assert_eq!((q.depth(), admission.global_depth()), (1, 1));
        // Admitted, but the queue is full: the slot is given back at once.
        assert_eq!(r.admit_enqueue(1, &q, b"f2").unwrap(), QUEUE_FULL);
        assert_eq!((q.depth(), admission.global_depth()), (1, 1));
        assert_eq!(r.stats().completed_ok, 1);
        // The third token, refused by the queue again; then refused by the router: nothing pushed.
        assert_eq!(r.admit_enqueue(1, &q, b"f3").unwrap(), QUEUE_FULL);
        assert_eq!(
            r.admit_enqueue(1, &q, b"f4").unwrap(),
            AdmitCode::RateLimited as u32
        );
        assert_eq!(
            r.admit_enqueue(9, &q, b"f5").unwrap(),
            AdmitCode::UnknownHandle as u32
        );
        assert_eq!(&*q.pop().unwrap(), b"f1");
        assert_eq!((q.depth(), admission.global_depth()), (0, 1));
    }

    #[test]
    fn overload_refunds_the_token() {
        let (r, _, buckets) = router(10, 1, 100);
        assert_eq!(r.admit(1), AdmitCode::Ok);
        assert_eq!(r.admit(1), AdmitCode::ShardOverloaded);
        assert_eq!(buckets.consume(1, 0), 9);
        let (r, _, buckets) = router(10, 100, 1);
        assert_eq!(r.admit(1), AdmitCode::Ok);
        assert_eq!(r.admit(2), AdmitCode::GlobalOverloaded);
        assert_eq!(buckets.consume(2, 0), 10);
    }

    #[test]
    fn open_breaker_holds_nothing() {
        let (r, admission, buckets) = router(10, 100, 100);
        for _ in 0..5 {
            assert_eq!(r.admit(1), AdmitCode::Ok);
            r.complete(1, false, None).unwrap();
        }
        assert_eq!(r.admit(1), AdmitCode::CircuitOpen);
        assert_eq!(admission.global_depth(), 0);
        assert_eq!(buckets.consume(1, 0), 5);
        assert_eq!(r.stats().completed_failed, 5);
    }

    #[test]
    fn complete_errors_leave_state_unchanged() {
        let (r, admission, _) = router(10, 100, 100);
        assert_eq!(
            r.complete(42, true, None).unwrap_err().code(),
            "ERR_INVALID_ARG"
        );
        assert_eq!(
            r.complete(1, true, None).unwrap_err().code(),
            "ERR_RELEASE_UNDERFLOW"
        );
        assert_eq!(
            r.complete_on_shard(7, true, None).unwrap_err().code(),
            "ERR_INVALID_SHARD"
        );
        assert_eq!(admission.global_depth(), 0);
    }

    #[test]
    fn shard_counts_must_match() {
        let registry = Arc::new(ShardedRegistry::new(RegistryOptions { shards: 8 }).unwrap());
        let buckets = Arc::new(TokenBuckets::new(BucketOptions::default()).unwrap());
        let admission = Arc::new(
            AdmissionControl::new(AdmissionOptions {
                shards: 4,
                ..Default::default()
            })
            .unwrap(),
        );
        let breaker = Arc::new(CircuitBreaker::new(BreakerOptions::default()).unwrap());
        let err = Router::new(registry, buckets, admission, breaker)
            .err()
            .unwrap();
        assert_eq!(err.code(), "ERR_INVALID_ARG");
    }
}
