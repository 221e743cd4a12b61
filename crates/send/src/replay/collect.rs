//! The collector thread: records each batch's answer (counts, refused lines into the rejects
//! file, the checkpoint's acknowledged offset) and rewrites the checkpoint as it goes.

use super::ReplayError;
use crate::checkpoint::{Checkpoint, Tracker};
use crate::sender::Outcome;
use crate::stats::Ending;
use crossbeam_channel::Receiver;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Lines of a batch whose answer the collector records.
pub(super) struct Done {
    pub(super) seq: u64,
    pub(super) input: usize,
    pub(super) end: u64,
    pub(super) prefix_crc32: Option<u32>,
    pub(super) outcome: Outcome,
}

pub(super) enum Msg {
    Done(Box<Done>),
    InputRead {
        input: usize,
        last_seq: Option<u64>,
        end: u64,
        prefix_crc32: Option<u32>,
    },
}

/// What the collector saw.
pub(super) struct Collected {
    pub(super) acked: u64,
    pub(super) refused: u64,
    pub(super) ending: Ending,
    pub(super) final_state: Option<Checkpoint>,
}

/// When and where the collector writes checkpoints.
pub(super) struct Saver {
    pub(super) path: Option<PathBuf>,
    pub(super) interval: Duration,
    /// `--time now`: the offset, once the first timestamp fixed it.
    pub(super) time_offset: Option<Arc<OnceLock<i64>>>,
}

/// Receives answers until every worker and the reader are gone.
pub(super) fn collect(
    rx: Receiver<Msg>,
    mut tracker: Tracker,
    saver: Saver,
    mut rejects: Option<(PathBuf, BufWriter<std::fs::File>)>,
    names: &[String],
    stop: &AtomicBool,
) -> Result<Collected, ReplayError> {
    let Saver {
        path: ckpt_path,
        interval,
        time_offset,
    } = saver;
    let mut acked = 0;
    let mut refused = 0;
    let mut ending = Ending::Completed;
    let mut last_save = Instant::now();
    let mut result: Result<(), ReplayError> = Ok(());
    for msg in rx {
        match msg {
            Msg::InputRead {
                input,
                last_seq,
                end,
                prefix_crc32,
            } => tracker.input_read(input, last_seq, end, prefix_crc32),
            Msg::Done(d) => {
                let o = &d.outcome;
                acked += o.acked;
                refused += o.refused_count();
                if let Some((path, w)) = rejects.as_mut() {
                    if let Err(error) = write_rejects(w, &names[d.input], &d) {
                        result = Err(ReplayError::Rejects {
                            path: path.clone(),
                            error,
                        });
                        stop.store(true, Ordering::Relaxed);
                    }
                }
                match &o.failure {
                    None => tracker.batch_done(d.seq, d.input, d.end, d.prefix_crc32),
                    Some(failure) => {
                        if ending == Ending::Completed {
                            ending = Ending::of_failure(failure).unwrap_or(Ending::Completed);
                        }
                    }
                }
            }
        }
        if let Some(path) = &ckpt_path {
            // Once stopping, every answer is saved at once: the run may be cut short.
            let due = last_save.elapsed() >= interval || stop.load(Ordering::Relaxed);
            if due && tracker.take_dirty() {
                // Rejects must be on disk before the checkpoint says their batch is answered.
                if let Some((_, w)) = rejects.as_mut() {
                    let _ = w.flush();
                }
                if let Some(o) = time_offset.as_ref().and_then(|o| o.get()) {
                    tracker.state.time_offset = Some(*o);
                }
                if let Err(e) = tracker.state.save(path) {
                    result = Err(e.into());
                    stop.store(true, Ordering::Relaxed);
                }
                last_save = Instant::now();
            }
        }
    }
    if let Some((path, w)) = rejects.as_mut() {
        if let Err(error) = w.flush() {
            result = Err(ReplayError::Rejects {
                path: path.clone(),
                error,
            });
        }
    }
    result?;
    Ok(Collected {
        acked,
        refused,
        ending,
        final_state: ckpt_path.map(|_| tracker.state),
    })
}

/// Writes each refused line after a comment with its reason, so the file can be fixed and
/// replayed as it is (comments are skipped).
fn write_rejects(w: &mut impl Write, input: &str, d: &Done) -> io::Result<()> {
    // A line feed in the input's name would end the comment: the rest would be replayed.
    let input = crate::redact::escape_text(input);
    // Reasons are on one line already (`sender::messages::one_line`).
    for r in &d.outcome.refused {
        writeln!(
            w,
            "# {input}:{}: HTTP {}: {}",
            r.line_number, r.status, r.reason
        )?;
        w.write_all(&r.text)?;
        w.write_all(b"\n")?;
    }
    for u in &d.outcome.unidentified {
        writeln!(
            w,
            "# {input}:{}-{}: HTTP {}: {} of these {} lines were dropped by the server, which did not say which: {}",
            u.first_line, u.last_line, u.status, u.count, u.lines, u.reason
        )?;
    }
    Ok(())
}
