//! [`printable`]: bytes from the data shown in a message without letting them act on the
//! terminal.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters that show nothing or reorder the terminal line: the soft hyphen, zero-width
/// and direction marks, bidirectional embeddings, overrides and isolates, word joiners, and
/// U+FEFF (a byte order mark).
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// `bytes` as text safe to print: control characters (C0, DEL, C1) are written `\xNN`
/// (`\u{NN}` for C1 and for the invisible characters of `invisible`), bytes that are not
/// UTF-8 `\xNN`; everything else as it is.
/// Borrows when nothing needs escaping.
pub fn printable(bytes: &[u8]) -> Cow<'_, str> {
    let clean = |s: &str| !s.chars().any(|c| c.is_control() || invisible(c));
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
                c if c.is_control() || invisible(c) => {
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

    #[test]
    fn invisible_and_bidi_characters_are_escaped() {
        // A byte order mark or a zero-width space is invisible in a message; a
        // right-to-left override reorders the rest of the terminal line.
        assert_eq!(printable("\u{feff}time".as_bytes()), "\\u{feff}time");
        assert_eq!(printable("a\u{200b}b".as_bytes()), "a\\u{200b}b");
        assert_eq!(
            printable("x\u{202e}gpj.exe".as_bytes()),
            "x\\u{202e}gpj.exe"
        );
        assert_eq!(printable("\u{2066}".as_bytes()), "\\u{2066}");
        assert_eq!(printable("é ü ✓".as_bytes()), "é ü ✓");
    }
}
