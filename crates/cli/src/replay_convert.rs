//! `lpconvert replay --schema`: CSV/NDJSON converted by the engine while the replay runs.
//!
//! The `send` crate sees only line protocol (DESIGN.md): each input becomes a
//! [`Source::Stream`] whose reader pulls blocks of converted lines from a bounded channel,
//! filled by a conversion thread that starts when the replay reaches the input (inputs the
//! replay never reaches are never converted). One pass over the data, and memory bounded by
//! the channel (a few chunks of output) plus the engine's own bound (`2 x threads + 2` chunks
//! in flight).
//!
//! The converted stream is deterministic (byte-identical for any thread count or chunk size),
//! so a checkpoint's offset into it stays valid: a resumed run converts again and skips the
//! acknowledged bytes. The stream's identity is the source file's (path, size, modification
//! time, first 64 KiB) combined with a hash of the schema text, the overrides and the
//! lpconvert version.

use crate::output::{inputs_or_stdin, thread_count, RejectsFile};
use anyhow::{bail, Context};
use lpconvert_engine::input::fnv1a;
use lpconvert_engine::{convert_input, Counters, EngineError, Reject, Sink, Tuning};
use lpconvert_schema::{Format, OnError, Schema};
use lpconvert_send::input::{Identity, OpenStream, Source, StreamInput};
use lpconvert_send::Precision;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Blocks of converted lines waiting between a conversion thread and the replay.
const CHANNEL_BLOCKS: usize = 4;

/// Reject messages kept for the summary.
const SHOWN_REJECTS: usize = 5;

/// What `lpconvert replay --schema` was asked to convert, and how.
#[derive(Debug)]
pub struct ConvertOptions<'a> {
    /// The schema file.
    pub schema: &'a Path,
    /// Input files (`-` is stdin).
    pub inputs: &'a [String],
    /// `--format`: overrides the schema's input format.
    pub format: Option<&'a str>,
    /// `--precision`: overrides the schema's precision (the output's and the sender's).
    pub precision: Option<&'a str>,
    /// `--on-error`: overrides the schema's bad-row policy.
    pub on_error: Option<&'a str>,
    /// `--convert-rejects FILE`: rejected rows verbatim, reasons in `FILE.errors`.
    pub rejects: Option<&'a Path>,
    /// `--threads`: conversion worker threads.
    pub threads: Option<usize>,
    /// `--max-record-size`: longest record read.
    pub max_record: Option<usize>,
    /// Whether a checkpoint is used (stdin cannot be resumed).
    pub checkpoint: bool,
}

/// Conversions as replay inputs; [`Conversion::finish`] collects their outcome.
pub struct Conversion {
    /// One stream per input file, each converted when the replay opens it.
    sources: Vec<Source>,
    shared: Arc<Shared>,
    /// The precision of the converted timestamps, to be sent to the server.
    pub precision: Precision,
    schema_path: PathBuf,
    /// Total size of the inputs when every one is a regular file (for progress).
    pub total_bytes: Option<u64>,
}

/// What every conversion thread shares.
struct Shared {
    /// A conversion stopped with an error: later inputs are not converted.
    failed: AtomicBool,
    /// Conversion threads started, with their input's index.
    threads: Mutex<Vec<(usize, JoinHandle<ThreadResult>)>>,
    /// Rejected rows.
    rejects: Mutex<RejectLog>,
    /// Input bytes converted so far, over all inputs (for progress).
    bytes_done: AtomicU64,
}

/// How one conversion thread ended.
struct ThreadResult {
    result: Result<Counters, EngineError>,
    /// The replay stopped reading (it was told to stop): the conversion was cut short on
    /// purpose, not by an error of its own.
    abandoned: bool,
    /// The counters at the last chunk, for a conversion that stopped.
    partial: Counters,
}

/// Rejected rows: counted, the first few kept for the summary, all written to
/// `--convert-rejects` when given.
#[derive(Default)]
struct RejectLog {
    count: u64,
    first: Vec<String>,
    file: Option<RejectsFile>,
}

impl RejectLog {
    fn record(&mut self, r: &Reject<'_>, header: Option<&[u8]>) -> io::Result<()> {
        self.count += 1;
        if self.first.len() < SHOWN_REJECTS {
            self.first.push(r.to_string());
        }
        if let Some(f) = &mut self.file {
            f.write(r, header)?;
        }
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The data stays consistent if a holder panicked (counters and writers only).
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// How the conversions went, after the replay.
#[derive(Debug, Default)]
pub struct ConversionOutcome {
    /// Counters summed over the inputs converted (a resumed run converts from the start).
    pub counters: Counters,
    /// Rejected rows' `file:line:column: message`, the first few.
    pub first_rejects: Vec<String>,
    /// Why a conversion stopped, if one did.
    pub error: Option<ConversionError>,
    /// Inputs converted to the end.
    pub inputs_done: usize,
    /// The schema file, for messages.
    pub schema_path: PathBuf,
    /// `--convert-rejects`, still under its `.partial` names until the exit status is known.
    pending: Option<PendingRejects>,
    /// Where the rejected rows and their reasons are, once settled (for the summary).
    pub rejects_shown: Option<String>,
}

/// The `--convert-rejects` files, committed or kept as `.partial` by
/// [`ConversionOutcome::settle_rejects`].
struct PendingRejects(RejectsFile);

impl std::fmt::Debug for PendingRejects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingRejects")
    }
}

/// A conversion that stopped.
#[derive(Debug)]
pub struct ConversionError {
    /// Index of the input.
    pub input: usize,
    /// The engine's error.
    pub error: EngineError,
}

impl ConversionOutcome {
    /// Renames the `--convert-rejects` files into place when the run ends with `code` 0 or 3;
    /// otherwise (a signal, a fatal answer, an error) keeps them as `FILE.partial`, says so,
    /// and leaves the previous files untouched, as `convert` does.
    pub fn settle_rejects(&mut self, code: u8, quiet: bool) -> anyhow::Result<()> {
        let Some(PendingRejects(f)) = self.pending.take() else {
            return Ok(());
        };
        if matches!(code, 0 | 3) {
            let files = f
                .commit()
                .context("cannot write the --convert-rejects file")?;
            let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
            if files.len() > 1 && !quiet {
                eprintln!(
                    "lpconvert replay: the inputs' headers differ: rejected rows are in {} (one file per header, each with its FILE.errors)",
                    names.join(", ")
                );
            }
            self.rejects_shown = names.first().map(|p| format!("{p}, reasons in {p}.errors"));
        } else {
            let kept: Vec<String> = f
                .keep_partial()
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            if !kept.is_empty() {
                eprintln!(
                    "lpconvert replay: the run did not finish, so the previous --convert-rejects files are untouched; the rows rejected so far are kept in {}",
                    kept.join(", ")
                );
            }
            self.rejects_shown = match kept.as_slice() {
                [rows, reasons, ..] => Some(format!("{rows} (so far), reasons in {reasons}")),
                _ => None,
            };
        }
        Ok(())
    }

    /// The outcome as JSON, for `--report`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "rows_read": self.counters.rows,
            "lines_written": self.counters.written,
            "rows_skipped": self.counters.skipped,
            "rows_rejected": self.counters.rejected,
            "first_rejects": self.first_rejects,
            "inputs_converted": self.inputs_done,
            "error": self.error.as_ref().map(|e| e.error.to_string()),
        })
    }
}

/// Loads the schema and applies the overrides (as `lpconvert convert` does).
fn load_schema(o: &ConvertOptions<'_>) -> anyhow::Result<Schema> {
    let mut schema = lpconvert_schema::load(o.schema)
        .map_err(|e| anyhow::anyhow!("{}: {e}", o.schema.display()))?;
    if let Some(f) = o.format {
        schema.format = Some(Format::parse(f).with_context(|| format!("--format `{f}`"))?);
    }
    if let Some(p) = o.precision {
        schema.precision = Precision::parse(p)
            .with_context(|| format!("--precision `{p}`: expected ns, us, ms or s"))?;
    }
    if let Some(e) = o.on_error {
        schema.on_error = OnError::parse(e).with_context(|| format!("--on-error `{e}`"))?;
    }
    Ok(schema)
}

/// What makes the converted bytes what they are, besides the input: the schema text, the
/// overrides and the converter's version.
fn schema_hash(o: &ConvertOptions<'_>) -> anyhow::Result<u64> {
    let mut bytes = lpconvert_schema::read_text(o.schema)
        .with_context(|| format!("cannot read the schema {}", o.schema.display()))?
        .into_bytes();
    for part in [
        o.format.unwrap_or(""),
        o.precision.unwrap_or(""),
        o.on_error.unwrap_or(""),
        env!("CARGO_PKG_VERSION"),
    ] {
        bytes.push(0);
        bytes.extend_from_slice(part.as_bytes());
    }
    Ok(fnv1a(&bytes))
}

/// The identity of `input` converted with the schema: the file's, its path joined with the
/// schema's and its content hash mixed with the schema hash.
fn identity(input: &str, schema: &Path, schema_hash: u64) -> io::Result<Identity> {
    let mut id = crate::inputs::identity(Path::new(input))?;
    let schema_abs = std::fs::canonicalize(schema).unwrap_or_else(|_| schema.to_path_buf());
    id.path = format!("{} converted with {}", id.path, schema_abs.display());
    let mut mixed = id.head_hash.to_le_bytes().to_vec();
    mixed.extend_from_slice(&schema_hash.to_le_bytes());
    id.head_hash = fnv1a(&mixed);
    Ok(id)
}

impl Conversion {
    /// Loads and checks the schema, checks the inputs, and makes one stream input per input
    /// file. Nothing is converted until the replay reads the stream.
    pub fn prepare(o: &ConvertOptions<'_>) -> anyhow::Result<Conversion> {
        let schema = Arc::new(load_schema(o)?);
        let inputs = inputs_or_stdin(o.inputs);
        if o.checkpoint && inputs.iter().any(|i| i == "-") {
            bail!("--checkpoint needs file inputs: standard input cannot be resumed");
        }
        if inputs.iter().filter(|i| *i == "-").count() > 1 {
            bail!("standard input (`-`) can be given only once");
        }
        if o.checkpoint && !std::fs::metadata(o.schema).is_ok_and(|m| m.is_file()) {
            bail!(
                "--checkpoint needs the --schema {} to be a regular file: its content is part of what the checkpoint identifies",
                o.schema.display()
            );
        }
        // Read a second time: only for a checkpoint (a piped schema is read once).
        let hash = if o.checkpoint { schema_hash(o)? } else { 0 };
        let tuning = Tuning {
            threads: thread_count(o.threads),
            chunk_size: lpconvert_engine::DEFAULT_CHUNK_SIZE,
            max_record: o.max_record.unwrap_or(lpconvert_engine::DEFAULT_MAX_RECORD),
        };
        let file = o
            .rejects
            .map(|p| RejectsFile::create(p, &schema, &inputs))
            .transpose()?;
        let shared = Arc::new(Shared {
            failed: AtomicBool::new(false),
            threads: Mutex::new(Vec::new()),
            rejects: Mutex::new(RejectLog {
                file,
                ..RejectLog::default()
            }),
            bytes_done: AtomicU64::new(0),
        });
        let mut total_bytes = Some(0u64);
        let mut sources = Vec::with_capacity(inputs.len());
        let mut done_before = 0u64;
        for (index, input) in inputs.iter().enumerate() {
            // The identity reads the head of the input: only for a checkpoint, which needs a
            // regular file (a pipe's head would be lost).
            let (identity, size) = if input == "-" {
                (None, None)
            } else if o.checkpoint {
                let id = identity(input, o.schema, hash)
                    .with_context(|| format!("--checkpoint with {input}"))?;
                let size = id.size;
                (Some(id), Some(size))
            } else {
                let meta =
                    std::fs::metadata(input).with_context(|| format!("cannot read {input}"))?;
                (None, meta.is_file().then_some(meta.len()))
            };
            total_bytes = total_bytes.zip(size).map(|(t, s)| t + s);
            let name = if input == "-" { "<stdin>" } else { input };
            let open = opener(
                index,
                input.clone(),
                Arc::clone(&schema),
                tuning,
                Arc::clone(&shared),
                done_before,
            );
            done_before += size.unwrap_or(0);
            sources.push(Source::from(StreamInput::new(
                format!("{name} as line protocol"),
                identity,
                open,
            )));
        }
        Ok(Conversion {
            sources,
            shared,
            precision: schema.precision,
            schema_path: o.schema.to_path_buf(),
            total_bytes,
        })
    }

    /// The replay's inputs, one per input file.
    pub fn sources(&self) -> Vec<Source> {
        self.sources.clone()
    }

    /// Input bytes converted so far (for progress).
    pub fn bytes_done(&self) -> u64 {
        self.shared.bytes_done.load(Ordering::Relaxed)
    }

    /// After the replay: waits for the conversion threads and collects their outcome. With
    /// `wait` (after a signal), a thread still running after that long (blocked reading a
    /// pipe that sends nothing) is left behind, its rows uncounted: the run ends anyway.
    pub fn finish(self, wait: Option<Duration>) -> anyhow::Result<ConversionOutcome> {
        let threads = std::mem::take(&mut *lock(&self.shared.threads));
        let mut out = ConversionOutcome {
            schema_path: self.schema_path.clone(),
            ..ConversionOutcome::default()
        };
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
                bail!("the conversion of input {} panicked", input + 1);
            };
            match t.result {
                Ok(c) => {
                    out.counters.add(&c);
                    out.inputs_done += 1;
                }
                Err(_) if t.abandoned => out.counters.add(&t.partial),
                Err(error) => {
                    out.counters.add(&t.partial);
                    if out.error.is_none() {
                        out.error = Some(ConversionError { input, error });
                    }
                }
            }
        }
        let mut log = lock(&self.shared.rejects);
        // Rows rejected after the last progress report of a stopped conversion.
        out.counters.rejected = out.counters.rejected.max(log.count);
        // Those rows were read too: the summary must still add up (read = written + skipped
        // + rejected) when a conversion stopped between recording a chunk's rejects and
        // handing over its lines.
        let c = &mut out.counters;
        c.rows = c.rows.max(c.written + c.skipped + c.rejected);
        out.first_rejects = std::mem::take(&mut log.first);
        out.pending = log.file.take().map(PendingRejects);
        Ok(out)
    }
}

/// Opens input `index`: starts its conversion thread and returns the reader of its output.
fn opener(
    index: usize,
    path: String,
    schema: Arc<Schema>,
    tuning: Tuning,
    shared: Arc<Shared>,
    done_before: u64,
) -> OpenStream {
    Box::new(move || {
        if shared.failed.load(Ordering::SeqCst) {
            // An earlier input stopped the conversion: nothing more is sent.
            return Ok(Box::new(io::empty()) as Box<dyn Read + Send>);
        }
        let (tx, rx) = sync_channel::<Vec<u8>>(CHANNEL_BLOCKS);
        let thread_shared = Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name(format!("convert-{index}"))
            .spawn(move || {
                let shared = thread_shared;
                let mut sink = ChannelSink {
                    tx,
                    shared: Arc::clone(&shared),
                    abandoned: false,
                    done_before,
                    partial: Counters::default(),
                    lines: 0,
                };
                let result = lpconvert_engine::open(&path)
                    .map_err(|e| EngineError::Input(format!("{path}: {e}")))
                    .and_then(|input| convert_input(input, &schema, tuning, &mut sink));
                let abandoned = sink.abandoned;
                let mut partial = sink.partial;
                partial.written = partial.written.max(sink.lines);
                // Rows before the one that stopped it (that row is not counted as a reject).
                partial.rows = partial
                    .rows
                    .max(partial.written + partial.skipped + partial.rejected);
                if result.is_err() && !abandoned {
                    // Before the channel closes, so that the next input sees it.
                    shared.failed.store(true, Ordering::SeqCst);
                }
                drop(sink);
                ThreadResult {
                    result,
                    abandoned,
                    partial,
                }
            })?;
        lock(&shared.threads).push((index, handle));
        Ok(Box::new(ChannelReader {
            rx,
            block: Vec::new(),
            pos: 0,
        }) as Box<dyn Read + Send>)
    })
}

/// The engine's sink: converted lines into the channel, rejects into the log.
struct ChannelSink {
    tx: SyncSender<Vec<u8>>,
    shared: Arc<Shared>,
    abandoned: bool,
    done_before: u64,
    partial: Counters,
    /// Lines handed to the channel.
    lines: u64,
}

impl Sink for ChannelSink {
    fn write_lines(&mut self, lines: &[u8]) -> io::Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        self.tx.send(lines.to_vec()).map_err(|_| {
            self.abandoned = true;
            io::Error::new(io::ErrorKind::BrokenPipe, "the replay stopped reading")
        })?;
        self.lines += lines.iter().filter(|&&b| b == b'\n').count() as u64;
        Ok(())
    }

    fn reject(&mut self, reject: &Reject<'_>, header: Option<&[u8]>) -> io::Result<()> {
        lock(&self.shared.rejects).record(reject, header)
    }

    fn progress(&mut self, c: &Counters) {
        self.partial = *c;
        self.shared
            .bytes_done
            .store(self.done_before + c.bytes, Ordering::Relaxed);
    }
}

/// Reads the converted lines from the channel; the end of the conversion (finished or
/// stopped) is the end of the stream.
struct ChannelReader {
    rx: Receiver<Vec<u8>>,
    block: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.block.len() {
            match self.rx.recv() {
                Ok(b) => {
                    self.block = b;
                    self.pos = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.block.len() - self.pos);
        buf[..n].copy_from_slice(&self.block[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// After a conversion stopped at input `failed`: marks that input and the later ones as not
/// complete in the checkpoint (the replay saw their streams end and took them for done), so
/// a rerun converts them again instead of skipping them.
pub fn reopen_in_checkpoint(path: &Path, failed: usize) -> anyhow::Result<()> {
    use lpconvert_send::checkpoint::Checkpoint;
    let Some(mut state) = Checkpoint::load(path)? else {
        return Ok(());
    };
    for s in state.inputs.iter_mut().skip(failed) {
        s.complete = false;
    }
    state.save(path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_channel_reader_concatenates_blocks_and_ends_when_the_sender_is_gone() {
        let (tx, rx) = sync_channel(2);
        let writer = std::thread::spawn(move || {
            for b in [&b"a b=1 1\n"[..], b"", b"c d=2 2\n", b"e f=3 3\n"] {
                tx.send(b.to_vec()).map_err(|_| ()).ok();
            }
        });
        let mut r = ChannelReader {
            rx,
            block: Vec::new(),
            pos: 0,
        };
        let mut got = Vec::new();
        let mut small = [0u8; 3];
        loop {
            let n = r.read(&mut small).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&small[..n]);
        }
        writer.join().unwrap();
        assert_eq!(got, b"a b=1 1\nc d=2 2\ne f=3 3\n");
    }
}
