//! The workers' encoders (a compressor holds megabytes of tables): shared by the workers, at
//! most one per core, so that `--threads` beyond the cores does not multiply their memory.

use crate::pipeline::{ChunkEncoder, MakeEncoder};
use std::io;
use std::sync::{Condvar, Mutex, MutexGuard};

/// Encoders made on demand, up to a limit, and lent to one worker at a time.
pub(crate) struct Encoders {
    make: MakeEncoder,
    limit: usize,
    state: Mutex<Idle>,
    returned: Condvar,
}

struct Idle {
    made: usize,
    idle: Vec<ChunkEncoder>,
}

impl Encoders {
    /// At most `limit` (at least 1) encoders made by `make`.
    pub(crate) fn new(make: MakeEncoder, limit: usize) -> Encoders {
        Encoders {
            make,
            limit: limit.max(1),
            state: Mutex::new(Idle {
                made: 0,
                idle: Vec::new(),
            }),
            returned: Condvar::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, Idle> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An idle encoder, or a new one while fewer than the limit are made, or the next one
    /// given back.
    fn lend(&self) -> ChunkEncoder {
        let mut s = self.state();
        loop {
            if let Some(e) = s.idle.pop() {
                return e;
            }
            if s.made < self.limit {
                s.made += 1;
                drop(s);
                return (self.make)();
            }
            s = self.returned.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Appends the encoded `lines` to `out` with an idle encoder, waiting for one when all are
    /// lent.
    pub(crate) fn encode(&self, lines: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        let mut enc = self.lend();
        let r = enc(lines, out);
        self.state().idle.push(enc);
        self.returned.notify_one();
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn no_more_encoders_than_the_limit_are_made_however_many_threads_encode() {
        let made = Arc::new(AtomicUsize::new(0));
        let counter = made.clone();
        let make: MakeEncoder = Arc::new(move || -> ChunkEncoder {
            counter.fetch_add(1, Ordering::SeqCst);
            Box::new(|lines: &[u8], out: &mut Vec<u8>| {
                std::thread::sleep(std::time::Duration::from_millis(2));
                out.extend(lines.iter().rev());
                Ok(())
            })
        });
        let pool = Encoders::new(make, 2);
        std::thread::scope(|s| {
            for i in 0..16u8 {
                let pool = &pool;
                s.spawn(move || {
                    let mut out = Vec::new();
                    pool.encode(&[i, i + 1], &mut out).unwrap();
                    assert_eq!(out, [i + 1, i]);
                });
            }
        });
        assert!(made.load(Ordering::SeqCst) <= 2);
    }
}
