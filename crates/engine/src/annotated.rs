//! Converting an annotated CSV input (`format = "annotated-csv"`): the file is cut into its
//! tables (a `#group`, `#datatype` or `#default` row after data rows starts the next one, as
//! in a Flux query result), each table's annotations and header are compiled into a schema
//! ([`lpconvert_schema::annotated`]) and the table is converted by the CSV path like a file
//! of its own: the same mapper, rejects files that start with the table's preamble (a `sep=`
//! line, the annotation rows, the header), line numbers of the whole file.
//!
//! Tables are held in memory one at a time (a table is read whole before it is converted).

use crate::csv_record::{Dialect, Record, RecordReader};
use crate::pipeline::{Flow, Sink, Tuning};
use crate::report::{Counters, Reject};
use crate::{input, EngineError, InputData};
use lpconvert_schema::annotated::{table_schema, Annotation, TablePreamble};
use lpconvert_schema::Schema;
use std::io::{self, Read};

/// Converts one annotated CSV input, table by table, with `base`'s settings.
pub(crate) fn convert(
    data: InputData,
    name: &str,
    base: &Schema,
    tuning: Tuning,
    sink: &mut dyn Sink,
) -> Result<Counters, EngineError> {
    let read_err = |e: io::Error| EngineError::Input(input::read_error_text(name, &e));
    let mut tables = Tables::new(data);
    let mut total = Counters::default();
    while let Some(table) = tables.next_table(tuning.max_record).map_err(read_err)? {
        let (counters, stopped) = convert_table(table, name, base, tuning, &total, sink)?;
        total.add(&counters);
        if stopped {
            break;
        }
    }
    tables.finish(name).map_err(EngineError::Input)?;
    Ok(total)
}

/// The preamble of the first table of an annotated CSV text (`lpconvert infer`), and
/// whether more text follows that table (another table, or data not in `head`).
pub fn first_preamble(head: &[u8]) -> Option<(TablePreamble, bool)> {
    let mut tables = Tables::new(InputData::Stream(Box::new(io::Cursor::new(head.to_vec()))));
    let table = tables.next_table(crate::DEFAULT_MAX_RECORD).ok()??;
    let dialect = Dialect::from_spec(&Default::default(), table.sep.unwrap_or(b','));
    let pre = read_preamble(&table.bytes, dialect, table.sep, table.lines_before_header)?;
    let more = table.bytes.len() as u64 - table.added < head.len() as u64;
    Some((pre, more))
}

/// Whether `head` starts like an annotated CSV file: after blank lines and a `sep=` line,
/// an annotation row csv2lp knows (`#datatype`, `#group`, `#constant`, ...), or a header
/// naming its measurement column `name|measurement`.
pub fn looks_annotated(head: &[u8]) -> bool {
    let head = head.strip_prefix(input::UTF8_BOM).unwrap_or(head);
    let mut lines = head
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace));
    let mut line = lines.next().unwrap_or_default();
    if sep_of(line).is_some() {
        line = lines.next().unwrap_or_default();
    }
    let first = line
        .split(|&b| b == b',' || b == b';' || b == b'\t' || b == b'\r')
        .next()
        .unwrap_or_default();
    Annotation::of(&String::from_utf8_lossy(first)).is_some()
        || memchr::memmem::find(line, b"|measurement").is_some()
}

/// One table: its bytes (with the file's `sep=` line in front when the table does not hold
/// it) and where it starts in the file.
struct TableBytes {
    bytes: Vec<u8>,
    /// Lines of the file before the table's first line, less the `sep=` line put in front.
    line_offset: u64,
    /// Bytes put in front (not the file's at this place).
    added: u64,
    /// The `sep=` delimiter, if the file starts with one.
    sep: Option<u8>,
    /// Physical lines before the header in `bytes`.
    lines_before_header: usize,
}

fn convert_table(
    table: TableBytes,
    name: &str,
    base: &Schema,
    tuning: Tuning,
    before: &Counters,
    sink: &mut dyn Sink,
) -> Result<(Counters, bool), EngineError> {
    let default_delim = base.csv.delimiter.unwrap_or(b',');
    let dialect = Dialect::from_spec(&base.csv, table.sep.unwrap_or(default_delim));
    let preamble = read_preamble(&table.bytes, dialect, table.sep, table.lines_before_header);
    let Some(preamble) = preamble else {
        // Annotations without a header (or nothing at all): no rows.
        let bytes = table.bytes.len() as u64 - table.added;
        return Ok((
            Counters {
                bytes,
                ..Counters::default()
            },
            false,
        ));
    };
    let header_line = table.line_offset + table.lines_before_header as u64 + 1;
    let schema = table_schema(&preamble, base).map_err(|e| {
        EngineError::Input(format!(
            "{name}:{header_line}: the annotations of the table with this header: {e}"
        ))
    })?;
    let mut schema = schema;
    if !comment_in_data(&table.bytes, table.lines_before_header + 1) {
        // No `#` row among the data: cut chunks in parallel (a comment byte makes the
        // chunker read records sequentially).
        schema.csv.comment = None;
    }
    let mut table_sink = TableSink {
        inner: sink,
        line_offset: table.line_offset,
        before,
        stopped: false,
    };
    let (line_offset, added) = (table.line_offset, table.added);
    let data = InputData::Stream(Box::new(io::Cursor::new(table.bytes)));
    let mut counters = crate::csv::convert(data, name, false, &schema, tuning, &mut table_sink)
        .map_err(|e| match e {
            EngineError::Row(mut bad) => {
                bad.line += line_offset;
                EngineError::Row(bad)
            }
            e => e,
        })?;
    counters.bytes = counters.bytes.saturating_sub(added);
    Ok((counters, table_sink.stopped))
}

/// Whether a line after the first `skip` lines of `bytes` starts with `#`.
fn comment_in_data(bytes: &[u8], skip: usize) -> bool {
    let start = memchr::memchr_iter(b'\n', bytes)
        .nth(skip.saturating_sub(1))
        .map_or(bytes.len(), |i| i + 1);
    memchr::memmem::find(&bytes[start..], b"\n#").is_some() || bytes[start..].starts_with(b"#")
}

/// The annotation rows and header of a table (`None` without a header).
fn read_preamble(
    bytes: &[u8],
    dialect: Dialect,
    sep: Option<u8>,
    lines_before_header: usize,
) -> Option<TablePreamble> {
    let bom = if bytes.starts_with(input::UTF8_BOM) {
        input::UTF8_BOM.len()
    } else {
        0
    };
    let mut reader = RecordReader::new(
        Dialect {
            comment: None,
            ..dialect
        },
        bom,
    );
    if sep.is_some() {
        reader.skip_lines(bytes, 1);
    }
    let mut rec = Record::default();
    let mut annotations = Vec::new();
    let cells = |rec: &Record| -> Vec<String> {
        (0..rec.len())
            .map(|i| String::from_utf8_lossy(rec.cell(bytes, i)).into_owned())
            .collect()
    };
    while let Ok(true) = reader.read(bytes, &mut rec) {
        let row = cells(&rec);
        if row.first().is_some_and(|c| c.starts_with('#')) {
            annotations.push(row);
        } else {
            return Some(TablePreamble {
                sep,
                annotations,
                header: row,
                lines_before_header,
            });
        }
    }
    None
}

/// Hands a table's lines and rejects to the input's sink: rejects and progress as of the
/// whole file.
struct TableSink<'a> {
    inner: &'a mut dyn Sink,
    line_offset: u64,
    before: &'a Counters,
    /// The sink asked to stop: no further table is converted.
    stopped: bool,
}

impl Sink for TableSink<'_> {
    fn write_lines(&mut self, lines: &[u8]) -> io::Result<Flow> {
        let flow = self.inner.write_lines(lines)?;
        self.stopped |= flow == Flow::Stop;
        Ok(flow)
    }

    fn reject(&mut self, reject: &Reject<'_>, header: Option<&[u8]>) -> io::Result<()> {
        let moved = Reject {
            line: reject.line + self.line_offset,
            ..*reject
        };
        self.inner.reject(&moved, header)
    }

    fn progress(&mut self, counters: &Counters) {
        let mut all = *self.before;
        all.add(counters);
        self.inner.progress(&all);
    }

    fn note(&mut self, text: &str) -> io::Result<()> {
        self.inner.note(text)
    }
}

/// Where a line stands in the table being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Annotation rows, before the header.
    Preamble,
    /// After the header.
    Data,
}

/// Cuts an input into tables, reading a stream as far as the next table's start.
struct Tables {
    data: InputData,
    buf: Vec<u8>,
    /// Bytes of `buf` already handed out (a mapped input is never copied into `buf`).
    start: usize,
    eof: bool,
    /// Lines before `start`.
    line: u64,
    first: bool,
    sep_line: Option<Vec<u8>>,
}

impl Tables {
    fn new(data: InputData) -> Tables {
        Tables {
            data,
            buf: Vec::new(),
            start: 0,
            eof: false,
            line: 0,
            first: true,
            sep_line: None,
        }
    }

    /// The bytes read so far, from the current table's start.
    fn view(&self) -> &[u8] {
        match &self.data {
            InputData::Mapped(m) => &m[self.start..],
            InputData::Stream(_) => &self.buf[self.start..],
        }
    }

    /// Reads more of a stream; false at its end (a mapped input is whole).
    fn more(&mut self, max_record: usize) -> io::Result<bool> {
        let InputData::Stream(r) = &mut self.data else {
            self.eof = true;
            return Ok(false);
        };
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let want = (self.buf.len().saturating_mul(2)).max(max_record.min(1 << 20));
        let more = input::fill(&mut **r as &mut dyn Read, &mut self.buf, want)?;
        self.eof = !more;
        Ok(more)
    }

    /// The next table, or `None` at the end of the input.
    fn next_table(&mut self, max_record: usize) -> io::Result<Option<TableBytes>> {
        loop {
            if let Some(t) = self.cut()? {
                return Ok(Some(t));
            }
            if self.eof {
                return Ok(None);
            }
            self.more(max_record)?;
        }
    }

    /// Cuts the next table off the bytes read, when they hold its end.
    fn cut(&mut self) -> io::Result<Option<TableBytes>> {
        let eof = self.eof || matches!(self.data, InputData::Mapped(_));
        let view = self.view();
        if view.is_empty() {
            return Ok(None);
        }
        let mut pos = if self.first && view.starts_with(input::UTF8_BOM) {
            input::UTF8_BOM.len()
        } else {
            0
        };
        let mut sep = None;
        let mut new_sep_line = None;
        let mut lines_before_header = 0usize;
        let mut state = State::Preamble;
        if self.first {
            let (line, next) = first_line(view, eof);
            let Some(line) = line else {
                return Ok(None);
            };
            if let Some(d) = sep_of(line) {
                sep = Some(d);
                new_sep_line = Some(view[pos..next].to_vec());
                pos = next;
                lines_before_header = 1;
            }
        }
        let end = loop {
            let Some(nl) = memchr::memchr(b'\n', &view[pos..]) else {
                if !eof {
                    return Ok(None);
                }
                break view.len();
            };
            let line = &view[pos..pos + nl];
            let next = pos + nl + 1;
            let first_cell = line
                .split(|&b| b == b',' || b == b';' || b == b'\t' || b == b'\r')
                .next()
                .unwrap_or_default();
            let annotation = line.first() == Some(&b'#');
            let blank = line.iter().all(|b| b.is_ascii_whitespace());
            match state {
                State::Preamble if annotation || blank => lines_before_header += 1,
                State::Preamble => state = State::Data,
                State::Data if annotation => {
                    let text = String::from_utf8_lossy(first_cell);
                    if Annotation::of(&text).is_some_and(Annotation::per_column) {
                        break pos;
                    }
                }
                State::Data => {}
            }
            pos = next;
        };
        let lines_in_table = view[..end].iter().filter(|&&b| b == b'\n').count() as u64;
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
            sep = self.sep_line.as_deref().and_then(sep_of_line);
        }
        bytes.extend_from_slice(&view[..end]);
        if new_sep_line.is_some() {
            self.sep_line = new_sep_line;
        }
        self.start += end;
        self.line += lines_in_table;
        self.first = false;
        Ok(Some(TableBytes {
            bytes,
            line_offset,
            added,
            sep,
            lines_before_header,
        }))
    }

    /// After the last table: a mapped input that changed while read is an error.
    fn finish(&self, name: &str) -> Result<(), String> {
        match &self.data {
            InputData::Mapped(m) => m.check(name),
            InputData::Stream(_) => Ok(()),
        }
    }
}

/// The first line of `view` (without its LF) and the offset after it; `None` when the
/// line is not complete yet.
fn first_line(view: &[u8], eof: bool) -> (Option<&[u8]>, usize) {
    match memchr::memchr(b'\n', view) {
        Some(nl) => (Some(&view[..nl]), nl + 1),
        None if eof => (Some(view), view.len()),
        None => (None, 0),
    }
}

/// The delimiter of a `sep=X` line (csv2lp: the first line of the file).
fn sep_of(line: &[u8]) -> Option<u8> {
    let line = line.strip_prefix(input::UTF8_BOM).unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match line {
        [b's', b'e', b'p', b'=', d] if d.is_ascii() => Some(*d),
        _ => None,
    }
}

/// [`sep_of`] for a line with its LF.
fn sep_of_line(line: &[u8]) -> Option<u8> {
    sep_of(line.strip_suffix(b"\n").unwrap_or(line))
}

#[cfg(test)]
mod tests;
