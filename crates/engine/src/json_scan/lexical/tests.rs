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
