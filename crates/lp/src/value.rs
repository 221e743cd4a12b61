//! Field values: what each type accepts and how it is written, and timestamp precision.

use std::fmt;

/// Why a cell's text is not a valid value of its field type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueError {
    /// Not a decimal or scientific number.
    NotFloat,
    /// NaN or an infinity.
    NonFinite,
    /// A number outside the range of a 64-bit float.
    FloatRange,
    /// Not a whole number.
    NotInteger,
    /// A whole number outside the signed 64-bit range.
    IntegerRange,
    /// Not a whole number without a sign.
    NotUnsigned,
    /// A whole number above 2^64-1.
    UnsignedRange,
    /// Not one of the true or false values.
    NotBoolean,
    /// A string value with a newline while `string_newlines = "reject"`.
    StringNewline,
    /// A string value that is not valid UTF-8.
    NotUtf8,
    /// A string value over [`MAX_STRING_LEN`](crate::parse::MAX_STRING_LEN) bytes as written.
    StringTooLong,
    /// Not a Go-style duration.
    NotDuration,
    /// A duration beyond the signed 64-bit range of nanoseconds (about 292 years).
    DurationRange,
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueError::NotFloat => "is not a number (expected a float such as 21.5 or 1e-3)",
            ValueError::NonFinite => "is NaN or infinite, which line protocol cannot store",
            ValueError::FloatRange => "is outside the range of a 64-bit float",
            ValueError::NotInteger => "is not a whole number (expected an integer such as 42)",
            ValueError::IntegerRange => "is outside the signed 64-bit integer range",
            ValueError::NotUnsigned => {
                "is not a whole number without a sign (expected an unsigned integer)"
            }
            ValueError::UnsignedRange => {
                "is outside the unsigned 64-bit range 0..18446744073709551615"
            }
            ValueError::NotBoolean => "is not one of the boolean true/false values",
            ValueError::NotUtf8 => "is not valid UTF-8 (convert the file to UTF-8 first)",
            ValueError::StringTooLong => {
                "is over the 64 KiB (65536 bytes, counted with its escapes) that InfluxDB accepts in a string value: shorten it or split it over several fields"
            }
            ValueError::StringNewline => {
                "contains a newline; set string_newlines = \"escape\" to write it as \\n"
            }
            ValueError::NotDuration => {
                "is not a duration (expected e.g. 1h2m3.5s, 150ms or -2us; units ns, us, µs, ms, s, m, h)"
            }
            ValueError::DurationRange => {
                "is outside the range of a duration in nanoseconds (about ±292 years)"
            }
        })
    }
}

/// Returns the length of the run of ASCII digits at the start of `s`.
#[inline]
fn digits(s: &[u8]) -> usize {
    s.iter().take_while(|b| b.is_ascii_digit()).count()
}

/// True when `s` is a float literal every line protocol parser reads the same way:
/// `-?D+(.D+)?([eE][+-]?D+)?`. Returns also whether it has an exponent.
#[inline]
fn canonical_float(s: &[u8]) -> Option<bool> {
    let mut i = usize::from(s.first() == Some(&b'-'));
    let n = digits(&s[i..]);
    if n == 0 {
        return None;
    }
    i += n;
    if s.get(i) == Some(&b'.') {
        let n = digits(&s[i + 1..]);
        if n == 0 {
            return None;
        }
        i += 1 + n;
    }
    if i == s.len() {
        return Some(false);
    }
    if !matches!(s[i], b'e' | b'E') {
        return None;
    }
    i += 1;
    if matches!(s.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let n = digits(&s[i..]);
    (n > 0 && i + n == s.len()).then_some(true)
}

fn parse_f64(s: &[u8]) -> Result<f64, ValueError> {
    let text = std::str::from_utf8(s).map_err(|_| ValueError::NotFloat)?;
    let v: f64 = text.parse().map_err(|_| ValueError::NotFloat)?;
    if v.is_nan() {
        return Err(ValueError::NonFinite);
    }
    if v.is_infinite() {
        let lower = text.to_ascii_lowercase();
        return Err(if lower.contains("inf") {
            ValueError::NonFinite
        } else {
            ValueError::FloatRange
        });
    }
    Ok(v)
}

/// How a float cell is written: its own text, or a reformatted value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FloatForm {
    /// The text is already portable line protocol: copy it.
    Copy,
    /// Write this value (the text was `.5`, `1.`, `+2`, ...).
    Value(f64),
}

/// Checks a float cell and says how to write it.
#[inline]
pub fn float_form(s: &[u8]) -> Result<FloatForm, ValueError> {
    match canonical_float(s) {
        // Many digits or an exponent may overflow: check the range before copying.
        Some(has_exp) if !has_exp && s.len() < 300 => Ok(FloatForm::Copy),
        Some(_) => parse_f64(s).map(|_| FloatForm::Copy),
        None => parse_f64(s).map(FloatForm::Value),
    }
}

/// Appends a float field value. Text that is already portable line protocol is copied
/// (`21.0` stays `21.0`); other accepted forms (`.5`, `1.`, `+2`) are reformatted.
#[inline]
pub fn write_float(out: &mut Vec<u8>, s: &[u8]) -> Result<(), ValueError> {
    match float_form(s)? {
        FloatForm::Copy => out.extend_from_slice(s),
        FloatForm::Value(v) => write_f64(out, v),
    }
    Ok(())
}

/// Appends a finite `f64` as a float field value (`1.0`, `0.5`, `1e300`).
#[inline]
pub fn write_f64(out: &mut Vec<u8>, v: f64) {
    let mut buf = ryu::Buffer::new();
    out.extend_from_slice(buf.format_finite(v).as_bytes());
}

/// Appends a signed integer field value (`42i`). Accepts an optional sign and digits.
#[inline]
pub fn write_integer(out: &mut Vec<u8>, s: &[u8]) -> Result<(), ValueError> {
    let digits = integer_text(s)?;
    out.extend_from_slice(digits);
    out.push(b'i');
    Ok(())
}

/// Checks a signed integer cell (optional sign, digits, in the i64 range) and returns the
/// text to write before the `i`: the cell without a leading `+`.
#[inline]
pub fn integer_text(s: &[u8]) -> Result<&[u8], ValueError> {
    let (neg, body) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() || digits(body) != body.len() {
        return Err(ValueError::NotInteger);
    }
    let mut v: u64 = 0;
    for &b in body {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b.wrapping_sub(b'0'))))
            .ok_or(ValueError::IntegerRange)?;
    }
    let limit = if neg { 1u64 << 63 } else { (1u64 << 63) - 1 };
    if v > limit {
        return Err(ValueError::IntegerRange);
    }
    Ok(if neg { s } else { body })
}

/// Appends an unsigned integer field value (`42u`), 0..2^64-1. Accepts an optional `+`.
#[inline]
pub fn write_unsigned(out: &mut Vec<u8>, s: &[u8]) -> Result<(), ValueError> {
    let body = s.strip_prefix(b"+").unwrap_or(s);
    if body.is_empty() || digits(body) != body.len() {
        return Err(ValueError::NotUnsigned);
    }
    let mut v: u64 = 0;
    for &b in body {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b.wrapping_sub(b'0'))))
            .ok_or(ValueError::UnsignedRange)?;
    }
    out.extend_from_slice(body);
    out.push(b'u');
    Ok(())
}

/// Unit of the timestamps written in the output lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// Nanoseconds.
    #[default]
    Ns,
    /// Microseconds.
    Us,
    /// Milliseconds.
    Ms,
    /// Seconds.
    S,
}

impl Precision {
    /// Nanoseconds per unit.
    pub fn nanos(self) -> i64 {
        match self {
            Precision::Ns => 1,
            Precision::Us => 1_000,
            Precision::Ms => 1_000_000,
            Precision::S => 1_000_000_000,
        }
    }

    /// The schema spelling: `ns`, `us`, `ms`, `s`.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Ns => "ns",
            Precision::Us => "us",
            Precision::Ms => "ms",
            Precision::S => "s",
        }
    }

    /// Parses the schema spelling.
    pub fn parse(s: &str) -> Option<Precision> {
        Some(match s {
            "ns" => Precision::Ns,
            "us" => Precision::Us,
            "ms" => Precision::Ms,
            "s" => Precision::S,
            _ => return None,
        })
    }

    /// Converts nanoseconds to this unit, rounding down (towards the past).
    #[inline]
    pub fn from_nanos(self, ns: i64) -> i64 {
        ns.div_euclid(self.nanos())
    }

    /// Converts nanoseconds to this unit, rounding down, when the result times the unit is
    /// still inside [`MIN_NANOS`]..=[`MAX_NANOS`] (what a server multiplies it back to);
    /// `None` when rounding down left the range (`-9223372036854775806` ns in seconds).
    #[inline]
    pub fn from_nanos_in_range(self, ns: i64) -> Option<i64> {
        let v = self.from_nanos(ns);
        v.checked_mul(self.nanos())
            .filter(|back| (MIN_NANOS..=MAX_NANOS).contains(back))
            .map(|_| v)
    }
}

/// Smallest timestamp line protocol accepts, in nanoseconds (1677-09-21).
pub const MIN_NANOS: i64 = -9_223_372_036_854_775_806;
/// Largest timestamp line protocol accepts, in nanoseconds (2262-04-11).
pub const MAX_NANOS: i64 = 9_223_372_036_854_775_806;

#[cfg(test)]
mod tests {
    use super::*;

    fn w(
        f: fn(&mut Vec<u8>, &[u8]) -> Result<(), ValueError>,
        s: &str,
    ) -> Result<String, ValueError> {
        let mut v = Vec::new();
        f(&mut v, s.as_bytes()).map(|()| String::from_utf8(v).unwrap())
    }

    #[test]
    fn floats_kept_or_normalised() {
        for s in [
            "21.0", "21", "-1.5", "1e-3", "1.234E06", "0", "-0.0", "007.5", "1E+5",
        ] {
            assert_eq!(w(write_float, s).as_deref(), Ok(s), "{s}");
        }
        assert_eq!(w(write_float, ".5").as_deref(), Ok("0.5"));
        assert_eq!(w(write_float, "1.").as_deref(), Ok("1.0"));
        assert_eq!(w(write_float, "+2.5").as_deref(), Ok("2.5"));
        assert_eq!(w(write_float, "-.25").as_deref(), Ok("-0.25"));
    }

    #[test]
    fn floats_rejected() {
        for s in ["NaN", "nan", "inf", "-Infinity", "+inf"] {
            assert_eq!(w(write_float, s), Err(ValueError::NonFinite), "{s}");
        }
        assert_eq!(w(write_float, "1e400"), Err(ValueError::FloatRange));
        assert_eq!(w(write_float, "-1e309"), Err(ValueError::FloatRange));
        for s in ["", "abc", "1,5", "1.5.5", " 1", "0x10", "1e", "--1", "e5"] {
            assert_eq!(w(write_float, s), Err(ValueError::NotFloat), "{s:?}");
        }
        let long = "9".repeat(400);
        assert_eq!(w(write_float, &long), Err(ValueError::FloatRange));
    }

    #[test]
    fn integers() {
        assert_eq!(w(write_integer, "42").as_deref(), Ok("42i"));
        assert_eq!(w(write_integer, "+42").as_deref(), Ok("42i"));
        assert_eq!(
            w(write_integer, "-9223372036854775808").as_deref(),
            Ok("-9223372036854775808i")
        );
        assert_eq!(
            w(write_integer, "9223372036854775807").as_deref(),
            Ok("9223372036854775807i")
        );
        assert_eq!(
            w(write_integer, "9223372036854775808"),
            Err(ValueError::IntegerRange)
        );
        assert_eq!(
            w(write_integer, "-9223372036854775809"),
            Err(ValueError::IntegerRange)
        );
        assert_eq!(
            w(write_integer, "99999999999999999999999"),
            Err(ValueError::IntegerRange)
        );
        for s in ["1.0", "1e3", "", "-", "abc", " 1", "0x1"] {
            assert_eq!(w(write_integer, s), Err(ValueError::NotInteger), "{s:?}");
        }
    }

    #[test]
    fn unsigned() {
        assert_eq!(
            w(write_unsigned, "18446744073709551615").as_deref(),
            Ok("18446744073709551615u")
        );
        assert_eq!(w(write_unsigned, "+0").as_deref(), Ok("0u"));
        assert_eq!(
            w(write_unsigned, "18446744073709551616"),
            Err(ValueError::UnsignedRange)
        );
        for s in ["-1", "1.0", "", "x"] {
            assert_eq!(w(write_unsigned, s), Err(ValueError::NotUnsigned), "{s:?}");
        }
    }

    #[test]
    fn precision_rounds_down() {
        assert_eq!(Precision::S.from_nanos(1_999_999_999), 1);
        assert_eq!(Precision::S.from_nanos(-1), -1);
        assert_eq!(Precision::Ms.from_nanos(-1_000_001), -2);
        assert_eq!(Precision::Ns.from_nanos(-5), -5);
    }

    #[test]
    fn rounding_down_out_of_range_is_none() {
        for p in [Precision::Us, Precision::Ms, Precision::S] {
            assert_eq!(p.from_nanos_in_range(MIN_NANOS), None, "{p:?}");
            assert_eq!(
                p.from_nanos_in_range(MAX_NANOS),
                Some(p.from_nanos(MAX_NANOS)),
                "{p:?}"
            );
        }
        assert_eq!(
            Precision::Ns.from_nanos_in_range(MIN_NANOS),
            Some(MIN_NANOS)
        );
        assert_eq!(
            Precision::S.from_nanos_in_range(-9_223_372_036_000_000_000),
            Some(-9_223_372_036)
        );
    }
}
