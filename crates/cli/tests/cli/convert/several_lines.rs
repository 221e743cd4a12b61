//! Schemas that write several lines from one record (SCHEMA.md "Several lines from one
//! record"): the summary keeps rows and lines apart, and the output is the same for any
//! thread count, chunk size and way of reading the input.

use crate::support::{gzip, run_in, stderr, TempDir};

const READINGS: &str = r#"
measurement = "env"
precision = "s"
on_error = "skip"
[timestamp]
path = "/readings/*/t"
format = "unix_s"
[tags]
site = { path = "/site" }
[fields]
v = { path = "/readings/*/v", type = "float" }
"#;

/// Two readings, none, one bad (the record is rejected whole), one.
const RECORDS: &str = concat!(
    "{\"site\":\"a\",\"readings\":[{\"t\":1,\"v\":1.5},{\"t\":2,\"v\":2.5}]}\n",
    "{\"site\":\"b\",\"readings\":[]}\n",
    "{\"site\":\"c\",\"readings\":[{\"t\":3,\"v\":3},{\"t\":4,\"v\":\"x\"}]}\n",
    "{\"site\":\"d\",\"readings\":[{\"t\":5,\"v\":5}]}\n",
);

#[test]
fn the_summary_reports_lines_written_beside_rows_converted() {
    let dir = TempDir::new("several-summary");
    std::fs::write(dir.join("s.toml"), READINGS).unwrap();
    std::fs::write(dir.join("in.ndjson"), RECORDS).unwrap();
    let out = run_in(&dir, &["convert", "-s", "s.toml", "in.ndjson"], None);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "env,site=a v=1.5 1\nenv,site=a v=2.5 2\nenv,site=d v=5 5\n"
    );
    let err = stderr(&out);
    let summary = err
        .lines()
        .find(|l| l.contains(" rows read, "))
        .unwrap_or_else(|| panic!("no summary in {err}"));
    assert!(
        summary.starts_with(
            "lpconvert: 4 rows read, 3 lines written (2 rows converted), 1 skipped, 1 rejected in "
        ),
        "{summary}"
    );
    // One line per converted row: the plain wording, without the rows converted.
    let plain = "{\"site\":\"a\",\"readings\":[{\"t\":1,\"v\":1.5}]}\n{\"site\":\"b\"}\n";
    std::fs::write(dir.join("one.ndjson"), plain).unwrap();
    let out = run_in(&dir, &["convert", "-s", "s.toml", "one.ndjson"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("lpconvert: 2 rows read, 1 lines written, 1 skipped, 0 rejected in "),
        "{}",
        stderr(&out)
    );
}

/// Records of 0 to 40 readings each (some far longer than the smallest chunk sizes), a few of
/// them rejected.
fn many_records() -> String {
    let mut text = String::new();
    for i in 0..300usize {
        let n = (i * 7) % 41;
        let readings: Vec<String> = (0..n)
            .map(|k| {
                let v = if i % 53 == 5 && k == n / 2 {
                    "\"bad\"".to_string()
                } else {
                    format!("{}.25", i + k)
                };
                format!("{{\"t\":{},\"v\":{v}}}", 1_600_000_000 + i * 100 + k)
            })
            .collect();
        text.push_str(&format!(
            "{{\"site\":\"s{}\",\"readings\":[{}]}}\n",
            i % 9,
            readings.join(" , ")
        ));
    }
    text
}

#[test]
fn output_and_counters_are_the_same_for_any_threads_chunk_size_and_input_kind() {
    let dir = TempDir::new("several-matrix");
    std::fs::write(dir.join("s.toml"), READINGS).unwrap();
    let data = many_records();
    std::fs::write(dir.join("in.ndjson"), &data).unwrap();
    std::fs::write(dir.join("in.ndjson.gz"), gzip(data.as_bytes())).unwrap();
    let run = |input: &str, threads: &str, chunk: &str, stdin: Option<&[u8]>| {
        let mut args = vec!["convert", "-s", "s.toml", "--threads", threads];
        args.extend(["--chunk-size", chunk, "--rejects", "bad.ndjson"]);
        match stdin {
            Some(_) => args.extend(["--format", "ndjson", "-"]),
            None => args.push(input),
        }
        let out = run_in(&dir, &args, stdin);
        assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
        let err = stderr(&out);
        let summary = err
            .lines()
            .find(|l| l.contains(" rows read, "))
            .map(|l| l[..l.find(" in ").unwrap_or(l.len())].to_string())
            .unwrap_or_default();
        let rejects = std::fs::read(dir.join("bad.ndjson")).unwrap();
        (out.stdout, summary, rejects)
    };
    let want = run("in.ndjson", "1", "4M", None);
    assert!(
        want.1.starts_with("lpconvert: 300 rows read, "),
        "{}",
        want.1
    );
    for threads in ["1", "2", "7"] {
        for chunk in ["1", "37", "1K"] {
            for (input, stdin) in [
                ("in.ndjson", None),
                ("in.ndjson.gz", None),
                ("-", Some(data.as_bytes())),
            ] {
                let got = run(input, threads, chunk, stdin);
                assert!(
                    got == want,
                    "--threads {threads} --chunk-size {chunk} {input}: {} vs {}",
                    got.1,
                    want.1
                );
            }
        }
    }
    // The rejected records, fed again, are rejected again: none is lost or half-converted.
    std::fs::write(dir.join("again.ndjson"), &want.2).unwrap();
    let out = run_in(&dir, &["convert", "-s", "s.toml", "again.ndjson"], None);
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let n = want.2.iter().filter(|&&b| b == b'\n').count();
    assert!(n > 0);
    assert!(
        stderr(&out).contains(&format!(
            "lpconvert: {n} rows read, 0 lines written, 0 skipped, {n} rejected in "
        )),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_pattern_key_over_an_object_of_many_members_converts_in_linear_time() {
    // Each member was compared with every member taken before it (about half a minute here
    // for 60,000 members); a generous bound, not a benchmark.
    let dir = TempDir::new("several-spread");
    std::fs::write(
        dir.join("s.toml"),
        "measurement = \"m\"\n[fields]\n\"*\" = { path = \"/values/*\", type = \"integer\" }\n",
    )
    .unwrap();
    let members: Vec<String> = (0..60_000).map(|i| format!("\"k{i}\":{i}")).collect();
    let record = format!("{{\"values\":{{{}}}}}\n", members.join(","));
    std::fs::write(dir.join("in.ndjson"), &record).unwrap();
    let start = std::time::Instant::now();
    let out = run_in(&dir, &["convert", "-s", "s.toml", "-q", "in.ndjson"], None);
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let line = String::from_utf8_lossy(&out.stdout);
    assert!(line.starts_with("m k0=0i,k1=1i,"), "{}", &line[..40]);
    assert!(line.ends_with(",k59999=59999i\n"));
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
}
