//! `replay --schema` with a schema that writes several lines from one record: the lines sent
//! are the lines `convert` writes, and a resume inside a record's lines (a batch boundary
//! between two lines of one record) neither repeats nor loses any.

use crate::support::{
    argv, assert_exit, assert_stderr_has, convert_in, replay, report, write_in, FaultServer, Reply,
    TempDir,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const SCHEMA: &str = r#"
measurement = "env"
precision = "s"
[timestamp]
path = "/readings/*/t"
format = "unix_s"
[tags]
site = { path = "/site" }
[fields]
v = { path = "/readings/*/v", type = "integer" }
"#;

/// `n` records of 0 to 12 readings each (records without readings are skipped): the data
/// and the number of lines and of skipped records.
fn records(n: usize) -> (String, usize, usize) {
    let (mut text, mut lines, mut skipped) = (String::new(), 0, 0);
    for i in 0..n {
        let k = (i * 5) % 13;
        let readings: Vec<String> = (0..k)
            .map(|j| format!("{{\"t\":{},\"v\":{j}}}", 1_700_000_000 + i))
            .collect();
        lines += k;
        skipped += usize::from(k == 0);
        text.push_str(&format!(
            "{{\"site\":\"s{i}\",\"readings\":[{}]}}\n",
            readings.join(",")
        ));
    }
    (text, lines, skipped)
}

#[test]
fn a_resume_inside_the_lines_of_a_record_sends_each_line_once_and_counts_lines() {
    let dir = TempDir::new("multi-resume");
    write_in(&dir, "s.toml", SCHEMA);
    let (data, lines, skipped) = records(30_000);
    write_in(&dir, "in.ndjson", &data);
    assert_exit(&convert_in(&dir, &["-o", "expected.lp", "in.ndjson"]), 0);
    let expected = std::fs::read_to_string(dir.join("expected.lp")).unwrap();
    assert_eq!(expected.lines().count(), lines);

    let refuse = Arc::new(AtomicBool::new(true));
    let srv = {
        let refuse = Arc::clone(&refuse);
        FaultServer::start(move |seen| {
            if refuse.load(Ordering::SeqCst) && seen.n >= 7 {
                Reply::with_body(401, r#"{"error":"unauthorized"}"#)
            } else {
                Reply::status(204)
            }
        })
    };
    // 997 lines a batch: batch boundaries fall inside records.
    let path = |name: &str| dir.join(name).display().to_string();
    let (schema, ckpt, rep, input) = (
        path("s.toml"),
        path("ck.json"),
        path("report.json"),
        path("in.ndjson"),
    );
    let run = || {
        replay(&argv(
            "--url {} --db db --schema {} --checkpoint {} --batch-lines 997 --concurrency 1 \
             --report {} {}",
            &[&srv.url, &schema, &ckpt, &rep, &input],
        ))
    };
    let first = run();
    assert_exit(&first, 1);
    let sent_first = srv.stored().len();
    assert!(sent_first > 0 && sent_first < lines, "{sent_first}");

    refuse.store(false, Ordering::SeqCst);
    let second = run();
    assert_exit(&second, 0);
    assert_stderr_has(&second, "resumed at line");
    let stored = srv.stored();
    assert_eq!(stored.len(), lines, "every line once");
    let got: String = stored.iter().map(|l| format!("{l}\n")).collect();
    assert!(got == expected, "not what convert writes, in order");

    // A resumed conversion converts from the start: its counters are the whole input's.
    let converted = 30_000 - skipped;
    assert_stderr_has(
        &second,
        &format!(
            "converted 30000 rows: {lines} lines (from {converted} rows), {skipped} skipped (no line), 0 rejected"
        ),
    );
    let r = report(std::path::Path::new(&rep));
    assert_eq!(r["conversion"]["lines_written"], lines);
    assert_eq!(r["conversion"]["rows_converted"], converted);
    assert_eq!(r["conversion"]["rows_skipped"], skipped);
}
