//! Maps core errors and panics to JS errors whose `code` is a stable `ERR_*` string.

use std::panic::{catch_unwind, AssertUnwindSafe};

use erlmcp_core::CoreError;

/// The status of a JS error thrown by the binding: its string becomes `error.code`.
#[derive(Debug, Clone, Copy)]
pub struct Code(pub &'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl From<napi::Status> for Code {
    fn from(_: napi::Status) -> Self {
        Code("ERR_NATIVE")
    }
}

/// Result type of every binding method: errors carry a [`Code`]. Named `Result` because the
/// napi macro recognises fallible methods by that name.
pub type Result<T> = napi::Result<T, Code>;

/// Builds a JS error with `code` and `message`.
pub fn js_error(code: &'static str, message: impl Into<String>) -> napi::Error<Code> {
    napi::Error::new(Code(code), message.into())
}

fn from_core(e: CoreError) -> napi::Error<Code> {
    js_error(e.code(), e.to_string())
}

/// Runs `f`, turning a core error into a coded JS error and a panic into `ERR_PANIC`.
///
/// The core is written never to panic, but a panic unwinding through the N-API boundary would
/// abort the whole Node process; catching it here keeps a bug in one call a JS exception.
#[inline]
pub fn guard<T>(f: impl FnOnce() -> std::result::Result<T, CoreError>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(from_core(e)),
        Err(payload) => {
            let detail = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(js_error(
                "ERR_PANIC",
                format!("internal error (Rust panic): {detail}"),
            ))
        }
    }
}

/// Like [`guard`] for bodies that cannot fail except by panicking.
#[inline]
pub fn guard_ok<T>(f: impl FnOnce() -> T) -> Result<T> {
    guard(|| Ok(f()))
}

/// Converts a JS number that must be a non-negative integer to `u64`, or `ERR_INVALID_ARG`.
pub fn to_count(name: &str, value: f64) -> std::result::Result<u64, CoreError> {
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= 9_007_199_254_740_991.0
    {
        Ok(value as u64)
    } else {
        Err(CoreError::invalid(format!(
            "{name} must be a non-negative safe integer, got {value}"
        )))
    }
}
