//! `file` sources read the input's path as given on the command line (SCHEMA.md "More
//! sources"): Hive-style partition directories, several inputs each with its own path, a
//! compressed input's name, stdin.

use crate::support::{assert_exit, run_in, text, TempDir};

const SCHEMA: &str = r#"
measurement = { file = "stem" }
precision = "s"
[timestamp]
column = "time"
format = "unix_s"
[tags]
host = { file = "path", regex = "host=([^/]+)" }
dir = { file = "dir" }
name = { file = "name" }
[fields]
v = "float"
"#;

#[test]
fn hive_style_directories_give_tags() {
    let d = TempDir::new("hive");
    for (host, v) in [("web01", "1.5"), ("web02", "2.5")] {
        std::fs::create_dir_all(d.join(format!("data/host={host}"))).unwrap();
        std::fs::write(
            d.join(format!("data/host={host}/2024-01-01.csv")),
            format!("time,v\n1704067200,{v}\n"),
        )
        .unwrap();
    }
    std::fs::write(d.join("s.toml"), SCHEMA).unwrap();
    let out = run_in(
        &d,
        &[
            "--schema",
            "s.toml",
            "-q",
            "data/host=web01/2024-01-01.csv",
            "data/host=web02/2024-01-01.csv",
        ],
        None,
    );
    assert_exit(&out, 0);
    assert_eq!(
        text(&out.stdout),
        "2024-01-01,dir=host\\=web01,host=web01,name=2024-01-01.csv v=1.5 1704067200\n\
         2024-01-01,dir=host\\=web02,host=web02,name=2024-01-01.csv v=2.5 1704067200\n"
    );
}

#[test]
fn a_compressed_input_keeps_its_name_and_stdin_has_none() {
    let d = TempDir::new("file-gz");
    let schema = "measurement = { file = \"stem\", default = \"stdin\" }\n\
                  [tags]\nname = { file = \"name\" }\n[fields]\nv = \"float\"\n";
    std::fs::write(d.join("s.toml"), schema).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, b"v\n1\n").unwrap();
    std::fs::write(d.join("x.csv.gz"), gz.finish().unwrap()).unwrap();
    let out = run_in(&d, &["--schema", "s.toml", "-q", "x.csv.gz"], None);
    assert_exit(&out, 0);
    assert_eq!(text(&out.stdout), "x,name=x.csv.gz v=1\n");
    let out = run_in(&d, &["--schema", "s.toml", "-q", "-"], Some(b"v\n1\n"));
    assert_exit(&out, 0);
    assert_eq!(text(&out.stdout), "stdin v=1\n");
}
