//! `--threads N`: N threads read and convert (the reader converts too), beside the calling
//! thread that writes; the output does not depend on N.

use crate::support::{
    assert_exit, code, gzip, lpconvert_command, run_in, stderr, stdout, wait_until, write_in,
    TempDir,
};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const SCHEMA: &str = "measurement = \"m\"\nformat = \"csv\"\non_error = \"skip\"\n\
                      string_newlines = \"escape\"\n\
                      [tags]\nhost = { column = \"host\" }\n\
                      [fields]\nv = { column = \"v\", type = \"integer\" }\n\
                      s = { column = \"s\", type = \"string\" }\n\
                      [timestamp]\ncolumn = \"t\"\nformat = \"unix_s\"\n";

/// A CSV of `rows` rows with quoted cells holding line feeds and commas.
fn csv(rows: usize) -> String {
    let mut text = String::from("host,v,s,t\n");
    for r in 0..rows {
        let s = match r % 5 {
            0 => "\"a\nb\"".to_string(),
            1 => "\"x,y\"\"z\"".to_string(),
            _ => format!("s{r}"),
        };
        text.push_str(&format!("h{},{r},{s},{}\n", r % 13, 1_600_000_000 + r));
    }
    text
}

/// The threads of process `pid`.
fn threads_of(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |d| d.count())
}

#[test]
fn threads_n_starts_n_threads_that_read_and_convert_beside_the_writer() {
    let dir = TempDir::new("threads-count");
    write_in(&dir, "s.toml", SCHEMA);
    let data = csv(2_000);
    write_in(&dir, "a.csv", &data);
    let want = stdout(&run_in(&dir, &["-s", "s.toml", "-q", "a.csv"], None));
    assert_eq!(want.lines().count(), 2_000);
    for n in [1usize, 3] {
        let fifo = dir.join(format!("in{n}.csv"));
        assert!(Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let out = dir.join(format!("out{n}.lp"));
        let child = lpconvert_command()
            .current_dir(&*dir)
            .args(["-s", "s.toml", "-q", "--threads", &n.to_string(), "-o"])
            .arg(&out)
            .arg(&fifo)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Every thread is started before the reader opens the FIFO, where it waits.
        let pid = child.id();
        wait_until(Duration::from_secs(10), Duration::from_millis(10), || {
            threads_of(pid) > n
        });
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(
            threads_of(pid),
            n + 1,
            "--threads {n}: the writer and {n} that read and convert"
        );
        let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
        w.write_all(data.as_bytes()).unwrap();
        drop(w);
        let o = child.wait_with_output().unwrap();
        assert_exit(&o, 0);
        assert!(
            std::fs::read_to_string(&out).unwrap() == want,
            "--threads {n}"
        );
    }
}

/// Converts `input` (a path, or stdin) with `threads` and `chunk`.
fn run(
    dir: &Path,
    input: Option<&str>,
    stdin: Option<&[u8]>,
    threads: &str,
    chunk: &str,
) -> String {
    let mut args = vec!["-s", "s.toml", "-q", "--format", "csv"];
    args.extend(["--threads", threads, "--chunk-size", chunk]);
    args.extend(input);
    let o = run_in(dir, &args, stdin);
    assert_exit(&o, 0);
    stdout(&o)
}

#[test]
fn the_output_is_the_same_for_any_thread_count_on_files_and_on_stdin() {
    let dir = TempDir::new("threads-same");
    write_in(&dir, "s.toml", SCHEMA);
    let data = csv(3_000);
    write_in(&dir, "a.csv", &data);
    let want = run(&dir, Some("a.csv"), None, "1", "1M");
    assert_eq!(want.lines().count(), 3_000);
    for threads in ["1", "2", "3", "8"] {
        for chunk in ["1", "700", "64K"] {
            let what = format!("--threads {threads} --chunk-size {chunk}");
            assert!(
                run(&dir, Some("a.csv"), None, threads, chunk) == want,
                "{what}"
            );
            assert!(
                run(&dir, None, Some(data.as_bytes()), threads, chunk) == want,
                "stdin {what}"
            );
        }
    }
}

/// A CSV of `rows` rows whose row 10 holds a quote inside an unquoted cell (`a"b`), which makes
/// the fast cut (quote parity) wrong at the next quoted cell holding a line feed (every 97th).
fn stray_quote_csv(rows: usize) -> String {
    let mut data = String::from("host,v,s,t\n");
    for r in 0..rows {
        let s = match r {
            10 => "a\"b".to_string(),
            _ if r % 97 == 0 => "\"x\ny\"".to_string(),
            _ => format!("s{r}"),
        };
        data.push_str(&format!("h{},{r},{s},{}\n", r % 13, 1_600_000_000 + r));
    }
    data
}

/// A quote inside an unquoted cell makes the fast cut (quote parity) wrong further on; on a
/// stream, the pieces from the wrong cut on are gathered back in input order, though the
/// threads hand them back in any order.
#[test]
fn a_wrong_cut_of_a_stream_is_read_again_in_input_order_with_many_threads() {
    let dir = TempDir::new("threads-recut");
    write_in(&dir, "s.toml", SCHEMA);
    let data = stray_quote_csv(4_000);
    write_in(&dir, "a.csv", &data);
    let want = run(&dir, Some("a.csv"), None, "1", "1M");
    assert_eq!(want.lines().count(), 4_000);
    for round in 0..10 {
        for threads in ["3", "8"] {
            let got = run(&dir, None, Some(data.as_bytes()), threads, "2K");
            assert!(got == want, "round {round}, --threads {threads}");
        }
    }
}

/// A `.gz` cut short fails with its read error even when a fast cut before the error proves
/// wrong after the error was sent: the collector dropped the error with the pieces it cut
/// again, and the run ended 3 with a bogus reject, the error unsaid, the next input gone.
#[test]
fn a_truncated_gz_with_a_wrong_cut_fails_with_its_read_error_with_many_threads() {
    let dir = TempDir::new("threads-recut-read-error");
    write_in(&dir, "s.toml", SCHEMA);
    let data = stray_quote_csv(8_000);
    let gz = gzip(data.as_bytes());
    write_in(&dir, "t.csv.gz", &gz[..gz.len() * 3 / 4]);
    write_in(&dir, "b.csv", "host,v,s,t\nh,1,s,1600000000\n");
    for round in 0..4 {
        for threads in ["2", "3", "8"] {
            let args = ["-s", "s.toml", "-q", "--threads", threads];
            let args = [&args[..], &["--chunk-size", "64K", "t.csv.gz", "b.csv"]].concat();
            let o = run_in(&dir, &args, None);
            let what = format!("round {round}, --threads {threads}: {}", stderr(&o));
            assert_eq!(code(&o), 2, "{what}");
            assert!(stderr(&o).contains("t.csv.gz: "), "{what}");
            assert!(!stderr(&o).contains("rejected"), "{what}");
        }
    }
}

/// A stream that fails part way (a `.gz` cut short) converts every record read whole before
/// its error, whatever the chunk size and thread count: the pieces read before the error
/// were dropped with it, so 0 to all of the rows were written depending on where chunks fell.
#[test]
fn a_stream_failing_part_way_converts_the_same_rows_before_its_error_for_any_chunking() {
    let dir = TempDir::new("threads-read-error-rows");
    write_in(&dir, "s.toml", SCHEMA);
    let data = csv(8_000);
    let gz = gzip(data.as_bytes());
    write_in(&dir, "t.csv.gz", &gz[..gz.len() * 3 / 4]);
    let whole = stdout(&run_in(
        &dir,
        &["-s", "s.toml", "-q", "--format", "csv"],
        Some(data.as_bytes()),
    ));
    let mut first: Option<String> = None;
    for threads in ["1", "2", "8"] {
        for chunk in ["100", "2K", "64K", "16M"] {
            let args = [
                "-s",
                "s.toml",
                "-q",
                "--threads",
                threads,
                "--chunk-size",
                chunk,
                "t.csv.gz",
            ];
            let o = run_in(&dir, &args, None);
            let what = format!("--threads {threads} --chunk-size {chunk}: {}", stderr(&o));
            assert_eq!(code(&o), 2, "{what}");
            assert!(stderr(&o).contains("t.csv.gz"), "{what}");
            let got = stdout(&o);
            assert!(whole.starts_with(&got), "a prefix of the whole: {what}");
            match &first {
                None => {
                    assert!(
                        got.lines().count() > 4_000,
                        "{} lines: {what}",
                        got.lines().count()
                    );
                    first = Some(got);
                }
                Some(f) => assert!(
                    &got == f,
                    "{} lines, not {}: {what}",
                    got.lines().count(),
                    f.lines().count()
                ),
            }
        }
    }
}

/// A stream failing part way after a quote in an unquoted cell: the fast cut of what was read
/// before the error falls inside a record, and the bytes after it were dropped there, so the
/// pass that reads again from that cut lost the rows read whole after it (with 16M chunks up
/// to 96 fewer rows than with 100-byte chunks).
#[test]
fn a_stream_failing_part_way_after_a_wrong_cut_converts_the_same_rows_for_any_chunking() {
    let dir = TempDir::new("threads-read-error-wrong-cut");
    write_in(&dir, "s.toml", SCHEMA);
    let data = stray_quote_csv(8_000);
    let gz = gzip(data.as_bytes());
    write_in(&dir, "t.csv.gz", &gz[..gz.len() * 3 / 4]);
    let whole = run(&dir, None, Some(data.as_bytes()), "1", "1M");
    let mut first: Option<String> = None;
    for threads in ["1", "3"] {
        for chunk in ["100", "2K", "64K", "16M"] {
            let args = ["-s", "s.toml", "-q", "--threads", threads];
            let args = [&args[..], &["--chunk-size", chunk, "t.csv.gz"]].concat();
            let o = run_in(&dir, &args, None);
            let what = format!("--threads {threads} --chunk-size {chunk}: {}", stderr(&o));
            assert_eq!(code(&o), 2, "{what}");
            assert!(stderr(&o).contains("t.csv.gz: "), "{what}");
            let got = stdout(&o);
            assert!(whole.starts_with(&got), "a prefix of the whole: {what}");
            match &first {
                None => first = Some(got),
                Some(f) => assert!(
                    &got == f,
                    "{} lines, not {}: {what}",
                    got.lines().count(),
                    f.lines().count()
                ),
            }
        }
    }
}
