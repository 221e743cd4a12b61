//! Deterministic, seeded line-protocol workloads for `lpconvert bench`.
//!
//! - [`WorkloadSpec::Cpu`]: TSBS's `cpu` data set: per host ten tags (`hostname` ..
//!   `service_environment`) and ten float fields `usage_*` that random-walk in 0..100; one line
//!   per host per round, the timestamp advancing by the interval after each round.
//! - [`WorkloadSpec::Home`]: the InfluxDB tutorial's `home` data: a `room` tag and three small
//!   fields (`temp`, `hum` floats, `co` integer).
//!
//! These two are the rows of the benchmark data sets ([`crate::datagen`]: same tags, same
//! random walks, same generator) written as line protocol, with `hosts` or `rooms` series and
//! the request's clock.
//!
//! - [`WorkloadSpec::Lines`]: real line protocol (read by the caller), sent in a loop; each pass
//!   shifts every timestamp by the span of the data plus one unit, so no point of a later pass
//!   overwrites one of an earlier pass.
//!
//! The same seed, start and parameters give the same bytes, whatever the batch sizes asked for.

use crate::datagen::cpu::CpuRows;
use crate::datagen::home::HomeRows;
use crate::datagen::Rows;
use lpconvert_lp::parse::{find_timestamp, is_blank_or_comment, parse_line};

pub use crate::datagen::Clocking;

/// Which data to generate.
#[derive(Debug, Clone)]
pub enum WorkloadSpec {
    /// TSBS-like `cpu` with this many hosts.
    Cpu {
        /// Number of hosts (series).
        hosts: usize,
    },
    /// `home`-like small rows with this many rooms.
    Home {
        /// Number of rooms (series).
        rooms: usize,
    },
    /// Real line protocol, looped.
    Lines(LineSet),
}

/// Lines of a real data set, parsed once: each line's bytes, timestamp position and field count.
#[derive(Debug, Clone, Default)]
pub struct LineSet {
    data: Vec<u8>,
    /// (start, end, timestamp span within the line (start, end) if any, fields).
    lines: Vec<LineInfo>,
    min_ts: Option<i64>,
    max_ts: Option<i64>,
}

#[derive(Debug, Clone)]
struct LineInfo {
    start: usize,
    end: usize,
    ts: Option<(usize, usize, i64)>,
    fields: u32,
}

/// A line of the `--from` data that is not valid line protocol.
#[derive(Debug, Clone, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LineSetError {
    /// 1-based line number.
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

impl LineSet {
    /// Parses `data` (lines separated by LF; blank lines and comments are skipped). At most
    /// `max_lines` lines are kept. Every kept line must be valid line protocol.
    pub fn parse(data: Vec<u8>, max_lines: usize) -> Result<LineSet, LineSetError> {
        let mut lines = Vec::new();
        let mut min_ts: Option<i64> = None;
        let mut max_ts: Option<i64> = None;
        let mut pos = 0;
        let mut number = 0u64;
        while pos < data.len() && lines.len() < max_lines {
            number += 1;
            let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
            let mut line_end = end;
            if line_end > pos && data[line_end - 1] == b'\r' {
                line_end -= 1;
            }
            let line = &data[pos..line_end];
            if !is_blank_or_comment(line) {
                let parsed = parse_line(line).map_err(|e| LineSetError {
                    line: number,
                    message: e.to_string(),
                })?;
                let fields = parsed.fields().count() as u32;
                let ts = find_timestamp(line).map(|(r, v)| (r.start, r.end, v));
                if let Some((_, _, v)) = ts {
                    min_ts = Some(min_ts.map_or(v, |m| m.min(v)));
                    max_ts = Some(max_ts.map_or(v, |m| m.max(v)));
                }
                lines.push(LineInfo {
                    start: pos,
                    end: line_end,
                    ts,
                    fields,
                });
            }
            pos = end + 1;
        }
        Ok(LineSet {
            data,
            lines,
            min_ts,
            max_ts,
        })
    }

    /// Number of lines in one pass.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether there is no line.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// How far each pass shifts the timestamps: the span of the data plus one unit.
    pub fn pass_shift(&self) -> i64 {
        match (self.min_ts, self.max_ts) {
            (Some(a), Some(b)) => b.saturating_sub(a).saturating_add(1),
            _ => 0,
        }
    }
}

/// A running workload: call [`Generator::fill`] for each batch.
#[derive(Debug, Clone)]
pub struct Generator {
    kind: Kind,
    clock: Clocking,
    /// Lines generated so far.
    produced: u64,
}

#[derive(Debug, Clone)]
enum Kind {
    Cpu(CpuRows),
    Home(HomeRows),
    Lines {
        set: LineSet,
        next: usize,
        pass: i64,
    },
}

impl Generator {
    /// A generator for `spec`, seeded by `seed`, with timestamps from `clock` (ignored by
    /// [`WorkloadSpec::Lines`], which keeps and shifts the data's own).
    pub fn new(spec: WorkloadSpec, seed: u64, clock: Clocking) -> Generator {
        let kind = match spec {
            WorkloadSpec::Cpu { hosts } => Kind::Cpu(CpuRows::new(seed, hosts)),
            WorkloadSpec::Home { rooms } => Kind::Home(HomeRows::new(seed, room_names(rooms))),
            WorkloadSpec::Lines(set) => Kind::Lines {
                set,
                next: 0,
                pass: 0,
            },
        };
        Generator {
            kind,
            clock,
            produced: 0,
        }
    }

    /// Lines generated so far.
    pub fn produced(&self) -> u64 {
        self.produced
    }

    /// Appends `n` lines (each ending in LF) to `out`; returns the number of fields written.
    /// A [`WorkloadSpec::Lines`] workload without lines writes nothing.
    pub fn fill(&mut self, out: &mut Vec<u8>, n: usize) -> u64 {
        let mut fields = 0u64;
        match &mut self.kind {
            Kind::Cpu(rows) => {
                for _ in 0..n {
                    fields += rows.next_line(&self.clock, out);
                }
                self.produced += n as u64;
            }
            Kind::Home(rows) => {
                for _ in 0..n {
                    fields += rows.next_line(&self.clock, out);
                }
                self.produced += n as u64;
            }
            Kind::Lines { set, next, pass } => {
                if set.is_empty() {
                    return 0;
                }
                let shift = set.pass_shift().saturating_mul(*pass);
                let mut shift = shift;
                let mut b = itoa::Buffer::new();
                for _ in 0..n {
                    let info = &set.lines[*next];
                    let line = &set.data[info.start..info.end];
                    match info.ts {
                        Some((a, e, v)) if shift != 0 => {
                            out.extend_from_slice(&line[..a]);
                            out.extend_from_slice(b.format(v.saturating_add(shift)).as_bytes());
                            out.extend_from_slice(&line[e..]);
                        }
                        _ => out.extend_from_slice(line),
                    }
                    out.push(b'\n');
                    fields += u64::from(info.fields);
                    *next += 1;
                    if *next == set.lines.len() {
                        *next = 0;
                        *pass += 1;
                        shift = set.pass_shift().saturating_mul(*pass);
                    }
                }
                self.produced += n as u64;
            }
        }
        fields
    }
}

/// The rooms of a `home` workload: `Living Room`, `Kitchen`, `Bedroom`, `Office`, then the same
/// with a number (`Living Room 1`, ...).
fn room_names(rooms: usize) -> Vec<String> {
    const BASE: [&str; 4] = ["Living Room", "Kitchen", "Bedroom", "Office"];
    (0..rooms.max(1))
        .map(|r| {
            let name = BASE[r % BASE.len()];
            if r < BASE.len() {
                name.to_owned()
            } else {
                format!("{name} {}", r / BASE.len())
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(g: &mut Generator, n: usize) -> Vec<String> {
        let mut out = Vec::new();
        g.fill(&mut out, n);
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    const CLOCK: Clocking = Clocking {
        start: 1_700_000_000_000_000_000,
        interval: 10_000_000_000,
    };

    #[test]
    fn cpu_is_deterministic_whatever_the_batch_sizes() {
        let mut a = Generator::new(WorkloadSpec::Cpu { hosts: 7 }, 42, CLOCK);
        let mut b = Generator::new(WorkloadSpec::Cpu { hosts: 7 }, 42, CLOCK);
        let mut x = lines(&mut a, 100);
        let mut y = lines(&mut b, 33);
        y.extend(lines(&mut b, 67));
        assert_eq!(x, y);
        let mut c = Generator::new(WorkloadSpec::Cpu { hosts: 7 }, 43, CLOCK);
        assert_ne!(lines(&mut c, 100), x);
        x.truncate(8);
        // One line per host per round, timestamps advancing per round.
        assert!(x[0].starts_with("cpu,hostname=host_0,region="), "{}", x[0]);
        assert!(x[6].contains("hostname=host_6,"));
        assert!(x[7].starts_with("cpu,hostname=host_0,"));
        assert!(x[6].ends_with(" 1700000000000000000"));
        assert!(x[7].ends_with(" 1700000010000000000"));
    }

    #[test]
    fn cpu_lines_are_valid_with_ten_tags_and_ten_float_fields() {
        let mut g = Generator::new(WorkloadSpec::Cpu { hosts: 50 }, 1, CLOCK);
        let mut out = Vec::new();
        let fields = g.fill(&mut out, 1000);
        assert_eq!(fields, 10_000);
        for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let l = parse_line(line).unwrap();
            assert_eq!(l.measurement, b"cpu");
            assert_eq!(l.tags().count(), 10);
            let f: Vec<_> = l.fields().collect();
            assert_eq!(f.len(), 10);
            for (k, v) in f {
                assert!(k.starts_with(b"usage_"));
                match v {
                    lpconvert_lp::parse::FieldValue::Float(x) => {
                        assert!((0.0..=100.0).contains(&x))
                    }
                    other => panic!("{other:?}"),
                }
            }
        }
    }

    #[test]
    fn home_rows_are_small_and_valid() {
        let mut g = Generator::new(WorkloadSpec::Home { rooms: 6 }, 1, CLOCK);
        let ls = lines(&mut g, 12);
        assert!(
            ls[0].starts_with("home,room=Living\\ Room temp="),
            "{}",
            ls[0]
        );
        assert!(ls[5].starts_with("home,room=Kitchen\\ 1 "), "{}", ls[5]);
        for l in &ls {
            let p = parse_line(l.as_bytes()).unwrap();
            assert_eq!(p.fields().count(), 3);
            assert!(l.contains(",co="));
        }
    }

    #[test]
    fn lines_loop_with_shifted_timestamps_and_no_collisions() {
        let data = b"# c\nm,t=a f=1 100\n\nm,t=b f=2,g=3i 105\nm f=1\n".to_vec();
        let set = LineSet::parse(data, usize::MAX).unwrap();
        assert_eq!(set.len(), 3);
        assert_eq!(set.pass_shift(), 6);
        let mut g = Generator::new(WorkloadSpec::Lines(set), 0, CLOCK);
        let mut out = Vec::new();
        let fields = g.fill(&mut out, 7);
        assert_eq!(fields, 1 + 2 + 1 + 1 + 2 + 1 + 1);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "m,t=a f=1 100\nm,t=b f=2,g=3i 105\nm f=1\nm,t=a f=1 106\nm,t=b f=2,g=3i 111\nm f=1\nm,t=a f=1 112\n"
        );
        let bad = LineSet::parse(b"m f=1\nnot a line\n".to_vec(), 10).unwrap_err();
        assert_eq!(bad.line, 2);
    }
}
