//! Cutting input into chunks at record boundaries.
//!
//! Lines (NDJSON, line protocol): any LF. CSV with RFC 4180 quoting: an LF is a boundary when
//! the number of quote bytes before it, counted from a known boundary, is even; counting
//! quotes is a memchr pass, not a parse. CSV with backslash escapes or comment lines: the
//! records are read one by one (sequential, slower, exact).

use crate::csv_record::{Dialect, Record, RecordReader};
use crate::json_scan::{skip_blank, skip_value};

/// How record boundaries are found.
#[derive(Debug, Clone, Copy)]
pub enum Boundary {
    /// Every LF ends a record.
    Lines,
    /// RFC 4180: an LF outside quotes, found by quote parity. The cut is verified by the
    /// worker (see [`Boundary::exact`]).
    QuoteParity(Dialect),
    /// Read records with the full dialect.
    Records(Dialect),
    /// Elements of a top-level JSON array (the opening `[` already consumed).
    JsonArray,
}

/// Ends of the elements of a JSON array body, in order, from `start`: each is the offset
/// just past an element. Stops at `]`, at the end, or at a syntax error.
fn json_elements(data: &[u8], start: usize) -> impl Iterator<Item = usize> + '_ {
    let mut pos = start;
    std::iter::from_fn(move || loop {
        pos = skip_blank(data, pos);
        match data.get(pos) {
            Some(b',') => pos += 1,
            None | Some(b']') => return None,
            Some(_) => {
                pos = skip_value(data, pos).ok()?;
                return Some(pos);
            }
        }
    })
}

impl Boundary {
    /// The fastest exact rule for a CSV dialect.
    pub fn for_csv(d: Dialect) -> Boundary {
        if d.escape.is_none() && d.comment.is_none() {
            Boundary::QuoteParity(d)
        } else {
            Boundary::Records(d)
        }
    }

    /// The exact rule to fall back on when a parity cut proved wrong (a quote byte inside
    /// an unquoted field shifts the parity); `None` when this rule is already exact.
    pub fn exact(self) -> Option<Boundary> {
        match self {
            Boundary::QuoteParity(d) => Some(Boundary::Records(d)),
            _ => None,
        }
    }

    /// The end of a chunk that starts at the boundary `start` and should hold about
    /// `target` bytes: just past the first boundary LF at or after `start + target`, or
    /// the end of the data.
    pub fn chunk_end(self, data: &[u8], start: usize, target: usize) -> usize {
        let cut = start.saturating_add(target.max(1));
        if cut >= data.len() {
            return data.len();
        }
        match self {
            Boundary::Lines => {
                memchr::memchr(b'\n', &data[cut..]).map_or(data.len(), |i| cut + i + 1)
            }
            Boundary::QuoteParity(Dialect { quote: q, .. }) => {
                let mut odd = memchr::memchr_iter(q, &data[start..cut]).count() % 2 == 1;
                let mut pos = cut;
                while let Some(i) = memchr::memchr2(q, b'\n', &data[pos..]) {
                    let at = pos + i;
                    if data[at] == q {
                        odd = !odd;
                    } else if !odd {
                        return at + 1;
                    }
                    pos = at + 1;
                }
                data.len()
            }
            Boundary::Records(d) => {
                let mut reader = RecordReader::new(d, start);
                let mut rec = Record::default();
                while reader.pos() < cut {
                    match reader.read(data, &mut rec) {
                        Ok(true) => {}
                        Ok(false) | Err(_) => return data.len(),
                    }
                }
                reader.pos()
            }
            Boundary::JsonArray => json_elements(data, start)
                .find(|&e| e >= cut)
                .unwrap_or(data.len()),
        }
    }

    /// The end of the last complete record in `data` (which starts at a boundary), just
    /// past its LF; `None` when no record is complete yet.
    pub fn last_complete(self, data: &[u8]) -> Option<usize> {
        match self {
            Boundary::Lines => memchr::memrchr(b'\n', data).map(|i| i + 1),
            Boundary::QuoteParity(Dialect { quote: q, .. }) => {
                let total = memchr::memchr_iter(q, data).count();
                let mut after = 0;
                let mut end = data.len();
                while let Some(i) = memchr::memrchr2(q, b'\n', &data[..end]) {
                    if data[i] == q {
                        after += 1;
                    } else if (total - after).is_multiple_of(2) {
                        return Some(i + 1);
                    }
                    end = i;
                }
                None
            }
            Boundary::Records(d) => {
                let mut reader = RecordReader::new(d, 0);
                let mut rec = Record::default();
                let mut last = None;
                while let Ok(true) = reader.read(data, &mut rec) {
                    if rec.end > 0 && data[rec.end - 1] == b'\n' {
                        last = Some(rec.end);
                    }
                }
                last
            }
            // An element that ends exactly at the end of the buffer may be a number or literal
            // that goes on in the next read: only elements followed by a byte are complete.
            Boundary::JsonArray => json_elements(data, 0)
                .take_while(|&e| e < data.len())
                .last(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d() -> Dialect {
        Dialect::RFC4180
    }

    #[test]
    fn parity_skips_newlines_inside_quotes() {
        let data = b"a,\"x\ny\"\nb,\"\"\"\n\"\nc,1\n";
        let b = Boundary::QuoteParity(d());
        assert_eq!(b.chunk_end(data, 0, 1), 8);
        assert_eq!(b.chunk_end(data, 8, 3), 16);
        assert_eq!(b.chunk_end(data, 16, 1), data.len());
        assert_eq!(b.last_complete(&data[..15]), Some(8));
        assert_eq!(b.last_complete(&data[..5]), None);
    }

    #[test]
    fn records_with_escapes() {
        let mut dia = d();
        dia.escape = Some(b'\\');
        let data = b"a,\"q\\\"\n\"\nb,2\n";
        let b = Boundary::Records(dia);
        assert_eq!(b.chunk_end(data, 0, 1), 9);
        assert_eq!(b.last_complete(&data[..12]), Some(9));
    }
}
