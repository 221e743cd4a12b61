//! Input limits: inputs that end early, never end, change while read, or hold
//! records too long for memory.

use crate::support::{
    argv, assert_exit, assert_stderr_has, gzip, replay, run_lpconvert, spawn_lpconvert, stderr,
    wait_until, write_text, TempDir, BIN,
};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const HOME_SCHEMA: &str = "measurement = \"home\"\nprecision = \"s\"\n\n[timestamp]\ncolumn = \"time\"\nformat = \"unix_s\"\n\n[tags]\nroom = \"room\"\n\n[fields]\ntemp = \"float\"\n";

/// Runs `lpconvert ARGS` with stdin read from `stdin`.
fn run_with_stdin(args: &[&str], stdin: &str) -> Output {
    Command::new(BIN)
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
    let toml = format!("{HOME_SCHEMA}\n[csv]\nskip_rows = 99999999999\n");
    let s = write_text(&dir, "s.toml", &toml);
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
        assert_exit(&out, 2);
        assert_stderr_has(
            &out,
            "has 2 lines, fewer than [csv] skip_rows = 99999999999",
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn thread_spawn_failure_exits_2_with_a_message_not_a_panic() {
    let dir = TempDir::new("spawnfail");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    // Enough 100-byte chunks that the reader waits for the collector, so the workers
    // started first are all alive (waiting for work) while the others start.
    let rows: String = (0..20_000).map(|i| format!("{i},k,1.5\n")).collect();
    let csv = write_text(&dir, "a.csv", &format!("time,room,temp\n{rows}"));
    let points: String = (0..20_000).map(|i| format!("m f=1 {i}\n")).collect();
    let lp = write_text(&dir, "a.lp", &points);
    let bin = env!("CARGO_BIN_EXE_lpconvert");
    // 128 thread stacks (2 MiB each) do not fit in 100 MB of address space, where a few do;
    // one malloc arena, so that only the stacks run out. SIGSEGV and SIGBUS ignored at exec:
    // Rust's runtime then installs no stack-overflow handler, so a thread needs no alternative
    // signal stack, whose failed allocation would abort the thread's start (a race with the
    // stack's own mmap that a bigger binary lost in about half the runs).
    for args in [
        format!("convert --threads 128 --chunk-size 100 -s '{s}' '{csv}'"),
        format!("check --threads 128 --chunk-size 100 '{lp}'"),
    ] {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "trap '' SEGV BUS; ulimit -v 100000; MALLOC_ARENA_MAX=1 exec '{bin}' {args}"
            ))
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert_stderr_has(&out, "cannot start a worker thread");
        assert_stderr_has(&out, "--threads");
    }
}

/// Writes `rows` CSV rows of the home schema to `dir/name`.
fn big_csv(dir: &TempDir, name: &str, rows: usize) -> String {
    let mut text = String::with_capacity(rows * 32 + 20);
    text.push_str("time,room,temp\n");
    for i in 0..rows {
        text.push_str(&format!(
            "{},kitchen-{},{}.5\n",
            1_600_000_000 + i,
            i % 7,
            i % 90
        ));
    }
    write_text(dir, name, &text)
}

/// Starts `lpconvert ARGS`, waits until it has mapped `victim` and then `delay`, runs
/// `change`, and waits for the end.
fn change_while_running(
    args: &[&str],
    victim: &str,
    delay: Duration,
    change: impl FnOnce(),
) -> Output {
    let child = spawn_lpconvert(args);
    let maps = format!("/proc/{}/maps", child.id());
    wait_until(Duration::from_secs(20), Duration::from_millis(1), || {
        std::fs::read_to_string(&maps)
            .unwrap_or_default()
            .contains(victim)
    });
    std::thread::sleep(delay);
    change();
    child.wait_with_output().unwrap()
}

#[test]
fn truncated_mapped_input_exits_2_not_sigbus() {
    let dir = TempDir::new("truncate");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    let rows = 1_500_000;
    let base = big_csv(&dir, "base.csv", rows);
    let base_lp = dir.join("base.lp").display().to_string();
    let full = run_lpconvert("convert", &["-s", &s, &base, "-o", &base_lp], &[]);
    assert_exit(&full, 0);
    let mut caught = 0;
    for (i, ms) in [0u64, 50, 200, 400, 800].into_iter().enumerate() {
        let input = dir.join(format!("in{i}.csv")).display().to_string();
        let lp = dir.join(format!("in{i}.lp")).display().to_string();
        let out = dir.join(format!("out{i}.lp")).display().to_string();
        std::fs::copy(&base, &input).unwrap();
        std::fs::copy(&base_lp, &lp).unwrap();
        let cases: [(Vec<&str>, &str); 2] = [
            (
                vec!["convert", "-s", &s, &input, "-o", &out, "--threads", "2"],
                &input,
            ),
            (vec!["check", &lp, "--threads", "2"], &lp),
        ];
        for (args, victim) in cases {
            let victim = victim.to_string();
            let o = change_while_running(&args, &victim, Duration::from_millis(ms), || {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&victim)
                    .unwrap();
                let len = f.metadata().unwrap().len();
                f.set_len(len / 3).unwrap();
            });
            let err = stderr(&o);
            assert!(
                o.status.code().is_some(),
                "{args:?} killed by a signal: {:?} {err}",
                o.status
            );
            if o.status.code() == Some(0) {
                // Finished before the truncation: every row is there.
                if args[0] == "convert" {
                    let n = std::fs::read_to_string(&out).unwrap().lines().count();
                    assert_eq!(n, rows, "{args:?} exit 0 with lost rows");
                } else {
                    assert_stderr_has(&o, &format!("{rows} lines"));
                }
            } else {
                assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
                assert!(
                    err.contains(&format!("{victim} changed while being read")),
                    "{err}"
                );
                caught += 1;
            }
        }
    }
    assert!(
        caught > 0,
        "no run saw the truncation: make the input bigger"
    );
}

#[test]
fn input_that_grows_while_read_exits_2() {
    let dir = TempDir::new("grow");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    let input = big_csv(&dir, "in.csv", 1_500_000);
    let o = change_while_running(
        &["convert", "-s", &s, &input],
        &input,
        Duration::from_millis(30),
        || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&input)
                .unwrap();
            f.write_all(b"1,late,1.5\n").unwrap();
        },
    );
    assert_exit(&o, 2);
    assert_stderr_has(&o, "changed while being read");
    assert_stderr_has(&o, "size went from");
}

/// Runs `lpconvert ARGS` under a 2 GB address-space limit (the old code asked for 4 GiB).
fn run_bounded(args: &[&str]) -> Output {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v 2000000; exec '{}' {}",
            env!("CARGO_BIN_EXE_lpconvert"),
            quoted.join(" ")
        ))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn dev_zero_input_ends_with_a_clear_error_in_bounded_memory() {
    let dir = TempDir::new("devzero");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    let toml = format!("format = \"ndjson\"\n{HOME_SCHEMA}");
    let nd = write_text(&dir, "n.toml", &toml);
    for args in [
        vec!["convert", "-s", &s, "/dev/zero"],
        vec!["convert", "-s", &nd, "/dev/zero"],
        vec!["check", "/dev/zero"],
        vec!["infer", "/dev/zero"],
    ] {
        let out = run_bounded(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("is not text: 65536 of its first 65536 bytes are NUL"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn endless_stream_without_record_end_stops_in_bounded_memory() {
    let dir = TempDir::new("noend");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    let toml = format!("format = \"ndjson\"\n{HOME_SCHEMA}");
    let nd = write_text(&dir, "n.toml", &toml);
    let x = write_text(&dir, "x.txt", &"x".repeat(20 << 20));
    let csv_text = format!("time,room,temp\n1,\"{}", "x".repeat(20 << 20));
    let q = write_text(&dir, "q.csv", &csv_text);
    for (args, input, says) in [
        (
            vec!["convert", "-s", &s, "-"],
            &x,
            "<stdin>:1:1: the start of the file (skipped rows, header) is longer than \
             --max-record-size (1048576 bytes)",
        ),
        (
            vec!["convert", "-s", &s, "-"],
            &q,
            "<stdin>:2:1: record longer than --max-record-size (1048576 bytes)",
        ),
        (
            vec!["convert", "-s", &nd, "-"],
            &x,
            "<stdin>:1:1: record longer than --max-record-size (1048576 bytes)",
        ),
        (
            vec!["check", "-"],
            &x,
            "<stdin>:1:1: record longer than --max-record-size (1048576 bytes)",
        ),
    ] {
        let mut args = args.clone();
        args.extend(["--max-record-size", "1M"]);
        let out = run_with_stdin(&args, input);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn schema_from_dev_zero_is_refused_without_reading_it_all() {
    let dir = TempDir::new("schemazero");
    let input = write_text(&dir, "a.csv", "time,room,temp\n1,k,1.5\n");
    let out = run_bounded(&["convert", "-s", "/dev/zero", &input]);
    assert_exit(&out, 2);
    assert_stderr_has(
        &out,
        "/dev/zero is longer than 4 MiB, too long for a schema",
    );
    let big = dir.join("big.toml");
    std::fs::write(&big, format!("{HOME_SCHEMA}#{}\n", "x".repeat(5 << 20))).unwrap();
    let big = big.display().to_string();
    let out = run_lpconvert("convert", &["-s", &big, &input], &[]);
    assert_exit(&out, 2);
    assert_stderr_has(&out, "too long for a schema");
}

#[test]
fn record_longer_than_max_record_size_is_a_row_error_naming_its_line() {
    let dir = TempDir::new("maxrecord");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    let toml = format!("format = \"ndjson\"\n{HOME_SCHEMA}");
    let nd = write_text(&dir, "n.toml", &toml);
    // Longer than the first read of a stream (64 KiB): the reader must skip it, not buffer it.
    let long = "x".repeat(200_000);
    let csv_text = format!("time,room,temp\n1,a,1\n2,{long},1\n3,a,1\n");
    let csv = write_text(&dir, "a.csv", &csv_text);
    let ndjson = write_text(
        &dir,
        "a.ndjson",
        &format!(
            "{{\"time\":1,\"room\":\"a\",\"temp\":1}}\n{{\"time\":2,\"room\":\"{long}\",\"temp\":1}}\n{{\"time\":3,\"room\":\"a\",\"temp\":1}}\n"
        ),
    );
    let lp_text = format!("m f=1 1\nm s=\"{long}\" 2\nm f=3 3\n");
    let lp = write_text(&dir, "a.lp", &lp_text);
    for chunk in ["4M", "100"] {
        let limits = ["--max-record-size", "100K", "--chunk-size", chunk];
        for (schema, input, line) in [(&s, &csv, 3), (&nd, &ndjson, 2)] {
            for from_stdin in [false, true] {
                let mut args = vec!["convert", "-s", schema, "--on-error", "skip"];
                args.extend(limits);
                let out = if from_stdin {
                    args.push("-");
                    run_with_stdin(&args, input)
                } else {
                    args.push(input);
                    run_lpconvert(args[0], &args[1..], &[])
                };
                let err = stderr(&out);
                assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
                assert!(
                    err.contains(&format!(
                        ":{line}:1: record longer than --max-record-size (102400 bytes)"
                    )),
                    "{args:?}: {err}"
                );
                let text = String::from_utf8_lossy(&out.stdout);
                assert_eq!(text.lines().count(), 2, "{args:?}: {text}");
                assert!(
                    text.ends_with(" 3\n"),
                    "reading went on after the long record: {text}"
                );
            }
        }
        for from_stdin in [false, true] {
            let mut args = vec!["check"];
            args.extend(limits);
            let out = if from_stdin {
                args.push("-");
                run_with_stdin(&args, &lp)
            } else {
                args.push(&lp);
                run_lpconvert(args[0], &args[1..], &[])
            };
            let text = String::from_utf8_lossy(&out.stdout);
            assert_eq!(out.status.code(), Some(3), "{args:?}: {}", stderr(&out));
            assert!(
                text.contains(
                    ":2: record longer than --max-record-size (102400 bytes): 200008 bytes"
                ),
                "{text}"
            );
            assert_stderr_has(&out, "3 lines: 2 valid points, 1 invalid");
        }
    }
}

#[test]
fn check_strips_a_utf8_bom_and_says_so() {
    let dir = TempDir::new("bomcheck");
    let lp = write_text(&dir, "a.lp", "\u{feff}bomm f=1 1\nbomm f=2 2\n");
    for from_stdin in [false, true] {
        let out = if from_stdin {
            run_with_stdin(&["check", "-"], &lp)
        } else {
            run_lpconvert("check", &[&lp], &[])
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let name = if from_stdin { "<stdin>" } else { lp.as_str() };
        assert!(
            text.contains(&format!(
                "{name}: note: a UTF-8 byte order mark at the start was ignored"
            )),
            "{text}"
        );
        assert_exit(&out, 0);
        assert_stderr_has(&out, "2 lines: 2 valid points");
    }
}

#[test]
fn csv_and_ndjson_with_a_utf8_bom_find_their_first_column() {
    let dir = TempDir::new("bomconvert");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    let toml = format!("format = \"ndjson\"\n{HOME_SCHEMA}");
    let nd = write_text(&dir, "n.toml", &toml);
    let csv = write_text(&dir, "a.csv", "\u{feff}time,room,temp\n1,k,1.5\n");
    let json_text = "\u{feff}{\"time\":1,\"room\":\"k\",\"temp\":1.5}\n";
    let ndjson = write_text(&dir, "a.ndjson", json_text);
    for (schema, input) in [(&s, &csv), (&nd, &ndjson)] {
        for from_stdin in [false, true] {
            let out = if from_stdin {
                run_with_stdin(&["convert", "-s", schema, "-"], input)
            } else {
                run_lpconvert("convert", &["-s", schema, input], &[])
            };
            assert_exit(&out, 0);
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "home,room=k temp=1.5 1\n"
            );
        }
    }
}

/// `text` in UTF-16 little-endian, with a byte order mark when `bom`.
fn utf16le(text: &str, bom: bool) -> Vec<u8> {
    let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
    for u in text.encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

#[test]
fn utf16_input_without_a_mark_or_key_is_named_as_utf16_with_a_fix() {
    let dir = TempDir::new("utf16");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    for bom in [true, false] {
        let csv = dir.join(format!("a{bom}.csv"));
        std::fs::write(&csv, utf16le("time,room,temp\n1,k,1.5\n", bom)).unwrap();
        let lp = dir.join(format!("a{bom}.lp"));
        std::fs::write(&lp, utf16le("m f=1 1\n", bom)).unwrap();
        let (csv, lp) = (csv.display().to_string(), lp.display().to_string());
        for (args, stdin) in [
            (vec!["convert", "-s", &s, &csv], None),
            (vec!["convert", "-s", &s, "-"], Some(&csv)),
            (vec!["check", &lp], None),
            (vec!["check", "-"], Some(&lp)),
            (vec!["infer", &csv], None),
        ] {
            let out = match stdin {
                Some(f) => run_with_stdin(&args, f),
                None => run_lpconvert(args[0], &args[1..], &[]),
            };
            let err = stderr(&out);
            if bom && args[0] != "check" {
                // A UTF-16 byte order mark is recognised (SCHEMA.md, top-level `encoding`):
                // conversions and infer read the text; check reads line protocol as UTF-8.
                assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
                continue;
            }
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(err.contains("is UTF-16 ("), "{args:?}: {err}");
            assert!(err.contains("iconv -f UTF-16 -t UTF-8"), "{args:?}: {err}");
            assert!(!err.contains("column not in header"), "{err}");
        }
    }
}

#[test]
fn cr_only_line_endings_are_named() {
    let dir = TempDir::new("cronly");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    let csv = write_text(&dir, "a.csv", "time,room,temp\r1,k,1.5\r2,k,2.5\r");
    let lp = write_text(&dir, "a.lp", "m f=1 1\rm f=2 2\r");
    for (args, stdin) in [
        (vec!["convert", "-s", &s, &csv], None),
        (vec!["convert", "-s", &s, "-"], Some(&csv)),
        (vec!["check", &lp], None),
        (vec!["infer", &csv], None),
    ] {
        let out = match stdin {
            Some(f) => run_with_stdin(&args, f),
            None => run_lpconvert(args[0], &args[1..], &[]),
        };
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("has CR line endings (old Mac OS)"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn huge_chunk_size_on_a_stream_does_not_allocate_it_up_front() {
    // The largest --chunk-size (256M) on a 30-byte stream, under a 150 MB address-space limit:
    // a reader that allocated the chunk size before reading aborts.
    let dir = TempDir::new("hugechunk");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    let csv = write_text(&dir, "a.csv", "time,room,temp\n1,k,1.5\n");
    let lp = write_text(&dir, "a.lp", "m f=1 1\n");
    let bin = env!("CARGO_BIN_EXE_lpconvert");
    for (args, input) in [
        (
            format!("convert -s '{s}' --threads 2 --chunk-size 256M -"),
            &csv,
        ),
        ("check --threads 2 --chunk-size 256M -".to_string(), &lp),
    ] {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v 150000; MALLOC_ARENA_MAX=1 exec '{bin}' {args} < '{input}'"
            ))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args}: {}", stderr(&out));
    }
}

#[test]
fn replay_schema_takes_max_record_size() {
    let dir = TempDir::new("replaymax");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    let long = "x".repeat(3000);
    let csv_text = format!("time,room,temp\n1,a,1\n2,{long},1\n3,a,1\n");
    let csv = write_text(&dir, "a.csv", &csv_text);
    let out = replay(&argv(
        "--url http://127.0.0.1:9 --db x --dry-run --schema {} --on-error skip \
         --max-record-size 1K {}",
        &[&s, &csv],
    ));
    assert_stderr_has(
        &out,
        ":3:1: record longer than --max-record-size (1024 bytes)",
    );
    assert_stderr_has(&out, "2 lines read");
}

#[test]
fn overlong_quoted_csv_record_keeps_later_line_numbers_right() {
    let dir = TempDir::new("maxrecordlines");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    let long = "x".repeat(100_000);
    let csv_text =
        format!("time,room,temp\n1,a,1\n2,\"{long}\n{long}\n{long}\",1\n3,a,1\n4,a,warm\n");
    let csv = write_text(&dir, "a.csv", &csv_text);
    for from_stdin in [false, true] {
        let mut args = argv(
            "convert -s {} --on-error skip --max-record-size 100K --chunk-size 100",
            &[&s],
        );
        let out = if from_stdin {
            args.push("-");
            run_with_stdin(&args, &csv)
        } else {
            args.push(&csv);
            run_lpconvert(args[0], &args[1..], &[])
        };
        let err = stderr(&out);
        assert_exit(&out, 3);
        assert_stderr_has(&out, ":3:1: record longer than --max-record-size");
        assert!(
            err.contains(":7:"),
            "the bad row after it is on line 7: {err}"
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "home,room=a temp=1 1\nhome,room=a temp=1 3\n"
        );
    }
}

#[test]
fn input_rewritten_in_place_while_read_exits_2() {
    let dir = TempDir::new("rewrite");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    let input = big_csv(&dir, "in.csv", 1_500_000);
    let o = change_while_running(
        &["convert", "-s", &s, &input],
        &input,
        Duration::from_millis(30),
        || {
            use std::io::{Seek, SeekFrom, Write};
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(&input)
                .unwrap();
            f.seek(SeekFrom::Start(15)).unwrap();
            f.write_all(b"9").unwrap();
        },
    );
    assert_exit(&o, 2);
    assert_stderr_has(&o, "changed while being read (it was written to");
}

#[test]
fn header_longer_than_max_record_size_is_refused_mapped_or_streamed() {
    let dir = TempDir::new("longheader");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    let csv_text = format!("time,room,temp,{}\n1,a,1,x\n", "y".repeat(2000));
    let csv = write_text(&dir, "a.csv", &csv_text);
    let mapped = run_lpconvert("convert", &["-s", &s, "--max-record-size", "1K", &csv], &[]);
    let streamed = run_with_stdin(&["convert", "-s", &s, "--max-record-size", "1K", "-"], &csv);
    for out in [mapped, streamed] {
        assert_exit(&out, 2);
        assert_stderr_has(
            &out,
            ":1:1: the start of the file (skipped rows, header) is longer than",
        );
    }
}

#[test]
fn sigbus_sent_by_another_process_still_ends_the_run() {
    use std::os::unix::process::ExitStatusExt;
    let dir = TempDir::new("sigbuskill");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    // Over 64 KiB, so that it is mapped, not read whole.
    let rows: String = (0..10_000).map(|i| format!("{i},k,1.5\n")).collect();
    let input = write_text(&dir, "a.csv", &format!("time,room,temp\n{rows}"));
    // a.csv is mapped first (the SIGBUS handler is installed), then stdin, a pipe that
    // stays open, is read: the run waits there for the signal.
    let mut child = Command::new(BIN)
        .args(["convert", "-s", &s, &input, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let wchan = format!("/proc/{}/wchan", child.id());
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if std::fs::read_to_string(&wchan).is_ok_and(|w| w.contains("pipe")) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: kill(2) with the id of our own child process.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGBUS) };
    assert_eq!(sent, 0);
    // Before the fix the handler swallowed the signal: the run went on, and ended with exit
    // 0 once stdin closed.
    std::thread::sleep(Duration::from_millis(300));
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGBUS),
        "{:?} {}",
        out.status,
        stderr(&out)
    );
}

/// Converts `input` mapped (by name) and streamed (stdin, 1-byte chunks, so that a
/// record over `max` bytes is skipped while read) with `--max-record-size max`; asserts
/// both give the same exit code, lines and messages (the input's name aside), and
/// returns the mapped run's exit code and stderr.
fn same_mapped_and_streamed(
    schema: &str,
    input: &str,
    format: &str,
    max: &str,
) -> (Option<i32>, String) {
    let common = ["--on-error", "skip", "--max-record-size", max];
    let mapped = run_lpconvert(
        "convert",
        &[&["-s", schema, input][..], &common].concat(),
        &[],
    );
    let streamed = run_with_stdin(
        &[
            &argv(
                "convert -s {} --format {} --chunk-size 1 -",
                &[schema, format],
            )[..],
            &common,
        ]
        .concat(),
        input,
    );
    // The summary's timing differs from run to run.
    let messages = |o: &Output, name: &str| -> Vec<String> {
        stderr(o)
            .lines()
            .map(|l| l.replace(name, "INPUT"))
            .map(|l| l.split(" in ").next().unwrap_or_default().to_string())
            .collect()
    };
    let (m, s) = (messages(&mapped, input), messages(&streamed, "<stdin>"));
    assert_eq!(m, s, "mapped vs streamed messages");
    assert_eq!(
        String::from_utf8_lossy(&mapped.stdout),
        String::from_utf8_lossy(&streamed.stdout),
        "mapped vs streamed lines"
    );
    assert_eq!(mapped.status.code(), streamed.status.code(), "{m:?}");
    (mapped.status.code(), m.join("\n"))
}

#[test]
fn streamed_overlong_csv_field_with_a_stray_quote_keeps_the_rows_after_it() {
    // A quote inside an unquoted field is a literal byte: the record ends at its line feed.
    // Skipped on a stream by counting quotes, it swallowed the next rows up to another
    // stray quote (2 rows read instead of 4, exit 3), or to the end (exit 2).
    let dir = TempDir::new("strayquote");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    let long = "x".repeat(100_000);
    for tail in ["2,k,2.5\n3,k,3\"\n4,k,4.5\n", "2,k,2.5\n3,k,3.5\n"] {
        let csv_text = format!("time,room,temp\n1,k,5\"{long}\n{tail}");
        let input = write_text(&dir, "a.csv", &csv_text);
        let (code, err) = same_mapped_and_streamed(&s, &input, "csv", "1000");
        assert_eq!(code, Some(3), "{err}");
        assert!(
            err.contains("INPUT:2:1: record longer than --max-record-size (1000 bytes)"),
            "{err}"
        );
        let read = tail.lines().count() + 1;
        assert!(err.contains(&format!("{read} rows read")), "{err}");
    }
}

#[test]
fn streamed_overlong_record_with_comments_or_escapes_is_a_row_error_like_mapped() {
    // With `comment` or `escape` the stream could not find the record's end and stopped
    // the run (exit 2, "a quote that never closes?"); mapped, the record is one row error.
    let dir = TempDir::new("overlongdialect");
    let long = "y".repeat(100_000);
    for extra in ["comment = \"#\"", "escape = \"\\\\\""] {
        let s = write_text(&dir, "s.toml", &format!("{HOME_SCHEMA}\n[csv]\n{extra}\n"));
        let csv_text = format!("time,room,temp\n1,k,1.5\n2,\"{long}\",2.5\n3,k,3.5\n");
        let input = write_text(&dir, "a.csv", &csv_text);
        let (code, err) = same_mapped_and_streamed(&s, &input, "csv", "1000");
        assert_eq!(code, Some(3), "{extra}: {err}");
        assert!(err.contains("INPUT:3:1: record longer than"), "{err}");
        assert!(err.contains("3 rows read, 2 lines written"), "{err}");
    }
    // Comment lines longer than the limit are not rows, mapped or streamed.
    let toml = format!("{HOME_SCHEMA}\n[csv]\ncomment = \"#\"\n");
    let s = write_text(&dir, "s.toml", &toml);
    let csv_text = format!("time,room,temp\n#{long}\n#{long}\n1,k,1.5\n#{long}");
    let input = write_text(&dir, "c.csv", &csv_text);
    let (code, err) = same_mapped_and_streamed(&s, &input, "csv", "1000");
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("1 rows read, 1 lines written"), "{err}");
}

#[test]
fn overlong_unterminated_quote_at_the_end_is_one_row_error_mapped_or_streamed() {
    // Mapped: a row error "unterminated quoted field" (exit 3); streamed: the run stopped
    // (exit 2). Both now: a row error naming the record too long and the open quote.
    let dir = TempDir::new("overlongopen");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    let long = "z,".repeat(50_000);
    let csv_text = format!("time,room,temp\n1,k,1.5\n2,\"{long}\n3,k,3.5\n");
    let input = write_text(&dir, "a.csv", &csv_text);
    let (code, err) = same_mapped_and_streamed(&s, &input, "csv", "1000");
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains(
            "INPUT:3:1: record longer than --max-record-size (1000 bytes): 100011 bytes, with \
             no record end found (a quote that never closes?)"
        ),
        "{err}"
    );
    assert!(err.contains("2 rows read, 1 lines written"), "{err}");
}

#[test]
fn overlong_blank_ndjson_line_counts_alike_mapped_or_streamed() {
    // Mapped, a blank line longer than the limit was passed over; streamed it was a row
    // error, and at the start of the input the run stopped ("the start of the file ... is
    // longer than --max-record-size").
    let dir = TempDir::new("overlongblank");
    let toml = "measurement = \"m\"\nformat = \"ndjson\"\n[fields]\nv = { path = \"/v\", type = \"integer\" }\n";
    let s = write_text(&dir, "s.toml", toml);
    let blank = " ".repeat(100_000);
    for text in [
        format!("{{\"v\":1}}\n{blank}\n{{\"v\":2}}\n"),
        format!("{blank}\n{{\"v\":1}}\n{{\"v\":2}}\n"),
    ] {
        let input = write_text(&dir, "a.ndjson", &text);
        let (code, err) = same_mapped_and_streamed(&s, &input, "ndjson", "1000");
        assert_eq!(code, Some(3), "{err}");
        assert!(err.contains("3 rows read, 2 lines written"), "{err}");
    }
}

#[test]
fn streamed_overlong_json_array_element_is_a_row_error_like_mapped() {
    // A stream stopped the run (exit 2, "no element end found") where the mapped file
    // rejects the element and goes on; now the stream skips the element too, and names the
    // same line and column.
    let dir = TempDir::new("overlongelement");
    let toml = "measurement = \"m\"\nformat = \"ndjson\"\n[fields]\nv = { path = \"/v\", type = \"string\" }\n";
    let s = write_text(&dir, "s.toml", toml);
    let long = "b\\\"]}".repeat(25_000);
    let json_text = format!("[{{\"v\":\"a\"}}, \n  {{\"v\":\"{long}\"}} , {{\"v\":\"c\"}},\n[{long:?}], {{\"v\":\"d\"}}]\n");
    let input = write_text(&dir, "a.json", &json_text);
    let (code, err) = same_mapped_and_streamed(&s, &input, "ndjson", "1000");
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("INPUT:2:3: record longer than"), "{err}");
    assert!(err.contains("INPUT:3:1: record longer than"), "{err}");
    assert!(err.contains("5 rows read, 3 lines written"), "{err}");
}

#[test]
fn gz_input_appended_to_while_read_exits_2() {
    // A .gz input is read as a stream: a gzip member appended while it was read was
    // converted too, and the run ended with exit 0 as if the file had been read whole.
    use std::io::{Read, Write};
    let dir = TempDir::new("gzchanged");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    let csv = big_csv(&dir, "a.csv", 1_000_000);
    let gz_path = dir.join("a.csv.gz");
    std::fs::write(&gz_path, gzip(&std::fs::read(&csv).unwrap())).unwrap();
    let gz = gz_path.display().to_string();
    let mut child = spawn_lpconvert(&argv(
        "convert -s {} {} --threads 1 --chunk-size 1",
        &[&s, &gz],
    ));
    // The first line out: the file is open and being read. Its output is not drained,
    // so the run soon waits on the full pipe, most of the file still unread.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&gz_path)
        .unwrap()
        .write_all(&gzip(b"1,k,1.5\n"))
        .unwrap();
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_exit(&out, 2);
    assert!(
        err.contains(&format!("{gz} changed while being read")),
        "{err}"
    );
    // Named once, not "a.csv.gz: a.csv.gz changed".
    assert!(!err.contains(&format!("{gz}: {gz}")), "{err}");
}

#[test]
fn stdin_from_a_regular_file_appended_to_while_read_exits_2() {
    // `lpconvert -s s.toml - < data.csv` read the rows appended while it ran and ended with
    // exit 0: standard input from a regular file is now watched like a named input.
    use std::io::{Read, Write};
    let dir = TempDir::new("stdinchanged");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    let csv = big_csv(&dir, "a.csv", 1_000_000);
    let mut child = Command::new(BIN)
        .args(["convert", "-s", &s, "--format", "csv", "-"])
        .args(["--threads", "1", "--chunk-size", "1"])
        .stdin(std::fs::File::open(&csv).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Output not drained: the run soon waits on the full pipe, most of the file unread.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&csv)
        .unwrap()
        .write_all(b"1,k,1.5\n")
        .unwrap();
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 2);
    assert_stderr_has(&out, "<stdin> changed while being read");
}

#[test]
fn csv_line_of_commas_is_read_in_bounded_memory() {
    // 24 bytes were kept per cell: an 80 MB line of commas (80 million cells, longer than
    // --max-record-size or not) asked for gigabytes and aborted under a 2 GB limit. Cells
    // past a million are now counted, not kept; a header that wide is refused.
    let dir = TempDir::new("commas");
    let s = write_text(&dir, "s.toml", HOME_SCHEMA);
    let commas = ",".repeat(80 << 20);
    let csv_text = format!("time,room,temp\n1,k,1.5\n2{commas}\n3,k,3.5\n");
    let rows = write_text(&dir, "rows.csv", &csv_text);
    for max in ["64M", "100M"] {
        let out = run_bounded(&argv(
            "convert -s {} {} --threads 1 --on-error skip --max-record-size {}",
            &[&s, &rows, max],
        ));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{max}: {:?} {err}", out.status);
        assert_stderr_has(&out, "3 rows read, 2 lines written");
        if max == "100M" {
            assert!(
                err.contains(&format!(
                    "{rows}:3:4: the row has 83886081 cells but the header has 3"
                )),
                "{err}"
            );
        }
    }
    let header = write_text(&dir, "header.csv", &format!("time{commas}\n1\n"));
    let out = run_bounded(&["convert", "-s", &s, &header, "--max-record-size", "100M"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{:?} {err}", out.status);
    assert_stderr_has(
        &out,
        "the header has 83886081 columns, more than lpconvert reads (1048576)",
    );
}

#[test]
fn check_of_an_input_that_fails_midway_counts_the_lines_it_checked() {
    // A .gz cut in half: check printed the bad lines of the first half, then summed up
    // "0 lines: 0 valid points, 0 invalid".
    use std::io::Write as _;
    let dir = TempDir::new("check-fails-midway");
    let mut text = String::new();
    for i in 0..200_000u64 {
        if i % 1000 == 0 {
            text.push_str("bad line\n");
        } else {
            text.push_str(&format!("m,t=a f={i}i {i}\n"));
        }
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    let path = dir.join("cut.lp.gz");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let o = run_lpconvert(
        "check",
        &["--chunk-size", "64K", path.to_str().unwrap()],
        &[],
    );
    assert_exit(&o, 2);
    let printed = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.contains("needs the form key=value"))
        .count();
    assert!(printed > 10, "{printed}");
    let e = stderr(&o);
    let summary = e
        .lines()
        .find(|l| l.contains(" valid points, "))
        .unwrap_or_else(|| panic!("no summary: {e}"));
    assert!(
        summary.contains(&format!(", {printed} invalid,")),
        "every bad line printed is counted: {summary}"
    );
    let lines: u64 = summary.split(' ').next().unwrap().parse().unwrap();
    assert!(lines >= printed as u64 * 1000 - 1000, "{summary}");
    assert!(
        e.contains("incomplete") || e.contains("not finished"),
        "{e}"
    );
}

#[test]
fn stdin_that_writes_many_lines_per_byte_stays_within_the_memory_budget() {
    // 60 x 60 crossed globs: each 470-byte row writes 3,600 lines (about 170 MB from 0.7 MB).
    // The stream's first read held the whole input and went out as one chunk, so all its
    // output was in memory at once (about 180 MiB); it is now cut to the budget's chunk
    // size as a mapped input is (about 80 MiB in a release build).
    let dir = TempDir::new("ratio-stdin");
    let s = write_text(
        &dir,
        "s.toml",
        "measurement = \"pair\"\nformat = \"csv\"\n[tags]\na = { key_of = \"a*\" }\n\
         b = { key_of = \"b*\" }\n[fields]\nav = { column = \"a*\", type = \"integer\" }\n\
         bv = { column = \"b*\", type = \"integer\" }\n",
    );
    let header: Vec<String> = (0..60)
        .map(|i| format!("a{i}"))
        .chain((0..60).map(|i| format!("b{i}")))
        .collect();
    let mut text = header.join(",") + "\n";
    for r in 0..1500 {
        let row: Vec<String> = (0..120).map(|i| ((r + i) % 1000).to_string()).collect();
        text.push_str(&row.join(","));
        text.push('\n');
    }
    let csv = write_text(&dir, "x.csv", &text);
    let mut child = Command::new(env!("CARGO_BIN_EXE_lpconvert"))
        .args(["-q", "--threads", "2", "-s", &s])
        .stdin(std::fs::File::open(&csv).unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    let status = loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            if let Some(kib) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak_kib = peak_kib.max(kib);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    assert!(status.success(), "{status:?}");
    assert!(peak_kib > 0, "no /proc reading");
    assert!(
        peak_kib < 140 * 1024,
        "peak RSS {} MiB on stdin",
        peak_kib / 1024
    );
}
