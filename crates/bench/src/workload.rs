//! Deterministic, seeded line-protocol workloads for `lpconvert bench`.
//!
//! - [`Workload::Cpu`]: TSBS's `cpu` data set: per host ten tags (`hostname` ..
//!   `service_environment`) and ten float fields `usage_*` that random-walk in 0..100; one line
//!   per host per round, the timestamp advancing by the interval after each round.
//! - [`Workload::Home`]: the InfluxDB tutorial's `home` data: a `room` tag and three small
//!   fields (`temp`, `hum` floats, `co` integer).
//! - [`Workload::Lines`]: real line protocol (read by the caller), sent in a loop; each pass
//!   shifts every timestamp by the span of the data plus one unit, so no point of a later pass
//!   overwrites one of an earlier pass.
//!
//! The same seed, start and parameters give the same bytes, whatever the batch sizes asked for.

use crate::rng::Rng;
use lpconvert_lp::parse::{find_timestamp, is_blank_or_comment, parse_line};

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

/// Where generated timestamps start and how far they advance per round, in the units of the
/// request's precision.
#[derive(Debug, Clone, Copy)]
pub struct Clocking {
    /// First timestamp.
    pub start: i64,
    /// Step between rounds (at least 1).
    pub interval: i64,
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

const CPU_FIELDS: [&str; 10] = [
    "usage_user",
    "usage_system",
    "usage_idle",
    "usage_nice",
    "usage_iowait",
    "usage_irq",
    "usage_softirq",
    "usage_steal",
    "usage_guest",
    "usage_guest_nice",
];

const REGIONS: [(&str, [&str; 3]); 9] = [
    ("us-east-1", ["us-east-1a", "us-east-1b", "us-east-1c"]),
    ("us-west-1", ["us-west-1a", "us-west-1b", "us-west-1c"]),
    ("us-west-2", ["us-west-2a", "us-west-2b", "us-west-2c"]),
    ("eu-west-1", ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    (
        "eu-central-1",
        ["eu-central-1a", "eu-central-1b", "eu-central-1c"],
    ),
    (
        "ap-southeast-1",
        ["ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c"],
    ),
    (
        "ap-southeast-2",
        ["ap-southeast-2a", "ap-southeast-2b", "ap-southeast-2c"],
    ),
    (
        "ap-northeast-1",
        ["ap-northeast-1a", "ap-northeast-1b", "ap-northeast-1c"],
    ),
    ("sa-east-1", ["sa-east-1a", "sa-east-1b", "sa-east-1c"]),
];
const OSES: [&str; 3] = ["Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"];
const ARCHES: [&str; 2] = ["x64", "x86"];
const TEAMS: [&str; 4] = ["SF", "NYC", "LON", "CHI"];
const ENVS: [&str; 3] = ["production", "staging", "test"];
const ROOMS: [&str; 4] = ["Living\\ Room", "Kitchen", "Bedroom", "Office"];

/// A running workload: call [`Generator::fill`] for each batch.
#[derive(Debug, Clone)]
pub struct Generator {
    kind: Kind,
    /// Lines generated so far.
    produced: u64,
}

#[derive(Debug, Clone)]
enum Kind {
    Series {
        /// `measurement,tags ` per series, ending in a space.
        prefixes: Vec<Vec<u8>>,
        /// Field keys with `=`, the first without a leading comma.
        keys: Vec<Vec<u8>>,
        /// Current value per series and field, in hundredths.
        values: Vec<i64>,
        /// Integer fields (the last `ints` fields get an `i` suffix and no decimals).
        ints: usize,
        /// Range of a float value in hundredths (min, max) and largest step.
        range: (i64, i64, i64),
        rng: Rng,
        next_series: usize,
        round: i64,
        clock: Clocking,
    },
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
        let mut rng = Rng::new(seed);
        let clock = Clocking {
            start: clock.start,
            interval: clock.interval.max(1),
        };
        let kind = match spec {
            WorkloadSpec::Cpu { hosts } => {
                let hosts = hosts.max(1);
                let mut prefixes = Vec::with_capacity(hosts);
                for h in 0..hosts {
                    let (region, dcs) = REGIONS[rng.modulo(REGIONS.len() as u64) as usize];
                    let dc = dcs[rng.modulo(3) as usize];
                    let p = format!(
                        "cpu,hostname=host_{h},region={region},datacenter={dc},rack={},os={},arch={},team={},service={},service_version={},service_environment={} ",
                        rng.modulo(100),
                        OSES[rng.modulo(3) as usize],
                        ARCHES[rng.modulo(2) as usize],
                        TEAMS[rng.modulo(4) as usize],
                        rng.modulo(20),
                        rng.modulo(2),
                        ENVS[rng.modulo(3) as usize],
                    );
                    prefixes.push(p.into_bytes());
                }
                let values = (0..hosts * CPU_FIELDS.len())
                    .map(|_| rng.modulo(10_001) as i64)
                    .collect();
                Kind::Series {
                    prefixes,
                    keys: field_keys(&CPU_FIELDS),
                    values,
                    ints: 0,
                    range: (0, 10_000, 100),
                    rng,
                    next_series: 0,
                    round: 0,
                    clock,
                }
            }
            WorkloadSpec::Home { rooms } => {
                let rooms = rooms.max(1);
                let prefixes = (0..rooms)
                    .map(|r| {
                        let name = ROOMS[r % ROOMS.len()];
                        if r < ROOMS.len() {
                            format!("home,room={name} ").into_bytes()
                        } else {
                            format!("home,room={name}\\ {} ", r / ROOMS.len()).into_bytes()
                        }
                    })
                    .collect();
                let mut values = Vec::with_capacity(rooms * 3);
                for _ in 0..rooms {
                    values.push(2_000 + rng.modulo(300) as i64); // temp, 20.00..23.00
                    values.push(3_500 + rng.modulo(200) as i64); // hum
                    values.push(rng.modulo(3) as i64); // co, integer
                }
                Kind::Series {
                    prefixes,
                    keys: field_keys(&["temp", "hum", "co"]),
                    values,
                    ints: 1,
                    range: (0, 10_000, 20),
                    rng,
                    next_series: 0,
                    round: 0,
                    clock,
                }
            }
            WorkloadSpec::Lines(set) => Kind::Lines {
                set,
                next: 0,
                pass: 0,
            },
        };
        Generator { kind, produced: 0 }
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
            Kind::Series {
                prefixes,
                keys,
                values,
                ints,
                range,
                rng,
                next_series,
                round,
                clock,
            } => {
                let nf = keys.len();
                let ts = clock
                    .start
                    .saturating_add(round.saturating_mul(clock.interval));
                let mut ts_buf = itoa::Buffer::new();
                let mut ts_text = ts_buf.format(ts).to_owned();
                for _ in 0..n {
                    let s = *next_series;
                    out.extend_from_slice(&prefixes[s]);
                    let vals = &mut values[s * nf..(s + 1) * nf];
                    for (f, v) in vals.iter_mut().enumerate() {
                        out.extend_from_slice(&keys[f]);
                        let mut b = itoa::Buffer::new();
                        if f >= nf - *ints {
                            // A small integer that changes now and then.
                            if rng.modulo(8) == 0 {
                                *v = (*v + rng.modulo(3) as i64 - 1).clamp(0, 9);
                            }
                            out.extend_from_slice(b.format(*v).as_bytes());
                            out.push(b'i');
                        } else {
                            let (lo, hi, step) = *range;
                            let delta = rng.modulo(2 * step as u64 + 1) as i64 - step;
                            *v = (*v + delta).clamp(lo, hi);
                            out.extend_from_slice(b.format(*v / 100).as_bytes());
                            out.push(b'.');
                            let c = (*v % 100) as u8;
                            out.push(b'0' + c / 10);
                            out.push(b'0' + c % 10);
                        }
                    }
                    fields += nf as u64;
                    out.push(b' ');
                    out.extend_from_slice(ts_text.as_bytes());
                    out.push(b'\n');
                    *next_series += 1;
                    if *next_series == prefixes.len() {
                        *next_series = 0;
                        *round += 1;
                        let ts = clock
                            .start
                            .saturating_add(round.saturating_mul(clock.interval));
                        ts_text = ts_buf.format(ts).to_owned();
                    }
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

fn field_keys(names: &[&str]) -> Vec<Vec<u8>> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let mut k = Vec::new();
            if i > 0 {
                k.push(b',');
            }
            k.extend_from_slice(n.as_bytes());
            k.push(b'=');
            k
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
