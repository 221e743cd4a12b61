//! A CSV record reader over a byte slice: RFC 4180 quoting (or backslash escapes), comment
//! lines, blank lines, CRLF, optional trimming. Cells of unquoted or plain quoted fields
//! borrow the input; only fields with escaped quotes are copied into a reused scratch buffer.

use lpconvert_schema::CsvSpec;

/// The bytes that shape a CSV dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// Field delimiter.
    pub delimiter: u8,
    /// Quote byte.
    pub quote: u8,
    /// Escape byte inside quotes; `None` means doubled quotes.
    pub escape: Option<u8>,
    /// Comment line start.
    pub comment: Option<u8>,
    /// Trim spaces and tabs around unquoted values.
    pub trim: bool,
}

impl Dialect {
    /// The dialect of a schema's `[csv]` table, with the delimiter defaulting to `default_delim`.
    pub fn from_spec(spec: &CsvSpec, default_delim: u8) -> Dialect {
        Dialect {
            delimiter: spec.delimiter.unwrap_or(default_delim),
            quote: spec.quote,
            escape: spec.escape,
            comment: spec.comment,
            trim: spec.trim,
        }
    }
}

/// Where a cell's bytes are: in the input, or in the record's scratch buffer.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    scratch: bool,
}

/// A record error (the only one: a quote that never closes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unterminated {
    /// 1-based cell number of the field.
    pub cell: usize,
}

/// Most cells of a record that are kept: a longer record (a line of commas) is counted but
/// not stored, so memory stays bounded (24 bytes a cell would otherwise be 24 times the
/// record). A header with more cells is refused, so rows this wide are always row errors.
pub const MAX_CELLS: usize = 1 << 20;

/// One parsed record, reused from row to row.
#[derive(Debug, Default)]
pub struct Record {
    spans: Vec<Span>,
    /// Cells past [`MAX_CELLS`], counted only.
    dropped: usize,
    scratch: Vec<u8>,
    /// Byte offset of the record's first byte in the input.
    pub start: usize,
    /// Byte offset just past the record's terminator.
    pub end: usize,
    /// Line number (0-based, relative to the input slice) of the record's first line.
    pub line: u64,
}

impl Record {
    /// Number of cells (cells past [`MAX_CELLS`] read as empty).
    #[inline]
    pub fn len(&self) -> usize {
        self.spans.len() + self.dropped
    }

    /// Whether cells were counted but not kept (more than [`MAX_CELLS`]).
    pub fn too_wide(&self) -> bool {
        self.dropped > 0
    }

    /// Keeps a cell. The cell limit is checked only when the vector is full (where `push`
    /// would grow it anyway), so the common case costs what a plain `push` does.
    #[inline]
    fn push(&mut self, span: Span) {
        if self.spans.len() < self.spans.capacity() {
            self.spans.push(span);
        } else {
            self.push_growing(span);
        }
    }

    #[cold]
    #[inline(never)]
    fn push_growing(&mut self, span: Span) {
        if self.spans.len() < MAX_CELLS {
            self.spans
                .reserve(self.spans.len().clamp(8, MAX_CELLS - self.spans.len()));
            self.spans.push(span);
        } else {
            self.dropped += 1;
        }
    }

    fn clear_cells(&mut self) {
        self.spans.clear();
        self.dropped = 0;
    }

    /// True when the record has no cells.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The text of cell `i` and the bytes from its start to the end of its buffer.
    #[inline]
    pub fn cell_window<'a>(&'a self, data: &'a [u8], i: usize) -> (&'a [u8], &'a [u8]) {
        let (buf, s) = match self.spans.get(i) {
            Some(s) if s.scratch => (self.scratch.as_slice(), s),
            Some(s) => (data, s),
            None => return (&[], &[]),
        };
        (&buf[s.start..s.end], &buf[s.start..])
    }

    /// The text of cell `i`.
    #[inline]
    pub fn cell<'a>(&'a self, data: &'a [u8], i: usize) -> &'a [u8] {
        match self.spans.get(i) {
            Some(s) if s.scratch => &self.scratch[s.start..s.end],
            Some(s) => &data[s.start..s.end],
            None => &[],
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn dialect() -> Dialect {
        Dialect {
            delimiter: b',',
            quote: b'"',
            escape: None,
            comment: None,
            trim: false,
        }
    }

    fn read_all(d: Dialect, data: &str) -> Vec<Result<Vec<String>, Unterminated>> {
        let mut r = RecordReader::new(d, 0);
        let mut rec = Record::default();
        let mut out = Vec::new();
        loop {
            match r.read(data.as_bytes(), &mut rec) {
                Ok(false) => break,
                Ok(true) => out.push(Ok((0..rec.len())
                    .map(|i| String::from_utf8(rec.cell(data.as_bytes(), i).to_vec()).unwrap())
                    .collect())),
                Err(e) => out.push(Err(e)),
            }
        }
        out
    }

    fn rows(d: Dialect, data: &str) -> Vec<Vec<String>> {
        read_all(d, data).into_iter().map(|r| r.unwrap()).collect()
    }

    #[test]
    fn plain_quoted_crlf_blank() {
        let r = rows(
            dialect(),
            "a,b,c\r\n\r\n1,\"x,y\",\"he said \"\"hi\"\"\"\n\n2,\"multi\nline\",\r\n3,,",
        );
        assert_eq!(
            r,
            vec![
                vec!["a", "b", "c"],
                vec!["1", "x,y", "he said \"hi\""],
                vec!["2", "multi\nline", ""],
                vec!["3", "", ""],
            ]
        );
    }

    #[test]
    fn line_numbers_and_raw_ranges() {
        let data = b"h1,h2\n# c\n\"a\nb\",1\nx,2\n";
        let mut d = dialect();
        d.comment = Some(b'#');
        let mut r = RecordReader::new(d, 0);
        let mut rec = Record::default();
        let mut seen = Vec::new();
        while r.read(data, &mut rec).unwrap() {
            seen.push((rec.line, rec.start, rec.end));
        }
        assert_eq!(seen, vec![(0, 0, 6), (2, 10, 18), (4, 18, 22)]);
        assert_eq!(r.lines(), 5);
    }

    #[test]
    fn escapes_trim_delimiters() {
        let d = Dialect {
            delimiter: b';',
            quote: b'\'',
            escape: Some(b'\\'),
            comment: None,
            trim: true,
        };
        assert_eq!(
            rows(d, "  a ; 'it\\'s' ;' x ' \n"),
            vec![vec!["a", "it's", " x "]]
        );
        let tab = Dialect {
            delimiter: b'\t',
            ..dialect()
        };
        assert_eq!(rows(tab, "a b\tc,d\n"), vec![vec!["a b", "c,d"]]);
    }

    #[test]
    fn lenient_quotes_and_unterminated() {
        assert_eq!(rows(dialect(), "ab\"c,\"q\"x\n"), vec![vec!["ab\"c", "qx"]]);
        assert_eq!(
            read_all(dialect(), "1,\"open\n2,3\n"),
            vec![Err(Unterminated { cell: 2 })]
        );
    }
}
