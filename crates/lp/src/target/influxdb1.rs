//! What InfluxDB 1.x (1.6, `models/points.go` and the shard's write path) does with one line:
//! a port of its scanner, its unescaping and its write-time checks, so that the verdict is
//! the server's own reading compared with the reference's ([`super::reference`]).
//!
//! - Leading spaces, tabs and NUL bytes are skipped; a line of them or starting with `#`
//!   after them is no point. A `\r` is an ordinary byte (`\r` alone: "missing fields").
//! - A backslash escapes the next byte for scanning; the measurement is then unescaped with
//!   `\,`, `\"`, `\ `, `\=`, tag keys and values with `\,`, `\ `, `\=`, field keys with
//!   `\,`, `\"`, `\ `, `\=`; `\\` stays two backslashes.
//! - Refused: series key over 65,535 bytes, or series key + 4 + field key; duplicate tag
//!   keys; a tag key `time` (the shard drops the point with a 400); a point whose only field
//!   is `time` (other `time` fields are silently left out); two fields of one key with
//!   different types ("field type conflict"); unsigned values (1.x OSS); the number and
//!   boolean syntax errors of the scanner; invalid UTF-8 in the measurement or a field key:
//!   the shard's field index cannot be saved (protobuf), a 500 the first time in a shard.
//! - Two fields of one key and type: only the last is stored.

use super::reference::Value;

/// What the server keeps of a line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stored {
    pub measurement: Vec<u8>,
    pub tags: Vec<(Vec<u8>, Vec<u8>)>,
    pub fields: Vec<(Vec<u8>, Value)>,
    pub timestamp: Option<i64>,
    /// Fields of one key written twice with one type (only the last is kept).
    pub repeated: Option<Vec<u8>>,
    /// A `time` field left out.
    pub time_field_dropped: bool,
}

/// The server's answer to one line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// Not a point (blank or comment).
    Blank,
    /// Stored as [`Stored`] says.
    Stored(Stored),
    /// Refused (400 or 500): offset and the server's reason.
    Refused(usize, String),
}

const MAX_KEY_LENGTH: usize = 65_535;

fn refused(at: usize, why: impl Into<String>) -> Outcome {
    Outcome::Refused(at, why.into())
}

/// The server's reading of `line`.
pub(crate) fn read(line: &[u8]) -> Outcome {
    let start = line
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t' | 0))
        .unwrap_or(line.len());
    if start >= line.len() || line[start] == b'#' {
        return Outcome::Blank;
    }
    let buf = &line[start..];
    match parse_point(buf) {
        Ok(s) => Outcome::Stored(s),
        Err((at, why)) => refused(start + at, why),
    }
}

type Res<T> = Result<T, (usize, String)>;

fn err<T>(at: usize, why: &str) -> Res<T> {
    Err((at, why.to_string()))
}

/// What the scanner (`parsePoint`) finds in a line.
struct Scanned {
    key_end: usize,
    tag_starts: Vec<(usize, usize, usize)>,
    fields_range: std::ops::Range<usize>,
    timestamp: Option<i64>,
}

/// Why InfluxDB 1.x cannot parse `line` (the lines a 400 names as "unable to parse"), if it
/// cannot; write-time refusals (type conflicts, `time` keys, invalid UTF-8) are not included.
pub(crate) fn unparsable(line: &[u8]) -> Option<(usize, String)> {
    let start = line
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t' | 0))
        .unwrap_or(line.len());
    if start >= line.len() || line[start] == b'#' {
        return None;
    }
    scan_point(&line[start..])
        .err()
        .map(|(at, why)| (start + at, why))
}

fn scan_point(buf: &[u8]) -> Res<Scanned> {
    let (pos, key_end, tag_starts) = scan_key(buf)?;
    let key = &buf[..key_end];
    if key.len() > MAX_KEY_LENGTH {
        return err(
            0,
            &format!(
                "max key length exceeded: {} > {MAX_KEY_LENGTH} (series key); shorten the longest tag or make it a field",
                key.len()
            ),
        );
    }
    let (pos, fields_range) = scan_fields(buf, pos)?;
    let fields = &buf[fields_range.clone()];
    if fields.is_empty() {
        return err(pos, "missing fields");
    }
    let raw_fields = walk_fields(fields);
    for (k, _) in &raw_fields {
        let size = key.len() + 4 + k.len();
        if size > MAX_KEY_LENGTH {
            return err(
                fields_range.start,
                &format!(
                    "max key length exceeded: {size} > {MAX_KEY_LENGTH} (series key + field key); shorten the longest tag or make it a field"
                ),
            );
        }
    }
    let (mut pos, ts) = scan_time(buf, pos)?;
    let timestamp = if ts.is_empty() {
        None
    } else {
        let t0 = pos - ts.len();
        let v = std::str::from_utf8(ts)
            .ok()
            .and_then(|t| t.parse::<i64>().ok())
            .ok_or_else(|| (t0, "invalid timestamp".to_string()))?;
        if !(i64::MIN + 2..=i64::MAX - 1).contains(&v) {
            return err(t0, "timestamp out of range");
        }
        while pos < buf.len() {
            if buf[pos] != b' ' {
                return err(pos, "invalid point");
            }
            pos += 1;
        }
        Some(v)
    };
    Ok(Scanned {
        key_end,
        tag_starts,
        fields_range,
        timestamp,
    })
}

fn parse_point(buf: &[u8]) -> Res<Stored> {
    let Scanned {
        key_end,
        tag_starts,
        fields_range,
        timestamp,
    } = scan_point(buf)?;
    let key = &buf[..key_end];
    let raw_fields = walk_fields(&buf[fields_range.clone()]);
    // The stored point.
    let name_end = scan_to(key, 0, b',');
    let measurement = unescape_all(&key[..name_end]);
    let has_escape = memchr::memchr(b'\\', key).is_some();
    let mut tags = Vec::new();
    for &(k0, v0, v1) in &tag_starts {
        let (k, v) = (&buf[k0..v0 - 1], &buf[v0..v1]);
        if has_escape {
            tags.push((unescape_tag(k), unescape_tag(v)));
        } else {
            tags.push((k.to_vec(), v.to_vec()));
        }
    }
    if tags.iter().any(|(k, _)| k == b"time") {
        return err(
            0,
            "tag key `time` is refused by InfluxDB 1.x (\"invalid tag key\", the point is dropped): rename it",
        );
    }
    const UTF8: &str = "(HTTP 500: its field index cannot save invalid UTF-8, \
                        the first time in a shard; later writes are stored but not indexed)";
    if std::str::from_utf8(&measurement).is_err() {
        return err(0, &format!("invalid UTF-8 in the measurement {UTF8}"));
    }
    let mut out: Vec<(Vec<u8>, Value)> = Vec::new();
    let mut repeated = None;
    let mut time_field_dropped = false;
    for (k, raw) in raw_fields {
        let k = if is_escaped(k) {
            unescape_field_key(k)
        } else {
            k.to_vec()
        };
        let at = fields_range.start;
        let v = field_value(raw).map_err(|why| (at, why))?;
        if std::str::from_utf8(&k).is_err() {
            return err(at, &format!("invalid UTF-8 in field key {UTF8}"));
        }
        if k.is_empty() {
            continue;
        }
        if k == b"time" {
            time_field_dropped = true;
            continue;
        }
        if let Some(slot) = out.iter_mut().find(|(ok, _)| *ok == k) {
            if std::mem::discriminant(&slot.1) != std::mem::discriminant(&v) {
                return err(at, "field type conflict between two fields of one key");
            }
            slot.1 = v;
            repeated = Some(k);
        } else {
            out.push((k, v));
        }
    }
    if out.is_empty() {
        return err(
            0,
            "field key `time` is refused by InfluxDB 1.x (\"invalid field name\"): rename it",
        );
    }
    Ok(Stored {
        measurement,
        tags,
        fields: out,
        timestamp,
        repeated,
        time_field_dropped,
    })
}

/// The typed value of a raw field (`FieldIterator` and its `*Value` parsers).
fn field_value(raw: &[u8]) -> Result<Value, String> {
    let Some(&c) = raw.first() else {
        return Err("empty field value".into());
    };
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    if c == b'"' {
        if raw.len() < 2 {
            // `StringValue` slices [1:0]: the server panics and exits.
            return Err("a field value of one quote (its key swallowed an `=`): InfluxDB 1.x crashes on this line".into());
        }
        let inner = &raw[1..raw.len() - 1];
        return Ok(Value::Str(unescape_string(inner)));
    }
    if b"0123456789-.nNiIu".contains(&c) {
        let last = raw[raw.len() - 1];
        let body = text(&raw[..raw.len() - 1]);
        return match last {
            b'i' => go_int(&body)
                .map(Value::Int)
                .ok_or("invalid integer".into()),
            b'u' => Err(format!(
                "unsigned value `{}` is refused by InfluxDB 1.x OSS (invalid number)",
                text(raw)
            )),
            _ => go_float(&text(raw))
                .map(Value::Float)
                .ok_or("invalid float".into()),
        };
    }
    match raw {
        b"t" | b"T" | b"true" | b"True" | b"TRUE" => Ok(Value::Bool(true)),
        b"f" | b"F" | b"false" | b"False" | b"FALSE" => Ok(Value::Bool(false)),
        _ => Err("invalid boolean".into()),
    }
}

/// Go's `strconv.ParseInt(s, 10, 64)` (a leading `+` is allowed).
fn go_int(s: &str) -> Option<i64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Go's `strconv.ParseFloat(s, 64)` on what the scanner lets through (digits, one point,
/// an exponent): `None` on a syntax or range error.
fn go_float(s: &str) -> Option<f64> {
    if !super::reference::is_float(s.as_bytes()) {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// `scanKey`: the end of the key, its length and the tags' (key, value, value end) offsets.
#[allow(clippy::type_complexity)]
fn scan_key(buf: &[u8]) -> Res<(usize, usize, Vec<(usize, usize, usize)>)> {
    let n = buf.len();
    // scanMeasurement
    if buf[0] == b',' {
        return err(0, "missing measurement");
    }
    let mut i = 0;
    let mut tags_state = false;
    loop {
        i += 1;
        if i >= n {
            return err(i, "missing fields");
        }
        if buf[i - 1] == b'\\' {
            continue;
        }
        if buf[i] == b',' {
            tags_state = true;
            i += 1;
            break;
        }
        if buf[i] == b' ' {
            break;
        }
    }
    let mut tags = Vec::new();
    if tags_state {
        loop {
            // scanTagsKey
            let k0 = i;
            if i >= n || matches!(buf[i], b' ' | b',' | b'=') {
                return err(i, "missing tag key");
            }
            loop {
                i += 1;
                if i >= n || (matches!(buf[i], b' ' | b',') && buf[i - 1] != b'\\') {
                    return err(i, "missing tag value");
                }
                if buf[i] == b'=' && buf[i - 1] != b'\\' {
                    i += 1;
                    break;
                }
            }
            // scanTagsValue
            let v0 = i;
            if i >= n || matches!(buf[i], b',' | b' ') {
                return err(i, "missing tag value");
            }
            let more = loop {
                i += 1;
                if i >= n {
                    return err(i, "missing fields");
                }
                if buf[i] == b'=' && buf[i - 1] != b'\\' {
                    return err(i, "invalid tag format");
                }
                if buf[i] == b',' && buf[i - 1] != b'\\' {
                    break true;
                }
                if buf[i] == b' ' && buf[i - 1] != b'\\' {
                    break false;
                }
            };
            tags.push((k0, v0, i));
            if more {
                i += 1;
            } else {
                break;
            }
        }
    }
    // Duplicate tag keys, compared as written.
    for (a, t) in tags.iter().enumerate() {
        let key = &buf[t.0..t.1 - 1];
        if tags[..a].iter().any(|u| &buf[u.0..u.1 - 1] == key) {
            return err(t.0, "duplicate tags");
        }
    }
    Ok((i, i, tags))
}

/// `scanFields`: the end and the range of the field set.
fn scan_fields(buf: &[u8], from: usize) -> Res<(usize, std::ops::Range<usize>)> {
    let n = buf.len();
    let mut i = from;
    while i < n && matches!(buf[i], b' ' | b'\t' | 0) {
        i += 1;
    }
    let start = i;
    let mut quoted = false;
    let (mut equals, mut commas) = (0usize, 0usize);
    loop {
        if i >= n {
            break;
        }
        if buf[i] == b'\\' && i + 1 < n {
            i += 2;
            continue;
        }
        if buf[i] == b'"' && equals > commas {
            quoted = !quoted;
            i += 1;
            continue;
        }
        if buf[i] == b'=' && !quoted {
            equals += 1;
            let before = |c: u8| buf[i - 1] == c && (i < 2 || buf[i - 2] != b'\\');
            if i >= 1 && (before(b' ') || before(b',')) {
                return err(i, "missing field key");
            }
            if i + 1 >= n || matches!(buf[i + 1], b',' | b' ') {
                return err(i, "missing field value");
            }
            let c = buf[i + 1];
            if c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'N' | b'n') {
                i = scan_number(buf, i + 1)?;
                continue;
            }
            if c != b'"' {
                i = scan_boolean(buf, i + 1)?;
                continue;
            }
        }
        if buf[i] == b',' && !quoted {
            commas += 1;
        }
        if buf[i] == b' ' && !quoted {
            break;
        }
        i += 1;
    }
    if quoted {
        return err(i, "unbalanced quotes");
    }
    if equals == 0 || commas != equals - 1 {
        return err(i, "invalid field format");
    }
    Ok((i, start..i))
}

fn scan_number(buf: &[u8], mut i: usize) -> Res<usize> {
    let n = buf.len();
    let start = i;
    let (mut is_int, mut is_uint, mut decimal, mut scientific) = (false, false, false, false);
    if i < n && buf[i] == b'-' {
        i += 1;
        if i == n {
            return err(i, "invalid number");
        }
    }
    while i < n {
        let c = buf[i];
        if c == b',' || c == b' ' {
            break;
        }
        if c == b'i' && i > start && !(is_int || is_uint) {
            is_int = true;
            i += 1;
            continue;
        }
        if c == b'u' && i > start && !(is_int || is_uint) {
            is_uint = true;
            i += 1;
            continue;
        }
        if c == b'.' {
            if decimal {
                return err(i, "invalid number");
            }
            decimal = true;
        }
        if i > start && (c == b'e' || c == b'E') {
            scientific = true;
            i += 1;
            continue;
        }
        if (c == b'+' || c == b'-') && matches!(buf[i - 1], b'e' | b'E') {
            i += 1;
            continue;
        }
        if i + 2 < n && (c == b'N' || c == b'n') {
            return err(i, "invalid number");
        }
        if !(c.is_ascii_digit() || c == b'.') {
            return err(i, "invalid number");
        }
        i += 1;
    }
    if (is_int || is_uint) && (decimal || scientific) {
        return err(i, "invalid number");
    }
    let mut digits = i - start;
    digits -= usize::from(is_int) + usize::from(decimal) + usize::from(buf[start] == b'-');
    if digits == 0 {
        return err(start, "invalid number");
    }
    let text = String::from_utf8_lossy(&buf[start..i]);
    if is_int {
        if buf[i - 1] != b'i' {
            return err(start, "invalid number");
        }
        if i - 1 - start >= 19 && go_int(&text[..text.len() - 1]).is_none() {
            return err(start, "unable to parse integer: value out of range");
        }
    } else if is_uint {
        return err(
            start,
            &format!(
                "unsigned value `{text}` is refused by InfluxDB 1.x OSS (invalid number): write it as an integer ({}i) or a float",
                &text[..text.len() - 1]
            ),
        );
    } else if (scientific || i - start >= 25) && go_float(&text).is_none() {
        return err(start, "invalid float");
    }
    Ok(i)
}

fn scan_boolean(buf: &[u8], mut i: usize) -> Res<usize> {
    let n = buf.len();
    let start = i;
    if i < n && !matches!(buf[i], b't' | b'f' | b'T' | b'F') {
        return err(i, "invalid boolean");
    }
    i += 1;
    while i < n && !matches!(buf[i], b',' | b' ') {
        i += 1;
    }
    let word = &buf[start..i.min(n)];
    let ok = matches!(
        word,
        b"t" | b"T" | b"f" | b"F" | b"true" | b"True" | b"TRUE" | b"false" | b"False" | b"FALSE"
    );
    if ok {
        Ok(i)
    } else {
        err(start, "invalid boolean")
    }
}

fn scan_time(buf: &[u8], from: usize) -> Res<(usize, &[u8])> {
    let n = buf.len();
    let mut i = from;
    while i < n && matches!(buf[i], b' ' | b'\t' | 0) {
        i += 1;
    }
    let start = i;
    while i < n {
        if buf[i] == b'\n' || buf[i] == b' ' {
            break;
        }
        if i == start && buf[i] == b'-' {
            i += 1;
            continue;
        }
        if !buf[i].is_ascii_digit() {
            return err(i, "bad timestamp");
        }
        i += 1;
    }
    Ok((i, &buf[start..i]))
}

/// `scanTo`: the first `stop` not preceded by a backslash.
fn scan_to(buf: &[u8], from: usize, stop: u8) -> usize {
    let mut i = from;
    while i < buf.len() {
        if buf[i] == stop && (i == 0 || buf[i - 1] != b'\\') {
            break;
        }
        i += 1;
    }
    i
}

/// `scanFieldValue`: the end of a raw field value.
fn scan_field_value(buf: &[u8], from: usize) -> usize {
    let mut i = from;
    let mut quoted = false;
    while i < buf.len() {
        if buf[i] == b'\\' && i + 1 < buf.len() && matches!(buf[i + 1], b'"' | b'\\') {
            i += 2;
            continue;
        }
        if buf[i] == b'"' {
            i += 1;
            quoted = !quoted;
            continue;
        }
        if buf[i] == b',' && !quoted {
            break;
        }
        i += 1;
    }
    i
}

/// The iterator's (raw key, raw value) pairs.
fn walk_fields(fields: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < fields.len() {
        let eq = scan_to(fields, start, b'=');
        let end = scan_field_value(fields, (eq + 1).min(fields.len()));
        out.push((&fields[start..eq], &fields[(eq + 1).min(end)..end]));
        start = end + 1;
    }
    out
}

/// `escape.Unescape`: `\,`, `\"`, `\ `, `\=`.
pub(crate) fn unescape_all(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && i + 1 < s.len() && matches!(s[i + 1], b',' | b'"' | b' ' | b'=') {
            out.push(s[i + 1]);
            i += 2;
            continue;
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

/// `escape.IsEscaped`.
fn is_escaped(s: &[u8]) -> bool {
    s.windows(2)
        .any(|w| w[0] == b'\\' && matches!(w[1], b',' | b'"' | b' ' | b'='))
}

/// `escape.AppendUnescaped`.
fn unescape_field_key(src: &[u8]) -> Vec<u8> {
    let mut dst = Vec::new();
    let mut src = src;
    let mut pos = 0;
    while !src.is_empty() {
        let Some(next) = memchr::memchr(b'\\', &src[pos..]) else {
            dst.extend_from_slice(src);
            return dst;
        };
        if pos + next + 1 >= src.len() {
            dst.extend_from_slice(src);
            return dst;
        }
        if matches!(src[pos + next + 1], b',' | b'"' | b' ' | b'=') {
            dst.extend_from_slice(&src[..pos + next]);
            src = &src[pos + next + 1..];
            pos = 0;
        } else {
            pos += next + 1;
        }
    }
    dst
}

/// `unescapeTag`: `\,`, then `\ `, then `\=` replaced in turn.
fn unescape_tag(s: &[u8]) -> Vec<u8> {
    let mut v = s.to_vec();
    for c in [b',', b' ', b'='] {
        v = replace(&v, &[b'\\', c], c);
    }
    v
}

fn replace(s: &[u8], pat: &[u8; 2], with: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i..].starts_with(pat) {
            out.push(with);
            i += 2;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// `unescapeStringField`: `\\` and `\"`.
fn unescape_string(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && matches!(s.get(i + 1), Some(b'\\' | b'"')) {
            out.push(s[i + 1]);
            i += 2;
            continue;
        }
        out.push(s[i]);
        i += 1;
    }
    out
}
