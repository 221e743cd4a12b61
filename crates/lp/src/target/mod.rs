//! Per-server checks for `lpconvert check --target`.
//!
//! [`check_line`] is the verdict for one line under [`Rules`] (a target and the time "now"):
//!
//! - no target: the portable rules of [`crate::parse`], what every server stores as written
//!   (plus the series key limit of InfluxDB 1.x/2.x, as convert never writes such a line);
//! - `influxdb1` and `victoriametrics`: the server's own reading, a port of its parser and
//!   write path ([`influxdb1`](self) and [`victoriametrics`](self) modules), compared with
//!   the reference reading of the line ([`reference`](self)): a line passes when the server
//!   stores exactly what it says, and the message says whether the server refuses it, drops
//!   it or stores it differently, and how (`verdict.rs`). Portable-only rules (`1.`, control
//!   bytes in names, long strings, leading blanks) do not apply;
//! - `influxdb2`, `influxdb3`: the portable rules plus `server_rules.rs` (`_` names reserved
//!   by 2.x; `\\` in names, which InfluxDB 3 reads as one backslash).
//!
//! A string value with a raw line feed makes one point span several physical lines. InfluxDB
//! accepts it, VictoriaMetrics refuses it, and the portable check refuses it too:
//! [`check_record`] takes the joined lines and says which.
//!
//! [`check_line`] first tries [`fast_valid`], a single pass that accepts the common shape of
//! a valid line without building anything; whatever it does not accept outright goes to the
//! slow path ([`slow_check`]), which gives the verdict and the message. The fast path is only
//! an accelerator: it never accepts a line the slow path refuses (tested, and a fuzz target
//! compares the two).

mod fast_path;
mod fastfloat;
mod influxdb1;
mod reference;
mod server_rules;
#[cfg(test)]
mod tests;
mod verdict;
mod victoriametrics;
mod vm_decimal;

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

/// What a check applies: the portable rules, or those of one server, at a time "now" (for
/// VictoriaMetrics' timestamps: 0 is now, more than 2 days ahead is dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// The server, `None` for the portable rules.
    pub target: Option<Target>,
    /// Now, in nanoseconds since the epoch.
    pub now_ns: i64,
    /// Largest timestamp (ns) VictoriaMetrics stores as written at `now_ns`.
    pub(crate) vm_max_ts: i64,
}

impl Rules {
    /// The rules of `target` at `now_ns`.
    pub fn new(target: Option<Target>, now_ns: i64) -> Rules {
        // VictoriaMetrics keeps milliseconds up to now's second + 2 days: t / 1e6 <= that.
        let max_ms = victoriametrics::max_stored_ms(now_ns);
        let vm_max_ts = max_ms.saturating_mul(1_000_000).saturating_add(999_999);
        Rules {
            target,
            now_ns,
            vm_max_ts,
        }
    }

    /// The rules of `target` at the system's current time.
    pub fn now(target: Option<Target>) -> Rules {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        Rules::new(target, now)
    }
}

/// Checks one physical line (without its LF) under `rules`.
#[inline]
pub fn check_line(line: &[u8], rules: &Rules) -> Result<Verdict, Problem> {
    if fast_valid(line, rules) {
        return Ok(Verdict::Point);
    }
    slow_check(line, rules)
}

/// Why InfluxDB 1.x cannot parse `line` (what a 400 names as "unable to parse"), if it
/// cannot: write-time refusals (type conflicts, `time` keys) and lines stored differently
/// are not included. Blank lines and comments parse.
pub fn influxdb1_unparsable(line: &[u8]) -> Option<Problem> {
    influxdb1::unparsable(line).map(|(at, why)| Problem {
        column: at + 1,
        message: why,
        kind: None,
    })
}

/// The verdict of [`check_line`] without its fast path (for tests and fuzzing).
pub fn slow_check(line: &[u8], rules: &Rules) -> Result<Verdict, Problem> {
    match rules.target {
        Some(Target::Influxdb1) => verdict::influxdb1(line),
        Some(Target::VictoriaMetrics) => verdict::victoriametrics(line, rules.now_ns),
        target => {
            if is_blank_or_comment(line) {
                return Ok(Verdict::Blank);
            }
            let parsed = parse_line(line)?;
            target_rules(line, &parsed, target)?;
            Ok(Verdict::Point)
        }
    }
}

/// Checks a point whose string values hold raw line feeds: `record` is the physical lines
/// joined with their LFs (or CRLFs), and `joined_at` the offsets of those line breaks (all
/// inside string values). InfluxDB targets accept it; the portable check and VictoriaMetrics
/// refuse it. Returns `None` when the joined text is not a valid point even then (the
/// caller reports the first line on its own).
pub fn check_record(
    record: &mut [u8],
    joined_at: &[usize],
    rules: &Rules,
) -> Option<Result<Verdict, Problem>> {
    let target = rules.target;
    if target == Some(Target::Influxdb1) {
        // The server reads the record whole, line feeds included.
        reference::read(record).ok()?;
        return Some(verdict::influxdb1(record));
    }
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
