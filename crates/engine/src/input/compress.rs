//! Compressed inputs, read through transparently: the one place that knows which file names
//! are compressed and how to decompress them.

use flate2::read::MultiGzDecoder;
use std::io::{BufReader, Read};
use std::path::Path;

/// Bytes read from a compressed file at a time.
const COMPRESSED_READ: usize = 1 << 20;

/// How an input is compressed, told by its file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed.
    None,
    /// gzip (`.gz`); every member of a multi-member file is read.
    Gzip,
}

impl Compression {
    /// The compression of the file named `path`: gzip for a `.gz` extension (any case).
    pub fn of(path: &Path) -> Compression {
        match path.extension() {
            Some(e) if e.eq_ignore_ascii_case("gz") => Compression::Gzip,
            _ => Compression::None,
        }
    }

    /// `name` without the extension that says it is compressed (`data.csv.gz` -> `data.csv`).
    pub fn strip(name: &str) -> &str {
        match Compression::of(Path::new(name)) {
            Compression::Gzip => &name[..name.len() - ".gz".len()],
            Compression::None => name,
        }
    }

    /// The decompressed bytes of `r`.
    pub fn reader(self, r: impl Read + Send + 'static) -> Box<dyn Read + Send> {
        match self {
            Compression::None => Box::new(r),
            Compression::Gzip => Box::new(MultiGzDecoder::new(BufReader::with_capacity(
                COMPRESSED_READ,
                r,
            ))),
        }
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
            .reader(std::io::Cursor::new(two))
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "a f=1i 1\nb f=2i 2\n");
        assert!(is_gz(Path::new("a.lp.gz")) && is_gz(Path::new("A.LP.GZ")));
        assert!(!is_gz(Path::new("a.lp")) && !is_gz(Path::new("gz")));
        assert_eq!(Compression::strip("data.csv.GZ"), "data.csv");
        assert_eq!(Compression::strip("data.csv"), "data.csv");
    }
}
