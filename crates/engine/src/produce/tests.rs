//! The producer's hand-back of a stream when it is stopped or a read fails.

use super::*;
use crate::csv_record::Dialect;
use crate::pipeline::{ChunkAt, ChunkConverter, Context, MakeConverter};
use crossbeam_channel::unbounded;

struct Nothing;

impl ChunkConverter for Nothing {
    fn convert(&mut self, _: &[u8], _: ChunkAt, _: &mut ChunkOutput) {}
}

impl MakeConverter for Nothing {
    fn make(&self) -> Box<dyn ChunkConverter> {
        Box::new(Nothing)
    }
}

/// Gives its bytes; learns a ratio when it ends (chunks grow from then on).
struct Stream {
    data: io::Cursor<Vec<u8>>,
    budget: &'static Budget,
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.data.read(buf)?;
        if n == 0 {
            self.budget.learn(1 << 20, 1 << 18);
        }
        Ok(n)
    }
}

/// A CSV stream's job, cut by quote parity into chunks of `chunk` bytes.
fn csv_stream_job(chunk: usize) -> Arc<Job> {
    Arc::new(Job {
        cx: Context::default(),
        map: None,
        make: Arc::new(Nothing),
        boundary: Boundary::QuoteParity(Dialect::RFC4180),
        chunk,
        notes: Vec::new(),
    })
}

/// A hand that gives every work to the workers' queue (the producer converts none).
fn all_to_workers(
    budget: &'static Budget,
    work_tx: Sender<Work>,
    done_tx: Sender<Work>,
) -> Hand<'static> {
    Hand {
        workers: work_tx,
        worker_threads: usize::MAX,
        done: done_tx,
        conv: Converting::new(budget, None),
    }
}

/// Cuts `data`, a CSV stream, with a budget closed (as a collector that found a wrong
/// cut closes it) and returns the bytes of the works sent, then what is left.
fn cut_closed(data: &[u8], chunk: usize, max_record: usize) -> Vec<u8> {
    let (bytes, end) = cut_closed_with(data, None, chunk, max_record);
    end.unwrap();
    bytes
}

/// [`cut_closed`] of a stream that fails with `error` after `data`; also returns how
/// reading what is left ended.
fn cut_closed_with(
    data: &[u8],
    error: Option<io::Error>,
    chunk: usize,
    max_record: usize,
) -> (Vec<u8>, io::Result<usize>) {
    let budget: &'static Budget = Box::leak(Box::new(Budget::new(1 << 30)));
    budget.close();
    let job = csv_stream_job(chunk);
    let reader = Stream {
        data: io::Cursor::new(data.to_vec()),
        budget,
    }
    .chain(Failed(error));
    let feed = Feed::Stream(Vec::new(), false, Box::new(reader));
    let (work_tx, work_rx) = unbounded();
    let (done_tx, done_rx) = unbounded();
    let hand = all_to_workers(budget, work_tx, done_tx);
    let tuning = Tuning {
        threads: 1,
        chunk_size: chunk,
        max_record,
    };
    let (_free_tx, free_rx) = unbounded();
    let (_pool_tx, pool_rx) = unbounded();
    let mut walk = Some(Prepared::Body { job, feed });
    let left = produce(&mut walk, None, tuning, budget, free_rx, hand, pool_rx);
    let mut works: Vec<Work> = work_rx.try_iter().chain(done_rx.try_iter()).collect();
    works.sort_by_key(|w| w.seq);
    let mut bytes = Vec::new();
    for part in works.into_iter().flat_map(|w| w.parts) {
        if let Part::Seg(Seg {
            piece: Piece::Owned(b) | Piece::Recut(b),
            ..
        }) = part
        {
            bytes.extend_from_slice(&b);
        }
    }
    let mut end = Ok(0);
    if let Some((rest, _, mut reader)) = left {
        bytes.extend_from_slice(&rest);
        end = reader.read_to_end(&mut bytes);
    }
    (bytes, end)
}

#[test]
fn a_stopped_stream_leaves_the_pieces_not_sent_before_an_overlong_record() {
    // Records, then a quote that does not close within --max-record-size: the piece
    // before it and the record were gathered, not sent, when the producer stopped; they
    // were dropped (rows lost after a wrong cut of stdin).
    let mut data = b"a,1\n".repeat(15);
    data.push(b'"');
    data.extend(b"b,2\n".repeat(100));
    assert_eq!(cut_closed(&data, 100, 50), data);
}

#[test]
fn a_stopped_stream_read_to_its_end_leaves_its_last_pieces() {
    // Cut before the first ratio (64 KiB), then gathered to the chunk size once a ratio
    // is known: the last pieces were not sent, and dropped when the producer stopped.
    let data = b"c,1,\"x\ny\"\n".repeat(10_000);
    assert_eq!(cut_closed(&data, 1 << 20, 1 << 20), data);
}

#[test]
fn a_read_error_sent_before_a_wrong_cut_is_found_is_read_again_by_the_next_pass() {
    // The error went out in a work of its own while the collector was still behind; it
    // then found a wrong cut in a piece before it, gathered the pieces from there on and
    // dropped the error among them. The producer had gone on to the next input (or the
    // end): the pass after the re-cut saw the stream end early, and the run exit 0 (or 3)
    // without the error, the inputs after it read as part of this one.
    let budget: &'static Budget = Box::leak(Box::new(Budget::new(1 << 30)));
    budget.learn(1, 1);
    let job = csv_stream_job(100);
    let data = b"a,1\n".repeat(100);
    let reader = io::Cursor::new(data.clone()).chain(Failed(Some(io::Error::other("gone"))));
    let feed = Feed::Stream(Vec::new(), false, Box::new(reader));
    let (work_tx, work_rx) = unbounded::<Work>();
    let (done_tx, _done_rx) = unbounded();
    let hand = all_to_workers(budget, work_tx, done_tx);
    let tuning = Tuning {
        threads: 1,
        chunk_size: 100,
        max_record: 1 << 20,
    };
    let (_free_tx, free_rx) = unbounded();
    let (_pool_tx, pool_rx) = unbounded();
    // A collector that finds the wrong cut once the error was sent: it stops the producer.
    let collector = std::thread::spawn(move || {
        let mut works = Vec::new();
        for w in work_rx.iter() {
            let failed = w.parts.iter().any(|p| matches!(p, Part::Failed(_)));
            works.push(w);
            if failed {
                budget.close();
            }
        }
        works
    });
    let mut walk = Some(Prepared::Body { job, feed });
    let left = produce(&mut walk, None, tuning, budget, free_rx, hand, pool_rx);
    let works = collector.join().unwrap();
    assert!(works.len() > 2, "pieces went out before the error");
    let Some((rest, eof, mut reader)) = left else {
        panic!("the error is handed back to the pass after the wrong cut");
    };
    assert!(rest.is_empty() && !eof);
    let e = reader.read_to_end(&mut Vec::new()).unwrap_err();
    assert_eq!(e.to_string(), "gone");
}

#[test]
fn a_read_error_of_a_stopped_stream_is_read_again_by_the_next_pass() {
    // The error was dropped with the work that carried it: the pass after the wrong cut
    // saw the stream end there, and the input looked whole.
    let data = b"a,1\n".repeat(50);
    let disk = io::Error::other("the disk went away");
    let (bytes, end) = cut_closed_with(&data, Some(disk), 1 << 20, 1 << 20);
    let e = end.expect_err("the error is read again");
    assert_eq!(e.to_string(), "the disk went away");
    assert!(
        data.starts_with(&bytes),
        "only bytes of the stream, in order"
    );
}
