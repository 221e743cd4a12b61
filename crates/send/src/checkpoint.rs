//! `--checkpoint FILE`: for each input, its identity and the byte offset below which every
//! batch was answered (acknowledged or refused and written to the rejects file). Written
//! atomically (a temporary file renamed over the old one), so a run killed at any moment
//! leaves either the previous or the new checkpoint, and a rerun resumes there: lines after
//! the offset may be sent a second time (at-least-once), none is skipped.

use crate::input::Identity;
use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Largest checkpoint file read (a checkpoint holds a few hundred bytes per input).
pub const MAX_CHECKPOINT_BYTES: u64 = 4 << 20;

/// The state of one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputState {
    /// The input's identity.
    pub identity: Identity,
    /// Every line below this offset is answered.
    pub offset: u64,
    /// The whole input is answered.
    pub complete: bool,
    /// CRC-32 of the input's bytes below `offset`, when the run read them all: a resume
    /// finds by it that an input that changed only grew (an append-only log).
    pub prefix_crc32: Option<u32>,
}

/// The checkpoint file's content.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Checkpoint {
    /// One entry per input, in command-line order.
    pub inputs: Vec<InputState>,
    /// The `--time now` offset of the first run, in precision units, so that a resumed run
    /// shifts timestamps exactly as the first did.
    pub time_offset: Option<i64>,
    /// The options that change what is stored (precision, time rewrite), as the first run
    /// had them: a resume with others is refused.
    pub settings: Option<String>,
    /// The shard of a job that wrote it (`K/N` and the job's identity), if any: only that
    /// shard resumes from it.
    pub shard: Option<String>,
}

/// A checkpoint could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Reading or writing failed.
    #[error("--checkpoint {path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error (part of the message, so not a `source`: it would be printed twice).
        error: io::Error,
    },
    /// The file is not a checkpoint (it may be data: it is never suggested for deletion).
    #[error("--checkpoint {path} is not a checkpoint ({why}): give --checkpoint the file an earlier run wrote, or a new file name to start over")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// An input's offset cannot be where a run stopped in it.
    #[error("checkpoint {path} does not fit {input}: {why}; it was not written for this input: give --checkpoint a new file name to start over")]
    Offset {
        /// The checkpoint file.
        path: PathBuf,
        /// The input.
        input: String,
        /// What is wrong.
        why: String,
    },
    /// The inputs changed since the checkpoint was written.
    #[error("checkpoint {path} was written for other input: {why}; delete it to start over")]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// What differs.
        why: String,
    },
}

impl Checkpoint {
    /// Reads `path`; `Ok(None)` when it does not exist. A checkpoint is a regular file of at
    /// most [`MAX_CHECKPOINT_BYTES`]; anything else is refused before it is read whole.
    pub fn load(path: &Path) -> Result<Option<Checkpoint>, CheckpointError> {
        let invalid = |why: &str| CheckpointError::Invalid {
            path: path.into(),
            why: why.into(),
        };
        let io_err = |error| CheckpointError::Io {
            path: path.into(),
            error,
        };
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(e)),
        };
        if !meta.is_file() {
            return Err(invalid("not a regular file"));
        }
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_CHECKPOINT_BYTES + 1).read_to_end(&mut bytes))
            .map_err(io_err)?;
        if bytes.len() as u64 > MAX_CHECKPOINT_BYTES {
            return Err(invalid(&format!(
                "larger than {} MiB",
                MAX_CHECKPOINT_BYTES >> 20
            )));
        }
        let text = String::from_utf8(bytes).map_err(|_| invalid("not UTF-8 text"))?;
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| invalid(&e.to_string()))?;
        if v.get("version").and_then(|x| x.as_u64()) != Some(1) {
            return Err(invalid("unknown version"));
        }
        let mut inputs = Vec::new();
        for i in v
            .get("inputs")
            .and_then(|x| x.as_array())
            .ok_or_else(|| invalid("no inputs"))?
        {
            let s = |k: &str| i.get(k).and_then(|x| x.as_str()).ok_or_else(|| invalid(k));
            let u = |k: &str| i.get(k).and_then(|x| x.as_u64()).ok_or_else(|| invalid(k));
            let hash =
                u64::from_str_radix(s("head_fnv64")?, 16).map_err(|_| invalid("head_fnv64"))?;
            let mtime: i128 = s("mtime_ns")?.parse().map_err(|_| invalid("mtime_ns"))?;
            inputs.push(InputState {
                identity: Identity {
                    path: s("path")?.to_owned(),
                    size: u("size")?,
                    mtime_ns: mtime,
                    head_hash: hash,
                },
                offset: u("offset")?,
                complete: i.get("complete").and_then(|x| x.as_bool()).unwrap_or(false),
                prefix_crc32: i
                    .get("prefix_crc32")
                    .and_then(|x| x.as_u64())
                    .and_then(|x| u32::try_from(x).ok()),
            });
        }
        let time_offset = v.get("time_offset").and_then(|x| x.as_i64());
        let settings = v
            .get("settings")
            .and_then(|x| x.as_str())
            .map(str::to_owned);
        let shard = v.get("shard").and_then(|x| x.as_str()).map(str::to_owned);
        Ok(Some(Checkpoint {
            inputs,
            time_offset,
            settings,
            shard,
        }))
    }

    /// Writes the checkpoint atomically: `path.tmp`, fsync, rename.
    pub fn save(&self, path: &Path) -> Result<(), CheckpointError> {
        let inputs: Vec<serde_json::Value> = self
            .inputs
            .iter()
            .map(|s| {
                serde_json::json!({
                    "path": s.identity.path,
                    "size": s.identity.size,
                    "mtime_ns": s.identity.mtime_ns.to_string(),
                    "head_fnv64": format!("{:016x}", s.identity.head_hash),
                    "offset": s.offset,
                    "complete": s.complete,
                    "prefix_crc32": s.prefix_crc32,
                })
            })
            .collect();
        let mut v = serde_json::json!({"version": 1, "inputs": inputs, "time_offset": self.time_offset, "settings": self.settings});
        if let Some(shard) = &self.shard {
            v["shard"] = shard.as_str().into();
        }
        let io_err = |error| CheckpointError::Io {
            path: path.into(),
            error,
        };
        let tmp = crate::output::with_suffix(path, ".tmp");
        let mut f = std::fs::File::create(&tmp).map_err(io_err)?;
        let mut text = serde_json::to_vec_pretty(&v).unwrap_or_default();
        text.push(b'\n');
        f.write_all(&text).map_err(io_err)?;
        f.sync_all().map_err(io_err)?;
        drop(f);
        std::fs::rename(&tmp, path).map_err(io_err)
    }

    /// Checks that `path` can be written (its temporary file can be created), before anything
    /// is sent.
    pub fn check_writable(path: &Path) -> Result<(), CheckpointError> {
        let tmp = crate::output::with_suffix(path, ".tmp");
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| CheckpointError::Io {
                path: path.into(),
                error: io::Error::new(
                    e.kind(),
                    format!(
                        "cannot be written ({e}): check that its directory exists and is writable"
                    ),
                ),
            })?;
        let _ = std::fs::remove_file(&tmp);
        Ok(())
    }

    /// Checks that this checkpoint was written by the same shard of the same job (`shard`:
    /// `K/N` and the job's identity; `None` for an unsharded run).
    pub fn check_shard(&self, path: &Path, shard: Option<&str>) -> Result<(), CheckpointError> {
        if self.shard.as_deref() == shard {
            return Ok(());
        }
        let as_said = |s: Option<&str>| {
            s.map_or("no shard (the whole job)".to_owned(), |s| {
                format!("shard {s}")
            })
        };
        Err(CheckpointError::Mismatch {
            path: path.into(),
            why: format!(
                "written by {}, this run is {}: resume each shard with its own checkpoint, the same --shard K/N and the same inputs",
                as_said(self.shard.as_deref()),
                as_said(shard)
            ),
        })
    }

    /// Checks that this checkpoint was written for `identities` (same inputs, same order,
    /// unchanged files).
    pub fn check_matches(
        &self,
        path: &Path,
        identities: &[Identity],
        settings: Option<&str>,
    ) -> Result<(), CheckpointError> {
        let mismatch = |why: String| CheckpointError::Mismatch {
            path: path.into(),
            why,
        };
        if let (Some(then), Some(now)) = (&self.settings, settings) {
            if then != now {
                return Err(mismatch(format!(
                    "written with {then}, now {now}: rerun with the same options"
                )));
            }
        }
        if self.inputs.len() != identities.len() {
            return Err(mismatch(format!(
                "{} inputs then, {} now",
                self.inputs.len(),
                identities.len()
            )));
        }
        for (s, id) in self.inputs.iter().zip(identities) {
            if s.identity.path != id.path {
                return Err(mismatch(format!(
                    "input {} then, {} now",
                    s.identity.path, id.path
                )));
            }
            if s.identity != *id {
                return Err(mismatch(format!(
                    "{} changed (size, modification time or content)",
                    id.path
                )));
            }
        }
        Ok(())
    }
}

/// Follows batch completions (in any order) and advances each input's offset over the
/// longest prefix of answered batches.
#[derive(Debug)]
pub struct Tracker {
    /// The state being maintained.
    pub state: Checkpoint,
    next_seq: u64,
    done: BTreeMap<u64, (usize, u64, Option<u32>)>,
    /// Per input: (last batch seq, or None when it had no batch; end offset; CRC-32 of the
    /// bytes below it) once read fully.
    input_end: BTreeMap<usize, (Option<u64>, u64, Option<u32>)>,
    dirty: bool,
}

impl Tracker {
    /// Starts from `state`; batch sequence numbers start at 0.
    pub fn new(state: Checkpoint) -> Tracker {
        Tracker {
            state,
            next_seq: 0,
            done: BTreeMap::new(),
            input_end: BTreeMap::new(),
            dirty: false,
        }
    }

    /// Batch `seq` of `input`, ending at input offset `end` (below which the input's bytes
    /// have CRC-32 `crc`, when known), is answered.
    pub fn batch_done(&mut self, seq: u64, input: usize, end: u64, crc: Option<u32>) {
        self.done.insert(seq, (input, end, crc));
        while let Some((input, end, crc)) = self.done.remove(&self.next_seq) {
            if let Some(s) = self.state.inputs.get_mut(input) {
                advance(s, end, crc);
            }
            self.next_seq += 1;
            self.dirty = true;
        }
        self.complete_inputs();
    }

    /// Input `input` was read to `end` (CRC-32 `crc` of its bytes); its last batch is
    /// `last_seq` (None: no batch).
    pub fn input_read(&mut self, input: usize, last_seq: Option<u64>, end: u64, crc: Option<u32>) {
        self.input_end.insert(input, (last_seq, end, crc));
        self.complete_inputs();
    }

    fn complete_inputs(&mut self) {
        let next = self.next_seq;
        let finished: Vec<usize> = self
            .input_end
            .iter()
            .filter(|(_, (last, _, _))| last.is_none_or(|l| l < next))
            .map(|(i, _)| *i)
            .collect();
        for i in finished {
            if let (Some((_, end, crc)), Some(s)) =
                (self.input_end.remove(&i), self.state.inputs.get_mut(i))
            {
                advance(s, end, crc);
                s.complete = true;
                self.dirty = true;
            }
        }
    }

    /// Whether the state changed since the last call.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }
}

/// Moves an input's offset forward to `end`, with the CRC-32 of the bytes below it.
fn advance(s: &mut InputState, end: u64, crc: Option<u32>) {
    if end > s.offset || (end == s.offset && s.prefix_crc32.is_none()) {
        s.offset = end;
        s.prefix_crc32 = crc;
    }
}

/// The CRC-32 of a prefix of an input, computed as its bytes are read in order.
#[derive(Debug, Clone)]
pub struct PrefixCrc {
    /// Bytes hashed (the offset the hash is at).
    pub pos: u64,
    hasher: crc32fast::Hasher,
}

impl PrefixCrc {
    /// The hash at `pos`, continued from `crc` (a checkpoint's `prefix_crc32` at `pos`).
    pub fn resume(pos: u64, crc: u32) -> PrefixCrc {
        PrefixCrc {
            pos,
            hasher: crc32fast::Hasher::new_with_initial_len(crc, pos),
        }
    }

    /// Hashes the next bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
        self.pos += bytes.len() as u64;
    }

    /// The CRC-32 of the bytes hashed so far.
    pub fn value(&self) -> u32 {
        self.hasher.clone().finalize()
    }
}

/// The CRC-32 of the first `len` bytes `reader` gives; `None` when it gives fewer.
pub fn crc_of_prefix(mut reader: impl Read, len: u64) -> io::Result<Option<u32>> {
    let mut crc = PrefixCrc::resume(0, 0);
    let mut buf = vec![0u8; 1 << 20];
    while crc.pos < len {
        let want = buf.len().min((len - crc.pos) as usize);
        let n = reader.read(&mut buf[..want])?;
        if n == 0 {
            return Ok(None);
        }
        crc.update(&buf[..n]);
    }
    Ok(Some(crc.value()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(p: &str) -> Identity {
        Identity {
            path: p.into(),
            size: 10,
            mtime_ns: 5,
            head_hash: 0xabc,
        }
    }

    #[test]
    fn tracker_advances_over_contiguous_prefix() {
        let state = Checkpoint {
            inputs: vec![
                InputState {
                    identity: id("a"),
                    offset: 0,
                    complete: false,
                    prefix_crc32: None,
                },
                InputState {
                    identity: id("b"),
                    offset: 0,
                    complete: false,
                    prefix_crc32: None,
                },
            ],
            time_offset: None,
            settings: None,
            shard: None,
        };
        let mut t = Tracker::new(state);
        t.batch_done(1, 0, 20, None);
        assert_eq!(t.state.inputs[0].offset, 0);
        t.input_read(0, Some(2), 35, None);
        t.batch_done(0, 0, 10, None);
        assert_eq!(t.state.inputs[0].offset, 20);
        assert!(!t.state.inputs[0].complete);
        t.batch_done(3, 1, 7, None);
        t.batch_done(2, 0, 30, None);
        assert!(t.state.inputs[0].complete);
        assert_eq!(t.state.inputs[0].offset, 35);
        assert_eq!(t.state.inputs[1].offset, 7);
        t.input_read(1, Some(3), 10, None);
        assert!(t.state.inputs[1].complete);
        assert!(t.take_dirty());
        assert!(!t.take_dirty());
    }

    #[test]
    fn save_load_and_match() {
        let dir = std::env::temp_dir().join(format!("lpc-ckpt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.json");
        assert!(Checkpoint::load(&path).unwrap().is_none());
        let c = Checkpoint {
            inputs: vec![InputState {
                identity: id("a"),
                offset: 42,
                complete: false,
                prefix_crc32: None,
            }],
            time_offset: Some(-7),
            settings: Some("precision Ns and --time Keep".into()),
            shard: Some("2/3 job 00ff".into()),
        };
        c.save(&path).unwrap();
        let back = Checkpoint::load(&path).unwrap().unwrap();
        assert_eq!(back, c);
        assert!(back.check_shard(&path, Some("2/3 job 00ff")).is_ok());
        assert!(back.check_shard(&path, Some("1/3 job 00ff")).is_err());
        assert!(back.check_shard(&path, None).is_err());
        back.check_matches(&path, &[id("a")], back.settings.as_deref())
            .unwrap();
        assert!(matches!(
            back.check_matches(&path, &[id("a")], Some("precision S and --time Keep")),
            Err(CheckpointError::Mismatch { .. })
        ));
        let mut changed = id("a");
        changed.size = 11;
        assert!(matches!(
            back.check_matches(&path, &[changed], None),
            Err(CheckpointError::Mismatch { .. })
        ));
        assert!(back
            .check_matches(&path, &[id("a"), id("b")], None)
            .is_err());
        std::fs::write(&path, "{").unwrap();
        assert!(matches!(
            Checkpoint::load(&path),
            Err(CheckpointError::Invalid { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn devices_directories_and_oversized_files_are_not_checkpoints() {
        let dir = std::env::temp_dir().join(format!("lpc-ckpt-odd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.json");
        std::fs::write(&big, vec![b' '; (MAX_CHECKPOINT_BYTES + 1) as usize]).unwrap();
        for path in [Path::new("/dev/zero"), dir.as_path(), big.as_path()] {
            let e = Checkpoint::load(path).unwrap_err();
            assert!(
                matches!(e, CheckpointError::Invalid { .. }),
                "{path:?}: {e}"
            );
            let text = e.to_string();
            assert!(text.contains("is not a checkpoint"), "{text}");
            assert!(!text.contains("delete"), "{text}");
        }
        assert!(Checkpoint::check_writable(&dir.join("nodir/c.json")).is_err());
        assert!(Checkpoint::check_writable(&dir.join("c.json")).is_ok());
        assert!(!dir.join("c.json.tmp").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
