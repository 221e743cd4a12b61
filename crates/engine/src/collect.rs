//! The collector of the ordered driver: takes works in input order, hands each input's
//! rejects and lines to the sink, counts per input (saying when one is done or failed), and
//! notices a wrong cut (a chunk that ends inside a quoted field) so that the driver cuts
//! that input again from there.

use crate::budget::Budget;
use crate::encoders::Encoders;
use crate::job::Job;
use crate::pipeline::{oversize_message, End, Flow, Part, Piece, Returns, Seg, Sink};
use crate::report::{BadRow, ChunkOutput, Counters, Reject, RowReject};
use crate::EngineError;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where to go on after a wrong cut.
pub(crate) enum Restart {
    /// From this offset of the mapped data.
    Mapped(usize),
    /// From these bytes, then the rest of the stream.
    Stream(Vec<u8>),
}

/// The input being collected: its counters and place so far.
#[derive(Clone)]
pub(crate) struct FileState {
    pub(crate) job: Arc<Job>,
    pub(crate) counters: Counters,
    /// Line feeds before the next piece.
    pub(crate) line: u64,
    /// Bytes of the current physical line that lie in earlier pieces: added to the column
    /// of a reject on a piece's first line (JSON array elements may share a line).
    pub(crate) column_base: usize,
}

impl FileState {
    fn new(job: &Arc<Job>) -> FileState {
        FileState {
            job: Arc::clone(job),
            counters: Counters {
                bytes: job.cx.preamble_bytes,
                ..Counters::default()
            },
            line: job.cx.base_line,
            column_base: job.cx.base_column,
        }
    }
}

pub(crate) enum Collected {
    Done(Counters),
    /// A cut proved wrong: `total` of the inputs before, the input's `state` and where it
    /// goes on.
    Recut {
        total: Counters,
        state: FileState,
        restart: Restart,
    },
}

/// What the collector keeps between works.
struct Collector<'s> {
    sink: &'s mut dyn Sink,
    budget: &'s Budget,
    max_record: usize,
    total: Counters,
    cur: Option<FileState>,
    /// An input that failed and that the sink let pass: the rest of its pieces are dropped.
    dead: Option<Arc<Job>>,
}

/// What handling one part led to.
enum Next {
    Go,
    /// The sink wants no more: the run ends cleanly.
    Stop,
    /// This piece starts a wrong cut.
    Recut,
}

/// Collects the works of a pass in order (`resume`: the input a re-cut goes on with).
pub(crate) fn collect(
    resume: Option<FileState>,
    max_record: usize,
    returns: Returns,
    budget: &Budget,
    encoders: Option<&Encoders>,
    sink: &mut dyn Sink,
) -> Result<Collected, EngineError> {
    let mut c = Collector {
        sink,
        budget,
        max_record,
        total: Counters::default(),
        cur: resume,
        dead: None,
    };
    let mut pending = BTreeMap::new();
    let mut next = 0u64;
    while let Ok(w) = returns.done.recv() {
        pending.insert(w.seq, w);
        while let Some(mut w) = pending.remove(&next) {
            next += 1;
            let mut encoded = w.encoded.take();
            let covered = w.encoded_to;
            let mut parts = std::mem::take(&mut w.parts).into_iter().enumerate();
            while let Some((i, part)) = parts.next() {
                let seg = match part {
                    Part::Seg(seg) => seg,
                    Part::Failed(e) => {
                        c.failed(e)?;
                        continue;
                    }
                    Part::Empty {
                        name,
                        notes,
                        counters,
                    } => {
                        for n in &notes {
                            c.sink.note(n).map_err(EngineError::Output)?;
                        }
                        c.total.add(&counters);
                        c.sink.input_done(&name, &counters);
                        budget.give_file();
                        continue;
                    }
                };
                let lines = match (encoders, i < covered) {
                    (None, _) => Lines::Plain,
                    (Some(_), true) => Lines::Encoded,
                    (Some(enc), false) => Lines::Late(enc),
                };
                let step = c.seg(&seg, lines);
                // The lines before an error, a stop or a wrong cut are written first.
                if !matches!(step, Ok(Next::Go)) || i + 1 >= covered {
                    if let Some(bytes) = encoded.take() {
                        if c.write_encoded(bytes)? == Flow::Stop && step.is_ok() {
                            return Ok(Collected::Done(c.stopped()));
                        }
                    }
                }
                match step? {
                    Next::Go => {}
                    Next::Stop => return Ok(Collected::Done(c.stopped())),
                    Next::Recut => {
                        // Stop the producer, gather the unconverted bytes from this piece
                        // on (all of this input: the producer cuts no other input until
                        // this one is verified), and cut them again exactly.
                        drop(returns.free);
                        budget.close();
                        let mut rest: Vec<Part> = vec![Part::Seg(seg)];
                        rest.extend(parts.map(|(_, p)| p));
                        // In input order: works still coming back may come before
                        // works already here.
                        for w in returns.done.iter() {
                            pending.insert(w.seq, w);
                        }
                        for w in pending.into_values() {
                            rest.extend(w.parts);
                        }
                        return c.recut(rest);
                    }
                }
                c.recycle(seg, &returns);
            }
            if let Some(bytes) = encoded {
                if c.write_encoded(bytes)? == Flow::Stop {
                    return Ok(Collected::Done(c.stopped()));
                }
            }
            budget.give_back(w.charge);
        }
    }
    Ok(Collected::Done(c.total))
}

/// How a piece's lines reach the sink.
#[derive(Clone, Copy)]
enum Lines<'e> {
    /// As they are.
    Plain,
    /// Encoded by the worker with the work's other pieces.
    Encoded,
    /// To be encoded here (a piece after one that failed, which the sink let pass).
    Late(&'e Encoders),
}

impl Collector<'_> {
    /// The counters of a run that stopped: the inputs done and the one stopped in.
    fn stopped(&mut self) -> Counters {
        let mut t = self.total;
        if let Some(s) = self.cur.take() {
            t.add(&s.counters);
        }
        t
    }

    fn write_encoded(&mut self, bytes: std::io::Result<Vec<u8>>) -> Result<Flow, EngineError> {
        bytes
            .and_then(|b| self.sink.write_encoded(&b))
            .map_err(EngineError::Output)
    }

    /// An input failed: the sink says whether the run goes on.
    fn failed(&mut self, e: EngineError) -> Result<(), EngineError> {
        if self.cur.as_ref().is_none_or(|s| s.job.holds_file()) {
            self.budget.give_file();
        }
        let counted = match self.cur.take() {
            Some(s) => {
                self.dead = Some(s.job);
                s.counters
            }
            None => Counters::default(),
        };
        self.total.add(&counted);
        self.sink.input_error(e, &counted)
    }

    /// Hands one piece's rejects and lines to the sink and counts them.
    fn seg(&mut self, seg: &Seg, lines: Lines<'_>) -> Result<Next, EngineError> {
        if let Some(dead) = &self.dead {
            if Arc::ptr_eq(dead, &seg.job) {
                if seg.last {
                    self.dead = None;
                }
                return Ok(Next::Go);
            }
            self.dead = None;
        }
        if seg.first {
            for n in &seg.job.notes {
                self.sink.note(n).map_err(EngineError::Output)?;
            }
            self.cur = Some(FileState::new(&seg.job));
        }
        if seg.recut() {
            return Ok(Next::Recut);
        }
        // A piece read from a file that changed meanwhile may hold zeros for lost bytes (the
        // last piece's check, once it is read, covers the whole input).
        if let Err(e) = seg.job.check() {
            self.failed(e)?;
            return Ok(self.drop_rest(seg));
        }
        let Some(st) = self.cur.as_mut() else {
            return Err(EngineError::Input(format!(
                "{}: a piece without its input's start",
                seg.job.cx.name
            )));
        };
        let cx = &seg.job.cx;
        let (data, oversize) = match &seg.piece {
            Piece::Range(r) => (seg.job.data().get(r.clone()).unwrap_or_default(), None),
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
        let mut out = &seg.out;
        let mut long = ChunkOutput::default();
        if let Some((bytes, len, lines, row, end, at)) = oversize {
            st.counters.bytes += bytes;
            let what = match end {
                End::Found | End::Input => "",
                End::Unterminated | End::Lost => cx.unbounded_hint,
            };
            let message = oversize_message(len, self.max_record, what);
            if end == End::Lost {
                let at = BadRow {
                    file: cx.name.clone(),
                    line: st.line + 1,
                    column: 1,
                    message,
                };
                self.failed(EngineError::Input(at.to_string()))?;
                return Ok(self.drop_rest(seg));
            }
            long.lines_seen = lines;
            if row {
                long.rows = 1;
                long.failed = seg.out.failed;
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
        let (line, column_base) = (st.line, st.column_base);
        let place = |r| placed(r, &cx.name, data, line, column_base);
        for r in &out.rejects[..kept] {
            self.sink
                .reject(&place(r), cx.header.as_deref())
                .map_err(EngineError::Output)?;
        }
        for r in &out.skipped_rows {
            let row = Reject {
                file: &cx.name,
                line: line + r.line + 1,
                column: 0,
                message: r.why(),
                raw: data.get(r.raw.clone()).unwrap_or_default(),
            };
            self.sink
                .skipped(&row, cx.header.as_deref())
                .map_err(EngineError::Output)?;
        }
        let flow = match lines {
            Lines::Plain => self.sink.write_lines(&out.lines),
            Lines::Encoded => Ok(Flow::Continue),
            Lines::Late(_) if out.lines.is_empty() => Ok(Flow::Continue),
            Lines::Late(enc) => {
                let mut bytes = Vec::new();
                enc.encode(&out.lines, &mut bytes)
                    .and_then(|()| self.sink.write_encoded(&bytes))
            }
        };
        let flow = flow.map_err(EngineError::Output)?;
        let c = &mut st.counters;
        c.rows += out.rows;
        c.written += out.written;
        c.lines += out.written + out.extra_lines;
        c.skipped += out.skipped;
        c.rejected += out.rejects.len() as u64;
        c.bytes += data.len() as u64;
        if out.failed {
            // A failing chunk ends at its last reject.
            let row = out.rejects.last().map(|r| BadRow::from(&place(r)));
            let e = row.map_or_else(
                || EngineError::Input(format!("{}: a row failed", cx.name)),
                EngineError::Row,
            );
            self.failed(e)?;
            return Ok(self.drop_rest(seg));
        }
        st.line += out.lines_seen;
        st.column_base = match (oversize, memchr::memrchr(b'\n', data)) {
            // What a skipped record left of its last line.
            (Some((bytes, .., at)), _) => at.tail.unwrap_or(st.column_base + bytes as usize),
            (None, Some(i)) => data.len() - i - 1,
            (None, None) => st.column_base + data.len(),
        };
        let counters = st.counters;
        self.sink.progress(&counters);
        if seg.last {
            // Checked above, after every piece was read.
            self.cur = None;
            self.total.add(&counters);
            self.sink.input_done(&cx.name, &counters);
            if seg.job.holds_file() {
                self.budget.give_file();
            }
        }
        Ok(match flow {
            Flow::Stop => Next::Stop,
            Flow::Continue => Next::Go,
        })
    }

    /// After an input failed at `seg` (and the sink let it pass): the rest of its pieces are
    /// dropped as they come.
    fn drop_rest(&mut self, seg: &Seg) -> Next {
        self.dead = (!seg.last).then(|| Arc::clone(&seg.job));
        Next::Go
    }

    /// The state to go on with after a wrong cut at the first of `rest`.
    fn recut(self, rest: Vec<Part>) -> Result<Collected, EngineError> {
        let mut restart = None;
        for p in rest {
            let Part::Seg(seg) = p else { continue };
            restart = Some(match (restart, seg.piece) {
                (None, Piece::Range(r)) => Restart::Mapped(r.start),
                (None, Piece::Owned(b) | Piece::Recut(b)) => Restart::Stream(b),
                (Some(Restart::Stream(mut bytes)), Piece::Owned(b) | Piece::Recut(b)) => {
                    bytes.extend_from_slice(&b);
                    Restart::Stream(bytes)
                }
                // An overlong record never ends a chunk early.
                (r, _) => r.unwrap_or(Restart::Stream(Vec::new())),
            });
        }
        let state = self.cur.ok_or_else(|| {
            EngineError::Input("a piece to cut again without its input's start".into())
        })?;
        Ok(Collected::Recut {
            total: self.total,
            state,
            restart: restart.unwrap_or(Restart::Stream(Vec::new())),
        })
    }

    fn recycle(&mut self, seg: Seg, returns: &Returns) {
        if let Piece::Owned(buf) = seg.piece {
            let _ = returns.pool.send(buf);
        }
        let _ = returns.free.send(seg.out);
    }
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
