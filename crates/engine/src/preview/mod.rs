//! `lpconvert preview`: the first records of an input, each with what the schema reads from
//! it and the lines it becomes, or its row error. The conversion itself is the engine's: the
//! input is prepared as for `convert_input` (`prepare_input`: its preamble, plan and chunk
//! converter, a `Prepared`); only the driver differs ([`Drive::Preview`]): it hands the
//! converter one record at a time, in order, on the calling thread, instead of chunks to
//! the parallel pipeline. Output never
//! depends on the chunk size, so each record's lines are exactly what convert writes for it.

use crate::csv_record::Dialect;
use crate::input::Wait;
use crate::job::Prepared;
use crate::pipeline::{self, Sink, Tuning};
use crate::{BadRow, Counters, EngineError, Input};
use lpconvert_schema::{OnError, Schema};

mod drive;
mod reads;

/// One record of a preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordView {
    /// The 1-based physical line the record starts on (the header is line 1).
    pub line: u64,
    /// What the schema reads from the record, in the order of the line.
    pub reads: Vec<Read>,
    /// The lines of line protocol it becomes, without line feeds (none when it is rejected
    /// or skipped).
    pub lines: Vec<String>,
    /// Its row error, placed as convert places it (`file:line:column: message`).
    pub error: Option<BadRow>,
}

/// A value the schema reads from a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// What it becomes: `measurement`, `time`, `tag KEY`, `field KEY`, `key of field KEY`.
    pub entry: String,
    /// Where it comes from, as the schema says: `column "host"`, `path "/a/b"`,
    /// `columns "date" "time"`, `template`, `value`, `key_of "s*"`.
    pub source: String,
    /// What was there.
    pub taken: Taken,
}

/// The text a source gave for one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// The source is not in the record (an NDJSON path that is absent, a CSV cell past the
    /// row's end).
    Missing,
    /// One text, quoted as in the input's syntax (`"a"` for a CSV cell or JSON string,
    /// `21.5` for a JSON number).
    One(String),
    /// A `*` source or a template: each match's (or part's) name and text.
    Each(Vec<(String, String)>),
    /// Known from the schema, the same for every record (a constant, the file name).
    Fixed(String),
}

/// The first records of an input, as a conversion sees them.
#[derive(Debug, Default)]
pub struct Preview {
    /// The records, in input order.
    pub records: Vec<RecordView>,
    /// More records follow the ones shown.
    pub more: bool,
    /// Whether more follow is not known: a pipe or terminal that had not ended was not read
    /// past the records shown (it may stay open without writing).
    pub unread: bool,
}

/// Records what the preview driver saw, until it has the records it wants.
#[derive(Debug, Default)]
pub struct Recorder {
    records: Vec<RecordView>,
    wanted: usize,
    more: bool,
    unread: bool,
    /// The input is a regular file (perhaps compressed): reading it cannot block, past the
    /// records shown included.
    regular: bool,
    /// Lines before the current table (annotated CSV: the table's place in the file).
    pub(crate) line_offset: u64,
}

impl Recorder {
    /// It has all the records it wants.
    pub(crate) fn full(&self) -> bool {
        self.records.len() >= self.wanted
    }
}

/// How a record's cells are read for [`Read`]s.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Reader {
    /// CSV with this dialect.
    Csv(Dialect),
    /// One JSON object.
    Ndjson,
}

/// Where a conversion's records go once the preamble is read and the plan compiled.
pub(crate) enum Drive<'a> {
    /// The parallel ordered pipeline, into a sink: a conversion.
    Convert(&'a mut dyn Sink),
    /// One record at a time into a [`Recorder`]: a preview.
    Preview(&'a mut Recorder),
}

impl Drive<'_> {
    /// How its input's stream is read: whole chunks for a conversion or a regular file's
    /// preview, what comes for a pipe's preview (a slow pipe shows its first records as
    /// soon as they are whole).
    pub(crate) fn wait(&self) -> Wait {
        match self {
            Drive::Preview(rec) if !rec.regular => Wait::Some,
            _ => Wait::All,
        }
    }

    /// Runs the records of a prepared input: the ordered pipeline for a conversion, one
    /// record at a time for a preview.
    pub(crate) fn run(
        &mut self,
        prepared: Prepared,
        tuning: Tuning,
    ) -> Result<Counters, EngineError> {
        match self {
            Drive::Convert(sink) => pipeline::run_one(prepared, tuning, &mut **sink),
            Drive::Preview(rec) => drive::run(prepared, tuning.max_record, rec),
        }
    }
}

/// Converts the first `records` records of `input` with `schema` (every row error shown,
/// whatever its `on_error`), each with what the schema reads from it.
pub fn preview(
    input: Input,
    schema: &Schema,
    tuning: Tuning,
    records: usize,
) -> Result<Preview, EngineError> {
    let mut schema = schema.clone();
    schema.on_error = OnError::Skip;
    let mut rec = Recorder {
        wanted: records,
        regular: input.size.is_some(),
        ..Recorder::default()
    };
    if records > 0 {
        crate::convert_by(input, &schema, tuning, &mut Drive::Preview(&mut rec))?;
    }
    Ok(Preview {
        records: rec.records,
        more: rec.more,
        unread: rec.unread,
    })
}

#[cfg(test)]
mod tests;
