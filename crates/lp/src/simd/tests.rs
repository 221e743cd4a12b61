//! The vector paths against the portable code, on random bytes rich in the special ones.

use super::*;
use proptest::prelude::*;

/// Bytes drawn mostly from the ones the callers look for, plus any byte.
fn byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        prop::sample::select(b",;\t\"\\\n\r =#\x00\x1f\x20\x7f\x80\xff".to_vec()),
        any::<u8>(),
    ]
}

const CLASSES: [Class<'static>; 4] = [
    Class {
        eq: b"\"\\",
        below: 0,
        high: false,
    },
    Class {
        eq: &[],
        below: 0x20,
        high: true,
    },
    Class {
        eq: b"\\,= \x7f",
        below: 0x20,
        high: true,
    },
    Class {
        eq: b"\x00\xff",
        below: 1,
        high: false,
    },
];

proptest! {
    #[test]
    fn eq3_matches_portable(
        data in prop::collection::vec(byte(), 0..200),
        needles in prop::array::uniform3(byte()),
    ) {
        let [a, b, c] = needles;
        for at in 0..=data.len() {
            let got = eq3_at(&data, at, a, b, c);
            let mut want = [0u64; 3];
            for (i, &x) in data[at..].iter().take(64).enumerate() {
                want[0] |= u64::from(x == a) << i;
                want[1] |= u64::from(x == b) << i;
                want[2] |= u64::from(x == c) << i;
            }
            prop_assert_eq!(got, want, "at {}", at);
            prop_assert_eq!(portable::eq3_at(&data, at, a, b, c), want, "at {}", at);
            if let Some(block) = data.get(at..at + 64) {
                let block: &[u8; 64] = block.try_into().unwrap();
                prop_assert_eq!(portable::eq3_64(block, a, b, c), want);
                #[cfg(target_arch = "x86_64")]
                {
                    // SAFETY: SSE2 is part of the x86-64 baseline.
                    prop_assert_eq!(unsafe { x86::eq3_64_sse2(block, a, b, c) }, want);
                }
            }
        }
    }

    #[test]
    fn mask16_matches_portable(data in prop::collection::vec(byte(), 0..200)) {
        for at in 0..=data.len() {
            let Some(w) = window16(&data, at) else {
                prop_assert!(data.len() - at < 16);
                continue;
            };
            for class in CLASSES {
                prop_assert_eq!(mask16(w, class), portable::mask16(w, class), "at {}", at);
            }
        }
    }
}

#[test]
fn every_byte_in_every_lane() {
    for class in CLASSES {
        for x in 0..=255u8 {
            for lane in 0..16 {
                let mut w = [b'a'; 16];
                w[lane] = x;
                assert_eq!(mask16(&w, class), portable::mask16(&w, class), "{x} {lane}");
            }
        }
    }
    for x in 0..=255u8 {
        let mut block = [x; 64];
        block[63] = x.wrapping_add(1);
        assert_eq!(
            eq3_64(&block, x, 0, x.wrapping_add(1)),
            portable::eq3_64(&block, x, 0, x.wrapping_add(1))
        );
    }
}

/// Every length from 0 to 130, each in an allocation of exactly that size (a `Box<[u8]>`),
/// read at every offset: a load past the end of the data would read past the allocation,
/// which memcheck (`valgrind` on this test) reports. The results agree with the portable
/// code as well.
#[test]
fn loads_stay_inside_exact_allocations() {
    for len in 0..=130usize {
        let data: Box<[u8]> = (0..len).map(|i| b",\n\"\\\x00\xffa"[i % 7]).collect();
        for at in 0..=len + 1 {
            assert_eq!(
                eq3_at(&data, at, b',', b'\n', b'"'),
                portable::eq3_at(&data, at, b',', b'\n', b'"'),
                "len {len} at {at}"
            );
            if let Some(w) = window16(&data, at) {
                for class in CLASSES {
                    assert_eq!(mask16(w, class), portable::mask16(w, class));
                }
            } else {
                assert!(at + 16 > len);
            }
        }
    }
}
