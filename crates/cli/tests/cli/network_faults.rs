//! Network faults and server answers, for replay and bench: redirects, malformed URLs, TLS
//! failures, URL prefixes and query parameters, secrets in URLs and server texts, Retry-After
//! beyond --max-retry-time or far in the future, partial-write answers (cut off, large,
//! naming indented lines, naming no line).

use crate::support::{
    argv, assert_exit, assert_stderr_has, bench, points, replay, replay_with_env, replay_within,
    report, stderr, write_lines, write_text, FaultServer, Reply, Seen, TempDir,
};
use std::process::Output;
use std::time::{Duration, Instant};

/// Runs a short `lpconvert bench --url URL OPTIONS` (database b, 2 hosts, one second without
/// warmup, retries for at most 20 s) to its end.
fn bench_short(url: &str, options: &[&str]) -> Output {
    let mut args = argv("--url {}", &[url]);
    args.extend_from_slice(options);
    args.extend(argv(
        "--db b --duration 1s --warmup 0s --hosts 2 --max-retry-time 20s",
        &[],
    ));
    bench(&args)
}

fn data(dir: &TempDir) -> String {
    write_text(dir, "in.lp", "m f=1 1\nm f=2 2\nm f=3 3\n")
}

/// A server that answers the first request `status` with a `Retry-After` date in the year
/// 300,000,000,000, and every later one 204.
fn retry_after_far_in_the_future(status: u16) -> FaultServer {
    FaultServer::start(move |s: &Seen| {
        if s.n == 0 {
            Reply::with_header(
                status,
                "Retry-After",
                "Sun, 06 Nov 300000000000 08:49:37 GMT",
            )
        } else {
            Reply::status(204)
        }
    })
}

/// The port of a fault server's URL.
fn port(server: &FaultServer) -> &str {
    server.url.rsplit(':').next().unwrap_or("")
}

#[test]
fn redirect_is_fatal_and_never_resent_as_get() {
    let dir = TempDir::new("redirect");
    let input = data(&dir);
    for status in [301u16, 302, 303, 307, 308] {
        // The redirect points at the same server, which stores anything: following it (as a
        // GET without the body, or a POST) would "acknowledge" the lines.
        let location = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let loc = location.clone();
        let server = FaultServer::start(move |s| {
            if s.target.starts_with("/write") {
                Reply::with_header(status, "Location", &loc.lock().unwrap())
            } else {
                Reply::status(204)
            }
        });
        *location.lock().unwrap() = format!(
            "http://admin:hunter2pw@127.0.0.1:{}/elsewhere/write?db=d&p=hunter2pw",
            port(&server)
        );
        let started = Instant::now();
        let out = replay(&argv(
            "--url {} --db d --max-retry-time 20s {}",
            &[&server.url, &input],
        ));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{status}: {err}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{status}: retried"
        );
        let seen = server.seen();
        assert_eq!(seen.len(), 1, "{status}: followed the redirect: {seen:?}");
        assert_stderr_has(&out, &format!("HTTP {status}"));
        assert!(
            err.contains(&format!(
                "--url http://127.0.0.1:{}/elsewhere",
                port(&server)
            )),
            "{status}: no --url suggestion: {err}"
        );
        assert!(!err.contains("hunter2pw"), "{status}: secret shown: {err}");
    }
}

#[test]
fn redirect_is_fatal_in_bench() {
    let server = FaultServer::start(|s| {
        if s.target.starts_with("/write") {
            Reply::with_header(307, "Location", "/v2/write?db=b")
        } else {
            Reply::status(204)
        }
    });
    let out = bench_short(&server.url, &[]);
    assert_exit(&out, 1);
    assert!(
        !server
            .seen()
            .iter()
            .any(|s| s.target.starts_with("/v2/write")),
        "followed the redirect"
    );
    assert_stderr_has(&out, "HTTP 307");
    assert_stderr_has(&out, &format!("--url {}/v2", server.url));
}

#[test]
fn malformed_urls_and_zero_timeout_are_usage_errors() {
    let dir = TempDir::new("badurl");
    let input = data(&dir);
    let bad = [
        "http://[::1",
        "http://127.0.0.1:99999",
        "http://127.0.0.1 :8086",
        "http://127.0.0.1:8086/a b",
        "ftp://127.0.0.1:8086",
        "http://",
        "http:///write",
        "127.0.0.1:8086",
        "http://127.0.0.1:8086/#frag",
        "http://127.0.0.1:8086#",
        "http://127.0.0.1:0",
        "http://127.0.0.1:8086/write",
        "http://user@127.0.0.1:8086",
    ];
    for url in bad {
        let out = replay(&["--url", url, "--db", "d", &input]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "replay {url:?}: {err}");
        assert!(err.contains("--url"), "replay {url:?}: {err}");
        let out = bench_short(url, &[]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "bench {url:?}: {}",
            stderr(&out)
        );
    }
    let server = FaultServer::accept_all();
    let out = replay(&argv(
        "--url {} --db d --timeout 0s {}",
        &[&server.url, &input],
    ));
    assert_exit(&out, 2);
    assert_stderr_has(&out, "--timeout");
    let out = replay(&argv(
        "--url {} --db d --timeout 1ns {}",
        &[&server.url, &input],
    ));
    assert_exit(&out, 2);
    let out = bench_short(&server.url, &["--timeout", "0ms"]);
    assert_exit(&out, 2);
    assert!(server.seen().is_empty(), "a request was sent");
}

#[test]
fn https_to_a_plain_http_port_fails_at_once() {
    let dir = TempDir::new("tls");
    let input = data(&dir);
    let server = FaultServer::accept_all();
    let url = server.url.replace("http://", "https://");
    let started = Instant::now();
    let out = replay(&argv(
        "--url {} --db d --max-retry-time 30s {}",
        &[&url, &input],
    ));
    let err = stderr(&out);
    assert_exit(&out, 1);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "retried the TLS failure: {err}"
    );
    assert_stderr_has(&out, "TLS");
    assert!(err.contains("http://"), "no hint to use http://: {err}");
    let started = Instant::now();
    let out = bench_short(&url, &[]);
    assert_exit(&out, 1);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn url_path_prefix_and_query_are_kept() {
    let dir = TempDir::new("prefix");
    let input = data(&dir);
    let server = FaultServer::accept_all();
    for (suffix, api, expected) in [
        ("/pre?x=1", "v1", "/pre/write?x=1&db=d&precision=n"),
        (
            "/pre/?x=1&y=a%20b",
            "v1",
            "/pre/write?x=1&y=a%20b&db=d&precision=n",
        ),
        ("/pre/", "v2", "/pre/api/v2/write?bucket=d&precision=ns"),
        (
            "",
            "v3",
            "/api/v3/write_lp?db=d&accept_partial=true&precision=nanosecond",
        ),
    ] {
        let url = format!("{}{suffix}", server.url);
        let before = server.seen().len();
        let out = replay(&["--url", &url, "--api", api, "--db", "d", &input]);
        assert_eq!(out.status.code(), Some(0), "{url}: {}", stderr(&out));
        let seen = server.seen();
        assert_eq!(seen[before].target, expected, "{url}");
    }
    // A parameter the tool sets is given by its option, not in --url.
    let url = format!("{}/?db=other", server.url);
    let out = replay(&argv("--url {} --db d {}", &[&url, &input]));
    assert_exit(&out, 2);
    assert_stderr_has(&out, "--db");
}

#[test]
fn credentials_in_the_url_are_sent_as_basic_auth_and_never_shown() {
    let dir = TempDir::new("secrets");
    let input = data(&dir);
    let rejects = dir.join("rejects.lp");
    let rep = dir.join("report.json");
    // The server echoes the request target and the credentials in its refusal.
    let server = FaultServer::start(|s| {
        Reply::with_body(
            400,
            format!(
                "{{\"error\":\"bad request {} auth {}\"}}",
                s.target,
                s.headers.get("authorization").cloned().unwrap_or_default()
            ),
        )
    });
    let url =
        server.url.replace("http://", "http://admin:Sesame%40Open@") + "/?u=admin&p=qpassword1";
    let out = replay(&argv(
        "--url {} --db d --rejects {} --report {} {}",
        &[
            &url,
            rejects.to_str().unwrap(),
            rep.to_str().unwrap(),
            &input,
        ],
    ));
    let err = stderr(&out);
    assert_exit(&out, 3);
    let seen = server.seen();
    // admin:Sesame@Open
    assert_eq!(
        seen[0].headers.get("authorization").map(String::as_str),
        Some("Basic YWRtaW46U2VzYW1lQE9wZW4=")
    );
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    let reported = std::fs::read_to_string(&rep).unwrap();
    for (what, text) in [
        ("stderr", &err),
        ("rejects", &rejected),
        ("report", &reported),
    ] {
        for secret in ["Sesame", "qpassword1", "YWRtaW46U2VzYW1lQE9wZW4"] {
            assert!(!text.contains(secret), "{what} shows {secret}: {text}");
        }
    }
    assert!(rejected.contains("[redacted]"), "{rejected}");
    let url_in_report = report(&rep)["url"].as_str().unwrap().to_owned();
    assert!(url_in_report.contains("p=[redacted]"), "{url_in_report}");
    assert!(url_in_report.contains("u=admin"), "{url_in_report}");
}

#[test]
fn a_token_echoed_by_the_server_is_redacted() {
    let dir = TempDir::new("token");
    let input = data(&dir);
    let rejects = dir.join("rejects.lp");
    let server = FaultServer::start(|s| {
        let auth = s.headers.get("authorization").cloned().unwrap_or_default();
        if s.n == 0 {
            Reply::with_body(400, format!("{{\"error\":\"refused for {auth}\"}}"))
        } else {
            Reply::with_body(401, format!("{{\"error\":\"bad credentials {auth}\"}}"))
        }
    });
    for quiet in [false, true] {
        let mut args = argv(
            "--url {} --db d --batch-lines 1 --concurrency 1 --rejects {} {}",
            &[server.url.as_str(), rejects.to_str().unwrap(), &input],
        );
        if quiet {
            args.push("--quiet");
        }
        let out = replay_with_env(&args, &[("INFLUX_TOKEN", "tok-Xy7Secret")]);
        let err = stderr(&out);
        assert_exit(&out, 1);
        assert_stderr_has(&out, "401");
        assert!(!err.contains("Xy7Secret"), "{err}");
        assert_stderr_has(&out, "[redacted]");
    }
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    assert!(!rejected.contains("Xy7Secret"), "{rejected}");
}

#[test]
fn retry_after_beyond_max_retry_time_says_why() {
    let dir = TempDir::new("retryafter");
    let input = data(&dir);
    let server = FaultServer::start(|_| Reply::with_header(503, "Retry-After", "3600"));
    let started = Instant::now();
    let out = replay(&argv(
        "--url {} --db d --max-retry-time 5s {}",
        &[&server.url, &input],
    ));
    let err = stderr(&out);
    assert_exit(&out, 1);
    assert!(started.elapsed() < Duration::from_secs(5), "waited: {err}");
    assert_stderr_has(&out, "the server asked to retry after 3600 s");
    assert_stderr_has(&out, "--max-retry-time 5s");
    assert!(
        !err.contains(": \n") && !err.contains(": ;"),
        "dangling colon: {err}"
    );
}

#[test]
fn an_empty_body_leaves_no_dangling_colon() {
    let dir = TempDir::new("emptybody");
    let input = data(&dir);
    let server = FaultServer::start(|_| Reply::status(500));
    let out = replay(&argv(
        "--url {} --db d --max-retry-time 1s {}",
        &[&server.url, &input],
    ));
    let err = stderr(&out);
    assert_exit(&out, 1);
    assert_stderr_has(&out, "HTTP 500");
    assert!(
        !err.contains("HTTP 500: \n") && !err.contains("500: \n"),
        "{err}"
    );
    assert!(!err.trim_end().ends_with(':'), "{err}");
}

/// `openssl s_server` with a fresh self-signed certificate on 127.0.0.1, killed on drop.
struct TlsServer {
    url: String,
    child: std::process::Child,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_self_signed_tls(dir: &TempDir) -> TlsServer {
    let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl is needed for this test (apt-get install -y openssl)");
    assert!(made.success(), "openssl req failed");
    let port = crate::support::free_port();
    let child = std::process::Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start openssl s_server");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "openssl s_server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    TlsServer {
        url: format!("https://127.0.0.1:{port}"),
        child,
    }
}

#[test]
fn a_certificate_that_does_not_verify_is_fatal_at_once() {
    let dir = TempDir::new("cert");
    let input = data(&dir);
    let server = start_self_signed_tls(&dir);
    let started = Instant::now();
    let out = replay(&argv(
        "--url {} --db d --max-retry-time 30s {}",
        &[&server.url, &input],
    ));
    let err = stderr(&out);
    assert_exit(&out, 1);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "retried: {err}"
    );
    assert!(err.contains("TLS") && err.contains("certificate"), "{err}");
}

#[test]
fn bench_reports_never_show_url_credentials() {
    let dir = TempDir::new("benchsecrets");
    let server = FaultServer::start(|s| {
        if s.target.starts_with("/write") {
            Reply::status(204)
        } else {
            // The probe: a server echoing what it was sent.
            Reply::with_body(404, format!("{{\"error\":\"no {}\"}}", s.target))
        }
    });
    let url = server.url.replace("http://", "http://admin:Zq9Secretpw@") + "/?p=Qq7Secretp";
    let report_dir = dir.join("rep");
    let out = bench_short(&url, &["--report", report_dir.to_str().unwrap()]);
    let err = stderr(&out);
    assert_exit(&out, 0);
    let writes = server.writes();
    assert!(!writes.is_empty());
    assert!(writes.iter().all(|s| s
        .headers
        .get("authorization")
        .is_some_and(|a| a.starts_with("Basic "))));
    let mut texts = vec![("stderr".to_owned(), err)];
    for f in ["report.json", "report.md", "chart.svg"] {
        let text = std::fs::read_to_string(report_dir.join(f)).unwrap();
        texts.push((f.to_owned(), text));
    }
    for (what, text) in &texts {
        for secret in ["Zq9Secretpw", "Qq7Secretp"] {
            assert!(!text.contains(secret), "{what} shows {secret}: {text}");
        }
    }
    assert!(texts[1].1.contains("p=[redacted]"), "{}", texts[1].1);
}

/// Replays 4 lines to a server answering `status`/`body` (storing `stored` of them); returns
/// the report.
fn replay_against(api: &str, status: u16, body: &str, stored: &[&str]) -> serde_json::Value {
    let dir = TempDir::new("partial");
    let input = write_text(&dir, "in.lp", "m f=1 1\nm f=2 2\nm f=3 3\nm f=4 4\n");
    let rep = dir.join("report.json");
    let (body, stored): (String, Vec<String>) = (
        body.to_owned(),
        stored.iter().map(|s| s.to_string()).collect(),
    );
    let server = FaultServer::start(move |_| Reply::Status {
        status,
        headers: vec![],
        body: body.clone(),
        delay: Duration::ZERO,
        stored: Some(stored.clone()),
    });
    let out = replay(&argv(
        "--url {} --api {} --db d --report {} --max-retry-time 5s {}",
        &[&server.url, api, rep.to_str().unwrap(), &input],
    ));
    let r = report(&rep);
    let acked = r["lines_acknowledged"].as_u64().unwrap();
    let refused = r["lines_refused"].as_u64().unwrap();
    assert_eq!(acked + refused, 4, "{r}");
    assert!(
        acked as usize <= server.stored().len(),
        "{api} {status} {}: {acked} acknowledged, the server stored {:?}; {}",
        r["message"],
        server.stored(),
        stderr(&out)
    );
    assert_exit(&out, 3);
    r
}

#[test]
fn partial_write_answers_that_name_no_line_never_count_lines_as_stored() {
    // v3: items naming lines outside the batch, negative, or none at all.
    for data in [
        r#"[{"line_number":2,"error_message":"bad"},{"line_number":9,"error_message":"bad"}]"#,
        r#"[{"line_number":2,"error_message":"bad"},{"line_number":-4,"error_message":"x"}]"#,
        r#"[{"line_number":2,"error_message":"bad"},{"error_message":"no number"}]"#,
    ] {
        let body =
            format!(r#"{{"error":"partial write of line protocol occurred","data":{data}}}"#);
        replay_against("v3", 400, &body, &["m f=1 1", "m f=3 3"]);
    }
    // v1: "partial write" without a readable dropped=N.
    for body in [
        r#"{"error":"partial write: field type conflict"}"#,
        r#"{"error":"partial write: shard is read-only dropped=-1"}"#,
        r#"{"error":"partial write: x dropped=0"}"#,
    ] {
        replay_against("v1", 400, body, &["m f=1 1"]);
    }
}

/// A v3 partial-write answer naming line 2, as raw bytes, with `head` headers.
fn v3_partial_answer(head: &str, body: &[u8]) -> Vec<u8> {
    let mut v = format!("HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n{head}\r\n")
        .into_bytes();
    v.extend_from_slice(body);
    v
}

#[test]
fn a_partial_write_answer_cut_off_or_not_utf8_is_never_taken_for_more_than_it_says() {
    let dir = TempDir::new("cutoff");
    let input = write_text(&dir, "in.lp", "m f=1 1\nm f=2 2\nm f=3 3\nm f=4 4\n");
    let good: Vec<String> = ["m f=1 1", "m f=3 3", "m f=4 4"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    // `@` stands for a byte that is not UTF-8.
    let named: Vec<u8> = r#"{"error":"partial write of line protocol occurred @","data":[{"line_number":2,"error_message":"bad @"}]}"#
        .bytes()
        .map(|b| if b == b'@' { 0xff } else { b })
        .collect();
    let named = &named[..];
    // Non-UTF-8 bytes in a complete answer: read lossily, line 2 alone is refused.
    // Cut off mid-body, or a broken chunked encoding: the answer is incomplete, so the batch
    // is sent again (the server stores the good lines once more) until a complete answer.
    let answers: Vec<Vec<u8>> = vec![
        v3_partial_answer(&format!("Content-Length: {}\r\n", named.len()), named),
        v3_partial_answer("Content-Length: 500\r\n", &named[..40]),
        v3_partial_answer(
            "Transfer-Encoding: chunked\r\n",
            format!("{:x}\r\n", named.len() + 7).as_bytes(),
        ),
    ];
    for (k, answer) in answers.into_iter().enumerate() {
        let rep = dir.join(format!("r{k}.json"));
        let rejects = dir.join(format!("rej{k}.lp"));
        let (good, answer) = (good.clone(), answer.clone());
        let complete = v3_partial_answer(&format!("Content-Length: {}\r\n", named.len()), named);
        let server = FaultServer::start(move |s| Reply::Raw {
            bytes: if s.n == 0 {
                answer.clone()
            } else {
                complete.clone()
            },
            stored: good.clone(),
        });
        let out = replay(&argv("--url {} --api v3 --db d --report {} --rejects {} --timeout 3s --max-retry-time 20s {}", &[&server.url, rep.to_str().unwrap(), rejects.to_str().unwrap(), &input]));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{k}: {err}");
        let r = report(&rep);
        assert_eq!(r["lines_acknowledged"], 3, "{k}: {r}");
        assert_eq!(r["lines_refused"], 1, "{k}: {r}");
        let rejected = std::fs::read_to_string(&rejects).unwrap();
        assert!(
            rejected.contains("m f=2 2") && !rejected.contains("m f=1 1"),
            "{k}: {rejected}"
        );
        assert!(rejected.contains("bad \u{fffd}"), "{k}: {rejected}");
    }
}

#[test]
fn a_token_or_user_that_a_header_cannot_carry_is_a_usage_error() {
    let dir = TempDir::new("badtoken");
    let input = data(&dir);
    let server = FaultServer::accept_all();
    for token in [
        "tok-Qz9Secret\n",
        "tok-Qz9\r\nX-Injected: 1",
        "tok-Qz9Secret\x7f",
    ] {
        let out = replay_with_env(
            &["--url", &server.url, "--db", "d", &input],
            &[("INFLUX_TOKEN", token)],
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{token:?}: {err}");
        assert_stderr_has(&out, "INFLUX_TOKEN");
        assert!(!err.contains("Qz9"), "token shown: {err}");
    }
    let args = argv(
        "--url {} --db d --username ad:min --password-env PW {}",
        &[&server.url, &input],
    );
    let out = replay_with_env(&args, &[("PW", "pw")]);
    assert_exit(&out, 2);
    assert!(server.seen().is_empty(), "{:?}", server.seen());
}

#[test]
fn a_token_echoed_with_json_escapes_is_redacted() {
    let dir = TempDir::new("jsontoken");
    let input = data(&dir);
    let rejects = dir.join("rejects.lp");
    // The server echoes the credentials inside a JSON string, escaped as JSON escapes them
    // (`"` and `\`), or with every character as \uXXXX.
    for unicode in [false, true] {
        let server = FaultServer::start(move |s| {
            let auth = s.headers.get("authorization").cloned().unwrap_or_default();
            let escaped = if unicode {
                auth.chars()
                    .map(|c| format!("\\u{:04x}", c as u32))
                    .collect()
            } else {
                serde_json::to_string(&auth)
                    .unwrap()
                    .trim_matches('"')
                    .to_owned()
            };
            let status = if s.n == 0 { 400 } else { 401 };
            Reply::with_body(status, format!(r#"{{"error":"refused for {escaped}"}}"#))
        });
        let out = replay_with_env(
            &argv(
                "--url {} --db d --batch-lines 1 --concurrency 1 --rejects {} {}",
                &[&server.url, rejects.to_str().unwrap(), &input],
            ),
            &[("INFLUX_TOKEN", r#"tok"Xy7\Secret"#)],
        );
        let err = stderr(&out);
        assert_exit(&out, 1);
        assert!(!err.contains("Xy7"), "{unicode}: {err}");
        let rejected = std::fs::read_to_string(&rejects).unwrap();
        assert!(!rejected.contains("Xy7"), "{unicode}: {rejected}");
        assert!(rejected.contains("[redacted]"), "{unicode}: {rejected}");
    }
}

/// A raw server on 127.0.0.1 that answers `early(content_length)` as soon as it has read the
/// request headers, without reading the body, and closes the connection (as InfluxDB does for
/// a bad token or a body over its limit); `None`: reads the body (answering `100 Continue`
/// first when asked to), stores its lines and answers 204. Returns the URL and the stored lines.
fn early_answer_server(
    early: impl Fn(usize) -> Option<u16> + Send + Sync + 'static,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let stored = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let early = std::sync::Arc::new(early);
    let st = stored.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (st, early) = (st.clone(), early.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let (mut len, mut expect) = (0usize, false);
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 {
                        return;
                    }
                    let h = h.trim_end().to_ascii_lowercase();
                    if h.is_empty() {
                        break;
                    }
                    if let Some(v) = h.strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    expect |= h.starts_with("expect:");
                }
                let status = match early(len) {
                    Some(status) => status,
                    None => {
                        if expect {
                            let _ = stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
                        }
                        let mut body = vec![0u8; len];
                        if reader.read_exact(&mut body).is_err() {
                            return;
                        }
                        st.lock()
                            .unwrap()
                            .extend(String::from_utf8_lossy(&body).lines().map(str::to_owned));
                        204
                    }
                };
                let _ = stream.write_all(
                    format!(
                        "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                    .as_bytes(),
                );
                let _ = stream.shutdown(std::net::Shutdown::Write);
                std::thread::sleep(Duration::from_millis(20));
            });
        }
    });
    (url, stored)
}

#[test]
fn an_answer_sent_before_the_body_was_read_is_heard() {
    let dir = TempDir::new("early");
    let lines: Vec<String> = (0..60_000)
        .map(|i| {
            format!(
                "m,host=h{} f={i}.5,g=\"{}\" {}",
                i % 100,
                "x".repeat(40),
                i + 1
            )
        })
        .collect();
    let input = crate::support::write_lines(&dir, "big.lp", &lines);
    let common = argv(
        "--db d --batch-lines 60000 --batch-bytes 64MB --max-retry-time 8s",
        &[],
    );
    // A bad token: 401 at once, not "connection reset" retried until --max-retry-time.
    let (url, _) = early_answer_server(|_| Some(401));
    let started = Instant::now();
    let mut args = vec!["--url", url.as_str()];
    args.extend(&common);
    args.push(&input);
    let out = replay_with_env(&args, &[("INFLUX_TOKEN", "tok-early")]);
    let err = stderr(&out);
    assert_exit(&out, 1);
    assert_stderr_has(&out, "HTTP 401");
    assert!(started.elapsed() < Duration::from_secs(6), "{err}");
    // A body over the server's limit: 413 before reading, so the batch is split until the
    // halves fit, and every line is stored.
    let (url, stored) = early_answer_server(|len| (len > 1_000_000).then_some(413));
    let mut args = vec!["--url", url.as_str()];
    args.extend(&common);
    args.push(&input);
    let out = replay_with_env(&args, &[]);
    let err = stderr(&out);
    assert_exit(&out, 0);
    assert_eq!(stored.lock().unwrap().len(), lines.len(), "{err}");
}

#[test]
fn v3_precision_is_sent_in_the_long_form_every_release_accepts() {
    let dir = TempDir::new("v3precision");
    let input = data(&dir);
    let server = FaultServer::accept_all();
    for (p, expected) in [
        ("s", "second"),
        ("ms", "millisecond"),
        ("us", "microsecond"),
        ("ns", "nanosecond"),
    ] {
        let before = server.seen().len();
        let out = replay(&argv(
            "--url {} --api v3 --db d --precision {} --time now {}",
            &[&server.url, p, &input],
        ));
        assert_eq!(out.status.code(), Some(0), "{p}: {}", stderr(&out));
        assert_eq!(
            server.seen()[before].target,
            format!("/api/v3/write_lp?db=d&accept_partial=true&precision={expected}")
        );
    }
}

#[test]
fn server_reasons_in_the_rejects_file_carry_no_control_characters() {
    let dir = TempDir::new("reasons");
    let input = write_text(&dir, "in.lp", "m f=1 1\nm f=2 2\nm f=3 3\nm f=4 4\n");
    for (api, body) in [
        (
            "v3",
            r#"{"error":"partial write of line protocol occurred","data":[{"line_number":2,"error_message":"bad\nevil f=9 9\r\u001b[2J\u0007"}]}"#,
        ),
        (
            "v1",
            r#"{"error":"partial write: evil \u001b[2J\u0007\nx f=9 9 dropped=1"}"#,
        ),
    ] {
        let rejects = dir.join("rejects.lp");
        let server = FaultServer::start(move |_| Reply::with_body(400, body));
        let out = replay(&argv(
            "--url {} --api {} --db d --rejects {} {}",
            &[&server.url, api, rejects.to_str().unwrap(), &input],
        ));
        assert_exit(&out, 3);
        let rejected = std::fs::read_to_string(&rejects).unwrap();
        assert!(
            !rejected.chars().any(|c| c.is_control() && c != '\n'),
            "{api}: {rejected:?}"
        );
        for line in rejected.lines().filter(|l| !l.starts_with('#')) {
            assert!(line.starts_with("m f="), "{api}: {rejected:?}");
        }
        assert!(!stderr(&out).contains('\u{1b}'), "{}", stderr(&out));
    }
}

#[test]
fn a_port_that_does_not_speak_plain_http_is_fatal_at_once() {
    let dir = TempDir::new("nothttp");
    let input = data(&dir);
    for (answer, expected) in [
        // Something else listens there.
        (&b"SSH-2.0-OpenSSH_9.2\r\n"[..], "not HTTP"),
        // What Go's HTTPS servers (InfluxDB with TLS) answer to plain HTTP: no line was
        // refused, --url needs https://.
        (
            &b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"[..],
            "https://",
        ),
    ] {
        let rep = dir.join("report.json");
        let server = FaultServer::start(move |_| Reply::Raw {
            bytes: answer.to_vec(),
            stored: vec![],
        });
        let started = Instant::now();
        let out = replay(&argv(
            "--url {} --db d --max-retry-time 20s --report {} {}",
            &[&server.url, rep.to_str().unwrap(), &input],
        ));
        let err = stderr(&out);
        assert_exit(&out, 1);
        assert!(started.elapsed() < Duration::from_secs(8), "retried: {err}");
        assert_stderr_has(&out, expected);
        let r = report(&rep);
        assert_eq!(r["lines_refused"], 0, "{r}");
        assert_eq!(r["lines_pending"], 3, "{r}");
    }
}

#[test]
fn influxdb1_type_conflict_hiding_unparsable_lines_never_counts_them_stored() {
    // InfluxDB 1.x answers a batch with both a type conflict and lines that do not parse with
    // "partial write: field type conflict ... dropped=N" only: the unparsable lines are
    // neither named nor counted, yet not stored.
    let server = crate::support::start_influxdb_with(&["d"]);
    let dir = TempDir::new("typeconflict");
    let lp_text =
        "tc f=1i 1\ntc f=2i 2\ntc f=\"x\" 3\ntc f=4i 4\ntc f=oops 5\ntc,t= f=1i 6\ntc f=7 7\n";
    let input = write_text(&dir, "in.lp", lp_text);
    // The field's type is known before the batch (on a new measurement, a conflict inside
    // the batch refuses the whole batch).
    let first = write_text(&dir, "first.lp", "tc f=0i 100\n");
    let out = replay(&argv(
        "--url {} --db d --precision s {}",
        &[&server.url, &first],
    ));
    assert_exit(&out, 0);
    let rep = dir.join("report.json");
    let rejects = dir.join("rejects.lp");
    let out = replay(&argv(
        "--url {} --db d --precision s --report {} --rejects {} {}",
        &[
            &server.url,
            rep.to_str().unwrap(),
            rejects.to_str().unwrap(),
            &input,
        ],
    ));
    assert_exit(&out, 3);
    let q = crate::support::influx_query(&server.url, "d", "SELECT * FROM tc WHERE time < 50s");
    let stored = q["results"][0]["series"][0]["values"]
        .as_array()
        .map_or(0, Vec::len) as u64;
    let r = report(&rep);
    assert_eq!(
        stored,
        3,
        "{q} {}",
        std::fs::read_to_string(&rejects).unwrap_or_default()
    );
    assert_eq!(r["lines_acknowledged"], stored, "{r}");
    assert_eq!(r["lines_refused"], 4, "{r}");
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    assert!(
        rejected.contains("\ntc f=oops 5\n") && rejected.contains("\ntc,t= f=1i 6\n"),
        "{rejected}"
    );
}

#[test]
fn empty_database_bucket_or_org_is_a_usage_error() {
    let dir = TempDir::new("emptydb");
    let input = data(&dir);
    let server = FaultServer::accept_all();
    for args in [
        &["--db", ""][..],
        &["--db", "d", "--rp", ""],
        &["--api", "v2", "--bucket", " "],
        &["--api", "v2", "--bucket", "b", "--org", ""],
        &["--api", "v3", "--db", ""],
    ] {
        let mut all = vec!["--url", server.url.as_str()];
        all.extend(args);
        all.push(&input);
        let out = replay_with_env(&all, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert_stderr_has(&out, "is empty");
    }
    assert!(server.seen().is_empty());
}

#[test]
fn a_web_page_is_not_a_write_acknowledgement() {
    // A proxy or web application in front of the URL answers 200 with a page: nothing stored.
    let dir = TempDir::new("htmlpage");
    let input = data(&dir);
    let rep = dir.join("report.json");
    let server = FaultServer::start(|_| {
        Reply::Status {
        status: 200,
        headers: vec![("Content-Type".into(), "text/html".into())],
        body: "\n<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Sign in</body></html>"
            .into(),
        delay: Duration::ZERO,
        stored: Some(vec![]),
    }
    });
    let out = replay(&argv(
        "--url {} --db d --report {} {}",
        &[&server.url, rep.to_str().unwrap(), &input],
    ));
    assert_exit(&out, 1);
    assert_stderr_has(&out, "web page");
    let r = report(&rep);
    assert_eq!(r["lines_acknowledged"], 0, "{r}");
    assert_eq!(r["lines_pending"], 3, "{r}");
}

/// Finding 1. A `Retry-After` HTTP date far in the future makes `parse_http_date`
/// (crates/send/src/retry.rs) compute `UNIX_EPOCH + Duration::from_secs(..)` past what a
/// `SystemTime` holds: the worker thread panics. `replay::run` ignores the panicked worker
/// (`if let Ok(stats) = w.join()`), the batch it held is never answered, and the run ends
/// "Completed": exit 0 while nothing was stored. Expected: the date is capped (like a huge
/// number of seconds) and, with `--max-retry-time 2s`, the run gives up with exit 1
/// (or waits and stores everything).
#[test]
fn retry_after_date_far_in_the_future_does_not_panic_or_exit_0() {
    let dir = TempDir::new("rv-date");
    let file = write_lines(&dir, "in.lp", &points(20));
    let server = retry_after_far_in_the_future(503);
    let rep = dir.join("report.json");
    let out = replay_within(
        &argv(
            "--url {} --precision s --db d --concurrency 1 --max-retry-time 2s --report {} {}",
            &[&server.url, rep.to_str().unwrap(), &file],
        ),
        Duration::from_secs(30),
    )
    .expect("replay finished within 30 s");
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "a worker panicked:\n{err}");
    let stored = server.stored().len();
    assert!(
        out.status.code() == Some(1) || (out.status.code() == Some(0) && stored == 20),
        "exit {:?} with {stored} of 20 lines stored:\n{err}",
        out.status.code()
    );
}

/// Finding 1b. Any worker panic ends the run as "Completed" with exit 0 although lines were
/// never answered (`Summary::exit_code` in crates/send/src/stats.rs ignores
/// `lines_pending`; `replay::run` drops the worker's panic). Same trigger as above, but with
/// `--concurrency 2` and more batches: the other worker goes on, the panicked worker's
/// batch is lost, and the report says exit 0 with lines pending.
#[test]
fn lines_pending_never_exit_0() {
    let dir = TempDir::new("rv-pending");
    let file = write_lines(&dir, "in.lp", &points(100));
    let server = retry_after_far_in_the_future(429);
    let rep = dir.join("report.json");
    let out = replay_within(
        &argv(
            "--url {} --precision s --db d --batch-lines 10 --concurrency 2 --report {} {}",
            &[&server.url, rep.to_str().unwrap(), &file],
        ),
        Duration::from_secs(120),
    )
    .expect("replay finished within 120 s");
    let r = report(&rep);
    let pending = r["lines_pending"].as_u64().unwrap();
    let stored = server.stored().len();
    assert!(
        !(out.status.code() == Some(0) && (pending > 0 || stored < 100)),
        "exit 0 with {pending} lines pending and {stored} of 100 stored: {r}\n{}",
        stderr(&out)
    );
}

/// Finding 2. InfluxDB 1.x names an unparsable line in its partial-write message after
/// skipping the line's leading whitespace (`models.ParsePoints`: `block[start:]` with
/// `start = skipWhitespace(block, 0)`), but the batcher sends an indented line as it is.
/// `v1_unparsable_lines` (crates/send/src/partial.rs) then finds no line with that text, the
/// refusal names nothing, `dropped=0` adds nothing, and `send_part` counts the refused line
/// as acknowledged: it is neither in `--rejects` nor counted refused, exit 0. Expected: a
/// named line that cannot be matched is at least counted refused (unidentified), exit 3.
#[test]
fn v1_partial_write_naming_an_indented_line_is_not_counted_as_stored() {
    let dir = TempDir::new("rv-indent");
    let file = write_text(&dir, "in.lp", "m f=1 1\n  m f=oops 2\nm f=3 3\n");
    // Behaves as InfluxDB 1.8 does: stores the good lines, names the bad one trimmed.
    let server = FaultServer::start(|s: &Seen| {
        let lines = s.lines();
        let bad: Vec<&String> = lines.iter().filter(|l| l.contains("oops")).collect();
        if bad.is_empty() {
            return Reply::status(204);
        }
        let msg = bad
            .iter()
            .map(|l| format!("unable to parse '{}': invalid number", l.trim_start()))
            .collect::<Vec<_>>()
            .join("\n");
        Reply::Status {
            status: 400,
            headers: vec![],
            body: serde_json::json!({ "error": format!("partial write: {msg} dropped=0") })
                .to_string(),
            delay: Duration::ZERO,
            stored: Some(
                lines
                    .iter()
                    .filter(|l| !l.contains("oops"))
                    .cloned()
                    .collect(),
            ),
        }
    });
    let rej = dir.join("rejects.lp");
    let rep = dir.join("report.json");
    let out = replay(&argv(
        "--url {} --db d --rejects {} --report {} {}",
        &[
            &server.url,
            rej.to_str().unwrap(),
            rep.to_str().unwrap(),
            &file,
        ],
    ));
    let r = report(&rep);
    assert_eq!(server.stored().len(), 2);
    assert_eq!(
        (
            r["lines_acknowledged"].as_u64(),
            r["lines_refused"].as_u64()
        ),
        (Some(2), Some(1)),
        "the server stored 2 lines and refused 1: {r}"
    );
    assert_exit(&out, 3);
    let rejects = std::fs::read_to_string(&rej).unwrap_or_default();
    assert!(rejects.contains("oops"), "rejects file: {rejects:?}");
}

/// Finding 5. A partial-write answer larger than `MAX_RESPONSE_BODY` (256 KiB,
/// crates/send/src/transport.rs) is not cut: ureq's `limit` makes `read_to_string` fail and
/// `HttpTransport::send` replaces the body by "(response body unreadable: ...)". The refusal
/// is then read as "nothing stored" (`parse_refusal`, crates/send/src/partial.rs): every line
/// of the batch, including the ones the server stored, is counted refused and written to
/// `--rejects`. A 2000-line v1 batch with 1200 unparsable lines of ~200 bytes is enough.
/// Expected: 800 acknowledged, 1200 refused (keep the first 256 KiB, or read enough of the
/// JSON, or at least not report stored lines as refused).
#[test]
fn a_large_partial_write_answer_is_not_read_as_all_refused() {
    let dir = TempDir::new("rv-bigbody");
    let pad = "x".repeat(180);
    let input: Vec<String> = (0..2000)
        .map(|i| {
            if i % 5 < 3 {
                format!("m,pad={pad} f=oops{i} {i}")
            } else {
                format!("m,pad={pad} f={i} {i}")
            }
        })
        .collect();
    let file = write_lines(&dir, "in.lp", &input);
    let server = FaultServer::start(|s: &Seen| {
        let lines = s.lines();
        let (bad, good): (Vec<String>, Vec<String>) =
            lines.into_iter().partition(|l| l.contains("oops"));
        if bad.is_empty() {
            return Reply::status(204);
        }
        let msg = bad
            .iter()
            .map(|l| format!("unable to parse '{l}': invalid number"))
            .collect::<Vec<_>>()
            .join("\n");
        Reply::Status {
            status: 400,
            headers: vec![],
            body: serde_json::json!({ "error": format!("partial write: {msg} dropped=0") })
                .to_string(),
            delay: Duration::ZERO,
            stored: Some(good),
        }
    });
    let rej = dir.join("rejects.lp");
    let rep = dir.join("report.json");
    let out = replay(&argv(
        "--url {} --db d --batch-lines 2000 --rejects {} --report {} {}",
        &[
            &server.url,
            rej.to_str().unwrap(),
            rep.to_str().unwrap(),
            &file,
        ],
    ));
    assert_eq!(server.stored().len(), 800);
    let r = report(&rep);
    assert_eq!(
        (
            r["lines_acknowledged"].as_u64(),
            r["lines_refused"].as_u64()
        ),
        (Some(800), Some(1200)),
        "{r}\n{}",
        stderr(&out)
    );
}
