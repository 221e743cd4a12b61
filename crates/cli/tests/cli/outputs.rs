//! Outputs: an output is never an input or another output, is written under
//! `FILE.partial` and appears under its name only when the run ends with 0 or 3; option
//! ranges; rejects files that convert again with the same schema; causes said once.

use crate::support::{
    argv, assert_exit, assert_stderr_has, bench, code, replay, run_lpconvert, spawn_lpconvert,
    stderr, write_text, TempDir, BIN,
};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const HOME_SCHEMA: &str = "measurement = \"home\"\nprecision = \"s\"\n\n[timestamp]\ncolumn = \"time\"\nformat = \"unix_s\"\n\n[tags]\nroom = \"room\"\n\n[fields]\ntemp = \"float\"\nco = \"integer\"\n";
const HOME_CSV: &str = "time,room,temp,co\n1641024000,Kitchen,21.0,0\n1641027600,Kitchen,21.5,1\n";

fn home(dir: &TempDir) -> (String, String) {
    (
        write_text(dir, "home.toml", HOME_SCHEMA),
        write_text(dir, "a.csv", HOME_CSV),
    )
}

fn read(p: impl AsRef<Path>) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|_| "<missing>".into())
}

/// The number of rejected rows in convert's summary.
fn rejected(o: &Output) -> u64 {
    let e = stderr(o);
    let at = e
        .find(" rejected in ")
        .unwrap_or_else(|| panic!("no summary: {e}"));
    let before = &e[..at];
    let n = before.rsplit(' ').next().unwrap_or("");
    n.parse()
        .unwrap_or_else(|_| panic!("no rejected count: {e}"))
}

#[test]
fn output_equal_to_input_is_refused_before_truncating() {
    let dir = TempDir::new("out-eq-in");
    let (schema, input) = home(&dir);
    let o = run_lpconvert("convert", &["-s", &schema, &input, "-o", &input], &[]);
    assert_exit(&o, 2);
    assert_eq!(read(&input), HOME_CSV, "the input was changed");
    let e = stderr(&o);
    assert!(e.contains("--output") && e.contains("a.csv"), "{e}");
    assert!(!dir.join("a.csv.partial").exists());
    // The schema is an input too.
    for opt in ["-o", "--rejects"] {
        let o = run_lpconvert("convert", &["-s", &schema, &input, opt, &schema], &[]);
        assert_eq!(code(&o), 2, "{opt}: {}", stderr(&o));
        assert_eq!(read(&schema), HOME_SCHEMA);
    }
}

#[test]
fn rejects_naming_an_input_or_its_errors_file_is_refused() {
    let dir = TempDir::new("rej-eq-in");
    let (schema, input) = home(&dir);
    let o = run_lpconvert(
        "convert",
        &["-s", &schema, &input, "--rejects", &input],
        &[],
    );
    assert_exit(&o, 2);
    assert_eq!(read(&input), HOME_CSV);
    // The input is the rejects file's reasons file.
    let errors_input = write_text(&dir, "r.errors", HOME_CSV);
    let r = dir.join("r").display().to_string();
    let o = run_lpconvert(
        "convert",
        &["-s", &schema, &errors_input, "--rejects", &r],
        &[],
    );
    assert_exit(&o, 2);
    assert_stderr_has(&o, "r.errors");
    assert_eq!(read(&errors_input), HOME_CSV);
}

#[test]
fn output_through_a_symlink_to_the_input_is_refused() {
    let dir = TempDir::new("out-link");
    let (schema, input) = home(&dir);
    let link = dir.join("link.lp");
    std::os::unix::fs::symlink(&input, &link).unwrap();
    let link = link.display().to_string();
    let o = run_lpconvert("convert", &["-s", &schema, &input, "-o", &link], &[]);
    assert_exit(&o, 2);
    assert_eq!(read(&input), HOME_CSV);
}

#[test]
fn output_and_rejects_on_the_same_path_are_refused() {
    let dir = TempDir::new("out-eq-rej");
    let (schema, input) = home(&dir);
    let x = dir.join("x").display().to_string();
    let o = run_lpconvert(
        "convert",
        &["-s", &schema, &input, "-o", &x, "--rejects", &x],
        &[],
    );
    assert_exit(&o, 2);
    let e = stderr(&o);
    assert!(e.contains("--output") && e.contains("--rejects"), "{e}");
    assert!(!dir.join("x").exists());
}

#[test]
fn output_equal_to_the_file_on_stdin_is_refused() {
    let dir = TempDir::new("out-eq-stdin");
    let (schema, input) = home(&dir);
    let o = Command::new(BIN)
        .args(["convert", "-s", &schema, "-", "-o", &input])
        .stdin(std::fs::File::open(&input).unwrap())
        .output()
        .unwrap();
    assert_exit(&o, 2);
    assert_eq!(read(&input), HOME_CSV);
}

#[test]
fn replay_outputs_naming_an_input_are_refused() {
    let dir = TempDir::new("replay-eq-in");
    let lp = write_text(&dir, "d.lp", "m f=1 1\n");
    for opt in ["--rejects", "--report", "--checkpoint"] {
        let o = replay(&argv(
            "--url http://127.0.0.1:9 --db x --dry-run {} {} {}",
            &[opt, &lp, &lp],
        ));
        assert_eq!(code(&o), 2, "{opt}: {}", stderr(&o));
        assert!(stderr(&o).contains(opt), "{opt}: {}", stderr(&o));
        assert_eq!(read(&lp), "m f=1 1\n", "{opt} changed the input");
    }
    let (schema, input) = home(&dir);
    let o = replay(&argv(
        "--url http://127.0.0.1:9 --db x --dry-run --schema {} --convert-rejects {} {}",
        &[&schema, &input, &input],
    ));
    assert_exit(&o, 2);
    assert_eq!(read(&input), HOME_CSV);
}

#[test]
fn a_replay_shards_outputs_naming_another_shards_input_are_refused() {
    // `replay --schema --shard 1/2 a.csv b.csv --convert-rejects b.csv`: b.csv is shard 2's.
    // The outputs were checked against this shard's inputs only, so shard 1 replaced b.csv
    // with its (empty) rejects file before shard 2 read it.
    let dir = TempDir::new("replay-shard-eq-in");
    let (schema, a) = home(&dir);
    let b_text = "time,room,temp,co\n1641030000,Hall,20.0,0\n";
    let b = write_text(&dir, "b.csv", b_text);
    for opt in ["--convert-rejects", "--convert-skipped", "--report"] {
        let o = replay(&argv(
            "--url http://127.0.0.1:9 --db x --dry-run -q --schema {} --shard 1/2 {} {} {} {}",
            &[&schema, opt, &b, &a, &b],
        ));
        assert_eq!(code(&o), 2, "{opt}: {}", stderr(&o));
        assert!(stderr(&o).contains("b.csv"), "{opt}: {}", stderr(&o));
        assert_eq!(read(&b), b_text, "{opt}: shard 1 replaced shard 2's input");
    }
    // A second header's rejects file (`cr.2.csv`) takes no other shard's input's name.
    let cr = dir.join("cr").display().to_string();
    let cr_2 = write_text(&dir, "cr.2.csv", b_text);
    std::fs::write(&a, "time,room,temp,co\n1641024000,Kitchen,cold,0\n").unwrap();
    let c = write_text(
        &dir,
        "c.csv",
        "time,room,co,temp\n1641024000,Kitchen,0,hot\n",
    );
    let o = replay(&argv(
        "--url http://127.0.0.1:9 --db x --dry-run -q --on-error skip --schema {} --convert-rejects {} --shard 1/2 {} {} {}",
        &[&schema, &cr, &a, &c, &cr_2],
    ));
    assert_exit(&o, 3);
    assert_eq!(read(&cr_2), b_text, "shard 2's input cr.2.csv was replaced");
}

#[test]
fn failed_run_leaves_the_previous_output_untouched_and_keeps_the_partial() {
    let dir = TempDir::new("out-partial");
    let (schema, _) = home(&dir);
    let csv_text = "time,room,temp,co\n1641024000,Kitchen,21.0,0\n1641027600,Kitchen,hot,1\n";
    let bad = write_text(&dir, "bad.csv", csv_text);
    let out = write_text(&dir, "out.lp", "OLD\n");
    let rej = write_text(&dir, "rej.csv", "OLD REJECTS\n");
    let o = run_lpconvert(
        "convert",
        &["-s", &schema, &bad, "-o", &out, "--rejects", &rej],
        &[],
    );
    assert_exit(&o, 1);
    assert_eq!(read(&out), "OLD\n");
    assert_eq!(read(&rej), "OLD REJECTS\n");
    let partial = dir.join("out.lp.partial");
    assert!(
        read(&partial).starts_with("home,room=Kitchen"),
        "{}",
        read(&partial)
    );
    assert_stderr_has(&o, "out.lp.partial");
    // A schema error: nothing written at all.
    let broken = write_text(&dir, "broken.toml", "measurement = \n");
    let _ = std::fs::remove_file(&partial);
    let o = run_lpconvert("convert", &["-s", &broken, &bad, "-o", &out], &[]);
    assert_exit(&o, 2);
    assert_eq!(read(&out), "OLD\n");
    assert!(!partial.exists());
    // A missing second input: exit 2 and the previous file stays.
    let good = write_text(&dir, "good.csv", HOME_CSV);
    let missing = dir.join("missing.csv").display().to_string();
    let o = run_lpconvert(
        "convert",
        &["-s", &schema, &good, &missing, "-o", &out],
        &[],
    );
    assert_exit(&o, 2);
    assert_eq!(read(&out), "OLD\n");
    // A run that succeeds replaces it, and leaves no partial behind.
    let o = run_lpconvert("convert", &["-s", &schema, &good, "-o", &out], &[]);
    assert_exit(&o, 0);
    assert!(read(&out).starts_with("home,room=Kitchen"));
    assert!(!partial.exists());
}

#[test]
fn output_to_dev_null_is_written_in_place() {
    let dir = TempDir::new("out-null");
    let (schema, input) = home(&dir);
    let o = run_lpconvert(
        "convert",
        &argv(
            "-s {} {} -o /dev/null --rejects /dev/null",
            &[&schema, &input],
        ),
        &[],
    );
    assert_exit(&o, 0);
    assert!(!Path::new("/dev/null.partial").exists());
}

/// Runs lpconvert with a FIFO input nobody writes to: it must end (exit 2) without opening it.
fn ends_without_reading(args: &[&str]) -> Output {
    let mut child = spawn_lpconvert(args);
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("lpconvert {args:?} opened its input (it hangs on the FIFO)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn output_in_a_missing_directory_fails_before_any_input_is_read() {
    let dir = TempDir::new("out-nodir");
    let (schema, _) = home(&dir);
    let fifo = dir.join("fifo.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let fifo = fifo.display().to_string();
    let nodir = dir.join("nodir/x").display().to_string();
    for opt in ["-o", "--rejects"] {
        let o = ends_without_reading(&["convert", "-s", &schema, &fifo, opt, &nodir]);
        assert_eq!(code(&o), 2, "{opt}: {}", stderr(&o));
        assert_stderr_has(&o, "nodir");
    }
    // `-o` is not emptied when `--rejects` cannot be created.
    let good = write_text(&dir, "good.lp", "OLD\n");
    let o = ends_without_reading(&argv(
        "convert -s {} {} -o {} --rejects {}",
        &[&schema, &fifo, &good, &nodir],
    ));
    assert_exit(&o, 2);
    assert_eq!(read(&good), "OLD\n");
    assert!(!dir.join("good.lp.partial").exists());
    // A directory that is not writable: refused before reading too (unless root).
    let ro = dir.join("ro");
    std::fs::create_dir(&ro).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::write(ro.join("probe"), "x").is_err() {
        let out = ro.join("x.lp").display().to_string();
        let o = ends_without_reading(&["convert", "-s", &schema, &fifo, "-o", &out]);
        assert_exit(&o, 2);
    }
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn thread_count_and_chunk_size_out_of_range_are_usage_errors() {
    let dir = TempDir::new("threads");
    let (schema, input) = home(&dir);
    for (opt, v) in [
        ("--threads", "5000"),
        ("--threads", "0"),
        ("--chunk-size", "64G"),
    ] {
        let o = run_lpconvert("convert", &["-s", &schema, &input, opt, v], &[]);
        assert_eq!(code(&o), 2, "{opt} {v}: {}", stderr(&o));
        assert_stderr_has(&o, opt);
        let lp = write_text(&dir, "d.lp", "m f=1 1\n");
        let o = run_lpconvert("check", &[&lp, opt, v], &[]);
        assert_eq!(code(&o), 2, "check {opt} {v}: {}", stderr(&o));
    }
    let o = run_lpconvert("convert", &["--help"], &[]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("1024"));
}

#[test]
fn rejects_of_inputs_with_different_headers_go_to_one_file_per_header() {
    let dir = TempDir::new("rej-headers");
    let (schema, _) = home(&dir);
    let csv_text = "time,room,temp,co\n1641024000,Kitchen,hot,0\n";
    let a = write_text(&dir, "a.csv", csv_text);
    let b = write_text(&dir, "b.csv", "room,co,temp,time\nHall,1,cold,1641024000\n");
    let csv_text = "time,room,temp,co\n1641024000,Attic,warm,0\n";
    let c = write_text(&dir, "c.csv", csv_text);
    let rej = dir.join("rej.csv").display().to_string();
    let o = run_lpconvert(
        "convert",
        &argv(
            "-s {} {} {} {} --on-error skip --rejects {}",
            &[&schema, &a, &b, &c, &rej],
        ),
        &[],
    );
    assert_exit(&o, 3);
    assert_eq!(rejected(&o), 3);
    let second = dir.join("rej.csv.2.csv");
    assert_stderr_has(&o, "rej.csv.2.csv");
    assert_eq!(
        read(&rej),
        "time,room,temp,co\n1641024000,Kitchen,hot,0\n1641024000,Attic,warm,0\n"
    );
    assert_eq!(read(&second), "room,co,temp,time\nHall,1,cold,1641024000\n");
    assert!(!dir.join("rej.csv.3.csv").exists());
    for (file, n) in [(rej.clone(), 2), (second.display().to_string(), 1)] {
        let o = run_lpconvert(
            "convert",
            &["-s", &schema, &file, "--on-error", "skip"],
            &[],
        );
        assert_exit(&o, 3);
        assert_eq!(rejected(&o), n, "{}", stderr(&o));
        assert_stderr_has(&o, "temp");
    }
}

#[test]
fn rejects_with_skip_rows_keep_the_skipped_preamble() {
    let dir = TempDir::new("rej-skip");
    let toml = HOME_SCHEMA.to_owned() + "\n[csv]\nskip_rows = 2\n";
    let schema = write_text(&dir, "s.toml", &toml);
    let csv_text = "# exported 2022-01-01\n# by hand\ntime,room,temp,co\n1641024000,Kitchen,hot,0\n1641027600,Kitchen,21.5,1\n";
    let input = write_text(&dir, "in.csv", csv_text);
    let rej = dir.join("rej.csv").display().to_string();
    let o = run_lpconvert(
        "convert",
        &argv(
            "-s {} {} --on-error skip --rejects {}",
            &[&schema, &input, &rej],
        ),
        &[],
    );
    assert_exit(&o, 3);
    assert_eq!(
        read(&rej),
        "# exported 2022-01-01\n# by hand\ntime,room,temp,co\n1641024000,Kitchen,hot,0\n"
    );
    let o = run_lpconvert("convert", &["-s", &schema, &rej, "--on-error", "skip"], &[]);
    assert_exit(&o, 3);
    assert_eq!(rejected(&o), 1);
    // Without a header line: the skipped row alone comes first, no row is eaten.
    let schema = write_text(
        &dir,
        "n.toml",
        &(HOME_SCHEMA.to_owned()
            + "\n[csv]\nskip_rows = 1\nheader = false\ncolumns = [\"time\", \"room\", \"temp\", \"co\"]\n"),
    );
    let csv_text = "# exported\n1641024000,Kitchen,hot,0\n1641027600,Kitchen,21.5,1\n";
    let input = write_text(&dir, "n.csv", csv_text);
    let o = run_lpconvert(
        "convert",
        &argv(
            "-s {} {} --on-error skip --rejects {}",
            &[&schema, &input, &rej],
        ),
        &[],
    );
    assert_exit(&o, 3);
    assert_eq!(read(&rej), "# exported\n1641024000,Kitchen,hot,0\n");
    let o = run_lpconvert("convert", &["-s", &schema, &rej, "--on-error", "skip"], &[]);
    assert_exit(&o, 3);
    assert_eq!(rejected(&o), 1);
}

#[test]
fn rejects_from_a_pretty_json_array_are_one_line_each() {
    let dir = TempDir::new("rej-json");
    let toml = "format = \"ndjson\"\n".to_owned() + HOME_SCHEMA;
    let schema = write_text(&dir, "s.toml", &toml);
    let json_text = "[\n  {\n    \"time\": 1641024000,\n    \"room\": \"Kitchen\",\n    \"temp\": \"hot\",\n    \"co\": 0\n  },\n  {\n    \"time\": 1641027600,\n    \"room\": \"Kitchen\",\n    \"temp\": 21.5,\n    \"co\": 1\n  }\n]\n";
    let input = write_text(&dir, "in.json", json_text);
    let rej = dir.join("rej.ndjson").display().to_string();
    let o = run_lpconvert(
        "convert",
        &argv(
            "-s {} {} --on-error skip --rejects {}",
            &[&schema, &input, &rej],
        ),
        &[],
    );
    assert_exit(&o, 3);
    assert_eq!(rejected(&o), 1);
    assert_eq!(read(&rej).lines().count(), 1, "{}", read(&rej));
    let o = run_lpconvert("convert", &["-s", &schema, &rej, "--on-error", "skip"], &[]);
    assert_exit(&o, 3);
    assert_eq!(rejected(&o), 1, "{}", stderr(&o));
    assert_stderr_has(&o, "temp");
}

#[test]
fn error_texts_say_their_cause_once() {
    let dir = TempDir::new("cause-once");
    let (schema, input) = home(&dir);
    let missing = dir.join("missing.csv").display().to_string();
    let nodir = dir.join("nodir/r").display().to_string();
    let runs: Vec<(&str, Vec<&str>)> = vec![
        ("convert", vec!["-s", &schema, &missing]),
        ("convert", vec!["-s", &missing, &input]),
        ("convert", vec!["-s", &schema, &input, "-o", &nodir]),
        ("check", vec![&missing]),
        ("infer", vec![&missing]),
        (
            "replay",
            vec!["--url", "http://127.0.0.1:9", "--db", "x", &missing],
        ),
        (
            "replay",
            argv(
                "--url http://127.0.0.1:9 --db x --rejects {} {}",
                &[&nodir, &input],
            ),
        ),
        (
            "replay",
            argv(
                "--url http://127.0.0.1:9 --db x --schema {} {}",
                &[&schema, &missing],
            ),
        ),
        (
            "bench",
            argv("--url http://127.0.0.1:9 --db x --from {}", &[&missing]),
        ),
    ];
    for (cmd, args) in runs {
        let o = run_lpconvert(cmd, &args, &[]);
        assert_eq!(code(&o), 2, "{cmd} {args:?}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.matches("No such file or directory").count() <= 1,
            "{cmd} {args:?}: {e}"
        );
    }
}

#[test]
fn check_and_infer_with_stdout_onto_their_input_are_refused() {
    let dir = TempDir::new("stdout-eq-in");
    let lp = write_text(&dir, "d.lp", "m f=1 1\n");
    let (_, csv) = home(&dir);
    for (cmd, input, text) in [("check", &lp, "m f=1 1\n"), ("infer", &csv, HOME_CSV)] {
        let out = std::fs::OpenOptions::new()
            .append(true)
            .open(input)
            .unwrap();
        let o = Command::new(BIN)
            .args([cmd, input.as_str()])
            .stdin(Stdio::null())
            .stdout(out)
            .output()
            .unwrap();
        assert_eq!(code(&o), 2, "{cmd}: {}", stderr(&o));
        assert_stderr_has(&o, "standard output");
        assert_eq!(read(input), text);
    }
}

#[test]
fn a_further_rejects_file_never_replaces_an_input() {
    let dir = TempDir::new("rej-group-input");
    let (schema, _) = home(&dir);
    let csv_text = "time,room,temp,co\n1641024000,Kitchen,hot,0\n";
    let a = write_text(&dir, "a.csv", csv_text);
    let b_text = "room,co,temp,time\nHall,1,cold,1641024000\n";
    let b = write_text(&dir, "rej.csv.2.csv", b_text);
    let rej = dir.join("rej.csv").display().to_string();
    let o = run_lpconvert(
        "convert",
        &argv(
            "-s {} {} {} --on-error skip --rejects {}",
            &[&schema, &a, &b, &rej],
        ),
        &[],
    );
    assert_exit(&o, 3);
    assert_eq!(read(&b), b_text, "an input was replaced by a rejects file");
    assert_eq!(read(dir.join("rej.csv.3.csv")), b_text);
}

#[test]
fn bench_report_files_naming_the_from_input_are_refused() {
    let dir = TempDir::new("bench-report-from");
    let from = write_text(&dir, "report.json", "m f=1 1\n");
    let report_dir = dir.0.display().to_string();
    let o = bench(&argv(
        "--url http://127.0.0.1:9 --db x --dry-run --duration 1s --warmup 0s --from {} --report {}",
        &[&from, &report_dir],
    ));
    assert_exit(&o, 2);
    assert_stderr_has(&o, "--report");
    assert_eq!(read(&from), "m f=1 1\n");
    // Nor the temporary file a report is written through (report.md.tmp was written over,
    // then renamed to report.md: the data gone).
    let from = write_text(&dir, "report.md.tmp", "m f=1 1\n");
    let o = bench(&argv(
        "--url http://127.0.0.1:9 --db x --dry-run --duration 1s --warmup 0s --from {} --report {}",
        &[&from, &report_dir],
    ));
    assert_exit(&o, 2);
    assert_stderr_has(&o, "--report");
    assert_eq!(read(&from), "m f=1 1\n");
}

#[test]
fn output_through_a_symlink_never_touches_an_input_beside_its_target() {
    // `-o link` with link -> sub/real.lp is written as sub/real.lp.partial: an input of that
    // name must be refused, not deleted.
    let dir = TempDir::new("out-link-partial");
    let (schema, _) = home(&dir);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let input = write_text(&dir, "sub/real.lp.partial", HOME_CSV);
    std::fs::write(dir.join("sub/real.lp"), "old\n").unwrap();
    let link = dir.join("link.lp");
    std::os::unix::fs::symlink(dir.join("sub/real.lp"), &link).unwrap();
    let link = link.display().to_string();
    let o = run_lpconvert("convert", &["-s", &schema, &input, "-o", &link], &[]);
    assert_exit(&o, 2);
    assert_eq!(read(&input), HOME_CSV, "the input was destroyed");
    assert_eq!(read(dir.join("sub/real.lp")), "old\n");
    // The same for a rejects file through a link.
    let o = run_lpconvert(
        "convert",
        &["-s", &schema, &input, "-o", "/dev/null", "--rejects", &link],
        &[],
    );
    assert_exit(&o, 2);
    assert_eq!(read(&input), HOME_CSV, "the input was destroyed");
}

#[test]
fn output_through_a_dangling_symlink_writes_its_target_and_keeps_the_link() {
    let dir = TempDir::new("out-dangling");
    let (schema, input) = home(&dir);
    let link = dir.join("link.lp");
    std::os::unix::fs::symlink("new.lp", &link).unwrap();
    let l = link.display().to_string();
    let o = run_lpconvert("convert", &["-s", &schema, &input, "-o", &l], &[]);
    assert_exit(&o, 0);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(read(dir.join("new.lp")).starts_with("home,room=Kitchen"));
    // A link into a missing directory fails before anything is written.
    let gone = dir.join("gone.lp");
    std::os::unix::fs::symlink("nowhere/x.lp", &gone).unwrap();
    let g = gone.display().to_string();
    let o = run_lpconvert("convert", &["-s", &schema, &input, "-o", &g], &[]);
    assert_exit(&o, 2);
    assert!(std::fs::symlink_metadata(&gone)
        .unwrap()
        .file_type()
        .is_symlink());
    // Output and rejects naming one file through a dangling link are refused.
    let o = run_lpconvert(
        "convert",
        &argv(
            "-s {} {} -o {} --rejects {}",
            &[
                &schema,
                &input,
                &l,
                &dir.join("new.lp").display().to_string(),
            ],
        ),
        &[],
    );
    assert_exit(&o, 2);
}

#[test]
fn output_on_dev_stdout_appends_to_a_regular_file_on_stdout() {
    // `lpconvert ... -o /dev/stdout >> log` keeps what the log held; nothing is created in /dev.
    let dir = TempDir::new("out-dev-stdout");
    let (schema, input) = home(&dir);
    let csv_text = "time,room,temp,co\n1641024000,Kitchen,x,0\n";
    let bad = write_text(&dir, "bad.csv", csv_text);
    for (opt, path) in [("-o", "/dev/stdout"), ("-o", "/proc/self/fd/1")] {
        let log = dir.join("log");
        std::fs::write(&log, "previous\n").unwrap();
        let f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        let o = Command::new(BIN)
            .args(["convert", "-s", &schema, &input, opt, path])
            .stdout(f)
            .output()
            .unwrap();
        assert_eq!(code(&o), 0, "{path}: {}", stderr(&o));
        let text = read(&log);
        assert!(
            text.starts_with("previous\nhome,room=Kitchen"),
            "{path}: {text}"
        );
    }
    let log = dir.join("log");
    std::fs::write(&log, "previous\n").unwrap();
    let f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    let o = Command::new(BIN)
        .args(argv(
            "convert -s {} {} --on-error skip -o /dev/null",
            &[&schema, &bad],
        ))
        .args(["--rejects", "/dev/stdout"])
        .stdout(f)
        .output()
        .unwrap();
    assert_exit(&o, 3);
    assert!(
        read(&log).starts_with("previous\ntime,room,temp,co\n"),
        "{}",
        read(&log)
    );
    assert!(!Path::new("/dev/stdout.errors").exists());
}

#[test]
fn rejects_of_a_tsv_input_convert_again_with_the_same_schema() {
    // The delimiter comes from the input's name: rows read another way than FILE's get a file
    // whose name reads them that way (`bad.csv` takes the CSV rows, TSV rows `bad.csv.2.tsv`).
    let dir = TempDir::new("rej-tsv");
    let (schema, _) = home(&dir);
    let contents =
        "time\troom\ttemp\tco\n1641024000\tKitchen\tx\t0\n1641027600\tKitchen\t21.5\t1\n";
    let tsv = write_text(&dir, "b.tsv", contents);
    let csv_bad = write_text(&dir, "c.csv", "time,room,temp,co\n1641024000,Kitchen,y,0\n");
    let r = dir.join("bad.csv").display().to_string();
    let o = run_lpconvert(
        "convert",
        &argv(
            "-s {} {} {} --on-error skip -o /dev/null --rejects {}",
            &[&schema, &csv_bad, &tsv, &r],
        ),
        &[],
    );
    assert_exit(&o, 3);
    assert_eq!(rejected(&o), 2);
    // Every rejects file written converts again: every row rejected again, none lost.
    let mut again = 0;
    for f in ["bad.csv", "bad.csv.2.tsv"] {
        let p = dir.join(f).display().to_string();
        let o = run_lpconvert(
            "convert",
            &["-s", &schema, &p, "--on-error", "skip", "-o", "/dev/null"],
            &[],
        );
        assert_eq!(code(&o), 3, "{p}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(" 0 lines written"),
            "{p}: {}",
            stderr(&o)
        );
        again += rejected(&o);
    }
    assert_eq!(again, 2);
    // TSV rows alone in `bad.csv`: the user is told to rename it.
    let o = run_lpconvert(
        "convert",
        &argv(
            "-s {} {} --on-error skip -o /dev/null --rejects {}",
            &[&schema, &tsv, &r],
        ),
        &[],
    );
    assert_exit(&o, 3);
    assert_stderr_has(&o, ".tsv to convert it again");
}

#[test]
fn a_further_rejects_file_never_takes_the_name_of_an_output_still_being_written() {
    // `-o rej.csv.2.csv --rejects rej.csv`: the output exists only as rej.csv.2.csv.partial
    // while the run lasts; the second rejects file must not take (and unlink) that name.
    let dir = TempDir::new("rej-group-output");
    let (schema, _) = home(&dir);
    let csv_text = "time,room,temp,co\n1641024000,Kitchen,21.0,0\n1641027600,Kitchen,hot,1\n";
    let a = write_text(&dir, "a.csv", csv_text);
    let b = write_text(&dir, "b.csv", "room,co,temp,time\nHall,1,cold,1641024000\n");
    let out = dir.join("rej.csv.2.csv").display().to_string();
    let rej = dir.join("rej.csv").display().to_string();
    let o = run_lpconvert(
        "convert",
        &argv(
            "-s {} {} {} --on-error skip -o {} --rejects {}",
            &[&schema, &a, &b, &out, &rej],
        ),
        &[],
    );
    assert_exit(&o, 3);
    assert_eq!(
        read(&out),
        "home,room=Kitchen temp=21.0,co=0i 1641024000\n",
        "the output was lost"
    );
    assert!(read(&rej).contains("Kitchen,hot"));
    assert!(read(dir.join("rej.csv.3.csv")).contains("Hall,1,cold"));
}

#[test]
fn rejects_of_a_run_cut_short_by_a_closed_stdout_are_not_put_in_place() {
    // `lpconvert ... --rejects r.csv | head -1`: the run ends quietly with 0, but r.csv would
    // hold only the rows before the pipe closed: it stays r.csv.partial, an old r.csv untouched.
    let dir = TempDir::new("rej-closed-stdout");
    let (schema, _) = home(&dir);
    let mut text = String::from("time,room,temp,co\n");
    for i in 0..300_000u64 {
        let temp = if i % 100 == 0 { "x" } else { "21.5" };
        text.push_str(&format!("{},Kitchen,{temp},{i}\n", 1_641_024_000 + i));
    }
    let input = write_text(&dir, "big.csv", &text);
    let rej = dir.join("r.csv");
    std::fs::write(&rej, "old\n").unwrap();
    let rejects = rej.display().to_string();
    let mut child = spawn_lpconvert(&argv(
        "convert -s {} {} --on-error skip --threads 1 --rejects {}",
        &[&schema, &input, &rejects],
    ));
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(&mut out, &mut first).unwrap();
    drop(out);
    let o = child.wait_with_output().unwrap();
    assert_exit(&o, 0);
    let now = read(&rej);
    assert!(
        now == "old\n",
        "a cut-short rejects file was put in place: {} bytes",
        now.len()
    );
    assert!(dir.join("r.csv.partial").exists(), "{}", stderr(&o));
}

#[test]
fn output_is_not_put_in_place_when_the_rejects_file_cannot_be_written() {
    // `--rejects /dev/full`: the run ends with 2, so -o's file stays as it was.
    let dir = TempDir::new("rej-full");
    let (schema, _) = home(&dir);
    let csv_text = "time,room,temp,co\n1641024000,Kitchen,21.0,0\n1641027600,Kitchen,x,1\n";
    let input = write_text(&dir, "b.csv", csv_text);
    let out = dir.join("o.lp");
    std::fs::write(&out, "old\n").unwrap();
    let o = run_lpconvert(
        "convert",
        &["-s", &schema, &input, "--on-error", "skip"],
        &[],
    );
    assert_exit(&o, 3);
    let out_s = out.display().to_string();
    let o = run_lpconvert(
        "convert",
        &argv(
            "-s {} {} --on-error skip -o {} --rejects /dev/full",
            &[&schema, &input, &out_s],
        ),
        &[],
    );
    assert_exit(&o, 2);
    assert_eq!(
        read(&out),
        "old\n",
        "put in place by a run that ended with 2"
    );
    assert!(dir.join("o.lp.partial").exists(), "{}", stderr(&o));
}

#[test]
fn a_zst_output_is_written_as_zstd_never_as_plain_text() {
    // `-o out.lp.zst` used to give plain text under a .zst name, then was refused; now every
    // output file named `.zst` (like `.gz`) is compressed, and reads back as what was written.
    let dir = TempDir::new("out-zst");
    let (schema, input) = home(&dir);
    let plain = run_lpconvert("convert", &["-s", &schema, &input, "-q"], &[]);
    assert_eq!(code(&plain), 0, "{}", stderr(&plain));
    let out = dir.join("out.zst").display().to_string();
    let o = run_lpconvert("convert", &["-s", &schema, &input, "-o", &out, "-q"], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let bytes = std::fs::read(&out).expect("out.zst");
    let text = zstd::stream::decode_all(&bytes[..]).expect("zstd");
    assert_eq!(text, plain.stdout);
    assert!(!dir.join("out.zst.partial").exists());
}

#[test]
fn a_second_run_onto_an_output_being_written_is_refused() {
    // Two runs with the same -o at once (an overlapping cron job): the second used to delete
    // the first's FILE.partial and start its own, so that whichever ended first renamed the
    // other's unfinished file into place.
    let dir = TempDir::new("out-concurrent");
    let (schema, _) = home(&dir);
    let out = dir.join("o.lp").display().to_string();
    let mut first = Command::new(BIN)
        .args(["convert", "-s", &schema, "-", "-o", &out])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = first.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, b"time,room,temp,co\n").unwrap();
    let start = Instant::now();
    while !dir.join("o.lp.partial").exists() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let (_, input) = home(&dir);
    let o = run_lpconvert("convert", &["-s", &schema, &input, "-o", &out], &[]);
    assert_exit(&o, 2);
    assert_stderr_has(&o, "o.lp.partial");
    std::io::Write::write_all(&mut stdin, b"1641024000,Kitchen,21.0,0\n").unwrap();
    drop(stdin);
    let o = first.wait_with_output().unwrap();
    assert_exit(&o, 0);
    assert_eq!(
        read(dir.join("o.lp")),
        "home,room=Kitchen temp=21.0,co=0i 1641024000\n"
    );
}

#[test]
fn rejected_json_with_a_raw_control_character_in_a_string_stays_rejected() {
    // A raw CR (NDJSON) or LF (a pretty JSON array) inside a string makes the element invalid
    // JSON; the rejects file must keep it invalid, on one line, so that it is rejected again
    // rather than converted as a row the data never held.
    let dir = TempDir::new("rej-json-ctl");
    let toml = format!("format = \"ndjson\"\n{HOME_SCHEMA}");
    let schema = write_text(&dir, "s.toml", &toml);
    let json_text = "{\"time\":1641024000,\"room\":\"K\rx\",\"temp\":1.5,\"co\":0}\n{\"time\":1641024000,\"room\":\"K\",\"temp\":1.5,\"co\":0}\n";
    let nd = write_text(&dir, "a.ndjson", json_text);
    let json_text = "[\n  {\"time\": 1641024000,\n   \"room\": \"K\ny\", \"temp\": 1.5, \"co\": 0},\n  {\"time\": 1641024000, \"room\": \"K\", \"temp\": 1.5, \"co\": 0}\n]\n";
    let arr = write_text(&dir, "b.json", json_text);
    for input in [nd, arr] {
        let rej = dir.join("r.ndjson").display().to_string();
        let o = run_lpconvert(
            "convert",
            &argv(
                "-s {} {} --on-error skip -o /dev/null --rejects {}",
                &[&schema, &input, &rej],
            ),
            &[],
        );
        assert_eq!(code(&o), 3, "{input}: {}", stderr(&o));
        assert_eq!(rejected(&o), 1, "{input}");
        assert_eq!(
            read(&rej).matches('\n').count(),
            1,
            "{input}: {:?}",
            read(&rej)
        );
        let o = run_lpconvert(
            "convert",
            &["-s", &schema, &rej, "--on-error", "skip", "-o", "/dev/null"],
            &[],
        );
        assert_eq!(code(&o), 3, "{input}: {}", stderr(&o));
        assert_eq!(rejected(&o), 1, "{input}");
        assert!(
            stderr(&o).contains(" 0 lines written"),
            "{input}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn a_failed_run_that_wrote_nothing_leaves_no_partial_file() {
    // A missing input stops the run before a byte is written: an empty FILE.partial beside the
    // output would only be litter, and the message must not point at it.
    let dir = TempDir::new("out-empty-partial");
    let (schema, _) = home(&dir);
    let out = write_text(&dir, "out.lp", "OLD\n");
    let rej = dir.join("rej.csv").display().to_string();
    let missing = dir.join("missing.csv").display().to_string();
    let o = run_lpconvert(
        "convert",
        &["-s", &schema, &missing, "-o", &out, "--rejects", &rej],
        &[],
    );
    assert_exit(&o, 2);
    assert_eq!(read(&out), "OLD\n");
    for name in [
        "out.lp.partial",
        "rej.csv.partial",
        "rej.csv.errors.partial",
    ] {
        assert!(!dir.join(name).exists(), "{name} left behind");
    }
    assert!(!stderr(&o).contains(".partial"), "{}", stderr(&o));
}

#[test]
fn output_dash_is_standard_output() {
    let dir = TempDir::new("out-dash");
    let (schema, csv) = home(&dir);
    let o = Command::new(BIN)
        .args(["-s", &schema, &csv, "-o", "-", "-q"])
        .current_dir(dir.join(""))
        .output()
        .unwrap();
    assert_exit(&o, 0);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("home,"));
    assert!(!dir.join("-").exists() && !dir.join("-.partial").exists());
}

#[test]
fn an_output_that_is_a_directory_is_not_called_a_link() {
    let dir = TempDir::new("out-dir-not-link");
    let (schema, csv) = home(&dir);
    let sub = dir.join("sub");
    std::fs::create_dir(&sub).unwrap();
    // Relative, as a user types it: the canonical path differs, but `sub` is no link.
    let o = Command::new(BIN)
        .current_dir(dir.join(""))
        .args(["-s", &schema, &csv, "-o", "sub"])
        .output()
        .unwrap();
    assert_exit(&o, 2);
    let e = stderr(&o);
    assert_stderr_has(&o, "--output sub: is a directory");
    assert!(!e.contains("a link to"), "{e}");
    // A real link is still named as one.
    std::os::unix::fs::symlink(&sub, dir.join("ln")).unwrap();
    let o = Command::new(BIN)
        .current_dir(dir.join(""))
        .args(["-s", &schema, &csv, "-o", "ln"])
        .output()
        .unwrap();
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("ln (a link to "), "{}", stderr(&o));
}

#[test]
fn a_dash_for_an_output_other_than_o_is_a_usage_error_not_a_file_named_dash() {
    // `-o -` is standard output; `--rejects -` wrote a file named `-` in the working directory.
    let dir = TempDir::new("dash-output");
    let (schema, _) = home(&dir);
    let csv_text = "time,room,temp,co\n1641024000,Kitchen,21.0,0\n1641027600,Kitchen,hot,1\n";
    let bad = write_text(&dir, "bad.csv", csv_text);
    let lp = write_text(&dir, "d.lp", "m f=1 1\n");
    let runs: Vec<(&str, Vec<&str>)> = vec![
        (
            "convert",
            argv(
                "-s {} {} --on-error skip --rejects - -o /dev/null",
                &[&schema, &bad],
            ),
        ),
        (
            "replay",
            argv(
                "--url http://127.0.0.1:9 --db x --dry-run --report - {}",
                &[&lp],
            ),
        ),
        (
            "replay",
            argv("--url http://127.0.0.1:9 --db x --rejects - {}", &[&lp]),
        ),
        (
            "replay",
            argv("--url http://127.0.0.1:9 --db x --checkpoint - {}", &[&lp]),
        ),
        (
            "replay",
            argv(
                "--url http://127.0.0.1:9 --db x --dry-run --schema {} --convert-rejects - {}",
                &[&schema, &bad],
            ),
        ),
    ];
    for (cmd, args) in runs {
        let o = Command::new(BIN)
            .current_dir(dir.join(""))
            .arg(cmd)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(code(&o), 2, "{cmd} {args:?}: {}", stderr(&o));
        assert_stderr_has(&o, "`-`");
        assert!(
            !dir.join("-").exists(),
            "{cmd} {args:?} wrote a file named -"
        );
    }
}

#[test]
fn the_temporary_file_of_the_report_is_never_an_input() {
    // `--report r.json` is written through `r.json.tmp`: an input of that name was created
    // over, then removed, by the writability check (data lost, exit 2).
    let dir = TempDir::new("report-tmp-input");
    let lp = write_text(&dir, "r.json.tmp", "m f=1 1\n");
    let rep = dir.join("r.json");
    let o = replay(&argv(
        "--url http://127.0.0.1:9 --db x --dry-run --report {} {}",
        &[rep.to_str().unwrap(), &lp],
    ));
    assert_exit(&o, 2);
    assert_stderr_has(&o, "--report");
    assert_eq!(read(&lp), "m f=1 1\n", "the input was destroyed");
    // The same for convert's report (the input was written over, then renamed away).
    let (schema, _) = home(&dir);
    let csv = write_text(&dir, "c.json.tmp", HOME_CSV);
    let o = run_lpconvert(
        "convert",
        &[
            "-s",
            &schema,
            "--format",
            "csv",
            &csv,
            "-o",
            "/dev/null",
            "--report",
            dir.join("c.json").to_str().unwrap(),
        ],
        &[],
    );
    assert_exit(&o, 2);
    assert_stderr_has(&o, "--report");
    assert_eq!(read(&csv), HOME_CSV, "the input was destroyed");
}

#[test]
fn replay_further_convert_rejects_files_take_no_other_outputs_or_schemas_name() {
    // `--convert-rejects cr` writes a second header's rows to cr.2.csv: that name was checked
    // against the inputs only, so that the --report, --checkpoint or --rejects named cr.2.csv
    // and the schema named so were overwritten (the old binary did the same).
    let dir = TempDir::new("replay-rej-2");
    let (schema, a) = home(&dir);
    let other = "time,room,co,temp\n1641024000,Kitchen,0,21.0\n1641027600,Kitchen,1,hot\n";
    let a_bad = "time,room,temp,co\n1641024000,Kitchen,cold,0\n";
    std::fs::write(&a, a_bad).unwrap();
    let b = write_text(&dir, "b.csv", other);
    let cr = dir.join("cr").display().to_string();
    let second = dir.join("cr.2.csv").display().to_string();
    for opt in ["--report", "--checkpoint", "--rejects"] {
        let _ = std::fs::remove_file(&second);
        let o = replay(&argv(
            "--url http://127.0.0.1:9 --db x --dry-run -q --on-error skip --schema {} --convert-rejects {} {} {} {} {}",
            &[&schema, &cr, opt, &second, &a, &b],
        ));
        assert_exit(&o, 3);
        let kept = read(&second);
        assert!(
            !kept.contains("1641027600,Kitchen,1,hot"),
            "{opt}: rejected rows in its file:\n{kept}"
        );
        let third = read(dir.join("cr.3.csv"));
        assert!(third.contains("1641027600,Kitchen,1,hot"), "{opt}: {third}");
        for f in ["cr.2.csv", "cr.3.csv", "cr.3.csv.errors"] {
            let _ = std::fs::remove_file(dir.join(f));
        }
    }
    // The schema named like the second rejects file.
    let schema_2 = write_text(&dir, "cr.2.csv", HOME_SCHEMA);
    let o = replay(&argv(
        "--url http://127.0.0.1:9 --db x --dry-run -q --on-error skip --schema {} --convert-rejects {} {} {}",
        &[&schema_2, &cr, &a, &b],
    ));
    assert_exit(&o, 3);
    assert_eq!(read(&schema_2), HOME_SCHEMA, "the schema was overwritten");
    assert!(read(dir.join("cr.3.csv")).contains("1641027600,Kitchen,1,hot"));
}
