//! Output files, sizes, progress bars and the one-line summary shared by the commands.

use crate::paths::{
    check_outputs, is_special, reasons_path, rejects_outputs, with_suffix, OutputFile,
};
use lpconvert_engine::{Counters, Reject};
use lpconvert_schema::{Format, Schema};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where converted lines go: standard output, or a file written through [`OutputFile`].
pub enum Output {
    /// Standard output.
    Stdout(io::StdoutLock<'static>),
    /// `-o FILE`.
    File(OutputFile),
}

impl Output {
    /// Opens the output: stdout when `None`, else `FILE.partial` (gzip when the name ends in
    /// `.gz`), renamed into place by [`OutputFile::commit`].
    pub fn create(path: Option<&Path>) -> anyhow::Result<Output> {
        Ok(match path {
            None => Output::Stdout(io::stdout().lock()),
            Some(p) => Output::File(OutputFile::create(p)?),
        })
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(buf),
            Output::File(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.write_all(buf),
            Output::File(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::File(w) => w.flush(),
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

/// The most worker threads `--threads` accepts.
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

/// Worker threads: `--threads`, else the available parallelism; 1 to [`MAX_THREADS`].
pub fn thread_count(threads: Option<usize>) -> usize {
    threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, MAX_THREADS)
}

/// How a file is read with a schema: its format and whether it is tab-separated (a `.tsv`
/// name, when the schema names no delimiter).
type Reading = (Format, bool);

/// How `name` is read with `schema`.
fn reading(schema: &Schema, name: &str) -> Reading {
    let (format, tab) = lpconvert_engine::input_format(schema, name);
    (
        format,
        tab && format == Format::Csv && schema.csv.delimiter.is_none(),
    )
}

/// One rejects file: the rows of inputs whose header is `key`.
struct RejectsGroup {
    /// The header the rows are read with; `None` until the first row claims the group.
    key: Option<Option<Vec<u8>>>,
    /// How its rows were read (set by the first): only rows read that way go to it.
    reading: Option<Reading>,
    path: PathBuf,
    rows: OutputFile,
    reasons: OutputFile,
}

impl RejectsGroup {
    fn create(path: PathBuf, reading: Option<Reading>) -> anyhow::Result<RejectsGroup> {
        Ok(RejectsGroup {
            rows: OutputFile::create(&path)?,
            reasons: OutputFile::create(&reasons_path(&path))?,
            key: None,
            reading,
            path,
        })
    }
}

/// A rejects file: rejected rows verbatim after the input's preamble (skipped rows and
/// header), so that it converts again with the same schema; the reasons in `FILE.errors`.
/// Inputs whose header differs get a file each: `FILE`, `FILE.2.csv`, ... NDJSON rows are
/// written one per line. The files appear under their names at [`RejectsFile::commit`].
pub struct RejectsFile {
    groups: Vec<RejectsGroup>,
    /// The schema the inputs are read with.
    schema: Schema,
    skip_rows: usize,
    /// Files a further rejects file must not replace (the inputs, the other outputs).
    avoid: Vec<String>,
    /// The other outputs of the run, with the names they are written under, which a further
    /// rejects file must not take even before they exist.
    others: Vec<(String, PathBuf)>,
    /// FILE is a device or FIFO: every row goes there.
    special: bool,
}

impl RejectsFile {
    /// Creates `path.partial` and `path.errors.partial` for inputs read with `schema`; the
    /// files of further headers (`FILE.2.csv`, ...) are never one of `avoid` (the inputs and
    /// the other outputs).
    pub fn create(path: &Path, schema: &Schema, avoid: &[String]) -> anyhow::Result<Self> {
        Ok(RejectsFile {
            groups: vec![RejectsGroup::create(path.to_path_buf(), None)?],
            schema: schema.clone(),
            skip_rows: schema.csv.skip_rows,
            avoid: avoid.to_vec(),
            others: Vec::new(),
            special: is_special(path),
        })
    }

    /// The other outputs of the run (`(option, path)`, with their `.partial` names): no
    /// further rejects file takes one of their names.
    pub fn beside(mut self, others: Vec<(String, PathBuf)>) -> Self {
        self.others = others;
        self
    }

    /// Whether `path` (and the files written beside it) is free: no input, no other output.
    fn free(&self, path: &Path) -> bool {
        let mut outs = self.others.clone();
        outs.extend(rejects_outputs("--rejects", path));
        check_outputs(&self.avoid, &outs).is_ok()
    }

    /// The name of the `n`-th file (from 2): `FILE.n.EXT`, EXT telling how rows of `input`
    /// are read (FILE's own extension when it reads them that way), so that the file converts
    /// again with the same schema.
    fn group_path(&self, n: usize, input: &str, want: Reading) -> PathBuf {
        let base = &self.groups[0].path;
        let text = base.to_string_lossy();
        let gz = text.ends_with(".gz");
        let ext_of = |p: &str| {
            let p = p.strip_suffix(".gz").unwrap_or(p);
            let ext = Path::new(p).extension()?.to_str()?;
            (reading(&self.schema, &format!("x.{ext}")) == want).then(|| ext.to_owned())
        };
        let ext = ext_of(&text)
            .or_else(|| ext_of(input))
            .unwrap_or_else(|| match want {
                (Format::Ndjson, _) => "ndjson".into(),
                (Format::Csv, true) => "tsv".into(),
                (Format::Csv, false) => "csv".into(),
            });
        with_suffix(base, &format!(".{n}.{ext}{}", if gz { ".gz" } else { "" }))
    }

    /// Writes one rejected row (after its input's preamble, once per file) and its reason.
    pub fn write(&mut self, r: &Reject<'_>, header: Option<&[u8]>) -> io::Result<()> {
        let read_as = reading(&self.schema, r.file);
        let ndjson = read_as.0 == Format::Ndjson;
        let header = header.filter(|_| !ndjson);
        // The header line (not the skipped rows, whatever they hold) decides the file.
        let key = header.map(|h| {
            let mut rest = h;
            for _ in 0..self.skip_rows {
                match rest.iter().position(|&b| b == b'\n') {
                    Some(i) => rest = &rest[i + 1..],
                    None => break,
                }
            }
            rest.to_vec()
        });
        let found = if self.special {
            // `--rejects /dev/null`: one device takes everything.
            Some(0)
        } else {
            // A file takes only rows read the way its name reads them.
            let fits = |g: &&RejectsGroup| g.reading.is_none_or(|r| r == read_as);
            self.groups
                .iter()
                .position(|g| fits(&g) && g.key.as_ref() == Some(&key))
                .or_else(|| self.groups.iter().position(|g| fits(&g) && g.key.is_none()))
        };
        let i = match found {
            Some(i) => i,
            None => {
                let mut n = self.groups.len() + 1;
                let mut path = self.group_path(n, r.file, read_as);
                while !self.free(&path) && n < self.groups.len() + 100 {
                    n += 1;
                    path = self.group_path(n, r.file, read_as);
                }
                let g = RejectsGroup::create(path, Some(read_as))
                    .map_err(|e| io::Error::other(format!("{e:#}")))?;
                self.groups.push(g);
                self.groups.len() - 1
            }
        };
        let g = &mut self.groups[i];
        if g.key.is_none() {
            if let Some(h) = header {
                g.rows.write_all(h)?;
                if !h.ends_with(b"\n") {
                    g.rows.write_all(b"\n")?;
                }
            }
            g.key = Some(key);
            g.reading = Some(read_as);
        }
        if ndjson {
            // A CRLF ending stays.
            let raw = r.raw.strip_suffix(b"\n").unwrap_or(r.raw);
            let (body, cr) = match raw.strip_suffix(b"\r") {
                Some(b) => (b, &b"\r"[..]),
                None => (raw, &b""[..]),
            };
            g.rows.write_all(&one_line(body))?;
            g.rows.write_all(cr)?;
            g.rows.write_all(b"\n")?;
        } else {
            g.rows.write_all(r.raw)?;
            if !r.raw.ends_with(b"\n") {
                g.rows.write_all(b"\n")?;
            }
        }
        writeln!(g.reasons, "{r}")
    }

    /// A note when FILE holds rows that its name does not read the same way with the schema
    /// (TSV rows in `bad.csv`, NDJSON rows in `bad.csv`): it must be renamed to convert again.
    pub fn misnamed(&self) -> Option<String> {
        let g = self.groups.first().filter(|_| !self.special)?;
        let rows = g.reading?;
        let name = g.path.to_string_lossy();
        if reading(&self.schema, &name) == rows {
            return None;
        }
        let (what, ext) = match rows {
            (Format::Ndjson, _) => ("NDJSON", ".ndjson"),
            (Format::Csv, true) => ("tab-separated", ".tsv"),
            (Format::Csv, false) => ("CSV", ".csv"),
        };
        Some(format!(
            "{name} holds {what} rows, but the schema reads a file of that name otherwise: give it a name ending in {ext} to convert it again"
        ))
    }

    /// Flushes and syncs every file (see [`OutputFile::prepare`]).
    pub fn prepare(&mut self) -> io::Result<()> {
        for g in &mut self.groups {
            g.rows.prepare()?;
            g.reasons.prepare()?;
        }
        Ok(())
    }

    /// Flushes every file and renames it into place; returns the rows files.
    pub fn commit(self) -> io::Result<Vec<PathBuf>> {
        let mut paths = Vec::new();
        for g in self.groups {
            g.rows.commit()?;
            g.reasons.commit()?;
            paths.push(g.path);
        }
        Ok(paths)
    }

    /// Flushes every file and keeps it under its `.partial` name; returns those names.
    pub fn keep_partial(self) -> Vec<PathBuf> {
        let mut kept = Vec::new();
        for g in self.groups {
            kept.extend(g.rows.keep_partial());
            kept.extend(g.reasons.keep_partial());
        }
        kept
    }
}

/// A JSON element on one line, as valid or invalid as it was: CR and LF outside strings are
/// whitespace and become spaces; inside a string (where JSON refuses them raw) a CR stays and
/// an LF becomes a CR, so that the element is still refused, never turned into a row.
fn one_line(body: &[u8]) -> Vec<u8> {
    let (mut in_str, mut esc) = (false, false);
    body.iter()
        .map(|&b| {
            if in_str {
                if esc {
                    esc = false;
                } else if b == b'\\' {
                    esc = true;
                } else if b == b'"' {
                    in_str = false;
                }
                if b == b'\n' {
                    b'\r'
                } else {
                    b
                }
            } else {
                if b == b'"' {
                    in_str = true;
                }
                if b == b'\n' || b == b'\r' {
                    b' '
                } else {
                    b
                }
            }
        })
        .collect()
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
        assert_eq!(parse_size("4MB"), Ok(4_000_000));
        assert_eq!(parse_size("256KiB"), Ok(256 << 10));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("0").is_err());
        assert!(parse_size("x").is_err());
    }
}
