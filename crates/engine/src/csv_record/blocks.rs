//! [`Blocks`]: the delimiter, quote and line feed bytes of the data, 64 at a time, found
//! with vector instructions ([`lpconvert_lp::simd`]) and kept from record to record, so a
//! block holding several short lines is classified once.

use lpconvert_lp::simd;

/// The structural bytes of one 64-byte block of the data, one bit per byte.
#[derive(Debug, Clone, Copy)]
pub(super) struct Block {
    /// Offset of the block's first byte in the data.
    pub(super) at: usize,
    /// Delimiter bytes.
    pub(super) delim: u64,
    /// Line feeds that are not the delimiter.
    pub(super) nl: u64,
    /// Quote bytes that are neither the delimiter nor a line feed.
    pub(super) quote: u64,
}

/// The last block classified, and the data it belongs to.
#[derive(Debug, Default)]
pub(super) struct Blocks {
    /// Address and length of the data, and the block; `None` before the first.
    last: Option<((usize, usize), Block)>,
    /// Tests swap the classification (the portable one, or one that sends every line to
    /// the full reader).
    #[cfg(test)]
    pub(super) classify: Option<Classify>,
}

/// A classification of the 64 bytes from an offset (see [`simd::eq3_at`]).
#[cfg(test)]
pub(super) type Classify = fn(&[u8], usize, u8, u8, u8) -> [u64; 3];

impl Blocks {
    /// The block holding byte `i` of `data`, with the bits of the bytes before `i` clear:
    /// the kept one when it covers `i`, else the 64 bytes from `i` (bits past the end of
    /// the data clear). The data must not change between calls with the same slice.
    #[inline]
    pub(super) fn from(&mut self, data: &[u8], i: usize, delim: u8, quote: u8) -> Block {
        let key = (data.as_ptr() as usize, data.len());
        let b = match self.last {
            Some((k, b)) if k == key && b.at <= i && i - b.at < 64 => b,
            _ => {
                let [d, n, q] = self.classify(data, i, delim, quote);
                let n = n & !d;
                let b = Block {
                    at: i,
                    delim: d,
                    nl: n,
                    quote: q & !(d | n),
                };
                self.last = Some((key, b));
                b
            }
        };
        let live = !0u64 << (i - b.at);
        Block {
            at: b.at,
            delim: b.delim & live,
            nl: b.nl & live,
            quote: b.quote & live,
        }
    }
}

impl Blocks {
    #[inline(always)]
    fn classify(&self, data: &[u8], i: usize, delim: u8, quote: u8) -> [u64; 3] {
        #[cfg(test)]
        if let Some(f) = self.classify {
            return f(data, i, delim, b'\n', quote);
        }
        simd::eq3_at(data, i, delim, b'\n', quote)
    }
}
