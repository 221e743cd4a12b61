//! Per-server checks for `lpconvert check --target`, on top of the strict parser.
//!
//! [`check_line`] is the verdict for one line: the portable rules of [`crate::parse`] (a
//! line it refuses is refused here, whatever the target), plus what the chosen server
//! refuses or reads differently (LINE-PROTOCOL.md):
//!
//! | target | adds |
//! |---|---|
//! | `influxdb1` | `42u` unsigned values (1.x OSS: invalid number); `time` as a tag or field key |
//! | `influxdb2` | measurement, tag key or field key starting with `_` (reserved) |
//! | `influxdb3` | — (`1.` and `.5` floats are already refused by the portable parser) |
//! | `victoriametrics` | — (raw newlines in strings: see [`check_record`]) |
//! | every target | `\\` in a measurement, tag key, tag value or field key: the Go servers keep both backslashes, InfluxDB 3 reads one |
//! | none, `influxdb1`, `influxdb2` | series key (measurement and tag set as written) + 4 + field key over 65,535 bytes: InfluxDB 1.x/2.x refuse the line ("max key length exceeded"); without a target too, because convert never writes such a line |
//!
//! A string value with a raw line feed makes one point span several physical lines. InfluxDB
//! accepts it, VictoriaMetrics refuses it, and the portable check refuses it too:
//! [`check_record`] takes the joined lines and says which.
//!
//! [`check_line`] first tries [`fast_valid`], a single pass that accepts the common shape of
//! a valid line without building anything; whatever it does not accept outright goes through
//! [`crate::parse::parse_line`], which gives the verdict and the message. The fast
//! path is only an accelerator: it never accepts a line the slow path would refuse
//! (tested, and a fuzz target compares the two).

mod fast_path;
mod server_rules;
#[cfg(test)]
mod tests;

pub use fast_path::fast_valid;
pub use server_rules::target_rules;

use crate::parse::{self, is_blank_or_comment, parse_line, ErrorKind};
use std::fmt;

/// A server whose particular rules `check --target` applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// InfluxDB 1.x OSS (Go parser).
    Influxdb1,
    /// InfluxDB 2.x (Go parser).
    Influxdb2,
    /// InfluxDB 3 (Rust parser).
    Influxdb3,
    /// VictoriaMetrics' InfluxDB line protocol endpoint.
    VictoriaMetrics,
}

impl Target {
    /// Parses `influxdb1`, `influxdb2`, `influxdb3` or `victoriametrics`.
    pub fn parse(s: &str) -> Option<Target> {
        Some(match s {
            "influxdb1" => Target::Influxdb1,
            "influxdb2" => Target::Influxdb2,
            "influxdb3" => Target::Influxdb3,
            "victoriametrics" => Target::VictoriaMetrics,
            _ => return None,
        })
    }

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Influxdb1 => "influxdb1",
            Target::Influxdb2 => "influxdb2",
            Target::Influxdb3 => "influxdb3",
            Target::VictoriaMetrics => "victoriametrics",
        }
    }

    /// A human name for messages.
    pub fn label(self) -> &'static str {
        match self {
            Target::Influxdb1 => "InfluxDB 1.x",
            Target::Influxdb2 => "InfluxDB 2.x",
            Target::Influxdb3 => "InfluxDB 3",
            Target::VictoriaMetrics => "VictoriaMetrics",
        }
    }

    /// True for the servers that refuse a series key plus field key over
    /// [`MAX_KEY_LEN`](crate::parse::MAX_KEY_LEN) bytes (InfluxDB 1.x and 2.x).
    pub fn limits_key_length(self) -> bool {
        matches!(self, Target::Influxdb1 | Target::Influxdb2)
    }

    /// True for the InfluxDB servers, which accept raw line feeds inside string values.
    pub fn accepts_raw_newlines(self) -> bool {
        !matches!(self, Target::VictoriaMetrics)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a line is refused: the 1-based byte column and a message saying what was found and
/// how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based byte column in the line (0 when none applies).
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// The parser's error kind, when the portable parser refused the line.
    pub kind: Option<ErrorKind>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column > 0 {
            write!(f, "column {}: {}", self.column, self.message)
        } else {
            f.write_str(&self.message)
        }
    }
}

impl std::error::Error for Problem {}

impl From<parse::ParseError> for Problem {
    fn from(e: parse::ParseError) -> Problem {
        Problem {
            column: e.column,
            message: e.message,
            kind: Some(e.kind),
        }
    }
}

/// What a physical line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A valid point.
    Point,
    /// A blank line or a `#` comment: valid, not a point.
    Blank,
}

/// Checks one physical line (without its LF) for `target` (`None`: the portable rules only).
#[inline]
pub fn check_line(line: &[u8], target: Option<Target>) -> Result<Verdict, Problem> {
    if fast_valid(line, target) {
        return Ok(Verdict::Point);
    }
    if is_blank_or_comment(line) {
        return Ok(Verdict::Blank);
    }
    let parsed = parse_line(line)?;
    target_rules(line, &parsed, target)?;
    Ok(Verdict::Point)
}

/// Checks a point whose string values hold raw line feeds: `record` is the physical lines
/// joined with their LFs (or CRLFs), and `joined_at` the offsets of those line breaks (all
/// inside string values). InfluxDB targets accept it; the portable check and VictoriaMetrics
/// refuse it. Returns `None` when the joined text is not a valid point even then (the
/// caller reports the first line on its own).
pub fn check_record(
    record: &mut [u8],
    joined_at: &[usize],
    target: Option<Target>,
) -> Option<Result<Verdict, Problem>> {
    // Inside a string any byte but `"` and `\` is the same to the parser: blank the breaks
    // so that the portable parser can look at the rest.
    for &at in joined_at {
        if let Some(b) = record.get_mut(at) {
            *b = b' ';
        }
        if at > 0 && record.get(at - 1) == Some(&b'\r') {
            record[at - 1] = b' ';
        }
    }
    let line: &[u8] = record;
    let parsed = match parse_line(line) {
        Ok(p) => p,
        // The record is whole but ends in a space: that is its fault, not the first line's.
        Err(e) if e.kind == ErrorKind::TrailingSpace => return Some(Err(e.into())),
        Err(_) => return None,
    };
    if let Err(p) = target_rules(line, &parsed, target) {
        return Some(Err(p));
    }
    let at = joined_at.first().copied().unwrap_or(0);
    Some(match target {
        Some(t) if t.accepts_raw_newlines() => Ok(Verdict::Point),
        Some(t) => Err(Problem {
            column: at + 1,
            message: format!(
                "raw line feed inside a string value: {} refuses it (InfluxDB accepts it); remove it or write it as \\n",
                t.label()
            ),
            kind: None,
        }),
        None => Err(Problem {
            column: at + 1,
            message: "raw line feed inside a string value: InfluxDB accepts it, VictoriaMetrics \
                      refuses it; remove it or write it as \\n (or check with --target)"
                .into(),
            kind: None,
        }),
    })
}
