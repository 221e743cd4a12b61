//! Skipping an element of a top-level JSON array too long to hold in memory, block by
//! block, with the rules `skip_value` reads it with ([`JsonSkip`]); the CSV and line rules
//! are in `skip.rs`.

use crate::input::fill;
use crate::pipeline::{End, Piece, Place};
use crate::skip::{READ_BLOCK, SKIP_FACTOR};
use std::io::{self, Read};

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
