//! Replay shards: run at once against one VictoriaMetrics they store every point exactly once
//! and their merged reports are the single run's figures; a shard killed with SIGKILL is
//! resumed alone from its checkpoint, and a checkpoint is refused to another shard.

use crate::support::{
    assert_exit, http_get, kill_after, lpconvert, lpconvert_command, report,
    start_victoria_metrics, stderr, FaultServer, Reply, TempDir,
};
use std::collections::BTreeMap;
use std::time::Duration;

/// `n` lines of `metric` with distinct (series, second) pairs.
fn lines(metric: &str, n: usize, from: usize) -> String {
    (from..from + n)
        .map(|i| format!("{metric},host=h{} v={i} {}\n", i % 5, 1_600_000_000 + i))
        .collect()
}

/// Every raw sample VictoriaMetrics exports for `metric`: (host, ms) -> values (a point
/// stored twice shows twice).
fn vm_samples(url: &str, metric: &str) -> BTreeMap<(String, i64), Vec<f64>> {
    http_get(&format!("{url}/internal/force_flush"));
    let text = http_get(&format!("{url}/api/v1/export?match[]={metric}_v"));
    let mut out: BTreeMap<(String, i64), Vec<f64>> = BTreeMap::new();
    for line in text.lines() {
        let j: serde_json::Value = serde_json::from_str(line).unwrap();
        let host = j["metric"]["host"].as_str().unwrap().to_owned();
        let values = j["values"].as_array().unwrap();
        for (v, t) in values.iter().zip(j["timestamps"].as_array().unwrap()) {
            out.entry((host.clone(), t.as_i64().unwrap()))
                .or_default()
                .push(v.as_f64().unwrap());
        }
    }
    out
}

#[test]
fn concurrent_replay_shards_store_every_point_once_and_their_reports_merge() {
    let server = start_victoria_metrics();
    let dir = TempDir::new("shard-vm");
    let small = dir.join("a.lp");
    let big = dir.join("b.lp");
    std::fs::write(&small, lines("sh", 300, 0)).unwrap();
    std::fs::write(&big, lines("sh", 20_000, 300)).unwrap();
    let (small, big) = (small.display().to_string(), big.display().to_string());
    let n = 3;
    // The shards run at once, as a scheduler runs them.
    let handles: Vec<_> = (1..=n)
        .map(|k| {
            let (url, rep) = (
                server.url.clone(),
                dir.join(format!("c{k}.json")).display().to_string(),
            );
            let (small, big) = (small.clone(), big.clone());
            std::thread::spawn(move || {
                lpconvert_command()
                    .args(["replay", "--url", &url, "--db", "x", "--precision", "s"])
                    .args(["--batch-lines", "500", "--report", &rep, "-q", &small, &big])
                    .args(["--shard", &format!("{k}/{n}")])
                    .output()
                    .unwrap()
            })
        })
        .collect();
    for h in handles {
        assert_exit(&h.join().unwrap(), 0);
    }
    let stored = vm_samples(&server.url, "sh");
    assert_eq!(stored.len(), 20_300);
    for ((host, ms), values) in &stored {
        assert_eq!(
            values.len(),
            1,
            "{host} at {ms} stored {} times",
            values.len()
        );
    }
    let sum: f64 = stored.values().map(|v| v[0]).sum();
    assert_eq!(sum, (0..20_300u64).sum::<u64>() as f64);

    // The same inputs in one run (another db label): the merged reports are its figures.
    let one = dir.join("one.json").display().to_string();
    let o = lpconvert(&[
        "replay",
        "--url",
        &server.url,
        "--db",
        "y",
        "--precision",
        "s",
        "--batch-lines",
        "500",
        "--report",
        &one,
        "-q",
        &small,
        &big,
    ]);
    assert_exit(&o, 0);
    let merged_path = dir.join("merged.json");
    let mut args = vec!["report".to_string(), "merge".into()];
    args.extend((1..=n).map(|k| dir.join(format!("c{k}.json")).display().to_string()));
    args.extend(["-o".into(), merged_path.display().to_string()]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_exit(&lpconvert(&argv), 0);
    let merged = report(&merged_path);
    let single = report(std::path::Path::new(&one));
    for c in [
        "lines_read",
        "lines_acknowledged",
        "lines_refused",
        "bytes_read",
        "files_owned",
    ] {
        assert_eq!(merged[c], single[c], "{c}");
    }
    assert_eq!(merged["lines_read"], 20_300);
    let requests: u64 = merged["latency_histogram_us"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b[1].as_u64().unwrap())
        .sum();
    assert_eq!(requests, merged["requests"].as_u64().unwrap());
    assert_eq!(merged["latency_ms"]["count"], requests);
}

#[test]
fn a_shard_killed_mid_replay_resumes_alone_and_refuses_another_shards_checkpoint() {
    let server = FaultServer::accept_all();
    let dir = TempDir::new("shard-kill");
    let file = dir.join("in.lp");
    let text = lines("k", 8000, 0);
    std::fs::write(&file, &text).unwrap();
    let file = file.display().to_string();
    let ckpt = |k: u64| dir.join(format!("ckpt{k}.json")).display().to_string();
    let args = |k: u64, rate: &str, c: &str| -> Vec<String> {
        [
            "replay",
            "--url",
            &server.url,
            "--db",
            "d",
            "--precision",
            "s",
            "--rate",
            rate,
            "--checkpoint",
            c,
            "--shard",
            &format!("{k}/2"),
            &file,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    // Shard 1 completes; shard 2 is killed half way and resumed on its own.
    let o = lpconvert_command()
        .args(args(1, "1000000", &ckpt(1)))
        .output()
        .unwrap();
    assert_exit(&o, 0);
    kill_after(&args(2, "1500", &ckpt(2)), Duration::from_millis(1500));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ckpt(2)).unwrap()).unwrap();
    assert_eq!(saved["inputs"][0]["complete"], false, "{saved}");
    assert!(
        saved["shard"].as_str().unwrap().starts_with("2/2 job "),
        "{saved}"
    );
    // Shard 1's checkpoint for shard 2: refused.
    let o = lpconvert_command()
        .args(args(2, "1000000", &ckpt(1)))
        .output()
        .unwrap();
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("written by shard 1/2"),
        "{}",
        stderr(&o)
    );
    let o = lpconvert_command()
        .args(args(2, "1000000", &ckpt(2)))
        .output()
        .unwrap();
    assert_exit(&o, 0);
    assert!(stderr(&o).contains("resumed"), "{}", stderr(&o));
    let mut stored = server.stored();
    stored.sort();
    stored.dedup();
    let mut want: Vec<String> = text.lines().map(str::to_owned).collect();
    want.sort();
    assert_eq!(stored, want, "every line stored (at least once)");
}

/// A refused line of a shard that starts mid-file is named by the file's own line number, as
/// one run names it.
#[test]
fn a_shards_refused_lines_keep_the_files_line_numbers() {
    let server = FaultServer::start(|_| Reply::with_body(400, r#"{"error":"unable to parse"}"#));
    let dir = TempDir::new("shard-refused-lines");
    let file = dir.join("in.lp");
    std::fs::write(&file, lines("r", 10, 0)).unwrap();
    let file = file.display().to_string();
    let rejects = |tag: &str, shard: Option<&str>| -> String {
        let path = dir.join(format!("{tag}.rejects")).display().to_string();
        let mut args = vec![
            "replay",
            "--url",
            &server.url,
            "--db",
            "d",
            "--precision",
            "s",
            "-q",
        ];
        args.extend(["--rejects", &path, &file]);
        if let Some(s) = shard {
            args.extend(["--shard", s]);
        }
        assert_exit(&lpconvert(&args), 3);
        std::fs::read_to_string(&path).unwrap()
    };
    let numbers = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with('#'))
            .map(|l| l.split(':').nth(1).unwrap().to_owned())
            .collect()
    };
    let whole = numbers(&rejects("all", None));
    assert_eq!(whole.len(), 10);
    let mut sharded = numbers(&rejects("1of2", Some("1/2")));
    sharded.extend(numbers(&rejects("2of2", Some("2/2"))));
    assert_eq!(sharded, whole);
}

/// A `replay --schema` shard that owns no input (here a `.gz` file goes whole to shard 1)
/// sends the schema's precision as the others do: its report is of the same job and merges.
#[test]
fn a_replay_shard_owning_no_input_is_of_the_same_job() {
    let dir = TempDir::new("shard-replay-empty");
    let server = FaultServer::accept_all();
    let schema = crate::support::root().join("schemas/home.toml");
    let home = std::fs::read(crate::support::testdata().join("home.csv")).unwrap();
    let gz = dir.join("home.csv.gz");
    std::fs::write(&gz, crate::support::gzip(&home)).unwrap();
    let reports: Vec<String> = (1..=2)
        .map(|k| {
            let rep = dir.join(format!("r{k}.json")).display().to_string();
            let shard = format!("{k}/2");
            let out = lpconvert(&[
                "replay",
                "--url",
                &server.url,
                "--db",
                "d",
                "-q",
                "--schema",
                schema.to_str().unwrap(),
                "--shard",
                &shard,
                "--report",
                &rep,
                gz.to_str().unwrap(),
            ]);
            assert_exit(&out, 0);
            rep
        })
        .collect();
    assert_eq!(report(std::path::Path::new(&reports[1]))["lines_read"], 0);
    let out = lpconvert(&["report", "merge", &reports[0], &reports[1]]);
    assert_exit(&out, 0);
    assert_eq!(server.stored().len(), 26);
}
