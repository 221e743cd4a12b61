//! Decoding an input to UTF-8 before it is parsed (the schema's top-level `encoding`, or a
//! UTF-16 byte order mark): a streaming reader, so a UTF-16 code unit or surrogate pair split
//! across reads decodes correctly and memory stays bounded. Everything after this layer
//! (chunking, line numbers, byte columns, rejects files) sees the decoded UTF-8 text.

use super::{Input, InputData};
use crate::mapguard::MappedFile;
use encoding_rs::{Decoder, DecoderResult, UTF_16BE, UTF_16LE, WINDOWS_1252};
use lpconvert_schema::TextEncoding;
use std::io::{self, Read};

/// Bytes read from the undecoded input at a time.
const RAW_READ: usize = 64 * 1024;

/// `input` decoded to UTF-8 as `declared` says, or as its UTF-16 byte order mark says
/// (recognised unless `declared` is a single-byte encoding). UTF-8 input is returned as it
/// is (still mapped when it was); anything else becomes a stream of UTF-8 without the mark.
pub fn decode(input: Input, declared: TextEncoding) -> io::Result<Input> {
    let Input { data, name, size } = input;
    let data = match data {
        InputData::Mapped(map) => match choose(declared, &map) {
            None => InputData::Mapped(map),
            Some((kind, bom)) => InputData::Stream(Box::new(Decoding::new(
                MapReader {
                    map,
                    pos: bom,
                    name: name.clone(),
                },
                kind,
            ))),
        },
        InputData::Stream(mut reader) => {
            let (head, got) = read_head(&mut reader)?;
            match choose(declared, &head[..got]) {
                None => InputData::Stream(Box::new(
                    io::Cursor::new(head[..got].to_vec()).chain(reader),
                )),
                Some((kind, bom)) => InputData::Stream(Box::new(Decoding::new(
                    io::Cursor::new(head[bom..got].to_vec()).chain(reader),
                    kind,
                ))),
            }
        }
    };
    // The decoded size is not known before reading: progress shows no percentage.
    let decoded = matches!(data, InputData::Stream(_)) && size.is_some();
    Ok(Input {
        size: if decoded { None } else { size },
        data,
        name,
    })
}

/// Whether the file at `path` is decoded to UTF-8 before it is read (as [`decode`] would
/// decide from `declared` and its first bytes): such a file cannot be cut into byte ranges.
/// `false` when it cannot be read (opening it reports that).
pub fn decodes_file(path: &str, declared: TextEncoding) -> bool {
    std::fs::File::open(path)
        .and_then(|mut f| read_head(&mut f))
        .is_ok_and(|(head, got)| choose(declared, &head[..got]).is_some())
}

/// The first two bytes of `r` (fewer at its end), where a byte order mark would be.
fn read_head(r: &mut impl Read) -> io::Result<([u8; 2], usize)> {
    let mut head = [0u8; 2];
    let mut got = 0;
    while got < head.len() {
        match r.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((head, got))
}

/// The encoding a UTF-16 byte order mark at the start of `head` names, if any.
pub fn bom_encoding(head: &[u8]) -> Option<TextEncoding> {
    match head {
        [0xFF, 0xFE, ..] => Some(TextEncoding::Utf16Le),
        [0xFE, 0xFF, ..] => Some(TextEncoding::Utf16Be),
        _ => None,
    }
}

/// How to decode, and the length of the byte order mark to drop; `None` for UTF-8.
fn choose(declared: TextEncoding, head: &[u8]) -> Option<(Kind, usize)> {
    let (enc, bom) = match bom_encoding(head).filter(|_| declared.sniffs_bom()) {
        Some(e) => (e, 2),
        None => (declared, 0),
    };
    let kind = match enc {
        TextEncoding::Utf8 => return None,
        TextEncoding::Utf16Le => Kind::Standard(UTF_16LE.new_decoder_without_bom_handling()),
        TextEncoding::Utf16Be => Kind::Standard(UTF_16BE.new_decoder_without_bom_handling()),
        TextEncoding::Windows1252 => {
            Kind::Standard(WINDOWS_1252.new_decoder_without_bom_handling())
        }
        TextEncoding::Latin1 => Kind::Latin1,
    };
    Some((kind, bom))
}

/// A decoder. encoding_rs's "ISO-8859-1" label is windows-1252 (the WHATWG standard), so
/// latin1 (each byte is the code point of the same number) is mapped here.
enum Kind {
    Standard(Decoder),
    Latin1,
}

/// A reader of UTF-8 decoded from `inner`.
struct Decoding<R> {
    inner: R,
    kind: Kind,
    raw: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    /// Undecoded bytes consumed so far (for the offset of a malformed sequence).
    consumed: u64,
    done: bool,
}

impl<R: Read> Decoding<R> {
    fn new(inner: R, kind: Kind) -> Self {
        Decoding {
            inner,
            kind,
            raw: vec![0; RAW_READ],
            out: Vec::new(),
            out_pos: 0,
            consumed: 0,
            done: false,
        }
    }

    /// Reads one block of undecoded bytes and decodes it into `out`.
    fn refill(&mut self) -> io::Result<()> {
        let n = loop {
            match self.inner.read(&mut self.raw) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        let last = n == 0;
        let src = &self.raw[..n];
        self.out.clear();
        self.out_pos = 0;
        match &mut self.kind {
            Kind::Latin1 => {
                for &b in src {
                    if b < 0x80 {
                        self.out.push(b);
                    } else {
                        self.out
                            .extend_from_slice(&[0xC0 | (b >> 6), 0x80 | (b & 0x3F)]);
                    }
                }
            }
            Kind::Standard(decoder) => {
                let room = decoder
                    .max_utf8_buffer_length_without_replacement(n)
                    .unwrap_or(n.saturating_mul(3).saturating_add(16));
                self.out.resize(room, 0);
                let (result, read, written) =
                    decoder.decode_to_utf8_without_replacement(src, &mut self.out, last);
                self.out.truncate(written);
                if let DecoderResult::Malformed(bad, after) = result {
                    let at = self.consumed + read as u64 - u64::from(bad) - u64::from(after);
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "byte {at} (undecoded input): not valid {} (an unpaired surrogate \
                             or an odd last byte): check the schema's `encoding`",
                            decoder.encoding().name()
                        ),
                    ));
                }
                // A large enough buffer decodes the whole block (a split code unit or
                // surrogate pair is kept by the decoder for the next block).
                debug_assert_eq!(read, n);
            }
        }
        self.consumed += n as u64;
        self.done = last;
        Ok(())
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_pos >= self.out.len() {
            if self.done || buf.is_empty() {
                return Ok(0);
            }
            self.refill()?;
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

/// A mapped file read as a stream; at its end, a change while read is an error.
struct MapReader {
    map: MappedFile,
    pos: usize,
    name: String,
}

impl Read for MapReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let data: &[u8] = &self.map;
        let n = buf.len().min(data.len().saturating_sub(self.pos));
        buf[..n].copy_from_slice(&data[self.pos..self.pos + n]);
        self.pos += n;
        if n == 0 && !buf.is_empty() {
            self.map.check(&self.name).map_err(io::Error::other)?;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
