//! Golden cases: every `testdata/<case>.{csv,tsv,ndjson,jsonl,json}` (each also with `.gz`) is
//! converted with `testdata/<case>.toml` (or `schemas/<case>.toml`) and compared byte for byte
//! with `testdata/<case>.lp`. Optional files of a case:
//! - `<case>.args`: extra command line arguments, one per line;
//! - `<case>.exit`: the expected exit status (default 0);
//! - `<case>.rejects` and `<case>.rejects.errors`: when present, the case runs with
//!   `--rejects FILE` and both files are compared exactly (input name as `<case>.csv`);
//! - `<case>.stderr`: the expected first line of stderr (with `-q` stderr is otherwise empty);
//! - `<case>.stdin.lp`: the expected output through stdin, when it differs (`file` sources read
//!   the input's path, which stdin does not have).
//!
//! Each case also runs with other thread counts and chunk sizes, and through stdin (NDJSON and
//! JSON inputs with `--format ndjson`, as stdin has no file name), and must give the same
//! output. Adding a case means adding files.

use crate::support::{argv, assert_exit, code, gunzip, root, run_in, testdata, text, TempDir};
use std::collections::BTreeMap;
use std::path::PathBuf;

struct Case {
    name: String,
    input: String,
    schema: PathBuf,
    args: Vec<String>,
    exit: i32,
    expected: Vec<u8>,
    stdin_expected: Option<Vec<u8>>,
    rejects: Option<(Vec<u8>, Vec<u8>)>,
    stderr: Option<String>,
}

/// Longest first: `.ndjson.gz` must not be taken for `.gz` of something else.
const INPUT_SUFFIXES: [&str; 10] = [
    ".ndjson.gz",
    ".jsonl.gz",
    ".json.gz",
    ".csv.gz",
    ".tsv.gz",
    ".ndjson",
    ".jsonl",
    ".json",
    ".csv",
    ".tsv",
];

/// A case whose input is NDJSON or a JSON array (by its name).
fn is_json(input: &str) -> bool {
    let name = input.strip_suffix(".gz").unwrap_or(input);
    name.ends_with(".ndjson") || name.ends_with(".jsonl") || name.ends_with(".json")
}

fn cases() -> Vec<Case> {
    let dir = testdata();
    let mut found = BTreeMap::new();
    for e in std::fs::read_dir(&dir).expect("read testdata") {
        let file = e
            .expect("dir entry")
            .file_name()
            .into_string()
            .expect("utf-8 name");
        if let Some(suffix) = INPUT_SUFFIXES.iter().find(|s| file.ends_with(*s)) {
            let name = file[..file.len() - suffix.len()].to_string();
            // `<case>.rejects` is an expected file, not an input.
            if dir.join(format!("{name}.lp")).exists() {
                assert!(
                    found.insert(name.clone(), file.clone()).is_none(),
                    "case {name} has two inputs"
                );
            }
        }
    }
    let read = |p: PathBuf| std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let opt = |p: PathBuf| p.exists().then(|| read(p));
    found
        .into_iter()
        .map(|(name, input)| {
            let own = dir.join(format!("{name}.toml"));
            let schema = if own.exists() {
                own
            } else {
                root().join("schemas").join(format!("{name}.toml"))
            };
            assert!(
                schema.exists(),
                "case {name}: no schema (testdata/{name}.toml or schemas/{name}.toml)"
            );
            let args = opt(dir.join(format!("{name}.args")))
                .map(|a| {
                    text(&a)
                        .lines()
                        .filter(|l| !l.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let exit = opt(dir.join(format!("{name}.exit")))
                .map_or(0, |e| text(&e).trim().parse().expect("exit code"));
            let rejects = opt(dir.join(format!("{name}.rejects")))
                .map(|r| (r, read(dir.join(format!("{name}.rejects.errors")))));
            let stderr =
                opt(dir.join(format!("{name}.stderr"))).map(|s| text(&s).trim_end().to_string());
            let expected = read(dir.join(format!("{name}.lp")));
            let stdin_expected = opt(dir.join(format!("{name}.stdin.lp")));
            Case {
                name,
                input,
                schema,
                args,
                exit,
                expected,
                stdin_expected,
                rejects,
                stderr,
            }
        })
        .collect()
}

/// How a case is run.
enum Via {
    File,
    Stdin,
}

fn run_case(c: &Case, via: &Via, tuning: &[&str]) -> Result<(), String> {
    let work = TempDir::new(&c.name);
    let schema = c.schema.to_str().expect("utf-8 path").to_string();
    let rejects = work.join("rejects.csv");
    let mut args: Vec<String> = vec!["--schema".into(), schema, "-q".into()];
    args.extend(c.args.iter().cloned());
    args.extend(tuning.iter().map(|s| s.to_string()));
    if c.rejects.is_some() {
        args.push("--rejects".into());
        args.push(rejects.to_str().expect("utf-8").into());
    }
    let stdin_data;
    let stdin = match via {
        Via::File => {
            args.push(c.input.clone());
            None
        }
        Via::Stdin => {
            // Stdin has no name to take the format from.
            if is_json(&c.input) {
                args.push("--format".into());
                args.push("ndjson".into());
            }
            let raw = std::fs::read(testdata().join(&c.input)).expect("read input");
            stdin_data = if c.input.ends_with(".gz") {
                gunzip(&raw)
            } else {
                raw
            };
            Some(stdin_data.as_slice())
        }
    };
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_in(&testdata(), &argv, stdin);
    let what = format!(
        "case {} via {} {:?}",
        c.name,
        if stdin.is_some() { "stdin" } else { "file" },
        tuning
    );
    let mut problems = Vec::new();
    if code(&out) != c.exit {
        problems.push(format!("exit {} instead of {}", code(&out), c.exit));
    }
    let expected = match (&c.stdin_expected, stdin) {
        (Some(e), Some(_)) => e,
        _ => &c.expected,
    };
    if out.stdout != *expected {
        problems.push(format!(
            "output differs:\n--- expected\n{}--- actual\n{}",
            text(expected),
            text(&out.stdout)
        ));
    }
    let rename = |s: String| {
        if stdin.is_some() {
            s.replace(&c.input, "<stdin>")
        } else {
            s
        }
    };
    let stderr = text(&out.stderr);
    match &c.stderr {
        Some(first) => {
            let want = rename(first.clone());
            if stderr.lines().next() != Some(want.as_str()) {
                problems.push(format!(
                    "stderr starts with {:?}, expected {want:?}",
                    stderr.lines().next()
                ));
            }
        }
        None if !stderr.is_empty() => problems.push(format!("unexpected stderr with -q: {stderr}")),
        None => {}
    }
    if let Some((rows, errors)) = &c.rejects {
        let got_rows = std::fs::read(&rejects).unwrap_or_default();
        let got_errors = text(&std::fs::read(work.join("rejects.csv.errors")).unwrap_or_default());
        if &got_rows != rows {
            problems.push(format!(
                "rejects differ:\n--- expected\n{}--- actual\n{}",
                text(rows),
                text(&got_rows)
            ));
        }
        let want = rename(text(errors));
        if got_errors != want {
            problems.push(format!(
                "rejects.errors differ:\n--- expected\n{want}--- actual\n{got_errors}"
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{what}:\n{}", problems.join("\n")))
    }
}

/// The thread/chunk settings every case is run with; all must give identical results.
const TUNINGS: [&[&str]; 5] = [
    &[],
    &["--threads", "2", "--chunk-size", "7"],
    &["--threads", "2", "--chunk-size", "1"],
    &["--threads", "3", "--chunk-size", "64"],
    &["--threads", "1", "--chunk-size", "4K"],
];

#[test]
fn golden_cases() {
    let cases = cases();
    assert!(cases.len() >= 30, "only {} golden cases found", cases.len());
    assert_eq!(
        cases[0..].iter().filter(|c| c.name == "home").count(),
        1,
        "the home case is missing"
    );
    let json = cases.iter().filter(|c| is_json(&c.input)).count();
    assert!(json >= 15, "only {json} NDJSON/JSON golden cases found");
    for suffix in [".ndjson", ".jsonl", ".json", ".ndjson.gz", ".json.gz"] {
        assert!(
            cases.iter().any(|c| c.input.ends_with(suffix)),
            "no golden case reads a {suffix} file"
        );
    }
    let mut failures = Vec::new();
    // The home data first, as the issue asks.
    let order = cases
        .iter()
        .filter(|c| c.name == "home")
        .chain(cases.iter().filter(|c| c.name != "home"));
    for c in order {
        for t in TUNINGS {
            if let Err(e) = run_case(c, &Via::File, t) {
                failures.push(e);
            }
        }
        // A .tsv file gets its tab delimiter from its name, which stdin does not have.
        if !c.input.contains(".tsv") {
            for t in [&[][..], &["--threads", "2", "--chunk-size", "7"][..]] {
                if let Err(e) = run_case(c, &Via::Stdin, t) {
                    failures.push(e);
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden run(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn home_is_the_tutorial_output() {
    let expected = std::fs::read(testdata().join("home.lp")).expect("home.lp");
    assert_eq!(text(&expected).lines().count(), 26);
    assert!(text(&expected).starts_with("home,room=Living\\ Room temp=21.1,hum=35.9,co=0i 1641024000\nhome,room=Kitchen temp=21.0,hum=35.9,co=0i 1641024000\n"));
    // The README's command line, from the workspace root.
    let out = run_in(
        &root(),
        &["--schema", "schemas/home.toml", "testdata/home.csv"],
        None,
    );
    assert_exit(&out, 0);
    assert_eq!(text(&out.stdout), text(&expected));
    // The explicit subcommand is the same command.
    let out = run_in(
        &root(),
        &argv(
            "convert --schema schemas/home.toml -q testdata/home.csv",
            &[],
        ),
        None,
    );
    assert_eq!(code(&out), 0);
    assert_eq!(out.stdout, expected);
    assert!(out.stderr.is_empty());
}
