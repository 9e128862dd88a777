//! Process-global tables of named instances. Every worker_thread loads the addon on its own,
//! but the Rust statics are shared by the whole process, so `X.open(name, options)` in two
//! workers yields the same `Arc<X>` and both see one state.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{CoreError, CoreResult};

/// A table of `Arc<T>` by name, created with options `O`.
///
/// Opening a name that exists returns the existing instance when the options are equal, and
/// [`CoreError::OptionsMismatch`] otherwise: silently handing back an instance configured
/// differently from what the caller asked for would hide a configuration bug.
pub struct NamedTable<T, O> {
    entries: Mutex<HashMap<String, (O, Arc<T>)>>,
}

impl<T, O: PartialEq + Clone> NamedTable<T, O> {
    /// An empty table (usable in a `static`).
    pub fn new() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Returns the instance named `name`, creating it with `create(options)` if absent.
    pub fn open(
        &self,
        name: &str,
        options: O,
        create: impl FnOnce(&O) -> CoreResult<T>,
    ) -> CoreResult<Arc<T>> {
        if name.is_empty() {
            return Err(CoreError::invalid("name must be a non-empty string"));
        }
        let mut entries = self.entries.lock();
        if let Some((existing, instance)) = entries.get(name) {
            return if *existing == options {
                Ok(Arc::clone(instance))
            } else {
                Err(CoreError::OptionsMismatch(name.to_owned()))
            };
        }
        let instance = Arc::new(create(&options)?);
        entries.insert(name.to_owned(), (options, Arc::clone(&instance)));
        Ok(instance)
    }

    /// Returns the instance named `name` without creating it.
    pub fn get(&self, name: &str) -> Option<Arc<T>> {
        self.entries.lock().get(name).map(|(_, i)| Arc::clone(i))
    }

    /// Forgets `name`; holders of the instance keep it alive. Returns whether it existed.
    pub fn remove(&self, name: &str) -> bool {
        self.entries.lock().remove(name).is_some()
    }

    /// The names currently in the table, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.entries.lock().keys().cloned().collect();
        names.sort();
        names
    }
}

impl<T, O: PartialEq + Clone> Default for NamedTable<T, O> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_returns_same_instance_for_equal_options() {
        let t: NamedTable<u32, u8> = NamedTable::new();
        let a = t.open("x", 1, |_| Ok(7)).unwrap();
        let b = t.open("x", 1, |_| Ok(9)).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(*b, 7);
    }

    #[test]
    fn open_rejects_different_options_and_empty_names() {
        let t: NamedTable<u32, u8> = NamedTable::new();
        t.open("x", 1, |_| Ok(7)).unwrap();
        assert_eq!(
            t.open("x", 2, |_| Ok(7)).unwrap_err().code(),
            "ERR_OPTIONS_MISMATCH"
        );
        assert_eq!(
            t.open("", 1, |_| Ok(7)).unwrap_err().code(),
            "ERR_INVALID_ARG"
        );
    }

    #[test]
    fn failed_create_leaves_no_entry_and_remove_forgets() {
        let t: NamedTable<u32, u8> = NamedTable::new();
        assert!(t.open("x", 1, |_| Err(CoreError::invalid("no"))).is_err());
        assert!(t.get("x").is_none());
        t.open("x", 1, |_| Ok(1)).unwrap();
        assert_eq!(t.names(), vec!["x".to_string()]);
        assert!(t.remove("x"));
        assert!(!t.remove("x"));
    }
}
