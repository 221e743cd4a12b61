use super::*;
use std::fs;
use std::path::PathBuf;

/// A fresh directory for one test.
fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lpconvert-list-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn touch(dir: &Path, rel: &str) {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, b"x\n").unwrap();
}

fn list(
    args: &[String],
    from: Option<FilesFrom<'_>>,
    accept: Accept,
    stdin: &[u8],
) -> Result<Listing, ListError> {
    list_inputs(args, from, accept, &mut io::Cursor::new(stdin.to_vec()))
}

fn rel(dir: &Path, paths: &[String]) -> Vec<String> {
    let d = format!("{}/", dir.display());
    paths
        .iter()
        .map(|p| p.strip_prefix(&d).unwrap_or(p).to_owned())
        .collect()
}

#[test]
fn a_directory_gives_the_accepted_files_below_it_in_byte_order() {
    let dir = temp("dir");
    for f in [
        "b.csv",
        "a/z.csv.gz",
        "a/b/c.tsv",
        "a/b.csv",
        "notes.txt",
        "x.json",
        "a/B.CSV",
    ] {
        touch(&dir, f);
    }
    let arg = vec![dir.display().to_string()];
    let got = list(&arg, None, Accept::Csv, b"").unwrap();
    assert_eq!(
        rel(&dir, &got.paths),
        ["a/B.CSV", "a/b.csv", "a/b/c.tsv", "a/z.csv.gz", "b.csv"]
    );
    assert_eq!(got.skipped, 2, "notes.txt and x.json");
    let got = list(&arg, None, Accept::Data, b"").unwrap();
    assert_eq!(got.paths.len(), 6);
    let got = list(&arg, None, Accept::Ndjson, b"").unwrap();
    assert_eq!(rel(&dir, &got.paths), ["x.json"]);
    let err = list(
        &[dir.join("a/b").display().to_string()],
        None,
        Accept::Ndjson,
        b"",
    );
    assert!(
        matches!(err, Err(ListError::EmptyDirectory { .. })),
        "{err:?}"
    );
}

#[test]
fn globs_expand_here_and_one_that_matches_nothing_is_an_error() {
    let dir = temp("glob");
    for f in [
        "d1/a.csv",
        "d1/sub/b.csv",
        "d2/c.csv",
        "d2/c.json",
        "top.csv",
    ] {
        touch(&dir, f);
    }
    let pattern = format!("{}/**/*.csv", dir.display());
    let got = list(&[pattern], None, Accept::Data, b"").unwrap();
    assert_eq!(
        rel(&dir, &got.paths),
        ["d1/a.csv", "d1/sub/b.csv", "d2/c.csv", "top.csv"]
    );
    let pattern = format!("{}/d?/*.json", dir.display());
    assert_eq!(
        list(&[pattern], None, Accept::Csv, b"")
            .unwrap()
            .paths
            .len(),
        1
    );
    let none = format!("{}/*.ndjson", dir.display());
    let err = list(std::slice::from_ref(&none), None, Accept::Data, b"").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{none}: no file matches this pattern")
    );
    // A file whose name holds glob characters is that file.
    touch(&dir, "odd[1].csv");
    let odd = format!("{}/odd[1].csv", dir.display());
    assert_eq!(
        list(std::slice::from_ref(&odd), None, Accept::Data, b"")
            .unwrap()
            .paths,
        [odd]
    );
}

#[test]
fn files_from_reads_lines_or_nul_separated_paths_and_duplicates_stay() {
    let got = list(
        &[],
        Some(FilesFrom {
            path: "-",
            nul: false,
        }),
        Accept::Data,
        b"a b.csv\n\nc.csv\r\na b.csv\n",
    )
    .unwrap();
    assert_eq!(got.paths, ["a b.csv", "c.csv", "a b.csv"]);
    let got = list(
        &["x.csv".into()],
        Some(FilesFrom {
            path: "-",
            nul: true,
        }),
        Accept::Data,
        b"line\nfeed.csv\0 sp .csv\0",
    )
    .unwrap();
    assert_eq!(got.paths, ["x.csv", "line\nfeed.csv", " sp .csv"]);
    let err = list(
        &[],
        Some(FilesFrom {
            path: "-",
            nul: false,
        }),
        Accept::Data,
        b"\n\n",
    )
    .unwrap_err();
    assert!(matches!(err, ListError::EmptyList(_)));
    let err = list(
        &["-".into()],
        Some(FilesFrom {
            path: "-",
            nul: false,
        }),
        Accept::Data,
        b"a.csv\n",
    )
    .unwrap_err();
    assert!(matches!(err, ListError::StdinTwice));
    // Nor may the list read from stdin name stdin (it would read as an empty input).
    let err = list(
        &[],
        Some(FilesFrom {
            path: "-",
            nul: false,
        }),
        Accept::Data,
        b"a.csv
-
",
    )
    .unwrap_err();
    assert!(matches!(err, ListError::StdinTwice));
    assert_eq!(list(&[], None, Accept::Data, b"").unwrap().paths, ["-"]);
}

#[test]
fn names_accepted_per_format() {
    assert!(Accept::Csv.accepts("x.tsv.zst") && !Accept::Csv.accepts("x.json"));
    assert!(Accept::Ndjson.accepts("x.JSONL.gz") && !Accept::Ndjson.accepts("x.csv"));
    assert!(Accept::LineProtocol.accepts("x.lp.gz") && !Accept::LineProtocol.accepts("x.csv"));
    assert!(!Accept::Data.accepts("x.gz") && !Accept::Data.accepts("README"));
}

#[test]
fn what_a_directory_holds_but_is_not_read_is_named() {
    // Links to directories are not followed, and a FIFO or a dangling link with a data name
    // is no file: each is named, so that no file is left out unsaid.
    let dir = temp("unread");
    touch(&dir, "a.csv");
    touch(&dir, "elsewhere/b.csv");
    fs::create_dir_all(dir.join("in")).unwrap();
    std::os::unix::fs::symlink(dir.join("elsewhere"), dir.join("in/linked")).unwrap();
    std::os::unix::fs::symlink(dir.join("nowhere.csv"), dir.join("in/dangling.csv")).unwrap();
    std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("in/dangling.txt")).unwrap();
    touch(&dir, "in/c.csv");
    let got = list(
        &[dir.join("in").display().to_string()],
        None,
        Accept::Csv,
        b"",
    )
    .unwrap();
    assert_eq!(rel(&dir, &got.paths), ["in/c.csv"]);
    assert_eq!(
        rel(&dir, &got.unread),
        ["in/dangling.csv", "in/linked"],
        "{got:?}"
    );
}

#[test]
fn a_glob_does_not_go_through_links_to_directories() {
    // `**` followed a link back up the tree: the one file matched 41 times (until ELOOP),
    // and its rows were converted 41 times.
    let dir = temp("globlink");
    touch(&dir, "d/sub/a.csv");
    touch(&dir, "elsewhere/b.csv");
    std::os::unix::fs::symlink("..", dir.join("d/sub/up")).unwrap();
    // Two links up: the glob crate's walk of `**` took 2^40 steps.
    std::os::unix::fs::symlink("..", dir.join("d/sub/up2")).unwrap();
    std::os::unix::fs::symlink(dir.join("elsewhere"), dir.join("d/other")).unwrap();
    std::os::unix::fs::symlink(dir.join("d/sub/a.csv"), dir.join("d/file-link.csv")).unwrap();
    for pattern in ["d/**/*.csv", "d/*/*.csv", "d/**/a.csv"] {
        let pattern = format!("{}/{pattern}", dir.display());
        let got = list(std::slice::from_ref(&pattern), None, Accept::Data, b"").unwrap();
        let want: &[&str] = match pattern.ends_with("/a.csv") {
            true => &["d/sub/a.csv"],
            false if pattern.contains("**") => &["d/file-link.csv", "d/sub/a.csv"],
            false => &["d/sub/a.csv"],
        };
        assert_eq!(rel(&dir, &got.paths), want, "{pattern}");
    }
    // A link given as the glob's own directory is where the glob starts: followed.
    let pattern = format!("{}/d/other/*.csv", dir.display());
    let got = list(std::slice::from_ref(&pattern), None, Accept::Data, b"").unwrap();
    assert_eq!(rel(&dir, &got.paths), ["d/other/b.csv"]);
}
