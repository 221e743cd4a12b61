//! A CSV record reader over a byte slice: RFC 4180 quoting (or backslash escapes), comment
//! lines, blank lines, CRLF, optional trimming. Cells of unquoted or plain quoted fields
//! borrow the input; only fields with escaped quotes are copied into a reused scratch buffer.
mod blocks;
mod reader;
#[cfg(test)]
mod tests;

pub use reader::RecordReader;

use lpconvert_schema::CsvSpec;

/// The bytes that shape a CSV dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// Field delimiter.
    pub delimiter: u8,
    /// Quote byte.
    pub quote: u8,
    /// Escape byte inside quotes; `None` means doubled quotes.
    pub escape: Option<u8>,
    /// Comment line start.
    pub comment: Option<u8>,
    /// Trim spaces and tabs around unquoted values.
    pub trim: bool,
}

impl Dialect {
    /// RFC 4180: comma-delimited, quotes doubled, no comments, nothing trimmed.
    pub const RFC4180: Dialect = Dialect {
        delimiter: b',',
        quote: b'"',
        escape: None,
        comment: None,
        trim: false,
    };

    /// The dialect of a schema's `[csv]` table, with the delimiter defaulting to `default_delim`.
    pub fn from_spec(spec: &CsvSpec, default_delim: u8) -> Dialect {
        Dialect {
            delimiter: spec.delimiter.unwrap_or(default_delim),
            quote: spec.quote,
            escape: spec.escape,
            comment: spec.comment,
            trim: spec.trim,
        }
    }
}

/// Where a cell's bytes are: in the input, or in the record's scratch buffer.
#[derive(Debug, Clone, Copy)]
pub(super) struct Span {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) scratch: bool,
}

/// A record error (the only one: a quote that never closes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unterminated {
    /// 1-based cell number of the field.
    pub cell: usize,
}

/// Most cells of a record that are kept: a longer record (a line of commas) is counted but
/// not stored, so memory stays bounded (24 bytes a cell would otherwise be 24 times the
/// record). A header with more cells is refused, so rows this wide are always row errors.
pub const MAX_CELLS: usize = 1 << 20;

/// One parsed record, reused from row to row.
#[derive(Debug, Default)]
pub struct Record {
    spans: Vec<Span>,
    /// Cells past [`MAX_CELLS`], counted only.
    dropped: usize,
    pub(super) scratch: Vec<u8>,
    /// Byte offset of the record's first byte in the input.
    pub start: usize,
    /// Byte offset just past the record's terminator.
    pub end: usize,
    /// Line number (0-based, relative to the input slice) of the record's first line.
    pub line: u64,
}

impl Record {
    /// Number of cells (cells past [`MAX_CELLS`] read as empty).
    #[inline]
    pub fn len(&self) -> usize {
        self.spans.len() + self.dropped
    }

    /// Whether cells were counted but not kept (more than [`MAX_CELLS`]).
    pub fn too_wide(&self) -> bool {
        self.dropped > 0
    }

    /// Keeps a cell. The cell limit is checked only when the vector is full (where `push`
    /// would grow it anyway), so the common case costs what a plain `push` does.
    #[inline]
    pub(super) fn push(&mut self, span: Span) {
        if self.spans.len() < self.spans.capacity() {
            self.spans.push(span);
        } else {
            self.push_growing(span);
        }
    }

    #[cold]
    #[inline(never)]
    fn push_growing(&mut self, span: Span) {
        if self.spans.len() < MAX_CELLS {
            self.spans
                .reserve(self.spans.len().clamp(8, MAX_CELLS - self.spans.len()));
            self.spans.push(span);
        } else {
            self.dropped += 1;
        }
    }

    pub(super) fn clear_cells(&mut self) {
        self.spans.clear();
        self.dropped = 0;
    }

    /// True when the record has no cells.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The text of cell `i` and the bytes from its start to the end of its buffer.
    #[inline]
    pub fn cell_window<'a>(&'a self, data: &'a [u8], i: usize) -> (&'a [u8], &'a [u8]) {
        let (buf, s) = match self.spans.get(i) {
            Some(s) if s.scratch => (self.scratch.as_slice(), s),
            Some(s) => (data, s),
            None => return (&[], &[]),
        };
        (&buf[s.start..s.end], &buf[s.start..])
    }

    /// The text of cell `i`.
    #[inline]
    pub fn cell<'a>(&'a self, data: &'a [u8], i: usize) -> &'a [u8] {
        match self.spans.get(i) {
            Some(s) if s.scratch => &self.scratch[s.start..s.end],
            Some(s) => &data[s.start..s.end],
            None => &[],
        }
    }
}
