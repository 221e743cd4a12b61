//! The schema file as the user wrote it, checked: every key known, every value valid.
//!
//! `mod.rs` holds the checked types; `raw` reads the TOML into them, `tables` reads each
//! table's entries and `check` holds the checks across entries.

mod check;
mod iter;
mod raw;
mod sources;
mod tables;
#[cfg(test)]
mod tests;

pub use iter::{glob_match, is_glob, iterates, iteration_prefixes};
pub use sources::{extract, template_parts, FilePart, FromFloat, NumberFormat, TemplatePart};

pub(crate) use check::boolean_lists;

use crate::time::{TimeFormat, TimeParser, Zone};
use crate::SchemaError;
use lpconvert_lp::Precision;
use toml::{Table, Value};

/// Input format of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma (or other delimiter) separated values.
    Csv,
    /// One JSON object per line (or a file holding one JSON array of objects).
    Ndjson,
}

impl Format {
    /// Parses `csv` or `ndjson` (`json`/`jsonl` accepted as `ndjson`).
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "ndjson" | "jsonl" | "json" => Some(Format::Ndjson),
            _ => None,
        }
    }
}

/// What to do with a row that cannot be converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Stop at the first bad row.
    #[default]
    Fail,
    /// Count it, write it to the rejects file, go on.
    Skip,
}

impl OnError {
    /// Parses `fail` or `skip`.
    pub fn parse(s: &str) -> Option<OnError> {
        match s {
            "fail" => Some(OnError::Fail),
            "skip" => Some(OnError::Skip),
            _ => None,
        }
    }
}

/// Where a value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A CSV column by name, or a top-level NDJSON key.
    Column(String),
    /// Several CSV columns joined by one space (timestamps only).
    Columns(Vec<String>),
    /// A JSON Pointer into an NDJSON object.
    Path(String),
    /// A constant.
    Value(String),
    /// The name of the current match of an iteration (`key_of`): a column glob (`"s*"`) or a
    /// path up to and including a `*` segment (`"/disks/*"`).
    KeyOf(String),
    /// Text with `{column}` / `{/pointer}` references, checked by
    /// [`template_parts`].
    Template(String),
    /// A part of the input's path.
    File(FilePart),
}

/// How an entry's key is given.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum KeyKind {
    /// The key as written.
    #[default]
    Fixed,
    /// A key containing `*`: one entry per matched column (CSV) or member of the entry's
    /// `path` ending in `/*` (NDJSON), named like it, in the same line.
    Pattern {
        /// Names left out.
        exclude: Vec<String>,
    },
    /// A key written `"{column}"` or `"{/pointer}"`: read from the data per record.
    FromData {
        /// Where the key is read.
        source: Source,
        /// The type per resulting key (fields only); the entry's type is the rest.
        types: Vec<(String, FieldType)>,
    },
}

/// A field's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// 64-bit float.
    Float,
    /// Signed 64-bit integer.
    Integer,
    /// Unsigned 64-bit integer.
    Unsigned,
    /// Boolean.
    Boolean,
    /// String.
    String,
    /// A Go-style duration (`1h2m3.5s`), written as integer nanoseconds.
    Duration,
}

impl FieldType {
    /// The schema spelling of the type.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Float => "float",
            FieldType::Integer => "integer",
            FieldType::Unsigned => "unsigned",
            FieldType::Boolean => "boolean",
            FieldType::String => "string",
            FieldType::Duration => "duration",
        }
    }

    /// Parses the type name.
    pub fn parse(s: &str) -> Option<FieldType> {
        Some(match s {
            "float" => FieldType::Float,
            "integer" => FieldType::Integer,
            "unsigned" => FieldType::Unsigned,
            "boolean" => FieldType::Boolean,
            "string" => FieldType::String,
            "duration" => FieldType::Duration,
            _ => return None,
        })
    }
}

/// How a float field's value is written (`float_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FloatFormat {
    /// The text as read, when line protocol reads it as written (`1.0` stays `1.0`).
    #[default]
    AsRead,
    /// The shortest digits that read back as the same float, never an exponent (`1.0` ->
    /// `1`, `1e21` -> `1000000000000000000000`): what the influx CLI's csv2lp writes.
    Shortest,
}

impl FloatFormat {
    /// Parses the key's value.
    pub fn parse(s: &str) -> Option<FloatFormat> {
        match s {
            "as_read" => Some(FloatFormat::AsRead),
            "shortest" => Some(FloatFormat::Shortest),
            _ => None,
        }
    }
}

/// One `[tags]` entry.
#[derive(Debug, Clone)]
pub struct TagSpec {
    /// The tag key written in the line.
    pub key: String,
    /// Where the value comes from.
    pub source: Source,
    /// Used when the source is missing or empty; never empty (`default = ""` omits the
    /// value like an empty cell, so it is stored as `None`).
    pub default: Option<String>,
    /// How the key is given.
    pub key_kind: KeyKind,
    /// `regex`: the value is what it extracts from the source's text.
    pub regex: Option<regex::bytes::Regex>,
}

/// One `[fields]` entry.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    /// The field key written in the line.
    pub key: String,
    /// Where the value comes from.
    pub source: Source,
    /// The value type.
    pub ftype: FieldType,
    /// Used when the source is missing or empty; never empty (`default = ""` omits the
    /// value like an empty cell, so it is stored as `None`).
    pub default: Option<String>,
    /// Texts read as true (compared ignoring ASCII case).
    pub true_values: Vec<String>,
    /// Texts read as false (compared ignoring ASCII case).
    pub false_values: Vec<String>,
    /// How the key is given.
    pub key_kind: KeyKind,
    /// `regex`: the value is what it extracts from the source's text.
    pub regex: Option<regex::bytes::Regex>,
    /// `integer`/`unsigned`: what a decimal or scientific number becomes.
    pub from_float: FromFloat,
    /// `float`/`integer`/`unsigned`: the separators of the text (the field's own, else the
    /// schema's top-level one).
    pub number_format: Option<NumberFormat>,
    /// `float`: how the value is written.
    pub float_format: FloatFormat,
}

/// The `[timestamp]` table.
#[derive(Debug, Clone)]
pub struct TimestampSpec {
    /// The source (`Columns` for a list of columns).
    pub source: Source,
    /// Format and zone.
    pub parser: TimeParser,
    /// `regex`: the time is read from what it extracts from the source's text.
    pub regex: Option<regex::bytes::Regex>,
    /// Used when the source is empty, in the schema's format.
    pub default: Option<String>,
    /// False: a row whose timestamp is empty gets a line without timestamp.
    pub required: bool,
}

/// The `[csv]` table.
#[derive(Debug, Clone)]
pub struct CsvSpec {
    /// Field delimiter; `None` means the default for the file (`,`, or tab for `.tsv`).
    pub delimiter: Option<u8>,
    /// Quote byte.
    pub quote: u8,
    /// Escape byte inside quoted fields (instead of doubled quotes).
    pub escape: Option<u8>,
    /// Lines starting with this byte are skipped.
    pub comment: Option<u8>,
    /// The first row (after `skip_rows`) names the columns.
    pub header: bool,
    /// Column names (required when `header = false`).
    pub columns: Option<Vec<String>>,
    /// Physical lines skipped before the header.
    pub skip_rows: usize,
    /// Trim spaces and tabs around unquoted values.
    pub trim: bool,
}

impl Default for CsvSpec {
    fn default() -> Self {
        CsvSpec {
            delimiter: None,
            quote: b'"',
            escape: None,
            comment: None,
            header: true,
            columns: None,
            skip_rows: 0,
            trim: false,
        }
    }
}

/// A checked schema file.
#[derive(Debug, Clone)]
pub struct Schema {
    /// Input format, if the schema names one.
    pub format: Option<Format>,
    /// The measurement source.
    pub measurement: Source,
    /// Used when the measurement's source is missing, empty or null; never empty.
    pub measurement_default: Option<String>,
    /// `regex` of the measurement.
    pub measurement_regex: Option<regex::bytes::Regex>,
    /// Unit of output timestamps.
    pub precision: Precision,
    /// Write tags sorted by key.
    pub sort_tags: bool,
    /// Bad-row policy.
    pub on_error: OnError,
    /// Cell texts meaning "no value".
    pub null_values: Vec<String>,
    /// Write CR/LF in string fields as `\r`/`\n` instead of rejecting the row.
    pub escape_string_newlines: bool,
    /// The timestamp, if any.
    pub timestamp: Option<TimestampSpec>,
    /// Tags in declaration order.
    pub tags: Vec<TagSpec>,
    /// Fields in declaration order.
    pub fields: Vec<FieldSpec>,
    /// CSV dialect.
    pub csv: CsvSpec,
    /// The character encoding of the input (top-level `encoding`).
    pub encoding: crate::TextEncoding,
    /// `format = "annotated-csv"`: the annotation rows of each table declare measurement,
    /// tags, fields and timestamp (compiled by [`crate::annotated`]); this schema supplies
    /// the rest (precision, on_error, dialect, encoding).
    pub annotated: bool,
    /// `convert --target`: the server (and "now") each converted line is held to; set by the
    /// command line, never by the schema file.
    pub target: Option<lpconvert_lp::target::Rules>,
}
