//! Finding the end of a record too long to hold in memory, block by block: a stream skips
//! an overlong record and goes on at the next one. The rules are the exact ones the workers
//! read with ([`RecordReader`](crate::csv_record::RecordReader) for CSV), not a quote-parity
//! guess: a quote inside an unquoted field is a literal byte, so counting it would skip
//! the records that follow.

use crate::chunker::Boundary;
use crate::csv_record::Dialect;
use crate::input::fill;
use crate::pipeline::{End, Piece, Place};
use crate::skip_json::skip_json_element;
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

/// Bytes read at a time while skipping an overlong record.
pub(crate) const READ_BLOCK: usize = 1 << 20;
/// An overlong line is skipped up to `SKIP_FACTOR * max_record` bytes; past that the
/// input is taken for one that has no line feeds, and the run stops.
pub(crate) const SKIP_FACTOR: u64 = 16;

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
