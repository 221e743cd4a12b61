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
//! - no space after the last field unless a timestamp follows (`m f=1 ` is refused by
//!   InfluxDB 3's parser; `m f=1 5 ` is accepted everywhere).
//!
//! Comments (`#` first) and blank lines are not lines: check [`is_blank_or_comment`] first.

mod field_value;
mod line;
mod scan;
#[cfg(test)]
mod tests;
mod unescape;

pub use line::parse_line;
pub use unescape::{unescape_key, unescape_measurement, unescape_string};

use field_value::scan_value;
use scan::{find_unescaped, parse_i64, split_unescaped};
use std::fmt;
use std::ops::Range;

/// Longest string field value (raw, escaped bytes between the quotes).
pub const MAX_STRING_LEN: usize = 64 * 1024;
/// Longest storage key InfluxDB 1.x/2.x accept: the series key (measurement and tag set as
/// written in the line) plus [`FIELD_KEY_SEPARATOR_LEN`] plus the field key, in bytes
/// (`models.MaxKeyLength`; longer is "max key length exceeded").
pub const MAX_KEY_LEN: usize = 65_535;
/// Bytes InfluxDB 1.x/2.x put between the series key and the field key (`#!~#`).
pub const FIELD_KEY_SEPARATOR_LEN: usize = 4;

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
    /// A control character (tab, NUL, ...) in a name or tag value.
    ControlCharacter,
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
    /// The timestamp is outside [`MIN_NANOS`](crate::value::MIN_NANOS)..=[`MAX_NANOS`](crate::value::MAX_NANOS).
    TimestampOutOfRange,
    /// Something after the timestamp.
    TextAfterTimestamp,
    /// Spaces after the field set and no timestamp: InfluxDB 3 refuses the line.
    TrailingSpace,
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

/// A typed field value. Strings stay escaped (`\"` and `\\`).
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
    /// Measurement, escaped (`\,` and `\ `).
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
