//! Finding the timestamp column (or a date and a time column to join) and its format and
//! precision.

use super::{utc, Column, Kind, Table};
use crate::time::{TimeFormat, TimeParser};

/// Timestamp column names, in order of preference.
const TIME_NAMES: [&str; 16] = [
    "time",
    "timestamp",
    "_time",
    "ts",
    "datetime",
    "date_time",
    "date",
    "created_at",
    "updated_at",
    "event_time",
    "time_stamp",
    "dt",
    "when",
    "at",
    "day",
    "epoch",
];

fn time_name_rank(name: &str) -> Option<usize> {
    let n = name.trim().to_ascii_lowercase();
    TIME_NAMES.iter().position(|t| *t == n).or_else(|| {
        (n.ends_with("_time")
            || n.ends_with("_at")
            || n.ends_with("timestamp")
            || n.ends_with("_ts"))
        .then_some(TIME_NAMES.len())
    })
}

const DATETIME_PATTERNS: [&str; 16] = [
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%Y%m%dT%H%M%S",
];

const DATE_PATTERNS: [&str; 6] = [
    "%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y",
];

const TIME_PATTERNS: [&str; 2] = ["%H:%M:%S%.f", "%H:%M"];

#[derive(Debug, Clone)]
pub(super) struct TsGuess {
    pub(super) columns: Vec<usize>,
    pub(super) format: String,
    pub(super) unit_precision: &'static str,
    pub(super) why: String,
    pub(super) local: bool,
    /// A second format, for the values the first does not read.
    pub(super) second: Option<String>,
}

fn parser(format: &str) -> Option<TimeParser> {
    Some(TimeParser {
        format: TimeFormat::parse(format).ok()?,
        zone: utc(),
        alternatives: Vec::new(),
    })
}

fn all_parse(p: &TimeParser, vals: &[String]) -> bool {
    !vals.is_empty() && vals.iter().all(|v| p.parse(v.as_bytes()).is_ok())
}

/// A note for the draft when day and month could be read the other way round: the
/// pattern starts with `%d/%m` or `%m/%d`, every sampled value parses with the other order
/// too, and some value then gives another time (all days are 12 or less). Empty otherwise.
fn swap_note(pat: &str, vals: &[String]) -> String {
    let swapped = if let Some(rest) = pat.strip_prefix("%d/%m") {
        format!("%m/%d{rest}")
    } else if let Some(rest) = pat.strip_prefix("%m/%d") {
        format!("%d/%m{rest}")
    } else {
        return String::new();
    };
    let (Some(a), Some(b)) = (parser(pat), parser(&swapped)) else {
        return String::new();
    };
    let mut differ = false;
    for v in vals {
        match (a.parse(v.as_bytes()), b.parse(v.as_bytes())) {
            (Ok(x), Ok(y)) => differ |= x != y,
            _ => return String::new(),
        }
    }
    if differ {
        format!(
            "; ambiguous: `{swapped}` reads every sampled value too, as other dates (no day \
             is over 12): check which order the data uses"
        )
    } else {
        String::new()
    }
}

/// Digits after the decimal point of the seconds.
fn fraction_digits(v: &str) -> usize {
    let after = v.rfind(':').map_or(0, |i| i + 1);
    let rest = &v[after..];
    match rest.find('.') {
        Some(i) => rest[i + 1..].bytes().take_while(u8::is_ascii_digit).count(),
        None => 0,
    }
}

fn precision_of_fraction(d: usize) -> &'static str {
    match d {
        0 => "s",
        1..=3 => "ms",
        4..=6 => "us",
        _ => "ns",
    }
}

/// The values of a column when every sampled row has one; `None` otherwise.
fn full_values(col: &Column) -> Option<Vec<String>> {
    col.cells
        .iter()
        .map(|c| match c {
            Some((k, t)) if !t.is_empty() && *k != Kind::Bool => Some(t.clone()),
            _ => None,
        })
        .collect()
}

fn unix_guess(vals: &[String], named: bool) -> Option<(String, &'static str, String)> {
    // Integers or decimals only.
    let mut max_int: u128 = 0;
    let mut max_frac = 0;
    for v in vals {
        let body = v.strip_prefix('-').unwrap_or(v);
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || int.len() > 20
        {
            return None;
        }
        max_int = max_int.max(int.parse::<u128>().ok()?);
        max_frac = max_frac.max(frac.len());
    }
    // 1e11 s is the year 5138: bigger values are finer units.
    let (unit, scale) = if max_int < 100_000_000_000 {
        ("s", 1u128)
    } else if max_int < 100_000_000_000_000 {
        ("ms", 1_000)
    } else if max_int < 100_000_000_000_000_000 {
        ("us", 1_000_000)
    } else {
        ("ns", 1_000_000_000)
    };
    // Without a telling name, only values between 1990 and 2100 look like times.
    if !named {
        let plausible = vals.iter().all(|v| {
            let body = v.split('.').next().unwrap_or("");
            body.parse::<u128>()
                .is_ok_and(|x| (631_152_000 * scale..4_102_444_800 * scale).contains(&x))
        });
        if !plausible {
            return None;
        }
    }
    let format = format!("unix_{unit}");
    let p = parser(&format)?;
    if !all_parse(&p, vals) {
        return None;
    }
    // Decimal digits refine the precision.
    let precision = match (unit, max_frac) {
        (u, 0) => match u {
            "s" => "s",
            "ms" => "ms",
            "us" => "us",
            _ => "ns",
        },
        ("s", f) => precision_of_fraction(f),
        ("ms", f) if f <= 3 => "us",
        _ => "ns",
    };
    let why = format!(
        "numbers up to {max_int} look like {} since 1970",
        match unit {
            "s" => "seconds",
            "ms" => "milliseconds",
            "us" => "microseconds",
            _ => "nanoseconds",
        }
    );
    Some((format, precision, why))
}

fn text_guess(vals: &[String]) -> Option<(String, &'static str, String, bool)> {
    let frac = vals.iter().map(|v| fraction_digits(v)).max().unwrap_or(0);
    if let Some(p) = parser("rfc3339") {
        if all_parse(&p, vals) {
            let local = vals.iter().any(|v| {
                !(v.ends_with(['Z', 'z']) || v.get(19..).is_some_and(|r| r.contains(['+', '-'])))
            });
            return Some((
                "rfc3339".into(),
                precision_of_fraction(frac),
                "values parse as RFC 3339".into(),
                local,
            ));
        }
    }
    for pat in DATETIME_PATTERNS.iter().chain(DATE_PATTERNS.iter()) {
        let Some(p) = parser(pat) else { continue };
        if all_parse(&p, vals) {
            let local = matches!(&p.format, TimeFormat::Pattern { offset: false, .. });
            let prec = if pat.contains("%.f") {
                precision_of_fraction(frac)
            } else {
                "s"
            };
            return Some((
                (*pat).to_string(),
                prec,
                format!("values match `{pat}`{}", swap_note(pat, vals)),
                local,
            ));
        }
    }
    None
}

pub(super) fn guess_timestamp(table: &Table) -> Option<TsGuess> {
    let mut order: Vec<(usize, usize)> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| (time_name_rank(&c.name).unwrap_or(usize::MAX), i))
        .collect();
    order.sort();
    let mut date_only: Option<(usize, String, TsGuess)> = None;
    for &(rank, i) in &order {
        let col = &table.columns[i];
        let named = rank != usize::MAX;
        let Some(vals) = full_values(col) else {
            continue;
        };
        if named {
            if let Some(g) = two_formats(i, &vals) {
                return Some(g);
            }
        }
        if let Some((format, prec, why)) = unix_guess(&vals, named) {
            let by = if named {
                "named like a time column"
            } else {
                "by content"
            };
            return Some(TsGuess {
                columns: vec![i],
                format,
                unit_precision: prec,
                why: format!("{by}; {why}"),
                local: false,
                second: None,
            });
        }
        if let Some((format, prec, why, local)) = text_guess(&vals) {
            let g = TsGuess {
                columns: vec![i],
                format: format.clone(),
                unit_precision: prec,
                why: if named {
                    format!("named like a time column; {why}")
                } else {
                    format!("by content: {why}")
                },
                local,
                second: None,
            };
            if DATE_PATTERNS.contains(&format.as_str()) {
                if date_only.is_none() {
                    date_only = Some((i, format, g));
                }
                continue;
            }
            return Some(g);
        }
    }
    // A date column and a time column: join them.
    let (di, dfmt, dguess) = date_only?;
    for (j, col) in table.columns.iter().enumerate() {
        if j == di {
            continue;
        }
        let Some(tvals) = full_values(col) else {
            continue;
        };
        let Some(dvals) = full_values(&table.columns[di]) else {
            break;
        };
        for tp in TIME_PATTERNS {
            let format = format!("{dfmt} {tp}");
            let Some(p) = parser(&format) else { continue };
            let joined: Vec<String> = dvals
                .iter()
                .zip(&tvals)
                .map(|(d, t)| format!("{d} {t}"))
                .collect();
            if all_parse(&p, &joined) {
                let note = swap_note(&format, &joined);
                let frac = tvals.iter().map(|v| fraction_digits(v)).max().unwrap_or(0);
                return Some(TsGuess {
                    columns: vec![di, j],
                    format,
                    unit_precision: if tp.contains("%.f") {
                        precision_of_fraction(frac)
                    } else {
                        "s"
                    },
                    why: format!(
                        "a date column and a time column, joined with a space, match `{dfmt} {tp}`{note}"
                    ),
                    local: true,
                    second: None,
                });
            }
        }
    }
    Some(dguess)
}

/// A time column whose values are mostly of one format and partly of another (RFC 3339
/// text and a few unix numbers, or the other way round): both, the majority's first, as a
/// format list. `None` when one format reads every value or the two groups do not each
/// have one.
fn two_formats(i: usize, vals: &[String]) -> Option<TsGuess> {
    let is_num = |v: &&String| {
        let body = v.strip_prefix('-').unwrap_or(v);
        !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    };
    let (nums, texts): (Vec<String>, Vec<String>) = vals.iter().cloned().partition(|v| is_num(&v));
    if nums.is_empty() || texts.is_empty() {
        return None;
    }
    let (nfmt, nprec, _) = unix_guess(&nums, true)?;
    let (tfmt, tprec, _, local) = text_guess(&texts)?;
    let finer = |a: &'static str, b: &'static str| {
        let rank = |p: &str| ["s", "ms", "us", "ns"].iter().position(|x| *x == p);
        if rank(a) >= rank(b) {
            a
        } else {
            b
        }
    };
    let sample = |v: &[String]| -> String {
        let shown: Vec<String> = v.iter().take(3).map(|x| format!("`{x}`")).collect();
        shown.join(", ")
    };
    let (first, second, many, few, few_vals) = if texts.len() >= nums.len() {
        (&tfmt, &nfmt, texts.len(), nums.len(), sample(&nums))
    } else {
        (&nfmt, &tfmt, nums.len(), texts.len(), sample(&texts))
    };
    Some(TsGuess {
        columns: vec![i],
        format: first.clone(),
        second: Some(second.clone()),
        unit_precision: finer(nprec, tprec),
        why: format!(
            "named like a time column; {many} values are `{first}`, {few} `{second}` ({few_vals})"
        ),
        local,
    })
}
