//! Issue 10, input_limits: inputs that end early, never end, change while read, or hold
//! records too long for memory.

use crate::support::{run_lpconvert, stderr, write_text, TempDir};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const HOME_SCHEMA: &str = "measurement = \"home\"\nprecision = \"s\"\n\n[timestamp]\ncolumn = \"time\"\nformat = \"unix_s\"\n\n[tags]\nroom = \"room\"\n\n[fields]\ntemp = \"float\"\n";

/// Runs `lpconvert ARGS` with stdin read from `stdin`.
fn run_with_stdin(args: &[&str], stdin: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lpconvert"))
        .args(args)
        .stdin(std::fs::File::open(stdin).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn skip_rows_past_the_end_of_input_stops_at_once_with_exit_2() {
    let dir = TempDir::new("skiprows");
    let s = write_text(
        &dir,
        "s.toml",
        &format!("{HOME_SCHEMA}\n[csv]\nskip_rows = 99999999999\n"),
    );
    let input = write_text(&dir, "a.csv", "time,room,temp\n1,k,1.5\n");
    let start = Instant::now();
    let mapped = run_lpconvert("convert", &["-s", &s, &input], &[]);
    let streamed = run_with_stdin(&["convert", "-s", &s, "-"], &input);
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "skip_rows spun for {:?}",
        start.elapsed()
    );
    for out in [mapped, streamed] {
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("has 2 lines, fewer than [csv] skip_rows = 99999999999"),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn thread_spawn_failure_exits_2_with_a_message_not_a_panic() {
    let dir = TempDir::new("spawnfail");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    let csv = write_text(&dir, "a.csv", "time,room,temp\n1,k,1.5\n");
    let lp = write_text(&dir, "a.lp", "m f=1 1\n");
    let bin = env!("CARGO_BIN_EXE_lpconvert");
    // 256 thread stacks do not fit in 200 MB of address space.
    for args in [
        format!("convert --threads 256 -s '{s}' '{csv}'"),
        format!("check --threads 256 '{lp}'"),
    ] {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -v 200000; exec '{bin}' {args}"))
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(err.contains("cannot start a worker thread"), "{err}");
        assert!(err.contains("--threads"), "{err}");
    }
}
