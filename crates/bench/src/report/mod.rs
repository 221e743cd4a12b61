//! The reports of `lpconvert bench`: one [`Exporter`] per file written into `--report DIR`
//! ([`json`]: `report.json`, [`markdown`]: `report.md`, [`svg`]: `chart.svg`), and the
//! summary printed at the end ([`text`]).

pub mod json;
pub mod markdown;
pub mod model;
pub mod run_info;
pub mod svg;
pub mod text;

pub use run_info::RunInfo;
pub use text::{headline, summary_lines, thousands};

use crate::run::BenchResult;
use lpconvert_send::output::{with_suffix, write_whole};
use std::io;
use std::path::{Path, PathBuf};

/// A report could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The JSON report could not be serialized.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// The chart could not be drawn.
    #[error("drawing chart.svg: {0}")]
    Chart(String),
    /// A file could not be written.
    #[error("writing {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        error: io::Error,
    },
    /// A report file, or the temporary file it is written through, exists and is not a
    /// regular file.
    #[error("--report {}: {name} exists and is not a regular file: the report cannot replace it", dir.display())]
    NotAFile {
        /// The directory.
        dir: PathBuf,
        /// The file.
        name: String,
    },
    /// Nothing can be written into the directory.
    #[error("--report {}: cannot write into this directory", dir.display())]
    NotWritable {
        /// The directory.
        dir: PathBuf,
        /// Why.
        #[source]
        error: io::Error,
    },
}

/// One report file.
pub trait Exporter {
    /// Its name in the report directory.
    fn file_name(&self) -> &'static str;
    /// Its contents for the run `r` described by `info`.
    fn render(&self, info: &RunInfo, r: &BenchResult) -> Result<Vec<u8>, ReportError>;
}

/// The report files of `lpconvert bench`, one module each.
#[derive(Debug, Clone, Copy)]
pub enum Format {
    /// `report.json`: every per-second sample, the summary, the command line, the server.
    Json,
    /// `report.md`: a table read in ten seconds, the ramp's steps, the chart.
    Markdown,
    /// `chart.svg`: throughput and latency over time.
    Svg,
}

impl Exporter for Format {
    fn file_name(&self) -> &'static str {
        match self {
            Format::Json => "report.json",
            Format::Markdown => "report.md",
            Format::Svg => "chart.svg",
        }
    }
    fn render(&self, info: &RunInfo, r: &BenchResult) -> Result<Vec<u8>, ReportError> {
        match self {
            Format::Json => json::render(info, r),
            Format::Markdown => Ok(markdown::render(info, r).into_bytes()),
            Format::Svg => svg::render(info, r).map(String::into_bytes),
        }
    }
}

/// The files written into `--report DIR`, in order.
pub fn exporters() -> [&'static dyn Exporter; 3] {
    [&Format::Json, &Format::Markdown, &Format::Svg]
}

/// The names of the files written into `--report DIR`.
pub fn file_names() -> Vec<&'static str> {
    exporters().iter().map(|e| e.file_name()).collect()
}

/// Writes every report file into `dir`; nothing is written when one cannot be made.
pub fn write_all(dir: &Path, info: &RunInfo, r: &BenchResult) -> Result<(), ReportError> {
    let mut files = Vec::new();
    for e in exporters() {
        files.push((e.file_name(), e.render(info, r)?));
    }
    for (name, bytes) in files {
        let path = dir.join(name);
        write_whole(&path, &bytes).map_err(|error| ReportError::Write { path, error })?;
    }
    Ok(())
}

/// Fails unless a report can be written into `dir` (checked before anything is sent, so
/// that a run is not measured for nothing).
pub fn check_dir_writable(dir: &Path) -> Result<(), ReportError> {
    // A directory named like a report, or like the temporary file it is written through,
    // would fail the run's end, after the measurement and with some reports replaced.
    for name in file_names() {
        let p = dir.join(name);
        for p in [with_suffix(&p, ".tmp"), p] {
            if p.symlink_metadata().is_ok_and(|m| !m.is_file()) {
                let name = p
                    .file_name()
                    .map_or_else(|| name.to_owned(), |n| n.to_string_lossy().into_owned());
                return Err(ReportError::NotAFile {
                    dir: dir.to_owned(),
                    name,
                });
            }
        }
    }
    let probe = dir.join(format!(".lpconvert-bench-{}.tmp", std::process::id()));
    std::fs::write(&probe, b"").map_err(|error| ReportError::NotWritable {
        dir: dir.to_owned(),
        error,
    })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_or_its_temporary_file_taken_by_a_directory_is_refused_before_the_run() {
        let dir =
            std::env::temp_dir().join(format!("lpconvert-report-check-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        assert!(check_dir_writable(&dir).is_ok());
        // An earlier report is replaced.
        std::fs::write(dir.join("report.md"), "old").unwrap();
        assert!(check_dir_writable(&dir).is_ok());
        for name in ["report.json", "chart.svg.tmp", "report.md.tmp"] {
            std::fs::create_dir(dir.join(name)).unwrap();
            let e = check_dir_writable(&dir).unwrap_err().to_string();
            assert!(
                e.contains(&format!("{name} exists and is not a regular file")),
                "{e}"
            );
            std::fs::remove_dir(dir.join(name)).unwrap();
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
