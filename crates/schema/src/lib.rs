//! The lpconvert schema file (SCHEMA.md): parsing and checking the TOML, timestamp formats,
//! and compiling a schema against an input's columns into a [`Plan`].

pub mod infer;
pub mod plan;
pub mod spec;
pub mod time;

pub use plan::{FieldPlan, Input, MeasurementPlan, Plan, TagPlan, TimestampPlan};
pub use spec::{CsvSpec, FieldType, Format, OnError, Schema, Source};
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

/// Reads and checks a schema file.
pub fn load(path: &Path) -> Result<Schema, SchemaError> {
    let text = std::fs::read_to_string(path)?;
    Schema::from_toml(&text)
}
