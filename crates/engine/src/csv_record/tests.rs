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
