//! Tests of `stream`.

use super::*;

fn read_all(r: &mut LineReader) -> (Vec<u8>, Option<io::Error>) {
    let mut got = Vec::new();
    let mut small = [0u8; 3];
    loop {
        match r.read(&mut small) {
            Ok(0) => return (got, None),
            Ok(n) => got.extend_from_slice(&small[..n]),
            Err(e) => return (got, Some(e)),
        }
    }
}

#[test]
fn the_reader_concatenates_blocks_and_ends_when_the_sender_is_gone() {
    let (tx, rx) = sync_channel(2);
    let writer = std::thread::spawn(move || {
        for b in [&b"a b=1 1\n"[..], b"", b"c d=2 2\n", b"e f=3 3\n"] {
            tx.send(Msg::Lines(b.to_vec())).map_err(|_| ()).ok();
        }
    });
    let (got, err) = read_all(&mut LineReader::new(rx));
    writer.join().map_err(|_| "writer panicked").unwrap();
    assert_eq!(got, b"a b=1 1\nc d=2 2\ne f=3 3\n");
    assert!(err.is_none());
}

#[test]
fn a_failed_conversion_is_a_read_error_after_the_lines_before_it() {
    let (tx, rx) = sync_channel(4);
    tx.send(Msg::Lines(b"a b=1 1\n".to_vec())).unwrap();
    let bad = EngineError::Input("data.csv: broken".into());
    tx.send(Msg::Failed(Arc::new(bad))).unwrap();
    drop(tx);
    let mut r = LineReader::new(rx);
    let (got, err) = read_all(&mut r);
    assert_eq!(got, b"a b=1 1\n");
    let err = err.expect("a read error, not a clean end");
    assert_eq!(err.kind(), io::ErrorKind::Other);
    assert_eq!(err.to_string(), "data.csv: broken");
    // And again: never a clean end afterwards.
    assert!(r.read(&mut [0u8; 8]).is_err());
}

const SCHEMA: &str = r#"
measurement = "m"
precision = "s"
on_error = "fail"
[timestamp]
column = "t"
format = "unix_s"
[fields]
v = "integer"
"#;

/// A CSV file of `n` rows, row `bad` (if any) not an integer.
fn csv_file(name: &str, n: usize, bad: Option<usize>) -> String {
    let mut text = String::from("t,v\n");
    for i in 0..n {
        let v = if Some(i) == bad {
            "oops".into()
        } else {
            i.to_string()
        };
        text.push_str(&format!("{},{v}\n", 1_700_000_000 + i));
    }
    let dir = std::env::temp_dir().join(format!("lpconvert-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn conversions() -> Conversions {
    let schema = Schema::from_toml(SCHEMA).unwrap();
    let tuning = Tuning {
        threads: 2,
        chunk_size: 256,
        max_record: 1 << 20,
    };
    Conversions::new(Arc::new(schema), tuning, Box::new(|_, _, _| Ok(())))
}

#[test]
fn a_conversion_that_stops_at_a_row_reads_its_lines_then_fails_and_so_do_later_inputs() {
    let c = conversions();
    let first = csv_file("fails.csv", 1000, Some(700));
    let second = csv_file("after.csv", 10, None);
    let (got, err) = read_all(&mut c.starter().start(0, first.clone(), 0).unwrap());
    assert_eq!(got.iter().filter(|&&b| b == b'\n').count(), 700);
    let err = err.expect("a read error, not a clean end");
    assert!(
        err.to_string().starts_with(&format!("{first}:702:2: ")),
        "{err}"
    );
    let (later, err) = read_all(&mut c.starter().start(1, second.clone(), 0).unwrap());
    assert!(later.is_empty());
    assert!(
        err.is_some(),
        "a later input does not read as empty and done"
    );
    let out = c.finish(None).unwrap();
    let failure = out.error.expect("the failure");
    assert_eq!(failure.input, 0);
    assert!(matches!(&*failure.error, EngineError::Row(r) if r.line == 702));
    assert_eq!(out.inputs_done, 0);
    assert_eq!(out.counters.written, 700);
    let _ = (std::fs::remove_file(first), std::fs::remove_file(second));
}

#[test]
fn a_reader_dropped_early_stops_its_conversion_without_an_error() {
    let c = conversions();
    let path = csv_file("long.csv", 200_000, None);
    let mut reader = c.starter().start(0, path.clone(), 0).unwrap();
    let mut some = [0u8; 100];
    assert!(reader.read(&mut some).unwrap() > 0);
    drop(reader);
    let out = c.finish(None).unwrap();
    assert!(out.error.is_none());
    assert_eq!(out.inputs_done, 0);
    assert!(out.counters.written < 200_000, "{:?}", out.counters);
    let _ = std::fs::remove_file(path);
}
