//! Rejected rows written verbatim, so that they convert again with the same schema: after
//! their input's preamble (skipped rows and header), one file per header and way of reading,
//! NDJSON rows one per line, the reasons in `FILE.errors`. Which row goes to which file is
//! decided here; the files are created and put in place by the caller's [`RejectsStore`]
//! (the cli's writes them through `lpconvert_send::output`). The rows that produced no line
//! (`--skipped`) are written the same way, without reasons ([`RejectsFile::create_skipped`]).

use crate::Reject;
use lpconvert_schema::{Format, Schema};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The files of a [`RejectsFile`]: created, flushed and put in place by the caller, who also
/// knows which names are taken (the inputs, the run's other outputs).
pub trait RejectsStore {
    /// A file being written.
    type File: Write;
    /// Why a file could not be created.
    type Error: std::fmt::Display;
    /// Creates the file `path` (put in place by [`RejectsStore::commit`]).
    fn create(&self, path: &Path) -> Result<Self::File, Self::Error>;
    /// Whether `path` is a device or FIFO: every row goes there.
    fn is_special(&self, path: &Path) -> bool;
    /// The file the reasons of the rows file `path` are written to.
    fn reasons_path(&self, path: &Path) -> PathBuf;
    /// Whether a further rows file may be named `path` (it and the files written beside it
    /// are no input and no other output).
    fn is_free(&self, path: &Path) -> bool;
    /// Flushes and syncs `file`: what can fail before it is put in place.
    fn prepare(file: &mut Self::File) -> io::Result<()>;
    /// Flushes `file` and puts it in place.
    fn commit(file: Self::File) -> io::Result<()>;
    /// Flushes `file` and keeps it where it was written; returns that name (`None` when
    /// nothing was written to it, or it was written in place).
    fn keep_partial(file: Self::File) -> Option<PathBuf>;
}

/// How a file is read with a schema: its format and whether it is tab-separated (a `.tsv`
/// name, when the schema names no delimiter).
type Reading = (Format, bool);

/// How `name` is read with `schema`.
fn reading(schema: &Schema, name: &str) -> Reading {
    let (format, tab) = crate::input_format(schema, name);
    (
        format,
        tab && format == Format::Csv && schema.csv.delimiter.is_none(),
    )
}

/// One rejects file: the rows of inputs whose header is `key`.
struct RejectsGroup<F> {
    /// The header the rows are read with; `None` until the first row claims the group.
    key: Option<Option<Vec<u8>>>,
    /// How its rows were read (set by the first): only rows read that way go to it.
    reading: Option<Reading>,
    path: PathBuf,
    rows: F,
    /// `None` for a file of skipped rows, whose reason is always the same.
    reasons: Option<F>,
}

impl<F> RejectsGroup<F> {
    fn create<S: RejectsStore<File = F>>(
        store: &S,
        path: PathBuf,
        reading: Option<Reading>,
        reasons: bool,
    ) -> Result<RejectsGroup<F>, S::Error> {
        Ok(RejectsGroup {
            rows: store.create(&path)?,
            reasons: match reasons {
                true => Some(store.create(&store.reasons_path(&path))?),
                false => None,
            },
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
pub struct RejectsFile<S: RejectsStore> {
    store: S,
    groups: Vec<RejectsGroup<S::File>>,
    /// The schema the inputs are read with.
    schema: Schema,
    skip_rows: usize,
    /// FILE is a device or FIFO: every row goes there.
    special: bool,
    /// Each row's reason goes to the rows file's `FILE.errors`.
    reasons: bool,
}

impl<S: RejectsStore> RejectsFile<S> {
    /// Creates the rows file `path` and its reasons file through `store`, for inputs read
    /// with `schema`; the files of further headers (`FILE.2.csv`, ...) take only names the
    /// store says are free.
    pub fn create(path: &Path, schema: &Schema, store: S) -> Result<Self, S::Error> {
        Self::create_with(path, schema, store, true)
    }

    /// Creates the file `path` of the rows that produced no line (`--skipped`): written as
    /// rejected rows are (one file per header, `FILE.2.csv`, ...), without a reasons file.
    pub fn create_skipped(path: &Path, schema: &Schema, store: S) -> Result<Self, S::Error> {
        Self::create_with(path, schema, store, false)
    }

    fn create_with(
        path: &Path,
        schema: &Schema,
        store: S,
        reasons: bool,
    ) -> Result<Self, S::Error> {
        Ok(RejectsFile {
            groups: vec![RejectsGroup::create(
                &store,
                path.to_path_buf(),
                None,
                reasons,
            )?],
            schema: schema.clone(),
            skip_rows: schema.csv.skip_rows,
            special: store.is_special(path),
            reasons,
            store,
        })
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
        let mut name = base.as_os_str().to_owned();
        name.push(format!(".{n}.{ext}{}", if gz { ".gz" } else { "" }));
        PathBuf::from(name)
    }

    /// Writes one rejected (or skipped) row (after its input's preamble, once per file) and
    /// its reason.
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
            let fits = |g: &&RejectsGroup<S::File>| g.reading.is_none_or(|r| r == read_as);
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
                // A name taken by the store's files or by one of ours (an earlier file moved
                // past a taken name) is passed over.
                let ours = |p: &Path| self.groups.iter().any(|g| g.path == p);
                while (!self.store.is_free(&path) || ours(&path)) && n < self.groups.len() + 100 {
                    n += 1;
                    path = self.group_path(n, r.file, read_as);
                }
                let g = RejectsGroup::create(&self.store, path, Some(read_as), self.reasons)
                    .map_err(|e| io::Error::other(e.to_string()))?;
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
        match &mut g.reasons {
            Some(reasons) => writeln!(reasons, "{r}"),
            None => Ok(()),
        }
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

    /// Flushes and syncs every file (see [`RejectsStore::prepare`]).
    pub fn prepare(&mut self) -> io::Result<()> {
        for g in &mut self.groups {
            S::prepare(&mut g.rows)?;
            if let Some(reasons) = &mut g.reasons {
                S::prepare(reasons)?;
            }
        }
        Ok(())
    }

    /// Flushes every file and renames it into place; returns the rows files.
    pub fn commit(self) -> io::Result<Vec<PathBuf>> {
        let mut paths = Vec::new();
        for g in self.groups {
            S::commit(g.rows)?;
            if let Some(reasons) = g.reasons {
                S::commit(reasons)?;
            }
            paths.push(g.path);
        }
        Ok(paths)
    }

    /// Flushes every file and keeps it under its `.partial` name; returns those names.
    pub fn keep_partial(self) -> Vec<PathBuf> {
        let mut kept = Vec::new();
        for g in self.groups {
            kept.extend(S::keep_partial(g.rows));
            kept.extend(g.reasons.and_then(S::keep_partial));
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
