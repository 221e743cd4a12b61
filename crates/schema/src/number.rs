//! Number texts under `number_format` and `from_float` (SCHEMA.md "More about values"):
//! rewritten, exactly, into the text line protocol's parsers read. Used by the mapper for
//! each value and by the schema checks for constants and defaults.

use crate::spec::{FieldSpec, FieldType, FloatFormat, FromFloat, NumberFormat};

/// The number rules of one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberRule {
    /// Separators of the text, if not line protocol's `.` without groups.
    pub format: Option<NumberFormat>,
    /// What an integer or unsigned field does with a decimal.
    pub from_float: FromFloat,
    /// The field's type.
    pub ftype: FieldType,
    /// A float written with the shortest digits that read back the same (`float_format =
    /// "shortest"`).
    pub shortest: bool,
}

impl NumberRule {
    /// The rule of a field, `None` when it reads numbers as line protocol writes them.
    pub fn of(
        ftype: FieldType,
        format: Option<&NumberFormat>,
        from_float: FromFloat,
    ) -> Option<NumberRule> {
        let format = format.filter(|f| f.decimal != "." || !f.group.is_empty());
        let whole = matches!(ftype, FieldType::Integer | FieldType::Unsigned);
        let from_float = if whole { from_float } else { FromFloat::Reject };
        (format.is_some() || from_float != FromFloat::Reject).then(|| NumberRule {
            format: format.cloned(),
            from_float,
            ftype,
            shortest: false,
        })
    }

    /// The rule of a field's spec: `of` plus `float_format = "shortest"`.
    pub fn of_field(f: &FieldSpec) -> Option<NumberRule> {
        let shortest = f.ftype == FieldType::Float && f.float_format == FloatFormat::Shortest;
        let rule = NumberRule::of(f.ftype, f.number_format.as_ref(), f.from_float);
        match rule {
            Some(r) => Some(NumberRule { shortest, ..r }),
            None => shortest.then_some(NumberRule {
                format: None,
                from_float: FromFloat::Reject,
                ftype: f.ftype,
                shortest,
            }),
        }
    }

    /// Rewrites `text` into `out` as line protocol reads it (`1.234,5` -> `1234.5`; with
    /// `from_float`, `2.5` -> `3`). Text the rule does not apply to is copied as is, for
    /// the type's own check to report; a group separator out of place is an error here.
    /// Without `separators` (a JSON number), only `from_float` applies.
    pub fn apply(&self, text: &[u8], separators: bool, out: &mut Vec<u8>) -> Result<(), String> {
        out.clear();
        match &self.format {
            Some(f) if separators => read_separators(text, f, out)?,
            _ => out.extend_from_slice(text),
        }
        if self.from_float != FromFloat::Reject {
            if let Some(whole) = to_whole(out, self.from_float == FromFloat::Round) {
                *out = whole;
            }
        }
        if self.shortest {
            shortest_float(out);
        }
        Ok(())
    }
}

/// A float text line protocol reads rewritten as Go's `strconv.AppendFloat(v, 'f', -1, 64)`
/// writes it (Rust's `Display` of `f64` is the same: shortest round-trip digits, no
/// exponent, `-0` for negative zero); other text is left for the type's check.
fn shortest_float(text: &mut Vec<u8>) {
    if lpconvert_lp::value::float_form(text).is_err() {
        return;
    }
    let Some(v) = std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
    else {
        return;
    };
    use std::io::Write;
    text.clear();
    let _ = write!(text, "{v}");
}

/// `text` with `f`'s decimal separator made `.` and its group separators removed. Group
/// separators stand only between digits of the integer part, every group after the
/// first holding three digits (`1.234.567,8`); anything else is an error.
fn read_separators(text: &[u8], f: &NumberFormat, out: &mut Vec<u8>) -> Result<(), String> {
    let fail = || {
        let groups: Vec<String> = f.group.iter().map(|g| format!("{g:?}")).collect();
        format!(
            "is not a number in the field's number_format (decimal {:?}, group separators [{}]; \
             groups of three digits, only in the integer part)",
            f.decimal,
            groups.join(", ")
        )
    };
    let s = std::str::from_utf8(text).map_err(|_| fail())?;
    let mut chars = s.char_indices().peekable();
    if let Some(&(_, c @ ('-' | '+'))) = chars.peek() {
        out.push(c as u8);
        chars.next();
    }
    let is = |c: char, sep: &str| sep.chars().eq(std::iter::once(c));
    // Digits of the current group, and whether a separator was seen.
    let (mut group, mut grouped, mut int_digits) = (0usize, false, 0usize);
    let mut after_sep = false;
    while let Some(&(_, c)) = chars.peek() {
        if c.is_ascii_digit() {
            out.push(c as u8);
            group += 1;
            int_digits += 1;
            after_sep = false;
        } else if f.group.iter().any(|g| is(c, g)) {
            // Between digits, after a first group of 1-3 or a full group of 3.
            if group == 0 || (grouped && group != 3) || (!grouped && group > 3) {
                return Err(fail());
            }
            grouped = true;
            group = 0;
            after_sep = true;
        } else {
            break;
        }
        chars.next();
    }
    if after_sep || (grouped && group != 3) {
        return Err(fail());
    }
    let mut frac_digits = 0;
    // A `.` that is not a group separator is a decimal point too: a column written mostly
    // with decimal commas and sometimes with points reads exactly, whichever each value uses.
    let point_too = f.decimal != "." && !f.group.iter().any(|g| g == ".");
    if let Some(&(_, c)) = chars.peek() {
        if is(c, &f.decimal) || (point_too && c == '.') {
            out.push(b'.');
            chars.next();
            while let Some(&(_, c)) = chars.peek() {
                if !c.is_ascii_digit() {
                    break;
                }
                out.push(c as u8);
                frac_digits += 1;
                chars.next();
            }
        }
    }
    if int_digits + frac_digits == 0 {
        return Err(fail());
    }
    if let Some(&(i, 'e' | 'E')) = chars.peek() {
        let exp = &s[i + 1..];
        let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail());
        }
        out.extend_from_slice(&s.as_bytes()[i..]);
        return Ok(());
    }
    if chars.next().is_some() {
        return Err(fail());
    }
    Ok(())
}

/// A decimal or scientific text (`-2.5`, `1e3`) as a whole number, truncated or rounded
/// half away from zero, exactly on the digits. `None` for an integer already or for text
/// that is not a number (the type's own check reports it).
fn to_whole(text: &[u8], round: bool) -> Option<Vec<u8>> {
    let (neg, body) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let e = body.iter().position(|&b| b == b'e' || b == b'E');
    let (mantissa, exp) = match e {
        None => (body, 0i64),
        Some(i) => {
            let s = std::str::from_utf8(&body[i + 1..]).ok()?;
            let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // Beyond this the result is 0 or out of range either way, however many
            // (leading or trailing zero) digits the mantissa has.
            let cap = 100 + i as i64;
            let v = digits.bytes().fold(0i64, |v, b| {
                (v * 10 + i64::from(b.wrapping_sub(b'0'))).min(cap)
            });
            (&body[..i], if s.starts_with('-') { -v } else { v })
        }
    };
    let dot = mantissa.iter().position(|&b| b == b'.');
    if dot.is_none() && e.is_none() {
        return None;
    }
    let (int, frac) = match dot {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, &b""[..]),
    };
    if int.len() + frac.len() == 0 || !int.iter().chain(frac).all(u8::is_ascii_digit) {
        return None;
    }
    let digits: Vec<u8> = int.iter().chain(frac).copied().collect();
    // The decimal point falls after `point` digits.
    let point = int.len() as i64 + exp;
    let mut whole: Vec<u8> = if point <= 0 {
        Vec::new()
    } else if point as usize >= digits.len() {
        // More than 25 digits is out of range for any type: the type's check says so.
        let zeros = (point as usize - digits.len()).min(25);
        let mut w = digits.clone();
        w.resize(digits.len() + zeros, b'0');
        w
    } else {
        digits[..point as usize].to_vec()
    };
    let first_dropped = if point < 0 {
        None
    } else {
        digits.get(point as usize).copied()
    };
    if round && first_dropped.is_some_and(|d| d >= b'5') {
        let mut i = whole.len();
        loop {
            if i == 0 {
                whole.insert(0, b'1');
                break;
            }
            i -= 1;
            if whole[i] == b'9' {
                whole[i] = b'0';
            } else {
                whole[i] += 1;
                break;
            }
        }
    }
    let lead = whole.iter().take_while(|&&b| b == b'0').count();
    let mut out = Vec::with_capacity(whole.len() + 1);
    if lead == whole.len() {
        out.push(b'0');
    } else {
        if neg {
            out.push(b'-');
        }
        out.extend_from_slice(&whole[lead..]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(rule: &NumberRule, text: &str) -> Result<String, String> {
        let mut out = Vec::new();
        rule.apply(text.as_bytes(), true, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    fn whole(mode: FromFloat) -> NumberRule {
        NumberRule::of(FieldType::Integer, None, mode).unwrap()
    }

    #[test]
    fn from_float_rounds_half_away_from_zero() {
        let r = whole(FromFloat::Round);
        for (t, want) in [
            ("2.5", "3"),
            ("-2.5", "-3"),
            ("2.4999", "2"),
            ("1e3", "1000"),
            ("1.5e1", "15"),
            ("4.5", "5"),
            ("-0.4", "0"),
            ("9.5", "10"),
            ("99.9", "100"),
            ("0.05e1", "1"),
            ("25e-1", "3"),
            ("42", "42"),
            // An exponent as long as the mantissa's zeros.
            (
                format!("0.{}1e200005", "0".repeat(200_000)).as_str(),
                "10000",
            ),
            ("1e-200000", "0"),
            (format!("1{}e-199999", "0".repeat(200_000)).as_str(), "10"),
            ("abc", "abc"),
        ] {
            assert_eq!(apply(&r, t).unwrap(), want, "{t}");
        }
        let t = whole(FromFloat::Truncate);
        for (x, want) in [("3.7", "3"), ("-3.7", "-3"), ("1e3", "1000"), ("-0.9", "0")] {
            assert_eq!(apply(&t, x).unwrap(), want, "{x}");
        }
    }

    #[test]
    fn separators_are_read_strictly() {
        let f = NumberFormat {
            decimal: ",".into(),
            group: vec![".".into(), " ".into()],
        };
        let r = NumberRule::of(FieldType::Float, Some(&f), FromFloat::Reject).unwrap();
        for (t, want) in [
            ("1.234,5", "1234.5"),
            ("1234,5", "1234.5"),
            ("-1.234.567,25", "-1234567.25"),
            ("1 234", "1234"),
            (",5", ".5"),
            ("1,5e3", "1.5e3"),
            ("12", "12"),
        ] {
            assert_eq!(apply(&r, t).unwrap(), want, "{t}");
        }
        for bad in [
            "1.5", "12.34", "1.2345", "1..234", "1.234.", ".234", "1,2,3", "1,5x", "",
        ] {
            assert!(apply(&r, bad).is_err(), "{bad}");
        }
        let rounded = NumberRule::of(FieldType::Integer, Some(&f), FromFloat::Round).unwrap();
        assert_eq!(apply(&rounded, "1.234,5").unwrap(), "1235");
    }

    #[test]
    fn a_point_is_a_decimal_point_too_when_it_is_no_group_separator() {
        let f = NumberFormat {
            decimal: ",".into(),
            group: vec![" ".into()],
        };
        let r = NumberRule::of(FieldType::Float, Some(&f), FromFloat::Reject).unwrap();
        for (t, want) in [
            ("21,5", "21.5"),
            ("21.5", "21.5"),
            ("-0.25", "-0.25"),
            ("1 234.5", "1234.5"),
        ] {
            assert_eq!(apply(&r, t).unwrap(), want, "{t}");
        }
        for bad in ["1.2,5", "1,2.5", "1.2.3", "."] {
            assert!(apply(&r, bad).is_err(), "{bad}");
        }
    }

    /// Go's `strconv.FormatFloat(v, 'f', -1, 64)` for these values (csv2lp's output).
    #[test]
    fn shortest_floats_are_written_as_go_formats_them() {
        let mut r = NumberRule::of(FieldType::Float, None, FromFloat::Reject);
        assert!(r.is_none());
        let r = r.get_or_insert(NumberRule {
            format: None,
            from_float: FromFloat::Reject,
            ftype: FieldType::Float,
            shortest: true,
        });
        for (t, go) in [
            ("1.0", "1"),
            ("2.50", "2.5"),
            ("-0.0", "-0"),
            ("0", "0"),
            ("1e21", "1000000000000000000000"),
            ("1e-7", "0.0000001"),
            ("1.5E3", "1500"),
            ("2.7263631815907954", "2.7263631815907954"),
            ("0.1", "0.1"),
            ("123456789012345678", "123456789012345680"),
            (
                "1.7976931348623157e308",
                &format!("17976931348623157{}", "0".repeat(292)),
            ),
            ("5e-324", &format!("0.{}5", "0".repeat(323))),
            ("+2", "2"),
            (".5", "0.5"),
            ("abc", "abc"),
            ("1e999", "1e999"),
            ("NaN", "NaN"),
        ] {
            assert_eq!(apply(r, t).unwrap(), go, "{t}");
        }
    }
}
