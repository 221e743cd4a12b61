//! The TOML as serde reads it, and [`Schema::from_toml`] that checks it into a [`Schema`].

use super::check::{check_fixed_key_length, constant_text};
use super::iter::check_iterations;
use super::sources::{number_format, regex, template_parts};
use super::tables::{csv_spec, field_specs, tag_specs, timestamp_spec};
use super::*;
use crate::annotated::ANNOTATED_CSV;
use crate::SchemaError;
use lpconvert_lp::Precision;
use serde::Deserialize;
use toml::{Table, Value};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSchema {
    pub(super) format: Option<String>,
    pub(super) encoding: Option<String>,
    pub(super) measurement: Option<Value>,
    pub(super) precision: Option<String>,
    pub(super) sort_tags: Option<bool>,
    pub(super) on_error: Option<String>,
    pub(super) null_values: Option<Vec<String>>,
    pub(super) string_newlines: Option<String>,
    pub(super) number_format: Option<Value>,
    pub(super) timestamp: Option<RawTimestamp>,
    pub(super) tags: Option<Value>,
    pub(super) fields: Option<Table>,
    pub(super) csv: Option<RawCsv>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTimestamp {
    pub(super) column: Option<Value>,
    pub(super) path: Option<String>,
    pub(super) key_of: Option<String>,
    pub(super) value: Option<Value>,
    pub(super) template: Option<String>,
    pub(super) file: Option<String>,
    pub(super) regex: Option<String>,
    pub(super) default: Option<Value>,
    pub(super) required: Option<bool>,
    pub(super) format: Option<Value>,
    pub(super) timezone: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCsv {
    pub(super) delimiter: Option<String>,
    pub(super) quote: Option<String>,
    pub(super) escape: Option<String>,
    pub(super) comment: Option<String>,
    pub(super) header: Option<bool>,
    pub(super) columns: Option<Vec<String>>,
    pub(super) skip_rows: Option<usize>,
    pub(super) trim: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub(super) column: Option<String>,
    pub(super) path: Option<String>,
    pub(super) value: Option<Value>,
    pub(super) default: Option<Value>,
    #[serde(rename = "type")]
    pub(super) ftype: Option<String>,
    pub(super) true_values: Option<Vec<String>>,
    pub(super) false_values: Option<Vec<String>>,
    pub(super) key_of: Option<String>,
    pub(super) template: Option<String>,
    pub(super) file: Option<String>,
    pub(super) regex: Option<String>,
    pub(super) from_float: Option<String>,
    pub(super) number_format: Option<Value>,
    pub(super) float_format: Option<String>,
    pub(super) exclude: Option<Vec<String>>,
    pub(super) types: Option<Table>,
}

pub(super) fn err(key: &str, msg: impl std::fmt::Display) -> SchemaError {
    SchemaError::Key {
        key: key.to_string(),
        message: msg.to_string(),
    }
}

/// A TOML scalar as the text a cell would hold.
pub(super) fn scalar_text(key: &str, v: &Value) -> Result<String, SchemaError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Integer(i) => Ok(i.to_string()),
        Value::Float(f) => Ok(f.to_string()),
        Value::Boolean(b) => Ok(b.to_string()),
        _ => Err(err(key, "must be a string, number or boolean")),
    }
}

pub(super) fn one_byte(key: &str, s: &str) -> Result<u8, SchemaError> {
    match s.as_bytes() {
        [b] if b.is_ascii() => Ok(*b),
        _ => Err(err(
            key,
            format!("must be a single ASCII character, found {s:?} (write a tab as \"\\t\")"),
        )),
    }
}

/// The sources an entry may name, for messages.
const SOURCES: &str = "`column`, `path`, `value`, `template`, `file` and `key_of`";

/// Reads `column`/`path`/`value`/`template`/`file`/`key_of` of an entry; `None` when none
/// is given.
pub(super) fn source_of(key: &str, raw: &RawSource) -> Result<Option<Source>, SchemaError> {
    let given = [
        raw.column.is_some(),
        raw.path.is_some(),
        raw.value.is_some(),
        raw.key_of.is_some(),
        raw.template.is_some(),
        raw.file.is_some(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(err(key, format!("give only one of {SOURCES}")));
    }
    Ok(if let Some(k) = &raw.key_of {
        Some(Source::KeyOf(k.clone()))
    } else if let Some(c) = &raw.column {
        Some(Source::Column(c.clone()))
    } else if let Some(p) = &raw.path {
        Some(Source::Path(p.clone()))
    } else if let Some(v) = &raw.value {
        Some(Source::Value(scalar_text(&format!("{key}.value"), v)?))
    } else if let Some(t) = &raw.template {
        Some(template_source(key, t)?)
    } else if let Some(f) = &raw.file {
        Some(file_source(key, f)?)
    } else {
        None
    })
}

/// A `template` source, its syntax checked.
pub(super) fn template_source(key: &str, t: &str) -> Result<Source, SchemaError> {
    template_parts(t).map_err(|m| err(&format!("{key}.template"), m))?;
    Ok(Source::Template(t.to_string()))
}

/// A `file` source.
pub(super) fn file_source(key: &str, f: &str) -> Result<Source, SchemaError> {
    FilePart::parse(f).map(Source::File).ok_or_else(|| {
        err(
            &format!("{key}.file"),
            format!("unknown part `{f}`: use \"path\", \"name\", \"stem\" or \"dir\""),
        )
    })
}

/// The `regex` of an entry, compiled.
pub(super) fn entry_regex(
    key: &str,
    raw: &RawSource,
) -> Result<Option<regex::bytes::Regex>, SchemaError> {
    regex(key, raw.regex.as_deref())
}

/// Refuses `from_float`, `number_format` and `float_format` where no field reads numbers.
pub(super) fn refuse_number_keys(
    key: &str,
    raw: &RawSource,
    what: &str,
) -> Result<(), SchemaError> {
    if raw.from_float.is_some() || raw.number_format.is_some() {
        return Err(err(
            key,
            format!("`from_float` and `number_format` apply to number fields, not to {what}"),
        ));
    }
    if raw.float_format.is_some() {
        return Err(err(
            key,
            format!("`float_format` applies to float fields, not to {what}"),
        ));
    }
    Ok(())
}

pub(super) fn raw_source(key: &str, v: Value) -> Result<RawSource, SchemaError> {
    RawSource::deserialize(v).map_err(|e| err(key, e.message()))
}

impl Schema {
    /// Parses and checks a schema from TOML text. Errors name the key and the fix.
    pub fn from_toml(text: &str) -> Result<Schema, SchemaError> {
        let raw: RawSchema = toml::from_str(text).map_err(|e| SchemaError::Toml(e.to_string()))?;
        let format = match raw.format.as_deref() {
            None => None,
            Some(ANNOTATED_CSV) => Some(Format::Csv),
            Some(f) => Some(Format::parse(f).ok_or_else(|| {
                err(
                    "format",
                    format!(
                        "unknown format `{f}`: use \"csv\" or \"ndjson\" (or \"{ANNOTATED_CSV}\" for \
                         the files of influx write)"
                    ),
                )
            })?),
        };
        let encoding = match raw.encoding.as_deref() {
            None => crate::TextEncoding::default(),
            Some(e) => crate::TextEncoding::parse(e).ok_or_else(|| {
                err(
                    "encoding",
                    format!(
                        "unknown encoding `{e}`: use one of {}",
                        crate::TextEncoding::NAMES
                            .map(|n| format!("\"{n}\""))
                            .join(", ")
                    ),
                )
            })?,
        };
        let annotated = raw.format.as_deref() == Some(ANNOTATED_CSV);
        if annotated {
            let given = [
                ("measurement", raw.measurement.is_some()),
                ("timestamp", raw.timestamp.is_some()),
                ("tags", raw.tags.is_some()),
                ("fields", raw.fields.is_some()),
            ];
            let csv = raw.csv.as_ref();
            let layout = [
                ("csv.header", csv.is_some_and(|c| c.header.is_some())),
                ("csv.columns", csv.is_some_and(|c| c.columns.is_some())),
                ("csv.skip_rows", csv.is_some_and(|c| c.skip_rows.is_some())),
                ("csv.comment", csv.is_some_and(|c| c.comment.is_some())),
            ];
            if let Some((key, _)) = given.iter().chain(&layout).find(|(_, g)| *g) {
                return Err(err(
                    key,
                    format!(
                        "is not allowed with format = \"{ANNOTATED_CSV}\": the annotation rows \
                         and header declare the measurement, tags, fields, timestamp and \
                         column names (remove it, or use format = \"csv\")"
                    ),
                ));
            }
        }
        let mut measurement_default = None;
        let mut measurement_regex = None;
        let measurement = match raw.measurement {
            None if annotated => Source::Value(String::new()),
            None => {
                return Err(err(
                    "measurement",
                    "is required: add e.g. measurement = \"home\"",
                ))
            }
            Some(Value::String(s)) => Source::Value(s),
            Some(v @ Value::Table(_)) => {
                let rs = raw_source("measurement", v)?;
                if rs.ftype.is_some()
                    || rs.true_values.is_some()
                    || rs.false_values.is_some()
                    || rs.exclude.is_some()
                    || rs.types.is_some()
                {
                    return Err(err(
                        "measurement",
                        format!("takes only a source ({SOURCES}), `default` and `regex`"),
                    ));
                }
                refuse_number_keys("measurement", &rs, "the measurement")?;
                measurement_regex = entry_regex("measurement", &rs)?;
                measurement_default = rs
                    .default
                    .as_ref()
                    .map(|d| scalar_text("measurement.default", d))
                    .transpose()?
                    .filter(|d| !d.is_empty());
                if let Some(d) = &measurement_default {
                    lpconvert_lp::escape::check_measurement(d.as_bytes())
                        .map_err(|e| err("measurement.default", e))?;
                }
                source_of("measurement", &rs)?
                    .ok_or_else(|| err("measurement", format!("give one of {SOURCES}")))?
            }
            Some(_) => {
                return Err(err(
                    "measurement",
                    "must be a string or a table like { column = \"name\" }",
                ))
            }
        };
        let null_values = raw.null_values.unwrap_or_else(|| vec![String::new()]);
        if let (Source::Value(m), None, false) = (&measurement, &measurement_regex, annotated) {
            // As the plan reads it: the default stands in for an empty or null value.
            let text = match &measurement_default {
                Some(d) => constant_text(m, Some(d), &null_values).unwrap_or(""),
                None => m,
            };
            lpconvert_lp::escape::check_measurement(text.as_bytes())
                .map_err(|e| err("measurement", e))?;
        }
        let precision = match raw.precision.as_deref() {
            None => Precision::Ns,
            Some(p) => Precision::parse(p).ok_or_else(|| {
                err(
                    "precision",
                    format!("unknown precision `{p}`: use \"ns\", \"us\", \"ms\" or \"s\""),
                )
            })?,
        };
        let on_error = match raw.on_error.as_deref() {
            None => OnError::Fail,
            Some(s) => OnError::parse(s).ok_or_else(|| {
                err(
                    "on_error",
                    format!("unknown value `{s}`: use \"fail\" or \"skip\""),
                )
            })?,
        };
        let escape_string_newlines = match raw.string_newlines.as_deref() {
            None | Some("reject") => false,
            Some("escape") => true,
            Some(s) => {
                return Err(err(
                    "string_newlines",
                    format!("unknown value `{s}`: use \"reject\" or \"escape\""),
                ))
            }
        };
        let timestamp = raw
            .timestamp
            .map(|t| timestamp_spec(t, &null_values))
            .transpose()?;
        let tags = tag_specs(raw.tags, &null_values)?;
        let numbers = raw
            .number_format
            .map(|n| number_format("number_format", n))
            .transpose()?;
        let fields = field_specs(
            raw.fields,
            escape_string_newlines,
            numbers.as_ref(),
            &null_values,
        )?;
        if fields.is_empty() && !annotated {
            return Err(err(
                "fields",
                "at least one field is required, e.g. [fields] value = \"float\"",
            ));
        }
        for t in &tags {
            if fields.iter().any(|f| f.key == t.key) {
                return Err(err(&format!("tags.{}", t.key), "is declared in both [tags] and [fields]; tags and fields share one key space: rename one of them"));
            }
        }
        check_fixed_key_length(&measurement, &tags, &fields)?;
        check_iterations(&measurement, timestamp.as_ref(), &tags, &fields)?;
        let csv = raw.csv.map(csv_spec).transpose()?.unwrap_or_default();
        Ok(Schema {
            target: None,
            format,
            measurement,
            measurement_default,
            measurement_regex,
            precision,
            sort_tags: raw.sort_tags.unwrap_or(true),
            on_error,
            null_values,
            escape_string_newlines,
            timestamp,
            tags,
            fields,
            csv,
            encoding,
            annotated,
        })
    }
}
