//! [`printable`]: bytes from the data shown in a message without letting them act on the
//! terminal.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `bytes` as text safe to print: control characters (C0, DEL, C1) are written `\xNN`
/// (`\u{NN}` for C1), bytes that are not UTF-8 `\xNN`; everything else as it is.
/// Borrows when nothing needs escaping.
pub fn printable(bytes: &[u8]) -> Cow<'_, str> {
    let clean = |s: &str| !s.chars().any(char::is_control);
    if let Ok(s) = std::str::from_utf8(bytes) {
        if clean(s) {
            return Cow::Borrowed(s);
        }
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                c if (c as u32) < 0x80 && c.is_control() => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c if c.is_control() => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_bytes_are_escaped() {
        assert_eq!(printable(b"plain text"), "plain text");
        assert_eq!(printable(b"a\x1b[31mb"), "a\\x1b[31mb");
        assert_eq!(printable(b"t\tx\n\x7f"), "t\\x09x\\x0a\\x7f");
        assert_eq!(printable("c1\u{9b}".as_bytes()), "c1\\u{9b}");
        assert_eq!(printable(b"bad\xff\xfe"), "bad\\xff\\xfe");
        assert_eq!(printable("Zürich".as_bytes()), "Zürich");
    }
}
