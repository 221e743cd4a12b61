//! NEON classification (part of the aarch64 baseline).

use super::Class;
use std::arch::aarch64::{
    uint8x16_t, vaddv_u8, vandq_u8, vceqq_u8, vcgeq_u8, vcltq_u8, vdupq_n_u8, vget_high_u8,
    vget_low_u8, vld1q_u8, vorrq_u8,
};

#[inline]
#[target_feature(enable = "neon")]
fn load16(w: &[u8]) -> uint8x16_t {
    assert!(w.len() >= 16);
    // SAFETY: `w` has at least 16 readable bytes (asserted above; the callers pass fixed
    // arrays, so the check folds away); NEON is part of the aarch64 baseline.
    unsafe { vld1q_u8(w.as_ptr()) }
}

/// One bit per byte of a compare result (all-ones or zero bytes).
#[inline]
#[target_feature(enable = "neon")]
fn movemask(v: uint8x16_t) -> u32 {
    const BITS: [u8; 16] = [1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128];
    let m = vandq_u8(v, load16(&BITS));
    u32::from(vaddv_u8(vget_low_u8(m))) | (u32::from(vaddv_u8(vget_high_u8(m))) << 8)
}

/// [`super::eq3_64`] with NEON: four 16-byte loads.
#[inline]
#[target_feature(enable = "neon")]
pub(super) fn eq3_64(block: &[u8; 64], a: u8, b: u8, c: u8) -> [u64; 3] {
    let (na, nb, nc) = (vdupq_n_u8(a), vdupq_n_u8(b), vdupq_n_u8(c));
    let mut m = [0u64; 3];
    for k in 0..4 {
        let v = load16(&block[16 * k..]);
        m[0] |= u64::from(movemask(vceqq_u8(v, na))) << (16 * k);
        m[1] |= u64::from(movemask(vceqq_u8(v, nb))) << (16 * k);
        m[2] |= u64::from(movemask(vceqq_u8(v, nc))) << (16 * k);
    }
    m
}

/// [`super::mask16`] with NEON.
#[inline]
#[target_feature(enable = "neon")]
pub(super) fn mask16(w: &[u8; 16], class: Class<'_>) -> u32 {
    let v = load16(w);
    let mut hits = vdupq_n_u8(0);
    for &n in class.eq {
        hits = vorrq_u8(hits, vceqq_u8(v, vdupq_n_u8(n)));
    }
    if class.below > 0 {
        hits = vorrq_u8(hits, vcltq_u8(v, vdupq_n_u8(class.below)));
    }
    if class.high {
        hits = vorrq_u8(hits, vcgeq_u8(v, vdupq_n_u8(0x80)));
    }
    movemask(hits)
}
