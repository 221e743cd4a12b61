//! Benchmark support for lpconvert.
//!
//! - [`datagen`] (from the `lpconvert-bench` crate, which also holds the `lpconvert bench`
//!   workloads and their one random generator): deterministic, seeded generators of the
//!   benchmark data sets, used by the `gen` binary and by the end-to-end runner.
//! - [`measure`]: runs a command and measures its wall time, peak RSS (`wait4`) and peak
//!   anonymous memory (`RssAnon` sampled from `/proc`).
//! - [`report`]: the end-to-end benchmark's results table.
//! - [`limits`]: the table of lpconvert's paths beside the limits of the machine (dd, pigz,
//!   zstd) and the peak RSS at `--threads 64`.
//! - The `e2e` binary: the end-to-end throughput benchmark (see benches/README.md).

#![warn(missing_docs)]

pub mod limits;
pub mod many;
pub mod measure;
pub mod report;

pub use lpconvert_bench::datagen;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

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
    fn counts_lines() {
        let dir = std::env::temp_dir().join(format!("lpbench-count-{}", std::process::id()));
        std::fs::write(&dir, b"a\nb\n\nc").unwrap();
        assert_eq!(count_newlines(&dir).unwrap(), 3);
        std::fs::remove_file(&dir).unwrap();
    }
}
