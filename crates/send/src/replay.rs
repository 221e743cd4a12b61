//! The replay driver: inputs -> batches -> pacing and rate limiting -> N worker threads ->
//! answers -> rejects file, checkpoint and statistics.
//!
//! Threads: the caller's thread reads and batches; `concurrency` workers send (each blocking
//! on its own keep-alive connection); one collector writes rejects and checkpoints. Bounded
//! channels keep at most a few batches in flight, so memory does not grow with the input.

mod collect;

use crate::batch::{Batch, BatchLimits, Batcher};
use crate::checkpoint::{
    crc_of_prefix, Checkpoint, CheckpointError, InputState, PrefixCrc, Tracker,
};
use crate::clock::Clock;
use crate::dialect::{Target, TargetError};
use crate::input::{is_producer_error, BlockReader, Identity, ReadOptions, Source};
use crate::pool::{Pool, Started};
use crate::precision_check::check_first_block;
use crate::ratelimit::{sleep_until, RateLimiter};
use crate::retry::{Jitter, RetryPolicy};
use crate::sender::{send_batch, Failure, Outcome, SendContext};
use crate::stats::{Ending, LiveCounters, RequestStats, ResumedAt, Summary};
use crate::timeshift::{newest_timestamp, offset_to_now, Pace, TimeMode, TimeRewriter};
use crate::transport::Transport;
use crate::units::Rate;
use collect::{collect, Collected, Done, Msg, Saver};
use crossbeam_channel::{unbounded, Sender};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most inputs read to their end whose change check (and open file) waits for the end of the
/// run; past it the oldest is checked at once.
const MAX_WATCHED: usize = 32;

/// Everything `lpconvert replay` was asked to do.
#[derive(Debug, Clone)]
pub struct ReplayConfig {
    /// Where to write.
    pub target: Target,
    /// `--precision auto`: each timestamp's unit is read from its size (as InfluxDB 3
    /// does) and it is sent in nanoseconds (`target`'s precision is then ns).
    pub auto_precision: bool,
    /// Inputs, in order.
    pub sources: Vec<Source>,
    /// Batch limits.
    pub limits: BatchLimits,
    /// gzip request bodies.
    pub gzip: bool,
    /// Parallel connections.
    pub concurrency: usize,
    /// Rate limits.
    pub rates: Vec<Rate>,
    /// Timestamp rewriting.
    pub time: TimeMode,
    /// Original pacing.
    pub pace: Option<Pace>,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Checkpoint file.
    pub checkpoint: Option<PathBuf>,
    /// How often the checkpoint is rewritten while running.
    pub checkpoint_interval: Duration,
    /// Rejects file: refused lines, each after a `#` comment with the reason.
    pub rejects: Option<PathBuf>,
    /// Nothing is sent (the transport should be a dry run too); no checkpoint is written.
    pub dry_run: bool,
    /// Pipes (stdin, FIFOs): a partial batch is sent once it has been open this long.
    pub flush_interval: Option<Duration>,
    /// Set from outside (a signal handler) to stop: no new batch is sent, batches in flight
    /// are answered, batches waiting to be retried are given up at once, the checkpoint is
    /// written. The run sets it too when it stops on its own (a fatal answer).
    pub cancel: Option<Arc<AtomicBool>>,
    /// The shard of a job this run is (`K/N` and the job's identity), kept in the checkpoint:
    /// a resume as another shard is refused.
    pub shard: Option<String>,
}

/// A replay could not run or could not read its input (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Incomplete target.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// Reading an input failed.
    #[error("{input}: {error}")]
    Input {
        /// The input.
        input: String,
        /// The error (part of the message, so not a `source`: it would be printed twice).
        error: io::Error,
    },
    /// A timestamp could not be rewritten.
    #[error("{input}:{error}")]
    Time {
        /// The input.
        input: String,
        /// The error (part of the message).
        error: crate::batch::BatchError,
    },
    /// Checkpoint problems.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// Writing the rejects file failed.
    #[error("--rejects {path}: {error}")]
    Rejects {
        /// The file.
        path: PathBuf,
        /// The error (part of the message).
        error: io::Error,
    },
    /// A thread could not be started.
    #[error("cannot start a thread: {0}; lower --concurrency")]
    Thread(io::Error),
    /// Usage error.
    #[error("{0}")]
    Usage(String),
}

/// Runs a replay to the end (or until a fatal answer).
pub fn run(
    config: &ReplayConfig,
    transport: &dyn Transport,
    clock: &dyn Clock,
    live: &LiveCounters,
) -> Result<Summary, ReplayError> {
    let url = config.target.write_url()?;
    let authorization = config.target.authorization();
    let started = Instant::now();
    let names: Vec<String> = config.sources.iter().map(Source::display_name).collect();

    // Checkpoint: identities and where to start.
    let ckpt_path = if config.dry_run {
        None
    } else {
        config.checkpoint.clone()
    };
    let Loaded {
        checkpoint,
        mut resumed,
        notes: grown,
    } = match &ckpt_path {
        Some(path) => {
            let settings = format!(
                "precision {} and --time {}",
                config.target.precision.as_str(),
                config.time
            );
            load_checkpoint(
                path,
                &config.sources,
                &names,
                &settings,
                config.shard.as_deref(),
            )?
        }
        None => Loaded {
            checkpoint: Checkpoint::default(),
            resumed: Vec::new(),
            notes: Vec::new(),
        },
    };

    let mut limiter = RateLimiter::new(&config.rates);
    let (max_lines, max_bytes) = limiter.smooth_batch(
        config.limits.max_lines.max(1),
        config.limits.max_bytes.max(1),
    );
    let precision = config.target.precision;
    let mut time_offset = checkpoint.time_offset;
    let mut time_note = None;
    if config.time == TimeMode::Now && time_offset.is_none() {
        match newest_of(&config.sources)? {
            Newest::At(ts) => {
                time_offset = Some(offset_to_now(ts, precision, std::time::SystemTime::now()))
            }
            Newest::None => {}
            Newest::Stream(name) => {
                time_note = Some(format!(
                    "--time now: {name} is a stream, which cannot be read twice for its newest \
                     timestamp: its first timestamp becomes now (as --time first-at-now)"
                ))
            }
        }
    }
    let rewriter = TimeRewriter::new(config.time, precision, time_offset);
    let pace_window = config.pace.map(|p| (0.05 * p.speed * 1e9) as i128);
    let mut batcher = Batcher::new(
        BatchLimits {
            max_lines,
            max_bytes,
        },
        rewriter,
        pace_window,
        i128::from(precision.nanos()),
    );
    batcher.set_auto_precision(config.auto_precision);
    // The run's first data is checked against --precision before anything is sent.
    let mut precision_checked = config.auto_precision;

    let rejects = match &config.rejects {
        None => None,
        Some(p) => {
            let append = !resumed.is_empty();
            let f = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(append)
                .truncate(!append)
                .open(p)
                .map_err(|error| ReplayError::Rejects {
                    path: p.clone(),
                    error,
                })?;
            Some((p.clone(), BufWriter::new(f)))
        }
    };

    // The caller's cancel flag is the run's stop flag: the workers, which look only at the
    // stop flag (between retries too), see a cancel at once even while the reader is blocked.
    let own_stop = AtomicBool::new(false);
    let stop: &AtomicBool = config.cancel.as_deref().unwrap_or(&own_stop);
    let concurrency = config.concurrency.max(1);
    let (done_tx, done_rx) = unbounded::<Msg>();
    let mut total = RequestStats::default();
    let mut worker_panicked = false;
    let mut read_error: Option<ReplayError> = None;
    // Files read to the end, checked once their lines were answered: a file changed after its
    // last read (appended to, rewritten) is not what was sent.
    let mut watches: std::collections::VecDeque<(usize, crate::input::Watch)> =
        std::collections::VecDeque::with_capacity(MAX_WATCHED + 1);
    let mut collected: Option<Result<Collected, ReplayError>> = None;
    let mut spawn_error: Option<io::Error> = None;
    let cancelled = || {
        config
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    };
    let read_options = ReadOptions {
        flush_interval: config.flush_interval,
        stop: config.cancel.clone(),
    };

    let ctx = SendContext {
        transport,
        clock,
        url: &url,
        authorization: authorization.as_deref(),
        api: config.target.api,
        gzip: config.gzip,
        policy: &config.retry,
        stop,
        live,
        narrow_limit: crate::sender::NARROW_REQUESTS,
    };
    let ctx = &ctx;
    std::thread::scope(|scope| {
        let Started {
            work: work_tx,
            pool,
            spawn_error: pool_error,
        } = Pool::start(scope, concurrency, concurrency * 2, |_| {
            let tx: Sender<Msg> = done_tx.clone();
            move |batch: Batch, stats: &mut RequestStats, rng: &mut Jitter| {
                let outcome = if ctx.stop.load(Ordering::Relaxed) {
                    Outcome {
                        failure: Some(Failure::Stopped),
                        ..Outcome::default()
                    }
                } else {
                    send_batch(ctx, &batch, stats, rng)
                };
                let done = Done {
                    seq: batch.seq,
                    input: batch.input,
                    end: batch.span.end,
                    prefix_crc32: batch.prefix_crc32,
                    outcome,
                };
                tx.send(Msg::Done(Box::new(done))).is_ok()
            }
        });
        spawn_error = pool_error;
        let collector = {
            let names = &names;
            let ckpt_path = ckpt_path.clone();
            let interval = config.checkpoint_interval;
            let tracker = Tracker::new(checkpoint.clone());
            let offset = config
                .time
                .is_relative_to_now()
                .then(|| batcher.rewriter().shared_offset());
            let saver = Saver {
                path: ckpt_path,
                interval,
                time_offset: offset,
            };
            std::thread::Builder::new()
                .name("collector".into())
                .spawn_scoped(scope, move || {
                    collect(done_rx, tracker, saver, rejects, names, stop)
                })
        };
        let collector = match collector {
            Ok(c) => Some(c),
            Err(e) => {
                spawn_error = Some(e);
                None
            }
        };
        // Nothing is read when a thread is missing.
        let sources = if spawn_error.is_some() {
            &[][..]
        } else {
            &config.sources[..]
        };

        // Produce.
        let mut pace_origin: Option<(Instant, i128)> = None;
        'inputs: for (i, source) in sources.iter().enumerate() {
            let state = checkpoint.inputs.get(i);
            if state.is_some_and(|s| s.complete) {
                continue;
            }
            let start = state.map_or(0, |s| s.offset);
            // The input's bytes are hashed only for a checkpoint.
            batcher.start_input(match state {
                _ if ckpt_path.is_none() => None,
                None => Some(PrefixCrc::resume(0, 0)),
                Some(s) if s.offset == 0 => Some(PrefixCrc::resume(0, 0)),
                Some(s) => s.prefix_crc32.map(|crc| PrefixCrc::resume(s.offset, crc)),
            });
            let mut reader = match BlockReader::open_with(source, start, &read_options) {
                Ok(r) => r,
                Err(error) => {
                    read_error = Some(ReplayError::Input {
                        input: names[i].clone(),
                        error,
                    });
                    break;
                }
            };
            let mut last_seq = None;
            let mut end = start;
            loop {
                if cancelled() {
                    stop.store(true, Ordering::Relaxed);
                }
                if stop.load(Ordering::Relaxed) {
                    break 'inputs;
                }
                let block = match reader.next_block() {
                    Ok(Some(b)) => {
                        if !precision_checked {
                            precision_checked = true;
                            let max = config.limits.max_lines.max(1);
                            if let Err(why) = check_first_block(b.bytes(), precision, max) {
                                read_error = Some(ReplayError::Usage(why));
                                break 'inputs;
                            }
                        }
                        if last_seq.is_none() && start > 0 {
                            if let Some(r) = resumed.iter_mut().find(|r| r.input == names[i]) {
                                r.line.get_or_insert(b.first_line);
                            }
                        }
                        b
                    }
                    Ok(None) => {
                        watches.extend(reader.take_watch().map(|w| (i, w)));
                        // Each watch holds its file open: past the bound, the oldest is
                        // checked now and closed (its bytes were all read), so a run over
                        // thousands of files stays within the descriptors it may open.
                        let oldest = match watches.len() > MAX_WATCHED {
                            true => watches.pop_front(),
                            false => None,
                        };
                        if let Some((w, watch)) = oldest {
                            if let Err(error) = watch.check() {
                                read_error = Some(ReplayError::Input {
                                    input: names[w].clone(),
                                    error,
                                });
                                break 'inputs;
                            }
                        }
                        break;
                    }
                    Err(_) if cancelled() => {
                        stop.store(true, Ordering::Relaxed);
                        break 'inputs;
                    }
                    // A stream that fails (a conversion that stopped) is its producer's to
                    // report: reading ends here, what was read is sent and answered, and
                    // the input stays incomplete in the checkpoint. An error of reading its
                    // lines (a line too long) is the replay's, as for any input.
                    Err(e) if source.reports_own_errors() && is_producer_error(&e) => break 'inputs,
                    Err(error) => {
                        read_error = Some(ReplayError::Input {
                            input: names[i].clone(),
                            error,
                        });
                        break 'inputs;
                    }
                };
                end = block.offset + block.range.len() as u64;
                let mut emit = |batch: Batch| {
                    if cancelled() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    if stop.load(Ordering::Relaxed) {
                        return false;
                    }
                    if let (Some(p), Some(ts)) = (config.pace, batch.first_ts_ns) {
                        let (t0, origin) = *pace_origin.get_or_insert((clock.now(), ts));
                        let offset_s = (ts - origin) as f64 / 1e9 / p.speed;
                        // Capped at ~31 years so that no Instant arithmetic can overflow.
                        let wait = Duration::from_secs_f64(offset_s.clamp(0.0, 1e9));
                        if let Some(due) = t0.checked_add(wait) {
                            if !sleep_until(clock, due, &cancelled) {
                                stop.store(true, Ordering::Relaxed);
                                return false;
                            }
                        }
                    }
                    let bytes = batch.body.bytes().len() as u64;
                    if !limiter.acquire_unless(clock, batch.lines, bytes, &cancelled) {
                        stop.store(true, Ordering::Relaxed);
                        return false;
                    }
                    LiveCounters::add(&live.lines_read, batch.lines);
                    LiveCounters::add(&live.bytes_read, batch.body.bytes().len() as u64);
                    last_seq = Some(batch.seq);
                    work_tx.send(batch).is_ok()
                };
                match batcher.push_block(i, &block, &mut emit) {
                    Ok(true) => {}
                    Ok(false) => break 'inputs,
                    Err(error) => {
                        read_error = Some(ReplayError::Time {
                            input: names[i].clone(),
                            error,
                        });
                        stop.store(true, Ordering::Relaxed);
                        break 'inputs;
                    }
                }
            }
            let _ = done_tx.send(Msg::InputRead {
                input: i,
                last_seq,
                end,
                prefix_crc32: batcher.prefix_crc32(),
            });
        }
        drop(work_tx);
        drop(done_tx);
        let joined = pool.join();
        total = joined.stats;
        worker_panicked = joined.panicked;
        collected = collector.and_then(|c| c.join().ok());
    });

    if let Some(e) = spawn_error {
        return Err(ReplayError::Thread(e));
    }
    if read_error.is_none() {
        if let Some((i, error)) = watches
            .iter()
            .find_map(|(i, w)| w.check().err().map(|e| (*i, e)))
        {
            read_error = Some(ReplayError::Input {
                input: names[i].clone(),
                error,
            });
        }
    }
    // What was answered is saved even when reading failed, so that a rerun does not send it
    // again.
    let final_state = match collected.as_mut() {
        Some(Ok(c)) => c.final_state.take(),
        _ => None,
    };
    if let (Some(path), Some(mut state)) = (&ckpt_path, final_state) {
        state.time_offset = batcher
            .rewriter()
            .offset()
            .filter(|_| config.time.is_relative_to_now());
        let saved = state.save(path);
        if read_error.is_none() {
            saved?;
        }
    }
    if let Some(e) = read_error {
        return Err(e);
    }
    let collected =
        collected.unwrap_or_else(|| Err(ReplayError::Usage("collector thread panicked".into())))?;
    let mut summary = Summary {
        lines_read: LiveCounters::get(&live.lines_read),
        lines_acked: collected.acked,
        lines_refused: collected.refused,
        bytes_read: LiveCounters::get(&live.bytes_read),
        requests: total,
        elapsed: started.elapsed(),
        ending: collected.ending,
        dry_run: config.dry_run,
        resumed,
        notes: grown.into_iter().chain(time_note).collect(),
    };
    // A run never reports success with lines unanswered (a sender thread that stopped).
    let pending = summary.lines_pending();
    if matches!(summary.ending, Ending::Completed) && (pending > 0 || worker_panicked) {
        summary.ending = Ending::GaveUp {
            message: format!(
                "a sender stopped unexpectedly: {pending} lines were not answered (rerun with --checkpoint to send them)"
            ),
        };
    }
    Ok(summary)
}

/// The checkpoint to resume from (a new one when `path` does not exist yet), and the inputs
/// it resumes with their offsets.
fn load_checkpoint(
    path: &Path,
    sources: &[Source],
    names: &[String],
    settings: &str,
    shard: Option<&str>,
) -> Result<Loaded, ReplayError> {
    let mut ids = Vec::with_capacity(sources.len());
    for (source, name) in sources.iter().zip(names) {
        if source.is_stdin() {
            return Err(ReplayError::Usage(
                "--checkpoint needs file inputs: standard input cannot be resumed".into(),
            ));
        }
        let id = source.identity();
        ids.push(id.map_err(|error| ReplayError::Input {
            input: name.clone(),
            error,
        })?);
    }
    let old = Checkpoint::load(path)?;
    // The checkpoint must be writable before anything is sent.
    Checkpoint::check_writable(path)?;
    let Some(old) = old else {
        let fresh = Checkpoint {
            inputs: ids
                .into_iter()
                .map(|identity| InputState {
                    identity,
                    offset: 0,
                    complete: false,
                    prefix_crc32: None,
                })
                .collect(),
            settings: Some(settings.to_owned()),
            shard: shard.map(str::to_owned),
            ..Checkpoint::default()
        };
        return Ok(Loaded {
            checkpoint: fresh,
            resumed: Vec::new(),
            notes: Vec::new(),
        });
    };
    let mut old = old;
    old.check_shard(path, shard)?;
    let grown = accept_appended(&mut old, sources, &ids, names)?;
    old.check_matches(path, &ids, Some(settings))?;
    for ((state, source), name) in old.inputs.iter().zip(sources).zip(names) {
        source
            .check_offset(state.offset)
            .map_err(|why| CheckpointError::Offset {
                path: path.into(),
                input: name.clone(),
                why,
            })?;
    }
    let resumed = old
        .inputs
        .iter()
        .zip(names)
        .filter(|(s, _)| s.offset > 0 || s.complete)
        .map(|(s, name)| ResumedAt {
            input: name.clone(),
            offset: s.offset,
            line: None,
            complete: s.complete,
        })
        .collect();
    Ok(Loaded {
        checkpoint: old,
        resumed,
        notes: grown,
    })
}

/// A checkpoint as a run starts from it.
struct Loaded {
    checkpoint: Checkpoint,
    /// Inputs resumed.
    resumed: Vec<ResumedAt>,
    /// What the user should know (inputs that grew).
    notes: Vec<String>,
}

/// An input that changed since the checkpoint only by bytes added at its end (an
/// append-only log) is resumed: its bytes below the checkpoint's offset still have the
/// CRC-32 the checkpoint recorded. Its identity is updated and it is no longer complete.
/// Returns a note per input accepted so. Streams (standard input, conversions) are not
/// read twice, so they are never accepted.
fn accept_appended(
    old: &mut Checkpoint,
    sources: &[Source],
    ids: &[Identity],
    names: &[String],
) -> Result<Vec<String>, ReplayError> {
    let mut notes = Vec::new();
    if old.inputs.len() != ids.len() {
        return Ok(notes);
    }
    for (((state, source), id), name) in old.inputs.iter_mut().zip(sources).zip(ids).zip(names) {
        let same_file = state.identity.path == id.path;
        let (Some(crc), true) = (state.prefix_crc32, same_file && state.identity != *id) else {
            continue;
        };
        if !source.can_read_twice() {
            continue;
        }
        let input = |error| ReplayError::Input {
            input: name.clone(),
            error,
        };
        let opened = source.open().map_err(input)?;
        if opened.pipe {
            continue;
        }
        if crc_of_prefix(opened.reader, state.offset).map_err(input)? == Some(crc) {
            notes.push(format!(
                "{name} changed since the checkpoint, but its first {} bytes did not (it was \
                 appended to, from {} to {} bytes): resuming after them",
                state.offset, state.identity.size, id.size
            ));
            state.identity = id.clone();
            state.complete = false;
        }
    }
    Ok(notes)
}

/// The newest timestamp of a replay's inputs, for `--time now`.
enum Newest {
    /// The newest timestamp.
    At(i64),
    /// No line has a timestamp.
    None,
    /// This input is a stream (standard input, a FIFO, a conversion): it cannot be read twice.
    Stream(String),
}

/// Reads every input once for its newest timestamp; a stream is not read.
fn newest_of(sources: &[Source]) -> Result<Newest, ReplayError> {
    let stream = sources.iter().find(|s| !s.can_read_twice());
    if let Some(s) = stream {
        return Ok(Newest::Stream(s.display_name()));
    }
    let mut newest: Option<i64> = None;
    for source in sources {
        let input = |error| ReplayError::Input {
            input: source.display_name(),
            error,
        };
        let opened = source.open().map_err(input)?;
        if opened.pipe {
            return Ok(Newest::Stream(source.display_name()));
        }
        if let Some(ts) = newest_timestamp(opened.reader).map_err(input)? {
            newest = Some(newest.map_or(ts, |n| n.max(ts)));
        }
    }
    Ok(newest.map_or(Newest::None, Newest::At))
}

#[cfg(test)]
mod tests;
