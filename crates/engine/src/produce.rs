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
use crate::input::{fill, read_error_text, Failed};
use crate::job::{Job, Prepared, Walk};
use crate::pipeline::{Converting, End, Feed, Part, Piece, Seg, Tuning, Work};
use crate::report::ChunkOutput;
use crate::skip::skip_overlong;
use crate::EngineError;
use crossbeam_channel::{Receiver, Sender, TrySendError};
use std::io::{self, Read};
use std::sync::Arc;

/// What the producer hands back for a stream it was cutting when the collector stopped: the
/// bytes it did not send, whether the stream has ended, and the reader.
pub(crate) type Leftover = Option<(Vec<u8>, bool, Box<dyn Read + Send>)>;

/// Where a pass goes on after a wrong cut: the input's state so far and the rest of its body,
/// cut with the exact rule.
pub(crate) struct Resume {
    pub(crate) state: FileState,
    pub(crate) feed: Feed,
}

/// Where the producer's works go. With workers (`workers`: the queue they take works from;
/// none with one thread), a work goes to their queue while fewer wait there than there are
/// workers; otherwise the producer converts it itself, while its bytes are fresh in this
/// core's cache, rather than read far ahead. Converted works go to the collector (`done`).
pub(crate) struct Hand<'a> {
    pub(crate) workers: Option<Sender<Work>>,
    /// How many worker threads take from `workers`.
    pub(crate) worker_threads: usize,
    pub(crate) done: Sender<Work>,
    pub(crate) conv: Converting<'a>,
}

impl Hand<'_> {
    /// Hands `w` on; gives it back when the collector takes no more.
    fn give(&mut self, mut w: Work) -> Result<(), Work> {
        if let Some(queue) = self
            .workers
            .as_ref()
            .filter(|q| q.len() < self.worker_threads)
        {
            match queue.try_send(w) {
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
                let failed = match stream(&mut b, &job, &cut, (carry, eof, reader), &pool) {
                    Ok(Streamed::Done(n)) => Ok(n),
                    Ok(Streamed::Stopped(left)) => {
                        // The pieces still gathered (the one a re-cut starts from, the one
                        // before it) go first: stopped, their bytes are read again.
                        return match (b.flush(), left) {
                            (Err(Stopped(parts)), Some((mut rest, eof, reader))) => {
                                Some((unsent(parts, &job, &mut [&mut rest]), eof, reader))
                            }
                            (_, left) => left,
                        };
                    }
                    Ok(Streamed::Failed(e, tail)) => Err((e, tail)),
                    Err(e) => Err((e, Vec::new())),
                };
                match failed {
                    Ok(n) => n,
                    Err((e, mut tail)) => {
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

/// How cutting a stream ended.
enum Streamed {
    /// At its end, after this many pieces.
    Done(u64),
    /// The collector stopped taking work: what was not sent.
    Stopped(Leftover),
    /// A read failed with this error after the records read whole before it were sent; the
    /// bytes read after them (part of a record, or whole records when a fast cut among
    /// them proves wrong), which a pass reading again from a wrong cut needs.
    Failed(io::Error, Vec<u8>),
}

/// The bytes of `job`'s pieces among `parts`, in order, then `more`.
fn unsent(parts: Vec<Part>, job: &Arc<Job>, more: &mut [&mut Vec<u8>]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for p in parts {
        if let Part::Seg(Seg {
            piece: Piece::Owned(b) | Piece::Recut(b),
            job: j,
            ..
        }) = p
        {
            if Arc::ptr_eq(&j, job) {
                bytes.extend_from_slice(&b);
            }
        }
    }
    for m in more {
        bytes.append(m);
    }
    bytes
}

/// Cuts a stream: blocks read, each cut after its last complete record.
fn stream(
    b: &mut Batcher<'_>,
    job: &Arc<Job>,
    cut: &Cut,
    (mut carry, mut eof, mut reader): (Vec<u8>, bool, Box<dyn Read + Send>),
    pool: &Receiver<Vec<u8>>,
) -> io::Result<Streamed> {
    let (boundary, chunk, max_record) = (cut.boundary, cut.chunk.max(1), cut.max_record);
    let mut sent = 0u64;
    // Sends a piece of this input.
    let send = |b: &mut Batcher<'_>, piece: Piece, last: bool, sent: &mut u64| {
        let seg = b.seg(job, piece, cut.first && *sent == 0, last, cut.verify);
        *sent += 1;
        b.push(seg)
    };
    // A read failed with `e`: the records read whole before it (the piece held back, then
    // `buf` up to its last complete record) are sent first, so what is converted before the
    // error does not depend on where reads and chunks fell; then the error with the bytes
    // after them (or, stopped, a leftover of all not sent that fails with it). A fast cut
    // may fall inside a record: the bytes after it are kept, for the pass that reads again
    // from it.
    let fail = |b: &mut Batcher<'_>,
                held: Option<Vec<u8>>,
                mut buf: Vec<u8>,
                e: io::Error,
                sent: &mut u64| {
        let mut tail = buf.split_off(boundary.last_complete(&buf).unwrap_or(0));
        let mut pieces = held.into_iter().chain((!buf.is_empty()).then_some(buf));
        while let Some(piece) = pieces.next() {
            if let Err(Stopped(parts)) = send(b, Piece::Owned(piece), false, sent) {
                let mut rest = unsent(parts, job, &mut []);
                pieces.for_each(|p| rest.extend_from_slice(&p));
                rest.append(&mut tail);
                let failing: Box<dyn Read + Send> = Box::new(Failed(Some(e)));
                return Ok(Streamed::Stopped(Some((rest, false, failing))));
            }
        }
        Ok(Streamed::Failed(e, tail))
    };
    // One piece is held back until the next read says whether it is the last.
    let mut held: Option<Vec<u8>> = None;
    loop {
        let mut buf = pool.try_recv().unwrap_or_default();
        buf.clear();
        buf.append(&mut carry);
        // What is carried over (the stream's first read, a re-cut's rest) may hold
        // more than the budget's chunk: cut it as a mapped input is cut, so an input
        // that writes many lines per byte stays within the budget on stdin too.
        let target = b.budget.next_chunk(chunk);
        let mut cutoff = false;
        if buf.len() > target {
            let end = boundary.chunk_end(&buf, 0, target);
            if end < buf.len() {
                carry.extend_from_slice(&buf[end..]);
                buf.truncate(end);
                cutoff = true;
            }
        }
        let read = !eof && !cutoff;
        if read {
            // Nothing waits in a work while the stream is read.
            if let Err(Stopped(parts)) = b.flush() {
                let mut held = held.take().unwrap_or_default();
                let rest = unsent(parts, job, &mut [&mut held, &mut buf, &mut carry]);
                return Ok(Streamed::Stopped(Some((rest, eof, reader))));
            }
            match fill(&mut reader, &mut buf, target) {
                Ok(more) => eof = !more,
                Err(e) => return fail(b, held, buf, e, &mut sent),
            }
        }
        let mut oversize = false;
        while !eof && !cutoff {
            if let Some(end) = boundary.last_complete(&buf) {
                carry.extend_from_slice(&buf[end..]);
                buf.truncate(end);
                break;
            }
            if buf.len() > max_record {
                // `buf` starts at a record boundary: its first record is too long.
                oversize = true;
                break;
            }
            let want = buf
                .len()
                .saturating_mul(2)
                .max(chunk)
                .min(max_record.saturating_add(1));
            match fill(&mut reader, &mut buf, want) {
                Ok(more) => eof = !more,
                Err(e) => return fail(b, held, buf, e, &mut sent),
            }
        }
        if oversize {
            if let Some(piece) = held.take() {
                if let Err(Stopped(parts)) = send(b, Piece::Owned(piece), false, &mut sent) {
                    let rest = unsent(parts, job, &mut [&mut buf, &mut carry]);
                    return Ok(Streamed::Stopped(Some((rest, eof, reader))));
                }
            }
            let (piece, rest) = skip_overlong(boundary, buf, &mut reader, max_record, &mut eof)?;
            carry = rest;
            let stop = matches!(piece, Piece::Oversize { end: End::Lost, .. });
            let recut = matches!(piece, Piece::Recut(_));
            match send(b, piece, stop, &mut sent) {
                Err(Stopped(parts)) => {
                    let rest = unsent(parts, job, &mut [&mut carry]);
                    return Ok(Streamed::Stopped(Some((rest, eof, reader))));
                }
                Ok(()) if stop => return Ok(Streamed::Stopped(None)),
                // The collector re-cuts from that piece on: it takes the rest.
                Ok(()) if recut => return Ok(Streamed::Stopped(Some((carry, eof, reader)))),
                Ok(()) => {}
            }
            continue;
        }
        let last = eof && carry.is_empty();
        let prev = held.take();
        let (now, keep) = match (prev, buf.is_empty()) {
            (Some(p), true) => (Some((p, last)), None),
            (Some(p), false) => (Some((p, false)), Some(buf)),
            (None, true) => (last.then(Vec::new).map(|e| (e, true)), None),
            (None, false) => (None, Some(buf)),
        };
        if let Some((piece, is_last)) = now {
            if let Err(Stopped(parts)) = send(b, Piece::Owned(piece), is_last, &mut sent) {
                let mut keep = keep.unwrap_or_default();
                let rest = unsent(parts, job, &mut [&mut keep, &mut carry]);
                return Ok(Streamed::Stopped(Some((rest, eof, reader))));
            }
        }
        held = keep;
        if last {
            if let Some(piece) = held.take() {
                if let Err(Stopped(parts)) = send(b, Piece::Owned(piece), true, &mut sent) {
                    let rest = unsent(parts, job, &mut [&mut carry]);
                    return Ok(Streamed::Stopped(Some((rest, eof, reader))));
                }
            }
            return Ok(Streamed::Done(sent));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv_record::Dialect;
    use crate::pipeline::{ChunkAt, ChunkConverter, Context, MakeConverter};
    use crossbeam_channel::unbounded;

    struct Nothing;

    impl ChunkConverter for Nothing {
        fn convert(&mut self, _: &[u8], _: ChunkAt, _: &mut ChunkOutput) {}
    }

    impl MakeConverter for Nothing {
        fn make(&self) -> Box<dyn ChunkConverter> {
            Box::new(Nothing)
        }
    }

    /// Gives its bytes; learns a ratio when it ends (chunks grow from then on).
    struct Stream {
        data: io::Cursor<Vec<u8>>,
        budget: &'static Budget,
    }

    impl Read for Stream {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.data.read(buf)?;
            if n == 0 {
                self.budget.learn(1 << 20, 1 << 18);
            }
            Ok(n)
        }
    }

    /// A CSV stream's job, cut by quote parity into chunks of `chunk` bytes.
    fn csv_stream_job(chunk: usize) -> Arc<Job> {
        Arc::new(Job {
            cx: Context::default(),
            map: None,
            make: Arc::new(Nothing),
            boundary: Boundary::QuoteParity(Dialect::RFC4180),
            chunk,
            notes: Vec::new(),
        })
    }

    /// A hand that gives every work to the workers' queue (the producer converts none).
    fn all_to_workers(
        budget: &'static Budget,
        work_tx: Sender<Work>,
        done_tx: Sender<Work>,
    ) -> Hand<'static> {
        Hand {
            workers: Some(work_tx),
            worker_threads: usize::MAX,
            done: done_tx,
            conv: Converting::new(budget, None),
        }
    }

    /// Cuts `data`, a CSV stream, with a budget closed (as a collector that found a wrong
    /// cut closes it) and returns the bytes of the works sent, then what is left.
    fn cut_closed(data: &[u8], chunk: usize, max_record: usize) -> Vec<u8> {
        let (bytes, end) = cut_closed_with(data, None, chunk, max_record);
        end.unwrap();
        bytes
    }

    /// [`cut_closed`] of a stream that fails with `error` after `data`; also returns how
    /// reading what is left ended.
    fn cut_closed_with(
        data: &[u8],
        error: Option<io::Error>,
        chunk: usize,
        max_record: usize,
    ) -> (Vec<u8>, io::Result<usize>) {
        let budget: &'static Budget = Box::leak(Box::new(Budget::new(1 << 30)));
        budget.close();
        let job = csv_stream_job(chunk);
        let reader = Stream {
            data: io::Cursor::new(data.to_vec()),
            budget,
        }
        .chain(Failed(error));
        let feed = Feed::Stream(Vec::new(), false, Box::new(reader));
        let (work_tx, work_rx) = unbounded();
        let (done_tx, done_rx) = unbounded();
        let hand = all_to_workers(budget, work_tx, done_tx);
        let tuning = Tuning {
            threads: 1,
            chunk_size: chunk,
            max_record,
        };
        let (_free_tx, free_rx) = unbounded();
        let (_pool_tx, pool_rx) = unbounded();
        let mut walk = Some(Prepared::Body { job, feed });
        let left = produce(&mut walk, None, tuning, budget, free_rx, hand, pool_rx);
        let mut works: Vec<Work> = work_rx.try_iter().chain(done_rx.try_iter()).collect();
        works.sort_by_key(|w| w.seq);
        let mut bytes = Vec::new();
        for part in works.into_iter().flat_map(|w| w.parts) {
            if let Part::Seg(Seg {
                piece: Piece::Owned(b) | Piece::Recut(b),
                ..
            }) = part
            {
                bytes.extend_from_slice(&b);
            }
        }
        let mut end = Ok(0);
        if let Some((rest, _, mut reader)) = left {
            bytes.extend_from_slice(&rest);
            end = reader.read_to_end(&mut bytes);
        }
        (bytes, end)
    }

    #[test]
    fn a_stopped_stream_leaves_the_pieces_not_sent_before_an_overlong_record() {
        // Records, then a quote that does not close within --max-record-size: the piece
        // before it and the record were gathered, not sent, when the producer stopped; they
        // were dropped (rows lost after a wrong cut of stdin).
        let mut data = b"a,1\n".repeat(15);
        data.push(b'"');
        data.extend(b"b,2\n".repeat(100));
        assert_eq!(cut_closed(&data, 100, 50), data);
    }

    #[test]
    fn a_stopped_stream_read_to_its_end_leaves_its_last_pieces() {
        // Cut before the first ratio (64 KiB), then gathered to the chunk size once a ratio
        // is known: the last pieces were not sent, and dropped when the producer stopped.
        let data = b"c,1,\"x\ny\"\n".repeat(10_000);
        assert_eq!(cut_closed(&data, 1 << 20, 1 << 20), data);
    }

    #[test]
    fn a_read_error_sent_before_a_wrong_cut_is_found_is_read_again_by_the_next_pass() {
        // The error went out in a work of its own while the collector was still behind; it
        // then found a wrong cut in a piece before it, gathered the pieces from there on and
        // dropped the error among them. The producer had gone on to the next input (or the
        // end): the pass after the re-cut saw the stream end early, and the run exit 0 (or 3)
        // without the error, the inputs after it read as part of this one.
        let budget: &'static Budget = Box::leak(Box::new(Budget::new(1 << 30)));
        budget.learn(1, 1);
        let job = csv_stream_job(100);
        let data = b"a,1\n".repeat(100);
        let reader = io::Cursor::new(data.clone()).chain(Failed(Some(io::Error::other("gone"))));
        let feed = Feed::Stream(Vec::new(), false, Box::new(reader));
        let (work_tx, work_rx) = unbounded::<Work>();
        let (done_tx, _done_rx) = unbounded();
        let hand = all_to_workers(budget, work_tx, done_tx);
        let tuning = Tuning {
            threads: 1,
            chunk_size: 100,
            max_record: 1 << 20,
        };
        let (_free_tx, free_rx) = unbounded();
        let (_pool_tx, pool_rx) = unbounded();
        // A collector that finds the wrong cut once the error was sent: it stops the producer.
        let collector = std::thread::spawn(move || {
            let mut works = Vec::new();
            for w in work_rx.iter() {
                let failed = w.parts.iter().any(|p| matches!(p, Part::Failed(_)));
                works.push(w);
                if failed {
                    budget.close();
                }
            }
            works
        });
        let mut walk = Some(Prepared::Body { job, feed });
        let left = produce(&mut walk, None, tuning, budget, free_rx, hand, pool_rx);
        let works = collector.join().unwrap();
        assert!(works.len() > 2, "pieces went out before the error");
        let Some((rest, eof, mut reader)) = left else {
            panic!("the error is handed back to the pass after the wrong cut");
        };
        assert!(rest.is_empty() && !eof);
        let e = reader.read_to_end(&mut Vec::new()).unwrap_err();
        assert_eq!(e.to_string(), "gone");
    }

    #[test]
    fn a_read_error_of_a_stopped_stream_is_read_again_by_the_next_pass() {
        // The error was dropped with the work that carried it: the pass after the wrong cut
        // saw the stream end there, and the input looked whole.
        let data = b"a,1\n".repeat(50);
        let disk = io::Error::other("the disk went away");
        let (bytes, end) = cut_closed_with(&data, Some(disk), 1 << 20, 1 << 20);
        let e = end.expect_err("the error is read again");
        assert_eq!(e.to_string(), "the disk went away");
        assert!(
            data.starts_with(&bytes),
            "only bytes of the stream, in order"
        );
    }
}
