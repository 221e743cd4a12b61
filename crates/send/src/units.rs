//! Parsing of the human-written quantities of the replay options: durations (`1h30m`, `-2d`,
//! `500ms`), rates (`50000`, `50k`, `10MB/s`) and sizes (`8MB`, `512KiB`).

use std::time::Duration;

/// A quantity could not be parsed; the message says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnitError(String);

impl UnitError {
    /// An error with this message.
    pub fn new(message: String) -> UnitError {
        UnitError(message)
    }
}

/// Most parallel connections (`--concurrency` of replay and bench).
pub const MAX_CONCURRENCY: usize = 1024;
/// Most lines per request (`--batch-lines`).
pub const MAX_BATCH_LINES: usize = 1_000_000;
/// Most bytes per request (`--batch-bytes`): 1 GiB.
pub const MAX_BATCH_BYTES: u64 = 1 << 30;

/// Checks an option's value against its range `1..=max` (`max` shown as `shown_max`); the
/// error names the option, the value and the range.
pub fn check_range(option: &str, value: u64, max: u64, shown_max: &str) -> Result<(), UnitError> {
    if value == 0 {
        return Err(UnitError::new(format!("{option} must be at least 1")));
    }
    if value > max {
        return Err(UnitError::new(format!(
            "{option} {value} is too large: at most {shown_max}"
        )));
    }
    Ok(())
}

/// The sending options replay and bench share, each within its documented range:
/// `--concurrency`, `--batch-lines`, and `--batch-bytes` (parsed; returned in bytes).
pub fn sending_limits(
    concurrency: usize,
    batch_lines: usize,
    batch_bytes: &str,
) -> Result<u64, UnitError> {
    check_range(
        "--concurrency",
        concurrency as u64,
        MAX_CONCURRENCY as u64,
        &MAX_CONCURRENCY.to_string(),
    )?;
    check_range(
        "--batch-lines",
        batch_lines as u64,
        MAX_BATCH_LINES as u64,
        &MAX_BATCH_LINES.to_string(),
    )?;
    let bytes =
        parse_size(batch_bytes).map_err(|e| UnitError::new(format!("--batch-bytes: {e}")))?;
    check_range("--batch-bytes", bytes, MAX_BATCH_BYTES, "1GiB")?;
    Ok(bytes)
}

/// Parses a signed duration such as `1h`, `-30m`, `1h30m`, `250ms`, `2d`, `1w`, `90s`, `1500us`,
/// `10ns` into nanoseconds. A bare number is seconds.
pub fn parse_signed_duration_ns(text: &str) -> Result<i128, UnitError> {
    let s = text.trim();
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let bad = || {
        UnitError(format!(
            "invalid duration `{text}`: expected a number with a unit, such as 30s, 5m, 1h30m, 2d, 250ms"
        ))
    };
    if rest.is_empty() {
        return Err(bad());
    }
    if rest.bytes().all(|b| b.is_ascii_digit()) {
        let secs: i128 = rest.parse().map_err(|_| bad())?;
        let ns = secs.checked_mul(1_000_000_000).ok_or_else(bad)?;
        return Ok(if neg { -ns } else { ns });
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let number: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit_ns: f64 = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" | "min" => 60e9,
            "h" => 3600e9,
            "d" => 86400e9,
            "w" => 7.0 * 86400e9,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        let ns = number * unit_ns;
        if !ns.is_finite() || ns > 9.2e18 {
            return Err(bad());
        }
        total += ns.round() as i128;
    }
    Ok(if neg { -total } else { total })
}

/// Parses a non-negative duration (see [`parse_signed_duration_ns`]).
pub fn parse_duration(text: &str) -> Result<Duration, UnitError> {
    let ns = parse_signed_duration_ns(text)?;
    if ns < 0 {
        return Err(UnitError(format!(
            "invalid duration `{text}`: must not be negative"
        )));
    }
    Ok(Duration::from_nanos(u64::try_from(ns).map_err(|_| {
        UnitError(format!("invalid duration `{text}`: too large"))
    })?))
}

/// Parses a byte size, the one rule of every size option: a number of bytes (`1000`), powers of
/// 1024 with `K`, `M`, `G` or `KiB`, `MiB`, `GiB` (`4M` = `4MiB` = 4,194,304), powers of 1000
/// with `KB`, `MB`, `GB` (`5MB` = 5,000,000), as `dd` reads them. Case does not matter.
pub fn parse_size(text: &str) -> Result<u64, UnitError> {
    let s = text.trim();
    let bad = || {
        UnitError(format!(
            "invalid size `{text}`: expected e.g. 5000000, 5MB, 8MiB"
        ))
    };
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    if split == 0 {
        return Err(bad());
    }
    let number: f64 = s[..split].parse().map_err(|_| bad())?;
    let mult: f64 = match s[split..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(bad()),
    };
    let v = number * mult;
    if !(0.0..=1e18).contains(&v) {
        return Err(bad());
    }
    Ok(v.round() as u64)
}

/// One rate limit: lines per second or bytes per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    /// Lines per second.
    Lines(f64),
    /// Bytes per second (of uncompressed line protocol).
    Bytes(f64),
}

/// Parses a rate: `50000`, `50k`, `50000/s`, `50000 lines/s` are lines per second;
/// `10MB/s`, `512KiB/s`, `1000B/s` are bytes per second.
pub fn parse_rate(text: &str) -> Result<Rate, UnitError> {
    let s = text.trim();
    let bad = || {
        UnitError(format!(
            "invalid rate `{text}`: expected lines per second (50000, 50k) or bytes per second (10MB/s)"
        ))
    };
    let body = s.strip_suffix("/s").unwrap_or(s).trim();
    let body = body
        .strip_suffix("lines")
        .or_else(|| body.strip_suffix("lps"))
        .unwrap_or(body)
        .trim();
    let lower = body.to_ascii_lowercase();
    let value = if lower.ends_with('b') {
        Rate::Bytes(parse_size(body).map_err(|_| bad())? as f64)
    } else {
        let split = body
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(body.len());
        if split == 0 {
            return Err(bad());
        }
        let n: f64 = body[..split].parse().map_err(|_| bad())?;
        let mult = match &lower[split..] {
            "" => 1.0,
            "k" => 1e3,
            "m" => 1e6,
            _ => return Err(bad()),
        };
        Rate::Lines(n * mult)
    };
    match value {
        Rate::Lines(v) | Rate::Bytes(v) if !(v.is_finite() && v >= 0.001) => Err(bad()),
        v => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(
            parse_signed_duration_ns("1h30m").unwrap(),
            5400 * 1_000_000_000
        );
        assert_eq!(
            parse_signed_duration_ns("-2d").unwrap(),
            -2 * 86400 * 1_000_000_000
        );
        assert_eq!(parse_signed_duration_ns("250ms").unwrap(), 250_000_000);
        assert_eq!(parse_signed_duration_ns("90").unwrap(), 90_000_000_000);
        assert_eq!(parse_signed_duration_ns("1.5s").unwrap(), 1_500_000_000);
        assert!(parse_signed_duration_ns("1x").is_err());
        assert!(parse_signed_duration_ns("").is_err());
        assert!(parse_signed_duration_ns("h").is_err());
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert!(parse_duration("-5m").is_err());
    }

    #[test]
    fn rates_and_sizes() {
        assert_eq!(parse_rate("50000").unwrap(), Rate::Lines(50000.0));
        assert_eq!(parse_rate("50k").unwrap(), Rate::Lines(50000.0));
        assert_eq!(parse_rate("50000/s").unwrap(), Rate::Lines(50000.0));
        assert_eq!(parse_rate("50000 lines/s").unwrap(), Rate::Lines(50000.0));
        assert_eq!(parse_rate("10MB/s").unwrap(), Rate::Bytes(10e6));
        assert_eq!(parse_rate("1MiB/s").unwrap(), Rate::Bytes(1048576.0));
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("fast").is_err());
        assert_eq!(parse_size("8MiB").unwrap(), 8 << 20);
        assert_eq!(parse_size("4M").unwrap(), 4 << 20);
        assert_eq!(parse_size("256k").unwrap(), 256 << 10);
        assert_eq!(parse_size("5MB").unwrap(), 5_000_000);
        assert_eq!(parse_size("1gb").unwrap(), 1_000_000_000);
        assert_eq!(parse_size("5000").unwrap(), 5000);
        assert!(parse_size("5 parsecs").is_err());
    }
}
