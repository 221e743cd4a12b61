//! Compressed output files: the codec a file name asks for, its level, and the compression of
//! one block of line protocol into an independent gzip member or zstd frame. Concatenated,
//! the blocks are one valid file that gzip, zcat, zstd and the usual libraries read whole, so
//! the conversion's workers compress their own chunks and the writer only concatenates.
//!
//! gzip members come from libdeflate (whole-buffer compression: at level 6 it was 3 to 4
//! times as fast as flate2's miniz_oxide and zlib-rs backends on line protocol, for a slightly
//! smaller output); zstd frames from the zstd library.

use std::io;
use std::path::Path;

/// The compression a file name asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// gzip (`.gz`).
    Gzip,
    /// zstd (`.zst`).
    Zstd,
}

impl Codec {
    /// The codec of a file named `path`: `.gz` or `.zst`, any case; `None` otherwise.
    pub fn of(path: &Path) -> Option<Codec> {
        let ext = path.extension()?;
        if ext.eq_ignore_ascii_case("gz") {
            Some(Codec::Gzip)
        } else if ext.eq_ignore_ascii_case("zst") {
            Some(Codec::Zstd)
        } else {
            None
        }
    }

    /// The level used when none is given: gzip 6 (gzip's and pigz's default), zstd 3 (zstd's).
    pub fn default_level(self) -> i32 {
        match self {
            Codec::Gzip => 6,
            Codec::Zstd => 3,
        }
    }

    /// The levels accepted: gzip 0 (stored) to 12 (libdeflate's slowest), zstd 1 to 19.
    pub fn levels(self) -> std::ops::RangeInclusive<i32> {
        match self {
            Codec::Gzip => 0..=12,
            Codec::Zstd => 1..=19,
        }
    }

    /// The codec's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Zstd => "zstd",
        }
    }
}

/// A codec and a level checked against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compression {
    codec: Codec,
    level: i32,
}

impl Compression {
    /// `codec` at `level` (its default when `None`); an error names the levels accepted.
    pub fn new(codec: Codec, level: Option<i32>) -> Result<Compression, String> {
        let level = level.unwrap_or_else(|| codec.default_level());
        let levels = codec.levels();
        if !levels.contains(&level) {
            return Err(format!(
                "--compression-level {level} is not a {} level: use {} to {}",
                codec.name(),
                levels.start(),
                levels.end()
            ));
        }
        Ok(Compression { codec, level })
    }

    /// `codec` at its default level.
    pub fn default_of(codec: Codec) -> Compression {
        Compression {
            codec,
            level: codec.default_level(),
        }
    }

    /// The codec.
    pub fn codec(self) -> Codec {
        self.codec
    }

    /// The level.
    pub fn level(self) -> i32 {
        self.level
    }
}

enum Engine {
    Gzip(libdeflater::Compressor),
    Zstd(zstd::bulk::Compressor<'static>),
}

/// Compresses blocks into independent gzip members or zstd frames; one per thread.
pub struct Compressor {
    engine: Engine,
}

impl Compressor {
    /// A compressor for `c`.
    pub fn new(c: Compression) -> io::Result<Compressor> {
        let engine = match c.codec {
            Codec::Gzip => {
                let level = libdeflater::CompressionLvl::new(c.level)
                    .map_err(|e| io::Error::other(format!("gzip level {}: {e:?}", c.level)))?;
                Engine::Gzip(libdeflater::Compressor::new(level))
            }
            Codec::Zstd => Engine::Zstd(zstd::bulk::Compressor::new(c.level)?),
        };
        Ok(Compressor { engine })
    }

    /// Appends `plain` to `out` as one gzip member or zstd frame (an empty one for no bytes).
    pub fn compress(&mut self, plain: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        let start = out.len();
        let n = match &mut self.engine {
            Engine::Gzip(c) => {
                out.resize(start + c.gzip_compress_bound(plain.len()), 0);
                c.gzip_compress(plain, &mut out[start..])
                    .map_err(|e| io::Error::other(format!("gzip: {e}")))?
            }
            Engine::Zstd(c) => {
                out.resize(start + zstd::zstd_safe::compress_bound(plain.len()), 0);
                c.compress_to_buffer(plain, &mut out[start..])?
            }
        };
        out.truncate(start + n);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn members(c: Compression, blocks: &[&[u8]]) -> Vec<u8> {
        let mut z = Compressor::new(c).unwrap();
        let mut out = Vec::new();
        for b in blocks {
            z.compress(b, &mut out).unwrap();
        }
        out
    }

    #[test]
    fn concatenated_blocks_read_back_whole_at_every_level() {
        let text: Vec<u8> = (0..5000)
            .flat_map(|i| format!("cpu,host=h{} usage={i}i {i}\n", i % 7).into_bytes())
            .collect();
        let (a, b) = text.split_at(text.len() / 3);
        for codec in [Codec::Gzip, Codec::Zstd] {
            for level in codec.levels() {
                let c = Compression::new(codec, Some(level)).unwrap();
                let out = members(c, &[a, b"", b]);
                let mut back = Vec::new();
                match codec {
                    Codec::Gzip => flate2::read::MultiGzDecoder::new(&out[..])
                        .read_to_end(&mut back)
                        .unwrap(),
                    Codec::Zstd => zstd::stream::read::Decoder::new(&out[..])
                        .unwrap()
                        .read_to_end(&mut back)
                        .unwrap(),
                };
                assert_eq!(back, text, "{codec:?} level {level}");
            }
        }
    }

    #[test]
    fn names_say_the_codec_and_levels_are_checked() {
        assert_eq!(Codec::of(Path::new("a.lp.GZ")), Some(Codec::Gzip));
        assert_eq!(Codec::of(Path::new("a.lp.zst")), Some(Codec::Zstd));
        assert_eq!(Codec::of(Path::new("a.lp.ZST")), Some(Codec::Zstd));
        assert_eq!(Codec::of(Path::new("a.lp")), None);
        assert_eq!(Codec::of(Path::new("gz")), None);
        assert_eq!(Compression::new(Codec::Gzip, None).unwrap().level(), 6);
        assert_eq!(Compression::new(Codec::Zstd, None).unwrap().level(), 3);
        let e = Compression::new(Codec::Gzip, Some(13)).unwrap_err();
        assert!(e.contains("use 0 to 12"), "{e}");
        assert!(Compression::new(Codec::Zstd, Some(0)).is_err());
    }
}
