//! `lpconvert bench --from FILE --schema S`: a bounded sample of CSV/NDJSON converted to line
//! protocol in memory by the engine, to be looped as the benchmark's workload.

use anyhow::Context;
use lpconvert_engine::{convert_input, load_schema, Flow, Overrides, Reject, Sink, Tuning};
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
    full: bool,
}

impl Sink for Collect {
    fn write_lines(&mut self, lines: &[u8]) -> io::Result<()> {
        for line in lines.split_inclusive(|&b| b == b'\n') {
            if self.lines >= self.max_lines || self.data.len() + line.len() > MAX_BYTES {
                self.full = true;
                break;
            }
            self.data.extend_from_slice(line);
            self.lines += 1;
        }
        Ok(())
    }

    fn flow(&self) -> Flow {
        if self.full {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    fn reject(&mut self, _reject: &Reject<'_>, _header: Option<&[u8]>) -> io::Result<()> {
        self.rejected += 1;
        Ok(())
    }
}

/// Converts up to `max_lines` lines of `input` with `schema`; returns them and their precision.
pub fn convert_sample(
    input: &Path,
    schema: &Path,
    max_lines: usize,
) -> anyhow::Result<(Vec<u8>, Precision)> {
    let schema = load_schema(schema, &Overrides::default())?;
    let name = input.display().to_string();
    let opened = lpconvert_engine::open(&name).with_context(|| format!("cannot open {name}"))?;
    let mut sink = Collect {
        data: Vec::new(),
        lines: 0,
        max_lines,
        rejected: 0,
        full: false,
    };
    let tuning = Tuning {
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        chunk_size: lpconvert_engine::DEFAULT_CHUNK_SIZE,
        max_record: lpconvert_engine::DEFAULT_MAX_RECORD,
    };
    convert_input(opened, &schema, tuning, &mut sink)
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    if sink.rejected > 0 {
        eprintln!(
            "lpconvert bench: {name}: {} rows rejected by the schema were left out of the workload",
            sink.rejected
        );
    }
    Ok((sink.data, schema.precision))
}
