//! Finding the end of a record too long to hold in memory, block by block: a stream skips
//! an overlong record and goes on at the next one. The rules are the exact ones the workers
//! read with ([`RecordReader`](crate::csv_record::RecordReader) for CSV), not a quote-parity
//! guess: a quote inside an unquoted field is a literal byte, so counting it would skip
//! the records that follow.

use crate::chunker::Boundary;
use crate::csv_record::Dialect;
use crate::input::fill;
use crate::pipeline::{End, Piece, Place};
use std::io::{self, Read};

/// Where a CSV reader is, between two bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a line, before any record: blank and comment lines are skipped.
    LineStart,
    /// A CR at the start of a line: a blank CRLF line, or the first byte of a record.
    LineStartCr,
    /// Inside a comment line (before any record).
    Comment,
    /// At the start of a field.
    FieldStart,
    /// Inside an unquoted field.
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// After the escape byte inside a quoted field.
    Escaped,
    /// After a quote inside a quoted field without escapes: a doubled quote or the close.
    QuoteInQuoted,
    /// After the closing quote, up to the delimiter or the end of the line.
    Tail,
}

/// Follows one CSV record from a record boundary through blocks of input.
#[derive(Debug)]
pub(crate) struct CsvSkip {
    d: Dialect,
    state: State,
    /// Whether the record has started (after any blank and comment lines).
    started: bool,
    /// Whether any byte was passed over before the record started.
    lead: bool,
}

/// What [`CsvSkip::feed`] found in a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// The record starts at this offset, after blank or comment lines (`cr`: with the CR
    /// that ended the previous block, not in this one). Not reported when it starts at
    /// the first byte fed.
    Start { at: usize, cr: bool },
    /// The line feed at this offset ends the record.
    End(usize),
}

impl CsvSkip {
    /// A skipper at a record boundary.
    pub(crate) fn new(d: Dialect) -> CsvSkip {
        CsvSkip {
            d,
            state: State::LineStart,
            started: false,
            lead: false,
        }
    }

    /// Whether the record has started (else only blank or comment lines were seen).
    pub(crate) fn started(&self) -> bool {
        self.started
    }

    /// The input ended: a lone CR at the start of a line is a record of its own.
    pub(crate) fn at_end(&mut self) {
        if self.state == State::LineStartCr {
            self.started = true;
            self.state = State::Unquoted;
        }
    }

    /// Whether the input ending here leaves a quoted field open.
    pub(crate) fn in_quotes(&self) -> bool {
        matches!(self.state, State::Quoted | State::Escaped)
    }

    /// Reads `block` (the bytes after those fed before) up to the first event: where the
    /// record starts after blank or comment lines, or the line feed that ends it.
    pub(crate) fn feed(&mut self, block: &[u8]) -> Option<Event> {
        let d = self.d;
        let mut i = 0;
        loop {
            let &b = block.get(i)?;
            match self.state {
                State::LineStart => {
                    if b == b'\n' {
                        self.lead = true;
                        i += 1;
                    } else if b == b'\r' {
                        self.state = State::LineStartCr;
                        i += 1;
                    } else if Some(b) == d.comment {
                        self.lead = true;
                        self.state = State::Comment;
                        i += 1;
                    } else {
                        self.started = true;
                        self.state = State::FieldStart;
                        if self.lead {
                            return Some(Event::Start { at: i, cr: false });
                        }
                    }
                }
                State::LineStartCr => {
                    if b == b'\n' {
                        self.lead = true;
                        self.state = State::LineStart;
                        i += 1;
                    } else {
                        // The CR (one byte back, maybe in the previous block) starts it.
                        self.started = true;
                        self.state = State::Unquoted;
                        if self.lead {
                            return Some(match i {
                                0 => Event::Start { at: 0, cr: true },
                                _ => Event::Start {
                                    at: i - 1,
                                    cr: false,
                                },
                            });
                        }
                    }
                }
                State::Comment => match memchr::memchr(b'\n', &block[i..]) {
                    Some(j) => {
                        self.state = State::LineStart;
                        i += j + 1;
                    }
                    None => i = block.len(),
                },
                State::FieldStart => {
                    if d.trim && (b == b' ' || b == b'\t') {
                        i += 1;
                    } else if b == d.quote {
                        self.state = State::Quoted;
                        i += 1;
                    } else {
                        self.state = State::Unquoted;
                    }
                }
                State::Unquoted | State::Tail => {
                    match memchr::memchr2(d.delimiter, b'\n', &block[i..]) {
                        Some(j) if block[i + j] == b'\n' => return Some(Event::End(i + j)),
                        Some(j) => {
                            self.state = State::FieldStart;
                            i += j + 1;
                        }
                        None => i = block.len(),
                    }
                }
                State::Quoted => {
                    let hit = match d.escape {
                        Some(e) if e != d.quote => memchr::memchr2(d.quote, e, &block[i..]),
                        _ => memchr::memchr(d.quote, &block[i..]),
                    };
                    match hit {
                        Some(j) => {
                            let q = block[i + j];
                            self.state = if q != d.quote {
                                State::Escaped
                            } else if d.escape.is_none() {
                                State::QuoteInQuoted
                            } else {
                                State::Tail
                            };
                            i += j + 1;
                        }
                        None => i = block.len(),
                    }
                }
                State::Escaped => {
                    self.state = State::Quoted;
                    i += 1;
                }
                State::QuoteInQuoted => {
                    if b == d.quote {
                        self.state = State::Quoted;
                        i += 1;
                    } else {
                        self.state = State::Tail;
                    }
                }
            }
        }
    }
}

/// Skips the record at the start of `buf` (read from a stream, more than `max_record` bytes
/// and no record end found by the chunk rule), reading on from `reader` block by block.
/// Returns the piece to send and the bytes after it. The record's end is found with the
/// exact rules of the workers: a line feed for lines, the CSV record reader's rules for CSV
/// (so the skip ends where a mapped read of the same bytes ends the record). Blank and
/// comment lines before a CSV record, or a CSV record that proves short under the exact
/// rules, are an ordinary piece. JSON arrays cannot be followed: the run stops.
pub(crate) fn skip_overlong(
    boundary: Boundary,
    mut buf: Vec<u8>,
    reader: &mut (dyn Read + Send),
    max_record: usize,
    eof: &mut bool,
) -> io::Result<(Piece, Vec<u8>)> {
    let count_lf = |b: &[u8]| memchr::memchr_iter(b'\n', b).count() as u64;
    let mut csv = match boundary {
        Boundary::Lines => None,
        Boundary::Records(d) => Some(CsvSkip::new(d)),
        // A quote-parity cut is a guess that the workers verify later: skipping from it
        // could skip from the wrong place (bytes that cannot be read again). Re-cut from
        // here with the exact rule, which skips exactly.
        Boundary::QuoteParity(_) => return Ok((Piece::Recut(buf), Vec::new())),
        Boundary::JsonArray => return skip_json_element(buf, reader, max_record, eof),
    };
    if let Some(c) = &mut csv {
        match c.feed(&buf) {
            // Blank or comment lines first: an ordinary piece (no rows); the record follows.
            Some(Event::Start { at, .. }) => {
                let rest = buf.split_off(at);
                return Ok((Piece::Owned(buf), rest));
            }
            Some(Event::End(i)) => {
                let rest = buf.split_off(i + 1);
                if i <= max_record {
                    return Ok((Piece::Owned(buf), rest));
                }
                let piece = Piece::Oversize {
                    bytes: buf.len() as u64,
                    len: i as u64,
                    lines: count_lf(&buf),
                    row: true,
                    end: End::Found,
                    at: Place::LINE,
                };
                return Ok((piece, rest));
            }
            None => {}
        }
    }
    let mut len = buf.len() as u64;
    // Line feeds inside quotes count as lines of the record.
    let mut lines = count_lf(&buf);
    let mut last_byte = buf.last().copied();
    let mut row = true;
    // An input with no record end at all is not read forever.
    let give_up = (max_record as u64).saturating_mul(SKIP_FACTOR);
    let mut rest = Vec::new();
    let end = loop {
        buf.clear();
        *eof = !fill(reader, &mut buf, READ_BLOCK)?;
        let found = match &mut csv {
            Some(c) => c.feed(&buf),
            None => memchr::memchr(b'\n', &buf).map(Event::End),
        };
        match found {
            Some(Event::End(i)) => {
                len += i as u64;
                lines += count_lf(&buf[..=i]);
                rest.extend_from_slice(&buf[i + 1..]);
                break End::Found;
            }
            Some(Event::Start { at, cr }) => {
                // What was skipped were blank or comment lines, not a record: no row.
                row = false;
                len += at as u64;
                lines += count_lf(&buf[..at]);
                if cr {
                    // The record starts with the CR that ended the previous block.
                    len -= 1;
                    rest.push(b'\r');
                }
                rest.extend_from_slice(&buf[at..]);
                break End::Found;
            }
            None => {}
        }
        len += buf.len() as u64;
        lines += count_lf(&buf);
        last_byte = buf.last().copied().or(last_byte);
        if *eof {
            // The last record ends with the input, unless a quoted field is still open.
            if let Some(c) = &mut csv {
                c.at_end();
                row = c.started();
                if c.in_quotes() {
                    break End::Unterminated;
                }
            }
            break End::Input;
        }
        if len > give_up {
            break End::Lost;
        }
    };
    let bytes = len + u64::from(end == End::Found && row);
    if end == End::Unterminated && last_byte == Some(b'\n') {
        // Counted as the workers count a record: without its final line feed.
        len -= 1;
    }
    let piece = Piece::Oversize {
        bytes,
        len,
        lines,
        row,
        end,
        at: Place::LINE,
    };
    Ok((piece, rest))
}

/// Skips the element of a JSON array at the start of `buf` (after blanks and a `,`), as
/// [`skip_overlong`] does a record. An element whose end is not found (the input ends,
/// or `]` or a second `,` comes first) stops the run.
pub(crate) fn skip_json_element(
    mut buf: Vec<u8>,
    reader: &mut (dyn Read + Send),
    max_record: usize,
    eof: &mut bool,
) -> io::Result<(Piece, Vec<u8>)> {
    let count_lf = |b: &[u8]| memchr::memchr_iter(b'\n', b).count() as u64;
    let lost = |bytes: u64, len: u64, lines: u64| Piece::Oversize {
        bytes,
        len,
        lines,
        row: true,
        end: End::Lost,
        at: Place::LINE,
    };
    let mut skip = JsonSkip::new();
    let Some(JEvent::Start(start)) = skip.feed(&buf) else {
        let n = buf.len() as u64;
        return Ok((lost(n, n, count_lf(&buf)), Vec::new()));
    };
    let before = &buf[..start];
    let mut at = Place {
        line: count_lf(before),
        column: start - memchr::memrchr(b'\n', before).map_or(0, |i| i + 1) + 1,
        tail: None,
    };
    let tail = |consumed: &[u8], at: &mut Place| match memchr::memrchr(b'\n', consumed) {
        Some(i) => at.tail = Some(consumed.len() - i - 1),
        None => at.tail = at.tail.map(|t| t + consumed.len()),
    };
    if let Some(ev) = skip.feed(&buf[start..]) {
        let JEvent::End(e) = ev else {
            let n = buf.len() as u64;
            return Ok((lost(n, n, count_lf(&buf)), Vec::new()));
        };
        let rest = buf.split_off(start + e);
        if e <= max_record {
            return Ok((Piece::Owned(buf), rest));
        }
        tail(&buf, &mut at);
        let piece = Piece::Oversize {
            bytes: buf.len() as u64,
            len: e as u64,
            lines: count_lf(&buf),
            row: true,
            end: End::Found,
            at,
        };
        return Ok((piece, rest));
    }
    tail(&buf, &mut at);
    let mut bytes = buf.len() as u64;
    let mut len = (buf.len() - start) as u64;
    let mut lines = count_lf(&buf);
    let give_up = (max_record as u64).saturating_mul(SKIP_FACTOR);
    loop {
        buf.clear();
        *eof = !fill(reader, &mut buf, READ_BLOCK)?;
        match skip.feed(&buf) {
            Some(JEvent::End(e)) => {
                bytes += e as u64;
                len += e as u64;
                lines += count_lf(&buf[..e]);
                tail(&buf[..e], &mut at);
                let piece = Piece::Oversize {
                    bytes,
                    len,
                    lines,
                    row: true,
                    end: End::Found,
                    at,
                };
                return Ok((piece, buf.split_off(e)));
            }
            Some(_) => return Ok((lost(bytes, len, lines), Vec::new())),
            None => {}
        }
        bytes += buf.len() as u64;
        len += buf.len() as u64;
        lines += count_lf(&buf);
        tail(&buf, &mut at);
        if *eof || len > give_up {
            return Ok((lost(bytes, len, lines), Vec::new()));
        }
    }
}

/// Bytes read at a time while skipping an overlong record.
const READ_BLOCK: usize = 1 << 20;
/// An overlong line is skipped up to `SKIP_FACTOR * max_record` bytes; past that the
/// input is taken for one that has no line feeds, and the run stops.
const SKIP_FACTOR: u64 = 16;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv_record::{Record, RecordReader};

    /// A small deterministic generator (no dependency needed).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn pick(&mut self, of: &[u8]) -> u8 {
            of[(self.next() % of.len() as u64) as usize]
        }
    }

    /// The skipper finds the same first record (start and end) as the record reader, for
    /// random bytes fed in random blocks, in every dialect.
    #[test]
    fn agrees_with_the_record_reader() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let dialects = [
            (None, None, false),
            (Some(b'\\'), None, false),
            (None, Some(b'#'), true),
            (Some(b'\\'), Some(b'#'), false),
            (Some(b'"'), None, false),
        ];
        for round in 0..20_000 {
            let (escape, comment, trim) = dialects[round % dialects.len()];
            let d = Dialect {
                delimiter: b',',
                quote: b'"',
                escape,
                comment,
                trim,
            };
            let len = (rng.next() % 24) as usize;
            let data: Vec<u8> = (0..len).map(|_| rng.pick(b"a,\"\n\r #\\")).collect();
            let mut reader = RecordReader::new(d, 0);
            let mut rec = Record::default();
            let expect = match reader.read(&data, &mut rec) {
                Ok(true) => Some((rec.start, rec.end)),
                Ok(false) => None,
                Err(_) => Some((rec.start, usize::MAX)),
            };
            let mut skip = CsvSkip::new(d);
            let mut pos = 0;
            let (mut start, mut end) = (None, None);
            while pos < data.len() && end.is_none() {
                let n = 1 + (rng.next() % 5) as usize;
                let block = &data[pos..(pos + n).min(data.len())];
                let mut at = 0;
                while let Some(ev) = skip.feed(&block[at..]) {
                    match ev {
                        Event::Start { at: a, cr } => {
                            start = Some(pos + at + a - usize::from(cr));
                            at += a;
                        }
                        Event::End(e) => {
                            end = Some(pos + at + e + 1);
                            break;
                        }
                    }
                }
                pos += block.len();
            }
            if end.is_none() {
                skip.at_end();
            }
            if skip.started() && start.is_none() {
                // At the first byte, or (after blank lines) a lone CR at the end.
                start = Some(if skip.lead { data.len() - 1 } else { 0 });
            }
            let got = match (skip.started(), start, end) {
                (false, _, _) => None,
                (true, Some(s), Some(e)) => Some((s, e)),
                (true, Some(s), None) if skip.in_quotes() => Some((s, usize::MAX)),
                (true, Some(s), None) => Some((s, data.len())),
                (true, None, _) => unreachable!(),
            };
            assert_eq!(got, expect, "{d:?} {:?}", String::from_utf8_lossy(&data));
        }
    }
}

/// Where a JSON array element reader is, between two bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JState {
    /// Before the element: blanks, then at most one `,`.
    Lead { comma: bool },
    /// At the element's first byte.
    Value,
    /// Inside a top-level string element.
    Str,
    /// After a backslash in a top-level string.
    StrEsc,
    /// Inside an object or array, `depth` levels deep.
    Container,
    /// Inside a string inside a container.
    InnerStr,
    /// After a backslash in a string inside a container.
    InnerEsc,
    /// Inside a number or literal.
    Scalar,
}

/// What [`JsonSkip::feed`] found in a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JEvent {
    /// The element starts at this offset.
    Start(usize),
    /// The element ends just before this offset.
    End(usize),
    /// Not an element where one should be (`]`, a second `,`): cannot be followed here.
    Lost,
}

/// Follows one element of a top-level JSON array, from just past the previous element (or
/// the `[`), through blocks of input, as `skip_value` reads it.
#[derive(Debug)]
pub(crate) struct JsonSkip {
    state: JState,
    depth: u64,
}

impl JsonSkip {
    /// A skipper just past an element or the `[`.
    pub(crate) fn new() -> JsonSkip {
        JsonSkip {
            state: JState::Lead { comma: false },
            depth: 0,
        }
    }

    /// Reads `block` up to the first event.
    pub(crate) fn feed(&mut self, block: &[u8]) -> Option<JEvent> {
        let mut i = 0;
        loop {
            let &b = block.get(i)?;
            match self.state {
                JState::Lead { comma } => match b {
                    b' ' | b'\t' | b'\n' | b'\r' => i += 1,
                    b',' if !comma => {
                        self.state = JState::Lead { comma: true };
                        i += 1;
                    }
                    b',' | b']' | b'}' | b':' => return Some(JEvent::Lost),
                    _ => {
                        self.state = JState::Value;
                        return Some(JEvent::Start(i));
                    }
                },
                JState::Value => match b {
                    b'"' => {
                        self.state = JState::Str;
                        i += 1;
                    }
                    b'{' | b'[' => {
                        self.depth = 1;
                        self.state = JState::Container;
                        i += 1;
                    }
                    _ => self.state = JState::Scalar,
                },
                JState::Str => match memchr::memchr2(b'"', b'\\', &block[i..]) {
                    Some(j) if block[i + j] == b'"' => return Some(JEvent::End(i + j + 1)),
                    Some(j) => {
                        self.state = JState::StrEsc;
                        i += j + 1;
                    }
                    None => i = block.len(),
                },
                JState::StrEsc => {
                    self.state = JState::Str;
                    i += 1;
                }
                JState::Container => {
                    match b {
                        b'"' => self.state = JState::InnerStr,
                        b'{' | b'[' => self.depth += 1,
                        b'}' | b']' => {
                            self.depth -= 1;
                            if self.depth == 0 {
                                return Some(JEvent::End(i + 1));
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                JState::InnerStr => match memchr::memchr2(b'"', b'\\', &block[i..]) {
                    Some(j) => {
                        self.state = if block[i + j] == b'"' {
                            JState::Container
                        } else {
                            JState::InnerEsc
                        };
                        i += j + 1;
                    }
                    None => i = block.len(),
                },
                JState::InnerEsc => {
                    self.state = JState::InnerStr;
                    i += 1;
                }
                JState::Scalar => match b {
                    b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r' => {
                        return Some(JEvent::End(i))
                    }
                    _ => i += 1,
                },
            }
        }
    }
}

#[cfg(test)]
mod json_tests {
    use super::*;

    #[test]
    fn finds_the_element_skip_value_finds() {
        let body = br#" ,
  {"a": "x}\"]", "b": [1, {"c": "\\"}], "d": "}"} , 2]"#;
        for step in 1..body.len() {
            let mut skip = JsonSkip::new();
            let (mut start, mut end) = (None, None);
            let mut pos = 0;
            'blocks: while pos < body.len() {
                let block = &body[pos..(pos + step).min(body.len())];
                let mut at = 0;
                while let Some(ev) = skip.feed(&block[at..]) {
                    match ev {
                        JEvent::Start(s) => {
                            start = Some(pos + at + s);
                            at += s;
                        }
                        JEvent::End(e) => {
                            end = Some(pos + at + e);
                            break 'blocks;
                        }
                        JEvent::Lost => break 'blocks,
                    }
                }
                pos += block.len();
            }
            let s = start.unwrap_or_else(|| panic!("step {step}: no start"));
            let e = end.unwrap_or_else(|| panic!("step {step}: no end"));
            assert_eq!(body[s], b'{');
            let want = crate::json_scan::skip_value(body, s).unwrap_or_else(|_| panic!("bad"));
            assert_eq!(e, want, "step {step}");
        }
    }
}
