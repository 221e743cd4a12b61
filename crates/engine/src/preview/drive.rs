//! The preview driver: the records of a prepared input's feed cut one by one with the
//! conversion's own boundary rule (a chunk of one record), each converted by the input's
//! chunk converter on the calling thread, its rejects placed as the collector places them.

use super::{reads, RecordView, Recorder};
use crate::chunker::Boundary;
use crate::collect::placed;
use crate::input::{fill_until, Wait};
use crate::job::Prepared;
use crate::pipeline::{ChunkAt, Feed};
use crate::report::ChunkOutput;
use crate::{BadRow, Counters, EngineError};

/// The bytes of a feed, read from a stream only as far as the records shown need.
struct Bytes {
    buf: Vec<u8>,
    eof: bool,
    reader: Option<Box<dyn std::io::Read + Send>>,
}

impl Bytes {
    /// Reads what comes, at most up to `want` bytes in `buf` (a slow pipe is not waited on
    /// for more than one read gives).
    fn fill(&mut self, want: usize) -> std::io::Result<()> {
        match self.reader.as_mut() {
            Some(r) => self.eof = !fill_until(&mut **r, &mut self.buf, want, Wait::Some)?,
            None => self.eof = true,
        }
        Ok(())
    }

    /// Whether anything but blanks (and a JSON array's end) follows `pos`: `None` when that
    /// is not known without waiting on a stream that may never say (`wait` false: a pipe
    /// or a terminal, which can stay open without writing).
    fn more_after(
        &mut self,
        data: Option<&[u8]>,
        pos: usize,
        wait: bool,
    ) -> std::io::Result<Option<bool>> {
        let rest = |d: &[u8]| {
            d.get(pos..)
                .unwrap_or_default()
                .iter()
                .any(|b| !b.is_ascii_whitespace() && *b != b']')
        };
        if let Some(d) = data {
            return Ok(Some(rest(d)));
        }
        while !rest(&self.buf) && !self.eof {
            if !wait {
                return Ok(None);
            }
            let want = self.buf.len() + 1;
            self.fill(want)?;
        }
        Ok(Some(rest(&self.buf)))
    }

    /// Makes sure `buf[pos..]` starts with a whole record (or holds the rest of the input);
    /// false when that record is longer than `max` and the stream was not read further.
    fn whole_record(
        &mut self,
        pos: usize,
        boundary: Boundary,
        max: usize,
    ) -> std::io::Result<bool> {
        while !self.eof {
            let rest = &self.buf[pos..];
            // A boundary before the end of what was read ends the first record; one at the
            // very end does so when the record is complete there (its LF outside quotes; a
            // JSON array's element is followed by a byte, as a number may go on).
            let end = boundary.chunk_end(rest, 0, 1);
            if end < rest.len() || boundary.last_complete(rest) == Some(rest.len()) {
                return Ok(true);
            }
            if rest.len() > max {
                return Ok(false);
            }
            let want = self.buf.len() + rest.len().clamp(64 << 10, max.saturating_add(1));
            self.fill(want)?;
        }
        Ok(true)
    }
}

/// Converts the records of a prepared input one by one into `rec` until it is full (a
/// stream holds at most `max_record` bytes of one record); the counters hold only the bytes
/// read.
pub(super) fn run(
    prepared: Prepared,
    max_record: usize,
    rec: &mut Recorder,
) -> Result<Counters, EngineError> {
    let (job, feed) = match prepared {
        Prepared::Body { job, feed } => (job, feed),
        Prepared::Empty { counters, .. } => return Ok(counters),
        Prepared::Failed(e) => return Err(e),
    };
    let cx = &job.cx;
    let mut conv = job.make.make();
    let boundary = job.boundary.exact().unwrap_or(job.boundary);
    let (mut bytes, mut pos, mapped) = match feed {
        Feed::Mapped(at) => (
            Bytes {
                buf: Vec::new(),
                eof: true,
                reader: None,
            },
            at,
            Some(job.data()),
        ),
        Feed::Stream(carry, eof, reader) => (
            Bytes {
                buf: carry,
                eof,
                reader: Some(reader),
            },
            0,
            None,
        ),
    };
    let read_err =
        |e: std::io::Error| EngineError::Input(crate::input::read_error_text(&cx.name, &e));
    let mut out = ChunkOutput::default();
    let mut bytes_read = cx.preamble_bytes;
    let mut line = cx.base_line;
    let mut column_base = cx.base_column;
    let mut first = true;
    loop {
        if rec.full() {
            let more = bytes.more_after(mapped, pos, rec.regular);
            match more.map_err(read_err)? {
                Some(more) => rec.more = more,
                None => rec.unread = true,
            }
            break;
        }
        if mapped.is_none() && pos > 0 {
            // Records already shown are not kept.
            bytes.buf.drain(..pos);
            pos = 0;
        }
        if mapped.is_none()
            && !bytes
                .whole_record(pos, boundary, max_record)
                .map_err(read_err)?
        {
            return Err(EngineError::Input(format!(
                "{}:{}:1: a record longer than --max-record-size ({} bytes): raise \
                 --max-record-size to preview it",
                cx.name,
                line + rec.line_offset + 1,
                max_record
            )));
        }
        let data: &[u8] = match mapped {
            Some(m) => m,
            None => &bytes.buf,
        };
        if pos >= data.len() && !first {
            break;
        }
        let end = boundary.chunk_end(data, pos, 1);
        let chunk = &data[pos..end];
        let at = ChunkAt {
            first,
            last: end == data.len() && bytes.eof,
        };
        conv.convert(chunk, at, &mut out);
        first = false;
        // What was read, the one total a preview keeps (the records say the rest).
        bytes_read += chunk.len() as u64;
        if out.rows > 0 || !out.rejects.is_empty() {
            let error = out.rejects.first().map(|r| {
                let mut bad = BadRow::from(&placed(r, &cx.name, chunk, line, column_base));
                bad.line += rec.line_offset;
                bad
            });
            let start = line + leading_lines(chunk) + rec.line_offset + 1;
            rec.records.push(RecordView {
                line: start,
                reads: job
                    .make
                    .reads()
                    .map(|(plan, reader)| reads::of_record(plan, reader, chunk))
                    .unwrap_or_default(),
                lines: String::from_utf8_lossy(&out.lines)
                    .lines()
                    .map(str::to_owned)
                    .collect(),
                error,
            });
        }
        line += out.lines_seen;
        column_base = match memchr::memrchr(b'\n', chunk) {
            Some(i) => chunk.len() - i - 1,
            None => column_base + chunk.len(),
        };
        if end >= data.len() && bytes.eof {
            break;
        }
        pos = end;
    }
    // What was read from a file that changed (zeros for lost bytes) is that.
    job.check()?;
    Ok(Counters {
        bytes: bytes_read,
        ..Counters::default()
    })
}

/// The line feeds before a chunk's record (blank lines, a JSON array's separators).
fn leading_lines(chunk: &[u8]) -> u64 {
    let start = chunk
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b','))
        .unwrap_or(0);
    memchr::memchr_iter(b'\n', &chunk[..start]).count() as u64
}
