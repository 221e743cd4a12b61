//! Time as the sender sees it: a monotonic clock that can sleep, and the wall clock for
//! `Retry-After` dates and `--time now`. Injected so tests can run without waiting.

use std::time::{Duration, Instant, SystemTime};

/// Monotonic time and sleeping.
pub trait Clock: Send + Sync {
    /// The current monotonic instant.
    fn now(&self) -> Instant;
    /// Blocks the calling thread for `d` (a fake clock advances instead).
    fn sleep(&self, d: Duration);
    /// The current wall-clock time.
    fn wall(&self) -> SystemTime;
}

/// The real clocks of the operating system.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn sleep(&self, d: Duration) {
        if !d.is_zero() {
            std::thread::sleep(d);
        }
    }
    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock for tests: `sleep` advances time instantly and records the total slept.
#[derive(Debug)]
pub struct ManualClock {
    start: Instant,
    wall_start: SystemTime,
    elapsed: std::sync::Mutex<Duration>,
}

impl ManualClock {
    /// A clock starting at the real current time.
    pub fn new() -> ManualClock {
        ManualClock {
            start: Instant::now(),
            wall_start: SystemTime::now(),
            elapsed: std::sync::Mutex::new(Duration::ZERO),
        }
    }
    /// How far the clock has advanced.
    pub fn elapsed(&self) -> Duration {
        *self.elapsed.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// Advances the clock without sleeping.
    pub fn advance(&self, d: Duration) {
        *self.elapsed.lock().unwrap_or_else(|e| e.into_inner()) += d;
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + self.elapsed()
    }
    fn sleep(&self, d: Duration) {
        self.advance(d);
    }
    fn wall(&self) -> SystemTime {
        self.wall_start + self.elapsed()
    }
}
