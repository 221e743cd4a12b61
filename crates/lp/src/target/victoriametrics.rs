//! What VictoriaMetrics (1.79, `lib/protoparser/influx`, `app/vminsert/influx`,
//! `lib/storage`) does with one line sent to `/write?db=DB&precision=ns`: a port of its
//! parser and of what the insert path and the storage keep, so that the verdict is the
//! server's own reading compared with the reference's ([`super::reference`]).
//!
//! - A line it cannot parse is skipped and only logged (the request still answers 204):
//!   *dropped*. Over 256 KiB (`-influx.maxLineSize`) the whole request is refused.
//! - Each field is one sample named `{measurement}_{field}` with the tags and a `db` label as
//!   labels; its value is a float: integers and unsigned are converted, booleans are 1 and
//!   0, strings are read as a number (`fastfloat.ParseBestEffort`: 0 unless the text is one);
//!   the storage keeps about 12 significant digits (`vm_decimal.rs`).
//! - Labels: tags in line order, then `db`, at most 30 (the rest are lost), then the name;
//!   names cut to 256 bytes, values (and the name) to 16 KiB; a tag `__name__` is replaced by
//!   the name.
//! - Timestamps are nanoseconds cut toward zero to milliseconds; 0 (or none) is the time of
//!   writing; the storage drops a sample before 1970 or more than 2 days after its clock's
//!   whole second, up to a second behind now (and any
//!   older than the retention period, a server setting not checked here); NaN is dropped.

use super::fastfloat::{parse_best_effort, parse_int64, parse_uint64};

/// One sample as stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
    /// The metric name (`__name__`).
    pub name: Vec<u8>,
    /// The labels besides the name and `db`, in line order.
    pub labels: Pairs,
    pub value: f64,
    /// Milliseconds; `None`: the time of writing.
    pub time_ms: Option<i64>,
    /// Why the storage drops it, if it does.
    pub dropped: Option<&'static str>,
    /// The request's `db` label did not fit the 30 labels.
    pub db_lost: bool,
}

/// The server's answer to one line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// Nothing to store (empty, or a comment).
    Blank,
    /// The samples of the line.
    Stored(Vec<Sample>),
    /// Skipped by the parser (logged, 204): its reason.
    Dropped(String),
    /// The request is refused (400).
    Refused(String),
}

const MAX_LINE_SIZE: usize = 256 * 1024;
const MAX_LABELS: usize = 30;
const MAX_LABEL_NAME: usize = 256;
const MAX_LABEL_VALUE: usize = 16 * 1024;
/// The storage's "two days ahead" bound, in milliseconds.
const MAX_AHEAD_MS: i64 = 2 * 24 * 3600 * 1000;

/// The largest millisecond the storage surely keeps at `now_ns`: `getMinMaxTimestamps`
/// reads now from `fasttime.UnixTimestamp()`, whole seconds set by a ticker once a second
/// (so up to a second behind: at 20.5 s it may still say 19), plus 2 days.
pub(crate) fn max_stored_ms(now_ns: i64) -> i64 {
    now_ns
        .div_euclid(1_000_000_000)
        .saturating_sub(1)
        .saturating_mul(1000)
        .saturating_add(MAX_AHEAD_MS)
}

/// (key, value) pairs, unescaped.
type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

struct Row {
    measurement: Vec<u8>,
    tags: Pairs,
    fields: Vec<(Vec<u8>, f64)>,
    timestamp: i64,
}

/// The server's reading of `line` at `now_ns`.
pub(crate) fn read(line: &[u8], now_ns: i64) -> Outcome {
    if line.len() > MAX_LINE_SIZE {
        return Outcome::Refused(format!(
            "line over {MAX_LINE_SIZE} bytes (-influx.maxLineSize): the whole request is refused"
        ));
    }
    let s = line.strip_suffix(b"\r").unwrap_or(line);
    if s.is_empty() || s[0] == b'#' {
        return Outcome::Blank;
    }
    let row = match unmarshal(s) {
        Ok(r) => r,
        Err(e) => return Outcome::Dropped(e),
    };
    Outcome::Stored(insert(&row, now_ns))
}

fn insert(row: &Row, now_ns: i64) -> Vec<Sample> {
    let max_ms = max_stored_ms(now_ns);
    let time_ms = (row.timestamp != 0).then_some(row.timestamp / 1_000_000);
    let dropped = match time_ms {
        Some(t) if t < 0 => Some("before 1970"),
        Some(t) if t > max_ms => Some("more than 2 days ahead of now"),
        _ => None,
    };
    let mut out = Vec::new();
    for (key, value) in &row.fields {
        let mut name = row.measurement.clone();
        if !name.is_empty() {
            name.push(b'_');
        }
        name.extend_from_slice(key);
        // The labels as the insert path marshals them: tags in line order and `db`, at
        // most 30; then the name on its own (so it is never the one left out).
        let mut labels: Pairs = row
            .tags
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .cloned()
            .collect();
        let has_db = row.tags.iter().any(|(k, _)| k == b"db");
        let db_at = (!has_db).then_some(labels.len());
        if db_at.is_some() {
            labels.push((b"db".to_vec(), b"DB".to_vec()));
        }
        labels.truncate(MAX_LABELS);
        let db_lost = db_at.is_some_and(|at| at >= labels.len());
        let db_at = db_at.filter(|&at| at < labels.len());
        labels.push((Vec::new(), name));
        let mut metric = Vec::new();
        let mut kept = Vec::new();
        for (i, (mut k, mut v)) in labels.into_iter().enumerate() {
            k.truncate(MAX_LABEL_NAME);
            v.truncate(MAX_LABEL_VALUE);
            if v.is_empty() || Some(i) == db_at {
                continue;
            }
            if k.is_empty() || k == b"__name__" {
                metric = v;
            } else {
                kept.push((k, v));
            }
        }
        out.push(Sample {
            name: metric,
            labels: kept,
            value: if value.is_nan() {
                *value
            } else {
                super::vm_decimal::stored(*value)
            },
            time_ms,
            dropped: if value.is_nan() { Some("NaN") } else { dropped },
            db_lost,
        });
    }
    out
}

fn unmarshal(s: &[u8]) -> Result<Row, String> {
    let n = next_unescaped(s, b' ').ok_or("cannot find the space after the measurement")?;
    let mut measurement_tags = &s[..n];
    let mut rest = strip_spaces(&s[n + 1..]);
    let mut tags = Vec::new();
    if let Some(c) = next_unescaped(measurement_tags, b',') {
        tags = unmarshal_tags(&measurement_tags[c + 1..])?;
        measurement_tags = &measurement_tags[..c];
    }
    let measurement = unescape(measurement_tags);
    let quoted = next_unescaped(rest, b'"').is_some();
    let Some(n) = next_unquoted(rest, b' ', quoted) else {
        let fields = unmarshal_fields(rest, quoted)?;
        return Ok(Row {
            measurement,
            tags,
            fields,
            timestamp: 0,
        });
    };
    let fields = unmarshal_fields(&rest[..n], quoted)?;
    rest = strip_spaces(&rest[n + 1..]);
    let timestamp = parse_int64(rest).ok_or("cannot parse the timestamp")?;
    Ok(Row {
        measurement,
        tags,
        fields,
        timestamp,
    })
}

fn unmarshal_tags(mut s: &[u8]) -> Result<Pairs, String> {
    let mut tags = Vec::new();
    loop {
        let (one, more) = match next_unescaped(s, b',') {
            Some(n) => (&s[..n], Some(&s[n + 1..])),
            None => (s, None),
        };
        let eq = next_unescaped(one, b'=').ok_or("missing tag value")?;
        let (k, v) = (unescape(&one[..eq]), unescape(&one[eq + 1..]));
        if !k.is_empty() && !v.is_empty() {
            tags.push((k, v));
        }
        match more {
            Some(m) => s = m,
            None => return Ok(tags),
        }
    }
}

fn unmarshal_fields(mut s: &[u8], quoted: bool) -> Result<Vec<(Vec<u8>, f64)>, String> {
    let mut fields = Vec::new();
    loop {
        let (one, more) = match next_unquoted(s, b',', quoted) {
            Some(n) => (&s[..n], Some(&s[n + 1..])),
            None => (s, None),
        };
        let eq = next_unescaped(one, b'=').ok_or("missing field value")?;
        let key = unescape(&one[..eq]);
        if key.is_empty() {
            return Err("field key cannot be empty".into());
        }
        fields.push((key, field_value(&one[eq + 1..], quoted)?));
        match more {
            Some(m) => s = m,
            None => return Ok(fields),
        }
    }
}

fn field_value(s: &[u8], quoted: bool) -> Result<f64, String> {
    let Some(&last) = s.last() else {
        return Err("field value cannot be empty".into());
    };
    if quoted && s[0] == b'"' {
        if s.len() < 2 || last != b'"' {
            return Err("missing closing quote".into());
        }
        return Ok(parse_best_effort(&s[1..s.len() - 1]));
    }
    let body = &s[..s.len() - 1];
    match last {
        b'i' => parse_int64(body)
            .map(|v| v as f64)
            .ok_or_else(|| "cannot parse an integer".into()),
        b'u' => parse_uint64(body)
            .map(|v| v as f64)
            .ok_or_else(|| "cannot parse an unsigned".into()),
        _ => Ok(match s {
            b"t" | b"T" | b"true" | b"True" | b"TRUE" => 1.0,
            b"f" | b"F" | b"false" | b"False" | b"FALSE" => 0.0,
            _ => parse_best_effort(s),
        }),
    }
}

/// `unescapeTagValue`: `\ `, `\,`, `\=` and `\\` lose their backslash; a trailing backslash
/// stays.
fn unescape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' {
            match s.get(i + 1) {
                None => out.push(b'\\'),
                Some(&c) => {
                    if !matches!(c, b' ' | b',' | b'=' | b'\\') {
                        out.push(b'\\');
                    }
                    out.push(c);
                }
            }
            i += 2;
            continue;
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

/// `nextUnescapedChar`: `ch` not preceded by an odd run of backslashes.
fn next_unescaped(s: &[u8], ch: u8) -> Option<usize> {
    let mut from = 0;
    loop {
        let n = from + memchr::memchr(ch, &s[from..])?;
        let mut slashes = 0;
        while n > slashes && s[n - 1 - slashes] == b'\\' {
            slashes += 1;
        }
        // Go counts the run back to the start of what is left, which is the same run.
        if slashes % 2 == 0 {
            return Some(n);
        }
        from = n + 1;
    }
}

/// `nextUnquotedChar`.
fn next_unquoted(s: &[u8], ch: u8, quoted: bool) -> Option<usize> {
    if !quoted {
        return next_unescaped(s, ch);
    }
    let mut off = 0;
    let mut rest = s;
    loop {
        let n = next_unescaped(rest, ch)?;
        if !in_quote(&rest[..n]) {
            return Some(off + n);
        }
        rest = &rest[n + 1..];
        off += n + 1;
        let q = next_unescaped(rest, b'"')?;
        rest = &rest[q + 1..];
        off += q + 1;
    }
}

fn in_quote(mut s: &[u8]) -> bool {
    let mut inside = false;
    while let Some(n) = next_unescaped(s, b'"') {
        inside = !inside;
        s = &s[n + 1..];
    }
    inside
}

fn strip_spaces(mut s: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = s {
        s = rest;
    }
    s
}
