//! The "many files" data set of the end-to-end benchmark: the home data as 5,000 CSV files of
//! 200 rows (each with its header), beside the same 1,000,000 rows in one file, both from the
//! seeded generator. What it measures: a directory of small files converted within 1.3x of
//! the time of the one file, and `--threads 2` at least 1.6x faster than `--threads 1` on it.

use crate::datagen::{self, Format, Limit, Shape};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Files of the data set.
pub const FILES: usize = 5_000;

/// Rows per file.
pub const ROWS_PER_FILE: usize = 200;

/// The data set's name in `--datasets`.
pub const NAME: &str = "home-many";

/// Where the data set lives under `data_dir` for `seed`: the one file and the directory.
pub fn paths(data_dir: &Path, seed: u64) -> (PathBuf, PathBuf) {
    (
        data_dir.join(format!("home-many-s{seed}.csv")),
        data_dir.join(format!("home-many-s{seed}")),
    )
}

/// Generates the one file and the directory of [`FILES`] files unless they exist (each
/// written under a temporary name, then renamed). File `part-NNNNN.csv` holds rows
/// `N * 200 ..` of the one file, after its header.
pub fn ensure(data_dir: &Path, seed: u64) -> io::Result<(PathBuf, PathBuf)> {
    let (one, dir) = paths(data_dir, seed);
    if one.exists() && dir.exists() {
        return Ok((one, dir));
    }
    let mut text = Vec::new();
    let rows = (FILES * ROWS_PER_FILE) as u64;
    datagen::generate(Shape::Home, Format::Csv, Limit::Rows(rows), seed, &mut text)?;
    let tmp = one.with_extension("tmp");
    fs::write(&tmp, &text)?;
    fs::rename(&tmp, &one)?;
    let mut lines = text.split_inclusive(|&b| b == b'\n');
    let header = lines.next().unwrap_or_default();
    let tmp_dir = dir.with_extension("tmp");
    let _ = fs::remove_dir_all(&tmp_dir);
    fs::create_dir_all(&tmp_dir)?;
    for i in 0..FILES {
        let mut f = io::BufWriter::new(fs::File::create(tmp_dir.join(format!("part-{i:05}.csv")))?);
        f.write_all(header)?;
        for line in lines.by_ref().take(ROWS_PER_FILE) {
            f.write_all(line)?;
        }
        f.flush()?;
    }
    let _ = fs::remove_dir_all(&dir);
    fs::rename(&tmp_dir, &dir)?;
    Ok((one, dir))
}

/// The bytes of every file in `dir` (page cache warmed on the way).
pub fn dir_bytes(dir: &Path) -> io::Result<u64> {
    let mut total = 0;
    for e in fs::read_dir(dir)? {
        let p = e?.path();
        total += fs::read(&p)?.len() as u64;
    }
    Ok(total)
}
