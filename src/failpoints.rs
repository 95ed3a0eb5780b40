//! Failpoints for fault-injection tests, and their remote control. Without
//! the `failpoints` feature (every normal build) they compile to nothing.
//!
//! With it, the server reads one command per line from its stdin:
//! - `hold NAME`: a thread that reaches failpoint `NAME` logs
//!   "failpoint reached" and waits there until released;
//! - `notify NAME`: a thread that reaches it logs "failpoint reached" and
//!   goes on;
//! - `panic NAME`: a thread that reaches it panics (a bug in a call);
//! - `release NAME`: threads held at it go on, and it is off again.
//!
//! Every command is acknowledged with a "failpoint set" log line, so a test
//! knows when it took effect without waiting blindly. Commands in the
//! environment variable `STEPWISE_FAILPOINTS` (separated by `;`) take
//! effect before the server starts, for failpoints on its way up.

/// A failpoint on an async path. A thread held there is first handed over
/// to the runtime (`block_in_place`), so the server keeps serving other
/// calls, as it would while a slow call is in flight.
#[macro_export]
macro_rules! async_fail_point {
    ($name:literal) => {
        #[cfg(feature = "failpoints")]
        {
            use tokio::runtime::{Handle, RuntimeFlavor};
            if Handle::current().runtime_flavor() == RuntimeFlavor::MultiThread {
                tokio::task::block_in_place(|| fail::fail_point!($name));
            } else {
                fail::fail_point!($name);
            }
        }
    };
}

#[cfg(feature = "failpoints")]
pub use control::control_from_stdin;

#[cfg(feature = "failpoints")]
mod control {
    use std::collections::HashSet;
    use std::io::BufRead;
    use std::sync::{Condvar, LazyLock, Mutex};

    /// Failpoints currently holding threads.
    static HELD: LazyLock<(Mutex<HashSet<String>>, Condvar)> =
        LazyLock::new(|| (Mutex::new(HashSet::new()), Condvar::new()));

    /// Applies the commands of `STEPWISE_FAILPOINTS` at once, then reads
    /// commands from stdin on a thread of its own until stdin closes.
    pub fn control_from_stdin() {
        let at_start = std::env::var("STEPWISE_FAILPOINTS").unwrap_or_default();
        for command in at_start.split(';').filter(|c| !c.trim().is_empty()) {
            match command.split_whitespace().collect::<Vec<_>>()[..] {
                [command, name] => apply(command, name),
                _ => tracing::warn!(command, "unknown failpoint command"),
            }
        }
        std::thread::spawn(|| {
            for line in std::io::stdin().lock().lines().map_while(Result::ok) {
                match line.split_whitespace().collect::<Vec<_>>()[..] {
                    [command, name] => apply(command, name),
                    _ => tracing::warn!(line, "unknown failpoint command"),
                }
            }
        });
    }

    fn apply(command: &str, name: &str) {
        let (held, released) = &*HELD;
        let owned = name.to_owned();
        let outcome = match command {
            "hold" => {
                lock(held).insert(owned.clone());
                fail::cfg_callback(name, move || {
                    tracing::info!(failpoint = %owned, "failpoint reached");
                    let (held, released) = &*HELD;
                    let mut guard = lock(held);
                    while guard.contains(&owned) {
                        guard = released.wait(guard).unwrap_or_else(|e| e.into_inner());
                    }
                })
            }
            "notify" => fail::cfg_callback(name, move || {
                tracing::info!(failpoint = %owned, "failpoint reached");
            }),
            "panic" => fail::cfg(name, "panic(a failpoint was told to panic)"),
            "release" => {
                lock(held).remove(name);
                released.notify_all();
                fail::remove(name);
                Ok(())
            }
            _ => Err(format!("unknown command {command:?}")),
        };
        match outcome {
            Ok(()) => tracing::info!(failpoint = name, command, "failpoint set"),
            Err(error) => tracing::warn!(failpoint = name, %error, "failpoint not set"),
        }
    }

    fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        mutex.lock().unwrap_or_else(|e| e.into_inner())
    }
}
