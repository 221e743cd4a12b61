//! The schema file as the user wrote it, checked: every key known, every value valid.

use crate::time::{TimeFormat, TimeParser, Zone};
use crate::SchemaError;
use lpconvert_lp::Precision;
use serde::Deserialize;
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
            _ => return None,
        })
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
}

/// The `[timestamp]` table.
#[derive(Debug, Clone)]
pub struct TimestampSpec {
    /// The source (`Columns` for a list of columns).
    pub source: Source,
    /// Format and zone.
    pub parser: TimeParser,
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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchema {
    format: Option<String>,
    measurement: Option<Value>,
    precision: Option<String>,
    sort_tags: Option<bool>,
    on_error: Option<String>,
    null_values: Option<Vec<String>>,
    string_newlines: Option<String>,
    timestamp: Option<RawTimestamp>,
    tags: Option<Value>,
    fields: Option<Table>,
    csv: Option<RawCsv>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimestamp {
    column: Option<Value>,
    path: Option<String>,
    format: Option<String>,
    timezone: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCsv {
    delimiter: Option<String>,
    quote: Option<String>,
    escape: Option<String>,
    comment: Option<String>,
    header: Option<bool>,
    columns: Option<Vec<String>>,
    skip_rows: Option<usize>,
    trim: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    column: Option<String>,
    path: Option<String>,
    value: Option<Value>,
    default: Option<Value>,
    #[serde(rename = "type")]
    ftype: Option<String>,
    true_values: Option<Vec<String>>,
    false_values: Option<Vec<String>>,
}

fn err(key: &str, msg: impl std::fmt::Display) -> SchemaError {
    SchemaError::Key {
        key: key.to_string(),
        message: msg.to_string(),
    }
}

/// A TOML scalar as the text a cell would hold.
fn scalar_text(key: &str, v: &Value) -> Result<String, SchemaError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Integer(i) => Ok(i.to_string()),
        Value::Float(f) => Ok(f.to_string()),
        Value::Boolean(b) => Ok(b.to_string()),
        _ => Err(err(key, "must be a string, number or boolean")),
    }
}

fn one_byte(key: &str, s: &str) -> Result<u8, SchemaError> {
    match s.as_bytes() {
        [b] if b.is_ascii() => Ok(*b),
        _ => Err(err(
            key,
            format!("must be a single ASCII character, found {s:?} (write a tab as \"\\t\")"),
        )),
    }
}

/// Reads `column`/`path`/`value` of an entry; `None` when none is given.
fn source_of(key: &str, raw: &RawSource) -> Result<Option<Source>, SchemaError> {
    let given = [
        raw.column.is_some(),
        raw.path.is_some(),
        raw.value.is_some(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(err(key, "give only one of `column`, `path` and `value`"));
    }
    Ok(if let Some(c) = &raw.column {
        Some(Source::Column(c.clone()))
    } else if let Some(p) = &raw.path {
        Some(Source::Path(p.clone()))
    } else if let Some(v) = &raw.value {
        Some(Source::Value(scalar_text(&format!("{key}.value"), v)?))
    } else {
        None
    })
}

fn raw_source(key: &str, v: Value) -> Result<RawSource, SchemaError> {
    RawSource::deserialize(v).map_err(|e| err(key, e.message()))
}

impl Schema {
    /// Parses and checks a schema from TOML text. Errors name the key and the fix.
    pub fn from_toml(text: &str) -> Result<Schema, SchemaError> {
        let raw: RawSchema = toml::from_str(text).map_err(|e| SchemaError::Toml(e.to_string()))?;
        let format = match raw.format.as_deref() {
            None => None,
            Some(f) => Some(Format::parse(f).ok_or_else(|| {
                err(
                    "format",
                    format!("unknown format `{f}`: use \"csv\" or \"ndjson\""),
                )
            })?),
        };
        let measurement = match raw.measurement {
            None => {
                return Err(err(
                    "measurement",
                    "is required: add e.g. measurement = \"home\"",
                ))
            }
            Some(Value::String(s)) => Source::Value(s),
            Some(v @ Value::Table(_)) => {
                let rs = raw_source("measurement", v)?;
                if rs.default.is_some()
                    || rs.ftype.is_some()
                    || rs.true_values.is_some()
                    || rs.false_values.is_some()
                {
                    return Err(err("measurement", "takes only `column`, `path` or `value`"));
                }
                source_of("measurement", &rs)?
                    .ok_or_else(|| err("measurement", "give `column`, `path` or `value`"))?
            }
            Some(_) => {
                return Err(err(
                    "measurement",
                    "must be a string or a table like { column = \"name\" }",
                ))
            }
        };
        if let Source::Value(m) = &measurement {
            lpconvert_lp::escape::check_measurement(m.as_bytes())
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
        let timestamp = raw.timestamp.map(timestamp_spec).transpose()?;
        let tags = tag_specs(raw.tags)?;
        let fields = field_specs(raw.fields, escape_string_newlines)?;
        if fields.is_empty() {
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
        let csv = raw.csv.map(csv_spec).transpose()?.unwrap_or_default();
        Ok(Schema {
            format,
            measurement,
            precision,
            sort_tags: raw.sort_tags.unwrap_or(true),
            on_error,
            null_values: raw.null_values.unwrap_or_else(|| vec![String::new()]),
            escape_string_newlines,
            timestamp,
            tags,
            fields,
            csv,
        })
    }
}

fn timestamp_spec(raw: RawTimestamp) -> Result<TimestampSpec, SchemaError> {
    let source = match (raw.column, raw.path) {
        (Some(_), Some(_)) => return Err(err("timestamp", "give only one of `column` and `path`")),
        (Some(Value::String(c)), None) => Source::Column(c),
        (Some(Value::Array(a)), None) => {
            let cols = a
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| err("timestamp.column", "must be a column name or a list of column names"))?;
            Source::Columns(cols)
        }
        (Some(_), None) => return Err(err("timestamp.column", "must be a column name or a list of column names")),
        (None, Some(p)) => Source::Path(p),
        (None, None) => return Err(err("timestamp", "give `column` (or `path` for NDJSON); remove [timestamp] to let the server assign the time")),
    };
    let format = TimeFormat::parse(raw.format.as_deref().unwrap_or("rfc3339"))
        .map_err(|e| err("timestamp.format", e))?;
    let zone = Zone::parse(raw.timezone.as_deref().unwrap_or("UTC"))
        .map_err(|e| err("timestamp.timezone", e))?;
    Ok(TimestampSpec {
        source,
        parser: TimeParser { format, zone },
    })
}

fn tag_specs(raw: Option<Value>) -> Result<Vec<TagSpec>, SchemaError> {
    let mut out = Vec::new();
    match raw {
        None => {}
        Some(Value::Array(a)) => {
            for v in a {
                let name = v
                    .as_str()
                    .ok_or_else(|| err("tags", "a list of tags must hold column names"))?;
                if out.iter().any(|t: &TagSpec| t.key == name) {
                    return Err(err("tags", format!("`{name}` is listed twice")));
                }
                out.push(TagSpec {
                    key: name.to_string(),
                    source: Source::Column(name.to_string()),
                    default: None,
                });
            }
        }
        Some(Value::Table(t)) => {
            for (key, v) in t {
                let path = format!("tags.{key}");
                let spec = match v {
                    Value::String(col) => TagSpec { key: key.clone(), source: Source::Column(col), default: None },
                    v @ Value::Table(_) => {
                        let rs = raw_source(&path, v)?;
                        if rs.ftype.is_some() || rs.true_values.is_some() || rs.false_values.is_some() {
                            return Err(err(&path, "a tag takes only `column`, `path`, `value` and `default`"));
                        }
                        let default = rs.default.as_ref().map(|d| scalar_text(&format!("{path}.default"), d)).transpose()?;
                        let source = source_of(&path, &rs)?.unwrap_or_else(|| Source::Column(key.clone()));
                        TagSpec { key: key.clone(), source, default }
                    }
                    _ => return Err(err(&path, "must be a column name or a table like { column = \"name\", default = \"x\" }")),
                };
                out.push(spec);
            }
        }
        Some(_) => return Err(err("tags", "must be a table or a list of column names")),
    }
    for t in &mut out {
        let path = format!("tags.{}", t.key);
        lpconvert_lp::escape::check_name(t.key.as_bytes())
            .map_err(|e| err(&path, format!("the key {e}")))?;
        refuse_time_key(&path, "tag", &t.key)?;
        if let Source::Value(v) = &t.source {
            lpconvert_lp::escape::check_name(v.as_bytes())
                .map_err(|e| err(&path, format!("the value {e}")))?;
        }
        // An empty default omits the tag, like an empty cell (SCHEMA.md).
        t.default = t.default.take().filter(|d| !d.is_empty());
        if let Some(d) = &t.default {
            lpconvert_lp::escape::check_name(d.as_bytes())
                .map_err(|e| err(&format!("{path}.default"), format!("{d:?} {e}")))?;
        }
    }
    Ok(out)
}

fn field_specs(raw: Option<Table>, escape_newlines: bool) -> Result<Vec<FieldSpec>, SchemaError> {
    let mut out = Vec::new();
    for (key, v) in raw.unwrap_or_default() {
        let path = format!("fields.{key}");
        let type_err = |t: &str| {
            err(&path, format!("unknown type `{t}`: use \"float\", \"integer\", \"unsigned\", \"boolean\" or \"string\""))
        };
        let mut spec = match v {
            Value::String(t) => FieldSpec {
                key: key.clone(),
                source: Source::Column(key.clone()),
                ftype: FieldType::parse(&t).ok_or_else(|| type_err(&t))?,
                default: None,
                true_values: Vec::new(),
                false_values: Vec::new(),
            },
            v @ Value::Table(_) => {
                let rs = raw_source(&path, v)?;
                let ftype = match rs.ftype.as_deref() {
                    None => FieldType::Float,
                    Some(t) => FieldType::parse(t).ok_or_else(|| type_err(t))?,
                };
                if ftype != FieldType::Boolean && (rs.true_values.is_some() || rs.false_values.is_some()) {
                    return Err(err(&path, "`true_values`/`false_values` apply only to type = \"boolean\""));
                }
                let default = rs.default.as_ref().map(|d| scalar_text(&format!("{path}.default"), d)).transpose()?;
                let source = source_of(&path, &rs)?.unwrap_or_else(|| Source::Column(key.clone()));
                FieldSpec {
                    key: key.clone(),
                    source,
                    ftype,
                    default,
                    true_values: rs.true_values.unwrap_or_default(),
                    false_values: rs.false_values.unwrap_or_default(),
                }
            }
            _ => return Err(err(&path, "must be a type name such as \"float\" or a table like { column = \"c\", type = \"integer\" }")),
        };
        lpconvert_lp::escape::check_name(spec.key.as_bytes())
            .map_err(|e| err(&path, format!("the key {e}")))?;
        refuse_time_key(&path, "field", &spec.key)?;
        // An empty default omits the field, like an empty cell (SCHEMA.md).
        spec.default = spec.default.filter(|d| !d.is_empty());
        check_booleans(&path, &spec)?;
        if let Some(d) = &spec.default {
            check_value(&spec, d, escape_newlines)
                .map_err(|e| err(&format!("{path}.default"), e))?;
        }
        if let Source::Value(v) = &spec.source {
            if v.is_empty() {
                return Err(err(
                    &format!("{path}.value"),
                    "is empty, so the field would never be written: give a value or remove the field",
                ));
            }
            check_value(&spec, v, escape_newlines).map_err(|e| err(&format!("{path}.value"), e))?;
        }
        out.push(spec);
    }
    Ok(out)
}

/// The part of the storage key the schema fixes (a constant measurement, or at least one
/// byte read; constant tags; `#!~#`; the field key, all escaped as written) over
/// [`MAX_KEY_LEN`](lpconvert_lp::parse::MAX_KEY_LEN): no row could ever write that field,
/// so it is a schema error rather than one row error per row.
fn check_fixed_key_length(
    measurement: &Source,
    tags: &[TagSpec],
    fields: &[FieldSpec],
) -> Result<(), SchemaError> {
    use lpconvert_lp::parse::{FIELD_KEY_SEPARATOR_LEN, MAX_KEY_LEN};
    let escaped = |f: fn(&mut Vec<u8>, &[u8]), s: &str| {
        let mut v = Vec::new();
        f(&mut v, s.as_bytes());
        v.len()
    };
    let (mut series, what) = match measurement {
        Source::Value(m) => (
            escaped(lpconvert_lp::write_measurement, m),
            "the measurement",
        ),
        _ => (1, "a one-byte measurement"),
    };
    let mut constant_tags = 0usize;
    for t in tags {
        if let Source::Value(v) = &t.source {
            series +=
                2 + escaped(lpconvert_lp::write_key, &t.key) + escaped(lpconvert_lp::write_key, v);
            constant_tags += 1;
        }
    }
    for f in fields {
        let key = escaped(lpconvert_lp::write_key, &f.key);
        let total = series + FIELD_KEY_SEPARATOR_LEN + key;
        if total > MAX_KEY_LEN {
            let tags = if constant_tags > 0 {
                format!(" and {constant_tags} constant tag(s)")
            } else {
                String::new()
            };
            return Err(err(
                &format!("fields.{}", f.key),
                format!(
                    "makes every storage key at least {total} bytes ({what}{tags}: {series} bytes,                      `#!~#`, the field key: {key} bytes, escapes counted), over the {MAX_KEY_LEN}                      bytes InfluxDB 1.x/2.x accept (\"max key length exceeded\"): no row could be                      written; shorten the key"
                ),
            ));
        }
    }
    Ok(())
}

/// `time` as a tag or field key: InfluxDB 1.x refuses the point (LINE-PROTOCOL.md).
fn refuse_time_key(path: &str, what: &str, key: &str) -> Result<(), SchemaError> {
    if key == "time" {
        return Err(err(
            path,
            format!("a {what} key named `time` is refused by InfluxDB 1.x (`time` is the timestamp in queries): rename it, e.g. `{what}_time`"),
        ));
    }
    Ok(())
}

/// The true and false texts a boolean field reads (the defaults for a list not given).
pub(crate) fn boolean_lists(f: &FieldSpec) -> (Vec<String>, Vec<String>) {
    let list = |given: &[String], default: &[&str]| -> Vec<String> {
        if given.is_empty() {
            default.iter().map(|s| s.to_string()).collect()
        } else {
            given.iter().map(|s| s.to_ascii_lowercase()).collect()
        }
    };
    (
        list(&f.true_values, &DEFAULT_TRUE),
        list(&f.false_values, &DEFAULT_FALSE),
    )
}

/// Texts a boolean field reads as true when `true_values` is not given.
pub(crate) const DEFAULT_TRUE: [&str; 5] = ["true", "t", "yes", "y", "1"];
/// Texts a boolean field reads as false when `false_values` is not given.
pub(crate) const DEFAULT_FALSE: [&str; 5] = ["false", "f", "no", "n", "0"];

/// A text in both the true and the false list (ignoring ASCII case) is a schema error.
fn check_booleans(path: &str, f: &FieldSpec) -> Result<(), SchemaError> {
    if f.ftype != FieldType::Boolean {
        return Ok(());
    }
    let (t, fl) = boolean_lists(f);
    let Some(both) = t.iter().find(|v| fl.contains(v)) else {
        return Ok(());
    };
    let shown = f
        .true_values
        .iter()
        .chain(&f.false_values)
        .find(|v| v.eq_ignore_ascii_case(both))
        .unwrap_or(both);
    let lists = match (f.true_values.is_empty(), f.false_values.is_empty()) {
        (false, false) => "both true_values and false_values".to_string(),
        (true, _) => "false_values and in the default true_values (true, t, yes, y, 1)".to_string(),
        (_, true) => "true_values and in the default false_values (false, f, no, n, 0)".to_string(),
    };
    Err(err(
        path,
        format!("`{shown}` is in {lists} (compared ignoring ASCII case): remove it from one list, or give both lists"),
    ))
}

/// Checks a constant or default text against the field's type, as the mapper would read it.
fn check_value(f: &FieldSpec, text: &str, escape_newlines: bool) -> Result<(), String> {
    use lpconvert_lp::value::{float_form, integer_text, write_unsigned};
    let b = text.as_bytes();
    let r = match f.ftype {
        FieldType::Float => float_form(b).map(|_| ()),
        FieldType::Integer => integer_text(b).map(|_| ()),
        FieldType::Unsigned => write_unsigned(&mut Vec::new(), b),
        FieldType::Boolean => {
            let (t, fl) = boolean_lists(f);
            let lower = text.to_ascii_lowercase();
            if t.contains(&lower) || fl.contains(&lower) {
                Ok(())
            } else {
                Err(lpconvert_lp::ValueError::NotBoolean)
            }
        }
        FieldType::String => {
            let mut out = Vec::new();
            if !escape_newlines && text.contains(['\n', '\r']) {
                Err(lpconvert_lp::ValueError::StringNewline)
            } else {
                lpconvert_lp::write_string_value(&mut out, b, escape_newlines);
                if out.len() - 2 > lpconvert_lp::parse::MAX_STRING_LEN {
                    Err(lpconvert_lp::ValueError::StringTooLong)
                } else {
                    Ok(())
                }
            }
        }
    };
    r.map_err(|e| format!("{text:?} {e} (type = \"{}\")", f.ftype.as_str()))
}

fn csv_spec(raw: RawCsv) -> Result<CsvSpec, SchemaError> {
    let byte = |key: &str, v: Option<String>| v.map(|s| one_byte(key, &s)).transpose();
    let spec = CsvSpec {
        delimiter: byte("csv.delimiter", raw.delimiter)?,
        quote: byte("csv.quote", raw.quote)?.unwrap_or(b'"'),
        escape: byte("csv.escape", raw.escape)?,
        comment: byte("csv.comment", raw.comment)?,
        header: raw.header.unwrap_or(true),
        columns: raw.columns,
        skip_rows: raw.skip_rows.unwrap_or(0),
        trim: raw.trim.unwrap_or(false),
    };
    if !spec.header && spec.columns.is_none() {
        return Err(err(
            "csv.columns",
            "is required when header = false: list the column names in order",
        ));
    }
    if matches!(spec.delimiter, Some(b'\n' | b'\r')) || spec.delimiter == Some(spec.quote) {
        return Err(err(
            "csv.delimiter",
            "must differ from the quote and from line endings",
        ));
    }
    let line_end = |b: u8| b == b'\n' || b == b'\r';
    if line_end(spec.quote) {
        return Err(err("csv.quote", "must differ from line endings"));
    }
    let delimiter = spec.delimiter.unwrap_or(b',');
    if let Some(c) = spec.comment {
        let clash = if line_end(c) {
            Some("a line ending".to_string())
        } else if c == delimiter {
            Some(format!(
                "the delimiter {:?}{}",
                delimiter as char,
                if spec.delimiter.is_none() {
                    " (the default)"
                } else {
                    ""
                }
            ))
        } else if c == spec.quote {
            Some(format!("the quote {:?}", spec.quote as char))
        } else if spec.delimiter.is_none() && c == b'\t' {
            Some("the delimiter of .tsv files (tab)".to_string())
        } else {
            None
        };
        if let Some(what) = clash {
            return Err(err(
                "csv.comment",
                format!("{:?} is also {what}: a line starting with it would be dropped as a comment; choose another byte, e.g. \"#\"", c as char),
            ));
        }
    }
    if let Some(e) = spec.escape {
        if line_end(e) || e == delimiter {
            return Err(err(
                "csv.escape",
                format!(
                    "{:?} must differ from the delimiter and from line endings",
                    e as char
                ),
            ));
        }
    }
    if let Some(cols) = &spec.columns {
        for (i, c) in cols.iter().enumerate() {
            if let Some(j) = cols[..i].iter().position(|p| p == c) {
                return Err(err(
                    "csv.columns",
                    format!(
                        "names `{}` twice (positions {} and {}): every column needs its own name",
                        lpconvert_lp::printable(c.as_bytes()),
                        j + 1,
                        i + 1
                    ),
                ));
            }
        }
    }
    Ok(spec)
}
