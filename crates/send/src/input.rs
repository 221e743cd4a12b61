//! Line-protocol inputs: regular files are memory-mapped (with a read fallback), stdin and
//! `.gz` files are read as streams. Either way the input arrives as [`Block`]s of whole lines
//! that batches can borrow without copying.
//!
//! A caller can also hand over line protocol produced while the replay runs (CSV converted
//! on the fly): see [`StreamInput`].

use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Bytes shared by a block and every batch that borrows from it.
pub enum Data {
    /// A memory-mapped file.
    Mapped(memmap2::Mmap),
    /// Bytes read from a stream.
    Owned(Vec<u8>),
}

impl Data {
    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Data::Mapped(m) => m,
            Data::Owned(v) => v,
        }
    }
}

impl std::fmt::Debug for Data {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Data({} bytes)", self.bytes().len())
    }
}

/// A run of whole lines of an input (the last block may end without LF).
#[derive(Debug, Clone)]
pub struct Block {
    /// The shared bytes.
    pub data: Arc<Data>,
    /// The part of `data` this block covers.
    pub range: Range<usize>,
    /// Input offset (of the uncompressed stream) of `range.start`.
    pub offset: u64,
    /// 1-based line number of the first line of the block.
    pub first_line: u64,
}

impl Block {
    /// The block's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.data.bytes()[self.range.clone()]
    }
}

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
    /// Reads the identity of the file at `path` (or the one given to a registered
    /// [`StreamInput`]).
    pub fn of(path: &Path) -> io::Result<Identity> {
        if let Some(found) = with_stream(path, |s| s.identity.clone()) {
            return found.ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::Unsupported,
                    "this input is a stream that cannot be resumed",
                )
            });
        }
        let meta = std::fs::metadata(path)?;
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Standard input.
    Stdin,
    /// A file; `.gz` is decompressed.
    File(PathBuf),
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
            Source::File(p) => {
                with_stream(p, |s| s.name.clone()).unwrap_or_else(|| p.display().to_string())
            }
        }
    }

    /// Size in bytes when known (files that are not compressed).
    pub fn size_hint(&self) -> Option<u64> {
        match self {
            Source::File(p) if with_stream(p, |_| ()).is_some() => None,
            Source::File(p) if !is_gz(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            _ => None,
        }
    }
}

/// Opens a [`StreamInput`]: called once, when the replay reaches that input.
pub type OpenStream = Box<dyn FnOnce() -> io::Result<Box<dyn Read + Send>> + Send>;

/// Line protocol produced while the replay runs, e.g. CSV converted on the fly.
///
/// [`StreamInput::register`] turns it into a [`Source`] that the replay reads like a
/// decompressed file: in blocks of whole lines, skipping to a checkpoint's offset by reading
/// and discarding. Such a source is a `Source::File` whose path contains a NUL byte, so it
/// can name no real file; the registration ends when the returned [`StreamGuard`] is dropped.
pub struct StreamInput {
    /// How the input is named in messages and in the rejects file.
    pub name: String,
    /// What identifies the stream's content across runs, for `--checkpoint` (`None`: it
    /// cannot be resumed). Offsets are offsets into the stream, so the stream must be the
    /// same bytes whenever its identity is the same.
    pub identity: Option<Identity>,
    /// Opens the stream.
    pub open: OpenStream,
}

/// Keeps a [`StreamInput`] registered; dropping it unregisters the stream (not yet opened
/// streams are then never opened).
#[derive(Debug)]
pub struct StreamGuard {
    key: PathBuf,
}

impl StreamGuard {
    /// The source that reads the stream.
    pub fn source(&self) -> Source {
        Source::File(self.key.clone())
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        streams().retain(|s| s.key != self.key);
    }
}

struct Registered {
    key: PathBuf,
    name: String,
    identity: Option<Identity>,
    open: Option<OpenStream>,
}

static STREAMS: Mutex<Vec<Registered>> = Mutex::new(Vec::new());
static NEXT_STREAM: AtomicU64 = AtomicU64::new(0);

fn streams() -> MutexGuard<'static, Vec<Registered>> {
    // A panic while holding the lock leaves the list consistent (entries are only pushed,
    // removed or have `open` taken), so a poisoned lock is still usable.
    STREAMS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Applies `f` to the stream registered under `path`, if any.
fn with_stream<T>(path: &Path, f: impl FnOnce(&mut Registered) -> T) -> Option<T> {
    if !path.as_os_str().as_encoded_bytes().contains(&0) {
        return None;
    }
    streams().iter_mut().find(|s| s.key == path).map(f)
}

impl StreamInput {
    /// Registers the stream; read it through [`StreamGuard::source`].
    pub fn register(self) -> StreamGuard {
        let n = NEXT_STREAM.fetch_add(1, Ordering::Relaxed);
        let key = PathBuf::from(format!("\0lpconvert-stream-{}-{n}", std::process::id()));
        streams().push(Registered {
            key: key.clone(),
            name: self.name,
            identity: self.identity,
            open: Some(self.open),
        });
        StreamGuard { key }
    }
}

fn is_gz(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// Size of the blocks read from streams.
const STREAM_BLOCK: usize = 4 << 20;

/// Reads an input as blocks, starting at a byte offset (which must be a line start).
pub struct BlockReader {
    state: State,
    offset: u64,
    next_line: u64,
}

enum State {
    Mapped(Option<Arc<Data>>, usize),
    Stream(Box<dyn Read + Send>, Vec<u8>, bool),
}

impl BlockReader {
    /// Opens `source` and skips to `start` (counting the lines skipped).
    pub fn open(source: &Source, start: u64) -> io::Result<BlockReader> {
        let stream = match source {
            Source::File(p) => with_stream(p, |s| s.open.take()),
            Source::Stdin => None,
        };
        let mut reader = match source {
            _ if stream.is_some() => match stream.flatten() {
                Some(open) => Self::stream(open()?),
                None => {
                    return Err(io::Error::other(
                        "a stream input can be read only once per run",
                    ))
                }
            },
            Source::Stdin => Self::stream(Box::new(io::stdin())),
            Source::File(p) if is_gz(p) => Self::stream(Box::new(MultiGzDecoder::new(
                io::BufReader::new(File::open(p)?),
            ))),
            Source::File(p) => {
                let file = File::open(p)?;
                // SAFETY: the mapping is only read. If another process truncates or rewrites
                // the file while it is mapped, reads may see the new bytes or fault (SIGBUS);
                // replaying a file that is being rewritten is not supported, and the
                // checkpoint's identity check refuses to resume on a changed file.
                match unsafe { memmap2::Mmap::map(&file) } {
                    Ok(map) => {
                        #[cfg(unix)]
                        let _ = map.advise(memmap2::Advice::Sequential);
                        BlockReader {
                            state: State::Mapped(Some(Arc::new(Data::Mapped(map))), 0),
                            offset: 0,
                            next_line: 1,
                        }
                    }
                    // Not mappable (empty file, special file): read it as a stream.
                    Err(_) => Self::stream(Box::new(file)),
                }
            }
        };
        reader.skip_to(start)?;
        Ok(reader)
    }

    fn stream(r: Box<dyn Read + Send>) -> BlockReader {
        BlockReader {
            state: State::Stream(r, Vec::new(), false),
            offset: 0,
            next_line: 1,
        }
    }

    fn skip_to(&mut self, start: u64) -> io::Result<()> {
        if start == 0 {
            return Ok(());
        }
        match &mut self.state {
            State::Mapped(Some(data), pos) => {
                let bytes = data.bytes();
                let s = usize::try_from(start)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                self.next_line += memchr::memchr_iter(b'\n', &bytes[..s]).count() as u64;
                *pos = s;
                self.offset = s as u64;
            }
            _ => {
                while self.offset < start {
                    let Some(block) = self.next_block()? else {
                        break;
                    };
                    let want = (start - block.offset) as usize;
                    if want < block.range.len() {
                        // Put back the rest of the block.
                        let rest = block.bytes()[want..].to_vec();
                        self.next_line = block.first_line
                            + memchr::memchr_iter(b'\n', &block.bytes()[..want]).count() as u64;
                        self.offset = start;
                        if let State::Stream(_, pending, _) = &mut self.state {
                            let mut v = rest;
                            v.extend_from_slice(pending);
                            *pending = v;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The next block, or `None` at the end of the input.
    pub fn next_block(&mut self) -> io::Result<Option<Block>> {
        match &mut self.state {
            State::Mapped(data, pos) => {
                let Some(data) = data.take() else {
                    return Ok(None);
                };
                let len = data.bytes().len();
                if *pos >= len {
                    return Ok(None);
                }
                let block = Block {
                    data,
                    range: *pos..len,
                    offset: self.offset,
                    first_line: self.next_line,
                };
                self.offset = len as u64;
                Ok(Some(block))
            }
            State::Stream(r, pending, eof) => {
                let mut buf = std::mem::take(pending);
                loop {
                    if !*eof && buf.len() < STREAM_BLOCK {
                        let start = buf.len();
                        buf.resize(STREAM_BLOCK.max(start + 64 * 1024), 0);
                        let n = read_some(r.as_mut(), &mut buf[start..], eof)?;
                        buf.truncate(start + n);
                    }
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    let cut = if *eof {
                        buf.len()
                    } else {
                        match memchr::memrchr(b'\n', &buf) {
                            Some(i) => i + 1,
                            None => {
                                // A line longer than a block: read more.
                                buf.reserve(STREAM_BLOCK);
                                let extra = buf.len();
                                buf.resize(extra + STREAM_BLOCK, 0);
                                let n = read_some(r.as_mut(), &mut buf[extra..], eof)?;
                                buf.truncate(extra + n);
                                continue;
                            }
                        }
                    };
                    *pending = buf[cut..].to_vec();
                    buf.truncate(cut);
                    let lines = memchr::memchr_iter(b'\n', &buf).count() as u64;
                    let len = buf.len();
                    let block = Block {
                        data: Arc::new(Data::Owned(buf)),
                        range: 0..len,
                        offset: self.offset,
                        first_line: self.next_line,
                    };
                    self.offset += len as u64;
                    self.next_line += lines;
                    return Ok(Some(block));
                }
            }
        }
    }
}

fn read_some(r: &mut dyn Read, buf: &mut [u8], eof: &mut bool) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => {
                *eof = true;
                break;
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn collect(source: &Source, start: u64) -> (Vec<u8>, Vec<(u64, u64)>) {
        let mut r = BlockReader::open(source, start).unwrap();
        let mut all = Vec::new();
        let mut marks = Vec::new();
        while let Some(b) = r.next_block().unwrap() {
            marks.push((b.offset, b.first_line));
            all.extend_from_slice(b.bytes());
        }
        (all, marks)
    }

    #[test]
    fn mapped_plain_and_gz_read_the_same_with_offsets() {
        let dir = std::env::temp_dir().join(format!("lpc-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text: Vec<u8> = (0..400_000)
            .flat_map(|i| format!("m f={i}i {i}\n").into_bytes())
            .collect();
        let plain = dir.join("a.lp");
        std::fs::write(&plain, &text).unwrap();
        let gz = dir.join("a.lp.gz");
        let mut enc =
            flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
        enc.write_all(&text).unwrap();
        enc.finish().unwrap();

        let (a, marks) = collect(&Source::File(plain.clone()), 0);
        assert_eq!(a, text);
        assert_eq!(marks, vec![(0, 1)]);
        let (b, marks) = collect(&Source::File(gz.clone()), 0);
        assert_eq!(b, text);
        assert!(marks.len() > 1, "{marks:?}");
        // Resume at the start of line 1001.
        let start = text
            .iter()
            .enumerate()
            .filter(|(_, &c)| c == b'\n')
            .nth(999)
            .unwrap()
            .0 as u64
            + 1;
        let (c, marks) = collect(&Source::File(plain), start);
        assert_eq!(c, &text[start as usize..]);
        assert_eq!(marks[0], (start, 1001));
        let (d, marks) = collect(&Source::File(gz), start);
        assert_eq!(d, &text[start as usize..]);
        assert_eq!(marks[0], (start, 1001));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_registered_stream_reads_like_a_file_resumes_and_unregisters() {
        let text: Vec<u8> = (0..1000)
            .flat_map(|i| format!("m f={i}i {i}\n").into_bytes())
            .collect();
        let id = Identity {
            path: "data.csv converted".into(),
            size: 1,
            mtime_ns: 2,
            head_hash: 3,
        };
        let make = |text: Vec<u8>, identity| StreamInput {
            name: "data.csv (converted)".into(),
            identity,
            open: Box::new(move || Ok(Box::new(io::Cursor::new(text)) as Box<dyn Read + Send>)),
        };
        let guard = make(text.clone(), Some(id.clone())).register();
        let source = guard.source();
        assert_eq!(source.display_name(), "data.csv (converted)");
        assert_eq!(source.size_hint(), None);
        let Source::File(key) = &source else {
            panic!("not a file source")
        };
        assert_eq!(Identity::of(key).unwrap(), id);
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
        // Opened once only.
        assert!(BlockReader::open(&source, 0).is_err());
        drop(guard);
        assert!(Identity::of(key).is_err());
        assert!(BlockReader::open(&source, 0).is_err());

        let unresumable = make(Vec::new(), None).register();
        let Source::File(key) = unresumable.source() else {
            panic!("not a file source")
        };
        assert_eq!(
            Identity::of(&key).unwrap_err().kind(),
            io::ErrorKind::Unsupported
        );
    }
}
