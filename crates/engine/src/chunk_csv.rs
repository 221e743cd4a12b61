//! Converts one chunk of CSV records: the work a worker does, with its reused buffers.

use crate::csv_record::{Dialect, Record, RecordReader};
use crate::mapper::{map_row, map_row_rich, Cell, Cells, Mapped, RowError, Scratch};
use crate::multi::{map_record, LinePlan};
use crate::pipeline::oversize_message;
use crate::report::{ChunkOutput, RowReject};
use lpconvert_schema::{OnError, Plan};

struct CsvCells<'a> {
    rec: &'a Record,
    data: &'a [u8],
}

impl Cells for CsvCells<'_> {
    #[inline]
    fn get(&self, slot: usize) -> Result<Cell<'_>, &'static str> {
        let (text, window) = self.rec.cell_window(self.data, slot);
        Ok(Cell {
            text,
            json_bool: false,
            json_number: false,
            window,
        })
    }

    fn column(&self, slot: usize) -> usize {
        slot + 1
    }
}

/// Said of a record too long whose end is never found (the input ends inside quotes).
pub(crate) const NO_RECORD_END: &str = ", with no record end found (a quote that never \
                                         closes?); check [csv] quote and the file";

/// The length of the record `data[start..end]` without its line feed.
#[inline]
fn record_len(data: &[u8], start: usize, end: usize) -> usize {
    end - start - usize::from(end > start && data[end - 1] == b'\n')
}

/// A worker's reusable state for CSV chunks.
#[derive(Debug)]
pub struct CsvWorker {
    rec: Record,
    scratch: Scratch,
    max_record: usize,
    /// The rebindable copy of the plan, for plans of several lines per record.
    line: Option<Box<LinePlan>>,
}

impl Default for CsvWorker {
    fn default() -> CsvWorker {
        CsvWorker::new(crate::DEFAULT_MAX_RECORD)
    }
}

impl CsvWorker {
    /// A worker that rejects records longer than `max_record` bytes.
    pub fn new(max_record: usize) -> CsvWorker {
        CsvWorker {
            rec: Record::default(),
            scratch: Scratch::default(),
            max_record,
            line: None,
        }
    }

    /// Converts every record of `data` into `out` (cleared first). Line numbers in the
    /// result are relative to the chunk's first line.
    pub fn convert(&mut self, plan: &Plan, dialect: Dialect, data: &[u8], out: &mut ChunkOutput) {
        let (rec, scratch) = (&mut self.rec, &mut self.scratch);
        let max = self.max_record;
        match &plan.multi {
            None if plan.rich => convert_records(
                rec,
                scratch,
                max,
                plan,
                dialect,
                data,
                out,
                &mut OneLine::<true>,
            ),
            None => convert_records(
                rec,
                scratch,
                max,
                plan,
                dialect,
                data,
                out,
                &mut OneLine::<false>,
            ),
            Some(multi) => {
                let line = self
                    .line
                    .get_or_insert_with(|| Box::new(LinePlan::new(plan)));
                let mut several = Several {
                    multi,
                    line,
                    extra: 0,
                };
                convert_records(rec, scratch, max, plan, dialect, data, out, &mut several);
                out.extra_lines = several.extra;
            }
        }
    }
}

/// How a record becomes lines: one line (the plain plan) or several.
trait MapRecord {
    /// Appends the record's lines to `out`; on error `out` is left as it was.
    fn map<C: Cells>(
        &mut self,
        plan: &Plan,
        cells: &C,
        out: &mut Vec<u8>,
        scratch: &mut Scratch,
    ) -> Result<Mapped, RowError>;
}

/// One line per record: the mapper as it always was, or (`RICH`) its instance with the
/// plan's value rules.
struct OneLine<const RICH: bool>;

impl<const RICH: bool> MapRecord for OneLine<RICH> {
    #[inline(always)]
    fn map<C: Cells>(
        &mut self,
        plan: &Plan,
        cells: &C,
        out: &mut Vec<u8>,
        scratch: &mut Scratch,
    ) -> Result<Mapped, RowError> {
        if RICH {
            map_row_rich(plan, cells, out, scratch)
        } else {
            map_row(plan, cells, out, scratch)
        }
    }
}

/// Several lines per record, through the worker's line plan.
struct Several<'a> {
    multi: &'a lpconvert_schema::MultiPlan,
    line: &'a mut LinePlan,
    /// Lines beyond one per converted record.
    extra: u64,
}

impl MapRecord for Several<'_> {
    fn map<C: Cells>(
        &mut self,
        _plan: &Plan,
        cells: &C,
        out: &mut Vec<u8>,
        scratch: &mut Scratch,
    ) -> Result<Mapped, RowError> {
        let n = map_record(self.multi, self.line, cells, out, scratch)?;
        self.extra += n.saturating_sub(1);
        Ok(if n == 0 {
            Mapped::Skipped
        } else {
            Mapped::Written
        })
    }
}

/// Converts every record of `data` into `out` (cleared first), each through `mapper`. Line
/// numbers in the result are relative to the chunk's first line.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn convert_records<M: MapRecord>(
    rec: &mut Record,
    scratch: &mut Scratch,
    max_record: usize,
    plan: &Plan,
    dialect: Dialect,
    data: &[u8],
    out: &mut ChunkOutput,
    mapper: &mut M,
) {
    out.clear();
    let width = plan.slot_names.len();
    let several = plan.multi.is_some();
    let mut reader = RecordReader::new(dialect, 0).with_limit(max_record);
    loop {
        let read = reader.read(data, rec);
        let (line, start, end) = (rec.line, rec.start, rec.end);
        let err = match read {
            Ok(false) => break,
            Err(u) => {
                out.open_end = true;
                let len = record_len(data, start, data.len());
                let message = if len > max_record {
                    // As a stream says when it skips it (it cannot see the cell).
                    oversize_message(len as u64, max_record, NO_RECORD_END)
                } else {
                    "unterminated quoted field: a quote opened here never closes".to_string()
                };
                let cell = if len > max_record { 1 } else { u.cell };
                Some((cell, message, data.len()))
            }
            Ok(true) if record_len(data, start, end) > max_record => Some((
                1,
                oversize_message(record_len(data, start, end) as u64, max_record, ""),
                end,
            )),
            Ok(true) if rec.len() != width => Some((
                rec.len().min(width + 1),
                format!("the row has {} cells but the header has {width}", rec.len()),
                end,
            )),
            Ok(true) => {
                let cells = CsvCells { rec, data };
                match mapper.map(plan, &cells, &mut out.lines, scratch) {
                    Ok(Mapped::Written) => out.written += 1,
                    Ok(Mapped::Skipped) => out.push_skipped(line, start..end, several),
                    Err(e) => {
                        out.rows += 1;
                        out.push_reject(RowReject {
                            line,
                            column: e.column,
                            message: e.message,
                            raw: start..end,
                        });
                        if plan.on_error == OnError::Fail {
                            out.failed = true;
                            break;
                        }
                        continue;
                    }
                }
                out.rows += 1;
                None
            }
        };
        if let Some((column, message, end)) = err {
            out.rows += 1;
            out.push_reject(RowReject {
                line,
                column,
                message,
                raw: start..end,
            });
            if plan.on_error == OnError::Fail {
                out.failed = true;
                break;
            }
        }
    }
    out.lines_seen = reader.lines();
}

/// Maps a record of a plan with several lines per record: written when it wrote a line.
#[cold]
#[inline(never)]
pub(crate) fn several<C: Cells>(
    multi: &lpconvert_schema::MultiPlan,
    line: &mut LinePlan,
    cells: &C,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<Mapped, RowError> {
    Ok(match map_record(multi, line, cells, out, scratch)? {
        0 => Mapped::Skipped,
        _ => Mapped::Written,
    })
}
