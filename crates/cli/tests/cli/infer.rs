//! `lpconvert infer` against its contract (CLI.md, issue 7): infer then convert gives no
//! rejected row caused by the schema, for every CSV/TSV/NDJSON file in testdata/ (rows whose
//! shape is broken, a cell count or an unterminated quote, are rejected whatever the schema)
//! and for generated cpu/home data in CSV and NDJSON; infer's options and errors.

use crate::support::{argv, lpconvert, root, scratch_file, text};
use std::path::{Path, PathBuf};

/// Infers a schema for `input`, converts `input` with it, and returns the reasons of the
/// rejected rows (from `--rejects`).
fn infer_then_convert(input: &Path) -> Vec<String> {
    let out = lpconvert(&["infer", &input.to_string_lossy()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "infer {}: {}",
        input.display(),
        text(&out.stderr)
    );
    let schema = scratch_file("s.toml");
    std::fs::write(&schema, &out.stdout).expect("write schema");
    lpconvert_schema::Schema::from_toml(&text(&out.stdout))
        .unwrap_or_else(|e| panic!("{}: {e}\n{}", input.display(), text(&out.stdout)));
    let rejects = scratch_file("rejects");
    let conv = lpconvert(&argv(
        "--schema {} --on-error skip --rejects {} -q -o {} {}",
        &[
            &schema.to_string_lossy(),
            &rejects.to_string_lossy(),
            &scratch_file("out.lp").to_string_lossy(),
            &input.to_string_lossy(),
        ],
    ));
    assert!(
        matches!(conv.status.code(), Some(0 | 3)),
        "convert {} with\n{}\n{}",
        input.display(),
        text(&out.stdout),
        text(&conv.stderr)
    );
    let mut errors = rejects.into_os_string();
    errors.push(".errors");
    std::fs::read_to_string(&errors)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Rows rejected whatever the schema: a broken CSV shape, a record that is not a JSON
/// object, or an object that repeats a key the schema must read.
fn structural(reason: &str) -> bool {
    reason.contains("cells but the header has")
        || reason.contains("unterminated quoted field")
        || reason.contains("invalid JSON")
        || reason.contains("the object has this key twice")
}

#[test]
fn infer_then_convert_each_testdata_file() {
    let mut seen = 0;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(root().join("testdata"))
        .expect("testdata")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.to_string_lossy();
        let data_file = [".csv", ".tsv", ".csv.gz", ".ndjson", ".jsonl", ".json"]
            .iter()
            .any(|e| name.ends_with(e));
        if !data_file {
            continue;
        }
        seen += 1;
        let reasons = infer_then_convert(&p);
        let bad: Vec<&String> = reasons.iter().filter(|r| !structural(r)).collect();
        assert!(
            bad.is_empty(),
            "{}: rows rejected because of the drafted schema: {bad:#?}\n{}",
            p.display(),
            text(&lpconvert(&["infer", &name]).stdout)
        );
    }
    assert!(seen >= 30, "only {seen} testdata files");
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// `xx.yy` with trailing zeros dropped, as the bench generator prints.
    fn pct(&mut self) -> String {
        let v = self.below(10_000);
        let s = format!("{}.{:02}", v / 100, v % 100);
        let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
        if s.is_empty() {
            "0".into()
        } else {
            s
        }
    }
}

const REGIONS: [&str; 4] = ["eu-west-1", "us-east-1", "sa-east-1", "ap-south-1"];
const ROOMS: [&str; 4] = ["Living Room", "Kitchen", "Office", "Kids Room"];

fn cpu_rows(n: usize) -> Vec<Vec<(String, String, bool)>> {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let mut rows = Vec::new();
    for i in 0..n {
        let host = i % 50;
        let secs = 1_451_606_400 + (i / 50) * 10;
        let (d, rem) = (secs / 86_400, secs % 86_400);
        // 2016-01-01 is day 16801; the sample spans less than a day past it.
        let time = format!(
            "2016-01-{:02}T{:02}:{:02}:{:02}Z",
            1 + (d - 16_801),
            rem / 3600,
            rem / 60 % 60,
            rem % 60
        );
        let mut row = vec![
            ("time".to_string(), time, true),
            ("hostname".into(), format!("host_{host}"), true),
            ("region".into(), REGIONS[host % 4].into(), true),
            ("rack".into(), (host % 100).to_string(), true),
            ("service_version".into(), (host % 2).to_string(), true),
        ];
        for f in ["usage_user", "usage_system", "usage_idle", "usage_iowait"] {
            row.push((f.into(), r.pct(), false));
        }
        rows.push(row);
    }
    rows
}

fn home_rows(n: usize) -> Vec<Vec<(String, String, bool)>> {
    let mut r = Rng(42);
    (0..n)
        .map(|i| {
            vec![
                (
                    "time".into(),
                    (1_641_024_000 + 3600 * (i / 4)).to_string(),
                    false,
                ),
                ("room".into(), ROOMS[i % 4].into(), true),
                (
                    "temp".into(),
                    format!("{}.{}", 18 + r.below(6), r.below(10)),
                    false,
                ),
                (
                    "hum".into(),
                    format!("{}.{}", 33 + r.below(6), r.below(10)),
                    false,
                ),
                ("co".into(), r.below(30).to_string(), false),
            ]
        })
        .collect()
}

fn write_csv(rows: &[Vec<(String, String, bool)>], path: &Path) {
    let mut s = String::new();
    let header: Vec<&str> = rows[0].iter().map(|c| c.0.as_str()).collect();
    s.push_str(&header.join(","));
    s.push('\n');
    for r in rows {
        let cells: Vec<&str> = r.iter().map(|c| c.1.as_str()).collect();
        s.push_str(&cells.join(","));
        s.push('\n');
    }
    std::fs::write(path, s).expect("write csv");
}

fn write_ndjson(rows: &[Vec<(String, String, bool)>], path: &Path, nested: bool) {
    let mut s = String::new();
    for r in rows {
        let mut obj = serde_json::Map::new();
        let mut meta = serde_json::Map::new();
        for (k, v, quoted) in r {
            let value = if *quoted {
                serde_json::Value::String(v.clone())
            } else {
                serde_json::from_str(v).expect("number")
            };
            if nested && *quoted && k != "time" {
                meta.insert(k.clone(), value);
            } else {
                obj.insert(k.clone(), value);
            }
        }
        if nested {
            obj.insert("meta".into(), serde_json::Value::Object(meta));
        }
        s.push_str(&serde_json::Value::Object(obj).to_string());
        s.push('\n');
    }
    std::fs::write(path, s).expect("write ndjson");
}

#[test]
fn infer_then_convert_generated_data() {
    // The schema inferred from a file converts all of it, without a rejected row.
    let converts_all = |path: &Path, what: String| {
        assert_eq!(infer_then_convert(path), Vec::<String>::new(), "{what}");
    };
    for (name, rows) in [("cpu", cpu_rows(3000)), ("home", home_rows(3000))] {
        let csv = scratch_file(&format!("{name}.csv"));
        write_csv(&rows, &csv);
        converts_all(&csv, format!("{name}.csv"));
        let nd = scratch_file(&format!("{name}.ndjson"));
        write_ndjson(&rows, &nd, false);
        converts_all(&nd, format!("{name}.ndjson"));
        let nested = scratch_file(&format!("{name}-nested.jsonl"));
        write_ndjson(&rows, &nested, true);
        converts_all(&nested, format!("{name} nested"));
        let schema = text(&lpconvert(&["infer", &nested.to_string_lossy()]).stdout);
        assert!(schema.contains("path = \"/meta/"), "{schema}");
    }
    // The draft for cpu: RFC 3339 time, hostname and region as tags, float usages.
    let csv = scratch_file("cpu.csv");
    write_csv(&cpu_rows(1000), &csv);
    let schema = text(&lpconvert(&["infer", &csv.to_string_lossy()]).stdout);
    assert!(schema.contains("format = \"rfc3339\""), "{schema}");
    assert!(schema.contains("precision = \"s\""), "{schema}");
    assert!(
        schema.contains("hostname = \"hostname\"  # 50 distinct values in 1000 rows -> tag"),
        "{schema}"
    );
    assert!(schema.contains("usage_user = \"float\""), "{schema}");
    assert!(schema.contains("measurement = \"cpu\""), "{schema}");
}

#[test]
fn infer_options_and_errors() {
    // --sample: only the first N records are read.
    let csv = scratch_file("few.csv");
    std::fs::write(
        &csv,
        "t;v\n2022-01-01 10:00;1\n2022-01-01 10:01;2\n2022-01-01 10:02;x\n",
    )
    .expect("write");
    let out = lpconvert(&["infer", "--sample", "2", &csv.to_string_lossy()]);
    let s = text(&out.stdout);
    assert!(s.contains("v = \"integer\""), "{s}");
    assert!(s.contains("delimiter = \";\""), "{s}");
    assert!(s.contains("format = \"%Y-%m-%d %H:%M\""), "{s}");
    assert!(s.contains("from 2 records"), "{s}");
    let out = lpconvert(&["infer", &csv.to_string_lossy()]);
    assert!(text(&out.stdout).contains("v = \"string\""));
    // --format for a name that says nothing.
    let txt = scratch_file("data.txt");
    std::fs::write(&txt, "{\"a\":1}\n{\"a\":2.5}\n").expect("write");
    let out = lpconvert(&["infer", "--format", "ndjson", &txt.to_string_lossy()]);
    let s = text(&out.stdout);
    assert!(
        s.contains("format = \"ndjson\"") && s.contains("a = \"float\""),
        "{s}"
    );
    // A missing file is an I/O error.
    let out = lpconvert(&["infer", "/nonexistent/x.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/nonexistent/x.csv"));
}
