//! The outputs of a run checked before anything is opened: each names a file (or a device)
//! in a directory that exists, none is an input (through any path or link) or another
//! output, counting the files written beside each (`FILE.partial`, `FILE.errors`, ...).

use super::file::{cause, is_descriptor, is_special, resolve, with_suffix};
use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// An output that cannot be used: a usage error, said before anything is opened.
#[derive(Debug, thiserror::Error)]
pub enum UnusableOutput {
    /// `-` given to an option other than `-o`.
    #[error(
        "{option} `-`: only -o takes `-` for standard output; name a file here (or /dev/stdout)"
    )]
    Dash {
        /// The option.
        option: String,
    },
    /// The path cannot be written as a file.
    #[error("{option} {shown}: {problem}")]
    NotAFile {
        /// The option.
        option: String,
        /// The path as given (and the file a link points to).
        shown: Shown,
        /// What is wrong with it.
        problem: Problem,
    },
    /// The output is an input of the run.
    #[error(
        "{} is the input {}: writing it would destroy the data being read; choose another file",
        named(option, path),
        input_name(input)
    )]
    IsInput {
        /// The option ([`STDOUT`] for standard output).
        option: String,
        /// The output's path.
        path: PathBuf,
        /// The input (`-` for standard input).
        input: String,
    },
    /// Two outputs are one file.
    #[error("{option} {} is the same file as {other} {}: choose different files", path.display(), other_path.display())]
    SameFile {
        /// The option.
        option: String,
        /// Its path.
        path: PathBuf,
        /// The option given the same file before.
        other: String,
        /// That option's path.
        other_path: PathBuf,
    },
}

/// What makes a path unusable as an output file.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// A directory.
    #[error("is a directory; name a file in it")]
    Directory,
    /// A path that ends in no file name (`/`, `..`).
    #[error("names no file; give a file name")]
    NoFileName,
    /// Its parent is not a directory.
    #[error("{} is not a directory", .0.display())]
    ParentNotADirectory(PathBuf),
    /// Its directory does not exist or cannot be searched.
    #[error("its directory {} cannot be used ({}); create it first", dir.display(), cause(error))]
    Directoryless {
        /// The directory.
        dir: PathBuf,
        /// Why it cannot be used.
        error: io::Error,
    },
}

/// An output path as said in messages: `PATH`, or `PATH (a link to TARGET)`.
#[derive(Debug)]
pub struct Shown {
    /// The path as given.
    pub path: PathBuf,
    /// The file it names, when it is a link.
    pub link_to: Option<PathBuf>,
}

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.link_to {
            Some(t) => write!(f, "{} (a link to {})", self.path.display(), t.display()),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

/// An output as named in [`UnusableOutput::IsInput`].
fn named(option: &str, path: &Path) -> String {
    if option == STDOUT {
        format!("{STDOUT} (a regular file)")
    } else {
        format!("{option} {}", path.display())
    }
}

/// An input as named in messages.
fn input_name(input: &str) -> &str {
    if input == "-" {
        "standard input"
    } else {
        input
    }
}

/// The option name of standard output in [`check_outputs`] (see [`stdout_output`]).
pub const STDOUT: &str = "standard output";

/// Standard output as an output of [`check_outputs`]: compared only when it is a regular file.
pub fn stdout_output() -> (String, PathBuf) {
    (STDOUT.to_string(), PathBuf::from("/dev/stdout"))
}

/// What names a file on disk, for comparing paths.
#[derive(Debug, PartialEq, Eq)]
enum FileId {
    /// An existing regular file: device and inode (symlinks and hard links compare equal).
    Inode(u64, u64),
    /// A file still to be created: the canonical path of its directory and its name.
    Path(PathBuf),
    /// Not a regular file (a device such as /dev/null, a FIFO): never compared.
    Special,
}

/// The identity of an output path; an error when it cannot be written as a file at all.
fn output_id(what: &str, path: &Path) -> Result<FileId, UnusableOutput> {
    if is_descriptor(path) {
        // Compared with the inputs only when the descriptor is a regular file.
        return Ok(match std::fs::metadata(path) {
            Ok(m) if m.is_file() => FileId::Inode(m.dev(), m.ino()),
            _ => FileId::Special,
        });
    }
    if path == Path::new("-") {
        // Only `-o -` means standard output (handled before): anywhere else `-` would be
        // created as a file named `-`.
        return Err(UnusableOutput::Dash {
            option: what.to_string(),
        });
    }
    // A dangling link names the file it points to.
    let resolved = resolve(path);
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let unusable = |problem| UnusableOutput::NotAFile {
        option: what.to_string(),
        shown: Shown {
            path: path.to_path_buf(),
            link_to: (resolved != path && is_link).then(|| resolved.clone()),
        },
        problem,
    };
    let path = resolved.as_path();
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(FileId::Inode(m.dev(), m.ino())),
        Ok(m) if m.is_dir() => Err(unusable(Problem::Directory)),
        Ok(_) => Ok(FileId::Special),
        Err(_) => {
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            let name = path
                .file_name()
                .ok_or_else(|| unusable(Problem::NoFileName))?;
            match std::fs::canonicalize(dir) {
                Ok(d) if d.is_dir() => Ok(FileId::Path(d.join(name))),
                Ok(_) => Err(unusable(Problem::ParentNotADirectory(dir.to_path_buf()))),
                Err(error) => Err(unusable(Problem::Directoryless {
                    dir: dir.to_path_buf(),
                    error,
                })),
            }
        }
    }
}

/// The identity of an input: `-` is the file on standard input when that is a regular file.
fn input_id(input: &str) -> FileId {
    let meta = if input == "-" {
        use std::os::fd::AsFd;
        let stdin = io::stdin().as_fd().try_clone_to_owned();
        match stdin.map(File::from).and_then(|f| f.metadata()) {
            Ok(m) => m,
            Err(_) => return FileId::Special,
        }
    } else {
        match std::fs::metadata(input) {
            Ok(m) => m,
            // Said when it is read, in input order.
            Err(_) => return FileId::Special,
        }
    };
    if meta.is_file() {
        FileId::Inode(meta.dev(), meta.ino())
    } else {
        FileId::Special
    }
}

/// Checks the outputs of a run before anything is opened: every output must name a file (or
/// a device) in an existing directory, and none may be an input (through any path or link)
/// or another output; whether the directory is writable shows when the file is created. `outputs` are `(option, path)`; each also stands for the files written
/// beside it (`FILE.partial`, `FILE.errors`, ...) given as further entries by the caller.
pub fn check_outputs(
    inputs: &[String],
    outputs: &[(String, PathBuf)],
) -> Result<(), UnusableOutput> {
    // The outputs' identities up to the first unusable one (that error comes after any
    // collision of the outputs before it, as the loop below finds them in order).
    let mut ids = Vec::with_capacity(outputs.len());
    for (what, p) in outputs {
        let id = output_id(what, p);
        let stop = id.is_err();
        ids.push(id);
        if stop {
            break;
        }
    }
    // Only an existing regular file can be an input: without one, no input is looked at
    // (a stat per input is most of the start of a run over thousands of files).
    let existing = ids.iter().any(|id| matches!(id, Ok(FileId::Inode(..))));
    let ins: Vec<(&String, FileId)> = match existing {
        true => inputs.iter().map(|i| (i, input_id(i))).collect(),
        false => Vec::new(),
    };
    let mut outs: Vec<(&str, &Path, FileId)> = Vec::with_capacity(outputs.len());
    for ((what, p), id) in outputs.iter().zip(ids) {
        let id = id?;
        if id != FileId::Special {
            if let Some((input, _)) = ins.iter().find(|(_, i)| *i == id) {
                return Err(UnusableOutput::IsInput {
                    option: what.clone(),
                    path: p.clone(),
                    input: input.to_string(),
                });
            }
            if let Some((other, q, _)) = outs.iter().find(|(_, _, o)| *o == id) {
                return Err(UnusableOutput::SameFile {
                    option: what.clone(),
                    path: p.clone(),
                    other: other.to_string(),
                    other_path: q.to_path_buf(),
                });
            }
        }
        outs.push((what, p, id));
    }
    Ok(())
}

/// The reasons file of a rejects file `FILE`: `FILE.errors`, or `FILE` itself when that is
/// not a regular file (`--rejects /dev/null` discards both).
pub fn reasons_path(path: &Path) -> PathBuf {
    if is_special(path) {
        path.to_path_buf()
    } else {
        with_suffix(path, ".errors")
    }
}

/// The output `(option, path)` pairs of a rejects file `FILE`: itself, `FILE.errors` and
/// their `.partial` names.
pub fn rejects_outputs(option: &str, path: &Path) -> Vec<(String, PathBuf)> {
    if is_special(path) {
        return vec![(option.to_string(), path.to_path_buf())];
    }
    let errors = with_suffix(path, ".errors");
    vec![
        (option.to_string(), path.to_path_buf()),
        (format!("{option} (reasons)"), errors.clone()),
        (
            format!("{option} (while written)"),
            with_suffix(&resolve(path), ".partial"),
        ),
        (
            format!("{option} (reasons, while written)"),
            with_suffix(&resolve(&errors), ".partial"),
        ),
    ]
}

/// The output `(option, path)` pairs of a file written through
/// [`OutputFile`](super::OutputFile): itself and its `.partial` name.
pub fn file_outputs(option: &str, path: &Path) -> Vec<(String, PathBuf)> {
    if is_special(path) {
        return vec![(option.to_string(), path.to_path_buf())];
    }
    vec![
        (option.to_string(), path.to_path_buf()),
        (
            format!("{option} (while written)"),
            with_suffix(&resolve(path), ".partial"),
        ),
    ]
}

/// The inputs of a run for [`check_outputs`]: the data inputs and, when it exists, the schema
/// (an output over the schema would destroy it as surely as one over the data).
pub fn with_schema(inputs: &[String], schema: Option<&Path>) -> Vec<String> {
    let mut all = inputs.to_vec();
    if let Some(s) = schema.filter(|s| s.exists()) {
        all.push(s.display().to_string());
    }
    all
}

/// The output `(option, path)` pairs of a `--report FILE` written by
/// [`write_whole`](super::write_whole): itself and `FILE.tmp`, which it is written through.
pub fn report_outputs(path: &Path) -> Vec<(String, PathBuf)> {
    vec![
        ("--report".to_string(), path.to_path_buf()),
        (
            "--report (while written)".to_string(),
            with_suffix(path, ".tmp"),
        ),
    ]
}

/// The output files of `lpconvert replay`, for [`check_outputs`].
pub fn replay_outputs(
    rejects: Option<&Path>,
    report: Option<&Path>,
    checkpoint: Option<&Path>,
    convert_rejects: Option<&Path>,
) -> Vec<(String, PathBuf)> {
    let mut outs = Vec::new();
    if let Some(p) = rejects {
        outs.push(("--rejects".to_string(), p.to_path_buf()));
    }
    if let Some(p) = report {
        outs.extend(report_outputs(p));
    }
    if let Some(p) = checkpoint {
        outs.push(("--checkpoint".to_string(), p.to_path_buf()));
        outs.push((
            "--checkpoint (while written)".to_string(),
            with_suffix(p, ".tmp"),
        ));
    }
    if let Some(p) = convert_rejects {
        outs.extend(rejects_outputs("--convert-rejects", p));
    }
    outs
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::test_dir as dir;

    #[test]
    fn a_new_output_equal_to_another_by_a_different_spelling_is_refused() {
        let d = dir("spelling");
        let a = d.join("x.lp");
        let b = d.join(".").join("x.lp");
        let r = check_outputs(&[], &[("-o".into(), a), ("--rejects".into(), b)]);
        assert!(r.is_err_and(|e| {
            let e = e.to_string();
            e.contains("-o") && e.contains("--rejects")
        }));
        let _ = std::fs::remove_dir_all(&d);
    }
}
