//! Compressed inputs, read through transparently: the one place that knows which file names
//! are compressed and how to decompress them.

use flate2::read::MultiGzDecoder;
use std::io::{BufReader, Read};
use std::path::Path;

/// Bytes read from a compressed file at a time.
const COMPRESSED_READ: usize = 1 << 20;

/// The smallest buffer of a compressed file's reads: a smaller file gets a buffer of its own
/// size, not [`COMPRESSED_READ`] (zeroed before the first read, and a mapping of its own in
/// the allocator: for thousands of small `.gz` files, most of their cost).
const MIN_COMPRESSED_READ: usize = 8 << 10;

/// How an input is compressed, told by its file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed.
    None,
    /// gzip (`.gz`); every member of a multi-member file is read.
    Gzip,
    /// zstd (`.zst`); every frame of a multi-frame file is read.
    Zstd,
}

impl Compression {
    /// The compression of the file named `path`: gzip for a `.gz` extension, zstd for `.zst`
    /// (any case).
    pub fn of(path: &Path) -> Compression {
        match path.extension() {
            Some(e) if e.eq_ignore_ascii_case("gz") => Compression::Gzip,
            Some(e) if e.eq_ignore_ascii_case("zst") => Compression::Zstd,
            _ => Compression::None,
        }
    }

    /// `name` without the extension that says it is compressed (`data.csv.gz` -> `data.csv`).
    pub fn strip(name: &str) -> &str {
        match Compression::of(Path::new(name)) {
            Compression::Gzip => &name[..name.len() - ".gz".len()],
            Compression::Zstd => &name[..name.len() - ".zst".len()],
            Compression::None => name,
        }
    }

    /// The decompressed bytes of `r`, whose size is `size` when known. Decompression runs in
    /// the thread that reads (the conversion's producer, beside its workers).
    pub fn reader(self, r: impl Read + Send + 'static, size: Option<u64>) -> Box<dyn Read + Send> {
        if self == Compression::None {
            return Box::new(r);
        }
        let capacity = size.map_or(COMPRESSED_READ, |n| {
            usize::try_from(n)
                .unwrap_or(COMPRESSED_READ)
                .clamp(MIN_COMPRESSED_READ, COMPRESSED_READ)
        });
        let buffered = BufReader::with_capacity(capacity, r);
        match self {
            Compression::None | Compression::Gzip => Box::new(MultiGzDecoder::new(buffered)),
            Compression::Zstd => match zstd::stream::read::Decoder::with_buffer(buffered) {
                Ok(d) => Box::new(d),
                Err(e) => Box::new(Failed(Some(e))),
            },
        }
    }
}

/// A reader that fails with its error once, then ends.
pub(crate) struct Failed(pub(crate) Option<std::io::Error>);

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        self.0.take().map_or(Ok(0), Err)
    }
}

/// Whether `path` is read as gzip (by its `.gz` extension).
pub fn is_gz(path: &Path) -> bool {
    Compression::of(path) == Compression::Gzip
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(text: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(text).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn every_member_of_a_gz_is_read_and_names_say_the_compression() {
        let mut two = gz(b"a f=1i 1\n");
        two.extend(gz(b"b f=2i 2\n"));
        let mut out = String::new();
        Compression::Gzip
            .reader(std::io::Cursor::new(two), None)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "a f=1i 1\nb f=2i 2\n");
        assert!(is_gz(Path::new("a.lp.gz")) && is_gz(Path::new("A.LP.GZ")));
        assert!(!is_gz(Path::new("a.lp")) && !is_gz(Path::new("gz")));
        assert_eq!(Compression::strip("data.csv.GZ"), "data.csv");
        assert_eq!(Compression::strip("data.csv"), "data.csv");
    }

    #[test]
    fn every_frame_of_a_zst_is_read_and_names_say_the_compression() {
        let mut two = zstd::bulk::compress(b"a f=1i 1\n", 3).unwrap();
        two.extend(zstd::bulk::compress(b"b f=2i 2\n", 19).unwrap());
        let mut out = String::new();
        Compression::Zstd
            .reader(std::io::Cursor::new(two), None)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "a f=1i 1\nb f=2i 2\n");
        assert_eq!(Compression::of(Path::new("a.csv.ZST")), Compression::Zstd);
        assert_eq!(Compression::strip("data.ndjson.zst"), "data.ndjson");
        let mut bad = String::new();
        let err = Compression::Zstd
            .reader(std::io::Cursor::new(b"not zstd".to_vec()), None)
            .read_to_string(&mut bad)
            .unwrap_err();
        assert!(!err.to_string().is_empty());
    }
}
