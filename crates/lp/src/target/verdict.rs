//! The verdicts of the modelled servers: their reading of a line ([`super::influxdb1`],
//! [`super::victoriametrics`]) compared with the reference's ([`super::reference`]). A line
//! passes when the server stores exactly what it says; otherwise the message says whether
//! the server refuses it, drops it or stores it differently, and how.

use super::reference::{self, Point, Value};
use super::{influxdb1, victoriametrics, Problem, Verdict};
use crate::parse::is_blank_or_comment;
use crate::printable;

fn problem(at: usize, message: String) -> Problem {
    Problem {
        column: at + 1,
        message,
        kind: None,
    }
}

fn show(b: &[u8]) -> String {
    printable(b).into_owned()
}

/// The reference's reading of a line the server stored something from.
fn reference_point(line: &[u8], server: &str) -> Result<Point, Problem> {
    reference::read(line).map_err(|(at, why)| {
        problem(
            at,
            format!("{why}: not valid line protocol, yet {server} stores something from it"),
        )
    })
}

/// InfluxDB 1.x's verdict.
pub(crate) fn influxdb1(line: &[u8]) -> Result<Verdict, Problem> {
    const S: &str = "InfluxDB 1.x";
    let stored = match influxdb1::read(line) {
        influxdb1::Outcome::Blank if is_blank_or_comment(line) => return Ok(Verdict::Blank),
        influxdb1::Outcome::Blank => {
            return Err(problem(
                0,
                format!("{S} skips this line (it starts with blanks and `#`)"),
            ))
        }
        influxdb1::Outcome::Refused(at, why) if why.contains(S) => return Err(problem(at, why)),
        influxdb1::Outcome::Refused(at, why) => {
            return Err(problem(at, format!("refused by {S}: {why}")))
        }
        influxdb1::Outcome::Stored(s) => s,
    };
    if let Some(k) = &stored.repeated {
        return Err(problem(
            0,
            format!(
                "field `{}` is written twice: {S} stores only the last",
                show(k)
            ),
        ));
    }
    // Its index lists the measurement unescaped once more (`\\"` and `\\,` lose both
    // backslashes): when that differs, no query finds the points (measured on 1.6.7: `SHOW
    // MEASUREMENTS` lists the name, `SELECT` finds nothing). Only a backslash can differ.
    let listed_as = memchr::memchr(b'\\', &stored.measurement)
        .map(|_| super::influxdb1::unescape_all(&stored.measurement))
        .filter(|l| *l != stored.measurement);
    if let Some(listed_as) = listed_as {
        return Err(problem(
            0,
            format!(
                "measurement `{}` is listed by {S} as `{}` (it unescapes the name twice) and no query finds its points: the point is lost though the write answers 204",
                show(&stored.measurement),
                show(&listed_as)
            ),
        ));
    }
    let p = reference_point(line, S)?;
    if stored.measurement != p.measurement.text {
        return Err(problem(
            p.measurement.at,
            format!(
                "measurement `{}` is stored differently by {S}: as `{}`",
                show(&p.measurement.text),
                show(&stored.measurement)
            ),
        ));
    }
    for (k, v) in &p.tags {
        if !stored
            .tags
            .iter()
            .any(|(sk, sv)| *sk == k.text && *sv == v.text)
        {
            return Err(problem(
                k.at,
                format!(
                    "tag `{}={}` is stored differently by {S} (its backslashes are read otherwise)",
                    show(&k.text),
                    show(&v.text)
                ),
            ));
        }
    }
    for (k, v) in &p.fields {
        if k.text == b"time" && stored.time_field_dropped {
            return Err(problem(
                k.at,
                format!("field `time` is left out by {S} (the rest of the point is stored)"),
            ));
        }
        match stored.fields.iter().find(|(sk, _)| *sk == k.text) {
            Some((_, sv)) if same_value(sv, v) => {}
            Some((_, sv)) => {
                return Err(problem(
                    k.at,
                    format!(
                        "field `{}` is stored differently by {S}: as {sv:?}",
                        show(&k.text)
                    ),
                ))
            }
            None => {
                return Err(problem(
                    k.at,
                    format!(
                    "field key `{}` is stored differently by {S} (its escapes are read otherwise)",
                    show(&k.text)
                ),
                ))
            }
        }
    }
    if stored.timestamp != p.timestamp {
        return Err(problem(
            p.timestamp_at,
            format!("the timestamp is stored differently by {S}"),
        ));
    }
    Ok(Verdict::Point)
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

/// VictoriaMetrics' verdict at `now_ns`.
pub(crate) fn victoriametrics(line: &[u8], now_ns: i64) -> Result<Verdict, Problem> {
    const S: &str = "VictoriaMetrics";
    let samples = match victoriametrics::read(line, now_ns) {
        victoriametrics::Outcome::Blank => return Ok(Verdict::Blank),
        victoriametrics::Outcome::Dropped(_) if is_blank_or_comment(line) => {
            return Ok(Verdict::Blank)
        }
        victoriametrics::Outcome::Dropped(why) => {
            let hint = match reference::read(line) {
                Ok(_) => String::new(),
                Err((_, r)) => format!(" ({r})"),
            };
            return Err(problem(
                0,
                format!(
                    "dropped by {S}: it cannot parse the line ({why}){hint}; it still answers 204 and only logs it"
                ),
            ));
        }
        victoriametrics::Outcome::Refused(why) => {
            return Err(problem(0, format!("refused by {S}: {why}")))
        }
        victoriametrics::Outcome::Stored(s) => s,
    };
    let p = reference_point(line, S)?;
    if samples.len() != p.fields.len() {
        return Err(problem(
            p.timestamp_at,
            format!(
                "stored differently by {S}: {} samples for {} fields (its quotes and escapes are read otherwise)",
                samples.len(),
                p.fields.len()
            ),
        ));
    }
    for ((k, v), s) in p.fields.iter().zip(&samples) {
        let mut name = p.measurement.text.clone();
        name.push(b'_');
        name.extend_from_slice(&k.text);
        if let Some(why) = s.dropped {
            let when = match s.time_ms {
                Some(t) => format!("timestamp {t} ms"),
                None => "value".into(),
            };
            return Err(problem(
                p.timestamp_at,
                format!("dropped by {S}: {when} is {why}; it still answers 204"),
            ));
        }
        if s.name != name {
            let cut = name.len() > 16 * 1024;
            return Err(problem(
                k.at,
                format!(
                    "metric name `{}` is stored differently by {S}: as `{}`{}",
                    show(&name[..name.len().min(64)]),
                    show(&s.name[..s.name.len().min(64)]),
                    if cut { " (cut to 16 KiB)" } else { "" }
                ),
            ));
        }
        for (tk, tv) in &p.tags {
            if !s
                .labels
                .iter()
                .any(|(sk, sv)| *sk == tk.text && *sv == tv.text)
            {
                let why = if tk.text == b"__name__" {
                    "lost: the metric name replaces it".to_string()
                } else if tk.text.len() > 256 {
                    "its key is cut to 256 bytes".to_string()
                } else if tv.text.len() > 16 * 1024 {
                    "its value is cut to 16 KiB".to_string()
                } else {
                    "lost (over 30 labels) or read otherwise".to_string()
                };
                return Err(problem(
                    tk.at,
                    format!(
                        "tag `{}` is stored differently by {S}: {why}",
                        show(&tk.text[..tk.text.len().min(64)])
                    ),
                ));
            }
        }
        if s.db_lost {
            return Err(problem(
                p.measurement.at,
                format!("over 30 labels: {S} loses the request's `db` label (at most 30 labels, tags first)"),
            ));
        }
        if let Some(why) = value_difference(v, s.value) {
            return Err(problem(
                k.at,
                format!("field `{}`: {why} by {S}", show(&k.text)),
            ));
        }
        match (p.timestamp, s.time_ms) {
            (None, None) => {}
            (Some(0), None) => {
                return Err(problem(
                    p.timestamp_at,
                    format!("timestamp 0 is stored at the time of writing by {S}"),
                ))
            }
            (Some(t), Some(ms)) if t.div_euclid(1_000_000) == ms => {}
            (_, Some(ms)) => {
                return Err(problem(
                    p.timestamp_at,
                    format!("the timestamp is stored differently by {S}: at {ms} ms"),
                ))
            }
            (_, None) => {
                return Err(problem(
                    p.timestamp_at,
                    format!("the timestamp is stored at the time of writing by {S}"),
                ))
            }
        }
    }
    Ok(Verdict::Point)
}

/// How VictoriaMetrics' stored value differs from the value written, if it does.
fn value_difference(v: &Value, stored: f64) -> Option<String> {
    let exact_int =
        |i: i128| stored.is_finite() && stored.abs() < 2f64.powi(64) && stored as i128 == i;
    match v {
        // -0 comes back as 0: the same number.
        Value::Float(f) if *f == stored => None,
        Value::Float(f) => Some(format!(
            "float {f:e} is stored as {stored:e} (its parser rounds differently, and it keeps about 12 significant digits)"
        )),
        Value::Int(i) if exact_int(i128::from(*i)) => None,
        Value::Uint(u) if exact_int(i128::from(*u)) => None,
        Value::Int(_) | Value::Uint(_) => Some(format!(
            "integer is stored as {stored} (a float of about 15 significant digits)"
        )),
        Value::Bool(b) if stored == f64::from(u8::from(*b)) => None,
        Value::Bool(_) => Some(format!("boolean is stored as {stored}")),
        Value::Str(_) => Some(format!(
            "string value is stored as {stored} (only numbers are stored: a string is read as a number, 0 when it is none)"
        )),
    }
}
