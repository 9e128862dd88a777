/**
 * erlmcp public API. Explicit named exports only: what is not listed here is internal.
 */
export type { AdmissionOptions, AdmissionStats, AdmitResult } from './core/admission.js';
export { AdmissionControl } from './core/admission.js';
export type { BreakerOptions, BreakerState, BreakerStats, StateChange, TripPolicy } from './core/breaker.js';
export { CircuitBreaker } from './core/breaker.js';
export type { BucketOptions, BucketsStats } from './core/bucket.js';
export { TokenBucket, TokenBuckets } from './core/bucket.js';
export type { ErrorCode } from './core/errors.js';
export { ErlmcpError, hasErrorCode, MAX_HANDLE } from './core/errors.js';
export type { HistogramOptions, HistogramSnapshot } from './core/histogram.js';
export { LatencyHistogram } from './core/histogram.js';
export type { RegistryOptions, RegistryStats } from './core/registry.js';
export { ShardedRegistry } from './core/registry.js';
export type { PushResult, RingOptions, RingStats } from './core/ring.js';
export { DrainedFrames, RingQueue } from './core/ring.js';
export type { AdmitCodeName, RouterParts, RouterStats } from './core/router.js';
export { AdmitCode, admitCodeName, Router } from './core/router.js';
