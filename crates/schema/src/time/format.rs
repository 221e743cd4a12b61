//! The `format` of the `[timestamp]` table and the compiled parser of a cell's text.

use super::unix::small_int;
use super::{check_range, parse_rfc3339, parse_unix, TimeError, Zone};
use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use lpconvert_lp::Precision;

/// How a timestamp cell is written in the input.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeFormat {
    /// RFC 3339, `T` or space between date and time, fraction up to 9 digits, `Z` or an offset.
    Rfc3339,
    /// A number of seconds/ms/us/ns since the epoch, integer or decimal.
    Unix(Precision),
    /// A chrono strftime pattern; `offset` when it contains `%z` and friends or `%s`.
    Pattern {
        /// The pattern text.
        pattern: String,
        /// The pattern parses a UTC offset (or `%s`, an instant), so the time zone is not
        /// applied.
        offset: bool,
    },
}

impl TimeFormat {
    /// The schema spelling of the format.
    pub fn name(&self) -> String {
        match self {
            TimeFormat::Rfc3339 => "rfc3339".into(),
            TimeFormat::Unix(p) => format!("unix_{}", p.as_str()),
            TimeFormat::Pattern { pattern, .. } => format!("{pattern:?}"),
        }
    }

    /// Parses the schema's `format` value; the error says what is accepted.
    pub fn parse(s: &str) -> Result<TimeFormat, String> {
        Ok(match s {
            "rfc3339" | "RFC3339" => TimeFormat::Rfc3339,
            "unix_s" => TimeFormat::Unix(Precision::S),
            "unix_ms" => TimeFormat::Unix(Precision::Ms),
            "unix_us" => TimeFormat::Unix(Precision::Us),
            "unix_ns" => TimeFormat::Unix(Precision::Ns),
            p if p.contains('%') => {
                let mut offset = false;
                for item in StrftimeItems::new(p) {
                    match item {
                        Item::Error => {
                            return Err(format!(
                            "`{p}` is not a valid strftime pattern (see chrono's format::strftime)"
                        ))
                        }
                        Item::Fixed(
                            chrono::format::Fixed::TimezoneOffset
                            | chrono::format::Fixed::TimezoneOffsetColon
                            | chrono::format::Fixed::TimezoneOffsetDoubleColon
                            | chrono::format::Fixed::TimezoneOffsetTripleColon
                            | chrono::format::Fixed::TimezoneOffsetColonZ
                            | chrono::format::Fixed::TimezoneOffsetZ
                            | chrono::format::Fixed::RFC3339
                            | chrono::format::Fixed::RFC2822,
                        )
                        // `%s`: seconds since the epoch, an instant in UTC.
                        | Item::Numeric(chrono::format::Numeric::Timestamp, _) => offset = true,
                        Item::Fixed(chrono::format::Fixed::TimezoneName) => {
                            return Err(format!(
                                "`{p}` uses %Z, which reads a zone abbreviation (EST, CEST) and ignores it: \
                                 the time would be taken as the schema's timezone without an error; use %z for \
                                 numeric offsets (+0100), or write the abbreviation literally and set timezone"
                            ))
                        }
                        _ => {}
                    }
                }
                TimeFormat::Pattern {
                    pattern: p.to_string(),
                    offset,
                }
            }
            other => {
                return Err(format!(
                    "unknown timestamp format `{other}`: use \"rfc3339\", \"unix_s\", \"unix_ms\", \
                     \"unix_us\", \"unix_ns\" or a strftime pattern such as \"%Y-%m-%d %H:%M:%S\""
                ))
            }
        })
    }
}
/// A compiled `[timestamp]` format with its time zone.
#[derive(Debug, Clone)]
pub struct TimeParser {
    /// The input format.
    pub format: TimeFormat,
    /// The zone for local times.
    pub zone: Zone,
    /// Formats tried in order when `format` does not read a text (`format = [...]`).
    pub alternatives: Vec<TimeFormat>,
}

impl TimeParser {
    /// Parses `s` to a count of `precision` units since the epoch, rounding down.
    /// An integer already in the output unit takes a fast path without 128-bit arithmetic.
    /// Always inlined: the mapper's per-row loop calls it once per row.
    #[inline(always)]
    pub fn parse_in(&self, s: &[u8], precision: Precision) -> Result<i64, TimeError> {
        if let TimeFormat::Unix(unit) = self.format {
            if unit == precision {
                if let Some(v) = small_int(s) {
                    // Out of range, the text may still be read by a later format of a list:
                    // the general path below decides.
                    let ns = v.checked_mul(unit.nanos()).map(check_range);
                    if let Some(Ok(_)) = ns {
                        return Ok(v);
                    }
                }
            }
        }
        let ns = self.parse(s)?;
        if precision == Precision::Ns {
            return Ok(ns);
        }
        // Rounding down may leave the range at its low end.
        precision
            .from_nanos_in_range(ns)
            .ok_or(TimeError::RoundedOut(precision))
    }

    /// Parses `s` to nanoseconds since the epoch, rounding finer digits down; with
    /// alternatives, the first format that reads it.
    #[inline]
    pub fn parse(&self, s: &[u8]) -> Result<i64, TimeError> {
        let first = self.parse_as(&self.format, s);
        match first {
            Err(e) if !self.alternatives.is_empty() => self.parse_alternatives(s, e),
            r => r,
        }
    }

    #[cold]
    #[inline(never)]
    fn parse_alternatives(&self, s: &[u8], first: TimeError) -> Result<i64, TimeError> {
        let mut why = vec![format!("{}: {first}", self.format.name())];
        for f in &self.alternatives {
            match self.parse_as(f, s) {
                Ok(ns) => return Ok(ns),
                Err(e) => why.push(format!("{}: {e}", f.name())),
            }
        }
        Err(TimeError::NoFormat(why.join("; ")))
    }

    #[inline]
    fn parse_as(&self, format: &TimeFormat, s: &[u8]) -> Result<i64, TimeError> {
        match format {
            TimeFormat::Unix(unit) => parse_unix(s, *unit),
            TimeFormat::Rfc3339 => parse_rfc3339(s, &self.zone),
            TimeFormat::Pattern { pattern, offset } => {
                let text = std::str::from_utf8(s).map_err(|_| TimeError::Syntax("not UTF-8"))?;
                if *offset {
                    let t = DateTime::parse_from_str(text, pattern)
                        .map_err(|e| TimeError::Pattern(e.to_string()))?;
                    return t
                        .timestamp_nanos_opt()
                        .ok_or(TimeError::Range)
                        .and_then(check_range);
                }
                let t = match NaiveDateTime::parse_from_str(text, pattern) {
                    Ok(t) => t,
                    Err(e) if e.kind() == chrono::format::ParseErrorKind::NotEnough => {
                        NaiveDate::parse_from_str(text, pattern)
                            .map_err(|_| TimeError::Pattern(e.to_string()))?
                            .and_hms_opt(0, 0, 0)
                            .ok_or(TimeError::Range)?
                    }
                    Err(e) => return Err(TimeError::Pattern(e.to_string())),
                };
                self.zone.localize(&t)
            }
        }
    }
}
