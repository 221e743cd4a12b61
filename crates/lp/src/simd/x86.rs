//! SSE2 classification (part of the x86-64 baseline).

use super::Class;
use std::arch::x86_64::{
    __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
    _mm_set1_epi8, _mm_setzero_si128,
};

#[inline]
#[target_feature(enable = "sse2")]
fn load16(w: &[u8]) -> __m128i {
    assert!(w.len() >= 16);
    // SAFETY: `w` has at least 16 readable bytes (asserted above; the callers pass fixed
    // arrays, so the check folds away); `loadu` has no alignment requirement; SSE2 is part
    // of the x86-64 baseline.
    unsafe { _mm_loadu_si128(w.as_ptr().cast()) }
}

/// Bits of the bytes of `v` equal to `n`.
#[inline]
#[target_feature(enable = "sse2")]
fn eq(v: __m128i, n: u8) -> u32 {
    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(n as i8))) as u32
}

/// [`super::eq3_64`] with SSE2: four 16-byte loads.
#[inline]
#[target_feature(enable = "sse2")]
pub(super) fn eq3_64_sse2(block: &[u8; 64], a: u8, b: u8, c: u8) -> [u64; 3] {
    let mut m = [0u64; 3];
    for k in 0..4 {
        let v = load16(&block[16 * k..]);
        m[0] |= u64::from(eq(v, a)) << (16 * k);
        m[1] |= u64::from(eq(v, b)) << (16 * k);
        m[2] |= u64::from(eq(v, c)) << (16 * k);
    }
    m
}

/// [`super::mask16`] with SSE2.
#[inline]
#[target_feature(enable = "sse2")]
pub(super) fn mask16(w: &[u8; 16], class: Class<'_>) -> u32 {
    let v = load16(w);
    let mut hits = _mm_setzero_si128();
    for &n in class.eq {
        hits = _mm_or_si128(hits, _mm_cmpeq_epi8(v, _mm_set1_epi8(n as i8)));
    }
    if class.below > 0 {
        // v <= below - 1 exactly when min(v, below - 1) == v (unsigned).
        let top = _mm_set1_epi8((class.below - 1) as i8);
        hits = _mm_or_si128(hits, _mm_cmpeq_epi8(_mm_min_epu8(v, top), v));
    }
    let mut m = _mm_movemask_epi8(hits) as u32;
    if class.high {
        m |= _mm_movemask_epi8(v) as u32;
    }
    m
}
