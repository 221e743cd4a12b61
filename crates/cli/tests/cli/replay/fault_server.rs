//! `lpconvert replay` end to end: the built binary against a fault-injecting server (retries,
//! waits, splits, refusals, resets, authentication, rate, pacing, checkpoints).
//! Real servers are in `real_servers.rs`.

use crate::support::{
    argv, assert_exit, assert_stderr_has, kill_after, replay, replay_with_env, report, run_in,
    stderr, write_lines, FaultServer, Reply, Seen, TempDir, BIN,
};
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `n` distinct lines with distinct timestamps (seconds).
fn lines(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "m,host=h{} value={}i,x={}.5 {}",
                i % 7,
                i,
                i,
                1_600_000_000 + i
            )
        })
        .collect()
}

/// A fresh directory `name` holding `in.lp`, `n` lines of `lines(n)`: (directory, lines, path).
fn generated_input(name: &str, n: usize) -> (TempDir, Vec<String>, String) {
    let dir = TempDir::new(name);
    let input = lines(n);
    let file = write_lines(&dir, "in.lp", &input);
    (dir, input, file)
}

/// Every input line stored exactly once (the server answered each batch once).
fn assert_stored_once(server: &FaultServer, input: &[String]) {
    let mut stored = server.stored();
    stored.sort();
    let mut want = input.to_vec();
    want.sort();
    assert_eq!(
        stored.len(),
        want.len(),
        "stored {} lines, sent {}",
        stored.len(),
        want.len()
    );
    assert!(stored == want, "stored lines differ from the input");
}

/// Every input line stored at least once, nothing else stored.
fn assert_stored_at_least_once(server: &FaultServer, input: &[String]) {
    let stored: BTreeMap<String, usize> =
        server
            .stored()
            .into_iter()
            .fold(BTreeMap::new(), |mut m, l| {
                *m.entry(l).or_default() += 1;
                m
            });
    for l in input {
        assert!(stored.contains_key(l), "line never stored: {l}");
    }
    assert_eq!(
        stored.len(),
        input.len(),
        "the server stored lines that were not in the input"
    );
}

#[test]
fn retries_429_503_500_with_retry_after_then_stores_everything() {
    let (dir, input, file) = generated_input("retry", 100);
    let server = FaultServer::start(|s: &Seen| match s.n {
        0 => Reply::with_header(429, "Retry-After", "1"),
        1 => Reply::status(503),
        2 => Reply::with_body(500, r#"{"error":"internal"}"#),
        _ => Reply::status(204),
    });
    let rep = dir.join("report.json");
    let out = replay(&argv(
        "--url {} --db d --precision s --batch-lines 10 --concurrency 1 --report {} {}",
        &[&server.url, rep.to_str().unwrap(), &file],
    ));
    assert_exit(&out, 0);
    let seen = server.seen();
    // Retry-After: 1 was honoured: at least a second between the 429 and the retry.
    assert!(seen[1].at.duration_since(seen[0].at) >= Duration::from_millis(990));
    // The three failures were retries of the same first batch.
    assert_eq!(seen[0].body, seen[3].body);
    assert_eq!(seen[0].target, "/write?db=d&precision=s");
    assert_stored_once(&server, &input);
    let r = report(&rep);
    assert_eq!(r["retries"], 3);
    assert_eq!(r["requests"], 13);
    assert_eq!(r["lines_acknowledged"], 100);
    assert_eq!(r["lines_refused"], 0);
    assert_eq!(r["lines_pending"], 0);
    assert_eq!(r["status_counts"]["429"], 1);
    assert_eq!(r["status_counts"]["503"], 1);
    assert_eq!(r["status_counts"]["500"], 1);
    assert_eq!(r["status_counts"]["204"], 10);
}

#[test]
fn retry_after_as_an_http_date() {
    let (_dir, input, file) = generated_input("date", 5);
    let server = FaultServer::start(|s: &Seen| {
        if s.n == 0 {
            // Two seconds from now, as an IMF-fixdate.
            let t = std::time::SystemTime::now() + Duration::from_secs(2);
            Reply::with_header(503, "Retry-After", &http_date(t))
        } else {
            Reply::status(204)
        }
    });
    let out = replay(&argv(
        "--url {} --precision s --db d {}",
        &[&server.url, &file],
    ));
    assert_exit(&out, 0);
    let seen = server.seen();
    let waited = seen[1].at.duration_since(seen[0].at);
    // Whole seconds: the date is 1-2 s away.
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    assert_stored_once(&server, &input);
}

fn http_date(t: std::time::SystemTime) -> String {
    let secs = t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    // Civil from days (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    format!(
        "{wd}, {d:02} {} {y} {:02}:{:02}:{:02} GMT",
        months[(m - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[test]
fn a_413_splits_the_batch_until_it_fits() {
    let (dir, input, file) = generated_input("split", 100);
    let server = FaultServer::start(|s: &Seen| {
        if s.lines().len() > 12 {
            Reply::status(413)
        } else {
            Reply::status(204)
        }
    });
    let rep = dir.join("report.json");
    let out = replay(&argv(
        "--url {} --precision s --db d --batch-lines 50 --report {} {}",
        &[&server.url, rep.to_str().unwrap(), &file],
    ));
    assert_exit(&out, 0);
    assert_stored_once(&server, &input);
    let r = report(&rep);
    // 50 -> 25 -> 12/13 -> 13 -> 6/7: every part of at most 12 lines is stored.
    assert!(r["splits"].as_u64().unwrap() >= 6, "{r}");
    assert_eq!(r["retries"], 0);
    assert!(server
        .seen()
        .iter()
        .all(|s| s.status == 413 || s.lines().len() <= 12));
}

/// Lines containing `value=13i` or `value=77i` are refused; the rest stored.
fn is_bad(line: &str) -> bool {
    line.contains(" value=13i,") || line.contains(" value=77i,")
}

fn partial_server(api: &'static str) -> FaultServer {
    FaultServer::start(move |s: &Seen| {
        let all = s.lines();
        let bad: Vec<(usize, &String)> =
            all.iter().enumerate().filter(|(_, l)| is_bad(l)).collect();
        if bad.is_empty() {
            return Reply::status(204);
        }
        let good: Vec<String> = all.iter().filter(|l| !is_bad(l)).cloned().collect();
        let body = match api {
            "v1" => {
                let msgs: Vec<String> = bad
                    .iter()
                    .map(|(_, l)| format!("unable to parse '{l}': invalid field format"))
                    .collect();
                serde_json::json!({"error": format!("partial write: {} dropped=0", msgs.join("\n"))}).to_string()
            }
            _ => {
                let data: Vec<_> = bad
                    .iter()
                    .map(|(i, l)| serde_json::json!({"original_line": l, "line_number": i + 1, "error_message": "invalid column type"}))
                    .collect();
                serde_json::json!({"error": "partial write of line protocol occurred", "data": data}).to_string()
            }
        };
        Reply::Status {
            status: 400,
            headers: vec![],
            body,
            delay: Duration::ZERO,
            stored: Some(good),
        }
    })
}

fn check_partial(api: &'static str, extra: &[&str], env: &[(&str, &str)]) -> (FaultServer, String) {
    let (dir, input, file) = generated_input("partial", 200);
    let server = partial_server(api);
    let rej = dir.join("rejects.lp");
    let rep = dir.join("report.json");
    let mut args = argv(
        "--url {} --api {} --db d --batch-lines 30 --concurrency 2 --rejects {} --report {}",
        &[
            &server.url,
            api,
            rej.to_str().unwrap(),
            rep.to_str().unwrap(),
        ],
    );
    args.extend_from_slice(extra);
    args.push(&file);
    let out = replay_with_env(&args, env);
    assert_exit(&out, 3);
    let r = report(&rep);
    assert_eq!(r["lines_read"], 200);
    assert_eq!(r["lines_acknowledged"], 198);
    assert_eq!(r["lines_refused"], 2);
    assert_eq!(r["lines_pending"], 0);
    // Refused lines are never resent: one request per batch.
    assert_eq!(r["requests"], 7);
    assert_eq!(server.seen().len(), 7);
    let good: Vec<String> = input.iter().filter(|l| !is_bad(l)).cloned().collect();
    let mut stored = server.stored();
    stored.sort();
    let mut want = good;
    want.sort();
    assert_eq!(stored, want);
    let rejects = std::fs::read_to_string(&rej).unwrap();
    let reason = if api == "v1" {
        "invalid field format"
    } else {
        "invalid column type"
    };
    let expected = format!(
        "# {file}:14: HTTP 400: {reason}\n{}\n# {file}:78: HTTP 400: {reason}\n{}\n",
        input[13], input[77]
    );
    // Batches may be answered in any order across two connections.
    let mut got: Vec<&str> = rejects.split_inclusive('\n').collect();
    let mut exp: Vec<&str> = expected.split_inclusive('\n').collect();
    got.sort();
    exp.sort();
    assert_eq!(got, exp, "rejects file:\n{rejects}");
    (server, stderr(&out))
}

#[test]
fn v1_partial_write_refused_lines_go_to_the_rejects_file() {
    let (server, _) = check_partial("v1", &["--precision", "s"], &[]);
    assert!(server
        .seen()
        .iter()
        .all(|s| s.target == "/write?db=d&precision=s"));
}

#[test]
fn v3_partial_write_with_bearer_token_never_printed() {
    let (server, err) = check_partial(
        "v3",
        &["--token-env", "MY_TOKEN", "--precision", "s"],
        &[("MY_TOKEN", "s3cr3t-token")],
    );
    for s in server.seen() {
        assert_eq!(
            s.target,
            "/api/v3/write_lp?db=d&accept_partial=true&precision=second"
        );
        assert_eq!(
            s.headers.get("authorization").map(String::as_str),
            Some("Bearer s3cr3t-token")
        );
    }
    assert!(!err.contains("s3cr3t"), "{err}");
}

#[test]
fn connection_resets_and_slow_answers_are_survived() {
    let (dir, input, file) = generated_input("reset", 60);
    let server = FaultServer::start(|s: &Seen| match s.n {
        0 | 2 => Reply::Reset,
        3 => Reply::slow(Duration::from_millis(400)),
        _ => Reply::status(204),
    });
    let rep = dir.join("report.json");
    let out = replay(&argv(
        "--url {} --precision s --db d --batch-lines 20 --concurrency 1 --report {} {}",
        &[&server.url, rep.to_str().unwrap(), &file],
    ));
    assert_exit(&out, 0);
    assert_stored_once(&server, &input);
    let r = report(&rep);
    assert_eq!(r["network_errors"], 2);
    assert_eq!(r["retries"], 2);
    assert!(r["latency_ms"]["max"].as_f64().unwrap() >= 400.0, "{r}");
}

#[test]
fn a_request_timeout_is_retried_at_least_once_delivery() {
    let (_dir, input, file) = generated_input("timeout", 10);
    let server = FaultServer::start(|s: &Seen| {
        if s.n == 0 {
            Reply::slow(Duration::from_secs(3))
        } else {
            Reply::status(204)
        }
    });
    let out = replay(&argv(
        "--url {} --precision s --db d --timeout 1s {}",
        &[&server.url, &file],
    ));
    assert_exit(&out, 0);
    std::thread::sleep(Duration::from_secs(3)); // let the slow answer be recorded
    assert_stored_at_least_once(&server, &input);
    assert_eq!(server.seen().len(), 2);
}

#[test]
fn gives_up_after_max_retry_time_with_exit_1() {
    let dir = TempDir::new("giveup");
    let file = write_lines(&dir, "in.lp", &lines(10));
    let server = FaultServer::start(|_| Reply::status(503));
    let rep = dir.join("report.json");
    let t0 = Instant::now();
    let out = replay(&argv(
        "--url {} --precision s --db d --max-retry-time 2s --report {} {}",
        &[&server.url, rep.to_str().unwrap(), &file],
    ));
    assert_exit(&out, 1);
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert_stderr_has(&out, "gave up");
    let r = report(&rep);
    assert_eq!(r["ending"], "gave_up");
    assert_eq!(r["lines_pending"], 10);
    assert!(r["retries"].as_u64().unwrap() >= 2, "{r}");
}

#[test]
fn fatal_statuses_stop_the_run() {
    for (status, words) in [
        (401, "unauthorized"),
        (403, "forbidden"),
        (404, "not found"),
    ] {
        let dir = TempDir::new("fatal");
        let file = write_lines(&dir, "in.lp", &lines(1000));
        let server = FaultServer::start(move |_| Reply::with_body(status, r#"{"error":"nope"}"#));
        let out = replay(&argv(
            "--url {} --precision s --db d --batch-lines 10 {}",
            &[&server.url, &file],
        ));
        assert_exit(&out, 1);
        assert_stderr_has(&out, &format!("HTTP {status}: {words}"));
        // Stopped at once: no more than one request per connection.
        assert!(server.seen().len() <= 2, "{}", server.seen().len());
    }
}

#[test]
fn basic_auth_gzip_and_v2_token() {
    let (dir, input, file) = generated_input("auth", 300);
    let server = FaultServer::accept_all();
    let out = replay_with_env(
        &argv("--url {} --db d --rp autogen --username alice --password-env PW --gzip --precision s {}", &[&server.url, &file]),
        &[("PW", "open sesame")],
    );
    assert_exit(&out, 0);
    for s in server.seen() {
        assert_eq!(s.target, "/write?db=d&rp=autogen&precision=s");
        assert_eq!(
            s.headers.get("content-encoding").map(String::as_str),
            Some("gzip")
        );
        assert_eq!(
            s.headers.get("authorization").map(String::as_str),
            Some("Basic YWxpY2U6b3BlbiBzZXNhbWU=")
        );
    }
    assert_stored_once(&server, &input);
    assert!(!stderr(&out).contains("sesame"));

    // Timestamps that are a plausible time in no unit are sent under any --precision.
    let tiny = write_lines(&dir, "tiny.lp", &["m f=1i 1".into(), "m f=2i 2".into()]);
    let server = FaultServer::accept_all();
    let args = argv(
        "--url {} --api v2 --bucket b --org o --precision us {}",
        &[&server.url, &tiny],
    );
    let out = replay_with_env(&args, &[("INFLUX_TOKEN", "tok")]);
    assert_exit(&out, 0);
    let seen = server.seen();
    assert_eq!(seen[0].target, "/api/v2/write?bucket=b&org=o&precision=us");
    assert_eq!(
        seen[0].headers.get("authorization").map(String::as_str),
        Some("Token tok")
    );

    // --username without its password variable is a usage error.
    let out = replay(&argv(
        "--url {} --precision s --db d --username bob {}",
        &[&server.url, &file],
    ));
    assert_exit(&out, 2);
}

#[test]
fn comments_blank_lines_stdin_gz_and_dry_run() {
    let dir = TempDir::new("inputs");
    let body = "# a comment\nm f=1 1\n\n   \nm f=2 2\n# another\nm f=3 3";
    let plain = dir.join("a.lp");
    std::fs::write(&plain, body).unwrap();
    let gz = dir.join("b.lp.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(b"m f=4 4\n# c\nm f=5 5\n").unwrap();
    enc.finish().unwrap();
    let server = FaultServer::accept_all();
    let out = replay(&argv(
        "--url {} --db d {} {}",
        &[&server.url, plain.to_str().unwrap(), gz.to_str().unwrap()],
    ));
    assert_exit(&out, 0);
    let mut stored = server.stored();
    stored.sort();
    assert_eq!(
        stored,
        vec!["m f=1 1", "m f=2 2", "m f=3 3", "m f=4 4", "m f=5 5"]
    );

    // stdin
    let server = FaultServer::accept_all();
    let mut child = Command::new(BIN)
        .args(["replay", "--url", &server.url, "--db", "d", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 0);
    assert_eq!(server.stored().len(), 3);

    // --dry-run sends nothing.
    let server = FaultServer::accept_all();
    let rep = dir.join("r.json");
    let out = replay(&argv(
        "--url {} --db d --dry-run --report {} {}",
        &[&server.url, rep.to_str().unwrap(), plain.to_str().unwrap()],
    ));
    assert_exit(&out, 0);
    assert!(server.seen().is_empty());
    assert_eq!(report(&rep)["lines_read"], 3);
    assert!(stderr(&out).contains("dry run"));

    // A missing input is an I/O error: exit 2.
    let out = replay(&argv(
        "--url {} --db d {}",
        &[&server.url, dir.join("missing.lp").to_str().unwrap()],
    ));
    assert_exit(&out, 2);
    // A missing schema is a usage error: exit 2, naming it.
    let out = replay(&argv(
        "--url {} --db d --schema x.toml x.csv",
        &[&server.url],
    ));
    assert_eq!(out.status.code(), Some(2));
    assert_stderr_has(&out, "x.toml");
}

#[test]
fn time_shift_and_now_rewrite_timestamps() {
    let dir = TempDir::new("time");
    let file = write_lines(
        &dir,
        "in.lp",
        &[
            "m f=1 1000".into(),
            "m f=2".into(),
            "m,t=x f=\"a 5\" 1060".into(),
        ],
    );
    let server = FaultServer::accept_all();
    let out = replay(&argv(
        "--url {} --db d --precision s --time shift:-10m {}",
        &[&server.url, &file],
    ));
    assert_exit(&out, 0);
    assert_eq!(
        server.stored(),
        vec!["m f=1 400", "m f=2", "m,t=x f=\"a 5\" 460"]
    );

    // `first-at-now`: the first timestamp becomes now.
    let server = FaultServer::accept_all();
    let before = unix_now();
    let out = replay(&argv(
        "--url {} --db d --precision s --time first-at-now {}",
        &[&server.url, &file],
    ));
    assert_exit(&out, 0);
    let stored = server.stored();
    let ts = |l: &str| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap();
    let first = ts(&stored[0]);
    assert!(
        first >= before && first <= before + 5,
        "{first} vs {before}"
    );
    assert_eq!(ts(&stored[2]), first + 60);
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Issue 18: `--time now` puts the newest timestamp of a file at now, wherever it is in the
/// file, so nothing lands in the future; a stream (standard input) cannot be read twice, so
/// there its first timestamp becomes now, and the run says so.
#[test]
fn time_now_puts_the_newest_timestamp_at_now() {
    let dir = TempDir::new("time-now");
    // 12 hours of data, newest in the middle of the file.
    let file = write_lines(
        &dir,
        "in.lp",
        &[
            "m f=1 1000".into(),
            "m f=2 44200".into(),
            "m f=3".into(),
            "m f=4 1060".into(),
        ],
    );
    let ts = |l: &str| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap();
    for extra in [None, Some("--checkpoint")] {
        let server = FaultServer::accept_all();
        let before = unix_now();
        let ckpt = dir.join("ckpt.json");
        let _ = std::fs::remove_file(&ckpt);
        let mut args = argv(
            "--url {} --db d --precision s --time now {}",
            &[&server.url, &file],
        );
        let ckpt_text = ckpt.display().to_string();
        if extra.is_some() {
            args.extend(["--checkpoint", ckpt_text.as_str()]);
        }
        let out = replay(&args);
        assert_exit(&out, 0);
        let stored = server.stored();
        let newest = ts(&stored[1]);
        assert!(
            newest >= before && newest <= unix_now() + 1,
            "{newest} vs {before}: {stored:?}"
        );
        assert_eq!(ts(&stored[0]), newest - 43_200);
        assert_eq!(ts(&stored[3]), newest - 43_140);
        assert_eq!(stored[2], "m f=3");
    }

    let server = FaultServer::accept_all();
    let before = unix_now();
    let out = run_in(
        &dir,
        &argv(
            "replay --url {} --db d --precision s --time now -",
            &[&server.url],
        ),
        Some(b"m f=1 1000\nm f=2 44200\n"),
    );
    assert_exit(&out, 0);
    assert_stderr_has(&out, "first timestamp becomes now");
    let first = ts(&server.stored()[0]);
    assert!(first >= before && first <= unix_now() + 1, "{first}");
}

#[test]
fn pace_replays_the_original_spacing_sped_up() {
    let dir = TempDir::new("pace");
    // 20 lines over 19 seconds of original time; at 10x that is 1.9 s.
    let input: Vec<String> = (0..20).map(|i| format!("m f={i} {}", 1_000 + i)).collect();
    let file = write_lines(&dir, "in.lp", &input);
    let server = FaultServer::accept_all();
    let out = replay(&argv(
        "--url {} --db d --precision s --pace 10x {}",
        &[&server.url, &file],
    ));
    assert_exit(&out, 0);
    let seen = server.seen();
    let span = seen.last().unwrap().at.duration_since(seen[0].at);
    assert!(
        span >= Duration::from_millis(1800) && span < Duration::from_millis(2600),
        "{span:?}"
    );
    // Each line in its own 100 ms slot: no batch holds two seconds of original time.
    assert!(seen.len() >= 19, "{}", seen.len());
    assert_stored_once(&server, &input);
}

#[test]
fn rate_limit_is_accurate_and_smooth() {
    let (dir, input, file) = generated_input("rate", 60_000);
    let server = FaultServer::accept_all();
    let out = replay(&argv(
        "--url {} --precision s --db d --rate 20000 {}",
        &[&server.url, &file],
    ));
    assert_exit(&out, 0);
    let seen = server.seen();
    let (first, last) = (&seen[0], seen.last().unwrap());
    let span = last.at.duration_since(first.at).as_secs_f64();
    let lines_after_first: usize = seen[1..].iter().map(|s| s.lines().len()).sum();
    let rate = lines_after_first as f64 / span;
    assert!(
        (rate - 20_000.0).abs() / 20_000.0 < 0.03,
        "achieved {rate:.0} lines/s over {span:.2} s"
    );
    // Smooth: batches of at most 1/50 s of the rate, no second's worth at once.
    assert!(
        seen.iter().all(|s| s.lines().len() <= 400),
        "a batch over 400 lines"
    );
    // Bytes per second too.
    let server = FaultServer::accept_all();
    let small = write_lines(&dir, "small.lp", &input[..20_000]);
    let bytes: usize = input[..20_000].iter().map(|l| l.len() + 1).sum();
    let t0 = Instant::now();
    let out = replay(&argv(
        "--url {} --precision s --db d --rate 200KB/s {}",
        &[&server.url, &small],
    ));
    assert_exit(&out, 0);
    let secs = t0.elapsed().as_secs_f64();
    let expected = bytes as f64 / 200_000.0;
    assert!(
        secs > expected * 0.95 && secs < expected * 1.15,
        "{secs:.2} s for {expected:.2} s of data"
    );
}

#[test]
fn checkpoint_resumes_after_sigkill_with_nothing_lost() {
    let (dir, input, file) = generated_input("ckpt", 8000);
    let server = FaultServer::accept_all();
    let ckpt = dir.join("ckpt.json");
    let ckpt_path = ckpt.display().to_string();
    let args = |rate: &str| -> Vec<String> {
        let options = "replay --url {} --precision s --db d --rate {} --checkpoint {} {}";
        argv(options, &[&server.url, rate, &ckpt_path, &file])
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    kill_after(&args("2000"), Duration::from_millis(2500));
    let sent_before = server.stored().len();
    assert!(sent_before > 1000 && sent_before < 8000, "{sent_before}");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ckpt).unwrap()).unwrap();
    let offset = saved["inputs"][0]["offset"].as_u64().unwrap();
    assert!(offset > 0, "{saved}");
    assert_eq!(saved["inputs"][0]["complete"], false);

    let out = Command::new(BIN).args(args("1000000")).output().unwrap();
    assert_exit(&out, 0);
    assert_stderr_has(&out, "resumed at line");
    assert_stored_at_least_once(&server, &input);
    // Sent twice: at most what was acknowledged since the last checkpoint (written every
    // 250 ms: 500 lines at 2000/s) plus the batches in flight (2 connections, 4 queued, of
    // 40 lines each).
    let total = server.stored().len();
    assert!(
        total - 8000 <= 500 + 6 * 40,
        "{total} lines stored for 8000"
    );
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ckpt).unwrap()).unwrap();
    assert_eq!(saved["inputs"][0]["complete"], true);

    // A third run has nothing to send; a changed input is refused.
    let out = Command::new(BIN).args(args("1000000")).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(server.stored().len(), total);
    std::fs::write(&file, "m f=1 1\n").unwrap();
    let out = Command::new(BIN).args(args("1000000")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_stderr_has(&out, "delete it to start over");
}

#[test]
fn time_now_offset_is_kept_across_a_resume() {
    let (dir, _input, file) = generated_input("ckpt-now", 3000);
    let server = FaultServer::accept_all();
    let ckpt = dir.join("ckpt.json");
    let ckpt_path = ckpt.display().to_string();
    let args = |rate: &str| -> Vec<String> {
        let options =
            "replay --url {} --db d --precision s --time now --rate {} --checkpoint {} {}";
        argv(options, &[&server.url, rate, &ckpt_path, &file])
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    kill_after(&args("2000"), Duration::from_millis(700));
    // Later than the first run's "now": a fresh offset would differ.
    std::thread::sleep(Duration::from_millis(1500));
    let out = Command::new(BIN).args(args("1000000")).output().unwrap();
    assert_exit(&out, 0);
    let mut offsets = std::collections::BTreeSet::new();
    for l in server.stored() {
        // m,host=hN value=Ii,x=I.5 TS
        let i: i64 = l
            .split("value=")
            .nth(1)
            .unwrap()
            .split('i')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let ts: i64 = l.rsplit(' ').next().unwrap().parse().unwrap();
        offsets.insert(ts - (1_600_000_000 + i));
    }
    assert_eq!(
        offsets.len(),
        1,
        "timestamps shifted by different offsets: {offsets:?}"
    );
    assert!(server.stored().len() >= 3000);
}
