//! Streaming conversion: inputs converted in background threads while a consumer reads the
//! finished line protocol as a [`Read`] (`lpconvert replay --schema`).
//!
//! Each input is converted when it is started ([`Starter::start`]) by one thread that
//! drives the engine and hands blocks of lines to a bounded channel; its [`LineReader`] reads
//! them in order. Memory is bounded by the channel (a few blocks of output) plus the engine's
//! own bound (`2 x threads + 2` chunks in flight). The output is byte-identical for any
//! thread count or chunk size, so an offset into it stays valid across runs.
//!
//! A conversion that fails is a read error of its reader (after every line converted before
//! the failure), never a clean end of input. A reader dropped early stops its conversion
//! ([`Flow::Stop`]). [`Conversions::finish`] collects the counters, and the first failure.

use crate::pipeline::{Flow, Sink, Tuning};
use crate::report::{Counters, Reject};
use crate::{convert_input, EngineError};
use lpconvert_schema::Schema;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Blocks of converted lines waiting between a conversion thread and its reader.
const CHANNEL_BLOCKS: usize = 4;

/// Receives every rejected row and every row that produced no line of every input, in
/// input order per input, with the lines before the body of its input (see [`Sink::reject`]
/// and [`Sink::skipped`]).
pub type OnRow = Box<dyn FnMut(Row, &Reject<'_>, Option<&[u8]>) -> io::Result<()> + Send>;

/// What a row handed to [`OnRow`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// Rejected (see [`Sink::reject`]).
    Rejected,
    /// Produced no line (see [`Sink::skipped`]).
    Skipped,
}

/// Conversions of several inputs with one schema, sharing rejects and counters.
pub struct Conversions {
    schema: Arc<Schema>,
    tuning: Tuning,
    shared: Arc<Shared>,
}

/// What every conversion thread shares.
struct Shared {
    /// The first conversion that failed: later inputs are not converted, and read as it.
    failed: Mutex<Option<Arc<EngineError>>>,
    /// Conversion threads started, with their input's index.
    threads: Mutex<Vec<(usize, JoinHandle<ThreadResult>)>>,
    /// Where rejected and skipped rows go.
    on_row: Mutex<OnRow>,
    /// Rejected rows handed to `on_reject`.
    rejected: AtomicU64,
    /// Input bytes converted so far, over all inputs (for progress).
    bytes_done: AtomicU64,
}

/// How one conversion thread ended.
struct ThreadResult {
    result: Result<Counters, Arc<EngineError>>,
    /// The reader went away: the conversion was cut short on purpose, not by an error.
    abandoned: bool,
    /// The counters of what the reader was handed, for a conversion that stopped.
    partial: Counters,
}

/// A conversion that failed.
#[derive(Debug, Clone)]
pub struct Failure {
    /// Index of the input.
    pub input: usize,
    /// The engine's error.
    pub error: Arc<EngineError>,
}

/// How the conversions went.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Counters summed over the inputs converted; read = written + skipped + rejected holds
    /// for a conversion that stopped too.
    pub counters: Counters,
    /// Inputs converted to the end.
    pub inputs_done: usize,
    /// The first conversion that failed, if one did.
    pub error: Option<Failure>,
}

/// The error a [`LineReader`] reads when its conversion failed (kind `Other`; the engine's
/// error is its source, shown as is).
#[derive(Debug, Clone)]
pub struct ConversionFailed(pub Arc<EngineError>);

impl std::fmt::Display for ConversionFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ConversionFailed {}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The data stays consistent if a holder panicked (counters and writers only).
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Conversions {
    /// Conversions with `schema` and `tuning`; rejected and skipped rows go to `on_row`.
    pub fn new(schema: Arc<Schema>, tuning: Tuning, on_row: OnRow) -> Conversions {
        Conversions {
            schema,
            tuning,
            shared: Arc::new(Shared {
                failed: Mutex::new(None),
                threads: Mutex::new(Vec::new()),
                on_row: Mutex::new(on_row),
                rejected: AtomicU64::new(0),
                bytes_done: AtomicU64::new(0),
            }),
        }
    }

    /// A handle that starts conversions, to be moved into another thread.
    pub fn starter(&self) -> Starter {
        Starter {
            schema: Arc::clone(&self.schema),
            tuning: self.tuning,
            shared: Arc::clone(&self.shared),
        }
    }

    /// Input bytes converted so far, over all inputs (for progress).
    pub fn bytes_done(&self) -> u64 {
        self.shared.bytes_done.load(Ordering::Relaxed)
    }

    /// Waits for the conversion threads and collects their outcome. With `wait`, a thread
    /// still running after that long (blocked reading a pipe that sends nothing) is left
    /// behind, its rows uncounted. Fails when a conversion thread panicked.
    pub fn finish(self, wait: Option<Duration>) -> io::Result<Outcome> {
        let threads = std::mem::take(&mut *lock(&self.shared.threads));
        let mut out = Outcome::default();
        let deadline = wait.map(|w| Instant::now() + w);
        for (input, handle) in threads {
            if let Some(deadline) = deadline {
                while !handle.is_finished() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(20));
                }
                if !handle.is_finished() {
                    continue;
                }
            }
            let Ok(t) = handle.join() else {
                return Err(io::Error::other(format!(
                    "the conversion of input {} panicked",
                    input + 1
                )));
            };
            match t.result {
                Ok(c) if !t.abandoned => {
                    out.counters.add(&c);
                    out.inputs_done += 1;
                }
                Ok(_) => out.counters.add(&t.partial),
                Err(error) => {
                    out.counters.add(&t.partial);
                    if out.error.is_none() {
                        out.error = Some(Failure { input, error });
                    }
                }
            }
        }
        // Rows rejected after the last progress report of a stopped conversion.
        let c = &mut out.counters;
        c.rejected = c.rejected.max(self.shared.rejected.load(Ordering::SeqCst));
        // Those rows were read too: the counts must still add up when a conversion stopped
        // between recording a chunk's rejects and handing over its lines.
        c.rows = c.rows.max(c.written + c.skipped + c.rejected);
        Ok(out)
    }
}

/// Starts conversions of a [`Conversions`] (cheap to clone, sendable).
#[derive(Clone)]
pub struct Starter {
    schema: Arc<Schema>,
    tuning: Tuning,
    shared: Arc<Shared>,
}

impl Starter {
    /// Starts converting `path` (opened with [`crate::open`]; `-` is stdin) as input `index`
    /// in a thread and returns the reader of its lines. `done_before`: input bytes of the
    /// inputs before it, for progress. After a failed conversion, later inputs are not
    /// converted: their readers fail with the same error.
    pub fn start(&self, index: usize, path: String, done_before: u64) -> io::Result<LineReader> {
        let (tx, rx) = sync_channel::<Msg>(CHANNEL_BLOCKS);
        if let Some(e) = lock(&self.shared.failed).clone() {
            // An earlier input stopped the conversion: nothing more is converted.
            let mut reader = LineReader::new(rx);
            reader.failed = Some(e);
            return Ok(reader);
        }
        let shared = Arc::clone(&self.shared);
        let schema = Arc::clone(&self.schema);
        let tuning = self.tuning;
        let handle = std::thread::Builder::new()
            .name(format!("convert-{index}"))
            .spawn(move || {
                let mut sink = ChannelSink {
                    tx,
                    shared: Arc::clone(&shared),
                    stopped: false,
                    done_before,
                    partial: Counters::default(),
                    lines: 0,
                };
                let result = crate::open(&path)
                    .map_err(|e| EngineError::Input(format!("{path}: {e}")))
                    .and_then(|input| convert_input(input, &schema, tuning, &mut sink))
                    .map_err(Arc::new);
                let abandoned = sink.stopped;
                let mut partial = sink.partial;
                // Lines handed over after the last progress: rows converted follow them,
                // less the extra lines of records that wrote several.
                let extra = partial.lines.saturating_sub(partial.written);
                partial.lines = partial.lines.max(sink.lines);
                partial.written = partial.written.max(partial.lines - extra);
                // Rows before the one that stopped it (that row is not counted as a reject).
                partial.rows = partial
                    .rows
                    .max(partial.written + partial.skipped + partial.rejected);
                if let (Err(e), false) = (&result, abandoned) {
                    // Before the channel closes, so that the next input sees it.
                    lock(&shared.failed).get_or_insert_with(|| Arc::clone(e));
                    let _ = sink.tx.send(Msg::Failed(Arc::clone(e)));
                }
                ThreadResult {
                    result,
                    abandoned,
                    partial,
                }
            })?;
        lock(&self.shared.threads).push((index, handle));
        Ok(LineReader::new(rx))
    }
}

/// What a conversion thread hands its reader.
enum Msg {
    /// Lines, each ending in LF.
    Lines(Vec<u8>),
    /// The conversion failed after the lines before.
    Failed(Arc<EngineError>),
}

/// The engine's sink of a conversion thread: lines into the channel, rejected and skipped
/// rows to the shared callback.
struct ChannelSink {
    tx: SyncSender<Msg>,
    shared: Arc<Shared>,
    /// The reader went away.
    stopped: bool,
    done_before: u64,
    /// The counters at the last chunk handed over.
    partial: Counters,
    /// Lines handed to the channel.
    lines: u64,
}

impl Sink for ChannelSink {
    fn write_lines(&mut self, lines: &[u8]) -> io::Result<Flow> {
        if !lines.is_empty() && !self.stopped {
            if self.tx.send(Msg::Lines(lines.to_vec())).is_err() {
                self.stopped = true;
            } else {
                self.lines += memchr::memchr_iter(b'\n', lines).count() as u64;
            }
        }
        Ok(if self.stopped {
            Flow::Stop
        } else {
            Flow::Continue
        })
    }

    fn reject(&mut self, reject: &Reject<'_>, header: Option<&[u8]>) -> io::Result<()> {
        self.shared.rejected.fetch_add(1, Ordering::SeqCst);
        (lock(&self.shared.on_row))(Row::Rejected, reject, header)
    }

    fn skipped(&mut self, row: &Reject<'_>, header: Option<&[u8]>) -> io::Result<()> {
        (lock(&self.shared.on_row))(Row::Skipped, row, header)
    }

    fn progress(&mut self, c: &Counters) {
        if self.stopped {
            // This chunk's lines were not taken.
            return;
        }
        self.partial = *c;
        self.shared
            .bytes_done
            .store(self.done_before + c.bytes, Ordering::Relaxed);
    }
}

/// Reads the converted lines of one input; the end of its conversion is the end of the
/// stream, and a failed conversion a read error ([`ConversionFailed`]).
pub struct LineReader {
    rx: Receiver<Msg>,
    block: Vec<u8>,
    pos: usize,
    failed: Option<Arc<EngineError>>,
}

impl LineReader {
    fn new(rx: Receiver<Msg>) -> LineReader {
        LineReader {
            rx,
            block: Vec::new(),
            pos: 0,
            failed: None,
        }
    }
}

impl Read for LineReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.block.len() {
            if let Some(e) = &self.failed {
                return Err(io::Error::other(ConversionFailed(Arc::clone(e))));
            }
            match self.rx.recv() {
                Ok(Msg::Lines(b)) => {
                    self.block = b;
                    self.pos = 0;
                }
                Ok(Msg::Failed(e)) => self.failed = Some(e),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.block.len() - self.pos);
        buf[..n].copy_from_slice(&self.block[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
