//! Replay's control: inputs, checkpoints (and the options a resume must repeat), signals,
//! flushing, and option ranges of `lpconvert replay` (and bench's option ranges, a tiny
//! `--rate` or `--pace`).

use crate::support::{
    argv, assert_exit, assert_stderr_has, bench, points, replay, replay_within, report,
    send_signal, spawn_lpconvert, start_influxdb, stderr, wait_until, write_lines, write_text,
    FaultServer, Reply, TempDir, BIN,
};
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `n` distinct lines (each padded so that 64 KiB holds few of them).
fn lines(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("m,pad={} f={i}i {}", "x".repeat(100), 1_600_000_000 + i))
        .collect()
}

/// Runs `lpconvert replay ARGS` through bash, so that ARGS may use process substitution.
fn replay_in_bash(script_args: &str) -> Output {
    Command::new("bash")
        .arg("-c")
        .arg(format!("\"$LPC\" replay {script_args}"))
        .env("LPC", env!("CARGO_BIN_EXE_lpconvert"))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn count(v: &[String]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for l in v {
        *m.entry(l.clone()).or_insert(0) += 1;
    }
    m
}

#[test]
fn checkpoint_with_a_pipe_input_is_refused() {
    let dir = TempDir::new("ck-pipe");
    let data = write_lines(&dir, "data.lp", &lines(2000));
    let ck = dir.join("ck.json");
    let server = FaultServer::accept_all();
    let o = replay_in_bash(&format!(
        "--url {} --db x --precision s --checkpoint {} <(cat {data})",
        server.url,
        ck.display()
    ));
    assert_exit(&o, 2);
    assert_stderr_has(&o, "not a regular file");
    assert!(server.seen().is_empty(), "nothing sent");
    assert!(!ck.exists());
}

#[test]
fn checkpoint_with_a_named_fifo_is_refused_without_reading_it() {
    let dir = TempDir::new("ck-fifo");
    let fifo = dir.join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let ck = dir.join("ck.json");
    let server = FaultServer::accept_all();
    let mut child = Command::new(BIN)
        .args(["replay", "--url", &server.url, "--db", "x", "--checkpoint"])
        .arg(&ck)
        .arg(&fifo)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("replay hangs on a FIFO with --checkpoint");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    assert_exit(&o, 2);
    assert_stderr_has(&o, "not a regular file");
}

#[test]
fn replay_schema_through_a_pipe_sends_every_row() {
    let dir = TempDir::new("schema-pipe");
    let toml = "measurement = \"m\"\nprecision = \"s\"\n[timestamp]\ncolumn = \"time\"\nformat = \"unix_s\"\n[tags]\nroom = \"room\"\n[fields]\nv = \"integer\"\n";
    let schema = write_text(&dir, "s.toml", toml);
    let mut csv = String::from("time,room,v\n");
    for i in 0..5000 {
        csv.push_str(&format!(
            "{},room{},{i}\n",
            1_600_000_000 + i,
            "r".repeat(20)
        ));
    }
    let data = write_text(&dir, "d.csv", &csv);
    let server = FaultServer::accept_all();
    let o = replay_in_bash(&format!(
        "--url {} --db x --schema {schema} <(cat {data})",
        server.url
    ));
    assert_exit(&o, 0);
    let stored = server.stored();
    assert_eq!(stored.len(), 5000, "every row sent");
    assert!(stored[0].starts_with("m,room=room"), "{}", stored[0]);
}

/// Replays `data` to a fresh server with `--checkpoint CK` and `extra`; asserts that the
/// checkpoint is refused (exit 2, saying `message`) before anything is sent; returns the run.
fn checkpoint_refused(ck: &str, data: &str, extra: &[&str], message: &str) -> Output {
    let server = FaultServer::accept_all();
    let mut args = argv("--url {} --db x --checkpoint {}", &[&server.url, ck]);
    args.extend_from_slice(extra);
    args.push(data);
    let o = replay(&args);
    assert_exit(&o, 2);
    assert_stderr_has(&o, message);
    assert!(server.seen().is_empty());
    o
}

#[test]
fn checkpoint_that_is_a_device_is_refused() {
    let dir = TempDir::new("ck-dev");
    let data = write_lines(&dir, "data.lp", &lines(10));
    let started = Instant::now();
    checkpoint_refused("/dev/zero", &data, &[], "not a regular file");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn checkpoint_larger_than_the_cap_is_refused() {
    let dir = TempDir::new("ck-big");
    let data = write_lines(&dir, "data.lp", &lines(10));
    let big = dir.join("big.json");
    std::fs::write(&big, vec![b' '; 9 << 20]).unwrap();
    checkpoint_refused(big.to_str().unwrap(), &data, &[], "not a checkpoint");
}

/// Runs a first replay with a checkpoint to its end, then rewrites the checkpoint's offset.
fn checkpoint_with_offset(dir: &TempDir, data: &str, offset: u64) -> String {
    let server = FaultServer::accept_all();
    let ck = dir.join("ck.json");
    let o = replay(&argv(
        "--url {} --db x --precision s --checkpoint {} {}",
        &[&server.url, ck.to_str().unwrap(), data],
    ));
    assert_exit(&o, 0);
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ck).unwrap()).unwrap();
    v["inputs"][0]["offset"] = offset.into();
    v["inputs"][0]["complete"] = false.into();
    std::fs::write(&ck, v.to_string()).unwrap();
    ck.display().to_string()
}

#[test]
fn checkpoint_offset_past_the_end_is_refused() {
    let dir = TempDir::new("ck-past");
    let data = write_lines(&dir, "data.lp", &lines(10));
    let size = std::fs::metadata(&data).unwrap().len();
    let ck = checkpoint_with_offset(&dir, &data, size + 100);
    checkpoint_refused(&ck, &data, &["--precision", "s"], "past the end");
}

#[test]
fn checkpoint_offset_inside_a_line_is_refused() {
    let dir = TempDir::new("ck-inside");
    let data = write_lines(&dir, "data.lp", &lines(10));
    let ck = checkpoint_with_offset(&dir, &data, 5);
    checkpoint_refused(
        &ck,
        &data,
        &["--precision", "s"],
        "not at the start of a line",
    );
}

#[test]
fn a_data_file_given_as_the_checkpoint_is_not_called_deletable() {
    let dir = TempDir::new("ck-data");
    let data = write_lines(&dir, "data.lp", &lines(10));
    let other = write_lines(&dir, "other.lp", &lines(3));
    let o = checkpoint_refused(&other, &data, &[], "is not a checkpoint");
    let err = stderr(&o);
    assert!(!err.contains("delete"), "{err}");
    assert_eq!(std::fs::read_to_string(&other).unwrap().lines().count(), 3);
}

#[test]
fn unwritable_output_paths_are_refused_before_sending() {
    let dir = TempDir::new("out-nodir");
    let data = write_lines(&dir, "data.lp", &lines(10));
    let nodir = dir.join("nodir/x");
    let nodir = nodir.to_str().unwrap();
    for option in ["--checkpoint", "--report", "--rejects"] {
        let server = FaultServer::accept_all();
        let o = replay(&argv(
            "--url {} --db x {} {} {}",
            &[&server.url, option, nodir, &data],
        ));
        assert_eq!(o.status.code(), Some(2), "{option}: {}", stderr(&o));
        assert!(stderr(&o).contains(option), "{option}: {}", stderr(&o));
        assert!(server.seen().is_empty(), "{option}: nothing sent");
    }
    let toml = "measurement = \"m\"\n[timestamp]\ncolumn = \"time\"\nformat = \"unix_s\"\n[fields]\nv = \"integer\"\n";
    let schema = write_text(&dir, "s.toml", toml);
    let csv = write_text(&dir, "d.csv", "time,v\n1,1\n2,2\n");
    let server = FaultServer::accept_all();
    let o = replay(&argv(
        "--url {} --db x --schema {} --convert-rejects {} {}",
        &[&server.url, &schema, nodir, &csv],
    ));
    assert_exit(&o, 2);
    assert!(server.seen().is_empty());
}

#[test]
fn option_ranges_above_their_maximum_are_usage_errors() {
    let dir = TempDir::new("ranges");
    let data = write_lines(&dir, "data.lp", &lines(10));
    let server = FaultServer::accept_all();
    for (option, value) in [
        ("--concurrency", "100000"),
        ("--batch-lines", "100000000"),
        ("--batch-bytes", "100GiB"),
    ] {
        let o = replay(&argv(
            "--url {} --db x {} {} {}",
            &[&server.url, option, value, &data],
        ));
        assert_eq!(o.status.code(), Some(2), "{option}: {}", stderr(&o));
        assert!(stderr(&o).contains("at most"), "{option}: {}", stderr(&o));
        let o = bench(&argv(
            "--url {} --db x --duration 1s --warmup 0s {} {}",
            &[&server.url, option, value],
        ));
        assert_eq!(o.status.code(), Some(2), "bench {option}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("at most"),
            "bench {option}: {}",
            stderr(&o)
        );
    }
    let o = bench(&argv(
        "--url {} --db x --hosts 1000000000000",
        &[&server.url],
    ));
    assert_eq!(o.status.code(), Some(2), "bench --hosts: {}", stderr(&o));
    assert!(
        stderr(&o).contains("at most"),
        "bench --hosts: {}",
        stderr(&o)
    );
    assert!(server.seen().is_empty());
    let help = replay(&["--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("at most 1024"), "{help}");
}

#[test]
fn a_leading_bom_is_not_sent_and_resume_offsets_stay_file_offsets() {
    let dir = TempDir::new("bom");
    let text = format!("\u{feff}{}\n", lines(20).join("\n"));
    let data = write_text(&dir, "bom.lp", &text);
    let server = FaultServer::accept_all();
    let ck = dir.join("ck.json");
    let o = replay(&argv(
        "--url {} --precision s --db x --batch-lines 5 --concurrency 1 --checkpoint {} {}",
        &[&server.url, ck.to_str().unwrap(), &data],
    ));
    assert_exit(&o, 0);
    let stored = server.stored();
    assert_eq!(stored, lines(20));
    // A checkpoint after the first line resumes at the second.
    let second = text.find('\n').unwrap() + 1;
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ck).unwrap()).unwrap();
    v["inputs"][0]["offset"] = second.into();
    v["inputs"][0]["complete"] = false.into();
    std::fs::write(&ck, v.to_string()).unwrap();
    let again = FaultServer::accept_all();
    let o = replay(&argv(
        "--url {} --precision s --db x --concurrency 1 --checkpoint {} {}",
        &[&again.url, ck.to_str().unwrap(), &data],
    ));
    assert_exit(&o, 0);
    assert_eq!(again.stored(), lines(20)[1..].to_vec());
}

#[test]
fn time_shift_overflow_is_reported_once() {
    let dir = TempDir::new("shift-once");
    let data = write_text(&dir, "d.lp", "m f=1i 9223372036854775000\n");
    let server = FaultServer::accept_all();
    let o = replay(&argv(
        "--url {} --db x --precision s --time shift:1000d {}",
        &[&server.url, &data],
    ));
    assert_exit(&o, 2);
    assert_eq!(
        stderr(&o).matches("outside the range").count(),
        1,
        "{}",
        stderr(&o)
    );
}

#[test]
fn flush_interval_sends_a_partial_batch_from_an_open_pipe() {
    let server = FaultServer::accept_all();
    let mut child = Command::new(BIN)
        .args(argv(
            "replay --url {} --precision s --db x --flush-interval 200ms",
            &[&server.url],
        ))
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let sent = lines(3);
    stdin
        .write_all((sent.join("\n") + "\n").as_bytes())
        .unwrap();
    stdin.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.stored().len() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let early = server.stored();
    drop(stdin);
    let o = child.wait_with_output().unwrap();
    assert_eq!(early, sent, "lines sent while the pipe stays open");
    assert_exit(&o, 0);
    assert_eq!(server.stored(), sent, "each line once");
}

/// Starts a replay, sends `signal` after `after`, and waits for it.
fn signal_after(args: &[String], signal: &str, after: Duration) -> Output {
    let child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    send_signal(child.id(), signal);
    child.wait_with_output().unwrap()
}

#[test]
fn a_signal_stops_flushes_the_checkpoint_and_a_rerun_sends_exactly_the_rest() {
    for (signal, code) in [("TERM", 143), ("INT", 130), ("HUP", 129)] {
        let dir = TempDir::new("signal");
        let all = lines(400);
        let data = write_lines(&dir, "data.lp", &all);
        let ck = dir.join("ck.json").display().to_string();
        let rep = dir.join("report.json");
        let slow = FaultServer::start(|_| Reply::slow(Duration::from_millis(150)));
        let args: Vec<String> = argv(
            "replay --url {} --precision s --db x --batch-lines 10 --checkpoint {} --report {} {}",
            &[&slow.url, &ck, rep.to_str().unwrap(), &data],
        )
        .iter()
        .map(|s| s.to_string())
        .collect();
        let started = Instant::now();
        let o = signal_after(&args, signal, Duration::from_millis(800));
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "stopped promptly"
        );
        assert_eq!(o.status.code(), Some(code), "{signal}: {}", stderr(&o));
        let err = stderr(&o);
        assert_stderr_has(&o, "run again with the same --checkpoint to resume");
        assert!(err.contains("lines read"), "summary printed: {err}");
        assert!(report(&rep).is_object(), "report written");
        let first = slow.stored();
        assert!(
            !first.is_empty() && first.len() < all.len(),
            "{}",
            first.len()
        );
        let rest = FaultServer::accept_all();
        let o = replay(&argv(
            "--url {} --precision s --db x --checkpoint {} {}",
            &[&rest.url, &ck, &data],
        ));
        assert_exit(&o, 0);
        let mut both = first.clone();
        both.extend(rest.stored());
        assert_eq!(
            count(&both),
            count(&all),
            "{signal}: each line exactly once"
        );
    }
}

#[test]
fn a_signal_against_influxdb_loses_no_line() {
    let influx = start_influxdb();
    let dir = TempDir::new("signal-influx");
    let all = lines(200_000);
    let data = write_lines(&dir, "data.lp", &all);
    let ck = dir.join("ck.json").display().to_string();
    let create = format!("{}/query?q=CREATE+DATABASE+sig", influx.url);
    ureq::post(&create).send_empty().unwrap();
    let base = argv(
        "replay --url {} --db sig --precision s --batch-lines 500 --rate 50000 --checkpoint {} {}",
        &[&influx.url, &ck, &data],
    );
    let args: Vec<String> = base.iter().map(|s| s.to_string()).collect();
    let o = signal_after(&args, "INT", Duration::from_millis(1500));
    assert_exit(&o, 130);
    let o = replay(&base[1..]);
    assert_exit(&o, 0);
    let v = crate::support::influx_query(&influx.url, "sig", "SELECT count(f) FROM m");
    assert_eq!(
        v["results"][0]["series"][0]["values"][0][1].as_u64(),
        Some(200_000),
        "{v}"
    );
}

#[test]
fn a_signal_with_requests_hanging_exits_after_a_short_grace_and_a_second_signal_at_once() {
    let dir = TempDir::new("signal-hang");
    let all = lines(50);
    let data = write_lines(&dir, "data.lp", &all);
    let ck = dir.join("ck.json").display().to_string();
    let hang = FaultServer::start(|_| Reply::slow(Duration::from_secs(30)));
    let args: Vec<String> = argv(
        "replay --url {} --precision s --db x --batch-lines 10 --checkpoint {} {}",
        &[&hang.url, &ck, &data],
    )
    .iter()
    .map(|s| s.to_string())
    .collect();
    let started = Instant::now();
    let o = signal_after(&args, "TERM", Duration::from_millis(500));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_exit(&o, 143);
    assert_stderr_has(&o, "run again with the same --checkpoint to resume");

    // A second signal: at once.
    let child = Command::new(BIN)
        .args(&args)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    for signal in ["INT", "INT"] {
        send_signal(child.id(), signal);
        std::thread::sleep(Duration::from_millis(100));
    }
    let second = Instant::now();
    let o = child.wait_with_output().unwrap();
    assert!(second.elapsed() < Duration::from_secs(2));
    assert_exit(&o, 130);

    // Nothing was answered: the rerun sends every line.
    let rest = FaultServer::accept_all();
    let o = replay(&argv(
        "--url {} --precision s --db x --checkpoint {} {}",
        &[&rest.url, &ck, &data],
    ));
    assert_exit(&o, 0);
    assert_eq!(count(&rest.stored()), count(&all));
}

#[test]
fn a_signal_during_a_rate_wait_stops_at_once_with_summary_and_report() {
    let dir = TempDir::new("signal-rate");
    let all = lines(20);
    let data = write_lines(&dir, "data.lp", &all);
    let ck = dir.join("ck.json").display().to_string();
    let rep = dir.join("report.json");
    let server = FaultServer::accept_all();
    let args: Vec<String> = argv(
        "replay --url {} --precision s --db x --rate 0.01 --checkpoint {} --report {} {}",
        &[&server.url, &ck, rep.to_str().unwrap(), &data],
    )
    .iter()
    .map(|s| s.to_string())
    .collect();
    let o = signal_after(&args, "HUP", Duration::from_millis(1000));
    let signalled = Instant::now();
    assert_exit(&o, 129);
    assert!(signalled.elapsed() < Duration::from_secs(3));
    assert_eq!(report(&rep)["ending"], "interrupted");
    let first = server.stored();
    assert_eq!(first, all[..1].to_vec(), "one line sent before the wait");
    let rest = FaultServer::accept_all();
    let o = replay(&argv(
        "--url {} --precision s --db x --checkpoint {} {}",
        &[&rest.url, &ck, &data],
    ));
    assert_exit(&o, 0);
    assert_eq!(rest.stored(), all[1..].to_vec());
}

#[test]
fn a_thread_that_cannot_start_is_an_error_with_exit_2_not_an_abort() {
    let dir = TempDir::new("spawn");
    let data = write_lines(&dir, "data.lp", &lines(10));
    let server = FaultServer::accept_all();
    // Threads asking for a 1 TB stack cannot start.
    let o = Command::new(BIN)
        .args(["replay", "--url", &server.url, "--db", "x", &data])
        .env("RUST_MIN_STACK", "1000000000000")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_exit(&o, 2);
    assert_stderr_has(&o, "cannot start a thread");
    assert_stderr_has(&o, "--concurrency");
    assert!(server.seen().is_empty());
}

#[test]
fn an_error_after_lines_were_sent_says_how_many_were_answered() {
    let server = FaultServer::accept_all();
    let mut child = Command::new(BIN)
        .args(argv(
            "replay --url {} --db x --precision s --time shift:1000d --flush-interval 100ms",
            &[&server.url],
        ))
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"m f=1i 1\nm f=2i 2\n").unwrap();
    stdin.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.stored().len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    stdin.write_all(b"m f=3i 9223372036854775000\n").unwrap();
    drop(stdin);
    let o = child.wait_with_output().unwrap();
    assert_exit(&o, 2);
    assert_stderr_has(&o, "2 lines were acknowledged");
}

#[test]
fn an_endless_line_from_a_device_or_stdin_is_an_error_not_an_ever_growing_buffer() {
    let server = FaultServer::accept_all();
    let started = Instant::now();
    let o = replay(&argv("--url {} --db x /dev/zero", &[&server.url]));
    assert_exit(&o, 2);
    assert_stderr_has(&o, "longer than 64 MiB");
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "head -c 100000000 /dev/zero | \"$LPC\" replay --url {} --db x",
            server.url
        ))
        .env("LPC", env!("CARGO_BIN_EXE_lpconvert"))
        .output()
        .unwrap();
    assert_exit(&o, 2);
    assert_stderr_has(&o, "line 1 is longer");
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(server.seen().is_empty());
}

/// Starts `lpconvert ARGS` with stdin from `stdin_cmd` (a bash command), waits until `ready`
/// holds (up to 30 s), sends `signal` and returns the output and the time from the signal to
/// the exit.
fn signal_when(
    args: &[String],
    stdin_cmd: Option<&str>,
    signal: &str,
    ready: &dyn Fn(u32) -> bool,
) -> (Output, Duration) {
    let mut cmd = Command::new(BIN);
    cmd.args(args).stderr(Stdio::piped());
    let mut feeder = None;
    match stdin_cmd {
        Some(script) => {
            let mut f = Command::new("bash")
                .arg("-c")
                .arg(script)
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            cmd.stdin(Stdio::from(f.stdout.take().unwrap()));
            feeder = Some(f);
        }
        None => {
            cmd.stdin(Stdio::null());
        }
    }
    let child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready(child.id()) {
        assert!(Instant::now() < deadline, "the run never got ready");
        std::thread::sleep(Duration::from_millis(20));
    }
    send_signal(child.id(), signal);
    let signalled = Instant::now();
    let o = child.wait_with_output().unwrap();
    let took = signalled.elapsed();
    if let Some(mut f) = feeder {
        let _ = f.kill();
        let _ = f.wait();
    }
    (o, took)
}

#[test]
fn a_signal_during_a_retry_after_wait_stops_at_once_with_summary_and_report() {
    let dir = TempDir::new("signal-retry-after");
    let all = lines(30);
    let data = write_lines(&dir, "data.lp", &all);
    let ck = dir.join("ck.json").display().to_string();
    let rep = dir.join("report.json");
    let server = FaultServer::start(|_| Reply::with_header(503, "Retry-After", "60"));
    let args: Vec<String> = argv(
        "replay --url {} --precision s --db x --batch-lines 10 --checkpoint {} --report {} {}",
        &[&server.url, &ck, rep.to_str().unwrap(), &data],
    )
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Every batch was asked to wait (one request per worker at least).
    let (o, took) = signal_when(&args, None, "INT", &|_| !server.seen().is_empty());
    let err = stderr(&o);
    assert_exit(&o, 130);
    assert!(
        took < Duration::from_secs(4),
        "stopped after {took:?}: {err}"
    );
    assert!(err.contains("lines read"), "summary printed: {err}");
    let r = report(&rep);
    assert_eq!(r["ending"], "interrupted", "{r}");
    let rest = FaultServer::accept_all();
    let o = replay(&argv(
        "--url {} --precision s --db x --checkpoint {} {}",
        &[&rest.url, &ck, &data],
    ));
    assert_exit(&o, 0);
    assert_eq!(
        count(&rest.stored()),
        count(&all),
        "every line sent on resume"
    );
}

const SCHEMA_S: &str = "measurement = \"m\"\nprecision = \"s\"\n[timestamp]\ncolumn = \"time\"\nformat = \"unix_s\"\n[fields]\nv = \"integer\"\n";

/// Whether process `pid` catches SIGTERM (its handlers are installed).
fn catches_sigterm(pid: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (15 - 1)) != 0)
}

#[test]
fn schema_from_an_idle_pipe_stops_on_a_signal_with_summary_and_report() {
    let dir = TempDir::new("schema-idle-pipe");
    let schema = write_text(&dir, "s.toml", SCHEMA_S);
    let rep = dir.join("report.json");
    let server = FaultServer::accept_all();
    let args: Vec<String> = argv(
        "replay --url {} --db x --schema {} --flush-interval 200ms --report {}",
        &[&server.url, &schema, rep.to_str().unwrap()],
    )
    .iter()
    .map(|s| s.to_string())
    .collect();
    // A header and two rows, then the pipe stays open with nothing more.
    let feed = "printf 'time,v\\n1600000000,1\\n1600000001,2\\n'; sleep 60";
    let started = Instant::now();
    let (o, took) = signal_when(&args, Some(feed), "TERM", &|pid| {
        catches_sigterm(pid) && started.elapsed() > Duration::from_millis(500)
    });
    let err = stderr(&o);
    assert_exit(&o, 143);
    assert!(
        took < Duration::from_secs(4),
        "stopped after {took:?}: {err}"
    );
    assert!(err.contains("lines read"), "summary printed: {err}");
    let r = report(&rep);
    assert_eq!(r["ending"], "interrupted", "{r}");
    assert_eq!(
        r["lines_read"].as_u64(),
        Some(r["lines_acknowledged"].as_u64().unwrap() + r["lines_pending"].as_u64().unwrap()),
        "{r}"
    );
}

#[test]
fn the_report_exit_code_is_the_exit_status_in_every_ending() {
    let dir = TempDir::new("report-exit-code");
    let schema = write_text(&dir, "s.toml", SCHEMA_S);
    let bad = write_text(&dir, "bad.csv", "time,v\n1600000000,1\n1600000001,x\n");
    let rep = dir.join("report.json");
    let rep_s = rep.to_str().unwrap();
    let server = FaultServer::accept_all();
    let base = ["--url", &server.url, "--db", "x", "--schema", &schema];
    // Rows set aside by the conversion (3), a conversion stopped at a bad row (1).
    for (extra, code) in [(&["--on-error", "skip"][..], 3), (&[][..], 1)] {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--report", rep_s, &bad]);
        let o = replay(&args);
        assert_eq!(o.status.code(), Some(code), "{}", stderr(&o));
        let r = report(&rep);
        assert_eq!(r["exit_code"], code, "{extra:?}: {r}");
    }
    // A signal (130 and the like).
    let data = write_lines(&dir, "data.lp", &lines(20));
    let server = FaultServer::accept_all();
    let args: Vec<String> = argv(
        "replay --url {} --precision s --db x --rate 0.01 --report {} {}",
        &[&server.url, rep_s, &data],
    )
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (o, _) = signal_when(&args, None, "INT", &|_| server.stored().len() == 1);
    assert_exit(&o, 130);
    let r = report(&rep);
    assert_eq!(r["exit_code"], 130, "{r}");
}

#[test]
fn a_checkpoint_at_the_end_of_a_file_without_a_final_lf_resumes_with_nothing_to_send() {
    let dir = TempDir::new("ck-no-final-lf");
    let text = "m f=1i 1\r\n\r\n# c\r\nm f=2i 2\r\nm f=3i 3";
    let data = write_text(&dir, "data.lp", text);
    let ck = dir.join("ck.json").display().to_string();
    let server = FaultServer::accept_all();
    let args = argv(
        "--url {} --db x --checkpoint {} {}",
        &[&server.url, &ck, &data],
    );
    let o = replay(&args);
    assert_exit(&o, 0);
    assert_eq!(server.stored().len(), 3);
    // The rerun finds everything answered.
    let o = replay(&args);
    assert_exit(&o, 0);
    assert_eq!(server.stored().len(), 3, "nothing sent again");
    // A checkpoint that stopped at the end without marking the input complete (a signal
    // between the last answer and the end of the input) resumes there too.
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ck).unwrap()).unwrap();
    let mut v = v;
    v["inputs"][0]["complete"] = false.into();
    std::fs::write(&ck, v.to_string()).unwrap();
    let o = replay(&args);
    assert_exit(&o, 0);
    assert_eq!(server.stored().len(), 3, "nothing sent again");
}

#[test]
fn a_signal_with_requests_hanging_still_prints_the_summary_and_writes_the_report() {
    let dir = TempDir::new("signal-hang-report");
    let data = write_lines(&dir, "data.lp", &lines(50));
    let rep = dir.join("report.json");
    let got = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let hang = {
        let got = got.clone();
        FaultServer::start(move |_| {
            got.store(true, std::sync::atomic::Ordering::SeqCst);
            Reply::slow(Duration::from_secs(30))
        })
    };
    let args: Vec<String> = argv(
        "replay --url {} --precision s --db x --batch-lines 10 --report {} {}",
        &[&hang.url, rep.to_str().unwrap(), &data],
    )
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (o, took) = signal_when(&args, None, "TERM", &|_| {
        got.load(std::sync::atomic::Ordering::SeqCst)
    });
    let err = stderr(&o);
    assert_exit(&o, 143);
    assert!(took < Duration::from_secs(12), "{took:?}");
    assert!(err.contains("lines read"), "summary printed: {err}");
    let r = report(&rep);
    assert_eq!(r["ending"], "interrupted", "{r}");
    assert_eq!(r["exit_code"], 143, "{r}");
    let read = r["lines_read"].as_u64().unwrap();
    assert!(read > 0, "{r}");
    assert_eq!(r["lines_acknowledged"], 0, "{r}");
    assert_eq!(r["lines_pending"].as_u64(), Some(read), "{r}");
}

#[test]
fn an_input_error_after_lines_were_sent_still_writes_the_report() {
    let dir = TempDir::new("error-report");
    let all = lines(300_000);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for l in &all {
        enc.write_all(l.as_bytes()).unwrap();
        enc.write_all(b"\n").unwrap();
    }
    let packed = enc.finish().unwrap();
    // Cut: the input ends with an error well after the first blocks were sent.
    let cut = dir.join("cut.lp.gz");
    std::fs::write(&cut, &packed[..packed.len() * 3 / 4]).unwrap();
    let rep = dir.join("report.json");
    let server = FaultServer::accept_all();
    let o = replay(&argv(
        "--url {} --precision s --db x --report {} {}",
        &[&server.url, rep.to_str().unwrap(), cut.to_str().unwrap()],
    ));
    assert_exit(&o, 2);
    let r = report(&rep);
    assert_eq!(r["ending"], "error", "{r}");
    assert_eq!(r["exit_code"], 2, "{r}");
    let read = r["lines_read"].as_u64().unwrap();
    let acked = r["lines_acknowledged"].as_u64().unwrap();
    assert!(acked > 0, "{r}");
    assert_eq!(acked, server.stored().len() as u64, "{r}");
    assert_eq!(
        read,
        acked + r["lines_refused"].as_u64().unwrap() + r["lines_pending"].as_u64().unwrap(),
        "{r}"
    );
    assert!(r["message"].as_str().unwrap().contains("cut.lp.gz"), "{r}");
}

#[test]
fn schema_from_an_open_pipe_ends_at_once_on_a_fatal_answer() {
    let dir = TempDir::new("schema-pipe-fatal");
    let schema = write_text(&dir, "s.toml", SCHEMA_S);
    let rep = dir.join("report.json");
    let server = FaultServer::start(|_| Reply::with_body(401, "{\"error\":\"unauthorized\"}"));
    // 11 MB of rows (between two and three conversion chunks), then the pipe stays open.
    let feed = "printf 'time,v\\n'; seq 1 600000 | sed 's/^/1600000000,/'; sleep 60";
    let mut feeder = Command::new("bash")
        .arg("-c")
        .arg(feed)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let child = Command::new(BIN)
        .args(argv(
            "replay --url {} --db x --schema {} --report {}",
            &[&server.url, &schema, rep.to_str().unwrap()],
        ))
        .stdin(Stdio::from(feeder.stdout.take().unwrap()))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let out = std::sync::Arc::new(std::sync::Mutex::new(None));
    {
        let out = out.clone();
        std::thread::spawn(move || {
            let o = child.wait_with_output().unwrap();
            *out.lock().unwrap() = Some(o);
        });
    }
    let deadline = Instant::now() + Duration::from_secs(40);
    let o = loop {
        if let Some(o) = out.lock().unwrap().take() {
            break o;
        }
        if Instant::now() > deadline {
            let _ = feeder.kill();
            panic!("replay still running {:?} after a 401", started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = feeder.kill();
    let _ = feeder.wait();
    assert_exit(&o, 1);
    assert_eq!(report(&rep)["ending"], "fatal");
}

#[test]
fn a_signal_during_replay_schema_keeps_the_counts_adding_up_and_the_rejects_partial() {
    // A conversion that runs ahead of a slow server blocks on the full channel after it
    // recorded the rejects of its next chunk: stopped there by a signal, the report must
    // still add up (rows read = lines written + skipped + rejected).
    let dir = TempDir::new("signal-schema-accounting");
    let schema = write_text(&dir, "s.toml", SCHEMA_S);
    let rows = 1_500_000u64;
    let pad = "p".repeat(30);
    let mut csv = String::from("time,v,pad\n");
    for i in 0..rows {
        if i % 100 == 7 {
            csv.push_str(&format!("{},bad,{pad}\n", 1_600_000_000 + i));
        } else {
            csv.push_str(&format!("{},{},{pad}\n", 1_600_000_000 + i, i % 1000));
        }
    }
    let data = write_text(&dir, "data.csv", &csv);
    let rep = dir.join("report.json");
    let rejects = dir.join("rejects.csv");
    let slow = FaultServer::start(|_| Reply::slow(Duration::from_millis(300)));
    let args: Vec<String> = argv("replay --url {} --db x --schema {} --on-error skip --convert-rejects {} --batch-lines 100 --report {} {}", &[&slow.url, &schema, rejects.to_str().unwrap(), rep.to_str().unwrap(), &data])
    .iter()
    .map(|s| s.to_string())
    .collect();
    let o = signal_after(&args, "TERM", Duration::from_millis(1200));
    assert_exit(&o, 143);
    let r = report(&rep);
    let c = &r["conversion"];
    let n = |k: &str| c[k].as_u64().unwrap();
    assert!(n("rows_read") < rows, "stopped before the end: {c}");
    assert_eq!(
        n("rows_read"),
        n("lines_written") + n("rows_skipped") + n("rows_rejected"),
        "{c}"
    );
    // An interrupted run leaves no rejects file that looks complete: FILE.partial, said so.
    assert!(!rejects.exists(), "{}", stderr(&o));
    let partial = dir.join("rejects.csv.partial");
    assert_stderr_has(&o, "rejects.csv.partial");
    let kept = std::fs::read_to_string(&partial).unwrap();
    assert_eq!(
        kept.lines().count() as u64 - 1,
        n("rows_rejected"),
        "every rejected row counted is in --convert-rejects: {c}"
    );
    assert!(dir.join("rejects.csv.errors.partial").exists());
    // The rerun that finishes puts the complete files in place.
    let fast = FaultServer::accept_all();
    let mut again: Vec<&str> = args[1..].iter().map(String::as_str).collect();
    again[1] = &fast.url;
    let o = replay(&again);
    assert_exit(&o, 3);
    let kept = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(kept.lines().count() - 1, (rows / 100) as usize);
    assert!(!partial.exists());
}

#[test]
fn convert_rejects_of_a_run_stopped_at_a_bad_row_leave_the_previous_file_and_say_nothing_empty() {
    let dir = TempDir::new("convert-rejects-fail");
    let schema = write_text(&dir, "s.toml", SCHEMA_S);
    let bad = write_text(&dir, "bad.csv", "time,v\n1600000000,1\n1600000001,x\n");
    let rej = write_text(&dir, "rej.csv", "OLD\n");
    let server = FaultServer::accept_all();
    let o = replay(&argv(
        "--url {} --db x --schema {} --convert-rejects {} {}",
        &[&server.url, &schema, &rej, &bad],
    ));
    assert_exit(&o, 1);
    assert_eq!(std::fs::read_to_string(&rej).unwrap(), "OLD\n");
    // Nothing was rejected (the bad row stopped the run): no "kept in" with no file named.
    assert!(!stderr(&o).contains("kept in \n"), "{}", stderr(&o));
    assert!(!dir.join("rej.csv.partial").exists());
}

/// Starts `lpconvert replay ARGS`, waits until `ready` or 20 s, sleeps `delay`, calls
/// `change`, and waits for the end.
fn replay_changed_while_running(
    args: &[&str],
    ready: impl Fn() -> bool,
    delay: Duration,
    change: impl FnOnce(),
) -> Output {
    let child = spawn_lpconvert(&[&["replay"], args].concat());
    wait_until(Duration::from_secs(20), Duration::from_millis(2), ready);
    std::thread::sleep(delay);
    change();
    child.wait_with_output().unwrap()
}

fn truncate_to_a_third(path: &std::path::Path) {
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    let len = f.metadata().unwrap().len();
    f.set_len(len / 3).unwrap();
}

#[test]
fn replay_of_a_file_truncated_while_sent_exits_2_not_sigbus() {
    let dir = TempDir::new("replay-truncate");
    let all = lines(400_000);
    let base = write_lines(&dir, "base.lp", &all);
    let known: std::collections::HashSet<&str> = all.iter().map(String::as_str).collect();
    let mut caught = 0;
    for ms in [0u64, 30, 150] {
        let lp = dir.join(format!("in-{ms}.lp"));
        std::fs::copy(&base, &lp).unwrap();
        let ck = dir.join(format!("ck-{ms}.json"));
        let rep = dir.join(format!("rep-{ms}.json"));
        // Slow answers: the replay is still reading when the file is cut.
        let server = FaultServer::start(|_| Reply::slow(Duration::from_millis(20)));
        let o = replay_changed_while_running(
            &argv(
                "--url {} --precision s --db x --batch-lines 2000 --concurrency 2 --checkpoint {} --report {} {}",
                &[
                    &server.url,
                    ck.to_str().unwrap(),
                    rep.to_str().unwrap(),
                    lp.to_str().unwrap(),
                ],
            ),
            || !server.seen().is_empty(),
            Duration::from_millis(ms),
            || truncate_to_a_third(&lp),
        );
        let err = stderr(&o);
        assert!(
            o.status.code().is_some(),
            "replay killed by a signal: {:?} {err}",
            o.status
        );
        // Only whole lines of the input were stored, each once (no zero bytes, no fragment).
        let stored = server.stored();
        let mut once = std::collections::HashSet::new();
        for l in &stored {
            assert!(known.contains(l.as_str()), "not a line of the input: {l:?}");
            assert!(once.insert(l.clone()), "sent twice: {l}");
        }
        if o.status.code() == Some(0) {
            assert_eq!(stored.len(), all.len(), "exit 0 with lost lines: {err}");
            continue;
        }
        assert_exit(&o, 2);
        assert!(
            err.contains(&format!("{}: changed while being read", lp.display())),
            "{err}"
        );
        // What was acknowledged is in the checkpoint and the report.
        let r = report(&rep);
        assert_eq!(r["exit_code"], 2, "{r}");
        assert_eq!(
            r["lines_acknowledged"].as_u64().unwrap(),
            stored.len() as u64,
            "{r}"
        );
        assert!(ck.exists(), "no checkpoint: {err}");
        caught += 1;
    }
    assert!(caught > 0, "no run saw the truncation");
}

#[test]
fn replay_dry_run_of_a_file_truncated_while_read_never_dies_by_a_signal() {
    let dir = TempDir::new("replay-truncate-dry");
    let all = lines(600_000);
    let base = write_lines(&dir, "base.lp", &all);
    for ms in [0u64, 5, 20, 60, 150] {
        let lp = dir.join(format!("in-{ms}.lp"));
        std::fs::copy(&base, &lp).unwrap();
        let o = replay_changed_while_running(
            &argv(
                "--url http://127.0.0.1:9 --precision s --db x --dry-run {}",
                &[lp.to_str().unwrap()],
            ),
            || true,
            Duration::from_millis(ms),
            || truncate_to_a_third(&lp),
        );
        let err = stderr(&o);
        assert!(
            o.status.code().is_some(),
            "replay --dry-run killed by a signal ({ms} ms): {:?} {err}",
            o.status
        );
        if o.status.code() != Some(0) {
            assert_exit(&o, 2);
            assert_stderr_has(&o, "changed while being read");
        }
    }
}

#[test]
fn replay_of_a_file_that_grows_while_sent_exits_2() {
    let dir = TempDir::new("replay-grow");
    let all = lines(100_000);
    let lp = write_lines(&dir, "in.lp", &all);
    let server = FaultServer::start(|_| Reply::slow(Duration::from_millis(20)));
    let o = replay_changed_while_running(
        &argv(
            "--url {} --precision s --db x --batch-lines 2000 --concurrency 1 {}",
            &[&server.url, &lp],
        ),
        || !server.seen().is_empty(),
        Duration::ZERO,
        || {
            let mut f = std::fs::OpenOptions::new().append(true).open(&lp).unwrap();
            f.write_all(b"late f=1i 1\n").unwrap();
        },
    );
    let err = stderr(&o);
    assert_exit(&o, 2);
    assert!(
        err.contains(&format!("{lp}: changed while being read")),
        "{err}"
    );
    assert!(!server.stored().iter().any(|l| l.starts_with("late")));
}

/// Finding 3. A tiny `--rate` is accepted by `parse_rate` (any finite value > 0) but
/// `RateLimiter::acquire` (crates/send/src/ratelimit.rs) computes
/// `Duration::from_secs_f64(cost)` and `due + cost` without bounds: with 1e-19 lines/s the
/// first batch panics the producer (exit 101, a Rust panic message). Expected: a usage error
/// (exit 2) or a saturated wait; here one line, so the first batch may leave at once.
#[test]
fn a_tiny_rate_does_not_panic() {
    let dir = TempDir::new("rv-rate");
    let file = write_lines(&dir, "in.lp", &points(1));
    let server = FaultServer::accept_all();
    let out = replay_within(
        &argv(
            "--url {} --db d --rate 0.0000000000000000001 {}",
            &[&server.url, &file],
        ),
        Duration::from_secs(20),
    )
    .expect("finished");
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "exit {:?}: {err}",
        out.status.code()
    );
}

/// Finding 4. `--pace` with a tiny speed-up (`Pace::parse` accepts any finite value > 0)
/// panics the producer in `replay::run`'s `emit`: `Duration::from_secs_f64(offset_s)` /
/// `t0 + Duration` overflow for the second batch (exit 101). Expected: refused as a usage
/// error, or a (long) wait; killed after 5 s here, which passes.
#[test]
fn a_tiny_pace_does_not_panic() {
    let dir = TempDir::new("rv-pace");
    let file = write_text(&dir, "in.lp", "m f=1 1000\nm f=2 2000000000\n");
    let server = FaultServer::accept_all();
    let out = replay_within(
        &argv(
            "--url {} --db d --precision s --pace 0.0000000001x {}",
            &[&server.url, &file],
        ),
        Duration::from_secs(5),
    );
    if let Some(out) = out {
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{err}");
        assert_exit(&out, 2);
    }
}

/// A checkpoint remembers the options that change what is stored: resuming with another
/// `--precision` or `--time` is refused (exit 2) instead of storing the rest differently.
#[test]
fn resume_with_other_precision_or_time_is_refused() {
    let dir = TempDir::new("review-settings");
    let input = write_lines(&dir, "in.lp", &points(50));
    let ckpt = dir.join("c.json");
    let ckpt = ckpt.to_str().unwrap();
    let server = FaultServer::accept_all();
    let base = ["--url", &server.url, "--db", "d", "--checkpoint", ckpt];
    let first = replay(&[&base[..], &["--precision", "s", &input]].concat());
    assert_exit(&first, 0);
    let other = replay(&[&base[..], &["--precision", "ms", &input]].concat());
    assert_exit(&other, 2);
    assert_stderr_has(&other, "rerun with the same options");
    let shifted = replay(
        &[
            &base[..],
            &["--precision", "s", "--time", "shift:1h", &input],
        ]
        .concat(),
    );
    assert_exit(&shifted, 2);
    let same = replay(&[&base[..], &["--precision", "s", &input]].concat());
    assert_exit(&same, 0);
    assert_eq!(
        server.stored().len(),
        50,
        "nothing sent twice, nothing lost"
    );
}

#[test]
fn a_closed_stderr_is_not_a_panic() {
    // `2>&1 | head -0`: the messages cannot be written; the run still ends with its own exit
    // status (1: the server refused the connection), never a panic's 101.
    let dir = TempDir::new("closed-stderr");
    let lp = write_text(&dir, "a.lp", "m f=1 1\n");
    for args in [
        format!("replay --url http://127.0.0.1:9 --db d --max-retry-time 1s '{lp}'"),
        format!("convert -s '{}' '{lp}'", dir.join("missing.toml").display()),
    ] {
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "\"$LPC\" {args} 2>&1 | head -c 0; exit ${{PIPESTATUS[0]}}"
            ))
            .env("LPC", env!("CARGO_BIN_EXE_lpconvert"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let code = out.status.code();
        assert!(matches!(code, Some(1) | Some(2)), "{args}: {code:?}");
    }
}

/// Issue 18: an append-only log is resumed. A run sends the whole file; lines are appended;
/// the rerun with the same checkpoint sends exactly the new lines and says why. A file whose
/// checkpointed bytes changed is still refused; so is one that shrank.
#[test]
fn a_checkpointed_input_that_only_grew_is_resumed_after_its_old_end() {
    let dir = TempDir::new("append-only");
    let first = lines(300);
    let file = write_lines(&dir, "log.lp", &first);
    let ckpt = dir.join("ckpt.json").display().to_string();
    let server = FaultServer::accept_all();
    let run = || {
        replay(&argv(
            "--url {} --db d --precision s --checkpoint {} {}",
            &[&server.url, &ckpt, &file],
        ))
    };
    assert_exit(&run(), 0);
    assert_eq!(server.stored().len(), 300);

    let more: Vec<String> = (300..420)
        .map(|i| format!("m,pad=y f={i}i {}", 1_600_000_000 + i))
        .collect();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap();
    for l in &more {
        writeln!(f, "{l}").unwrap();
    }
    drop(f);
    let out = run();
    assert_exit(&out, 0);
    assert_stderr_has(&out, "its first");
    let stored = server.stored();
    assert_eq!(stored.len(), 420, "only the appended lines are sent again");
    assert_eq!(stored[300..], more[..]);
    // Nothing new: nothing sent.
    assert_exit(&run(), 0);
    assert_eq!(server.stored().len(), 420);

    // A byte changed below the checkpoint's offset: refused, nothing sent.
    let mut text = std::fs::read(&file).unwrap();
    text[10] = b'Z';
    text.extend_from_slice(b"m f=1i 1\n");
    std::fs::write(&file, &text).unwrap();
    let out = run();
    assert_exit(&out, 2);
    assert_stderr_has(&out, "delete it to start over");
    assert_eq!(server.stored().len(), 420);
}

/// Issue 18: a resume names the line it starts at as well as the byte; a dry run says that
/// nothing was sent and reports no acknowledgement or status.
#[test]
fn a_resume_names_its_line_and_a_dry_run_says_nothing_was_sent() {
    let dir = TempDir::new("resume-line");
    let all = lines(10);
    let data = write_lines(&dir, "data.lp", &all);
    let offset: usize = all[..4].iter().map(|l| l.len() + 1).sum();
    let ck = checkpoint_with_offset(&dir, &data, offset as u64);
    let server = FaultServer::accept_all();
    let out = replay(&argv(
        "--url {} --db x --precision s --checkpoint {} {}",
        &[&server.url, &ck, &data],
    ));
    assert_exit(&out, 0);
    assert_stderr_has(&out, &format!("resumed at line 5 (byte {offset})"));
    assert_eq!(server.stored(), all[4..].to_vec());

    let out = replay(&argv(
        "--url http://127.0.0.1:9 --precision s --db x --dry-run {}",
        &[&data],
    ));
    assert_exit(&out, 0);
    assert_stderr_has(&out, "dry run, nothing sent: 10 lines read");
    let err = stderr(&out);
    assert!(
        !err.contains("acknowledged") && !err.contains("status {"),
        "{err}"
    );
}

/// Issue 18 / CLI.md: a `--precision` that puts every timestamp of the first batch before
/// 1980 or after 2100, when another precision puts them all between, is refused before
/// anything is sent, naming the one that fits; `--precision auto` reads each timestamp's
/// unit from its size (InfluxDB 3's rule) and sends nanoseconds.
#[test]
fn a_precision_that_misplaces_the_data_is_refused_and_auto_reads_each_unit() {
    let dir = TempDir::new("precision-check");
    let data = write_lines(
        &dir,
        "s.lp",
        &["m f=1 1641024000".into(), "m f=2 1641027600".into()],
    );
    let server = FaultServer::accept_all();
    let out = replay(&argv("--url {} --db d {}", &[&server.url, &data]));
    assert_exit(&out, 2);
    assert_stderr_has(&out, "rerun with --precision s");
    assert_eq!(server.seen().len(), 0, "nothing is sent");
    let out = replay(&argv(
        "--url {} --db d --precision ms {}",
        &[&server.url, &data],
    ));
    assert_exit(&out, 2);
    assert_stderr_has(&out, "--precision ms puts the first timestamps before 1980");
    let out = replay(&argv(
        "--url {} --db d --precision s {}",
        &[&server.url, &data],
    ));
    assert_exit(&out, 0);
    assert_eq!(server.stored().len(), 2);

    let mixed = write_lines(
        &dir,
        "mixed.lp",
        &[
            "m f=1 1641024000".into(),
            "m f=2 1641024000001".into(),
            "m f=3 1641024000000002".into(),
            "m f=4 1641024000000000003".into(),
            "m f=5".into(),
        ],
    );
    let server = FaultServer::accept_all();
    let out = replay(&argv(
        "--url {} --db d --precision auto {}",
        &[&server.url, &mixed],
    ));
    assert_exit(&out, 0);
    assert_eq!(
        server.stored(),
        vec![
            "m f=1 1641024000000000000",
            "m f=2 1641024000001000000",
            "m f=3 1641024000000002000",
            "m f=4 1641024000000000003",
            "m f=5",
        ]
    );
    assert!(
        server.seen()[0].target.contains("precision=n"),
        "{}",
        server.seen()[0].target
    );
}
