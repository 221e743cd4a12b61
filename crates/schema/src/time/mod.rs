//! Timestamp formats and time zones of the `[timestamp]` table, and the parsers that turn
//! a cell's text into nanoseconds since the Unix epoch.

mod format;
mod rfc3339;
#[cfg(test)]
mod tests;
mod unix;
mod zone;

pub use format::{TimeFormat, TimeParser};
pub use rfc3339::parse_rfc3339;
pub use unix::parse_unix;
pub use zone::Zone;

use lpconvert_lp::value::{MAX_NANOS, MIN_NANOS};
use lpconvert_lp::Precision;
use std::fmt;

/// Why a timestamp cell could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    /// The text does not match the format.
    Syntax(&'static str),
    /// chrono's message for a strftime pattern mismatch.
    Pattern(String),
    /// Outside 1677-09-21..2262-04-11.
    Range,
    /// Inside the range, but rounded down to the output precision it falls before it.
    RoundedOut(Precision),
    /// A local time inside a daylight saving gap.
    Nonexistent,
    /// No format of a `format` list reads the text: why, per format.
    NoFormat(String),
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeError::Syntax(what) => write!(f, "is not a valid timestamp: {what}"),
            TimeError::Pattern(msg) => write!(f, "does not match the timestamp pattern: {msg}"),
            TimeError::Range => f.write_str(
                "is outside the range line protocol can hold (1677-09-21 to 2262-04-11)",
            ),
            TimeError::RoundedOut(p) => write!(
                f,
                "rounded down to precision \"{}\" falls outside the range servers accept \
                 (from 1677-09-21 00:12:43.145224194 UTC): set a finer precision or drop the row",
                p.as_str()
            ),
            TimeError::Nonexistent => {
                f.write_str("does not exist in the time zone (it falls in a daylight saving gap)")
            }
            TimeError::NoFormat(why) => write!(f, "is not read by any of the formats ({why})"),
        }
    }
}

fn check_range(ns: i64) -> Result<i64, TimeError> {
    if (MIN_NANOS..=MAX_NANOS).contains(&ns) {
        Ok(ns)
    } else {
        Err(TimeError::Range)
    }
}

fn check_range_wide(ns: i128) -> Result<i64, TimeError> {
    i64::try_from(ns)
        .map_err(|_| TimeError::Range)
        .and_then(check_range)
}
