//! Go-style durations (`1h2m3.5s`, `150ms`, `-2us`), as Go's `time.ParseDuration` reads
//! them, to integer nanoseconds.

use crate::ValueError;

/// The nanoseconds of a unit at the start of `s`, and the unit's length in bytes.
fn unit(s: &[u8]) -> Option<(u128, usize)> {
    const UNITS: [(&str, u128); 9] = [
        ("ns", 1),
        ("us", 1_000),
        ("\u{b5}s", 1_000),
        ("\u{3bc}s", 1_000),
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000),
        ("h", 3_600_000_000_000),
        ("", 0),
    ];
    // The unit runs to the next digit or dot, as in Go.
    let end = s
        .iter()
        .position(|&b| b == b'.' || b.is_ascii_digit())
        .unwrap_or(s.len());
    let name = &s[..end];
    UNITS
        .iter()
        .find(|(u, _)| !u.is_empty() && u.as_bytes() == name)
        .map(|&(_, ns)| (ns, end))
}

/// `0.frac` times `ns`, exactly, rounded down to whole nanoseconds. Horner's scheme from
/// the last digit: `floor((d + floor(x)) / 10) = floor((d + x) / 10)` for a whole `d`, so
/// flooring at each step is exact however many digits there are (the kept value stays
/// below `ns`).
fn fraction_of(frac: &[u8], ns: u128) -> u128 {
    frac.iter().rev().fold(0, |acc, &b| {
        (u128::from(b.wrapping_sub(b'0')) * ns + acc) / 10
    })
}

/// Parses a duration: an optional sign, then one or more decimal numbers each with a
/// unit (`ns`, `us` or `µs`, `ms`, `s`, `m`, `h`); `0` alone needs no unit. The value is
/// exact, fractions of a nanosecond dropped (towards zero).
pub fn parse_duration(s: &[u8]) -> Result<i64, ValueError> {
    let (neg, mut rest) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == b"0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(ValueError::NotDuration);
    }
    // Nanoseconds, scaled by 10^frac_scale while fractions are pending: kept as u128
    // and checked against 2^63 after each term.
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let mut int: u128 = 0;
        for &b in &rest[..int_len] {
            int = int * 10 + u128::from(b.wrapping_sub(b'0'));
            if int > 1 << 64 {
                return Err(ValueError::DurationRange);
            }
        }
        rest = &rest[int_len..];
        let mut frac: &[u8] = b"";
        if rest.first() == Some(&b'.') {
            let n = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
            frac = &rest[1..1 + n];
            rest = &rest[1 + n..];
        }
        if int_len == 0 && frac.is_empty() {
            return Err(ValueError::NotDuration);
        }
        let (ns, len) = unit(rest).ok_or(ValueError::NotDuration)?;
        rest = &rest[len..];
        total += int * ns + fraction_of(frac, ns);
        if total > 1 << 63 {
            return Err(ValueError::DurationRange);
        }
    }
    if neg {
        Ok((total as i128).wrapping_neg() as i64)
    } else {
        i64::try_from(total).map_err(|_| ValueError::DurationRange)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        for (s, ns) in [
            ("1h2m3.5s", 3_723_500_000_000),
            ("150ms", 150_000_000),
            ("-2us", -2_000),
            ("2µs", 2_000),
            ("2μs", 2_000),
            ("1.5h", 5_400_000_000_000),
            ("0", 0),
            ("-0", 0),
            ("+5s", 5_000_000_000),
            (".5s", 500_000_000),
            ("1.s", 1_000_000_000),
            ("1ns", 1),
            ("1.9ns", 1),
            ("2h45m", 9_900_000_000_000),
            ("9223372036854775807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("2562047h47m16.854775807s", i64::MAX),
            // Exact however many fraction digits: 1.0000000000008 ns (Go: 1).
            ("0.000000000000277777777778h", 1),
            ("0.000000000000277777777777h", 0),
            ("0.99999999999999999999999999999s", 999_999_999),
            ("1.0000000000000000000000000000000000001s", 1_000_000_000),
            ("0.0000000000000000000000000000000000001h1ns", 1),
        ] {
            assert_eq!(parse_duration(s.as_bytes()), Ok(ns), "{s}");
        }
        for s in [
            "", "1", "h", ".s", "1x", "1h-2m", "1.2.3s", "-", "1 s", "s1",
        ] {
            assert_eq!(
                parse_duration(s.as_bytes()),
                Err(ValueError::NotDuration),
                "{s}"
            );
        }
        for s in [
            "9223372036854775808ns",
            "2562048h",
            "99999999999999999999999h",
        ] {
            assert_eq!(
                parse_duration(s.as_bytes()),
                Err(ValueError::DurationRange),
                "{s}"
            );
        }
    }
}
