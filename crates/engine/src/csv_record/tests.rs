//! Tests of the record reader: quoting, line numbers, escapes, trimming, delimiters.

use super::*;

fn dialect() -> Dialect {
    Dialect::RFC4180
}

fn read_all(d: Dialect, data: &str) -> Vec<Result<Vec<String>, Unterminated>> {
    let mut r = RecordReader::new(d, 0);
    let mut rec = Record::default();
    let mut out = Vec::new();
    loop {
        match r.read(data.as_bytes(), &mut rec) {
            Ok(false) => break,
            Ok(true) => out.push(Ok((0..rec.len())
                .map(|i| String::from_utf8(rec.cell(data.as_bytes(), i).to_vec()).unwrap())
                .collect())),
            Err(e) => out.push(Err(e)),
        }
    }
    out
}

fn rows(d: Dialect, data: &str) -> Vec<Vec<String>> {
    read_all(d, data).into_iter().map(|r| r.unwrap()).collect()
}

#[test]
fn plain_quoted_crlf_blank() {
    let r = rows(
        dialect(),
        "a,b,c\r\n\r\n1,\"x,y\",\"he said \"\"hi\"\"\"\n\n2,\"multi\nline\",\r\n3,,",
    );
    assert_eq!(
        r,
        vec![
            vec!["a", "b", "c"],
            vec!["1", "x,y", "he said \"hi\""],
            vec!["2", "multi\nline", ""],
            vec!["3", "", ""],
        ]
    );
}

#[test]
fn line_numbers_and_raw_ranges() {
    let data = b"h1,h2\n# c\n\"a\nb\",1\nx,2\n";
    let mut d = dialect();
    d.comment = Some(b'#');
    let mut r = RecordReader::new(d, 0);
    let mut rec = Record::default();
    let mut seen = Vec::new();
    while r.read(data, &mut rec).unwrap() {
        seen.push((rec.line, rec.start, rec.end));
    }
    assert_eq!(seen, vec![(0, 0, 6), (2, 10, 18), (4, 18, 22)]);
    assert_eq!(r.lines(), 5);
}

#[test]
fn escapes_trim_delimiters() {
    let d = Dialect {
        delimiter: b';',
        quote: b'\'',
        escape: Some(b'\\'),
        comment: None,
        trim: true,
    };
    assert_eq!(
        rows(d, "  a ; 'it\\'s' ;' x ' \n"),
        vec![vec!["a", "it's", " x "]]
    );
    let tab = Dialect {
        delimiter: b'\t',
        ..dialect()
    };
    assert_eq!(rows(tab, "a b\tc,d\n"), vec![vec!["a b", "c,d"]]);
}

#[test]
fn lenient_quotes_and_unterminated() {
    assert_eq!(rows(dialect(), "ab\"c,\"q\"x\n"), vec![vec!["ab\"c", "qx"]]);
    assert_eq!(
        read_all(dialect(), "1,\"open\n2,3\n"),
        vec![Err(Unterminated { cell: 2 })]
    );
}

/// Every record of `data` from `start`, as (result, cells, start, end, line), then the
/// reader's final position and line count.
type Trace = (
    Vec<(Result<Vec<Vec<u8>>, Unterminated>, usize, usize, u64)>,
    usize,
    u64,
);

fn trace(mut r: RecordReader, data: &[u8]) -> Trace {
    let mut rec = Record::default();
    let mut out = Vec::new();
    loop {
        let res = match r.read(data, &mut rec) {
            Ok(false) => break,
            Ok(true) => Ok((0..rec.len()).map(|i| rec.cell(data, i).to_vec()).collect()),
            Err(e) => Err(e),
        };
        out.push((res, rec.start, rec.end, rec.line));
    }
    (out, r.pos(), r.lines())
}

/// Marks every byte a quote: the plain-line path gives up on every line.
fn all_quotes(_: &[u8], _: usize, _: u8, _: u8, _: u8) -> [u64; 3] {
    [0, 0, !0]
}

fn dialects() -> impl Strategy<Value = Dialect> {
    (
        prop::sample::select(b",;\t|".to_vec()),
        prop::sample::select(b"\"'".to_vec()),
        prop::option::of(Just(b'\\')),
        prop::option::of(Just(b'#')),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(delimiter, quote, escape, comment, trim)| Dialect {
            delimiter,
            quote,
            escape,
            comment,
            trim,
        })
}

use proptest::prelude::*;

proptest! {
    /// The vector classification, the portable one and the full reader read the same
    /// records, from every start offset of inputs rich in the special bytes.
    #[test]
    fn vector_portable_and_full_reader_agree(
        d in dialects(),
        data in prop::collection::vec(
            prop_oneof![
                3 => prop::sample::select(b",;\t|\"'\n\r \\#".to_vec()),
                1 => prop::sample::select(b"ab\xc3\xa9\x00\xff".to_vec()),
            ],
            0..200,
        ),
    ) {
        for start in 0..=data.len() {
            let vector = trace(RecordReader::new(d, start), &data);
            let portable = trace(
                RecordReader::new(d, start).with_classify(lpconvert_lp::simd::portable::eq3_at),
                &data,
            );
            let full = trace(RecordReader::new(d, start).with_classify(all_quotes), &data);
            prop_assert_eq!(&vector, &portable, "start {}", start);
            prop_assert_eq!(&vector, &full, "start {}", start);
        }
    }
}

/// Inputs of every length up to 140, each in an allocation of exactly its size, with a
/// quote, CR, line feed or delimiter at every place (so at each edge of a 64-byte block
/// and at the end of the data): the block path reads what the full reader reads, from
/// every start, and never past the end of the data (memcheck, `valgrind` on this test,
/// reports a read past the allocation).
#[test]
fn block_edges_and_exact_allocations() {
    let d = dialect();
    for len in 0..=140usize {
        for special in [&b"\""[..], b"\r\n", b"\r", b"\n", b",", b"\n\""] {
            for at in (0..len).step_by(if len > 70 { 3 } else { 1 }) {
                let mut v: Vec<u8> = (0..len)
                    .map(|i| if i % 9 == 4 { b',' } else { b'a' })
                    .collect();
                for (k, &b) in special.iter().enumerate() {
                    if let Some(x) = v.get_mut(at + k) {
                        *x = b;
                    }
                }
                let data: Box<[u8]> = v.into();
                for start in [0, at, len.saturating_sub(1)] {
                    let vector = trace(RecordReader::new(d, start), &data);
                    let full = trace(RecordReader::new(d, start).with_classify(all_quotes), &data);
                    assert_eq!(vector, full, "len {len} special at {at} start {start}");
                }
            }
        }
    }
}

/// One field of well-formed CSV: unquoted text, or quoted text with the quote doubled.
fn field(delimiter: u8, quote: u8) -> impl Strategy<Value = Vec<u8>> {
    let unquoted = prop::collection::vec(
        prop::sample::select(vec![
            &b"a"[..],
            b"bcdefghijklmnopqrstuvwxyz0123456789ab",
            b" ",
            "\u{e9}".as_bytes(),
            b"\xff",
            b"\x00",
        ]),
        0..6,
    )
    .prop_map(|p| p.concat());
    let quoted = prop::collection::vec(
        prop::sample::select(vec![
            &b"a"[..],
            b"bcdefghijklmnopqrstuvwxyz0123456789ab",
            b",",
            b";",
            b"\t",
            b"\n",
            b"\r\n",
            b"\r",
            b"Q",
            b" ",
        ]),
        0..6,
    )
    .prop_map(move |p| {
        let mut f = vec![quote];
        for b in p.concat() {
            if b == b'Q' {
                f.extend_from_slice(&[quote, quote]);
            } else {
                f.push(b);
            }
        }
        f.push(quote);
        f
    });
    prop_oneof![2 => unquoted, 1 => quoted].prop_map(move |f| {
        // The other delimiters are plain text here.
        if f.contains(&delimiter) && f.first() != Some(&quote) {
            f.iter()
                .map(|&b| if b == delimiter { b'a' } else { b })
                .collect()
        } else {
            f
        }
    })
}

proptest! {
    /// Well-formed CSV (quoted fields with delimiters, line breaks and doubled quotes,
    /// LF or CRLF rows, the last one with or without its terminator) reads as the csv
    /// crate reads it, whatever the lengths put each byte at each place of a block.
    #[test]
    fn records_read_as_the_csv_crate_reads_them(
        (delimiter, quote, rows, crlf, last_end) in (
            prop::sample::select(b",;\t".to_vec()),
            prop::sample::select(b"\"'".to_vec()),
        ).prop_flat_map(|(d, q)| (
            Just(d),
            Just(q),
            prop::collection::vec(prop::collection::vec(field(d, q), 1..6), 0..8),
            any::<bool>(),
            any::<bool>(),
        ))
    ) {
        let mut data = Vec::new();
        for (n, row) in rows.iter().enumerate() {
            if row.len() == 1 && row[0].is_empty() {
                continue; // a blank line: both skip it
            }
            data.extend_from_slice(&row.join(&delimiter));
            if n + 1 < rows.len() || last_end {
                data.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            }
        }
        let d = Dialect { delimiter, quote, ..Dialect::RFC4180 };
        let ours: Vec<Vec<Vec<u8>>> = trace(RecordReader::new(d, 0), &data)
            .0
            .into_iter()
            .map(|(r, ..)| r.expect("well-formed"))
            .collect();
        let mut oracle = Vec::new();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .quote(quote)
            .from_reader(data.as_slice());
        for rec in reader.byte_records() {
            let rec = rec.expect("the csv crate reads it");
            oracle.push(rec.iter().map(<[u8]>::to_vec).collect::<Vec<_>>());
        }
        prop_assert_eq!(ours, oracle, "{:?}", String::from_utf8_lossy(&data));
    }
}
