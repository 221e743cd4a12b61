//! Many inputs in one run (issue 21): directories, quoted globs and `--files-from` as inputs,
//! one pipeline for them all, output and messages as if each file were converted alone.

use crate::support::{assert_exit, run_in, stderr, stdout, write_in, TempDir};
use std::path::Path;

const SCHEMA: &str = "measurement = \"m\"\nformat = \"csv\"\non_error = \"skip\"\n\
                      [tags]\nhost = { column = \"host\" }\n\
                      [fields]\nv = { column = \"v\", type = \"integer\" }\n\
                      [timestamp]\ncolumn = \"t\"\nformat = \"unix_s\"\n";

/// Writes `n` small CSV files `d/part-NNNNN.csv` (file `i` has `rows` rows; every 7th
/// file's second row is bad) and returns their names in order.
fn small_files(dir: &Path, sub: &str, n: usize, rows: usize) -> Vec<String> {
    std::fs::create_dir_all(dir.join(sub)).unwrap();
    (0..n)
        .map(|i| {
            let mut text = String::from("host,v,t\n");
            for r in 0..rows {
                let v = if i % 7 == 3 && r == 1 {
                    "x".to_string()
                } else {
                    (i * 10 + r).to_string()
                };
                text.push_str(&format!(
                    "h{},{v},{}\n",
                    i % 13,
                    1_600_000_000 + i * 100 + r
                ));
            }
            let name = format!("{sub}/part-{i:05}.csv");
            write_in(dir, &name, text);
            name
        })
        .collect()
}

/// Writes `data` to `dir/rel`, creating the directories it needs.
fn put(dir: &Path, rel: &str, data: impl AsRef<[u8]>) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

/// `lpconvert -s s.toml ARGS` in `dir`.
fn convert(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["-s", "s.toml"];
    all.extend_from_slice(args);
    run_in(dir, &all, None)
}

#[test]
fn five_thousand_files_convert_as_their_concatenation_for_any_threads_and_chunks() {
    let dir = TempDir::new("many-5000");
    write_in(&dir, "s.toml", SCHEMA);
    let names = small_files(&dir, "d", 5000, 3);
    // The expected output: each file converted alone, concatenated (a sample of them, plus
    // the whole run once with one thread and the smallest chunks).
    let mut want = String::new();
    for name in names.iter().take(40) {
        let out = convert(&dir, &["-q", name]);
        assert!(matches!(out.status.code(), Some(0 | 3)), "{}", stderr(&out));
        want.push_str(&stdout(&out));
    }
    let first = convert(&dir, &["d", "--threads", "1"]);
    assert_exit(&first, 3);
    let all = stdout(&first);
    assert!(
        all.starts_with(&want),
        "the first 40 files differ from their own runs"
    );
    let bad = (0..5000).filter(|i| i % 7 == 3).count();
    assert_eq!(all.lines().count(), 5000 * 3 - bad);
    let err = stderr(&first);
    assert!(err.contains(", 5000 files"), "{err}");
    for (threads, chunk) in [("2", "4M"), ("7", "100"), ("2", "1K"), ("7", "64K")] {
        let out = convert(
            &dir,
            &["-q", "d", "--threads", threads, "--chunk-size", chunk],
        );
        assert_exit(&out, 3);
        assert!(
            stdout(&out) == all,
            "--threads {threads} --chunk-size {chunk}"
        );
    }
}

#[test]
fn rejects_from_several_files_name_their_file_line_and_column() {
    let dir = TempDir::new("many-rejects");
    write_in(&dir, "s.toml", SCHEMA);
    small_files(&dir, "d", 20, 4);
    let out = convert(
        &dir,
        &[
            "d",
            "--rejects",
            "bad.csv",
            "--threads",
            "2",
            "--chunk-size",
            "50",
        ],
    );
    assert_exit(&out, 3);
    let reasons = std::fs::read_to_string(dir.join("bad.csv.errors")).unwrap();
    let places: Vec<&str> = reasons
        .lines()
        .map(|l| l.split(": ").next().unwrap())
        .collect();
    assert_eq!(
        places,
        [
            "d/part-00003.csv:3:2",
            "d/part-00010.csv:3:2",
            "d/part-00017.csv:3:2"
        ]
    );
    // One header for the one distinct header.
    let rows = std::fs::read_to_string(dir.join("bad.csv")).unwrap();
    assert_eq!(rows.matches("host,v,t").count(), 1, "{rows}");
    assert_eq!(rows.lines().count(), 4);
}

#[test]
fn a_directory_reads_only_the_names_the_format_accepts_recursively_in_path_order() {
    let dir = TempDir::new("many-tree");
    write_in(&dir, "s.toml", SCHEMA);
    let row = |v: u32| format!("host,v,t\nh,{v},1600000000\n");
    for (name, v) in [
        ("t/b.csv", 2),
        ("t/a/z.csv", 1),
        ("t/a.csv", 0),
        ("t/c.tsv", 9),
    ] {
        let text = if name.ends_with(".tsv") {
            row(v).replace(',', "\t")
        } else {
            row(v)
        };
        put(&dir, name, text);
    }
    put(&dir, "t/notes.txt", "not data\n");
    put(&dir, "t/x.json", "{}\n");
    put(
        &dir,
        "t/a/deeper/y.csv.gz",
        crate::support::gzip(row(5).as_bytes()),
    );
    let out = convert(&dir, &["t", "-v"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    let values: Vec<&str> = text
        .lines()
        .map(|l| l.split("v=").nth(1).unwrap().split('i').next().unwrap())
        .collect();
    // Byte order of the paths: t/a.csv < t/a/deeper/y.csv.gz < t/a/z.csv < t/b.csv < t/c.tsv.
    assert_eq!(values, ["0", "5", "1", "2", "9"]);
    assert!(
        stderr(&out).contains("5 inputs listed; 2 files"),
        "{}",
        stderr(&out)
    );
    put(&dir, "empty/readme.md", "x");
    let out = convert(&dir, &["empty"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("empty: no file below this directory"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn globs_are_expanded_by_lpconvert_and_one_matching_nothing_is_an_error() {
    let dir = TempDir::new("many-glob");
    write_in(&dir, "s.toml", SCHEMA);
    small_files(&dir, "g/one", 3, 1);
    small_files(&dir, "g/two/deep", 2, 1);
    put(&dir, "g/skip.json", "{}\n");
    let out = convert(&dir, &["g/**/*.csv"]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).lines().count(), 5);
    assert!(stderr(&out).contains(", 5 files"), "{}", stderr(&out));
    let out = convert(&dir, &["g/**/*.ndjson"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("g/**/*.ndjson: no file matches this pattern"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn files_from_reads_nul_separated_or_line_lists_with_odd_names() {
    let dir = TempDir::new("many-list");
    write_in(&dir, "s.toml", SCHEMA);
    let a = "name with spaces.csv";
    let b = "tab\tand [brackets].csv";
    let c = "line\nfeed.csv";
    for (i, n) in [a, b, c].iter().enumerate() {
        write_in(&dir, n, format!("host,v,t\nh,{i},1600000000\n"));
    }
    write_in(&dir, "list0", format!("{a}\0{b}\0{c}\0"));
    let out = convert(&dir, &["--files-from", "list0", "-0"]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).matches("v=").count(), 3);
    write_in(&dir, "list", format!("{a}\n\n{b}\n{a}\n"));
    let out = convert(&dir, &["--files-from", "list"]);
    assert_exit(&out, 0);
    // A path listed twice is converted twice, as `cat` would.
    let text = stdout(&out);
    let values: Vec<&str> = text.lines().map(|l| l.split(' ').nth(1).unwrap()).collect();
    assert_eq!(values, ["v=0i", "v=1i", "v=0i"], "{text}");
    let out = run_in(
        &dir,
        &["-s", "s.toml", "--files-from", "-"],
        Some(format!("{a}\n").as_bytes()),
    );
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).matches("v=0i").count(), 1);
}

#[test]
fn a_file_list_holding_the_output_is_refused_before_anything_is_written() {
    let dir = TempDir::new("many-collide");
    write_in(&dir, "s.toml", SCHEMA);
    small_files(&dir, "d", 3, 1);
    write_in(&dir, "out.csv", "host,v,t\n");
    std::os::unix::fs::symlink(dir.join("out.csv"), dir.join("d/link.csv")).unwrap();
    let out = convert(&dir, &["d", "-o", "out.csv"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("out.csv"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(dir.join("out.csv")).unwrap(),
        "host,v,t\n"
    );
    std::fs::remove_file(dir.join("d/link.csv")).unwrap();
    std::fs::hard_link(dir.join("out.csv"), dir.join("d/hard.csv")).unwrap();
    write_in(&dir, "list", "d/part-00000.csv\nd/hard.csv\n");
    let out = convert(&dir, &["--files-from", "list", "-o", "out.csv"]);
    assert_exit(&out, 2);
    assert!(!dir.join("out.csv.partial").exists());
}

#[test]
fn file_sources_see_each_files_own_path_in_a_directory_run() {
    let dir = TempDir::new("many-filesrc");
    let schema = "measurement = \"m\"\nformat = \"csv\"\n[tags]\n\
                  host = { file = \"path\", regex = \"host=([^/]+)\" }\n\
                  [fields]\nv = { column = \"v\", type = \"integer\" }\n";
    write_in(&dir, "s.toml", schema);
    for h in ["a", "b", "c"] {
        put(&dir, &format!("p/host={h}/x.csv"), "v\n1\n2\n");
    }
    let out = convert(&dir, &["p", "--threads", "2"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    let hosts: Vec<&str> = text.lines().map(|l| &l[7..8]).collect();
    assert_eq!(hosts, ["a", "a", "b", "b", "c", "c"], "{text}");
}

#[test]
fn check_reads_a_directory_of_line_protocol_and_counts_its_files() {
    let dir = TempDir::new("many-check");
    put(&dir, "lp/a.lp", "m f=1 1\n");
    put(&dir, "lp/b/c.lp", "m f=x\n");
    put(&dir, "lp/skip.csv", "a,b\n");
    let out = run_in(&dir, &["check", "lp"], None);
    assert_exit(&out, 3);
    assert!(stdout(&out).contains("lp/b/c.lp:1: "), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("2 lines: 1 valid points, 1 invalid"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains(", 2 files"), "{}", stderr(&out));
}

#[test]
fn a_wrong_quote_parity_cut_in_one_file_is_cut_again_and_the_next_files_follow() {
    let dir = TempDir::new("many-recut");
    write_in(&dir, "s.toml", SCHEMA);
    // A quote inside an unquoted field shifts the quote parity: a later quoted field with a
    // line feed then looks like a record end, the fast cut is wrong, and the file is cut
    // again exactly from there.
    let mut a = String::from("host,v,t\n");
    for r in 0..300 {
        let host = match r {
            5 => "h\"q".to_string(),
            150 => "\"x\ny\"".to_string(),
            _ => format!("h{r}"),
        };
        a.push_str(&format!("{host},{r},{}\n", 1_600_000_000 + r));
    }
    put(&dir, "r/a.csv", &a);
    small_files(&dir, "r", 30, 2);
    let names: Vec<String> = std::iter::once("r/a.csv".to_string())
        .chain((0..30).map(|i| format!("r/part-{i:05}.csv")))
        .collect();
    let mut want = String::new();
    for n in &names {
        want.push_str(&stdout(&convert(&dir, &["-q", n])));
    }
    for (threads, chunk) in [("1", "64"), ("2", "100"), ("7", "1K")] {
        let out = convert(
            &dir,
            &["-q", "r", "--threads", threads, "--chunk-size", chunk],
        );
        assert!(
            stdout(&out) == want,
            "--threads {threads} --chunk-size {chunk}"
        );
    }
    // The same file on stdin: a stream read to its end before the wrong cut is found.
    let first = stdout(&convert(&dir, &["-q", "r/a.csv"]));
    for chunk in ["64", "100", "1K"] {
        let args = [
            "-s",
            "s.toml",
            "-q",
            "--format",
            "csv",
            "--chunk-size",
            chunk,
        ];
        let out = run_in(&dir, &args, Some(a.as_bytes()));
        // The quoted host with a line feed is a rejected row, as in the mapped run.
        assert_exit(&out, 3);
        assert!(stdout(&out) == first, "stdin, --chunk-size {chunk}");
    }
}

#[test]
fn replay_of_more_files_than_descriptors_holds_few_open() {
    // Each file read to its end used to stay open until the run ended (to check it had not
    // changed): 300 files under `ulimit -n 64` failed with "Too many open files".
    let dir = TempDir::new("many-replay-fds");
    for i in 0..300 {
        put(
            &dir,
            &format!("lp/f{i:04}.lp"),
            format!("m v={i}i {}\n", 1_600_000_000_000_000_000u64 + i),
        );
    }
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 64; exec '{}' replay --url http://127.0.0.1:9 --db x --dry-run lp",
            crate::support::BIN
        ))
        .current_dir(&*dir)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert!(stderr(&out).contains("300 lines read"), "{}", stderr(&out));
}

#[test]
fn a_link_to_a_directory_inside_a_directory_input_is_named_as_not_read() {
    let dir = TempDir::new("many-linkdir");
    write_in(&dir, "s.toml", SCHEMA);
    small_files(&dir, "d", 2, 1);
    small_files(&dir, "other", 2, 1);
    std::os::unix::fs::symlink(dir.join("other"), dir.join("d/more")).unwrap();
    let out = convert(&dir, &["d"]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).lines().count(), 2);
    assert!(
        stderr(&out).contains("d/more: not read (a link to a directory is not followed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_line_feed_in_a_file_name_stays_inside_one_line_of_the_reasons_file() {
    let dir = TempDir::new("many-lf-name");
    write_in(&dir, "s.toml", SCHEMA);
    put(
        &dir,
        "d/a\nb.csv",
        "host,v,t\nh,x,1600000000\nh,2,1600000001\n",
    );
    put(&dir, "d/c.csv", "host,v,t\nh,y,1600000000\n");
    let out = convert(&dir, &["d", "--rejects", "bad.csv", "-o", "out.lp"]);
    assert_exit(&out, 3);
    let reasons = std::fs::read_to_string(dir.join("bad.csv.errors")).unwrap();
    let lines: Vec<&str> = reasons.lines().collect();
    assert_eq!(lines.len(), 2, "{reasons}");
    assert!(lines[0].starts_with("d/a\\nb.csv:2:"), "{reasons}");
    assert!(lines[1].starts_with("d/c.csv:2:"), "{reasons}");
    // Without a rejects file, the rejects named on stderr say the name the same way.
    let out = convert(&dir, &["d", "-o", "out.lp"]);
    assert_exit(&out, 3);
    assert!(
        stderr(&out).contains("rejected d/a\\nb.csv:2:"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn check_names_a_bad_line_of_a_file_with_a_line_feed_in_its_name_on_one_line() {
    // check printed `file:line: message` with the name as it is: `d/a<LF>b.lp:2: ...` split
    // one bad line into two lines of its output.
    let dir = TempDir::new("many-lf-check");
    put(&dir, "d/a\nb.lp", "m v=1 1\nbad line\n");
    put(&dir, "d/c.lp", "m v=1 1\nbad\n");
    let out = run_in(&dir, &["check", "d"], None);
    assert_exit(&out, 3);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("d/a\\nb.lp:2: "), "{text}");
    assert!(lines[1].starts_with("d/c.lp:2: "), "{text}");
}

#[test]
fn check_notes_a_byte_order_mark_of_a_file_with_a_line_feed_in_its_name_on_one_line() {
    let dir = TempDir::new("many-lf-bom");
    put(&dir, "d/a\nb.lp", "\u{feff}m v=1 1\n");
    let out = run_in(&dir, &["check", "d"], None);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("d/a\\nb.lp: note: "), "{text}");
}
