//! Reading optional numeric fields of JS option objects with range checks, so a wrong value
//! becomes `ERR_INVALID_ARG` naming the key instead of being silently truncated by N-API.

use erlmcp_core::CoreError;

/// `value` as a `u32` integer in `min..=max`, or `default` when absent.
pub fn u32_opt(
    key: &str,
    value: Option<f64>,
    default: u32,
    min: u32,
    max: u32,
) -> Result<u32, CoreError> {
    match value {
        None => Ok(default),
        Some(v) if v.is_finite() && v.fract() == 0.0 && v >= min as f64 && v <= max as f64 => {
            Ok(v as u32)
        }
        Some(v) => Err(CoreError::invalid(format!(
            "{key} must be an integer in {min}..={max}, got {v}"
        ))),
    }
}

/// `value` as a `u64` integer in `min..=max`, or `default` when absent.
pub fn u64_opt(
    key: &str,
    value: Option<f64>,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, CoreError> {
    match value {
        None => Ok(default),
        Some(v) if v.is_finite() && v.fract() == 0.0 && v >= min as f64 && v <= max as f64 => {
            Ok(v as u64)
        }
        Some(v) => Err(CoreError::invalid(format!(
            "{key} must be an integer in {min}..={max}, got {v}"
        ))),
    }
}

/// `value` as a finite `f64`, or `default` when absent (range checks are the core's).
pub fn f64_opt(key: &str, value: Option<f64>, default: f64) -> Result<f64, CoreError> {
    match value {
        None => Ok(default),
        Some(v) if v.is_finite() => Ok(v),
        Some(v) => Err(CoreError::invalid(format!(
            "{key} must be a finite number, got {v}"
        ))),
    }
}
