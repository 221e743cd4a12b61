//! What a compiled plan reads from one record, for the preview: each entry's source and the
//! text it found (before null values, defaults, regexes and types apply; the lines say what
//! came of it). Read with the conversion's CSV record reader and JSON row reader.

use super::{Read, Reader, Taken};
use crate::csv_record::{Record, RecordReader};
use crate::json_scan::{self, record::Value};
use lpconvert_schema::multi::{Target, Use};
use lpconvert_schema::rule::{TemplatePiece, ValueRule};
use lpconvert_schema::{Format, Input, MeasurementPlan, Plan};

/// A record's cells: a CSV record, or an NDJSON object's members.
enum Cells<'a> {
    Csv(&'a [u8], Record),
    Json(&'a [u8], Vec<(String, Value)>),
}

/// What `plan` reads from the record in `chunk`, in the order of the line: measurement,
/// timestamp, tags, fields. Empty when the record cannot be read (its error says why).
pub(super) fn of_record(plan: &Plan, reader: Reader, chunk: &[u8]) -> Vec<Read> {
    let cells = match reader {
        Reader::Csv(d) => {
            let mut rec = Record::default();
            match RecordReader::new(d, 0).read(chunk, &mut rec) {
                Ok(true) => Cells::Csv(chunk, rec),
                _ => return Vec::new(),
            }
        }
        Reader::Ndjson => {
            let start = chunk.iter().position(|&b| b == b'{').unwrap_or(chunk.len());
            match json_scan::record::read_row(&chunk[start..]) {
                Ok(members) => Cells::Json(&chunk[start..], members),
                Err(_) => return Vec::new(),
            }
        }
    };
    let mut reads = Vec::new();
    let m_input = match &plan.measurement {
        MeasurementPlan::Slot(s) => Input::Slot(*s),
        MeasurementPlan::Const(c) => Input::Const(c.clone()),
    };
    let rule = plan.measurement_rule.as_deref();
    let m = entry(plan, &cells, Target::Measurement, &m_input, rule);
    reads.push(named("measurement".into(), m));
    if let Some(t) = &plan.timestamp {
        let read = entry(plan, &cells, Target::Timestamp, &t.input, t.rule.as_deref());
        reads.push(named("time".into(), read));
    }
    for (i, t) in plan.tags.iter().enumerate() {
        let target = Target::Tag(i);
        key_read(plan, &cells, target, &t.name, "tag", &mut reads);
        let read = entry(plan, &cells, target, &t.input, t.rule.as_deref());
        reads.push(named(format!("tag {}", t.name), read));
    }
    for (i, f) in plan.fields.iter().enumerate() {
        let target = Target::Field(i);
        key_read(plan, &cells, target, &f.name, "field", &mut reads);
        let read = entry(plan, &cells, target, &f.input, f.rule.as_deref());
        reads.push(named(format!("field {}", f.name), read));
    }
    reads
}

fn named(entry: String, (source, taken): (String, Taken)) -> Read {
    Read {
        entry,
        source,
        taken,
    }
}

/// A key read from the data (`"{column}"`): where it is read and what it was.
fn key_read(
    plan: &Plan,
    cells: &Cells<'_>,
    target: Target,
    name: &str,
    kind: &str,
    reads: &mut Vec<Read>,
) {
    let Some(multi) = &plan.multi else { return };
    for k in multi.data_keys.iter().filter(|k| k.target == target) {
        reads.push(named(
            format!("key of {kind} {name}"),
            slot(plan, cells, k.slot),
        ));
    }
}

/// The source and text of one entry.
fn entry(
    plan: &Plan,
    cells: &Cells<'_>,
    target: Target,
    input: &Input,
    rule: Option<&ValueRule>,
) -> (String, Taken) {
    if let Some(multi) = &plan.multi {
        if let Some(s) = multi.spreads.iter().find(|s| s.target == target) {
            // The members the pattern writes: its glob, less the names left out.
            let mut tokens = plan.pointers.get(s.container).cloned().unwrap_or_default();
            tokens.push("*".into());
            let members = match json_at(cells, &tokens) {
                Taken::Each(each) => each,
                _ => Vec::new(),
            };
            let kept = members.into_iter().filter(|(name, _)| {
                lpconvert_schema::spec::glob_match(&s.glob, name)
                    && !s.exclude.iter().any(|x| x == name.as_bytes())
            });
            let name = plan
                .slot_names
                .get(s.container)
                .cloned()
                .unwrap_or_default();
            let source = format!("path {:?}", format!("{}/*", name.trim_end_matches('/')));
            return (source, Taken::Each(kept.collect()));
        }
        if let Some(b) = multi.bindings.iter().find(|b| b.target == target) {
            let it = &multi.iterations[b.iteration];
            if let Cells::Csv(data, rec) = cells {
                let each = it.matches.iter().map(|m| {
                    let name = String::from_utf8_lossy(&m.name).into_owned();
                    let text = match b.what {
                        Use::KeyOf => quoted(&m.name),
                        Use::Value => quoted(rec.cell(data, m.slot)),
                    };
                    (name, text)
                });
                let taken = Taken::Each(each.collect());
                return match b.what {
                    Use::KeyOf => (format!("key_of {:?}", it.source), taken),
                    Use::Value => (format!("column {:?}", it.source), taken),
                };
            }
            if b.what == Use::KeyOf {
                let tokens = lpconvert_schema::plan::parse_pointer(&it.source).unwrap_or_default();
                let taken = json_at(cells, &tokens);
                let names = match taken {
                    Taken::Each(e) => e
                        .into_iter()
                        .map(|(n, _)| (n.clone(), quoted(n.as_bytes())))
                        .collect(),
                    _ => Vec::new(),
                };
                return (format!("key_of {:?}", it.source), Taken::Each(names));
            }
        }
    }
    if let Some(pieces) = rule.and_then(|r| r.template.as_ref()) {
        let each = pieces.iter().filter_map(|p| match p {
            TemplatePiece::Slot(s) => Some(slot(plan, cells, *s)),
            TemplatePiece::Text(_) => None,
        });
        let each = each.map(|(source, taken)| (source, shown(taken)));
        return ("template".into(), Taken::Each(each.collect()));
    }
    match input {
        Input::Slot(s) => slot(plan, cells, *s),
        Input::Joined(slots) => {
            let reads: Vec<(String, Taken)> = slots.iter().map(|s| slot(plan, cells, *s)).collect();
            let source = reads.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>();
            let each = reads.iter().map(|(s, t)| (s.clone(), shown(t.clone())));
            (source.join(" + "), Taken::Each(each.collect()))
        }
        Input::Const(c) => ("value".into(), Taken::Fixed(quoted(c))),
    }
}

/// One slot: its source and text.
fn slot(plan: &Plan, cells: &Cells<'_>, s: usize) -> (String, Taken) {
    let name = plan.slot_names.get(s).cloned().unwrap_or_default();
    match cells {
        Cells::Csv(data, rec) if plan.format == Format::Csv => {
            let taken = if s < rec.len() {
                Taken::One(quoted(rec.cell(data, s)))
            } else {
                Taken::Missing
            };
            (format!("column {name:?}"), taken)
        }
        _ => {
            let tokens = plan.pointers.get(s).cloned().unwrap_or_default();
            (format!("path {name:?}"), json_at(cells, &tokens))
        }
    }
}

/// The text of a value as one string (a match list joined).
fn shown(t: Taken) -> String {
    match t {
        Taken::Missing => "(missing)".into(),
        Taken::One(s) | Taken::Fixed(s) => s,
        Taken::Each(e) => {
            let parts: Vec<String> = e.into_iter().map(|(n, v)| format!("{n}={v}")).collect();
            format!("[{}]", parts.join(", "))
        }
    }
}

/// A text quoted as a JSON or CSV string (`"a\"b"`).
fn quoted(b: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(b))
}

/// The value at a JSON Pointer's tokens in an NDJSON record; `*` gives each element or
/// member.
fn json_at(cells: &Cells<'_>, tokens: &[String]) -> Taken {
    let Cells::Json(text, members) = cells else {
        return Taken::Missing;
    };
    let mut found = Vec::new();
    let each = tokens.iter().any(|t| t == "*");
    let root = Node::Members(text, members.as_slice());
    walk(&root, tokens, String::new(), &mut found);
    if each {
        // With a `*` last, the match's name is its member name or index.
        return Taken::Each(found);
    }
    match found.pop() {
        Some((_, v)) => Taken::One(v),
        None => Taken::Missing,
    }
}

/// A JSON value in the text its array ranges refer to.
enum Node<'a> {
    Members(&'a [u8], &'a [(String, Value)]),
    Value(&'a [u8], &'a Value),
}

/// Follows `tokens` from `node`, pushing (name of the last `*` match, text) for each value
/// reached.
fn walk(node: &Node<'_>, tokens: &[String], name: String, found: &mut Vec<(String, String)>) {
    let Some((token, rest)) = tokens.split_first() else {
        found.push((name, node_text(node)));
        return;
    };
    match node {
        Node::Members(..) | Node::Value(_, Value::Object(_)) => {
            let (text, members): (&[u8], &[(String, Value)]) = match node {
                Node::Members(t, m) => (t, m),
                Node::Value(t, Value::Object(m)) => (t, m),
                Node::Value(..) => return,
            };
            for (k, v) in members {
                if token == "*" || k == token {
                    let n = if token == "*" {
                        k.clone()
                    } else {
                        name.clone()
                    };
                    walk(&Node::Value(text, v), rest, n, found);
                }
            }
        }
        Node::Value(text, Value::Array(range)) => {
            for (i, el) in elements(&text[range.clone()]).into_iter().enumerate() {
                if token == "*" || token.parse::<usize>() == Ok(i) {
                    let n = if token == "*" {
                        i.to_string()
                    } else {
                        name.clone()
                    };
                    let el_text = &text[range.start + el.start..range.start + el.end];
                    match json_scan::record::read_row(el_text) {
                        Ok(m) => walk(&Node::Members(el_text, &m), rest, n, found),
                        Err(_) => walk(&Node::Value(el_text, &raw(el_text)), rest, n, found),
                    }
                }
            }
        }
        Node::Value(..) => {}
    }
}

/// An array element that is not an object: its text as written, or its array.
fn raw(text: &[u8]) -> Value {
    if text.first() == Some(&b'[') {
        Value::Array(0..text.len())
    } else {
        Value::Number(String::from_utf8_lossy(text).into_owned())
    }
}

/// The elements of the array text `[...]`, as ranges in it.
fn elements(text: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut pos = 1;
    loop {
        pos = json_scan::skip_blank(text, pos);
        match text.get(pos) {
            Some(b',') => pos += 1,
            None | Some(b']') => return out,
            Some(_) => match json_scan::skip_value(text, pos) {
                Ok(end) => {
                    out.push(pos..end);
                    pos = end;
                }
                Err(_) => return out,
            },
        }
    }
}

/// A value's text as JSON writes it; objects and arrays abridged.
fn node_text(node: &Node<'_>) -> String {
    match node {
        Node::Members(..) | Node::Value(_, Value::Object(_)) => "{...}".into(),
        Node::Value(text, Value::Array(r)) => {
            let t = String::from_utf8_lossy(&text[r.clone()]).into_owned();
            if t.len() > 60 {
                "[...]".into()
            } else {
                t
            }
        }
        Node::Value(_, Value::Null) => "null".into(),
        Node::Value(_, Value::Bool(b)) => b.to_string(),
        Node::Value(_, Value::Number(n)) => n.clone(),
        Node::Value(_, Value::Str(s)) => format!("{s:?}"),
    }
}
