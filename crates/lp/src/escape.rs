//! Escaping of each line protocol element, as LINE-PROTOCOL.md specifies.
//!
//! Measurement: comma and space. Tag keys, tag values and field keys: comma, `=` and space.
//! String field values: `"` and `\`. Nothing else is escaped; backslashes outside strings
//! are written as they are.

use crate::simd::{self, Class};
use std::fmt;

/// Why a name (measurement, tag key, tag value, field key) cannot be written portably.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    /// The name is empty.
    Empty,
    /// The name contains a line feed or carriage return, which cannot be escaped.
    Newline,
    /// The name ends in a backslash, which every parser reads as an escape.
    TrailingBackslash,
    /// A backslash stands right before a byte that must be escaped (`a\ b`): the written
    /// `\\ ` reads differently in the Go and Rust parsers.
    BackslashBeforeEscape,
    /// A measurement starting with `#` makes the line a comment.
    CommentStart,
    /// A measurement starting with U+FEFF: on the first line of a file it reads as a byte
    /// order mark, which `check` and `replay` skip, so the name would change.
    ByteOrderMark,
    /// The bytes are not valid UTF-8, which line protocol requires.
    NotUtf8,
    /// Two backslashes in a row: InfluxDB 1.x/2.x keep both, InfluxDB 3 reads one.
    BackslashRun,
    /// A control character (tab, NUL, ...): InfluxDB 3 refuses it, others read it as a separator.
    ControlChar,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameError::Empty => "is empty",
            NameError::Newline => "contains a newline, which line protocol cannot escape in names",
            NameError::TrailingBackslash => {
                "ends in a backslash, which line protocol cannot represent in names"
            }
            NameError::BackslashBeforeEscape => {
                "has a backslash before a comma, space or `=`, which line protocol cannot represent portably in names"
            }
            NameError::CommentStart => "starts with `#`, which would make the line a comment",
            NameError::ByteOrderMark => {
                "starts with a byte order mark (U+FEFF), which check and replay skip at the start of a file, changing the name: remove it"
            }
            NameError::NotUtf8 => "is not valid UTF-8 (convert the file to UTF-8 first)",
            NameError::ControlChar => {
                "contains a control character (tab, NUL, ...), which line protocol cannot represent in names"
            }
            NameError::BackslashRun => {
                "has two backslashes in a row, which InfluxDB 1.x/2.x and InfluxDB 3 read differently in names"
            }
        })
    }
}

/// U+FEFF in UTF-8.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Checks that `name` can be written as a tag key, tag value or field key.
#[inline]
pub fn check_name(name: &[u8]) -> Result<(), NameError> {
    write_checked(&mut Vec::new(), name, &KEY_CLASS)
}

/// Checks that `name` can be written as a measurement.
#[inline]
pub fn check_measurement(name: &[u8]) -> Result<(), NameError> {
    write_checked(&mut Vec::new(), name, &MEASUREMENT_CLASS)
}

const fn table(special: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < special.len() {
        t[special[i] as usize] = true;
        i += 1;
    }
    t
}

static MEASUREMENT: [bool; 256] = table(b", ");
static KEY: [bool; 256] = table(b",= ");
static STRING: [bool; 256] = table(b"\"\\");

#[inline]
fn write_escaped(out: &mut Vec<u8>, s: &[u8], special: &[bool; 256]) {
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        if special[b as usize] {
            out.extend_from_slice(&s[start..i]);
            out.push(b'\\');
            start = i;
        }
    }
    out.extend_from_slice(&s[start..]);
}

/// Byte classes for the fused check-and-escape of names: 1 = escape, 2 = newline.
const fn classes(special: &[u8]) -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < special.len() {
        t[special[i] as usize] = 1;
        i += 1;
    }
    let mut c = 0;
    while c < 0x20 {
        t[c] = 5;
        c += 1;
    }
    t[0x7F] = 5;
    t[b'\n' as usize] = 2;
    t[b'\r' as usize] = 2;
    let mut b = 0x80;
    while b < 256 {
        t[b] = 4;
        b += 1;
    }
    t
}

static KEY_CLASS: [u8; 256] = classes(b",= ");
static MEASUREMENT_CLASS: [u8; 256] = measurement_classes();

/// Measurement classes: like keys but `=` is plain and a leading `#` (class 3) is refused.
const fn measurement_classes() -> [u8; 256] {
    let mut t = classes(b", ");
    t[b'#' as usize] = 3;
    t
}

/// `b` in every byte of a word.
#[inline(always)]
const fn splat(b: u8) -> u64 {
    (b as u64) * 0x0101_0101_0101_0101
}

/// The high bit of each byte of `x` that is zero, exactly.
#[inline(always)]
const fn zero_bytes(x: u64) -> u64 {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    !(((x & LOW7) + LOW7) | x) & !LOW7
}

/// The bytes that send a name to the full check: those [`is_plain`] refuses.
const UNPLAIN: Class<'static> = Class {
    eq: b"\\,= \x7f",
    below: 0x20,
    high: true,
};

/// True when no byte of `s` needs escaping or is refused (`=` counts for measurements
/// too: it only sends them to the full check). 16 bytes at a time when there are that
/// many (the last window overlaps the one before), else eight bytes at a time, then the
/// tail through the class table.
#[inline(always)]
fn is_plain(s: &[u8], class: &[u8; 256]) -> bool {
    if s.len() >= 16 {
        let last = s.len() - 16;
        let mut p = 0;
        loop {
            let Some(w) = simd::window16(s, p.min(last)) else {
                return false;
            };
            if simd::mask16(w, UNPLAIN) != 0 {
                return false;
            }
            if p >= last {
                return true;
            }
            p += 16;
        }
    }
    let mut words = s.chunks_exact(8);
    for w in &mut words {
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        let x = u64::from_le_bytes(a);
        let hit = (x & splat(0x80))
            | zero_bytes(x & splat(0xE0))
            | zero_bytes(x ^ splat(0x7F))
            | zero_bytes(x ^ splat(b'\\'))
            | zero_bytes(x ^ splat(b','))
            | zero_bytes(x ^ splat(b' '))
            | zero_bytes(x ^ splat(b'='))
            | zero_bytes(x ^ splat(b'\n'))
            | zero_bytes(x ^ splat(b'\r'));
        if hit != 0 {
            return false;
        }
    }
    words
        .remainder()
        .iter()
        .all(|&b| (class[b as usize] == 0 || class[b as usize] == 3) && b != b'\\')
}

#[inline]
fn write_checked(out: &mut Vec<u8>, s: &[u8], class: &[u8; 256]) -> Result<(), NameError> {
    write_checked_with(out, s, class, true)
}

/// [`write_checked`], with the plain-name shortcut or (tests) without it.
#[inline(always)]
fn write_checked_with(
    out: &mut Vec<u8>,
    s: &[u8],
    class: &[u8; 256],
    shortcut: bool,
) -> Result<(), NameError> {
    match s.last() {
        None => return Err(NameError::Empty),
        Some(b'\\') => return Err(NameError::TrailingBackslash),
        _ => {}
    }
    if class[b'#' as usize] == 3 {
        if s[0] == b'#' {
            return Err(NameError::CommentStart);
        }
        if s.starts_with(BOM) {
            return Err(NameError::ByteOrderMark);
        }
    }
    if shortcut && is_plain(s, class) {
        out.extend_from_slice(s);
        return Ok(());
    }
    if !s.is_ascii() && std::str::from_utf8(s).is_err() {
        return Err(NameError::NotUtf8);
    }
    if s.windows(2).any(|w| w == b"\\\\") {
        return Err(NameError::BackslashRun);
    }
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        let c = class[b as usize];
        if c == 1 || c == 2 || c == 5 {
            if c == 2 {
                return Err(NameError::Newline);
            }
            if c == 5 {
                return Err(NameError::ControlChar);
            }
            if i > 0 && s[i - 1] == b'\\' {
                return Err(NameError::BackslashBeforeEscape);
            }
            out.extend_from_slice(&s[start..i]);
            out.push(b'\\');
            start = i;
        }
    }
    out.extend_from_slice(&s[start..]);
    Ok(())
}

/// Checks a tag key, tag value or field key: `Ok(true)` when it can be copied as it is,
/// `Ok(false)` when it needs escaping (use [`write_key_checked`]).
#[inline]
pub fn key_is_plain(name: &[u8]) -> Result<bool, NameError> {
    match name.last() {
        None => Err(NameError::Empty),
        Some(b'\\') => Err(NameError::TrailingBackslash),
        Some(_) => Ok(is_plain(name, &KEY_CLASS)),
    }
}

/// Checks a tag key, tag value or field key with [`check_name`] and appends it escaped.
/// On error, `out` may hold part of the name: the caller drops the line.
#[inline]
pub fn write_key_checked(out: &mut Vec<u8>, name: &[u8]) -> Result<(), NameError> {
    write_checked(out, name, &KEY_CLASS)
}

/// Checks a measurement with [`check_name`] and appends it escaped (see [`write_key_checked`]).
#[inline]
pub fn write_measurement_checked(out: &mut Vec<u8>, name: &[u8]) -> Result<(), NameError> {
    write_checked(out, name, &MEASUREMENT_CLASS)
}

/// Appends a measurement name, escaping comma and space. The caller checks it with
/// [`check_name`] first.
#[inline]
pub fn write_measurement(out: &mut Vec<u8>, name: &[u8]) {
    write_escaped(out, name, &MEASUREMENT);
}

/// Appends a tag key, tag value or field key, escaping comma, `=` and space.
#[inline]
pub fn write_key(out: &mut Vec<u8>, name: &[u8]) {
    write_escaped(out, name, &KEY);
}

/// Appends a string field value with its quotes, escaping `"` and `\`. With
/// `escape_newlines`, LF and CR are written as `\n` and `\r`.
#[inline]
pub fn write_string_value(out: &mut Vec<u8>, s: &[u8], escape_newlines: bool) {
    out.push(b'"');
    if escape_newlines {
        for &b in s {
            match b {
                b'"' | b'\\' => out.extend_from_slice(&[b'\\', b]),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                _ => out.push(b),
            }
        }
    } else {
        write_escaped(out, s, &STRING);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(f: fn(&mut Vec<u8>, &[u8]), s: &str) -> String {
        let mut v = Vec::new();
        f(&mut v, s.as_bytes());
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn measurement_escapes_comma_and_space_only() {
        assert_eq!(esc(write_measurement, "my meas,x=y"), "my\\ meas\\,x=y");
        assert_eq!(esc(write_measurement, "\"cpu\""), "\"cpu\"");
        assert_eq!(esc(write_measurement, "a\\b"), "a\\b");
    }

    #[test]
    fn keys_escape_comma_equals_space() {
        assert_eq!(esc(write_key, "Living Room"), "Living\\ Room");
        assert_eq!(esc(write_key, "a=b,c d"), "a\\=b\\,c\\ d");
        assert_eq!(esc(write_key, "va\\lue\"q"), "va\\lue\"q");
        assert_eq!(esc(write_key, "ünï cödé"), "ünï\\ cödé");
    }

    #[test]
    fn string_values_escape_quote_and_backslash() {
        let mut v = Vec::new();
        write_string_value(&mut v, b"say \"hi\" \\ ok, x=1", false);
        assert_eq!(v, b"\"say \\\"hi\\\" \\\\ ok, x=1\"");
        v.clear();
        write_string_value(&mut v, b"a\nb\r", true);
        assert_eq!(v, b"\"a\\nb\\r\"");
        v.clear();
        write_string_value(&mut v, b"a\nb", false);
        assert_eq!(v, b"\"a\nb\"");
    }

    #[test]
    fn checked_writers_agree_with_check_name() {
        for s in ["", "a\\", "a\nb", "a\rb", "a b,c=d", "x\\y"] {
            let mut v = Vec::new();
            let r = write_key_checked(&mut v, s.as_bytes());
            assert_eq!(r, check_name(s.as_bytes()), "{s:?}");
            if r.is_ok() {
                assert_eq!(String::from_utf8(v).unwrap(), esc(write_key, s));
            }
            let mut v = Vec::new();
            let r = write_measurement_checked(&mut v, s.as_bytes());
            assert_eq!(r, check_measurement(s.as_bytes()), "{s:?}");
            if r.is_ok() {
                assert_eq!(String::from_utf8(v).unwrap(), esc(write_measurement, s));
            }
        }
    }

    fn name_bytes() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        prop::collection::vec(
            prop_oneof![
                3 => prop::sample::select(b",= \\#\n\r\t\x00\x7f\x80\xc3\xa9\xef\xbb\xbf".to_vec()),
                4 => prop::sample::select(b"abcXYZ019_-.".to_vec()),
            ],
            0..200,
        )
    }

    proptest::proptest! {
        /// The vector (or word) shortcut for plain names changes nothing: every suffix
        /// of a random name (so every alignment) writes and fails as the full check does.
        #[test]
        fn plain_shortcut_changes_nothing(s in name_bytes()) {
            for at in 0..=s.len() {
                let name = &s[at..];
                for class in [&KEY_CLASS, &MEASUREMENT_CLASS] {
                    let (mut fast, mut full) = (Vec::new(), Vec::new());
                    let r = write_checked_with(&mut fast, name, class, true);
                    proptest::prop_assert_eq!(r, write_checked_with(&mut full, name, class, false));
                    if r.is_ok() {
                        proptest::prop_assert_eq!(&fast, &full);
                    }
                }
                if key_is_plain(name) == Ok(true) {
                    let mut full = Vec::new();
                    proptest::prop_assert!(write_checked_with(&mut full, name, &KEY_CLASS, false).is_ok());
                    proptest::prop_assert_eq!(&full, name);
                }
            }
        }
    }

    /// Names of every length up to 70 (16, 17, 31, 32 and 64 among them), each in an
    /// allocation of exactly its size, with each byte the shortcut refuses at every place
    /// (the last one included): the shortcut agrees with the full check, and reads nothing
    /// past the name (memcheck, `valgrind` on this test, reports a read past it).
    #[test]
    fn plain_shortcut_at_every_place_of_exact_allocations() {
        for len in 1..=70usize {
            for &special in b"\\,= \x7f\x1f\x00\n\r\x80\xff#" {
                for at in 0..len {
                    let mut v = vec![b'a'; len];
                    v[at] = special;
                    let name: Box<[u8]> = v.into();
                    for class in [&KEY_CLASS, &MEASUREMENT_CLASS] {
                        let (mut fast, mut full) = (Vec::new(), Vec::new());
                        let r = write_checked_with(&mut fast, &name, class, true);
                        assert_eq!(r, write_checked_with(&mut full, &name, class, false));
                        assert_eq!(fast, full, "{len} {at} {special}");
                        // `#` inside a name, and `=` in a measurement, need nothing.
                        let plain = special == b'#'
                            || (special == b'=' && std::ptr::eq(class, &MEASUREMENT_CLASS));
                        if !plain {
                            assert!(!is_plain(&name, class), "{len} {at} {special}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn names_that_cannot_be_written() {
        assert_eq!(check_name(b""), Err(NameError::Empty));
        assert_eq!(check_name(b"a\\"), Err(NameError::TrailingBackslash));
        assert_eq!(check_name(b"a\nb"), Err(NameError::Newline));
        assert_eq!(check_name(b"a\rb"), Err(NameError::Newline));
        assert_eq!(check_name(b"a\\b"), Ok(()));
        assert_eq!(check_name(b"a\\\\b"), Err(NameError::BackslashRun));
        assert_eq!(check_name(b"C:\\Users\\a long value"), Ok(()));
        assert_eq!(
            check_name(b"a long value\\\\b"),
            Err(NameError::BackslashRun)
        );
        assert_eq!(check_name(b"a\\ b"), Err(NameError::BackslashBeforeEscape));
        assert_eq!(check_name(b"a\\,b"), Err(NameError::BackslashBeforeEscape));
        assert_eq!(check_name(b"a\\=b"), Err(NameError::BackslashBeforeEscape));
        assert_eq!(check_name(b"#a"), Ok(()));
        assert_eq!(check_measurement(b"#cpu"), Err(NameError::CommentStart));
        assert_eq!(check_name(b"a\tb"), Err(NameError::ControlChar));
        assert_eq!(
            check_name(b"a long value with a\0 NUL"),
            Err(NameError::ControlChar)
        );
        assert_eq!(check_measurement(b"\tcpu"), Err(NameError::ControlChar));
        assert_eq!(check_name("ünï cödé".as_bytes()), Ok(()));
        assert_eq!(check_name(b"caf\xe9"), Err(NameError::NotUtf8));
        assert_eq!(
            check_name(b"long enough caf\xe9 value"),
            Err(NameError::NotUtf8)
        );
        assert_eq!(check_measurement(b"c#pu"), Ok(()));
        assert_eq!(
            check_measurement("\u{feff}cpu".as_bytes()),
            Err(NameError::ByteOrderMark)
        );
        assert_eq!(check_measurement("c\u{feff}pu".as_bytes()), Ok(()));
        assert_eq!(check_name("\u{feff}k".as_bytes()), Ok(()));
        assert_eq!(check_measurement(b"m\\=x"), Ok(()));
        assert_eq!(
            check_measurement(b"m\\ x"),
            Err(NameError::BackslashBeforeEscape)
        );
    }
}
