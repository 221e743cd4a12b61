//! Cutting a stream into pieces: blocks read, each cut after its last complete record, a
//! record longer than `--max-record-size` skipped, and what is handed back when the collector
//! stops the producer or a read fails.

use super::{Batcher, Cut, Leftover, Stopped};
use crate::input::{fill, Failed};
use crate::job::Job;
use crate::pipeline::{End, Part, Piece, Seg};
use crate::skip::skip_overlong;
use crossbeam_channel::Receiver;
use std::io::{self, Read};
use std::sync::Arc;

/// How cutting a stream ended.
pub(super) enum Streamed {
    /// At its end, after this many pieces.
    Done(u64),
    /// The collector stopped taking work: what was not sent.
    Stopped(Leftover),
    /// A read failed with this error after the records read whole before it were sent; the
    /// bytes read after them (part of a record, or whole records when a fast cut among
    /// them proves wrong), which a pass reading again from a wrong cut needs.
    Failed(io::Error, Vec<u8>),
}

/// The bytes of `job`'s pieces among `parts`, in order, then `more`.
pub(super) fn unsent(parts: Vec<Part>, job: &Arc<Job>, more: &mut [&mut Vec<u8>]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for p in parts {
        if let Part::Seg(Seg {
            piece: Piece::Owned(b) | Piece::Recut(b),
            job: j,
            ..
        }) = p
        {
            if Arc::ptr_eq(&j, job) {
                bytes.extend_from_slice(&b);
            }
        }
    }
    for m in more {
        bytes.append(m);
    }
    bytes
}

/// Cuts a stream: blocks read, each cut after its last complete record.
pub(super) fn stream(
    b: &mut Batcher<'_>,
    job: &Arc<Job>,
    cut: &Cut,
    (mut carry, mut eof, mut reader): (Vec<u8>, bool, Box<dyn Read + Send>),
    pool: &Receiver<Vec<u8>>,
) -> Streamed {
    let (boundary, chunk, max_record) = (cut.boundary, cut.chunk.max(1), cut.max_record);
    let mut sent = 0u64;
    // Sends a piece of this input.
    let send = |b: &mut Batcher<'_>, piece: Piece, last: bool, sent: &mut u64| {
        let seg = b.seg(job, piece, cut.first && *sent == 0, last, cut.verify);
        *sent += 1;
        b.push(seg)
    };
    // A read failed with `e`: the records read whole before it (the piece held back, then
    // `buf` up to its last complete record) are sent first, so what is converted before the
    // error does not depend on where reads and chunks fell; then the error with the bytes
    // after them (or, stopped, a leftover of all not sent that fails with it). A fast cut
    // may fall inside a record: the bytes after it are kept, for the pass that reads again
    // from it.
    let fail = |b: &mut Batcher<'_>,
                held: Option<Vec<u8>>,
                mut buf: Vec<u8>,
                e: io::Error,
                sent: &mut u64| {
        let mut tail = buf.split_off(boundary.last_complete(&buf).unwrap_or(0));
        let mut pieces = held.into_iter().chain((!buf.is_empty()).then_some(buf));
        while let Some(piece) = pieces.next() {
            if let Err(Stopped(parts)) = send(b, Piece::Owned(piece), false, sent) {
                let mut rest = unsent(parts, job, &mut []);
                pieces.for_each(|p| rest.extend_from_slice(&p));
                rest.append(&mut tail);
                let failing: Box<dyn Read + Send> = Box::new(Failed(Some(e)));
                return Streamed::Stopped(Some((rest, false, failing)));
            }
        }
        Streamed::Failed(e, tail)
    };
    // One piece is held back until the next read says whether it is the last.
    let mut held: Option<Vec<u8>> = None;
    loop {
        let mut buf = pool.try_recv().unwrap_or_default();
        buf.clear();
        buf.append(&mut carry);
        // What is carried over (the stream's first read, a re-cut's rest) may hold
        // more than the budget's chunk: cut it as a mapped input is cut, so an input
        // that writes many lines per byte stays within the budget on stdin too.
        let target = b.budget.next_chunk(chunk);
        let mut cutoff = false;
        if buf.len() > target {
            let end = boundary.chunk_end(&buf, 0, target);
            if end < buf.len() {
                carry.extend_from_slice(&buf[end..]);
                buf.truncate(end);
                cutoff = true;
            }
        }
        let read = !eof && !cutoff;
        if read {
            // Nothing waits in a work while the stream is read.
            if let Err(Stopped(parts)) = b.flush() {
                let mut held = held.take().unwrap_or_default();
                let rest = unsent(parts, job, &mut [&mut held, &mut buf, &mut carry]);
                return Streamed::Stopped(Some((rest, eof, reader)));
            }
            match fill(&mut reader, &mut buf, target) {
                Ok(more) => eof = !more,
                Err(e) => return fail(b, held, buf, e, &mut sent),
            }
        }
        let mut oversize = false;
        while !eof && !cutoff {
            if let Some(end) = boundary.last_complete(&buf) {
                carry.extend_from_slice(&buf[end..]);
                buf.truncate(end);
                break;
            }
            if buf.len() > max_record {
                // `buf` starts at a record boundary: its first record is too long.
                oversize = true;
                break;
            }
            let want = buf
                .len()
                .saturating_mul(2)
                .max(chunk)
                .min(max_record.saturating_add(1));
            match fill(&mut reader, &mut buf, want) {
                Ok(more) => eof = !more,
                Err(e) => return fail(b, held, buf, e, &mut sent),
            }
        }
        if oversize {
            if let Some(piece) = held.take() {
                if let Err(Stopped(parts)) = send(b, Piece::Owned(piece), false, &mut sent) {
                    let rest = unsent(parts, job, &mut [&mut buf, &mut carry]);
                    return Streamed::Stopped(Some((rest, eof, reader)));
                }
            }
            let (piece, rest) =
                match skip_overlong(boundary, buf, &mut reader, max_record, &mut eof) {
                    Ok(skipped) => skipped,
                    Err(e) => return Streamed::Failed(e, Vec::new()),
                };
            carry = rest;
            let stop = matches!(piece, Piece::Oversize { end: End::Lost, .. });
            let recut = matches!(piece, Piece::Recut(_));
            match send(b, piece, stop, &mut sent) {
                Err(Stopped(parts)) => {
                    let rest = unsent(parts, job, &mut [&mut carry]);
                    return Streamed::Stopped(Some((rest, eof, reader)));
                }
                Ok(()) if stop => return Streamed::Stopped(None),
                // The collector re-cuts from that piece on: it takes the rest.
                Ok(()) if recut => return Streamed::Stopped(Some((carry, eof, reader))),
                Ok(()) => {}
            }
            continue;
        }
        let last = eof && carry.is_empty();
        let prev = held.take();
        let (now, keep) = match (prev, buf.is_empty()) {
            (Some(p), true) => (Some((p, last)), None),
            (Some(p), false) => (Some((p, false)), Some(buf)),
            (None, true) => (last.then(Vec::new).map(|e| (e, true)), None),
            (None, false) => (None, Some(buf)),
        };
        if let Some((piece, is_last)) = now {
            if let Err(Stopped(parts)) = send(b, Piece::Owned(piece), is_last, &mut sent) {
                let mut keep = keep.unwrap_or_default();
                let rest = unsent(parts, job, &mut [&mut keep, &mut carry]);
                return Streamed::Stopped(Some((rest, eof, reader)));
            }
        }
        held = keep;
        if last {
            if let Some(piece) = held.take() {
                if let Err(Stopped(parts)) = send(b, Piece::Owned(piece), true, &mut sent) {
                    let rest = unsent(parts, job, &mut [&mut carry]);
                    return Streamed::Stopped(Some((rest, eof, reader)));
                }
            }
            return Streamed::Done(sent);
        }
    }
}
