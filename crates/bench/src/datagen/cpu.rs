//! The TSBS-like `cpu` shape: per host 10 tags drawn like TSBS's `cpu-only` use case, 10 usage
//! fields as bounded random walks in 0..100 with two decimals, one row per host every 10 s
//! (files) or every clock interval (line protocol).

use crate::datagen::{push_hundredths, push_timestamp, walk, Clocking, Format, Rows};
use crate::rng::Rng;

/// Number of hosts of the data set files; each round of rows covers all of them with one
/// timestamp.
pub const HOSTS: usize = 1000;
/// 2016-01-01T00:00:00Z, where TSBS starts by default.
const START: i64 = 1_451_606_400;
const STEP_S: i64 = 10;

const HEADER: &[u8] = b"time,hostname,region,datacenter,rack,os,arch,team,service,service_version,\
service_environment,usage_user,usage_system,usage_idle,usage_nice,usage_iowait,usage_irq,\
usage_softirq,usage_steal,usage_guest,usage_guest_nice\n";
const TAG_KEYS: [&str; 10] = [
    "hostname",
    "region",
    "datacenter",
    "rack",
    "os",
    "arch",
    "team",
    "service",
    "service_version",
    "service_environment",
];
/// The field keys as line protocol fragments: `key=`, then `,key=`.
const FIELD_KEYS_LP: [&str; 10] = [
    "usage_user=",
    ",usage_system=",
    ",usage_idle=",
    ",usage_nice=",
    ",usage_iowait=",
    ",usage_irq=",
    ",usage_softirq=",
    ",usage_steal=",
    ",usage_guest=",
    ",usage_guest_nice=",
];
/// The field keys as NDJSON fragments: `,"key":`.
const FIELD_KEYS_JSON: [&str; 10] = [
    ",\"usage_user\":",
    ",\"usage_system\":",
    ",\"usage_idle\":",
    ",\"usage_nice\":",
    ",\"usage_iowait\":",
    ",\"usage_irq\":",
    ",\"usage_softirq\":",
    ",\"usage_steal\":",
    ",\"usage_guest\":",
    ",\"usage_guest_nice\":",
];
/// TSBS's regions with their data centers.
const REGIONS: &[(&str, &[&str])] = &[
    (
        "us-east-1",
        &["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1e"],
    ),
    ("us-west-1", &["us-west-1a", "us-west-1b"]),
    ("us-west-2", &["us-west-2a", "us-west-2b", "us-west-2c"]),
    ("eu-west-1", &["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    ("eu-central-1", &["eu-central-1a", "eu-central-1b"]),
    ("ap-southeast-1", &["ap-southeast-1a", "ap-southeast-1b"]),
    ("ap-southeast-2", &["ap-southeast-2a", "ap-southeast-2b"]),
    ("ap-northeast-1", &["ap-northeast-1a", "ap-northeast-1c"]),
    ("sa-east-1", &["sa-east-1a", "sa-east-1b", "sa-east-1c"]),
];
const OSES: &[&str] = &["Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"];
const ARCHES: &[&str] = &["x64", "x86"];
const TEAMS: &[&str] = &["SF", "NYC", "LON", "CHI"];
const ENVIRONMENTS: &[&str] = &["production", "staging", "test"];

/// One host: its tags as the choices drawn for it (as text in [`TagText`], in the one format
/// written, from its first row on), and its current usage values in hundredths.
#[derive(Debug, Clone)]
struct Host {
    region: u8,
    datacenter: u8,
    rack: u8,
    os: u8,
    arch: u8,
    team: u8,
    service: u8,
    service_version: u8,
    environment: u8,
    usage: [u32; 10],
}

/// How a row's tags are written: CSV cells, NDJSON members or line-protocol tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagStyle {
    Csv,
    Json,
    Lp,
}

impl Host {
    fn new(seed: u64, index: usize) -> Self {
        let mut rng = Rng::derive(seed, index as u64 + 1);
        // Drawn in the order of the tags: the data depends on it.
        let region = rng.below(REGIONS.len() as u32) as u8;
        let datacenter = rng.below(REGIONS[usize::from(region)].1.len() as u32) as u8;
        let rack = rng.below(100) as u8;
        let os = rng.below(OSES.len() as u32) as u8;
        let arch = rng.below(ARCHES.len() as u32) as u8;
        let team = rng.below(TEAMS.len() as u32) as u8;
        let service = rng.below(20) as u8;
        let service_version = rng.below(2) as u8;
        let environment = rng.below(ENVIRONMENTS.len() as u32) as u8;
        let usage = std::array::from_fn(|_| rng.below(10_001));
        Host {
            region,
            datacenter,
            rack,
            os,
            arch,
            team,
            service,
            service_version,
            environment,
            usage,
        }
    }

    /// Appends host `index`'s ten tags in `style`, separated by commas.
    fn write_tags(&self, index: usize, style: TagStyle, buf: &mut Vec<u8>) {
        let (region, dcs) = REGIONS[usize::from(self.region)];
        let mut hostname = itoa::Buffer::new();
        let mut rack = itoa::Buffer::new();
        let mut service = itoa::Buffer::new();
        let mut version = itoa::Buffer::new();
        let values: [&[u8]; 10] = [
            // After `host_`.
            hostname.format(index).as_bytes(),
            region.as_bytes(),
            dcs[usize::from(self.datacenter)].as_bytes(),
            rack.format(self.rack).as_bytes(),
            OSES[usize::from(self.os)].as_bytes(),
            ARCHES[usize::from(self.arch)].as_bytes(),
            TEAMS[usize::from(self.team)].as_bytes(),
            service.format(self.service).as_bytes(),
            version.format(self.service_version).as_bytes(),
            ENVIRONMENTS[usize::from(self.environment)].as_bytes(),
        ];
        for (i, (key, value)) in TAG_KEYS.iter().zip(values).enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            match style {
                TagStyle::Csv => {}
                TagStyle::Json => {
                    buf.push(b'"');
                    buf.extend_from_slice(key.as_bytes());
                    buf.extend_from_slice(b"\":\"");
                }
                // The values need no escaping.
                TagStyle::Lp => {
                    buf.extend_from_slice(key.as_bytes());
                    buf.push(b'=');
                }
            }
            if i == 0 {
                buf.extend_from_slice(b"host_");
            }
            buf.extend_from_slice(value);
            if let TagStyle::Json = style {
                buf.push(b'"');
            }
        }
    }
}

/// Every host's tags as text in one style, each added on the host's first row (hosts come in
/// order), so that a row copies them: with all hosts' tags made up front in every format,
/// `bench --hosts 1000000` spent its whole measurement (and most of a gigabyte) on them.
#[derive(Debug, Clone, Default)]
struct TagText {
    style: Option<TagStyle>,
    text: Vec<u8>,
    /// Where each host's tags end in `text`.
    ends: Vec<usize>,
}

impl TagText {
    /// Host `h`'s tags in `style`.
    fn get(&mut self, hosts: &[Host], h: usize, style: TagStyle) -> &[u8] {
        if self.style != Some(style) {
            *self = TagText {
                style: Some(style),
                ..TagText::default()
            };
        }
        while self.ends.len() <= h {
            let i = self.ends.len();
            hosts[i].write_tags(i, style, &mut self.text);
            self.ends.push(self.text.len());
        }
        let start = h.checked_sub(1).map_or(0, |p| self.ends[p]);
        &self.text[start..self.ends[h]]
    }
}

/// Rows of the `cpu` shape.
#[derive(Debug, Clone)]
pub(crate) struct CpuRows {
    rng: Rng,
    hosts: Vec<Host>,
    next_host: usize,
    /// Rounds completed (all hosts written once).
    round: i64,
    time: i64,
    time_text: [u8; 20],
    tags: TagText,
}

impl CpuRows {
    /// The rows of seed `seed` for `hosts` hosts (at least 1), starting at
    /// 2016-01-01T00:00:00Z with host_0. A host's tags depend on the seed and its number only.
    pub(crate) fn new(seed: u64, hosts: usize) -> Self {
        CpuRows {
            rng: Rng::derive(seed, 0x0063_7075),
            hosts: (0..hosts.max(1)).map(|i| Host::new(seed, i)).collect(),
            next_host: 0,
            round: 0,
            time: START,
            time_text: rfc3339(START),
            tags: TagText::default(),
        }
    }

    /// Moves to the next host (and round) and walks its values; returns the host.
    fn advance(&mut self) -> usize {
        if self.next_host == self.hosts.len() {
            self.next_host = 0;
            self.round += 1;
            self.time += STEP_S;
            self.time_text = rfc3339(self.time);
        }
        let h = self.next_host;
        self.next_host += 1;
        for u in self.hosts[h].usage.iter_mut() {
            *u = walk(&mut self.rng, *u, 150, 0, 10_000);
        }
        h
    }
}

impl Rows for CpuRows {
    fn csv_header(&self) -> &'static [u8] {
        HEADER
    }

    fn next_row(&mut self, format: Format, buf: &mut Vec<u8>) {
        let h = self.advance();
        let host = &self.hosts[h];
        match format {
            Format::Csv => {
                buf.extend_from_slice(&self.time_text);
                buf.push(b',');
                buf.extend_from_slice(self.tags.get(&self.hosts, h, TagStyle::Csv));
                for &u in &host.usage {
                    buf.push(b',');
                    push_hundredths(buf, u);
                }
            }
            Format::Ndjson => {
                buf.extend_from_slice(b"{\"time\":\"");
                buf.extend_from_slice(&self.time_text);
                buf.extend_from_slice(b"\",");
                buf.extend_from_slice(self.tags.get(&self.hosts, h, TagStyle::Json));
                for (key, &u) in FIELD_KEYS_JSON.iter().zip(&host.usage) {
                    buf.extend_from_slice(key.as_bytes());
                    push_hundredths(buf, u);
                }
                buf.push(b'}');
            }
        }
        buf.push(b'\n');
    }

    fn next_line(&mut self, clock: &Clocking, buf: &mut Vec<u8>) -> u64 {
        let h = self.advance();
        let host = &self.hosts[h];
        buf.extend_from_slice(b"cpu,");
        buf.extend_from_slice(self.tags.get(&self.hosts, h, TagStyle::Lp));
        buf.push(b' ');
        for (key, &u) in FIELD_KEYS_LP.iter().zip(&host.usage) {
            buf.extend_from_slice(key.as_bytes());
            push_hundredths(buf, u);
        }
        push_timestamp(buf, clock, self.round);
        host.usage.len() as u64
    }
}

/// `secs` since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (years 0..=9999).
pub fn rfc3339(secs: i64) -> [u8; 20] {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // civil_from_days, H. Hinnant, "chrono-Compatible Low-Level Date Algorithms".
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mut out = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, width: usize, mut v: i64| {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, month);
    put(8, 2, day);
    put(11, 2, sod / 3600);
    put(14, 2, sod / 60 % 60);
    put(17, 2, sod % 60);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datagen::{generate, Limit, Shape};

    #[test]
    fn rfc3339_known_instants() {
        assert_eq!(&rfc3339(0), b"1970-01-01T00:00:00Z");
        assert_eq!(&rfc3339(START), b"2016-01-01T00:00:00Z");
        assert_eq!(&rfc3339(951_782_400 + 86_399), b"2000-02-29T23:59:59Z");
        assert_eq!(&rfc3339(1_641_024_000), b"2022-01-01T08:00:00Z");
        assert_eq!(&rfc3339(-1), b"1969-12-31T23:59:59Z");
    }

    #[test]
    fn csv_rows_have_the_header_width_and_advance_per_round() {
        let mut out = Vec::new();
        let rows = HOSTS as u64 + 1;
        let stats = generate(Shape::Cpu, Format::Csv, Limit::Rows(rows), 5, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(stats.rows, rows);
        let width = lines[0].split(',').count();
        assert_eq!(width, 21);
        assert!(lines[1].starts_with("2016-01-01T00:00:00Z,host_0,"));
        assert!(lines[HOSTS + 1].starts_with("2016-01-01T00:00:10Z,host_0,"));
        for l in &lines[1..] {
            let cells: Vec<&str> = l.split(',').collect();
            assert_eq!(cells.len(), width, "{l}");
            for c in &cells[11..] {
                let v: f64 = c.parse().unwrap();
                assert!((0.0..=100.0).contains(&v), "{c}");
            }
        }
    }

    #[test]
    fn ndjson_is_the_twin_of_csv() {
        let (mut c, mut j) = (Vec::new(), Vec::new());
        generate(Shape::Cpu, Format::Csv, Limit::Rows(300), 11, &mut c).unwrap();
        generate(Shape::Cpu, Format::Ndjson, Limit::Rows(300), 11, &mut j).unwrap();
        let (c, j) = (String::from_utf8(c).unwrap(), String::from_utf8(j).unwrap());
        let mut lines = c.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let mut n = 0;
        for (row, obj) in lines.zip(j.lines()) {
            let v: serde_json::Value = serde_json::from_str(obj).unwrap();
            let map = v.as_object().unwrap();
            assert_eq!(map.len(), header.len());
            for (key, cell) in header.iter().zip(row.split(',')) {
                let got = match &map[*key] {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                assert_eq!(got, cell, "{key} in {obj}");
            }
            n += 1;
        }
        assert_eq!(n, 300);
    }

    #[test]
    fn a_host_is_its_draws_not_its_tags_as_text() {
        // `bench --hosts 1000000` builds every host before its first line: with each host's
        // tags kept as text in three formats, that took seconds (the measured run sent
        // nothing) and most of a gigabyte.
        assert!(
            std::mem::size_of::<Host>() <= 64,
            "{}",
            std::mem::size_of::<Host>()
        );
        let mut rows = CpuRows::new(3, 1_000_000);
        let mut lp = Vec::new();
        rows.next_line(
            &Clocking {
                start: 0,
                interval: 1,
            },
            &mut lp,
        );
        let text = String::from_utf8(lp).unwrap();
        assert!(text.starts_with("cpu,hostname=host_0,region="), "{text}");
    }

    #[test]
    fn tags_are_written_as_the_text_they_were_kept_as() {
        // The tags as the hosts kept them before they were written per row.
        fn kept(seed: u64, index: usize) -> [String; 10] {
            fn pick<'a>(rng: &mut Rng, from: &[&'a str]) -> &'a str {
                from[rng.below(from.len() as u32) as usize]
            }
            let mut rng = Rng::derive(seed, index as u64 + 1);
            let (region, dcs) = REGIONS[rng.below(REGIONS.len() as u32) as usize];
            [
                format!("host_{index}"),
                region.to_string(),
                pick(&mut rng, dcs).to_string(),
                rng.below(100).to_string(),
                pick(&mut rng, OSES).to_string(),
                pick(&mut rng, ARCHES).to_string(),
                pick(&mut rng, TEAMS).to_string(),
                rng.below(20).to_string(),
                rng.below(2).to_string(),
                pick(&mut rng, ENVIRONMENTS).to_string(),
            ]
        }
        for seed in [0, 1, 42] {
            for index in (0..300).chain([999, 65_535, 999_999]) {
                let v = kept(seed, index);
                let host = Host::new(seed, index);
                let written = |style| {
                    let mut b = Vec::new();
                    host.write_tags(index, style, &mut b);
                    String::from_utf8(b).unwrap()
                };
                let pairs = |f: &dyn Fn(&str, &String) -> String| {
                    TAG_KEYS
                        .iter()
                        .zip(&v)
                        .map(|(k, v)| f(k, v))
                        .collect::<Vec<_>>()
                        .join(",")
                };
                assert_eq!(written(TagStyle::Csv), v.join(","));
                assert_eq!(
                    written(TagStyle::Json),
                    pairs(&|k, v| format!("\"{k}\":\"{v}\""))
                );
                assert_eq!(written(TagStyle::Lp), pairs(&|k, v| format!("{k}={v}")));
            }
        }
    }
}
