//! `SO_REUSEPORT` listening sockets for `server.listen({ fd })`, which Node 20 cannot create.

use erlmcp_core::{listen_socket, CoreError};
use napi_derive::napi;

use crate::error::{guard, to_count, Result};

fn port_arg(port: f64) -> std::result::Result<u16, CoreError> {
    let p = to_count("port", port)?;
    u16::try_from(p).map_err(|_| CoreError::invalid(format!("port must be in 0..=65535, got {p}")))
}

fn backlog_arg(backlog: f64) -> std::result::Result<i32, CoreError> {
    let b = to_count("backlog", backlog)?;
    i32::try_from(b)
        .map_err(|_| CoreError::invalid(format!("backlog must be at most {}, got {b}", i32::MAX)))
}

/// Binds a non-blocking TCP socket with SO_REUSEADDR + SO_REUSEPORT to `host:port`, listens
/// and returns its file descriptor, owned by the caller (pass it to `server.listen({ fd })`).
/// Errors: `ERR_LISTEN` with the OS error text, `ERR_INVALID_ARG` for bad arguments.
#[napi]
pub fn reuseport_listen(host: String, port: f64, backlog: f64) -> Result<i32> {
    guard(|| listen_socket::bind_reuseport(&host, port_arg(port)?, backlog_arg(backlog)?))
}

/// Like `reuseportListen`, but the socket is held by the native core until
/// `releaseListenSocket(fd)`: listen on copies from `dupListenSocket(fd)`, so closing a server
/// (a worker restarting) never closes the socket or resets the connections queued on it.
#[napi]
pub fn hold_listen_socket(host: String, port: f64, backlog: f64) -> Result<i32> {
    guard(|| listen_socket::hold_reuseport(&host, port_arg(port)?, backlog_arg(backlog)?))
}

/// A new descriptor of a socket held by `holdListenSocket`, for one `server.listen({ fd })`.
#[napi]
pub fn dup_listen_socket(fd: i32) -> Result<i32> {
    guard(|| listen_socket::dup_held(fd))
}

/// Makes the kernel drop new connection attempts on a held socket while the connections
/// already queued stay to be accepted (a stopping pool's last step before its final accepts;
/// see `refuse_new_held` in erlmcp-core). False where socket filters do not exist.
#[napi]
pub fn refuse_new_connections(fd: i32) -> Result<bool> {
    guard(|| listen_socket::refuse_new_held(fd))
}

/// Connections waiting in the accept queue of a held socket (0 where the kernel does not say).
#[napi]
pub fn queued_connections(fd: i32) -> Result<u32> {
    guard(|| listen_socket::queued_held(fd))
}

/// Closes the native core's descriptor of a held socket (copies stay open until closed).
#[napi]
pub fn release_listen_socket(fd: i32) -> Result<()> {
    guard(|| listen_socket::release_held(fd))
}

/// The ephemeral port shared by this process's reuseport listeners on `host` (picked on the
/// first call and held for the life of the process).
#[napi]
pub fn reuseport_shared_port(host: String) -> Result<u32> {
    guard(|| listen_socket::shared_port(&host).map(u32::from))
}

/// The local port of a socket file descriptor (getsockname).
#[napi]
pub fn socket_port(fd: i32) -> Result<u32> {
    guard(|| listen_socket::local_port(fd).map(u32::from))
}
