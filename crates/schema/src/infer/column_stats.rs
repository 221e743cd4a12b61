//! Per-column statistics of the sample: the field type every value fits, how many distinct
//! values there are, and whether they can be tag values.

use super::toml_text::toml_string;
use super::{Column, Kind};
use crate::number::NumberRule;
use crate::spec::{FieldType, FromFloat, NumberFormat};
use lpconvert_lp::escape::check_name;
use lpconvert_lp::value::{write_float, write_integer};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Ty {
    Integer,
    Float,
    Boolean,
    Str,
}

impl Ty {
    pub(super) fn as_str(&self) -> &'static str {
        match self {
            Ty::Integer => "integer",
            Ty::Float => "float",
            Ty::Boolean => "boolean",
            Ty::Str => "string",
        }
    }
}

const TRUE_VALUES: [&str; 5] = ["true", "t", "yes", "y", "1"];
const FALSE_VALUES: [&str; 5] = ["false", "f", "no", "n", "0"];

fn is_bool_text(s: &str) -> bool {
    TRUE_VALUES
        .iter()
        .chain(FALSE_VALUES.iter())
        .any(|v| v.eq_ignore_ascii_case(s))
}

/// A number written with a leading zero before another digit (`007`, `-01.5`).
fn leading_zero(t: &str) -> bool {
    let b = t.trim_start_matches(['-', '+']).as_bytes();
    b.len() > 1 && b[0] == b'0' && b[1].is_ascii_digit()
}

/// Significant decimal digits of a number's text: the mantissa without sign, point,
/// leading and trailing zeros (`0.00120` has 2, `18446744073709551615` has 20).
fn significant_digits(t: &str) -> usize {
    let mantissa = t.split(['e', 'E']).next().unwrap_or("");
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let start = digits
        .iter()
        .position(|&b| b != b'0')
        .unwrap_or(digits.len());
    let end = digits
        .iter()
        .rposition(|&b| b != b'0')
        .map_or(start, |i| i + 1);
    end.saturating_sub(start)
}

pub(super) struct Stats {
    pub(super) present: usize,
    pub(super) distinct: usize,
    pub(super) ty: Ty,
    pub(super) why: String,
    pub(super) tag_safe: bool,
    pub(super) newline: bool,
    /// The column's numbers are written with a decimal comma (`number_format`).
    pub(super) decimal_comma: bool,
    /// Texts of a mostly numeric column that are no numbers, for `null_values`.
    pub(super) nulls: Vec<String>,
}

/// A column is numeric when at most one value in this many is not a number...
const ODD_SHARE: usize = 10;
/// ...and those values have at most this many distinct texts.
const MAX_ODD_TEXTS: usize = 16;

/// The number format of a decimal comma without group separators.
fn comma() -> NumberFormat {
    NumberFormat {
        decimal: ",".into(),
        group: Vec::new(),
    }
}

/// `t` is a number under `format` (`None`: as line protocol writes it); JSON numbers are
/// read without separators, as the conversion reads them.
fn is_number(kind: Kind, t: &str, format: Option<&NumberFormat>, scratch: &mut Vec<u8>) -> bool {
    let mut text = Vec::new();
    let t = match (format, kind) {
        (Some(f), Kind::Text) => {
            let rule = NumberRule::of(FieldType::Float, Some(f), FromFloat::Reject);
            match rule.map(|r| r.apply(t.as_bytes(), true, &mut text)) {
                Some(Ok(())) => text.as_slice(),
                Some(Err(_)) => return false,
                None => t.as_bytes(),
            }
        }
        (_, Kind::Bool) => return false,
        _ => t.as_bytes(),
    };
    scratch.clear();
    write_float(scratch, t).is_ok()
}

/// The odd texts of a column, most frequent first, with their counts: `"n/a" (4), "-" (1)`.
fn quote_counts(odd: &[&str]) -> (Vec<String>, String) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for t in odd {
        *counts.entry(t).or_default() += 1;
    }
    let mut list: Vec<(&str, usize)> = counts.into_iter().collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let quoted: Vec<String> = list
        .iter()
        .take(5)
        .map(|(t, n)| format!("{} ({n})", toml_string(t)))
        .collect();
    let more = if list.len() > 5 { ", ..." } else { "" };
    (
        list.iter().map(|(t, _)| (*t).to_string()).collect(),
        format!("{}{more}", quoted.join(", ")),
    )
}

/// A column numeric in nearly every row: its type and comment when the values that are not
/// numbers are few (at most one in [`ODD_SHARE`]), read with a decimal comma when that makes
/// every value a number, else listed for `null_values`. `None` for any other column.
fn mostly_numbers(
    vals: &[&(Kind, String)],
    empty_note: &str,
) -> Option<(Ty, String, bool, Vec<String>)> {
    let mut scratch = Vec::new();
    let present = vals.len();
    let odd: Vec<&str> = vals
        .iter()
        .filter(|(k, t)| !is_number(*k, t, None, &mut scratch))
        .map(|(_, t)| t.as_str())
        .collect();
    if odd.is_empty() {
        return None;
    }
    let (texts, quoted) = quote_counts(&odd);
    let f = comma();
    // `1,234` may be a thousand: a comma is a decimal comma only if some value has other
    // than three digits after it.
    let not_thousands = odd.iter().any(|t| {
        t.rsplit_once(',')
            .is_some_and(|(_, frac)| frac.bytes().take_while(u8::is_ascii_digit).count() != 3)
    });
    let comma_reads_all = not_thousands
        && vals
            .iter()
            .all(|(k, t)| is_number(*k, t, Some(&f), &mut scratch));
    if comma_reads_all {
        return Some((
            Ty::Float,
            format!(
                "{present} numbers{empty_note}, {} written with a decimal comma: {quoted} -> float read with number_format",
                odd.len()
            ),
            true,
            Vec::new(),
        ));
    }
    if odd.len() * ODD_SHARE > present {
        return None;
    }
    let comma_reads_odd = not_thousands
        && odd
            .iter()
            .all(|t| is_number(Kind::Text, t, Some(&f), &mut scratch));
    if texts.len() > MAX_ODD_TEXTS {
        return None;
    }
    let mut int_scratch = Vec::new();
    let whole = vals
        .iter()
        .filter(|(k, t)| is_number(*k, t, None, &mut scratch))
        .all(|(_, t)| write_integer(&mut int_scratch, t.as_bytes()).is_ok());
    let ty = if whole { Ty::Integer } else { Ty::Float };
    let comma_note = if comma_reads_odd {
        "; they use a decimal comma, which number_format = { decimal = \",\" } reads, but the \
         other values use a decimal point"
    } else {
        ""
    };
    Some((
        ty.clone(),
        format!(
            "{} of {present} values{empty_note} are numbers; {} are not: {quoted} -> {}, those \
             read as empty (null_values){comma_note}",
            present - odd.len(),
            odd.len(),
            ty.as_str()
        ),
        false,
        texts,
    ))
}

pub(super) fn stats(col: &Column, rows: usize) -> Stats {
    let vals: Vec<&(Kind, String)> = col
        .cells
        .iter()
        .flatten()
        .filter(|(_, t)| !t.is_empty())
        .collect();
    let present = vals.len();
    let distinct = vals
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<HashSet<_>>()
        .len();
    let mut scratch = Vec::new();
    let mut ok = |f: &dyn Fn(&mut Vec<u8>, &[u8]) -> bool| {
        vals.iter().all(|(_, t)| {
            scratch.clear();
            f(&mut scratch, t.as_bytes())
        })
    };
    let all_kind = |k: Kind| vals.iter().all(|(kk, _)| *kk == k);
    let empties = rows.saturating_sub(present);
    let empty_note = if empties > 0 {
        format!(" ({empties} empty)")
    } else {
        String::new()
    };
    let (mut decimal_comma, mut nulls) = (false, Vec::new());
    let (ty, why) = if col.shaped > 0 {
        (
            Ty::Str,
            format!(
                "an object or array in {} rows{empty_note} -> string, which writes their JSON text",
                col.shaped
            ),
        )
    } else if present == 0 {
        (Ty::Str, "no values in the sample -> string".to_string())
    } else if all_kind(Kind::Bool) {
        (
            Ty::Boolean,
            format!("JSON true/false{empty_note} -> boolean"),
        )
    } else if all_kind(Kind::Text) || all_kind(Kind::Number) {
        if ok(&|o, t| write_integer(o, t).is_ok()) {
            let note = if vals.iter().any(|(_, t)| leading_zero(t)) {
                "; some have leading zeros, which a number drops (use string to keep codes such as 00123)"
            } else {
                ""
            };
            (
                Ty::Integer,
                format!("{present} whole numbers{empty_note} -> integer (use float if later rows have decimals){note}"),
            )
        } else if ok(&|o, t| write_float(o, t).is_ok()) {
            let note = if vals.iter().any(|(_, t)| significant_digits(t) > 17) {
                "; some have more than 17 significant digits, which a float does not keep \
                 (use string to keep them exactly)"
            } else if vals.iter().any(|(_, t)| leading_zero(t)) {
                "; some have leading zeros, which a number drops (use string to keep codes such as 00123)"
            } else {
                ""
            };
            (
                Ty::Float,
                format!("{present} numbers{empty_note} -> float{note}"),
            )
        } else if all_kind(Kind::Text) && vals.iter().all(|(_, t)| is_bool_text(t)) {
            (
                Ty::Boolean,
                format!("only true/false, yes/no, t/f values{empty_note} -> boolean"),
            )
        } else if let Some((ty, why, dc, odd)) = mostly_numbers(&vals, &empty_note) {
            (decimal_comma, nulls) = (dc, odd);
            (ty, why)
        } else {
            (Ty::Str, format!("text{empty_note} -> string"))
        }
    } else if let Some((ty, why, dc, odd)) = mostly_numbers(&vals, &empty_note) {
        (decimal_comma, nulls) = (dc, odd);
        (ty, why)
    } else {
        (Ty::Str, format!("mixed JSON types{empty_note} -> string"))
    };
    let tag_safe = col.shaped == 0 && vals.iter().all(|(_, t)| check_name(t.as_bytes()).is_ok());
    let newline = vals.iter().any(|(_, t)| t.contains(['\n', '\r']));
    Stats {
        present,
        distinct,
        ty,
        why,
        tag_safe,
        newline,
        decimal_comma,
        nulls,
    }
}
