//! The parallel ordered driver of a whole run: a producer walks the inputs in order and cuts
//! them into chunks, workers convert them (and compress them, when the sink asks for it), and
//! the calling thread hands the results to the sink in input order. The threads are started
//! once per run, not per input: the pieces of small files (or the tails of large ones) share
//! one chunk's worth of work ([`Work`] holds several [`Part`]s), so many small files keep
//! every worker busy. The chunks in flight are bounded by bytes, and the inputs open at once
//! by count (`budget.rs`), so memory is bounded whatever the input size, the number of
//! inputs and the thread count.
//!
//! A fast cut (CSV quote parity) is verified: a chunk that is not the last one must not end
//! inside a quoted field. If one does, everything from that chunk on is discarded and cut
//! again with the exact rule, so the output never depends on the chunk size. The producer
//! waits at the end of an input cut that way until it is verified before it starts the next
//! input, so a re-cut concerns one input only.
//!
//! A stream holds at most `--max-record-size` bytes of one record. A longer record is
//! skipped block by block with the exact rules of the workers (`skip.rs`): lines, the CSV
//! record reader's (a quote-parity cut is first re-cut exactly, since skipped bytes cannot
//! be read again), or one JSON array element; the collector reports it as one row error at
//! the line and column a mapped read of the same bytes names.

use crate::budget::{Budget, MEMORY_BUDGET};
use crate::collect::{collect, Collected, Restart};
use crate::encoders::Encoders;
use crate::job::{Job, Prepared, Walk};
use crate::preview::Reader;
use crate::produce::{produce, Hand, Resume};
use crate::report::{ChunkOutput, Counters, Reject};
use crate::EngineError;
use crossbeam_channel::{bounded, unbounded, Receiver, Sender};
use lpconvert_schema::Plan;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::Arc;

/// An encoder of a chunk's lines: appends the encoded form of the lines to the buffer (e.g.
/// one gzip member per chunk). The workers share them, at most one per core.
pub type ChunkEncoder = Box<dyn FnMut(&[u8], &mut Vec<u8>) -> io::Result<()> + Send>;

/// Makes each worker's [`ChunkEncoder`].
pub type MakeEncoder = Arc<dyn Fn() -> ChunkEncoder + Send + Sync>;

/// Whether a sink wants more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on converting.
    Continue,
    /// Enough: the conversion ends after this chunk, cleanly (its result is the counters
    /// so far), and reads no further.
    Stop,
}

/// Receives the results of a conversion, in input order.
pub trait Sink {
    /// Line protocol lines, each ending in LF (one chunk's). [`Flow::Stop`] ends the
    /// conversion after this chunk (a consumer that has enough, or that stopped reading).
    fn write_lines(&mut self, lines: &[u8]) -> io::Result<Flow>;
    /// A rejected row; `header` is what precedes the CSV body of its input (the rows
    /// `skip_rows` skips, then the header line), if anything.
    fn reject(&mut self, reject: &Reject<'_>, header: Option<&[u8]>) -> io::Result<()>;
    /// A row that produced no line (every field empty, or no line of a schema that
    /// iterates), placed like a reject: column 0, the reason as its message (see
    /// [`Reject::at_line`]); `header` as for [`Sink::reject`]. Ignored by default.
    fn skipped(&mut self, _row: &Reject<'_>, _header: Option<&[u8]>) -> io::Result<()> {
        Ok(())
    }
    /// Called after each chunk with the counters so far of this input.
    fn progress(&mut self, _counters: &Counters) {}
    /// Called when an input is converted to its end, with its counters (`name` as in
    /// messages).
    fn input_done(&mut self, _name: &str, _counters: &Counters) {}
    /// An input failed (cannot be opened or read, its header does not fit the schema, a row
    /// failed with `on_error = "fail"`); `counted`: what it counted before. `Err` (the
    /// default) ends the run with that error; `Ok` goes on with the next input.
    fn input_error(&mut self, error: EngineError, _counted: &Counters) -> Result<(), EngineError> {
        Err(error)
    }
    /// A remark about the input that is not an error (e.g. a byte order mark ignored).
    fn note(&mut self, _text: &str) -> io::Result<()> {
        Ok(())
    }
    /// Makes encoders for the workers: with them, each worker encodes its chunk's lines and
    /// the sink gets them through [`Sink::write_encoded`]. None by default.
    fn encoder(&self) -> Option<MakeEncoder> {
        None
    }
    /// One chunk's lines as [`Sink::encoder`]'s encoder made them (nothing for a chunk
    /// without lines).
    fn write_encoded(&mut self, bytes: &[u8]) -> io::Result<Flow> {
        self.write_lines(bytes)
    }
}

/// Where a chunk lies in its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkAt {
    /// The first chunk of the body.
    pub first: bool,
    /// The last chunk of the input.
    pub last: bool,
}

/// Converts one chunk; each worker thread owns one.
pub trait ChunkConverter: Send {
    /// Converts `data` (whole records), which lies in its input at `at`, into `out`.
    fn convert(&mut self, data: &[u8], at: ChunkAt, out: &mut ChunkOutput);

    /// Whether a row error stops the run (`on_error = "fail"`); by default it does not.
    fn stops_on_error(&self) -> bool {
        false
    }
}

/// The message of a record longer than `--max-record-size` (`what` says more).
pub(crate) fn oversize_message(bytes: u64, max: usize, what: &str) -> String {
    format!(
        "record longer than --max-record-size ({max} bytes): {bytes} bytes{what}; raise \
         --max-record-size if records this long are expected"
    )
}

pub(crate) enum Piece {
    Range(Range<usize>),
    Owned(Vec<u8>),
    /// Bytes from a quote-parity cut where a record too long starts: not converted; the
    /// collector re-cuts from here with the exact rule.
    Recut(Vec<u8>),
    /// A record of `len` bytes (without its LF), longer than `max_record`, skipped up to
    /// its end (`bytes` consumed). `lines`: the line feeds consumed. `row`: false for a
    /// CSV comment line (not a record). `end`: how it ended.
    Oversize {
        bytes: u64,
        len: u64,
        lines: u64,
        row: bool,
        end: End,
        at: Place,
    },
}

/// Where a skipped record starts in its piece, and what it leaves of its last line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place {
    /// Line feeds before the record's first byte.
    pub(crate) line: u64,
    /// The record's column (1-based; on the piece's first line, counted from its start).
    pub(crate) column: usize,
    /// Bytes after the last line feed consumed (`None`: no line feed consumed).
    pub(crate) tail: Option<usize>,
}

impl Place {
    /// A record at a line start that ends with its line feed (or with the input).
    pub(crate) const LINE: Place = Place {
        line: 0,
        column: 1,
        tail: Some(0),
    };
}

/// How a skipped overlong record ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// At its record end; the next record follows.
    Found,
    /// With the input.
    Input,
    /// With the input, inside a quoted field: a row error that says so.
    Unterminated,
    /// Not found (JSON arrays, or no end within `SKIP_FACTOR` times the limit): the run stops.
    Lost,
}

/// One piece of one input on its way through a worker to the collector.
pub(crate) struct Seg {
    pub(crate) job: Arc<Job>,
    pub(crate) piece: Piece,
    /// The first piece of the input's body.
    pub(crate) first: bool,
    /// The last piece of the input.
    pub(crate) last: bool,
    /// The piece was cut by a fast rule the worker's reading verifies (quote parity).
    pub(crate) verify: bool,
    pub(crate) out: ChunkOutput,
}

impl Seg {
    /// Whether the collector must cut this input again from this piece on.
    pub(crate) fn recut(&self) -> bool {
        matches!(self.piece, Piece::Recut(_)) || (self.verify && self.out.open_end && !self.last)
    }
}

/// What one unit of work carries, in input order.
pub(crate) enum Part {
    /// A piece of an input.
    Seg(Seg),
    /// An input with nothing to convert (an empty CSV): its counters.
    Empty {
        name: String,
        notes: Vec<String>,
        counters: Counters,
    },
    /// An input that failed before or while it was read.
    Failed(EngineError),
}

/// A chunk's worth of pieces on its way through a worker to the collector.
pub(crate) struct Work {
    pub(crate) seq: u64,
    pub(crate) parts: Vec<Part>,
    /// The lines of the pieces encoded by the sink's encoder, when it has one (up to the
    /// first piece that failed, or before the first piece cut again).
    pub(crate) encoded: Option<io::Result<Vec<u8>>>,
    /// How many of the parts `encoded` covers (with an encoder; the rest are encoded by the
    /// collector if it gets to them).
    pub(crate) encoded_to: usize,
    /// The bytes this work holds of the budget.
    pub(crate) charge: u64,
}

/// Where an input's chunks come from (the data of a mapped input is its [`Job`]'s).
pub(crate) enum Feed {
    /// The mapped data from this offset (the first record).
    Mapped(usize),
    /// A stream: the bytes already read past the preamble, whether the stream has ended,
    /// and the reader.
    Stream(Vec<u8>, bool, Box<dyn Read + Send>),
}

/// Per-input facts the collector needs for messages and rejects.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The input's name.
    pub name: String,
    /// Physical lines before the first record of the body (preamble, header).
    pub base_line: u64,
    /// The raw CSV lines before the body (skipped rows, then the header), for the rejects file.
    pub header: Option<Vec<u8>>,
    /// The bytes of the preamble (counted as read).
    pub preamble_bytes: u64,
    /// Bytes of the body's first line that belong to the preamble (after a JSON `[`).
    pub base_column: usize,
    /// Said when a record is too long and its end cannot be found (CSV, JSON arrays), e.g.
    /// `", a quote that never closes?"`.
    pub unbounded_hint: &'static str,
}

/// Tuning of the driver.
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// Threads that read and convert (at least 1): the reader, which converts a chunk itself
    /// when the others have enough, and `threads - 1` workers.
    pub threads: usize,
    /// Target chunk size in bytes.
    pub chunk_size: usize,
    /// Longest record read (`--max-record-size`): a longer one is a row error, so memory
    /// stays bounded on any input.
    pub max_record: usize,
}

/// Makes the chunk converter of one way of reading (a plan, a dialect): the inputs that share
/// it share one, so each worker builds its converter once, not once per input.
pub(crate) trait MakeConverter: Send + Sync {
    /// A converter for one worker.
    fn make(&self) -> Box<dyn ChunkConverter>;

    /// The plan and how a record's cells are read, for a preview's [`crate::preview::Read`]s
    /// (`None` when no schema is read, as for `check`).
    fn reads(&self) -> Option<(&Plan, Reader)> {
        None
    }
}

/// How one pass over the inputs ended.
enum Pass {
    Done(Counters),
    /// A cut proved wrong: go on from `resume` with the exact rule.
    Recut {
        total: Counters,
        resume: Resume,
    },
}

/// Runs the conversion of every input `walk` yields, in order, through one set of threads;
/// returns the counters summed over the inputs.
pub(crate) fn run(
    walk: &mut dyn Walk,
    tuning: Tuning,
    sink: &mut dyn Sink,
) -> Result<Counters, EngineError> {
    let mut total = Counters::default();
    let mut resume = None;
    loop {
        match run_pass(walk, resume.take(), tuning, sink)? {
            Pass::Done(c) => {
                total.add(&c);
                return Ok(total);
            }
            Pass::Recut {
                total: t,
                resume: r,
            } => {
                total.add(&t);
                resume = Some(r);
            }
        }
    }
}

/// Runs one input through [`run`].
pub(crate) fn run_one(
    prepared: Prepared,
    tuning: Tuning,
    sink: &mut dyn Sink,
) -> Result<Counters, EngineError> {
    let mut walk = Some(prepared);
    run(&mut walk, tuning, sink)
}

/// The channels of a pass, seen from the collector.
pub(crate) struct Returns {
    pub(crate) done: Receiver<Work>,
    pub(crate) free: Sender<ChunkOutput>,
    pub(crate) pool: Sender<Vec<u8>>,
}

fn run_pass(
    walk: &mut dyn Walk,
    resume: Option<Resume>,
    tuning: Tuning,
    sink: &mut dyn Sink,
) -> Result<Pass, EngineError> {
    let threads = tuning.threads.max(1);
    let budget = &Budget::new(MEMORY_BUDGET);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let encoders = sink
        .encoder()
        .map(|make| Encoders::new(make, threads.min(cores)));
    let encoders = encoders.as_ref();
    let inflight = threads * 2 + 2;
    let (free_tx, free_rx) = unbounded::<ChunkOutput>();
    let (work_tx, work_rx) = bounded::<Work>(inflight);
    let (done_tx, done_rx) = bounded::<Work>(inflight);
    let (pool_tx, pool_rx) = unbounded::<Vec<u8>>();
    let state = resume.as_ref().map(|r| r.state.clone());
    let spawn_err = |e: io::Error| {
        EngineError::Input(format!(
            "cannot start a worker thread ({e}): use fewer --threads, or free memory"
        ))
    };
    std::thread::scope(|s| {
        // A failed spawn returns early: dropping the channels ends the threads started. The
        // workers start first and wait for work, so nothing is read or converted (and no
        // memory taken) until every thread is running, and no producer can be left waiting in
        // the budget for a collector that never runs (the scope would wait for it forever).
        // The producer is one of the `threads` that convert: it converts a work itself when
        // the workers have enough (with one thread, every work), so `--threads` bounds the
        // threads that read and convert.
        for _ in 1..threads {
            let (work_rx, done_tx) = (work_rx.clone(), done_tx.clone());
            let conv = Converting::new(budget, encoders);
            std::thread::Builder::new()
                .spawn_scoped(s, move || work(work_rx, done_tx, conv))
                .map_err(spawn_err)?;
        }
        let hand = Hand {
            workers: work_tx,
            worker_threads: threads - 1,
            done: done_tx,
            conv: Converting::new(budget, encoders),
        };
        let producer = std::thread::Builder::new()
            .spawn_scoped(s, move || {
                produce(walk, resume, tuning, budget, free_rx, hand, pool_rx)
            })
            .map_err(spawn_err)?;
        drop(work_rx);
        let returns = Returns {
            done: done_rx,
            free: free_tx,
            pool: pool_tx,
        };
        let collected = collect(state, tuning.max_record, returns, budget, encoders, sink);
        // The producer may be waiting for room that nothing gives back any more.
        budget.close();
        let leftover = producer
            .join()
            .map_err(|_| EngineError::Input("the reader thread panicked".into()))?;
        Ok(match collected? {
            Collected::Done(c) => Pass::Done(c),
            Collected::Recut {
                total,
                state,
                restart,
            } => {
                let feed = match restart {
                    Restart::Mapped(at) => Feed::Mapped(at),
                    Restart::Stream(mut bytes) => {
                        // No leftover: the producer had sent the whole stream (it waits at
                        // the end of an input until its cuts are verified).
                        let (rest, eof, reader) =
                            leftover.unwrap_or_else(|| (Vec::new(), true, Box::new(io::empty())));
                        bytes.extend_from_slice(&rest);
                        Feed::Stream(bytes, eof, reader)
                    }
                };
                Pass::Recut {
                    total,
                    resume: Resume { state, feed },
                }
            }
        })
    })
}

/// The converters a worker built, the most recently used first.
#[derive(Default)]
struct Converters {
    made: Vec<(Arc<dyn MakeConverter>, Box<dyn ChunkConverter>)>,
}

/// Converters a worker keeps (inputs read in as many ways at once).
const KEPT_CONVERTERS: usize = 8;

impl Converters {
    fn get(&mut self, make: &Arc<dyn MakeConverter>) -> &mut dyn ChunkConverter {
        let same =
            |m: &Arc<dyn MakeConverter>| std::ptr::addr_eq(Arc::as_ptr(m), Arc::as_ptr(make));
        match self.made.iter().position(|(m, _)| same(m)) {
            Some(0) => {}
            Some(i) => {
                let hit = self.made.remove(i);
                self.made.insert(0, hit);
            }
            None => {
                self.made.insert(0, (Arc::clone(make), make.make()));
                self.made.truncate(KEPT_CONVERTERS);
            }
        }
        &mut *self.made[0].1
    }
}

/// A converting thread's state (a worker's, or the producer's when it converts a work
/// itself): its converters, kept across works, and a buffer to join lines in.
pub(crate) struct Converting<'a> {
    convs: Converters,
    joined: Vec<u8>,
    budget: &'a Budget,
    encoders: Option<&'a Encoders>,
}

impl<'a> Converting<'a> {
    pub(crate) fn new(budget: &'a Budget, encoders: Option<&'a Encoders>) -> Self {
        Converting {
            convs: Converters::default(),
            joined: Vec::new(),
            budget,
            encoders,
        }
    }

    /// Converts the pieces of `w` and encodes their lines when the sink has an encoder; the
    /// work's charge of the budget becomes what it now holds.
    pub(crate) fn convert(&mut self, w: &mut Work) {
        let convs = &mut self.convs;
        let mut held = 0;
        // The pieces whose lines are encoded: up to the first that failed (inclusive), or
        // before the first to be cut again.
        let mut encode_to = w.parts.len();
        for (i, part) in w.parts.iter_mut().enumerate() {
            let Part::Seg(seg) = part else { continue };
            let data: &[u8] = match &seg.piece {
                Piece::Range(r) => seg.job.data().get(r.clone()).unwrap_or_default(),
                Piece::Owned(v) => v.as_slice(),
                Piece::Recut(_) => {
                    seg.out.clear();
                    encode_to = encode_to.min(i);
                    continue;
                }
                Piece::Oversize { .. } => {
                    // One row error, reported by the collector with its line.
                    seg.out.clear();
                    seg.out.failed = convs.get(&seg.job.make).stops_on_error();
                    if seg.out.failed {
                        encode_to = encode_to.min(i + 1);
                    }
                    continue;
                }
            };
            let at = ChunkAt {
                first: seg.first,
                last: seg.last,
            };
            convs.get(&seg.job.make).convert(data, at, &mut seg.out);
            self.budget.learn(data.len(), seg.out.held());
            held += data.len() + seg.out.held();
            if seg.out.failed {
                encode_to = encode_to.min(i + 1);
            } else if seg.recut() {
                encode_to = encode_to.min(i);
            }
        }
        if let Some(enc) = self.encoders {
            w.encoded_to = encode_to;
            let lines = lines_of(&w.parts[..encode_to], &mut self.joined);
            if !lines.is_empty() {
                let mut bytes = Vec::new();
                let r = enc.encode(lines, &mut bytes);
                // An encoder may reserve its worst case: hold only what it wrote.
                bytes.shrink_to_fit();
                held += bytes.len();
                w.encoded = Some(r.map(|()| bytes));
            }
        }
        self.budget.correct(w.charge, held as u64);
        w.charge = held as u64;
    }
}

/// A worker thread: converts each work it is given and hands it to the collector.
fn work(work_rx: Receiver<Work>, done_tx: Sender<Work>, mut conv: Converting<'_>) {
    for mut w in work_rx {
        conv.convert(&mut w);
        if done_tx.send(w).is_err() {
            break;
        }
    }
}

/// The lines of `parts` in order: the one piece's own buffer, or several joined in `joined`.
fn lines_of<'a>(parts: &'a [Part], joined: &'a mut Vec<u8>) -> &'a [u8] {
    let mut with_lines = parts.iter().filter_map(|p| match p {
        Part::Seg(s) if !s.out.lines.is_empty() => Some(&s.out.lines),
        _ => None,
    });
    let Some(first) = with_lines.next() else {
        return &[];
    };
    let mut rest = with_lines.peekable();
    if rest.peek().is_none() {
        return first;
    }
    joined.clear();
    joined.extend_from_slice(first);
    for l in rest {
        joined.extend_from_slice(l);
    }
    joined
}
