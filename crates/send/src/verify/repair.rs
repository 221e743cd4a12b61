//! `--repair`: the lines that carry exactly the missing points, rebuilt from the inputs.

use super::expected::{line_points, Grid};
use super::key::KeyHasher;
use lpconvert_lp::parse::{is_blank_or_comment, parse_line, FieldValue};
use std::collections::HashSet;

/// Picks the missing points out of the input lines. A point the inputs hold twice is sent
/// once (its first occurrence).
#[derive(Debug)]
pub struct Missing<'a> {
    keys: HashSet<u128>,
    grid: Grid,
    hasher: &'a KeyHasher,
}

impl<'a> Missing<'a> {
    /// The points with these keys are missing.
    pub fn new(keys: impl IntoIterator<Item = u128>, grid: Grid, hasher: &'a KeyHasher) -> Self {
        Missing {
            keys: keys.into_iter().collect(),
            grid,
            hasher,
        }
    }

    /// Points still to find.
    pub fn remaining(&self) -> usize {
        self.keys.len()
    }

    /// Appends `line` to `out` (with its LF) keeping only the fields that are missing, and
    /// forgets them; returns how many. Lines that do not parse or hold nothing missing add
    /// nothing.
    pub fn pick(&mut self, line: &[u8], out: &mut Vec<u8>) -> usize {
        if self.keys.is_empty() || is_blank_or_comment(line) {
            return 0;
        }
        let Ok(parsed) = parse_line(line) else {
            return 0;
        };
        let (Some(ts), Some(span)) = (parsed.timestamp, parsed.timestamp_span.clone()) else {
            return 0;
        };
        let Some(ns) = self.grid.line_time(ts) else {
            return 0;
        };
        let mut fields = Vec::new();
        let keys = &mut self.keys;
        line_points(self.hasher, &self.grid, &parsed, ns, |p| {
            if keys.remove(&p.key) {
                fields.push((p.raw_field, p.value));
            }
        });
        if fields.is_empty() {
            return 0;
        }
        out.extend_from_slice(parsed.measurement);
        if !parsed.tag_set.is_empty() {
            out.push(b',');
            out.extend_from_slice(parsed.tag_set);
        }
        for (i, (key, value)) in fields.iter().enumerate() {
            out.push(if i == 0 { b' ' } else { b',' });
            out.extend_from_slice(key);
            out.push(b'=');
            write_value(out, value);
        }
        out.push(b' ');
        out.extend_from_slice(&line[span]);
        out.push(b'\n');
        fields.len()
    }
}

fn write_value(out: &mut Vec<u8>, value: &FieldValue<'_>) {
    match value {
        FieldValue::Float(f) => lpconvert_lp::value::write_f64(out, *f),
        FieldValue::Integer(i) => {
            out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes());
            out.push(b'i');
        }
        FieldValue::Unsigned(u) => {
            out.extend_from_slice(itoa::Buffer::new().format(*u).as_bytes());
            out.push(b'u');
        }
        FieldValue::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        FieldValue::String(s) => {
            out.push(b'"');
            out.extend_from_slice(s);
            out.push(b'"');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::expected::Expected;
    use super::*;
    use lpconvert_lp::Precision;

    #[test]
    fn only_the_missing_fields_are_sent_once() {
        let grid = Grid {
            bucket_ns: 100,
            resolution_ns: 1,
            precision: Precision::Ns,
            quote_escapes: false,
        };
        let h = KeyHasher::new();
        let mut e = Expected::new(grid);
        e.add_line(&h, b"m\\ x,t=a\\,b g=2i,s=\"q\\\"\" 7").unwrap();
        let keys = e.finish().measurements[0].1[&0].clone();
        let mut missing = Missing::new(keys, grid, &h);
        let mut out = Vec::new();
        let line = b"m\\ x,t=a\\,b f=1.5,g=2i,s=\"q\\\"\",u=3u,b=true 7";
        assert_eq!(missing.pick(line, &mut out), 2);
        assert_eq!(out, b"m\\ x,t=a\\,b g=2i,s=\"q\\\"\" 7\n");
        assert_eq!(missing.pick(line, &mut out), 0);
        assert_eq!(missing.remaining(), 0);
    }
}
