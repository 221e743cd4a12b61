//! Timestamp formats and time zones of the `[timestamp]` table, and the parsers that turn
//! a cell's text into nanoseconds since the Unix epoch.

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, TimeZone};
use lpconvert_lp::value::{MAX_NANOS, MIN_NANOS};
use lpconvert_lp::Precision;
use std::fmt;

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

    fn is_utc(&self) -> bool {
        matches!(self, Zone::Fixed(o) if o.local_minus_utc() == 0)
    }

    /// Converts a local time to UTC nanoseconds: a DST gap is an error, an ambiguous time
    /// takes the earlier instant.
    fn localize(&self, t: &NaiveDateTime) -> Result<i64, TimeError> {
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

/// A compiled `[timestamp]` format with its time zone.
#[derive(Debug, Clone)]
pub struct TimeParser {
    /// The input format.
    pub format: TimeFormat,
    /// The zone for local times.
    pub zone: Zone,
}

impl TimeParser {
    /// Parses `s` to a count of `precision` units since the epoch, rounding down.
    /// An integer already in the output unit takes a fast path without 128-bit arithmetic.
    #[inline]
    pub fn parse_in(&self, s: &[u8], precision: Precision) -> Result<i64, TimeError> {
        if let TimeFormat::Unix(unit) = self.format {
            if unit == precision {
                if let Some(v) = small_int(s) {
                    let ns = v.checked_mul(unit.nanos()).ok_or(TimeError::Range)?;
                    check_range(ns)?;
                    return Ok(v);
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

    /// Parses `s` to nanoseconds since the epoch, rounding finer digits down.
    pub fn parse(&self, s: &[u8]) -> Result<i64, TimeError> {
        match &self.format {
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

/// Parses an integer, decimal or scientific (`1.663830962276e+12`) count of `unit`s since
/// the epoch, exactly: digits below a nanosecond are dropped, rounding down (towards the
/// past).
pub fn parse_unix(s: &[u8], unit: Precision) -> Result<i64, TimeError> {
    const SYNTAX: TimeError =
        TimeError::Syntax("expected an integer or decimal number of seconds/ms/us/ns since 1970");
    let (neg, body) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    // An exponent: `e` or `E`, an optional sign, digits.
    let (mantissa, exp) = match body.iter().position(|&b| b == b'e' || b == b'E') {
        None => (body, 0i64),
        Some(i) => {
            let e = &body[i + 1..];
            let (eneg, edigits) = match e.first() {
                Some(b'-') => (true, &e[1..]),
                Some(b'+') => (false, &e[1..]),
                _ => (false, e),
            };
            if edigits.is_empty() || !edigits.iter().all(u8::is_ascii_digit) {
                return Err(SYNTAX);
            }
            // Beyond 6 digits the value is 0 or out of range either way.
            let mut v: i64 = 0;
            for &b in edigits.iter().skip_while(|&&b| b == b'0') {
                v = (v * 10 + i64::from(b - b'0')).min(1_000_000);
            }
            (&body[..i], if eneg { -v } else { v })
        }
    };
    let (int, frac) = match memchr_dot(mantissa) {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, &b""[..]),
    };
    if int.is_empty() || !int.iter().all(u8::is_ascii_digit) || !frac.iter().all(u8::is_ascii_digit)
    {
        return Err(SYNTAX);
    }
    // The digits as one integer D: the value is D * 10^power nanoseconds.
    let digits = || int.iter().chain(frac.iter()).copied();
    let lead = digits().take_while(|&b| b == b'0').count();
    let len = int.len() + frac.len() - lead;
    let unit_digits = i64::from(unit.nanos().ilog10());
    if len == 0 {
        return Ok(0); // all zeros, whatever the exponent
    }
    let power = exp + unit_digits - frac.len() as i64;
    // Digits kept (the rest are below a nanosecond and dropped).
    let kept = (len as i64 + power.min(0)).max(0) as usize;
    if kept as i64 + power.max(0) > 25 {
        return Err(TimeError::Range);
    }
    let mut whole: i128 = 0;
    for b in digits().skip(lead).take(kept) {
        whole = whole * 10 + i128::from(b - b'0');
    }
    for _ in 0..power.max(0) {
        whole *= 10;
    }
    let dropped = digits().skip(lead + kept).any(|b| b != b'0');
    let ns = if neg {
        -whole - i128::from(dropped)
    } else {
        whole
    };
    check_range_wide(ns)
}

/// A plain integer (`-?D{1,18}`) as i64, or `None` for anything else.
#[inline]
fn small_int(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut v: i64 = 0;
    for &b in digits {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + i64::from(d);
    }
    Some(if neg { -v } else { v })
}

fn memchr_dot(s: &[u8]) -> Option<usize> {
    s.iter().position(|&b| b == b'.')
}

#[inline]
fn num2(s: &[u8], i: usize) -> Option<u32> {
    let a = s.get(i)?.wrapping_sub(b'0');
    let b = s.get(i + 1)?.wrapping_sub(b'0');
    (a < 10 && b < 10).then(|| u32::from(a) * 10 + u32::from(b))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
#[inline]
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses RFC 3339 (`2022-01-01T08:00:00.5Z`, `2022-01-01 08:00:00+02:00`). Without an
/// offset, the time is local to `zone`.
pub fn parse_rfc3339(s: &[u8], zone: &Zone) -> Result<i64, TimeError> {
    const SYNTAX: TimeError = TimeError::Syntax("expected RFC 3339 such as 2022-01-01T08:00:00Z");
    let y = num2(s, 0)
        .zip(num2(s, 2))
        .map(|(a, b)| i64::from(a * 100 + b));
    let (y, mo, d) = match (y, num2(s, 5), num2(s, 8)) {
        (Some(y), Some(mo), Some(d)) if s[4] == b'-' && s[7] == b'-' => (y, mo, d),
        _ => return Err(SYNTAX),
    };
    if !matches!(s.get(10), Some(b'T' | b't' | b' ')) {
        return Err(SYNTAX);
    }
    let (h, mi, sec) = match (num2(s, 11), num2(s, 14), num2(s, 17)) {
        (Some(h), Some(mi), Some(sec)) if s[13] == b':' && s[16] == b':' => (h, mi, sec),
        _ => return Err(SYNTAX),
    };
    if !(1..=12).contains(&mo)
        || d == 0
        || d > days_in_month(y, mo)
        || h > 23
        || mi > 59
        || sec > 59
    {
        return Err(TimeError::Syntax(
            "a date or time component is out of range",
        ));
    }
    let mut i = 19;
    let mut frac: i64 = 0;
    if s.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        let mut scale = 100_000_000;
        while let Some(b) = s.get(i).filter(|b| b.is_ascii_digit()) {
            frac += i64::from(b - b'0') * scale;
            scale /= 10;
            i += 1;
        }
        if i == start {
            return Err(SYNTAX);
        }
    }
    let offset_secs: i64 = match s.get(i) {
        Some(b'Z' | b'z') if i + 1 == s.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let (oh, om) = match (num2(s, i + 1), s.get(i + 3), num2(s, i + 4)) {
                (Some(oh), Some(b':'), Some(om)) if i + 6 == s.len() => (oh, om),
                _ => match (num2(s, i + 1), num2(s, i + 3)) {
                    (Some(oh), Some(om)) if i + 5 == s.len() => (oh, om),
                    _ => return Err(SYNTAX),
                },
            };
            if oh > 23 || om > 59 {
                return Err(SYNTAX);
            }
            let o = i64::from(oh * 3600 + om * 60);
            if sign == b'-' {
                -o
            } else {
                o
            }
        }
        None if !zone.is_utc() => {
            let t = NaiveDate::from_ymd_opt(y as i32, mo, d)
                .and_then(|date| date.and_hms_opt(h, mi, sec))
                .ok_or(SYNTAX)?;
            return zone
                .localize(&t)
                .and_then(|ns| ns.checked_add(frac).ok_or(TimeError::Range))
                .and_then(check_range);
        }
        None => 0,
        _ => return Err(SYNTAX),
    };
    let secs =
        days_from_civil(y, mo, d) * 86_400 + i64::from(h * 3600 + mi * 60 + sec) - offset_secs;
    check_range_wide(i128::from(secs) * 1_000_000_000 + i128::from(frac))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> Zone {
        Zone::parse("UTC").unwrap()
    }

    fn p(fmt: &str, tz: &str, s: &str) -> Result<i64, TimeError> {
        TimeParser {
            format: TimeFormat::parse(fmt).unwrap(),
            zone: Zone::parse(tz).unwrap(),
        }
        .parse(s.as_bytes())
    }

    #[test]
    fn unix_exact_decimal() {
        assert_eq!(
            parse_unix(b"1641024000", Precision::S),
            Ok(1_641_024_000_000_000_000)
        );
        assert_eq!(
            parse_unix(b"1551129661.954561233", Precision::S),
            Ok(1_551_129_661_954_561_233)
        );
        assert_eq!(parse_unix(b"1.5", Precision::Ms), Ok(1_500_000));
        assert_eq!(
            parse_unix(b"1631202459121654321", Precision::Ns),
            Ok(1_631_202_459_121_654_321)
        );
        assert_eq!(parse_unix(b"-1.5", Precision::S), Ok(-1_500_000_000));
        // more than nine fractional digits: rounded down, towards the past
        assert_eq!(parse_unix(b"1.0000000019", Precision::S), Ok(1_000_000_001));
        assert_eq!(
            parse_unix(b"-1.0000000019", Precision::S),
            Ok(-1_000_000_002)
        );
        assert_eq!(parse_unix(b"1.5", Precision::Ns), Ok(1));
        assert_eq!(parse_unix(b"-1.5", Precision::Ns), Ok(-2));
        // Scientific notation is read (SCHEMA.md; see unix_scientific_notation_is_exact).
        assert_eq!(
            parse_unix(b"1e9", Precision::S),
            Ok(1_000_000_000_000_000_000)
        );
        assert!(parse_unix(b"", Precision::S).is_err());
        assert!(parse_unix(b"12a", Precision::S).is_err());
        assert_eq!(
            parse_unix(b"9223372037", Precision::S),
            Err(TimeError::Range)
        );
        assert_eq!(
            parse_unix(b"9223372036854775807", Precision::Ns),
            Err(TimeError::Range)
        );
        assert_eq!(
            parse_unix(b"9223372036854775806", Precision::Ns),
            Ok(MAX_NANOS)
        );
    }

    #[test]
    fn rfc3339_forms() {
        let z = utc();
        assert_eq!(
            parse_rfc3339(b"2022-01-01T08:00:00Z", &z),
            Ok(1_641_024_000_000_000_000)
        );
        assert_eq!(
            parse_rfc3339(b"2022-01-01 08:00:00Z", &z),
            Ok(1_641_024_000_000_000_000)
        );
        assert_eq!(
            parse_rfc3339(b"2022-01-01T10:00:00+02:00", &z),
            Ok(1_641_024_000_000_000_000)
        );
        assert_eq!(
            parse_rfc3339(b"2022-01-01T07:30:00-00:30", &z),
            Ok(1_641_024_000_000_000_000)
        );
        assert_eq!(
            parse_rfc3339(b"2022-01-01T08:00:00.123456789Z", &z),
            Ok(1_641_024_000_123_456_789)
        );
        assert_eq!(
            parse_rfc3339(b"2022-01-01T08:00:00.5Z", &z),
            Ok(1_641_024_000_500_000_000)
        );
        assert_eq!(
            parse_rfc3339(b"2022-01-01T08:00:00.1234567899Z", &z),
            Ok(1_641_024_000_123_456_789)
        );
        assert_eq!(
            parse_rfc3339(b"1969-12-31T23:59:59Z", &z),
            Ok(-1_000_000_000)
        );
        assert!(parse_rfc3339(b"2024-02-29T00:00:00Z", &z).is_ok());
        for bad in [
            "2023-02-29T00:00:00Z",
            "2022-13-01T00:00:00Z",
            "2022-01-01T24:00:00Z",
            "2022-01-01",
            "2022-01-01T08:00Z",
            "2022-01-01T08:00:00.Z",
            "2022-01-01T08:00:00Zx",
            "2022/01/01T08:00:00Z",
            "2022-01-01T08:00:00+2:00",
        ] {
            assert!(parse_rfc3339(bad.as_bytes(), &z).is_err(), "{bad}");
        }
        assert_eq!(
            parse_rfc3339(b"2262-04-12T00:00:00Z", &z),
            Err(TimeError::Range)
        );
        assert_eq!(
            parse_rfc3339(b"1677-09-20T00:00:00Z", &z),
            Err(TimeError::Range)
        );
        // no offset: local to the zone
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        assert_eq!(
            parse_rfc3339(b"2022-01-01T09:00:00", &berlin),
            Ok(1_641_024_000_000_000_000)
        );
        assert_eq!(
            parse_rfc3339(b"2022-01-01T08:00:00", &z),
            Ok(1_641_024_000_000_000_000)
        );
    }

    #[test]
    fn patterns_and_zones() {
        assert_eq!(
            p("%d/%m/%Y %H:%M:%S", "UTC", "01/01/2022 08:00:00"),
            Ok(1_641_024_000_000_000_000)
        );
        assert_eq!(
            p("%Y-%m-%d", "UTC", "2022-01-01"),
            Ok(1_640_995_200_000_000_000)
        );
        assert_eq!(
            p("%Y-%m-%d %H:%M:%S", "+05:30", "2022-01-01 13:30:00"),
            Ok(1_641_024_000_000_000_000)
        );
        assert_eq!(
            p("%Y-%m-%d %H:%M:%S", "-0100", "2022-01-01 07:00:00"),
            Ok(1_641_024_000_000_000_000)
        );
        assert_eq!(
            p("%Y-%m-%d %H:%M:%S%.f", "UTC", "2022-01-01 08:00:00.25"),
            Ok(1_641_024_000_250_000_000)
        );
        assert_eq!(
            p(
                "%Y-%m-%d %H:%M:%S %z",
                "Europe/Berlin",
                "2022-01-01 08:00:00 +0000"
            ),
            Ok(1_641_024_000_000_000_000)
        );
        // DST gap in Berlin: 2021-03-28 02:30 does not exist
        assert_eq!(
            p("%Y-%m-%d %H:%M", "Europe/Berlin", "2021-03-28 02:30"),
            Err(TimeError::Nonexistent)
        );
        // ambiguous 2021-10-31 02:30 in Berlin: the earlier instant (CEST, +02:00) = 00:30 UTC
        assert_eq!(
            p("%Y-%m-%d %H:%M", "Europe/Berlin", "2021-10-31 02:30"),
            Ok(1_635_640_200_000_000_000)
        );
        assert!(matches!(
            p("%Y-%m-%d", "UTC", "2022-01-xx"),
            Err(TimeError::Pattern(_))
        ));
        assert_eq!(p("%Y-%m-%d", "UTC", "2263-01-01"), Err(TimeError::Range));
    }

    #[test]
    fn format_and_zone_errors() {
        assert!(TimeFormat::parse("epoch")
            .unwrap_err()
            .contains("unknown timestamp format"));
        assert!(TimeFormat::parse("%Y-%Q").is_err());
        assert!(Zone::parse("Mars/Olympus")
            .unwrap_err()
            .contains("unknown time zone"));
        assert!(Zone::parse("+25:00").is_err());
        assert!(Zone::parse("+05:30").is_ok());
    }

    #[test]
    fn parse_in_fast_path_agrees() {
        let tp = |f: &str| TimeParser {
            format: TimeFormat::parse(f).unwrap(),
            zone: utc(),
        };
        for (f, p, s) in [
            ("unix_s", Precision::S, "1641024000"),
            ("unix_s", Precision::S, "-5"),
            ("unix_ms", Precision::Ms, "1641024000123"),
            ("unix_s", Precision::Ms, "1641024000.5"),
            ("unix_s", Precision::S, "9223372036"),
            ("unix_s", Precision::S, "9223372037"),
            ("unix_ns", Precision::Ns, "-9223372036854775806"),
            ("unix_s", Precision::S, "-1.5"),
        ] {
            let slow = tp(f).parse(s.as_bytes()).map(|ns| p.from_nanos(ns));
            assert_eq!(tp(f).parse_in(s.as_bytes(), p), slow, "{f} {s}");
        }
        assert_eq!(
            tp("unix_s").parse_in(b"9223372037", Precision::S),
            Err(TimeError::Range)
        );
    }

    #[test]
    fn rounding_down_below_the_range_is_an_error_at_every_precision() {
        let tp = |f: &str| TimeParser {
            format: TimeFormat::parse(f).unwrap(),
            zone: utc(),
        };
        for p in [Precision::Us, Precision::Ms, Precision::S] {
            for (f, s) in [
                ("unix_ns", "-9223372036854775806"),
                ("unix_us", "-9223372036854775.806"),
                ("rfc3339", "1677-09-21T00:12:43.145224194Z"),
                ("%Y-%m-%d %H:%M:%S%.f", "1677-09-21 00:12:43.145224194"),
            ] {
                assert_eq!(
                    tp(f).parse_in(s.as_bytes(), p),
                    Err(TimeError::RoundedOut(p)),
                    "{f} {s} {p:?}"
                );
            }
            // The same instant is fine in nanoseconds, and the latest one rounds into range.
            assert!(tp("unix_ns")
                .parse_in(b"-9223372036854775806", Precision::Ns)
                .is_ok());
            assert_eq!(
                tp("unix_ns").parse_in(b"9223372036854775806", p),
                Ok(p.from_nanos(9_223_372_036_854_775_806))
            );
        }
        // The fast path (input already in the output unit) keeps the range too.
        assert_eq!(
            tp("unix_s").parse_in(b"-9223372037", Precision::S),
            Err(TimeError::Range)
        );
        assert_eq!(
            tp("unix_ms").parse_in(b"-9223372036855", Precision::Ms),
            Err(TimeError::Range)
        );
    }

    #[test]
    fn epoch_seconds_pattern_ignores_the_time_zone() {
        // `%s` counts seconds since the epoch in UTC: an absolute instant that a time zone
        // must not shift (and that never falls in a daylight saving gap).
        for tz in ["UTC", "Europe/Berlin", "+05:30", "America/New_York"] {
            assert_eq!(
                p("%s", tz, "1600000000"),
                Ok(1_600_000_000_000_000_000),
                "{tz}"
            );
            assert_eq!(
                p("%s%.f", tz, "1600000000.25"),
                Ok(1_600_000_000_250_000_000),
                "{tz}"
            );
        }
        // 2021-03-28 02:30 local does not exist in Berlin; as an epoch it is just an instant.
        assert_eq!(
            p("%s", "Europe/Berlin", "1616895000"),
            Ok(1_616_895_000_000_000_000)
        );
    }

    #[test]
    fn zone_abbreviation_pattern_is_refused() {
        // chrono's `%Z` consumes any word and ignores it: "EST" would be read as the
        // schema's timezone (UTC by default), five hours off, without an error.
        let e = TimeFormat::parse("%Y-%m-%d %H:%M:%S %Z").unwrap_err();
        assert!(e.contains("%Z") && e.contains("%z"), "{e}");
        assert!(TimeFormat::parse("%Y-%m-%d %H:%M:%S %z").is_ok());
        assert!(TimeFormat::parse("%Y-%m-%d %H:%M:%S UTC").is_ok());
    }

    #[test]
    fn unix_scientific_notation_is_exact() {
        // SCHEMA.md: unix_* formats read scientific notation exactly (spreadsheet exports).
        assert_eq!(
            parse_unix(b"1.663830962276e+12", Precision::Ms),
            Ok(1_663_830_962_276_000_000)
        );
        assert_eq!(
            parse_unix(b"1e9", Precision::S),
            Ok(1_000_000_000_000_000_000)
        );
        assert_eq!(parse_unix(b"1E9", Precision::Ns), Ok(1_000_000_000));
        assert_eq!(parse_unix(b"15e-1", Precision::S), Ok(1_500_000_000));
        assert_eq!(
            parse_unix(b"1.5511296619545612339e9", Precision::S),
            Ok(1_551_129_661_954_561_233)
        );
        // Below a nanosecond: rounded down, towards the past.
        assert_eq!(parse_unix(b"15e-1", Precision::Ns), Ok(1));
        assert_eq!(parse_unix(b"-15e-1", Precision::Ns), Ok(-2));
        assert_eq!(parse_unix(b"1e-30", Precision::S), Ok(0));
        assert_eq!(parse_unix(b"-1e-30", Precision::S), Ok(-1));
        assert_eq!(parse_unix(b"0e999", Precision::S), Ok(0));
        assert_eq!(parse_unix(b"1e10", Precision::S), Err(TimeError::Range));
        assert_eq!(parse_unix(b"1e99999", Precision::S), Err(TimeError::Range));
        assert_eq!(
            parse_unix(b"-9.223372036854775806e18", Precision::Ns),
            Ok(MIN_NANOS)
        );
        for bad in ["e9", "1e", "1e+", "1.e5x", "1e5.5", "1ee5", ".5e1"] {
            assert!(parse_unix(bad.as_bytes(), Precision::S).is_err(), "{bad}");
        }
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }
}
