//! Converts one chunk of NDJSON rows (one object per line), or of elements of a top-level
//! JSON array: the work a worker does, with its reused buffers.

use crate::json_scan::{skip_blank, Found, PointerTree, Scanner, Slot};
use crate::mapper::{map_row, Cell, Cells, Mapped, Scratch};
use crate::report::{ChunkOutput, RowReject};
use lpconvert_schema::{OnError, Plan};

struct JsonCells<'a> {
    slots: &'a [Slot],
    row: &'a [u8],
    scratch: &'a [u8],
}

impl Cells for JsonCells<'_> {
    #[inline]
    fn get(&self, slot: usize) -> Result<Cell<'_>, &'static str> {
        let text: &[u8] = match &self.slots[slot].found {
            Found::Missing | Found::Null => b"",
            Found::Bool(b) => {
                return Ok(Cell {
                    text: if *b { b"true" } else { b"false" },
                    json_bool: true,
                })
            }
            Found::Number(r) | Found::Str(r) => &self.row[r.clone()],
            Found::Decoded(r) => &self.scratch[r.clone()],
            Found::Composite(what) => return Err(what),
        };
        Ok(Cell {
            text,
            json_bool: false,
        })
    }

    fn column(&self, slot: usize) -> usize {
        match self.slots[slot].found {
            Found::Missing => 0,
            _ => self.slots[slot].offset + 1,
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
}

impl NdjsonWorker {
    /// A worker for `plan`; `array` when the input is one JSON array of objects.
    pub fn new(plan: &Plan, array: bool) -> NdjsonWorker {
        NdjsonWorker {
            tree: PointerTree::new(&plan.pointers),
            scanner: Scanner::default(),
            slots: vec![Slot::default(); plan.pointers.len()],
            scratch: Scratch::default(),
            array,
        }
    }

    /// Converts the rows of `data` into `out` (cleared first).
    pub fn convert(&mut self, plan: &Plan, data: &[u8], out: &mut ChunkOutput) {
        out.clear();
        if self.array {
            self.convert_array(plan, data, out);
        } else {
            self.convert_lines(plan, data, out);
        }
    }

    /// Maps one row; returns false when the chunk must stop (`on_error = "fail"`).
    fn row(
        &mut self,
        plan: &Plan,
        row: &[u8],
        raw: std::ops::Range<usize>,
        line: u64,
        out: &mut ChunkOutput,
    ) -> bool {
        out.rows += 1;
        let scanned = self
            .scanner
            .scan_row(row, 0, &self.tree, &mut self.slots)
            .and_then(|end| {
                let end = skip_blank(row, end);
                if end < row.len() {
                    Err(crate::json_scan::JsonError {
                        offset: end,
                        message: "text after the JSON object",
                    })
                } else {
                    Ok(())
                }
            });
        let result = match scanned {
            Err(e) => Err((e.offset + 1, format!("invalid JSON: {}", e.message))),
            Ok(()) => {
                let cells = JsonCells {
                    slots: &self.slots,
                    row,
                    scratch: &self.scanner.scratch,
                };
                map_row(plan, &cells, &mut out.lines, &mut self.scratch)
                    .map_err(|e| (e.column, e.message))
            }
        };
        match result {
            Ok(Mapped::Written) => out.written += 1,
            Ok(Mapped::Skipped) => out.skipped += 1,
            Err((column, message)) => {
                out.push_reject(RowReject {
                    line,
                    column,
                    message,
                    raw,
                });
                if plan.on_error == OnError::Fail {
                    out.failed = true;
                    return false;
                }
            }
        }
        true
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
            if skip_blank(row, 0) < row.len() && !self.row(plan, row, pos..next, line, out) {
                out.lines_seen = line + u64::from(next > end);
                return;
            }
            line += u64::from(next > end);
            pos = next;
        }
        out.lines_seen = line;
    }

    fn convert_array(&mut self, plan: &Plan, data: &[u8], out: &mut ChunkOutput) {
        let count = |r: &[u8]| memchr::memchr_iter(b'\n', r).count() as u64;
        let mut pos = 0;
        let mut line = 0u64;
        loop {
            let p = skip_blank(data, pos);
            line += count(&data[pos..p]);
            pos = p;
            match data.get(pos) {
                None => break,
                Some(b',') => pos += 1,
                Some(b']') => {
                    let end = skip_blank(data, pos + 1);
                    line += count(&data[pos..end]);
                    if end < data.len() {
                        out.rows += 1;
                        out.push_reject(RowReject {
                            line,
                            column: 1,
                            message: "invalid JSON: text after the top-level array".into(),
                            raw: end..data.len(),
                        });
                        out.failed = plan.on_error == OnError::Fail;
                        line += count(&data[end..]);
                    }
                    break;
                }
                Some(_) => {
                    let end = match crate::json_scan::skip_value(data, pos) {
                        Ok(end) => end,
                        Err(e) => {
                            // The array cannot be followed past a syntax error.
                            out.rows += 1;
                            let message = format!("invalid JSON in the array (byte {} of the element): {}; the rest of the array cannot be read", e.offset - pos + 1, e.message);
                            out.push_reject(RowReject {
                                line,
                                column: 1,
                                message,
                                raw: pos..data.len(),
                            });
                            out.failed = plan.on_error == OnError::Fail;
                            line += count(&data[pos..]);
                            break;
                        }
                    };
                    let row = &data[pos..end];
                    if !self.row(plan, row, pos..end, line, out) {
                        break;
                    }
                    line += count(row);
                    pos = end;
                }
            }
        }
        out.lines_seen = line;
    }
}
