//! [`RecordReader`]: the scanning loop, quoted fields and the word-at-a-time search of plain
//! lines.

use super::{Dialect, Record, Span, Unterminated};

/// Reads records one after another from a slice, counting lines.
#[derive(Debug)]
pub struct RecordReader {
    dialect: Dialect,
    pos: usize,
    line: u64,
    /// Bytes of escaped field text copied at most (see [`RecordReader::with_limit`]).
    limit: usize,
}

/// `b` in every byte of a word.
#[inline]
fn splat(b: u8) -> u64 {
    u64::from(b) * 0x0101_0101_0101_0101
}

/// The high bit of each byte of `x` that is zero, exactly (no carries between bytes).
#[inline]
fn zero_bytes(x: u64) -> u64 {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    !(((x & LOW7) + LOW7) | x) & !LOW7
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
        }
    }

    /// A reader that does not copy the text of escaped fields past `limit` bytes a record:
    /// such a record is longer than `limit`, and its cells are not read (a row error), so
    /// memory stays bounded by the limit whatever the record's length.
    pub fn with_limit(mut self, limit: usize) -> RecordReader {
        self.limit = limit;
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
    /// On an unterminated quote the reader moves to the end of the data.
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
    /// delimiter, scanning eight bytes at a time. Returns false, with `rec` empty, when the
    /// line needs the full reader.
    #[inline]
    fn read_plain_line(&mut self, data: &[u8], rec: &mut Record) -> bool {
        let d = self.dialect;
        if d.trim {
            return false;
        }
        let (sd, sq, sn) = (splat(d.delimiter), splat(d.quote), splat(b'\n'));
        let start = self.pos;
        let mut from = start;
        let mut i = start;
        let eol = 'scan: loop {
            if i + 8 <= data.len() {
                let mut w = [0u8; 8];
                w.copy_from_slice(&data[i..i + 8]);
                let x = u64::from_le_bytes(w);
                let mut m = zero_bytes(x ^ sd) | zero_bytes(x ^ sq) | zero_bytes(x ^ sn);
                while m != 0 {
                    let j = i + (m.trailing_zeros() / 8) as usize;
                    let b = data[j];
                    if b == d.delimiter {
                        rec.push(Span {
                            start: from,
                            end: j,
                            scratch: false,
                        });
                        from = j + 1;
                    } else if b == b'\n' {
                        break 'scan j;
                    } else {
                        rec.clear_cells();
                        return false;
                    }
                    m &= m - 1;
                }
                i += 8;
            } else {
                while let Some(&b) = data.get(i) {
                    if b == d.delimiter {
                        rec.push(Span {
                            start: from,
                            end: i,
                            scratch: false,
                        });
                        from = i + 1;
                    } else if b == b'\n' {
                        break 'scan i;
                    } else if b == d.quote {
                        rec.clear_cells();
                        return false;
                    }
                    i += 1;
                }
                break data.len();
            }
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
