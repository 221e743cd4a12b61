//! [`RecordReader`]: the scanning loop, quoted fields and the block-at-a-time search of
//! plain lines.

use super::blocks::Blocks;
use super::{Dialect, Record, Span, Unterminated};

/// Reads records one after another from a slice, counting lines.
#[derive(Debug)]
pub struct RecordReader {
    dialect: Dialect,
    pos: usize,
    line: u64,
    /// Bytes of escaped field text copied at most (see [`RecordReader::with_limit`]).
    limit: usize,
    /// The structural bytes of the block being read.
    blocks: Blocks,
}

#[inline]
fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

impl RecordReader {
    /// A reader starting at byte `pos` of the slice, at relative line 0.
    pub fn new(dialect: Dialect, pos: usize) -> RecordReader {
        RecordReader {
            dialect,
            pos,
            line: 0,
            limit: usize::MAX,
            blocks: Blocks::default(),
        }
    }

    /// A reader that does not copy the text of escaped fields past `limit` bytes a record:
    /// such a record is longer than `limit`, and its cells are not read (a row error), so
    /// memory stays bounded by the limit whatever the record's length.
    pub fn with_limit(mut self, limit: usize) -> RecordReader {
        self.limit = limit;
        self
    }

    /// A reader whose blocks are classified by `f` (tests: the portable code, or a
    /// classification that sends every line to the full reader).
    #[cfg(test)]
    pub(super) fn with_classify(mut self, f: super::blocks::Classify) -> RecordReader {
        self.blocks.classify = Some(f);
        self
    }

    /// Byte offset of the next unread byte.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Number of line feeds consumed so far.
    pub fn lines(&self) -> u64 {
        self.line
    }

    /// Skips `n` physical lines (for `skip_rows`), stopping at the end of the data.
    /// Returns how many of them were missing: lines that ended with the data count as
    /// skipped, so 0 means all `n` were there (the last may lack its LF).
    pub fn skip_lines(&mut self, data: &[u8], n: usize) -> usize {
        for done in 0..n {
            let Some(rest) = data.get(self.pos..).filter(|r| !r.is_empty()) else {
                return n - done;
            };
            match memchr::memchr(b'\n', rest) {
                Some(i) => {
                    self.pos += i + 1;
                    self.line += 1;
                }
                None => {
                    self.pos = data.len();
                    return n - done - 1;
                }
            }
        }
        0
    }

    /// Reads the next record into `rec`. Returns `Ok(false)` at the end of the data.
    /// On an unterminated quote the reader moves to the end of the data. Every call reads
    /// the same `data` (the reader keeps positions, and the structure of a block, in it).
    pub fn read(&mut self, data: &[u8], rec: &mut Record) -> Result<bool, Unterminated> {
        rec.clear_cells();
        rec.scratch.clear();
        // Skip blank and comment lines.
        loop {
            let Some(&b) = data.get(self.pos) else {
                return Ok(false);
            };
            let rest = &data[self.pos..];
            let skip = if b == b'\n' {
                Some(1)
            } else if b == b'\r' && rest.get(1) == Some(&b'\n') {
                Some(2)
            } else if Some(b) == self.dialect.comment {
                Some(memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1))
            } else {
                None
            };
            match skip {
                Some(n) => {
                    self.line += u64::from(rest[n - 1] == b'\n');
                    self.pos += n;
                }
                None => break,
            }
        }
        rec.start = self.pos;
        rec.line = self.line;
        if self.read_plain_line(data, rec) {
            return Ok(true);
        }
        let d = self.dialect;
        let mut pos = self.pos;
        loop {
            // One field.
            let mut fstart = pos;
            if d.trim {
                while data.get(fstart).copied().is_some_and(is_blank) {
                    fstart += 1;
                }
            }
            if data.get(fstart) == Some(&d.quote) {
                pos = self.quoted(data, fstart, rec)?;
            } else {
                let mut i = pos;
                while let Some(&b) = data.get(i) {
                    if b == d.delimiter || b == b'\n' {
                        break;
                    }
                    i += 1;
                }
                let mut end = i;
                if data.get(i) == Some(&b'\n') && end > pos && data[end - 1] == b'\r' {
                    end -= 1;
                }
                let mut start = pos;
                if d.trim {
                    start = fstart.min(end);
                    while end > start && is_blank(data[end - 1]) {
                        end -= 1;
                    }
                }
                rec.push(Span {
                    start,
                    end,
                    scratch: false,
                });
                pos = i;
            }
            match data.get(pos) {
                Some(&b) if b == d.delimiter => pos += 1,
                Some(b'\n') => {
                    self.line += 1;
                    pos += 1;
                    break;
                }
                _ => break,
            }
        }
        self.pos = pos;
        rec.end = pos;
        Ok(true)
    }

    /// The fast path: a line without quote bytes (and no trimming) is split at each
    /// delimiter, 64 bytes at a time ([`Blocks`]). Returns false, with `rec` empty, when
    /// the line needs the full reader.
    #[inline]
    fn read_plain_line(&mut self, data: &[u8], rec: &mut Record) -> bool {
        let d = self.dialect;
        if d.trim {
            return false;
        }
        let mut from = self.pos;
        let mut i = self.pos;
        let eol = loop {
            if i >= data.len() {
                break data.len();
            }
            let b = self.blocks.from(data, i, d.delimiter, d.quote);
            // The bytes up to the first line feed of the block (all when it has none).
            let line = b.nl.wrapping_sub(1) & !b.nl;
            if b.quote & line != 0 {
                rec.clear_cells();
                return false;
            }
            let mut delims = b.delim & line;
            while delims != 0 {
                let j = b.at + delims.trailing_zeros() as usize;
                rec.push(Span {
                    start: from,
                    end: j,
                    scratch: false,
                });
                from = j + 1;
                delims &= delims - 1;
            }
            if b.nl != 0 {
                break b.at + b.nl.trailing_zeros() as usize;
            }
            i = b.at + 64;
        };
        let mut end = eol;
        let next = if eol < data.len() {
            self.line += 1;
            if end > from && data[end - 1] == b'\r' {
                end -= 1;
            }
            eol + 1
        } else {
            eol
        };
        rec.push(Span {
            start: from,
            end,
            scratch: false,
        });
        self.pos = next;
        rec.end = next;
        true
    }

    /// Reads a quoted field whose opening quote is at `q`; returns the position after the
    /// field (at the delimiter, the line feed or the end).
    fn quoted(&mut self, data: &[u8], q: usize, rec: &mut Record) -> Result<usize, Unterminated> {
        let d = self.dialect;
        let cell = rec.len() + 1;
        let mut seg = q + 1;
        let mut copied = false;
        let scratch_start = rec.scratch.len();
        let close;
        loop {
            let hit = match d.escape {
                Some(e) if e != d.quote => memchr::memchr2(d.quote, e, &data[seg..]),
                _ => memchr::memchr(d.quote, &data[seg..]),
            };
            let Some(off) = hit else {
                self.line += memchr::memchr_iter(b'\n', &data[q..]).count() as u64;
                self.pos = data.len();
                return Err(Unterminated { cell });
            };
            let i = seg + off;
            let b = data[i];
            if b == d.quote && !(d.escape.is_none() && data.get(i + 1) == Some(&d.quote)) {
                close = i;
                break;
            }
            // An escaped byte or a doubled quote: keep the byte after the first one.
            let Some(&lit) = data.get(i + 1) else {
                self.pos = data.len();
                return Err(Unterminated { cell });
            };
            if rec.scratch.len() + (i - seg) < self.limit {
                rec.scratch.extend_from_slice(&data[seg..i]);
                rec.scratch.push(lit);
            }
            copied = true;
            seg = i + 2;
        }
        self.line += memchr::memchr_iter(b'\n', &data[q..close]).count() as u64;
        // Text between the closing quote and the delimiter is kept (leniently), except
        // blanks when trimming and the CR of a CRLF.
        let mut pos = close + 1;
        let tail_start = pos;
        while let Some(&b) = data.get(pos) {
            if b == d.delimiter || b == b'\n' {
                break;
            }
            pos += 1;
        }
        let mut tail_end = pos;
        if data.get(pos) == Some(&b'\n') && tail_end > tail_start && data[tail_end - 1] == b'\r' {
            tail_end -= 1;
        }
        let mut tail = &data[tail_start..tail_end];
        if d.trim {
            while tail.last().copied().is_some_and(is_blank) {
                tail = &tail[..tail.len() - 1];
            }
        }
        if !copied && tail.is_empty() {
            rec.push(Span {
                start: q + 1,
                end: close,
                scratch: false,
            });
        } else {
            if rec.scratch.len() + (close - seg) + tail.len() <= self.limit {
                rec.scratch.extend_from_slice(&data[seg..close]);
                rec.scratch.extend_from_slice(tail);
            }
            rec.push(Span {
                start: scratch_start,
                end: rec.scratch.len(),
                scratch: true,
            });
        }
        Ok(pos)
    }
}
