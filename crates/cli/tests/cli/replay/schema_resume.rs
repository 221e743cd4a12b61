//! `replay --schema` on the engine's streaming conversion, across runs: what the server
//! stores over a stopped run and its resume is what `convert` writes, each line once.

use crate::support::{
    argv, assert_exit, assert_stderr_has, convert_in, replay, write_in, FaultServer, Reply, TempDir,
};
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const SCHEMA: &str = r#"
measurement = "m"
precision = "s"
on_error = "fail"
[timestamp]
column = "t"
format = "unix_s"
[fields]
v = "integer"
"#;

/// A CSV file of `n` rows from `first`, row `bad` (if any) not an integer.
fn csv(dir: &TempDir, name: &str, first: usize, n: usize, bad: Option<usize>) -> String {
    let mut text = String::from("t,v\n");
    for i in first..first + n {
        let v = if Some(i) == bad {
            "oops".to_string()
        } else {
            i.to_string()
        };
        text.push_str(&format!("{},{v}\n", 1_700_000_000 + i));
    }
    write_in(dir, name, text);
    dir.join(name).display().to_string()
}

/// Runs `replay --schema s.toml --checkpoint ck.json --concurrency 1 --threads 1
/// --batch-lines BATCH ARGS INPUTS` against `url` in `dir`.
fn replay_schema(
    dir: &TempDir,
    url: &str,
    batch: &str,
    args: &[&str],
    inputs: &[String],
) -> Output {
    let ckpt = dir.join("ck.json").display().to_string();
    let schema = dir.join("s.toml").display().to_string();
    let mut all = argv(
        "--url {} --db db --schema {} --checkpoint {} --batch-lines {} --concurrency 1 --threads 1",
        &[url, &schema, &ckpt, batch],
    );
    all.extend_from_slice(args);
    all.extend(inputs.iter().map(String::as_str));
    replay(&all)
}

/// A server that stores everything until `refuse` is set, then answers 401 to everything.
fn server(refuse: Arc<AtomicBool>, after: usize) -> FaultServer {
    FaultServer::start(move |seen| {
        if refuse.load(Ordering::SeqCst) && seen.n >= after {
            Reply::with_body(401, r#"{"error":"unauthorized"}"#)
        } else {
            Reply::status(204)
        }
    })
}

#[test]
fn a_resume_after_a_fatal_answer_sends_each_converted_line_once_in_order() {
    let dir = TempDir::new("stream-resume");
    write_in(&dir, "s.toml", SCHEMA);
    let inputs: Vec<String> = (0..3)
        .map(|k| csv(&dir, &format!("in{k}.csv"), k * 20_000, 20_000, None))
        .collect();
    let mut expected_args = vec!["-o", "expected.lp"];
    expected_args.extend(inputs.iter().map(String::as_str));
    assert_exit(&convert_in(&dir, &expected_args), 0);
    let expected = std::fs::read_to_string(dir.join("expected.lp")).unwrap();

    let refuse = Arc::new(AtomicBool::new(true));
    let srv = server(Arc::clone(&refuse), 5);
    let first = replay_schema(&dir, &srv.url, "3000", &["-q"], &inputs);
    assert_exit(&first, 1);
    let sent_first = srv.stored().len();
    assert!(sent_first > 0 && sent_first < 60_000, "{sent_first}");

    refuse.store(false, Ordering::SeqCst);
    let second = replay_schema(&dir, &srv.url, "3000", &["-q"], &inputs);
    assert_exit(&second, 0);
    let stored = srv.stored();
    assert_eq!(
        stored.len(),
        60_000,
        "every line once, none skipped or repeated"
    );
    let got: String = stored.iter().map(|l| format!("{l}\n")).collect();
    assert!(got == expected, "not what convert writes, in order");
}

#[test]
fn a_conversion_that_stops_in_the_second_input_leaves_it_incomplete_and_a_rerun_sends_nothing_again(
) {
    let dir = TempDir::new("stream-fail2");
    write_in(&dir, "s.toml", SCHEMA);
    let inputs = [
        csv(&dir, "a.csv", 0, 10_000, None),
        csv(&dir, "b.csv", 10_000, 10_000, Some(15_000)),
        csv(&dir, "c.csv", 20_000, 10_000, None),
    ];
    let srv = FaultServer::accept_all();
    for run in 0..2 {
        let o = replay_schema(&dir, &srv.url, "700", &[], &inputs);
        assert_exit(&o, 1);
        assert_stderr_has(&o, "b.csv:5002:2: ");
        let stored = srv.stored();
        assert_eq!(
            stored.len(),
            15_000,
            "run {run}: the lines before the bad row, once"
        );
        let want: Vec<String> = (0..15_000)
            .map(|i| format!("m v={i}i {}", 1_700_000_000 + i))
            .collect();
        assert!(
            stored == want,
            "run {run}: not the lines before the bad row in order"
        );
    }
    let ck = std::fs::read_to_string(dir.join("ck.json")).unwrap();
    let ck: serde_json::Value = serde_json::from_str(&ck).unwrap();
    let complete: Vec<bool> = ck["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["complete"].as_bool().unwrap())
        .collect();
    assert_eq!(complete, [true, false, false]);
}
