//! `verify`'s passes over the inputs: line protocol as replay reads it (or CSV/NDJSON through
//! the same streaming conversion as `replay --schema`), counted as points, and read again by
//! `--repair` for the lines of the missing points.

use crate::replay_convert::{Conversion, ConvertOptions};
use anyhow::{bail, Context};
use lpconvert_engine::Overrides;
use lpconvert_send::input::{BlockReader, Source};
use lpconvert_send::verify::{Expected, KeyHasher, LineKind, Missing};
use lpconvert_send::Precision;
use std::path::Path;

/// Invalid lines named in the summary.
const SHOWN_INVALID: usize = 5;

/// What to read, as replay reads it.
#[derive(Debug, Clone, Copy)]
pub struct InputOptions<'a> {
    /// Inputs (`-` or none: stdin).
    pub inputs: &'a [String],
    /// `--schema`: convert CSV/NDJSON.
    pub schema: Option<&'a Path>,
    /// `--format`, `--precision`, `--on-error`.
    pub overrides: Overrides<'a>,
}

impl InputOptions<'_> {
    /// The precision of the line protocol read, as replay's: the schema's with `--schema`,
    /// else `--precision`, else `INFLUX_PRECISION`, else ns.
    pub fn precision(&self) -> anyhow::Result<Precision> {
        if let Some(s) = self.schema {
            return Ok(lpconvert_engine::load_schema(s, &self.overrides)?.precision);
        }
        crate::server::line_precision(self.overrides.precision)?.with_context(|| {
            "--precision auto: verify reads every timestamp in one unit; give it (ns, us, ms or s)"
        })
    }

    /// Reads every line of every input, in order, as `(input, line number, line)`.
    pub fn each_line(&self, mut f: impl FnMut(&str, u64, &[u8])) -> anyhow::Result<()> {
        let conversion = match self.schema {
            None => None,
            Some(schema) => Some(Conversion::prepare(&ConvertOptions {
                schema,
                inputs: &crate::shared::inputs_or_stdin(self.inputs),
                all_inputs: self.inputs,
                overrides: self.overrides,
                rejects: None,
                skipped: None,
                threads: None,
                max_record: None,
                checkpoint: false,
                others: Vec::new(),
            })?),
        };
        let sources: Vec<Source> = match &conversion {
            Some(c) => c.sources(),
            None => crate::shared::inputs_or_stdin(self.inputs)
                .iter()
                .map(|a| crate::inputs::line_protocol(a))
                .collect(),
        };
        for source in &sources {
            let name = source.display_name();
            let mut reader =
                BlockReader::open(source, 0).with_context(|| format!("cannot open {name}"))?;
            while let Some(block) = reader
                .next_block()
                .with_context(|| format!("cannot read {name}"))?
            {
                let bytes = block.bytes();
                let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
                for (number, line) in (block.first_line..).zip(bytes.split(|&b| b == b'\n')) {
                    f(&name, number, line);
                }
            }
        }
        if let Some(c) = conversion {
            let outcome = c.finish(None)?;
            if let Some(e) = outcome.error {
                bail!("the conversion stopped: {}", e.error);
            }
        }
        Ok(())
    }
}

/// What the counting pass read.
#[derive(Debug, Default, Clone)]
pub struct ReadCounts {
    /// Lines (comments and blank lines not counted).
    pub lines: u64,
    /// Points read (before duplicates are collapsed).
    pub points: u64,
    /// Lines without a timestamp: not verifiable.
    pub no_timestamp: u64,
    /// Lines whose timestamp overflows nanoseconds: not verifiable.
    pub out_of_range: u64,
    /// Lines the strict parser refuses (a server refuses them too): not verifiable.
    pub invalid: u64,
    /// The first invalid lines, `input:line: column N: message`.
    pub first_invalid: Vec<String>,
}

/// Counts the points of the inputs into `expected`.
pub fn count(
    o: &InputOptions<'_>,
    hasher: &KeyHasher,
    expected: &mut Expected,
) -> anyhow::Result<ReadCounts> {
    let mut c = ReadCounts::default();
    o.each_line(
        |input, number, line| match expected.add_line(hasher, line) {
            Ok(LineKind::NotALine) => {}
            Ok(kind) => {
                c.lines += 1;
                match kind {
                    LineKind::Points(n) => c.points += n as u64,
                    LineKind::NoTimestamp => c.no_timestamp += 1,
                    _ => c.out_of_range += 1,
                }
            }
            Err(e) => {
                c.lines += 1;
                c.invalid += 1;
                if c.first_invalid.len() < SHOWN_INVALID {
                    // One line each, whatever the file's name holds.
                    let input = lpconvert_engine::report::OneLine(input);
                    c.first_invalid.push(format!("{input}:{number}: {e}"));
                }
            }
        },
    )?;
    Ok(c)
}

/// The lines that carry exactly the missing points, and how many points they carry.
pub fn missing_lines(
    o: &InputOptions<'_>,
    missing: &mut Missing<'_>,
) -> anyhow::Result<(Vec<u8>, u64)> {
    let mut out = Vec::new();
    let mut points = 0u64;
    o.each_line(|_, _, line| points += missing.pick(line, &mut out) as u64)?;
    Ok((out, points))
}
