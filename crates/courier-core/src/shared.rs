//! Compiled values shared by their source text: a collection checks the same few JSONPaths,
//! expressions and regexes in request after request, and compiling one costs far more than
//! looking it up.
//!
//! Values are held weakly, so a long-lived process does not keep every one it ever saw, plus
//! the last [`RECENT`] compiled strongly: when files are checked one at a time and each is
//! dropped before the next (`courier validate`), what the next file shares with the previous
//! ones is still there to share.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Weak};

/// How many of the last compiled values are kept alive with no user.
pub(crate) const RECENT: usize = 64;

/// Compiled values by source text.
#[derive(Debug)]
pub(crate) struct Shared<T> {
    by_text: HashMap<Box<str>, Weak<T>>,
    recent: VecDeque<Arc<T>>,
}

impl<T> Default for Shared<T> {
    fn default() -> Self {
        Self {
            by_text: HashMap::new(),
            recent: VecDeque::with_capacity(RECENT),
        }
    }
}

impl<T> Shared<T> {
    /// The value compiled from `text` if one is still alive, else `compile(text)`, kept.
    pub(crate) fn get_or_compile<E>(
        &mut self,
        text: &str,
        compile: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        if let Some(shared) = self.by_text.get(text).and_then(Weak::upgrade) {
            return Ok(shared);
        }
        let compiled = Arc::new(compile(text)?);
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(Arc::clone(&compiled));
        if self.by_text.len() == self.by_text.capacity() {
            self.by_text.retain(|_, weak| weak.strong_count() > 0);
        }
        self.by_text.insert(text.into(), Arc::downgrade(&compiled));
        Ok(compiled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_shared_while_alive_and_kept_while_recent() {
        let mut shared: Shared<String> = Shared::default();
        let mut compiled = 0;
        let mut compile = |t: &str| -> Result<String, ()> {
            compiled += 1;
            Ok(t.to_owned())
        };
        let a = shared.get_or_compile("a", &mut compile).unwrap();
        drop(a);
        // Dropped by its user, but among the recent: shared, not compiled again.
        let again = shared.get_or_compile("a", &mut compile).unwrap();
        assert_eq!(*again, "a");
        for i in 0..RECENT {
            shared.get_or_compile(&i.to_string(), &mut compile).unwrap();
        }
        // Still held by `again`: shared although no longer recent.
        let held = shared.get_or_compile("a", &mut compile).unwrap();
        assert!(Arc::ptr_eq(&held, &again));
        drop((held, again));
        // Neither held nor recent: compiled again.
        shared.get_or_compile("a", &mut compile).unwrap();
        assert_eq!(compiled, RECENT + 2);
    }
}
