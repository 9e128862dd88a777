//! `Key`: a JS string argument read into a stack buffer.
//!
//! napi-rs's `String` asks N-API for the length, allocates, then copies: two N-API calls and a
//! heap allocation per key. Session ids are short, so one call into a 128-byte stack buffer
//! covers them; longer strings fall back to `String`.

use std::os::raw::c_char;

use napi::bindgen_prelude::{FromNapiValue, TypeName, ValidateNapiValue};
use napi::{sys, Error, Status, ValueType};

const CAP: usize = 128;

/// A string argument, inline when short.
pub enum Key {
    /// Up to `CAP - 5` UTF-8 bytes, inline.
    Inline { buf: [u8; CAP], len: usize },
    /// Longer strings.
    Heap(String),
}

impl Key {
    /// The key as `&str`.
    #[inline]
    pub fn as_str(&self) -> &str {
        match self {
            // N-API writes valid UTF-8 (invalid UTF-16 is replaced), so this cannot fail; the
            // fallback keeps a broken invariant from panicking.
            Key::Inline { buf, len } => std::str::from_utf8(&buf[..*len]).unwrap_or(""),
            Key::Heap(s) => s,
        }
    }
}

impl TypeName for Key {
    fn type_name() -> &'static str {
        "String"
    }

    fn value_type() -> ValueType {
        ValueType::String
    }
}

impl ValidateNapiValue for Key {}

impl FromNapiValue for Key {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let mut buf = [0u8; CAP];
        let mut written = 0usize;
        let status = unsafe {
            sys::napi_get_value_string_utf8(
                env,
                value,
                buf.as_mut_ptr() as *mut c_char,
                CAP,
                &mut written,
            )
        };
        if status != sys::Status::napi_ok {
            return Err(Error::new(
                Status::StringExpected,
                "expected a string".to_string(),
            ));
        }
        // N-API stops at a character boundary when the buffer is short, so a string is known
        // complete only when a whole 4-byte character would still have fitted.
        if written + 4 < CAP - 1 {
            return Ok(Key::Inline { buf, len: written });
        }
        Ok(Key::Heap(unsafe { String::from_napi_value(env, value)? }))
    }
}
