//! SIGINT, SIGTERM and SIGHUP for replay and bench: the first stops the run gracefully (no
//! new batch, batches in flight answered for up to [`GRACE`], checkpoint, summary, report;
//! exit 128 + signal); a second one exits at once.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

/// How long requests in flight may take to be answered after a signal.
pub const GRACE: Duration = Duration::from_secs(5);

/// How long conversion threads may take to end after a signal (or another early stop).
pub const CONVERSION_WAIT: Duration = Duration::from_secs(1);

static RECEIVED: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(signal: libc::c_int) {
    if RECEIVED.swap(signal, Ordering::SeqCst) != 0 {
        // SAFETY: `_exit` is async-signal-safe; the checkpoint on disk is the last one
        // renamed into place, complete.
        unsafe { libc::_exit(128 + signal) };
    }
}

/// Installs the handlers.
pub fn install() -> std::io::Result<()> {
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: a zeroed `sigaction` is valid; the handler only touches an atomic and
        // calls `_exit`, both async-signal-safe.
        let rc = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&mut action.sa_mask);
            action.sa_flags = libc::SA_RESTART;
            libc::sigaction(signal, &action, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The first signal received, or 0.
pub fn received() -> i32 {
    RECEIVED.load(Ordering::SeqCst)
}

/// The signal's name.
pub fn name(signal: i32) -> &'static str {
    match signal {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}

/// Until `done`: on a signal, sets `cancel`; if the run has not ended [`GRACE`] later
/// (requests still in flight), calls `abandon` (summary, report) and exits with the last
/// checkpoint written.
pub fn watch(cancel: &AtomicBool, done: &AtomicBool, abandon: &dyn Fn(i32)) {
    let mut since: Option<Instant> = None;
    while !done.load(Ordering::Relaxed) {
        let signal = received();
        if signal != 0 {
            cancel.store(true, Ordering::Relaxed);
            let t = *since.get_or_insert_with(Instant::now);
            if t.elapsed() > GRACE {
                abandon(signal);
                let code = crate::exit::Exit::Signal(signal).code();
                std::process::exit(i32::from(code));
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
