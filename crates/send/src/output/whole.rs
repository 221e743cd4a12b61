//! A small file written whole or not at all (the replay's `--report`): through `FILE.tmp`,
//! renamed into place.

use super::file::with_suffix;
use std::io;
use std::path::Path;

/// Why a file cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum NotWritable {
    /// Its temporary file cannot be created.
    #[error("cannot be written: check that its directory exists and is writable")]
    Create(#[source] io::Error),
    /// Its temporary file cannot be removed.
    #[error(transparent)]
    Remove(io::Error),
}

/// Checks that `path` can be written: creates (and removes) its temporary file.
pub fn check_writable(path: &Path) -> Result<(), NotWritable> {
    let tmp = with_suffix(path, ".tmp");
    std::fs::File::create(&tmp).map_err(NotWritable::Create)?;
    std::fs::remove_file(&tmp).map_err(NotWritable::Remove)
}

/// Writes `path` through its temporary file, so that it is never left half written.
pub fn write_whole(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = with_suffix(path, ".tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
