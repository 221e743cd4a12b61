//! Output files, sizes, progress bars and the one-line summary shared by the commands.

use anyhow::Context;
use flate2::write::GzEncoder;
use lpconvert_engine::{Counters, Reject};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Opens the output: stdout when `None`, gzip when the name ends in `.gz`.
pub fn open_output(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        None => Box::new(io::stdout().lock()),
        Some(p) => {
            let f = File::create(p).with_context(|| format!("cannot create {}", p.display()))?;
            let w = BufWriter::with_capacity(1 << 20, f);
            if p.extension().is_some_and(|e| e == "gz") {
                Box::new(GzEncoder::new(w, flate2::Compression::default()))
            } else {
                Box::new(w)
            }
        }
    })
}

/// The inputs as given, or standard input (`-`) when none are.
pub fn inputs_or_stdin(inputs: &[String]) -> Vec<String> {
    if inputs.is_empty() {
        vec!["-".to_string()]
    } else {
        inputs.to_vec()
    }
}

/// Worker threads: `--threads`, else the available parallelism; at least 1.
pub fn thread_count(threads: Option<usize>) -> usize {
    threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

/// A rejects file: rejected rows verbatim (after the input's header, once), the reasons in
/// `FILE.errors`.
pub struct RejectsFile {
    rows: BufWriter<File>,
    reasons: BufWriter<File>,
    header_written: bool,
}

impl RejectsFile {
    /// Creates `path` and `path.errors`.
    pub fn create(path: &Path) -> anyhow::Result<Self> {
        let mut reasons = path.as_os_str().to_owned();
        reasons.push(".errors");
        let reasons = PathBuf::from(reasons);
        Ok(RejectsFile {
            rows: BufWriter::new(
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
            ),
            reasons: BufWriter::new(
                File::create(&reasons)
                    .with_context(|| format!("cannot create {}", reasons.display()))?,
            ),
            header_written: false,
        })
    }

    /// Writes one rejected row (the header first, once, when the input has one) and its reason.
    pub fn write(&mut self, r: &Reject<'_>, header: Option<&[u8]>) -> io::Result<()> {
        if !self.header_written {
            if let Some(h) = header {
                self.rows.write_all(h)?;
                if !h.ends_with(b"\n") {
                    self.rows.write_all(b"\n")?;
                }
            }
            self.header_written = true;
        }
        self.rows.write_all(r.raw)?;
        if !r.raw.ends_with(b"\n") {
            self.rows.write_all(b"\n")?;
        }
        writeln!(self.reasons, "{r}")
    }

    /// Flushes the rows, then the reasons.
    pub fn flush(&mut self) -> io::Result<()> {
        self.rows.flush()?;
        self.reasons.flush()
    }
}

/// Parses a byte size: `4M`, `256K`, `1G`, `100` (binary units, optional `iB`/`B`).
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (num, mult) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1usize << 10),
        Some((i, 'm' | 'M')) => (&t[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&t[..i], 1 << 30),
        _ => (t, 1),
    };
    let n: usize = num
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a size (e.g. 4M, 256K, 100)"))?;
    n.checked_mul(mult)
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{s}` is not a usable size"))
}

/// A progress bar on stderr (callers create it only when stderr is a terminal).
pub fn progress_bar(total: Option<u64>) -> indicatif::ProgressBar {
    let style = |t: &str| {
        indicatif::ProgressStyle::with_template(t)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    };
    let pb = match total {
        Some(t) => indicatif::ProgressBar::new(t).with_style(style(
            "{bytes}/{total_bytes} {bytes_per_sec} {msg} ETA {eta} {wide_bar}",
        )),
        None => indicatif::ProgressBar::new_spinner()
            .with_style(style("{spinner} {bytes} {bytes_per_sec} {msg}")),
    };
    pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    pb
}

/// The one-line summary of a conversion.
pub struct Summary {
    /// The counters.
    pub counters: Counters,
    /// Wall time.
    pub elapsed: Duration,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.counters;
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        write!(
            f,
            "lpconvert: {} rows read, {} lines written, {} skipped, {} rejected in {:.2} s ({:.1} MB/s, {:.0} rows/s)",
            c.rows,
            c.written,
            c.skipped,
            c.rejected,
            secs,
            c.bytes as f64 / 1e6 / secs,
            c.rows as f64 / secs
        )
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4M"), Ok(4 << 20));
        assert_eq!(parse_size("256KiB"), Ok(256 << 10));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("0").is_err());
        assert!(parse_size("x").is_err());
    }
}
