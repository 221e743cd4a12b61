//! Cutting an annotated CSV input into its tables as it is read: a table's preamble (a `sep=`
//! line, annotation rows, the header) is read whole, its data rows are streamed
//! ([`TableStream`]) until a `#group`, `#datatype` or `#default` row starts the next table.
//! Memory holds one line (and one read block), never a whole table.

use crate::input::{self, InputData};
use lpconvert_schema::annotated::Annotation;
use std::io::{self, Read};
use std::sync::{Arc, Mutex, MutexGuard};

/// One table's preamble: its bytes (with the file's `sep=` line in front when the table does
/// not hold it) and where it starts in the file.
pub(super) struct Preamble {
    pub bytes: Vec<u8>,
    /// Lines of the file before the table's first line, less the `sep=` line put in front.
    pub line_offset: u64,
    /// Bytes put in front (not the file's at this place).
    pub added: u64,
    /// The `sep=` delimiter, if the file starts with one.
    pub sep: Option<u8>,
    /// Physical lines before the header in `bytes`.
    pub lines_before_header: usize,
}

/// The input, read as far as the current table.
pub(super) struct Tables {
    data: InputData,
    buf: Vec<u8>,
    /// Bytes of `buf` already handed out (a mapped input is never copied into `buf`).
    start: usize,
    eof: bool,
    /// Lines before `start`.
    line: u64,
    first: bool,
    sep_line: Option<Vec<u8>>,
    max_record: usize,
    /// Bytes of the current table's data, from `start`, checked to be no table start.
    scanned: usize,
    /// `start` is inside a line longer than `max_record` (its start was handed out).
    mid_line: bool,
    /// The current table's data has ended.
    table_done: bool,
    /// Bytes of comment rows among the current table's data, handed out as a bare LF.
    pub(super) blanked: u64,
    /// What a read of a stream waits for (a preview's, only for what comes).
    pub(super) wait: input::Wait,
}

impl Tables {
    pub(super) fn new(data: InputData, max_record: usize) -> Tables {
        Tables {
            data,
            buf: Vec::new(),
            start: 0,
            eof: false,
            line: 0,
            first: true,
            sep_line: None,
            max_record,
            scanned: 0,
            mid_line: false,
            table_done: true,
            blanked: 0,
            wait: input::Wait::All,
        }
    }

    /// The input after it was read whole (for the change check of a mapped file).
    pub(super) fn data(&self) -> &InputData {
        &self.data
    }

    /// The bytes read so far, from `start`.
    fn view(&self) -> &[u8] {
        match &self.data {
            InputData::Mapped(m) => &m[self.start..],
            InputData::Stream(_) => &self.buf[self.start..],
        }
    }

    /// Reads more of a stream; false at its end (a mapped input is whole).
    fn more(&mut self) -> io::Result<bool> {
        let InputData::Stream(r) = &mut self.data else {
            self.eof = true;
            return Ok(false);
        };
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let want = (self.buf.len().saturating_mul(2)).max(self.max_record.min(1 << 20));
        let more = input::fill_until(&mut **r as &mut dyn Read, &mut self.buf, want, self.wait)?;
        self.eof = !more;
        Ok(more)
    }

    /// The end (after its LF) of the line starting `from` bytes into the view, reading more
    /// as needed; `None` at the end of the input. A line longer than `max_record` ends, for
    /// this purpose, where the bytes read end.
    fn line_end(&mut self, from: usize) -> io::Result<Option<usize>> {
        loop {
            let view = self.view();
            if let Some(nl) = memchr::memchr(b'\n', &view[from..]) {
                return Ok(Some(from + nl + 1));
            }
            let eof = self.eof || matches!(self.data, InputData::Mapped(_));
            if eof || view.len() - from > self.max_record {
                return Ok((view.len() > from).then_some(view.len()));
            }
            self.more()?;
        }
    }

    /// Reads the next table's preamble (up to and with its header line), or `None` at the
    /// end of the input. The data rows follow through [`TableStream`].
    pub(super) fn next_preamble(&mut self) -> io::Result<Option<Preamble>> {
        // Data of the previous table not read (a conversion stopped early) is skipped.
        while !self.table_done {
            let n = self.next_data(&mut [0u8; 64 * 1024])?;
            if n == 0 {
                break;
            }
        }
        let mut pos = 0;
        if self.first {
            if self.line_end(0)?.is_none() {
                return Ok(None);
            }
            if self.view().starts_with(input::UTF8_BOM) {
                pos = input::UTF8_BOM.len();
            }
        }
        let Some(mut end) = self.line_end(pos)? else {
            return Ok(None);
        };
        let mut sep = None;
        let mut new_sep_line = None;
        let mut lines_before_header = 0usize;
        if self.first {
            if let Some(d) = sep_of(&self.view()[pos..end]) {
                sep = Some(d);
                new_sep_line = Some(self.view()[pos..end].to_vec());
                lines_before_header = 1;
                pos = end;
            }
        }
        // Annotation rows and blank lines, then the header.
        let mut header_end = None;
        while let Some(e) = self.line_end(pos)? {
            end = e;
            let line = &self.view()[pos..end];
            // A quoted first cell starting with `#` is an annotation too (csv2lp looks at the
            // cell, not the line).
            let annotation = line.starts_with(b"#") || line.starts_with(b"\"#");
            let blank = line.iter().all(u8::is_ascii_whitespace);
            pos = end;
            if annotation || blank {
                lines_before_header += 1;
            } else {
                header_end = Some(end);
                break;
            }
        }
        let end = header_end.unwrap_or(pos);
        let mut bytes = Vec::with_capacity(end + 8);
        let mut added = 0;
        let mut line_offset = self.line;
        if !self.first {
            if let Some(s) = &self.sep_line {
                bytes.extend_from_slice(s);
                added = s.len() as u64;
                lines_before_header += 1;
                line_offset = line_offset.saturating_sub(1);
            }
            sep = self.sep_line.as_deref().and_then(sep_of);
        }
        bytes.extend_from_slice(&self.view()[..end]);
        if new_sep_line.is_some() {
            self.sep_line = new_sep_line;
        }
        self.line += memchr::memchr_iter(b'\n', &self.view()[..end]).count() as u64;
        self.start += end;
        self.first = false;
        self.scanned = 0;
        self.mid_line = false;
        self.table_done = header_end.is_none();
        self.blanked = 0;
        Ok(Some(Preamble {
            bytes,
            line_offset,
            added,
            sep,
            lines_before_header,
        }))
    }

    /// Copies the current table's next data bytes into `out`; 0 at the table's end.
    fn next_data(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.table_done || out.is_empty() {
                return Ok(0);
            }
            if self.scanned > 0 {
                if !self.mid_line {
                    // More whole data lines already read, up to `out`'s size.
                    let view = self.view();
                    let mut scanned = self.scanned;
                    while scanned < out.len() && view.get(scanned).is_some_and(|&b| b != b'#') {
                        match memchr::memchr(b'\n', &view[scanned..]) {
                            Some(nl) => scanned += nl + 1,
                            None => break,
                        }
                    }
                    self.scanned = scanned;
                }
                let n = self.scanned.min(out.len());
                out[..n].copy_from_slice(&self.view()[..n]);
                self.line += memchr::memchr_iter(b'\n', &out[..n]).count() as u64;
                self.start += n;
                self.scanned -= n;
                return Ok(n);
            }
            let Some(end) = self.line_end(0)? else {
                self.table_done = true;
                return Ok(0);
            };
            let starts_line = !self.mid_line;
            let line = &self.view()[..end];
            let whole = line.ends_with(b"\n");
            let comment = starts_line && line.first() == Some(&b'#');
            let table_start = comment && {
                let first_cell = line
                    .split(|&b| b == b',' || b == b';' || b == b'\t' || b == b'\r' || b == b'\n')
                    .next()
                    .unwrap_or_default();
                let text = String::from_utf8_lossy(first_cell);
                Annotation::of(&text).is_some_and(Annotation::per_column)
            };
            self.mid_line = !whole;
            if table_start {
                self.table_done = true;
                self.mid_line = false;
                return Ok(0);
            }
            if comment && whole {
                // A comment row (csv2lp ignores it): a bare LF keeps the line numbers, and
                // the chunks can be cut in parallel without a comment byte.
                self.blanked += end as u64 - 1;
                self.line += 1;
                self.start += end;
                out[0] = b'\n';
                return Ok(1);
            }
            self.scanned = end;
        }
    }
}

/// The data rows of the current table as a stream, after its preamble's bytes.
pub(super) struct TableStream {
    pub tables: Arc<Mutex<Tables>>,
    pub preamble: io::Cursor<Vec<u8>>,
}

impl Read for TableStream {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.preamble.read(out)?;
        if n > 0 {
            return Ok(n);
        }
        lock(&self.tables).next_data(out)
    }
}

/// The tables, even after a panic elsewhere held the lock (the state is plain data).
pub(super) fn lock(tables: &Mutex<Tables>) -> MutexGuard<'_, Tables> {
    tables
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The delimiter of a `sep=X` line (csv2lp: the first line of the file), with or without
/// its line end.
pub(super) fn sep_of(line: &[u8]) -> Option<u8> {
    let line = line.strip_prefix(input::UTF8_BOM).unwrap_or(line);
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match line {
        [b's', b'e', b'p', b'=', d] if d.is_ascii() => Some(*d),
        _ => None,
    }
}
