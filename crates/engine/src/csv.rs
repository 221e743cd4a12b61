//! Converting one CSV input: BOM, skipped rows and header, then the chunk pipeline.

use crate::chunk_csv::CsvWorker;
use crate::chunker::Boundary;
use crate::csv_record::{Dialect, Record, RecordReader};
use crate::input::Wait;
use crate::job::{reading, Job, Plans, Prepared};
use crate::pipeline::{ChunkAt, ChunkConverter, Context, MakeConverter, Tuning};
use crate::preview::{Drive, Reader};
use crate::{read_preamble, report, Counters, EngineError, InputData, Opened};
use lpconvert_schema::{Format, Plan, Schema, SchemaError};
use std::sync::Arc;

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
    let missing = reader.skip_lines(data, schema.csv.skip_rows);
    if missing > 0 {
        if !eof {
            return Ok(None);
        }
        if data.len() > bom {
            let had = schema.csv.skip_rows - missing;
            return Err(EngineError::Input(format!(
                "{name}: has {had} line{}, fewer than [csv] skip_rows = {}: check skip_rows \
                 or the file",
                if had == 1 { "" } else { "s" },
                schema.csv.skip_rows
            )));
        }
    }
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
            Ok(true) if rec.too_wide() => {
                return Err(EngineError::Input(format!(
                    "{name}: the header has {} columns, more than lpconvert reads ({}): \
                     check [csv] delimiter, or that {name} is the right file",
                    rec.len(),
                    crate::csv_record::MAX_CELLS
                )))
            }
            Ok(true) => {
                names = (0..rec.len())
                    .map(|i| String::from_utf8_lossy(rec.cell(data, i)).into_owned())
                    .collect();
                header = Some(rec.start..rec.end);
            }
            // No header yet: more of a stream may bring it (after comment lines).
            Ok(false) if !eof => return Ok(None),
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

/// A CSV way of reading: a plan and a dialect, shared by the inputs read alike.
struct CsvKind {
    plan: Arc<Plan>,
    dialect: Dialect,
    max_record: usize,
}

impl MakeConverter for CsvKind {
    fn make(&self) -> Box<dyn ChunkConverter> {
        Box::new(Csv {
            plan: Arc::clone(&self.plan),
            dialect: self.dialect,
            worker: CsvWorker::new(self.max_record),
        })
    }

    fn reads(&self) -> Option<(&Plan, Reader)> {
        Some((&self.plan, Reader::Csv(self.dialect)))
    }
}

struct Csv {
    plan: Arc<Plan>,
    dialect: Dialect,
    worker: CsvWorker,
}

impl ChunkConverter for Csv {
    fn convert(&mut self, data: &[u8], _at: ChunkAt, out: &mut report::ChunkOutput) {
        self.worker.convert(&self.plan, self.dialect, data, out);
    }

    fn stops_on_error(&self) -> bool {
        self.plan.on_error == lpconvert_schema::OnError::Fail
    }
}

/// Converts one CSV input (`tab` when the name says `.tsv`).
pub(crate) fn convert(
    data: InputData,
    name: &str,
    tab: bool,
    schema: &Schema,
    tuning: Tuning,
    drive: &mut Drive<'_>,
) -> Result<Counters, EngineError> {
    let reads = (tuning, drive.wait());
    let prepared = prepare(data, name, tab, schema, reads, &mut Plans::new(schema))?;
    drive.run(prepared, tuning)
}

/// Reads one CSV input's preamble (a stream's reads waiting as `wait` says) and finds its
/// plan in `plans` (`tab` when the name says `.tsv`).
pub(crate) fn prepare(
    data: InputData,
    name: &str,
    tab: bool,
    schema: &Schema,
    (tuning, wait): (Tuning, Wait),
    plans: &mut Plans,
) -> Result<Prepared, EngineError> {
    let dialect = Dialect::from_spec(&schema.csv, if tab { b'\t' } else { b',' });
    if dialect.quote == dialect.delimiter {
        return Err(SchemaError::Key {
            key: "csv.quote".into(),
            message: format!(
                "is the same byte as the delimiter of {name} ({:?}): choose another quote or delimiter",
                char::from(dialect.delimiter)
            ),
        }
        .into());
    }
    let first_read = tuning.chunk_size.max(64 * 1024);
    let opened = read_preamble(
        data,
        name,
        (first_read, wait),
        tuning.max_record,
        |d, eof| csv_preamble(d, eof, schema, dialect, name),
        |p| p.body,
    )?;
    let Opened {
        pre,
        head,
        feed,
        map,
    } = opened;
    if schema.csv.header && pre.header.is_none() {
        // An empty input: nothing to convert.
        return Ok(Prepared::Empty {
            name: name.to_owned(),
            notes: Vec::new(),
            counters: Counters {
                bytes: pre.body as u64,
                ..Counters::default()
            },
        });
    }
    let path = crate::input::path_of(name);
    let (make, chunk) = plans.get(reading(Format::Csv, tab, false), &pre.names, path, || {
        let plan = Plan::compile_input(schema, Format::Csv, Some(&pre.names), name, path)?;
        let chunk = crate::multi::tuning_for(&plan, tuning).chunk_size;
        let kind: Arc<dyn MakeConverter> = Arc::new(CsvKind {
            plan: Arc::new(plan),
            dialect,
            max_record: tuning.max_record,
        });
        Ok((kind, chunk))
    })?;
    let cx = Context {
        name: name.to_owned(),
        base_line: pre.lines,
        // The skipped rows and the header, so that a rejects file re-reads alike.
        header: match (pre.header.clone(), schema.csv.skip_rows) {
            (Some(r), 0) => head.get(r).map(<[u8]>::to_vec),
            (None, 0) => None,
            (h, _) => {
                let end = h.map_or(pre.body, |r| r.end);
                let h = &head[..end.min(head.len())];
                Some(h.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(h).to_vec())
            }
        },
        preamble_bytes: pre.body as u64,
        base_column: 0,
        unbounded_hint: crate::chunk_csv::NO_RECORD_END,
    };
    let job = Job {
        cx,
        map,
        make,
        boundary: Boundary::for_csv(dialect),
        chunk,
        notes: Vec::new(),
    };
    Ok(Prepared::Body {
        job: Arc::new(job),
        feed,
    })
}
