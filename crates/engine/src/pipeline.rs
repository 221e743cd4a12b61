//! The parallel ordered driver: a producer cuts chunks, workers convert them (and compress
//! them, when the sink asks for it), and the calling thread hands the results to the sink in
//! input order. The chunks in flight are bounded by bytes (`budget.rs`), so memory is bounded
//! whatever the input size and the thread count.
//!
//! A fast cut (CSV quote parity) is verified: a chunk that is not the last one must not end
//! inside a quoted field. If one does, everything from that chunk on is discarded and cut
//! again with the exact rule, so the output never depends on the chunk size.
//!
//! A stream holds at most `--max-record-size` bytes of one record. A longer record is
//! skipped block by block with the exact rules of the workers (`skip.rs`): lines, the CSV
//! record reader's (a quote-parity cut is first re-cut exactly, since skipped bytes cannot
//! be read again), or one JSON array element; the collector reports it as one row error at
//! the line and column a mapped read of the same bytes names.

use crate::budget::{self, Budget, MEMORY_BUDGET};
use crate::chunker::Boundary;
use crate::collect::{collect, Collected, Restart};
use crate::encoders::Encoders;
use crate::mapguard::MappedFile;
use crate::produce::produce;
use crate::report::{ChunkOutput, Counters, Reject};
use crate::EngineError;
use crossbeam_channel::{bounded, unbounded};
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
    /// Called after each chunk with the counters so far of this input.
    fn progress(&mut self, _counters: &Counters) {}
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

/// A piece of the input on its way through the workers to the collector.
pub(crate) struct Work {
    pub(crate) seq: u64,
    pub(crate) piece: Piece,
    pub(crate) last: bool,
    pub(crate) out: ChunkOutput,
    /// The lines encoded by the sink's encoder, when it has one and the chunk has lines.
    pub(crate) encoded: Option<io::Result<Vec<u8>>>,
    /// The bytes this piece holds of the budget.
    pub(crate) charge: u64,
}

impl Work {
    /// The bytes of the encoded lines.
    fn encoded_len(&self) -> usize {
        match &self.encoded {
            Some(Ok(b)) => b.len(),
            _ => 0,
        }
    }
}

/// Where the chunks come from.
pub enum Feed<'a> {
    /// A mapped file and the offset of the first record.
    Mapped(&'a MappedFile, usize),
    /// A stream: the bytes already read past the preamble, whether the stream has ended,
    /// and the reader.
    Stream(Vec<u8>, bool, &'a mut (dyn Read + Send)),
}

/// Per-input facts the collector needs for messages and rejects.
pub struct Context<'a> {
    /// The input's name.
    pub name: &'a str,
    /// Physical lines before the first record of the body (preamble, header).
    pub base_line: u64,
    /// The raw CSV lines before the body (skipped rows, then the header), for the rejects file.
    pub header: Option<&'a [u8]>,
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
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Target chunk size in bytes.
    pub chunk_size: usize,
    /// Longest record read (`--max-record-size`): a longer one is a row error, so memory
    /// stays bounded on any input.
    pub max_record: usize,
}

/// How one pass over the feed ended.
enum Pass<'a> {
    Done(Counters),
    /// A cut proved wrong: go on from `feed` with the exact rule.
    Recut {
        counters: Counters,
        line: u64,
        feed: Feed<'a>,
    },
}

/// Runs the conversion of one input. `make` builds each worker's converter.
pub fn run<F, C>(
    feed: Feed<'_>,
    boundary: Boundary,
    tuning: Tuning,
    make: F,
    cx: &Context<'_>,
    sink: &mut dyn Sink,
) -> Result<Counters, EngineError>
where
    F: Fn() -> C + Sync,
    C: ChunkConverter,
{
    let mut total = Counters {
        bytes: cx.preamble_bytes,
        ..Counters::default()
    };
    let (mut feed, mut boundary, mut line) = (feed, boundary, cx.base_line);
    loop {
        let verify = boundary.exact().is_some();
        match run_pass(feed, boundary, verify, tuning, &make, cx, line, sink)? {
            Pass::Done(c) => {
                total.add(&c);
                return Ok(total);
            }
            Pass::Recut {
                counters,
                line: l,
                feed: f,
            } => {
                total.add(&counters);
                line = l;
                feed = f;
                boundary = boundary.exact().unwrap_or(boundary);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn run_pass<'a, F, C>(
    feed: Feed<'a>,
    boundary: Boundary,
    verify: bool,
    tuning: Tuning,
    make: &F,
    cx: &Context<'_>,
    line: u64,
    sink: &mut dyn Sink,
) -> Result<Pass<'a>, EngineError>
where
    F: Fn() -> C + Sync,
    C: ChunkConverter,
{
    let threads = tuning.threads.max(1);
    let tuning = Tuning {
        chunk_size: budget::chunk_size(tuning.chunk_size, threads),
        ..tuning
    };
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
    let (mapped, guard): (&'a [u8], Option<&'a MappedFile>) = match &feed {
        Feed::Mapped(m, _) => (m, Some(*m)),
        Feed::Stream(..) => (&[], None),
    };
    let spawn_err = |e: io::Error| {
        EngineError::Input(format!(
            "{}: cannot start a worker thread ({e}): use fewer --threads, or free memory",
            cx.name
        ))
    };
    std::thread::scope(|s| {
        // A failed spawn returns early: dropping the channels ends the threads started.
        let producer = std::thread::Builder::new()
            .spawn_scoped(s, move || {
                produce(feed, boundary, tuning, budget, free_rx, work_tx, pool_rx)
            })
            .map_err(spawn_err)?;
        for _ in 0..threads {
            let (work_rx, done_tx) = (work_rx.clone(), done_tx.clone());
            std::thread::Builder::new()
                .spawn_scoped(s, move || {
                    let mut conv = make();
                    for mut w in work_rx {
                        let data = match &w.piece {
                            Piece::Range(r) => &mapped[r.clone()],
                            Piece::Owned(v) => v.as_slice(),
                            Piece::Recut(_) => {
                                w.out.clear();
                                if done_tx.send(w).is_err() {
                                    break;
                                }
                                continue;
                            }
                            Piece::Oversize { .. } => {
                                // One row error, reported by the collector with its line.
                                w.out.clear();
                                w.out.failed = conv.stops_on_error();
                                if done_tx.send(w).is_err() {
                                    break;
                                }
                                continue;
                            }
                        };
                        let at = ChunkAt {
                            first: w.seq == 0,
                            last: w.last,
                        };
                        conv.convert(data, at, &mut w.out);
                        budget.learn(data.len(), w.out.lines.len());
                        if let Some(enc) = encoders.filter(|_| !w.out.lines.is_empty()) {
                            let mut bytes = Vec::new();
                            let r = enc.encode(&w.out.lines, &mut bytes);
                            // An encoder may reserve its worst case: hold only what it wrote.
                            bytes.shrink_to_fit();
                            w.encoded = Some(r.map(|()| bytes));
                        }
                        let held = data.len() + w.out.lines.len() + w.encoded_len();
                        budget.correct(w.charge, held as u64);
                        w.charge = held as u64;
                        if done_tx.send(w).is_err() {
                            break;
                        }
                    }
                })
                .map_err(spawn_err)?;
        }
        drop((work_rx, done_tx));
        let collected = collect(
            (mapped, guard),
            tuning.max_record,
            verify,
            (done_rx, free_tx, pool_tx),
            budget,
            cx,
            line,
            sink,
        );
        // The producer may be waiting for room that nothing gives back any more.
        budget.close();
        let produced = producer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the reader thread panicked")));
        let leftover = match produced {
            Ok(l) => l,
            Err(e) => {
                return Err(EngineError::Input(crate::input::read_error_text(
                    cx.name, &e,
                )))
            }
        };
        Ok(match collected? {
            Collected::Done(c) => Pass::Done(c),
            Collected::Recut {
                counters,
                line,
                restart,
            } => {
                let feed = match restart {
                    Restart::Mapped(at) => match guard {
                        Some(m) => Feed::Mapped(m, at),
                        None => {
                            return Err(EngineError::Input(format!(
                                "{}: lost the mapping while re-cutting",
                                cx.name
                            )))
                        }
                    },
                    Restart::Stream(mut bytes) => match leftover {
                        Some((rest, eof, reader)) => {
                            bytes.extend_from_slice(&rest);
                            Feed::Stream(bytes, eof, reader)
                        }
                        None => {
                            return Err(EngineError::Input(format!(
                                "{}: lost the reader while re-cutting",
                                cx.name
                            )))
                        }
                    },
                };
                Pass::Recut {
                    counters,
                    line,
                    feed,
                }
            }
        })
    })
}
