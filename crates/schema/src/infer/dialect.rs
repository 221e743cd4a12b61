//! Guessing the CSV dialect (delimiter, skipped rows, comments) and whether the first row
//! names the columns.

use super::utc;
use crate::time::{TimeFormat, TimeParser};
use lpconvert_lp::value::write_float;
use std::collections::HashSet;

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
        alternatives: Vec::new(),
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
