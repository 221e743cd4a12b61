//! The top-level `encoding` key and UTF-16 byte order marks: UTF-16LE/BE (with and without a
//! mark), windows-1252 and latin1 inputs convert to the lines their UTF-8 text gives, from a
//! file, stdin and `.gz`, at chunk sizes 1..64 and 1 or 2 threads; rejects are UTF-8; infer
//! reads a UTF-16 file.

use crate::support::{code, gzip, run_in, stderr, text, write_in, TempDir};

const SCHEMA: &str =
    "measurement = \"m\"\n[tags]\nroom = \"room\"\n[fields]\nnote = \"string\"\ntemp = \"float\"\n";

/// Text every encoding here can hold: latin1 letters, and `€` (windows-1252's 0x80).
const CSV: &str = "room,note,temp\nKüche,größer ½,21.5\n\"Salle à manger\",é,20\nCafé,€,x\n";
const LINES: &str =
    "m,room=Küche note=\"größer ½\",temp=21.5\nm,room=Salle\\ à\\ manger note=\"é\",temp=20\n";

fn utf16(text: &str, le: bool, bom: bool) -> Vec<u8> {
    let units = bom.then_some(0xFEFF).into_iter().chain(text.encode_utf16());
    units
        .flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() })
        .collect()
}

fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '€' => 0x80,
            c => u8::try_from(u32::from(c)).expect("a latin1 character"),
        })
        .collect()
}

/// (name, `encoding` line of the schema, bytes).
fn encoded() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let no_euro = CSV.replace('€', "e");
    vec![
        ("utf-16le-bom", "", utf16(CSV, true, true)),
        ("utf-16be-bom", "", utf16(CSV, false, true)),
        (
            "utf-16le",
            "encoding = \"utf-16le\"\n",
            utf16(CSV, true, false),
        ),
        (
            "utf-16be",
            "encoding = \"utf-16be\"\n",
            utf16(CSV, false, false),
        ),
        ("windows-1252", "encoding = \"windows-1252\"\n", latin1(CSV)),
        ("latin1", "encoding = \"latin1\"\n", latin1(&no_euro)),
    ]
}

#[test]
fn every_encoding_converts_like_its_utf8_text_at_any_chunk_size() {
    let dir = TempDir::new("encodings");
    for (name, key, bytes) in encoded() {
        write_in(&dir, "s.toml", format!("{key}{SCHEMA}"));
        write_in(&dir, "a.csv", &bytes);
        write_in(&dir, "a.csv.gz", gzip(&bytes));
        let mut runs: Vec<(Vec<String>, Option<&[u8]>)> = Vec::new();
        for chunk in 1..=64 {
            for threads in ["1", "2"] {
                let t = vec![
                    "--threads".into(),
                    threads.into(),
                    "--chunk-size".into(),
                    chunk.to_string(),
                ];
                runs.push(([vec!["a.csv".to_string()], t.clone()].concat(), None));
                if chunk % 9 == 1 {
                    runs.push(([vec!["a.csv.gz".to_string()], t.clone()].concat(), None));
                    runs.push(([vec!["-".to_string()], t].concat(), Some(&bytes)));
                }
            }
        }
        for (extra, stdin) in runs {
            let mut args = vec!["-s", "s.toml", "-q", "--on-error", "skip"];
            args.extend(extra.iter().map(String::as_str));
            let out = run_in(&dir, &args, stdin);
            assert_eq!(
                text(&out.stdout),
                LINES,
                "{name} {args:?}: {}",
                stderr(&out)
            );
            assert_eq!(code(&out), 3, "{name} {args:?}: {}", stderr(&out));
        }
        // The rejected row is written in UTF-8, after the header.
        let out = run_in(
            &dir,
            &[
                "-s",
                "s.toml",
                "-q",
                "--on-error",
                "skip",
                "--rejects",
                "bad.csv",
                "a.csv",
            ],
            None,
        );
        assert_eq!(code(&out), 3, "{}", stderr(&out));
        let bad = std::fs::read_to_string(dir.join("bad.csv")).expect("UTF-8 rejects");
        let row = if name == "latin1" {
            "Café,e,x\n"
        } else {
            "Café,€,x\n"
        };
        assert_eq!(bad, format!("room,note,temp\n{row}"), "{name}");
        let errors = std::fs::read_to_string(dir.join("bad.csv.errors")).expect("reasons");
        assert!(errors.starts_with("a.csv:4:"), "{name}: {errors}");
    }
}

#[test]
fn latin1_keeps_c1_controls_that_windows_1252_maps() {
    let dir = TempDir::new("latin1");
    let mut csv = b"room,note,temp\nk,a".to_vec();
    csv.push(0x85);
    csv.extend_from_slice(b"b,1\n");
    write_in(&dir, "a.csv", &csv);
    for (encoding, note) in [("latin1", "a\u{85}b"), ("windows-1252", "a…b")] {
        write_in(
            &dir,
            "s.toml",
            format!("encoding = \"{encoding}\"\n{SCHEMA}"),
        );
        let out = run_in(&dir, &["-s", "s.toml", "-q", "a.csv"], None);
        assert_eq!(
            text(&out.stdout),
            format!("m,room=k note=\"{note}\",temp=1\n"),
            "{encoding}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn an_unknown_encoding_is_a_schema_error_naming_the_accepted_ones() {
    let dir = TempDir::new("bad-encoding");
    write_in(&dir, "s.toml", format!("encoding = \"ebcdic\"\n{SCHEMA}"));
    write_in(&dir, "a.csv", CSV);
    let out = run_in(&dir, &["-s", "s.toml", "a.csv"], None);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    for name in [
        "encoding",
        "ebcdic",
        "\"utf-8\"",
        "\"utf-16le\"",
        "\"utf-16be\"",
        "\"latin1\"",
        "\"windows-1252\"",
    ] {
        assert!(err.contains(name), "{name}: {err}");
    }
}

#[test]
fn infer_reads_a_utf16_file_and_its_draft_converts_it() {
    let dir = TempDir::new("infer-utf16");
    write_in(
        &dir,
        "a.csv",
        utf16(
            "time,room,temp\n1641024000,Küche,21.5\n1641027600,Bad,22\n",
            true,
            true,
        ),
    );
    let out = run_in(&dir, &["infer", "a.csv"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    write_in(&dir, "s.toml", &out.stdout);
    let conv = run_in(&dir, &["-s", "s.toml", "-q", "a.csv"], None);
    assert_eq!(code(&conv), 0, "{}", stderr(&conv));
    assert!(
        text(&conv.stdout).contains("Küche"),
        "{}",
        text(&conv.stdout)
    );
    // Without a byte order mark, --encoding says it, and the draft keeps the key.
    write_in(
        &dir,
        "b.csv",
        utf16("time,room,temp\n1641024000,Küche,21.5\n", false, false),
    );
    let out = run_in(&dir, &["infer", "--encoding", "utf-16be", "b.csv"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        text(&out.stdout).contains("encoding = \"utf-16be\""),
        "{}",
        text(&out.stdout)
    );
    write_in(&dir, "t.toml", &out.stdout);
    let conv = run_in(&dir, &["-s", "t.toml", "-q", "b.csv"], None);
    assert!(text(&conv.stdout).contains("Küche"), "{}", stderr(&conv));
}

#[test]
fn a_byte_order_mark_wins_over_a_utf16_key_of_the_other_order() {
    // The key says big-endian, the mark little-endian: the mark is the file's own word.
    let dir = TempDir::new("bom-over-key");
    write_in(&dir, "s.toml", format!("encoding = \"utf-16be\"\n{SCHEMA}"));
    write_in(&dir, "a.csv", utf16(CSV, true, true));
    let out = run_in(
        &dir,
        &["-s", "s.toml", "-q", "--on-error", "skip", "a.csv"],
        None,
    );
    assert_eq!(text(&out.stdout), LINES, "{}", stderr(&out));
}

#[test]
fn replay_and_bench_refuse_utf16_line_protocol_by_name() {
    let dir = TempDir::new("utf16-lp");
    for (file, bytes) in [
        ("bom.lp", utf16("m v=1 1\nm v=2 2\n", true, true)),
        ("nobom.lp", utf16("m v=1 1\nm v=2 2\n", false, false)),
    ] {
        write_in(&dir, file, &bytes);
        let url = "http://127.0.0.1:9";
        for args in [
            vec!["replay", "--url", url, "--db", "d", "--dry-run", file],
            vec![
                "bench",
                "--url",
                url,
                "--db",
                "d",
                "--from",
                file,
                "--duration",
                "1s",
            ],
        ] {
            let out = run_in(&dir, &args, None);
            let err = stderr(&out);
            assert_eq!(code(&out), 2, "{args:?}: {err}");
            assert!(
                err.contains(file) && err.contains("is UTF-16"),
                "{args:?}: {err}"
            );
            assert!(out.stdout.is_empty(), "{args:?}");
        }
    }
}

#[test]
fn infer_on_a_windows_1252_file_without_the_key_names_the_line_and_the_encoding() {
    let dir = TempDir::new("infer-1252");
    write_in(&dir, "w.csv", b"room,temp\nK\xfcche,21.5\n\x81\x8d,2\n");
    let out = run_in(&dir, &["infer", "w.csv"], None);
    let err = stderr(&out);
    assert_ne!(code(&out), 0, "{}", text(&out.stdout));
    for want in [
        "w.csv",
        "not UTF-8",
        "line 2",
        "0xFC",
        "--encoding windows-1252",
    ] {
        assert!(err.contains(want), "{want:?} missing: {err}");
    }
    // With the key, the undefined bytes 0x81 and 0x8D are U+0081 and U+008D.
    let out = run_in(
        &dir,
        &["infer", "--encoding", "windows-1252", "w.csv"],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    write_in(&dir, "s.toml", &out.stdout);
    let conv = run_in(&dir, &["-s", "s.toml", "-q", "w.csv"], None);
    assert_eq!(code(&conv), 0, "{}", stderr(&conv));
    let lines = text(&conv.stdout);
    assert!(
        lines.contains("Küche") && lines.contains("\u{81}\u{8d}"),
        "{lines}"
    );
}
