//! Live native instances addressed by small integer ids.
//!
//! A `#[napi]` class method pays `napi_unwrap` on every call — a private-property lookup on the
//! JS object that costs more than the work of most hot-path calls. So every instance also takes
//! a slot here, and the per-message calls (see `fast.rs`) are free functions taking the slot id
//! as a plain number. A slot lives exactly as long as its JS object: the class's `Drop` (run by
//! the GC finalizer) frees it, and the TS wrapper holds the JS object for as long as it uses
//! the id, so an id is never used after its slot is reused.

use std::sync::Arc;

use erlmcp_core::CoreError;
use parking_lot::{Mutex, RwLock};

/// A table of `Arc<T>` by id.
pub struct Slots<T> {
    items: RwLock<Vec<Option<Arc<T>>>>,
    free: Mutex<Vec<u32>>,
}

impl<T> Slots<T> {
    /// An empty table, usable in a `static`.
    pub const fn new() -> Self {
        Self {
            items: RwLock::new(Vec::new()),
            free: Mutex::new(Vec::new()),
        }
    }

    /// Stores `item`, returning its id.
    pub fn insert(&self, item: Arc<T>) -> u32 {
        let mut items = self.items.write();
        if let Some(id) = self.free.lock().pop() {
            items[id as usize] = Some(item);
            return id;
        }
        items.push(Some(item));
        (items.len() - 1) as u32
    }

    /// Frees `id`.
    pub fn remove(&self, id: u32) {
        let mut items = self.items.write();
        if let Some(slot) = items.get_mut(id as usize) {
            if slot.take().is_some() {
                self.free.lock().push(id);
            }
        }
    }

    /// Runs `f` on the instance `id` under a shared lock (no refcount traffic).
    #[inline]
    pub fn with<R>(
        &self,
        id: u32,
        f: impl FnOnce(&T) -> Result<R, CoreError>,
    ) -> Result<R, CoreError> {
        let items = self.items.read();
        match items.get(id as usize) {
            Some(Some(item)) => f(item),
            _ => Err(CoreError::invalid(format!(
                "no live native instance with id {id}"
            ))),
        }
    }
}

impl<T: 'static> Slots<T> {
    /// Stores `item` and returns the guard that frees the slot when dropped.
    pub fn hold(&'static self, item: Arc<T>) -> Held<T> {
        let id = self.insert(Arc::clone(&item));
        Held {
            item,
            id,
            table: self,
        }
    }
}

/// An instance and its slot, owned by one JS object: dropping it (the JS object's finalizer)
/// frees the slot.
pub struct Held<T: 'static> {
    /// The instance.
    pub item: Arc<T>,
    /// Its slot id.
    pub id: u32,
    table: &'static Slots<T>,
}

impl<T> Drop for Held<T> {
    fn drop(&mut self) {
        self.table.remove(self.id);
    }
}

impl<T> std::ops::Deref for Held<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.item
    }
}
