//! Reading the first records of an input for `lpconvert infer`: the same CSV record reader
//! as a conversion (with the guessed dialect), and for NDJSON the conversion's JSON scanner
//! ([`json_scan::record`]), each record walked into JSON Pointer paths. Only the sample is read, never the whole file.

use crate::csv_record::{Dialect, Record, RecordReader};
use crate::input::{fill, Input, InputData};
use crate::json_scan::{self, record::Value};
use lpconvert_schema::infer::{looks_like_header, sniff_csv, Column, CsvGuess, Kind, Table};
use std::collections::HashMap;
use std::io;

mod arrays;

/// Most bytes read for a sample.
pub const MAX_SAMPLE_BYTES: usize = 64 << 20;

/// The first bytes of an input: enough for `records` records (counting line feeds, with
/// room for multi-line records), at most [`MAX_SAMPLE_BYTES`]. Returns the bytes and
/// whether they are the whole input.
pub fn read_head(input: Input, records: usize) -> io::Result<(Vec<u8>, bool)> {
    let want_lines = records.saturating_mul(2).saturating_add(100);
    let cut = |data: &[u8]| -> Option<usize> {
        memchr::memchr_iter(b'\n', data)
            .nth(want_lines)
            .map(|i| i + 1)
    };
    let (head, complete) = read_bytes(input.data, cut)?;
    if let Some(p) = crate::input::text_problem(&input.name, &head) {
        return Err(io::Error::other(p));
    }
    if let Some(p) = crate::input::not_utf8(&head) {
        return Err(io::Error::other(p));
    }
    Ok((head, complete))
}

/// The first bytes of `data`, up to `cut` or [`MAX_SAMPLE_BYTES`].
fn read_bytes(
    data: InputData,
    cut: impl Fn(&[u8]) -> Option<usize>,
) -> io::Result<(Vec<u8>, bool)> {
    match data {
        InputData::Mapped(map) => {
            let data: &[u8] = &map;
            let data = &data[..data.len().min(MAX_SAMPLE_BYTES)];
            let end = cut(data).unwrap_or(data.len());
            let head = data[..end].to_vec();
            map.check("the file").map_err(io::Error::other)?;
            Ok((head, end == map.len()))
        }
        InputData::Stream(mut r) => {
            let mut buf = Vec::new();
            let mut want = 1 << 20;
            loop {
                let more = fill(&mut r, &mut buf, want)?;
                if let Some(end) = cut(&buf) {
                    buf.truncate(end);
                    return Ok((buf, false));
                }
                if !more {
                    return Ok((buf, true));
                }
                if buf.len() >= MAX_SAMPLE_BYTES {
                    buf.truncate(MAX_SAMPLE_BYTES);
                    return Ok((buf, false));
                }
                want = buf.len() * 2;
            }
        }
    }
}

fn dialect(g: &CsvGuess) -> Dialect {
    Dialect {
        delimiter: g.delimiter,
        quote: g.quote,
        escape: g.escape,
        comment: g.comment,
        trim: g.trim,
    }
}

/// Reads up to `max` records (plus one for the header) with the guess's dialect; the second
/// value counts records that failed (an unterminated quote) or had an unusual cell count.
fn records(head: &[u8], complete: bool, g: &CsvGuess, max: usize) -> (Vec<Vec<String>>, usize) {
    let bom = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut reader = RecordReader::new(dialect(g), bom);
    reader.skip_lines(head, g.skip_rows);
    let mut rec = Record::default();
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut bad = 0;
    while out.len() <= max {
        match reader.read(head, &mut rec) {
            Ok(true) => {
                // A record cut by the end of the sample is not a record.
                if !complete && rec.end >= head.len() && !head.ends_with(b"\n") {
                    break;
                }
                out.push(
                    (0..rec.len())
                        .map(|i| String::from_utf8_lossy(rec.cell(head, i)).into_owned())
                        .collect(),
                );
            }
            Ok(false) => break,
            Err(_) => {
                // At the end of a cut sample, the quote may close further on.
                bad += usize::from(complete);
                break;
            }
        }
    }
    let mut freq: HashMap<usize, usize> = HashMap::new();
    for r in &out {
        *freq.entry(r.len()).or_default() += 1;
    }
    let mode = freq.iter().max_by_key(|(_, &n)| n).map_or(0, |(&w, _)| w);
    bad += out.iter().filter(|r| r.len() != mode).count();
    (out, bad)
}

/// Guesses the dialect of a CSV sample and reads its records into a [`Table`] of at most
/// `max` rows. `default_delimiter` is `\t` for `.tsv` files.
pub fn sample_csv(
    head: &[u8],
    complete: bool,
    default_delimiter: u8,
    max: usize,
) -> (CsvGuess, Table) {
    let mut g = sniff_csv(head, default_delimiter);
    // Backslash-escaped quotes: keep the reading with fewer broken records.
    if memchr::memmem::find(head, b"\\\"").is_some() {
        let plain = records(head, complete, &g, max).1;
        let mut esc = g.clone();
        esc.escape = Some(b'\\');
        if records(head, complete, &esc, max).1 < plain {
            g = esc;
        }
    }
    // Single quotes: keep the reading with fewer broken records.
    if memchr::memchr(b'\'', head).is_some() {
        let plain = records(head, complete, &g, max).1;
        let mut single = g.clone();
        single.quote = b'\'';
        if records(head, complete, &single, max).1 < plain {
            g = single;
        }
    }
    let (mut recs, _) = records(head, complete, &g, max);
    // Padded header names: trim.
    if recs
        .first()
        .is_some_and(|h| h.iter().any(|c| c.trim() != c && !c.trim().is_empty()))
    {
        g.trim = true;
        recs = records(head, complete, &g, max).0;
    }
    let first = recs.first().cloned().unwrap_or_default();
    g.header = looks_like_header(&first, recs.get(1..).unwrap_or(&[]));
    let (names, body): (Vec<String>, &[Vec<String>]) = if g.header {
        (first, recs.get(1..).unwrap_or(&[]))
    } else {
        let width = recs.iter().map(Vec::len).max().unwrap_or(0);
        (
            (1..=width).map(|i| format!("column_{i}")).collect(),
            &recs[..],
        )
    };
    let body = &body[..body.len().min(max)];
    // Rows whose cell count differs from the header are rejected whatever the schema:
    // they do not vote on the types.
    let width = names.len();
    let good: Vec<&Vec<String>> = body.iter().filter(|r| r.len() == width).collect();
    let columns = names
        .iter()
        .enumerate()
        .map(|(i, n)| Column {
            name: n.clone(),
            path: None,
            cells: good
                .iter()
                .map(|r| r.get(i).map(|c| (Kind::Text, c.clone())))
                .collect(),
            shaped: 0,
        })
        .collect();
    let table = Table {
        columns,
        rows: good.len(),
        records: good.len(),
        ..Table::default()
    };
    (g, table)
}

/// Escapes one JSON Pointer token.
fn pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// The sampled cells of one path: its name and one entry per record.
type Cells = (String, Vec<Option<(Kind, String)>>);

/// Rows in which a path holds an object or an array, and the first of each.
#[derive(Default, Clone, Copy)]
struct Shapes {
    objects: usize,
    arrays: usize,
    first_object: Option<usize>,
    first_array: Option<usize>,
}

#[derive(Default)]
struct Walk {
    /// Iterated arrays: read through their elements, not values of their own.
    iterated: Vec<String>,
    order: Vec<String>,
    cols: HashMap<String, Cells>,
    shapes: HashMap<String, Shapes>,
}

/// A shape is read as the path's shape when at most one row in this many differs.
const ODD_SHARE: usize = 10;

impl Walk {
    /// The rows at `path` holding a value (not null), and the first of them.
    fn values(&self, path: &str) -> (usize, Option<usize>) {
        self.cols.get(path).map_or((0, None), |(_, cells)| {
            let mut rows = cells.iter().enumerate().filter(|(_, c)| c.is_some());
            let first = rows.next().map(|(r, _)| r);
            (usize::from(first.is_some()) + rows.count(), first)
        })
    }

    /// Rows in which `path` holds an object, and rows in which it holds something else.
    fn object_rows(&self, path: &str) -> (usize, usize) {
        let sh = self.shapes.get(path).copied().unwrap_or_default();
        (sh.objects, sh.arrays + self.values(path).0)
    }
}

/// How a path reads: its members are read when it is an object in nearly every row.
fn mostly(part: usize, rest: usize) -> bool {
    part > 0 && rest * ODD_SHARE <= part + rest
}

impl Walk {
    /// Records the value at `path` (named `name`) of row `row`. An object's members are
    /// visited in the byte order of their keys.
    fn visit(&mut self, row: usize, path: &str, name: &str, v: &Value) {
        let cell = match v {
            Value::Object(members) => {
                let sh = self.shapes.entry(path.to_string()).or_default();
                sh.objects += 1;
                sh.first_object.get_or_insert(row);
                self.visit_members(row, path, members);
                return;
            }
            Value::Array(_) => {
                if !self.iterated.iter().any(|p| p == path) {
                    let sh = self.shapes.entry(path.to_string()).or_default();
                    sh.arrays += 1;
                    sh.first_array.get_or_insert(row);
                }
                return;
            }
            Value::Null => None,
            Value::Bool(b) => Some((Kind::Bool, b.to_string())),
            Value::Number(n) => Some((Kind::Number, n.clone())),
            Value::Str(s) => Some((Kind::Text, s.clone())),
        };
        if !self.cols.contains_key(path) {
            self.order.push(path.to_string());
        }
        let e = self
            .cols
            .entry(path.to_string())
            .or_insert_with(|| (name.to_string(), Vec::new()));
        e.1.resize(row, None);
        e.1.push(cell);
    }

    /// Visits the members of the object at `path`.
    fn visit_members(&mut self, row: usize, path: &str, members: &[(String, Value)]) {
        let mut sorted: Vec<&(String, Value)> = members.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        for (k, v) in sorted {
            let p = format!("{path}/{}", pointer_token(k));
            self.visit(row, &p, k, v);
        }
    }
}

/// Reads up to `max` NDJSON records (or elements of a top-level JSON array) into a
/// [`Table`]: one column per path to a scalar; top-level keys keep their name, nested values
/// get a JSON Pointer. Records that are not JSON objects are left out.
pub fn sample_ndjson(head: &[u8], complete: bool, max: usize) -> Table {
    let bom = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let start = json_scan::skip_blank(head, bom);
    // Each record's text and its number: the line, or the element of a top-level array.
    let mut texts: Vec<(usize, &[u8])> = Vec::new();
    let array = head.get(start) == Some(&b'[');
    if array {
        let mut pos = start + 1;
        while texts.len() < max {
            pos = json_scan::skip_blank(head, pos);
            match head.get(pos) {
                Some(b',') => pos += 1,
                None | Some(b']') => break,
                Some(_) => match json_scan::skip_value(head, pos) {
                    Ok(end) => {
                        texts.push((texts.len() + 1, &head[pos..end]));
                        pos = end;
                    }
                    Err(_) => break,
                },
            }
        }
    } else {
        let body = &head[bom..];
        let mut lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
        if !complete && !body.ends_with(b"\n") {
            lines.pop();
        }
        texts = lines
            .into_iter()
            .enumerate()
            .filter(|(_, l)| l.iter().any(|b| !b.is_ascii_whitespace()))
            .map(|(i, l)| (i + 1, l))
            .take(max)
            .collect();
    }
    let mut records = Vec::new();
    let mut numbers = Vec::new();
    let mut unparsed = Vec::new();
    for (n, t) in texts {
        // A row the conversion rejects whatever the schema does not vote.
        let Ok(members) = json_scan::record::read_row(t) else {
            unparsed.push(n);
            continue;
        };
        records.push(arrays::Node::new(t, members));
        numbers.push(n);
    }
    let sampled = records.len();
    // Arrays of objects are iterated: one sampled row per element, as one line per element.
    let levels = arrays::Levels::new(records);
    let mut walk = Walk {
        iterated: levels.iterated(),
        ..Walk::default()
    };
    let mut rows = 0;
    for parts in levels.rows() {
        for (prefix, members) in parts {
            walk.visit_members(rows, prefix, members);
        }
        rows += 1;
    }
    let mut left_out = Vec::new();
    let mut notes = Vec::new();
    let mut columns = Vec::new();
    // Rows are records when no array is iterated: then a row is named by its line.
    let unit = if array { "element" } else { "line" };
    let at = |row: Option<usize>| match (levels.iterations().is_empty(), row) {
        (true, Some(r)) => numbers
            .get(r)
            .map_or(String::new(), |n| format!(", first at {unit} {n}")),
        _ => String::new(),
    };
    // A pointer through an array, or through a value that is not an object in nearly
    // every record, reads different things in different records: leave it out.
    let through = |path: &str| {
        path.match_indices('/').skip(1).any(|(i, _)| {
            let (objects, other) = walk.object_rows(&path[..i]);
            other > 0 && !mostly(objects, other)
        })
    };
    let unclear: Vec<bool> = walk.order.iter().map(|p| through(p)).collect();
    for (path, unclear) in walk.order.iter().zip(unclear) {
        let sh = walk.shapes.get(path).copied().unwrap_or_default();
        let (values, first_value) = walk.values(path);
        if unclear {
            left_out.push((
                path.clone(),
                "inside an object that is a value or an array in some records".to_string(),
            ));
            continue;
        }
        if sh.objects + sh.arrays > 0 {
            if !mostly(values, sh.objects + sh.arrays) {
                let why = if mostly(sh.objects, sh.arrays + values) {
                    format!(
                        "a value in {values} of {rows} rows{}, an object in the others, \
                         whose members are read",
                        at(first_value)
                    )
                } else {
                    "an object or array in some records, a value in others".to_string()
                };
                left_out.push((path.clone(), why));
                continue;
            }
            let first = sh
                .first_object
                .min(sh.first_array)
                .or(sh.first_object)
                .or(sh.first_array);
            notes.push(format!(
                "{path} is an object or array in {} of {rows} rows{}: drafted as a string \
                 field, which writes its JSON text there",
                sh.objects + sh.arrays,
                at(first)
            ));
        }
        let Some((name, mut cells)) = walk.cols.remove(path) else {
            continue;
        };
        cells.resize(rows, None);
        let top = path.matches('/').count() == 1;
        columns.push(Column {
            name: if top {
                name
            } else if let Some(i) = path.rfind("/*/") {
                // Inside an element: named from the element on (`/readings/*/t` is `t`).
                path[i + 3..].replace('/', "_")
            } else {
                path[1..].replace('/', "_")
            },
            path: (!top).then(|| path.clone()),
            cells,
            shaped: sh.objects + sh.arrays,
        });
    }
    for (path, sh) in &walk.shapes {
        if sh.arrays > 0 && !walk.order.contains(path) && sh.objects == 0 {
            left_out.push((path.clone(), "an array".to_string()));
        } else if sh.objects > 0 && sh.arrays > 0 && !walk.order.contains(path) {
            left_out.push((
                path.clone(),
                "an object in some records, an array in others".to_string(),
            ));
        }
    }
    left_out.sort();
    notes.sort();
    let unparsed_note = unparsed_note(&unparsed, unit, sampled + unparsed.len());
    notes.extend(unparsed_note);
    Table {
        columns,
        rows,
        left_out,
        iterations: levels.iterations().to_vec(),
        records: sampled,
        notes,
    }
}

/// The note naming the records that are not JSON objects (the first ten).
fn unparsed_note(unparsed: &[usize], unit: &str, of: usize) -> Option<String> {
    if unparsed.is_empty() {
        return None;
    }
    let shown: Vec<String> = unparsed.iter().take(10).map(usize::to_string).collect();
    let more = if unparsed.len() > 10 { ", ..." } else { "" };
    Some(format!(
        "{} of {of} sampled records are not JSON objects and were left out of the sample \
         (a conversion rejects them): {unit}{} {}{more}",
        unparsed.len(),
        if unparsed.len() == 1 { "" } else { "s" },
        shown.join(", ")
    ))
}

#[cfg(test)]
mod tests;
