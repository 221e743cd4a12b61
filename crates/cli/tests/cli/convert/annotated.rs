//! Annotated CSV (`--format annotated-csv`, no schema): the csv2lp examples of the influx
//! CLI (its README and examples_test.go) in `testdata/annotated/<case>.csv` convert to
//! `<case>.lp` exactly, from a file, stdin and `.gz`, at any thread count and chunk size;
//! optional `<case>.args` (one argument a line) and `<case>.exit`. The schema `infer` prints
//! for a one-table file converts it to the same lines; rejects start with their table's
//! preamble.

use crate::support::{code, gzip, run_in, stderr, testdata, text, write_in, TempDir};

struct Case {
    name: String,
    csv: Vec<u8>,
    lp: String,
    args: Vec<String>,
    exit: i32,
}

fn cases() -> Vec<Case> {
    let dir = testdata().join("annotated");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("testdata/annotated")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            Some(name.strip_suffix(".csv")?.to_string())
        })
        .collect();
    names.sort();
    let read = |n: &str, ext: &str| std::fs::read(dir.join(format!("{n}.{ext}")));
    names
        .into_iter()
        .map(|name| Case {
            csv: read(&name, "csv").expect("input"),
            lp: text(&read(&name, "lp").expect("expected output")),
            args: read(&name, "args")
                .map(|a| text(&a).lines().map(str::to_string).collect())
                .unwrap_or_default(),
            exit: read(&name, "exit").map_or(0, |e| text(&e).trim().parse().expect("exit")),
            name,
        })
        .collect()
}

const TUNINGS: [&[&str]; 4] = [
    &["--threads", "1"],
    &["--threads", "2", "--chunk-size", "1"],
    &["--threads", "2", "--chunk-size", "7"],
    &["--threads", "1", "--chunk-size", "64"],
];

#[test]
fn the_csv2lp_examples_convert_without_a_schema_to_the_documented_lines() {
    let dir = TempDir::new("annotated-examples");
    for case in cases() {
        write_in(&dir, "a.csv", &case.csv);
        write_in(&dir, "a.csv.gz", gzip(&case.csv));
        for tuning in TUNINGS {
            for (input, stdin) in [("a.csv", None), ("a.csv.gz", None), ("-", Some(&case.csv))] {
                let mut args = vec!["--format", "annotated-csv", "-q", input];
                args.extend(tuning);
                args.extend(case.args.iter().map(String::as_str));
                let out = run_in(&dir, &args, stdin.map(Vec::as_slice));
                assert_eq!(
                    (text(&out.stdout), code(&out)),
                    (case.lp.clone(), case.exit),
                    "{} {args:?}: {}",
                    case.name,
                    stderr(&out)
                );
            }
        }
    }
}

#[test]
fn the_schema_infer_prints_for_an_annotated_file_converts_it_alike() {
    let dir = TempDir::new("annotated-infer");
    for case in cases() {
        if case.name.contains("two_tables") {
            continue;
        }
        write_in(&dir, "a.csv", &case.csv);
        let mut infer = vec!["infer", "a.csv"];
        if !case.csv.trim_ascii_start().starts_with(b"#") {
            infer.extend(["--format", "annotated-csv"]);
        }
        let drafted = run_in(&dir, &infer, None);
        assert_eq!(code(&drafted), 0, "{}: {}", case.name, stderr(&drafted));
        write_in(&dir, "s.toml", &drafted.stdout);
        let mut args = vec!["-s", "s.toml", "-q", "a.csv"];
        args.extend(case.args.iter().map(String::as_str));
        let out = run_in(&dir, &args, None);
        assert_eq!(
            text(&out.stdout),
            case.lp,
            "{}: {}\n{}",
            case.name,
            stderr(&out),
            text(&drafted.stdout)
        );
    }
}

const TWO_TABLES: &str = "#datatype,string,long,dateTime:RFC3339,double,string,string\n\
#group,false,false,false,false,true,true\n\
,result,table,_time,_value,_field,_measurement\n\
,,0,2020-02-25T22:17:57Z,1.5,temp,env\n\
,,0,2020-02-25T22:18:57Z,oops,temp,env\n\
\n\
#datatype,string,long,dateTime:RFC3339,long,string,string\n\
#group,false,false,false,false,true,true\n\
,result,table,_time,_value,_field,_measurement\n\
,,1,2020-02-25T22:17:57Z,3,count,env\n\
,,1,2020-02-25T22:18:57Z,4.5x,count,env\n";

#[test]
fn a_rejected_row_is_written_after_its_own_tables_preamble() {
    let dir = TempDir::new("annotated-rejects");
    write_in(&dir, "a.csv", TWO_TABLES);
    let args = [
        "--format",
        "annotated-csv",
        "--on-error",
        "skip",
        "--rejects",
        "bad.csv",
        "-q",
        "a.csv",
    ];
    let out = run_in(&dir, &args, None);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert_eq!(
        text(&out.stdout),
        "env temp=1.5 1582669077000000000\nenv count=3i 1582669077000000000\n"
    );
    let first = std::fs::read_to_string(dir.join("bad.csv")).expect("rejects");
    assert_eq!(
        first,
        [
            &TWO_TABLES.lines().take(3).collect::<Vec<_>>().join("\n"),
            "\n",
            ",,0,2020-02-25T22:18:57Z,oops,temp,env\n"
        ]
        .concat()
    );
    let second = std::fs::read_to_string(dir.join("bad.csv.2.csv")).expect("second rejects file");
    assert!(
        second.starts_with("#datatype,string,long,dateTime:RFC3339,long"),
        "{second}"
    );
    assert!(
        second.ends_with(",_measurement\n,,1,2020-02-25T22:18:57Z,4.5x,count,env\n"),
        "{second}"
    );
    let errors = std::fs::read_to_string(dir.join("bad.csv.errors")).expect("reasons");
    assert!(errors.starts_with("a.csv:5:"), "{errors}");
    let errors = std::fs::read_to_string(dir.join("bad.csv.2.csv.errors")).expect("reasons");
    assert!(errors.starts_with("a.csv:11:"), "{errors}");
    // The rejects file converts again the same way: the same row, the same error.
    let again = run_in(&dir, &["--format", "annotated-csv", "-q", "bad.csv"], None);
    assert_eq!(code(&again), 1);
    assert!(stderr(&again).contains("bad.csv:4:"), "{}", stderr(&again));
}

#[test]
fn a_schema_with_annotated_input_gives_only_what_the_annotations_do_not() {
    let dir = TempDir::new("annotated-schema");
    write_in(&dir, "a.csv", TWO_TABLES);
    write_in(
        &dir,
        "s.toml",
        "format = \"annotated-csv\"\nprecision = \"s\"\non_error = \"skip\"\n",
    );
    let out = run_in(&dir, &["-s", "s.toml", "-q", "a.csv"], None);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert_eq!(
        text(&out.stdout),
        "env temp=1.5 1582669077\nenv count=3i 1582669077\n"
    );
    // The mapping keys are the annotations' own.
    write_in(
        &dir,
        "m.toml",
        "format = \"annotated-csv\"\nmeasurement = \"x\"\n",
    );
    let out = run_in(&dir, &["-s", "m.toml", "a.csv"], None);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("`measurement` is not allowed"),
        "{}",
        stderr(&out)
    );
    write_in(
        &dir,
        "c.toml",
        "format = \"annotated-csv\"\n[csv]\nskip_rows = 1\n",
    );
    let out = run_in(&dir, &["-s", "c.toml", "a.csv"], None);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("`csv.skip_rows` is not allowed"),
        "{}",
        stderr(&out)
    );
    write_in(
        &dir,
        "full.toml",
        "measurement = \"x\"\n[fields]\nv = \"float\"\n",
    );
    let out = run_in(
        &dir,
        &["-s", "full.toml", "--format", "annotated-csv", "a.csv"],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("annotation rows declare them"),
        "{}",
        stderr(&out)
    );
    // Without a schema, only annotated CSV converts.
    let out = run_in(&dir, &["a.csv"], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--schema"), "{}", stderr(&out));
}
