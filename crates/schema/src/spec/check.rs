//! Checks on the entries of a schema: key lengths, reserved keys, boolean lists, constant
//! and default values.

use super::raw::err;
use super::*;

/// The part of the storage key the schema fixes (a constant measurement, or at least one
/// byte read; constant tags; `#!~#`; the field key, all escaped as written) over
/// [`MAX_KEY_LEN`](lpconvert_lp::parse::MAX_KEY_LEN): no row could ever write that field,
/// so it is a schema error rather than one row error per row.
pub(super) fn check_fixed_key_length(
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
    for t in tags.iter().filter(|t| t.key_kind == KeyKind::Fixed) {
        if let Source::Value(v) = &t.source {
            series +=
                2 + escaped(lpconvert_lp::write_key, &t.key) + escaped(lpconvert_lp::write_key, v);
            constant_tags += 1;
        }
    }
    for f in fields.iter().filter(|f| f.key_kind == KeyKind::Fixed) {
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
pub(super) fn refuse_time_key(path: &str, what: &str, key: &str) -> Result<(), SchemaError> {
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
pub(super) fn check_booleans(path: &str, f: &FieldSpec) -> Result<(), SchemaError> {
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
pub(super) fn check_value(f: &FieldSpec, text: &str, escape_newlines: bool) -> Result<(), String> {
    use lpconvert_lp::value::{float_form, integer_text, write_unsigned};
    let mut normal = Vec::new();
    let b = match crate::number::NumberRule::of_field(f) {
        Some(rule) => {
            rule.apply(text.as_bytes(), true, &mut normal)
                .map_err(|e| format!("{text:?} {e}"))?;
            normal.as_slice()
        }
        None => text.as_bytes(),
    };
    let r = match f.ftype {
        FieldType::Duration => lpconvert_lp::duration::parse_duration(b).map(|_| ()),
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

/// The text a constant source (`value`) gives: the value itself, or its `default` when the
/// value is empty or in `null_values` (SCHEMA.md "Sources"); `None` when that leaves nothing.
pub(super) fn constant_text<'a>(
    value: &'a str,
    default: Option<&'a str>,
    null_values: &[String],
) -> Option<&'a str> {
    if value.is_empty() || null_values.iter().any(|n| n == value) {
        default.filter(|d| !d.is_empty())
    } else {
        Some(value)
    }
}
