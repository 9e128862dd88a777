//! erlmcp-core: the hot path of erlmcp, in pure Rust (no Node, no napi).
//!
//! One primitive per module; all of them are `Send + Sync` and meant to be shared through
//! `Arc` across threads. The `erlmcp-node` crate exposes them to JavaScript and does nothing
//! but convert arguments and map [`CoreError`] to JS errors with stable codes.

#![deny(missing_docs)]

pub mod admission;
pub mod breaker;
pub mod bucket;
pub mod clock;
pub mod error;
pub mod fd_limit;
pub mod handles;
pub mod histogram;
pub mod keymap;
pub mod listen_socket;
pub mod named;
pub mod op_timings;
pub mod registry;
pub mod ring;
pub mod router;

pub use error::{CoreError, CoreResult, MAX_HANDLE};
