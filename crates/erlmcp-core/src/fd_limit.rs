//! The process's open-file limit (`RLIMIT_NOFILE`): read it and raise the soft limit toward
//! the hard one. A server holding tens of thousands of sockets, or a load generator opening
//! them, needs this and Node has no API for it.

/// Soft and hard open-file limits; `u64::MAX` means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdLimits {
    /// The limit in force.
    pub soft: u64,
    /// The ceiling an unprivileged process may raise `soft` to.
    pub hard: u64,
}

/// The current limits, or `None` where the platform has no such limit (Windows).
pub fn fd_limits() -> Option<FdLimits> {
    imp::get()
}

/// Raises the soft limit to `min(wanted, hard)` when it is lower (never lowers it) and returns
/// the limits now in force; `None` where unsupported. A refused raise leaves the limits as
/// they were and reports them: callers compare `soft` with what they asked for.
pub fn raise_fd_limit(wanted: u64) -> Option<FdLimits> {
    let now = imp::get()?;
    let target = wanted.min(now.hard);
    if target <= now.soft {
        return Some(now);
    }
    imp::set_soft(target, now.hard);
    imp::get()
}

#[cfg(unix)]
mod imp {
    use super::FdLimits;

    // rlim_t is u64 on Linux and macOS but not on every unix: keep the casts explicit.
    #[allow(clippy::unnecessary_cast)]
    fn widen(v: libc::rlim_t) -> u64 {
        if v == libc::RLIM_INFINITY {
            u64::MAX
        } else {
            v as u64
        }
    }

    pub fn get() -> Option<FdLimits> {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes one rlimit through a valid pointer to a local.
        let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) };
        (rc == 0).then(|| FdLimits {
            soft: widen(r.rlim_cur),
            hard: widen(r.rlim_max),
        })
    }

    #[allow(clippy::unnecessary_cast)]
    pub fn set_soft(soft: u64, hard: u64) {
        let narrow = |v: u64| {
            if v == u64::MAX {
                libc::RLIM_INFINITY
            } else {
                v as libc::rlim_t
            }
        };
        let r = libc::rlimit {
            rlim_cur: narrow(soft),
            rlim_max: narrow(hard),
        };
        // SAFETY: setrlimit reads one rlimit through a valid pointer; failure is reported by
        // the return value and leaves the limits unchanged, which the caller re-reads.
        unsafe {
            libc::setrlimit(libc::RLIMIT_NOFILE, &r);
        }
    }
}

#[cfg(not(unix))]
mod imp {
    use super::FdLimits;

    pub fn get() -> Option<FdLimits> {
        None
    }

    pub fn set_soft(_soft: u64, _hard: u64) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn raise_never_lowers_and_never_exceeds_hard() {
        let before = fd_limits().unwrap();
        let after = raise_fd_limit(1).unwrap();
        assert_eq!(after, before);
        let up = raise_fd_limit(u64::MAX).unwrap();
        assert!(up.soft >= before.soft);
        assert!(up.soft <= up.hard);
        assert_eq!(up.hard, before.hard);
    }
}
