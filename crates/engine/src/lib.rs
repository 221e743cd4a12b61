//! The lpconvert conversion engine: the input layer (mmap, stream, decompression), chunking at record
//! boundaries, CSV decoding, the mapping hot loop and the parallel ordered driver.

#![warn(missing_docs)]

pub mod annotated;
mod budget;
pub mod check;
pub mod chunk_csv;
pub mod chunk_ndjson;
pub mod chunker;
mod collect;
mod csv;
pub mod csv_record;
mod encoders;
pub mod head;
pub mod input;
pub mod json_scan;
pub mod mapguard;
pub mod mapper;
pub mod multi;
pub mod multi_json;
mod ndjson;
pub mod pipeline;
pub mod preview;
mod produce;
pub mod rejects;
pub mod report;
pub mod sample;
mod skip;
mod skip_json;
pub mod stream;
pub mod target;

pub use budget::MEMORY_BUDGET;
pub use check::check_input;
pub use input::{open, open_stream, Input, InputData};
pub use pipeline::{ChunkEncoder, Flow, MakeEncoder, Sink, Tuning};
pub use rejects::{RejectsFile, RejectsStore};
pub use report::{BadRow, Counters, Reject};

use lpconvert_lp::Precision;
use lpconvert_schema::{Format, OnError, Schema, SchemaError};
use pipeline::Feed;
use preview::Drive;
use std::path::{Path, PathBuf};

/// Why a conversion stopped.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The schema does not fit this input (checked before the first row).
    #[error("{0}")]
    Schema(#[from] SchemaError),
    /// The input cannot be read.
    #[error("{0}")]
    Input(String),
    /// A row could not be converted and `on_error = "fail"`.
    #[error("{0}")]
    Row(BadRow),
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
}

/// Default chunk size: 4 MiB.
pub const DEFAULT_CHUNK_SIZE: usize = 4 << 20;

/// Default `--max-record-size`: 64 MiB.
pub const DEFAULT_MAX_RECORD: usize = 64 << 20;

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

/// Options that override a schema's settings (`--format`, `--precision`, `--on-error`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides<'a> {
    /// The input format: `csv`, `ndjson` or `annotated-csv`.
    pub format: Option<&'a str>,
    /// The output precision: `ns`, `us`, `ms` or `s`.
    pub precision: Option<&'a str>,
    /// The bad-row policy: `fail` or `skip`.
    pub on_error: Option<&'a str>,
}

/// Why a schema could not be loaded with its overrides.
#[derive(Debug, thiserror::Error)]
pub enum LoadSchemaError {
    /// The schema file cannot be read or is not valid: `path: error`.
    #[error("{}: {error}", path.display())]
    Schema {
        /// The schema file.
        path: PathBuf,
        /// What is wrong.
        error: SchemaError,
    },
    /// An override's value is not one of its choices: ``--option `value`: expected ...``.
    #[error("{option} `{value}`{expected}")]
    Override {
        /// The option, e.g. `--precision`.
        option: &'static str,
        /// The value given.
        value: String,
        /// What it may be, as said after the value (may be empty).
        expected: &'static str,
    },
}

/// Loads the schema at `path` and applies `overrides` to it: the one way every command
/// reads a schema.
pub fn load_schema(path: &Path, overrides: &Overrides<'_>) -> Result<Schema, LoadSchemaError> {
    let mut schema = lpconvert_schema::load(path).map_err(|error| LoadSchemaError::Schema {
        path: path.to_path_buf(),
        error,
    })?;
    apply_overrides(&mut schema, overrides)?;
    Ok(schema)
}

/// Applies the command line's overrides to a loaded schema.
fn apply_overrides(schema: &mut Schema, overrides: &Overrides<'_>) -> Result<(), LoadSchemaError> {
    let bad = |option, value: &str, expected| LoadSchemaError::Override {
        option,
        value: value.to_owned(),
        expected,
    };
    if let Some(f) = overrides.format {
        apply_format(schema, f).map_err(|expected| bad("--format", f, expected))?;
    }
    if let Some(p) = overrides.precision {
        schema.precision = Precision::parse(p)
            .ok_or_else(|| bad("--precision", p, ": expected ns, us, ms or s"))?;
    }
    if let Some(e) = overrides.on_error {
        schema.on_error = OnError::parse(e).ok_or_else(|| bad("--on-error", e, ""))?;
    }
    Ok(())
}

/// Reads the schema at `path`, or, without one, the defaults of annotated CSV (allowed only
/// with `--format annotated-csv`), and applies `overrides`.
pub fn load_schema_or_annotated(
    path: Option<&Path>,
    overrides: &Overrides<'_>,
) -> Result<Schema, LoadSchemaError> {
    if let Some(p) = path {
        return load_schema(p, overrides);
    }
    let annotated = lpconvert_schema::annotated::ANNOTATED_CSV;
    if overrides.format != Some(annotated) {
        return Err(LoadSchemaError::Override {
            option: "--schema",
            value: String::new(),
            expected: "is required (only --format annotated-csv converts without a schema)",
        });
    }
    let mut schema =
        Schema::from_toml(&format!("format = \"{annotated}\"\n")).map_err(|error| {
            LoadSchemaError::Schema {
                path: PathBuf::from("--format annotated-csv"),
                error,
            }
        })?;
    apply_overrides(&mut schema, overrides)?;
    Ok(schema)
}

/// Sets the format `--format f` names; the error says what fits instead.
fn apply_format(schema: &mut Schema, f: &str) -> Result<(), &'static str> {
    if f == lpconvert_schema::annotated::ANNOTATED_CSV {
        if !schema.annotated {
            return Err(
                ": the schema's measurement, [tags], [fields] and [timestamp] are not \
                        allowed with annotated CSV (its annotation rows declare them): give a \
                        schema with only precision, on_error, [csv] and encoding, or none",
            );
        }
        schema.format = Some(Format::Csv);
        return Ok(());
    }
    let format = Format::parse(f).ok_or("")?;
    if schema.annotated {
        return Err(": the schema has format = \"annotated-csv\" and no measurement or fields");
    }
    schema.format = Some(format);
    Ok(())
}

/// Converts one input with `schema`, handing lines and rejects to `sink` in input order.
pub fn convert_input(
    input: Input,
    schema: &Schema,
    tuning: Tuning,
    sink: &mut dyn Sink,
) -> Result<Counters, EngineError> {
    convert_by(input, schema, tuning, &mut Drive::Convert(sink))
}

/// Converts one input with `schema`: its preamble and plan, then its records through
/// `drive` (the ordered pipeline, or preview's record-by-record driver).
fn convert_by(
    input: Input,
    schema: &Schema,
    tuning: Tuning,
    drive: &mut Drive<'_>,
) -> Result<Counters, EngineError> {
    let name = input.name.clone();
    let input = input::decode(input, schema.encoding)
        .map_err(|e| EngineError::Input(input::read_error_text(&name, &e)))?;
    if schema.annotated {
        return annotated::convert(input.data, &input.name, schema, tuning, drive);
    }
    let (format, tab) = input_format(schema, &input.name);
    match format {
        Format::Csv => csv::convert(input.data, &input.name, tab, schema, tuning, drive),
        Format::Ndjson => ndjson::convert(input.data, &input.name, schema, tuning, drive),
    }
}

/// The error for a preamble (skipped rows, header) longer than `--max-record-size`.
fn preamble_too_long(name: &str, max: usize) -> EngineError {
    EngineError::Input(format!(
        "{name}:1:1: the start of the file (skipped rows, header) is longer than \
         --max-record-size ({max} bytes): check that {name} is the right file, or raise \
         --max-record-size"
    ))
}

/// Fails when the start of an input is not UTF-8 text with LF line ends (UTF-16, CR only).
fn not_text(name: &str, head: &[u8]) -> Result<(), EngineError> {
    match input::text_problem(name, head) {
        Some(p) => Err(EngineError::Input(format!("{name} {p}"))),
        None => Ok(()),
    }
}

/// Reads an input's preamble (at most `max_preamble` bytes from a stream) with
/// `parse(data, at_end)` (`None`: more data is needed), then
/// runs the body from the offset `body(&preamble)` with the preamble's bytes at hand. A
/// mapped file is parsed in place; a stream is read until the preamble is complete, first
/// `first_read` bytes, each read waiting as `wait` says.
fn with_preamble<P, R>(
    data: InputData,
    name: &str,
    (first_read, wait): (usize, input::Wait),
    max_preamble: usize,
    parse: impl Fn(&[u8], bool) -> Result<Option<P>, EngineError>,
    body: impl Fn(&P) -> usize,
    run: impl FnOnce(Feed<'_>, &[u8], P) -> Result<R, EngineError>,
) -> Result<R, EngineError> {
    let read_err = |e: std::io::Error| EngineError::Input(input::read_error_text(name, &e));
    match data {
        InputData::Mapped(map) => {
            let data: &[u8] = &map;
            let result = not_text(name, data).and_then(|()| {
                let pre = parse(data, true)?
                    .ok_or_else(|| EngineError::Input(format!("{name}: incomplete header")))?;
                let at = body(&pre);
                if at > max_preamble {
                    return Err(preamble_too_long(name, max_preamble));
                }
                run(Feed::Mapped(&map, at), &data[..at], pre)
            });
            if result.is_err() {
                // An error read from a file that changed (zeros for lost bytes) is that.
                map.check(name).map_err(EngineError::Input)?;
            }
            result
        }
        InputData::Stream(mut reader) => {
            let mut buf = Vec::new();
            let mut eof =
                !input::fill_until(&mut reader, &mut buf, first_read, wait).map_err(read_err)?;
            not_text(name, &buf)?;
            let pre = loop {
                if let Some(p) = parse(&buf, eof)? {
                    break p;
                }
                if buf.len() > max_preamble {
                    return Err(preamble_too_long(name, max_preamble));
                }
                let want = buf
                    .len()
                    .saturating_mul(2)
                    .min(max_preamble.saturating_add(1));
                eof = !input::fill_until(&mut reader, &mut buf, want, wait).map_err(read_err)?;
            };
            if body(&pre) > max_preamble {
                return Err(preamble_too_long(name, max_preamble));
            }
            let rest = buf.split_off(body(&pre));
            run(Feed::Stream(rest, eof, &mut reader), &buf, pre)
        }
    }
}
