//! The lpconvert schema file (SCHEMA.md): parsing and checking the TOML, timestamp formats,
//! and compiling a schema against an input's columns into a [`Plan`].

#![warn(missing_docs)]

pub mod annotated;
mod encoding;
pub mod infer;
pub mod multi;
pub mod number;
pub mod plan;
pub mod rule;
pub mod spec;
pub mod time;

pub use encoding::TextEncoding;
pub use multi::MultiPlan;
pub use plan::{FieldPlan, Input, MeasurementPlan, Plan, TagPlan, TimestampPlan};
pub use spec::{CsvSpec, FieldType, Format, KeyKind, OnError, Schema, Source};
pub use time::{TimeError, TimeFormat, TimeParser, Zone};

use std::path::Path;

/// A schema that cannot be used; the message names the key and what would fix it.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The file cannot be read.
    #[error("cannot read the schema: {0}")]
    Io(#[from] std::io::Error),
    /// The TOML does not parse (or has an unknown or duplicate key).
    #[error("{0}")]
    Toml(String),
    /// A key has a bad value.
    #[error("`{key}` {message}")]
    Key {
        /// The dotted key, e.g. `fields.temp`.
        key: String,
        /// What is wrong and how to fix it.
        message: String,
    },
}

/// Largest schema file read: a schema is a few KiB of TOML.
pub const MAX_SCHEMA_BYTES: u64 = 4 << 20;

/// Reads a schema file's text, at most [`MAX_SCHEMA_BYTES`] (a longer file, such as a data
/// file or `/dev/zero` given by mistake, is refused without reading it all).
pub fn read_text(path: &Path) -> Result<String, SchemaError> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_SCHEMA_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SCHEMA_BYTES {
        return Err(SchemaError::Toml(format!(
            "{} is longer than {} MiB, too long for a schema: check the --schema path \
             (a schema is a short TOML file)",
            path.display(),
            MAX_SCHEMA_BYTES >> 20
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        SchemaError::Toml(format!(
            "{} is not UTF-8 text (invalid byte at offset {}): save the schema as UTF-8",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Reads and checks a schema file.
pub fn load(path: &Path) -> Result<Schema, SchemaError> {
    Schema::from_toml(&read_text(path)?)
}
