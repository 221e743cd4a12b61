//! The parallel ordered driver: a producer cuts chunks, workers convert them, and the
//! calling thread hands the results to the sink in input order. At most `2 * threads + 2`
//! chunks are in flight, so memory is bounded whatever the input size.

use crate::chunker::Boundary;
use crate::input::fill;
use crate::report::{ChunkOutput, Counters, Reject};
use crate::EngineError;
use crossbeam_channel::{bounded, unbounded, Receiver, Sender};
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::ops::Range;

/// Receives the results of a conversion, in input order.
pub trait Sink {
    /// Line protocol lines, each ending in LF.
    fn write_lines(&mut self, lines: &[u8]) -> io::Result<()>;
    /// A rejected row; `header` is the CSV header line of its input, if any.
    fn reject(&mut self, reject: &Reject<'_>, header: Option<&[u8]>) -> io::Result<()>;
    /// Called after each chunk with the counters so far of this input.
    fn progress(&mut self, _counters: &Counters) {}
}

/// Converts one chunk; each worker thread owns one.
pub trait ChunkConverter: Send {
    /// Converts `data` (whole records) into `out`.
    fn convert(&mut self, data: &[u8], out: &mut ChunkOutput);
}

enum Piece {
    Range(Range<usize>),
    Owned(Vec<u8>),
}

struct Work {
    seq: u64,
    piece: Piece,
    out: ChunkOutput,
}

/// Where the chunks come from.
pub enum Feed<'a> {
    /// A mapped file: the whole data and the offset of the first record.
    Mapped(&'a [u8], usize),
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
    /// The raw CSV header line, for the rejects file.
    pub header: Option<&'a [u8]>,
    /// The bytes of the preamble (counted as read).
    pub preamble_bytes: u64,
}

/// Tuning of the driver.
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Target chunk size in bytes.
    pub chunk_size: usize,
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
    let threads = tuning.threads.max(1);
    let inflight = threads * 2 + 2;
    let (free_tx, free_rx) = bounded::<ChunkOutput>(inflight);
    for _ in 0..inflight {
        let _ = free_tx.send(ChunkOutput::default());
    }
    let (work_tx, work_rx) = bounded::<Work>(inflight);
    let (done_tx, done_rx) = bounded::<Work>(inflight);
    let (pool_tx, pool_rx) = unbounded::<Vec<u8>>();
    let mapped: &[u8] = match &feed {
        Feed::Mapped(d, _) => d,
        Feed::Stream(..) => &[],
    };
    std::thread::scope(|s| {
        let producer = s.spawn(move || {
            produce(
                feed,
                boundary,
                tuning.chunk_size.max(1),
                free_rx,
                work_tx,
                pool_rx,
            )
        });
        for _ in 0..threads {
            let (work_rx, done_tx) = (work_rx.clone(), done_tx.clone());
            let make = &make;
            s.spawn(move || {
                let mut conv = make();
                for mut w in work_rx {
                    let data = match &w.piece {
                        Piece::Range(r) => &mapped[r.clone()],
                        Piece::Owned(v) => v.as_slice(),
                    };
                    conv.convert(data, &mut w.out);
                    if done_tx.send(w).is_err() {
                        break;
                    }
                }
            });
        }
        drop((work_rx, done_tx));
        let collected = collect(mapped, done_rx, free_tx, pool_tx, cx, sink);
        let produced = producer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the reader thread panicked")));
        match (collected, produced) {
            (Err(e), _) => Err(e),
            (Ok(_), Err(e)) => Err(EngineError::Input(format!("{}: {e}", cx.name))),
            (Ok(c), Ok(())) => Ok(c),
        }
    })
}

fn produce(
    feed: Feed<'_>,
    boundary: Boundary,
    chunk: usize,
    free: Receiver<ChunkOutput>,
    work: Sender<Work>,
    pool: Receiver<Vec<u8>>,
) -> io::Result<()> {
    let mut seq = 0;
    let mut send = |piece: Piece| -> bool {
        let Ok(out) = free.recv() else { return false };
        let ok = work.send(Work { seq, piece, out }).is_ok();
        seq += 1;
        ok
    };
    match feed {
        Feed::Mapped(data, mut pos) => {
            while pos < data.len() {
                let end = boundary.chunk_end(data, pos, chunk);
                if !send(Piece::Range(pos..end)) {
                    break;
                }
                pos = end;
            }
        }
        Feed::Stream(mut carry, mut eof, reader) => loop {
            let mut buf = pool.try_recv().unwrap_or_default();
            buf.clear();
            buf.append(&mut carry);
            if !eof {
                eof = !fill(reader, &mut buf, chunk)?;
            }
            while !eof {
                if let Some(end) = boundary.last_complete(&buf) {
                    carry.extend_from_slice(&buf[end..]);
                    buf.truncate(end);
                    break;
                }
                let want = buf.len().saturating_mul(2).max(chunk);
                eof = !fill(reader, &mut buf, want)?;
            }
            if !buf.is_empty() && !send(Piece::Owned(buf)) {
                break;
            }
            if eof && carry.is_empty() {
                break;
            }
        },
    }
    Ok(())
}

fn collect(
    mapped: &[u8],
    done: Receiver<Work>,
    free: Sender<ChunkOutput>,
    pool: Sender<Vec<u8>>,
    cx: &Context<'_>,
    sink: &mut dyn Sink,
) -> Result<Counters, EngineError> {
    let mut counters = Counters {
        bytes: cx.preamble_bytes,
        ..Counters::default()
    };
    let mut line = cx.base_line;
    let mut pending = BTreeMap::new();
    let mut next = 0u64;
    for w in done {
        pending.insert(w.seq, w);
        while let Some(w) = pending.remove(&next) {
            next += 1;
            let data = match &w.piece {
                Piece::Range(r) => &mapped[r.clone()],
                Piece::Owned(v) => v.as_slice(),
            };
            let out = &w.out;
            for r in &out.rejects {
                let reject = Reject {
                    file: cx.name,
                    line: line + r.line + 1,
                    column: r.column,
                    message: &r.message,
                    raw: &data[r.raw.clone()],
                };
                sink.reject(&reject, cx.header)
                    .map_err(EngineError::Output)?;
            }
            sink.write_lines(&out.lines).map_err(EngineError::Output)?;
            counters.rows += out.rows;
            counters.written += out.written;
            counters.skipped += out.skipped;
            counters.rejected += out.rejects.len() as u64;
            counters.bytes += data.len() as u64;
            if out.failed {
                let r = out.rejects.last();
                let msg = r.map_or_else(String::new, |r| {
                    format!(
                        "{}:{}:{}: {}",
                        cx.name,
                        line + r.line + 1,
                        r.column,
                        r.message
                    )
                });
                return Err(EngineError::Row(msg));
            }
            line += out.lines_seen;
            sink.progress(&counters);
            if let Piece::Owned(buf) = w.piece {
                let _ = pool.send(buf);
            }
            let _ = free.send(w.out);
        }
    }
    Ok(counters)
}
