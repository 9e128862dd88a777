//! Listening TCP sockets that several listeners of one process share through `SO_REUSEPORT`.
//!
//! Node 20 cannot set `SO_REUSEPORT` (its `listen({ reusePort })` arrived in 22.12 / 23.1 and
//! is silently ignored before), so the socket is made here and handed to Node as a raw file
//! descriptor for `server.listen({ fd })`. In `worker_threads` the descriptor table is the
//! process's own, so every worker can create its own socket on one port; the kernel then
//! spreads incoming connections over all of them by a hash of the connection's addresses.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use crate::error::{CoreError, CoreResult};

/// A raw file descriptor (the same type as `std::os::fd::RawFd` on unix).
pub type RawFd = i32;

/// Creates a TCP socket for `host:port` with `SO_REUSEADDR` and `SO_REUSEPORT`, non-blocking
/// and close-on-exec, binds it, calls `listen(backlog)` and returns its descriptor.
///
/// Ownership of the descriptor passes to the caller (Node closes it with its server). `host`
/// is an IPv4 or IPv6 literal (`[::1]` brackets allowed) or a name, resolved to its first
/// address; the socket's family follows the address. Port 0 lets the kernel pick a port, but
/// a different one for every call: to share an ephemeral port call [`shared_port`] first.
///
/// Errors: [`CoreError::InvalidArg`] for an empty host or a negative backlog,
/// [`CoreError::Listen`] with the address and the OS error text otherwise (an unresolvable
/// host, `EADDRINUSE` when the port is held by a socket without `SO_REUSEPORT` or by another
/// user, `EADDRNOTAVAIL`, ...), and on platforms without `SO_REUSEPORT`.
pub fn bind_reuseport(host: &str, port: u16, backlog: i32) -> CoreResult<RawFd> {
    if backlog < 0 {
        return Err(CoreError::invalid(format!(
            "backlog must be a non-negative integer, got {backlog}"
        )));
    }
    let addr = resolve(host, port)?;
    imp::bind(addr, backlog)
}

/// The local port a socket descriptor is bound to (`getsockname`).
///
/// Errors: [`CoreError::InvalidArg`] for a negative descriptor, [`CoreError::Listen`] when the
/// descriptor is not an open, bound IP socket.
pub fn local_port(fd: RawFd) -> CoreResult<u16> {
    if fd < 0 {
        return Err(CoreError::invalid(format!(
            "fd must be a non-negative integer, got {fd}"
        )));
    }
    imp::local_port(fd)
}

/// The ephemeral port this process shares on `host`'s address: the first call binds a
/// placeholder socket there on port 0 (`SO_REUSEPORT`, never listening, so it takes no
/// connections) and keeps it open for the life of the process; every call for the same address
/// returns its port.
///
/// This is how "port 0" works for listeners that share a port: binding port 0 with
/// `SO_REUSEPORT` gives every socket its own random port, so the port is picked once here and
/// the listeners bind to it. The placeholder holds the port even while no listener is open:
/// only sockets with `SO_REUSEPORT` of the same user can bind it.
pub fn shared_port(host: &str) -> CoreResult<u16> {
    let ip = resolve(host, 0)?.ip();
    imp::shared_port(ip)
}

/// Creates a listening socket as [`bind_reuseport`] does and keeps it: the returned descriptor
/// stays open until [`release_held`], whatever Node does with the copies [`dup_held`] hands
/// out. A worker pool listens on copies, so a worker that closes its server (restart, crash)
/// leaves the socket in the `SO_REUSEPORT` group with its accept queue intact: the kernel
/// resets queued connections only when the last descriptor of a socket closes, and the
/// worker started in its place accepts them.
pub fn hold_reuseport(host: &str, port: u16, backlog: i32) -> CoreResult<RawFd> {
    let fd = bind_reuseport(host, port, backlog)?;
    imp::hold(fd);
    Ok(fd)
}

/// A new close-on-exec descriptor for the socket held as `fd` (for `server.listen({ fd })`,
/// which closes it with its server). Errors: [`CoreError::InvalidArg`] when `fd` is not held.
pub fn dup_held(fd: RawFd) -> CoreResult<RawFd> {
    imp::dup_held(fd)
}

/// Makes the kernel drop every new connection attempt (SYN) on the held socket `fd`, with a
/// one-instruction socket filter; connections already queued stay to be accepted. A stopping
/// server calls it before its last accept: the kernel resets whatever is queued when a socket
/// closes, and without the filter new connections keep joining the queue until that instant.
/// A client whose SYN was dropped retries it (after about 1 s) and finds the port closed:
/// ECONNREFUSED, which clients and balancers retry, instead of a reset. Answers false where
/// socket filters do not exist (not Linux): nothing changed. Errors: [`CoreError::InvalidArg`]
/// when `fd` is not held, [`CoreError::Listen`] when the kernel refuses the filter.
pub fn refuse_new_held(fd: RawFd) -> CoreResult<bool> {
    imp::refuse_new_held(fd)
}

/// Connections waiting in the accept queue of the held socket `fd` (TCP_INFO of a listening
/// socket: its backlog now). A stopping pool waits for 0 after [`refuse_new_held`], so the
/// workers accept and answer everything queued before the socket closes. Always 0 where the
/// kernel does not say (not Linux). Errors: [`CoreError::InvalidArg`] when `fd` is not held.
pub fn queued_held(fd: RawFd) -> CoreResult<u32> {
    imp::queued_held(fd)
}

/// Closes the held descriptor `fd`; the socket closes once every copy is closed too.
/// Errors: [`CoreError::InvalidArg`] when `fd` is not held.
pub fn release_held(fd: RawFd) -> CoreResult<()> {
    imp::release_held(fd)
}

/// Resolves `host` (an IP literal, optionally in brackets, or a name) with `port`.
fn resolve(host: &str, port: u16) -> CoreResult<SocketAddr> {
    if host.is_empty() {
        return Err(CoreError::invalid("host must be a non-empty string"));
    }
    let literal = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    match (host, port).to_socket_addrs() {
        Ok(mut addrs) => addrs
            .next()
            .ok_or_else(|| CoreError::Listen(format!("host {host:?} resolves to no address"))),
        Err(e) => Err(CoreError::Listen(format!(
            "cannot resolve host {host:?}: {e}"
        ))),
    }
}

#[cfg(unix)]
mod imp {
    use std::net::{IpAddr, SocketAddr};
    use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};
    use std::sync::Mutex;

    use socket2::{Domain, Protocol, SockRef, Socket, Type};

    use super::RawFd;
    use crate::error::{CoreError, CoreResult};

    /// The placeholders of [`super::shared_port`]: (address, port, socket kept open).
    static SHARED: Mutex<Vec<(IpAddr, u16, Socket)>> = Mutex::new(Vec::new());
    /// The sockets of [`super::hold_reuseport`], by descriptor number.
    static HELD: Mutex<Vec<OwnedFd>> = Mutex::new(Vec::new());

    fn not_held(fd: RawFd) -> CoreError {
        CoreError::invalid(format!("fd {fd} is not a listening socket held by erlmcp"))
    }

    pub fn hold(fd: RawFd) {
        // SAFETY: `fd` was just returned by `bind` (into_raw_fd): nobody else owns it yet.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        HELD.lock().unwrap_or_else(|p| p.into_inner()).push(owned);
    }

    /// Runs `f` on the held socket `fd`, under the lock: it cannot be released meanwhile.
    fn with_held<R>(fd: RawFd, f: impl FnOnce(&OwnedFd) -> CoreResult<R>) -> CoreResult<R> {
        let held = HELD.lock().unwrap_or_else(|p| p.into_inner());
        f(held
            .iter()
            .find(|o| o.as_raw_fd() == fd)
            .ok_or_else(|| not_held(fd))?)
    }

    pub fn dup_held(fd: RawFd) -> CoreResult<RawFd> {
        with_held(fd, |owned| {
            // try_clone is F_DUPFD_CLOEXEC: the copy is close-on-exec as the original.
            let copy = owned
                .try_clone()
                .map_err(|e| CoreError::Listen(format!("cannot duplicate fd {fd}: {e}")))?;
            Ok(copy.into_raw_fd())
        })
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub fn refuse_new_held(fd: RawFd) -> CoreResult<bool> {
        with_held(fd, |owned| {
            // Classic BPF `ret #0`: accept no byte of any packet, so every SYN is dropped.
            const BPF_RET_K: u16 = 0x06;
            let drop_all = [socket2::SockFilter::new(BPF_RET_K, 0, 0, 0)];
            SockRef::from(owned).attach_filter(&drop_all).map_err(|e| {
                CoreError::Listen(format!("cannot attach a socket filter to fd {fd}: {e}"))
            })?;
            Ok(true)
        })
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub fn queued_held(fd: RawFd) -> CoreResult<u32> {
        with_held(fd, |owned| {
            // SAFETY: tcp_info is plain data, and getsockopt writes at most `len` bytes into it.
            let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
            let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
            let rc = unsafe {
                libc::getsockopt(
                    owned.as_raw_fd(),
                    libc::IPPROTO_TCP,
                    libc::TCP_INFO,
                    (&mut info as *mut libc::tcp_info).cast(),
                    &mut len,
                )
            };
            if rc != 0 {
                let e = std::io::Error::last_os_error();
                return Err(CoreError::Listen(format!(
                    "cannot read TCP_INFO of fd {fd}: {e}"
                )));
            }
            // For a listening socket the kernel reports its accept queue's length here.
            Ok(info.tcpi_unacked)
        })
    }

    /// Socket filters and a listener's TCP_INFO are Linux's: elsewhere nothing is refused and
    /// nothing is reported queued (the fd is still checked).
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub fn refuse_new_held(fd: RawFd) -> CoreResult<bool> {
        with_held(fd, |_| Ok(false))
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub fn queued_held(fd: RawFd) -> CoreResult<u32> {
        with_held(fd, |_| Ok(0))
    }

    pub fn release_held(fd: RawFd) -> CoreResult<()> {
        let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
        let at = held
            .iter()
            .position(|o| o.as_raw_fd() == fd)
            .ok_or_else(|| not_held(fd))?;
        drop(held.swap_remove(at));
        Ok(())
    }

    fn os_err(what: &str, addr: SocketAddr, e: std::io::Error) -> CoreError {
        CoreError::Listen(format!("{what} {addr}: {e}"))
    }

    /// A TCP socket for `addr`'s family with `SO_REUSEPORT`, bound to `addr`. `reuse_addr` is
    /// off only for placeholders: a bound, non-listening socket with `SO_REUSEADDR` would let
    /// any plain `SO_REUSEADDR` listener (Node sets it on every server) take the port.
    fn bound(addr: SocketAddr, reuse_addr: bool) -> CoreResult<Socket> {
        // socket2 creates sockets close-on-exec.
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
            .map_err(|e| os_err("cannot create a socket for", addr, e))?;
        if reuse_addr {
            socket
                .set_reuse_address(true)
                .map_err(|e| os_err("cannot set SO_REUSEADDR for", addr, e))?;
        }
        socket
            .set_reuse_port(true)
            .map_err(|e| os_err("cannot set SO_REUSEPORT for", addr, e))?;
        socket
            .bind(&addr.into())
            .map_err(|e| os_err("cannot bind", addr, e))?;
        Ok(socket)
    }

    pub fn bind(addr: SocketAddr, backlog: i32) -> CoreResult<RawFd> {
        let socket = bound(addr, true)?;
        // libuv expects a non-blocking descriptor from `listen({ fd })`.
        socket
            .set_nonblocking(true)
            .map_err(|e| os_err("cannot make non-blocking the socket of", addr, e))?;
        socket
            .listen(backlog)
            .map_err(|e| os_err("cannot listen on", addr, e))?;
        Ok(socket.into_raw_fd())
    }

    pub fn local_port(fd: RawFd) -> CoreResult<u16> {
        // SAFETY: the borrow lives only for the getsockname call below; a descriptor that is
        // not open or not a socket makes that call fail with EBADF/ENOTSOCK, reported as an
        // error, and nothing is read or closed through it.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let addr = SockRef::from(&borrowed)
            .local_addr()
            .map_err(|e| CoreError::Listen(format!("cannot read the address of fd {fd}: {e}")))?;
        addr.as_socket()
            .map(|a| a.port())
            .ok_or_else(|| CoreError::Listen(format!("fd {fd} is not an IP socket")))
    }

    pub fn shared_port(ip: IpAddr) -> CoreResult<u16> {
        // A poisoned lock only means a panic elsewhere while holding it: the Vec is still valid.
        let mut shared = SHARED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, port, _)) = shared.iter().find(|(a, _, _)| *a == ip) {
            return Ok(*port);
        }
        let addr = SocketAddr::new(ip, 0);
        let socket = bound(addr, false)?;
        let port = socket
            .local_addr()
            .ok()
            .and_then(|a| a.as_socket())
            .map(|a| a.port())
            .ok_or_else(|| CoreError::Listen(format!("cannot read the port bound on {addr}")))?;
        shared.push((ip, port, socket));
        Ok(port)
    }
}

#[cfg(not(unix))]
mod imp {
    use std::net::{IpAddr, SocketAddr};

    use super::RawFd;
    use crate::error::{CoreError, CoreResult};

    fn unsupported() -> CoreError {
        CoreError::Listen(
            "SO_REUSEPORT listening sockets are not supported on this platform (unix only)"
                .to_owned(),
        )
    }

    pub fn bind(_addr: SocketAddr, _backlog: i32) -> CoreResult<RawFd> {
        Err(unsupported())
    }

    pub fn local_port(_fd: RawFd) -> CoreResult<u16> {
        Err(unsupported())
    }

    pub fn shared_port(_ip: IpAddr) -> CoreResult<u16> {
        Err(unsupported())
    }

    pub fn hold(_fd: RawFd) {}

    pub fn dup_held(_fd: RawFd) -> CoreResult<RawFd> {
        Err(unsupported())
    }

    pub fn refuse_new_held(_fd: RawFd) -> CoreResult<bool> {
        Err(unsupported())
    }

    pub fn queued_held(_fd: RawFd) -> CoreResult<u32> {
        Err(unsupported())
    }

    pub fn release_held(_fd: RawFd) -> CoreResult<()> {
        Err(unsupported())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::io::ErrorKind;
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::time::{Duration, Instant};

    use super::*;

    /// Takes ownership of `fd` so that it is closed at the end of the test.
    fn own(fd: RawFd) -> OwnedFd {
        // SAFETY: `fd` was just returned by bind_reuseport, which hands over its ownership.
        unsafe { OwnedFd::from_raw_fd(fd) }
    }

    #[test]
    fn two_sockets_bind_the_same_port() {
        let a = own(bind_reuseport("127.0.0.1", 0, 16).unwrap());
        let port = local_port(a.as_raw_fd()).unwrap();
        assert_ne!(port, 0);
        let b = own(bind_reuseport("127.0.0.1", port, 16).unwrap());
        assert_eq!(local_port(b.as_raw_fd()).unwrap(), port);
    }

    #[test]
    fn a_connection_is_accepted_by_one_of_the_sockets() {
        let port = shared_port("127.0.0.1").unwrap();
        let a = own(bind_reuseport("127.0.0.1", port, 16).unwrap());
        let b = own(bind_reuseport("127.0.0.1", port, 16).unwrap());
        let a = socket2::Socket::from(a);
        let b = socket2::Socket::from(b);
        let _client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            // Non-blocking: WouldBlock on the socket the kernel did not pick.
            let got = [&a, &b].iter().any(|s| s.accept().is_ok());
            if got {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no socket accepted the connection"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_queued_connection_survives_closing_a_copy_of_a_held_socket() {
        let held = hold_reuseport("127.0.0.1", 0, 16).unwrap();
        let port = local_port(held).unwrap();
        let copy = own(dup_held(held).unwrap());
        assert_ne!(copy.as_raw_fd(), held);
        // Queued on the socket, never accepted through this copy.
        let _client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        drop(copy);
        // Another copy, as a restarted worker would get, still finds it in the queue.
        let again = socket2::Socket::from(own(dup_held(held).unwrap()));
        let deadline = Instant::now() + Duration::from_secs(5);
        while again.accept().is_err() {
            assert!(Instant::now() < deadline, "the queued connection was lost");
            std::thread::sleep(Duration::from_millis(5));
        }
        release_held(held).unwrap();
        assert_eq!(dup_held(held).unwrap_err().code(), "ERR_INVALID_ARG");
        assert_eq!(release_held(held).unwrap_err().code(), "ERR_INVALID_ARG");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn refuse_new_keeps_the_queue_and_drops_new_connection_attempts() {
        use std::io::{Read, Write};
        let held = hold_reuseport("127.0.0.1", 0, 16).unwrap();
        let port = local_port(held).unwrap();
        let mut queued = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while queued_held(held).unwrap() != 1 {
            assert!(
                Instant::now() < deadline,
                "the connection never showed in the queue"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(refuse_new_held(held).unwrap());
        // A new attempt gets no answer: its SYN is dropped (the client would retry it).
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let late = TcpStream::connect_timeout(&addr, Duration::from_millis(300));
        assert_eq!(late.unwrap_err().kind(), ErrorKind::TimedOut);
        // The connection queued before is still accepted, and its bytes flow both ways.
        let listener = socket2::Socket::from(own(dup_held(held).unwrap()));
        listener.set_nonblocking(false).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert_eq!(queued_held(held).unwrap(), 0);
        let mut accepted = TcpStream::from(accepted);
        queued.write_all(b"ping").unwrap();
        let mut buf = [0u8; 4];
        accepted.read_exact(&mut buf).unwrap();
        accepted.write_all(b"pong").unwrap();
        queued.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"pong");
        release_held(held).unwrap();
        assert_eq!(refuse_new_held(held).unwrap_err().code(), "ERR_INVALID_ARG");
    }

    #[test]
    fn a_port_held_without_reuseport_fails_clearly() {
        // std's listener sets SO_REUSEADDR but not SO_REUSEPORT.
        let plain = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = plain.local_addr().unwrap().port();
        let err = bind_reuseport("127.0.0.1", port, 16).unwrap_err();
        assert_eq!(err.code(), "ERR_LISTEN");
        let msg = err.to_string();
        assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
        assert!(msg.contains("in use"), "{msg}");
    }

    #[test]
    fn invalid_host_or_backlog_fails() {
        let err = bind_reuseport("no such host!", 0, 16).unwrap_err();
        assert_eq!(err.code(), "ERR_LISTEN");
        assert!(err.to_string().contains("no such host!"), "{err}");
        assert_eq!(
            bind_reuseport("", 0, 16).unwrap_err().code(),
            "ERR_INVALID_ARG"
        );
        assert_eq!(
            bind_reuseport("127.0.0.1", 0, -1).unwrap_err().code(),
            "ERR_INVALID_ARG"
        );
        // 192.0.2.0/24 is TEST-NET-1: not an address of this machine.
        let err = bind_reuseport("192.0.2.1", 0, 16).unwrap_err();
        assert_eq!(err.code(), "ERR_LISTEN");
    }

    #[test]
    fn local_port_rejects_bad_descriptors() {
        assert_eq!(local_port(-1).unwrap_err().code(), "ERR_INVALID_ARG");
        // A descriptor far above anything this test process has open.
        assert_eq!(local_port(1_000_000).unwrap_err().code(), "ERR_LISTEN");
    }

    #[test]
    fn shared_port_is_stable_and_reserved() {
        let p = shared_port("127.0.0.1").unwrap();
        assert_ne!(p, 0);
        assert_eq!(shared_port("127.0.0.1").unwrap(), p);
        assert_eq!(shared_port("[127.0.0.1]").unwrap(), p);
        // The placeholder keeps plain sockets off the port while no listener is open.
        let err = TcpListener::bind(("127.0.0.1", p)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
        let _a = own(bind_reuseport("127.0.0.1", p, 16).unwrap());
        let _b = own(bind_reuseport("127.0.0.1", p, 16).unwrap());
    }

    #[test]
    fn ipv6_loopback_when_available() {
        match bind_reuseport("::1", 0, 16) {
            Ok(fd) => {
                let fd = own(fd);
                let port = local_port(fd.as_raw_fd()).unwrap();
                let _second = own(bind_reuseport("[::1]", port, 16).unwrap());
            }
            // A machine without IPv6 loopback.
            Err(e) => assert!(e.to_string().contains("::1"), "{e}"),
        }
    }
}
