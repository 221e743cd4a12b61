//! A lazy JSON scanner for NDJSON rows: it walks one object, extracts only the values the
//! Plan's JSON Pointers ask for (borrowed where no unescaping is needed) and skips the
//! rest without building a DOM. Numbers keep their exact text. [`record`] reads every
//! value of a row with the same grammar, for `lpconvert infer`'s sample.

mod elements;
mod lexical;
mod pointer;
pub mod record;
#[cfg(test)]
mod tests;

pub use elements::{elements, repeated_name, Cursor, Element};
pub use lexical::unescape;
use lexical::{check_string, literal, number_end, string_end, ws};
pub use pointer::{Found, PointerTree, Slot};

/// A JSON syntax error at a byte offset of the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset in the row.
    pub offset: usize,
    /// What is wrong.
    pub message: &'static str,
}

type Res<T> = Result<T, JsonError>;

fn fail<T>(offset: usize, message: &'static str) -> Res<T> {
    Err(JsonError { offset, message })
}

/// Reusable state for scanning rows.
#[derive(Debug, Default)]
pub struct Scanner {
    /// Decoded strings of the current row.
    pub scratch: Vec<u8>,
    key: Vec<u8>,
}

const MAX_DEPTH: usize = 128;

/// The error of an object that repeats a key a pointer reads (not a syntax error).
pub const DUPLICATE_KEY: &str =
    "the object has this key twice (JSON does not say which value counts): keep one";

impl Scanner {
    /// Scans the object that starts at the first non-blank byte at or after `start`, filling
    /// `slots` (one per pointer). Returns the offset after the object.
    pub fn scan_row(
        &mut self,
        s: &[u8],
        start: usize,
        tree: &PointerTree,
        slots: &mut [Slot],
    ) -> Res<usize> {
        self.scratch.clear();
        for slot in slots.iter_mut() {
            slot.found = Found::Missing;
        }
        let i = ws(s, start);
        if s.get(i) != Some(&b'{') {
            return fail(i, "expected a JSON object");
        }
        self.value(s, i, Some(0), tree, slots, 0)
    }

    /// Scans the value at `i` (an element of an iterated array or object, inside a row
    /// already scanned whole) into the slots of `tree`: the slots in `reset` are emptied
    /// first; decoded strings are appended to [`Scanner::scratch`].
    pub fn scan_element(
        &mut self,
        s: &[u8],
        i: usize,
        tree: &PointerTree,
        slots: &mut [Slot],
        reset: &[usize],
    ) -> Res<usize> {
        for &k in reset {
            slots[k].found = Found::Missing;
        }
        self.value(s, i, Some(0), tree, slots, 1)
    }

    /// Walks the value at `i`; `node` is the pointer-tree node it corresponds to.
    fn value(
        &mut self,
        s: &[u8],
        i: usize,
        node: Option<usize>,
        tree: &PointerTree,
        slots: &mut [Slot],
        depth: usize,
    ) -> Res<usize> {
        if depth > MAX_DEPTH {
            return fail(i, "nested too deeply");
        }
        let slot = node.and_then(|n| tree.nodes[n].slot);
        let has_children = node.is_some_and(|n| !tree.nodes[n].children.is_empty());
        if let Some(k) = slot {
            if slots[k].found != Found::Missing {
                // `{"a":1,"a":2}`: JSON does not say which one counts; taking one would
                // lose the other silently.
                return fail(i, DUPLICATE_KEY);
            }
        }
        let mut set = |found: Found| {
            if let Some(k) = slot {
                slots[k] = Slot { found, offset: i };
            }
        };
        match s.get(i) {
            Some(b'"') => {
                let (end, escaped) = string_end(s, i)?;
                if slot.is_some() {
                    check_string(s, i + 1, end)?;
                    if escaped {
                        let from = self.scratch.len();
                        unescape(s, i + 1..end, &mut self.scratch)?;
                        set(Found::Decoded(from..self.scratch.len()));
                    } else {
                        set(Found::Str(i + 1..end));
                    }
                }
                Ok(end + 1)
            }
            Some(b'{') => {
                set(Found::Composite("an object"));
                let mut p = ws(s, i + 1);
                if s.get(p) == Some(&b'}') {
                    return Ok(p + 1);
                }
                loop {
                    if s.get(p) != Some(&b'"') {
                        return fail(p, "expected a string key");
                    }
                    let (kend, escaped) = string_end(s, p)?;
                    let child = if has_children {
                        node.and_then(|n| {
                            if escaped {
                                self.key.clear();
                                let mut k = std::mem::take(&mut self.key);
                                let r = unescape(s, p + 1..kend, &mut k)
                                    .ok()
                                    .and_then(|()| tree.child(n, &k));
                                self.key = k;
                                r
                            } else {
                                tree.child(n, &s[p + 1..kend])
                            }
                        })
                    } else {
                        None
                    };
                    p = ws(s, kend + 1);
                    if s.get(p) != Some(&b':') {
                        return fail(p, "expected `:` after a key");
                    }
                    p = ws(s, p + 1);
                    p = self.value(s, p, child, tree, slots, depth + 1)?;
                    p = ws(s, p);
                    match s.get(p) {
                        Some(b',') => p = ws(s, p + 1),
                        Some(b'}') => return Ok(p + 1),
                        _ => return fail(p, "expected `,` or `}` in an object"),
                    }
                }
            }
            Some(b'[') => {
                set(Found::Composite("an array"));
                let mut p = ws(s, i + 1);
                if s.get(p) == Some(&b']') {
                    return Ok(p + 1);
                }
                let mut index = 0usize;
                loop {
                    let child = if has_children {
                        node.and_then(|n| {
                            tree.child(n, itoa::Buffer::new().format(index).as_bytes())
                        })
                    } else {
                        None
                    };
                    p = self.value(s, p, child, tree, slots, depth + 1)?;
                    p = ws(s, p);
                    index += 1;
                    match s.get(p) {
                        Some(b',') => p = ws(s, p + 1),
                        Some(b']') => return Ok(p + 1),
                        _ => return fail(p, "expected `,` or `]` in an array"),
                    }
                }
            }
            Some(b't') => {
                set(Found::Bool(true));
                literal(s, i, b"true")
            }
            Some(b'f') => {
                set(Found::Bool(false));
                literal(s, i, b"false")
            }
            Some(b'n') => {
                set(Found::Null);
                literal(s, i, b"null")
            }
            Some(b'-' | b'0'..=b'9') => {
                let end = number_end(s, i)?;
                set(Found::Number(i..end));
                Ok(end)
            }
            Some(_) => fail(i, "expected a JSON value"),
            None => fail(i, "unexpected end of the row"),
        }
    }
}

/// Skips blanks from `i`; returns the new offset.
pub fn skip_blank(s: &[u8], i: usize) -> usize {
    ws(s, i)
}

/// Skips one JSON value at `i` without extracting anything; returns its end.
pub fn skip_value(s: &[u8], i: usize) -> Res<usize> {
    let mut sc = Scanner::default();
    sc.value(s, i, None, &PointerTree::default(), &mut [], 0)
}
