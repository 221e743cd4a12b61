//! Reading the `[timestamp]`, `[tags]`, `[fields]` and `[csv]` tables.

use super::check::{check_booleans, check_value, constant_text, refuse_time_key};
use super::iter::{entry_source, key_kind};
use super::raw::{
    entry_regex, err, file_source, one_byte, raw_source, refuse_number_keys, scalar_text,
    template_source, RawCsv, RawTimestamp,
};
use super::sources::{number_format, regex};
use super::*;

pub(super) fn timestamp_spec(
    raw: RawTimestamp,
    null_values: &[String],
) -> Result<TimestampSpec, SchemaError> {
    let given = [
        raw.column.is_some(),
        raw.path.is_some(),
        raw.key_of.is_some(),
        raw.value.is_some(),
        raw.template.is_some(),
        raw.file.is_some(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(err(
            "timestamp",
            "give only one of `column`, `path`, `key_of`, `value`, `template` and `file`",
        ));
    }
    let source = match (raw.column, raw.path) {
        (Some(Value::String(c)), None) => Source::Column(c),
        (Some(Value::Array(a)), None) => {
            let cols = a
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    err(
                        "timestamp.column",
                        "must be a column name or a list of column names",
                    )
                })?;
            if let Some(g) = cols.iter().find(|c| is_glob(c)) {
                return Err(err("timestamp.column", format!("joins columns, so it cannot hold the glob `{g}`: a glob iterates (one line per column); name the columns to join")));
            }
            Source::Columns(cols)
        }
        (Some(_), None) => {
            return Err(err(
                "timestamp.column",
                "must be a column name or a list of column names",
            ))
        }
        (None, Some(p)) => Source::Path(p),
        _ => {
            if let Some(k) = raw.key_of {
                Source::KeyOf(k)
            } else if let Some(v) = &raw.value {
                Source::Value(scalar_text("timestamp.value", v)?)
            } else if let Some(t) = &raw.template {
                template_source("timestamp", t)?
            } else if let Some(f) = &raw.file {
                file_source("timestamp", f)?
            } else {
                return Err(err("timestamp", "give `column` (or `path` for NDJSON, or `value` for a constant time); remove [timestamp] to let the server assign the time"));
            }
        }
    };
    let formats: Vec<String> = match raw.format {
        None => vec!["rfc3339".to_string()],
        Some(Value::String(f)) => vec![f],
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| err("timestamp.format", "must be a format name or a list of format names, e.g. [\"rfc3339\", \"unix_ms\"]"))?,
        Some(_) => return Err(err("timestamp.format", "must be a format name or a non-empty list of format names, e.g. [\"rfc3339\", \"unix_ms\"]")),
    };
    let mut parsed = formats
        .iter()
        .map(|f| TimeFormat::parse(f).map_err(|e| err("timestamp.format", e)))
        .collect::<Result<Vec<_>, _>>()?;
    let format = parsed.remove(0);
    let zone = Zone::parse(raw.timezone.as_deref().unwrap_or("UTC"))
        .map_err(|e| err("timestamp.timezone", e))?;
    let parser = TimeParser {
        format,
        zone,
        alternatives: parsed,
    };
    let regex = regex("timestamp", raw.regex.as_deref())?;
    let default = raw
        .default
        .as_ref()
        .map(|d| scalar_text("timestamp.default", d))
        .transpose()?
        .filter(|d| !d.is_empty());
    if let Some(d) = &default {
        parser.parse(d.as_bytes()).map_err(|e| {
            err(
                "timestamp.default",
                format!("{d:?} {e} (it is read in the timestamp's format)"),
            )
        })?;
    }
    let required = raw.required.unwrap_or(true);
    if let (Source::Value(v), None) = (&source, &regex) {
        // The default was checked above.
        match constant_text(v, None, null_values) {
            Some(v) => parser.parse(v.as_bytes()).map(|_| ()).map_err(|e| {
                err(
                    "timestamp.value",
                    format!("{v:?} {e} (it is read in the timestamp's format)"),
                )
            })?,
            None if required && default.is_none() => {
                return Err(err(
                    "timestamp.value",
                    format!("{v:?} is empty or in null_values, so no row would have a timestamp: give a time, a `default`, or required = false"),
                ))
            }
            None => {}
        }
    }
    Ok(TimestampSpec {
        source,
        parser,
        regex,
        default,
        required,
    })
}

pub(super) fn tag_specs(
    raw: Option<Value>,
    null_values: &[String],
) -> Result<Vec<TagSpec>, SchemaError> {
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
                    key_kind: KeyKind::Fixed,
                    regex: None,
                });
            }
        }
        Some(Value::Table(t)) => {
            for (key, v) in t {
                let path = format!("tags.{key}");
                let spec = match v {
                    Value::String(col) => {
                        if is_glob(&key) {
                            return Err(err(&path, "is a pattern key: write it as a table, e.g. { exclude = [\"id\"] } (its columns are the ones the pattern matches)"));
                        }
                        let key_kind = key_kind(&path, &key, None)?;
                        TagSpec { key: key.clone(), source: Source::Column(col), default: None, key_kind, regex: None }
                    }
                    v @ Value::Table(_) => {
                        let rs = raw_source(&path, v)?;
                        if rs.ftype.is_some() || rs.true_values.is_some() || rs.false_values.is_some() || rs.types.is_some() {
                            return Err(err(&path, "a tag takes only `column`, `path`, `value` and `default` (or `template`, `file` or `key_of` as its source; `regex`; `exclude` for a pattern key)"));
                        }
                        refuse_number_keys(&path, &rs, "tags")?;
                        let regex = entry_regex(&path, &rs)?;
                        let default = rs.default.as_ref().map(|d| scalar_text(&format!("{path}.default"), d)).transpose()?;
                        let key_kind = key_kind(&path, &key, Some(&rs))?;
                        let source = entry_source(&path, &key, &key_kind, &rs)?;
                        TagSpec { key: key.clone(), source, default, key_kind, regex }
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
        if t.key_kind == KeyKind::Fixed {
            lpconvert_lp::escape::check_name(t.key.as_bytes())
                .map_err(|e| err(&path, format!("the key {e}")))?;
            refuse_time_key(&path, "tag", &t.key)?;
        }
        if let (Source::Value(v), None) = (&t.source, &t.regex) {
            // As the mapper reads it: the default stands in for an empty or null value.
            let text = match &t.default {
                Some(d) => constant_text(v, Some(d), null_values).unwrap_or(""),
                None => v,
            };
            lpconvert_lp::escape::check_name(text.as_bytes())
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

pub(super) fn field_specs(
    raw: Option<Table>,
    escape_newlines: bool,
    numbers: Option<&NumberFormat>,
    null_values: &[String],
) -> Result<Vec<FieldSpec>, SchemaError> {
    let mut out = Vec::new();
    for (key, v) in raw.unwrap_or_default() {
        let path = format!("fields.{key}");
        let type_err = |t: &str| {
            err(&path, format!("unknown type `{t}`: use \"float\", \"integer\", \"unsigned\", \"boolean\", \"string\" or \"duration\""))
        };
        let mut spec = match v {
            Value::String(t) => {
                let key_kind = key_kind(&path, &key, None)?;
                if matches!(key_kind, KeyKind::FromData { .. }) {
                    return Err(err(&path, "reads its key from the data: give its value's source, e.g. { column = \"_value\", type = \"float\" }"));
                }
                FieldSpec {
                    key: key.clone(),
                    source: Source::Column(key.clone()),
                    ftype: FieldType::parse(&t).ok_or_else(|| type_err(&t))?,
                    default: None,
                    true_values: Vec::new(),
                    false_values: Vec::new(),
                    key_kind,
                    regex: None,
                    from_float: FromFloat::Reject,
                    number_format: None,
                    float_format: FloatFormat::AsRead,
                }
            }
            v @ Value::Table(_) => {
                let rs = raw_source(&path, v)?;
                let key_kind = key_kind(&path, &key, Some(&rs))?;
                let ftype = match rs.ftype.as_deref() {
                    None => FieldType::Float,
                    Some(t) => FieldType::parse(t).ok_or_else(|| type_err(t))?,
                };
                if ftype != FieldType::Boolean && (rs.true_values.is_some() || rs.false_values.is_some()) {
                    return Err(err(&path, "`true_values`/`false_values` apply only to type = \"boolean\""));
                }
                let default = rs.default.as_ref().map(|d| scalar_text(&format!("{path}.default"), d)).transpose()?;
                let source = entry_source(&path, &key, &key_kind, &rs)?;
                let regex = entry_regex(&path, &rs)?;
                let whole = matches!(ftype, FieldType::Integer | FieldType::Unsigned);
                let from_float = match rs.from_float.as_deref() {
                    None => FromFloat::Reject,
                    Some(_) if !whole => return Err(err(&format!("{path}.from_float"), format!("applies to type = \"integer\" or \"unsigned\", not \"{}\": remove it", ftype.as_str()))),
                    Some(f) => FromFloat::parse(f).ok_or_else(|| err(&format!("{path}.from_float"), format!("unknown value `{f}`: use \"reject\", \"truncate\" or \"round\"")))?,
                };
                let number_format = match rs.number_format {
                    None => None,
                    Some(_) if !whole && ftype != FieldType::Float => return Err(err(&format!("{path}.number_format"), format!("applies to float, integer and unsigned fields, not \"{}\": remove it", ftype.as_str()))),
                    Some(n) => Some(number_format(&format!("{path}.number_format"), n)?),
                };
                let float_format = match rs.float_format.as_deref() {
                    None => FloatFormat::AsRead,
                    Some(_) if ftype != FieldType::Float => return Err(err(&format!("{path}.float_format"), format!("applies to type = \"float\", not \"{}\": remove it", ftype.as_str()))),
                    Some(f) => FloatFormat::parse(f).ok_or_else(|| err(&format!("{path}.float_format"), format!("unknown value `{f}`: use \"as_read\" or \"shortest\"")))?,
                };
                FieldSpec {
                    regex,
                    from_float,
                    number_format,
                    float_format,
                    key: key.clone(),
                    source,
                    ftype,
                    default,
                    true_values: rs.true_values.unwrap_or_default(),
                    false_values: rs.false_values.unwrap_or_default(),
                    key_kind,
                }
            }
            _ => return Err(err(&path, "must be a type name such as \"float\" or a table like { column = \"c\", type = \"integer\" }")),
        };
        if spec.key_kind == KeyKind::Fixed {
            lpconvert_lp::escape::check_name(spec.key.as_bytes())
                .map_err(|e| err(&path, format!("the key {e}")))?;
            refuse_time_key(&path, "field", &spec.key)?;
        }
        if spec.number_format.is_none()
            && matches!(
                spec.ftype,
                FieldType::Float | FieldType::Integer | FieldType::Unsigned
            )
        {
            spec.number_format = numbers.cloned();
        }
        // An empty default omits the field, like an empty cell (SCHEMA.md).
        spec.default = spec.default.filter(|d| !d.is_empty());
        check_booleans(&path, &spec)?;
        if let Some(d) = &spec.default {
            check_value(&spec, d, escape_newlines)
                .map_err(|e| err(&format!("{path}.default"), e))?;
        }
        if let (Source::Value(v), None) = (&spec.source, &spec.regex) {
            // With a default, the default was checked above.
            match constant_text(v, spec.default.as_deref(), null_values) {
                None => return Err(err(
                    &format!("{path}.value"),
                    format!("{v:?} is empty or in null_values, so the field would never be written: give a value or remove the field"),
                )),
                Some(t) if t == v => check_value(&spec, v, escape_newlines).map_err(|e| err(&format!("{path}.value"), e))?,
                Some(_) => {}
            }
        }
        out.push(spec);
    }
    Ok(out)
}

pub(super) fn csv_spec(raw: RawCsv) -> Result<CsvSpec, SchemaError> {
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
