//! Tests of `blocks`.

use super::super::{Open, Opened};
use super::*;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// A file of a test, opened as the cli's opener does (a `.gz` decompressed).
struct TestFile(PathBuf);

impl Open for TestFile {
    fn open(&self) -> io::Result<Opened> {
        let f = File::open(&self.0)?;
        let reader: Box<dyn Read + Send> = if self.0.extension().is_some_and(|e| e == "gz") {
            Box::new(flate2::read::MultiGzDecoder::new(io::BufReader::new(f)))
        } else {
            Box::new(f)
        };
        Ok(Opened {
            reader,
            pipe: false,
            watch: None,
        })
    }
}

/// The file at `path` as a source.
fn file(path: PathBuf) -> Source {
    Source::new(path.display().to_string(), TestFile(path))
}

/// Reads `source` from `start` to the end: (all bytes, each block's (offset, first line)).
pub(in crate::input) fn collect(source: &Source, start: u64) -> (Vec<u8>, Vec<(u64, u64)>) {
    let mut r = BlockReader::open(source, start).unwrap();
    let mut all = Vec::new();
    let mut marks = Vec::new();
    while let Some(b) = r.next_block().unwrap() {
        marks.push((b.offset, b.first_line));
        all.extend_from_slice(b.bytes());
    }
    (all, marks)
}

#[test]
fn mapped_plain_and_gz_read_the_same_with_offsets() {
    let dir = std::env::temp_dir().join(format!("lpc-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text: Vec<u8> = (0..400_000)
        .flat_map(|i| format!("m f={i}i {i}\n").into_bytes())
        .collect();
    let plain = dir.join("a.lp");
    std::fs::write(&plain, &text).unwrap();
    let gz = dir.join("a.lp.gz");
    let mut enc =
        flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
    enc.write_all(&text).unwrap();
    enc.finish().unwrap();

    let (a, marks) = collect(&file(plain.clone()), 0);
    assert_eq!(a, text);
    assert_eq!(marks[0], (0, 1));
    let (b, marks) = collect(&file(gz.clone()), 0);
    assert_eq!(b, text);
    assert!(marks.len() > 1, "{marks:?}");
    // Resume at the start of line 1001.
    let start = text
        .iter()
        .enumerate()
        .filter(|(_, &c)| c == b'\n')
        .nth(999)
        .unwrap()
        .0 as u64
        + 1;
    let (c, marks) = collect(&file(plain), start);
    assert_eq!(c, &text[start as usize..]);
    assert_eq!(marks[0], (start, 1001));
    let (d, marks) = collect(&file(gz), start);
    assert_eq!(d, &text[start as usize..]);
    assert_eq!(marks[0], (start, 1001));
    std::fs::remove_dir_all(&dir).unwrap();
}

fn gz(path: &std::path::Path, text: &[u8]) {
    let mut enc =
        flate2::write::GzEncoder::new(File::create(path).unwrap(), flate2::Compression::fast());
    enc.write_all(text).unwrap();
    enc.finish().unwrap();
}

#[test]
fn a_leading_bom_is_skipped_and_offsets_stay_input_offsets() {
    let dir = std::env::temp_dir().join(format!("lpc-bom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = b"\xEF\xBB\xBFa f=1i 1\nb f=2i 2\n";
    let plain = dir.join("a.lp");
    std::fs::write(&plain, text).unwrap();
    let packed = dir.join("a.lp.gz");
    gz(&packed, text);
    for source in [file(plain), file(packed)] {
        let (all, marks) = collect(&source, 0);
        assert_eq!(all, &text[3..], "{source:?}");
        assert_eq!(marks[0], (3, 1), "{source:?}");
        // Resuming right after the mark, or at the second line.
        let (all, _) = collect(&source, 3);
        assert_eq!(all, &text[3..]);
        let (all, marks) = collect(&source, 12);
        assert_eq!(all, b"b f=2i 2\n");
        assert_eq!(marks[0], (12, 2));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_offset_past_the_end_or_inside_a_line_is_refused() {
    let dir = std::env::temp_dir().join(format!("lpc-offsets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = b"a f=1i 1\nb f=2i 2\n";
    let plain = dir.join("a.lp");
    std::fs::write(&plain, text).unwrap();
    let packed = dir.join("a.lp.gz");
    gz(&packed, text);
    for source in [file(plain), file(packed)] {
        for (start, why) in [(40, "past the end"), (4, "not at the start of a line")] {
            let e = BlockReader::open(&source, start).err().unwrap();
            assert_eq!(e.kind(), io::ErrorKind::InvalidData);
            assert!(e.to_string().contains(why), "{source:?} {start}: {e}");
        }
        assert!(BlockReader::open(&source, 18).is_ok());
    }
    // The end of an input whose last line has no LF is where a run stops after it.
    let unterminated = b"a f=1i 1\nb f=2i 2";
    let plain = dir.join("u.lp");
    std::fs::write(&plain, unterminated).unwrap();
    let packed = dir.join("u.lp.gz");
    gz(&packed, unterminated);
    for source in [file(plain), file(packed)] {
        let (all, _) = collect(&source, unterminated.len() as u64);
        assert!(all.is_empty(), "{source:?}");
        let e = BlockReader::open(&source, unterminated.len() as u64 - 1)
            .err()
            .unwrap();
        assert!(e.to_string().contains("not at the start of a line"), "{e}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Gives `first`, then blocks for `hold` before the end.
struct Trickle {
    first: Option<Vec<u8>>,
    hold: Duration,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.first.take() {
            Some(v) => {
                buf[..v.len()].copy_from_slice(&v);
                Ok(v.len())
            }
            None => {
                std::thread::sleep(self.hold);
                Ok(0)
            }
        }
    }
}

#[test]
fn a_pipe_hands_on_lines_after_the_flush_interval_and_stops_when_asked() {
    let trickle = Trickle {
        first: Some(b"a f=1i 1\nb f=2i".to_vec()),
        hold: Duration::from_secs(2),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let mut r = BlockReader::pipe(
        Box::new(trickle),
        Duration::from_millis(100),
        Some(stop.clone()),
    )
    .unwrap();
    let t = Instant::now();
    let b = r.next_block().unwrap().unwrap();
    assert!(t.elapsed() < Duration::from_secs(1));
    assert_eq!(b.bytes(), b"a f=1i 1\n");
    stop.store(true, Ordering::Relaxed);
    let e = r.next_block().err().unwrap();
    assert_eq!(e.kind(), io::ErrorKind::Interrupted);
}

#[test]
fn a_pipe_that_fails_hands_on_the_whole_lines_before_the_error() {
    let lines = io::Cursor::new(b"a f=1i 1\nb f=2i 2\nc f=".to_vec());
    let failing = lines.chain(Failing);
    let mut r = BlockReader::pipe(Box::new(failing), Duration::from_secs(60), None).unwrap();
    let b = r.next_block().unwrap().unwrap();
    assert_eq!(b.bytes(), b"a f=1i 1\nb f=2i 2\n");
    let e = r.next_block().err().unwrap();
    assert_eq!(e.to_string(), "broken");
}

/// Fails every read.
struct Failing;

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::other("broken"))
    }
}
