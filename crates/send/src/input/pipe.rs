//! A pipe (stdin, a FIFO, lines produced while the replay runs) read by its own thread.

use super::blocks::{too_long, BOM, MAX_LINE, STREAM_BLOCK};
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError};
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Size of one read from a pipe (stdin, FIFO), handed from the reading thread.
const PIPE_CHUNK: usize = 64 * 1024;

/// How often a reader waiting on a pipe looks at the stop flag.
const STOP_POLL: Duration = Duration::from_millis(100);

/// Lines read from a pipe by their own thread, handed on once the flush interval has passed
/// since the first bytes of a block arrived, without waiting for a full block.
pub(super) struct PipeState {
    rx: Receiver<io::Result<Vec<u8>>>,
    /// Bytes read but not handed on.
    pub(super) pending: Vec<u8>,
    eof: bool,
    flush: Duration,
    stop: Option<Arc<AtomicBool>>,
    /// A read error held back until the whole lines read before it are handed on.
    failed: Option<io::Error>,
}

impl PipeState {
    /// Starts the thread that reads `r`; `stop` set makes [`PipeState::next`] fail with
    /// `Interrupted`.
    pub(super) fn spawn(
        mut r: Box<dyn Read + Send>,
        flush: Duration,
        stop: Option<Arc<AtomicBool>>,
    ) -> io::Result<PipeState> {
        let (tx, rx) = bounded::<io::Result<Vec<u8>>>(STREAM_BLOCK / PIPE_CHUNK);
        std::thread::Builder::new()
            .name("pipe reader".into())
            .spawn(move || loop {
                let mut chunk = vec![0u8; PIPE_CHUNK];
                match r.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => {
                        chunk.truncate(n);
                        if tx.send(Ok(chunk)).is_err() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                }
            })
            .map_err(|e| {
                io::Error::other(format!("cannot start a thread to read the input: {e}"))
            })?;
        Ok(PipeState {
            rx,
            pending: Vec::new(),
            eof: false,
            flush,
            stop,
            failed: None,
        })
    }

    /// The next run of whole lines (the rest at the end), or `None` at the end.
    /// `line`: the number of the first line, for messages.
    pub(super) fn next(&mut self, line: u64) -> io::Result<Option<Vec<u8>>> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let mut buf = std::mem::take(&mut self.pending);
        let mut opened = (!buf.is_empty()).then(Instant::now);
        // Where the last LF of `buf` is (each chunk is searched once).
        let mut last_lf = memchr::memrchr(b'\n', &buf);
        loop {
            if self.eof {
                if buf.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(buf));
            }
            let due = opened.is_some_and(|t| t.elapsed() >= self.flush);
            // Not a part of a byte order mark only, so that it is seen whole.
            if (buf.len() >= STREAM_BLOCK || due) && !BOM.starts_with(&buf) {
                if let Some(i) = last_lf {
                    self.pending = buf[i + 1..].to_vec();
                    buf.truncate(i + 1);
                    return Ok(Some(buf));
                }
                if buf.len() > MAX_LINE {
                    return Err(too_long(line));
                }
            }
            let wait = match opened {
                Some(t) if !due => t
                    .checked_add(self.flush)
                    .map_or(STOP_POLL, |d| d.saturating_duration_since(Instant::now())),
                _ => STOP_POLL,
            };
            if self
                .stop
                .as_ref()
                .is_some_and(|s| s.load(Ordering::Relaxed))
            {
                self.pending = buf;
                return Err(io::Error::new(io::ErrorKind::Interrupted, "stopped"));
            }
            match self.rx.recv_timeout(wait.min(STOP_POLL)) {
                Ok(Ok(chunk)) => {
                    opened.get_or_insert_with(Instant::now);
                    if let Some(i) = memchr::memrchr(b'\n', &chunk) {
                        last_lf = Some(buf.len() + i);
                    }
                    buf.extend_from_slice(&chunk);
                }
                Ok(Err(e)) => {
                    // The whole lines read before the error first, then the error.
                    if let Some(i) = last_lf {
                        self.pending = buf[i + 1..].to_vec();
                        buf.truncate(i + 1);
                        self.failed = Some(e);
                        return Ok(Some(buf));
                    }
                    self.pending = buf;
                    return Err(e);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => self.eof = true,
            }
        }
    }
}
