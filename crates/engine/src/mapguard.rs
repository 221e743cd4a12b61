//! Memory-mapped inputs that survive being truncated while they are read.
//!
//! Reading a page of a mapping past the current end of its file raises SIGBUS, which kills
//! the process. A handler, installed once, looks the fault address up in a fixed table of
//! live mappings: inside one, it maps anonymous zero pages over the rest of that mapping,
//! marks it changed and returns, so the reader goes on over zeros; elsewhere it hands the
//! signal to the previous handler (or to the default action). The pipeline asks
//! [`MappedFile::check`] before each chunk's output is written and at the end, so output
//! read from a changed file is never passed on as complete.

use crate::input::{Change, Stamp, Watching};
use memmap2::{Advice, Mmap};
use std::fs::File;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::Once;

/// Mappings that can be guarded at once; more are read as streams.
const SLOTS: usize = 64;

const FREE: u8 = 0;
const CLAIMED: u8 = 1;
const LIVE: u8 = 2;

/// One live mapping: its address range and whether a fault was caught inside it.
struct Slot {
    state: AtomicU8,
    start: AtomicUsize,
    len: AtomicUsize,
    changed: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: Slot = Slot {
    state: AtomicU8::new(FREE),
    start: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    changed: AtomicBool::new(false),
};

static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];
static INSTALL: Once = Once::new();
static INSTALLED: AtomicBool = AtomicBool::new(false);
static PAGE: AtomicUsize = AtomicUsize::new(4096);
/// The handler found before ours (`sa_sigaction`) and whether it takes `siginfo_t`.
static PREVIOUS: AtomicUsize = AtomicUsize::new(libc::SIG_DFL);
static PREVIOUS_SIGINFO: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler. Everything
    // below is async-signal-safe: atomic loads and stores, and the mmap, sigaction and raise
    // system calls; nothing allocates or locks. PREVIOUS holds the handler that was
    // installed before ours (read by sigaction in `install`), a function of the signature
    // its SA_SIGINFO flag says, so calling it through the transmuted pointer is sound.
    unsafe {
        let addr = (*info).si_addr() as usize;
        let code = (*info).si_code;
        let page = PAGE.load(Ordering::Relaxed);
        // Only a fault of an access to a mapped page past the end of its file (BUS_ADRERR)
        // can be ours; a SIGBUS sent by kill(2) or sigqueue(3) has no fault address.
        let table: &[Slot] = if code == libc::BUS_ADRERR {
            &TABLE
        } else {
            &[]
        };
        for slot in table {
            if slot.state.load(Ordering::Acquire) != LIVE {
                continue;
            }
            let (start, len) = (
                slot.start.load(Ordering::Relaxed),
                slot.len.load(Ordering::Relaxed),
            );
            if addr < start || addr - start >= len {
                continue;
            }
            // Zero pages over the faulting page and the rest of the mapping: one call,
            // whatever was cut off. The range lies inside a live mapping we own, so
            // MAP_FIXED replaces only our own pages.
            let from = addr & !(page - 1);
            let to = (start + len).div_ceil(page) * page;
            let r = libc::mmap(
                from as *mut libc::c_void,
                to - from,
                libc::PROT_READ,
                libc::MAP_FIXED | libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if r != libc::MAP_FAILED {
                slot.changed.store(true, Ordering::Release);
                return;
            }
            break;
        }
        let prev = PREVIOUS.load(Ordering::Relaxed);
        if prev != libc::SIG_DFL && prev != libc::SIG_IGN {
            if PREVIOUS_SIGINFO.load(Ordering::Relaxed) {
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    std::mem::transmute(prev);
                f(sig, info, ctx);
            } else {
                let f: extern "C" fn(libc::c_int) = std::mem::transmute(prev);
                f(sig);
            }
            // The Rust runtime's handler (stack overflow detection) restores the default
            // action and returns, counting on the faulting access to run again. A signal
            // sent by a process (kill(2): si_code <= 0) has no access to re-run: raise it
            // again, else it would be lost.
            let mut now: libc::sigaction = std::mem::zeroed();
            if code <= 0
                && libc::sigaction(libc::SIGBUS, std::ptr::null(), &mut now) == 0
                && now.sa_sigaction == libc::SIG_DFL
            {
                libc::raise(libc::SIGBUS);
            }
            return;
        }
        if prev == libc::SIG_IGN && code <= 0 {
            // Sent by a process while SIGBUS was ignored before us: still ignored.
            return;
        }
        // Not ours: restore the default action and raise the signal again, so the process
        // ends by SIGBUS as it would have without us. The signal is blocked while this
        // handler runs: it is delivered when the handler returns (a hardware fault would
        // also re-fault when the access is re-run; a SIGBUS sent by kill(2) would not).
        let mut dfl: libc::sigaction = std::mem::zeroed();
        dfl.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(libc::SIGBUS, &dfl, std::ptr::null_mut());
        libc::raise(libc::SIGBUS);
    }
}

fn install() -> bool {
    INSTALL.call_once(|| {
        // SAFETY: sysconf and sigaction are called with valid arguments; the handler only
        // does async-signal-safe work (see `on_sigbus`). The previous handler is saved
        // before ours is installed, so a SIGBUS never finds it unset.
        unsafe {
            let page = libc::sysconf(libc::_SC_PAGESIZE);
            if page > 0 {
                PAGE.store(page as usize, Ordering::Relaxed);
            }
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGBUS, std::ptr::null(), &mut old) != 0 {
                return;
            }
            PREVIOUS.store(old.sa_sigaction, Ordering::Relaxed);
            PREVIOUS_SIGINFO.store(old.sa_flags & libc::SA_SIGINFO != 0, Ordering::Relaxed);
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = on_sigbus as *const () as usize;
            act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut act.sa_mask);
            if libc::sigaction(libc::SIGBUS, &act, std::ptr::null_mut()) == 0 {
                INSTALLED.store(true, Ordering::Release);
            }
        }
    });
    INSTALLED.load(Ordering::Acquire)
}

/// Files of at most this many bytes are read whole instead of mapped: for them a read costs
/// less than a mapping (no page faults, no unmapping, which interrupts every core that ran
/// the process), and the descriptor is closed at once, so a run over thousands of small
/// files keeps many in flight.
pub const READ_WHOLE_MAX: u64 = 64 * 1024;

/// A whole regular file as bytes: a read-only mapping guarded against truncation, or, for a
/// file of at most [`READ_WHOLE_MAX`] bytes, a copy read at once.
pub struct MappedFile {
    bytes: Bytes,
    /// Where the data ends for its reader: the file's end, or a shard's range end.
    end: usize,
}

enum Bytes {
    /// Mapped: the file stays open, for the checks of its stamp (the size and modification
    /// time when mapped: a later time means bytes were rewritten).
    Map {
        map: Mmap,
        file: File,
        slot: usize,
        stamp: Stamp,
    },
    /// Read whole; `changed` says what changed while it was read.
    Read {
        data: Vec<u8>,
        changed: Option<String>,
    },
}

impl MappedFile {
    /// Reads `file` (whose metadata is `meta`, of at most [`READ_WHOLE_MAX`] bytes) whole
    /// and closes it. A size other than `meta`'s (the file grew or shrank before or while it
    /// was read) is reported by `check`; once read, the copy cannot change.
    pub fn read_whole(mut file: File, meta: &std::fs::Metadata) -> std::io::Result<MappedFile> {
        use std::io::Read;
        let len = meta.len().min(READ_WHOLE_MAX);
        let cap = usize::try_from(len).unwrap_or(0);
        // One byte more than expected tells a file that grew from one that did not. Reads
        // stop once the size read is the size expected: a regular file's read is short only
        // at its end, so the read that would return 0 is left out (one syscall per file).
        let mut data = vec![0; cap.saturating_add(1)];
        let mut got = 0;
        while got < data.len() {
            match file.read(&mut data[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            if got == cap {
                break;
            }
        }
        let read = got as u64;
        let changed = (read != meta.len()).then(|| Change::Size(meta.len(), read).to_string());
        data.truncate(got.min(cap));
        Ok(MappedFile {
            end: data.len(),
            bytes: Bytes::Read { data, changed },
        })
    }

    /// Maps `file` (of `len` > 0 bytes); `None` when it cannot be mapped or guarded (the
    /// caller then reads it as a stream).
    pub fn map(file: File, len: u64) -> Option<MappedFile> {
        if len == 0 || !install() {
            return None;
        }
        let slot = TABLE.iter().position(|s| {
            s.state
                .compare_exchange(FREE, CLAIMED, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        })?;
        // SAFETY: the map is read-only and private to this value. A truncation by another
        // process makes reads past the new end fault; the handler above turns such a fault
        // into zero pages and marks the slot changed, which `check` reports. Bytes rewritten
        // in place show as a new modification time in `check` (lpconvert does not lock
        // files, so such bytes may have been read before the check notices).
        let map = match unsafe { Mmap::map(&file) } {
            Ok(m) if m.len() as u64 == len => m,
            _ => {
                TABLE[slot].state.store(FREE, Ordering::Release);
                return None;
            }
        };
        let _ = map.advise(Advice::Sequential);
        let stamp = Stamp::new(len, file.metadata().and_then(|m| m.modified()).ok());
        let s = &TABLE[slot];
        s.start.store(map.as_ptr() as usize, Ordering::Relaxed);
        s.len.store(map.len(), Ordering::Relaxed);
        s.changed.store(false, Ordering::Relaxed);
        s.state.store(LIVE, Ordering::Release);
        Some(MappedFile {
            end: map.len(),
            bytes: Bytes::Map {
                map,
                file,
                slot,
                stamp,
            },
        })
    }

    /// Whether the bytes are a copy read whole (the file is closed).
    pub fn is_read_whole(&self) -> bool {
        matches!(self.bytes, Bytes::Read { .. })
    }

    /// Whether the file still has the size and modification time it was mapped with and
    /// no read of it faulted (for a copy: whether it changed while it was read); the error
    /// says what changed. One atomic load and one `fstat`.
    pub fn check(&self, name: &str) -> Result<(), String> {
        let (file, slot, stamp) = match &self.bytes {
            Bytes::Map {
                file, slot, stamp, ..
            } => (file, *slot, stamp),
            Bytes::Read { changed: None, .. } => return Ok(()),
            Bytes::Read {
                changed: Some(what),
                ..
            } => return Err(Watching::CONVERT.changed(name, what).to_string()),
        };
        let faulted = TABLE[slot].changed.load(Ordering::Acquire);
        let what = match (stamp.change(file), faulted) {
            (None, false) => return Ok(()),
            (Some(Change::Modified) | None, true) => {
                "it was truncated and written again".to_string()
            }
            (Some(change), _) => change.to_string(),
        };
        Err(Watching::CONVERT.changed(name, &what).to_string())
    }

    /// Ends the data read through this mapping at `end` (a shard's part of the file).
    pub(crate) fn restrict(&mut self, end: usize) {
        let len = match &self.bytes {
            Bytes::Map { map, .. } => map.len(),
            Bytes::Read { data, .. } => data.len(),
        };
        self.end = end.min(len);
    }
}

impl Deref for MappedFile {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        let all: &[u8] = match &self.bytes {
            Bytes::Map { map, .. } => map,
            Bytes::Read { data, .. } => data,
        };
        &all[..self.end.min(all.len())]
    }
}

impl Drop for MappedFile {
    fn drop(&mut self) {
        // Leave the table before the map is unmapped (the field is dropped after this).
        if let Bytes::Map { slot, .. } = self.bytes {
            TABLE[slot].state.store(FREE, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reading_a_truncated_mapping_gives_zeros_and_reports_the_change() {
        let path = std::env::temp_dir().join(format!("mapguard-{}", std::process::id()));
        let mut f = File::create(&path).unwrap_or_else(|e| panic!("{e}"));
        f.write_all(&vec![b'a'; 1 << 20])
            .unwrap_or_else(|e| panic!("{e}"));
        drop(f);
        let file = File::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let m = MappedFile::map(file, 1 << 20).unwrap_or_else(|| panic!("not mapped"));
        assert!(m.check("f").is_ok());
        let w = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("{e}"));
        w.set_len(4096).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m[0], b'a');
        assert_eq!(m[(1 << 20) - 1], 0);
        let err = m.check("f").unwrap_err();
        assert!(err.contains("f changed while being read"), "{err}");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_small_file_is_read_whole_and_a_change_while_read_is_reported() {
        let path = std::env::temp_dir().join(format!("readwhole-{}", std::process::id()));
        std::fs::write(&path, b"time,v\n1,2\n").unwrap_or_else(|e| panic!("{e}"));
        let file = File::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let meta = file.metadata().unwrap_or_else(|e| panic!("{e}"));
        let m = MappedFile::read_whole(file, &meta).unwrap_or_else(|e| panic!("{e}"));
        assert!(m.is_read_whole());
        assert_eq!(&m[..], b"time,v\n1,2\n");
        assert!(m.check("f").is_ok());
        // The metadata taken before the file grew: the read sees more than it says.
        let file = File::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let meta = file.metadata().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&path, b"time,v\n1,2\n3,4\n").unwrap_or_else(|e| panic!("{e}"));
        let m = MappedFile::read_whole(file, &meta).unwrap_or_else(|e| panic!("{e}"));
        let err = m.check("f").unwrap_err();
        assert!(err.contains("f changed while being read"), "{err}");
        assert_eq!(m.len() as u64, meta.len());
        let _ = std::fs::remove_file(&path);
    }
}
