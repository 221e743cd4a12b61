//! Smooth rate limiting by lines/s and/or bytes/s.
//!
//! A pacer, not a once-a-second bucket: every batch has a cost in seconds (`lines / rate`, or
//! `bytes / rate`, whichever is larger) and is released at its theoretical time of departure;
//! the next one `cost` later. When the sender falls behind (a slow server), at most
//! [`RateLimiter::CATCH_UP`] of lost time is made up with a small burst, so the long-run rate
//! stays on target without ever sending a second's worth at once.

use crate::clock::Clock;
use crate::units::Rate;
use std::time::{Duration, Instant};

/// Paces batches to a target rate.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    lines_per_s: Option<f64>,
    bytes_per_s: Option<f64>,
    /// Theoretical departure time of the next batch.
    next: Option<Instant>,
}

impl RateLimiter {
    /// Longest lag that is made up by sending faster than the rate.
    pub const CATCH_UP: Duration = Duration::from_millis(100);

    /// A limiter for the given rates; with none, `acquire` never waits.
    pub fn new(rates: &[Rate]) -> RateLimiter {
        let mut lines_per_s: Option<f64> = None;
        let mut bytes_per_s: Option<f64> = None;
        for r in rates {
            match *r {
                Rate::Lines(v) => lines_per_s = Some(lines_per_s.map_or(v, |o| o.min(v))),
                Rate::Bytes(v) => bytes_per_s = Some(bytes_per_s.map_or(v, |o| o.min(v))),
            }
        }
        RateLimiter {
            lines_per_s,
            bytes_per_s,
            next: None,
        }
    }

    /// Whether any limit is set.
    pub fn is_limited(&self) -> bool {
        self.lines_per_s.is_some() || self.bytes_per_s.is_some()
    }

    /// The line rate, if limited.
    pub fn lines_per_s(&self) -> Option<f64> {
        self.lines_per_s
    }

    /// The byte rate, if limited.
    pub fn bytes_per_s(&self) -> Option<f64> {
        self.bytes_per_s
    }

    /// Seconds that `lines` lines of `bytes` bytes take at the configured rates.
    pub fn cost(&self, lines: u64, bytes: u64) -> f64 {
        let a = self.lines_per_s.map_or(0.0, |r| lines as f64 / r);
        let b = self.bytes_per_s.map_or(0.0, |r| bytes as f64 / r);
        a.max(b)
    }

    /// Waits (on `clock`) until a batch of `lines` lines and `bytes` bytes may leave.
    pub fn acquire(&mut self, clock: &dyn Clock, lines: u64, bytes: u64) {
        self.acquire_unless(clock, lines, bytes, &|| false);
    }

    /// As [`acquire`](Self::acquire), but gives up (returns false, the batch not counted)
    /// as soon as `stop` returns true.
    pub fn acquire_unless(
        &mut self,
        clock: &dyn Clock,
        lines: u64,
        bytes: u64,
        stop: &dyn Fn() -> bool,
    ) -> bool {
        if !self.is_limited() {
            return true;
        }
        let now = clock.now();
        let earliest = now.checked_sub(Self::CATCH_UP).unwrap_or(now);
        let due = match self.next {
            Some(t) if t > earliest => t,
            _ => earliest.max(self.next.unwrap_or(now)),
        };
        if !sleep_until(clock, due, stop) {
            return false;
        }
        // A batch never owes more than a day, whatever the rate (and no Instant overflow).
        let cost = Duration::from_secs_f64(self.cost(lines, bytes).clamp(0.0, 86_400.0));
        self.next = Some(due.checked_add(cost).unwrap_or(due));
        true
    }

    /// Largest batch (lines, bytes) that keeps bursts to about 1/50 s at the configured rates,
    /// given the requested maxima.
    pub fn smooth_batch(&self, max_lines: usize, max_bytes: usize) -> (usize, usize) {
        let lines = self
            .lines_per_s
            .map_or(max_lines, |r| max_lines.min(((r / 50.0) as usize).max(1)));
        let bytes = self
            .bytes_per_s
            .map_or(max_bytes, |r| max_bytes.min(((r / 50.0) as usize).max(1)));
        (lines, bytes)
    }
}

/// Sleeps (on `clock`) until `due`, in slices of at most 100 ms so that `stop` is seen
/// promptly; false when it stopped early.
pub fn sleep_until(clock: &dyn Clock, due: Instant, stop: &dyn Fn() -> bool) -> bool {
    const SLICE: Duration = Duration::from_millis(100);
    loop {
        if stop() {
            return false;
        }
        let now = clock.now();
        if due <= now {
            return true;
        }
        clock.sleep((due - now).min(SLICE));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn paces_evenly() {
        let clock = ManualClock::new();
        let mut rl = RateLimiter::new(&[Rate::Lines(1000.0)]);
        for _ in 0..100 {
            rl.acquire(&clock, 100, 10);
        }
        // 100 batches of 100 lines at 1000 lines/s: the last leaves at 9.9 s.
        let e = clock.elapsed().as_secs_f64();
        assert!((e - 9.9).abs() < 1e-6, "{e}");
    }

    #[test]
    fn bytes_and_lines_take_the_slower() {
        let clock = ManualClock::new();
        let mut rl = RateLimiter::new(&[Rate::Lines(1e9), Rate::Bytes(1000.0)]);
        rl.acquire(&clock, 1, 500);
        rl.acquire(&clock, 1, 500);
        rl.acquire(&clock, 1, 500);
        assert!((clock.elapsed().as_secs_f64() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn catches_up_at_most_a_little() {
        let clock = ManualClock::new();
        let mut rl = RateLimiter::new(&[Rate::Lines(100.0)]);
        rl.acquire(&clock, 10, 0); // due at 0, next at 0.1
        clock.advance(Duration::from_secs(5)); // a stall
        let before = clock.elapsed();
        rl.acquire(&clock, 10, 0); // released at once
        rl.acquire(&clock, 10, 0); // burst allowance: 0.1 s lag made up
        assert_eq!(clock.elapsed(), before);
        rl.acquire(&clock, 10, 0);
        assert!(clock.elapsed() > before);
    }

    #[test]
    fn unlimited_never_waits_and_smooth_batches() {
        let clock = ManualClock::new();
        let mut rl = RateLimiter::new(&[]);
        rl.acquire(&clock, 1_000_000, 1 << 30);
        assert_eq!(clock.elapsed(), Duration::ZERO);
        assert_eq!(rl.smooth_batch(5000, 1 << 20), (5000, 1 << 20));
        let rl = RateLimiter::new(&[Rate::Lines(50000.0)]);
        assert_eq!(rl.smooth_batch(5000, 1 << 20), (1000, 1 << 20));
        let rl = RateLimiter::new(&[Rate::Bytes(10e6)]);
        assert_eq!(rl.smooth_batch(5000, 1 << 30), (5000, 200_000));
    }

    #[test]
    fn a_wait_ends_early_when_stopped() {
        let clock = ManualClock::default();
        let mut r = RateLimiter::new(&[Rate::Lines(1.0)]);
        assert!(r.acquire_unless(&clock, 10, 0, &|| false));
        let start = clock.now();
        let stopped = std::cell::Cell::new(0);
        let stop = || {
            stopped.set(stopped.get() + 1);
            stopped.get() > 3
        };
        assert!(!r.acquire_unless(&clock, 10, 0, &stop));
        assert!(clock.now() - start < Duration::from_secs(1));
    }
}
