//! A replay shard's inputs: the line-protocol files (or byte ranges of them, cut after a line
//! feed) its part gives it, as send's [`Source`]s.

use lpconvert_engine::input::{self, Watched};
use lpconvert_engine::shard::{lp_range, Part, Take};
use lpconvert_send::input::{Identity, Open, Opened, SeekRead, Source, Watch};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::OnceLock;

/// The sources of a line-protocol replay for `part` of `inputs`: whole files, and the lines
/// that start in a shard's byte range of the others (a file with no line there is left out).
pub fn replay_sources(inputs: &[String], part: &Part) -> anyhow::Result<Vec<Source>> {
    let mut sources = Vec::new();
    for (i, (path, take)) in inputs.iter().zip(&part.takes).enumerate() {
        match *take {
            Take::Skip => {}
            Take::Whole => sources.push(crate::inputs::line_protocol(path)),
            Take::Range { lo, hi, owner } => {
                let size = part.sizes.get(i).copied().unwrap_or(0);
                let mut file =
                    File::open(path).map_err(|e| anyhow::anyhow!("cannot open {path}: {e}"))?;
                let (start, end) = lp_range(&mut file, lo, hi, size)
                    .map_err(|e| anyhow::anyhow!("cannot read {path}: {e}"))?;
                if start == 0 && end == size {
                    sources.push(crate::inputs::line_protocol(path));
                } else if start < end || owner {
                    let name = format!("{path} (bytes {start}..{end})");
                    let range = Range {
                        path: path.clone(),
                        start,
                        end,
                        name: name.clone(),
                        first_line: OnceLock::new(),
                    };
                    sources.push(Source::new(name, range));
                }
            }
        }
    }
    Ok(sources)
}

/// The inputs `part` gives whole to this shard (a conversion replayed with `--schema` is
/// not split inside a file: each file goes to the shard its first byte falls in).
pub fn owned(inputs: &[String], part: &Part) -> Vec<String> {
    lpconvert_engine::shard::whole(inputs, Some(part))
        .cloned()
        .collect()
}

/// Bytes `start..end` of a line-protocol file.
struct Range {
    path: String,
    start: u64,
    end: u64,
    name: String,
    /// The file's line number at `start`, counted once.
    first_line: OnceLock<u64>,
}

impl Open for Range {
    fn open(&self) -> io::Result<Opened> {
        let mut file = File::open(&self.path)?;
        let meta = file.metadata()?;
        file.seek(SeekFrom::Start(self.start))?;
        let watched = Watched::new(file, &meta, &self.name, crate::inputs::REPLAY)?;
        let watch = watched.watch()?;
        let reader = watched.take(self.end - self.start);
        Ok(Opened {
            reader: input::refuse_utf16(&self.name, Box::new(reader))?,
            pipe: false,
            watch: Some(Watch::new(move || watch.check())),
        })
    }

    /// The whole file's identity: the range is the shard's, which the checkpoint records.
    fn identity(&self) -> io::Result<Identity> {
        crate::inputs::identity(std::path::Path::new(&self.path))
    }

    fn size(&self) -> Option<u64> {
        Some(self.end - self.start)
    }

    /// One more than the line feeds before `start`.
    fn first_line(&self) -> io::Result<u64> {
        if let Some(&n) = self.first_line.get() {
            return Ok(n);
        }
        let mut before = File::open(&self.path)?.take(self.start);
        let mut buf = vec![0u8; 256 * 1024];
        let mut lines = 1u64;
        loop {
            match before.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(*self.first_line.get_or_init(|| lines))
    }

    fn open_seekable(&self) -> Option<io::Result<Box<dyn SeekRead>>> {
        Some(File::open(&self.path).map(|file| {
            Box::new(Window {
                file,
                start: self.start,
                len: self.end - self.start,
                pos: 0,
            }) as Box<dyn SeekRead>
        }))
    }
}

/// A file seen from `start`, `len` bytes long.
struct Window {
    file: File,
    start: u64,
    len: u64,
    pos: u64,
}

impl Read for Window {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        if left == 0 {
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        self.file.seek(SeekFrom::Start(self.start + self.pos))?;
        let n = self.file.read(&mut buf[..want])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Window {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        Ok(self.pos)
    }
}
