//! Where a shard's range starts and ends in a file: at the first record boundary at or after a
//! byte offset, found with the chunker's exact rules, and the input restricted to it.

use super::Take;
use crate::chunker::Boundary;
use crate::csv_record::Dialect;
use crate::job::{Job, Prepared};
use crate::pipeline::{ChunkAt, ChunkConverter, Feed, MakeConverter};
use crate::preview::Reader;
use crate::report::ChunkOutput;
use crate::EngineError;
use lpconvert_schema::Plan;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;

/// The first record boundary at or after `at` in `data`, whose body starts at the boundary
/// `body` (the end of the data when no record starts after `at`). The rule is exact: a CSV
/// file is read record by record (a quote-parity guess could cut inside a record where a quote
/// stands in an unquoted field), except across a stretch without any quote, where every line
/// feed ends a record.
pub fn record_start(boundary: Boundary, data: &[u8], body: usize, at: usize) -> usize {
    if at <= body {
        return body;
    }
    if at > data.len() {
        return data.len();
    }
    match boundary {
        Boundary::Lines => next_line(data, at),
        Boundary::QuoteParity(d) | Boundary::Records(d) => csv_record_start(d, data, body, at),
        // The first element end at or after `at` (a piece of an array starts after an element).
        Boundary::JsonArray => boundary.chunk_end(data, body, at - body),
    }
}

/// Just past the first LF at or after `at - 1` (`at > 0`).
fn next_line(data: &[u8], at: usize) -> usize {
    memchr::memchr(b'\n', &data[at - 1..]).map_or(data.len(), |i| at + i)
}

/// [`record_start`] for CSV: the quotes counted from the body's start when every one of them
/// stands where RFC 4180 puts it (a memchr pass, see [`well_formed_start`]), else the records
/// read one by one from the body's start.
fn csv_record_start(d: Dialect, data: &[u8], body: usize, at: usize) -> usize {
    if d.escape.is_none() && d.comment.is_none() {
        if let Some(start) = well_formed_start(d, data, body, at) {
            return start;
        }
    }
    // The chunker's exact rule: the records read one by one (`at > body`).
    Boundary::Records(d).chunk_end(data, body, at - body)
}

/// The first line start at or after `at` outside quotes, reading quotes by the RFC 4180
/// grammar: a quote opens a field at its start (after a delimiter or a line feed), and inside
/// a field either doubles (`""`) or closes it before a delimiter, CR, LF or the end. That is
/// what the record reader reads; `None` at the first quote standing anywhere else (in an
/// unquoted field, or after spaces a trimming dialect reads past), where only reading the
/// records says where they end.
fn well_formed_start(d: Dialect, data: &[u8], body: usize, at: usize) -> Option<usize> {
    let q = d.quote;
    let mut inside = false;
    let mut pos = body;
    while let Some(i) = memchr::memchr2(q, b'\n', &data[pos..]) {
        let i = pos + i;
        pos = i + 1;
        if data[i] == b'\n' {
            if !inside && i + 1 >= at {
                return Some(i + 1);
            }
            continue;
        }
        if inside {
            match data.get(i + 1) {
                Some(&c) if c == q => pos = i + 2,
                Some(&c) if c != d.delimiter && c != b'\r' && c != b'\n' => return None,
                _ => inside = false,
            }
        } else {
            let opens = i == body || data[i - 1] == d.delimiter || data[i - 1] == b'\n';
            if !opens {
                return None;
            }
            inside = true;
        }
    }
    Some(data.len())
}

/// Restricts a prepared input to what `take` gives this shard: `None` when that is nothing.
/// A mapped body is cut to the records starting in the range (line numbers, columns and the
/// byte count stay the file's); a failure is every taking shard's, as is a body that is not
/// mapped (a splittable file whose mapping failed); anything else (an empty CSV) goes to its
/// owner only.
pub(crate) fn restrict(prepared: Prepared, take: Take) -> Option<Prepared> {
    let (lo, hi, owner) = match take {
        Take::Skip => return None,
        Take::Whole => return Some(prepared),
        Take::Range { lo, hi, owner } => (lo, hi, owner),
    };
    match prepared {
        Prepared::Body {
            mut job,
            feed: Feed::Mapped(body),
        } => {
            let Some(j) = Arc::get_mut(&mut job) else {
                return owner.then_some(Prepared::Body {
                    job,
                    feed: Feed::Mapped(body),
                });
            };
            let start = narrow(j, body, (lo, hi), owner)?;
            Some(Prepared::Body {
                job,
                feed: Feed::Mapped(start),
            })
        }
        // A shard that cannot open or read its range says so: its records would be lost.
        failed @ Prepared::Failed(_) => Some(failed),
        // A file assigned as splittable but read as a stream here (its mapping failed, e.g.
        // all mapping slots in use): another shard may have cut it, so converting it whole
        // or not at all could repeat or lose records.
        Prepared::Body { job, .. } => Some(Prepared::Failed(EngineError::Input(format!(
            "{}: this shard's byte range cannot be cut: the file could not be mapped into \
             memory; rerun this shard",
            job.cx.name
        )))),
        other => owner.then_some(other),
    }
}

/// Cuts `job`'s data to the records that start in `lo..hi`; returns where its pieces start,
/// `None` when no record starts there and the shard does not own the file.
fn narrow(job: &mut Job, body: usize, (lo, hi): (u64, u64), owner: bool) -> Option<usize> {
    let data = job.data();
    let len = data.len();
    let exact = job.boundary.exact().unwrap_or(job.boundary);
    let at = |x: u64| usize::try_from(x).map_or(len, |x| x.min(len));
    let start = record_start(exact, data, body, at(lo));
    let end = match at(hi) {
        h if h >= len => len,
        // From `start`, a record boundary: the bytes before it are not read again.
        h => record_start(exact, data, start, h),
    }
    .max(start);
    if start == end && !owner {
        return None;
    }
    if start > body {
        let lines = memchr::memchr_iter(b'\n', &data[body..start]).count() as u64;
        let line_start = memchr::memrchr(b'\n', &data[..start]).map_or(0, |i| i + 1);
        job.cx.base_line += lines;
        job.cx.base_column = start - line_start;
    }
    if !owner {
        job.cx.preamble_bytes = 0;
        job.notes.clear();
    }
    // A range that is the whole body keeps the shared converter maker (the workers keep
    // their converters by it: a wrapper per file would build a converter per file).
    if start != body || end != len {
        job.make = Arc::new(Ranged {
            inner: Arc::clone(&job.make),
            first: start == body,
            last: end == len,
        });
    }
    if let Some(map) = job.map.as_mut() {
        map.restrict(end);
    }
    Some(start)
}

/// A way of reading whose pieces lie inside a file: the first and last pieces of a shard's
/// range are the file's first and last only when the range starts at the body or ends with
/// the file (a JSON array's `[` and `]` are then read).
struct Ranged {
    inner: Arc<dyn MakeConverter>,
    first: bool,
    last: bool,
}

impl MakeConverter for Ranged {
    fn make(&self) -> Box<dyn ChunkConverter> {
        Box::new(RangedConverter {
            inner: self.inner.make(),
            first: self.first,
            last: self.last,
        })
    }

    fn reads(&self) -> Option<(&Plan, Reader)> {
        self.inner.reads()
    }
}

struct RangedConverter {
    inner: Box<dyn ChunkConverter>,
    first: bool,
    last: bool,
}

impl ChunkConverter for RangedConverter {
    fn convert(&mut self, data: &[u8], at: ChunkAt, out: &mut ChunkOutput) {
        let at = ChunkAt {
            first: at.first && self.first,
            last: at.last && self.last,
        };
        self.inner.convert(data, at, out);
    }

    fn stops_on_error(&self) -> bool {
        self.inner.stops_on_error()
    }
}

/// The byte range of a line-protocol file that a shard's `lo..hi` gives: from the first line
/// start at or after `lo` to the first at or after `hi` (every line feed ends a line).
pub fn lp_range(
    file: &mut (impl Read + Seek),
    lo: u64,
    hi: u64,
    size: u64,
) -> io::Result<(u64, u64)> {
    let mut line_start = |x: u64| -> io::Result<u64> {
        if x == 0 || x >= size {
            return Ok(x.min(size));
        }
        file.seek(SeekFrom::Start(x - 1))?;
        let mut pos = x - 1;
        let mut buf = [0u8; 64 * 1024];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                return Ok(size);
            }
            if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
                return Ok((pos + i as u64 + 1).min(size));
            }
            pos += n as u64;
        }
    };
    let start = line_start(lo)?;
    let end = line_start(hi)?.max(start);
    Ok((start, end))
}
