//! `lpconvert replay --schema`: CSV/NDJSON converted while it is sent. Against a real
//! InfluxDB 1.x (every point read back) and the fault-injecting server (rejected rows, a
//! conversion that stops, checkpoint and resume of the converted stream).

use crate::support::{
    argv, assert_exit, assert_stderr_has, influx_query, replay, report, root, start_influxdb_with,
    stderr, FaultServer, Reply, Seen, TempDir,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One point as InfluxDB returns it: (room, time in ns) -> (temp, hum, co).
type HomePoints = BTreeMap<(String, i64), (f64, f64, i64)>;

/// The home data straight from testdata/home.csv, read by the test itself.
fn home_csv_points() -> HomePoints {
    let text =
        std::fs::read_to_string(root().join("testdata/home.csv")).expect("testdata/home.csv");
    let mut out = HomePoints::new();
    for row in text.lines().skip(1) {
        let c: Vec<&str> = row.split(',').collect();
        assert_eq!(c.len(), 5, "{row}");
        let t: i64 = c[0].parse().unwrap();
        out.insert(
            (c[1].to_owned(), t * 1_000_000_000),
            (
                c[2].parse().unwrap(),
                c[3].parse().unwrap(),
                c[4].parse().unwrap(),
            ),
        );
    }
    out
}

/// The same data as NDJSON, one object per row.
fn home_ndjson() -> String {
    let text =
        std::fs::read_to_string(root().join("testdata/home.csv")).expect("testdata/home.csv");
    text.lines()
        .skip(1)
        .map(|row| {
            let c: Vec<&str> = row.split(',').collect();
            format!(
                "{{\"time\":{},\"room\":\"{}\",\"temp\":{},\"hum\":{},\"co\":{}}}\n",
                c[0], c[1], c[2], c[3], c[4]
            )
        })
        .collect()
}

fn influx_home_points(url: &str, db: &str) -> HomePoints {
    let r = influx_query(url, db, "SELECT time, room, temp, hum, co FROM home");
    let series = &r["results"][0]["series"][0];
    let columns: Vec<&str> = series["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(columns, ["time", "room", "temp", "hum", "co"]);
    series["values"]
        .as_array()
        .expect("values")
        .iter()
        .map(|v| {
            (
                (v[1].as_str().unwrap().to_owned(), v[0].as_i64().unwrap()),
                (
                    v[2].as_f64().unwrap(),
                    v[3].as_f64().unwrap(),
                    v[4].as_i64().unwrap(),
                ),
            )
        })
        .collect()
}

#[test]
fn influxdb_1x_stores_the_home_csv_and_ndjson_converted_on_the_fly() {
    let server = start_influxdb_with(&["home", "homejson"]);
    let want = home_csv_points();
    assert_eq!(want.len(), 26);
    // Replays `input` converted with `schemas/SCHEMA` into database `db`, with `options`.
    let replay_converted = |db: &str, schema: &str, options: &[&str], input: &Path| {
        let schema = root().join("schemas").join(schema);
        let mut args = argv(
            "--url {} --db {} --schema {}",
            &[&server.url, db, schema.to_str().unwrap()],
        );
        args.extend_from_slice(options);
        args.push(input.to_str().unwrap());
        replay(&args)
    };

    // No --precision: the schema's (s) is the one sent; with the default ns InfluxDB would
    // store every point in January 1970.
    let csv = root().join("testdata/home.csv");
    let out = replay_converted("home", "home.toml", &[], &csv);
    assert_exit(&out, 0);
    assert_stderr_has(
        &out,
        "converted 26 rows: 26 lines, 0 skipped (no fields), 0 rejected",
    );
    assert_eq!(influx_home_points(&server.url, "home"), want);

    let dir = TempDir::new("schema-influx");
    let ndjson = dir.join("home.ndjson");
    std::fs::write(&ndjson, home_ndjson()).unwrap();
    let options = ["--batch-lines", "5"];
    let out = replay_converted("homejson", "home-ndjson.toml", &options, &ndjson);
    assert_exit(&out, 0);
    assert_eq!(influx_home_points(&server.url, "homejson"), want);
}

const SCHEMA: &str = r#"
measurement = "m"
precision = "s"
[timestamp]
column = "t"
format = "unix_s"
[tags]
host = "host"
[fields]
v = "integer"
x = "float"
"#;

/// A fresh directory `name` holding `data.csv`, the rows of `csv_rows(n, bad)`, and `s.toml`,
/// SCHEMA: (directory, data path, schema path, the line protocol of the good rows).
fn converted_input(
    name: &str,
    n: usize,
    bad: &[usize],
) -> (TempDir, PathBuf, PathBuf, Vec<String>) {
    let dir = TempDir::new(name);
    let (csv, want) = csv_rows(n, bad);
    let data = dir.join("data.csv");
    std::fs::write(&data, csv).unwrap();
    let schema = dir.join("s.toml");
    std::fs::write(&schema, SCHEMA).unwrap();
    (dir, data, schema, want)
}

/// `n` rows; every row whose index is in `bad` has `v` = "oops". Returns the CSV and the
/// line protocol of the good rows, in order.
fn csv_rows(n: usize, bad: &[usize]) -> (String, Vec<String>) {
    let mut csv = String::from("t,host,v,x\n");
    let mut lines = Vec::new();
    for i in 0..n {
        let t = 1_600_000_000 + i;
        let host = format!("h{}", i % 7);
        if bad.contains(&i) {
            csv.push_str(&format!("{t},{host},oops,{i}.5\n"));
        } else {
            csv.push_str(&format!("{t},{host},{i},{i}.5\n"));
            lines.push(format!("m,host={host} v={i}i,x={i}.5 {t}"));
        }
    }
    (csv, lines)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn rejected_rows_are_counted_reported_and_kept_and_every_converted_line_is_stored() {
    let (dir, data, schema, want) = converted_input("schema-skip", 1000, &[3, 500, 999]);
    let rejects = dir.join("bad.csv");
    let rep = dir.join("report.json");
    let server = FaultServer::accept_all();
    let out = replay(&argv(
        "--url {} --db d --batch-lines 100 --schema {} --on-error skip --convert-rejects {} \
         --threads 2 --report {} {}",
        &[
            &server.url,
            schema.to_str().unwrap(),
            rejects.to_str().unwrap(),
            rep.to_str().unwrap(),
            data.to_str().unwrap(),
        ],
    ));
    // 3: finished, but rows were rejected.
    assert_exit(&out, 3);
    let err = stderr(&out);
    let name = data.display().to_string();
    assert_stderr_has(
        &out,
        "converted 1000 rows: 997 lines, 0 skipped (no fields), 3 rejected",
    );
    // Row i is on line i + 2 (the header is line 1); v is column 3.
    for line in [5, 502, 1001] {
        assert!(
            err.contains(&format!("rejected {name}:{line}:3: ")),
            "{err}"
        );
    }
    // The precision of the schema was sent.
    let seen = server.seen();
    assert!(seen.iter().all(|s| s.target == "/write?db=d&precision=s"));
    // Lines sent = rows converted, each once.
    let stored = server.stored();
    assert_eq!(stored.len(), 997);
    assert_eq!(sorted(stored), sorted(want));
    // The rejected rows verbatim, header first, and their reasons.
    assert_eq!(
        std::fs::read_to_string(&rejects).unwrap(),
        format!(
            "t,host,v,x\n{},h3,oops,3.5\n{},h3,oops,500.5\n{},h5,oops,999.5\n",
            1_600_000_003, 1_600_000_500, 1_600_000_999
        )
    );
    let reasons = std::fs::read_to_string(dir.join("bad.csv.errors")).unwrap();
    let reasons: Vec<&str> = reasons.lines().collect();
    assert_eq!(reasons.len(), 3);
    assert!(
        reasons[0].starts_with(&format!("{name}:5:3: ")),
        "{reasons:?}"
    );
    let r = report(&rep);
    assert_eq!(r["lines_acknowledged"], 997);
    assert_eq!(r["conversion"]["rows_read"], 1000);
    assert_eq!(r["conversion"]["lines_written"], 997);
    assert_eq!(r["conversion"]["rows_rejected"], 3);
}

#[test]
fn lines_refused_by_the_server_are_named_by_their_line_in_the_converted_stream() {
    let (dir, data, schema, want) = converted_input("schema-refused", 10, &[]);
    let refused = want[4].clone();
    let server = {
        let refused = refused.clone();
        FaultServer::start(move |s: &Seen| {
            if s.lines().contains(&refused) {
                let stored: Vec<String> = s.lines().into_iter().filter(|l| *l != refused).collect();
                Reply::Status {
                    status: 400,
                    headers: vec![],
                    body: r#"{"error":"partial write: field type conflict dropped=1"}"#.into(),
                    delay: std::time::Duration::ZERO,
                    stored: Some(stored),
                }
            } else {
                Reply::status(204)
            }
        })
    };
    let rejects = dir.join("refused.lp");
    let out = replay(&argv(
        "--url {} --db d --schema {} --rejects {} {}",
        &[
            &server.url,
            schema.to_str().unwrap(),
            rejects.to_str().unwrap(),
            data.to_str().unwrap(),
        ],
    ));
    assert_exit(&out, 3);
    let text = std::fs::read_to_string(&rejects).unwrap();
    assert!(
        text.contains(&format!("{} as line protocol", data.display())),
        "{text}"
    );
    // The refusal names no line: the batch is sent again in halves down to the refused line
    // (InfluxDB 1.x stores the same point once), which the rejects file then holds alone.
    let stored: std::collections::BTreeSet<String> = server.stored().into_iter().collect();
    assert_eq!(stored.len(), 9);
    assert!(!stored.contains(&refused));
    assert!(text.contains(&format!("\n{refused}\n")), "{text}");
    assert!(!text.contains(" of these "), "{text}");
}

#[test]
fn a_conversion_that_stops_sends_what_came_before_and_exits_1_naming_the_row() {
    let (dir, data, schema, want) = converted_input("schema-fail", 5000, &[3210]);
    let ckpt = dir.join("ckpt.json");
    let server = FaultServer::accept_all();
    let args = argv(
        "--url {} --precision s --db d --batch-lines 1000 --concurrency 1 --schema {} --checkpoint {} {}",
        &[
            &server.url,
            schema.to_str().unwrap(),
            ckpt.to_str().unwrap(),
            data.to_str().unwrap(),
        ],
    );
    let out = replay(&args);
    assert_exit(&out, 1);
    let err = stderr(&out);
    // Row 3210 is on line 3212, column 3.
    assert!(
        err.contains(&format!("{}:3212:3: ", data.display())),
        "{err}"
    );
    assert_stderr_has(&out, "the 3210 lines converted before it were sent");
    // Everything before the bad row, nothing after it.
    assert_eq!(sorted(server.stored()), sorted(want[..3210].to_vec()));
    // The checkpoint does not call the input done: a rerun stops at the same row again
    // (after skipping what was acknowledged) instead of reporting success.
    let ck = std::fs::read_to_string(&ckpt).unwrap();
    assert!(ck.contains("\"complete\": false"), "{ck}");
    let out = replay(&args);
    assert_exit(&out, 1);
    assert_stderr_has(&out, "resumed at byte");
    assert_eq!(server.stored().len(), 3210, "nothing sent twice");

    // Without a checkpoint, and with --quiet, the error is still on stderr.
    let out = replay(&argv(
        "--url {} --precision s --db d --quiet --schema {} {}",
        &[
            &server.url,
            schema.to_str().unwrap(),
            data.to_str().unwrap(),
        ],
    ));
    assert_eq!(out.status.code(), Some(1));
    assert_stderr_has(&out, ":3212:3: ");
}

#[test]
fn a_stopped_replay_resumes_in_the_converted_stream_and_the_schema_is_part_of_the_identity() {
    // About 7 MB of line protocol: more than one block of the converted stream.
    let (dir, data, schema, want) = converted_input("schema-resume", 160_000, &[]);
    let ckpt = dir.join("ckpt.json");
    // The first run is refused with 401 (a fatal status) after 25 batches.
    let first = FaultServer::start(|s: &Seen| {
        if s.n < 25 {
            Reply::status(204)
        } else {
            Reply::with_body(401, r#"{"error":"authorization failed"}"#)
        }
    });
    let run = |url: &str, schema: &Path| {
        replay(&argv(
            "--url {} --db d --batch-lines 5000 --concurrency 1 --schema {} --checkpoint {} {}",
            &[
                url,
                schema.to_str().unwrap(),
                ckpt.to_str().unwrap(),
                data.to_str().unwrap(),
            ],
        ))
    };
    let out = run(&first.url, &schema);
    assert_exit(&out, 1);
    // One connection, answered in order: the first lines of the stream, 25 batches of at
    // most 5000 lines (a batch does not span two blocks of the stream).
    let stored_first = first.stored();
    let acked = stored_first.len();
    assert!((100_000..=125_000).contains(&acked), "{acked}");
    assert_eq!(stored_first, want[..acked].to_vec());

    // Another schema (same mapping, other text): refused, the offsets would not apply.
    let other = dir.join("other.toml");
    std::fs::write(&other, format!("{SCHEMA}\n# edited\n")).unwrap();
    let second = FaultServer::accept_all();
    let out = run(&second.url, &other);
    assert_exit(&out, 2);
    assert_stderr_has(&out, "was written for other input");
    let out = run(&second.url, &schema);
    assert_exit(&out, 0);
    assert_stderr_has(&out, "resumed at line");
    // The rerun starts exactly after the acknowledged lines: nothing lost, nothing twice.
    let stored_second = second.stored();
    assert_eq!(stored_second, want[acked..].to_vec());
    let all: BTreeSet<String> = stored_first.into_iter().chain(stored_second).collect();
    assert_eq!(all.len(), want.len());
}

#[test]
fn checkpoint_with_a_converted_stdin_is_refused() {
    let dir = TempDir::new("schema-stdin");
    let schema = dir.join("s.toml");
    std::fs::write(&schema, SCHEMA).unwrap();
    let out = replay(&argv(
        "--url http://127.0.0.1:9 --db d --schema {} --checkpoint {} -",
        &[
            schema.to_str().unwrap(),
            dir.join("c.json").to_str().unwrap(),
        ],
    ));
    assert_eq!(out.status.code(), Some(2));
    assert_stderr_has(&out, "--checkpoint needs file inputs");
}
