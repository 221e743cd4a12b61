//! `--shard K/N` and `report merge`: for N = 1..5 the shards' outputs, concatenated in shard
//! order, are the unsharded output byte for byte (so their union is it as a multiset and each
//! shard is in input order), their rejects name the same file:line:column, their reports add
//! up and merge into the unsharded figures. `replay` shards against VictoriaMetrics and a
//! killed shard resumed alone are in `replay.rs`.

mod replay;

use crate::support::{assert_exit, gzip, lpconvert, report, stderr, stdout, TempDir};
use std::path::Path;

/// A CSV with a byte order mark, two skipped preamble lines, CRLF ends, quoted fields holding
/// line feeds and commas, and rows that are rejected.
fn tricky_csv(rows: usize) -> String {
    let mut s = String::from("\u{feff}# exported by a tool\r\n# \"quoted\" preamble\r\n");
    s.push_str("time,host,val,note\r\n");
    for i in 0..rows {
        let note = match i % 9 {
            0 => "\"multi\nline, \"\"q\"\"\"".to_string(),
            3 => "\"a,b\"".to_string(),
            _ => format!("n{i}"),
        };
        let val = if i % 13 == 5 {
            "bad".to_string()
        } else {
            format!("{}.5", i)
        };
        s.push_str(&format!(
            "{},h{},{val},{note}\r\n",
            1_700_000_000 + i,
            i % 7
        ));
    }
    s
}

const CSV_SCHEMA: &str = r#"
measurement = "m"
on_error = "skip"
[csv]
skip_rows = 2
[timestamp]
column = "time"
format = "unix_s"
[tags]
host = "host"
[fields]
val = "float"
note = "string"
"#;

const JSON_SCHEMA: &str = r#"
measurement = "j"
format = "ndjson"
on_error = "skip"
[timestamp]
path = "/t"
format = "unix_s"
[tags]
host = "h"
[fields]
v = "float"
"#;

/// NDJSON lines, one of them not JSON and one with a bad value.
fn ndjson(rows: usize, base: usize) -> String {
    let mut s = String::new();
    for i in 0..rows {
        match i % 17 {
            4 => s.push_str("{not json\n"),
            9 => s.push_str(&format!(
                "{{\"t\":{},\"h\":\"x\",\"v\":\"no\"}}\n",
                base + i
            )),
            _ => s.push_str(&format!(
                "{{\"t\":{},\"h\":\"h{}\",\"v\":{}.25}}\n",
                base + i,
                i % 5,
                i
            )),
        }
    }
    s
}

/// A JSON array of objects, pretty-printed over several lines, with elements on one line too
/// and a bad value.
fn json_array(rows: usize) -> String {
    let mut s = String::from("[\n");
    for i in 0..rows {
        let v = if i % 11 == 2 {
            "\"x\"".to_string()
        } else {
            format!("{i}.5")
        };
        if i % 3 == 0 {
            s.push_str(&format!(
                "  {{\n    \"t\": {},\n    \"h\": \"a{}\",\n    \"v\": {v}\n  }}",
                1_650_000_000 + i,
                i % 4
            ));
        } else {
            s.push_str(&format!(
                "{{\"t\":{},\"h\":\"a{}\",\"v\":{v}}}",
                1_650_000_000 + i,
                i % 4
            ));
        }
        s.push_str(if i + 1 < rows { ", " } else { "\n" });
        if i % 5 == 4 {
            s.push('\n');
        }
    }
    s.push_str("]\n");
    s
}

/// One run's output, rejects' reasons and report.
struct Run {
    out: Vec<u8>,
    errors: String,
    report: serde_json::Value,
    code: i32,
}

/// Converts `inputs` with `schema` as shard `shard` (`None`: unsharded) into `dir`.
fn convert(dir: &Path, schema: &str, inputs: &[String], shard: Option<(u64, u64)>) -> Run {
    let tag = shard.map_or("all".to_string(), |(k, n)| format!("{k}of{n}"));
    let out = dir.join(format!("{tag}.lp"));
    let rejects = dir.join(format!("{tag}.rejects"));
    let rep = dir.join(format!("{tag}.json"));
    let mut args: Vec<String> = vec!["convert".into(), "--schema".into(), schema.into()];
    args.extend(inputs.iter().cloned());
    for (o, p) in [("-o", &out), ("--rejects", &rejects), ("--report", &rep)] {
        args.push(o.into());
        args.push(p.display().to_string());
    }
    if let Some((k, n)) = shard {
        args.push("--shard".into());
        args.push(format!("{k}/{n}"));
    }
    args.push("--threads".into());
    args.push("2".into());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = lpconvert(&argv);
    let code = o.status.code().unwrap_or(-1);
    assert!(code == 0 || code == 3, "{argv:?}: {}", stderr(&o));
    let mut errors_file = rejects.clone().into_os_string();
    errors_file.push(".errors");
    Run {
        out: std::fs::read(&out).unwrap_or_default(),
        errors: std::fs::read_to_string(errors_file).unwrap_or_default(),
        report: report(&rep),
        code,
    }
}

const COUNTS: [&str; 7] = [
    "rows_read",
    "rows_converted",
    "lines_written",
    "rows_skipped",
    "rows_rejected",
    "bytes_read",
    "files_owned",
];

/// Writes the schema `s.toml` and the `files` (name, bytes) into `dir`; returns their paths.
fn write_job(dir: &Path, schema_text: &str, files: &[(&str, Vec<u8>)]) -> (String, Vec<String>) {
    let schema = dir.join("s.toml").display().to_string();
    std::fs::write(&schema, schema_text).unwrap();
    let inputs = files
        .iter()
        .map(|(n, data)| {
            let p = dir.join(n);
            std::fs::write(&p, data).unwrap();
            p.display().to_string()
        })
        .collect();
    (schema, inputs)
}

/// For N = 1..5: the shards' outputs concatenated in order are the unsharded output, their
/// rejects the unsharded rejects, their counts add up, and `report merge` says so.
fn shards_add_up(name: &str, schema_text: &str, files: &[(&str, Vec<u8>)]) {
    let dir = TempDir::new(name);
    let (schema, inputs) = write_job(&dir, schema_text, files);
    let whole = convert(&dir, &schema, &inputs, None);
    assert!(!whole.out.is_empty());
    assert!(
        whole.report["rows_rejected"].as_u64().unwrap() > 0,
        "the data has bad rows"
    );
    for n in 1..=5u64 {
        let runs: Vec<Run> = (1..=n)
            .map(|k| convert(&dir, &schema, &inputs, Some((k, n))))
            .collect();
        let out: Vec<u8> = runs.iter().flat_map(|r| r.out.clone()).collect();
        assert!(
            out == whole.out,
            "{name}: {n} shards' output differs from one run's"
        );
        let errors: String = runs.iter().map(|r| r.errors.as_str()).collect();
        assert_eq!(errors, whole.errors, "{name}: {n} shards' rejects");
        for c in COUNTS {
            let sum: u64 = runs.iter().map(|r| r.report[c].as_u64().unwrap()).sum();
            assert_eq!(
                sum,
                whole.report[c].as_u64().unwrap(),
                "{name}: {c} over {n} shards"
            );
        }
        assert!(runs
            .iter()
            .all(|r| r.report["job"] == runs[0].report["job"]));
        let worst = runs.iter().map(|r| r.code).max().unwrap();
        // Merged: the single run's figures and the worst status.
        let mut args = vec!["report".to_string(), "merge".into()];
        args.extend(
            (1..=n)
                .rev()
                .map(|k| dir.join(format!("{k}of{n}.json")).display().to_string()),
        );
        let merged_path = dir.join(format!("merged{n}.json"));
        args.extend(["-o".into(), merged_path.display().to_string()]);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = lpconvert(&argv);
        assert_exit(&o, worst);
        assert!(
            stdout(&o).contains(&format!("{n} shards")),
            "{}",
            stdout(&o)
        );
        let merged = report(&merged_path);
        for c in COUNTS {
            assert_eq!(
                merged[c], whole.report[c],
                "{name}: merged {c} over {n} shards"
            );
        }
        assert_eq!(merged["exit_code"], whole.report["exit_code"]);
    }
}

#[test]
fn csv_shards_add_up_to_one_run() {
    let big = tricky_csv(700).into_bytes();
    let small = tricky_csv(3).into_bytes();
    shards_add_up("shard-csv", CSV_SCHEMA, &[("big.csv", big.clone())]);
    shards_add_up(
        "shard-csvs",
        CSV_SCHEMA,
        &[("a.csv", small.clone()), ("b.csv", big), ("c.csv", small)],
    );
}

#[test]
fn json_shards_add_up_to_one_run() {
    shards_add_up(
        "shard-ndjson",
        JSON_SCHEMA,
        &[("a.ndjson", ndjson(600, 1_600_000_000).into_bytes())],
    );
    shards_add_up(
        "shard-array",
        JSON_SCHEMA,
        &[("a.json", json_array(400).into_bytes())],
    );
    shards_add_up(
        "shard-mixed",
        JSON_SCHEMA,
        &[
            ("a.ndjson.gz", gzip(ndjson(300, 1_500_000_000).as_bytes())),
            ("b.json", json_array(200).into_bytes()),
            ("c.ndjson", ndjson(500, 1_600_000_000).into_bytes()),
            ("d.ndjson.gz", gzip(ndjson(40, 1_400_000_000).as_bytes())),
        ],
    );
}

/// Random files (sizes, record lengths, quoted line feeds) and random N: never a record lost
/// or converted twice.
#[test]
fn random_files_and_shard_counts_never_lose_or_repeat_a_record() {
    let mut seed: u64 = 0x5eed_1234;
    let mut next = |m: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % m
    };
    for round in 0..4 {
        let files: Vec<(String, Vec<u8>)> = (0..1 + next(4))
            .map(|f| {
                let rows = next(300) as usize;
                let mut s = String::from("# skipped\r\n# skipped\r\ntime,host,val,note\r\n");
                for i in 0..rows {
                    let note = "x".repeat(next(40) as usize);
                    let note = if next(4) == 0 {
                        format!("\"{note}\n{note}\"")
                    } else {
                        note
                    };
                    s.push_str(&format!("{},h{},{i}.5,{note}\r\n", 1_700_000_000 + i, f));
                }
                (format!("f{f}.csv"), s.into_bytes())
            })
            .collect();
        let dir = TempDir::new(&format!("shard-random-{round}"));
        let files: Vec<(&str, Vec<u8>)> =
            files.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
        let (schema, inputs) = write_job(&dir, CSV_SCHEMA, &files);
        let whole = convert(&dir, &schema, &inputs, None);
        let n = 1 + next(7);
        let out: Vec<u8> = (1..=n)
            .flat_map(|k| convert(&dir, &schema, &inputs, Some((k, n))).out)
            .collect();
        assert!(out == whole.out, "round {round}: {n} shards");
    }
}

#[test]
fn check_shards_name_every_bad_line_once() {
    let dir = TempDir::new("shard-check");
    let mut text = String::new();
    for i in 0..900 {
        if i % 31 == 7 {
            text.push_str("bad line without fields\n");
        } else {
            text.push_str(&format!(
                "m,h=a v={i} {}\n",
                1_600_000_000_000_000_000u64 + i
            ));
        }
    }
    let a = dir.join("a.lp").display().to_string();
    let b = dir.join("b.lp").display().to_string();
    std::fs::write(&a, &text).unwrap();
    std::fs::write(&b, &text[..text.len() / 3]).unwrap();
    let whole = lpconvert(&["check", &a, &b, "-q"]);
    assert_exit(&whole, 3);
    for n in 1..=4u64 {
        let mut all = String::new();
        for k in 1..=n {
            let o = lpconvert(&["check", &a, &b, "-q", "--shard", &format!("{k}/{n}")]);
            assert!(matches!(o.status.code(), Some(0 | 3)), "{}", stderr(&o));
            all.push_str(&stdout(&o));
        }
        assert_eq!(all, stdout(&whole), "{n} shards");
    }
}

#[test]
fn shard_options_are_checked() {
    let dir = TempDir::new("shard-options");
    let a = dir.join("a.lp").display().to_string();
    std::fs::write(&a, "m v=1 1\n").unwrap();
    for bad in ["0/3", "4/3", "1/0", "x"] {
        let o = lpconvert(&["check", &a, "--shard", bad]);
        assert_exit(&o, 2);
        assert!(stderr(&o).contains("--shard"), "{}", stderr(&o));
    }
    // K from the scheduler's 0-based index.
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let mut c = crate::support::lpconvert_command();
        c.args(["check", &a, "-q"]).args(args);
        for k in [
            "LPCONVERT_SHARD",
            "JOB_COMPLETION_INDEX",
            "SLURM_ARRAY_TASK_ID",
        ] {
            c.env_remove(k);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    assert_exit(
        &run(&[("JOB_COMPLETION_INDEX", "2")], &["--shards", "3"]),
        0,
    );
    assert_exit(
        &run(&[("JOB_COMPLETION_INDEX", "3")], &["--shards", "3"]),
        2,
    );
    // A Slurm task ID is the 0-based index as it is: a task resubmitted alone
    // (`sbatch --array=2`, so SLURM_ARRAY_TASK_MIN=2) is still shard 3/3, never shard 1.
    let three = dir.join("three.lp").display().to_string();
    std::fs::write(&three, "x1\nx2\nx3\n").unwrap();
    let mut c = crate::support::lpconvert_command();
    c.args(["check", &three, "--shards", "3"]);
    c.env_remove("JOB_COMPLETION_INDEX")
        .env_remove("LPCONVERT_SHARD");
    let o = c
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_MIN", "2")
        .output()
        .unwrap();
    assert_exit(&o, 3);
    assert!(stdout(&o).contains("three.lp:3:"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("three.lp:1:"), "{}", stdout(&o));
    assert_exit(
        &run(
            &[("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_MIN", "1")],
            &["--shards", "3"],
        ),
        2,
    );
    assert_exit(&run(&[], &["--shards", "3"]), 2);
    let o = run(&[("LPCONVERT_SHARD", "2/1")], &[]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("LPCONVERT_SHARD"), "{}", stderr(&o));
    // Standard input cannot be shared between shards.
    let o = lpconvert(&["check", "-", "--shard", "1/2"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("standard input"), "{}", stderr(&o));
}

#[test]
fn report_merge_refuses_other_jobs_and_missing_or_repeated_shards() {
    let dir = TempDir::new("shard-merge");
    let schema = dir.join("s.toml").display().to_string();
    std::fs::write(&schema, CSV_SCHEMA).unwrap();
    let a = dir.join("a.csv").display().to_string();
    std::fs::write(&a, tricky_csv(50)).unwrap();
    let runs = |n: u64, inputs: &[String]| -> Vec<String> {
        (1..=n)
            .map(|k| {
                convert(&dir, &schema, inputs, Some((k, n)));
                let to = dir.join(format!("job{}-{k}of{n}.json", inputs.len()));
                std::fs::rename(dir.join(format!("{k}of{n}.json")), &to).unwrap();
                to.display().to_string()
            })
            .collect()
    };
    let three = runs(3, std::slice::from_ref(&a));
    let other = runs(3, &[a.clone(), a.clone()]);
    let merge = |files: &[&String]| {
        let mut args = vec!["report", "merge"];
        args.extend(files.iter().map(|s| s.as_str()));
        lpconvert(&args)
    };
    let o = merge(&[&three[0], &three[1]]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("shard 3/3"), "{}", stderr(&o));
    let o = merge(&[&three[0], &three[1], &three[1], &three[2]]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("given twice"), "{}", stderr(&o));
    let o = merge(&[&three[0], &three[1], &other[2]]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("another job"), "{}", stderr(&o));
    assert_exit(&merge(&[&three[2], &three[0], &three[1]]), 3);
    // `-o` naming a shard's report, or naming R with the shard's report R.tmp (the merged
    // report is written through R.tmp): a usage error, the shard's report kept (it was
    // replaced by the merged one).
    let kept = std::fs::read_to_string(&three[0]).unwrap();
    let o = lpconvert(&[
        "report", "merge", &three[0], &three[1], &three[2], "-o", &three[0],
    ]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("--output"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&three[0]).unwrap(), kept);
    let r = dir.join("r.json").display().to_string();
    let r_tmp = format!("{r}.tmp");
    std::fs::rename(&three[1], &r_tmp).unwrap();
    let o = lpconvert(&["report", "merge", &three[0], &r_tmp, &three[2], "-o", &r]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("--output"), "{}", stderr(&o));
    assert!(
        std::path::Path::new(&r_tmp).exists(),
        "the shard's report was renamed away"
    );
    std::fs::rename(&r_tmp, &three[1]).unwrap();
    // A shard run with another --on-error or --precision is not of the job.
    for (flag, value) in [("--on-error", "fail"), ("--precision", "ns")] {
        let rep = dir.join("odd.json").display().to_string();
        let o = lpconvert(&[
            "convert",
            "-s",
            &schema,
            &a,
            "--shard",
            "3/3",
            "-o",
            "/dev/null",
            "--report",
            &rep,
            flag,
            value,
        ]);
        assert!(matches!(o.status.code(), Some(0..=3)), "{}", stderr(&o));
        let o = merge(&[&three[0], &three[1], &rep]);
        assert_exit(&o, 2);
        assert!(stderr(&o).contains("another job"), "{flag}: {}", stderr(&o));
    }
}

/// `report merge | head -1`: the summary's reader may stop early; the status is the job's.
#[test]
fn report_merge_into_a_closed_pipe_keeps_the_jobs_status() {
    let dir = TempDir::new("shard-merge-pipe");
    let (schema, inputs) = write_job(&dir, CSV_SCHEMA, &[("a.csv", tricky_csv(40).into_bytes())]);
    let reports: Vec<String> = (1..=2)
        .map(|k| {
            convert(&dir, &schema, &inputs, Some((k, 2)));
            dir.join(format!("{k}of2.json")).display().to_string()
        })
        .collect();
    let mut child = crate::support::lpconvert_command()
        .args(["report", "merge", &reports[0], &reports[1]])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_exit(&o, 3);
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
}

/// A UTF-16 file is decoded as a stream, an empty one is not mapped: each goes whole to one
/// shard, next to files that split.
#[test]
fn utf16_and_empty_files_go_whole_to_one_shard() {
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in tricky_csv(300).encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    shards_add_up(
        "shard-utf16",
        CSV_SCHEMA,
        &[
            ("a.csv", tricky_csv(200).into_bytes()),
            ("b.csv", utf16),
            ("c.csv", tricky_csv(200).into_bytes()),
        ],
    );
    // Empty files (read as streams, nothing to map) go whole too.
    shards_add_up(
        "shard-empty",
        JSON_SCHEMA,
        &[
            ("e.ndjson", Vec::new()),
            ("a.ndjson", ndjson(300, 1_600_000_000).into_bytes()),
            ("f.json", Vec::new()),
        ],
    );
}
