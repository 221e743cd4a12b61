//! The vector fast paths of the string scan against the byte-by-byte code, on random
//! inputs rich in the bytes they look for, at every offset.

use super::*;
use proptest::prelude::*;

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(b"\"\\\"\\a\x1f\x00\n\x7f\x80\xc3\xa9\xff".to_vec()),
            2 => prop::sample::select(b"abc ".to_vec()),
        ],
        0..200,
    )
}

proptest! {
    #[test]
    fn string_end_matches_the_search(s in bytes()) {
        for i in 0..s.len() {
            prop_assert_eq!(string_end(&s, i), search_string_end(&s, i, i + 1), "at {}", i);
        }
    }

    #[test]
    fn check_string_matches_the_byte_check(s in bytes()) {
        for start in 0..=s.len() {
            for end in start..=s.len() {
                prop_assert_eq!(
                    check_string(&s, start, end),
                    check_string_bytes(&s, start, end),
                    "{}..{}", start, end
                );
            }
        }
    }
}

/// Strings ending at every position of inputs of every length up to 70, each in an
/// allocation of exactly its size: no window is read past the end (memcheck, `valgrind`
/// on this test, reports one), and the vector paths agree with the byte-by-byte code,
/// with the special byte (quote, backslash, control, non-ASCII, a split UTF-8 sequence)
/// at every place, window edges included.
#[test]
fn windows_stay_inside_exact_allocations() {
    for len in 1..=70usize {
        for special in [&b"\""[..], b"\\\"", b"\x01", b"\xc3\xa9", b"\xc3", b"\xff"] {
            for at in 1..len {
                let mut v = vec![b'a'; len];
                v[0] = b'"';
                for (k, &b) in special.iter().enumerate() {
                    if let Some(x) = v.get_mut(at + k) {
                        *x = b;
                    }
                }
                let s: Box<[u8]> = v.into();
                assert_eq!(string_end(&s, 0), search_string_end(&s, 0, 1), "{len} {at}");
                for start in 0..=len {
                    assert_eq!(
                        check_string(&s, start, len),
                        check_string_bytes(&s, start, len),
                        "{len} {at} {start}"
                    );
                }
            }
        }
    }
}

/// String text rich in what the vector scan looks for: escapes (`\\\"` among them),
/// quotes, controls, multi-byte UTF-8 (whole and cut), invalid bytes, runs of plain text
/// that move the rest across the 16-byte window.
fn string_text() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop::sample::select(vec![
            &b"a"[..],
            b"abcdefghijklmno",
            b"\\\"",
            b"\\\\",
            b"\\\\\\\"",
            b"\\n",
            b"\\/",
            b"\\u00e9",
            b"\\ud83d\\ude00",
            b"\\ud800",
            b"\\x",
            b"\"",
            b"\x01",
            b"\x1f",
            b"\x7f",
            "\u{e9}".as_bytes(),
            "\u{20ac}".as_bytes(),
            b"\xe2\x82",
            b"\xff",
        ]),
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    /// A row whose value (after keys of 0 to 20 bytes, so at every alignment) is a random
    /// string: the scanner accepts it exactly when serde_json does, and decodes the same
    /// text.
    #[test]
    fn strings_read_as_serde_json_reads_them(pad in 0usize..20, text in string_text()) {
        let mut row = format!("{{\"{}\":\"", "k".repeat(pad)).into_bytes();
        row.extend_from_slice(&text);
        row.extend_from_slice(b"\"}");
        let oracle = serde_json::from_slice::<serde_json::Value>(&row).ok().map(|v| {
            v.as_object().and_then(|m| m.values().next()).and_then(|v| v.as_str()).map(str::to_owned)
        });
        let ours = super::super::record::read_row(&row).ok().map(|m| match m.as_slice() {
            [(_, super::super::record::Value::Str(s))] => Some(s.clone()),
            _ => None,
        });
        prop_assert_eq!(ours, oracle, "{:?}", String::from_utf8_lossy(&row));
    }
}
