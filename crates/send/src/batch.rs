//! Cutting input blocks into batches of whole lines: at most `max_lines` lines and `max_bytes`
//! bytes; blank lines and comments are dropped; timestamps are rewritten when asked; with
//! `--pace`, a batch spans at most a short window of original time.
//!
//! A batch of consecutive lines that need no rewriting borrows its body from the input block
//! (no copy); otherwise the body is built in its own buffer.

use crate::checkpoint::PrefixCrc;
use crate::input::{Block, Data};
use crate::precision_check::auto_to_nanos;
use crate::timeshift::{TimeRangeError, TimeRewriter};
use lpconvert_lp::parse::{find_timestamp, is_blank_or_comment};
use std::ops::Range;
use std::sync::Arc;
use std::time::SystemTime;

/// The request body of a batch.
#[derive(Debug, Clone)]
pub enum Body {
    /// Borrowed from an input block.
    Shared(Arc<Data>, Range<usize>),
    /// Built for this batch.
    Owned(Vec<u8>),
}

impl Body {
    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Body::Shared(d, r) => &d.bytes()[r.clone()],
            Body::Owned(v) => v,
        }
    }
}

/// A batch of lines ready to send.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Sequence number, in input order, from 0 across all inputs of a run.
    pub seq: u64,
    /// Index of the input it came from.
    pub input: usize,
    /// Input byte range it covers (including dropped blank and comment lines).
    pub span: Range<u64>,
    /// Input line number of each body line, when they are not consecutive.
    pub line_numbers: Option<Vec<u64>>,
    /// Input line number of the first body line.
    pub first_line: u64,
    /// Number of lines in the body.
    pub lines: u64,
    /// The body: lines separated by LF.
    pub body: Body,
    /// Original timestamp of the first line, in nanoseconds (for `--pace`).
    pub first_ts_ns: Option<i128>,
    /// CRC-32 of the input's bytes below `span.end`, when every one of them was read.
    pub prefix_crc32: Option<u32>,
}

impl Batch {
    /// Input line number of body line `i` (0-based).
    pub fn line_number(&self, i: usize) -> u64 {
        match &self.line_numbers {
            Some(v) => v.get(i).copied().unwrap_or(0),
            None => self.first_line + i as u64,
        }
    }
}

/// Batch size limits.
#[derive(Debug, Clone, Copy)]
pub struct BatchLimits {
    /// Most lines per batch.
    pub max_lines: usize,
    /// Most bytes per batch (a single longer line is sent alone).
    pub max_bytes: usize,
}

/// A timestamp could not be rewritten.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {error}")]
pub struct BatchError {
    /// Input line number.
    pub line: u64,
    /// The range error.
    pub error: TimeRangeError,
}

/// Cuts blocks into batches.
#[derive(Debug)]
pub struct Batcher {
    limits: BatchLimits,
    rewrite: TimeRewriter,
    /// With `--pace`: longest span of original time in one batch, and ns per timestamp unit.
    pace_window_ns: Option<i128>,
    ns_per_unit: i128,
    next_seq: u64,
    /// The hash of the current input's bytes read so far (`None`: not asked for, or some
    /// were not read).
    prefix: Option<PrefixCrc>,
    /// `--precision auto`: timestamps are rewritten to nanoseconds by their size.
    auto_precision: bool,
}

/// The batch being filled.
struct Building {
    start: usize,
    end: usize,
    body_end: usize,
    lines: u64,
    bytes: usize,
    gap: bool,
    owned: Option<Vec<u8>>,
    line_numbers: Option<Vec<u64>>,
    first_line: u64,
    first_ts_ns: Option<i128>,
}

impl Batcher {
    /// A batcher. `pace_window_ns` (original nanoseconds per batch) is set with `--pace`.
    pub fn new(
        limits: BatchLimits,
        rewrite: TimeRewriter,
        pace_window_ns: Option<i128>,
        ns_per_unit: i128,
    ) -> Batcher {
        Batcher {
            limits,
            rewrite,
            pace_window_ns,
            ns_per_unit,
            next_seq: 0,
            prefix: None,
            auto_precision: false,
        }
    }

    /// `--precision auto`: every timestamp is rewritten to nanoseconds, its unit read from
    /// its size ([`crate::precision_check::guess`]); the rewriter then works in nanoseconds.
    pub fn set_auto_precision(&mut self, auto: bool) {
        self.auto_precision = auto;
    }

    /// Starts an input whose blocks come next: `prefix` is the hash of its bytes before
    /// the first block (`None` when unknown, e.g. resumed from a checkpoint without one).
    pub fn start_input(&mut self, prefix: Option<PrefixCrc>) {
        self.prefix = prefix;
    }

    /// The CRC-32 of the current input's bytes read so far, when every one was read.
    pub fn prefix_crc32(&self) -> Option<u32> {
        self.prefix.as_ref().map(PrefixCrc::value)
    }

    /// Hashes `block`'s bytes up to `rel_end` (relative to the block) into the prefix hash;
    /// a block that does not continue where the hash is loses it.
    fn hash_to(&mut self, block: &Block, rel_end: usize) -> Option<u32> {
        let p = self.prefix.as_mut()?;
        let rel_pos = p.pos.checked_sub(block.offset).map(|r| r as usize);
        match rel_pos {
            Some(r) if r <= rel_end && rel_end <= block.bytes().len() => {
                p.update(&block.bytes()[r..rel_end]);
                Some(p.value())
            }
            _ => {
                self.prefix = None;
                None
            }
        }
    }

    /// The time rewriter (its offset is saved in checkpoints).
    pub fn rewriter(&self) -> &TimeRewriter {
        &self.rewrite
    }

    /// Cuts `block` of input `input` into batches, handing each to `emit`; stops early (and
    /// returns `Ok(false)`) when `emit` returns false.
    pub fn push_block(
        &mut self,
        input: usize,
        block: &Block,
        emit: &mut dyn FnMut(Batch) -> bool,
    ) -> Result<bool, BatchError> {
        let data = block.bytes();
        let auto = self.auto_precision;
        let need_ts = self.rewrite.is_active() || self.pace_window_ns.is_some() || auto;
        let now = SystemTime::now();
        let mut cur: Option<Building> = None;
        let mut pos = 0usize;
        let mut line_no = block.first_line;
        while pos < data.len() {
            let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i + 1);
            let line = if data[end - 1] == b'\n' {
                &data[pos..end - 1]
            } else {
                &data[pos..end]
            };
            let first = line.first().copied().unwrap_or(b'\n');
            if (first == b'#'
                || first == b' '
                || first == b'\t'
                || line.is_empty()
                || first == b'\r')
                && is_blank_or_comment(line)
            {
                if let Some(c) = cur.as_mut() {
                    c.gap = true;
                    c.end = end;
                }
                pos = end;
                line_no += 1;
                continue;
            }
            let ts = if need_ts { find_timestamp(line) } else { None };
            let ts = match ts {
                Some((span, t)) if auto => Some((span, auto_to_nanos(t).unwrap_or(t))),
                other => other,
            };
            let ts_ns = ts.as_ref().map(|(_, t)| i128::from(*t) * self.ns_per_unit);
            if let Some(c) = &cur {
                let full = c.lines >= self.limits.max_lines as u64
                    || c.bytes + line.len() + 1 > self.limits.max_bytes;
                let window = match (self.pace_window_ns, c.first_ts_ns, ts_ns) {
                    (Some(w), Some(a), Some(b)) => b - a > w || b < a,
                    _ => false,
                };
                if full || window {
                    let done = cur.take().map(|c| self.finish(input, block, c));
                    if let Some(b) = done {
                        if !emit(b) {
                            return Ok(false);
                        }
                    }
                }
            }
            let c = cur.get_or_insert(Building {
                start: pos,
                end: pos,
                body_end: pos,
                lines: 0,
                bytes: 0,
                gap: false,
                owned: None,
                line_numbers: None,
                first_line: line_no,
                first_ts_ns: None,
            });
            if c.first_ts_ns.is_none() {
                c.first_ts_ns = ts_ns;
            }
            let rewrite = (self.rewrite.is_active() || auto) && ts.is_some();
            if (c.gap || rewrite) && c.owned.is_none() {
                let mut v = Vec::with_capacity(self.limits.max_bytes.min(1 << 20));
                v.extend_from_slice(&data[c.start..c.body_end]);
                if !v.is_empty() && v.last() != Some(&b'\n') {
                    v.push(b'\n');
                }
                c.owned = Some(v);
            }
            if c.gap && c.line_numbers.is_none() {
                c.line_numbers = Some((0..c.lines).map(|i| c.first_line + i).collect());
            }
            if let Some(v) = c.owned.as_mut() {
                match (&ts, rewrite) {
                    (Some((span, t)), true) => {
                        let new = self.rewrite.apply(*t, now).map_err(|error| BatchError {
                            line: line_no,
                            error,
                        })?;
                        v.extend_from_slice(&line[..span.start]);
                        v.extend_from_slice(itoa::Buffer::new().format(new).as_bytes());
                        v.extend_from_slice(&line[span.end..]);
                    }
                    _ => v.extend_from_slice(line),
                }
                v.push(b'\n');
            }
            if let Some(n) = c.line_numbers.as_mut() {
                n.push(line_no);
            }
            c.lines += 1;
            c.bytes += line.len() + 1;
            c.end = end;
            c.body_end = end;
            pos = end;
            line_no += 1;
        }
        if let Some(c) = cur.take() {
            let b = self.finish(input, block, c);
            if !emit(b) {
                return Ok(false);
            }
        }
        self.hash_to(block, data.len());
        Ok(true)
    }

    fn finish(&mut self, input: usize, block: &Block, c: Building) -> Batch {
        let prefix_crc32 = self.hash_to(block, c.end);
        let seq = self.next_seq;
        self.next_seq += 1;
        let body = match c.owned {
            Some(v) => Body::Owned(v),
            None => {
                let base = block.range.start;
                Body::Shared(block.data.clone(), base + c.start..base + c.body_end)
            }
        };
        Batch {
            seq,
            input,
            span: block.offset + c.start as u64..block.offset + c.end as u64,
            line_numbers: c.line_numbers,
            first_line: c.first_line,
            lines: c.lines,
            body,
            first_ts_ns: c.first_ts_ns,
            prefix_crc32,
        }
    }
}

/// Splits a body into its lines (without LF).
pub fn body_lines(body: &[u8]) -> Vec<&[u8]> {
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    if body.is_empty() {
        return Vec::new();
    }
    body.split(|&b| b == b'\n').collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Precision;
    use crate::timeshift::TimeMode;

    fn block(text: &str) -> Block {
        let data = Arc::new(Data::Owned(text.as_bytes().to_vec()));
        Block {
            range: 0..text.len(),
            data,
            offset: 100,
            first_line: 10,
        }
    }

    fn run(text: &str, limits: BatchLimits, mode: TimeMode, pace: Option<i128>) -> Vec<Batch> {
        let mut b = Batcher::new(
            limits,
            TimeRewriter::new(mode, Precision::S, None),
            pace,
            1_000_000_000,
        );
        let mut out = Vec::new();
        assert!(b
            .push_block(0, &block(text), &mut |x| {
                out.push(x);
                true
            })
            .unwrap());
        out
    }

    /// Each batch carries the CRC-32 of every input byte below its end (comments and blank
    /// lines included), across blocks; a block that skips bytes loses the hash.
    #[test]
    fn batches_carry_the_crc_of_the_input_below_their_end() {
        let parts = ["m f=1 1\n# c\nm f=2 2\n", "\nm f=3 3\nm f=4 4\n# end\n"];
        let all = parts.concat();
        let limits = BatchLimits {
            max_lines: 1,
            max_bytes: 1 << 20,
        };
        let mut b = Batcher::new(
            limits,
            TimeRewriter::new(TimeMode::Keep, Precision::S, None),
            None,
            1,
        );
        b.start_input(Some(PrefixCrc::resume(0, 0)));
        let mut out = Vec::new();
        let mut offset = 0;
        for (i, p) in parts.iter().enumerate() {
            let data = Arc::new(Data::Owned(p.as_bytes().to_vec()));
            let block = Block {
                range: 0..p.len(),
                data,
                offset,
                first_line: 1 + i as u64,
            };
            offset += p.len() as u64;
            b.push_block(0, &block, &mut |x| {
                out.push(x);
                true
            })
            .unwrap();
        }
        assert_eq!(out.len(), 4);
        for batch in &out {
            let end = batch.span.end as usize;
            assert_eq!(
                batch.prefix_crc32,
                Some(crc32fast::hash(&all.as_bytes()[..end])),
                "{end}"
            );
        }
        assert_eq!(b.prefix_crc32(), Some(crc32fast::hash(all.as_bytes())));
        // A resumed hash continues from the checkpoint's value.
        let head = parts[0].len() as u64;
        let mut r = PrefixCrc::resume(head, crc32fast::hash(parts[0].as_bytes()));
        r.update(parts[1].as_bytes());
        assert_eq!(r.value(), crc32fast::hash(all.as_bytes()));
        // A block that does not start where the hash is: unknown from there on.
        let mut b = Batcher::new(
            limits,
            TimeRewriter::new(TimeMode::Keep, Precision::S, None),
            None,
            1,
        );
        b.start_input(Some(PrefixCrc::resume(0, 0)));
        let got = run_block(&mut b, &block("m f=1 1\n"));
        assert_eq!(got[0].prefix_crc32, None);
        assert_eq!(b.prefix_crc32(), None);
    }

    fn run_block(b: &mut Batcher, block: &Block) -> Vec<Batch> {
        let mut out = Vec::new();
        b.push_block(0, block, &mut |x| {
            out.push(x);
            true
        })
        .unwrap();
        out
    }

    const BIG: BatchLimits = BatchLimits {
        max_lines: 1000,
        max_bytes: 1 << 20,
    };

    #[test]
    fn consecutive_lines_are_borrowed() {
        let text = "m f=1 1\nm f=2 2\nm f=3 3";
        let batches = run(
            text,
            BatchLimits {
                max_lines: 2,
                max_bytes: 1 << 20,
            },
            TimeMode::Keep,
            None,
        );
        assert_eq!(batches.len(), 2);
        assert!(matches!(batches[0].body, Body::Shared(..)));
        assert_eq!(batches[0].body.bytes(), b"m f=1 1\nm f=2 2\n");
        assert_eq!(batches[1].body.bytes(), b"m f=3 3");
        assert_eq!(batches[0].span, 100..116);
        assert_eq!(batches[1].span, 116..123);
        assert_eq!(
            (batches[1].first_line, batches[1].lines, batches[1].seq),
            (12, 1, 1)
        );
    }

    #[test]
    fn comments_and_blank_lines_are_dropped() {
        let text = "# header\n\nm f=1\n  \n# c\nm f=2\nm f=3\n\n";
        let batches = run(text, BIG, TimeMode::Keep, None);
        assert_eq!(batches.len(), 1);
        let b = &batches[0];
        assert_eq!(b.body.bytes(), b"m f=1\nm f=2\nm f=3\n");
        assert_eq!(b.lines, 3);
        assert_eq!(
            (0..3).map(|i| b.line_number(i)).collect::<Vec<_>>(),
            vec![12, 15, 16]
        );
        // The span covers the trailing blank line, not the leading comments.
        assert_eq!(b.span, 100 + 10..100 + text.len() as u64);
    }

    #[test]
    fn byte_limit_and_oversized_line() {
        let text = "m f=1\nm f=2\nm f=123456789\nm f=3\n";
        let batches = run(
            text,
            BatchLimits {
                max_lines: 100,
                max_bytes: 12,
            },
            TimeMode::Keep,
            None,
        );
        let bodies: Vec<_> = batches.iter().map(|b| b.body.bytes().to_vec()).collect();
        assert_eq!(
            bodies,
            vec![
                b"m f=1\nm f=2\n".to_vec(),
                b"m f=123456789\n".to_vec(),
                b"m f=3\n".to_vec()
            ]
        );
    }

    #[test]
    fn timestamps_are_shifted_and_lines_without_pass() {
        let text = "m f=1 100\nm f=2\nm,t=a f=\"x 5\" 160\n";
        let batches = run(text, BIG, TimeMode::Shift(-50_000_000_000), None);
        assert_eq!(
            batches[0].body.bytes(),
            b"m f=1 50\nm f=2\nm,t=a f=\"x 5\" 110\n"
        );
        assert_eq!(batches[0].first_ts_ns, Some(100_000_000_000));
        let err = {
            let mut b = Batcher::new(
                BIG,
                TimeRewriter::new(TimeMode::Shift(i128::from(i64::MAX)), Precision::Ns, None),
                None,
                1,
            );
            b.push_block(
                0,
                &block("m f=1 1\nm f=1 9000000000000000000\n"),
                &mut |_| true,
            )
            .unwrap_err()
        };
        assert_eq!(err.line, 10);
    }

    #[test]
    fn pace_window_cuts_batches() {
        let text = "m f=1 0\nm f=1 1\nm f=1 2\nm f=1 10\nm f=1 11\n";
        let batches = run(text, BIG, TimeMode::Keep, Some(5_000_000_000));
        let lines: Vec<_> = batches.iter().map(|b| b.lines).collect();
        assert_eq!(lines, vec![3, 2]);
        assert_eq!(batches[1].first_ts_ns, Some(10_000_000_000));
    }

    #[test]
    fn body_lines_splits() {
        assert_eq!(body_lines(b"a\nb\n"), vec![&b"a"[..], b"b"]);
        assert_eq!(body_lines(b"a\nb"), vec![&b"a"[..], b"b"]);
        assert!(body_lines(b"").is_empty());
    }
}
