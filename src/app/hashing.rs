//! Password hashing on a bounded pool: Argon2id costs tens of milliseconds
//! of one core and 19 MiB each time, and unauthenticated callers can ask
//! for it (signing in), so at most one hash per core runs at once, on
//! tokio's blocking threads, and the rest wait their turn instead of
//! starving the server's other work.

use std::sync::Arc;

use tokio::sync::{OnceCell, Semaphore};

use crate::domain::password;
use crate::error::{Error, Result};

/// Hashes and checks passwords, a bounded number at once.
#[derive(Debug)]
pub(super) struct PasswordHashing {
    permits: Arc<Semaphore>,
    /// A hash of no one's password, checked when an email matches no
    /// account, so that a wrong email costs what a wrong password does.
    dummy: OnceCell<String>,
}

impl Default for PasswordHashing {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            permits: Arc::new(Semaphore::new(cores)),
            dummy: OnceCell::new(),
        }
    }
}

impl PasswordHashing {
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::internal("the password hashing pool is closed"))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| Error::internal(format!("password hashing: {e}")))
    }

    /// The hash to keep of a new password.
    pub(super) async fn hash(&self, password: String) -> Result<String> {
        self.run(move || password::hash_password(&password)).await?
    }

    /// Whether `password` matches `phc`, or (for `None`, an unknown email)
    /// `false` after the same work.
    pub(super) async fn verify(&self, password: String, phc: Option<String>) -> Result<bool> {
        let (phc, known) = match phc {
            Some(phc) => (phc, true),
            None => (self.dummy().await?.to_owned(), false),
        };
        let matches = self
            .run(move || password::verify_password(&password, &phc))
            .await?;
        Ok(known && matches)
    }

    async fn dummy(&self) -> Result<&str> {
        self.dummy
            .get_or_try_init(|| async {
                let nobodys: [u8; 32] = rand::random();
                self.hash(hex(&nobodys)).await
            })
            .await
            .map(String::as_str)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
