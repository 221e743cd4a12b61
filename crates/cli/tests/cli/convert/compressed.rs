//! Compressed outputs and inputs (CLI.md "Convert": `-o FILE.gz`, `-o FILE.zst`,
//! `--compression-level`, `.gz` and `.zst` inputs): the output decompresses to exactly the
//! plain conversion for every thread count, chunk size, input path and level, and reads whole
//! with the system's gzip and zstd when they are installed (one member or frame per chunk).

use super::HOME_SCHEMA;
use crate::support::{
    assert_exit, assert_stderr_has, code, convert_in, gunzip, gzip, run_in, write_in, TempDir,
};
use std::io::Read;
use std::process::{Command, Stdio};

/// A CSV of `rows` rows with varied values (so chunks differ), and its header.
fn home_csv(rows: usize) -> String {
    let mut s = String::from("time,room,temp,hum,co\n");
    for i in 0..rows {
        let room = ["Living Room", "Kitchen", "Bed \"B\"", "Hall,1"][i % 4];
        let room = if room.contains(['"', ',']) {
            format!("\"{}\"", room.replace('"', "\"\""))
        } else {
            room.to_string()
        };
        s.push_str(&format!(
            "{},{room},{}.{},{}.5,{}\n",
            1_641_024_000 + i,
            15 + i % 13,
            i % 10,
            30 + i % 7,
            i % 5
        ));
    }
    s
}

fn unzstd(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    zstd::stream::read::Decoder::new(data)
        .expect("zstd decoder")
        .read_to_end(&mut out)
        .expect("valid zstd");
    out
}

fn zstd_of(data: &[u8]) -> Vec<u8> {
    zstd::bulk::compress(data, 3).expect("zstd")
}

/// The decompressed content of an output file named `name`.
fn decompressed(d: &TempDir, name: &str) -> Vec<u8> {
    let bytes = std::fs::read(d.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    if name.to_ascii_lowercase().ends_with(".gz") {
        assert_eq!(&bytes[..2], b"\x1f\x8b", "gzip magic");
        gunzip(&bytes)
    } else {
        assert_eq!(&bytes[..4], b"\x28\xb5\x2f\xfd", "zstd magic");
        unzstd(&bytes)
    }
}

/// What `program ARGS` prints reading `file`, or `None` when the program is not installed.
fn system_decompress(program: &str, args: &[&str], file: &std::path::Path) -> Option<Vec<u8>> {
    let out = Command::new(program)
        .args(args)
        .arg(file)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .ok()?;
    assert!(out.status.success(), "{program} {args:?} failed");
    Some(out.stdout)
}

#[test]
fn compressed_outputs_equal_the_plain_conversion_for_every_thread_count_chunk_and_input() {
    let d = TempDir::new("compressed-out");
    let csv = home_csv(3000);
    write_in(&d, "s.toml", HOME_SCHEMA);
    write_in(&d, "a.csv", &csv);
    write_in(&d, "a.csv.gz", gzip(csv.as_bytes()));
    write_in(&d, "a.csv.ZST", zstd_of(csv.as_bytes()));
    let plain = convert_in(&d, &["-q", "--threads", "1", "a.csv"]);
    assert_exit(&plain, 0);
    let want = plain.stdout;
    assert!(want.len() > 100_000, "enough for many chunks");
    for out in ["o.lp.gz", "o.lp.zst"] {
        for threads in ["1", "4"] {
            for chunk in ["97", "8K", "4M"] {
                for input in ["a.csv", "a.csv.gz", "a.csv.ZST", "-"] {
                    let args = [
                        "--schema",
                        "s.toml",
                        "-q",
                        "--threads",
                        threads,
                        "--chunk-size",
                        chunk,
                        "--format",
                        "csv",
                        "-o",
                        out,
                        input,
                    ];
                    let stdin = (input == "-").then_some(csv.as_bytes());
                    let o = run_in(&d, &args, stdin);
                    assert_exit(&o, 0);
                    assert!(
                        decompressed(&d, out) == want,
                        "{out} differs: --threads {threads} --chunk-size {chunk} {input}"
                    );
                }
            }
        }
    }
    // Many members (one per chunk) read whole by the system's tools.
    let o = convert_in(&d, &["-q", "--chunk-size", "97", "-o", "m.lp.gz", "a.csv"]);
    assert_exit(&o, 0);
    if let Some(text) = system_decompress("gzip", &["-dc"], &d.join("m.lp.gz")) {
        assert!(text == want, "gzip -dc reads every member");
    }
    let o = convert_in(&d, &["-q", "--chunk-size", "97", "-o", "m.lp.zst", "a.csv"]);
    assert_exit(&o, 0);
    if let Some(text) = system_decompress("zstd", &["-dc", "-q"], &d.join("m.lp.zst")) {
        assert!(text == want, "zstd -dc reads every frame");
    }
    // And lpconvert reads its own compressed outputs back (check, convert's input layer).
    for out in ["m.lp.gz", "m.lp.zst"] {
        let o = run_in(&d, &["check", "-q", out], None);
        assert_exit(&o, 0);
    }
}

#[test]
fn every_level_gives_the_same_lines_and_a_wrong_level_is_a_usage_error() {
    let d = TempDir::new("compressed-levels");
    let csv = home_csv(500);
    write_in(&d, "s.toml", HOME_SCHEMA);
    write_in(&d, "a.csv", &csv);
    let want = convert_in(&d, &["-q", "a.csv"]).stdout;
    let mut sizes = Vec::new();
    for (out, level) in [
        ("o.lp.gz", "0"),
        ("o.lp.gz", "1"),
        ("o.lp.gz", "9"),
        ("o.lp.gz", "12"),
        ("o.lp.zst", "1"),
        ("o.lp.zst", "19"),
    ] {
        let o = convert_in(
            &d,
            &["-q", "--compression-level", level, "-o", out, "a.csv"],
        );
        assert_exit(&o, 0);
        assert!(decompressed(&d, out) == want, "{out} level {level}");
        sizes.push(std::fs::metadata(d.join(out)).expect("output").len());
    }
    assert!(sizes[0] > sizes[1], "level 0 stores: {sizes:?}");
    for (out, level, levels) in [
        ("o.lp.gz", "13", "use 0 to 12"),
        ("o.lp.gz", "-1", "use 0 to 12"),
        ("o.lp.zst", "0", "use 1 to 19"),
    ] {
        let _ = std::fs::remove_file(d.join(out));
        let o = convert_in(
            &d,
            &["-q", "--compression-level", level, "-o", out, "a.csv"],
        );
        assert_exit(&o, 2);
        assert_stderr_has(&o, levels);
        assert!(!d.join(out).exists() && !d.join(format!("{out}.partial")).exists());
    }
    for out in [None, Some("o.lp")] {
        let mut args = vec!["-q", "--compression-level", "3", "a.csv"];
        args.extend(out.iter().flat_map(|o| ["-o", *o]));
        let o = convert_in(&d, &args);
        assert_exit(&o, 2);
        assert_stderr_has(
            &o,
            "--compression-level applies to an output file ending in .gz",
        );
    }
}

#[test]
fn an_empty_conversion_is_a_valid_empty_compressed_file_and_a_failed_one_is_not_put_in_place() {
    let d = TempDir::new("compressed-edges");
    write_in(&d, "s.toml", HOME_SCHEMA);
    write_in(&d, "empty.csv", "time,room,temp,hum,co\n");
    for out in ["e.lp.gz", "e.lp.zst"] {
        let o = convert_in(&d, &["-q", "-o", out, "empty.csv"]);
        assert_exit(&o, 0);
        assert!(decompressed(&d, out).is_empty(), "{out}");
    }
    // A bad row stops the run (on_error = fail): the compressed output is not put in place.
    let mut csv = home_csv(2000);
    csv.push_str("1641030000,Attic,hot,1,1\n");
    write_in(&d, "bad.csv", &csv);
    for out in ["b.lp.gz", "b.lp.zst"] {
        let o = convert_in(&d, &["-q", "--chunk-size", "1K", "-o", out, "bad.csv"]);
        assert_eq!(code(&o), 1, "{out}");
        assert!(
            !d.join(out).exists(),
            "{out} put in place after a failed run"
        );
    }
}
