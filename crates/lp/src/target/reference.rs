//! The reading of a line as written, per the line protocol reference: what a server must
//! store for "stored as written". The server models ([`super::influxdb1`],
//! [`super::victoriametrics`]) are compared with it.
//!
//! It is the portable parser's grammar without the rules that are there only for
//! portability: control bytes and carriage returns inside names, `1.` and `.5`, leading
//! blanks, trailing spaces, strings of any length are all read. Escapes: `\,`, `\ ` and
//! `\\` in a measurement; `\,`, `\=`, `\ ` and `\\` in tag keys, tag values and field keys;
//! `\"` and `\\` in strings; a backslash before any other byte is literal. Two fields with
//! one key have no single meaning: the line is not valid.

use crate::value::{MAX_NANOS, MIN_NANOS};

/// A field value as written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Float(f64),
    Int(i64),
    Uint(u64),
    Bool(bool),
    Str(Vec<u8>),
}

/// A name or value, unescaped, with the offset of its first byte in the line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Part {
    pub at: usize,
    pub text: Vec<u8>,
}

/// A point as written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Point {
    pub measurement: Part,
    pub tags: Vec<(Part, Part)>,
    pub fields: Vec<(Part, Value)>,
    pub timestamp: Option<i64>,
    /// Offset of the timestamp (or of the line's end when there is none).
    pub timestamp_at: usize,
}

/// Why a line is not valid line protocol: the offset and what is wrong.
pub(crate) type Invalid = (usize, String);

fn invalid<T>(at: usize, what: impl Into<String>) -> Result<T, Invalid> {
    Err((at, what.into()))
}

/// Scans a name from `i` to the first unescaped byte of `stops`; returns its end and its
/// unescaped text (`specials` are the bytes a backslash escapes).
fn name(line: &[u8], mut i: usize, stops: &[u8], specials: &[u8]) -> (usize, Vec<u8>) {
    let mut out = Vec::new();
    while i < line.len() {
        let b = line[i];
        if b == b'\\' {
            match line.get(i + 1) {
                Some(&c) if specials.contains(&c) || c == b'\\' => {
                    out.push(c);
                    i += 2;
                }
                Some(&c) => {
                    out.push(b'\\');
                    out.push(c);
                    i += 2;
                }
                None => {
                    out.push(b'\\');
                    i += 1;
                }
            }
            continue;
        }
        if stops.contains(&b) {
            break;
        }
        out.push(b);
        i += 1;
    }
    (i, out)
}

/// Reads `line` (a point, not blank or a comment) as the reference does.
pub(crate) fn read(line: &[u8]) -> Result<Point, Invalid> {
    let n = line.len();
    let mut i = 0;
    while i < n && matches!(line[i], b' ' | b'\t') {
        i += 1;
    }
    let m0 = i;
    let (end, m) = name(line, i, b", ", b", ");
    if m.is_empty() {
        return invalid(m0, "missing measurement");
    }
    let measurement = Part { at: m0, text: m };
    i = end;
    let mut tags: Vec<(Part, Part)> = Vec::new();
    while i < n && line[i] == b',' {
        let k0 = i + 1;
        let (k_end, key) = name(line, k0, b"=, ", b",= ");
        if key.is_empty() || k_end >= n || line[k_end] != b'=' {
            return invalid(k0, "a tag needs the form key=value");
        }
        let v0 = k_end + 1;
        let (v_end, value) = name(line, v0, b"=, ", b",= ");
        if v_end < n && line[v_end] == b'=' {
            return invalid(v_end, "unescaped `=` in a tag value");
        }
        if value.is_empty() {
            return invalid(v0, "empty tag value");
        }
        if tags.iter().any(|(k, _)| k.text == key) {
            return invalid(k0, "duplicate tag key");
        }
        tags.push((
            Part { at: k0, text: key },
            Part {
                at: v0,
                text: value,
            },
        ));
        i = v_end;
    }
    while i < n && line[i] == b' ' {
        i += 1;
    }
    if i >= n {
        return invalid(i, "missing field set");
    }
    let mut fields: Vec<(Part, Value)> = Vec::new();
    loop {
        let k0 = i;
        let (k_end, key) = name(line, k0, b"=, ", b",= ");
        if key.is_empty() || k_end >= n || line[k_end] != b'=' {
            return invalid(k0, "a field needs the form key=value");
        }
        let (value, end) = value(line, k_end + 1)?;
        if fields.iter().any(|(k, _)| k.text == key) {
            return invalid(k0, "duplicate field key");
        }
        fields.push((Part { at: k0, text: key }, value));
        i = end;
        if i < n && line[i] == b',' {
            i += 1;
            continue;
        }
        break;
    }
    while i < n && line[i] == b' ' {
        i += 1;
    }
    let timestamp_at = i;
    if i >= n {
        return Ok(Point {
            measurement,
            tags,
            fields,
            timestamp: None,
            timestamp_at,
        });
    }
    let t0 = i;
    while i < n && line[i] != b' ' {
        i += 1;
    }
    let ts = std::str::from_utf8(&line[t0..i])
        .ok()
        .filter(|t| {
            let d = t.strip_prefix('-').unwrap_or(t);
            !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
        })
        .and_then(|t| t.parse::<i64>().ok())
        .filter(|t| (MIN_NANOS..=MAX_NANOS).contains(t));
    let Some(ts) = ts else {
        return invalid(t0, "invalid or out-of-range timestamp");
    };
    while i < n && line[i] == b' ' {
        i += 1;
    }
    if i < n {
        return invalid(i, "text after the timestamp");
    }
    Ok(Point {
        measurement,
        tags,
        fields,
        timestamp: Some(ts),
        timestamp_at,
    })
}

/// A field value from `v0`: the value and the offset just past it.
fn value(line: &[u8], v0: usize) -> Result<(Value, usize), Invalid> {
    let n = line.len();
    if v0 >= n || matches!(line[v0], b' ' | b',') {
        return invalid(v0, "missing field value");
    }
    if line[v0] == b'"' {
        let mut out = Vec::new();
        let mut i = v0 + 1;
        while i < n && line[i] != b'"' {
            if line[i] == b'\\' && matches!(line.get(i + 1), Some(b'"' | b'\\')) {
                out.push(line[i + 1]);
                i += 2;
            } else {
                out.push(line[i]);
                i += 1;
            }
        }
        if i >= n {
            return invalid(v0, "string value without its closing quote");
        }
        let end = i + 1;
        if end < n && !matches!(line[end], b' ' | b',') {
            return invalid(end, "text after a string value");
        }
        return Ok((Value::Str(out), end));
    }
    let mut end = v0;
    while end < n && !matches!(line[end], b' ' | b',') {
        end += 1;
    }
    let text = &line[v0..end];
    let v = typed(text).ok_or_else(|| (v0, "invalid field value".to_string()))?;
    Ok((v, end))
}

fn typed(text: &[u8]) -> Option<Value> {
    match text {
        b"t" | b"T" | b"true" | b"True" | b"TRUE" => return Some(Value::Bool(true)),
        b"f" | b"F" | b"false" | b"False" | b"FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    let s = std::str::from_utf8(text).ok()?;
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    if let Some(body) = s.strip_suffix('i') {
        return digits(body.strip_prefix('-').unwrap_or(body))
            .then(|| body.parse().ok().map(Value::Int))
            .flatten();
    }
    if let Some(body) = s.strip_suffix('u') {
        return digits(body)
            .then(|| body.parse().ok().map(Value::Uint))
            .flatten();
    }
    is_float(s.as_bytes())
        .then(|| s.parse::<f64>().ok())
        .flatten()
        .filter(|f| f.is_finite())
        .map(Value::Float)
}

/// `-?(D+(.D*)?|.D+)([eE][+-]?D+)?`: the floats the Go servers read.
pub(crate) fn is_float(s: &[u8]) -> bool {
    let mut i = usize::from(s.first() == Some(&b'-'));
    let run = |i: &mut usize| {
        let start = *i;
        while *i < s.len() && s[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let mut mantissa = run(&mut i);
    if i < s.len() && s[i] == b'.' {
        i += 1;
        mantissa += run(&mut i);
    }
    if mantissa == 0 {
        return false;
    }
    if i < s.len() && matches!(s[i], b'e' | b'E') {
        i += 1;
        if i < s.len() && matches!(s[i], b'+' | b'-') {
            i += 1;
        }
        if run(&mut i) == 0 {
            return false;
        }
    }
    i == s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_escapes_as_the_reference() {
        let p = read(br"m\\x\=y,k\\=v\,w f\\=1,g=.5 5 ").unwrap();
        assert_eq!(p.measurement.text, br"m\x\=y");
        assert_eq!(p.tags[0].0.text, br"k\");
        assert_eq!(p.tags[0].1.text, b"v,w");
        assert_eq!(p.fields[0].0.text, br"f\");
        assert_eq!(p.fields[1].1, Value::Float(0.5));
        assert_eq!(p.timestamp, Some(5));
        assert!(read(b"m f=1,f=2").is_err());
        assert!(read(b"m f=1 # x").is_err());
        let p = read(b"  m\x01\r f=\"a\\\"\\\\\\n\" ").unwrap();
        assert_eq!(p.measurement.text, b"m\x01\r");
        assert_eq!(p.fields[0].1, Value::Str(b"a\"\\\\n".to_vec()));
    }
}
