//! Unix timestamps: a count of seconds, ms, us or ns since the epoch, read exactly.

use super::{check_range_wide, TimeError};
use lpconvert_lp::Precision;

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
            // Beyond this the value is 0 or out of range either way, however many
            // (leading or trailing zero) digits the mantissa has.
            let cap = 100 + i as i64;
            let mut v: i64 = 0;
            for &b in edigits.iter().skip_while(|&&b| b == b'0') {
                v = (v * 10 + i64::from(b.wrapping_sub(b'0'))).min(cap);
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
        whole = whole * 10 + i128::from(b.wrapping_sub(b'0'));
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
pub(super) fn small_int(s: &[u8]) -> Option<i64> {
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
