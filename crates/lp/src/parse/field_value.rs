//! Field values: where a value ends, and its type (float, integer, unsigned, boolean or
//! string) with the portable range and syntax rules.

use super::scan::{as_str, err, show};
use super::{ErrorKind, FieldValue, ParseError, MAX_STRING_LEN};

/// Parses the field value starting at `v0`; returns it and the index just past it.
pub(super) fn scan_value(line: &[u8], v0: usize) -> Result<(FieldValue<'_>, usize), ParseError> {
    let n = line.len();
    if v0 >= n || line[v0] == b' ' || line[v0] == b',' {
        return Err(err(
            ErrorKind::MissingFieldValue,
            v0,
            "missing field value".into(),
        ));
    }
    if line[v0] == b'"' {
        let mut i = v0 + 1;
        while i < n {
            match line[i] {
                b'\\' => i += 2,
                b'"' => break,
                _ => i += 1,
            }
        }
        if i >= n {
            return Err(err(
                ErrorKind::UnterminatedString,
                v0,
                "string value without its closing quote".into(),
            ));
        }
        let raw = &line[v0 + 1..i];
        if raw.len() > MAX_STRING_LEN {
            return Err(err(
                ErrorKind::StringTooLong,
                v0,
                format!(
                    "string value of {} bytes is over the 64 KiB servers accept",
                    raw.len()
                ),
            ));
        }
        let end = i + 1;
        if end < n && line[end] != b',' && line[end] != b' ' {
            return Err(err(
                ErrorKind::InvalidValue,
                end,
                "unexpected text after a string value".into(),
            ));
        }
        return Ok((FieldValue::String(raw), end));
    }
    let mut end = v0;
    while end < n && line[end] != b',' && line[end] != b' ' {
        end += 1;
    }
    let text = &line[v0..end];
    typed_value(text)
        .map(|v| (v, end))
        .map_err(|(kind, message)| err(kind, v0, message))
}

fn typed_value(text: &[u8]) -> Result<FieldValue<'_>, (ErrorKind, String)> {
    let bad = || {
        (
            ErrorKind::InvalidValue,
            format!(
                "invalid field value `{}`: expected a float (1.5), an integer (42i), an unsigned (42u), true/false or a \"string\"",
                show(text)
            ),
        )
    };
    match text {
        b"t" | b"T" | b"true" | b"True" | b"TRUE" => return Ok(FieldValue::Boolean(true)),
        b"f" | b"F" | b"false" | b"False" | b"FALSE" => return Ok(FieldValue::Boolean(false)),
        _ => {}
    }
    let (last, body) = match text.split_last() {
        Some((l, b)) => (*l, b),
        None => return Err(bad()),
    };
    let all_digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    match last {
        b'i' => {
            if !all_digits(body.strip_prefix(b"-").unwrap_or(body)) {
                return Err(bad());
            }
            as_str(body)
                .parse::<i64>()
                .map(FieldValue::Integer)
                .map_err(|_| {
                    (
                        ErrorKind::OutOfRange,
                        format!("integer {} is out of the signed 64-bit range", show(text)),
                    )
                })
        }
        b'u' => {
            if !all_digits(body) {
                return Err(bad());
            }
            as_str(body)
                .parse::<u64>()
                .map(FieldValue::Unsigned)
                .map_err(|_| {
                    (
                        ErrorKind::OutOfRange,
                        format!("unsigned {} is out of the 64-bit range", show(text)),
                    )
                })
        }
        _ => {
            if !is_portable_float(text) {
                let hint = if text.ends_with(b".")
                    || text.starts_with(b".")
                    || text.starts_with(b"-.")
                {
                    format!(
                        "float `{}` is refused by InfluxDB 3: write a digit on both sides of the point (1.0, 0.5)",
                        show(text)
                    )
                } else {
                    return Err(bad());
                };
                return Err((ErrorKind::InvalidValue, hint));
            }
            match as_str(text).parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(FieldValue::Float(v)),
                _ => Err((
                    ErrorKind::OutOfRange,
                    format!("float {} is out of range", show(text)),
                )),
            }
        }
    }
}

/// `-?D+(.D+)?([eE][+-]?D+)?`
fn is_portable_float(s: &[u8]) -> bool {
    let mut i = usize::from(s.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < s.len() && s[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return false;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        i += 1;
        if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == s.len()
}
