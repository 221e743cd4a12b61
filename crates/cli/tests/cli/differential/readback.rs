//! Sending each case alone to a real server and reading everything back in bulk: what the
//! server did with each line, against what the line means. InfluxDB 1.x here, with the
//! helpers both servers use; VictoriaMetrics in `victoria.rs`.
//!
//! Both servers read back through JSON, where an invalid UTF-8 byte becomes U+FFFD: names
//! are compared in that lossy form.

use super::generate::{Case, Meaning, Val};
use crate::support::ServerProcess;
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What the server did with a line, judged against its meaning.
#[derive(Debug)]
pub enum Outcome {
    AsWritten,
    Differently(#[allow(dead_code)] String),
    Dropped,
    Refused(#[allow(dead_code)] String),
}

/// A server the cases are sent to.
pub trait Server {
    /// Sends each case alone (but those `skip` marks), reads back, and judges each.
    fn store(&self, cases: &[Case], skip: &[bool]) -> Vec<Outcome>;
}

/// The line sent for a case: nothing (an empty request) for one skipped.
pub(super) fn sent(c: &Case, skip: bool) -> &[u8] {
    if skip {
        b""
    } else {
        &c.line
    }
}

pub(super) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

pub(super) fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as i64
}

pub(super) fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One POST over a fresh connection, read raw: InfluxDB 1.x echoes the refused line in an
/// `X-Influxdb-Error` header, control bytes included, which HTTP clients refuse to read.
pub(super) fn post_raw(url: &str, body: &[u8], case: usize) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut conn = std::net::TcpStream::connect(host)
        .unwrap_or_else(|e| panic!("{url}: the server is gone before case {case}: {e}"));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = conn
        .write_all(head.as_bytes())
        .and_then(|()| conn.write_all(body));
    // VictoriaMetrics answers a line over its limit and closes the connection before
    // reading the rest: a reset after (or instead of) the answer is a refusal.
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

/// The case index a measurement or metric name starts with (`u01234x`).
pub(super) fn case_of(name: &str) -> Option<usize> {
    let digits = name.strip_prefix('u')?.get(..5)?;
    (name.as_bytes().get(6) == Some(&b'x'))
        .then(|| digits.parse().ok())
        .flatten()
}

/// Judges the common part: the status, and what is stored for meanings other than points.
pub(super) fn judge_status(
    status: &(u16, String),
    meaning: &Meaning,
    stored: bool,
) -> Option<Outcome> {
    if status.0 != 204 {
        return Some(Outcome::Refused(format!("{} {}", status.0, status.1)));
    }
    match (meaning, stored) {
        (_, false) if matches!(meaning, Meaning::Nothing) => Some(Outcome::AsWritten),
        (_, false) => Some(Outcome::Dropped),
        (Meaning::Point { .. }, true) => None,
        (_, true) => Some(Outcome::Differently(
            "stored a point from a line that has none".into(),
        )),
    }
}

/// A stored time (in `unit` ns) against the written one, or the time of the sends (with a
/// second of slack) when none was written.
pub(super) fn time_matches(
    written: Option<i64>,
    stored: i64,
    window: (i64, i64),
    unit: i64,
) -> bool {
    match written {
        Some(t) => t.div_euclid(unit) == stored,
        None => {
            let lo = (window.0 - 1_000_000_000).div_euclid(unit);
            let hi = (window.1 + 1_000_000_000).div_euclid(unit);
            (lo..=hi).contains(&stored)
        }
    }
}

/// InfluxDB 1.x with a database `diff` (started again when a line crashes it).
pub struct Influx(std::cell::RefCell<ServerProcess>);

impl Influx {
    /// Creates the database `diff` with shard groups of about 28 years (InfluxDB's
    /// longest): the cases' timestamps span 1915 to 2262, and with the default 7-day
    /// groups nearly every line opened a shard of its own (3,000 lines made the server
    /// grow to gigabytes and every read walk hundreds of shards).
    pub fn new(server: ServerProcess) -> Influx {
        crate::support::influx_query(
            &server.url,
            "",
            "CREATE DATABASE diff WITH SHARD DURATION 520000w",
        );
        Influx(std::cell::RefCell::new(server))
    }

    fn query(&self, q: &str) -> serde_json::Value {
        crate::support::influx_query(&self.0.borrow().url, "diff", q)
    }
}

/// Sends lines until one leaves the server dead; returns the answers (the last one that of
/// the crashing line, if any), the time window and whether it crashed.
fn send_until_crash(
    url: &str,
    cases: &[Case],
    skip: &[bool],
) -> (Vec<(u16, String)>, (i64, i64), bool) {
    let t0 = now_ns();
    let host = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or("");
    let mut answers = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let a = post_raw(url, sent(c, skip[i]), i);
        let silent = a.0 == 0;
        answers.push(a);
        if silent {
            std::thread::sleep(Duration::from_millis(300));
            if std::net::TcpStream::connect(host).is_err() {
                return (answers, (t0, now_ns()), true);
            }
        }
    }
    (answers, (t0, now_ns()), false)
}

/// One stored InfluxDB series: measurement, tags, field types and rows (time, fields).
#[derive(Default, Debug)]
struct Series {
    name: String,
    tags: Vec<(String, String)>,
    rows: Vec<(i64, Vec<(String, serde_json::Value)>)>,
}

impl Server for Influx {
    fn store(&self, cases: &[Case], skip: &[bool]) -> Vec<Outcome> {
        let mut out = Vec::new();
        while out.len() < cases.len() {
            let start = out.len();
            let url = format!("{}/write?db=diff&precision=ns", self.0.borrow().url);
            let (answers, window, crashed) =
                send_until_crash(&url, &cases[start..], &skip[start..]);
            let end = start + answers.len();
            if crashed {
                // Started again on its data: the crashing line is refused, the others
                // are judged from what the server kept.
                self.0.borrow_mut().kill9_and_restart();
            }
            out.extend(self.read_back(cases, start..end, &answers, window));
            for (i, o) in out.iter_mut().enumerate().take(end).skip(start) {
                if skip[i] {
                    *o = Outcome::Refused("crashes or poisons the server: not sent".into());
                }
            }
            if crashed {
                out[end - 1] = Outcome::Refused("the server crashed".into());
            }
        }
        out
    }
}

impl Influx {
    /// Judges `cases[range]` (answers and send window given) from what the server holds.
    fn read_back(
        &self,
        cases: &[Case],
        range: std::ops::Range<usize>,
        answers: &[(u16, String)],
        window: (i64, i64),
    ) -> Vec<Outcome> {
        let mut series: HashMap<usize, Vec<Series>> = HashMap::new();
        let mut types: HashMap<String, HashMap<String, String>> = HashMap::new();
        let groups = range.start / 100..range.end.div_ceil(100);
        for group in groups {
            let re = format!("/^u{group:03}[0-9][0-9]x/");
            let keys = self.query(&format!("SHOW FIELD KEYS FROM {re}"));
            let types_here: Vec<String> = keys["results"][0]["series"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["name"].as_str().map(String::from))
                .collect();
            for s in keys["results"][0]["series"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let m = types
                    .entry(s["name"].as_str().unwrap_or("").into())
                    .or_default();
                for v in s["values"].as_array().into_iter().flatten() {
                    m.insert(
                        v[0].as_str().unwrap_or("").into(),
                        v[1].as_str().unwrap_or("").into(),
                    );
                }
            }
            // One measurement per query: across measurements a column has one type, and
            // the values of the others read back as null.
            let mut ids: Vec<usize> = types_here
                .iter()
                .filter_map(|n| case_of(n))
                .filter(|i| range.contains(i))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            for id in ids {
                let data = self.query(&format!("SELECT * FROM /^u{id:05}x/ GROUP BY *"));
                for s in data["results"][0]["series"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    let name = s["name"].as_str().unwrap_or("").to_string();
                    let Some(id) = case_of(&name) else { continue };
                    let tags = s["tags"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .filter_map(|(k, v)| {
                            let v = v.as_str().unwrap_or("");
                            (!v.is_empty()).then(|| (k.clone(), v.to_string()))
                        })
                        .collect();
                    let columns: Vec<String> = s["columns"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|c| c.as_str().unwrap_or("").to_string())
                        .collect();
                    let rows = s["values"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|row| {
                            let cells = row.as_array().cloned().unwrap_or_default();
                            let time = cells.first().and_then(|t| t.as_i64()).unwrap_or(i64::MIN);
                            let fields = columns
                                .iter()
                                .zip(&cells)
                                .skip(1)
                                .filter(|(_, v)| !v.is_null())
                                .map(|(c, v)| (c.clone(), v.clone()))
                                .collect();
                            (time, fields)
                        })
                        .collect();
                    series
                        .entry(id)
                        .or_default()
                        .push(Series { name, tags, rows });
                }
            }
        }
        range
            .clone()
            .map(|i| {
                let c = &cases[i];
                let got = series.remove(&i).unwrap_or_default();
                let answer = &answers[i - range.start];
                if let Some(o) = judge_status(answer, &c.meaning, !got.is_empty()) {
                    return o;
                }
                influx_point(&c.meaning, &got, &types, window)
            })
            .collect()
    }
}

fn influx_point(
    meaning: &Meaning,
    got: &[Series],
    types: &HashMap<String, HashMap<String, String>>,
    window: (i64, i64),
) -> Outcome {
    let Meaning::Point {
        measurement,
        tags,
        fields,
        timestamp,
    } = meaning
    else {
        return Outcome::Differently("not a point".into());
    };
    let diff = |why: String| Outcome::Differently(why);
    let [s] = got else {
        return diff(format!("{} series", got.len()));
    };
    let [(time, stored)] = &s.rows[..] else {
        return diff(format!("{} rows", s.rows.len()));
    };
    if s.name != lossy(measurement) {
        return diff(format!("measurement {:?}", s.name));
    }
    let mut want: Vec<(String, String)> = tags.iter().map(|(k, v)| (lossy(k), lossy(v))).collect();
    let mut have = s.tags.clone();
    want.sort();
    have.sort();
    if want != have {
        return diff(format!("tags {have:?}"));
    }
    if stored.len() != fields.len() {
        return diff(format!("fields {stored:?}"));
    }
    let no_types = HashMap::new();
    let ty = types.get(&s.name).unwrap_or(&no_types);
    for (k, v) in fields {
        let k = lossy(k);
        let Some((_, sv)) = stored.iter().find(|(sk, _)| *sk == k) else {
            return diff(format!("field {k:?} missing: {stored:?}"));
        };
        let t = ty.get(&k).map(String::as_str).unwrap_or("");
        let same = match v {
            Val::Float(f) => t == "float" && sv.as_f64() == Some(*f),
            Val::Int(n) => t == "integer" && sv.as_i64() == Some(*n),
            Val::Bool(b) => t == "boolean" && sv.as_bool() == Some(*b),
            Val::Str(x) => t == "string" && sv.as_str() == Some(lossy(x).as_str()),
        };
        if !same {
            return diff(format!("field {k:?} = {sv} ({t})"));
        }
    }
    if !time_matches(*timestamp, *time, window, 1) {
        return diff(format!("time {time}"));
    }
    Outcome::AsWritten
}
