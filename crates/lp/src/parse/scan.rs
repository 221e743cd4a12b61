//! Byte scanning shared by the parser: names that end at an unescaped byte, spaces, the
//! error constructor and lossy display of bytes in messages.

use super::{ErrorKind, ParseError};
use std::borrow::Cow;

pub(super) fn err(kind: ErrorKind, at: usize, message: String) -> ParseError {
    ParseError {
        kind,
        column: at + 1,
        message,
    }
}

pub(super) fn show(b: &[u8]) -> Cow<'_, str> {
    crate::printable(b)
}

/// End of a name starting at `from`: the first byte for which `stop` holds that is not
/// escaped by a backslash (a backslash takes the next byte with it, whatever it is).
pub(super) fn scan_name(line: &[u8], from: usize, stop: impl Fn(u8) -> bool) -> usize {
    let mut i = from;
    while i < line.len() {
        let b = line[i];
        if b == b'\\' {
            i += 2;
            continue;
        }
        if stop(b) {
            return i;
        }
        i += 1;
    }
    line.len()
}

pub(super) fn check_backslash(name: &[u8], at: usize, what: &str) -> Result<(), ParseError> {
    if let Some(p) = name.iter().position(|&b| b < 0x20 || b == 0x7F) {
        return Err(err(
            ErrorKind::ControlCharacter,
            at + p,
            format!(
                "{what} `{}` contains a control character (byte 0x{:02x}), which servers refuse or read as a separator: remove it",
                show(name),
                name[p]
            ),
        ));
    }
    if name.last() == Some(&b'\\') {
        return Err(err(
            ErrorKind::EndsInBackslash,
            at,
            format!(
                "{what} `{}` ends in a backslash, which servers read differently: remove it",
                show(name)
            ),
        ));
    }
    Ok(())
}

pub(super) fn skip_spaces(line: &[u8], mut i: usize) -> usize {
    while i < line.len() && line[i] == b' ' {
        i += 1;
    }
    i
}

pub(super) fn find_unescaped(s: &[u8], needle: u8) -> Option<usize> {
    let end = scan_name(s, 0, |b| b == needle);
    (end < s.len()).then_some(end)
}

pub(super) fn split_unescaped(s: &[u8], sep: u8) -> impl Iterator<Item = &[u8]> {
    let mut pos = 0;
    let mut done = s.is_empty();
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let end = scan_name(s, pos, |b| b == sep);
        let item = &s[pos..end];
        if end >= s.len() {
            done = true;
        }
        pos = end + 1;
        Some(item)
    })
}

pub(super) fn as_str(s: &[u8]) -> &str {
    std::str::from_utf8(s).unwrap_or("")
}

pub(super) fn parse_i64(s: &[u8]) -> Option<i64> {
    std::str::from_utf8(s).ok()?.parse().ok()
}
