//! The inputs of a run as listed on the command line, expanded: a directory stands for every
//! file below it whose name the format accepts (recursively, in byte order of the full path),
//! an argument with `*`, `?` or `[` that names no file is a glob expanded here (`**` crosses
//! directories), and `--files-from` adds a list of paths read from a file or stdin (one per
//! line, or NUL-separated). The one listing convert, check and replay use: it lives beside
//! [`super::format_from_name`], which decides what a name says the file holds.

use super::{format_from_name, is_stdin, Compression};
use lpconvert_schema::{Format, Schema};
use std::io::{self, Read};
use std::path::Path;

/// Which file names a directory contributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// `.csv`, `.tsv`.
    Csv,
    /// `.ndjson`, `.jsonl`, `.json`.
    Ndjson,
    /// Both of the above (a schema that names no format).
    Data,
    /// Line protocol: `.lp`, `.txt`.
    LineProtocol,
}

impl Accept {
    /// What a run with `schema` reads: its format's names, or every data name.
    pub fn for_schema(schema: &Schema) -> Accept {
        match schema.format {
            Some(Format::Csv) => Accept::Csv,
            Some(Format::Ndjson) => Accept::Ndjson,
            None => Accept::Data,
        }
    }

    /// Whether a file named `name` is read (each name optionally followed by `.gz`/`.zst`).
    pub fn accepts(self, name: &str) -> bool {
        if self == Accept::LineProtocol {
            let ext = Path::new(Compression::strip(name))
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            return matches!(ext.as_deref(), Some("lp" | "txt"));
        }
        match format_from_name(name) {
            Some((Format::Csv, _)) => self != Accept::Ndjson,
            Some((Format::Ndjson, _)) => self != Accept::Csv,
            None => false,
        }
    }

    /// The names accepted, for messages.
    pub fn names(self) -> &'static str {
        match self {
            Accept::Csv => ".csv or .tsv",
            Accept::Ndjson => ".ndjson, .jsonl or .json",
            Accept::Data => ".csv, .tsv, .ndjson, .jsonl or .json",
            Accept::LineProtocol => ".lp or .txt",
        }
    }
}

/// A list of paths to read (`--files-from`).
#[derive(Debug, Clone, Copy)]
pub struct FilesFrom<'a> {
    /// The file that holds the list; `-` for stdin.
    pub path: &'a str,
    /// The paths are separated by NUL bytes (`-0`), not line feeds.
    pub nul: bool,
}

/// The inputs of a run, expanded.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The paths to read in order (`-` for stdin).
    pub paths: Vec<String>,
    /// Files found in directories whose names the format does not accept (not read).
    pub skipped: u64,
    /// What directories hold but is not read although it may hold data: links to directories
    /// (not followed), and entries with an accepted name that are no file (a FIFO, a socket,
    /// a dangling link).
    pub unread: Vec<String>,
}

/// Why the inputs cannot be listed.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// A glob that matches no file.
    #[error("{0}: no file matches this pattern")]
    NoMatch(String),
    /// A directory with no file the format accepts.
    #[error("{dir}: no file below this directory has a name ending in {names} (optionally followed by .gz or .zst)")]
    EmptyDirectory {
        /// The directory as given.
        dir: String,
        /// The names accepted.
        names: &'static str,
    },
    /// A pattern the glob syntax refuses.
    #[error("{pattern}: not a valid pattern ({message})")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// What is wrong with it.
        message: String,
    },
    /// A directory or list that cannot be read.
    #[error("{path}: {error}")]
    Read {
        /// What could not be read.
        path: String,
        /// Why.
        error: io::Error,
    },
    /// A file whose path is not UTF-8 text.
    #[error("{0}: the path is not UTF-8 text; rename the file")]
    NotUtf8(String),
    /// `--files-from` lists nothing.
    #[error("--files-from {0}: lists no file")]
    EmptyList(String),
    /// Standard input given twice.
    #[error("--files-from -: standard input holds the list, so `-` cannot also be an input")]
    StdinTwice,
}

/// Lists the inputs `args` name, then those of `files_from` (whose list is read from `stdin`
/// when it is `-`): each directory expanded to the files below it that `accept` takes, each
/// argument that names no file but holds `*`, `?` or `[` expanded as a glob (the files it
/// matches, in byte order). No argument and no list: standard input. A path listed twice
/// is read twice.
pub fn list_inputs(
    args: &[String],
    files_from: Option<FilesFrom<'_>>,
    accept: Accept,
    stdin: &mut dyn Read,
) -> Result<Listing, ListError> {
    let mut out = Listing::default();
    for arg in args {
        if files_from.is_some_and(|f| is_stdin(f.path)) && is_stdin(arg) {
            return Err(ListError::StdinTwice);
        }
        add(arg, true, accept, &mut out)?;
    }
    if let Some(from) = files_from {
        let text = read_list(from.path, stdin).map_err(|error| ListError::Read {
            path: format!("--files-from {}", from.path),
            error,
        })?;
        let before = out.paths.len();
        for entry in split_list(&text, from.nul) {
            let path = std::str::from_utf8(entry)
                .map_err(|_| ListError::NotUtf8(String::from_utf8_lossy(entry).into_owned()))?;
            // The list read from stdin cannot name stdin: it is spent (would read as empty).
            if is_stdin(from.path) && is_stdin(path) {
                return Err(ListError::StdinTwice);
            }
            add(path, false, accept, &mut out)?;
        }
        if out.paths.len() == before {
            return Err(ListError::EmptyList(from.path.to_owned()));
        }
    } else if args.is_empty() {
        out.paths.push("-".to_owned());
    }
    Ok(out)
}

/// The bytes of the list at `path` (`-`: `stdin`).
fn read_list(path: &str, stdin: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut text = Vec::new();
    if is_stdin(path) {
        stdin.read_to_end(&mut text)?;
    } else {
        text = std::fs::read(path)?;
    }
    Ok(text)
}

/// The entries of a list: NUL-separated, or one per line (a CR before the LF is not part of
/// the path; blank lines are ignored).
fn split_list(text: &[u8], nul: bool) -> Vec<&[u8]> {
    let sep = if nul { b'\0' } else { b'\n' };
    text.split(move |&b| b == sep)
        .map(|e| match nul {
            false => e.strip_suffix(b"\r").unwrap_or(e),
            true => e,
        })
        .filter(|e| !e.is_empty())
        .collect()
}

/// Adds what `arg` names: a directory's accepted files, a glob's matches (`globs`: only for
/// arguments), or the path as is.
fn add(arg: &str, globs: bool, accept: Accept, out: &mut Listing) -> Result<(), ListError> {
    if is_stdin(arg) {
        out.paths.push(arg.to_owned());
        return Ok(());
    }
    match std::fs::metadata(arg) {
        Ok(m) if m.is_dir() => return directory(arg, accept, out),
        Ok(_) => {
            out.paths.push(arg.to_owned());
            return Ok(());
        }
        Err(_) if globs && arg.contains(['*', '?', '[']) => {}
        // Opening it says what is wrong, as for any input.
        Err(_) => {
            out.paths.push(arg.to_owned());
            return Ok(());
        }
    }
    let mut found = glob_files(arg)?;
    if found.is_empty() {
        return Err(ListError::NoMatch(arg.to_owned()));
    }
    found.sort_unstable();
    out.paths.extend(found);
    Ok(())
}

/// The files `pattern` matches. The tree below the pattern's literal directory is walked
/// as a directory given is (links to files followed, links to directories not: `**` through
/// a link back up the tree would match the same files again and again, exponentially with
/// two such links), as deep as the pattern reaches, and each file's path matched whole.
fn glob_files(pattern: &str) -> Result<Vec<String>, ListError> {
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let compiled = glob::Pattern::new(pattern).map_err(|e| ListError::Pattern {
        pattern: pattern.to_owned(),
        message: e.msg.to_owned(),
    })?;
    let wild =
        |c: &std::path::Component<'_>| c.as_os_str().to_string_lossy().contains(['*', '?', '[']);
    let parts: Vec<_> = Path::new(pattern).components().collect();
    let literal = parts.iter().take_while(|c| !wild(c)).count();
    let base: std::path::PathBuf = parts[..literal].iter().collect();
    let depth = match parts[literal..].iter().any(|c| c.as_os_str() == "**") {
        true => usize::MAX,
        false => parts.len() - literal,
    };
    // A pattern with no directory (`*.csv`) is walked from `.`, its matches named without it.
    let (root, strip) = match base.as_os_str().is_empty() {
        true => (Path::new(".").to_path_buf(), true),
        false => (base, false),
    };
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(&root).min_depth(1).max_depth(depth) {
        let entry = match entry {
            Ok(e) => e,
            // The pattern's own directory missing: nothing matches.
            Err(e) if e.depth() == 0 => break,
            Err(e) => {
                let path = e
                    .path()
                    .map_or_else(|| pattern.to_owned(), |p| p.display().to_string());
                return Err(ListError::Read {
                    path,
                    error: e
                        .into_io_error()
                        .unwrap_or_else(|| io::Error::other("a directory loop")),
                });
            }
        };
        let kind = entry.file_type();
        let file = kind.is_file() || (kind.is_symlink() && entry.path().is_file());
        if !file {
            continue;
        }
        let path = match strip {
            true => entry.path().strip_prefix(".").unwrap_or(entry.path()),
            false => entry.path(),
        };
        if compiled.matches_path_with(path, options) {
            found.push(utf8(path.to_path_buf())?);
        }
    }
    Ok(found)
}

/// Adds the files below `dir` that `accept` takes, in byte order of their paths; counts the
/// others, and names what may hold data but is not read.
fn directory(dir: &str, accept: Accept, out: &mut Listing) -> Result<(), ListError> {
    let mut found = Vec::new();
    let unread_before = out.unread.len();
    for entry in walkdir::WalkDir::new(dir).min_depth(1) {
        let entry = entry.map_err(|e| {
            let path = e
                .path()
                .map_or_else(|| dir.to_owned(), |p| p.display().to_string());
            ListError::Read {
                path,
                error: e.into_io_error().unwrap_or_else(|| {
                    io::Error::other("a directory loop (a link to a directory above it)")
                }),
            }
        })?;
        let kind = entry.file_type();
        // A link is read when it leads to a file; links to directories are not followed.
        let file = kind.is_file() || (kind.is_symlink() && entry.path().is_file());
        let name = entry.file_name().to_string_lossy();
        if !file {
            let linked_dir = kind.is_symlink() && entry.path().is_dir();
            if linked_dir || (!kind.is_dir() && accept.accepts(&name)) {
                let path = entry.path().to_string_lossy().into_owned();
                out.unread.push(path);
            }
            continue;
        }
        if !accept.accepts(&name) {
            out.skipped += 1;
            continue;
        }
        found.push(utf8(entry.into_path())?);
    }
    if found.is_empty() {
        return Err(ListError::EmptyDirectory {
            dir: dir.to_owned(),
            names: accept.names(),
        });
    }
    found.sort_unstable();
    out.paths.extend(found);
    out.unread[unread_before..].sort_unstable();
    Ok(())
}

/// A path as UTF-8 text (how inputs are named).
fn utf8(path: std::path::PathBuf) -> Result<String, ListError> {
    path.into_os_string()
        .into_string()
        .map_err(|p| ListError::NotUtf8(p.to_string_lossy().into_owned()))
}

#[cfg(test)]
mod tests;
