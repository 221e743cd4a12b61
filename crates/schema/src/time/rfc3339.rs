//! RFC 3339 timestamps, read without chrono.

use super::{check_range, check_range_wide, TimeError, Zone};
use chrono::NaiveDate;
use lpconvert_lp::civil::days_from_civil;

#[inline]
fn num2(s: &[u8], i: usize) -> Option<u32> {
    let a = s.get(i)?.wrapping_sub(b'0');
    let b = s.get(i + 1)?.wrapping_sub(b'0');
    (a < 10 && b < 10).then(|| u32::from(a) * 10 + u32::from(b))
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
            frac += i64::from(b.wrapping_sub(b'0')) * scale;
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
