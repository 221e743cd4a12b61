//! Where finished line protocol and the other outputs of a run are written: standard output or
//! an [`OutputFile`] (`FILE.partial`, renamed into place when the run succeeds), after
//! [`check_outputs`] has made sure that no output is an input or another output; and small
//! files written whole ([`write_whole`]).

mod codec;
mod collisions;
mod file;
mod whole;

pub use codec::{Codec, Compression, Compressor};
pub use collisions::{
    check_outputs, file_outputs, reasons_path, rejects_outputs, replay_outputs, report_outputs,
    stdout_output, with_schema, Problem, Shown, UnusableOutput, STDOUT,
};
pub use file::{is_special, with_suffix, OutputError, OutputFile};
pub use whole::{check_writable, write_whole, NotWritable};

use std::io::{self, Write};
use std::path::Path;

/// Where converted lines go: standard output, or a file written through [`OutputFile`].
pub enum Output {
    /// Standard output.
    Stdout(io::StdoutLock<'static>),
    /// `-o FILE`.
    File(OutputFile),
}

impl Output {
    /// Opens the output: stdout when `None`, else `FILE.partial` (gzip when the name ends in
    /// `.gz`, zstd for `.zst`, at `level` or the codec's default; a level the codec does not
    /// have is an error), renamed into place by
    /// [`OutputFile::commit`].
    pub fn create(path: Option<&Path>, level: Option<i32>) -> Result<Output, OutputError> {
        Ok(match path {
            None => Output::Stdout(io::stdout().lock()),
            Some(p) => {
                let compression = Codec::of(p)
                    .map(|c| Compression::new(c, level))
                    .transpose()
                    .map_err(OutputError::Level)?;
                Output::File(OutputFile::create_compressed(p, compression)?)
            }
        })
    }

    /// How the output is compressed, if it is.
    pub fn compression(&self) -> Option<Compression> {
        match self {
            Output::Stdout(_) => None,
            Output::File(f) => f.compression(),
        }
    }

    /// Writes bytes already compressed as [`Output::compression`] says (whole members or
    /// frames); plain for standard output.
    pub fn write_compressed(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.write_all(bytes),
            Output::File(f) => f.write_compressed(bytes),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(buf),
            Output::File(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.write_all(buf),
            Output::File(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::File(w) => w.flush(),
        }
    }
}

/// A fresh, empty directory for a test.
#[cfg(test)]
pub(crate) fn test_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("lpconvert-paths-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
