//! VictoriaMetrics: each case sent alone with `db=diff`, read back through
//! `/api/v1/export` by groups of 100 cases, points not found sent again to a fresh instance.

use super::generate::{Case, Meaning, Val};
use super::readback::{
    agent, case_of, judge_status, lossy, now_ns, post_raw, sent, time_matches, Outcome, Server,
};
use crate::support::ServerProcess;
use std::collections::HashMap;
use std::time::Duration;

/// VictoriaMetrics, written with `db=diff`.
pub struct Victoria(ServerProcess);

impl Victoria {
    pub fn new(server: ServerProcess) -> Victoria {
        Victoria(server)
    }
}

/// One exported VictoriaMetrics series.
#[derive(Debug)]
struct Exported {
    name: String,
    labels: Vec<(String, String)>,
    values: Vec<f64>,
    times: Vec<i64>,
}

fn parse_export_line(line: &str) -> Option<Exported> {
    let at = line.find(",\"values\":[")?;
    let metric: serde_json::Value = serde_json::from_str(&format!("{}}}", &line[..at])).ok()?;
    let rest = &line[at + 11..];
    let end = rest.find(']')?;
    let values = rest[..end]
        .split(',')
        .map(|v| v.trim().parse::<f64>().unwrap_or(f64::NAN))
        .collect();
    let t = rest.find("\"timestamps\":[")? + 14;
    let t_end = t + rest[t..].find(']')?;
    let times = rest[t..t_end]
        .split(',')
        .filter_map(|v| v.trim().parse::<i64>().ok())
        .collect();
    let m = metric["metric"].as_object()?;
    let name = m.get("__name__")?.as_str()?.to_string();
    let labels = m
        .iter()
        .filter(|(k, _)| *k != "__name__")
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
        .collect();
    Some(Exported {
        name,
        labels,
        values,
        times,
    })
}

/// What one round learnt of each case sent: the answer, the send window, the series found.
type Round = HashMap<usize, ((u16, String), (i64, i64), Vec<Exported>)>;

/// One round against one VictoriaMetrics instance: sends `cases[i]` for each `i` of
/// `which` (in order), reads back, and returns each one's answer, send window and the
/// series found for it.
fn vm_round(url: &str, cases: &[Case], skip: &[bool], which: &[usize]) -> Round {
    let write = format!("{url}/write?db=diff&precision=ns");
    let t0 = now_ns();
    let answers: Vec<(u16, String)> = which
        .iter()
        .map(|&i| post_raw(&write, sent(&cases[i], skip[i]), i))
        .collect();
    let window = (t0, now_ns());
    let agent = agent();
    let end = window.1 / 1_000_000_000 + 4 * 86_400;
    // Each read with a selector of its own: VictoriaMetrics caches a selector's series.
    let export = |selector: &str| {
        let mut r = agent
            .get(&format!("{url}/api/v1/export"))
            .query("match[]", selector)
            .query("start", "0")
            .query("end", end.to_string())
            .call()
            .expect("export");
        assert_eq!(r.status().as_u16(), 200, "export {selector}");
        let body = r
            .body_mut()
            .with_config()
            .limit(1 << 31)
            .read_to_vec()
            .expect("export body");
        String::from_utf8_lossy(&body).into_owned()
    };
    // New series become searchable within a few seconds (a past day's index entries
    // later): read everything until three reads a second apart agree.
    let _ = agent.get(&format!("{url}/internal/force_flush")).call();
    std::thread::sleep(Duration::from_millis(1000));
    // By groups of 100 cases: one series VictoriaMetrics cannot export empties the
    // whole answer (it answers 200 with nothing).
    let mut groups: Vec<usize> = which.iter().map(|i| i / 100).collect();
    groups.dedup();
    // Sorted: an export lists its series in no stable order.
    let read_all = |attempt: u32| -> Vec<String> {
        let mut lines: Vec<String> = groups
            .iter()
            .flat_map(|g| {
                let sel = format!("{{__name__=~\"u{g:03}[0-9][0-9]x.*\",db!=\"read{attempt}\"}}");
                export(&sel).lines().map(String::from).collect::<Vec<_>>()
            })
            .collect();
        lines.sort_unstable();
        lines
    };
    let mut all = read_all(0);
    let mut same = 0;
    for attempt in 1..30 {
        std::thread::sleep(Duration::from_millis(1000));
        let again = read_all(attempt);
        same = if again == all { same + 1 } else { 0 };
        all = again;
        if same == 2 {
            break;
        }
    }
    let mut found: HashMap<usize, Vec<Exported>> = HashMap::new();
    for line in &all {
        let e =
            parse_export_line(line).unwrap_or_else(|| panic!("unreadable export line {line:.300}"));
        if let Some(id) = case_of(&e.name) {
            found.entry(id).or_default().push(e);
        }
    }
    which
        .iter()
        .zip(answers)
        .map(|(&i, a)| (i, (a, window, found.remove(&i).unwrap_or_default())))
        .collect()
}

impl Server for Victoria {
    /// VictoriaMetrics 1.79 answers 204 and stores the samples, yet its search sometimes
    /// does not find some series among many (seed 19's `u00231x,time=ab
    /// time=-13711623193195i,o=1e23 ...`, the 232nd of 400 lines: its series are listed by
    /// `/api/v1/status/tsdb` and `/api/v1/label/__name__/values`, but no selector, not even
    /// its exact name over its own hour, exports them; sent alone, or with the first 274
    /// lines only, it is exported as written; which series are hidden changes from run to
    /// run). So a point answered 204 and not found is sent again, with the others not
    /// found, to a fresh instance, up to three times: a line's fate does not depend on the
    /// other lines (each case has names of its own), its read-back should not either.
    fn store(&self, cases: &[Case], skip: &[bool]) -> Vec<Outcome> {
        let mut got = vm_round(
            &self.0.url,
            cases,
            skip,
            &(0..cases.len()).collect::<Vec<_>>(),
        );
        let missing = |got: &Round| {
            let mut m: Vec<usize> = got
                .iter()
                .filter(|(i, (a, _, found))| {
                    a.0 == 204
                        && matches!(cases[**i].meaning, Meaning::Point { .. })
                        && found.is_empty()
                })
                .map(|(i, _)| *i)
                .collect();
            m.sort_unstable();
            m
        };
        let mut again = missing(&got);
        for _ in 0..3 {
            if again.is_empty() {
                break;
            }
            let fresh = crate::support::start_victoria_metrics();
            let round = vm_round(&fresh.url, cases, skip, &again);
            let still = missing(&round);
            let progress = still.len() < again.len();
            got.extend(round);
            if !progress {
                break;
            }
            again = still;
        }
        (0..cases.len())
            .map(|i| {
                let (answer, window, found) = got.remove(&i).unwrap_or_default();
                if let Some(o) = judge_status(&answer, &cases[i].meaning, !found.is_empty()) {
                    return o;
                }
                vm_point(&cases[i].meaning, &found, window)
            })
            .collect()
    }
}

fn vm_point(meaning: &Meaning, got: &[Exported], window: (i64, i64)) -> Outcome {
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
    let samples: usize = got.iter().map(|e| e.values.len()).sum();
    if samples != fields.len() || got.len() != fields.len() {
        return diff(format!("{samples} samples in {} series", got.len()));
    }
    let mut want_labels: Vec<(String, String)> =
        tags.iter().map(|(k, v)| (lossy(k), lossy(v))).collect();
    if !tags.iter().any(|(k, _)| k == b"db") {
        want_labels.push(("db".into(), "diff".into()));
    }
    want_labels.sort();
    for (k, v) in fields {
        let mut name = measurement.clone();
        name.push(b'_');
        name.extend_from_slice(k);
        let name = lossy(&name);
        let Some(e) = got.iter().find(|e| e.name == name) else {
            return diff(format!("no series {name:.80}"));
        };
        let mut labels = e.labels.clone();
        labels.sort();
        if labels != want_labels {
            return diff(format!("labels {labels:.200?}"));
        }
        let stored = e.values[0];
        let same = match v {
            Val::Float(f) => stored == *f,
            Val::Int(n) => {
                stored.is_finite() && stored.abs() < 1e19 && stored as i128 == i128::from(*n)
            }
            Val::Bool(b) => stored == f64::from(u8::from(*b)),
            Val::Str(_) => false,
        };
        if !same {
            return diff(format!("value {stored:e}"));
        }
        if !time_matches(*timestamp, e.times[0], window, 1_000_000) {
            return diff(format!("time {}", e.times[0]));
        }
    }
    Outcome::AsWritten
}
