//! Line-protocol inputs as the replay sees them: a [`Source`] names an input and opens it
//! through an [`Open`] its caller gives (the cli wires in the engine's input layer: paths,
//! stdin, FIFOs, decompression, the watch for change while read), and [`BlockReader`] cuts
//! what it reads into [`Block`]s of whole lines that batches borrow without copying.
//! [`Identity`] is what a checkpoint remembers of an input.

mod blocks;
mod offset;
mod pipe;

pub use blocks::{Block, BlockReader, Data, ReadOptions};

use std::io::{self, Read, Seek};
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

/// An input opened for reading.
pub struct Opened {
    /// The line-protocol bytes (decompressed).
    pub reader: Box<dyn Read + Send>,
    /// Whether the input may pause between bytes (stdin, a FIFO, lines produced while the
    /// replay runs): it is read by its own thread, its lines handed on after
    /// [`ReadOptions::flush_interval`]. Otherwise it is a file, read ahead in blocks.
    pub pipe: bool,
    /// For a regular file: checks, once every line read was answered, that it has not
    /// changed since it was opened.
    pub watch: Option<Watch>,
}

/// A check that a file has not changed since it was opened; fails with the reason.
pub struct Watch(Box<dyn Fn() -> io::Result<()> + Send>);

impl Watch {
    /// A watch made of `check`.
    pub fn new(check: impl Fn() -> io::Result<()> + Send + 'static) -> Watch {
        Watch(Box::new(check))
    }

    /// Fails ("changed while being read") when the file changed.
    pub fn check(&self) -> io::Result<()> {
        (self.0)()
    }
}

/// A reader that can also seek: a regular uncompressed file.
pub trait SeekRead: Read + Seek + Send {}

impl<T: Read + Seek + Send> SeekRead for T {}

/// How a [`Source`] is opened and recognized across runs.
pub trait Open: Send + Sync {
    /// Opens the input at its start.
    fn open(&self) -> io::Result<Opened>;

    /// What identifies the input across runs, for `--checkpoint`.
    fn identity(&self) -> io::Result<Identity> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this input is a stream that cannot be resumed",
        ))
    }

    /// Whether the input is standard input (a checkpoint refuses it as a usage error).
    fn is_stdin(&self) -> bool {
        false
    }

    /// Whether a read error is the producer's to report (a conversion that stopped): the
    /// replay then ends reading there, sends what was read, and leaves the input incomplete.
    /// Only errors the producer's reader returned ([`is_producer_error`]) are its own; an
    /// error of the reading itself (a line too long) is still the replay's.
    fn reports_own_errors(&self) -> bool {
        false
    }

    /// The number of bytes the input gives, when known before reading (for progress).
    fn size(&self) -> Option<u64> {
        None
    }

    /// For an uncompressed regular file: the file opened for random access, to check a
    /// checkpoint's offset before anything is sent. `None` when it cannot seek.
    fn open_seekable(&self) -> Option<io::Result<Box<dyn SeekRead>>> {
        None
    }

    /// The line number of the input's first line in its file (a part of a file starts
    /// further down): messages name the file's own line numbers.
    fn first_line(&self) -> io::Result<u64> {
        Ok(1)
    }
}

/// A line-protocol input: its name in messages and how to open it. Clones share the opener.
#[derive(Clone)]
pub struct Source {
    name: String,
    open: Arc<dyn Open>,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Source {
    /// A source equals itself and its clones only.
    fn eq(&self, other: &Source) -> bool {
        Arc::ptr_eq(&self.open, &other.open)
    }
}

impl Eq for Source {}

impl From<StreamInput> for Source {
    fn from(stream: StreamInput) -> Source {
        Source::new(stream.name.clone(), stream)
    }
}

impl Source {
    /// An input named `name` in messages, opened by `open`.
    pub fn new(name: impl Into<String>, open: impl Open + 'static) -> Source {
        Source {
            name: name.into(),
            open: Arc::new(open),
        }
    }

    /// How the input is named in messages.
    pub fn display_name(&self) -> String {
        self.name.clone()
    }

    /// Size in bytes when known before reading (regular files that are not compressed).
    pub fn size_hint(&self) -> Option<u64> {
        self.open.size()
    }

    /// Whether the input is standard input.
    pub fn is_stdin(&self) -> bool {
        self.open.is_stdin()
    }

    /// What identifies the input across runs, for `--checkpoint`.
    pub fn identity(&self) -> io::Result<Identity> {
        self.open.identity()
    }

    /// Whether the input can be opened again and read from its start (a file, not standard
    /// input, a FIFO or a conversion): a run may read it once before sending it.
    pub fn can_read_twice(&self) -> bool {
        !self.is_stdin() && !self.reports_own_errors() && self.identity().is_ok()
    }

    /// Whether a read error is the producer's to report (see [`Open::reports_own_errors`]).
    pub fn reports_own_errors(&self) -> bool {
        self.open.reports_own_errors()
    }

    /// Checks that `offset` is a place a checkpoint can stop in the input: not past its end,
    /// and at the start of a line (offset 0, after LF, or after a leading byte order mark) or
    /// at the end. Only an input that can seek is checked (a compressed file or a stream is
    /// checked when the replay skips to the offset).
    pub fn check_offset(&self, offset: u64) -> Result<(), String> {
        match self.open.open_seekable() {
            None => Ok(()),
            Some(file) => {
                let mut file = file.map_err(|e| format!("cannot read it: {e}"))?;
                offset::check(file.as_mut(), offset)
            }
        }
    }

    /// The line number of the input's first line in its file (1 unless it is part of one).
    pub(crate) fn first_line(&self) -> io::Result<u64> {
        self.open.first_line()
    }

    /// Opens the input at its start.
    pub(crate) fn open(&self) -> io::Result<Opened> {
        self.open.open()
    }
}

/// Opens a [`StreamInput`]: called once, when the replay reaches that input.
pub type OpenStream = Box<dyn FnOnce() -> io::Result<Box<dyn Read + Send>> + Send>;

/// Line protocol produced while the replay runs, e.g. CSV converted on the fly.
///
/// As a [`Source`] it is read like a pipe: in blocks of whole lines handed on after the flush
/// interval, skipping to a checkpoint's offset by reading and discarding. It is opened when
/// the replay reaches it, and only once.
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
}

impl Open for StreamInput {
    /// Opens the stream; fails if it was opened before.
    fn open(&self) -> io::Result<Opened> {
        // Only `take` runs under the lock, so a poisoned lock still holds a valid value.
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner()).take();
        match open {
            Some(open) => Ok(Opened {
                reader: Box::new(Produced(open()?)),
                pipe: true,
                watch: None,
            }),
            None => Err(io::Error::other(
                "a stream input can be read only once per run",
            )),
        }
    }

    fn identity(&self) -> io::Result<Identity> {
        self.identity.clone().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::Unsupported,
                "this input is a stream that cannot be resumed",
            )
        })
    }

    /// A stream's producer (the engine's streaming conversion) reports its own failure.
    fn reports_own_errors(&self) -> bool {
        true
    }
}

/// The reader of a [`StreamInput`]: its errors are marked as the producer's
/// ([`is_producer_error`]), apart from the errors of reading its lines (a line too long).
struct Produced(Box<dyn Read + Send>);

impl Read for Produced {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::Interrupted {
                e
            } else {
                io::Error::new(e.kind(), ProducerError(e))
            }
        })
    }
}

/// An error the producer of a stream returned (shown as it is).
#[derive(Debug)]
struct ProducerError(io::Error);

impl std::fmt::Display for ProducerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ProducerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Whether `e` was returned by the producer of a [`StreamInput`] (a conversion that failed),
/// not by the reading of its lines.
pub fn is_producer_error(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<ProducerError>())
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
pub(crate) mod tests {
    use super::blocks::tests::collect;
    use super::*;

    /// Lines, then an error of the producer's.
    pub(crate) struct FailsAfter(pub(crate) io::Cursor<Vec<u8>>);

    impl Read for FailsAfter {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(io::Error::other("data.csv:7:2: not a number")),
                n => Ok(n),
            }
        }
    }

    #[test]
    fn a_stream_read_without_a_flush_interval_hands_on_the_lines_before_its_producer_failed() {
        let text: Vec<u8> = (0..1000)
            .flat_map(|i| format!("m f={i}i {i}\n").into_bytes())
            .collect();
        let mut with_cut = text.clone();
        with_cut.extend_from_slice(b"m f=cut sh");
        let source = Source::from(StreamInput::new(
            "data.csv (converted)",
            None,
            Box::new(move || {
                Ok(Box::new(FailsAfter(io::Cursor::new(with_cut))) as Box<dyn Read + Send>)
            }),
        ));
        let mut r = BlockReader::open(&source, 0).unwrap();
        let mut got = Vec::new();
        let err = loop {
            match r.next_block() {
                Ok(Some(b)) => got.extend_from_slice(b.bytes()),
                Ok(None) => panic!("a failed producer is no clean end"),
                Err(e) => break e,
            }
        };
        assert!(got == text, "every whole line before the failure");
        assert!(is_producer_error(&err), "{err}");
        assert_eq!(err.to_string(), "data.csv:7:2: not a number");
    }

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
        assert_eq!(source.identity().unwrap(), id);
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

        let unresumable = make(Vec::new(), None);
        assert_eq!(
            unresumable.identity().unwrap_err().kind(),
            io::ErrorKind::Unsupported
        );
    }
}
