//! `lpconvert infer`: drafting a schema from a sample of the data.
//!
//! Pure logic, no I/O: [`sniff_csv`] guesses the CSV dialect from the first bytes of a file;
//! the engine reads a sample of records into a [`Table`] (CSV cells, or NDJSON values walked
//! into JSON Pointer paths); [`infer`] guesses the timestamp, tags and field types and writes
//! the schema as TOML with a comment on each guess.
//!
//! Every guess is checked against every sampled value with the converter's own parsers
//! (`lpconvert_lp::value` for numbers, [`TimeParser`] for timestamps, the name checks for
//! tags), so the draft converts its sample without a rejected row: a column is an integer only
//! if every value is one, a timestamp only if every row has one that parses, a tag only if
//! every value can be written as a tag value.

use crate::time::{TimeFormat, TimeParser, Zone};
use lpconvert_lp::escape::{check_measurement, check_name};
use lpconvert_lp::value::{write_float, write_integer};
use std::collections::HashSet;
use std::fmt::Write as _;

/// What a sampled cell was in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// CSV text or a JSON string.
    Text,
    /// A JSON number (the text as written).
    Number,
    /// A JSON `true` / `false`.
    Bool,
}

/// One sampled column: a CSV column or an NDJSON value at a path.
#[derive(Debug, Clone)]
pub struct Column {
    /// The CSV header name, or the NDJSON top-level key / the path's last token.
    pub name: String,
    /// For nested NDJSON values, the JSON Pointer (`/a/b`); `None` for CSV columns and
    /// top-level keys.
    pub path: Option<String>,
    /// One entry per sampled row: `None` when missing (or JSON null), else the kind and text.
    pub cells: Vec<Option<(Kind, String)>>,
}

/// The sampled records, column by column.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The columns, in input order.
    pub columns: Vec<Column>,
    /// Number of sampled rows.
    pub rows: usize,
    /// Paths left out, with the reason (arrays, values that are objects in some rows).
    pub left_out: Vec<(String, String)>,
}

/// The CSV dialect guessed from the first bytes of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvGuess {
    /// Field delimiter.
    pub delimiter: u8,
    /// Whether the first row (after `skip_rows`) names the columns.
    pub header: bool,
    /// Lines before the header (a title, notes) that do not have the table's shape.
    pub skip_rows: usize,
    /// The comment byte, when lines start with `#`.
    pub comment: Option<u8>,
    /// Trim blanks around unquoted values (the header names are padded).
    pub trim: bool,
    /// Backslash-escaped quotes (`\"`) instead of doubled ones.
    pub escape: Option<u8>,
    /// The quote byte.
    pub quote: u8,
    /// How many sampled lines had the delimiter count the guess relies on.
    pub consistent_lines: usize,
    /// Lines looked at.
    pub lines: usize,
}

/// Facts about the input that the draft states.
#[derive(Debug, Clone)]
pub struct Options {
    /// The measurement (a constant: the file stem).
    pub measurement: String,
    /// `"csv"` or `"ndjson"`.
    pub format: crate::Format,
    /// Write `format = ...` (the file name does not imply it).
    pub write_format: bool,
    /// The input's name, for the header comment.
    pub input_name: String,
    /// The CSV dialect (CSV only).
    pub csv: Option<CsvGuess>,
    /// The default delimiter of the file name (`\t` for `.tsv`).
    pub default_delimiter: u8,
    /// The sample was cut at the sample size (the file has more records).
    pub truncated: bool,
}

fn utc() -> Zone {
    Zone::Fixed(chrono::FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!()))
}

const CANDIDATE_DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Cells per line, counting a quote as special only at the start of a field (as the CSV
/// reader does), with the quote state reset at each line.
fn count_delims(line: &[u8], d: u8) -> usize {
    let mut count = 0;
    let mut field_start = true;
    let mut quoted = false;
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        if quoted {
            if b == b'"' {
                if line.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    quoted = false;
                }
            }
        } else if field_start && b == b'"' {
            quoted = true;
            field_start = false;
        } else if b == d {
            count += 1;
            field_start = true;
            i += 1;
            continue;
        } else {
            field_start = false;
        }
        i += 1;
    }
    count
}

/// Guesses the CSV dialect from the first bytes of a file (a BOM is skipped).
/// `default_delimiter` wins ties (`\t` for `.tsv`).
pub fn sniff_csv(head: &[u8], default_delimiter: u8) -> CsvGuess {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let mut lines: Vec<&[u8]> = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .take(500)
        .collect();
    // The last piece may be cut in the middle.
    if lines.len() > 1 && !head.ends_with(b"\n") {
        lines.pop();
    }
    let comment = lines
        .iter()
        .any(|l| l.first() == Some(&b'#'))
        .then_some(b'#');
    let content: Vec<(usize, &[u8])> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.is_empty() && (comment.is_none() || l.first() != Some(&b'#')))
        .map(|(i, l)| (i, *l))
        .collect();
    // The delimiter whose per-line count is the most consistent (and not zero).
    let mut best = (default_delimiter, 0usize, 0usize); // (delim, lines at mode, mode)
    let mut order: Vec<u8> = vec![default_delimiter];
    order.extend(
        CANDIDATE_DELIMITERS
            .iter()
            .filter(|&&d| d != default_delimiter),
    );
    for d in order {
        let counts: Vec<usize> = content.iter().map(|(_, l)| count_delims(l, d)).collect();
        let mut freq: std::collections::HashMap<usize, usize> = Default::default();
        for &c in &counts {
            *freq.entry(c).or_default() += 1;
        }
        let Some((&mode, &hits)) = freq.iter().max_by_key(|(&c, &h)| (h, c)) else {
            continue;
        };
        if mode > 0 && hits > best.1 {
            best = (d, hits, mode);
        }
    }
    let (delimiter, consistent, mode) = best;
    // Leading lines that do not have the table's shape (a title, notes) are skipped.
    let mut skip_rows = 0;
    for (i, l) in content.iter().take(20) {
        if count_delims(l, delimiter) == mode {
            skip_rows = *i;
            break;
        }
    }
    if content
        .iter()
        .all(|(_, l)| count_delims(l, delimiter) != mode)
    {
        skip_rows = 0;
    }
    // Skipped rows count physical lines; comments before the header are skipped anyway.
    CsvGuess {
        delimiter,
        header: true,
        skip_rows,
        comment,
        trim: false,
        escape: None,
        quote: b'"',
        consistent_lines: consistent,
        lines: content.len(),
    }
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && write_float(&mut Vec::new(), s.as_bytes()).is_ok()
}

/// Whether the first record is a header, given the records read with `header = false`:
/// a first row holding a number or a date, or an empty cell, is data.
pub fn looks_like_header(first: &[String], rest: &[Vec<String>]) -> bool {
    if first.is_empty() {
        return false;
    }
    let rfc = TimeParser {
        format: TimeFormat::Rfc3339,
        zone: utc(),
    };
    let data_like = first
        .iter()
        .any(|c| is_number(c.trim()) || rfc.parse(c.as_bytes()).is_ok());
    if data_like {
        return false;
    }
    // All names distinct and non-empty is a header; so is a text row over numeric columns.
    let distinct = first.iter().collect::<HashSet<_>>().len() == first.len();
    let numeric_below = (0..first.len()).any(|i| {
        let mut vals = rest
            .iter()
            .filter_map(|r| r.get(i))
            .filter(|v| !v.is_empty());
        let mut any = false;
        let all = vals.all(|v| {
            any = true;
            is_number(v)
        });
        any && all
    });
    (distinct && first.iter().all(|c| !c.is_empty())) || numeric_below
}

#[derive(Debug, Clone, PartialEq)]
enum Ty {
    Integer,
    Float,
    Boolean,
    Str,
}

impl Ty {
    fn as_str(&self) -> &'static str {
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

struct Stats {
    present: usize,
    distinct: usize,
    ty: Ty,
    why: String,
    tag_safe: bool,
    newline: bool,
}

fn stats(col: &Column, rows: usize) -> Stats {
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
    let (ty, why) = if present == 0 {
        (Ty::Str, "no values in the sample -> string".to_string())
    } else if all_kind(Kind::Bool) {
        (
            Ty::Boolean,
            format!("JSON true/false{empty_note} -> boolean"),
        )
    } else if all_kind(Kind::Text) || all_kind(Kind::Number) {
        if ok(&|o, t| write_integer(o, t).is_ok()) {
            (
                Ty::Integer,
                format!("{present} whole numbers{empty_note} -> integer (use float if later rows have decimals)"),
            )
        } else if ok(&|o, t| write_float(o, t).is_ok()) {
            (Ty::Float, format!("{present} numbers{empty_note} -> float"))
        } else if all_kind(Kind::Text) && vals.iter().all(|(_, t)| is_bool_text(t)) {
            (
                Ty::Boolean,
                format!("only true/false, yes/no, t/f values{empty_note} -> boolean"),
            )
        } else {
            (Ty::Str, format!("text{empty_note} -> string"))
        }
    } else {
        (Ty::Str, format!("mixed JSON types{empty_note} -> string"))
    };
    let tag_safe = vals.iter().all(|(_, t)| check_name(t.as_bytes()).is_ok());
    let newline = vals.iter().any(|(_, t)| t.contains(['\n', '\r']));
    Stats {
        present,
        distinct,
        ty,
        why,
        tag_safe,
        newline,
    }
}

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
struct TsGuess {
    columns: Vec<usize>,
    format: String,
    unit_precision: &'static str,
    why: String,
    local: bool,
}

fn parser(format: &str) -> Option<TimeParser> {
    Some(TimeParser {
        format: TimeFormat::parse(format).ok()?,
        zone: utc(),
    })
}

fn all_parse(p: &TimeParser, vals: &[String]) -> bool {
    !vals.is_empty() && vals.iter().all(|v| p.parse(v.as_bytes()).is_ok())
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
                format!("values match `{pat}`"),
                local,
            ));
        }
    }
    None
}

fn guess_timestamp(table: &Table) -> Option<TsGuess> {
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
        let Some(vals) = full_values(col) else {
            continue;
        };
        let named = rank != usize::MAX;
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
                        "a date column and a time column, joined with a space, match `{dfmt} {tp}`"
                    ),
                    local: true,
                });
            }
        }
    }
    Some(dguess)
}

/// A TOML basic string.
pub fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML key: bare when it can be, quoted otherwise.
pub fn toml_key(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        s.to_string()
    } else {
        toml_string(s)
    }
}

fn one_line(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if t.chars().count() > 40 {
        format!("{}...", t.chars().take(40).collect::<String>())
    } else {
        t
    }
}

/// A valid tag or field key for a column name: the name itself when it can be written,
/// else a cleaned-up version, made unique.
fn key_for(name: &str, index: usize, used: &mut HashSet<String>) -> String {
    let mut k: String = name
        .chars()
        .map(|c| if c == '\n' || c == '\r' { '_' } else { c })
        .collect();
    while k.ends_with('\\') {
        k.pop();
    }
    if k.is_empty() || check_name(k.as_bytes()).is_err() {
        k = format!("column_{}", index + 1);
    }
    let base = k.clone();
    let mut n = 2;
    while used.contains(&k) {
        k = format!("{base}_{n}");
        n += 1;
    }
    used.insert(k.clone());
    k
}

/// A measurement name from a file stem.
pub fn measurement_from_stem(stem: &str) -> String {
    let mut m: String = stem.chars().filter(|c| !c.is_control()).collect();
    while m.ends_with('\\') {
        m.pop();
    }
    if m.is_empty() || check_measurement(m.as_bytes()).is_err() {
        "data".into()
    } else {
        m
    }
}

/// Tags: text columns with at most this many distinct values in the sample...
const MAX_TAG_VALUES: usize = 1000;

/// Writes the draft schema for `table` as TOML with comments.
pub fn infer(table: &Table, opts: &Options) -> String {
    let mut out = String::new();
    let rows = table.rows;
    let _ = writeln!(
        out,
        "# Drafted by `lpconvert infer` from {} {} of {}{}.",
        rows,
        if rows == 1 { "record" } else { "records" },
        one_line(&opts.input_name),
        if opts.truncated {
            " (a sample: later rows may differ)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "# Every line below is a guess: check it before converting."
    );
    if opts.write_format {
        let f = match opts.format {
            crate::Format::Csv => "csv",
            crate::Format::Ndjson => "ndjson",
        };
        let _ = writeln!(out, "format = {}", toml_string(f));
    }
    let m = measurement_from_stem(&opts.measurement);
    let _ = writeln!(
        out,
        "measurement = {}  # the file name; or {{ column = \"...\" }}",
        toml_string(&m)
    );

    let ts = guess_timestamp(table);
    let stats: Vec<Stats> = table.columns.iter().map(|c| stats(c, rows)).collect();
    let ts_cols: Vec<usize> = ts.as_ref().map_or(Vec::new(), |t| t.columns.clone());

    // Tags and fields.
    let mut used = HashSet::new();
    let mut tags: Vec<(String, usize, String)> = Vec::new();
    let mut fields: Vec<(String, usize, Ty, String)> = Vec::new();
    for (i, (col, st)) in table.columns.iter().zip(&stats).enumerate() {
        if ts_cols.contains(&i) {
            continue;
        }
        let key = key_for(&col.name, i, &mut used);
        let low = st.distinct <= MAX_TAG_VALUES
            && (st.distinct * 2 <= st.present || st.distinct <= 1)
            && st.present > 0;
        if st.ty == Ty::Str && st.tag_safe && low {
            tags.push((
                key,
                i,
                format!(
                    "{} distinct {} in {} rows -> tag",
                    st.distinct,
                    if st.distinct == 1 { "value" } else { "values" },
                    rows
                ),
            ));
        } else {
            let mut why = st.why.clone();
            if st.ty == Ty::Str {
                why = format!(
                    "{why} ({} distinct in {} rows{})",
                    st.distinct,
                    rows,
                    if st.tag_safe {
                        ""
                    } else {
                        "; some cannot be tag values"
                    }
                );
            }
            fields.push((key, i, st.ty.clone(), why));
        }
    }
    // A line needs a field: without one, the tag with the most values becomes a field.
    if fields.is_empty() {
        if let Some(pos) = (0..tags.len()).max_by_key(|&t| stats[tags[t].1].distinct) {
            let (key, i, _) = tags.remove(pos);
            fields.push((
                key,
                i,
                Ty::Str,
                "text -> string (a line needs at least one field)".into(),
            ));
        }
    }
    let newline = fields
        .iter()
        .any(|(_, i, ty, _)| *ty == Ty::Str && stats[*i].newline);

    if let Some(t) = &ts {
        let _ = writeln!(
            out,
            "precision = {}  # the finest unit the sampled timestamps use",
            toml_string(t.unit_precision)
        );
    }
    if newline {
        let _ = writeln!(
            out,
            "string_newlines = \"escape\"  # some text values span lines"
        );
    }
    let source = |i: usize| -> String {
        let c = &table.columns[i];
        match &c.path {
            Some(p) => format!("path = {}", toml_string(p)),
            None => format!("column = {}", toml_string(&c.name)),
        }
    };

    out.push('\n');
    match &ts {
        Some(t) => {
            let _ = writeln!(out, "[timestamp]");
            if t.columns.len() == 1 {
                let _ = writeln!(out, "{}  # {}", source(t.columns[0]), t.why);
            } else {
                let names: Vec<String> = t
                    .columns
                    .iter()
                    .map(|&i| toml_string(&table.columns[i].name))
                    .collect();
                let _ = writeln!(out, "column = [{}]  # {}", names.join(", "), t.why);
            }
            let _ = writeln!(out, "format = {}", toml_string(&t.format));
            if t.local {
                let _ = writeln!(
                    out,
                    "timezone = \"UTC\"  # the values carry no offset: set their zone, e.g. \"Europe/Berlin\""
                );
            }
        }
        None => {
            let _ = writeln!(
                out,
                "# No timestamp column found: the server will assign the time of writing.\n\
                 # Add a [timestamp] table with `column` and `format` if the data has one."
            );
        }
    }

    out.push('\n');
    let _ = writeln!(out, "[tags]");
    for (key, i, why) in &tags {
        let c = &table.columns[*i];
        if c.path.is_none() && c.name == *key {
            let _ = writeln!(
                out,
                "{} = {}  # {}",
                toml_key(key),
                toml_string(&c.name),
                why
            );
        } else {
            let _ = writeln!(out, "{} = {{ {} }}  # {}", toml_key(key), source(*i), why);
        }
    }

    out.push('\n');
    let _ = writeln!(out, "[fields]");
    for (key, i, ty, why) in &fields {
        let c = &table.columns[*i];
        if c.path.is_none() && c.name == *key {
            let _ = writeln!(
                out,
                "{} = {}  # {}",
                toml_key(key),
                toml_string(ty.as_str()),
                why
            );
        } else {
            let _ = writeln!(
                out,
                "{} = {{ {}, type = {} }}  # {}",
                toml_key(key),
                source(*i),
                toml_string(ty.as_str()),
                why
            );
        }
    }
    for (path, why) in &table.left_out {
        let _ = writeln!(out, "# left out: {} ({why})", one_line(path));
    }

    if let Some(g) = &opts.csv {
        let mut csv = String::new();
        if g.delimiter != opts.default_delimiter {
            let d = (g.delimiter as char).to_string();
            let _ = writeln!(
                csv,
                "delimiter = {}  # {} of {} lines have the same number of them",
                toml_string(&d),
                g.consistent_lines,
                g.lines
            );
        }
        if let Some(e) = g.escape {
            let _ = writeln!(
                csv,
                "escape = {}  # quotes inside quoted values are written \\\"",
                toml_string(&(e as char).to_string())
            );
        }
        if g.quote != b'"' {
            let _ = writeln!(
                csv,
                "quote = {}  # values are quoted with it",
                toml_string(&(g.quote as char).to_string())
            );
        }
        if let Some(c) = g.comment {
            let _ = writeln!(
                csv,
                "comment = {}  # lines starting with it are notes",
                toml_string(&(c as char).to_string())
            );
        }
        if g.skip_rows > 0 {
            let _ = writeln!(
                csv,
                "skip_rows = {}  # lines before the table do not have its shape",
                g.skip_rows
            );
        }
        if g.trim {
            let _ = writeln!(
                csv,
                "trim = true  # the header names are padded with blanks"
            );
        }
        if !g.header {
            let names: Vec<String> = table.columns.iter().map(|c| toml_string(&c.name)).collect();
            let _ = writeln!(
                csv,
                "header = false  # the first row holds data\ncolumns = [{}]",
                names.join(", ")
            );
        }
        if !csv.is_empty() {
            let _ = writeln!(out, "\n[csv]\n{}", csv.trim_end());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Schema;

    fn csv_table(rows: &[&[&str]], names: &[&str]) -> Table {
        Table {
            columns: names
                .iter()
                .enumerate()
                .map(|(i, n)| Column {
                    name: n.to_string(),
                    path: None,
                    cells: rows
                        .iter()
                        .map(|r| Some((Kind::Text, r[i].to_string())))
                        .collect(),
                })
                .collect(),
            rows: rows.len(),
            left_out: Vec::new(),
        }
    }

    fn opts(name: &str) -> Options {
        Options {
            measurement: name.into(),
            format: crate::Format::Csv,
            write_format: false,
            input_name: format!("{name}.csv"),
            csv: None,
            default_delimiter: b',',
            truncated: false,
        }
    }

    fn draft(t: &Table, o: &Options) -> Schema {
        let text = infer(t, o);
        Schema::from_toml(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    #[test]
    fn home_data() {
        let mut rows: Vec<[String; 5]> = Vec::new();
        for i in 0..40 {
            let room = ["Living Room", "Kitchen"][i % 2];
            rows.push([
                (1_641_024_000 + 3600 * (i / 2)).to_string(),
                room.into(),
                format!("{}.{}", 20 + i % 3, i % 10),
                "35.9".into(),
                (i % 4).to_string(),
            ]);
        }
        let r: Vec<Vec<&str>> = rows
            .iter()
            .map(|r| r.iter().map(|s| s.as_str()).collect())
            .collect();
        let r: Vec<&[&str]> = r.iter().map(|v| v.as_slice()).collect();
        let t = csv_table(&r, &["time", "room", "temp", "hum", "co"]);
        let text = infer(&t, &opts("home"));
        assert!(text.contains("format = \"unix_s\""), "{text}");
        assert!(text.contains("precision = \"s\""), "{text}");
        assert!(
            text.contains("room = \"room\"  # 2 distinct values in 40 rows -> tag"),
            "{text}"
        );
        assert!(text.contains("temp = \"float\""), "{text}");
        assert!(text.contains("co = \"integer\""), "{text}");
        let s = draft(&t, &opts("home"));
        assert_eq!(s.tags.len(), 1);
        assert_eq!(s.fields.len(), 3);
    }

    #[test]
    fn formats_and_precisions() {
        let cases: &[(&[&str], &str, &str)] = &[
            (
                &["2022-01-01T08:00:00Z", "2022-01-01T08:00:10Z"],
                "rfc3339",
                "s",
            ),
            (
                &["2022-01-01T08:00:00.123Z", "2022-01-01 08:00:10+02:00"],
                "rfc3339",
                "ms",
            ),
            (
                &["2022-01-01 08:00:00", "2022-01-01 08:00:10.5"],
                "rfc3339",
                "ms",
            ),
            (
                &["2022-01-01 08:00", "2022-01-01 08:10"],
                "%Y-%m-%d %H:%M",
                "s",
            ),
            (
                &["31/01/2022 08:00", "01/02/2022 09:30"],
                "%d/%m/%Y %H:%M",
                "s",
            ),
            (
                &["01/31/2022 08:00:00", "02/01/2022 09:30:00"],
                "%m/%d/%Y %H:%M:%S",
                "s",
            ),
            (&["2022/01/01", "1970/01/01"], "%Y/%m/%d", "s"),
            (&["1641024000123", "1641024000456"], "unix_ms", "ms"),
            (&["1641024000123456", "1641024000456789"], "unix_us", "us"),
            (
                &["1641024000123456789", "1641024000456789000"],
                "unix_ns",
                "ns",
            ),
            (&["1551129661.954561233", "1551129662"], "unix_s", "ns"),
        ];
        for (vals, format, prec) in cases {
            let rows: Vec<[&str; 2]> = vals.iter().map(|v| [*v, "1.5"]).collect();
            let r: Vec<&[&str]> = rows.iter().map(|r| r.as_slice()).collect();
            let t = csv_table(&r, &["time", "v"]);
            let text = infer(&t, &opts("m"));
            assert!(
                text.contains(&format!("format = {}", toml_string(format))),
                "{vals:?}\n{text}"
            );
            assert!(
                text.contains(&format!("precision = \"{prec}\"")),
                "{vals:?}\n{text}"
            );
            draft(&t, &opts("m"));
        }
    }

    #[test]
    fn date_and_time_columns_are_joined() {
        let r: Vec<&[&str]> = vec![
            &["2022-01-01", "05:00:00", "1"],
            &["2022-01-02", "06:30:00.25", "2"],
        ];
        let t = csv_table(&r, &["date", "time", "v"]);
        let text = infer(&t, &opts("j"));
        assert!(text.contains("column = [\"date\", \"time\"]"), "{text}");
        assert!(text.contains("format = \"%Y-%m-%d %H:%M:%S%.f\""), "{text}");
        draft(&t, &opts("j"));
    }

    #[test]
    fn types_with_empty_cells_and_bad_timestamps() {
        let r: Vec<&[&str]> = vec![
            &["2022-01-01T00:00:00Z", "1", "", "yes", "a"],
            &["soon", "", "2.5", "no", "b"],
            &["2022-01-01T00:00:02Z", "3", "1e3", "Y", "a\\"],
        ];
        let t = csv_table(&r, &["time", "i", "f", "b", "s"]);
        let text = infer(&t, &opts("t"));
        // A timestamp column with a bad value is no timestamp.
        assert!(text.contains("No timestamp"), "{text}");
        assert!(text.contains("i = \"integer\""), "{text}");
        assert!(text.contains("f = \"float\""), "{text}");
        assert!(text.contains("b = \"boolean\""), "{text}");
        // `a\` cannot be a tag value.
        assert!(text.contains("s = \"string\""), "{text}");
        draft(&t, &opts("t"));
    }

    #[test]
    fn keys_that_need_quoting() {
        let r: Vec<&[&str]> = vec![&["1", "x", "2"], &["3", "x", "4"]];
        let t = csv_table(&r, &["field key,=x", "ünï", "a\"b"]);
        let text = infer(&t, &opts("we ird"));
        let s = draft(&t, &opts("we ird"));
        assert_eq!(s.fields.len(), 2, "{text}");
        assert!(text.contains("\"ünï\" = \"ünï\""), "{text}");
        assert!(text.contains("\"a\\\"b\" = \"integer\""), "{text}");
    }

    #[test]
    fn sniffing() {
        let g = sniff_csv(b"a;b;c\n1;2;3\n4;5;6\n", b',');
        assert_eq!((g.delimiter, g.skip_rows), (b';', 0));
        let g = sniff_csv(b"a\tb\n1\t2\n", b',');
        assert_eq!(g.delimiter, b'\t');
        let g = sniff_csv(b"a|b\n\"x|y\"|2\n", b',');
        assert_eq!(g.delimiter, b'|');
        let g = sniff_csv(b"Report \"generated, by x\nunits: none\nv\n1\nx\n", b',');
        assert_eq!(g.skip_rows, 1);
        let g = sniff_csv(b"Title of it\nt,a,b\n1,2,3\n4,5,6\n", b',');
        assert_eq!((g.delimiter, g.skip_rows), (b',', 1));
        let g = sniff_csv(b"v\n1\n# note\n2\n", b',');
        assert_eq!(g.comment, Some(b'#'));
        assert!(looks_like_header(&["a".into(), "b".into()], &[]));
        assert!(!looks_like_header(&["1".into(), "b".into()], &[]));
    }
}
