//! `lpconvert check` against its contract (CLI.md, issue 7): check accepts everything convert
//! writes (property test through the engine; its regressions are in
//! `tests/proptest-regressions/check.txt`, where proptest looks for them), and check's
//! messages, summary and exit codes through the binary.

use crate::support::{argv, assert_exit, assert_stderr_has, gzip, lpconvert, scratch_file, text};
use lpconvert_engine::{convert_input, Input, InputData, Reject, Sink, Tuning};
use lpconvert_lp::target::{check_line, Rules, Target, Verdict};
use proptest::prelude::*;

/// Writes `data` to a scratch file `name`; returns its path as a string.
fn lp_file(name: &str, data: impl AsRef<[u8]>) -> String {
    let path = scratch_file(name);
    std::fs::write(&path, data).expect("write");
    path.to_string_lossy().into_owned()
}

#[test]
fn check_valid_file_exits_0() {
    let lp = lp_file("ok.lp", "# a comment\nm,t=a f=1 1\n\nm f=2i,s=\"x\" 2\n");
    let out = lpconvert(&["check", &lp]);
    assert_exit(&out, 0);
    assert!(out.stdout.is_empty());
    assert_stderr_has(
        &out,
        "4 lines: 2 valid points, 0 invalid, 2 blank or comment",
    );
}

#[test]
fn check_bad_lines_exit_3_with_file_and_line() {
    let name = lp_file("bad.lp", "m f=1\nm f=abc\nm,t= f=1\nm f=1\r\nm f=1u\n");
    let out = lpconvert(&["check", &name]);
    assert_eq!(out.status.code(), Some(3));
    let o = text(&out.stdout);
    let lines: Vec<&str> = o.lines().collect();
    assert_eq!(lines.len(), 3, "{o}");
    assert!(
        lines[0].starts_with(&format!("{name}:2: column 5: invalid field value `abc`")),
        "{o}"
    );
    assert!(
        lines[1].starts_with(&format!("{name}:3: column 5: tag `t` has an empty value")),
        "{o}"
    );
    assert!(
        lines[2].starts_with(&format!("{name}:4: ")) && lines[2].contains("LF"),
        "{o}"
    );
    assert!(text(&out.stderr).contains("5 lines: 2 valid points, 3 invalid"));
    // The same file for InfluxDB 1.x: the unsigned value is refused too.
    let out = lpconvert(&["check", "--target", "influxdb1", &name]);
    assert_eq!(out.status.code(), Some(3));
    let o = text(&out.stdout);
    assert!(
        o.contains(&format!(
            "{name}:5: column 5: unsigned value `1u` is refused by InfluxDB 1.x"
        )),
        "{o}"
    );
}

#[test]
fn check_prints_the_first_100_and_counts_all() {
    let body: String = (0..250).map(|i| format!("m f=x{i}\nm f={i}\n")).collect();
    let lp = lp_file("many.lp", body);
    // Every bad line is printed (CLI.md)...
    let out = lpconvert(&argv("check --threads 2 --chunk-size 1K {}", &[&lp]));
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(text(&out.stdout).lines().count(), 250);
    assert!(!text(&out.stderr).contains("more bad lines"));
    // ... unless --max-errors caps them.
    let out = lpconvert(&argv(
        "check --threads 2 --chunk-size 1K --max-errors 100 {}",
        &[&lp],
    ));
    assert_eq!(out.status.code(), Some(3));
    let o = text(&out.stdout);
    assert_eq!(o.lines().count(), 100);
    // In input order, whatever the chunking.
    let nums: Vec<u64> = o
        .lines()
        .map(|l| {
            l.split(':')
                .nth(1)
                .and_then(|n| n.parse().ok())
                .expect("line number")
        })
        .collect();
    assert_eq!(nums, (0..100).map(|i| 2 * i + 1).collect::<Vec<u64>>());
    assert_stderr_has(&out, "150 more bad lines");
    assert_stderr_has(&out, "500 lines: 250 valid points, 250 invalid");
}

#[test]
fn check_targets_and_io_errors() {
    let p = lp_file("t.lp", "_m,time=a f=1\n");
    let status = |args: &[&str]| lpconvert(args).status.code();
    assert_eq!(status(&["check", &p]), Some(0));
    assert_eq!(status(&["check", "--target", "influxdb3", &p]), Some(0));
    let o = lpconvert(&["check", "--target", "influxdb2", &p]);
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o.stdout).contains("reserves"));
    let o = lpconvert(&["check", "--target", "influxdb1", &p]);
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o.stdout).contains("`time`"));
    assert_eq!(status(&["check", "--target", "influxdb9", &p]), Some(2));
    let o = lpconvert(&["check", "/nonexistent/x.lp", &p]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("/nonexistent/x.lp"));
    // A raw newline inside a string: InfluxDB reads one point, VictoriaMetrics refuses it.
    std::fs::write(&p, "m s=\"a\nb\" 1\nm f=1\n").expect("write");
    assert_eq!(status(&["check", "--target", "influxdb2", &p]), Some(0));
    let o = lpconvert(&["check", "--target", "victoriametrics", &p]);
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o.stdout).contains(&format!("{p}:1: ")));
    // gzip and stdin.
    let gz = lp_file("x.lp.gz", gzip(b"m f=1\nm f=\n"));
    let o = lpconvert(&["check", &gz]);
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o.stdout).contains(":2: "));
}

#[derive(Default)]
struct VecSink {
    lines: Vec<u8>,
    rejected: usize,
}

impl Sink for VecSink {
    fn write_lines(&mut self, lines: &[u8]) -> std::io::Result<lpconvert_engine::Flow> {
        self.lines.extend_from_slice(lines);
        Ok(lpconvert_engine::Flow::Continue)
    }
    fn reject(&mut self, _: &Reject<'_>, _: Option<&[u8]>) -> std::io::Result<()> {
        self.rejected += 1;
        Ok(())
    }
}

const NAME_TOKENS: &[&str] = &[
    "a", "Z", "7", " ", ",", "=", "\"", "'", "é", "日本", "\\x", "-", "_", ".", "#", "\\",
];
const STRING_TOKENS: &[&str] = &[
    "a", " ", ",", "=", "\"", "\\", "\\\\", "é", "\t", "\n", "\\\"",
];

fn tokens(set: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(set), 0..=max).prop_map(|v| v.concat())
}

fn csv_cell(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn check_accepts_everything_convert_writes(
        rows in prop::collection::vec(
            (
                tokens(NAME_TOKENS, 5),
                tokens(NAME_TOKENS, 4),
                tokens(NAME_TOKENS, 4),
                prop::option::of(any::<f64>().prop_filter("finite", |f| f.is_finite())),
                prop::option::of(any::<i64>()),
                prop::option::of(any::<u64>()),
                tokens(STRING_TOKENS, 6),
                -9_000_000_000_000_000_000i64..9_000_000_000_000_000_000,
            ),
            1..40,
        ),
        sort_tags in any::<bool>(),
    ) {
        let schema = format!(
            "measurement = {{ column = \"m\" }}\non_error = \"skip\"\nsort_tags = {sort_tags}\n\
             string_newlines = \"escape\"\n\
             [timestamp]\ncolumn = \"ts\"\nformat = \"unix_ns\"\n\
             [tags]\n\"z key\" = \"t1\"\n\"a,=k\" = \"t2\"\n\
             [fields]\n\"f f\" = {{ column = \"f\", type = \"float\" }}\ni = \"integer\"\n\
             u = \"unsigned\"\ns = \"string\"\n"
        );
        let schema = lpconvert_schema::Schema::from_toml(&schema).expect("schema");
        let mut csv = String::from("m,t1,t2,f,i,u,s,ts\n");
        for (m, t1, t2, f, i, u, s, ts) in &rows {
            let opt = |v: Option<String>| v.unwrap_or_default();
            csv.push_str(&[
                csv_cell(m),
                csv_cell(t1),
                csv_cell(t2),
                opt(f.map(|f| format!("{f:e}"))),
                opt(i.map(|i| i.to_string())),
                opt(u.map(|u| u.to_string())),
                csv_cell(s),
                ts.to_string(),
            ].join(","));
            csv.push('\n');
        }
        let input = Input {
            data: InputData::Stream(Box::new(std::io::Cursor::new(csv.into_bytes()))),
            name: "gen.csv".into(),
            size: None,
        };
        let mut sink = VecSink::default();
        let tuning = Tuning {
            threads: 2,
            chunk_size: 512,
            max_record: lpconvert_engine::DEFAULT_MAX_RECORD,
        };
        let counters = convert_input(input, &schema, tuning, &mut sink).expect("convert");
        prop_assert_eq!(counters.rows, rows.len() as u64);
        let mut points = 0;
        for line in sink.lines.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            for t in [None, Some(Target::Influxdb3), Some(Target::Influxdb2), Some(Target::VictoriaMetrics)] {
                let v = check_line(line, &Rules::now(t));
                // Names starting with `_` are InfluxDB 2.x's: the data may have them. And
                // convert writes a backslash run in a name as it is (SCHEMA.md: backslashes
                // are not escaped), which the servers read differently: `--target` says so.
                // VictoriaMetrics stores strings as numbers, keeps about 12 digits of a
                // float and drops times before 1970: what it cannot store is its own.
                let reserved = t.is_some()
                    && v.as_ref().is_err_and(|p| {
                        (t == Some(Target::Influxdb2) && p.message.contains("reserves"))
                            || p.message.contains("backslash before a backslash")
                            || (t == Some(Target::VictoriaMetrics)
                                && p.message.contains("VictoriaMetrics"))
                    });
                prop_assert!(
                    v == Ok(Verdict::Point) || reserved,
                    "{:?} on {:?}: {:?}", String::from_utf8_lossy(line), t, v
                );
            }
            points += 1;
        }
        prop_assert_eq!(points as u64, counters.written);
    }
}

/// `--now` fixes VictoriaMetrics' time-dependent rules: 0 is the time of writing, more
/// than 2 days ahead is dropped.
#[test]
fn check_now_for_victoriametrics() {
    let lp = lp_file(
        "now.lp",
        "m f=1 1700000000000000000\nm f=1 1700300000000000000\nm f=1 0\n",
    );
    let at = |now: &str| {
        let out = lpconvert(&["check", "--target", "victoriametrics", "--now", now, &lp]);
        text(&out.stdout)
    };
    let o = at("2023-11-14T22:13:20Z");
    assert!(!o.contains(":1:"), "{o}");
    assert!(
        o.contains(":2:") && o.contains("more than 2 days ahead"),
        "{o}"
    );
    assert!(o.contains(":3:") && o.contains("time of writing"), "{o}");
    // The same instant in nanoseconds; four days later the second line is fine.
    assert_eq!(at("1700000000000000000"), o);
    assert!(!at("2023-11-18T00:00:00Z").contains(":2:"));
    let out = lpconvert(&["check", "--now", "yesterday", &lp]);
    assert_exit(&out, 2);
}

/// `convert --target victoriametrics` refuses a string field when the schema is loaded.
#[test]
fn convert_target_refuses_what_the_server_cannot_store() {
    let schema = lp_file(
        "s.toml",
        "[measurement]\nvalue = \"m\"\n[fields]\ns = { column = \"s\", type = \"string\" }\n",
    );
    let csv = lp_file("s.csv", "s\nx\n");
    let out = lpconvert(&[
        "convert",
        "--schema",
        &schema,
        "--target",
        "victoriametrics",
        &csv,
    ]);
    assert_exit(&out, 2);
    assert_stderr_has(&out, "VictoriaMetrics stores numbers only");
    let out = lpconvert(&[
        "convert",
        "--schema",
        &schema,
        "--target",
        "influxdb1",
        &csv,
    ]);
    assert_exit(&out, 0);
}

/// An annotated CSV table's fields are its schema's: `convert --target` refuses a string
/// table for VictoriaMetrics and an unsigned one for InfluxDB 1.x when the table's
/// annotations are read, as it refuses a schema file's, instead of rejecting row by row.
#[test]
fn convert_target_refuses_annotated_tables_the_server_cannot_store() {
    let table = |datatype: &str| {
        format!(
            "#datatype,string,long,dateTime:RFC3339,{datatype},string,string\n\
             ,result,table,_time,_value,_field,_measurement\n\
             ,,0,2020-02-25T22:17:57Z,12,f,env\n"
        )
    };
    let strings = lp_file("ann_s.csv", table("string"));
    let unsigned = lp_file("ann_u.csv", table("unsignedLong"));
    let run = |target: &str, csv: &str| {
        lpconvert(&[
            "convert",
            "--format",
            "annotated-csv",
            "--target",
            target,
            "--on-error",
            "skip",
            csv,
        ])
    };
    let out = run("victoriametrics", &strings);
    assert_exit(&out, 2);
    assert_stderr_has(&out, "ann_s.csv:2:");
    assert_stderr_has(&out, "VictoriaMetrics stores numbers only");
    let out = run("influxdb1", &unsigned);
    assert_exit(&out, 2);
    assert_stderr_has(&out, "InfluxDB 1.x OSS refuses unsigned");
    // What the other server stores is converted.
    assert_exit(&run("influxdb1", &strings), 0);
    assert_exit(&run("victoriametrics", &unsigned), 0);
}

/// `convert --schema SCHEMA --target victoriametrics --on-error skip MORE.. CSV`.
fn convert_for_victoriametrics(schema: &str, csv: &str, more: &[&str]) -> std::process::Output {
    let mut args = vec![
        "convert",
        "--schema",
        schema,
        "--target",
        "victoriametrics",
        "--on-error",
        "skip",
    ];
    args.extend_from_slice(more);
    args.push(csv);
    lpconvert(&args)
}

/// `convert --target victoriametrics` rejects at row level what the server would drop or
/// store differently (a timestamp before 1970, 0, more than 2 days ahead), each row named by
/// file:line:column (the timestamp's column) and written to --rejects; `check --target`
/// flags exactly the lines of those rows in the conversion without a target.
#[test]
fn convert_target_rejects_rows_the_server_would_drop_and_check_agrees() {
    let schema = lp_file(
        "t.toml",
        "[measurement]\nvalue = \"m\"\n[timestamp]\ncolumn = \"ts\"\nformat = \"unix_ns\"\n\
         [tags]\nhost = \"host\"\n[fields]\nv = { column = \"v\", type = \"float\" }\n",
    );
    let ahead = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() + 3 * 86_400 * 1_000_000_000)
        .unwrap_or(0);
    let csv = lp_file(
        "t.csv",
        format!(
            "host,v,ts\na,1.5,1700000000000000000\nb,2,-5000000000\nc,3,0\nd,4,{ahead}\ne,5,1700000000000000001\n"
        ),
    );
    let rejects = scratch_file("t.rejects.csv");
    let rejects = rejects.to_string_lossy().into_owned();
    let out = convert_for_victoriametrics(&schema, &csv, &["--rejects", &rejects]);
    assert_exit(&out, 3);
    let lines = text(&out.stdout);
    assert_eq!(
        lines,
        "m,host=a v=1.5 1700000000000000000\nm,host=e v=5 1700000000000000001\n"
    );
    let err = std::fs::read_to_string(format!("{rejects}.errors")).unwrap_or_default();
    for (line, why) in [
        (3, "before 1970"),
        (4, "time of writing"),
        (5, "2 days ahead"),
    ] {
        assert!(
            err.contains(&format!("t.csv:{line}:3:")) && err.contains(why),
            "row {line} named at the timestamp's column, {why}: {err}"
        );
    }
    assert!(
        text(&out.stderr).contains("3 rejected"),
        "{}",
        text(&out.stderr)
    );
    let kept = std::fs::read_to_string(&rejects).unwrap_or_default();
    assert_eq!(kept.lines().count(), 4, "header and the three rows: {kept}");
    // The same rows through check --target: the lines of rows 3-5 are flagged, the others
    // pass.
    let plain = lpconvert(&["convert", "--schema", &schema, &csv]);
    assert_exit(&plain, 0);
    let lp = lp_file("t.lp", &plain.stdout);
    let check = lpconvert(&["check", "--target", "victoriametrics", &lp]);
    assert_exit(&check, 3);
    let flagged: Vec<&str> = std::str::from_utf8(&check.stdout)
        .unwrap_or("")
        .lines()
        .filter_map(|l| l.split(".lp:").nth(1)?.split(':').next())
        .collect();
    assert_eq!(flagged, ["2", "3", "4"], "{}", text(&check.stdout));
}

/// With `precision = "s"` the server reads the timestamps in seconds: `convert --target
/// victoriametrics` judges them so (three days ahead is dropped, one hour ago is kept).
#[test]
fn convert_target_reads_timestamps_in_the_schema_precision() {
    let schema = lp_file(
        "ts.toml",
        "precision = \"s\"\n[measurement]\nvalue = \"m\"\n[timestamp]\ncolumn = \"ts\"\n\
         format = \"unix_s\"\n[fields]\nv = { column = \"v\", type = \"float\" }\n",
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let csv = lp_file(
        "ts.csv",
        format!("v,ts\n1,{}\n2,{}\n", now - 3600, now + 3 * 86_400),
    );
    let out = convert_for_victoriametrics(&schema, &csv, &[]);
    assert_exit(&out, 3);
    assert_eq!(text(&out.stdout), format!("m v=1 {}\n", now - 3600));
    let err = text(&out.stderr);
    assert!(
        err.contains("ts.csv:3:2:") && err.contains("2 days ahead"),
        "{err}"
    );
}

/// A line-protocol `.gz` cut short within the first 64 KiB: the lines read whole before its
/// read error are checked (a bad one among them is named), as after 64 KiB, then the error,
/// and the next input is checked; the error in that first read failed the whole input, its
/// lines unchecked.
#[test]
fn check_reads_the_lines_of_a_short_truncated_gz_before_its_error() {
    let mut lines = String::new();
    for i in 0..400u64 {
        match i {
            4 => lines.push_str("m f=\n"),
            _ => lines.push_str(&format!("m,h=h{} f={}i {}\n", i * 7919 % 1009, i * i, i)),
        }
    }
    let gz = gzip(lines.as_bytes());
    let cut = lp_file("cut.lp.gz", &gz[..gz.len() / 2]);
    let good = lp_file("good.lp", "m f=1\nm f=2\n");
    let o = lpconvert(&["check", &cut, &good]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains(&format!("{cut}: ")),
        "{}",
        text(&o.stderr)
    );
    assert!(
        text(&o.stdout).contains(&format!("{cut}:5: ")),
        "{}",
        text(&o.stdout)
    );
    // The good file's 2 lines, and more than 100 of the cut one's.
    let summary = text(&o.stderr);
    let n: u64 = summary
        .lines()
        .find_map(|l| l.split(" lines: ").next()?.parse().ok())
        .unwrap_or(0);
    assert!(n > 100, "{summary}");
}
