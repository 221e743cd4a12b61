//! Finding the end of a record too long to hold in memory, block by block: a stream skips
//! an overlong record and goes on at the next one. The rules are the exact ones the workers
//! read with ([`RecordReader`](crate::csv_record::RecordReader) for CSV), not a quote-parity
//! guess: a quote inside an unquoted field is a literal byte, so counting it would skip
//! the records that follow.

use crate::csv_record::Dialect;

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
