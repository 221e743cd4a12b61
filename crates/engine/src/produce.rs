//! The producer of the ordered driver: cuts the feed (a mapped file, or a stream read block
//! by block) into pieces of whole records and hands them to the workers in order. A stream
//! holds at most `--max-record-size` bytes of one record; a longer one is skipped
//! (`skip.rs`) and sent as one [`Piece::Oversize`]. Each piece takes its share of the
//! memory budget before it is sent.

use crate::budget::Budget;
use crate::chunker::Boundary;
use crate::input::fill;
use crate::pipeline::{End, Feed, Piece, Tuning, Work};
use crate::report::ChunkOutput;
use crate::skip::skip_overlong;
use crossbeam_channel::{Receiver, Sender, TryRecvError};
use std::io::{self, Read};

/// What the producer hands back for a stream: the bytes it did not send, whether the
/// stream has ended, and the reader.
pub(crate) type Leftover<'a> = Option<(Vec<u8>, bool, &'a mut (dyn Read + Send))>;

/// Sends the pieces of `feed`; for a stream, returns what it did not send (a re-cut goes on
/// from there).
pub(crate) fn produce<'a>(
    feed: Feed<'a>,
    boundary: Boundary,
    tuning: Tuning,
    budget: &Budget,
    free: Receiver<ChunkOutput>,
    work: Sender<Work>,
    pool: Receiver<Vec<u8>>,
) -> io::Result<Leftover<'a>> {
    let chunk = tuning.chunk_size.max(1);
    let max_record = tuning.max_record.max(1);
    let mut seq = 0;
    // Sends a piece; gives it back when the collector has stopped taking work.
    let mut send = |piece: Piece, last: bool| -> Result<(), Piece> {
        let input = match &piece {
            Piece::Range(r) => r.len(),
            Piece::Owned(v) => v.len(),
            Piece::Recut(_) | Piece::Oversize { .. } => 0,
        };
        let charge = budget.estimate(input);
        if !budget.take(charge) {
            return Err(piece);
        }
        let out = match free.try_recv() {
            Ok(out) => out,
            Err(TryRecvError::Empty) => ChunkOutput::default(),
            Err(TryRecvError::Disconnected) => return Err(piece),
        };
        match work.send(Work {
            seq,
            piece,
            last,
            out,
            encoded: None,
            charge,
        }) {
            Ok(()) => {
                seq += 1;
                Ok(())
            }
            Err(e) => Err(e.into_inner().piece),
        }
    };
    match feed {
        Feed::Mapped(map, mut pos) => {
            let data: &[u8] = map;
            if pos >= data.len() {
                // An empty body is still one (empty, last) chunk, so workers see the end.
                let _ = send(Piece::Range(pos..pos), true);
            }
            while pos < data.len() {
                let end = boundary.chunk_end(data, pos, budget.next_chunk(chunk));
                if send(Piece::Range(pos..end), end == data.len()).is_err() {
                    break;
                }
                pos = end;
            }
            Ok(None)
        }
        Feed::Stream(mut carry, mut eof, reader) => {
            // One piece is held back until the next read says whether it is the last.
            let mut held: Option<Vec<u8>> = None;
            loop {
                let mut buf = pool.try_recv().unwrap_or_default();
                buf.clear();
                buf.append(&mut carry);
                // What is carried over (the stream's first read, a re-cut's rest) may hold
                // more than the budget's chunk: cut it as a mapped input is cut, so an input
                // that writes many lines per byte stays within the budget on stdin too.
                let target = budget.next_chunk(chunk);
                let mut cut = false;
                if buf.len() > target {
                    let end = boundary.chunk_end(&buf, 0, target);
                    if end < buf.len() {
                        carry.extend_from_slice(&buf[end..]);
                        buf.truncate(end);
                        cut = true;
                    }
                }
                if !eof && !cut {
                    eof = !fill(reader, &mut buf, target)?;
                }
                let mut oversize = false;
                while !eof && !cut {
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
                    eof = !fill(reader, &mut buf, want)?;
                }
                if oversize {
                    if let Some(piece) = held.take() {
                        if send(Piece::Owned(piece), false).is_err() {
                            return Ok(None);
                        }
                    }
                    let (piece, rest) = skip_overlong(boundary, buf, reader, max_record, &mut eof)?;
                    carry = rest;
                    let stop = matches!(piece, Piece::Oversize { end: End::Lost, .. });
                    let recut = matches!(piece, Piece::Recut(_));
                    match send(piece, stop) {
                        Err(Piece::Owned(mut unsent) | Piece::Recut(mut unsent)) => {
                            unsent.append(&mut carry);
                            return Ok(Some((unsent, eof, reader)));
                        }
                        Err(_) => return Ok(None),
                        Ok(()) if stop => return Ok(None),
                        // The collector re-cuts from that piece on: it takes the rest.
                        Ok(()) if recut => return Ok(Some((carry, eof, reader))),
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
                    if let Err(Piece::Owned(mut unsent)) = send(Piece::Owned(piece), is_last) {
                        if let Some(mut k) = keep {
                            unsent.append(&mut k);
                        }
                        unsent.append(&mut carry);
                        return Ok(Some((unsent, eof, reader)));
                    }
                }
                held = keep;
                if last {
                    if let Some(piece) = held.take() {
                        if let Err(Piece::Owned(mut unsent)) = send(Piece::Owned(piece), true) {
                            unsent.append(&mut carry);
                            return Ok(Some((unsent, eof, reader)));
                        }
                    }
                    return Ok(Some((Vec::new(), true, reader)));
                }
            }
        }
    }
}
