//! The `timezone` of the `[timestamp]` table: a fixed offset or an IANA zone, applied to
//! local times.

use super::{check_range, TimeError};
use chrono::{DateTime, FixedOffset, LocalResult, NaiveDateTime, TimeZone};

/// The time zone applied to local times (patterns without an offset).
#[derive(Debug, Clone, PartialEq)]
pub enum Zone {
    /// A fixed offset from UTC (`UTC`, `+05:30`).
    Fixed(FixedOffset),
    /// An IANA zone with its daylight saving rules.
    Named(chrono_tz::Tz),
}

impl Zone {
    /// Parses `UTC`, `Z`, `+hh:mm`, `-hhmm` or an IANA name.
    pub fn parse(s: &str) -> Result<Zone, String> {
        if matches!(s, "UTC" | "utc" | "Z" | "z") {
            return Ok(Zone::Fixed(FixedOffset::east_opt(0).ok_or("offset")?));
        }
        if let Some(sign) = s.strip_prefix(['+', '-']).map(|_| s.as_bytes()[0]) {
            let digits: Vec<u8> = s[1..].bytes().filter(|b| *b != b':').collect();
            let ok = digits.len() == 4 && digits.iter().all(u8::is_ascii_digit);
            if ok {
                let h = i32::from(digits[0] - b'0') * 10 + i32::from(digits[1] - b'0');
                let m = i32::from(digits[2] - b'0') * 10 + i32::from(digits[3] - b'0');
                let secs = (h * 3600 + m * 60) * if sign == b'-' { -1 } else { 1 };
                if let Some(off) = FixedOffset::east_opt(secs).filter(|_| m < 60) {
                    return Ok(Zone::Fixed(off));
                }
            }
            return Err(format!(
                "`{s}` is not a valid UTC offset: write it as +hh:mm, e.g. \"+05:30\""
            ));
        }
        s.parse::<chrono_tz::Tz>().map(Zone::Named).map_err(|_| {
            format!("unknown time zone `{s}`: use an IANA name such as \"Europe/Berlin\", \"UTC\" or an offset such as \"+05:30\"")
        })
    }

    pub(super) fn is_utc(&self) -> bool {
        matches!(self, Zone::Fixed(o) if o.local_minus_utc() == 0)
    }

    /// Converts a local time to UTC nanoseconds: a DST gap is an error, an ambiguous time
    /// takes the earlier instant.
    pub(super) fn localize(&self, t: &NaiveDateTime) -> Result<i64, TimeError> {
        let utc = match self {
            Zone::Fixed(o) => pick(o.from_local_datetime(t)).map(|d| d.naive_utc()),
            Zone::Named(tz) => pick(tz.from_local_datetime(t)).map(|d| d.naive_utc()),
        };
        let utc = utc.ok_or(TimeError::Nonexistent)?;
        utc.and_utc()
            .timestamp_nanos_opt()
            .ok_or(TimeError::Range)
            .and_then(check_range)
    }
}

fn pick<T: TimeZone>(r: LocalResult<DateTime<T>>) -> Option<DateTime<T>> {
    match r {
        LocalResult::Single(t) => Some(t),
        LocalResult::Ambiguous(a, b) => Some(if a <= b { a } else { b }),
        LocalResult::None => None,
    }
}
