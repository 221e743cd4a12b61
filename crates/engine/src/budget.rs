//! The memory budget of the ordered driver: the bytes of the chunks in flight (their input,
//! their line protocol and its compressed form) are bounded, whatever the thread count.
//!
//! The producer takes a chunk's share before sending it, estimated from its input and the
//! output-to-input ratio of the last chunk converted (one chunk at a time until there is one); the worker corrects the share to what
//! the chunk holds once converted; the collector gives it back once the chunk is written. A
//! chunk alone in flight always goes through, so a record longer than the budget converts.
//! The producer cuts chunks to the ratio too ([`Budget::next_chunk`]): a small one until a
//! chunk is converted, then as large as the ratio lets them be, so that a row making thousands
//! of lines (a `*` over many columns) cannot make one chunk's output many times the budget.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

/// Bytes of chunks in flight, input and output together (`--threads` does not change it).
pub const MEMORY_BUDGET: usize = 96 << 20;

/// The smallest chunk the budget makes: below it, per-chunk costs dominate.
const MIN_CHUNK: usize = 64 << 10;

/// The output-to-input ratio assumed before any chunk is written, in 1/1024.
const FIRST_RATIO: u64 = 3 << 10;

/// The smallest chunk cut to a large output ratio: its output alone is what matters then.
const MIN_RATIO_CHUNK: usize = 4 << 10;

/// The largest output-to-input ratio the estimates go by, in 1/1024.
const MAX_RATIO: u64 = 1 << 24;

/// The chunk size used with `threads` workers: `chunk`, made smaller when the workers could
/// not all hold a chunk (input and output) within the budget.
pub(crate) fn chunk_size(chunk: usize, threads: usize) -> usize {
    let fair = MEMORY_BUDGET / (4 * (threads.max(1) + 1));
    chunk.min(fair.max(MIN_CHUNK)).max(1)
}

/// Inputs open at once (mapped or read): the producer opens the next one only when fewer are
/// in flight, so a run over many files holds few descriptors and mappings.
pub(crate) const MAX_OPEN_INPUTS: usize = 32;

#[derive(Default)]
struct State {
    used: u64,
    closed: bool,
    /// Inputs opened and not yet collected to their end.
    files: usize,
    /// Threads waiting on `freed`: a change wakes them only when there are any (a wake is a
    /// system call, and the counters change once per input and per chunk).
    waiting: usize,
}

/// Bytes in flight, shared by the producer, the workers and the collector.
pub(crate) struct Budget {
    limit: u64,
    state: Mutex<State>,
    freed: Condvar,
    /// Output bytes per 1024 input bytes of the last chunk converted.
    ratio: AtomicU64,
    /// Whether a chunk was converted: until then the ratio is a guess.
    measured: AtomicBool,
}

impl Budget {
    pub(crate) fn new(limit: usize) -> Budget {
        Budget {
            limit: limit as u64,
            state: Mutex::default(),
            freed: Condvar::new(),
            ratio: AtomicU64::new(FIRST_RATIO),
            measured: AtomicBool::new(false),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The counters stay meaningful if a holder panicked: they are plain numbers.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a change of the state.
    fn wait<'a>(&self, mut s: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        s.waiting += 1;
        let mut s = self.freed.wait(s).unwrap_or_else(|p| p.into_inner());
        s.waiting -= 1;
        s
    }

    /// Wakes the threads waiting for a change of the state, if any.
    fn wake(&self, s: &State) {
        if s.waiting > 0 {
            self.freed.notify_all();
        }
    }

    /// The share of a chunk of `input` bytes before it is converted.
    pub(crate) fn estimate(&self, input: usize) -> u64 {
        let input = input as u64;
        input.saturating_add(input.saturating_mul(self.ratio.load(Ordering::Relaxed)) >> 10)
    }

    /// The input size of the next chunk, for chunks of `chunk` bytes (sized for the first
    /// ratio): [`MIN_CHUNK`] until a chunk is converted, then smaller than `chunk` as the output
    /// ratio is larger, so that input and output stay within what `chunk` was sized for.
    pub(crate) fn next_chunk(&self, chunk: usize) -> usize {
        if !self.measured.load(Ordering::Relaxed) {
            return chunk.min(MIN_CHUNK);
        }
        let floor = chunk.min(MIN_RATIO_CHUNK);
        let ratio = self.ratio.load(Ordering::Relaxed);
        let fit = (chunk as u64).saturating_mul(1024 + FIRST_RATIO) / (1024 + ratio);
        chunk
            .min(usize::try_from(fit).unwrap_or(usize::MAX))
            .max(floor)
    }

    /// Takes `n` bytes, waiting while the chunks in flight hold so much that `n` would pass
    /// the limit, or while no chunk is converted yet (with nothing in flight it never waits). False once [`Budget::close`]d.
    pub(crate) fn take(&self, n: u64) -> bool {
        let mut s = self.state();
        // Until a chunk is converted its output is a guess: one chunk at a time.
        while !s.closed
            && s.used > 0
            && (s.used.saturating_add(n) > self.limit || !self.measured.load(Ordering::Relaxed))
        {
            s = self.wait(s);
        }
        if s.closed {
            return false;
        }
        s.used = s.used.saturating_add(n);
        true
    }

    /// Corrects a share from `old` to `new` bytes without waiting.
    pub(crate) fn correct(&self, old: u64, new: u64) {
        if new > old {
            let mut s = self.state();
            s.used = s.used.saturating_add(new - old);
        } else if new < old {
            self.give(old - new);
        }
    }

    /// Learns the output-to-input ratio of a chunk just converted: what the next estimates
    /// and chunk sizes go by.
    pub(crate) fn learn(&self, input: usize, output: usize) {
        if input > 0 {
            let ratio = ((output as u64) << 10) / input as u64;
            self.ratio
                .store(ratio.clamp(1 << 8, MAX_RATIO), Ordering::Relaxed);
            // A take waiting for the first ratio goes on now.
            if !self.measured.load(Ordering::Relaxed)
                && !self.measured.swap(true, Ordering::Relaxed)
            {
                self.wake(&self.state());
            }
        }
    }

    /// Gives back `n` bytes.
    pub(crate) fn give_back(&self, n: u64) {
        self.give(n);
    }

    fn give(&self, n: u64) {
        let mut s = self.state();
        s.used = s.used.saturating_sub(n);
        self.wake(&s);
    }

    /// Counts an input as open without waiting (one a pass goes on with).
    pub(crate) fn count_file(&self) {
        self.state().files += 1;
    }

    /// Counts an input as open when fewer than [`MAX_OPEN_INPUTS`] are; false when as many
    /// are open.
    pub(crate) fn try_take_file(&self) -> bool {
        let mut s = self.state();
        if s.files >= MAX_OPEN_INPUTS {
            return false;
        }
        s.files += 1;
        true
    }

    /// Counts an input as open, waiting while [`MAX_OPEN_INPUTS`] are. False once
    /// [`Budget::close`]d.
    pub(crate) fn take_file(&self) -> bool {
        let mut s = self.state();
        while !s.closed && s.files >= MAX_OPEN_INPUTS {
            s = self.wait(s);
        }
        if s.closed {
            return false;
        }
        s.files += 1;
        true
    }

    /// An input is collected to its end (or failed).
    pub(crate) fn give_file(&self) {
        let mut s = self.state();
        s.files = s.files.saturating_sub(1);
        self.wake(&s);
    }

    /// Waits until nothing is in flight (every chunk sent was collected). False once
    /// [`Budget::close`]d.
    pub(crate) fn wait_idle(&self) -> bool {
        let mut s = self.state();
        while !s.closed && s.used > 0 {
            s = self.wait(s);
        }
        !s.closed
    }

    /// Ends the waits: the collector takes no more chunks.
    pub(crate) fn close(&self) {
        self.state().closed = true;
        self.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_take_waits_for_room_but_a_lone_chunk_always_goes_through() {
        let b = Budget::new(100);
        b.learn(100, 100);
        assert!(b.take(1000), "alone: goes through");
        std::thread::scope(|s| {
            let waiter = s.spawn(|| b.take(10));
            std::thread::sleep(Duration::from_millis(50));
            assert!(
                !waiter.is_finished(),
                "waits while 1000 bytes are in flight"
            );
            b.learn(100, 200);
            b.give_back(1000);
            assert!(waiter.join().unwrap());
        });
        assert_eq!(b.estimate(100), 300, "the last chunk's ratio: 2");
        b.correct(10, 60);
        assert!(b.take(40) && b.state().used == 100);
        std::thread::scope(|s| {
            let waiter = s.spawn(|| b.take(1));
            std::thread::sleep(Duration::from_millis(20));
            b.close();
            assert!(!waiter.join().unwrap(), "closed: gives up");
        });
    }

    #[test]
    fn chunks_are_small_until_the_ratio_is_known_then_shrink_as_it_grows() {
        // A row making thousands of lines (a `*` over many columns) used to go in chunks of the
        // full size whatever the ratio (capped at 16): 1.2 MB of such CSV made one chunk of
        // 900 MB of line protocol, 770 MB peak RSS.
        let b = Budget::new(MEMORY_BUDGET);
        assert_eq!(b.next_chunk(4 << 20), MIN_CHUNK, "ratio unknown: small");
        assert_eq!(b.next_chunk(100), 100);
        assert!(b.take(10));
        std::thread::scope(|s| {
            let second = s.spawn(|| b.take(10));
            std::thread::sleep(Duration::from_millis(50));
            assert!(
                !second.is_finished(),
                "a second chunk waits for the first ratio"
            );
            b.learn(1000, 3000);
            assert!(second.join().unwrap());
        });
        assert_eq!(
            b.next_chunk(4 << 20),
            4 << 20,
            "the ratio chunks are sized for"
        );
        b.learn(1000, 1000);
        assert_eq!(b.next_chunk(4 << 20), 4 << 20, "never larger than asked");
        b.learn(1000, 700_000);
        let n = b.next_chunk(4 << 20);
        assert!((MIN_RATIO_CHUNK..32 << 10).contains(&n), "ratio 700: {n}");
        b.learn(1, 1 << 30);
        assert_eq!(b.next_chunk(4 << 20), MIN_RATIO_CHUNK);
        b.learn(1 << 20, 31 << 20);
        assert_eq!(b.next_chunk(4 << 20), 512 << 10, "ratio 31: an eighth");
        assert!(b.estimate(100) >= 100 * 32);
    }

    #[test]
    fn many_threads_get_smaller_chunks() {
        assert_eq!(chunk_size(4 << 20, 2), 4 << 20);
        assert!(chunk_size(4 << 20, 64) * 4 * 65 <= MEMORY_BUDGET);
        assert_eq!(chunk_size(4 << 20, 1024), MIN_CHUNK);
        assert_eq!(chunk_size(100, 64), 100);
    }
}
