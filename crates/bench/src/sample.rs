//! The `--from` sample of `lpconvert bench`: up to 512 MiB of a line-protocol file (`.gz`
//! decompressed), cut after its last whole line, read once before the run.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The sample could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    /// The file could not be opened.
    #[error("cannot open {}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        error: io::Error,
    },
    /// Reading failed.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        error: io::Error,
    },
    /// A line longer than [`MAX_SAMPLE_LINE`].
    #[error("{}: line {line} is longer than {} MiB (no line end found): this is not line protocol", path.display(), MAX_SAMPLE_LINE >> 20)]
    LongLine {
        /// The file.
        path: PathBuf,
        /// Its number, from 1.
        line: usize,
    },
    /// The file changed while it was read.
    #[error("{} changed while being read (its size or modification time changed): nothing was sent; bench a copy, or wait until the writer is done", path.display())]
    Changed {
        /// The file.
        path: PathBuf,
    },
}

/// Most bytes of a line-protocol `--from` file kept in memory.
pub const MAX_SAMPLE_BYTES: u64 = 512 << 20;

/// Longest line of a line-protocol `--from` file: a longer one (no LF found, `/dev/zero`) is
/// an error, not 512 MiB read and echoed in a message.
pub const MAX_SAMPLE_LINE: usize = 64 << 20;

/// Reads up to [`MAX_SAMPLE_BYTES`] of a line-protocol file (`.gz` decompressed), cut after
/// the last whole line. A regular file that changes while
/// it is read (a cut line would be looped as data) is an error.
pub fn read_sample(path: &Path) -> Result<Vec<u8>, SampleError> {
    let f = std::fs::File::open(path).map_err(|error| SampleError::Open {
        path: path.to_owned(),
        error,
    })?;
    let stamp = |f: &std::fs::File| {
        f.metadata()
            .ok()
            .filter(std::fs::Metadata::is_file)
            .map(|m| (m.len(), m.modified().ok()))
    };
    let before = stamp(&f);
    let watch = f.try_clone().ok();
    let mut reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(io::BufReader::new(f)))
    } else {
        Box::new(f)
    };
    let mut data = Vec::new();
    let mut lines = 0usize;
    // Where the line being read starts.
    let mut line_start = 0usize;
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => {
                return Err(SampleError::Read {
                    path: path.to_owned(),
                    error,
                })
            }
        };
        let room = usize::try_from(MAX_SAMPLE_BYTES).unwrap_or(usize::MAX) - data.len();
        let from = data.len();
        data.extend_from_slice(&chunk[..n.min(room)]);
        for (i, _) in data[from..].iter().enumerate().filter(|(_, &b)| b == b'\n') {
            lines += 1;
            line_start = from + i + 1;
        }
        if data.len() - line_start > MAX_SAMPLE_LINE {
            return Err(SampleError::LongLine {
                path: path.to_owned(),
                line: lines + 1,
            });
        }
        if n > room || data.len() as u64 == MAX_SAMPLE_BYTES {
            // Full: cut after the last whole line.
            data.truncate(line_start);
            break;
        }
    }
    finish_sample(path, data, before, watch.as_ref().and_then(stamp))
}

/// The sample, unless the file changed while it was read.
fn finish_sample(
    path: &Path,
    data: Vec<u8>,
    before: Option<(u64, Option<SystemTime>)>,
    after: Option<(u64, Option<SystemTime>)>,
) -> Result<Vec<u8>, SampleError> {
    if before != after {
        return Err(SampleError::Changed {
            path: path.to_owned(),
        });
    }
    Ok(data)
}
