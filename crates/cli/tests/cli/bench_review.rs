//! Regressions found reviewing the bench crate and the sender pool (issue 11): bench with the
//! old binary's behaviour where the refactoring changed it.

use crate::support::*;

#[test]
fn a_million_hosts_are_sent_within_the_run_not_built_through_it() {
    // The cpu workload built every host's tags as text in three formats before the first line:
    // with --hosts 1000000 that took the whole measurement, and the run sent nothing.
    let dir = TempDir::new("bench-million-hosts");
    let rep = dir.join("out");
    let out = bench(&[
        "--url",
        "http://127.0.0.1:9",
        "--db",
        "d",
        "--dry-run",
        "--hosts",
        "1000000",
        "--duration",
        "3s",
        "--warmup",
        "0s",
        "--quiet",
        "--report",
        rep.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    let r = report(&rep.join("report.json"));
    let acked = r["summary"]["total"]["counts"]["acked_lines"]
        .as_u64()
        .unwrap();
    assert!(acked > 0, "{}", stderr(&out));
}
