//! `lpconvert bench --from FILE --schema S`: a bounded sample of CSV/NDJSON converted to line
//! protocol in memory by the engine, to be looped as the benchmark's workload.

use anyhow::Context;
use lpconvert_engine::head::convert_head;
use lpconvert_engine::{load_schema, Overrides, Tuning};
use lpconvert_send::Precision;
use std::path::Path;

/// Most bytes of converted line protocol kept.
const MAX_BYTES: usize = 512 << 20;

/// Converts up to `max_lines` lines of `input` with `schema`; returns them and their precision.
pub fn convert_sample(
    input: &Path,
    schema: &Path,
    max_lines: usize,
) -> anyhow::Result<(Vec<u8>, Precision)> {
    let schema = load_schema(schema, &Overrides::default())?;
    let name = input.display().to_string();
    let opened = lpconvert_engine::open(&name).with_context(|| format!("cannot open {name}"))?;
    let tuning = Tuning {
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        chunk_size: lpconvert_engine::DEFAULT_CHUNK_SIZE,
        max_record: lpconvert_engine::DEFAULT_MAX_RECORD,
    };
    let head = convert_head(opened, &schema, tuning, max_lines, MAX_BYTES)
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    if head.rejected > 0 {
        note!(
            "lpconvert bench: {name}: {} rows rejected by the schema were left out of the workload",
            head.rejected
        );
    }
    Ok((head.data, schema.precision))
}
