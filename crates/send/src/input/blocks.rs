//! Reading an input as [`Block`]s of whole lines: memory-mapped files in one block, streams
//! (stdin, `.gz`, [`StreamInput`](super::StreamInput)s) in blocks of a few MiB.

use super::{is_gz, Source};
use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::Arc;

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
        let mut reader = match source {
            Source::Stdin => Self::stream(Box::new(io::stdin())),
            Source::Stream(s) => Self::stream(s.open()?),
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
pub(super) mod tests {
    use super::*;
    use std::io::Write;

    /// Reads `source` from `start` to the end: (all bytes, each block's (offset, first line)).
    pub(in crate::input) fn collect(source: &Source, start: u64) -> (Vec<u8>, Vec<(u64, u64)>) {
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
}
