//! Connection settings from where InfluxDB users keep them (the `influxdb3` CLI's and the v3
//! client libraries' variables, the `influx` CLI's config file), what each write API is sent
//! (URL, precision spelling, `no_sync`, `accept_partial`, Authorization scheme), and the
//! servers' recorded refusals mapped to the refused lines.

use crate::support::*;

/// A server answering 204 and a file of three lines.
fn server_and_input() -> (FaultServer, TempDir, String) {
    let server = FaultServer::accept_all();
    let dir = TempDir::new("conn");
    let lp = write_lines(&dir, "data.lp", &points_ns(3));
    (server, dir, lp)
}

/// The request target and Authorization header of the first request `server` saw.
fn first_request(server: &FaultServer) -> (String, String) {
    let seen = server.seen();
    let s = seen.first().expect("a request");
    (
        s.target.clone(),
        s.headers.get("authorization").cloned().unwrap_or_default(),
    )
}

#[test]
fn host_token_and_database_variables_alone_write_to_that_database() {
    let (server, _dir, lp) = server_and_input();
    let o = run_lpconvert(
        "replay",
        &[&lp],
        &[
            ("INFLUX_HOST", &server.url),
            ("INFLUX_TOKEN", "tok-Secret9"),
            ("INFLUX_DATABASE", "sensors"),
        ],
    );
    assert_exit(&o, 0);
    let (target, auth) = first_request(&server);
    // As the v3 client libraries write: /api/v2/write with bucket = the database.
    assert_eq!(target, "/api/v2/write?bucket=sensors&precision=ns");
    assert_eq!(auth, "Token tok-Secret9");
    assert_eq!(server.stored().len(), 3);
    let err = stderr(&o);
    assert!(
        err.contains("settings: url from INFLUX_HOST, database from INFLUX_DATABASE, token from INFLUX_TOKEN, api v2"),
        "{err}"
    );
    assert!(!err.contains("Secret9"), "{err}");
}

#[test]
fn flags_override_the_variables() {
    let (env_server, _dir, lp) = server_and_input();
    let flag_server = FaultServer::accept_all();
    let o = run_lpconvert(
        "replay",
        &[
            "--url",
            &flag_server.url,
            "--db",
            "mine",
            "--api",
            "v1",
            &lp,
        ],
        &[
            ("INFLUX_HOST", &env_server.url),
            ("INFLUX_TOKEN", "t"),
            ("INFLUX_DATABASE", "sensors"),
        ],
    );
    assert_exit(&o, 0);
    assert!(env_server.seen().is_empty());
    let (target, auth) = first_request(&flag_server);
    assert_eq!(target, "/write?db=mine&precision=n");
    assert_eq!(auth, "Token t");
    // Only the token did not come from an option.
    assert_stderr_has(&o, "settings: token from INFLUX_TOKEN\n");
    // --token-env names the one variable read.
    let o = run_lpconvert(
        "replay",
        &[
            "--url",
            &flag_server.url,
            "--db",
            "mine",
            "--token-env",
            "MY_TOKEN",
            &lp,
        ],
        &[("INFLUX_TOKEN", "t"), ("MY_TOKEN", "m")],
    );
    assert_exit(&o, 0);
    assert_eq!(
        flag_server.seen().last().unwrap().headers["authorization"],
        "Token m"
    );
}

#[test]
fn influxdb3_cli_variables_write_through_v3_with_the_long_precision() {
    let (server, dir, _) = server_and_input();
    // Seconds, as INFLUX_PRECISION says.
    let lp = write_lines(&dir, "s.lp", &points(3));
    let o = run_lpconvert(
        "replay",
        &[&lp],
        &[
            ("INFLUXDB3_HOST_URL", &server.url),
            ("INFLUXDB3_AUTH_TOKEN", "t3"),
            ("INFLUXDB3_DATABASE_NAME", "db3"),
            ("INFLUX_HOST", "http://127.0.0.1:9"),
            ("INFLUX_TOKEN", "t2"),
            ("INFLUX_PRECISION", "s"),
        ],
    );
    assert_exit(&o, 0);
    let (target, auth) = first_request(&server);
    assert_eq!(
        target,
        "/api/v3/write_lp?db=db3&accept_partial=true&precision=second"
    );
    assert_eq!(auth, "Bearer t3");
    assert_stderr_has(&o, "precision from INFLUX_PRECISION");
}

#[test]
fn write_options_and_authorization_per_api() {
    let (server, dir, _) = server_and_input();
    // Timestamps that are a plausible time in no unit are sent under any --precision.
    let lp = write_lines(&dir, "tiny.lp", &["m f=1i 1".into(), "m f=2i 2".into()]);
    let env = [("INFLUX_TOKEN", "tk")];
    for (args, want_target, want_auth) in [
        (
            vec!["--api", "v1", "--db", "d", "--precision", "us"],
            "/write?db=d&precision=u",
            "Token tk",
        ),
        (
            vec![
                "--api",
                "v2",
                "--bucket",
                "b",
                "--org",
                "o",
                "--precision",
                "ms",
            ],
            "/api/v2/write?bucket=b&org=o&precision=ms",
            "Token tk",
        ),
        (
            vec!["--api", "v3", "--db", "d", "--precision", "ns", "--no-sync"],
            "/api/v3/write_lp?db=d&accept_partial=true&precision=nanosecond&no_sync=true",
            "Bearer tk",
        ),
        (
            vec![
                "--api",
                "v3",
                "--db",
                "d",
                "--precision",
                "ms",
                "--accept-partial",
                "false",
            ],
            "/api/v3/write_lp?db=d&accept_partial=false&precision=millisecond",
            "Bearer tk",
        ),
    ] {
        let before = server.seen().len();
        let mut a = vec!["--url", server.url.as_str()];
        a.extend(args.iter().copied());
        a.push(&lp);
        let o = run_lpconvert("replay", &a, &env);
        assert_exit(&o, 0);
        let s = &server.seen()[before];
        assert_eq!(s.target, want_target);
        assert_eq!(s.headers["authorization"], want_auth);
    }
    let o = run_lpconvert(
        "replay",
        &["--url", &server.url, "--db", "d", "--no-sync", &lp],
        &[],
    );
    assert_exit(&o, 2);
    assert_stderr_has(&o, "options of --api v3");
}

#[test]
fn the_influx_cli_config_file_in_home() {
    let (server, _dir, lp) = server_and_input();
    let other = FaultServer::accept_all();
    let home = TempDir::new("conn-home");
    std::fs::create_dir_all(home.join(".influxdbv2")).unwrap();
    let configs = format!(
        "[local]\n  url = \"{}\"\n  token = \"tok-local\"\n  org = \"acme\"\n  active = true\n\n[other]\n  url = \"{}\"\n  token = \"tok-other\"\n  org = \"zed\"\n# \n# [eu-central]\n#   url = \"https://eu-central-1-1.aws.cloud2.influxdata.com\"\n#   token = \"XXX\"\n",
        server.url, other.url
    );
    std::fs::write(home.join(".influxdbv2/configs"), &configs).unwrap();
    let home_s = home.to_str().unwrap();
    let o = run_lpconvert("replay", &["--bucket", "b", &lp], &[("HOME", home_s)]);
    assert_exit(&o, 0);
    let (target, auth) = first_request(&server);
    assert_eq!(target, "/api/v2/write?bucket=b&org=acme&precision=ns");
    assert_eq!(auth, "Token tok-local");
    let err = stderr(&o);
    assert!(err.contains("url from influx config `local` in "), "{err}");
    assert!(!err.contains("tok-local"), "{err}");
    // Chosen by the variable, by -c, and read from --configs-path.
    let o = run_lpconvert(
        "replay",
        &["--bucket", "b", &lp],
        &[("HOME", home_s), ("INFLUX_ACTIVE_CONFIG", "other")],
    );
    assert_exit(&o, 0);
    assert_eq!(other.seen().len(), 1);
    let o = run_lpconvert(
        "replay",
        &["-c", "other", "--bucket", "b", &lp],
        &[("HOME", home_s)],
    );
    assert_exit(&o, 0);
    assert_eq!(other.seen()[1].headers["authorization"], "Token tok-other");
    let elsewhere = write_text(&home, "my-configs", &configs);
    let o = run_lpconvert(
        "replay",
        &["--configs-path", &elsewhere, "--bucket", "b", &lp],
        &[],
    );
    assert_exit(&o, 0);
    assert_eq!(server.seen().len(), 2);
    // A variable overrides the file; a config that does not exist is a usage error.
    let o = run_lpconvert(
        "replay",
        &["--bucket", "b", &lp],
        &[("HOME", home_s), ("INFLUX_TOKEN", "from-env")],
    );
    assert_exit(&o, 0);
    assert_eq!(server.seen()[2].headers["authorization"], "Token from-env");
    // The active config's token is not sent to another server given by --url.
    let stranger = FaultServer::accept_all();
    let o = run_lpconvert(
        "replay",
        &["--url", &stranger.url, "--bucket", "b", "--api", "v2", &lp],
        &[("HOME", home_s)],
    );
    assert_exit(&o, 0);
    let (_, auth) = first_request(&stranger);
    assert_eq!(auth, "");
    let o = run_lpconvert("replay", &["-c", "prod", &lp], &[("HOME", home_s)]);
    assert_exit(&o, 2);
    assert_stderr_has(&o, "has no config `prod` (it has: local, other)");
    // The file is only read.
    assert_eq!(
        std::fs::read_to_string(home.join(".influxdbv2/configs")).unwrap(),
        configs
    );
    // A bad URL is named by where it came from.
    let o = run_lpconvert(
        "replay",
        &["--db", "d", &lp],
        &[("INFLUX_HOST", "localhost:8086")],
    );
    assert_exit(&o, 2);
    assert_stderr_has(
        &o,
        "INFLUX_HOST `localhost:8086`: does not start with http://",
    );
    // Without a URL anywhere.
    let o = run_lpconvert("replay", &["--db", "d", &lp], &[]);
    assert_exit(&o, 2);
    assert_stderr_has(&o, "no server: give --url URL");
}

/// The fixture files of the send crate (the servers' error bodies) and their batch.
fn fixture(name: &str) -> String {
    std::fs::read_to_string(root().join("crates/send/src/partial/fixtures").join(name)).unwrap()
}

/// Replays the fixture batch to a server answering `status` with the fixture body `body`;
/// returns the output and the rejects file's text.
fn refused_by(api: &str, status: u16, body: &str) -> (std::process::Output, String) {
    refused_by_named(api, status, body, "batch.lp")
}

/// [`refused_by`] with the batch in a file named `name`.
fn refused_by_named(
    api: &str,
    status: u16,
    body: &str,
    name: &str,
) -> (std::process::Output, String) {
    let body = fixture(body);
    let server = FaultServer::start(move |_| Reply::with_body(status, body.clone()));
    let dir = TempDir::new("conn-refusal");
    let lp = write_text(&dir, name, &fixture("batch.lp"));
    let rejects = dir.join("rejects.lp");
    let target = match api {
        "v2" => "--bucket",
        _ => "--db",
    };
    let o = run_lpconvert(
        "replay",
        &[
            "--url",
            &server.url,
            "--api",
            api,
            target,
            "d",
            "--rejects",
            rejects.to_str().unwrap(),
            &lp,
        ],
        &[],
    );
    (o, std::fs::read_to_string(&rejects).unwrap_or_default())
}

/// The input line numbers named by a rejects file's `# input:line: reason` comments.
fn rejected_lines(rejects: &str) -> Vec<String> {
    rejects
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .filter_map(|l| l.split(':').nth(1).map(str::to_owned))
        .collect()
}

#[test]
fn recorded_refusals_name_the_refused_lines() {
    // InfluxDB 3 partial write: lines 2 and 4 refused, the other three stored.
    let (o, rejects) = refused_by("v3", 400, "v3_partial_write.json");
    assert_exit(&o, 3);
    assert_stderr_has(&o, "5 lines read, 3 acknowledged, 2 refused");
    assert_eq!(rejected_lines(&rejects), ["2", "4"]);
    assert!(
        rejects.contains("invalid column type for column 'usage'"),
        "{rejects}"
    );
    // 422 when a schema limit was hit: line 5 refused.
    let (o, rejects) = refused_by("v3", 422, "v3_partial_write_limit_422.json");
    assert_stderr_has(&o, "4 acknowledged, 1 refused");
    assert_eq!(rejected_lines(&rejects), ["5"]);
    // accept_partial=false: nothing stored, line 2 named with its reason.
    let (o, rejects) = refused_by("v3", 400, "v3_parse_error_no_partial.json");
    assert_stderr_has(&o, "0 acknowledged, 5 refused");
    assert!(
        rejects.contains(":2: HTTP 400: invalid column type"),
        "{rejects}"
    );
    assert!(
        rejects.contains(":1: HTTP 400: not stored: the server refused the whole batch"),
        "{rejects}"
    );
    // InfluxDB 2.x 422 partial write: one point dropped (unnamed), four stored.
    let (o, _) = refused_by("v2", 422, "v2_partial_422.json");
    assert_exit(&o, 3);
    assert_stderr_has(&o, "4 acknowledged, 1 refused");
    // InfluxDB 2.x 400: nothing stored, the unparsable line named.
    let (o, rejects) = refused_by("v2", 400, "v2_parse_400.json");
    assert_stderr_has(&o, "0 acknowledged, 5 refused");
    assert!(
        rejects.contains(":4: HTTP 400: missing tag value"),
        "{rejects}"
    );
}

#[test]
fn a_line_feed_in_an_inputs_name_stays_inside_the_rejects_files_comment() {
    // `# {input}:{line}: reason` with the name as it is: `a<LF>b.lp` made the comment's tail
    // (`b.lp:2: HTTP 400: ...`) a line of its own, which replaying the rejects file sends.
    let batch = fixture("batch.lp");
    for (api, status, body, comments) in [
        ("v3", 400, "v3_partial_write.json", 2),
        ("v2", 422, "v2_partial_422.json", 1),
    ] {
        let (o, rejects) = refused_by_named(api, status, body, "a\nb.lp");
        assert_exit(&o, 3);
        let (notes, lines): (Vec<&str>, Vec<&str>) =
            rejects.lines().partition(|l| l.starts_with("# "));
        assert_eq!(notes.len(), comments, "{api}: {rejects}");
        assert!(
            notes.iter().all(|n| n.contains("a\\nb.lp:")),
            "{api}: {rejects}"
        );
        for l in lines {
            assert!(
                batch.lines().any(|b| b == l),
                "{api}: not an input line: {l}\n{rejects}"
            );
        }
    }
}
