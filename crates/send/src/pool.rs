//! The sender threads shared by replay and bench: `concurrency` workers, each with its own
//! [`RequestStats`] and retry [`Jitter`], taking work from one bounded channel that the
//! caller's thread feeds; their statistics merged when they are joined.
//!
//! What a worker does with an item (send it, report its answer) is the caller's handler; so is
//! what the caller does while feeding (pacing, batching, stopping).

use crate::retry::Jitter;
use crate::stats::RequestStats;
use crossbeam_channel::{bounded, Sender};
use std::io;
use std::thread::{Scope, ScopedJoinHandle};
use std::time::{Duration, Instant};

/// A started pool: the channel to feed and the workers.
pub struct Started<'scope, T> {
    /// Where work goes; dropping it (once every clone is gone) lets the workers end after the
    /// work already queued.
    pub work: Sender<T>,
    /// The workers.
    pub pool: Pool<'scope>,
    /// A worker that could not be started (the ones before it run, and end once `work` is
    /// dropped).
    pub spawn_error: Option<io::Error>,
}

/// The running workers.
pub struct Pool<'scope> {
    workers: Vec<ScopedJoinHandle<'scope, RequestStats>>,
}

/// What the workers did, once joined.
#[derive(Debug, Default)]
pub struct Joined {
    /// Every worker's request statistics, merged.
    pub stats: RequestStats,
    /// Whether a worker panicked (its statistics are lost).
    pub panicked: bool,
}

impl<'scope> Pool<'scope> {
    /// Starts `concurrency` workers named `sender N` in `scope`, fed by a channel holding at
    /// most `capacity` items. `handler(n)` makes worker `n`'s handler, which gets every item
    /// the worker takes, with the worker's statistics and jitter; it returns `false` to end
    /// the worker.
    pub fn start<'env, T, H>(
        scope: &'scope Scope<'scope, 'env>,
        concurrency: usize,
        capacity: usize,
        mut handler: impl FnMut(usize) -> H,
    ) -> Started<'scope, T>
    where
        T: Send + 'scope,
        H: FnMut(T, &mut RequestStats, &mut Jitter) -> bool + Send + 'scope,
    {
        let (work, rx) = bounded::<T>(capacity);
        let mut workers = Vec::with_capacity(concurrency);
        let mut spawn_error = None;
        for w in 0..concurrency {
            let rx = rx.clone();
            let mut handle = handler(w);
            let spawned = std::thread::Builder::new()
                .name(format!("sender {w}"))
                .spawn_scoped(scope, move || {
                    let mut stats = RequestStats::default();
                    let mut rng = Jitter::from_time(w as u64 + 1);
                    for item in rx {
                        if !handle(item, &mut stats, &mut rng) {
                            break;
                        }
                    }
                    stats
                });
            match spawned {
                Ok(h) => workers.push(h),
                Err(e) => {
                    spawn_error = Some(e);
                    break;
                }
            }
        }
        Started {
            work,
            pool: Pool { workers },
            spawn_error,
        }
    }

    /// Waits (sleeping on `clock`) until every worker has ended or `deadline` has passed.
    pub fn wait_until(&self, clock: &dyn crate::clock::Clock, deadline: Instant) {
        while self.workers.iter().any(|w| !w.is_finished()) && clock.now() < deadline {
            clock.sleep(Duration::from_millis(10));
        }
    }

    /// Joins every worker and merges their statistics.
    pub fn join(self) -> Joined {
        let mut joined = Joined::default();
        for w in self.workers {
            match w.join() {
                Ok(stats) => joined.stats.merge(&stats),
                Err(_) => joined.panicked = true,
            }
        }
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn every_item_is_handled_once_and_stats_are_merged() {
        let seen = AtomicU64::new(0);
        let joined = std::thread::scope(|scope| {
            let started = Pool::start(scope, 3, 2, |_| {
                |n: u64, stats: &mut RequestStats, _: &mut Jitter| {
                    seen.fetch_add(n, Ordering::Relaxed);
                    stats.requests += 1;
                    true
                }
            });
            assert!(started.spawn_error.is_none());
            for n in 1..=10 {
                started.work.send(n).unwrap();
            }
            drop(started.work);
            started.pool.join()
        });
        assert_eq!(seen.load(Ordering::Relaxed), 55);
        assert_eq!(joined.stats.requests, 10);
        assert!(!joined.panicked);
    }

    #[test]
    fn a_panicking_worker_neither_hangs_the_feed_nor_loses_the_others_stats() {
        let handled = AtomicU64::new(0);
        let (joined, refused) = std::thread::scope(|scope| {
            let started = Pool::start(scope, 2, 1, |_| {
                let handled = &handled;
                move |n: u64, stats: &mut RequestStats, _: &mut Jitter| {
                    assert_ne!(n, 5, "the worker taking item 5 fails");
                    handled.fetch_add(1, Ordering::Relaxed);
                    stats.requests += 1;
                    true
                }
            });
            // Every item is taken while one worker lives.
            let refused = (1..=50u64)
                .filter(|&n| started.work.send(n).is_err())
                .count();
            drop(started.work);
            (started.pool.join(), refused)
        });
        assert!(joined.panicked);
        assert_eq!(refused, 0);
        // The other worker takes the rest; the failed one's statistics are lost.
        assert_eq!(handled.load(Ordering::Relaxed), 49);
        assert!(joined.stats.requests <= 49);
        assert!(joined.stats.requests >= 45, "{:?}", joined.stats.requests);
    }

    #[test]
    fn when_every_worker_is_gone_feeding_fails_instead_of_blocking() {
        let joined = std::thread::scope(|scope| {
            let started = Pool::start(scope, 3, 1, |_| {
                |_: u64, _: &mut RequestStats, _: &mut Jitter| -> bool { panic!("no worker left") }
            });
            let mut n = 0u64;
            while started.work.send(n).is_ok() {
                n += 1;
                assert!(n < 1000, "the feed was never refused");
            }
            started.pool.join()
        });
        assert!(joined.panicked);
        assert_eq!(joined.stats.requests, 0);
    }
}
