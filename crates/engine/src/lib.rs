//! The lpconvert conversion engine: inputs (mmap, stream, gzip), chunking at record
//! boundaries, CSV decoding, the mapping hot loop and the parallel ordered driver.

pub mod check;
pub mod chunk_csv;
pub mod chunk_ndjson;
pub mod chunker;
pub mod csv_record;
pub mod input;
pub mod json_scan;
pub mod mapper;
pub mod pipeline;
pub mod report;
pub mod sample;

pub use check::check_input;
pub use input::{open, Input, InputData};
pub use pipeline::{Sink, Tuning};
pub use report::{Counters, Reject};

use chunk_csv::CsvWorker;
use chunk_ndjson::NdjsonWorker;
use chunker::Boundary;
use csv_record::{Dialect, Record, RecordReader};
use lpconvert_schema::{Format, Plan, Schema, SchemaError};
use pipeline::{ChunkConverter, Context, Feed};

/// Why a conversion stopped.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The schema does not fit this input (checked before the first row).
    #[error("{0}")]
    Schema(#[from] SchemaError),
    /// The input cannot be read.
    #[error("{0}")]
    Input(String),
    /// A row could not be converted and `on_error = "fail"`: `file:line:column: message`.
    #[error("{0}")]
    Row(String),
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
}

/// Default chunk size: 4 MiB.
pub const DEFAULT_CHUNK_SIZE: usize = 4 << 20;

/// The format of an input: the schema's, else from the file name, else CSV.
pub fn input_format(schema: &Schema, name: &str) -> (Format, bool) {
    let by_name = input::format_from_name(name);
    let tab = by_name.is_some_and(|(_, tab)| tab);
    (
        schema
            .format
            .or(by_name.map(|(f, _)| f))
            .unwrap_or(Format::Csv),
        tab,
    )
}

struct Preamble {
    names: Vec<String>,
    header: Option<std::ops::Range<usize>>,
    body: usize,
    lines: u64,
}

/// Reads BOM, skipped rows and header. `None` when more data is needed.
fn csv_preamble(
    data: &[u8],
    eof: bool,
    schema: &Schema,
    d: Dialect,
    name: &str,
) -> Result<Option<Preamble>, EngineError> {
    let bom = if data.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut reader = RecordReader::new(d, bom);
    reader.skip_lines(data, schema.csv.skip_rows);
    let complete = |pos: usize| {
        eof || (pos > 0 && pos <= data.len() && data[pos - 1] == b'\n' && pos < data.len())
    };
    let mut names = Vec::new();
    let mut header = None;
    if reader.pos() >= data.len() && !eof {
        return Ok(None);
    }
    if schema.csv.header {
        let mut rec = Record::default();
        match reader.read(data, &mut rec) {
            Ok(true) if !complete(rec.end) => return Ok(None),
            Ok(true) => {
                names = (0..rec.len())
                    .map(|i| String::from_utf8_lossy(rec.cell(data, i)).into_owned())
                    .collect();
                header = Some(rec.start..rec.end);
            }
            Ok(false) => {}
            Err(_) if !eof => return Ok(None),
            Err(_) => {
                return Err(EngineError::Input(format!(
                    "{name}: the header has an unterminated quoted field"
                )))
            }
        }
    }
    if let Some(cols) = &schema.csv.columns {
        if schema.csv.header && !names.is_empty() && cols.len() != names.len() {
            return Err(SchemaError::Key {
                key: "csv.columns".into(),
                message: format!(
                    "lists {} names but the header of {name} has {} columns",
                    cols.len(),
                    names.len()
                ),
            }
            .into());
        }
        names = cols.clone();
    }
    Ok(Some(Preamble {
        names,
        header,
        body: reader.pos(),
        lines: reader.lines(),
    }))
}

struct Csv<'p> {
    plan: &'p Plan,
    dialect: Dialect,
    worker: CsvWorker,
}

impl ChunkConverter for Csv<'_> {
    fn convert(&mut self, data: &[u8], out: &mut report::ChunkOutput) {
        self.worker.convert(self.plan, self.dialect, data, out);
    }
}

/// Converts one input with `schema`, handing lines and rejects to `sink` in input order.
pub fn convert_input(
    input: Input,
    schema: &Schema,
    tuning: Tuning,
    sink: &mut dyn Sink,
) -> Result<Counters, EngineError> {
    let (format, tab) = input_format(schema, &input.name);
    if format == Format::Ndjson {
        return convert_ndjson(input, schema, tuning, sink);
    }
    let dialect = Dialect::from_spec(&schema.csv, if tab { b'\t' } else { b',' });
    let boundary = Boundary::for_csv(dialect);
    let name = input.name.clone();
    let read_err = |e: std::io::Error| EngineError::Input(format!("{name}: {e}"));
    match input.data {
        InputData::Mapped(map) => {
            let data: &[u8] = &map;
            let pre = csv_preamble(data, true, schema, dialect, &name)?
                .ok_or_else(|| EngineError::Input(format!("{name}: incomplete header")))?;
            run_csv(
                Feed::Mapped(data, pre.body),
                data,
                &pre,
                schema,
                dialect,
                boundary,
                tuning,
                &name,
                sink,
            )
        }
        InputData::Stream(mut reader) => {
            let mut buf = Vec::new();
            let mut eof = !input::fill(&mut reader, &mut buf, tuning.chunk_size.max(64 * 1024))
                .map_err(read_err)?;
            let pre = loop {
                if let Some(p) = csv_preamble(&buf, eof, schema, dialect, &name)? {
                    break p;
                }
                let want = buf.len() * 2;
                eof = !input::fill(&mut reader, &mut buf, want).map_err(read_err)?;
            };
            let head = buf[..pre.body].to_vec();
            let rest = buf.split_off(pre.body);
            run_csv(
                Feed::Stream(rest, eof, &mut reader),
                &head,
                &pre,
                schema,
                dialect,
                boundary,
                tuning,
                &name,
                sink,
            )
        }
    }
}

struct Ndjson<'p> {
    plan: &'p Plan,
    worker: NdjsonWorker,
}

impl ChunkConverter for Ndjson<'_> {
    fn convert(&mut self, data: &[u8], out: &mut report::ChunkOutput) {
        let at = pipeline::ChunkAt {
            first: true,
            last: true,
        };
        self.worker.convert(self.plan, data, at, out);
    }

    fn convert_at(&mut self, data: &[u8], at: pipeline::ChunkAt, out: &mut report::ChunkOutput) {
        self.worker.convert(self.plan, data, at, out);
    }
}

/// Where the NDJSON body starts: past a BOM, and past the `[` of a top-level array.
/// `None` when only blanks were seen so far and more data may come.
fn ndjson_preamble(data: &[u8], eof: bool) -> Option<(usize, u64, bool)> {
    let bom = if data.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let first = json_scan::skip_blank(data, bom);
    match data.get(first) {
        Some(b'[') => {
            let lines = memchr::memchr_iter(b'\n', &data[..first]).count() as u64;
            Some((first + 1, lines, true))
        }
        Some(_) => Some((bom, 0, false)),
        None if eof => Some((bom, 0, false)),
        None => None,
    }
}

fn convert_ndjson(
    input: Input,
    schema: &Schema,
    tuning: Tuning,
    sink: &mut dyn Sink,
) -> Result<Counters, EngineError> {
    let name = input.name.clone();
    let plan = Plan::compile(schema, Format::Ndjson, None, &name)?;
    let read_err = |e: std::io::Error| EngineError::Input(format!("{name}: {e}"));
    let run = |feed: Feed<'_>, pre: &[u8], lines: u64, array: bool, sink: &mut dyn Sink| {
        let cx = Context {
            name: &name,
            base_line: lines,
            header: None,
            preamble_bytes: pre.len() as u64,
            base_column: pre.len() - memchr::memrchr(b'\n', pre).map_or(0, |i| i + 1),
        };
        let boundary = if array {
            Boundary::JsonArray
        } else {
            Boundary::Lines
        };
        let make = || Ndjson {
            plan: &plan,
            worker: NdjsonWorker::new(&plan, array),
        };
        pipeline::run(feed, boundary, tuning, make, &cx, sink)
    };
    match input.data {
        InputData::Mapped(map) => {
            let data: &[u8] = &map;
            let (body, lines, array) = ndjson_preamble(data, true).unwrap_or((0, 0, false));
            run(Feed::Mapped(data, body), &data[..body], lines, array, sink)
        }
        InputData::Stream(mut reader) => {
            let mut buf = Vec::new();
            let mut eof = !input::fill(&mut reader, &mut buf, 64 * 1024).map_err(read_err)?;
            let (body, lines, array) = loop {
                if let Some(p) = ndjson_preamble(&buf, eof) {
                    break p;
                }
                let want = buf.len() * 2;
                eof = !input::fill(&mut reader, &mut buf, want).map_err(read_err)?;
            };
            let rest = buf.split_off(body);
            run(
                Feed::Stream(rest, eof, &mut reader),
                &buf,
                lines,
                array,
                sink,
            )
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn run_csv(
    feed: Feed<'_>,
    head: &[u8],
    pre: &Preamble,
    schema: &Schema,
    dialect: Dialect,
    boundary: Boundary,
    tuning: Tuning,
    name: &str,
    sink: &mut dyn Sink,
) -> Result<Counters, EngineError> {
    if schema.csv.header && pre.header.is_none() {
        // An empty input: nothing to convert.
        return Ok(Counters {
            bytes: pre.body as u64,
            ..Counters::default()
        });
    }
    let plan = Plan::compile(schema, Format::Csv, Some(&pre.names), name)?;
    let cx = Context {
        name,
        base_line: pre.lines,
        header: pre.header.clone().map(|r| &head[r]),
        preamble_bytes: pre.body as u64,
        base_column: 0,
    };
    let make = || Csv {
        plan: &plan,
        dialect,
        worker: CsvWorker::default(),
    };
    pipeline::run(feed, boundary, tuning, make, &cx, sink)
}
