//! Byte classification with vector instructions: which bytes of a block are delimiters,
//! quotes, newlines, or bytes that need escaping, as one bit per byte.
//!
//! x86-64: SSE2, aarch64: NEON, both part of the baseline of their architecture, so no
//! run-time check is needed and the code inlines into its callers. (An AVX2 path for the
//! 64-byte blocks, chosen at run time, measured no faster than SSE2 on an AMD EPYC: the
//! work per record and per cell dominates, and the call it needs is not inlined; it was
//! not kept.) Elsewhere: the portable code of [`portable`], which every vector path must
//! agree with (the tests compare them on random blocks).

#[cfg(target_arch = "aarch64")]
mod neon;
pub mod portable;
#[cfg(test)]
mod tests;
#[cfg(target_arch = "x86_64")]
mod x86;

/// Which bytes of a 16-byte window to flag: those equal to one of `eq`, those below
/// `below` (none when 0), and with `high` those at or above 0x80.
#[derive(Debug, Clone, Copy)]
pub struct Class<'a> {
    /// Bytes flagged by equality (at most a handful: one compare each).
    pub eq: &'a [u8],
    /// Bytes below this value are flagged (0 flags none).
    pub below: u8,
    /// Flag the bytes at or above 0x80.
    pub high: bool,
}

/// Bit `i` is set when `block[i]` equals `a`, `b` or `c` (one mask each).
#[inline]
pub fn eq3_64(block: &[u8; 64], a: u8, b: u8, c: u8) -> [u64; 3] {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is part of the x86-64 baseline: every x86-64 CPU has it.
        unsafe { x86::eq3_64_sse2(block, a, b, c) }
    }
    #[cfg(target_arch = "aarch64")]
    {
        // SAFETY: NEON is part of the aarch64 baseline: every aarch64 CPU has it.
        unsafe { neon::eq3_64(block, a, b, c) }
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        portable::eq3_64(block, a, b, c)
    }
}

/// Bit `i` is set when `w[i]` is in `class`. Inlined, so a constant class costs only its
/// compares.
#[inline(always)]
pub fn mask16(w: &[u8; 16], class: Class<'_>) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is part of the x86-64 baseline: every x86-64 CPU has it.
        unsafe { x86::mask16(w, class) }
    }
    #[cfg(target_arch = "aarch64")]
    {
        // SAFETY: NEON is part of the aarch64 baseline: every aarch64 CPU has it.
        unsafe { neon::mask16(w, class) }
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        portable::mask16(w, class)
    }
}

/// The 16 bytes of `s` from `at`, when there are that many.
#[inline(always)]
pub fn window16(s: &[u8], at: usize) -> Option<&[u8; 16]> {
    s.get(at..at.checked_add(16)?)?.try_into().ok()
}

/// [`eq3_64`] over the 64 bytes of `s` from `at`; past the end of `s` the bits are clear.
#[inline]
pub fn eq3_at(s: &[u8], at: usize, a: u8, b: u8, c: u8) -> [u64; 3] {
    block_at(s, at, |block| eq3_64(block, a, b, c))
}

/// `classify` applied to the 64 bytes of `s` from `at`; a shorter rest is padded with
/// zeros, and the bits of the padding cleared.
#[inline(always)]
fn block_at(s: &[u8], at: usize, classify: impl Fn(&[u8; 64]) -> [u64; 3]) -> [u64; 3] {
    let window = s.get(at..at.saturating_add(64)).unwrap_or(&[]);
    if let Ok(block) = <&[u8; 64]>::try_from(window) {
        return classify(block);
    }
    let rest = s.get(at..).unwrap_or(&[]);
    let mut pad = [0u8; 64];
    pad[..rest.len()].copy_from_slice(rest);
    let live = (1u64 << rest.len()) - 1;
    classify(&pad).map(|m| m & live)
}
