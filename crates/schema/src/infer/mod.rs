//! `lpconvert infer`: drafting a schema from a sample of the data.
//!
//! Pure logic, no I/O: [`sniff_csv`] guesses the CSV dialect from the first bytes of a file;
//! the engine reads a sample of records into a [`Table`] (CSV cells, or NDJSON values walked
//! into JSON Pointer paths); [`infer`] guesses the timestamp, tags and field types and writes
//! the schema as TOML with a comment on each guess.
//!
//! Every guess is checked against every sampled value with the converter's own parsers
//! (`lpconvert_lp::value` for numbers, [`TimeParser`](crate::TimeParser) for timestamps, the name checks for
//! tags), so the draft converts its sample without a rejected row: a column is an integer only
//! if every value is one, a timestamp only if every row has one that parses, a tag only if
//! every value can be written as a tag value. Null-like text (`n/a`, `-`, `NULL`) and a few
//! odd values (at most one in ten) do not decide: a numeric column with them is still a
//! field, read in the number format that reads most of its values (`number_format` for
//! decimal commas and digit groups: top-level when one format reads every numeric field),
//! the texts that are no number in any format in `null_values` and quoted in its comment;
//! numbers in another format are never read as empty (their rows are rejected, and the
//! comment says so). A time column with a few values of a second format gets a format list.

mod column_stats;
mod dialect;
mod draft;
mod names;
mod numbers;
#[cfg(test)]
mod tests;
mod timestamp;
mod toml_text;

pub use dialect::{looks_like_header, sniff_csv, CsvGuess};
pub use draft::infer;
pub use names::measurement_from_stem;
pub use toml_text::{toml_key, toml_string};

use crate::time::Zone;

/// What a sampled cell was in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// CSV text or a JSON string.
    Text,
    /// A JSON number (the text as written).
    Number,
    /// A JSON `true` / `false`.
    Bool,
}

/// One sampled column: a CSV column or an NDJSON value at a path.
#[derive(Debug, Clone)]
pub struct Column {
    /// The CSV header name, or the NDJSON top-level key / the path's last token.
    pub name: String,
    /// For nested NDJSON values, the JSON Pointer (`/a/b`); `None` for CSV columns and
    /// top-level keys.
    pub path: Option<String>,
    /// One entry per sampled row: `None` when missing (or JSON null), else the kind and text.
    pub cells: Vec<Option<(Kind, String)>>,
    /// Rows in which the NDJSON value is an object or an array (a few records): the column
    /// is then drafted as a string field, which writes their JSON text.
    pub shaped: usize,
}

/// The sampled records, column by column.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The columns, in input order.
    pub columns: Vec<Column>,
    /// Number of sampled rows.
    pub rows: usize,
    /// Paths left out, with the reason (arrays, values that are objects in some rows).
    pub left_out: Vec<(String, String)>,
    /// NDJSON arrays of objects read with `*` paths, outermost first: then each row is one
    /// element (one line of the conversion), and `records` counts the sampled records.
    pub iterations: Vec<Iteration>,
    /// Number of sampled records, when `iterations` makes rows of their elements.
    pub records: usize,
    /// What the sample showed that the draft should say: records that did not parse, paths
    /// whose shape differs in a few records.
    pub notes: Vec<String>,
}

/// An NDJSON array of objects that the draft iterates (`/readings` read as `/readings/*/...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iteration {
    /// The array's JSON Pointer, with `*` for the arrays it is in (`/sensors/*/readings`).
    pub path: String,
    /// Elements it has in the sample.
    pub elements: usize,
}

/// Facts about the input that the draft states.
#[derive(Debug, Clone)]
pub struct Options {
    /// The measurement (a constant: the file stem).
    pub measurement: String,
    /// `"csv"` or `"ndjson"`.
    pub format: crate::Format,
    /// Write `format = ...` (the file name does not imply it).
    pub write_format: bool,
    /// The input's name, for the header comment.
    pub input_name: String,
    /// The CSV dialect (CSV only).
    pub csv: Option<CsvGuess>,
    /// The default delimiter of the file name (`\t` for `.tsv`).
    pub default_delimiter: u8,
    /// The sample was cut at the sample size (the file has more records).
    pub truncated: bool,
}

fn utc() -> Zone {
    Zone::Fixed(chrono::FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!()))
}
