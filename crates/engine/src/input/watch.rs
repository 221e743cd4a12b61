//! Watching a regular file for change while it is read: the one check behind "changed while
//! being read", for streams ([`Watched`], [`Watch`]) and for maps
//! ([`MappedFile`](crate::mapguard::MappedFile)).

use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::time::SystemTime;

/// How a change while read is reported, by command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watching {
    /// Whether standard input redirected from a regular file is watched too.
    pub stdin: bool,
    /// Whether the message starts with the input's name (else the caller names the input).
    pub named: bool,
    /// What the change means for the run and what to do, ending the message.
    pub advice: &'static str,
}

impl Watching {
    /// As `convert`, `check` and `infer` report a change: the output is incomplete.
    pub const CONVERT: Watching = Watching {
        stdin: true,
        named: true,
        advice: "the output of this file is incomplete; convert a copy, or wait until the \
                 writer is done",
    };

    /// The error for input `name` that changed as `what` says.
    pub fn changed(&self, name: &str, what: &str) -> io::Error {
        let text = if self.named {
            format!("{name} changed while being read ({what}): {}", self.advice)
        } else {
            format!("changed while being read ({what}): {}", self.advice)
        };
        io::Error::other(Changed(text))
    }
}

/// A file's size and modification time, as when it was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    /// A file of `len` bytes last modified at `modified`.
    pub fn new(len: u64, modified: Option<SystemTime>) -> Stamp {
        Stamp { len, modified }
    }

    /// The stamp of `meta`.
    pub fn of(meta: &Metadata) -> Stamp {
        Stamp::new(meta.len(), meta.modified().ok())
    }

    /// What changed in `file` since this stamp (one `fstat`), if anything.
    pub fn change(&self, file: &File) -> Option<Change> {
        let meta = file.metadata().ok();
        let now = meta.as_ref().map(Metadata::len);
        let modified = meta.and_then(|m| m.modified().ok());
        if now == Some(self.len) && modified == self.modified {
            return None;
        }
        Some(match now {
            Some(n) if n != self.len => Change::Size(self.len, n),
            Some(_) => Change::Modified,
            None => Change::Gone,
        })
    }
}

/// How a file differs from its [`Stamp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Its size went from the first to the second number of bytes.
    Size(u64, u64),
    /// Same size, another modification time.
    Modified,
    /// Its metadata can no longer be read.
    Gone,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Size(was, now) => write!(f, "its size went from {was} to {now} bytes"),
            Change::Modified => f.write_str("it was written to: its modification time changed"),
            Change::Gone => f.write_str("it can no longer be read"),
        }
    }
}

/// An open regular file and its stamp: checks that the file has not changed since it was
/// opened.
pub struct Watch {
    file: File,
    stamp: Stamp,
    name: String,
    watching: Watching,
}

impl Watch {
    /// Watches `file` (opened as `meta` says) under `name`; the watch holds its own handle.
    pub fn new(file: &File, meta: &Metadata, name: &str, watching: Watching) -> io::Result<Watch> {
        Ok(Watch {
            file: file.try_clone()?,
            stamp: Stamp::of(meta),
            name: name.to_string(),
            watching,
        })
    }

    /// Fails ("changed while being read") unless the file still has the size and
    /// modification time it was opened with.
    pub fn check(&self) -> io::Result<()> {
        match self.stamp.change(&self.file) {
            None => Ok(()),
            Some(change) => Err(self.watching.changed(&self.name, &change.to_string())),
        }
    }

    /// The same check on the same open file, for later.
    pub fn try_clone(&self) -> io::Result<Watch> {
        Ok(Watch {
            file: self.file.try_clone()?,
            stamp: self.stamp,
            name: self.name.clone(),
            watching: self.watching,
        })
    }
}

/// A regular file read as a stream. Each read checks that the file still has the size and
/// modification time it was opened with (one `fstat` per read), so a file truncated,
/// appended to or rewritten while read ends the run with "changed while being read" before
/// the bytes of that read are handed on: never with output that looks complete, zero bytes,
/// a cut line, or a decoder's "corrupt deflate stream".
pub struct Watched {
    file: File,
    watch: Watch,
}

impl Watched {
    /// Reads `file` (opened as `meta` says) under `name`, checking it after each read.
    pub fn new(file: File, meta: &Metadata, name: &str, watching: Watching) -> io::Result<Watched> {
        let watch = Watch::new(&file, meta, name, watching)?;
        Ok(Watched { file, watch })
    }

    /// A watch on the same open file, to check once reading is over (a change after the
    /// last read is not seen by reads).
    pub fn watch(&self) -> io::Result<Watch> {
        self.watch.try_clone()
    }
}

impl Read for Watched {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let result = self.file.read(buf);
        // A change explains a read error too (e.g. a file on a network share going away).
        self.watch.check()?;
        result
    }
}

/// An input that changed while read; its text names the input when its [`Watching`] says so.
#[derive(Debug)]
pub struct Changed(String);

impl std::fmt::Display for Changed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Changed {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_appended_to_while_read_fails_the_next_read() {
        let dir = std::env::temp_dir().join(format!("lpc-watch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.lp");
        std::fs::write(&path, b"a f=1i 1\n").unwrap();
        let file = File::open(&path).unwrap();
        let meta = file.metadata().unwrap();
        let mut watched = Watched::new(file, &meta, "a.lp", Watching::CONVERT).unwrap();
        let later = watched.watch().unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(watched.read(&mut buf).unwrap(), 4);
        assert!(later.check().is_ok());
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"b f=2i 2\n").unwrap();
        let e = watched.read(&mut buf).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("a.lp changed while being read (its size went from 9 to 18 bytes)"),
            "{e}"
        );
        assert!(later.check().is_err());
        let unnamed = Watching {
            named: false,
            ..Watching::CONVERT
        };
        let e = unnamed.changed("a.lp", "what");
        assert!(e
            .to_string()
            .starts_with("changed while being read (what): "));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
