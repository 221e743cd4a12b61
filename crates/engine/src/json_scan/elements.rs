//! The elements of an array or the members of an object, for `*` paths: where each value
//! starts and what names it (the index, or the member's decoded key).

use super::lexical::{check_string, string_end, unescape, ws};
use super::{fail, skip_value, Res};
use std::ops::Range;

/// One element of an iterated array or object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element {
    /// Where the entry starts in the row: its key's opening quote in an object, its value in
    /// an array (what messages about its name point at).
    pub key: usize,
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
    let (mut cursor, mut next) = Cursor::open(s, i)?;
    while let Some(p) = next {
        let e = cursor.entry(s, p, names)?;
        out.push(e);
        next = cursor.after(s, skip_value(s, e.start)?)?;
    }
    Ok(())
}

/// Reads the elements of an array or object one at a time, the caller scanning each value
/// (so that the container is read once).
#[derive(Debug)]
pub struct Cursor {
    object: bool,
    close: u8,
    index: usize,
}

impl Cursor {
    /// Opens the array or object at `i`: the cursor and where its first entry starts (none
    /// when it is empty).
    pub fn open(s: &[u8], i: usize) -> Res<(Cursor, Option<usize>)> {
        let object = match s.get(i) {
            Some(b'{') => true,
            Some(b'[') => false,
            _ => return fail(i, "expected an array or object"),
        };
        let close = if object { b'}' } else { b']' };
        let p = ws(s, i + 1);
        let first = (s.get(p) != Some(&close)).then_some(p);
        let cursor = Cursor {
            object,
            close,
            index: 0,
        };
        Ok((cursor, first))
    }

    /// The entry starting at `p`: appends its name to `names` (the index digits or the
    /// member's decoded key) and gives where its value starts.
    pub fn entry(&mut self, s: &[u8], mut p: usize, names: &mut Vec<u8>) -> Res<Element> {
        let from = names.len();
        let key = p;
        if self.object {
            let (kend, escaped) = string_end(s, p)?;
            // The name is read (`key_of`, a pattern key): checked like a string value read.
            check_string(s, p + 1, kend)?;
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
            names.extend_from_slice(itoa::Buffer::new().format(self.index).as_bytes());
        }
        self.index += 1;
        Ok(Element {
            key,
            start: p,
            name: (from, names.len()),
        })
    }

    /// True for an object (its entries are named by keys), false for an array.
    pub fn is_object(&self) -> bool {
        self.object
    }

    /// After a value ending at `end`: where the next entry starts, none at the container's
    /// end.
    pub fn after(&self, s: &[u8], end: usize) -> Res<Option<usize>> {
        let p = ws(s, end);
        match s.get(p) {
            Some(b',') => Ok(Some(ws(s, p + 1))),
            Some(c) if *c == self.close => Ok(None),
            _ => fail(p, "expected `,` or the end of the array or object"),
        }
    }
}

/// Where the second entry of `list` with a name another entry has starts (the later one in
/// the row), if any: a key the object holds twice. `order` is a reusable buffer.
pub fn repeated_name(list: &[Element], names: &[u8], order: &mut Vec<usize>) -> Option<usize> {
    order.clear();
    order.extend(0..list.len());
    order.sort_unstable_by(|&a, &b| names[list[a].name()].cmp(&names[list[b].name()]));
    order
        .windows(2)
        .find(|w| names[list[w[0]].name()] == names[list[w[1]].name()])
        .map(|w| list[w[0]].key.max(list[w[1]].key))
}
