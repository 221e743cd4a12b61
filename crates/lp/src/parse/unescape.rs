//! Unescaping the escaped slices of a parsed [`Line`](super::Line): for the tests that check
//! what the parser returns, and for `verify`, which compares points with a server's answers.

use std::borrow::Cow;

/// Unescapes a measurement (`\,` and `\ `).
pub fn unescape_measurement(raw: &[u8]) -> Cow<'_, [u8]> {
    unescape(raw, b", ")
}

/// Unescapes a tag key, tag value or field key (`\,`, `\=`, `\ `).
pub fn unescape_key(raw: &[u8]) -> Cow<'_, [u8]> {
    unescape(raw, b",= ")
}

/// Unescapes a string field value (`\"` and `\\`).
pub fn unescape_string(raw: &[u8]) -> Cow<'_, [u8]> {
    unescape(raw, b"\"\\")
}

fn unescape<'a>(raw: &'a [u8], specials: &[u8]) -> Cow<'a, [u8]> {
    if memchr::memchr(b'\\', raw).is_none() {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' && i + 1 < raw.len() {
            if specials.contains(&raw[i + 1]) {
                out.push(raw[i + 1]);
            } else {
                out.extend_from_slice(&raw[i..i + 2]);
            }
            i += 2;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}
