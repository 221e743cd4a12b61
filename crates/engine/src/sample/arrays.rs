//! Arrays of objects in an NDJSON sample: the iterations `infer` drafts as `*` paths, and the
//! records flattened into one sampled row per line a conversion with those paths writes.
//!
//! At each level (the records, then the elements of the array chosen at the level before),
//! the array reached through objects only, holding objects only, never a scalar or an object
//! in another record, and with the most elements in the sample, is iterated. A record
//! (element) whose chosen array is empty or missing writes no line, so it gives no row.

use super::pointer_token;
use crate::json_scan::{self, record::Value};
use lpconvert_schema::infer::Iteration;
use std::collections::HashMap;

/// Levels of nesting drafted at most (`/a/*/b/*/c/*`).
const MAX_LEVELS: usize = 3;

/// An object of the sample: its members, read from `text`, which their array ranges index.
pub(super) struct Node<'t> {
    /// The text the members were read from (the record, or one element).
    text: &'t [u8],
    /// The members.
    members: Vec<(String, Value)>,
}

impl<'t> Node<'t> {
    /// A record read from its text.
    pub(super) fn new(text: &'t [u8], members: Vec<(String, Value)>) -> Node<'t> {
        Node { text, members }
    }
}

/// One object of a level and where it sits.
struct Flat<'t> {
    node: Node<'t>,
    /// Its index in the level before.
    parent: usize,
    /// The path of the object: `""` for a record, `/readings/*` for an element.
    prefix: String,
}

/// What a path holds across the objects of one level.
#[derive(Default)]
struct Seen {
    /// Elements of the arrays at the path.
    elements: usize,
    /// Something other than an array of objects (a scalar, an object, an element that is
    /// no object) was seen there.
    other: bool,
}

/// One sampled row: the path prefix and members of its record and of each element it is in,
/// outermost first.
pub(super) type Row<'a> = Vec<(&'a str, &'a [(String, Value)])>;

/// The iterated levels of `records`: each level's objects, the records first.
pub(super) struct Levels<'t> {
    levels: Vec<Vec<Flat<'t>>>,
    iterations: Vec<Iteration>,
}

impl<'t> Levels<'t> {
    /// Finds the arrays of objects to iterate in `records` and lists their elements.
    pub(super) fn new(records: Vec<Node<'t>>) -> Levels<'t> {
        let first: Vec<Flat<'t>> = records
            .into_iter()
            .map(|node| Flat {
                node,
                parent: 0,
                prefix: String::new(),
            })
            .collect();
        let mut levels = vec![first];
        let mut iterations = Vec::new();
        while iterations.len() < MAX_LEVELS {
            let Some(level) = levels.last() else { break };
            let Some((rel, keys, elements)) = choose(level) else {
                break;
            };
            let mut next = Vec::new();
            for (i, flat) in level.iter().enumerate() {
                let prefix = format!("{}{rel}/*", flat.prefix);
                for text in element_texts(&flat.node, &keys) {
                    if let Ok(members) = json_scan::record::read_row(text) {
                        next.push(Flat {
                            node: Node { text, members },
                            parent: i,
                            prefix: prefix.clone(),
                        });
                    }
                }
            }
            let path = match level.first() {
                Some(f) => format!("{}{rel}", f.prefix),
                None => rel,
            };
            iterations.push(Iteration { path, elements });
            levels.push(next);
        }
        Levels { levels, iterations }
    }

    /// The paths of the iterated arrays (skipped when the sample is walked).
    pub(super) fn iterated(&self) -> Vec<String> {
        self.iterations.iter().map(|i| i.path.clone()).collect()
    }

    /// The iterated arrays, outermost first.
    pub(super) fn iterations(&self) -> &[Iteration] {
        &self.iterations
    }

    /// One row per object of the innermost level: the parts of its record and elements.
    pub(super) fn rows(&self) -> Vec<Row<'_>> {
        let mut rows = Vec::new();
        if let Some(last) = self.levels.last() {
            for i in 0..last.len() {
                let mut parts = Vec::with_capacity(self.levels.len());
                let mut at = i;
                for level in self.levels.iter().rev() {
                    let f = &level[at];
                    parts.push((f.prefix.as_str(), f.node.members.as_slice()));
                    at = f.parent;
                }
                parts.reverse();
                rows.push(parts);
            }
        }
        rows
    }
}

/// The array of objects to iterate in one level: its path relative to the level's objects,
/// its keys from there, and its elements in the sample.
fn choose(level: &[Flat<'_>]) -> Option<(String, Vec<String>, usize)> {
    let mut seen: HashMap<Vec<String>, Seen> = HashMap::new();
    for f in level {
        look(f.node.text, &f.node.members, &mut Vec::new(), &mut seen);
    }
    let mut best: Option<(&Vec<String>, usize)> = None;
    let mut keys: Vec<&Vec<String>> = seen.keys().collect();
    keys.sort();
    for k in keys {
        let s = &seen[k];
        let more = match best {
            Some((_, n)) => s.elements > n,
            None => true,
        };
        if !s.other && s.elements > 0 && more {
            best = Some((k, s.elements));
        }
    }
    let (keys, elements) = best?;
    let rel: String = keys
        .iter()
        .map(|k| format!("/{}", pointer_token(k)))
        .collect();
    Some((rel, keys.clone(), elements))
}

/// Records what each path below `members` holds.
fn look(
    text: &[u8],
    members: &[(String, Value)],
    path: &mut Vec<String>,
    seen: &mut HashMap<Vec<String>, Seen>,
) {
    for (k, v) in members {
        path.push(k.clone());
        match v {
            Value::Array(range) => {
                let starts = starts(text, range.start);
                let s = seen.entry(path.clone()).or_default();
                s.elements += starts.len();
                s.other |= starts.iter().any(|&p| text.get(p) != Some(&b'{'));
            }
            Value::Object(inner) => {
                seen.entry(path.clone()).or_default().other = true;
                look(text, inner, path, seen);
            }
            Value::Null => {}
            _ => seen.entry(path.clone()).or_default().other = true,
        }
        path.pop();
    }
}

/// Where the elements of the array at `i` start.
fn starts(text: &[u8], i: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut names = Vec::new();
    if json_scan::elements(text, i, &mut out, &mut names).is_err() {
        return Vec::new();
    }
    out.into_iter().map(|e| e.start).collect()
}

/// The texts of the elements of the array at `keys` in `node`.
fn element_texts<'t>(node: &Node<'t>, keys: &[String]) -> Vec<&'t [u8]> {
    let mut members = node.members.as_slice();
    let mut value = None;
    for (n, k) in keys.iter().enumerate() {
        value = members.iter().find(|(m, _)| m == k).map(|(_, v)| v);
        match value {
            Some(Value::Object(inner)) if n + 1 < keys.len() => members = inner,
            _ if n + 1 < keys.len() => return Vec::new(),
            _ => {}
        }
    }
    let Some(Value::Array(range)) = value else {
        return Vec::new();
    };
    let text = node.text;
    starts(text, range.start)
        .into_iter()
        .filter_map(|s| {
            let end = json_scan::skip_value(text, s).ok()?;
            Some(&text[s..end])
        })
        .collect()
}
