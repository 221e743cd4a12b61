//! Converting one NDJSON input (or one JSON array of objects): BOM and `[`, then the chunk
//! pipeline.

use crate::chunk_ndjson::NdjsonWorker;
use crate::chunker::Boundary;
use crate::input::Wait;
use crate::job::{reading, Job, Plans, Prepared};
use crate::pipeline::{ChunkAt, ChunkConverter, Context, MakeConverter, Tuning};
use crate::preview::Reader;
use crate::{json_scan, read_preamble, report, EngineError, InputData, Opened};
use lpconvert_schema::{Format, Plan, Schema};
use std::sync::Arc;

/// An NDJSON way of reading: a plan, and whether the rows are one array's elements.
struct NdjsonKind {
    plan: Arc<Plan>,
    array: bool,
    max_record: usize,
}

impl MakeConverter for NdjsonKind {
    fn make(&self) -> Box<dyn ChunkConverter> {
        Box::new(Ndjson {
            plan: Arc::clone(&self.plan),
            worker: NdjsonWorker::new(&self.plan, self.array, self.max_record),
        })
    }

    fn reads(&self) -> Option<(&Plan, Reader)> {
        Some((&self.plan, Reader::Ndjson))
    }
}

struct Ndjson {
    plan: Arc<Plan>,
    worker: NdjsonWorker,
}

impl ChunkConverter for Ndjson {
    fn convert(&mut self, data: &[u8], at: ChunkAt, out: &mut report::ChunkOutput) {
        self.worker.convert(&self.plan, data, at, out);
    }

    fn stops_on_error(&self) -> bool {
        self.plan.on_error == lpconvert_schema::OnError::Fail
    }
}

/// Where the NDJSON body starts: past a BOM, and past the `[` of a top-level array.
/// `None` when only blanks were seen so far and more data may come. Blanks longer than
/// `max` (`--max-record-size`) before the first value are lines of the body, not a
/// preamble: a stream cannot look further, and a mapped file must read the same.
fn ndjson_preamble(data: &[u8], eof: bool, max: usize) -> Option<(usize, u64, bool)> {
    let bom = if data.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let first = json_scan::skip_blank(data, bom);
    if first > max {
        return Some((bom, 0, false));
    }
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

/// Reads one NDJSON input's preamble (a BOM, the `[` of an array) and finds its plan in
/// `plans`.
pub(crate) fn prepare(
    data: InputData,
    name: &str,
    schema: &Schema,
    (tuning, wait): (Tuning, Wait),
    plans: &mut Plans,
) -> Result<Prepared, EngineError> {
    let path = crate::input::path_of(name);
    let compile = || Plan::compile_input(schema, Format::Ndjson, None, name, path);
    // The plan is checked before the input is read.
    let plan = plans.plan(path, compile)?;
    let opened = read_preamble(
        data,
        name,
        (64 * 1024, wait),
        tuning.max_record,
        |d, eof| Ok(ndjson_preamble(d, eof, tuning.max_record)),
        |p| p.0,
    )?;
    let Opened {
        pre: (_, lines, array),
        head,
        feed,
        map,
    } = opened;
    let (make, chunk) = plans.get(reading(Format::Ndjson, false, array), &[], path, || {
        let chunk = crate::multi::tuning_for(&plan, tuning).chunk_size;
        let kind: Arc<dyn MakeConverter> = Arc::new(NdjsonKind {
            plan: Arc::clone(&plan),
            array,
            max_record: tuning.max_record,
        });
        Ok((kind, chunk))
    })?;
    let cx = Context {
        name: name.to_owned(),
        base_line: lines,
        header: None,
        preamble_bytes: head.len() as u64,
        base_column: head.len() - memchr::memrchr(b'\n', &head).map_or(0, |i| i + 1),
        unbounded_hint: if array {
            ", with no element end found in the JSON array; check the file"
        } else {
            ", with no line feed in 16 times that: is this an NDJSON text file?"
        },
    };
    let job = Job {
        cx,
        map,
        make,
        boundary: if array {
            Boundary::JsonArray
        } else {
            Boundary::Lines
        },
        chunk,
        notes: Vec::new(),
    };
    Ok(Prepared::Body {
        job: Arc::new(job),
        feed,
    })
}
