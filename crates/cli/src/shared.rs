//! What the commands share: input and tuning options (threads, sizes), the rejects files
//! wired to send's output files, the progress bar and the one-line summary.

use lpconvert_engine::{Counters, RejectsStore};
use lpconvert_send::output::{
    check_outputs, is_special, reasons_path, rejects_outputs, OutputError, OutputFile,
};
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The rejects file of `convert --rejects` and `replay --convert-rejects`: the engine's,
/// written through send's output files.
pub type RejectsFile = lpconvert_engine::RejectsFile<RejectFiles>;

/// The files of a [`RejectsFile`]: send's [`OutputFile`]s, the further ones (`FILE.2.csv`,
/// ...) named after no input and no other output.
pub struct RejectFiles {
    /// Files a further rejects file must not replace (the inputs, the other outputs).
    pub avoid: Vec<String>,
    /// The other outputs of the run (`(option, path)`, with their `.partial` names), which a
    /// further rejects file must not take even before they exist.
    pub others: Vec<(String, PathBuf)>,
}

impl RejectsStore for RejectFiles {
    type File = OutputFile;
    type Error = OutputError;

    fn create(&self, path: &Path) -> Result<OutputFile, OutputError> {
        OutputFile::create(path)
    }

    fn is_special(&self, path: &Path) -> bool {
        is_special(path)
    }

    fn reasons_path(&self, path: &Path) -> PathBuf {
        reasons_path(path)
    }

    fn is_free(&self, path: &Path) -> bool {
        let mut outs = self.others.clone();
        outs.extend(rejects_outputs("--rejects", path));
        check_outputs(&self.avoid, &outs).is_ok()
    }

    fn prepare(file: &mut OutputFile) -> io::Result<()> {
        file.prepare()
    }

    fn commit(file: OutputFile) -> io::Result<()> {
        file.commit()
    }

    fn keep_partial(file: OutputFile) -> Option<PathBuf> {
        file.keep_partial()
    }
}

/// The rows of a run that were `what` ("rejected", "skipped"), named for the summary.
pub struct NamedRows<'a> {
    /// Each line's start: `lpconvert`, `lpconvert replay`.
    pub who: &'a str,
    /// What the rows were.
    pub what: &'a str,
    /// The first few, as messages name them.
    pub first: &'a [String],
    /// How many there were.
    pub count: u64,
    /// Where they all are, if kept.
    pub kept: Option<String>,
    /// The option that keeps them.
    pub option: &'a str,
}

impl NamedRows<'_> {
    /// Names the first rows, how many more there were, and where they all are (or the
    /// option that keeps them); nothing when there were none.
    pub fn note(&self) {
        let (who, what) = (self.who, self.what);
        if self.count == 0 {
            return;
        }
        for r in self.first {
            note!("{who}: {what} {r}");
        }
        let shown = self.first.len() as u64;
        if self.count > shown {
            note!("{who}: ... {} more {what} rows", self.count - shown);
        }
        match &self.kept {
            Some(at) => note!("{who}: {what} rows are in {at}"),
            None => note!("{who}: use {} FILE to keep the {what} rows", self.option),
        }
    }
}

/// The inputs as given, or standard input (`-`) when none are.
pub fn inputs_or_stdin(inputs: &[String]) -> Vec<String> {
    if inputs.is_empty() {
        vec!["-".to_string()]
    } else {
        inputs.to_vec()
    }
}

/// The most threads `--threads` accepts.
pub const MAX_THREADS: usize = 1024;

/// The largest `--chunk-size` accepted (256 MiB): a few chunks per thread are in memory.
pub const MAX_CHUNK_SIZE: usize = 256 << 20;

/// Parses `--threads`: 1 to [`MAX_THREADS`].
pub fn parse_threads(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{s}` is not a thread count from 1 to {MAX_THREADS}; omit the option to use every core"
        )),
    }
}

/// Parses `--chunk-size`: a size (see [`parse_size`]) up to [`MAX_CHUNK_SIZE`].
pub fn parse_chunk_size(s: &str) -> Result<usize, String> {
    let n = parse_size(s)?;
    if n > MAX_CHUNK_SIZE {
        return Err(format!(
            "`{s}` is larger than the largest chunk size, 256M; use e.g. 4M"
        ));
    }
    Ok(n)
}

/// Threads that read and convert: `--threads`, else the available parallelism; 1 to
/// [`MAX_THREADS`].
pub fn thread_count(threads: Option<usize>) -> usize {
    threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, MAX_THREADS)
}

/// Parses a byte size with the one rule of every size option
/// ([`lpconvert_send::units::parse_size`]: `4M` = `4MiB`, `5MB` = 5,000,000); 0 is refused.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let n = lpconvert_send::units::parse_size(s).map_err(|e| e.to_string())?;
    usize::try_from(n)
        .ok()
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
    /// Inputs converted.
    pub files: u64,
}

/// The inputs of a run converted so far, for progress and the summary.
#[derive(Debug, Default)]
pub struct Files {
    /// Inputs converted to their end.
    pub done: u64,
    /// Inputs listed.
    pub total: u64,
    /// The counters of the inputs converted.
    pub counters: Counters,
}

impl Files {
    /// No input converted yet of `total`.
    pub fn new(total: usize) -> Files {
        Files {
            total: total as u64,
            ..Files::default()
        }
    }

    /// One more input converted, with its counters.
    pub fn done(&mut self, c: &Counters) {
        self.done += 1;
        self.counters.add(c);
    }

    /// `files: 4,998 of 5,000, ` for progress (nothing for one input).
    pub fn progress(&self) -> String {
        if self.total <= 1 {
            return String::new();
        }
        format!(
            "files: {} of {}, ",
            crate::inputs::thousands(self.done),
            crate::inputs::thousands(self.total)
        )
    }
}

/// The bytes of `inputs` when all are regular uncompressed files (for progress).
pub fn total_size(inputs: &[String]) -> Option<u64> {
    inputs
        .iter()
        .map(|i| lpconvert_engine::input::plain_size(i))
        .sum()
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.counters;
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        write!(
            f,
            "lpconvert: {} rows read, {} lines written",
            c.rows, c.lines
        )?;
        if c.lines != c.written {
            // Records that wrote several lines (or none): rows converted shown beside them.
            write!(f, " ({} rows converted)", c.written)?;
        }
        write!(
            f,
            ", {} skipped, {} rejected in {:.2} s ({:.1} MB/s, {:.0} rows/s), {} file{}",
            c.skipped,
            c.rejected,
            secs,
            c.bytes as f64 / 1e6 / secs,
            c.rows as f64 / secs,
            self.files,
            if self.files == 1 { "" } else { "s" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_size, Summary};
    use lpconvert_engine::Counters;
    use std::time::Duration;

    fn summary(rows: u64, written: u64, lines: u64, skipped: u64, rejected: u64) -> String {
        let counters = Counters {
            rows,
            written,
            lines,
            skipped,
            rejected,
            bytes: 0,
        };
        let s = Summary {
            counters,
            elapsed: Duration::from_secs(1),
            files: 1,
        };
        s.to_string()
    }

    #[test]
    fn summary_shows_rows_converted_when_records_wrote_several_lines() {
        let one = summary(5, 3, 3, 1, 1);
        assert!(
            one.starts_with("lpconvert: 5 rows read, 3 lines written, 1 skipped, 1 rejected in "),
            "{one}"
        );
        let several = summary(5, 3, 8, 1, 1);
        assert!(
            several.starts_with(
                "lpconvert: 5 rows read, 8 lines written (3 rows converted), 1 skipped, 1 rejected in "
            ),
            "{several}"
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4M"), Ok(4 << 20));
        assert_eq!(parse_size("4MB"), Ok(4_000_000));
        assert_eq!(parse_size("256KiB"), Ok(256 << 10));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("0").is_err());
        assert!(parse_size("x").is_err());
    }
}

/// The schema options of convert and preview: the schema file and the overrides of its
/// settings.
#[derive(clap::Args, Debug, Clone)]
pub struct SchemaArgs {
    /// The schema file (TOML) that maps columns to measurement, tags, fields and time
    /// (optional with --format annotated-csv: the annotation rows are the mapping).
    #[arg(short, long)]
    pub schema: Option<PathBuf>,
    /// Override the schema's input format.
    #[arg(long, value_parser = ["csv", "ndjson", "annotated-csv"])]
    pub format: Option<String>,
    /// Override the schema's output precision.
    #[arg(long, value_parser = ["ns", "us", "ms", "s"])]
    pub precision: Option<String>,
    /// Override the schema's bad-row policy.
    #[arg(long, value_parser = ["fail", "skip"])]
    pub on_error: Option<String>,
}

impl SchemaArgs {
    /// The schema file, if one is given.
    pub fn file(&self) -> Option<&Path> {
        self.schema.as_deref()
    }

    /// Loads the schema (or annotated CSV's defaults) with the overrides applied.
    pub fn load(&self) -> Result<lpconvert_schema::Schema, lpconvert_engine::LoadSchemaError> {
        let overrides = lpconvert_engine::Overrides {
            format: self.format.as_deref(),
            precision: self.precision.as_deref(),
            on_error: self.on_error.as_deref(),
        };
        lpconvert_engine::load_schema_or_annotated(self.file(), &overrides)
    }
}

/// The tuning options of convert and check: threads, chunk size, longest record.
#[derive(clap::Args, Debug, Clone)]
pub struct TuningArgs {
    /// Threads that read and convert, 1 to 1024 (default: all cores); the output is written
    /// beside them.
    #[arg(long, value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// Chunk size, a tuning knob (e.g. 4M, 256K, 100; at most 256M): the unit of parallel work.
    #[arg(long, value_parser = parse_chunk_size, default_value = "4M")]
    pub chunk_size: usize,
    /// Longest record (row, line) read, e.g. 64M: a longer one is a bad row.
    #[arg(long, value_parser = parse_size, default_value = "64M")]
    pub max_record_size: usize,
}

impl TuningArgs {
    /// The engine's tuning.
    pub fn tuning(&self) -> lpconvert_engine::Tuning {
        lpconvert_engine::Tuning {
            threads: thread_count(self.threads),
            chunk_size: self.chunk_size.max(1),
            max_record: self.max_record_size,
        }
    }
}
