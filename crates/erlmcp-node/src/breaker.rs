//! `CircuitBreaker`: closed / open / half_open with three trip policies, and state-change
//! callbacks delivered to every subscribed JS thread.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock};

use erlmcp_core::breaker::{BreakerOptions, BreakerState, CircuitBreaker, TripPolicy};
use erlmcp_core::named::NamedTable;
use erlmcp_core::CoreError;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::Status;
use napi_derive::napi;
use parking_lot::Mutex;

use crate::error::{guard, guard_ok, Result};
use crate::options::{f64_opt, u32_opt};
use crate::slots::{Held, Slots};

/// A JS callback for transitions; weak so it never keeps the event loop alive.
type Listener = ThreadsafeFunction<JsStateChange, (), JsStateChange, Status, false, true>;

/// A breaker and the JS listeners of every isolate that subscribed to it. The core holds a
/// single listener; this fan-out lets several workers of one named breaker each subscribe.
pub(crate) struct BreakerEntry {
    pub(crate) breaker: Arc<CircuitBreaker>,
    listeners: Arc<Mutex<Vec<(u32, Listener)>>>,
    next_id: AtomicU32,
}

impl BreakerEntry {
    fn new(opts: BreakerOptions) -> erlmcp_core::CoreResult<Self> {
        let breaker = Arc::new(CircuitBreaker::new(opts)?);
        let listeners: Arc<Mutex<Vec<(u32, Listener)>>> = Arc::new(Mutex::new(Vec::new()));
        let fan_out = Arc::clone(&listeners);
        breaker.set_listener(Some(Box::new(
            move |from: BreakerState, to: BreakerState| {
                // A listener whose isolate is gone answers Closing: drop it instead of queueing
                // events nobody will read.
                fan_out.lock().retain(|(_, tsfn)| {
                    let change = JsStateChange {
                        from: from.as_str().to_string(),
                        to: to.as_str().to_string(),
                    };
                    tsfn.call(change, ThreadsafeFunctionCallMode::NonBlocking) != Status::Closing
                });
            },
        )));
        Ok(Self {
            breaker,
            listeners,
            next_id: AtomicU32::new(1),
        })
    }
}

static NAMED: LazyLock<NamedTable<BreakerEntry, BreakerOptions>> = LazyLock::new(NamedTable::new);

/// A transition, as given to state-change callbacks.
#[napi(object)]
#[derive(Clone)]
pub struct JsStateChange {
    pub from: String,
    pub to: String,
}

/// Options of a circuit breaker (flat; `policy` selects which of the others apply).
#[napi(object)]
pub struct JsBreakerOptions {
    /// 'consecutive' (default), 'window' or 'error_rate'.
    pub policy: Option<String>,
    /// Failures that trip the breaker ('consecutive' and 'window'). Default 5.
    pub failure_threshold: Option<f64>,
    /// Rolling window length for 'window' and 'error_rate'. Default 10000 ms.
    pub window_ms: Option<f64>,
    /// Error percentage that trips 'error_rate' (0 < pct <= 100). Default 50.
    pub error_threshold_pct: Option<f64>,
    /// Calls needed in the window before 'error_rate' may trip. Default 10.
    pub min_calls: Option<f64>,
    /// Time spent open before trial calls. Default 30000 ms.
    pub open_ms: Option<f64>,
    /// Trial calls let through while half open. Default 3.
    pub half_open_max_calls: Option<f64>,
    /// Trial successes that close the breaker. Default 3.
    pub success_threshold: Option<f64>,
}

fn options(o: Option<JsBreakerOptions>) -> erlmcp_core::CoreResult<BreakerOptions> {
    let d = BreakerOptions::default();
    let o = o.unwrap_or(JsBreakerOptions {
        policy: None,
        failure_threshold: None,
        window_ms: None,
        error_threshold_pct: None,
        min_calls: None,
        open_ms: None,
        half_open_max_calls: None,
        success_threshold: None,
    });
    let threshold = u32_opt("failureThreshold", o.failure_threshold, 5, 1, u32::MAX)?;
    let window_ms = u32_opt("windowMs", o.window_ms, 10_000, 1, u32::MAX)?;
    let policy = match o.policy.as_deref().unwrap_or("consecutive") {
        "consecutive" => TripPolicy::ConsecutiveFailures { threshold },
        "window" => TripPolicy::FailuresInWindow {
            threshold,
            window_ms,
        },
        "error_rate" => TripPolicy::ErrorRate {
            threshold_pct: f64_opt("errorThresholdPct", o.error_threshold_pct, 50.0)?,
            window_ms,
            min_calls: u32_opt("minCalls", o.min_calls, 10, 1, u32::MAX)?,
        },
        other => {
            return Err(CoreError::invalid(format!(
                "policy must be 'consecutive', 'window' or 'error_rate', got {other:?}"
            )))
        }
    };
    let opts = BreakerOptions {
        policy,
        open_ms: u32_opt("openMs", o.open_ms, d.open_ms, 1, u32::MAX)?,
        half_open_max_calls: u32_opt(
            "halfOpenMaxCalls",
            o.half_open_max_calls,
            d.half_open_max_calls,
            1,
            u32::MAX,
        )?,
        success_threshold: u32_opt(
            "successThreshold",
            o.success_threshold,
            d.success_threshold,
            1,
            u32::MAX,
        )?,
    };
    opts.validate()?;
    Ok(opts)
}

/// Counters of a breaker.
#[napi(object)]
pub struct JsBreakerStats {
    pub state: String,
    pub successes: f64,
    pub failures: f64,
    pub rejected: f64,
    pub consecutive_failures: u32,
    pub window_calls: f64,
    pub window_failures: f64,
    pub opened: f64,
    pub half_open_in_flight: u32,
    pub latency_count: f64,
    pub latency_mean_us: f64,
    pub latency_max_us: f64,
    pub last_transition_ms_ago: f64,
}

/// Native circuit breaker.
#[napi(js_name = "CircuitBreaker")]
pub struct JsCircuitBreaker {
    /// The instance, and its slot for the hot-path free functions (`fast.rs`).
    pub(crate) entry: Held<BreakerEntry>,
}

/// Every live instance, by id.
pub(crate) static BREAKERS: Slots<BreakerEntry> = Slots::new();

impl JsCircuitBreaker {
    fn holding(item: Arc<BreakerEntry>) -> Self {
        Self {
            entry: BREAKERS.hold(item),
        }
    }
}

#[napi]
impl JsCircuitBreaker {
    /// Slot id for the hot-path functions.
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.entry.id
    }

    #[napi(constructor)]
    pub fn new(options_: Option<JsBreakerOptions>) -> Result<Self> {
        guard(|| {
            Ok(Self::holding(Arc::new(BreakerEntry::new(options(
                options_,
            )?)?)))
        })
    }

    #[napi(factory)]
    pub fn open(name: String, options_: Option<JsBreakerOptions>) -> Result<Self> {
        guard(|| {
            let opts = options(options_)?;
            Ok(Self::holding(
                NAMED.open(&name, opts, |o| BreakerEntry::new(*o))?,
            ))
        })
    }

    #[napi]
    pub fn forget(name: String) -> bool {
        NAMED.remove(&name)
    }

    #[napi]
    pub fn release_trial(&self) -> Result<()> {
        guard_ok(|| self.entry.breaker.release_trial())
    }

    #[napi]
    pub fn force_open(&self) -> Result<()> {
        guard_ok(|| self.entry.breaker.force_open())
    }

    #[napi]
    pub fn force_close(&self) -> Result<()> {
        guard_ok(|| self.entry.breaker.force_close())
    }

    #[napi]
    pub fn reset(&self) -> Result<()> {
        guard_ok(|| self.entry.breaker.reset())
    }

    /// 0 closed, 1 open, 2 half_open.
    #[napi(getter)]
    pub fn state_code(&self) -> Result<u32> {
        guard_ok(|| self.entry.breaker.state() as u32)
    }

    /// Subscribes `callback` to transitions; returns an id for `unsubscribe`.
    #[napi(ts_args_type = "callback: (change: JsStateChange) => void")]
    pub fn subscribe(&self, callback: Listener) -> Result<u32> {
        guard_ok(|| {
            let id = self.entry.next_id.fetch_add(1, Ordering::Relaxed);
            self.entry.listeners.lock().push((id, callback));
            id
        })
    }

    #[napi]
    pub fn unsubscribe(&self, id: u32) -> Result<bool> {
        guard_ok(|| {
            let mut listeners = self.entry.listeners.lock();
            let before = listeners.len();
            listeners.retain(|(i, _)| *i != id);
            listeners.len() != before
        })
    }

    #[napi]
    pub fn stats(&self) -> Result<JsBreakerStats> {
        guard_ok(|| {
            let s = self.entry.breaker.stats();
            JsBreakerStats {
                state: s.state.as_str().to_string(),
                successes: s.successes as f64,
                failures: s.failures as f64,
                rejected: s.rejected as f64,
                consecutive_failures: s.consecutive_failures,
                window_calls: s.window_calls as f64,
                window_failures: s.window_failures as f64,
                opened: s.opened as f64,
                half_open_in_flight: s.half_open_in_flight,
                latency_count: s.latency_count as f64,
                latency_mean_us: s.latency_mean_us,
                latency_max_us: s.latency_max_us as f64,
                last_transition_ms_ago: s.last_transition_ms_ago as f64,
            }
        })
    }
}
