//! Per-column statistics of the sample: the field type every value fits, how many distinct
//! values there are, and whether they can be tag values.

use super::numbers::numeric;
use super::{Column, Kind};
use crate::spec::NumberFormat;
use lpconvert_lp::escape::check_name;
use lpconvert_lp::value::{write_float, write_integer};
use std::collections::HashSet;

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
    /// The `number_format` the column's numbers are written in (`None`: line protocol's).
    pub(super) format: Option<NumberFormat>,
    /// Texts of a mostly numeric column that are no numbers, for `null_values`.
    pub(super) nulls: Vec<String>,
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
    let (mut format, mut nulls) = (None, Vec::new());
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
        } else if let Some(n) = numeric(&vals, &empty_note) {
            (format, nulls) = (n.format, n.nulls);
            (n.ty, n.why)
        } else {
            (Ty::Str, format!("text{empty_note} -> string"))
        }
    } else if let Some(n) = numeric(&vals, &empty_note) {
        (format, nulls) = (n.format, n.nulls);
        (n.ty, n.why)
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
        format,
        nulls,
    }
}
