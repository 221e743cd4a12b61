//! An output file written under `FILE.partial` (created already locked) and renamed into place
//! only when the run succeeds, so that a failed run leaves the previous file as it was; and
//! the path helpers it and the collision checks ([`super::collisions`]) share.

use super::codec::{Codec, Compression, Compressor};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// `path` with `suffix` appended to its file name (`out.lp` + `.partial`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The file `path` names once its symbolic links are followed, even when the last one points
/// to a file still to be created (a dangling link): that file is written, the links stay.
pub(crate) fn resolve(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let mut p = path.to_path_buf();
    // At most 40 links, as the kernel follows.
    for _ in 0..40 {
        match std::fs::read_link(&p) {
            Ok(t) if t.is_absolute() => p = t,
            Ok(t) => p = p.parent().map_or_else(|| t.clone(), |d| d.join(&t)),
            Err(_) => break,
        }
    }
    p
}

/// A name of an open descriptor (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`): written in
/// place, appending, whatever file the descriptor is (`-o /dev/stdout >> log` keeps the log).
pub(crate) fn is_descriptor(path: &Path) -> bool {
    let Some(s) = path.to_str() else {
        return false;
    };
    if matches!(s, "/dev/stdout" | "/dev/stderr") || s.starts_with("/dev/fd/") {
        return true;
    }
    let Some(rest) = s.strip_prefix("/proc/") else {
        return false;
    };
    let (proc, fd) = rest.split_once('/').unwrap_or((rest, ""));
    let proc_ok =
        matches!(proc, "self" | "thread-self") || proc.bytes().all(|b| b.is_ascii_digit());
    proc_ok && fd.starts_with("fd/")
}

/// An io::Error's text without the `(os error N)` tail.
pub(crate) fn cause(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// An existing file that is neither a regular file nor a directory (/dev/null, a FIFO): written
/// in place, without a partial file.
pub fn is_special(path: &Path) -> bool {
    is_descriptor(path) || std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Why an output file could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A device, FIFO or descriptor could not be opened.
    #[error("cannot open {}: {}", path.display(), cause(error))]
    Open {
        /// The file named.
        path: PathBuf,
        /// Why.
        error: io::Error,
    },
    /// The file exists and is read-only: it is not replaced behind the user's back.
    #[error("{} is read-only: make it writable (chmod u+w) or choose another file", .0.display())]
    ReadOnly(PathBuf),
    /// A compression level its codec does not have.
    #[error("{0}")]
    Level(String),
    /// Its partial file is held by another run.
    #[error("{} is being written by another run: wait for it to end, or choose another file", .0.display())]
    Busy(PathBuf),
    /// Its partial file could not be created.
    #[error("cannot create {} (written there, then renamed to {}): {}; choose a writable place", partial.display(), path.display(), cause(error))]
    Create {
        /// The partial file.
        partial: PathBuf,
        /// The file named.
        path: PathBuf,
        /// Why.
        error: io::Error,
    },
}

/// Plain bytes gathered before they are compressed as one member or frame.
const PLAIN_BLOCK: usize = 1 << 20;

/// How a compressed file is written: bytes given plain are gathered and compressed by
/// blocks; bytes given compressed ([`OutputFile::write_compressed`]) are written as they are.
struct Compressed {
    compression: Compression,
    /// Created on the first plain block.
    compressor: Option<Compressor>,
    plain: Vec<u8>,
    scratch: Vec<u8>,
    /// Whether a member or frame was written: a file without any gets an empty one.
    any: bool,
}

/// When [`OutputFile::compress_plain`] compresses what it gathered.
#[derive(Clone, Copy)]
enum When {
    /// Once it makes a block.
    Block,
    /// Now, if there is any.
    Now,
    /// At the end of the file.
    End,
}

/// A file written under `FILE.partial` (gzip when the name ends in `.gz`, zstd for `.zst`) and
/// renamed to `FILE` by [`OutputFile::commit`]. A device or FIFO is written in place. Dropped
/// without a commit or [`OutputFile::keep_partial`], the partial file is removed (kept in a
/// panic).
pub struct OutputFile {
    w: BufWriter<File>,
    compressed: Option<Compressed>,
    target: PathBuf,
    /// `None` when written in place.
    partial: Option<PathBuf>,
    settled: bool,
    /// Whether any byte was written: an empty partial file is removed, not kept.
    wrote: bool,
}

/// Why a partial file could not be claimed.
enum Claim {
    /// Another run holds it locked.
    Busy,
    /// It could not be created.
    Io(io::Error),
}

/// Creates `partial` already locked, so that a second run never sees it unlocked: the file
/// is created and locked under a name of this process's own, then hard-linked to `partial`
/// (which fails when the name exists). A partial file left by a run that ended is taken
/// over only while its lock is held by this run, so two runs cannot both take it over. On a
/// file system without hard links the file is renamed into place instead.
fn create_locked(partial: &Path, opts: &std::fs::OpenOptions) -> Result<File, Claim> {
    static CLAIMS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = CLAIMS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let own = own_name(partial, std::process::id(), n);
    let _ = std::fs::remove_file(&own);
    let f = opts.open(&own).map_err(Claim::Io)?;
    // Held until the process ends: tells a second run that the file is in use.
    let _ = f.try_lock();
    let result = loop {
        match std::fs::hard_link(&own, partial) {
            Ok(()) => break Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let stale = match File::open(partial) {
                    Ok(f) => f,
                    // Gone since: try the link again.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => break Err(Claim::Io(e)),
                };
                if let Err(std::fs::TryLockError::WouldBlock) = stale.try_lock() {
                    break Err(Claim::Busy);
                }
                // Locked by this run now: no other run removes it meanwhile.
                if let Err(e) = std::fs::remove_file(partial) {
                    if e.kind() != io::ErrorKind::NotFound {
                        break Err(Claim::Io(e));
                    }
                }
            }
            Err(_) => {
                if let Ok(existing) = File::open(partial) {
                    if let Err(std::fs::TryLockError::WouldBlock) = existing.try_lock() {
                        break Err(Claim::Busy);
                    }
                }
                break std::fs::rename(&own, partial).map_err(Claim::Io);
            }
        }
    };
    let _ = std::fs::remove_file(&own);
    result.map(|()| f)
}

/// The name a run creates `partial` under before linking it into place: `PARTIAL.PID.N.tmp`
/// beside it, or `.lpconvert.PID.N.tmp` in its directory when that name would be longer than
/// a file name may be (255 bytes), so that every name that takes a `.partial` works.
fn own_name(partial: &Path, pid: u32, n: u64) -> PathBuf {
    let tail = format!(".{pid}.{n}.tmp");
    let fits = partial
        .file_name()
        .is_some_and(|f| f.len() + tail.len() <= 255);
    if fits {
        with_suffix(partial, &tail)
    } else {
        partial.with_file_name(format!(".lpconvert{tail}"))
    }
}

impl OutputFile {
    /// Creates `path.partial` (or opens `path` itself when it is not a regular file),
    /// compressed at the codec's default level when its name asks for it.
    pub fn create(path: &Path) -> Result<OutputFile, OutputError> {
        OutputFile::create_compressed(path, Codec::of(path).map(Compression::default_of))
    }

    /// Creates `path.partial` (or opens `path` itself when it is not a regular file), written
    /// compressed as `compression` says.
    pub fn create_compressed(
        path: &Path,
        compression: Option<Compression>,
    ) -> Result<OutputFile, OutputError> {
        let special = is_special(path);
        let (file, target, partial) = if special {
            // Appending: a descriptor onto a regular file (`>> log`) keeps what it holds.
            let f = std::fs::OpenOptions::new()
                .append(true)
                .open(path)
                .map_err(|error| OutputError::Open {
                    path: path.to_path_buf(),
                    error,
                })?;
            (f, path.to_path_buf(), None)
        } else {
            // Follow a symlink: the file it points to is replaced, the link stays.
            let target = resolve(path);
            let partial = with_suffix(&target, ".partial");
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            if let Ok(m) = std::fs::metadata(&target) {
                if m.permissions().readonly() {
                    return Err(OutputError::ReadOnly(path.to_path_buf()));
                }
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(m.mode() & 0o7777);
            }
            let f = create_locked(&partial, &opts).map_err(|e| match e {
                Claim::Busy => OutputError::Busy(partial.clone()),
                Claim::Io(error) => OutputError::Create {
                    partial: partial.clone(),
                    path: path.to_path_buf(),
                    error,
                },
            })?;
            (f, target, Some(partial))
        };
        let w = BufWriter::with_capacity(1 << 20, file);
        Ok(OutputFile {
            w,
            compressed: compression.map(|compression| Compressed {
                compression,
                compressor: None,
                plain: Vec::new(),
                scratch: Vec::new(),
                any: false,
            }),
            target,
            partial,
            settled: false,
            wrote: false,
        })
    }

    /// How the file is compressed, if it is.
    pub fn compression(&self) -> Option<Compression> {
        self.compressed.as_ref().map(|c| c.compression)
    }

    /// Writes bytes already compressed as this file's compression (whole gzip members or
    /// zstd frames, e.g. made by the conversion's workers), after any plain bytes given before.
    pub fn write_compressed(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.wrote |= !bytes.is_empty();
        // Plain bytes given before come first.
        self.compress_plain(When::Now)?;
        if let Some(c) = &mut self.compressed {
            c.any |= !bytes.is_empty();
        }
        self.w.write_all(bytes)
    }

    /// Compresses the plain bytes gathered as one member or frame: when they make a block, or
    /// at `When::Now` any there are, or at `When::End` also an empty one for a file without
    /// any (a valid empty file).
    fn compress_plain(&mut self, when: When) -> io::Result<()> {
        let Some(c) = &mut self.compressed else {
            return Ok(());
        };
        let due = match when {
            When::Block => c.plain.len() >= PLAIN_BLOCK,
            When::Now => !c.plain.is_empty(),
            When::End => !c.plain.is_empty() || !c.any,
        };
        if !due {
            return Ok(());
        }
        let z = match &mut c.compressor {
            Some(z) => z,
            None => c.compressor.insert(Compressor::new(c.compression)?),
        };
        c.scratch.clear();
        z.compress(&c.plain, &mut c.scratch)?;
        c.plain.clear();
        c.any = true;
        self.w.write_all(&c.scratch)
    }

    /// Ends the compressed stream and flushes everything to the file.
    fn finish(&mut self) -> io::Result<&File> {
        self.compress_plain(When::End)?;
        self.w.flush()?;
        Ok(self.w.get_ref())
    }

    /// Flushes everything and syncs the partial file: what can fail before a rename, so that
    /// the files of a run are all written before any is put in place.
    pub fn prepare(&mut self) -> io::Result<()> {
        let partial = self.partial.is_some();
        let f = self.finish()?;
        if partial {
            f.sync_all()?;
        }
        Ok(())
    }

    /// Flushes, syncs and renames the partial file to its name.
    pub fn commit(mut self) -> io::Result<()> {
        self.settled = true;
        self.prepare()?;
        if let Some(p) = &self.partial {
            std::fs::rename(p, &self.target)?;
        }
        Ok(())
    }

    /// Flushes and keeps the partial file; returns its name (`None` when written in place).
    /// A partial file that nothing was written to is removed instead (returns `None`).
    pub fn keep_partial(mut self) -> Option<PathBuf> {
        self.settled = true;
        let _ = self.finish();
        let partial = self.partial.take()?;
        if self.wrote {
            Some(partial)
        } else {
            let _ = std::fs::remove_file(&partial);
            None
        }
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.wrote |= !buf.is_empty();
        match &mut self.compressed {
            None => self.w.write_all(buf),
            Some(c) => {
                c.plain.extend_from_slice(buf);
                self.compress_plain(When::Block)
            }
        }
    }

    /// Flushes what is written; plain bytes gathered for compression wait for their block.
    fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        if std::thread::panicking() {
            // A crash: what was written stays beside the untouched previous file.
            if self.finish().is_ok() {
                if let Some(p) = &self.partial {
                    let _ = writeln!(
                        std::io::stderr().lock(),
                        "lpconvert: what was written is kept in {}",
                        p.display()
                    );
                }
            }
        } else if let Some(p) = &self.partial {
            // Given up before it was used (another output could not be created).
            let _ = std::fs::remove_file(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::test_dir as dir;

    #[test]
    fn of_runs_starting_on_one_output_at_once_exactly_one_gets_it() {
        // The partial file used to be created, then locked: a second run seeing it in
        // between took it for a leftover, removed it and wrote its own, so that both wrote and
        // the first to end renamed the other's unfinished file into place.
        let d = dir("claim");
        let p = d.join("o.lp");
        for round in 0..200 {
            let barrier = std::sync::Barrier::new(6);
            let won = std::thread::scope(|s| {
                let runs: Vec<_> = (0..6)
                    .map(|_| {
                        s.spawn(|| {
                            barrier.wait();
                            OutputFile::create(&p).ok()
                        })
                    })
                    .collect();
                let files: Vec<_> = runs.into_iter().filter_map(|r| r.join().unwrap()).collect();
                files.len()
            });
            assert_eq!(won, 1, "round {round}: {won} runs got the same output");
            let _ = std::fs::remove_file(d.join("o.lp.partial"));
        }
        let left: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "{left:?}");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_name_that_takes_a_partial_suffix_is_written_however_long() {
        // The run's own temporary name (`PARTIAL.PID.N.tmp`) was longer than a file name may
        // be for names of about 236 bytes and more, which the run before it wrote fine: the
        // run failed with "File name too long".
        let d = dir("long");
        let p = d.join(format!("{}.lp", "x".repeat(255 - ".lp.partial".len() - 3)));
        let mut f = OutputFile::create(&p).unwrap();
        f.write_all(b"new").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        let left: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left.len(), 1, "{left:?}");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn plain_and_compressed_writes_keep_their_order_in_a_compressed_file() {
        let d = dir("mixed");
        for (name, codec) in [("o.lp.gz", Codec::Gzip), ("o.lp.zst", Codec::Zstd)] {
            let p = d.join(name);
            let c = Compression::default_of(codec);
            let mut f = OutputFile::create(&p).unwrap();
            assert_eq!(f.compression(), Some(c));
            let mut z = Compressor::new(c).unwrap();
            let mut member = Vec::new();
            z.compress(b"b 2\n", &mut member).unwrap();
            f.write_all(b"a 1\n").unwrap();
            f.write_compressed(&member).unwrap();
            f.write_all(b"c 3\n").unwrap();
            f.commit().unwrap();
            let bytes = std::fs::read(&p).unwrap();
            let mut text = Vec::new();
            match codec {
                Codec::Gzip => {
                    std::io::Read::read_to_end(
                        &mut flate2::read::MultiGzDecoder::new(&bytes[..]),
                        &mut text,
                    )
                    .unwrap();
                }
                Codec::Zstd => text = zstd::stream::decode_all(&bytes[..]).unwrap(),
            }
            assert_eq!(text, b"a 1\nb 2\nc 3\n", "{name}");
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_commit_replaces_and_a_drop_leaves_the_old_file() {
        let d = dir("commit");
        let p = d.join("o.lp");
        std::fs::write(&p, "old").unwrap();
        let mut f = OutputFile::create(&p).unwrap();
        f.write_all(b"new").unwrap();
        drop(f);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        assert!(!d.join("o.lp.partial").exists());
        let mut f = OutputFile::create(&p).unwrap();
        f.write_all(b"new").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        // A read-only file stays read-only: not replaced behind the user's back.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o444)).unwrap();
        assert!(OutputFile::create(&p).is_err());
        let _ = std::fs::remove_dir_all(&d);
    }
}
