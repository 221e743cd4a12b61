//! Writing through `/write` (`--api v1`): refusals of InfluxDB 1.x that name no line
//! (`partial write: ... dropped=N`, the whole-batch `field type conflict`) narrowed down to
//! the refused lines by sending parts of the batch again, within a bound; `--db` left out for
//! VictoriaMetrics and refused clearly by InfluxDB 1.x; `--create-db`.

use crate::support::{
    argv, assert_exit, bench, http_get, influx_query, replay, report, start_influxdb,
    start_influxdb_with, start_victoria_metrics, stderr, write_text, FaultServer, Reply, Seen,
    TempDir,
};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The `# input:LINE: HTTP 400: reason` comments of a rejects file naming one line, and the
/// refused lines themselves.
fn named_rejects(text: &str) -> (Vec<String>, Vec<String>) {
    let comments = text
        .lines()
        .filter(|l| l.starts_with('#') && !l.contains(" of these "))
        .map(str::to_owned)
        .collect();
    let lines = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    (comments, lines)
}

/// `replay --url URL OPTIONS --rejects --report INPUT` with the rejects and the report in
/// `dir`: the run, its report and its rejects file.
fn replay_kept(
    dir: &TempDir,
    url: &str,
    options: &str,
    input: &str,
) -> (std::process::Output, serde_json::Value, String) {
    let rejects = dir.join("rejects.lp");
    let rep = dir.join("report.json");
    let template = format!("--url {{}} {options} --rejects {{}} --report {{}} {{}}");
    let out = replay(&argv(
        &template,
        &[url, rejects.to_str().unwrap(), rep.to_str().unwrap(), input],
    ));
    let text = std::fs::read_to_string(&rejects).unwrap_or_default();
    (out, report(&rep), text)
}

fn count(url: &str, db: &str, q: &str) -> i64 {
    influx_query(url, db, q)["results"][0]["series"][0]["values"][0][1]
        .as_i64()
        .unwrap_or(0)
}

#[test]
fn influxdb1_refusals_naming_no_line_are_narrowed_to_exactly_the_refused_lines() {
    let server = start_influxdb_with(&["d"]);
    influx_query(
        &server.url,
        "",
        "CREATE RETENTION POLICY short ON d DURATION 1h REPLICATION 1",
    );
    let dir = TempDir::new("v1-narrow");
    let now = now_s();
    // 1000 points of the last hour; three of 1970 (beyond the one-hour retention policy)
    // and two strings where the field is a float. The batch opens a new shard, so
    // InfluxDB 1.6 first refuses it whole ("field type conflict", nothing stored).
    let beyond = [5usize, 6, 7];
    let conflicts = [400usize, 900];
    let mut text = String::new();
    for i in 0..1000usize {
        let line = if beyond.contains(&i) {
            format!("nw,host=h{} f={i} {}\n", i % 7, 1000 + i)
        } else if conflicts.contains(&i) {
            format!("nw,host=h{} f=\"x{i}\" {}\n", i % 7, now - 2000 + i as u64)
        } else {
            format!("nw,host=h{} f={i} {}\n", i % 7, now - 2000 + i as u64)
        };
        text.push_str(&line);
    }
    let input = write_text(&dir, "in.lp", &text);
    let (out, r, rejected) = replay_kept(
        &dir,
        &server.url,
        "--db d --rp short --precision s --batch-lines 1000",
        &input,
    );
    assert_exit(&out, 3);
    assert_eq!(r["lines_acknowledged"], 995, "{r}");
    assert_eq!(r["lines_refused"], 5, "{r}");
    let requests = r["requests"].as_u64().unwrap();
    assert!(requests <= 1 + 64, "{requests} requests");
    let (comments, lines) = named_rejects(&rejected);
    let all: Vec<String> = text.lines().map(str::to_owned).collect();
    let want: Vec<String> = [5usize, 6, 7, 400, 900]
        .iter()
        .map(|&i| all[i].clone())
        .collect();
    assert_eq!(lines, want, "{rejected}");
    assert!(!rejected.contains(" of these "), "{rejected}");
    for (c, i) in comments.iter().zip([5usize, 6, 7, 400, 900]) {
        assert!(
            c.starts_with(&format!("# {input}:{}: HTTP 400: ", i + 1)),
            "{c}"
        );
        if i < 10 {
            assert!(c.ends_with(": points beyond retention policy"), "{c}");
        } else {
            assert!(
                c.ends_with(": field type conflict: input field \"f\" on measurement \"nw\" is type string, already exists as type float"),
                "{c}"
            );
        }
    }
    assert_eq!(
        count(&server.url, "d", "SELECT count(f) FROM short.nw"),
        995
    );
}

/// A fake InfluxDB 1.x: stores every line but those containing `bad`, answering
/// `partial write: ... dropped=N` naming none; the request numbered `reset` is cut off.
fn influx1_like(reset: Option<usize>) -> FaultServer {
    FaultServer::start(move |s: &Seen| {
        if Some(s.n) == reset {
            return Reply::Reset;
        }
        let lines = s.lines();
        let (bad, good): (Vec<String>, Vec<String>) =
            lines.into_iter().partition(|l| l.contains("bad"));
        if bad.is_empty() {
            return Reply::status(204);
        }
        Reply::Status {
            status: 400,
            headers: vec![],
            body: format!(
                r#"{{"error":"partial write: field type conflict: input field \"f\" on measurement \"m\" is type string, already exists as type float dropped={}"}}"#,
                bad.len()
            ),
            delay: Duration::ZERO,
            stored: Some(good),
        }
    })
}

#[test]
fn narrowing_stops_at_its_bound_and_says_so_for_the_rest() {
    let dir = TempDir::new("v1-bound");
    // 200 refused lines scattered over a batch of 5000: more than 64 requests would find.
    let text: String = (0..5000)
        .map(|i| {
            if i % 25 == 3 {
                format!("m f=\"bad\" {i}\n")
            } else {
                format!("m f={i} {i}\n")
            }
        })
        .collect();
    let input = write_text(&dir, "in.lp", &text);
    let server = influx1_like(None);
    let (out, r, rejected) = replay_kept(&dir, &server.url, "--db d --batch-lines 5000", &input);
    assert_exit(&out, 3);
    assert!(server.writes().len() <= 1 + 64, "{}", server.writes().len());
    assert_eq!(r["lines_refused"], 200, "{r}");
    assert_eq!(r["lines_acknowledged"], 4800, "{r}");
    // Every good line stored (some more than once: the same point again).
    let stored: std::collections::BTreeSet<String> = server.stored().into_iter().collect();
    assert_eq!(stored.len(), 4800);
    let (_, lines) = named_rejects(&rejected);
    assert!(
        !lines.is_empty() && lines.iter().all(|l| l.contains("bad")),
        "{rejected}"
    );
    // The rest: counted per part of the batch, with the bound said.
    let unnamed: u64 = rejected
        .lines()
        .filter(|l| l.contains(" of these "))
        .map(|l| {
            assert!(l.contains("not narrowed down further"), "{l}");
            let after = l.split(": HTTP 400: ").nth(1).unwrap();
            after.split(' ').next().unwrap().parse::<u64>().unwrap()
        })
        .sum();
    assert_eq!(lines.len() as u64 + unnamed, 200, "{rejected}");
}

#[test]
fn a_narrowing_request_cut_off_is_retried_and_counted_once() {
    let dir = TempDir::new("v1-reset");
    let text: String = (0..100)
        .map(|i| {
            if i == 42 {
                format!("m f=\"bad\" {i}\n")
            } else {
                format!("m f={i} {i}\n")
            }
        })
        .collect();
    let input = write_text(&dir, "in.lp", &text);
    // Request 0 is the batch, 1 its first half: cut off, sent again.
    let server = influx1_like(Some(1));
    let (out, r, rejected) = replay_kept(&dir, &server.url, "--db d", &input);
    assert_exit(&out, 3);
    assert_eq!(
        (
            r["lines_acknowledged"].as_u64(),
            r["lines_refused"].as_u64()
        ),
        (Some(99), Some(1)),
        "{r}"
    );
    assert_eq!(r["network_errors"], 1, "{r}");
    let (_, lines) = named_rejects(&rejected);
    assert_eq!(lines, vec!["m f=\"bad\" 42".to_owned()]);
}

#[test]
fn victoria_metrics_without_db_stores_series_without_a_db_label() {
    let server = start_victoria_metrics();
    let dir = TempDir::new("vm-nodb");
    let now = now_s();
    let input = write_text(
        &dir,
        "in.lp",
        &format!("nodb,host=a v=1 {now}\nnodb,host=b v=2 {now}\n"),
    );
    let out = replay(&argv("--url {} --precision s {}", &[&server.url, &input]));
    assert_exit(&out, 0);
    http_get(&format!("{}/internal/force_flush", server.url));
    let export = http_get(&format!("{}/api/v1/export?match%5B%5D=nodb_v", server.url));
    let series: Vec<serde_json::Value> = export
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(series.len(), 2, "{export}");
    for s in &series {
        let labels = s["metric"].as_object().unwrap();
        assert!(!labels.contains_key("db"), "{s}");
        assert!(labels.contains_key("host"), "{s}");
    }
    // verify reads them back without --db too.
    let out = crate::support::run_lpconvert(
        "verify",
        &argv(
            "--url {} --target victoriametrics --precision s {}",
            &[&server.url, &input],
        ),
        &[],
    );
    assert_exit(&out, 0);
}

#[test]
fn influxdb1_without_db_stops_at_once_naming_db() {
    let server = start_influxdb();
    let dir = TempDir::new("v1-nodb");
    let input = write_text(&dir, "in.lp", "m f=1 1\nm f=2 2\n");
    let rep = dir.join("report.json");
    let out = replay(&argv(
        "--url {} --precision s --report {} {}",
        &[&server.url, rep.to_str().unwrap(), &input],
    ));
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("database is required") && err.contains("give --db NAME"),
        "{err}"
    );
    let r = report(&rep);
    assert_eq!(r["lines_refused"], 0, "{r}");
    assert_eq!(r["lines_pending"], 2, "{r}");
    // verify cannot read back without a database: a usage error.
    let out = crate::support::run_lpconvert(
        "verify",
        &argv(
            "--url {} --target influxdb1 --precision s {}",
            &[&server.url, &input],
        ),
        &[],
    );
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("--db"), "{}", stderr(&out));
}

#[test]
fn create_db_creates_the_database_once_and_is_refused_elsewhere() {
    let server = start_influxdb();
    let dir = TempDir::new("v1-create");
    let input = write_text(&dir, "in.lp", "m f=1 1\nm f=2 2\n");
    // A fresh name that needs quoting in InfluxQL.
    let db = "fresh \"db\" 1";
    for _ in 0..2 {
        let out = replay(&argv(
            "--url {} --db {} --create-db --precision s {}",
            &[&server.url, db, &input],
        ));
        assert_exit(&out, 0);
    }
    assert_eq!(count(&server.url, db, "SELECT count(f) FROM m"), 2);
    let shown = influx_query(&server.url, "", "SHOW DATABASES").to_string();
    assert!(shown.contains(r#"fresh \"db\" 1"#), "{shown}");
    // bench too.
    let out = bench(&argv(
        "--url {} --db {} --create-db --workload home --hosts 2 --duration 1s --warmup 0s --rate 100 --quiet",
        &[&server.url, "benched"],
    ));
    assert_exit(&out, 0);
    assert!(influx_query(&server.url, "", "SHOW DATABASES")
        .to_string()
        .contains("benched"));
    // A server that refuses it: exit 1 with its answer.
    let refusing = FaultServer::start(|_| Reply::with_body(403, r#"{"error":"forbidden"}"#));
    let out = replay(&argv(
        "--url {} --db x --create-db {}",
        &[&refusing.url, &input],
    ));
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("CREATE DATABASE \"x\""),
        "{}",
        stderr(&out)
    );
    assert!(refusing.writes().is_empty());
    // Usage errors: no database, other APIs.
    for args in [
        &["--create-db"][..],
        &["--create-db", "--api", "v2", "--bucket", "b"],
        &["--create-db", "--api", "v3", "--db", "d"],
    ] {
        let mut all = vec!["--url", server.url.as_str()];
        all.extend(args);
        all.push(&input);
        let out = replay(&all);
        assert_exit(&out, 2);
        assert!(stderr(&out).contains("--create-db"), "{}", stderr(&out));
    }
}
