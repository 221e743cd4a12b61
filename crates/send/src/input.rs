//! Line-protocol inputs: where they come from ([`Source`]), how they are named, and what
//! identifies them across runs for checkpoints ([`Identity`]).
//!
//! Regular files (read, not memory-mapped, and watched for changes while read), stdin and
//! `.gz` files are read as streams, and a caller can hand over line protocol produced while the replay runs (CSV
//! converted on the fly): see [`StreamInput`]. Either way the input arrives as [`Block`]s of
//! whole lines that batches can borrow without copying ([`BlockReader`]).

mod blocks;

pub use blocks::{Block, BlockReader, Data, ReadOptions, Watched};

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What identifies an input across runs, for checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The path as given (absolute when it could be resolved).
    pub path: String,
    /// File size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i128,
    /// FNV-1a 64 of the first 64 KiB.
    pub head_hash: u64,
}

impl Identity {
    /// Reads the identity of the file at `path`. Only a regular file has one: the head of a
    /// pipe, FIFO or device read here would never be read again, so anything else is refused
    /// (`InvalidInput`) before a byte is read.
    pub fn of(path: &Path) -> io::Result<Identity> {
        let meta = std::fs::metadata(path)?;
        if !meta.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file (a pipe, FIFO or device cannot be resumed): \
                 save it to a file first, or run without --checkpoint",
            ));
        }
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i128);
        let mut head = Vec::with_capacity(64 * 1024);
        File::open(path)?.take(64 * 1024).read_to_end(&mut head)?;
        let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        Ok(Identity {
            path: abs.to_string_lossy().into_owned(),
            size: meta.len(),
            mtime_ns,
            head_hash: fnv1a(&head),
        })
    }
}

/// FNV-1a, 64 bit.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Where an input comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Standard input.
    Stdin,
    /// A file; `.gz` is decompressed.
    File(PathBuf),
    /// Line protocol produced while the replay runs. Clones share the stream, which is
    /// opened once.
    Stream(Arc<StreamInput>),
}

impl PartialEq for Source {
    /// Files are equal by path; streams only to themselves (or their clones).
    fn eq(&self, other: &Source) -> bool {
        match (self, other) {
            (Source::Stdin, Source::Stdin) => true,
            (Source::File(a), Source::File(b)) => a == b,
            (Source::Stream(a), Source::Stream(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for Source {}

impl From<StreamInput> for Source {
    fn from(stream: StreamInput) -> Source {
        Source::Stream(Arc::new(stream))
    }
}

impl Source {
    /// `-` is stdin, anything else a path.
    pub fn from_arg(arg: &str) -> Source {
        if arg == "-" {
            Source::Stdin
        } else {
            Source::File(PathBuf::from(arg))
        }
    }

    /// How the input is named in messages.
    pub fn display_name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".to_owned(),
            Source::File(p) => p.display().to_string(),
            Source::Stream(s) => s.name.clone(),
        }
    }

    /// Size in bytes when known (regular files that are not compressed).
    pub fn size_hint(&self) -> Option<u64> {
        match self {
            Source::File(p) if !is_gz(p) => std::fs::metadata(p)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len()),
            Source::File(_) | Source::Stdin | Source::Stream(_) => None,
        }
    }
}

/// Whether `p` is read as gzip (by its `.gz` extension).
pub fn is_gz(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// Opens a [`StreamInput`]: called once, when the replay reaches that input.
pub type OpenStream = Box<dyn FnOnce() -> io::Result<Box<dyn Read + Send>> + Send>;

/// Line protocol produced while the replay runs, e.g. CSV converted on the fly.
///
/// As a [`Source::Stream`] it is read like a decompressed file: in blocks of whole lines,
/// skipping to a checkpoint's offset by reading and discarding. It is opened when the replay
/// reaches it, and only once.
pub struct StreamInput {
    name: String,
    identity: Option<Identity>,
    open: Mutex<Option<OpenStream>>,
}

impl StreamInput {
    /// A stream named `name` in messages and in the rejects file. `identity` is what
    /// identifies its content across runs, for `--checkpoint` (`None`: it cannot be resumed);
    /// offsets are offsets into the stream, so the stream must be the same bytes whenever its
    /// identity is the same.
    pub fn new(name: impl Into<String>, identity: Option<Identity>, open: OpenStream) -> Self {
        StreamInput {
            name: name.into(),
            identity,
            open: Mutex::new(Some(open)),
        }
    }

    /// How the stream is named in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What identifies the stream across runs, when it can be resumed.
    pub fn identity(&self) -> Option<&Identity> {
        self.identity.as_ref()
    }

    /// Opens the stream; fails if it was opened before.
    pub fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        // Only `take` runs under the lock, so a poisoned lock still holds a valid value.
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner()).take();
        match open {
            Some(open) => open(),
            None => Err(io::Error::other(
                "a stream input can be read only once per run",
            )),
        }
    }
}

impl std::fmt::Debug for StreamInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamInput")
            .field("name", &self.name)
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::blocks::tests::collect;
    use super::*;

    #[test]
    fn a_stream_reads_like_a_file_resumes_and_opens_once() {
        let text: Vec<u8> = (0..1000)
            .flat_map(|i| format!("m f={i}i {i}\n").into_bytes())
            .collect();
        let id = Identity {
            path: "data.csv converted".into(),
            size: 1,
            mtime_ns: 2,
            head_hash: 3,
        };
        let make = |text: Vec<u8>, identity| {
            Source::from(StreamInput::new(
                "data.csv (converted)",
                identity,
                Box::new(move || Ok(Box::new(io::Cursor::new(text)) as Box<dyn Read + Send>)),
            ))
        };
        let source = make(text.clone(), Some(id.clone()));
        assert_eq!(source.display_name(), "data.csv (converted)");
        assert_eq!(source.size_hint(), None);
        let Source::Stream(stream) = &source else {
            panic!("not a stream source")
        };
        assert_eq!(stream.identity(), Some(&id));
        assert_eq!(source, source.clone());
        assert_ne!(source, make(Vec::new(), Some(id.clone())));
        // Resume at the start of line 11.
        let start = text
            .iter()
            .enumerate()
            .filter(|(_, &c)| c == b'\n')
            .nth(9)
            .unwrap()
            .0 as u64
            + 1;
        let (all, marks) = collect(&source, start);
        assert_eq!(all, &text[start as usize..]);
        assert_eq!(marks[0], (start, 11));
        // Opened once only, clones included.
        assert!(BlockReader::open(&source, 0).is_err());
        assert!(BlockReader::open(&source.clone(), 0).is_err());

        let Source::Stream(unresumable) = make(Vec::new(), None) else {
            panic!("not a stream source")
        };
        assert_eq!(unresumable.identity(), None);
    }
}
