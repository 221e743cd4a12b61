//! The README's "Coming from ..." tables (issue 15) hold against the build: every `lpconvert`
//! command in a table cell between `<!-- switching: start -->` and `<!-- switching: end -->`
//! runs, as written, on the files the section shows (`<!-- fixture: NAME -->` before a fenced
//! block), in a temporary directory; replays go to the fault server standing in for
//! `http://localhost:8086` and `:8181`, which must receive lines. A command that stops working
//! (an option renamed, a schema key gone, an exit status other than 0) fails here.

use crate::support::{root, stderr, stdout, FaultServer, TempDir, BIN};
use std::path::Path;

/// The section of the README between the markers.
fn section() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let start = readme
        .find("<!-- switching: start -->")
        .expect("the start marker in README.md");
    let end = readme
        .find("<!-- switching: end -->")
        .expect("the end marker in README.md");
    readme[start..end].to_owned()
}

/// The fixture files: `<!-- fixture: NAME -->`, then a fenced block holding the file.
fn fixtures(section: &str) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        let Some(name) = line
            .strip_prefix("<!-- fixture: ")
            .and_then(|r| r.strip_suffix(" -->"))
        else {
            continue;
        };
        let fence = lines.next().expect("a fenced block after a fixture marker");
        assert!(fence.starts_with("```"), "fixture {name}: {fence}");
        let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        files.push((name.to_owned(), body.join("\n") + "\n"));
    }
    files
}

/// The code spans of table rows that are lpconvert commands (`\|` in a cell is a pipe).
fn commands(section: &str) -> Vec<String> {
    let mut out = Vec::new();
    for row in section.lines().filter(|l| l.starts_with('|')) {
        let row = row.replace("\\|", "\u{1}");
        for (i, span) in row.split('`').enumerate() {
            let span = span.replace('\u{1}', "|");
            if i % 2 == 1 && span.starts_with("lpconvert ") {
                out.push(span);
            }
        }
    }
    out
}

/// Runs `command` with bash in `dir`, `lpconvert` being the binary under test.
pub(crate) fn run(dir: &Path, command: &str) -> std::process::Output {
    let bin_dir = Path::new(BIN).parent().expect("the binary's directory");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::process::Command::new("bash")
        .args(["--norc", "-o", "pipefail", "-c", command])
        .current_dir(dir)
        .env("PATH", path)
        .env("INFLUX_TOKEN", "readme-token")
        .env_remove("INFLUX_PASSWORD")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run bash")
}

#[test]
fn every_command_of_the_switching_tables_runs() {
    let section = section();
    let files = fixtures(&section);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for want in [
        "data.csv",
        "schema.toml",
        "data.ndjson",
        "json.toml",
        "annotated.csv",
    ] {
        assert!(names.contains(&want), "fixture {want} in {names:?}");
    }
    let commands = commands(&section);
    assert!(
        commands.len() >= 15,
        "the tables show {} commands",
        commands.len()
    );
    let server = FaultServer::accept_all();
    let mut replays = 0;
    for command in &commands {
        // Each command in a fresh directory: outputs of one are never inputs of the next.
        let dir = TempDir::new("switching");
        for (name, text) in &files {
            std::fs::write(dir.join(name), text).expect("write fixture");
        }
        let local = command
            .replace("http://localhost:8086", &server.url)
            .replace("http://localhost:8181", &server.url);
        let before = server.stored().len();
        let out = run(&dir, &local);
        assert_eq!(
            out.status.code(),
            Some(0),
            "README command `{command}` failed:\n{}{}",
            stdout(&out),
            stderr(&out)
        );
        if local != *command {
            replays += 1;
            assert!(
                server.stored().len() > before,
                "`{command}` sent no line: {}",
                stderr(&out)
            );
        } else {
            // Lines, a schema or a preview on stdout, or an output file, or check's summary.
            let made = std::fs::read_dir(&*dir).expect("dir").count() > files.len();
            let said = command.contains("check") && stderr(&out).contains("valid");
            assert!(
                !out.stdout.is_empty() || made || said,
                "`{command}` wrote nothing: {}",
                stderr(&out)
            );
        }
    }
    assert!(replays >= 5, "{replays} replay commands");
    let auth = server
        .seen()
        .iter()
        .filter_map(|s| s.headers.get("authorization").cloned())
        .next();
    assert_eq!(auth.as_deref(), Some("Token readme-token"));
}

#[test]
fn the_extractor_reads_piped_commands_whole() {
    let section = "| a | `lpconvert x \\| lpconvert y` and `--flag` |\n";
    assert_eq!(commands(section), ["lpconvert x | lpconvert y"]);
}
