//! The producer of the ordered driver: walks the inputs in order (each opened and prepared
//! when reached, at most [`crate::budget::MAX_OPEN_INPUTS`] open at once), cuts each body
//! (a mapped file, or a stream read block by block) into pieces of whole records, and hands
//! them to the workers in works of about one chunk: the pieces of small inputs (or the tail
//! of a large one and the next inputs) share one work. A stream holds at most
//! `--max-record-size` bytes of one record; a longer one is skipped (`skip.rs`) and sent as one
//! [`Piece::Oversize`]. Each work takes its share of the memory budget before it is sent.

use crate::budget::{self, Budget};
use crate::chunker::Boundary;
use crate::collect::FileState;
use crate::input::{read_error_text, Failed};
use crate::job::{Job, Prepared, Walk};
use crate::pipeline::{Converting, Feed, Part, Piece, Seg, Tuning, Work};
use crate::report::ChunkOutput;
use crate::EngineError;
use crossbeam_channel::{Receiver, Sender, TrySendError};
use std::io::{self, Read};
use std::sync::Arc;
use stream::{stream, unsent, Streamed};

mod stream;
#[cfg(test)]
mod tests;

/// What the producer hands back for a stream it was cutting when the collector stopped: the
/// bytes it did not send, whether the stream has ended, and the reader.
pub(crate) type Leftover = Option<(Vec<u8>, bool, Box<dyn Read + Send>)>;

/// Where a pass goes on after a wrong cut: the input's state so far and the rest of its body,
/// cut with the exact rule.
pub(crate) struct Resume {
    pub(crate) state: FileState,
    pub(crate) feed: Feed,
}

/// Where the producer's works go: to the queue the `worker_threads` workers take from while
/// fewer wait there than there are workers (never with one thread: none); otherwise the
/// producer converts the work itself, while its bytes are fresh in this core's cache, rather
/// than read far ahead. Converted works go to the collector (`done`).
pub(crate) struct Hand<'a> {
    pub(crate) workers: Sender<Work>,
    /// How many worker threads take from `workers`.
    pub(crate) worker_threads: usize,
    pub(crate) done: Sender<Work>,
    pub(crate) conv: Converting<'a>,
}

impl Hand<'_> {
    /// Hands `w` on; gives it back when the collector takes no more.
    fn give(&mut self, mut w: Work) -> Result<(), Work> {
        if self.workers.len() < self.worker_threads {
            match self.workers.try_send(w) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Full(back)) => w = back,
                Err(TrySendError::Disconnected(back)) => return Err(back),
            }
        }
        self.conv.convert(&mut w);
        self.done.send(w).map_err(|e| e.into_inner())
    }
}

/// Most pieces in one work.
const MAX_PARTS: usize = 64;

/// Gathers pieces into works of about one chunk and sends them.
struct Batcher<'b> {
    budget: &'b Budget,
    free: Receiver<ChunkOutput>,
    hand: Hand<'b>,
    seq: u64,
    parts: Vec<Part>,
    bytes: usize,
    /// The run's chunk size.
    max_chunk: usize,
    /// The smallest chunk size of the inputs in the work (a plan that writes many lines per
    /// record cuts smaller chunks: a work of its pieces stays that small).
    chunk: usize,
}

/// The collector stopped taking work: the parts not sent.
struct Stopped(Vec<Part>);

impl Batcher<'_> {
    fn seg(&mut self, job: &Arc<Job>, piece: Piece, first: bool, last: bool, verify: bool) -> Seg {
        self.chunk = self.chunk.min(job.chunk);
        Seg {
            job: Arc::clone(job),
            piece,
            first,
            last,
            verify,
            out: self.free.try_recv().unwrap_or_default(),
        }
    }

    /// Adds a piece; sends the work once it holds a chunk's worth.
    fn push(&mut self, seg: Seg) -> Result<(), Stopped> {
        self.bytes += match &seg.piece {
            Piece::Range(r) => r.len(),
            Piece::Owned(v) => v.len(),
            Piece::Recut(_) | Piece::Oversize { .. } => 0,
        };
        self.parts.push(Part::Seg(seg));
        if self.bytes >= self.budget.next_chunk(self.chunk) || self.parts.len() >= MAX_PARTS {
            self.flush()
        } else {
            Ok(())
        }
    }

    /// Adds an input with nothing to convert (its counters): it writes no line, so it shares
    /// a work with the pieces around it.
    fn empty(&mut self, part: Part) -> Result<(), Stopped> {
        self.parts.push(part);
        if self.parts.len() >= MAX_PARTS {
            self.flush()
        } else {
            Ok(())
        }
    }

    /// Sends `part` in a work of its own (an input that failed: the lines before it are
    /// written, or encoded, before its error is seen).
    fn alone(&mut self, part: Part) -> Result<(), Stopped> {
        self.flush()?;
        self.parts.push(part);
        self.flush()
    }

    /// Sends the pieces gathered, if any.
    fn flush(&mut self) -> Result<(), Stopped> {
        if self.parts.is_empty() {
            return Ok(());
        }
        let parts = std::mem::take(&mut self.parts);
        self.chunk = self.max_chunk;
        let charge = self.budget.estimate(std::mem::take(&mut self.bytes));
        if !self.budget.take(charge) {
            return Err(Stopped(parts));
        }
        let w = Work {
            seq: self.seq,
            parts,
            encoded: None,
            encoded_to: 0,
            charge,
        };
        match self.hand.give(w) {
            Ok(()) => {
                self.seq += 1;
                Ok(())
            }
            Err(w) => Err(Stopped(w.parts)),
        }
    }
}

/// Walks the inputs (after `resume`'s, when a pass goes on after a wrong cut) and sends
/// their pieces; returns what it did not send of a stream it was cutting when stopped.
pub(crate) fn produce(
    walk: &mut dyn Walk,
    resume: Option<Resume>,
    tuning: Tuning,
    budget: &Budget,
    free: Receiver<ChunkOutput>,
    hand: Hand<'_>,
    pool: Receiver<Vec<u8>>,
) -> Leftover {
    let threads = tuning.threads.max(1);
    let mut b = Batcher {
        budget,
        free,
        hand,
        seq: 0,
        parts: Vec::new(),
        bytes: 0,
        max_chunk: budget::chunk_size(tuning.chunk_size, threads),
        chunk: budget::chunk_size(tuning.chunk_size, threads),
    };
    let max_record = tuning.max_record.max(1);
    let mut next = resume.map(|r| {
        if r.state.job.holds_file() {
            budget.count_file();
        }
        (r.state.job, r.feed, true)
    });
    loop {
        let (job, feed, resumed) = match next.take() {
            Some(n) => n,
            None => {
                if !budget.try_take_file() && (b.flush().is_err() || !budget.take_file()) {
                    return None;
                }
                let sent = match walk.next() {
                    None => {
                        budget.give_file();
                        let _ = b.flush();
                        return None;
                    }
                    Some(Prepared::Body { job, feed }) => {
                        if !job.holds_file() {
                            budget.give_file();
                        }
                        next = Some((job, feed, false));
                        continue;
                    }
                    Some(Prepared::Failed(e)) => b.alone(Part::Failed(e)),
                    Some(Prepared::Empty {
                        name,
                        notes,
                        counters,
                    }) => b.empty(Part::Empty {
                        name,
                        notes,
                        counters,
                    }),
                };
                if sent.is_err() {
                    return None;
                }
                continue;
            }
        };
        let chunk = budget::chunk_size(job.chunk, threads);
        let boundary = match resumed {
            true => job.boundary.exact().unwrap_or(job.boundary),
            false => job.boundary,
        };
        let verify = boundary.exact().is_some();
        let cut = Cut {
            boundary,
            chunk,
            first: !resumed,
            verify,
            max_record,
        };
        let streamed = matches!(feed, Feed::Stream(..));
        let pieces = match feed {
            Feed::Mapped(pos) => match mapped(&mut b, &job, pos, &cut) {
                Ok(n) => n,
                Err(_) => return None,
            },
            Feed::Stream(carry, eof, reader) => {
                match stream(&mut b, &job, &cut, (carry, eof, reader), &pool) {
                    Streamed::Done(n) => n,
                    Streamed::Stopped(left) => {
                        // The pieces still gathered (the one a re-cut starts from, the one
                        // before it) go first: stopped, their bytes are read again.
                        return match (b.flush(), left) {
                            (Err(Stopped(parts)), Some((mut rest, eof, reader))) => {
                                Some((unsent(parts, &job, &mut [&mut rest]), eof, reader))
                            }
                            (_, left) => left,
                        };
                    }
                    Streamed::Failed(e, mut tail) => {
                        let text = read_error_text(&job.cx.name, &e);
                        match b.alone(Part::Failed(EngineError::Input(text))) {
                            // Sent, but the fast cuts before it are not verified yet: a
                            // wrong one makes the collector gather the pieces from it on and
                            // drop the error among them. Wait, as at the end of a stream
                            // read whole (no other input is cut meanwhile), and if stopped,
                            // the pass after it reads the same error after those pieces.
                            // The bytes read after the last piece (`tail`) follow them.
                            Ok(()) if verify && !budget.wait_idle() => {
                                return Some((tail, false, Box::new(Failed(Some(e)))));
                            }
                            Ok(()) => 0,
                            // Stopped (by a wrong cut): the pass after it reads the bytes not
                            // sent, then the same error, so the input still fails with it.
                            Err(Stopped(parts)) => {
                                let rest = unsent(parts, &job, &mut [&mut tail]);
                                return Some((rest, false, Box::new(Failed(Some(e)))));
                            }
                        }
                    }
                }
            }
        };
        // A fast cut is verified as the pieces are converted: until then, no other input is
        // cut, so a re-cut goes on from this input only.
        if verify && pieces > 1 {
            if let Err(Stopped(parts)) = b.flush() {
                // A stream read to its end: what was not sent of it is all that is left.
                let rest = unsent(parts, &job, &mut []);
                return streamed
                    .then(|| (rest, true, Box::new(io::empty()) as Box<dyn Read + Send>));
            }
            if !budget.wait_idle() {
                return None;
            }
        }
    }
}

/// How an input is cut.
struct Cut {
    boundary: Boundary,
    chunk: usize,
    /// The first piece is the first of the body (not a pass going on after a wrong cut).
    first: bool,
    verify: bool,
    max_record: usize,
}

/// Cuts a mapped body from `pos`; returns the pieces sent.
fn mapped(b: &mut Batcher<'_>, job: &Arc<Job>, mut pos: usize, cut: &Cut) -> Result<u64, Stopped> {
    let data = job.data();
    if pos >= data.len() {
        // An empty body is still one (empty, last) piece, so workers see the end.
        let seg = b.seg(job, Piece::Range(pos..pos), cut.first, true, cut.verify);
        return b.push(seg).map(|()| 1);
    }
    let mut n = 0;
    while pos < data.len() {
        let end = cut
            .boundary
            .chunk_end(data, pos, b.budget.next_chunk(cut.chunk));
        let seg = b.seg(
            job,
            Piece::Range(pos..end),
            cut.first && n == 0,
            end == data.len(),
            cut.verify,
        );
        b.push(seg)?;
        n += 1;
        pos = end;
    }
    Ok(n)
}
