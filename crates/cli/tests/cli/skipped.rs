//! Rows that produce no line (every field empty), issue 18 item 3: counted as skipped, named
//! (the first five) before the summary, and kept verbatim by `--skipped FILE` (CLI.md) as
//! `--rejects` keeps rejected rows: CSV header first, one file per distinct header, written
//! as FILE.partial and put in place only when the run ends with 0 or 3.

use crate::support::{
    assert_exit, assert_stderr_has, convert_in, replay, run_in, schema_and_csv, stderr, stdout,
    write_in,
};
use std::path::Path;

const CSV_SCHEMA: &str = "measurement = \"m\"\non_error = \"skip\"\n[tags]\nhost = \"host\"\n\
                          [fields]\na = \"integer\"\nb = \"float\"\n";

const JSON_SCHEMA: &str = "measurement = \"m\"\nformat = \"ndjson\"\non_error = \"skip\"\n\
                           [tags]\nhost = { path = \"/host\" }\n\
                           [fields]\na = { path = \"/a\", type = \"integer\" }\n\
                           b = { path = \"/b\", type = \"float\" }\n";

/// The summary's counters: (read, lines written, skipped, rejected).
fn counts(err: &str) -> (u64, u64, u64, u64) {
    let line = err
        .lines()
        .find(|l| l.contains(" rows read, "))
        .unwrap_or_else(|| panic!("no summary in {err}"));
    let num = |label: &str| -> u64 {
        let end = line
            .find(label)
            .unwrap_or_else(|| panic!("{label} in {line}"));
        let n = line[..end].split_whitespace().last().unwrap_or_default();
        n.parse().unwrap_or_else(|_| panic!("{label} in {line}"))
    };
    (
        num(" rows read"),
        num(" lines written"),
        num(" skipped,"),
        num(" rejected"),
    )
}

/// `replay --dry-run --schema s.toml a.csv --convert-skipped SKIPPED` for the files of `d`.
fn dry_replay(d: &Path, skipped: &str) -> std::process::Output {
    let schema = d.join("s.toml").display().to_string();
    let input = d.join("a.csv").display().to_string();
    replay(&[
        "--url",
        "http://127.0.0.1:9",
        "--api",
        "v1",
        "--db",
        "x",
        "--dry-run",
        "--schema",
        &schema,
        &input,
        "--convert-skipped",
        skipped,
    ])
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The rows of a CSV rows file: its lines less the header.
fn csv_rows(text: &str) -> u64 {
    text.lines().count().saturating_sub(1) as u64
}

#[test]
fn csv_rows_with_every_field_empty_are_kept_verbatim_with_the_header() {
    // Row 3: all empty; 4: a tag but no field; 6: quoted empties; 7 CRLF; 8 bad (rejected).
    let csv = "host,a,b\nx,1,1\n,,\nx,,\ny,2,\n\"\",\"\",\"\"\nz,,\r\nw,q,1\nv,,\n";
    let d = schema_and_csv("skipped_csv", CSV_SCHEMA, csv);
    for extra in [&[][..], &["--threads", "2", "--chunk-size", "3"][..]] {
        let _ = std::fs::remove_file(d.join("sk.csv"));
        let args = [&["a.csv", "--skipped", "sk.csv"][..], extra].concat();
        let out = convert_in(&d, &args);
        assert_exit(&out, 3);
        assert_eq!(stdout(&out), "m,host=x a=1i,b=1\nm,host=y a=2i\n");
        let err = stderr(&out);
        let (read_, written, skipped, rejected) = counts(&err);
        assert_eq!((read_, written, skipped, rejected), (8, 2, 5, 1), "{err}");
        assert_eq!(read_, written + skipped + rejected);
        let kept = read(&d, "sk.csv");
        assert_eq!(kept, "host,a,b\n,,\nx,,\n\"\",\"\",\"\"\nz,,\r\nv,,\n");
        assert_eq!(csv_rows(&kept), skipped);
        // Named by their own lines, whatever the chunking.
        let named: Vec<&str> = err
            .lines()
            .filter_map(|l| l.strip_prefix("lpconvert: skipped a.csv:"))
            .collect();
        let want = [
            "3: every field empty",
            "4: every field empty",
            "6: every field empty",
        ];
        assert_eq!(named[..3], want, "{err}");
        assert_eq!(named[3..], ["7: every field empty", "9: every field empty"]);
        assert!(
            !d.join("sk.csv.errors").exists(),
            "a skipped file has no reasons"
        );
    }
    // The file converts again with the same schema: every row skipped again.
    let out = convert_in(&d, &["sk.csv"]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "");
    assert_eq!(counts(&stderr(&out)), (5, 0, 5, 0));
}

#[test]
fn ndjson_records_whose_fields_are_null_or_absent_are_kept_as_their_lines() {
    let d = schema_and_csv("skipped_ndjson", JSON_SCHEMA, "");
    let data = "{\"host\":\"x\",\"a\":1}\n{\"host\":\"x\"}\n\n{\"a\":null,\"b\":null}\r\n\
                {}\n{\"host\":\"y\",\"b\":2.5}\n{\"a\":\"bad\"}\n{\"host\":\"z\",\"b\":null}\n";
    write_in(&d, "a.ndjson", data);
    let out = convert_in(&d, &["a.ndjson", "--skipped", "sk.ndjson"]);
    assert_exit(&out, 3);
    assert_eq!(stdout(&out), "m,host=x a=1i\nm,host=y b=2.5\n");
    let (read_, written, skipped, rejected) = counts(&stderr(&out));
    assert_eq!((read_, written, skipped, rejected), (7, 2, 4, 1));
    let kept = read(&d, "sk.ndjson");
    assert_eq!(
        kept,
        "{\"host\":\"x\"}\n{\"a\":null,\"b\":null}\r\n{}\n{\"host\":\"z\",\"b\":null}\n"
    );
    assert_eq!(kept.lines().count() as u64, skipped);
    assert_stderr_has(&out, "lpconvert: skipped a.ndjson:2: every field empty");
    assert_stderr_has(&out, "lpconvert: skipped a.ndjson:4: every field empty");
    // A JSON array: each element on one line, named by the line it starts on.
    write_in(
        &d,
        "b.json",
        "[{\"host\":\"x\",\"a\":1}, {\"host\":\"x\"},\n{\"a\":2},\n{\n}]",
    );
    let out = convert_in(&d, &["b.json", "--skipped", "sk.ndjson"]);
    assert_exit(&out, 0);
    assert_eq!(read(&d, "sk.ndjson"), "{\"host\":\"x\"}\n{ }\n");
    assert_stderr_has(&out, "lpconvert: skipped b.json:1: every field empty");
    assert_stderr_has(&out, "lpconvert: skipped b.json:3: every field empty");
}

#[test]
fn many_inputs_with_two_headers_get_one_file_per_header_as_rejects_do() {
    let d = schema_and_csv(
        "skipped_headers",
        CSV_SCHEMA,
        "host,a,b\nx,1,1\n,,\nx,bad,\n",
    );
    write_in(&d, "b.csv", "b,a,host\n,,q\n2,,r\n,x,s\n");
    write_in(&d, "c.csv", "host,a,b\ny,,\n");
    let out = convert_in(
        &d,
        &[
            "a.csv",
            "b.csv",
            "c.csv",
            "--skipped",
            "sk.csv",
            "--rejects",
            "rj.csv",
        ],
    );
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert_eq!(read(&d, "sk.csv"), "host,a,b\n,,\ny,,\n");
    assert_eq!(read(&d, "sk.csv.2.csv"), "b,a,host\n,,q\n");
    assert_eq!(read(&d, "rj.csv"), "host,a,b\nx,bad,\n");
    assert_eq!(read(&d, "rj.csv.2.csv"), "b,a,host\n,x,s\n");
    let (read_, written, skipped, rejected) = counts(&err);
    assert_eq!(read_, written + skipped + rejected, "{err}");
    let kept = csv_rows(&read(&d, "sk.csv")) + csv_rows(&read(&d, "sk.csv.2.csv"));
    assert_eq!(kept, skipped, "{err}");
    assert_stderr_has(&out, "skipped rows are in sk.csv, sk.csv.2.csv");
}

#[test]
fn skipped_equal_to_an_input_or_another_output_is_a_usage_error() {
    let d = schema_and_csv("skipped_collide", CSV_SCHEMA, "host,a,b\nx,1,1\n,,\n");
    let before = read(&d, "a.csv");
    let cases: [&[&str]; 5] = [
        &["a.csv", "--skipped", "a.csv"],
        &["a.csv", "--skipped", "./a.csv"],
        &["a.csv", "--skipped", "s.toml"],
        &["a.csv", "--skipped", "o.lp", "-o", "o.lp"],
        &["a.csv", "--skipped", "r.csv", "--rejects", "r.csv"],
    ];
    for args in cases {
        let out = convert_in(&d, args);
        assert_exit(&out, 2);
        assert_stderr_has(&out, "--skipped");
        assert_eq!(read(&d, "a.csv"), before);
        assert!(!d.join("o.lp").exists() && !d.join("r.csv").exists());
    }
    // The reasons file of --rejects is an output too.
    let out = convert_in(
        &d,
        &["a.csv", "--rejects", "r.csv", "--skipped", "r.csv.errors"],
    );
    assert_exit(&out, 2);
    // Replay's conversion alike.
    let out = dry_replay(&d, &d.join("a.csv").display().to_string());
    assert_exit(&out, 2);
    assert_eq!(read(&d, "a.csv"), before);
}

#[test]
fn the_first_five_are_named_before_the_summary_with_a_count_of_the_rest() {
    let mut csv = String::from("host,a,b\nx,1,1\n");
    for _ in 0..8 {
        csv.push_str(",,\n");
    }
    let d = schema_and_csv("skipped_named", CSV_SCHEMA, csv);
    let out = convert_in(&d, &["a.csv"]);
    assert_exit(&out, 0);
    let err = stderr(&out);
    let named: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("lpconvert: skipped "))
        .collect();
    let want: Vec<String> = (3..8)
        .map(|l| format!("lpconvert: skipped a.csv:{l}: every field empty"))
        .collect();
    assert_eq!(named, want, "{err}");
    assert_stderr_has(&out, "lpconvert: ... 3 more skipped rows");
    assert_stderr_has(&out, "use --skipped FILE");
    // The summary stays the last line.
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.contains(" rows read, ") && last.contains(" 8 skipped,"),
        "{err}"
    );
    // Five or fewer: no count of the rest; -q: nothing.
    let d = schema_and_csv("skipped_few", CSV_SCHEMA, "host,a,b\n,,\nx,1,\n");
    let out = convert_in(&d, &["a.csv", "--skipped", "sk.csv"]);
    assert_exit(&out, 0);
    assert_stderr_has(&out, "lpconvert: skipped a.csv:2: every field empty");
    assert_stderr_has(&out, "lpconvert: skipped rows are in sk.csv");
    assert!(!stderr(&out).contains("more skipped"));
    let out = convert_in(&d, &["-q", "a.csv"]);
    assert_eq!(stderr(&out), "");
}

#[test]
fn the_skipped_file_appears_only_when_the_run_ends_with_0_or_3() {
    // on_error = "fail" (the schema's default): a bad row stops the run with 1, and neither
    // --skipped nor --rejects appears; the files of an earlier run stay as they were.
    let schema = CSV_SCHEMA.replace("on_error = \"skip\"\n", "");
    let d = schema_and_csv("skipped_atomic", &schema, "host,a,b\n,,\nx,bad,\n");
    write_in(&d, "sk.csv", "old\n");
    let out = convert_in(&d, &["a.csv", "--skipped", "sk.csv", "--rejects", "rj.csv"]);
    assert_exit(&out, 1);
    assert_eq!(read(&d, "sk.csv"), "old\n");
    assert!(!d.join("rj.csv").exists() && !d.join("rj.csv.partial").exists());
    assert_stderr_has(&out, "nothing was written to --rejects rj.csv");
    // No row skipped in a run that ends 0: the file is there, empty (an absent one would
    // leave the earlier run's rows where this run's belong).
    write_in(&d, "a.csv", "host,a,b\nx,1,\n");
    let out = convert_in(&d, &["a.csv", "--skipped", "sk.csv", "--rejects", "rj.csv"]);
    assert_exit(&out, 0);
    assert_eq!(read(&d, "sk.csv"), "");
    assert_eq!(read(&d, "rj.csv"), "");
    assert!(!d.join("sk.csv.partial").exists());
}

#[test]
fn replay_with_a_schema_keeps_its_skipped_rows_with_convert_skipped() {
    let d = schema_and_csv("skipped_replay", CSV_SCHEMA, "host,a,b\nx,1,1\n,,\nq,,\n");
    let sk = d.join("sk.csv").display().to_string();
    let out = dry_replay(&d, &sk);
    assert_exit(&out, 0);
    assert_eq!(read(&d, "sk.csv"), "host,a,b\n,,\nq,,\n");
    assert_stderr_has(&out, "2 skipped (no fields)");
    assert_stderr_has(&out, "a.csv:3: every field empty");
    assert_stderr_has(&out, &format!("skipped rows are in {sk}"));
}

#[test]
fn annotated_csv_rows_without_a_value_are_kept_after_their_tables_annotations() {
    let annotations = "#datatype,string,long,dateTime:RFC3339,double,string,string\n\
                       #group,false,false,false,false,true,true\n#default,_result,,,,,\n\
                       ,result,table,_time,_value,_field,_measurement\n";
    let data =
        format!("{annotations},,0,2020-01-01T00:00:00Z,1.5,v,m\n,,0,2020-01-01T00:00:01Z,,v,m\n");
    let d = schema_and_csv("skipped_annotated", "", "");
    write_in(&d, "an.csv", &data);
    let args = ["--format", "annotated-csv", "an.csv", "--skipped", "sk.csv"];
    let out = run_in(&d, &args, None);
    assert_exit(&out, 0);
    assert_eq!(
        read(&d, "sk.csv"),
        format!("{annotations},,0,2020-01-01T00:00:01Z,,v,m\n")
    );
    assert_stderr_has(&out, "lpconvert: skipped an.csv:6: no line");
    // It converts again as it was read: the row is skipped again.
    let out = run_in(&d, &["--format", "annotated-csv", "sk.csv"], None);
    assert_exit(&out, 0);
    assert_stderr_has(&out, "1 rows read, 0 lines written");
}

#[test]
fn a_further_rejects_file_moved_past_the_skipped_file_is_not_taken_twice() {
    // --skipped takes rj.csv.2.csv, so the second header's rejects go to rj.csv.3.csv; the
    // third header's must not go there too (was: "rj.csv.3.csv.partial is being written by
    // another run", exit 2).
    let d = schema_and_csv("skipped_numbering", CSV_SCHEMA, "host,a,b\nx,bad,\n");
    write_in(&d, "b.csv", "b,a,host\n1,bad,q\n");
    write_in(&d, "c.csv", "a,b,host\nbad,1,r\n");
    let out = convert_in(
        &d,
        &[
            "a.csv",
            "b.csv",
            "c.csv",
            "--rejects",
            "rj.csv",
            "--skipped",
            "rj.csv.2.csv",
        ],
    );
    assert_exit(&out, 3);
    assert_eq!(read(&d, "rj.csv"), "host,a,b\nx,bad,\n");
    assert_eq!(read(&d, "rj.csv.3.csv"), "b,a,host\n1,bad,q\n");
    assert_eq!(read(&d, "rj.csv.4.csv"), "a,b,host\nbad,1,r\n");
    assert_stderr_has(
        &out,
        "rejected rows are in rj.csv, rj.csv.3.csv, rj.csv.4.csv",
    );
}
