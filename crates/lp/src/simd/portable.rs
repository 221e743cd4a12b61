//! The portable classification, one byte at a time: the reference of the vector paths and
//! the code of targets without them.

use super::Class;

/// [`super::eq3_64`] without vector instructions.
pub fn eq3_64(block: &[u8; 64], a: u8, b: u8, c: u8) -> [u64; 3] {
    let mut m = [0u64; 3];
    for (i, &x) in block.iter().enumerate() {
        m[0] |= u64::from(x == a) << i;
        m[1] |= u64::from(x == b) << i;
        m[2] |= u64::from(x == c) << i;
    }
    m
}

/// [`super::eq3_at`] without vector instructions.
pub fn eq3_at(s: &[u8], at: usize, a: u8, b: u8, c: u8) -> [u64; 3] {
    super::block_at(s, at, |block| eq3_64(block, a, b, c))
}

/// [`super::mask16`] without vector instructions.
#[inline]
pub fn mask16(w: &[u8; 16], class: Class<'_>) -> u32 {
    let mut m = 0u32;
    for (i, &x) in w.iter().enumerate() {
        let hit = class.eq.contains(&x) || x < class.below || (class.high && x >= 0x80);
        m |= u32::from(hit) << i;
    }
    m
}
