//! Benchmark support for lpconvert.
//!
//! - [`datagen`] (with the `cpu` shape in its own module): deterministic, seeded generators of the
//!   benchmark data sets, used by the `gen` binary and by the end-to-end runner.
//! - [`measure`]: runs a command and measures its wall time, peak RSS (`wait4`) and peak
//!   anonymous memory (`RssAnon` sampled from `/proc`).
//! - [`report`]: the end-to-end benchmark's results table.
//! - The `e2e` binary: the end-to-end throughput benchmark (see benches/README.md).

pub mod cpu;
pub mod datagen;
pub mod measure;
pub mod report;
pub mod rng;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Parses a byte size: a plain number of bytes, or a number (decimals allowed) followed by a
/// decimal unit `k`, `M`, `G` (optionally with `B`: `200MB`) or a binary unit `KiB`, `MiB`, `GiB`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let mult: u64 = match unit.trim() {
        "" | "B" => 1,
        "k" | "K" | "kB" | "KB" => 1_000,
        "M" | "MB" => 1_000_000,
        "G" | "GB" => 1_000_000_000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit `{other}` in `{text}` (use k, M, G, MiB, GiB)"
            ))
        }
    };
    let value: f64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a size (examples: 1000000, 200MB, 1G, 1.5GiB)"))?;
    Ok((value * mult as f64).round() as u64)
}

/// Reads the whole file once (which also brings it into the page cache) and counts its LF bytes.
pub fn count_newlines(path: &Path) -> io::Result<u64> {
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 8 << 20];
    let mut n = 0u64;
    loop {
        let got = match f.read(&mut buf) {
            Ok(0) => return Ok(n),
            Ok(k) => k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        n += buf[..got].iter().filter(|&&b| b == b'\n').count() as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("123"), Ok(123));
        assert_eq!(parse_size("200MB"), Ok(200_000_000));
        assert_eq!(parse_size("1G"), Ok(1_000_000_000));
        assert_eq!(parse_size("2.8GB"), Ok(2_800_000_000));
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("MB").is_err());
    }

    #[test]
    fn counts_lines() {
        let dir = std::env::temp_dir().join(format!("lpbench-count-{}", std::process::id()));
        std::fs::write(&dir, b"a\nb\n\nc").unwrap();
        assert_eq!(count_newlines(&dir).unwrap(), 3);
        std::fs::remove_file(&dir).unwrap();
    }
}
