//! Converting an annotated CSV input (`format = "annotated-csv"`): the file is cut into its
//! tables (a `#group`, `#datatype` or `#default` row after data rows starts the next one, as
//! in a Flux query result), each table's annotations and header are compiled into a schema
//! ([`lpconvert_schema::annotated`]) and the table is converted by the CSV path like a file
//! of its own: the same mapper, rejects files that start with the table's preamble (a `sep=`
//! line, the annotation rows, the header), line numbers of the whole file.
//!
//! A table's preamble is read whole, its data rows are streamed (`tables.rs`): memory does not
//! grow with a table's size.

use crate::csv_record::{Dialect, Record, RecordReader};
use crate::pipeline::{Flow, Sink, Tuning};
use crate::preview::Drive;
use crate::report::{Counters, Reject};
use crate::{input, EngineError, InputData};
use lpconvert_schema::annotated::{table_schema, Annotation, TablePreamble};
use lpconvert_schema::Schema;
use std::io;
use std::sync::{Arc, Mutex};

mod tables;

use tables::{lock, sep_of, Preamble, TableStream, Tables};

/// Converts one annotated CSV input, table by table, with `base`'s settings.
pub(crate) fn convert(
    data: InputData,
    name: &str,
    base: &Schema,
    tuning: Tuning,
    drive: &mut Drive<'_>,
) -> Result<Counters, EngineError> {
    let read_err = |e: io::Error| EngineError::Input(input::read_error_text(name, &e));
    let mut tables = Tables::new(data, tuning.max_record);
    tables.wait = drive.wait();
    let tables = Arc::new(Mutex::new(tables));
    let mut total = Counters::default();
    loop {
        let next = lock(&tables).next_preamble().map_err(read_err)?;
        let Some(preamble) = next else { break };
        let (counters, stopped) =
            convert_table(preamble, &tables, name, base, tuning, &total, drive)?;
        total.add(&counters);
        if stopped {
            break;
        }
    }
    let t = lock(&tables);
    if let InputData::Mapped(m) = t.data() {
        m.check(name).map_err(EngineError::Input)?;
    }
    Ok(total)
}

/// The preamble of the first table of an annotated CSV text (`lpconvert infer`), and
/// whether more text follows that table (another table, or data not in `head`).
pub fn first_preamble(head: &[u8]) -> Option<(TablePreamble, bool)> {
    let data = InputData::Stream(Box::new(io::Cursor::new(head.to_vec())));
    let tables = Arc::new(Mutex::new(Tables::new(data, crate::DEFAULT_MAX_RECORD)));
    let table = lock(&tables).next_preamble().ok()??;
    let dialect = Dialect::from_spec(&Default::default(), table.sep.unwrap_or(b','));
    let pre = read_preamble(&table.bytes, dialect, table.sep, table.lines_before_header)?;
    let mut rest = TableStream {
        tables: Arc::clone(&tables),
        preamble: io::Cursor::new(Vec::new()),
    };
    io::copy(&mut rest, &mut io::sink()).ok()?;
    let more = lock(&tables).next_preamble().ok()?.is_some();
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

fn convert_table(
    table: Preamble,
    tables: &Arc<Mutex<Tables>>,
    name: &str,
    base: &Schema,
    tuning: Tuning,
    before: &Counters,
    drive: &mut Drive<'_>,
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
    // `convert --target`: a table's fields are its schema's, refused as a schema file's are.
    if let Some(t) = schema.target.and_then(|r| r.target) {
        crate::target::check_schema(&schema, t).map_err(|e| {
            EngineError::Input(format!(
                "{name}:{header_line}: the annotations of the table with this header: {e}"
            ))
        })?;
    }
    let mut schema = schema;
    // Comment rows among the data reach the reader as blank lines: no comment byte, so the
    // chunks are cut in parallel.
    schema.csv.comment = None;
    let (line_offset, added) = (table.line_offset, table.added);
    let data = InputData::Stream(Box::new(TableStream {
        tables: Arc::clone(tables),
        preamble: io::Cursor::new(table.bytes),
    }));
    let mut stopped = false;
    let converted = match drive {
        Drive::Convert(sink) => {
            let mut table_sink = TableSink {
                inner: &mut **sink,
                line_offset,
                before,
                stopped: false,
            };
            let mut drive = Drive::Convert(&mut table_sink);
            let c = crate::csv::convert(data, name, false, &schema, tuning, &mut drive);
            stopped = table_sink.stopped;
            c
        }
        Drive::Preview(records) => {
            records.line_offset = line_offset;
            let c = crate::csv::convert(data, name, false, &schema, tuning, drive);
            if let Drive::Preview(records) = drive {
                stopped = records.full();
            }
            c
        }
    };
    let mut counters = converted.map_err(|e| match e {
        EngineError::Row(mut bad) => {
            bad.line += line_offset;
            EngineError::Row(bad)
        }
        e => e,
    })?;
    counters.bytes = (counters.bytes + lock(tables).blanked).saturating_sub(added);
    Ok((counters, stopped))
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

    fn skipped(&mut self, row: &Reject<'_>, header: Option<&[u8]>) -> io::Result<()> {
        let moved = Reject {
            line: row.line + self.line_offset,
            ..*row
        };
        self.inner.skipped(&moved, header)
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

#[cfg(test)]
mod tests;
