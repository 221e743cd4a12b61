//! VictoriaMetrics' number parsers (`github.com/valyala/fastjson/fastfloat` 1.6.3, vendored by
//! VictoriaMetrics 1.79): `ParseBestEffort` for float and string field values, `ParseInt64`
//! and `ParseUint64` for integers and timestamps, with Go's `math.Pow10`. Its float result
//! differs from the correctly rounded one when an exponent or a long mantissa is involved.
//! Digits are taken with `wrapping_sub`: a mapped input truncated while read turns into zero
//! pages between two reads of a byte (the run then fails as changed, never panics).

const POW10: [f64; 17] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
];

/// Go's `strconv.ParseFloat` as `ParseBestEffort` uses it: 0 on a syntax error, ±Inf on
/// overflow.
fn go_parse_float(s: &str) -> f64 {
    // Go accepts what Rust does here (decimal digits, `inf`, `nan`) but also a leading `+`
    // on the special words, hex floats and `_` separators only with a base prefix, which
    // cannot start with the 19 digits that lead here.
    s.parse::<f64>().unwrap_or(0.0)
}

/// Go's `math.Pow10`.
pub(crate) fn go_pow10(n: i32) -> f64 {
    const TAB: [f64; 32] = [
        1e00, 1e01, 1e02, 1e03, 1e04, 1e05, 1e06, 1e07, 1e08, 1e09, 1e10, 1e11, 1e12, 1e13, 1e14,
        1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29,
        1e30, 1e31,
    ];
    const POS32: [f64; 10] = [
        1e00, 1e32, 1e64, 1e96, 1e128, 1e160, 1e192, 1e224, 1e256, 1e288,
    ];
    const NEG32: [f64; 11] = [
        1e-00, 1e-32, 1e-64, 1e-96, 1e-128, 1e-160, 1e-192, 1e-224, 1e-256, 1e-288, 1e-320,
    ];
    if (0..=308).contains(&n) {
        let n = n as usize;
        return POS32[n / 32] * TAB[n % 32];
    }
    if (-323..=0).contains(&n) {
        let m = (-n) as usize;
        return NEG32[m / 32] / TAB[m % 32];
    }
    if n > 0 {
        f64::INFINITY
    } else {
        0.0
    }
}

/// `fastfloat.ParseBestEffort`: never fails, 0 for what it cannot read.
pub(crate) fn parse_best_effort(b: &[u8]) -> f64 {
    let n = b.len();
    if n == 0 {
        return 0.0;
    }
    let full = || std::str::from_utf8(b).map_or(0.0, go_parse_float);
    let mut i = 0;
    let minus = b[0] == b'-';
    if minus {
        i += 1;
        if i >= n {
            return 0.0;
        }
    }
    let sign = |f: f64| if minus { -f } else { f };
    let mut d: u64 = 0;
    let j = i;
    while i < n && b[i].is_ascii_digit() {
        d = d * 10 + u64::from(b[i].wrapping_sub(b'0'));
        i += 1;
        if i > 18 {
            return full();
        }
    }
    if i <= j {
        let mut rest = &b[i..];
        if rest.first() == Some(&b'+') {
            rest = &rest[1..];
        }
        let eq = |w: &[u8]| rest.eq_ignore_ascii_case(w);
        if eq(b"inf") || eq(b"infinity") {
            return sign(f64::INFINITY);
        }
        if eq(b"nan") {
            return f64::NAN;
        }
        return 0.0;
    }
    let mut f = d as f64;
    if i >= n {
        return sign(f);
    }
    if b[i] == b'.' {
        i += 1;
        if i >= n {
            return 0.0;
        }
        let k = i;
        while i < n && b[i].is_ascii_digit() {
            d = d * 10 + u64::from(b[i].wrapping_sub(b'0'));
            i += 1;
            if i - j >= POW10.len() {
                return full();
            }
        }
        if i < k {
            return 0.0;
        }
        f = d as f64 / POW10[i - k];
        if i >= n {
            return sign(f);
        }
    }
    if b[i] == b'e' || b[i] == b'E' {
        i += 1;
        if i >= n {
            return 0.0;
        }
        let mut exp_minus = false;
        if b[i] == b'+' || b[i] == b'-' {
            exp_minus = b[i] == b'-';
            i += 1;
            if i >= n {
                return 0.0;
            }
        }
        let mut exp: i32 = 0;
        let j = i;
        while i < n && b[i].is_ascii_digit() {
            exp = exp * 10 + i32::from(b[i].wrapping_sub(b'0'));
            i += 1;
            if exp > 300 {
                return full();
            }
        }
        if i <= j {
            return 0.0;
        }
        if exp_minus {
            exp = -exp;
        }
        f *= go_pow10(exp);
        if i >= n {
            return sign(f);
        }
    }
    0.0
}

/// `fastfloat.ParseInt64`.
pub(crate) fn parse_int64(s: &[u8]) -> Option<i64> {
    let digits = s.strip_prefix(b"-").unwrap_or(s);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Up to 18 digits it accumulates; from 19 on it asks strconv.ParseInt: both are exact.
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// `fastfloat.ParseUint64`.
pub(crate) fn parse_uint64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_victoriametrics_reads() {
        let f = |s: &str| parse_best_effort(s.as_bytes());
        assert_eq!(f("1.5"), 1.5);
        assert_eq!(f("-0").to_bits(), (-0.0f64).to_bits());
        assert_eq!(f("1."), 0.0);
        assert_eq!(f(".5"), 0.0);
        assert_eq!(f("+1"), 0.0);
        assert_eq!(f("12abc"), 0.0);
        assert!(f("NaN").is_nan());
        assert_eq!(f("-Inf"), f64::NEG_INFINITY);
        // 1.5E-300 is 1.5 * (1e-288 / 1e12): two roundings.
        assert_eq!(f("1.5E-300"), 1.5 * (1e-288 / 1e12));
        assert_eq!(f("12345678901234567890"), 12345678901234567890.0);
        assert_eq!(go_pow10(-324), 0.0);
        assert_eq!(parse_int64(b"-0"), Some(0));
        assert_eq!(parse_int64(b"+1"), None);
    }
}
