//! SIGINT and SIGTERM during a run (docs/cli.md#interrupting-a-run): the first stops new
//! requests and lets the run end with its reports written; a second exits at once.

use std::sync::Arc;

use courier_events::Exit;
use courier_exec::interrupt::Interrupt;

/// Waits for signals for as long as the run lasts (the caller aborts it when the run ends).
pub(crate) async fn watch(interrupt: Arc<Interrupt>) {
    loop {
        let Some(code) = next_signal().await else {
            return;
        };
        if !interrupt.raise(code) {
            // The second signal: the user wants out now, reports or not.
            std::process::exit(i32::from(code));
        }
        eprintln!(
            "courier: {}: no new request starts; the run ends when the requests in flight \
             answer, and writes its reports (a second signal exits at once)",
            if code == 130 {
                "interrupted"
            } else {
                "terminated"
            }
        );
    }
}

/// The exit code of the next SIGINT (130) or SIGTERM (143); `None` when signals cannot be
/// watched here.
#[cfg(unix)]
async fn next_signal() -> Option<u8> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).ok()?;
    let mut int = signal(SignalKind::interrupt()).ok()?;
    tokio::select! {
        _ = int.recv() => Some(130),
        _ = term.recv() => Some(143),
    }
}

#[cfg(not(unix))]
async fn next_signal() -> Option<u8> {
    tokio::signal::ctrl_c().await.ok().map(|()| 130)
}

/// The run's exit code after a signal.
pub(crate) fn exit_of(code: u8) -> Exit {
    if code == 130 {
        Exit::Interrupted
    } else {
        Exit::Terminated
    }
}
