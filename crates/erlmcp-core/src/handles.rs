//! `HandleAlloc`: hands out 31-bit handles, reusing freed ones first.
//!
//! A free list plus a counter: `alloc` pops the most recently freed handle, or takes the next
//! never-used one. Handles therefore stay dense (never above the peak number live at once),
//! which keeps the tables indexed by handle (token buckets, reverse index) small. The caller
//! (the registry) decides when a handle is live; this type only guarantees that a handle is
//! never handed out twice without a `free` in between.

use crate::error::{CoreError, CoreResult, MAX_HANDLE};

/// Free list plus counter. Not synchronised by itself: the registry keeps it under a mutex.
#[derive(Debug, Default)]
pub struct HandleAlloc {
    /// The next never-allocated handle; every handle below it is live or in `free`.
    next: u64,
    /// Freed handles, reused last-freed first.
    free: Vec<u32>,
}

impl HandleAlloc {
    /// An allocator whose first handle is 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// A handle that is not live: a freed one if any, else the next new one.
    /// `ERR_INVALID_ARG` once all 2^31 handles are live.
    pub fn alloc(&mut self) -> CoreResult<u32> {
        if let Some(h) = self.free.pop() {
            return Ok(h);
        }
        if self.next > u64::from(MAX_HANDLE) {
            return Err(CoreError::invalid(
                "handle space exhausted: 2147483648 handles are live",
            ));
        }
        let h = self.next as u32;
        self.next += 1;
        Ok(h)
    }

    /// Gives `handle` back for reuse. The caller guarantees it came from [`alloc`](Self::alloc)
    /// and is freed once.
    pub fn free(&mut self, handle: u32) {
        debug_assert!(u64::from(handle) < self.next);
        self.free.push(handle);
    }

    /// Handles allocated and not freed.
    pub fn live(&self) -> u64 {
        self.next - self.free.len() as u64
    }

    /// Forgets every handle: the next `alloc` returns 0 again. Only sound when none is live.
    pub fn reset(&mut self) {
        self.next = 0;
        self.free.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_reused_last_freed_first() {
        let mut a = HandleAlloc::new();
        assert_eq!((a.alloc(), a.alloc(), a.alloc()), (Ok(0), Ok(1), Ok(2)));
        a.free(0);
        a.free(2);
        assert_eq!(a.live(), 1);
        assert_eq!((a.alloc(), a.alloc(), a.alloc()), (Ok(2), Ok(0), Ok(3)));
        assert_eq!(a.live(), 4);
        a.reset();
        assert_eq!((a.alloc(), a.live()), (Ok(0), 1));
    }

    #[test]
    fn exhaustion_is_an_error() {
        let mut a = HandleAlloc {
            next: u64::from(MAX_HANDLE),
            free: Vec::new(),
        };
        assert_eq!(a.alloc(), Ok(MAX_HANDLE));
        assert_eq!(a.alloc().unwrap_err().code(), "ERR_INVALID_ARG");
        a.free(7);
        assert_eq!(a.alloc(), Ok(7));
    }
}
