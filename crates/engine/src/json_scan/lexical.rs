//! The lexical layer of the scanner: blanks, strings (with their checks and unescaping),
//! numbers and literals.

use super::{fail, Res};
use lpconvert_lp::simd::{self, Class};
use std::ops::Range;

#[cfg(test)]
mod tests;

#[inline]
pub(super) fn ws(s: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\r' | b'\n') = s.get(i) {
        i += 1;
    }
    i
}

/// The bytes that end a plain run of string text: the quote and the backslash.
const STOPS: Class<'static> = Class {
    eq: b"\"\\",
    below: 0,
    high: false,
};

/// The bytes that send a string to the full check: controls and non-ASCII bytes.
const UNUSUAL: Class<'static> = Class {
    eq: &[],
    below: 0x20,
    high: true,
};

/// Finds the end of a string whose opening quote is at `i`: returns (index of the closing
/// quote, has escapes). Most strings end within 16 bytes: one vector compare finds the
/// quote without a search call.
#[inline]
pub(super) fn string_end(s: &[u8], i: usize) -> Res<(usize, bool)> {
    let mut p = i + 1;
    if let Some(w) = simd::window16(s, p) {
        let stops = simd::mask16(w, STOPS);
        if stops == 0 {
            p += 16;
        } else {
            let o = p + stops.trailing_zeros() as usize;
            if s[o] == b'"' {
                return Ok((o, false));
            }
        }
    }
    search_string_end(s, i, p)
}

/// [`string_end`] by searching from `p` (after the opening quote at `i`, in plain text).
fn search_string_end(s: &[u8], i: usize, mut p: usize) -> Res<(usize, bool)> {
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

/// True when `s[start..end]` has no control or non-ASCII byte, 16 bytes at a time (the
/// last window may overlap the one before it); `None` when a string shorter than 16 bytes
/// has no full window in `s` (the caller checks it byte by byte).
#[inline]
fn plain_ascii(s: &[u8], start: usize, end: usize) -> Option<bool> {
    let mut p = start;
    while p < end {
        let w = match simd::window16(s, p) {
            Some(w) => w,
            None if end - start >= 16 => {
                p = end - 16;
                simd::window16(s, p)?
            }
            None => return None,
        };
        let mut m = simd::mask16(w, UNUSUAL);
        if end - p < 16 {
            m &= (1u32 << (end - p)) - 1;
        }
        if m != 0 {
            return Some(false);
        }
        p += 16;
    }
    Some(true)
}

/// Checks an extracted string's raw content: no raw control characters (RFC 8259 wants
/// them escaped) and valid UTF-8.
pub(super) fn check_string(s: &[u8], start: usize, end: usize) -> Res<()> {
    if plain_ascii(s, start, end) == Some(true) {
        return Ok(());
    }
    check_string_bytes(s, start, end)
}

/// [`check_string`] byte by byte.
fn check_string_bytes(s: &[u8], start: usize, end: usize) -> Res<()> {
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
pub(super) fn number_end(s: &[u8], i: usize) -> Res<usize> {
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

pub(super) fn literal(s: &[u8], i: usize, word: &[u8]) -> Res<usize> {
    if s.get(i..i + word.len()) == Some(word) {
        Ok(i + word.len())
    } else {
        fail(i, "invalid literal (expected true, false or null)")
    }
}
