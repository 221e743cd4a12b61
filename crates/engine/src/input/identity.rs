//! What identifies a regular file across runs (for `--checkpoint`): computed here only.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Bytes of the start of a file hashed into its identity.
const HEAD_BYTES: u64 = 64 * 1024;

/// A regular file as a later run can recognize it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileIdentity {
    /// The path as given, absolute when it could be resolved.
    pub path: String,
    /// File size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i128,
    /// [`fnv1a`] of the first 64 KiB.
    pub head_hash: u64,
}

/// The identity of the file at `path`. Only a regular file has one: the head of a pipe, FIFO
/// or device read here would never be read again, so anything else is refused
/// (`InvalidInput`) before a byte is read.
pub fn identify(path: &Path) -> io::Result<FileIdentity> {
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
    let mut head = Vec::with_capacity(HEAD_BYTES as usize);
    File::open(path)?.take(HEAD_BYTES).read_to_end(&mut head)?;
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Ok(FileIdentity {
        path: abs.to_string_lossy().into_owned(),
        size: meta.len(),
        mtime_ns,
        head_hash: fnv1a(&head),
    })
}

/// What makes the bytes of a conversion what they are, besides its input: the schema text,
/// the overrides and the converter's version, hashed with [`fnv1a`].
pub fn conversion_hash(schema_text: &str, overrides: &crate::Overrides<'_>) -> u64 {
    let mut bytes = schema_text.as_bytes().to_vec();
    for part in [
        overrides.format.unwrap_or(""),
        overrides.precision.unwrap_or(""),
        overrides.on_error.unwrap_or(""),
        env!("CARGO_PKG_VERSION"),
    ] {
        bytes.push(0);
        bytes.extend_from_slice(part.as_bytes());
    }
    fnv1a(&bytes)
}

/// The identity of the file at `path` converted with the schema file `schema`: the file's
/// (see [`identify`]), its path joined with the schema's and its head hash mixed with
/// `conversion` (a [`conversion_hash`]), so that a checkpoint of the converted stream is
/// not taken for one of the file itself or of another conversion.
pub fn identify_converted(path: &Path, schema: &Path, conversion: u64) -> io::Result<FileIdentity> {
    let mut id = identify(path)?;
    let schema_abs = std::fs::canonicalize(schema).unwrap_or_else(|_| schema.to_path_buf());
    id.path = format!("{} converted with {}", id.path, schema_abs.display());
    let mut mixed = id.head_hash.to_le_bytes().to_vec();
    mixed.extend_from_slice(&conversion.to_le_bytes());
    id.head_hash = fnv1a(&mixed);
    Ok(id)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_has_an_identity_and_a_directory_none() {
        let dir = std::env::temp_dir().join(format!("lpc-identity-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.lp");
        std::fs::write(&path, b"a f=1i 1\n").unwrap();
        let id = identify(&path).unwrap();
        assert_eq!(id.size, 9);
        assert_eq!(id.head_hash, fnv1a(b"a f=1i 1\n"));
        assert!(id.path.ends_with("a.lp"));
        let e = identify(&dir).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
