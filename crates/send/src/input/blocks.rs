//! Reading an input as [`Block`]s of whole lines, in blocks of a few MiB: a file is read
//! ahead by its own thread, a pipe handed on after the flush interval; resuming skips to a
//! checkpoint's offset by reading (line numbers stay right); a line has a length limit.

use super::pipe::PipeState;
use super::{Source, Watch};
use crossbeam_channel::{bounded, Receiver};
use std::io::{self, Read};
use std::ops::Range;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// Bytes shared by a block and every batch that borrows from it.
pub enum Data {
    /// Bytes read from an input.
    Owned(Vec<u8>),
}

impl Data {
    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Data::Owned(v) => v,
        }
    }
}

impl std::fmt::Debug for Data {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Data({} bytes)", self.bytes().len())
    }
}

/// A run of whole lines of an input (the last block may end without LF).
#[derive(Debug, Clone)]
pub struct Block {
    /// The shared bytes.
    pub data: Arc<Data>,
    /// The part of `data` this block covers.
    pub range: Range<usize>,
    /// Input offset (of the uncompressed stream) of `range.start`.
    pub offset: u64,
    /// 1-based line number of the first line of the block.
    pub first_line: u64,
}

impl Block {
    /// The block's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.data.bytes()[self.range.clone()]
    }
}

/// Size of the blocks read from streams.
pub(super) const STREAM_BLOCK: usize = 4 << 20;

/// The UTF-8 byte order mark, skipped at the start of an input.
pub(super) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Longest line read from a stream: a longer one (no LF found) is an error, not an ever
/// growing buffer (`/dev/zero`).
pub(super) const MAX_LINE: usize = 64 << 20;

/// Reads an input as blocks, starting at a byte offset (which must be a line start).
///
/// A UTF-8 byte order mark at the start of the input is skipped: it is never sent, and
/// offsets stay offsets into the input (the first line starts at offset 3).
pub struct BlockReader {
    state: State,
    offset: u64,
    next_line: u64,
    /// Whether the start of the input was looked at for a byte order mark.
    bom_checked: bool,
    /// A regular file's size and modification time, to check once its lines are answered.
    watch: Option<Watch>,
}

enum State {
    Stream(Box<dyn Read + Send>, Vec<u8>, bool, Option<io::Error>),
    /// A file read ahead by its own thread: the next blocks are read while the current one
    /// is sent (reading costs a copy; done in the same thread, it would halve a dry run).
    /// Each block comes with the number of its LFs, counted by that thread.
    Ahead(Receiver<io::Result<(Vec<u8>, u64)>>),
    /// A pipe read by its own thread: lines are handed on once `flush` has passed since the
    /// block's first bytes arrived, without waiting for a full block.
    Pipe(PipeState),
}

/// Options of [`BlockReader::open_with`].
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// For pipes (stdin, FIFOs): hand on the lines read so far once the block has been open
    /// this long (`None`: wait for a full block or the end of the input).
    pub flush_interval: Option<Duration>,
    /// Set to stop waiting on a pipe: `next_block` then fails with `Interrupted`.
    pub stop: Option<Arc<AtomicBool>>,
}

impl BlockReader {
    /// Opens `source` and skips to `start` (counting the lines skipped).
    pub fn open(source: &Source, start: u64) -> io::Result<BlockReader> {
        Self::open_with(source, start, &ReadOptions::default())
    }

    /// Opens `source` with `options` and skips to `start` (counting the lines skipped).
    /// Fails with `InvalidData` when `start` is past the end of the input or not at the
    /// start of a line.
    pub fn open_with(
        source: &Source,
        start: u64,
        options: &ReadOptions,
    ) -> io::Result<BlockReader> {
        let opened = source.open()?;
        let mut reader = match (opened.pipe, options.flush_interval) {
            (true, Some(flush)) => Self::pipe(opened.reader, flush, options.stop.clone())?,
            // A file, read as it is: it was opened by the caller (decompressed, and watched
            // for change while read: the check for after the last read is kept as `watch`).
            // Read, not memory-mapped: a mapped file truncated by another process while it
            // is sent kills the process with SIGBUS. The replay is bounded by the network,
            // and reading costs a copy per block only.
            _ => Self::stream(opened.reader),
        };
        reader.watch = opened.watch;
        reader.next_line = source.first_line()?;
        reader.skip_to(start)?;
        if !opened.pipe {
            reader.read_ahead()?;
        }
        Ok(reader)
    }

    /// For a regular file: what checks, once every line read was answered, that the file has
    /// not changed since it was opened (a change after the last read is not seen by reads).
    pub fn take_watch(&mut self) -> Option<Watch> {
        self.watch.take()
    }

    /// Moves the reading of a stream to a thread that keeps two blocks ready.
    fn read_ahead(&mut self) -> io::Result<()> {
        let (tx, rx) = bounded::<io::Result<(Vec<u8>, u64)>>(2);
        let old = std::mem::replace(&mut self.state, State::Ahead(rx));
        let State::Stream(mut r, mut pending, mut eof, None) = old else {
            self.state = old;
            return Ok(());
        };
        // A line too long is numbered by `next_block`, which knows where the block starts.
        let spawned = std::thread::Builder::new()
            .name("file reader".into())
            .spawn(move || loop {
                match stream_next(r.as_mut(), &mut pending, &mut eof, None, 0) {
                    Ok(Some(buf)) => {
                        let lines = memchr::memchr_iter(b'\n', &buf).count() as u64;
                        if tx.send(Ok((buf, lines))).is_err() {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                }
            });
        spawned
            .map(drop)
            .map_err(|e| io::Error::other(format!("cannot start a thread to read the input: {e}")))
    }

    fn stream(r: Box<dyn Read + Send>) -> BlockReader {
        BlockReader {
            state: State::Stream(r, Vec::new(), false, None),
            offset: 0,
            next_line: 1,
            bom_checked: false,
            watch: None,
        }
    }

    fn pipe(
        r: Box<dyn Read + Send>,
        flush: Duration,
        stop: Option<Arc<AtomicBool>>,
    ) -> io::Result<BlockReader> {
        Ok(BlockReader {
            state: State::Pipe(PipeState::spawn(r, flush, stop)?),
            offset: 0,
            next_line: 1,
            bom_checked: false,
            watch: None,
        })
    }

    fn skip_to(&mut self, start: u64) -> io::Result<()> {
        if start == 0 {
            return Ok(());
        }
        let past_end = |len: u64| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the checkpoint's offset {start} is past the end of the input ({len} bytes): this checkpoint was not written for this input"),
            )
        };
        let mid_line = || {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the checkpoint's offset {start} is not at the start of a line: this checkpoint was not written for this input"),
            )
        };
        // The bytes before `start`, as far as a line start check needs them.
        let mut last = Vec::new();
        // Whether `start` is the end of a block without a final LF: only the last
        // block of a stream ends so, and its end is the end of the input.
        let mut at_end = false;
        while self.offset < start {
            let Some(block) = self.next_block()? else {
                return Err(past_end(self.offset));
            };
            let Some(want) = start.checked_sub(block.offset) else {
                return Err(mid_line());
            };
            let want = usize::try_from(want).unwrap_or(usize::MAX);
            let bytes = block.bytes();
            let before = &bytes[..want.min(bytes.len())];
            last.clear();
            last.extend_from_slice(&before[before.len().saturating_sub(1)..]);
            at_end = want == bytes.len() && bytes.last() != Some(&b'\n');
            if want < bytes.len() {
                // Put back the rest of the block.
                let rest = bytes[want..].to_vec();
                self.next_line =
                    block.first_line + memchr::memchr_iter(b'\n', before).count() as u64;
                self.offset = start;
                // (Skipping is done before a file is read ahead.)
                if let State::Stream(_, pending, _, _) | State::Pipe(PipeState { pending, .. }) =
                    &mut self.state
                {
                    let mut v = rest;
                    v.extend_from_slice(pending);
                    *pending = v;
                }
            }
        }
        let bom_start = start == BOM.len() as u64 && last.is_empty();
        if last != b"\n" && !bom_start && !at_end {
            return Err(mid_line());
        }
        Ok(())
    }

    /// The next block, or `None` at the end of the input.
    pub fn next_block(&mut self) -> io::Result<Option<Block>> {
        // LFs of the block when already counted (by the read-ahead thread).
        let mut counted = None;
        let buf = match &mut self.state {
            State::Stream(r, pending, eof, failed) => {
                match stream_next(r.as_mut(), pending, eof, Some(failed), self.next_line)? {
                    Some(buf) => buf,
                    None => return Ok(None),
                }
            }
            State::Ahead(rx) => match rx.recv() {
                Ok(Ok((buf, lines))) => {
                    counted = Some(lines);
                    buf
                }
                // The only `InvalidData` of a file read: a line too long, numbered here.
                Ok(Err(e)) if e.kind() == io::ErrorKind::InvalidData => {
                    return Err(too_long(self.next_line))
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(None),
            },
            State::Pipe(p) => match p.next(self.next_line)? {
                Some(buf) => buf,
                None => return Ok(None),
            },
        };
        let mut buf = buf;
        let mut skipped = 0;
        if !self.bom_checked {
            self.bom_checked = true;
            if buf.starts_with(BOM) {
                buf.drain(..BOM.len());
                skipped = BOM.len();
            }
        }
        let lines = counted.unwrap_or_else(|| memchr::memchr_iter(b'\n', &buf).count() as u64);
        let len = buf.len();
        let block = Block {
            data: Arc::new(Data::Owned(buf)),
            range: 0..len,
            offset: self.offset + skipped as u64,
            first_line: self.next_line,
        };
        self.offset += (skipped + len) as u64;
        self.next_line += lines;
        Ok(Some(block))
    }
}

/// The next run of whole lines of a stream (the rest at the end), or `None` at the end.
/// `pending`: bytes read but not handed on; `line`: the number of the first line, for
/// messages. With `failed`, a read error is held back there while the whole lines read
/// before it are handed on (a stream whose producer failed); without, it is returned at once.
fn stream_next(
    r: &mut dyn Read,
    pending: &mut Vec<u8>,
    eof: &mut bool,
    mut failed: Option<&mut Option<io::Error>>,
    line: u64,
) -> io::Result<Option<Vec<u8>>> {
    if let Some(e) = failed.as_deref_mut().and_then(Option::take) {
        return Err(e);
    }
    let mut buf = std::mem::take(pending);
    // Bytes of `buf` known to hold no LF: each byte is searched once.
    let mut searched = 0;
    loop {
        let read = if !*eof && buf.len() < STREAM_BLOCK {
            let want = STREAM_BLOCK.max(buf.len() + 64 * 1024) - buf.len();
            read_more(r, &mut buf, want, eof)
        } else {
            Ok(())
        };
        if let Err(e) = read {
            return lines_before(buf, pending, e, failed);
        }
        if buf.is_empty() {
            return Ok(None);
        }
        let cut = if *eof {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', &buf[searched..]) {
                Some(i) => searched + i + 1,
                None => {
                    if buf.len() > MAX_LINE {
                        return Err(too_long(line));
                    }
                    searched = buf.len();
                    // A line longer than a block: read more.
                    if let Err(e) = read_more(r, &mut buf, STREAM_BLOCK, eof) {
                        return lines_before(buf, pending, e, failed);
                    }
                    continue;
                }
            }
        };
        *pending = buf[cut..].to_vec();
        buf.truncate(cut);
        return Ok(Some(buf));
    }
}

/// After read error `e`: with `failed`, the whole lines of `buf` (the error held back in
/// `failed` for the next call), else the error; the rest of `buf` stays in `pending`.
fn lines_before(
    mut buf: Vec<u8>,
    pending: &mut Vec<u8>,
    e: io::Error,
    failed: Option<&mut Option<io::Error>>,
) -> io::Result<Option<Vec<u8>>> {
    match (failed, memchr::memrchr(b'\n', &buf)) {
        (Some(slot), Some(i)) => {
            *pending = buf[i + 1..].to_vec();
            buf.truncate(i + 1);
            *slot = Some(e);
            Ok(Some(buf))
        }
        _ => {
            *pending = buf;
            Err(e)
        }
    }
}

/// Appends up to `want` bytes read from `r` to `buf` (into its spare capacity, without
/// zeroing it first); sets `eof` when fewer came.
fn read_more(r: &mut dyn Read, buf: &mut Vec<u8>, want: usize, eof: &mut bool) -> io::Result<()> {
    buf.reserve_exact(want);
    let n = r.take(want as u64).read_to_end(buf)?;
    if n < want {
        *eof = true;
    }
    Ok(())
}

/// A line without its end after [`MAX_LINE`] bytes.
pub(super) fn too_long(line: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "line {line} is longer than {} MiB (no line end found): this is not line protocol, or a line is cut short of its LF",
            MAX_LINE >> 20
        ),
    )
}

#[cfg(test)]
pub(super) mod tests;
