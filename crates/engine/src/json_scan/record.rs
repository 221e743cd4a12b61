//! Reading every value of one NDJSON row, for `lpconvert infer`'s sample: the scanner's
//! grammar and checks, so a row reads here as it reads in a conversion whose schema has a
//! pointer for each of its values.

use super::lexical::{check_string, literal, number_end, string_end, unescape, ws};
use super::{fail, PointerTree, Res, Scanner, DUPLICATE_KEY, MAX_DEPTH};

/// One value of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number: its text as written.
    Number(String),
    /// A string, decoded.
    Str(String),
    /// An object: its members in input order. A key whose escapes do not decode is left
    /// out (no pointer can name it); its value is still checked for syntax.
    Object(Vec<(String, Value)>),
    /// An array: checked for syntax, not read; its bytes in the text read (`[` to `]`).
    Array(std::ops::Range<usize>),
}

/// Reads the row `row`: one JSON object, blanks around it. A row that a conversion would
/// reject whatever pointer it reads is an error: invalid JSON, a value that is not an
/// object, text after the object. So is a key that appears twice in one object (a
/// conversion rejects it when a pointer reads that key).
pub fn read_row(row: &[u8]) -> Res<Vec<(String, Value)>> {
    let i = ws(row, 0);
    if row.get(i) != Some(&b'{') {
        return fail(i, "expected a JSON object");
    }
    let (value, end) = read_value(row, i, 0)?;
    let end = ws(row, end);
    if end < row.len() {
        return fail(end, "text after the JSON object");
    }
    match value {
        Value::Object(members) => Ok(members),
        _ => fail(i, "expected a JSON object"),
    }
}

/// Skips the value at `i` as the scanner does for a value no pointer reads.
fn skip(s: &[u8], i: usize, depth: usize) -> Res<usize> {
    Scanner::default().value(s, i, None, &PointerTree::default(), &mut [], depth)
}

/// Reads the value at `i`, nested `depth` deep; returns it and its end.
fn read_value(s: &[u8], i: usize, depth: usize) -> Res<(Value, usize)> {
    if depth > MAX_DEPTH {
        return fail(i, "nested too deeply");
    }
    match s.get(i) {
        Some(b'"') => {
            let (end, escaped) = string_end(s, i)?;
            check_string(s, i + 1, end)?;
            let text = if escaped {
                let mut out = Vec::new();
                unescape(s, i + 1..end, &mut out)?;
                String::from_utf8(out).or_else(|_| fail(i, "a string is not valid UTF-8"))?
            } else {
                String::from_utf8_lossy(&s[i + 1..end]).into_owned()
            };
            Ok((Value::Str(text), end + 1))
        }
        Some(b'{') => read_object(s, i, depth),
        Some(b'[') => {
            let end = skip(s, i, depth)?;
            Ok((Value::Array(i..end), end))
        }
        Some(b't') => Ok((Value::Bool(true), literal(s, i, b"true")?)),
        Some(b'f') => Ok((Value::Bool(false), literal(s, i, b"false")?)),
        Some(b'n') => Ok((Value::Null, literal(s, i, b"null")?)),
        Some(b'-' | b'0'..=b'9') => {
            let end = number_end(s, i)?;
            let text = String::from_utf8_lossy(&s[i..end]).into_owned();
            Ok((Value::Number(text), end))
        }
        Some(_) => fail(i, "expected a JSON value"),
        None => fail(i, "unexpected end of the row"),
    }
}

/// Reads the object whose `{` is at `i`.
fn read_object(s: &[u8], i: usize, depth: usize) -> Res<(Value, usize)> {
    let mut members: Vec<(String, Value)> = Vec::new();
    let mut p = ws(s, i + 1);
    if s.get(p) == Some(&b'}') {
        return Ok((Value::Object(members), p + 1));
    }
    loop {
        if s.get(p) != Some(&b'"') {
            return fail(p, "expected a string key");
        }
        let (kend, escaped) = string_end(s, p)?;
        // The key as a pointer token matches it: decoded, and UTF-8 (tokens are text).
        let key = if escaped {
            let mut k = Vec::new();
            unescape(s, p + 1..kend, &mut k)
                .ok()
                .and_then(|()| String::from_utf8(k).ok())
        } else {
            std::str::from_utf8(&s[p + 1..kend]).ok().map(str::to_owned)
        };
        p = ws(s, kend + 1);
        if s.get(p) != Some(&b':') {
            return fail(p, "expected `:` after a key");
        }
        p = ws(s, p + 1);
        match key {
            Some(key) => {
                let (value, end) = read_value(s, p, depth + 1)?;
                members.push((key, value));
                p = end;
            }
            None => p = skip(s, p, depth + 1)?,
        }
        p = ws(s, p);
        match s.get(p) {
            Some(b',') => p = ws(s, p + 1),
            Some(b'}') => break,
            _ => return fail(p, "expected `,` or `}` in an object"),
        }
    }
    let mut keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return fail(i, DUPLICATE_KEY);
    }
    Ok((Value::Object(members), p + 1))
}
