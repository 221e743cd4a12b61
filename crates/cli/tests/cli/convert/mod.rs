//! `lpconvert convert` (the default command) against its contract (SCHEMA.md, CLI.md
//! "Convert"): golden cases, exit codes and the summary, schema errors, inputs and outputs,
//! NDJSON / JSON-array input.

mod annotated;
mod compressed;
mod encodings;
mod exit_codes;
mod file_sources;
mod golden;
mod inputs;
mod json_input;
mod schema_errors;
mod several_lines;

const HOME_SCHEMA: &str = r#"
measurement = "home"
precision = "s"
[timestamp]
column = "time"
format = "unix_s"
[tags]
room = "room"
[fields]
temp = "float"
hum = "float"
co = "integer"
"#;

const HOME_CSV: &str =
    "time,room,temp,hum,co\n1641024000,Living Room,21.1,35.9,0\n1641024000,Kitchen,21.0,35.9,0\n";
const HOME_LP: &str = "home,room=Living\\ Room temp=21.1,hum=35.9,co=0i 1641024000\nhome,room=Kitchen temp=21.0,hum=35.9,co=0i 1641024000\n";

/// The counters of the summary line: (read, written, skipped, rejected).
fn summary(stderr: &str) -> (u64, u64, u64, u64) {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("lpconvert: ") && l.contains(" rows read, "))
        .unwrap_or_else(|| panic!("no summary line in {stderr:?}"));
    let rest = line.strip_prefix("lpconvert: ").expect("prefix");
    let num = |label: &str| -> u64 {
        let end = rest
            .find(label)
            .unwrap_or_else(|| panic!("no `{label}` in {line:?}"));
        let start = rest[..end]
            .rfind(|c: char| !c.is_ascii_digit())
            .map_or(0, |i| i + 1);
        rest[start..end]
            .parse()
            .unwrap_or_else(|_| panic!("bad number before `{label}` in {line:?}"))
    };
    let counts = (
        num(" rows read"),
        num(" lines written"),
        num(" skipped"),
        num(" rejected in "),
    );
    assert_eq!(
        counts.0,
        counts.1 + counts.2 + counts.3,
        "rows read != written + skipped + rejected: {line}"
    );
    counts
}
