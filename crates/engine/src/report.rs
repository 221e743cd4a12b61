//! What converting a chunk produces, and the counters of a whole run.

use std::ops::Range;

/// A rejected row inside a chunk: line relative to the chunk, raw byte range in the chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowReject {
    /// 0-based line of the row's first line, relative to the chunk.
    pub line: u64,
    /// 1-based column (0 when none applies).
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// The row's bytes in the chunk, terminator included.
    pub raw: Range<usize>,
}

/// The result of converting one chunk, reused between chunks.
#[derive(Debug, Default)]
pub struct ChunkOutput {
    /// Line protocol lines.
    pub lines: Vec<u8>,
    /// Rows read (records, not counting blank and comment lines).
    pub rows: u64,
    /// Rows converted (each wrote at least one line).
    pub written: u64,
    /// Lines written beyond one per converted row (records that wrote several lines).
    pub extra_lines: u64,
    /// Rows that produced no line (every field empty); blank and comment lines for `check`.
    pub skipped: u64,
    /// The rows counted in `skipped` that produced no line, in order (`check` records none).
    pub skipped_rows: Vec<SkippedRow>,
    /// Rejected rows, in order.
    pub rejects: Vec<RowReject>,
    /// The chunk stopped at its last reject (`on_error = "fail"`).
    pub failed: bool,
    /// Line feeds consumed in the chunk.
    pub lines_seen: u64,
    /// The chunk ended inside a quoted field: unless it is the input's last chunk, its end
    /// was not a record boundary.
    pub open_end: bool,
}

impl ChunkOutput {
    /// Empties the output, keeping its allocations.
    pub fn clear(&mut self) {
        self.lines.clear();
        self.rows = 0;
        self.written = 0;
        self.extra_lines = 0;
        self.skipped = 0;
        self.skipped_rows.clear();
        self.rejects.clear();
        self.failed = false;
        self.lines_seen = 0;
        self.open_end = false;
    }

    /// Records a rejected row.
    pub fn push_reject(&mut self, r: RowReject) {
        self.rejects.push(r);
    }

    /// Counts and records a row that produced no line: its first line relative to the chunk,
    /// its bytes in the chunk, and whether its plan writes several lines per record.
    pub fn push_skipped(&mut self, line: u64, raw: Range<usize>, several: bool) {
        self.skipped += 1;
        self.skipped_rows.push(SkippedRow { line, raw, several });
    }

    /// Bytes this output holds beyond its input: the lines, and the places of the rows that
    /// produced none (so that a chunk of empty rows counts against the memory budget too).
    pub fn held(&self) -> usize {
        self.lines.len() + self.skipped_rows.len() * std::mem::size_of::<SkippedRow>()
    }
}

/// A row inside a chunk that produced no line: line relative to the chunk, raw byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRow {
    /// 0-based line of the row's first line, relative to the chunk.
    pub line: u64,
    /// The row's bytes in the chunk, terminator included.
    pub raw: Range<usize>,
    /// Its plan writes several lines per record (none matched or had a value), rather than
    /// one whose fields were all empty.
    pub several: bool,
}

impl SkippedRow {
    /// Why the row produced no line, as messages and the summary say it.
    pub fn why(&self) -> &'static str {
        if self.several {
            NO_LINE
        } else {
            EVERY_FIELD_EMPTY
        }
    }
}

/// Why a row of a plan with one line per record was skipped.
pub const EVERY_FIELD_EMPTY: &str = "every field empty";

/// Why a record of a plan with several lines per record was skipped.
pub const NO_LINE: &str = "no line: every field empty or nothing matched";

/// Counters of a run: rows read = written + skipped + rejected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Rows read.
    pub rows: u64,
    /// Rows converted (each wrote at least one line).
    pub written: u64,
    /// Lines written: `written` plus the extra lines of records that wrote several.
    pub lines: u64,
    /// Rows skipped because every field was empty.
    pub skipped: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// Input bytes consumed.
    pub bytes: u64,
}

impl Counters {
    /// Adds another run's counters.
    pub fn add(&mut self, o: &Counters) {
        self.rows += o.rows;
        self.written += o.written;
        self.lines += o.lines;
        self.skipped += o.skipped;
        self.rejected += o.rejected;
        self.bytes += o.bytes;
    }
}

/// A rejected row with its absolute position, as handed to the sink.
#[derive(Debug, Clone, Copy)]
pub struct Reject<'a> {
    /// The input's name.
    pub file: &'a str,
    /// 1-based physical line number (the header is line 1).
    pub line: u64,
    /// 1-based column (0 when none applies).
    pub column: usize,
    /// What is wrong.
    pub message: &'a str,
    /// The row verbatim.
    pub raw: &'a [u8],
}

impl std::fmt::Display for Reject<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_at(f, self.file, self.line, self.column, self.message)
    }
}

impl Reject<'_> {
    /// A row that produced no line (handed to [`crate::Sink::skipped`], its `message` the
    /// reason, its column 0) as messages name it: `file:line: message`.
    pub fn at_line(&self) -> impl std::fmt::Display + '_ {
        struct Skipped<'r, 'a>(&'r Reject<'a>);
        impl std::fmt::Display for Skipped<'_, '_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let r = self.0;
                write!(f, "{}:{}: {}", OneLine(r.file), r.line, r.message)
            }
        }
        Skipped(self)
    }
}

/// A bad row with its place: the error of a conversion that stops at it
/// (`on_error = "fail"`). Shown as `file:line:column: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// The input's name.
    pub file: String,
    /// 1-based physical line number.
    pub line: u64,
    /// 1-based column (0 when none applies).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl From<&Reject<'_>> for BadRow {
    fn from(r: &Reject<'_>) -> BadRow {
        BadRow {
            file: r.file.to_owned(),
            line: r.line,
            column: r.column,
            message: r.message.to_owned(),
        }
    }
}

impl std::fmt::Display for BadRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_at(f, &self.file, self.line, self.column, &self.message)
    }
}

impl std::error::Error for BadRow {}

/// `file:line:column: message`, the one shape of a row's place and error.
fn write_at(
    f: &mut std::fmt::Formatter<'_>,
    file: &str,
    line: u64,
    column: usize,
    message: &str,
) -> std::fmt::Result {
    write!(f, "{}:{line}:{column}: {message}", OneLine(file))
}

/// A file name as a place shows it: control characters (a line feed in a name) escaped as
/// Rust writes them (`\n`, `\u{1b}`), so that one place stays one line of a reasons file.
pub struct OneLine<'a>(pub &'a str);

impl std::fmt::Display for OneLine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.0.chars().any(char::is_control) {
            return f.write_str(self.0);
        }
        for c in self.0.chars() {
            match c.is_control() {
                true => write!(f, "{}", c.escape_debug())?,
                false => write!(f, "{c}")?,
            }
        }
        Ok(())
    }
}
