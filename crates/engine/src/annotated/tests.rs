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
    let c = convert(data, "f.csv", &base, tuning, &mut sink).unwrap();
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
