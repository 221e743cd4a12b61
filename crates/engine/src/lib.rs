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
mod job;
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
pub mod shard;
mod skip;
mod skip_json;
pub mod stream;
pub mod target;

pub use budget::MEMORY_BUDGET;
pub use check::{check_input, check_inputs, check_part};
pub use input::{open, open_stream, Input, InputData};
pub use pipeline::{ChunkEncoder, Flow, MakeEncoder, Sink, Tuning};
pub use rejects::{RejectsFile, RejectsStore};
pub use report::{BadRow, Counters, Reject};

use job::{Plans, Prepared};
use lpconvert_lp::Precision;
use lpconvert_schema::{Format, OnError, Schema, SchemaError};
use mapguard::MappedFile;
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

/// Converts one input with `schema`: its preamble and plan ([`prepare_input`]), then its
/// records through `drive` (the ordered pipeline, or preview's record-by-record driver).
fn convert_by(
    input: Input,
    schema: &Schema,
    tuning: Tuning,
    drive: &mut Drive<'_>,
) -> Result<Counters, EngineError> {
    if schema.annotated {
        return convert_annotated(input, schema, tuning, drive);
    }
    let wait = drive.wait();
    let prepared = prepare_input(input, schema, tuning, &mut Plans::new(schema), wait);
    drive.run(prepared, tuning)
}

/// Converts the inputs at `paths` (`-` for stdin) in order through one pipeline, as if their
/// outputs were concatenated: each is opened when reached, the plan is compiled once per
/// distinct header, and the sink hears of each input's end ([`Sink::input_done`]) or
/// failure ([`Sink::input_error`], which decides whether the run goes on).
pub fn convert_inputs(
    paths: &[String],
    schema: &Schema,
    tuning: Tuning,
    sink: &mut dyn Sink,
) -> Result<Counters, EngineError> {
    convert_part(paths, None, schema, tuning, sink)
}

/// [`convert_inputs`] for one shard's `part` of the inputs (all of them when `None`).
pub fn convert_part(
    paths: &[String],
    part: Option<&shard::Part>,
    schema: &Schema,
    tuning: Tuning,
    sink: &mut dyn Sink,
) -> Result<Counters, EngineError> {
    if schema.annotated {
        // Each table of each input is a conversion of its own.
        let mut total = Counters::default();
        for path in shard::whole(paths, part) {
            let result = open_named(path).and_then(|i| {
                let name = i.name.clone();
                convert_annotated(i, schema, tuning, &mut Drive::Convert(sink)).map(|c| (name, c))
            });
            match result {
                Ok((name, c)) => {
                    total.add(&c);
                    sink.input_done(&name, &c);
                }
                Err(e) => sink.input_error(e, &Counters::default())?,
            }
        }
        return Ok(total);
    }
    let mut plans = Plans::new(schema);
    let mut walk = shard::walk(paths, part, |path| match open_named(path) {
        Ok(input) => prepare_input(input, schema, tuning, &mut plans, input::Wait::All),
        Err(e) => Prepared::Failed(e),
    });
    pipeline::run(&mut walk, tuning, sink)
}

/// Opens `path` with [`open`]; the error names it.
pub(crate) fn open_named(path: &str) -> Result<Input, EngineError> {
    open(path).map_err(|e| EngineError::Input(format!("{path}: {e}")))
}

/// Converts an annotated CSV input, table by table, through `drive`.
fn convert_annotated(
    input: Input,
    schema: &Schema,
    tuning: Tuning,
    drive: &mut Drive<'_>,
) -> Result<Counters, EngineError> {
    let name = input.name.clone();
    let input = input::decode(input, schema.encoding)
        .map_err(|e| EngineError::Input(input::read_error_text(&name, &e)))?;
    annotated::convert(input.data, &input.name, schema, tuning, drive)
}

/// Decodes an input and reads its preamble (a stream's reads waiting as `wait` says) and
/// finds its plan in `plans`: what the producer hands on, or a preview drives record by
/// record.
fn prepare_input(
    input: Input,
    schema: &Schema,
    tuning: Tuning,
    plans: &mut Plans,
    wait: input::Wait,
) -> Prepared {
    let name = input.name.clone();
    let input = match input::decode(input, schema.encoding) {
        Ok(i) => i,
        Err(e) => {
            return Prepared::Failed(EngineError::Input(input::read_error_text(&name, &e)));
        }
    };
    let (format, tab) = input_format(schema, &input.name);
    let prepared = match format {
        Format::Csv => csv::prepare(input.data, &input.name, tab, schema, (tuning, wait), plans),
        Format::Ndjson => ndjson::prepare(input.data, &input.name, schema, (tuning, wait), plans),
    };
    prepared.unwrap_or_else(Prepared::Failed)
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

/// An input whose preamble is read: the parse, the preamble's bytes, the body's feed and
/// the mapping the feed reads.
pub(crate) struct Opened<P> {
    pub(crate) pre: P,
    pub(crate) head: Vec<u8>,
    pub(crate) feed: Feed,
    pub(crate) map: Option<MappedFile>,
}

/// Reads an input's preamble (at most `max_preamble` bytes from a stream) with
/// `parse(data, at_end)` (`None`: more data is needed); the body starts at `body(&preamble)`.
/// A mapped file is parsed in place; a stream is read until the preamble is complete, first
/// `first_read` bytes, each read waiting as `wait` says.
fn read_preamble<P>(
    data: InputData,
    name: &str,
    (first_read, wait): (usize, input::Wait),
    max_preamble: usize,
    parse: impl Fn(&[u8], bool) -> Result<Option<P>, EngineError>,
    body: impl Fn(&P) -> usize,
) -> Result<Opened<P>, EngineError> {
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
                Ok((pre, at))
            });
            match result {
                Ok((pre, at)) => Ok(Opened {
                    pre,
                    head: data[..at.min(data.len())].to_vec(),
                    feed: Feed::Mapped(at),
                    map: Some(map),
                }),
                Err(e) => {
                    // An error read from a file that changed (zeros for lost bytes) is that.
                    map.check(name).map_err(EngineError::Input)?;
                    Err(e)
                }
            }
        }
        InputData::Stream(mut reader) => {
            // A read error after a whole preamble is the body's: it is read again there,
            // after the records read whole before it.
            let mut failed = None;
            let mut buf = Vec::new();
            let mut eof =
                !input::fill_keeping_error(&mut reader, &mut buf, (first_read, wait), &mut failed);
            not_text(name, &buf)?;
            let pre = loop {
                if let Some(p) = parse(&buf, eof)? {
                    break p;
                }
                if let Some(e) = failed.take() {
                    return Err(read_err(e));
                }
                if buf.len() > max_preamble {
                    return Err(preamble_too_long(name, max_preamble));
                }
                let want = buf
                    .len()
                    .saturating_mul(2)
                    .min(max_preamble.saturating_add(1));
                eof = !input::fill_keeping_error(&mut reader, &mut buf, (want, wait), &mut failed);
            };
            if body(&pre) > max_preamble {
                return Err(preamble_too_long(name, max_preamble));
            }
            if let Some(e) = failed {
                reader = Box::new(input::Failed(Some(e)));
            }
            let rest = buf.split_off(body(&pre));
            Ok(Opened {
                pre,
                head: buf,
                feed: Feed::Stream(rest, eof, reader),
                map: None,
            })
        }
    }
}
