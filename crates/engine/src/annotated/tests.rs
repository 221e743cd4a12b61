use super::*;
use crate::report::BadRow;

#[derive(Default)]
struct Collect {
    lines: Vec<u8>,
    rejects: Vec<(BadRow, Vec<u8>)>,
}

impl Sink for Collect {
    fn write_lines(&mut self, lines: &[u8]) -> io::Result<Flow> {
        self.lines.extend_from_slice(lines);
        Ok(Flow::Continue)
    }
    fn reject(&mut self, r: &Reject<'_>, header: Option<&[u8]>) -> io::Result<()> {
        self.rejects
            .push((BadRow::from(r), header.unwrap_or_default().to_vec()));
        Ok(())
    }
}

const FLUX: &str = "#group,false,false,true,false,false,true\n\
#datatype,string,long,dateTime:RFC3339,double,string,string\n\
#default,_result,,,,,\n\
,result,table,_time,_value,_field,_measurement\n\
,,0,2020-02-25T22:17:57Z,0,time_steal,cpu\n\
,,0,2020-02-25T22:18:07Z,x,time_steal,cpu\n\
\n\
#group,false,false,true,false,false,true\n\
#datatype,string,long,dateTime:RFC3339,long,string,string\n\
#default,_result,,,,,\n\
,result,table,_time,_value,_field,_measurement\n\
,,1,2020-02-25T22:18:01Z,3,count,mem\n";

fn run(text: &str, chunk: usize) -> (Collect, Counters) {
    let mut base = Schema::from_toml("format = \"annotated-csv\"\non_error = \"skip\"\n").unwrap();
    base.on_error = lpconvert_schema::OnError::Skip;
    let mut sink = Collect::default();
    let data = InputData::Stream(Box::new(io::Cursor::new(text.as_bytes().to_vec())));
    let tuning = Tuning {
        threads: 2,
        chunk_size: chunk,
        max_record: crate::DEFAULT_MAX_RECORD,
    };
    let c = convert(data, "f.csv", &base, tuning, &mut Drive::Convert(&mut sink)).unwrap();
    (sink, c)
}

#[test]
fn a_flux_result_converts_table_by_table_with_file_line_numbers() {
    for chunk in [1, 7, 64, 1 << 20] {
        let (sink, c) = run(FLUX, chunk);
        assert_eq!(
            String::from_utf8_lossy(&sink.lines),
            "cpu time_steal=0 1582669077000000000\nmem count=3i 1582669081000000000\n"
        );
        assert_eq!((c.rows, c.rejected), (3, 1), "{c:?}");
        let (bad, header) = &sink.rejects[0];
        assert_eq!(bad.line, 6, "{bad:?}");
        assert!(header.starts_with(b"#group") && header.ends_with(b"_measurement\n"));
    }
}

#[test]
fn a_sep_line_sets_the_delimiter_of_every_table() {
    let text =
        "sep=;\n#datatype measurement;long\nm;v\nx;1\n#datatype measurement;double\nm;w\ny;2\n";
    let (sink, c) = run(text, 64);
    assert_eq!(String::from_utf8_lossy(&sink.lines), "x v=1i\ny w=2\n");
    assert_eq!(c.rows, 2);
}

/// A large one-table file, produced as it is read, counting the bytes handed out.
struct Rows {
    header: io::Cursor<Vec<u8>>,
    left: usize,
    row: Vec<u8>,
    at: usize,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl io::Read for Rows {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut n = self.header.read(out)?;
        while n < out.len() && self.left > 0 {
            let k = (self.row.len() - self.at).min(out.len() - n);
            out[n..n + k].copy_from_slice(&self.row[self.at..self.at + k]);
            (n, self.at) = (n + k, self.at + k);
            if self.at == self.row.len() {
                (self.at, self.left) = (0, self.left - 1);
            }
        }
        self.read
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

#[test]
fn a_large_table_is_streamed_not_held_in_memory() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let read = std::sync::Arc::new(AtomicU64::new(0));
    let rows = 1_000_000;
    let header = b"#datatype measurement,double\nm,v\n".to_vec();
    let row = b"cpu,1.5\n".to_vec();
    let total = (header.len() + rows * row.len()) as u64;
    let data = InputData::Stream(Box::new(Rows {
        header: io::Cursor::new(header),
        left: rows,
        row,
        at: 0,
        read: read.clone(),
    }));
    struct First {
        read: std::sync::Arc<AtomicU64>,
        at_first: Option<u64>,
        lines: u64,
    }
    impl Sink for First {
        fn write_lines(&mut self, lines: &[u8]) -> io::Result<Flow> {
            self.at_first
                .get_or_insert(self.read.load(Ordering::Relaxed));
            self.lines += memchr::memchr_iter(b'\n', lines).count() as u64;
            Ok(Flow::Continue)
        }
        fn reject(&mut self, _: &Reject<'_>, _: Option<&[u8]>) -> io::Result<()> {
            Ok(())
        }
    }
    let mut sink = First {
        read: read.clone(),
        at_first: None,
        lines: 0,
    };
    let base = Schema::from_toml("format = \"annotated-csv\"\n").unwrap();
    let tuning = Tuning {
        threads: 2,
        chunk_size: 64 << 10,
        max_record: crate::DEFAULT_MAX_RECORD,
    };
    let c = convert(
        data,
        "big.csv",
        &base,
        tuning,
        &mut Drive::Convert(&mut sink),
    )
    .unwrap();
    assert_eq!(
        (c.rows, sink.lines, c.bytes),
        (rows as u64, rows as u64, total)
    );
    let first = sink.at_first.unwrap();
    assert!(
        first < total / 4,
        "first lines after {first} of {total} bytes were read"
    );
}

#[test]
fn comment_rows_among_the_data_keep_line_numbers_and_bytes() {
    let text = "#datatype measurement,double\nm,v\na,1\n# a note, with cells\nb,x\n#constant tag,t,z\nc,3\n";
    for chunk in [1, 7, 64] {
        let (sink, c) = run(text, chunk);
        assert_eq!(String::from_utf8_lossy(&sink.lines), "a v=1\nc v=3\n");
        assert_eq!(
            (c.rows, c.rejected, c.bytes),
            (3, 1, text.len() as u64),
            "{c:?}"
        );
        assert_eq!(sink.rejects[0].0.line, 5, "{:?}", sink.rejects[0].0);
    }
}

#[test]
fn a_quoted_annotation_cell_is_an_annotation() {
    let text = "\"#datatype measurement\",\"double:,.\"\nm,v\na,\"1,0\"\n";
    let (sink, c) = run(text, 64);
    assert_eq!(String::from_utf8_lossy(&sink.lines), "a v=1\n");
    assert_eq!((c.rows, c.rejected), (1, 0), "{c:?}");
}
