//! Which tokens' use is being recorded now, so that a token's use is
//! recorded coarsely (`App::note_use`, in `tokens`).

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

/// Tokens whose use is being recorded now, so that calls arriving together
/// after a quiet minute make one write between them, not one each.
#[derive(Debug, Default)]
pub(super) struct TokenUses {
    recording: Mutex<HashSet<[u8; 32]>>,
}

impl TokenUses {
    /// Whether the caller should record a use of `hash` (no one else is).
    pub(super) fn begin(&self, hash: [u8; 32]) -> bool {
        self.lock().insert(hash)
    }

    pub(super) fn end(&self, hash: &[u8; 32]) {
        self.lock().remove(hash);
    }

    /// The set; no code panics while holding it.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<[u8; 32]>> {
        self.recording
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
