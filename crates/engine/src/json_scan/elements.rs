//! The elements of an array or the members of an object, for `*` paths: where each value
//! starts and what names it (the index, or the member's decoded key).

use super::lexical::{string_end, unescape, ws};
use super::{fail, skip_value, Res};
use std::ops::Range;

/// One element of an iterated array or object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element {
    /// Where its value starts in the row.
    pub start: usize,
    /// Its name (index digits or decoded key) in the names buffer.
    pub name: (usize, usize),
}

impl Element {
    /// The name's range in the names buffer.
    pub fn name(&self) -> Range<usize> {
        self.name.0..self.name.1
    }
}

/// Appends the elements of the array or object starting at `i` to `out`, their names to
/// `names`. The row has been scanned whole already, so its syntax is known to be valid.
pub fn elements(s: &[u8], i: usize, out: &mut Vec<Element>, names: &mut Vec<u8>) -> Res<()> {
    let object = match s.get(i) {
        Some(b'{') => true,
        Some(b'[') => false,
        _ => return fail(i, "expected an array or object"),
    };
    let close = if object { b'}' } else { b']' };
    let mut p = ws(s, i + 1);
    if s.get(p) == Some(&close) {
        return Ok(());
    }
    let mut index = 0usize;
    loop {
        let from = names.len();
        if object {
            let (kend, escaped) = string_end(s, p)?;
            if escaped {
                unescape(s, p + 1..kend, names)?;
            } else {
                names.extend_from_slice(&s[p + 1..kend]);
            }
            p = ws(s, kend + 1);
            if s.get(p) != Some(&b':') {
                return fail(p, "expected `:` after a key");
            }
            p = ws(s, p + 1);
        } else {
            names.extend_from_slice(itoa::Buffer::new().format(index).as_bytes());
        }
        out.push(Element {
            start: p,
            name: (from, names.len()),
        });
        index += 1;
        p = ws(s, skip_value(s, p)?);
        match s.get(p) {
            Some(b',') => p = ws(s, p + 1),
            Some(c) if *c == close => return Ok(()),
            _ => return fail(p, "expected `,` or the end of the array or object"),
        }
    }
}
