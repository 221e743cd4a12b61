//! The input layer: opening a path, stdin or a FIFO, decompressing, mapping or streaming,
//! watching a regular file for change while read, and what identifies a file across runs.
//! `convert`, `check` and `infer` [`open`] inputs (regular files are memory-mapped);
//! `replay` and `bench` [`open_stream`] them (always read, never mapped).

mod compress;
pub(crate) use compress::Failed;
mod decode;
mod identity;
pub mod list;
mod text;
mod watch;

pub use compress::{is_gz, Compression};
pub use decode::{bom_encoding, decode, decodes_file};
pub use identity::{conversion_hash, fnv1a, identify, identify_converted, FileIdentity};
pub use text::{not_utf8, refuse_utf16, text_problem, UTF8_BOM};
pub use watch::{Change, Changed, Stamp, Watch, Watched, Watching};

use crate::mapguard::{MappedFile, READ_WHOLE_MAX};
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// An opened input.
pub enum InputData {
    /// A memory-mapped regular file, guarded against truncation while read.
    Mapped(MappedFile),
    /// A stream read in blocks.
    Stream(Box<dyn Read + Send>),
}

impl std::fmt::Debug for InputData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputData::Mapped(m) => write!(f, "Mapped({} bytes)", m.len()),
            InputData::Stream(_) => f.write_str("Stream"),
        }
    }
}

/// An input and the name used in messages.
#[derive(Debug)]
pub struct Input {
    /// The data.
    pub data: InputData,
    /// The path as given, or `<stdin>`.
    pub name: String,
    /// The total size when known (for progress).
    pub size: Option<u64>,
}

/// True when the path names standard input.
pub fn is_stdin(path: &str) -> bool {
    path == "-"
}

/// The name of standard input in messages.
const STDIN_NAME: &str = "<stdin>";

/// The path an input's name stands for (`file` sources), `None` for stdin.
pub fn path_of(name: &str) -> Option<&str> {
    (name != STDIN_NAME).then_some(name)
}

/// Opens `path` (`-` for stdin). Compressed files are decompressed as a stream; other regular
/// files are read whole when small, else mapped, falling back to reading when mapping fails.
pub fn open(path: &str) -> io::Result<Input> {
    if is_stdin(path) {
        return Ok(Input {
            data: InputData::Stream(stdin(Watching::CONVERT)?.0),
            name: STDIN_NAME.to_string(),
            size: None,
        });
    }
    let file = File::open(path)?;
    let meta = file.metadata()?;
    let size = meta.is_file().then_some(meta.len());
    let plain = Compression::of(Path::new(path)) == Compression::None;
    if plain && meta.is_file() && meta.len() > 0 {
        if meta.len() <= READ_WHOLE_MAX {
            return Ok(Input {
                data: InputData::Mapped(MappedFile::read_whole(file, &meta)?),
                name: path.to_string(),
                size,
            });
        }
        if let Some(map) = MappedFile::map(file.try_clone()?, meta.len()) {
            return Ok(Input {
                data: InputData::Mapped(map),
                name: path.to_string(),
                size,
            });
        }
    }
    let stream = stream_of(file, &meta, path, Watching::CONVERT)?;
    Ok(Input {
        data: InputData::Stream(stream.reader),
        name: stream.name,
        size,
    })
}

/// An input opened to be read as a stream, never mapped: how `replay` and `bench` read line
/// protocol (a mapped file truncated while it is sent would kill the process with SIGBUS).
pub struct Stream {
    /// The bytes, decompressed.
    pub reader: Box<dyn Read + Send>,
    /// The path as given, or `<stdin>`.
    pub name: String,
    /// Whether it is not a regular file (stdin, a FIFO, a device): it may pause between
    /// bytes.
    pub pipe: bool,
    /// For a watched regular file: the check each read makes, for once reading is over (a
    /// change after the last read is not seen by reads).
    pub watch: Option<Watch>,
}

/// Opens `path` (`-` for stdin) as a [`Stream`]: decompressed by its name, and, when a
/// regular file, watched for change while read (reported as `watching` says).
pub fn open_stream(path: &str, watching: Watching) -> io::Result<Stream> {
    if is_stdin(path) {
        let (reader, watch) = stdin(watching)?;
        return Ok(Stream {
            reader,
            name: STDIN_NAME.to_string(),
            pipe: true,
            watch,
        });
    }
    let file = File::open(path)?;
    let meta = file.metadata()?;
    stream_of(file, &meta, path, watching)
}

/// A regular file watched while read, anything else read as it comes; decompressed by name.
fn stream_of(
    file: File,
    meta: &std::fs::Metadata,
    name: &str,
    watching: Watching,
) -> io::Result<Stream> {
    let compression = Compression::of(Path::new(name));
    if !meta.is_file() {
        return Ok(Stream {
            reader: compression.reader(file, None),
            name: name.to_string(),
            pipe: true,
            watch: None,
        });
    }
    let watched = Watched::new(file, meta, name, watching)?;
    let watch = watched.watch()?;
    Ok(Stream {
        reader: compression.reader(watched, Some(meta.len())),
        name: name.to_string(),
        pipe: false,
        watch: Some(watch),
    })
}

/// Standard input, and its watch when `watching.stdin` and it is redirected from a regular
/// file (`< data.csv`): a change while read then ends the run, as for a named file.
fn stdin(watching: Watching) -> io::Result<(Box<dyn Read + Send>, Option<Watch>)> {
    let file = if watching.stdin {
        use std::os::fd::AsFd;
        io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .ok()
            .map(File::from)
            .and_then(|f| f.metadata().ok().filter(|m| m.is_file()).map(|m| (f, m)))
    } else {
        None
    };
    Ok(match file {
        Some((f, meta)) => {
            let watched = Watched::new(f, &meta, STDIN_NAME, watching)?;
            let watch = watched.watch()?;
            (Box::new(watched), Some(watch))
        }
        None => (Box::new(io::stdin()), None),
    })
}

/// For a regular uncompressed file: the file opened for random access (e.g. to check a
/// checkpoint's offset before anything is sent). `None` for stdin, a compressed file or
/// anything that is not a regular file.
pub fn open_plain(path: &str) -> Option<io::Result<File>> {
    if is_stdin(path) || Compression::of(Path::new(path)) != Compression::None {
        return None;
    }
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => None,
        _ => Some(File::open(path)),
    }
}

/// The number of bytes `path` gives when known before reading: a regular uncompressed
/// file's size (for progress).
pub fn plain_size(path: &str) -> Option<u64> {
    if is_stdin(path) || Compression::of(Path::new(path)) != Compression::None {
        return None;
    }
    std::fs::metadata(path)
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len())
}

/// The text of a read error of input `name`: prefixed with the name unless it names the
/// input already (a change while read).
pub fn read_error_text(name: &str, e: &io::Error) -> String {
    let named = e
        .get_ref()
        .is_some_and(|inner| inner.downcast_ref::<Changed>().is_some());
    if named {
        e.to_string()
    } else {
        format!("{name}: {e}")
    }
}

/// The input format implied by a file name: `.csv`, `.tsv`, `.ndjson`, `.jsonl`, `.json`,
/// each optionally followed by a compression's extension (`.gz`, `.zst`). Returns (format, tab-delimited).
pub fn format_from_name(path: &str) -> Option<(lpconvert_schema::Format, bool)> {
    let p = Compression::strip(path);
    let ext = Path::new(p).extension()?.to_str()?.to_ascii_lowercase();
    use lpconvert_schema::Format;
    match ext.as_str() {
        "csv" => Some((Format::Csv, false)),
        "tsv" => Some((Format::Csv, true)),
        "ndjson" | "jsonl" | "json" => Some((Format::Ndjson, false)),
        _ => None,
    }
}

/// Most bytes asked of one `read` call in [`fill`]: each call zeroes at most this much, so
/// reading is linear in the data whatever `want` is (pipes return 64 KiB at a time).
const READ_STEP: usize = 256 * 1024;

/// Bytes asked of the first `read` of a [`fill`] into an empty buffer (one holding more
/// is asked that much, up to [`READ_STEP`]); each next one asks twice what the last gave,
/// up to [`READ_STEP`]. A small or empty stream (a short `.gz` file, a FIFO giving a
/// few lines) then costs a few KiB of zeroed buffer, not [`READ_STEP`] (a mapping of its own
/// in the allocator), and a pipe giving 64 KiB a read is asked for at most 128 KiB.
const FIRST_STEP: usize = 16 * 1024;

/// Reads from `r` into `buf` until it holds at least `want` bytes or the stream ends, asking
/// no more than `want` of any `read`: a small `want` (the memory budget's chunk for an input
/// that writes many lines per byte) reads a small piece, even from a pipe holding 64 KiB.
/// Returns false at the end of the stream. The buffer grows geometrically (`Vec` growth)
/// with the data read, never to `want` ahead of it.
pub fn fill(r: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> io::Result<bool> {
    fill_until(r, buf, want, Wait::All)
}

/// [`fill_until`] for the head of a stream (a preamble, a first block), whose read error may
/// belong to the body: the error is kept in `failed` (and nothing more is read) instead of
/// returned, and the caller decides; true unless the stream ended.
pub(crate) fn fill_keeping_error(
    reader: &mut Box<dyn Read + Send>,
    buf: &mut Vec<u8>,
    (want, wait): (usize, Wait),
    failed: &mut Option<io::Error>,
) -> bool {
    if failed.is_some() {
        return true;
    }
    fill_until(reader, buf, want, wait).unwrap_or_else(|e| {
        *failed = Some(e);
        true
    })
}

/// What a read of a stream waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// All the bytes asked for, or the end: a conversion's whole chunks.
    All,
    /// The first bytes that come: a preview shows records as a slow pipe gives them.
    Some,
}

/// [`fill`], returning after the first `read` that gives bytes when `wait` is
/// [`Wait::Some`].
pub fn fill_until(
    r: &mut dyn Read,
    buf: &mut Vec<u8>,
    want: usize,
    wait: Wait,
) -> io::Result<bool> {
    // A buffer that already holds bytes of the stream is asked as much again (a preview
    // reading a long record calls once per read, with `Wait::Some`).
    let mut step = buf.len().clamp(FIRST_STEP, READ_STEP);
    while buf.len() < want {
        let len = buf.len();
        let room = (want - len).min(step);
        buf.resize(len + room, 0);
        match r.read(&mut buf[len..]) {
            Ok(0) => {
                buf.truncate(len);
                return Ok(false);
            }
            Ok(n) => {
                buf.truncate(len + n);
                step = n.saturating_mul(2).clamp(FIRST_STEP, READ_STEP);
                if wait == Wait::Some {
                    return Ok(true);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => buf.truncate(len),
            Err(e) => {
                buf.truncate(len);
                return Err(e);
            }
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gives at most `per_read` bytes a read, `total` in all; records what each read asked.
    struct Pipe {
        per_read: usize,
        total: usize,
        asked: Vec<usize>,
    }

    impl Read for Pipe {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.asked.push(buf.len());
            let n = buf.len().min(self.per_read).min(self.total);
            self.total -= n;
            Ok(n)
        }
    }

    #[test]
    fn a_fill_asks_a_small_first_read_then_twice_what_the_last_gave() {
        // An empty stream costs one small read, not a READ_STEP buffer.
        let mut empty = Pipe {
            per_read: 0,
            total: 0,
            asked: Vec::new(),
        };
        let mut buf = Vec::new();
        assert!(!fill(&mut empty, &mut buf, 4 << 20).unwrap());
        assert_eq!(empty.asked, [FIRST_STEP]);
        assert!(buf.capacity() <= FIRST_STEP);
        // A pipe giving 64 KiB a read is asked for at most twice that.
        let mut pipe = Pipe {
            per_read: 64 << 10,
            total: 1 << 20,
            asked: Vec::new(),
        };
        let mut buf = Vec::new();
        assert!(fill(&mut pipe, &mut buf, 1 << 20).unwrap());
        assert_eq!(buf.len(), 1 << 20);
        assert_eq!(&pipe.asked[..4], [16 << 10, 32 << 10, 64 << 10, 128 << 10]);
        assert!(
            pipe.asked[4..].iter().all(|&a| a <= 128 << 10),
            "{:?}",
            pipe.asked
        );
        // A file giving all it is asked grows to READ_STEP.
        let mut file = Pipe {
            per_read: usize::MAX,
            total: 4 << 20,
            asked: Vec::new(),
        };
        let mut buf = Vec::new();
        assert!(fill(&mut file, &mut buf, 4 << 20).unwrap());
        assert_eq!(file.asked.iter().max(), Some(&READ_STEP));
    }

    #[test]
    fn a_read_that_returns_after_one_read_asks_as_much_as_the_buffer_holds() {
        // A preview reads a long record one `Wait::Some` call at a time, looking for its end
        // in all it holds after each: asked 16 KiB a call (the first step, again each call),
        // an 8 MB record took 512 calls, and its preview 6.7 s instead of 1.1 s.
        let mut file = Pipe {
            per_read: usize::MAX,
            total: 8 << 20,
            asked: Vec::new(),
        };
        let mut buf = Vec::new();
        let mut calls = 0;
        loop {
            let want = buf.len() + (8 << 20);
            if !fill_until(&mut file, &mut buf, want, Wait::Some).unwrap() {
                break;
            }
            calls += 1;
        }
        assert_eq!(buf.len(), 8 << 20);
        assert!(calls <= 40, "{calls} calls: {:?}", &file.asked[..8]);
    }
}
