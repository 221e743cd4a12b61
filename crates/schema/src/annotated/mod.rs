//! Annotated CSV (`influx write --format csv`, influx-cli `pkg/csv2lp`): the annotation rows
//! and header of one table compiled into the TOML a schema file would hold (so `infer` can
//! print it), then checked and planned like any schema: one mapper for both.
//!
//! `columns` reads the annotations as csv2lp does, `layout` translates Go time layouts,
//! `emit` writes the schema's keys.

mod columns;
mod emit;
mod layout;
#[cfg(test)]
mod tests;

pub use columns::Annotation;
pub use layout::{go_layout_to_strftime, time_format};

use crate::{Schema, SchemaError};

/// The `format` value of annotated CSV.
pub const ANNOTATED_CSV: &str = "annotated-csv";

/// The preamble of one table of an annotated CSV file, as cells.
#[derive(Debug, Clone, Default)]
pub struct TablePreamble {
    /// The delimiter a first line `sep=X` sets, if any.
    pub sep: Option<u8>,
    /// The annotation rows (first cell starting with `#`), in file order.
    pub annotations: Vec<Vec<String>>,
    /// The header row.
    pub header: Vec<String>,
    /// Physical lines before the header (the `sep=` line, annotation and comment rows):
    /// the schema's `[csv] skip_rows`.
    pub lines_before_header: usize,
}

/// The schema (as TOML) that converts the table of `preamble` as csv2lp would; the error
/// names the annotation or column (a data type csv2lp does not know, no measurement).
pub fn compile(preamble: &TablePreamble) -> Result<toml::Table, SchemaError> {
    let table = columns::Table::read(&preamble.annotations, &preamble.header);
    emit::schema_table(&table, preamble)
}

/// A compiled table as schema text: top-level keys, then `[timestamp]`, `[tags]`, `[fields]`
/// and `[csv]` sections, each entry of tags and fields on one line as an inline table.
pub fn to_text(schema: &toml::Table) -> String {
    use std::fmt::Write;
    let key = |k: &str| {
        let bare = !k.is_empty()
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if bare {
            k.to_string()
        } else {
            toml::Value::String(k.to_string()).to_string()
        }
    };
    let mut out = String::new();
    let mut sections = String::new();
    for (k, v) in schema {
        match v {
            toml::Value::Table(t)
                if ["timestamp", "tags", "fields", "csv"].contains(&k.as_str()) =>
            {
                let _ = writeln!(sections, "\n[{}]", key(k));
                for (ek, ev) in t {
                    let _ = writeln!(sections, "{} = {ev}", key(ek));
                }
            }
            v => {
                let _ = writeln!(out, "{} = {v}", key(k));
            }
        }
    }
    out + &sections
}

/// The schema for one table: the compiled annotations checked as a schema file is, with
/// what `base` (the `--schema` given with annotated input, and the command line's
/// overrides) says about precision, errors, strings, dialect and encoding.
pub fn table_schema(preamble: &TablePreamble, base: &Schema) -> Result<Schema, SchemaError> {
    let mut s = Schema::from_toml(&to_text(&compile(preamble)?))?;
    s.format = Some(crate::Format::Csv);
    s.precision = base.precision;
    s.sort_tags = base.sort_tags;
    s.on_error = base.on_error;
    s.null_values.clone_from(&base.null_values);
    s.escape_string_newlines = base.escape_string_newlines;
    s.target = base.target;
    s.encoding = base.encoding;
    s.csv.quote = base.csv.quote;
    s.csv.escape = base.csv.escape;
    s.csv.trim = base.csv.trim;
    if s.csv.delimiter.is_none() {
        s.csv.delimiter = base.csv.delimiter;
    }
    Ok(s)
}
