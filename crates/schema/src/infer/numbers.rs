//! Columns of numbers in nearly every row: written with a decimal point or a decimal comma
//! (with digit groups, when the values show them), once null-like text (`n/a`, `-`, `null`,
//! ...) is set aside. Every value is read with the converter's own number rules
//! ([`NumberRule`]) and line protocol's parsers.

use super::toml_text::toml_string;
use super::Kind;
use crate::number::NumberRule;
use crate::spec::{FieldType, FromFloat, NumberFormat};
use lpconvert_lp::value::{write_float, write_integer};
use std::collections::HashMap;

use super::column_stats::Ty;

/// A column is numeric when at most one value in this many (null-like text aside) is not a
/// number in the column's format...
const ODD_SHARE: usize = 10;
/// ...and its values that are no numbers have at most this many distinct texts.
const MAX_ODD_TEXTS: usize = 16;

/// A sampled value: its kind and text.
type Cell = (Kind, String);

/// Texts that mean "no value" in exports (compared ignoring ASCII case): they never count
/// against a column being numeric.
const NULL_LIKE: [&str; 13] = [
    "n/a", "na", "n.a.", "#n/a", "nan", "null", "none", "nil", "-", "--", "?", "missing", "—",
];

/// `t` is a text exports write for "no value".
pub(super) fn is_null_like(t: &str) -> bool {
    NULL_LIKE.iter().any(|n| n.eq_ignore_ascii_case(t.trim()))
}

/// A number format with decimal `decimal` and the group separators `group`.
fn format(decimal: &str, group: &[&str]) -> NumberFormat {
    NumberFormat {
        decimal: decimal.into(),
        group: group.iter().map(|g| g.to_string()).collect(),
    }
}

/// The formats a value may be written in, in order of preference: line protocol's (`None`),
/// a decimal comma, a decimal comma with `.` groups, a decimal point with `,` groups.
fn all_formats() -> [Option<NumberFormat>; 4] {
    [
        None,
        Some(format(",", &[])),
        Some(format(",", &["."])),
        Some(format(".", &[","])),
    ]
}

/// The text line protocol reads for `t` under `format` (`None`: as written), or `None`
/// when `t` is no number there. JSON numbers are read without separators, as the
/// conversion reads them.
pub(super) fn read(kind: Kind, t: &str, format: Option<&NumberFormat>) -> Option<Vec<u8>> {
    let mut text = Vec::new();
    let t = match (format, kind) {
        (_, Kind::Bool) => return None,
        (Some(f), Kind::Text) => {
            let rule = NumberRule::of(FieldType::Float, Some(f), FromFloat::Reject);
            match rule.map(|r| r.apply(t.as_bytes(), true, &mut text)) {
                Some(Ok(())) => text.clone(),
                Some(Err(_)) => return None,
                None => t.as_bytes().to_vec(),
            }
        }
        _ => t.as_bytes().to_vec(),
    };
    let mut scratch = Vec::new();
    write_float(&mut scratch, &t).ok().map(|()| t)
}

/// Every number of the column in its format `own` reads the same under `f`: a top-level
/// `number_format = f` reads the column as its own format does.
pub(super) fn reads_same(
    cells: &[Option<(Kind, String)>],
    own: Option<&NumberFormat>,
    f: &NumberFormat,
) -> bool {
    cells.iter().flatten().all(|(k, t)| match read(*k, t, own) {
        Some(number) => read(*k, t, Some(f)).is_some_and(|r| r == number),
        None => true,
    })
}

/// The texts of a list, most frequent first, with their counts: `"n/a" (4), "-" (1)`; and
/// the distinct texts.
fn quote_counts(texts: &[&str]) -> (Vec<String>, String) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for t in texts {
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

/// How a format writes numbers, for comments: `a decimal comma and "." groups`.
fn describe(f: Option<&NumberFormat>) -> String {
    let Some(f) = f else {
        return "a decimal point".into();
    };
    let decimal = if f.decimal == "," { "comma" } else { "point" };
    match f.group.first() {
        Some(g) => format!("a decimal {decimal} and {} digit groups", toml_string(g)),
        None => format!("a decimal {decimal}"),
    }
}

/// The draft of a numeric column.
pub(super) struct Numeric {
    /// Integer or float.
    pub(super) ty: Ty,
    /// The comment.
    pub(super) why: String,
    /// The column's `number_format`, `None` for line protocol's.
    pub(super) format: Option<NumberFormat>,
    /// Texts that are no number in any format, for `null_values`.
    pub(super) nulls: Vec<String>,
}

/// A column numeric in nearly every row once null-like text is set aside: its format is the
/// one that reads most of its values (a decimal comma only when some value has other than
/// three digits after its comma, groups only when some value shows both separators). Texts
/// that are no number in any format are few (at most one in [`ODD_SHARE`]) and go to
/// `null_values`; numbers in another format than the column's are never read as empty:
/// their rows are rejected, and the comment says so. `None` for any other column.
pub(super) fn numeric(vals: &[&Cell], empty_note: &str) -> Option<Numeric> {
    let present = vals.len();
    let (null_like, rest): (Vec<&Cell>, Vec<&Cell>) = vals
        .iter()
        .copied()
        .partition(|(k, t)| *k == Kind::Text && is_null_like(t));
    let comma_decimal = rest.iter().any(|(k, t)| {
        *k == Kind::Text
            && t.rsplit_once(',')
                .is_some_and(|(_, frac)| frac.bytes().take_while(u8::is_ascii_digit).count() != 3)
    });
    let both = rest
        .iter()
        .any(|(k, t)| *k == Kind::Text && t.contains(',') && t.contains('.'));
    let formats = all_formats();
    let candidates = formats.iter().enumerate().filter(|(i, _)| match i {
        0 => true,
        1 => comma_decimal,
        _ => both,
    });
    let count = |f: Option<&NumberFormat>| {
        rest.iter()
            .filter(|(k, t)| read(*k, t, f).is_some())
            .count()
    };
    // The most values read; among equals, the first.
    let (mut best, mut best_n) = (None, 0);
    for (_, f) in candidates {
        let n = count(f.as_ref());
        if n > best_n {
            (best, best_n) = (f.clone(), n);
        }
    }
    if best_n == 0 {
        return None;
    }
    let chosen = best.as_ref();
    let (other_format, odd): (Vec<&Cell>, Vec<&Cell>) = rest
        .iter()
        .copied()
        .filter(|(k, t)| read(*k, t, chosen).is_none())
        .partition(|(k, t)| formats.iter().any(|f| read(*k, t, f.as_ref()).is_some()));
    if (odd.len() + other_format.len()) * ODD_SHARE > rest.len() {
        return None;
    }
    let not_numbers: Vec<&str> = null_like
        .iter()
        .map(|(_, t)| t.as_str())
        .chain(odd.iter().map(|(_, t)| t.as_str()))
        .collect();
    let (nulls, quoted) = quote_counts(&not_numbers);
    if nulls.len() > MAX_ODD_TEXTS {
        return None;
    }
    let whole = rest.iter().all(|(k, t)| {
        read(*k, t, chosen).is_none_or(|r| write_integer(&mut Vec::new(), &r).is_ok())
    });
    let ty = if whole { Ty::Integer } else { Ty::Float };
    // A decimal comma format without `.` groups reads decimal points too: say how many use each.
    let points = match chosen {
        Some(f) if f.decimal == "," && !f.group.iter().any(|g| g == ".") => rest
            .iter()
            .filter(|(k, t)| *k == Kind::Text && t.contains('.'))
            .count(),
        _ => 0,
    };
    let written = match chosen {
        None if other_format.is_empty() => String::new(),
        f if points > 0 => format!(
            " written with {} ({} with a decimal point)",
            describe(f),
            points
        ),
        f => format!(" written with {}", describe(f)),
    };
    let read_with = match chosen {
        Some(f) => format!(
            "{} read with number_format = {}",
            ty.as_str(),
            number_format_toml(f)
        ),
        None => ty.as_str().to_string(),
    };
    let mut why =
        if best_n == present {
            format!("{best_n} numbers{written}{empty_note} -> {read_with}")
        } else if not_numbers.is_empty() {
            format!("{best_n} of {present} values{empty_note} are numbers{written} -> {read_with}")
        } else {
            format!(
            "{best_n} of {present} values{empty_note} are numbers{written} -> {read_with}; {} {}: \
             {quoted}, read as empty (null_values)",
            not_numbers.len(),
            if not_numbers.len() == 1 { "is not" } else { "are not" },
        )
        };
    if !other_format.is_empty() {
        let texts: Vec<&str> = other_format.iter().map(|(_, t)| t.as_str()).collect();
        let (_, quoted) = quote_counts(&texts);
        let other = formats.iter().find(|f| {
            other_format
                .iter()
                .any(|(k, t)| read(*k, t, f.as_ref()).is_some())
        });
        why.push_str(&format!(
            "; {} {}: {quoted}, written with {}; no number_format reads both, so those rows \
             are rejected (keep them with on_error = \"skip\" and --rejects), never read as \
             empty",
            other_format.len(),
            if other_format.len() == 1 {
                "is not"
            } else {
                "are not"
            },
            describe(other.and_then(Option::as_ref)),
        ));
    }
    Some(Numeric {
        ty,
        why,
        format: best,
        nulls,
    })
}

/// A `number_format` as TOML: `{ decimal = "," }`, `{ decimal = ",", group = ["."] }`.
pub(super) fn number_format_toml(f: &NumberFormat) -> String {
    if f.group.is_empty() {
        return format!("{{ decimal = {} }}", toml_string(&f.decimal));
    }
    let groups: Vec<String> = f.group.iter().map(|g| toml_string(g)).collect();
    format!(
        "{{ decimal = {}, group = [{}] }}",
        toml_string(&f.decimal),
        groups.join(", ")
    )
}
