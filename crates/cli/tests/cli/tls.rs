//! TLS as on-premises servers run it: VictoriaMetrics (`-tls`) and InfluxDB 1.x
//! (`https-enabled`) with a certificate from a CA made in the test, trusted through
//! `--ca-cert` or `SSL_CERT_FILE`, or not verified (`--insecure-skip-verify`, warned); a
//! certificate that does not verify fails at once (exit 1) with its reason, subject, issuer
//! and the fix; mutual TLS against a server that requires a client certificate.

use crate::support::tls::{agent_trusting, get_text, MtlsServer, Pki};
use crate::support::*;
use std::process::Output;
use std::time::{Duration, Instant};

/// Replays `lines` to `url` (`--api v1 --db tls`) with `extra` options and `env`; returns the
/// output and how long it took.
fn replay_to(url: &str, lp: &str, extra: &[&str], env: &[(&str, &str)]) -> (Output, Duration) {
    let mut args = vec!["--url", url, "--db", "tls", "--max-retry-time", "20s"];
    args.extend_from_slice(extra);
    args.push(lp);
    let t0 = Instant::now();
    let o = run_lpconvert("replay", &args, env);
    (o, t0.elapsed())
}

/// Distinct points (series and timestamp) stored by VictoriaMetrics under measurement `m`
/// (a point written twice is exported twice until it is deduplicated).
fn vm_count(agent: &ureq::Agent, url: &str) -> usize {
    get_text(agent, &format!("{url}/internal/force_flush"));
    let text = get_text(
        agent,
        &format!("{url}/api/v1/export?match[]=%7B__name__%3D~%22m_.*%22%7D"),
    );
    let mut points = std::collections::HashSet::new();
    for l in text.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        for t in v["timestamps"].as_array().into_iter().flatten() {
            points.insert((v["metric"].to_string(), t.to_string()));
        }
    }
    points.len()
}

/// Points stored by InfluxDB 1.x in `tls`.`m`.
fn influx_count(agent: &ureq::Agent, url: &str) -> u64 {
    let text = agent
        .post(&format!("{url}/query"))
        .query("db", "tls")
        .send_form([("q", "SELECT count(value) FROM m")])
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["results"][0]["series"][0]["values"][0][1]
        .as_u64()
        .unwrap_or(0)
}

/// The checks every TLS server gets: no trust (fails at once with the hint), `--ca-cert`,
/// `SSL_CERT_FILE`, `--insecure-skip-verify` (warned). Returns the lines each storing run sent.
fn trust_setups(url: &str, pki: &Pki, lp: &str) {
    let ca = pki.ca.to_str().unwrap();
    let (o, took) = replay_to(url, lp, &[], &[]);
    assert_exit(&o, 1);
    assert!(
        took < Duration::from_secs(2),
        "took {took:?}: {}",
        stderr(&o)
    );
    let err = stderr(&o);
    assert!(err.contains("UnknownIssuer"), "{err}");
    assert!(err.contains("--ca-cert FILE"), "{err}");
    assert!(
        err.contains("subject CN=lpconvert test server, issuer CN=lpconvert test CA"),
        "{err}"
    );
    assert!(err.contains(" 0 retries"), "{err}");

    let (o, _) = replay_to(url, lp, &["--ca-cert", ca], &[]);
    assert_exit(&o, 0);
    let (o, _) = replay_to(url, lp, &[], &[("SSL_CERT_FILE", ca)]);
    assert_exit(&o, 0);
    let (o, _) = replay_to(url, lp, &[], &[("INFLUXDB3_TLS_CA", ca)]);
    assert_exit(&o, 0);
    assert_stderr_has(&o, "CA certificates from INFLUXDB3_TLS_CA");
    let (o, _) = replay_to(url, lp, &["--insecure-skip-verify"], &[]);
    assert_exit(&o, 0);
    assert_stderr_has(&o, "warning: the server's certificate is not verified");
    let (o, _) = replay_to(url, lp, &["-q"], &[("INFLUX_SKIP_VERIFY", "true")]);
    assert_exit(&o, 0);
    assert_stderr_has(
        &o,
        "warning: the server's certificate is not verified (INFLUX_SKIP_VERIFY)",
    );
}

#[test]
fn victoria_metrics_over_tls_with_a_private_ca() {
    let pki = Pki::new();
    let server = start_victoria_metrics_tls(&pki.server_cert, &pki.server_key);
    let dir = TempDir::new("tls-vm");
    let lp = write_lines(&dir, "a.lp", &points_ns(500));
    trust_setups(&server.url, &pki, &lp);
    // Five storing runs of the same 500 points: each point stored once.
    assert_eq!(vm_count(&agent_trusting(&pki), &server.url), 500);
    // The same port spoken to in plain HTTP is a usage problem, not something to retry.
    let plain = server.url.replace("https://", "http://");
    let (o, took) = replay_to(&plain, &lp, &[], &[]);
    assert_exit(&o, 1);
    assert!(took < Duration::from_secs(2), "{took:?}: {}", stderr(&o));
    assert_stderr_has(&o, "https://");
}

#[test]
fn influxdb_1_over_https_with_a_private_ca() {
    let pki = Pki::new();
    let server = start_influxdb_https(&pki.server_cert, &pki.server_key);
    let agent = agent_trusting(&pki);
    agent
        .post(&format!("{}/query", server.url))
        .send_form([("q", "CREATE DATABASE tls")])
        .unwrap();
    let dir = TempDir::new("tls-influx");
    let lp = write_lines(&dir, "a.lp", &points_ns(300));
    trust_setups(&server.url, &pki, &lp);
    assert_eq!(influx_count(&agent, &server.url), 300);
}

#[test]
fn https_to_a_plain_http_port_fails_at_once() {
    let server = FaultServer::accept_all();
    let dir = TempDir::new("tls-plain");
    let lp = write_lines(&dir, "a.lp", &points_ns(3));
    let url = server.url.replace("http://", "https://");
    let (o, took) = replay_to(&url, &lp, &[], &[]);
    assert_exit(&o, 1);
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_stderr_has(&o, "does not speak TLS on this port");
}

#[test]
fn wrong_host_name_and_expired_certificates_fail_with_their_reason() {
    let pki = Pki::new();
    let dir = TempDir::new("tls-bad");
    let lp = write_lines(&dir, "a.lp", &points_ns(3));
    let ca = pki.ca.to_str().unwrap();
    for (cert, reason, fix) in [
        (
            &pki.wrong_name_cert,
            "certificate not valid for name",
            "not for the host name in --url",
        ),
        (
            &pki.expired_cert,
            "certificate expired",
            "outside its validity period",
        ),
    ] {
        let server = start_victoria_metrics_tls(cert, &pki.server_key);
        let (o, took) = replay_to(&server.url, &lp, &["--ca-cert", ca], &[]);
        assert_exit(&o, 1);
        assert!(took < Duration::from_secs(2), "{took:?}");
        let err = stderr(&o);
        assert!(err.contains(reason), "{err}");
        assert!(err.contains(fix), "{err}");
        assert!(err.contains("issuer CN=lpconvert test CA"), "{err}");
    }
}

#[test]
fn mutual_tls_with_and_without_the_client_certificate() {
    let pki = Pki::new();
    let server = MtlsServer::start(&pki);
    let dir = TempDir::new("tls-mtls");
    let lp = write_lines(&dir, "a.lp", &points_ns(40));
    let ca = pki.ca.to_str().unwrap();
    let (o, took) = replay_to(&server.url, &lp, &["--ca-cert", ca], &[]);
    assert_exit(&o, 1);
    assert!(took < Duration::from_secs(2), "{took:?}: {}", stderr(&o));
    assert_stderr_has(&o, "--client-cert FILE --client-key FILE");
    let (o, _) = replay_to(
        &server.url,
        &lp,
        &[
            "--ca-cert",
            ca,
            "--client-cert",
            pki.client_cert.to_str().unwrap(),
            "--client-key",
            pki.client_key.to_str().unwrap(),
        ],
        &[],
    );
    assert_exit(&o, 0);
    assert_eq!(server.lines.load(std::sync::atomic::Ordering::SeqCst), 40);
    // A certificate without its key is a usage error.
    let (o, _) = replay_to(
        &server.url,
        &lp,
        &["--client-cert", pki.client_cert.to_str().unwrap()],
        &[],
    );
    assert_exit(&o, 2);
    assert_stderr_has(&o, "--client-cert needs --client-key");
    // A key of another certificate is a usage error too, before anything is sent (ureq
    // panicked in the sender at the first connection).
    let (o, _) = replay_to(
        &server.url,
        &lp,
        &[
            "--client-cert",
            pki.client_cert.to_str().unwrap(),
            "--client-key",
            pki.server_key.to_str().unwrap(),
        ],
        &[],
    );
    assert_exit(&o, 2);
    assert_stderr_has(&o, "does not fit --client-cert");
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
}

#[test]
fn a_dropped_connection_to_a_server_that_only_asks_for_a_client_certificate_is_retried() {
    // A server with optional client authentication (it asks, it serves without) restarting
    // mid-run: the broken connection is transient, not "a client certificate is required".
    let pki = Pki::new();
    let server = MtlsServer::start_with(&pki, true, 2);
    let dir = TempDir::new("tls-optional");
    let lp = write_lines(&dir, "a.lp", &points_ns(40));
    let ca = pki.ca.to_str().unwrap();
    let (o, _) = replay_to(
        &server.url,
        &lp,
        &["--ca-cert", ca, "--batch-lines", "10", "--concurrency", "1"],
        &[],
    );
    assert_exit(&o, 0);
    assert_eq!(server.lines.load(std::sync::atomic::Ordering::SeqCst), 40);
    // One that requires it still fails at once.
    let strict = MtlsServer::start_with(&pki, false, 0);
    let (o, took) = replay_to(&strict.url, &lp, &["--ca-cert", ca], &[]);
    assert_exit(&o, 1);
    assert!(took < Duration::from_secs(3), "{took:?}: {}", stderr(&o));
    assert_stderr_has(&o, "--client-cert FILE --client-key FILE");
}
