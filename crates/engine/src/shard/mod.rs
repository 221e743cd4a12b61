//! Deterministic shards of a run's inputs (`--shard K/N`): the listed inputs, in order, are
//! taken as one sequence of bytes, cut into N equal byte ranges; shard K (1-based) takes the
//! records that *start* in its range. A file that can be read at any offset (a regular,
//! uncompressed, mapped file) is split at record boundaries (`cut.rs`: the chunker's exact
//! rules), so small files go whole to one shard and a large one is split; a compressed file,
//! a pipe or a decoded (UTF-16) file is taken whole by the shard its first byte falls in, its
//! *owner*. The owner also counts the file and its preamble (skipped rows, header); another
//! shard reads the preamble again but does not count it. Together the N shards convert every
//! record once, each shard in input order.

mod cut;

pub(crate) use cut::restrict;
pub use cut::{lp_range, record_start};

use crate::input::is_stdin;
use crate::input::Compression;
use crate::job::{Prepared, Walk};
use std::fmt;
use std::path::Path;

/// One shard of N: `index` is 1-based (`--shard 1/4` .. `--shard 4/4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1 ..= count.
    pub index: u64,
    /// The number of shards, at least 1.
    pub count: u64,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Reads `K/N` (1 <= K <= N); the error says what is wrong.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("`{text}`: expected K/N, e.g. 1/4 (K from 1 to N)");
        let (k, n) = text.trim().split_once('/').ok_or_else(bad)?;
        let k: u64 = k.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        Shard::new(k, n).map_err(|why| format!("`{text}`: {why}"))
    }

    /// Shard `index` (1-based) of `count`.
    pub fn new(index: u64, count: u64) -> Result<Shard, String> {
        if count == 0 {
            return Err("the number of shards must be at least 1".into());
        }
        if index == 0 || index > count {
            return Err(format!(
                "shard {index} is out of range: shards are numbered 1 to {count} (K/N is 1-based)"
            ));
        }
        Ok(Shard { index, count })
    }

    /// The byte range `[lo, hi)` of this shard in a sequence of `total` bytes.
    pub fn range(self, total: u64) -> (u64, u64) {
        (
            self.bound(self.index - 1, total),
            self.bound(self.index, total),
        )
    }

    fn bound(self, k: u64, total: u64) -> u64 {
        // k <= count, so the quotient fits in a u64.
        u64::try_from(u128::from(k) * u128::from(total) / u128::from(self.count)).unwrap_or(total)
    }

    /// The shard (1-based) whose range holds byte `at` of `total` (the last one for `total`).
    pub fn owner_of(count: u64, at: u64, total: u64) -> u64 {
        let s = |k| Shard { index: k, count };
        // The first shard whose range ends after `at`.
        let (mut lo, mut hi) = (1, count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if s(mid).bound(mid, total) > at {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }
}

/// What one shard takes of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// Nothing: the input is not opened.
    Skip,
    /// The whole input (it cannot be split; this shard owns it).
    Whole,
    /// The records that start in `lo..hi` (byte offsets in the file); `owner`: the file's first
    /// byte is in this shard (it counts the file and its preamble).
    Range {
        /// First byte of the range.
        lo: u64,
        /// End of the range (the file's size for its last shard).
        hi: u64,
        /// This shard owns the file.
        owner: bool,
    },
}

impl Take {
    /// This shard owns the input: it takes it whole, or it holds the input's first byte.
    pub fn owns(self) -> bool {
        matches!(self, Take::Whole | Take::Range { owner: true, .. })
    }
}

/// A shard's part of a run's inputs: what it takes of each.
#[derive(Debug, Clone)]
pub struct Part {
    /// Which shard.
    pub shard: Shard,
    /// One per input, in order.
    pub takes: Vec<Take>,
    /// Each input's size as the assignment read it (0 when unknown).
    pub sizes: Vec<u64>,
}

impl Part {
    /// Assigns `paths` to `shard`; `splittable(path)` says whether a regular uncompressed file
    /// may be cut into ranges (false, e.g., for a schema that decodes UTF-16). Standard input
    /// cannot be assigned with more than one shard.
    pub fn assign(
        paths: &[String],
        shard: Shard,
        splittable: impl Fn(&str) -> bool,
    ) -> Result<Part, String> {
        let mut sizes = Vec::with_capacity(paths.len());
        let mut split = Vec::with_capacity(paths.len());
        for p in paths {
            if is_stdin(p) && shard.count > 1 {
                return Err(format!(
                    "--shard {shard}: standard input cannot be shared between shards: give \
                     files (each shard of a job reads the same list of inputs)"
                ));
            }
            let meta = std::fs::metadata(p).ok().filter(|_| !is_stdin(p));
            let file = meta.as_ref().is_some_and(std::fs::Metadata::is_file);
            let size = meta.as_ref().filter(|_| file).map_or(0, |m| m.len());
            sizes.push(size);
            // An empty file is read as a stream (nothing to map): whole, like one.
            split.push(
                file && size > 0
                    && Compression::of(Path::new(p)) == Compression::None
                    && splittable(p),
            );
        }
        let total: u64 = sizes.iter().sum();
        let (lo, hi) = shard.range(total);
        let mut at = 0u64;
        let takes = sizes
            .iter()
            .zip(&split)
            .map(|(&size, &split)| {
                let (f0, f1) = (at, at + size);
                at = f1;
                let owner = Shard::owner_of(shard.count, f0, total) == shard.index;
                match (split, owner) {
                    (false, true) => Take::Whole,
                    (false, false) => Take::Skip,
                    (true, _) if !owner && (f1 <= lo || f0 >= hi) => Take::Skip,
                    (true, _) => Take::Range {
                        lo: lo.max(f0) - f0,
                        hi: hi.min(f1).max(f0) - f0,
                        owner,
                    },
                }
            })
            .collect();
        Ok(Part {
            shard,
            takes,
            sizes,
        })
    }

    /// The inputs this shard owns (counted as its files in a report).
    pub fn owned(&self) -> usize {
        self.takes.iter().filter(|t| t.owns()).count()
    }
}

/// The inputs `part` gives whole to this shard (all of them when `None`), for conversions
/// that cannot start mid-file (annotated CSV): a split file goes whole to its owner.
pub fn whole<'a>(paths: &'a [String], part: Option<&'a Part>) -> impl Iterator<Item = &'a String> {
    paths.iter().enumerate().filter_map(move |(i, p)| {
        let take = part.map_or(Take::Whole, |pt| {
            pt.takes.get(i).copied().unwrap_or(Take::Skip)
        });
        take.owns().then_some(p)
    })
}

/// Walks `paths` as `part` says (every input when `None`): inputs not taken are not opened,
/// each one taken is opened and prepared by `prepare`, then restricted to the shard's range.
pub(crate) fn walk<'a>(
    paths: &'a [String],
    part: Option<&'a Part>,
    mut prepare: impl FnMut(&str) -> Prepared + Send + 'a,
) -> impl Walk + 'a {
    let mut i = 0;
    move || loop {
        let path = paths.get(i)?;
        let take = part.map_or(Take::Whole, |p| {
            p.takes.get(i).copied().unwrap_or(Take::Skip)
        });
        i += 1;
        if take == Take::Skip {
            continue;
        }
        if let Some(p) = restrict(prepare(path), take) {
            return Some(p);
        }
    }
}

#[cfg(test)]
mod tests;
