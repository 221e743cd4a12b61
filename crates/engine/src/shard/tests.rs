use super::*;
use crate::chunker::Boundary;
use crate::csv_record::{Dialect, Record, RecordReader};
use proptest::prelude::*;

/// The records of `data[start..end]` as the exact reading sees them (cells), up to its end or
/// an unterminated quote.
fn records(b: Boundary, data: &[u8]) -> Vec<Vec<Vec<u8>>> {
    match b {
        Boundary::Lines => data
            .split_inclusive(|&c| c == b'\n')
            .map(|l| vec![l.to_vec()])
            .collect(),
        Boundary::QuoteParity(d) | Boundary::Records(d) => {
            let mut r = RecordReader::new(d, 0);
            let mut rec = Record::default();
            let mut out = Vec::new();
            while let Ok(true) = r.read(data, &mut rec) {
                out.push((0..rec.len()).map(|i| rec.cell(data, i).to_vec()).collect());
            }
            out
        }
        Boundary::JsonArray => unreachable!(),
    }
}

/// The shards' cuts of `data` for `n` shards: their ranges tile the body, and the records
/// read from each range, in shard order, are the records of the whole.
fn check_tiles(b: Boundary, data: &[u8], n: u64) {
    let total = data.len() as u64;
    let mut prev = 0;
    let mut parts = Vec::new();
    for k in 1..=n {
        let (lo, hi) = Shard { index: k, count: n }.range(total);
        let start = record_start(b, data, 0, lo as usize);
        let end = if hi >= total {
            data.len()
        } else {
            record_start(b, data, 0, hi as usize)
        };
        assert_eq!(start, prev, "shard {k}/{n} starts where {} ended", k - 1);
        assert!(end >= start);
        parts.extend(records(b, &data[start..end]));
        prev = end;
    }
    assert_eq!(prev, data.len());
    assert_eq!(
        parts,
        records(b, data),
        "{:?}",
        String::from_utf8_lossy(data)
    );
}

fn csv_text() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            Just(&b"a"[..]),
            Just(&b","[..]),
            Just(&b"\""[..]),
            Just(&b"\n"[..]),
            Just(&b"\r\n"[..]),
            Just(&b"\"x\ny\""[..]),
            Just(&b"\"\"\"\""[..]),
            Just(&b"x\"y"[..]),
            Just(&b" "[..]),
        ],
        0..80,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn csv_cuts_never_lose_or_repeat_a_record(data in csv_text(), n in 1u64..8) {
        check_tiles(Boundary::QuoteParity(Dialect::RFC4180), &data, n);
    }

    #[test]
    fn csv_cuts_with_trimming(data in csv_text(), n in 1u64..8) {
        let mut d = Dialect::RFC4180;
        d.trim = true;
        check_tiles(Boundary::QuoteParity(d), &data, n);
    }

    #[test]
    fn csv_cuts_with_escapes(data in csv_text(), n in 1u64..8) {
        let mut d = Dialect::RFC4180;
        d.escape = Some(b'\\');
        check_tiles(Boundary::Records(d), &data, n);
    }

    #[test]
    fn line_cuts_never_lose_or_repeat_a_line(data in "[a\n]{0,60}", n in 1u64..8) {
        check_tiles(Boundary::Lines, data.as_bytes(), n);
    }

    #[test]
    fn shard_ranges_tile_the_bytes(total in 0u64..10_000, n in 1u64..20) {
        let mut prev = 0;
        for k in 1..=n {
            let (lo, hi) = Shard { index: k, count: n }.range(total);
            prop_assert_eq!(lo, prev);
            prev = hi;
        }
        prop_assert_eq!(prev, total);
        for at in [0, total / 3, total.saturating_sub(1), total] {
            let k = Shard::owner_of(n, at, total);
            let (lo, hi) = Shard { index: k, count: n }.range(total);
            prop_assert!((lo <= at && at < hi) || (at == total && k == n));
        }
    }
}

#[test]
fn json_array_cuts_fall_after_elements() {
    let data = br#"[{"a":1}, {"a":"x,]"} ,{"a":3}]"#;
    let b = Boundary::JsonArray;
    let ends = [8, 21, 30, data.len()];
    for at in 2..data.len() {
        let s = record_start(b, data, 1, at);
        assert!(ends.contains(&s), "{at} -> {s}");
        assert!(s >= at || s == data.len());
    }
    assert_eq!(record_start(b, data, 1, 0), 1);
}

#[test]
fn shard_parsing_is_one_based() {
    assert_eq!(Shard::parse("1/4"), Ok(Shard { index: 1, count: 4 }));
    assert!(Shard::parse("0/4").is_err());
    assert!(Shard::parse("5/4").is_err());
    assert!(Shard::parse("1/0").is_err());
    assert!(Shard::parse("x").is_err());
}

#[test]
fn small_files_go_whole_and_a_large_one_splits() {
    let dir = std::env::temp_dir().join(format!("lpc-shard-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let small = dir.join("a.csv");
    let large = dir.join("b.csv");
    std::fs::write(&small, b"h\n1\n").unwrap();
    std::fs::write(&large, vec![b'x'; 996]).unwrap();
    let paths = vec![small.display().to_string(), large.display().to_string()];
    let parts: Vec<Part> = (1..=4)
        .map(|k| Part::assign(&paths, Shard::new(k, 4).unwrap(), |_| true).unwrap())
        .collect();
    assert_eq!(
        parts[0].takes[0],
        Take::Range {
            lo: 0,
            hi: 4,
            owner: true
        }
    );
    assert_eq!(parts[1].takes[0], Take::Skip);
    assert_eq!(
        parts[0].takes[1],
        Take::Range {
            lo: 0,
            hi: 246,
            owner: true
        }
    );
    assert_eq!(
        parts[3].takes[1],
        Take::Range {
            lo: 746,
            hi: 996,
            owner: false
        }
    );
    assert_eq!(parts.iter().map(Part::owned).sum::<usize>(), 2);
    assert!(Part::assign(&["-".into()], Shard::new(1, 2).unwrap(), |_| true).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_shard_that_cannot_read_its_range_fails() {
    let failed = || Prepared::Failed(crate::EngineError::Input("big.csv: gone".into()));
    for owner in [true, false] {
        let take = Take::Range {
            lo: 100,
            hi: 200,
            owner,
        };
        assert!(
            matches!(restrict(failed(), take), Some(Prepared::Failed(_))),
            "owner {owner}"
        );
    }
    assert!(restrict(failed(), Take::Skip).is_none());
}
