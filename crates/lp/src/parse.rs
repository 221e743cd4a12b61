//! A strict line-protocol line parser (LINE-PROTOCOL.md), and a cheap timestamp finder.
//!
//! [`parse_line`] validates one line (without its LF) and returns its parts as borrowed, still
//! escaped byte slices: nothing is allocated for a line with up to 32 tags. It accepts what
//! every server accepts, so a line it passes is portable:
//!
//! - escapes per element: `\,` and `\ ` in the measurement; `\,`, `\=`, `\ ` in keys and tag
//!   values; `\"` and `\\` inside strings; any other backslash is literal. A name or tag value
//!   may not end with a backslash.
//! - floats `-?D+(.D+)?([eE][+-]?D+)?`, finite (`1.` and `.5` are refused: InfluxDB 3 does);
//!   integers `42i` in i64; unsigned `42u` in u64 (InfluxDB 1.x OSS refuses `u`: `check
//!   --target` says so, not this parser); booleans `t T true True TRUE f F false False FALSE`;
//!   strings up to 64 KiB.
//! - an optional integer timestamp in -9223372036854775806..=9223372036854775806, then
//!   nothing but spaces.
//! - no empty tag value, no duplicate tag key, no `\r` (write LF line endings).
//!
//! Comments (`#` first) and blank lines are not lines: check [`is_blank_or_comment`] first.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

/// Smallest timestamp every server accepts.
pub const MIN_TIMESTAMP: i64 = -9_223_372_036_854_775_806;
/// Largest timestamp every server accepts.
pub const MAX_TIMESTAMP: i64 = 9_223_372_036_854_775_806;
/// Longest string field value (raw, escaped bytes between the quotes).
pub const MAX_STRING_LEN: usize = 64 * 1024;

/// What is wrong with a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Blank line or comment passed to [`parse_line`].
    NotALine,
    /// A `\r` or `\n` inside the line.
    LineBreak,
    /// Nothing before the first comma or space.
    MissingMeasurement,
    /// A tag without `=`, or with an empty key.
    BadTag,
    /// `t=` with nothing after it.
    EmptyTagValue,
    /// The same tag key twice.
    DuplicateTag,
    /// A name or tag value ending in a backslash.
    EndsInBackslash,
    /// No field set.
    MissingFields,
    /// A field without `=`, or with an empty key.
    BadField,
    /// `f=` with nothing after it.
    MissingFieldValue,
    /// A value that is no float, integer, unsigned, boolean or string.
    InvalidValue,
    /// An integer or unsigned outside its range, or a float that is not finite.
    OutOfRange,
    /// A string without its closing quote.
    UnterminatedString,
    /// A string over [`MAX_STRING_LEN`].
    StringTooLong,
    /// The timestamp is not an integer.
    InvalidTimestamp,
    /// The timestamp is outside [`MIN_TIMESTAMP`]..=[`MAX_TIMESTAMP`].
    TimestampOutOfRange,
    /// Something after the timestamp.
    TextAfterTimestamp,
}

/// A parse error: its kind, the 1-based byte column where the bad element starts, and a
/// message that says what was found and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong.
    pub kind: ErrorKind,
    /// 1-based byte column.
    pub column: usize,
    /// Human-readable explanation.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for ParseError {}

/// A typed field value. Strings stay escaped; see [`unescape_string`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldValue<'a> {
    /// `1.5`
    Float(f64),
    /// `42i`
    Integer(i64),
    /// `42u`
    Unsigned(u64),
    /// `true`
    Boolean(bool),
    /// `"..."`, raw bytes between the quotes.
    String(&'a [u8]),
}

/// A valid line, as borrowed escaped slices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<'a> {
    /// Measurement, escaped (see [`unescape_measurement`]).
    pub measurement: &'a [u8],
    /// The tag set without its leading comma (empty when there are no tags).
    pub tag_set: &'a [u8],
    /// The field set.
    pub field_set: &'a [u8],
    /// The timestamp, if any, in the request's precision.
    pub timestamp: Option<i64>,
    /// Byte range of the timestamp in the line.
    pub timestamp_span: Option<Range<usize>>,
}

impl<'a> Line<'a> {
    /// The tags as (escaped key, escaped value), in line order.
    pub fn tags(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a {
        let set = self.tag_set;
        split_unescaped(set, b',')
            .filter(|t| !t.is_empty())
            .map(|t| {
                let eq = find_unescaped(t, b'=').unwrap_or(t.len());
                (&t[..eq], t.get(eq + 1..).unwrap_or(&[]))
            })
    }

    /// The fields as (escaped key, value), in line order.
    pub fn fields(&self) -> impl Iterator<Item = (&'a [u8], FieldValue<'a>)> + 'a {
        let set = self.field_set;
        let mut pos = 0;
        std::iter::from_fn(move || {
            if pos >= set.len() {
                return None;
            }
            let eq = pos + find_unescaped(&set[pos..], b'=')?;
            let key = &set[pos..eq];
            let (value, end) = scan_value(set, eq + 1).ok()?;
            pos = end + 1;
            Some((key, value))
        })
    }
}

/// True for a line that is not sent or checked: empty, only spaces/tabs, or a `#` comment.
pub fn is_blank_or_comment(line: &[u8]) -> bool {
    match line
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t' | b'\r'))
    {
        None => true,
        Some(i) => line[i] == b'#',
    }
}

/// Finds the timestamp of a *valid* line cheaply, scanning from the end: the trailing integer
/// preceded by an unescaped space. Returns its byte range and value. `None` when the line has
/// no timestamp (or the trailing number does not fit an i64).
pub fn find_timestamp(line: &[u8]) -> Option<(Range<usize>, i64)> {
    let mut end = line.len();
    while end > 0 && line[end - 1] == b' ' {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && line[start - 1].is_ascii_digit() {
        start -= 1;
    }
    if start == end {
        return None;
    }
    if start > 0 && line[start - 1] == b'-' {
        start -= 1;
    }
    if start < 2 || line[start - 1] != b' ' || line[start - 2] == b'\\' {
        return None;
    }
    let v = parse_i64(&line[start..end])?;
    Some((start..end, v))
}

/// Parses and validates one line (without its line ending).
pub fn parse_line(line: &[u8]) -> Result<Line<'_>, ParseError> {
    if is_blank_or_comment(line) {
        return Err(err(
            ErrorKind::NotALine,
            0,
            "a blank line or comment is not a point".into(),
        ));
    }
    if let Some(i) = memchr::memchr2(b'\r', b'\n', line) {
        return Err(err(
            ErrorKind::LineBreak,
            i,
            "carriage return or line feed inside the line: write LF line endings".into(),
        ));
    }
    let n = line.len();
    // Measurement.
    let m_end = scan_name(line, 0, |b| b == b',' || b == b' ');
    let measurement = &line[..m_end];
    if measurement.is_empty() {
        return Err(err(
            ErrorKind::MissingMeasurement,
            0,
            "missing measurement".into(),
        ));
    }
    check_backslash(measurement, 0, "measurement")?;
    // Tags.
    let mut pos = m_end;
    let tags_start = pos + 1;
    let mut keys: [(u32, u32); 32] = [(0, 0); 32];
    let mut nkeys = 0usize;
    let mut more_keys: Vec<(usize, usize)> = Vec::new();
    while pos < n && line[pos] == b',' {
        let k0 = pos + 1;
        let k_end = scan_name(line, k0, |b| b == b'=' || b == b',' || b == b' ');
        if k_end == k0 || k_end >= n || line[k_end] != b'=' {
            return Err(err(
                ErrorKind::BadTag,
                k0,
                format!("tag `{}` needs the form key=value", show(&line[k0..k_end])),
            ));
        }
        check_backslash(&line[k0..k_end], k0, "tag key")?;
        let v0 = k_end + 1;
        let v_end = scan_name(line, v0, |b| b == b',' || b == b' ' || b == b'=');
        if v_end < n && line[v_end] == b'=' {
            return Err(err(
                ErrorKind::BadTag,
                v_end,
                "unescaped `=` in a tag value: write it as `\\=`".into(),
            ));
        }
        if v_end == v0 {
            return Err(err(
                ErrorKind::EmptyTagValue,
                v0,
                format!(
                    "tag `{}` has an empty value: omit the tag instead",
                    show(&line[k0..k_end])
                ),
            ));
        }
        check_backslash(&line[v0..v_end], v0, "tag value")?;
        let key = &line[k0..k_end];
        let dup = keys[..nkeys]
            .iter()
            .map(|&(a, b)| (a as usize, b as usize))
            .chain(more_keys.iter().copied())
            .any(|(a, b)| &line[a..b] == key);
        if dup {
            return Err(err(
                ErrorKind::DuplicateTag,
                k0,
                format!("duplicate tag key `{}`", show(key)),
            ));
        }
        if nkeys < keys.len() {
            keys[nkeys] = (k0 as u32, k_end as u32);
            nkeys += 1;
        } else {
            more_keys.push((k0, k_end));
        }
        pos = v_end;
    }
    let tag_set = if pos > m_end {
        &line[tags_start..pos]
    } else {
        &line[..0]
    };
    // Fields.
    let f0 = skip_spaces(line, pos);
    if f0 >= n {
        return Err(err(
            ErrorKind::MissingFields,
            f0,
            "missing field set: a line needs at least one field, such as value=1".into(),
        ));
    }
    let mut pos = f0;
    loop {
        let k_end = scan_name(line, pos, |b| b == b'=' || b == b',' || b == b' ');
        if k_end == pos || k_end >= n || line[k_end] != b'=' {
            return Err(err(
                ErrorKind::BadField,
                pos,
                format!(
                    "field `{}` needs the form key=value",
                    show(&line[pos..k_end])
                ),
            ));
        }
        check_backslash(&line[pos..k_end], pos, "field key")?;
        let (_, end) = scan_value(line, k_end + 1)?;
        pos = end;
        if pos < n && line[pos] == b',' {
            pos += 1;
            continue;
        }
        break;
    }
    let field_set = &line[f0..pos];
    // Timestamp.
    let t0 = skip_spaces(line, pos);
    if t0 >= n {
        return Ok(Line {
            measurement,
            tag_set,
            field_set,
            timestamp: None,
            timestamp_span: None,
        });
    }
    let mut t_end = t0;
    while t_end < n && line[t_end] != b' ' {
        t_end += 1;
    }
    let text = &line[t0..t_end];
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(err(
            ErrorKind::InvalidTimestamp,
            t0,
            format!("invalid timestamp `{}`: expected an integer", show(text)),
        ));
    }
    let ts = match parse_i64(text) {
        Some(v) if (MIN_TIMESTAMP..=MAX_TIMESTAMP).contains(&v) => v,
        _ => {
            return Err(err(
                ErrorKind::TimestampOutOfRange,
                t0,
                format!(
                    "timestamp {} is out of range (1677-09-21 to 2262-04-11 in ns)",
                    show(text)
                ),
            ))
        }
    };
    let rest = skip_spaces(line, t_end);
    if rest < n {
        return Err(err(
            ErrorKind::TextAfterTimestamp,
            rest,
            format!(
                "unexpected text after the timestamp: `{}`",
                show(&line[rest..])
            ),
        ));
    }
    Ok(Line {
        measurement,
        tag_set,
        field_set,
        timestamp: Some(ts),
        timestamp_span: Some(t0..t_end),
    })
}

/// Unescapes a measurement (`\,` and `\ `).
pub fn unescape_measurement(raw: &[u8]) -> Cow<'_, [u8]> {
    unescape(raw, b", ")
}

/// Unescapes a tag key, tag value or field key (`\,`, `\=`, `\ `).
pub fn unescape_key(raw: &[u8]) -> Cow<'_, [u8]> {
    unescape(raw, b",= ")
}

/// Unescapes a string field value (`\"` and `\\`).
pub fn unescape_string(raw: &[u8]) -> Cow<'_, [u8]> {
    unescape(raw, b"\"\\")
}

fn unescape<'a>(raw: &'a [u8], specials: &[u8]) -> Cow<'a, [u8]> {
    if memchr::memchr(b'\\', raw).is_none() {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' && i + 1 < raw.len() {
            if specials.contains(&raw[i + 1]) {
                out.push(raw[i + 1]);
            } else {
                out.extend_from_slice(&raw[i..i + 2]);
            }
            i += 2;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}

fn err(kind: ErrorKind, at: usize, message: String) -> ParseError {
    ParseError {
        kind,
        column: at + 1,
        message,
    }
}

fn show(b: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(b)
}

/// End of a name starting at `from`: the first byte for which `stop` holds that is not
/// escaped by a backslash (a backslash takes the next byte with it, whatever it is).
fn scan_name(line: &[u8], from: usize, stop: impl Fn(u8) -> bool) -> usize {
    let mut i = from;
    while i < line.len() {
        let b = line[i];
        if b == b'\\' {
            i += 2;
            continue;
        }
        if stop(b) {
            return i;
        }
        i += 1;
    }
    line.len()
}

fn check_backslash(name: &[u8], at: usize, what: &str) -> Result<(), ParseError> {
    if name.last() == Some(&b'\\') {
        return Err(err(
            ErrorKind::EndsInBackslash,
            at,
            format!(
                "{what} `{}` ends in a backslash, which servers read differently: remove it",
                show(name)
            ),
        ));
    }
    Ok(())
}

fn skip_spaces(line: &[u8], mut i: usize) -> usize {
    while i < line.len() && line[i] == b' ' {
        i += 1;
    }
    i
}

fn find_unescaped(s: &[u8], needle: u8) -> Option<usize> {
    let end = scan_name(s, 0, |b| b == needle);
    (end < s.len()).then_some(end)
}

fn split_unescaped(s: &[u8], sep: u8) -> impl Iterator<Item = &[u8]> {
    let mut pos = 0;
    let mut done = s.is_empty();
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let end = scan_name(s, pos, |b| b == sep);
        let item = &s[pos..end];
        if end >= s.len() {
            done = true;
        }
        pos = end + 1;
        Some(item)
    })
}

fn as_str(s: &[u8]) -> &str {
    std::str::from_utf8(s).unwrap_or("")
}

fn parse_i64(s: &[u8]) -> Option<i64> {
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// Parses the field value starting at `v0`; returns it and the index just past it.
fn scan_value(line: &[u8], v0: usize) -> Result<(FieldValue<'_>, usize), ParseError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Line<'_> {
        parse_line(line.as_bytes()).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    fn kind(line: &str) -> ErrorKind {
        match parse_line(line.as_bytes()) {
            Ok(l) => panic!("{line}: accepted as {l:?}"),
            Err(e) => e.kind,
        }
    }

    fn tags(l: &Line<'_>) -> Vec<(Vec<u8>, Vec<u8>)> {
        l.tags()
            .map(|(k, v)| (unescape_key(k).into_owned(), unescape_key(v).into_owned()))
            .collect()
    }

    #[test]
    fn tricky_lines_of_line_protocol_md() {
        let l = ok(r"cpu,host=two\ words value=42");
        assert_eq!(tags(&l), vec![(b"host".to_vec(), b"two words".to_vec())]);
        assert_eq!(
            l.fields().next(),
            Some((&b"value"[..], FieldValue::Float(42.0)))
        );

        let l = ok(r"m,hi\ yo\ =w\,est,server=a x=1");
        assert_eq!(
            tags(&l),
            vec![
                (b"hi yo ".to_vec(), b"w,est".to_vec()),
                (b"server".to_vec(), b"a".to_vec())
            ]
        );

        let l = ok(r"cpu va\ lue=42");
        let (k, v) = l.fields().next().unwrap();
        assert_eq!(&*unescape_key(k), b"va lue");
        assert_eq!(v, FieldValue::Float(42.0));

        let l = ok(r"cpu=load,equals\=foo=tag\=value value=1i");
        assert_eq!(&*unescape_measurement(l.measurement), b"cpu=load");
        assert_eq!(
            tags(&l),
            vec![(b"equals=foo".to_vec(), b"tag=value".to_vec())]
        );
        assert_eq!(l.fields().next().unwrap().1, FieldValue::Integer(1));

        let l = ok(r#""cpu",host=a value=1.0"#);
        assert_eq!(l.measurement, br#""cpu""#);

        let l = ok(r#"cpu value="test\\\"" 1000000000"#);
        match l.fields().next().unwrap().1 {
            FieldValue::String(s) => assert_eq!(&*unescape_string(s), br#"test\""#),
            v => panic!("{v:?}"),
        }
        assert_eq!(l.timestamp, Some(1_000_000_000));

        let l = ok(r#"cpu value="test\\" 1000000000"#);
        match l.fields().next().unwrap().1 {
            FieldValue::String(s) => assert_eq!(&*unescape_string(s), br"test\"),
            v => panic!("{v:?}"),
        }

        assert_eq!(kind(r"m,t=a\\ f=1"), ErrorKind::EndsInBackslash);
        assert_eq!(
            kind("cpu value=9223372036854775808i"),
            ErrorKind::OutOfRange
        );
        let l = ok("m f=18446744073709551615u");
        assert_eq!(l.fields().next().unwrap().1, FieldValue::Unsigned(u64::MAX));
        assert_eq!(
            kind("b f=1 9223372036854775808"),
            ErrorKind::TimestampOutOfRange
        );
        assert!(parse_line(b"cpu value=1 9223372036854775807 12").is_err());
        assert_eq!(
            kind("cpu value=1 9223372036854775806 12"),
            ErrorKind::TextAfterTimestamp
        );
        assert_eq!(kind("cpu,b=2,c=3,b=1 value=1i"), ErrorKind::DuplicateTag);
    }

    #[test]
    fn the_line_rules() {
        assert_eq!(kind("m,t= f=1"), ErrorKind::EmptyTagValue);
        assert_eq!(kind("m f=1 # x"), ErrorKind::InvalidTimestamp);
        assert_eq!(kind("m f=1\r"), ErrorKind::LineBreak);
        assert_eq!(kind("# comment"), ErrorKind::NotALine);
        assert_eq!(kind("   "), ErrorKind::NotALine);
        assert_eq!(kind("m"), ErrorKind::MissingFields);
        assert_eq!(kind("m,t=a"), ErrorKind::MissingFields);
        assert_eq!(kind(",t=a f=1"), ErrorKind::MissingMeasurement);
        assert_eq!(kind("m,t f=1"), ErrorKind::BadTag);
        assert_eq!(kind("m,=a f=1"), ErrorKind::BadTag);
        assert_eq!(kind("m f"), ErrorKind::BadField);
        assert_eq!(kind("m f="), ErrorKind::MissingFieldValue);
        assert_eq!(kind("m f=1,"), ErrorKind::BadField);
        assert_eq!(kind("m f=\"abc"), ErrorKind::UnterminatedString);
        assert_eq!(kind("m f=1.5 1.5"), ErrorKind::InvalidTimestamp);
        assert_eq!(kind(r"m\\ f=1"), ErrorKind::EndsInBackslash);
        let long = format!("m f=\"{}\"", "x".repeat(MAX_STRING_LEN + 1));
        assert_eq!(kind(&long), ErrorKind::StringTooLong);
        let ok_long = format!("m f=\"{}\"", "x".repeat(MAX_STRING_LEN));
        ok(&ok_long);
        // 33 tags: the duplicate check goes past the inline array.
        let many: String = (0..33).map(|i| format!(",k{i}=v")).collect();
        ok(&format!("m{many} f=1"));
        assert_eq!(kind(&format!("m{many},k32=w f=1")), ErrorKind::DuplicateTag);
    }

    #[test]
    fn values() {
        let v = |s: &str| {
            let line: &'static str = Box::leak(format!("m f={s}").into_boxed_str());
            ok(line).fields().next().unwrap().1
        };
        assert_eq!(v("1"), FieldValue::Float(1.0));
        assert_eq!(v("-1.5"), FieldValue::Float(-1.5));
        assert_eq!(v("1e-3"), FieldValue::Float(1e-3));
        assert_eq!(v("1.234E06"), FieldValue::Float(1.234e6));
        assert_eq!(v("007i"), FieldValue::Integer(7));
        assert_eq!(v("-9223372036854775808i"), FieldValue::Integer(i64::MIN));
        assert_eq!(v("0u"), FieldValue::Unsigned(0));
        for t in ["t", "T", "true", "True", "TRUE"] {
            assert_eq!(v(t), FieldValue::Boolean(true));
        }
        for f in ["f", "F", "false", "False", "FALSE"] {
            assert_eq!(v(f), FieldValue::Boolean(false));
        }
        for bad in [
            "tRUE", "NaN", "Inf", "1.0i", "+1i", "9e10i", "-1u", "1.", ".5", "1.e+78", "1e", "abc",
            "1x",
        ] {
            assert!(
                parse_line(format!("m f={bad}").as_bytes()).is_err(),
                "{bad}"
            );
        }
        assert_eq!(kind("m f=1e400"), ErrorKind::OutOfRange);
        assert_eq!(kind("m f=18446744073709551616u"), ErrorKind::OutOfRange);
        let e = parse_line(b"m f=1.").unwrap_err();
        assert!(e.message.contains("1.0"), "{e}");
        assert_eq!(e.column, 5);
    }

    #[test]
    fn several_fields_timestamps_and_spaces() {
        let l = ok(r#"home,room=Living\ Room temp=21.1,hum=35.9,co=0i,s="a,b c",ok=t 1641024000"#);
        let f: Vec<_> = l.fields().collect();
        assert_eq!(f.len(), 5);
        assert_eq!(f[3], (&b"s"[..], FieldValue::String(b"a,b c")));
        assert_eq!(f[4].1, FieldValue::Boolean(true));
        assert_eq!(l.timestamp, Some(1_641_024_000));
        assert_eq!(l.timestamp_span, Some(63..73));
        assert_eq!(ok("m f=1 -5").timestamp, Some(-5));
        assert_eq!(ok("m f=1  123  ").timestamp, Some(123));
        assert_eq!(ok("m f=1").timestamp, None);
        assert_eq!(ok("m f=1 ").timestamp, None);
        assert_eq!(
            ok("m f=1 -9223372036854775806").timestamp,
            Some(MIN_TIMESTAMP)
        );
        assert_eq!(
            kind("m f=1 -9223372036854775807"),
            ErrorKind::TimestampOutOfRange
        );
    }

    #[test]
    fn errors_carry_columns() {
        let e = parse_line(b"cpu,host=a value=abc 1").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidValue);
        assert_eq!(e.column, 18);
        assert!(
            e.to_string()
                .starts_with("column 18: invalid field value `abc`"),
            "{e}"
        );
        let e = parse_line(b"cpu,b=2,c=3,b=1 value=1i").unwrap_err();
        assert_eq!(e.column, 13);
    }

    #[test]
    fn blank_and_comment() {
        assert!(is_blank_or_comment(b""));
        assert!(is_blank_or_comment(b"  \t"));
        assert!(is_blank_or_comment(b"# x"));
        assert!(is_blank_or_comment(b"  # x"));
        assert!(!is_blank_or_comment(b"m f=1"));
    }

    #[test]
    fn find_timestamp_agrees_with_the_parser() {
        let lines = [
            "m f=1 123",
            "m f=1",
            "m f=-5",
            "m f=1e-5",
            "m f=1.5",
            "m,t=a f=\"x 12\"",
            "m,t=a f=\"x 12\" 99",
            "m f=1 -42",
            "m f=1i,g=2 1641024000  ",
            "m f=12u",
            r"m,t=a\ 1 f=1",
        ];
        for line in lines {
            let parsed = ok(line);
            let found = find_timestamp(line.as_bytes());
            assert_eq!(found.as_ref().map(|f| f.1), parsed.timestamp, "{line}");
            assert_eq!(found.map(|f| f.0), parsed.timestamp_span, "{line}");
        }
    }
}
