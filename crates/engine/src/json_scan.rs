//! A lazy JSON scanner for NDJSON rows: it walks one object, extracts only the values the
//! Plan's JSON Pointers ask for (borrowed where no unescaping is needed) and skips the
//! rest without building a DOM. Numbers keep their exact text.

use std::ops::Range;

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

/// The value found for one pointer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Found {
    /// The pointer matched nothing in this row.
    #[default]
    Missing,
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number: its text in the row.
    Number(Range<usize>),
    /// A string without escapes: its content in the row.
    Str(Range<usize>),
    /// A string with escapes: its decoded content in the scratch buffer.
    Decoded(Range<usize>),
    /// An object or array where a scalar is expected.
    Composite(&'static str),
}

/// A value found for a pointer, with its byte offset in the row.
#[derive(Debug, Clone, Default)]
pub struct Slot {
    /// The value.
    pub found: Found,
    /// Byte offset of the value in the row.
    pub offset: usize,
}

/// The pointers of a Plan as a tree of keys.
#[derive(Debug, Clone, Default)]
pub struct PointerTree {
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, Default)]
struct Node {
    children: Vec<(Vec<u8>, usize)>,
    slot: Option<usize>,
}

impl PointerTree {
    /// Builds the tree; pointer `i` fills slot `i`.
    pub fn new(pointers: &[Vec<String>]) -> PointerTree {
        let mut t = PointerTree {
            nodes: vec![Node::default()],
        };
        for (slot, tokens) in pointers.iter().enumerate() {
            let mut n = 0;
            for tok in tokens {
                let key = tok.as_bytes();
                n = match t.nodes[n].children.iter().find(|(k, _)| k == key) {
                    Some(&(_, c)) => c,
                    None => {
                        t.nodes.push(Node::default());
                        let c = t.nodes.len() - 1;
                        t.nodes[n].children.push((key.to_vec(), c));
                        c
                    }
                };
            }
            t.nodes[n].slot = Some(slot);
        }
        t
    }

    fn child(&self, n: usize, key: &[u8]) -> Option<usize> {
        self.nodes[n]
            .children
            .iter()
            .find(|(k, _)| k == key)
            .map(|&(_, c)| c)
    }
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

#[inline]
fn ws(s: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\r' | b'\n') = s.get(i) {
        i += 1;
    }
    i
}

/// Finds the end of a string whose opening quote is at `i`: returns (index of the closing
/// quote, has escapes).
#[inline]
fn string_end(s: &[u8], i: usize) -> Res<(usize, bool)> {
    let mut p = i + 1;
    let mut escaped = false;
    loop {
        match memchr::memchr2(b'"', b'\\', &s[p.min(s.len())..]) {
            None => return fail(i, "unterminated string"),
            Some(o) if s[p + o] == b'"' => return Ok((p + o, escaped)),
            Some(o) => {
                escaped = true;
                p += o + 2;
            }
        }
    }
}

/// Checks an extracted string's raw content: no raw control characters (RFC 8259 wants
/// them escaped) and valid UTF-8.
fn check_string(s: &[u8], start: usize, end: usize) -> Res<()> {
    let text = &s[start..end];
    if let Some(p) = text.iter().position(|&b| b < 0x20) {
        return fail(
            start + p,
            "raw control character in a string (it must be escaped)",
        );
    }
    if !text.is_ascii() {
        if let Err(e) = std::str::from_utf8(text) {
            return fail(start + e.valid_up_to(), "a string is not valid UTF-8");
        }
    }
    Ok(())
}

fn hex4(s: &[u8], i: usize) -> Res<u32> {
    let mut v = 0;
    for k in 0..4 {
        let d = match s.get(i + k) {
            Some(b @ b'0'..=b'9') => b - b'0',
            Some(b @ b'a'..=b'f') => b - b'a' + 10,
            Some(b @ b'A'..=b'F') => b - b'A' + 10,
            _ => return fail(i, "invalid \\u escape"),
        };
        v = v * 16 + u32::from(d);
    }
    Ok(v)
}

/// Decodes the string content `s[range]` (escapes included) into `out`.
pub fn unescape(s: &[u8], range: Range<usize>, out: &mut Vec<u8>) -> Res<()> {
    let mut i = range.start;
    while i < range.end {
        let Some(o) = memchr::memchr(b'\\', &s[i..range.end]) else {
            out.extend_from_slice(&s[i..range.end]);
            break;
        };
        out.extend_from_slice(&s[i..i + o]);
        i += o;
        let c = match s.get(i + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let hi = hex4(s, i + 2)?;
                i += 6;
                let cp = if (0xD800..0xDC00).contains(&hi) {
                    if s.get(i) != Some(&b'\\') || s.get(i + 1) != Some(&b'u') {
                        return fail(i, "lone surrogate in \\u escape");
                    }
                    let lo = hex4(s, i + 2)?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return fail(i, "invalid surrogate pair in \\u escape");
                    }
                    i += 6;
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                let Some(ch) = char::from_u32(cp) else {
                    return fail(i, "invalid \\u escape");
                };
                let mut b = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
                continue;
            }
            _ => return fail(i, "invalid escape in string"),
        };
        out.push(c as u8);
        i += 2;
    }
    Ok(())
}

/// Scans a number at `i` (JSON grammar); returns its end.
#[inline]
fn number_end(s: &[u8], i: usize) -> Res<usize> {
    let mut p = i;
    if s.get(p) == Some(&b'-') {
        p += 1;
    }
    let digits = |p: usize| {
        s[p.min(s.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let n = digits(p);
    if n == 0 || (n > 1 && s[p] == b'0') {
        return fail(i, "invalid number");
    }
    p += n;
    if s.get(p) == Some(&b'.') {
        let n = digits(p + 1);
        if n == 0 {
            return fail(i, "invalid number");
        }
        p += 1 + n;
    }
    if let Some(b'e' | b'E') = s.get(p) {
        p += 1;
        if let Some(b'+' | b'-') = s.get(p) {
            p += 1;
        }
        let n = digits(p);
        if n == 0 {
            return fail(i, "invalid number");
        }
        p += n;
    }
    Ok(p)
}

fn literal(s: &[u8], i: usize, word: &[u8]) -> Res<usize> {
    if s.get(i..i + word.len()) == Some(word) {
        Ok(i + word.len())
    } else {
        fail(i, "invalid literal (expected true, false or null)")
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(row: &str, ptrs: &[&str]) -> Result<Vec<String>, JsonError> {
        let pointers: Vec<Vec<String>> = ptrs
            .iter()
            .map(|p| {
                p.trim_start_matches('/')
                    .split('/')
                    .map(|t| t.replace("~1", "/").replace("~0", "~"))
                    .collect()
            })
            .collect();
        let tree = PointerTree::new(&pointers);
        let mut slots = vec![Slot::default(); ptrs.len()];
        let mut sc = Scanner::default();
        let s = row.as_bytes();
        sc.scan_row(s, 0, &tree, &mut slots)?;
        Ok(slots
            .iter()
            .map(|sl| match &sl.found {
                Found::Missing => "<missing>".to_string(),
                Found::Null => "<null>".to_string(),
                Found::Bool(b) => format!("<{b}>"),
                Found::Number(r) | Found::Str(r) => {
                    String::from_utf8(s[r.clone()].to_vec()).unwrap()
                }
                Found::Decoded(r) => String::from_utf8(sc.scratch[r.clone()].to_vec()).unwrap(),
                Found::Composite(w) => format!("<{w}>"),
            })
            .collect())
    }

    #[test]
    fn extracts_nested_values_and_arrays() {
        let row = r#" {"a": 1, "skip": {"x": [1, {"y": "z"}]}, "b": {"c": "d\"e", "arr": [10, 20.5e+3]}, "a/b": true, "m~n": null} "#;
        assert_eq!(
            scan(
                row,
                &["/a", "/b/c", "/b/arr/1", "/a~1b", "/m~0n", "/b", "/nope", "/b/arr/9"]
            )
            .unwrap(),
            vec![
                "1",
                "d\"e",
                "20.5e+3",
                "<true>",
                "<null>",
                "<an object>",
                "<missing>",
                "<missing>"
            ]
        );
    }

    #[test]
    fn unicode_escapes() {
        assert_eq!(
            scan(r#"{"s": "caf\u00e9 \ud83d\ude00 \\ \/ \n"}"#, &["/s"]).unwrap(),
            vec!["café 😀 \\ / \n"]
        );
        assert!(scan(r#"{"s": "\ud83d"}"#, &["/s"]).is_err());
        assert!(scan(r#"{"s": "\x"}"#, &["/s"]).is_err());
    }

    #[test]
    fn exact_numbers_and_errors() {
        assert_eq!(
            scan(
                r#"{"n": 18446744073709551615, "t": 1631202459121654321}"#,
                &["/n", "/t"]
            )
            .unwrap(),
            vec!["18446744073709551615", "1631202459121654321"]
        );
        for bad in [
            r#"{"a": 01}"#,
            r#"{"a": 1.}"#,
            r#"{"a" 1}"#,
            r#"{"a": tru}"#,
            r#"[1]"#,
            r#"{"a": "x}"#,
            r#"{"a": 1,}"#,
            r#"{"a": [1,]}"#,
        ] {
            assert!(scan(bad, &["/a"]).is_err(), "{bad}");
        }
    }
}
