//! Opening inputs: regular files are memory-mapped, everything else (stdin, pipes, `.gz`)
//! is read as a stream.

use crate::mapguard::MappedFile;
use flate2::read::MultiGzDecoder;
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

/// Opens `path` (`-` for stdin). `.gz` files are decompressed as a stream; other regular
/// files are mapped, falling back to reading when mapping fails.
pub fn open(path: &str) -> io::Result<Input> {
    if is_stdin(path) {
        let name = "<stdin>".to_string();
        // Standard input redirected from a regular file (`< data.csv`) is watched like a
        // named one: a change while read ends the run.
        let file = {
            use std::os::fd::AsFd;
            io::stdin()
                .as_fd()
                .try_clone_to_owned()
                .ok()
                .map(File::from)
                .and_then(|f| f.metadata().ok().filter(|m| m.is_file()).map(|m| (f, m)))
        };
        let data: Box<dyn Read + Send> = match file {
            Some((f, meta)) => Box::new(Watched::new(f, &name, &meta)),
            None => Box::new(io::stdin()),
        };
        return Ok(Input {
            data: InputData::Stream(data),
            name,
            size: None,
        });
    }
    let file = File::open(path)?;
    let meta = file.metadata()?;
    let size = meta.is_file().then_some(meta.len());
    let name = path.to_string();
    if path.ends_with(".gz") {
        let file = Watched::new(file, &name, &meta);
        return Ok(Input {
            data: InputData::Stream(Box::new(MultiGzDecoder::new(io::BufReader::with_capacity(
                1 << 20,
                file,
            )))),
            name,
            size,
        });
    }
    if meta.is_file() && meta.len() > 0 {
        if let Some(map) = MappedFile::map(file.try_clone()?, meta.len()) {
            return Ok(Input {
                data: InputData::Mapped(map),
                name,
                size,
            });
        }
    }
    let data: Box<dyn Read + Send> = if meta.is_file() {
        Box::new(Watched::new(file, &name, &meta))
    } else {
        Box::new(file)
    };
    Ok(Input {
        data: InputData::Stream(data),
        name,
        size,
    })
}

/// A regular file read as a stream (`.gz`, or one that could not be mapped). Each read
/// checks that the file still has the size and modification time it was opened with (one
/// `fstat` per read of up to 1 MiB), so a file truncated, appended to or rewritten while
/// read ends the run with "changed while being read", never with output that looks
/// complete or with a decoder's "corrupt deflate stream".
struct Watched {
    file: File,
    name: String,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl Watched {
    fn new(file: File, name: &str, meta: &std::fs::Metadata) -> Watched {
        Watched {
            file,
            name: name.to_string(),
            len: meta.len(),
            modified: meta.modified().ok(),
        }
    }

    fn check(&self) -> io::Result<()> {
        let meta = self.file.metadata().ok();
        let now = meta.as_ref().map(|m| m.len());
        let modified = meta.and_then(|m| m.modified().ok());
        if now == Some(self.len) && modified == self.modified {
            return Ok(());
        }
        let what = match now {
            Some(n) if n != self.len => format!("its size went from {} to {n} bytes", self.len),
            Some(_) => "it was written to: its modification time changed".to_string(),
            None => "it can no longer be read".to_string(),
        };
        Err(io::Error::other(Changed(format!(
            "{} changed while being read ({what}): the output of this file is incomplete; \
             convert a copy, or wait until the writer is done",
            self.name
        ))))
    }
}

impl Read for Watched {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let result = self.file.read(buf);
        // A change explains a read error too (e.g. a file on a network share going away).
        self.check()?;
        result
    }
}

/// An input that changed while read; its text names the input.
#[derive(Debug)]
pub struct Changed(String);

impl std::fmt::Display for Changed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Changed {}

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
/// each optionally followed by `.gz`. Returns (format, tab-delimited).
pub fn format_from_name(path: &str) -> Option<(lpconvert_schema::Format, bool)> {
    let p = path.strip_suffix(".gz").unwrap_or(path);
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

/// Reads from `r` into `buf` until it holds at least `want` bytes or the stream ends.
/// Returns false at the end of the stream. The buffer grows geometrically (`Vec` growth)
/// with the data read, never to `want` ahead of it.
pub fn fill(r: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> io::Result<bool> {
    while buf.len() < want {
        let len = buf.len();
        let room = (want - len).clamp(64 * 1024, READ_STEP);
        buf.resize(len + room, 0);
        match r.read(&mut buf[len..]) {
            Ok(0) => {
                buf.truncate(len);
                return Ok(false);
            }
            Ok(n) => buf.truncate(len + n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => buf.truncate(len),
            Err(e) => {
                buf.truncate(len);
                return Err(e);
            }
        }
    }
    Ok(true)
}

/// The UTF-8 byte order mark.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Bytes looked at by [`text_problem`].
const SNIFF_BYTES: usize = 64 * 1024;

/// What makes the start of an input unreadable as UTF-8 text with LF line ends, if
/// anything: UTF-16 (with or without a byte order mark), mostly NUL bytes (binary data,
/// `/dev/zero`) or CR-only line endings (old Mac OS). The text follows the input's name, e.g. `a.csv is UTF-16 (...)`.
pub fn text_problem(name: &str, head: &[u8]) -> Option<String> {
    let head = &head[..head.len().min(SNIFF_BYTES)];
    let utf16 = if head.starts_with(b"\xFF\xFE") {
        Some("little-endian, with a byte order mark")
    } else if head.starts_with(b"\xFE\xFF") {
        Some("big-endian, with a byte order mark")
    } else {
        // ASCII text in UTF-16: a NUL in every other byte, on one side only.
        let pairs = head.len() / 2;
        let even = head.iter().step_by(2).filter(|&&b| b == 0).count();
        let odd = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
        if pairs < 2 {
            None
        } else if odd * 10 >= pairs * 4 && even * 10 < pairs {
            Some("little-endian, no byte order mark")
        } else if even * 10 >= pairs * 4 && odd * 10 < pairs {
            Some("big-endian, no byte order mark")
        } else {
            None
        }
    };
    if let Some(kind) = utf16 {
        return Some(format!(
            "is UTF-16 ({kind}); lpconvert reads UTF-8: convert it to UTF-8 first, e.g. \
             iconv -f UTF-16 -t UTF-8 {name} > {name}.utf8"
        ));
    }
    let nul = memchr::memchr_iter(0, head).count();
    if nul > 0 && nul * 4 >= head.len() {
        return Some(format!(
            "is not text: {nul} of its first {} bytes are NUL (binary data, or an encoding \
             such as UTF-32); lpconvert reads UTF-8 text",
            head.len()
        ));
    }
    let mid_cr = memchr::memchr_iter(b'\r', head)
        .any(|i| head.get(i + 1).is_some_and(|&b| b != b'\n' && b != b'\r'));
    if mid_cr && memchr::memchr(b'\n', head).is_none() {
        return Some(format!(
            "has CR line endings (old Mac OS) and no line feeds: lpconvert ends lines with LF \
             or CRLF; convert it first, e.g. tr '\\r' '\\n' < {name} > {name}.lf"
        ));
    }
    None
}
