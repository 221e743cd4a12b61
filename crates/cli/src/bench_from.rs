//! `lpconvert bench --from FILE --schema S`: a bounded sample of CSV/NDJSON converted to line
//! protocol in memory by the engine, to be looped as the benchmark's workload.

use anyhow::Context;
use lpconvert_engine::{convert_input, Counters, EngineError, Reject, Sink, Tuning};
use lpconvert_send::Precision;
use std::io;
use std::path::Path;

/// Most bytes of converted line protocol kept.
const MAX_BYTES: usize = 512 << 20;

/// Collects converted lines until `max_lines` lines or [`MAX_BYTES`], then stops the engine.
struct Collect {
    data: Vec<u8>,
    lines: usize,
    max_lines: usize,
    rejected: u64,
}

impl Sink for Collect {
    fn write_lines(&mut self, lines: &[u8]) -> io::Result<()> {
        for line in lines.split_inclusive(|&b| b == b'\n') {
            if self.lines >= self.max_lines || self.data.len() + line.len() > MAX_BYTES {
                return Err(io::Error::other(SAMPLE_FULL));
            }
            self.data.extend_from_slice(line);
            self.lines += 1;
        }
        Ok(())
    }
    fn reject(&mut self, _reject: &Reject<'_>, _header: Option<&[u8]>) -> io::Result<()> {
        self.rejected += 1;
        Ok(())
    }
}

const SAMPLE_FULL: &str = "bench sample full";

/// Converts up to `max_lines` lines of `input` with `schema`; returns them and their precision.
pub fn convert_sample(
    input: &Path,
    schema: &Path,
    max_lines: usize,
) -> anyhow::Result<(Vec<u8>, Precision)> {
    let schema_spec =
        lpconvert_schema::load(schema).map_err(|e| anyhow::anyhow!("{}: {e}", schema.display()))?;
    let name = input.display().to_string();
    let opened = lpconvert_engine::open(&name).with_context(|| format!("cannot open {name}"))?;
    let mut sink = Collect {
        data: Vec::new(),
        lines: 0,
        max_lines,
        rejected: 0,
    };
    let tuning = Tuning {
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        chunk_size: lpconvert_engine::DEFAULT_CHUNK_SIZE,
        max_record: lpconvert_engine::DEFAULT_MAX_RECORD,
    };
    let result: Result<Counters, EngineError> =
        convert_input(opened, &schema_spec, tuning, &mut sink);
    match result {
        Ok(_) => {}
        Err(EngineError::Output(e)) if e.to_string() == SAMPLE_FULL => {}
        Err(e) => return Err(anyhow::anyhow!("{name}: {e}")),
    }
    if sink.rejected > 0 {
        eprintln!(
            "lpconvert bench: {name}: {} rows rejected by the schema were left out of the workload",
            sink.rejected
        );
    }
    let precision = match schema_spec.precision.nanos() {
        1 => Precision::Ns,
        1_000 => Precision::Us,
        1_000_000 => Precision::Ms,
        _ => Precision::S,
    };
    Ok((sink.data, precision))
}
