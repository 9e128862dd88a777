//! Typed errors of the core. Each variant maps to one stable `ERR_*` code that the Node
//! binding puts on the JS `Error.code`; docs/errors.md lists them all.

use std::fmt;

/// An error returned by a core primitive. Never a panic: bad input is a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoreError {
    /// An argument is out of its documented range; the message names it and the range.
    InvalidArg(String),
    /// A handle is above the 31-bit range (`0..=0x7FFF_FFFF`) that JS `Int32Array`s can carry.
    InvalidHandle(u64),
    /// A shard index is not below the shard count.
    InvalidShard {
        /// The index given.
        shard: usize,
        /// The shard count.
        shards: usize,
    },
    /// `open(name, options)` found an instance of that name created with other options.
    OptionsMismatch(String),
    /// `release` was asked to release more than is currently admitted.
    ReleaseUnderflow {
        /// The shard.
        shard: usize,
        /// Slots it held.
        depth: u64,
        /// Slots asked back.
        requested: u64,
    },
    /// A frame is larger than a ring queue accepts (`u32::MAX` bytes).
    FrameTooLarge(usize),
    /// Creating, binding or listening on a socket failed (the message carries the address and
    /// the OS error text, e.g. `Address already in use (os error 98)`), or the platform has no
    /// `SO_REUSEPORT`.
    Listen(String),
    /// A registry key is taken by an entry of another kind (e.g. `acquire` of a key that
    /// `register`/`register_new` holds); the string is the key.
    AlreadyRegistered(String),
}

impl CoreError {
    /// The stable code carried to JS as `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::InvalidArg(_) => "ERR_INVALID_ARG",
            CoreError::InvalidHandle(_) => "ERR_INVALID_HANDLE",
            CoreError::InvalidShard { .. } => "ERR_INVALID_SHARD",
            CoreError::OptionsMismatch(_) => "ERR_OPTIONS_MISMATCH",
            CoreError::ReleaseUnderflow { .. } => "ERR_RELEASE_UNDERFLOW",
            CoreError::FrameTooLarge(_) => "ERR_FRAME_TOO_LARGE",
            CoreError::Listen(_) => "ERR_LISTEN",
            CoreError::AlreadyRegistered(_) => "ERR_ALREADY_REGISTERED",
        }
    }

    /// Shorthand for an [`CoreError::InvalidArg`] with a formatted message.
    pub fn invalid(msg: impl Into<String>) -> Self {
        CoreError::InvalidArg(msg.into())
    }
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoreError::InvalidArg(m) => write!(f, "{m}"),
            CoreError::InvalidHandle(h) => {
                write!(
                    f,
                    "handle {h} is outside 0..=2147483647 (an unsigned 31-bit integer)"
                )
            }
            CoreError::InvalidShard { shard, shards } => {
                write!(
                    f,
                    "shard {shard} is out of range: there are {shards} shards (0..{shards})"
                )
            }
            CoreError::OptionsMismatch(name) => write!(
                f,
                "an instance named {name:?} already exists with different options"
            ),
            CoreError::ReleaseUnderflow {
                shard,
                depth,
                requested,
            } => write!(
                f,
                "cannot release {requested} from shard {shard}: only {depth} admitted"
            ),
            CoreError::FrameTooLarge(n) => {
                write!(f, "frame of {n} bytes exceeds the 4294967295-byte limit")
            }
            CoreError::Listen(m) => write!(f, "{m}"),
            CoreError::AlreadyRegistered(key) => write!(
                f,
                "key {key:?} is already registered, and not as a shared (acquired) entry"
            ),
        }
    }
}

impl std::error::Error for CoreError {}

/// Result alias of the core.
pub type CoreResult<T> = Result<T, CoreError>;

/// Largest valid handle: handles are unsigned 31-bit so `-1` can mean "missing" in an `Int32Array`.
pub const MAX_HANDLE: u32 = 0x7FFF_FFFF;

/// Checks that `handle` is an unsigned 31-bit integer.
pub fn check_handle(handle: u64) -> CoreResult<u32> {
    if handle <= MAX_HANDLE as u64 {
        Ok(handle as u32)
    } else {
        Err(CoreError::InvalidHandle(handle))
    }
}
