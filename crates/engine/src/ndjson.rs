//! Converting one NDJSON input (or one JSON array of objects): BOM and `[`, then the chunk
//! pipeline.

use crate::chunk_ndjson::NdjsonWorker;
use crate::chunker::Boundary;
use crate::pipeline::{ChunkAt, ChunkConverter, Context, Tuning};
use crate::preview::{Drive, Reader};
use crate::{json_scan, report, with_preamble, Counters, EngineError, InputData};
use lpconvert_schema::{Format, Plan, Schema};

struct Ndjson<'p> {
    plan: &'p Plan,
    worker: NdjsonWorker,
}

impl ChunkConverter for Ndjson<'_> {
    fn convert(&mut self, data: &[u8], at: ChunkAt, out: &mut report::ChunkOutput) {
        self.worker.convert(self.plan, data, at, out);
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

/// Converts one NDJSON input.
pub(crate) fn convert(
    data: InputData,
    name: &str,
    schema: &Schema,
    tuning: Tuning,
    drive: &mut Drive<'_>,
) -> Result<Counters, EngineError> {
    let plan = Plan::compile_input(
        schema,
        Format::Ndjson,
        None,
        name,
        crate::input::path_of(name),
    )?;
    with_preamble(
        data,
        name,
        (64 * 1024, drive.wait()),
        tuning.max_record,
        |d, eof| Ok(ndjson_preamble(d, eof, tuning.max_record)),
        |p| p.0,
        |feed, pre, (_, lines, array)| {
            let cx = Context {
                name,
                base_line: lines,
                header: None,
                preamble_bytes: pre.len() as u64,
                base_column: pre.len() - memchr::memrchr(b'\n', pre).map_or(0, |i| i + 1),
                unbounded_hint: if array {
                    ", with no element end found in the JSON array; check the file"
                } else {
                    ", with no line feed in 16 times that: is this an NDJSON text file?"
                },
            };
            let boundary = if array {
                Boundary::JsonArray
            } else {
                Boundary::Lines
            };
            let make = || Ndjson {
                plan: &plan,
                worker: NdjsonWorker::new(&plan, array, tuning.max_record),
            };
            let tuning = crate::multi::tuning_for(&plan, tuning);
            drive.run(feed, boundary, tuning, make, &cx, (&plan, Reader::Ndjson))
        },
    )
}
