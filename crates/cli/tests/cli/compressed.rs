//! Compressed outputs: every file named `.gz` or `.zst` holds what gzip and zstd read, an
//! empty one included, or the name is refused.

use crate::support::{argv, code, replay, run_lpconvert, stderr, write_text, TempDir};

const SCHEMA: &str = "measurement = \"m\"\nprecision = \"s\"\n[timestamp]\ncolumn = \"time\"\nformat = \"unix_s\"\n[fields]\nv = \"float\"\n";

#[test]
fn an_output_of_no_rows_is_a_valid_empty_gzip_or_zstd_file() {
    // 0 rows: one empty member or frame (gzip -dc and Python read it as empty), not 0 bytes.
    let dir = TempDir::new("empty-compressed");
    let schema = write_text(&dir, "s.toml", SCHEMA);
    let input = write_text(&dir, "a.csv", "time,v\n");
    for name in ["o.lp.gz", "o.lp.ZST"] {
        let out = dir.join(name).display().to_string();
        let o = run_lpconvert("convert", &["-s", &schema, &input, "-o", &out, "-q"], &[]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let bytes = std::fs::read(&out).expect("output");
        assert!(
            !bytes.is_empty(),
            "{name}: 0 bytes is not a valid compressed file"
        );
        let text = if name.ends_with(".gz") {
            let mut t = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(&bytes[..]), &mut t)
                .expect("gzip");
            t
        } else {
            zstd::stream::decode_all(&bytes[..]).expect("zstd")
        };
        assert!(text.is_empty(), "{name}");
    }
}

#[test]
fn replay_rejects_named_gz_or_zst_are_refused_not_written_plain() {
    // `replay --rejects r.lp.gz` wrote plain text (or 0 bytes) under a .gz name, which gzip
    // refuses: now a usage error before anything is sent.
    let dir = TempDir::new("replay-rejects-gz");
    let lp = write_text(&dir, "d.lp", "m f=1 1\n");
    for name in ["r.lp.gz", "r.lp.Zst"] {
        let rejects = dir.join(name).display().to_string();
        let o = replay(&argv(
            "--url http://127.0.0.1:9 --db x --dry-run --rejects {} {}",
            &[&rejects, &lp],
        ));
        assert_eq!(code(&o), 2, "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains("--rejects"), "{}", stderr(&o));
        assert!(!dir.join(name).exists(), "{name} was created");
    }
}
