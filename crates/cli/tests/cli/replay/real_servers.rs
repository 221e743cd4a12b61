//! `lpconvert replay` against real servers started by the test itself on 127.0.0.1: InfluxDB
//! 1.x and VictoriaMetrics from their Debian packages (`apt-get install -y influxdb
//! victoria-metrics`). Every point written is read back and compared, using an independent
//! line protocol parser (the `influxdb-line-protocol` crate of InfluxDB 3) for the expected
//! values.

use crate::support::{
    argv, assert_exit, http_get, influx_query, kill_after, run_lpconvert, start_influxdb_with,
    start_victoria_metrics, TempDir, BIN,
};
use influxdb_line_protocol::{parse_lines, FieldValue};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn replay_ok(args: &[&str]) -> Output {
    let out = run_lpconvert("replay", args, &[]);
    assert_exit(&out, 0);
    out
}

/// Writes the 120,000 generated `text` lines to `dir/gen.lp`, replays them with `options`
/// (`{}`: `url`, then the file) to their end, and prints how long it took, after `label`.
fn replay_generated(label: &str, dir: &TempDir, text: &str, options: &str, url: &str) {
    let gen = dir.join("gen.lp");
    std::fs::write(&gen, text).unwrap();
    let t0 = Instant::now();
    replay_ok(&argv(options, &[url, gen.to_str().unwrap()]));
    eprintln!(
        "{label}: 120000 lines in {:.2} s",
        t0.elapsed().as_secs_f64()
    );
}

/// Writes `testdata/home.lp` to `dir/home.lp` and replays it to `url`, database home,
/// precision s, to its end.
fn replay_home_lp(dir: &TempDir, url: &str) {
    let home = dir.join("home.lp");
    std::fs::write(&home, home_lp()).unwrap();
    replay_ok(&argv(
        "--url {} --db home --precision s {}",
        &[url, home.to_str().unwrap()],
    ));
}

fn home_lp() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/home.lp");
    std::fs::read_to_string(p).expect("testdata/home.lp")
}

/// A value as both sides can compare it.
#[derive(Debug, Clone, PartialEq)]
enum V {
    F(f64),
    I(i64),
    B(bool),
    S(String),
}

/// Expected points: (measurement, sorted tags, timestamp ns) -> field -> value.
type Points = BTreeMap<(String, Vec<(String, String)>, i64), BTreeMap<String, V>>;

fn expected(text: &str, ns_per_unit: i64) -> Points {
    let mut out = Points::new();
    for line in parse_lines(text) {
        let line = line.expect("test data parses");
        let mut tags: Vec<(String, String)> = line
            .series
            .tag_set
            .iter()
            .flatten()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        tags.sort();
        let ts = line.timestamp.expect("test data has timestamps") * ns_per_unit;
        let fields = line
            .field_set
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    FieldValue::F64(f) => V::F(*f),
                    FieldValue::I64(i) => V::I(*i),
                    FieldValue::U64(u) => V::I(*u as i64),
                    FieldValue::Boolean(b) => V::B(*b),
                    FieldValue::String(s) => V::S(s.to_string()),
                };
                (k.to_string(), v)
            })
            .collect();
        out.insert((line.series.measurement.to_string(), tags, ts), fields);
    }
    out
}

/// Reads every point of `measurement` back from InfluxDB, typed with the expected types.
fn influx_points(
    url: &str,
    db: &str,
    measurement: &str,
    tag_keys: &[&str],
    like: &Points,
) -> Points {
    let types: BTreeMap<String, &V> = like
        .values()
        .flat_map(|f| f.iter().map(|(k, v)| (k.clone(), v)))
        .collect();
    let r = influx_query(url, db, &format!("SELECT * FROM \"{measurement}\""));
    let series = &r["results"][0]["series"][0];
    let columns: Vec<String> = series["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    let mut out = Points::new();
    for row in series["values"].as_array().expect("values") {
        let row = row.as_array().unwrap();
        let mut tags = Vec::new();
        let mut fields = BTreeMap::new();
        let mut ts = 0;
        for (c, v) in columns.iter().zip(row) {
            if c == "time" {
                ts = v.as_i64().unwrap();
            } else if tag_keys.contains(&c.as_str()) {
                if let Some(s) = v.as_str() {
                    tags.push((c.clone(), s.to_owned()));
                }
            } else if !v.is_null() {
                let typed = match types.get(c) {
                    Some(V::F(_)) => V::F(v.as_f64().unwrap()),
                    Some(V::I(_)) => V::I(v.as_i64().unwrap()),
                    Some(V::B(_)) => V::B(v.as_bool().unwrap()),
                    _ => V::S(v.as_str().unwrap().to_owned()),
                };
                fields.insert(c.clone(), typed);
            }
        }
        tags.sort();
        out.insert((measurement.to_owned(), tags, ts), fields);
    }
    out
}

/// 120,000 lines: 3 regions x 40 hosts, floats, integers, booleans and strings with quotes
/// and backslashes, distinct timestamps (ns).
fn generated_lines() -> String {
    let mut s = String::with_capacity(120_000 * 110);
    for i in 0..120_000u64 {
        let host = i % 40;
        let region = ["eu-west", "us east", "ap,south"][(i % 3) as usize];
        let region = region.replace(' ', "\\ ").replace(',', "\\,");
        s.push_str(&format!(
            "gen,host=host{host},region={region} usage={}.{:02},count={}i,ok={},note=\"say \\\"{}\\\" \\\\ ok\" {}\n",
            i % 100,
            i % 97,
            i as i64 - 60_000,
            if i % 2 == 0 { "true" } else { "F" },
            i % 13,
            1_600_000_000_000_000_000 + i * 1_000_000,
        ));
    }
    s
}

#[test]
fn influxdb_1x_stores_every_point_of_the_home_data_and_120k_generated_lines() {
    let server = start_influxdb_with(&["home"]);
    let dir = TempDir::new("influx");
    replay_home_lp(&dir, &server.url);
    let want = expected(&home_lp(), 1_000_000_000);
    assert_eq!(want.len(), 26);
    let got = influx_points(&server.url, "home", "home", &["room"], &want);
    assert_eq!(got, want);

    let text = generated_lines();
    let options = "--url {} --db home --gzip --concurrency 2 {}";
    replay_generated("influxdb 1.x", &dir, &text, options, &server.url);
    let want = expected(&text, 1);
    assert_eq!(want.len(), 120_000);
    let got = influx_points(&server.url, "home", "gen", &["host", "region"], &want);
    assert_eq!(got.len(), want.len());
    for (k, v) in &want {
        assert_eq!(got.get(k), Some(v), "point {k:?}");
    }
}

#[test]
fn influxdb_1x_kill_and_resume_stores_every_line() {
    let server = start_influxdb_with(&["k"]);
    let dir = TempDir::new("influx-kill");
    let n = 12_000;
    let text: String = (0..n)
        .map(|i| format!("k,h=h{} v={}i {}\n", i % 10, i, 1_600_000_000 + i))
        .collect();
    let file = dir.join("k.lp");
    std::fs::write(&file, &text).unwrap();
    let ckpt = dir.join("k.ckpt");
    let args = |rate: &str| -> Vec<String> {
        argv(
            "replay --url {} --db k --precision s --rate {} --checkpoint",
            &[&server.url, rate],
        )
        .iter()
        .map(|s| s.to_string())
        .chain([ckpt.display().to_string(), file.display().to_string()])
        .collect()
    };
    kill_after(&args("3000"), Duration::from_millis(2000));
    let count = |q: &str| {
        influx_query(&server.url, "k", q)["results"][0]["series"][0]["values"][0][1]
            .as_i64()
            .unwrap_or(0)
    };
    let before = count("SELECT count(v) FROM k");
    assert!(before > 0 && before < n, "{before} stored before the kill");
    let out = Command::new(BIN).args(args("1000000")).output().unwrap();
    assert_exit(&out, 0);
    assert_eq!(count("SELECT count(v) FROM k"), n);
    assert_eq!(count("SELECT sum(v) FROM k"), n * (n - 1) / 2);
}

/// VictoriaMetrics samples: (metric name, sorted labels, timestamp ms) -> value.
type Samples = BTreeMap<(String, Vec<(String, String)>, i64), f64>;

/// Every sample VictoriaMetrics holds for `selector`: (metric name, sorted labels without
/// `db`, timestamp ms) -> value.
fn vm_samples(url: &str, selector: &str) -> Samples {
    http_get(&format!("{url}/internal/force_flush"));
    let text = http_get(&format!("{url}/api/v1/export?match[]={}", encode(selector)));
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let j: serde_json::Value = serde_json::from_str(line).unwrap();
        let mut name = String::new();
        let mut labels = Vec::new();
        for (k, v) in j["metric"].as_object().unwrap() {
            let v = v.as_str().unwrap().to_owned();
            match k.as_str() {
                "__name__" => name = v,
                "db" => {}
                _ => labels.push((k.clone(), v)),
            }
        }
        labels.sort();
        let values = j["values"].as_array().unwrap();
        let stamps = j["timestamps"].as_array().unwrap();
        for (v, t) in values.iter().zip(stamps) {
            out.insert(
                (name.clone(), labels.clone(), t.as_i64().unwrap()),
                v.as_f64().unwrap(),
            );
        }
    }
    out
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The samples a set of lines should become in VictoriaMetrics: `measurement_field`.
fn vm_expected(text: &str, ns_per_unit: i64) -> Samples {
    let mut out = BTreeMap::new();
    for ((m, tags, ts), fields) in expected(text, ns_per_unit) {
        for (f, v) in fields {
            let v = match v {
                V::F(x) => x,
                V::I(i) => i as f64,
                V::B(b) => f64::from(u8::from(b)),
                V::S(_) => continue,
            };
            out.insert((format!("{m}_{f}"), tags.clone(), ts / 1_000_000), v);
        }
    }
    out
}

#[test]
fn victoria_metrics_stores_every_point_of_the_home_data_and_120k_generated_lines() {
    let server = start_victoria_metrics();
    let dir = TempDir::new("vm");
    replay_home_lp(&dir, &server.url);
    let want = vm_expected(&home_lp(), 1_000_000_000);
    assert_eq!(want.len(), 26 * 3);
    assert_eq!(vm_samples(&server.url, "{__name__=~\"home_.*\"}"), want);

    let text: String = (0..120_000u64)
        .map(|i| {
            format!(
                "vmgen,host=h{} usage={}.{:02},count={}i {}\n",
                i % 50,
                i % 100,
                i % 89,
                i,
                1_600_000_000_000 + i * 10
            )
        })
        .collect();
    let options = "--url {} --db gen --precision ms --concurrency 2 {}";
    replay_generated("victoria-metrics", &dir, &text, options, &server.url);
    let want = vm_expected(&text, 1_000_000);
    assert_eq!(want.len(), 240_000);
    // The last writes become searchable after a flush; retry briefly.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut got = vm_samples(&server.url, "{__name__=~\"vmgen_.*\"}");
    while got.len() < want.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        got = vm_samples(&server.url, "{__name__=~\"vmgen_.*\"}");
    }
    assert_eq!(got.len(), want.len());
    assert!(got == want, "samples differ");
}
