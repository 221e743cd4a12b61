//! Converts one chunk of NDJSON rows (one object per line), or of elements of a top-level
//! JSON array: the work a worker does, with its reused buffers.

use crate::chunk_csv::several;
use crate::json_scan::{
    skip_blank, skip_value, Found, JsonError, PointerTree, Scanner, Slot, DUPLICATE_KEY,
};
use crate::mapper::{map_row, map_row_rich, Cell, Cells, Mapped, Scratch};
use crate::multi::LinePlan;
use crate::multi_json::JsonIterations;
use crate::pipeline::oversize_message;
use crate::pipeline::ChunkAt;
use crate::report::{ChunkOutput, RowReject};
use lpconvert_schema::{OnError, Plan};

/// The cells of one NDJSON row: the slots the scanner filled.
pub(crate) struct JsonCells<'a> {
    pub(crate) slots: &'a [Slot],
    pub(crate) row: &'a [u8],
    pub(crate) scratch: &'a [u8],
}

impl Cells for JsonCells<'_> {
    #[inline]
    fn get(&self, slot: usize) -> Result<Cell<'_>, &'static str> {
        let found = &self.slots[slot].found;
        let (text, window): (&[u8], &[u8]) = match found {
            Found::Missing | Found::Null => (b"", b""),
            Found::Bool(b) => {
                let text: &[u8] = if *b { b"true" } else { b"false" };
                return Ok(Cell {
                    text,
                    json_bool: true,
                    json_number: false,
                    window: text,
                });
            }
            Found::Number(r) | Found::Str(r) => (&self.row[r.clone()], &self.row[r.start..]),
            Found::Decoded(r) => (&self.scratch[r.clone()], &self.scratch[r.start..]),
            Found::Composite(what) => return Err(what),
        };
        Ok(Cell {
            text,
            json_bool: false,
            json_number: matches!(found, Found::Number(_)),
            window,
        })
    }

    fn column(&self, slot: usize) -> usize {
        match self.slots[slot].found {
            Found::Missing => 1,
            _ => self.slots[slot].offset + 1,
        }
    }

    fn json_text(&self, slot: usize) -> Option<&[u8]> {
        let s = &self.slots[slot];
        match s.found {
            Found::Composite(_) => {
                let end = crate::json_scan::skip_value(self.row, s.offset).ok()?;
                self.row.get(s.offset..end)
            }
            _ => None,
        }
    }
}

/// A worker's reusable state for NDJSON chunks.
#[derive(Debug)]
pub struct NdjsonWorker {
    tree: PointerTree,
    scanner: Scanner,
    slots: Vec<Slot>,
    scratch: Scratch,
    /// Rows are the elements of one top-level JSON array.
    array: bool,
    /// Longer rows are rejected.
    max_record: usize,
    /// The rebindable copy of the plan, for plans of several lines per record.
    line: Option<Box<LinePlan>>,
    /// The pointer trees of `*` paths, for plans that iterate.
    iterations: Option<Box<JsonIterations>>,
}

impl NdjsonWorker {
    /// A worker for `plan`; `array` when the input is one JSON array of objects. Rows
    /// longer than `max_record` bytes are rejected.
    pub fn new(plan: &Plan, array: bool, max_record: usize) -> NdjsonWorker {
        let iterations = plan
            .multi
            .as_ref()
            .filter(|m| !m.iterations.is_empty() || !m.spreads.is_empty())
            .map(|m| Box::new(JsonIterations::new(plan, m)));
        NdjsonWorker {
            tree: match &iterations {
                Some(it) => it.root.clone(),
                None => PointerTree::new(&plan.pointers),
            },
            scanner: Scanner::default(),
            slots: vec![
                Slot::default();
                iterations
                    .as_ref()
                    .map_or(plan.pointers.len(), |it| it.slots)
            ],
            scratch: Scratch::default(),
            array,
            max_record,
            line: plan.multi.as_ref().map(|_| Box::new(LinePlan::new(plan))),
            iterations,
        }
    }

    /// Converts the rows of `data` into `out` (cleared first); `at` says whether the chunk
    /// is the input's first and last (a JSON array must close in its last chunk).
    pub fn convert(&mut self, plan: &Plan, data: &[u8], at: ChunkAt, out: &mut ChunkOutput) {
        out.clear();
        if self.array {
            self.convert_array(plan, data, at, out);
        } else {
            self.convert_lines(plan, data, out);
        }
    }

    /// Maps one row (a converted one is counted; the caller records a skipped one). Returns
    /// the error's byte offset in the row and message, if any.
    fn map(
        &mut self,
        plan: &Plan,
        row: &[u8],
        out: &mut ChunkOutput,
    ) -> Result<Mapped, (usize, String)> {
        let scanned = self
            .scanner
            .scan_row(row, 0, &self.tree, &mut self.slots)
            .and_then(|end| {
                let end = skip_blank(row, end);
                if end < row.len() {
                    Err(JsonError {
                        offset: end,
                        message: "text after the JSON object",
                    })
                } else {
                    Ok(())
                }
            });
        if let Err(e) = scanned {
            if e.message == DUPLICATE_KEY {
                return Err((e.offset, e.message.to_owned()));
            }
            return Err((e.offset, format!("invalid JSON: {}", e.message)));
        }
        let mapped = match (&plan.multi, &mut self.line, &mut self.iterations) {
            (Some(multi), Some(line), Some(it)) => it
                .map_record(
                    multi,
                    line,
                    &mut self.scanner,
                    &mut self.slots,
                    row,
                    &mut out.lines,
                    &mut self.scratch,
                )
                .map(|n| {
                    out.extra_lines += n.saturating_sub(1);
                    if n == 0 {
                        Mapped::Skipped
                    } else {
                        Mapped::Written
                    }
                }),
            (multi, line, _) => {
                let cells = JsonCells {
                    slots: &self.slots,
                    row,
                    scratch: &self.scanner.scratch,
                };
                match (multi, line) {
                    (Some(multi), Some(line)) => {
                        several(multi, line, &cells, &mut out.lines, &mut self.scratch)
                    }
                    _ if plan.rich => map_row_rich(plan, &cells, &mut out.lines, &mut self.scratch),
                    _ => map_row(plan, &cells, &mut out.lines, &mut self.scratch),
                }
            }
        };
        match mapped {
            Ok(Mapped::Written) => {
                out.written += 1;
                Ok(Mapped::Written)
            }
            Ok(Mapped::Skipped) => Ok(Mapped::Skipped),
            Err(e) => Err((e.column.saturating_sub(1), e.message)),
        }
    }

    fn convert_lines(&mut self, plan: &Plan, data: &[u8], out: &mut ChunkOutput) {
        let mut pos = 0;
        let mut line = 0u64;
        while pos < data.len() {
            let (end, next) = match memchr::memchr(b'\n', &data[pos..]) {
                Some(i) => (pos + i, pos + i + 1),
                None => (data.len(), data.len()),
            };
            let row = &data[pos..end];
            // A line too long is a row error even when blank: a stream cannot hold it to
            // look, and mapped or streamed must count alike.
            if row.len() > self.max_record || skip_blank(row, 0) < row.len() {
                out.rows += 1;
                let result = if row.len() > self.max_record {
                    Err((0, oversize_message(row.len() as u64, self.max_record, "")))
                } else {
                    self.map(plan, row, out)
                };
                if let Ok(Mapped::Skipped) = result {
                    out.push_skipped(line, pos..next, plan.multi.is_some());
                }
                if let Err((offset, message)) = result {
                    out.push_reject(RowReject {
                        line,
                        column: offset + 1,
                        message,
                        raw: pos..next,
                    });
                    if plan.on_error == OnError::Fail {
                        out.failed = true;
                        out.lines_seen = line + u64::from(next > end);
                        return;
                    }
                }
            }
            line += u64::from(next > end);
            pos = next;
        }
        out.lines_seen = line;
    }

    fn convert_array(&mut self, plan: &Plan, data: &[u8], at: ChunkAt, out: &mut ChunkOutput) {
        let mut arr = ArrayChunk {
            data,
            out,
            fail: plan.on_error == OnError::Fail,
        };
        // A chunk starts after `[` (the first one) or right after an element.
        let mut after_element = !at.first;
        let mut after_comma = false;
        let mut pos = 0;
        // Line feeds before byte `.0` of the chunk: `.1` (the line of a skipped element).
        let mut lfs = (0usize, 0u64);
        loop {
            pos = skip_blank(data, pos);
            match data.get(pos) {
                None => {
                    if at.last {
                        let msg = "invalid JSON: the top-level array is not closed with `]` (is the file truncated?)";
                        arr.reject_at(pos, pos..data.len(), msg.into());
                    }
                    break;
                }
                Some(b',') if after_element => {
                    after_element = false;
                    after_comma = true;
                    pos += 1;
                }
                Some(b',') => {
                    if !arr.reject_at(
                        pos,
                        pos..pos + 1,
                        "invalid JSON: `,` where an array element is expected".into(),
                    ) {
                        break;
                    }
                    pos += 1;
                }
                Some(b']') => {
                    if after_comma
                        && !arr.reject_at(
                            pos,
                            pos..pos + 1,
                            "invalid JSON: `,` before the closing `]`".into(),
                        )
                    {
                        break;
                    }
                    let end = skip_blank(data, pos + 1);
                    if end < data.len() {
                        arr.reject_at(
                            end,
                            end..data.len(),
                            "invalid JSON: text after the top-level array".into(),
                        );
                    }
                    break;
                }
                Some(_) => {
                    let end = match skip_value(data, pos) {
                        Ok(end) => end,
                        Err(e) => {
                            // The array cannot be followed past a syntax error.
                            let msg = format!(
                                "invalid JSON: {}; the rest of the array cannot be read",
                                e.message
                            );
                            arr.reject_at(e.offset, pos..data.len(), msg);
                            break;
                        }
                    };
                    let row = &data[pos..end];
                    let result = if row.len() > self.max_record {
                        Err((0, oversize_message(row.len() as u64, self.max_record, "")))
                    } else if after_element {
                        Err((
                            0,
                            "invalid JSON: missing `,` before this array element".to_string(),
                        ))
                    } else {
                        self.map(plan, row, arr.out)
                    };
                    match result {
                        Ok(Mapped::Written) => arr.out.rows += 1,
                        Ok(Mapped::Skipped) => {
                            arr.out.rows += 1;
                            // Line feeds counted once, from the last skipped element on.
                            lfs.1 += memchr::memchr_iter(b'\n', &data[lfs.0..pos]).count() as u64;
                            lfs.0 = pos;
                            arr.out.push_skipped(lfs.1, pos..end, plan.multi.is_some());
                        }
                        Err((offset, message)) => {
                            if !arr.reject_at(pos + offset, pos..end, message) {
                                break;
                            }
                        }
                    }
                    after_element = true;
                    after_comma = false;
                    pos = end;
                }
            }
        }
        arr.out.lines_seen = memchr::memchr_iter(b'\n', data).count() as u64;
    }
}

/// Rejects inside a JSON array chunk, placed at the physical line and column of the error.
struct ArrayChunk<'a> {
    data: &'a [u8],
    out: &'a mut ChunkOutput,
    fail: bool,
}

impl ArrayChunk<'_> {
    /// Records a rejected row whose error is at byte `at` of the chunk; returns false when
    /// the chunk must stop. The column of an error on the chunk's first line is relative to
    /// the chunk's start (the collector adds what came before).
    fn reject_at(&mut self, at: usize, raw: std::ops::Range<usize>, message: String) -> bool {
        let at = at.min(self.data.len());
        let before = &self.data[..at];
        let line = memchr::memchr_iter(b'\n', before).count() as u64;
        let column = at - memchr::memrchr(b'\n', before).map_or(0, |i| i + 1) + 1;
        self.out.rows += 1;
        self.out.push_reject(RowReject {
            line,
            column,
            message,
            raw,
        });
        if self.fail {
            self.out.failed = true;
        }
        !self.fail
    }
}
