//! The collector of the ordered driver: takes converted chunks in input order, hands their
//! rejects and lines to the sink, counts, and notices a wrong cut (a chunk that ends inside a
//! quoted field) so that the driver cuts again from there.

use crate::budget::Budget;
use crate::mapguard::MappedFile;
use crate::pipeline::{oversize_message, Context, End, Flow, Piece, Sink, Work};
use crate::report::{BadRow, ChunkOutput, Counters, Reject, RowReject};
use crate::EngineError;
use crossbeam_channel::{Receiver, Sender};
use std::collections::BTreeMap;

/// Where to go on after a wrong cut.
pub(crate) enum Restart {
    /// From this offset of the mapped data.
    Mapped(usize),
    /// From these bytes, then the rest of the stream.
    Stream(Vec<u8>),
}

pub(crate) enum Collected {
    Done(Counters),
    Recut {
        counters: Counters,
        line: u64,
        restart: Restart,
    },
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn collect(
    (mapped, guard): (&[u8], Option<&MappedFile>),
    max_record: usize,
    verify: bool,
    (done, free, pool): (Receiver<Work>, Sender<ChunkOutput>, Sender<Vec<u8>>),
    budget: &Budget,
    cx: &Context<'_>,
    mut line: u64,
    sink: &mut dyn Sink,
) -> Result<Collected, EngineError> {
    let mut counters = Counters::default();
    // Bytes of the current physical line that lie in earlier chunks: added to the column of
    // a reject on a chunk's first line (JSON array elements may share a line across chunks).
    let mut column_base = cx.base_column;
    let mut pending = BTreeMap::new();
    let mut next = 0u64;
    while let Ok(w) = done.recv() {
        pending.insert(w.seq, w);
        while let Some(mut w) = pending.remove(&next) {
            let recut = matches!(w.piece, Piece::Recut(_));
            if recut || (verify && w.out.open_end && !w.last) {
                // This chunk's end was not a record boundary: stop the producer, gather the
                // unconverted bytes from this chunk on, and cut them again exactly.
                drop(free);
                budget.close();
                pending.insert(w.seq, w);
                for w in done.iter() {
                    pending.insert(w.seq, w);
                }
                let restart = match pending.remove(&next).map(|w| w.piece) {
                    Some(Piece::Range(r)) => Restart::Mapped(r.start),
                    Some(Piece::Owned(mut bytes) | Piece::Recut(mut bytes)) => {
                        for (_, w) in pending {
                            if let Piece::Owned(b) | Piece::Recut(b) = w.piece {
                                bytes.extend_from_slice(&b);
                            }
                        }
                        Restart::Stream(bytes)
                    }
                    // An overlong record never ends a chunk early.
                    Some(Piece::Oversize { .. }) | None => Restart::Stream(Vec::new()),
                };
                return Ok(Collected::Recut {
                    counters,
                    line,
                    restart,
                });
            }
            next += 1;
            // A chunk read from a file that changed meanwhile may hold zeros for lost bytes.
            if let Some(g) = guard {
                g.check(cx.name).map_err(EngineError::Input)?;
            }
            let (data, oversize) = match &w.piece {
                Piece::Range(r) => (&mapped[r.clone()], None),
                // A re-cut piece never gets here (see above).
                Piece::Owned(v) | Piece::Recut(v) => (v.as_slice(), None),
                Piece::Oversize {
                    bytes,
                    len,
                    lines,
                    row,
                    end,
                    at,
                } => (&[][..], Some((*bytes, *len, *lines, *row, *end, *at))),
            };
            let mut out = &w.out;
            let mut long = ChunkOutput::default();
            if let Some((bytes, len, lines, row, end, at)) = oversize {
                counters.bytes += bytes;
                let what = match end {
                    End::Found | End::Input => "",
                    End::Unterminated | End::Lost => cx.unbounded_hint,
                };
                let message = oversize_message(len, max_record, what);
                if end == End::Lost {
                    let at = BadRow {
                        file: cx.name.to_owned(),
                        line: line + 1,
                        column: 1,
                        message,
                    };
                    return Err(EngineError::Input(at.to_string()));
                }
                long.lines_seen = lines;
                if row {
                    long.rows = 1;
                    long.failed = w.out.failed;
                    long.push_reject(RowReject {
                        line: at.line,
                        column: at.column,
                        message,
                        raw: 0..0,
                    });
                }
                out = &long;
            }
            // The row that stopped a failing chunk is reported as the error, not as a reject.
            let kept = out.rejects.len() - usize::from(out.failed && !out.rejects.is_empty());
            let place = |r| placed(r, cx.name, data, line, column_base);
            for r in &out.rejects[..kept] {
                sink.reject(&place(r), cx.header)
                    .map_err(EngineError::Output)?;
            }
            let flow = match w.encoded.take() {
                Some(Ok(bytes)) => sink.write_encoded(&bytes),
                Some(Err(e)) => Err(e),
                None => sink.write_lines(&out.lines),
            };
            let flow = flow.map_err(EngineError::Output)?;
            counters.rows += out.rows;
            counters.written += out.written;
            counters.lines += out.written + out.extra_lines;
            counters.skipped += out.skipped;
            counters.rejected += out.rejects.len() as u64;
            counters.bytes += data.len() as u64;
            if out.failed {
                // A failing chunk ends at its last reject.
                let row = out.rejects.last().map(|r| BadRow::from(&place(r)));
                return Err(row.map_or_else(
                    || EngineError::Input(format!("{}: a row failed", cx.name)),
                    EngineError::Row,
                ));
            }
            line += out.lines_seen;
            column_base = match (oversize, memchr::memrchr(b'\n', data)) {
                // What a skipped record left of its last line.
                (Some((bytes, .., at)), _) => at.tail.unwrap_or(column_base + bytes as usize),
                (None, Some(i)) => data.len() - i - 1,
                (None, None) => column_base + data.len(),
            };
            sink.progress(&counters);
            if flow == Flow::Stop {
                return Ok(Collected::Done(counters));
            }
            budget.give_back(w.charge);
            if let Piece::Owned(buf) = w.piece {
                let _ = pool.send(buf);
            }
            let _ = free.send(w.out);
        }
    }
    if let Some(g) = guard {
        g.check(cx.name).map_err(EngineError::Input)?;
    }
    Ok(Collected::Done(counters))
}

/// A reject of a chunk at its absolute place: lines counted from the chunk's first line
/// (`line` lines before it), columns on that first line from what earlier chunks left of
/// it (`column_base` bytes).
pub(crate) fn placed<'a>(
    r: &'a RowReject,
    file: &'a str,
    data: &'a [u8],
    line: u64,
    column_base: usize,
) -> Reject<'a> {
    Reject {
        file,
        line: line + r.line + 1,
        column: if r.line == 0 {
            r.column + column_base
        } else {
            r.column
        },
        message: &r.message,
        raw: data.get(r.raw.clone()).unwrap_or_default(),
    }
}
