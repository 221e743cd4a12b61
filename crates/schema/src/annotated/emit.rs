//! The schema keys of one annotated table (SCHEMA.md names): what csv2lp's
//! `recomputeLineProtocolColumns` decides, written as TOML.

use super::columns::{Column, Origin, Part, Table};
use super::{layout, TablePreamble};
use crate::SchemaError;
use toml::{Table as Toml, Value};

const FIELD_NAME: &str = "_field";
const FIELD_VALUE: &str = "_value";
const TIME: &str = "_time";
const MEASUREMENT: &str = "_measurement";

fn err(key: &str, message: String) -> SchemaError {
    SchemaError::Key {
        key: key.to_string(),
        message,
    }
}

fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

/// The roles csv2lp gives the columns (the last measurement or time column wins; a tag label
/// given twice keeps its last column; tags sorted by label).
struct Roles<'t> {
    measurement: Option<&'t Column>,
    time: Option<&'t Column>,
    field_name: Option<&'t Column>,
    field_value: Option<&'t Column>,
    tags: Vec<&'t Column>,
    fields: Vec<&'t Column>,
}

fn roles(t: &Table) -> Roles<'_> {
    let default_is_field = !t.columns.iter().any(|c| c.label == FIELD_NAME);
    let mut r = Roles {
        measurement: None,
        time: None,
        field_name: None,
        field_value: None,
        tags: Vec::new(),
        fields: Vec::new(),
    };
    for col in t.columns.iter().chain(&t.extra) {
        if col.label == MEASUREMENT || col.part == Part::Measurement {
            r.measurement = Some(col);
        } else if col.label == TIME || col.part == Part::Time {
            r.time = Some(col);
        } else if col.label.trim().is_empty() || col.part == Part::Ignored {
        } else if col.label == FIELD_NAME {
            r.field_name = Some(col);
        } else if col.label == FIELD_VALUE {
            r.field_value = Some(col);
        } else if col.part == Part::Tag {
            r.tags.retain(|c| c.label != col.label);
            r.tags.push(col);
        } else if col.part == Part::Field {
            r.fields.push(col);
        } else if flux_metadata(t, col) {
        } else if default_is_field {
            r.fields.push(col);
        }
    }
    r.tags.sort_by(|a, b| a.label.cmp(&b.label));
    r
}

/// A Flux result's `result` or `table` column (the table's first column has no label) that
/// no annotation gives a role: not read, even where csv2lp would write it as a field (a
/// pivoted result without `_field`).
fn flux_metadata(t: &Table, col: &Column) -> bool {
    let flux = t.columns.first().is_some_and(|c| c.label.is_empty());
    flux && col.origin == Origin::Data
        && col.part == Part::Undecided
        && (col.label == "result" || col.label == "table")
}

/// `${label}` placeholders as the schema's `{label}`; literal braces doubled.
fn template(concat: &str) -> String {
    let mut out = String::with_capacity(concat.len());
    let mut rest = concat;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("${") {
            if let Some(end) = after.find('}').filter(|&e| e > 0) {
                out.push('{');
                out.push_str(&after[..end].replace('{', "{{"));
                out.push('}');
                rest = &after[end + 1..];
                continue;
            }
        }
        let c = rest.chars().next().unwrap_or_default();
        match c {
            '{' => out.push_str("{{"),
            '}' => out.push_str("}}"),
            _ => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The source keys of a column: `column` (and `default`), `value`, or `template`.
fn source(col: &Column, entry: &mut Toml) {
    match col.origin {
        Origin::Data => {
            entry.insert("column".into(), s(&col.label));
            if !col.default.is_empty() {
                entry.insert("default".into(), s(&col.default));
            }
        }
        Origin::Constant => {
            entry.insert("value".into(), s(&col.default));
        }
        Origin::Concat => {
            entry.insert("template".into(), s(&template(&col.default)));
        }
    }
}

/// `number_format` for a csv2lp number format: its first character is the decimal
/// separator, the others are removed (group separators).
fn number_format(format: &str) -> Value {
    let mut chars = format.chars();
    let decimal = chars.next().map(String::from).unwrap_or_else(|| ".".into());
    let mut nf = Toml::new();
    nf.insert("decimal".into(), Value::String(decimal));
    let group: Vec<Value> = chars.map(|c| Value::String(c.to_string())).collect();
    if !group.is_empty() {
        nf.insert("group".into(), Value::Array(group));
    }
    Value::Table(nf)
}

/// csv2lp's `boolean` without format as a `regex`: a text starting with one of `tTyY1fFnN0`
/// is read as that character (which the default word lists hold), any other text as itself
/// (a row error unless it is a listed word).
const BOOLEAN_FIRST_CHARACTER: &str = "(?s)^([tTyY1fFnN0]|.+)";

/// The keys a value of csv2lp type `dtype:format` adds to a field entry.
fn field_type(col: &Column, key: &str, entry: &mut Toml) -> Result<(), SchemaError> {
    let f = col.format.as_str();
    let mut extra = Toml::new();
    let ty = match col.dtype.as_str() {
        // `field` and untyped columns: csv2lp copies the text as it is; read as a number.
        "" => "float",
        "string" => "string",
        "double" => {
            if !f.is_empty() {
                extra.insert("number_format".into(), number_format(f));
            }
            // csv2lp parses the text and prints the float (`1.0` -> `1`).
            extra.insert("float_format".into(), s("shortest"));
            "float"
        }
        "long" | "unsignedLong" => {
            let rest = f.strip_prefix("strict");
            if rest != Some("") && !f.is_empty() {
                extra.insert("number_format".into(), number_format(rest.unwrap_or(f)));
            }
            // Without `strict` (also without any format) csv2lp drops a fraction.
            if rest.is_none() {
                extra.insert("from_float".into(), s("truncate"));
            }
            if col.dtype == "long" {
                "integer"
            } else {
                "unsigned"
            }
        }
        "boolean" => {
            if f.is_empty() {
                // csv2lp reads the first character: `tTyY1` true, `fFnN0` false.
                extra.insert("regex".into(), s(BOOLEAN_FIRST_CHARACTER));
            } else {
                let (t, fl) = f.split_once(':').ok_or_else(|| {
                    err(
                        key,
                        format!(
                            "boolean format `{f}` should be `trues:falses`, e.g. \
                             boolean:y,Y:n,N"
                        ),
                    )
                })?;
                let list =
                    |l: &str| Value::Array(l.split(',').filter(|v| !v.is_empty()).map(s).collect());
                let one_sided = col.origin == Origin::Data
                    && !col.default.is_empty()
                    && one_sided_booleans(col, t, fl, &mut extra);
                if !one_sided && !t.is_empty() {
                    extra.insert("true_values".into(), list(t));
                }
                if !one_sided && !fl.is_empty() {
                    extra.insert("false_values".into(), list(fl));
                }
            }
            "boolean"
        }
        "duration" => "duration",
        // csv2lp writes the base64 text unquoted; a string keeps it readable by every server.
        "base64Binary" => "string",
        other => {
            return Err(err(
                key,
                format!(
                    "column `{}`: data type `{other}` is not supported: use string, double, \
                     long, unsignedLong, boolean, duration, base64Binary, dateTime, tag, \
                     field, measurement or ignored",
                    col.label
                ),
            ))
        }
    };
    entry.insert("type".into(), s(ty));
    entry.extend(extra);
    Ok(())
}

/// csv2lp's `boolean:TRUES:` (or `:FALSES`): every text not in the one list given is the
/// other value; false (nothing written) for two lists or none. With a `default`, that is a `regex` matching exactly the listed texts
/// (anything else becomes empty) and a `default` of the other value: the column's own
/// default, read by csv2lp's rule, for an empty cell too. (Without a default, csv2lp omits
/// an empty cell's field; the schema cannot tell it from an unlisted text, so the lists
/// stay as they are.)
fn one_sided_booleans(col: &Column, trues: &str, falses: &str, entry: &mut Toml) -> bool {
    let (listed, other) = match (trues.is_empty(), falses.is_empty()) {
        (false, true) => (trues, "false"),
        (true, false) => (falses, "true"),
        _ => return false,
    };
    let listed: Vec<&str> = listed.split(',').filter(|v| !v.is_empty()).collect();
    let alternatives: Vec<String> = listed.iter().map(|v| regex_escape(v)).collect();
    entry.insert(
        "regex".into(),
        s(&format!("^(?:{})$", alternatives.join("|"))),
    );
    let default_listed = listed.contains(&col.default.as_str());
    let value = match (default_listed, other) {
        (true, "false") | (false, "true") => "true",
        _ => "false",
    };
    entry.insert("default".into(), s(value));
    // The listed texts, and the word the default is written as, on each side.
    let with = |word: &str| -> Vec<Value> {
        let mut l: Vec<Value> = listed.iter().map(|v| s(v)).collect();
        if !listed.iter().any(|v| v.eq_ignore_ascii_case(word)) {
            l.push(s(word));
        }
        l
    };
    let (t, f) = if other == "false" {
        (with("true"), vec![s("false")])
    } else {
        (vec![s("true")], with("false"))
    };
    entry.insert("true_values".into(), Value::Array(t));
    entry.insert("false_values".into(), Value::Array(f));
    true
}

/// `text` with the bytes a regular expression treats specially escaped.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The `[timestamp]` table of the time column.
fn timestamp(col: &Column, timezone: Option<&str>) -> Result<Toml, SchemaError> {
    let mut ts = Toml::new();
    source(col, &mut ts);
    let format = layout::time_format(&col.format);
    let pattern = format.as_deref().is_some_and(|f| f.contains('%'));
    ts.insert(
        "format".into(),
        match format {
            Some(f) => s(&f),
            None => Value::Array(vec![s("unix_ns"), s("rfc3339")]),
        },
    );
    if let (Some(tz), true) = (timezone, pattern) {
        ts.insert("timezone".into(), s(&zone(tz)?));
    }
    if col.origin == Origin::Data && col.default.is_empty() {
        // csv2lp writes a line without timestamp when the time cell is empty.
        ts.insert("required".into(), Value::Boolean(false));
    }
    Ok(ts)
}

/// csv2lp's `#timezone` (`+hhmm`, `-hhmm`, `UTC`, an IANA name) as the schema's timezone.
fn zone(tz: &str) -> Result<String, SchemaError> {
    let b = tz.as_bytes();
    if matches!(b.first(), Some(b'+') | Some(b'-')) {
        if b.len() == 5 && b[1..].iter().all(u8::is_ascii_digit) {
            return Ok(format!("{}:{}", &tz[..3], &tz[3..]));
        }
        return Err(err("#timezone", format!("`{tz}` is not +hhmm or -hhmm")));
    }
    if tz.is_empty() {
        return Ok("UTC".into());
    }
    if tz.eq_ignore_ascii_case("local") {
        return Err(err(
            "#timezone",
            "`Local` depends on the machine: give the offset (-0500) or an IANA name \
             (America/New_York)"
                .into(),
        ));
    }
    Ok(tz.to_string())
}

/// The schema table of one annotated table.
pub(super) fn schema_table(t: &Table, pre: &TablePreamble) -> Result<Toml, SchemaError> {
    let r = roles(t);
    let mut out = Toml::new();
    let m = r.measurement.ok_or_else(|| {
        err(
            "#datatype",
            "no measurement column found: mark one `measurement` (#datatype or name|measurement), \
             label it `_measurement`, or add `#constant measurement,NAME`"
                .into(),
        )
    })?;
    out.insert(
        "measurement".into(),
        match m.origin {
            Origin::Constant => s(&m.default),
            _ => {
                let mut e = Toml::new();
                source(m, &mut e);
                Value::Table(e)
            }
        },
    );
    if let Some(time) = r.time {
        out.insert(
            "timestamp".into(),
            Value::Table(timestamp(time, t.timezone.as_deref())?),
        );
    }
    let mut tags = Toml::new();
    for tag in &r.tags {
        let mut e = Toml::new();
        source(tag, &mut e);
        tags.insert(tag.label.clone(), Value::Table(e));
    }
    if !tags.is_empty() {
        out.insert("tags".into(), Value::Table(tags));
    }
    let mut fields = Toml::new();
    if let (Some(name), Some(value)) = (r.field_name, r.field_value) {
        let key = format!("{{{}}}", name.label);
        let mut e = Toml::new();
        source(value, &mut e);
        field_type(value, &format!("fields.\"{key}\""), &mut e)?;
        fields.insert(key, Value::Table(e));
    }
    for f in &r.fields {
        let mut e = Toml::new();
        source(f, &mut e);
        field_type(f, &format!("fields.{}", f.label), &mut e)?;
        fields.insert(f.label.clone(), Value::Table(e));
    }
    out.insert("fields".into(), Value::Table(fields));
    let mut csv = Toml::new();
    if let Some(sep) = pre.sep {
        csv.insert("delimiter".into(), s(&char::from(sep).to_string()));
    }
    if let Some(names) = &t.renamed {
        csv.insert(
            "columns".into(),
            Value::Array(names.iter().map(|n| s(n)).collect()),
        );
    }
    if pre.lines_before_header > 0 {
        csv.insert(
            "skip_rows".into(),
            Value::Integer(pre.lines_before_header as i64),
        );
    }
    csv.insert("comment".into(), s("#"));
    out.insert("csv".into(), Value::Table(csv));
    Ok(out)
}
