use super::*;
use crate::{convert_input, Flow, InputData, Reject};
use std::io;

#[derive(Default)]
struct Collect {
    lines: Vec<u8>,
    rejects: Vec<BadRow>,
}

impl Sink for Collect {
    fn write_lines(&mut self, lines: &[u8]) -> io::Result<Flow> {
        self.lines.extend_from_slice(lines);
        Ok(Flow::Continue)
    }

    fn reject(&mut self, reject: &Reject<'_>, _header: Option<&[u8]>) -> io::Result<()> {
        self.rejects.push(BadRow::from(reject));
        Ok(())
    }
}

fn stream(name: &str, text: &str) -> Input {
    Input {
        data: InputData::Stream(Box::new(io::Cursor::new(text.as_bytes().to_vec()))),
        name: name.into(),
        size: None,
    }
}

/// A stream that gives at most `step` bytes per read, then ends (a slow pipe).
struct Trickle {
    data: Vec<u8>,
    pos: usize,
    step: usize,
}

impl io::Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A pipe that gives its data and then stays open without writing: a read after the data
/// would wait for ever, so it fails the test instead.
struct Silent(io::Cursor<Vec<u8>>);

impl io::Read for Silent {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.0.read(buf)? {
            0 => Err(io::Error::other(
                "read past what a silent pipe gave: would wait",
            )),
            n => Ok(n),
        }
    }
}

fn tuning(chunk: usize) -> Tuning {
    Tuning {
        threads: 2,
        chunk_size: chunk,
        max_record: crate::DEFAULT_MAX_RECORD,
    }
}

/// Previews every record of `text` from a stream and from a mapped file, and checks that
/// the lines and errors are convert's (with `on_error = "skip"`), record by record.
fn agrees(schema: &str, name: &str, text: &str) -> Preview {
    let mut schema = Schema::from_toml(schema).unwrap();
    schema.on_error = OnError::Skip;
    let mut want = Collect::default();
    convert_input(stream(name, text), &schema, tuning(64), &mut want).unwrap();
    let dir = std::env::temp_dir().join(format!("lpconvert-preview-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}-{name}", text.len()));
    std::fs::write(&path, text).unwrap();
    let mapped = crate::open(path.to_str().unwrap()).unwrap();
    let _ = std::fs::remove_file(&path);
    let mut shown = Vec::new();
    let trickles = [1, 3].map(|step| Input {
        data: InputData::Stream(Box::new(Trickle {
            data: text.as_bytes().to_vec(),
            pos: 0,
            step,
        })),
        ..stream(name, "")
    });
    let [one, three] = trickles;
    for input in [stream(name, text), mapped, one, three] {
        let mut p = preview(input, &schema, tuning(4 << 20), 1000).unwrap();
        let mut lines = String::new();
        let mut errors = Vec::new();
        for r in &p.records {
            for l in &r.lines {
                lines.push_str(l);
                lines.push('\n');
            }
            errors.extend(r.error.iter().map(|e| BadRow {
                file: name.into(),
                ..e.clone()
            }));
        }
        assert_eq!(lines, String::from_utf8_lossy(&want.lines), "{text}");
        assert_eq!(errors, want.rejects, "{text}");
        assert!(!p.more);
        p.records.iter_mut().for_each(|r| {
            if let Some(e) = &mut r.error {
                e.file = name.into();
            }
        });
        shown.push(p.records);
    }
    assert_eq!(shown[0], shown[1], "stream and mapped file");
    assert_eq!(shown[0], shown[2], "a stream giving a byte per read");
    assert_eq!(shown[0], shown[3], "a stream giving three bytes per read");
    Preview {
        records: shown.remove(0),
        more: false,
        unread: false,
    }
}

const CSV_SCHEMA: &str = r#"
measurement = "cpu"
[timestamp]
column = "time"
format = "unix_s"
[tags]
host = "host"
[fields]
usage = "float"
"#;

#[test]
fn csv_records_with_their_reads_lines_and_errors() {
    let text = "time,host,usage\n1,a,0.5\n\n2,\"b\nc\",x\n3,d,\n4,e,1\n";
    let p = agrees(CSV_SCHEMA, "in.csv", text);
    let lines: Vec<u64> = p.records.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 4, 6, 7]);
    let first = &p.records[0];
    assert_eq!(first.lines, ["cpu,host=a usage=0.5 1000000000"]);
    let host = first.reads.iter().find(|r| r.entry == "tag host").unwrap();
    assert_eq!(host.source, "column \"host\"");
    assert_eq!(host.taken, Taken::One("\"a\"".into()));
    let bad = p.records[1].error.as_ref().unwrap();
    assert_eq!((bad.line, bad.column), (4, 2), "{bad}");
    assert!(p.records[2].lines.is_empty() && p.records[2].error.is_none());
}

#[test]
fn ndjson_lines_and_arrays_agree_with_convert() {
    let schema = r#"
format = "ndjson"
measurement = "env"
precision = "s"
[timestamp]
path = "/readings/*/t"
format = "unix_s"
[tags]
site = { path = "/site" }
[fields]
v = { path = "/readings/*/v", type = "float" }
"#;
    let line = "{\"site\":\"lab\",\"readings\":[{\"t\":1,\"v\":20.5},{\"t\":2,\"v\":21.0}]}";
    let bad = "{\"site\":\"x\",\"readings\":[{\"t\":1,\"v\":\"no\"}]}";
    let text = format!("{line}\n{bad}\n\n{line}\n");
    let p = agrees(schema, "in.ndjson", &text);
    assert_eq!(p.records.len(), 3);
    assert_eq!(p.records[0].lines.len(), 2);
    let v = p.records[0].reads.iter().find(|r| r.entry == "field v");
    let v = v.unwrap();
    assert_eq!(v.source, "path \"/readings/*/v\"");
    let each = vec![("0".into(), "20.5".into()), ("1".into(), "21.0".into())];
    assert_eq!(v.taken, Taken::Each(each));
    assert!(p.records[1].error.is_some());
    assert_eq!(p.records[2].line, 4);
    let array = format!("[{line},\n {bad}, {line}]\n");
    let p = agrees(schema, "in.json", &array);
    assert_eq!(p.records.len(), 3);
}

#[test]
fn annotated_csv_tables_and_globs_agree_with_convert() {
    let text = "#group,false,false,true,false,false,true\n\
                #datatype,string,long,dateTime:RFC3339,double,string,string\n\
                #default,_result,,,,,\n\
                ,result,table,_time,_value,_field,_measurement\n\
                ,,0,2020-02-25T22:17:57Z,0,time_steal,cpu\n\
                ,,0,2020-02-25T22:18:07Z,x,time_steal,cpu\n\
                \n\
                #datatype,string,long,dateTime:RFC3339,long,string,string\n\
                ,result,table,_time,_value,_field,_measurement\n\
                ,,1,2020-02-25T22:18:01Z,3,count,mem\n";
    let p = agrees("format = \"annotated-csv\"\n", "a.csv", text);
    assert_eq!(p.records.len(), 3);
    assert_eq!(p.records[2].line, 10);
    assert_eq!(p.records[1].error.as_ref().map(|e| e.line), Some(6));
    let wide = r#"
measurement = "env"
precision = "s"
[timestamp]
column = "time"
format = "unix_s"
[tags]
sensor = { key_of = "s*" }
[fields]
value = { column = "s*", type = "float" }
"#;
    let p = agrees(wide, "w.csv", "time,s1,s2\n1,20.5,21.0\n2,x,1\n");
    assert_eq!(p.records[0].lines.len(), 2);
}

#[test]
fn stops_after_the_records_wanted() {
    let schema = Schema::from_toml(CSV_SCHEMA).unwrap();
    let text = "time,host,usage\n1,a,0.5\n2,b,1\n3,c,2\n";
    let p = preview(stream("in.csv", text), &schema, tuning(1 << 20), 2).unwrap();
    assert_eq!(p.records.len(), 2);
    assert!(p.more);
    let p = preview(stream("in.csv", text), &schema, tuning(1 << 20), 3).unwrap();
    assert!(!p.more);
}

#[test]
fn pattern_keys_and_key_of_list_what_they_write() {
    let schema = r#"
format = "ndjson"
measurement = "m"
[tags]
disk = { key_of = "/disks/*" }
[fields]
r = { path = "/disks/*/r", type = "integer" }
"*" = { path = "/values/*", type = "float", exclude = ["note"] }
"#;
    let text =
        "{\"disks\":{\"sda\":{\"r\":1},\"sdb\":{\"r\":2}},\"values\":{\"x\":1.5,\"note\":2}}\n";
    let p = agrees(schema, "k.ndjson", text);
    let reads = &p.records[0].reads;
    let find = |e: &str| reads.iter().find(|r| r.entry == e).unwrap();
    let names = vec![
        ("sda".into(), "\"sda\"".into()),
        ("sdb".into(), "\"sdb\"".into()),
    ];
    assert_eq!(find("tag disk").taken, Taken::Each(names));
    assert_eq!(find("tag disk").source, "key_of \"/disks/*\"");
    let spread = find("field *");
    assert_eq!(spread.source, "path \"/values/*\"");
    assert_eq!(spread.taken, Taken::Each(vec![("x".into(), "1.5".into())]));
}

#[test]
fn a_silent_pipe_shows_the_records_it_gave_without_waiting() {
    let silent = |text: &str| Input {
        data: InputData::Stream(Box::new(Silent(io::Cursor::new(text.as_bytes().to_vec())))),
        ..stream("<stdin>", "")
    };
    let csv = Schema::from_toml(CSV_SCHEMA).unwrap();
    let comment = "measurement = \"c\"\n[csv]\ncomment = \"#\"\n[fields]\nv = \"integer\"\n";
    let comment = Schema::from_toml(comment).unwrap();
    let ndjson = "format = \"ndjson\"\nmeasurement = \"m\"\n[fields]\nv = \"integer\"\n";
    let ndjson = Schema::from_toml(ndjson).unwrap();
    let annotated = Schema::from_toml("format = \"annotated-csv\"\n").unwrap();
    let table = "#datatype,string,long,dateTime:RFC3339,double,string,string\n\
                 ,result,table,_time,_value,_field,_measurement\n\
                 ,,0,2020-02-25T22:17:57Z,0,u,cpu\n,,0,2020-02-25T22:18:07Z,1,u,cpu\n";
    let cases = [
        (&annotated, table, 2, false),
        (&csv, "time,host,usage\n1,a,0.5\n2,b,1\n", 2, false),
        (&csv, "time,host,usage\n1,a,0.5\n2,b,1\n3,c,2\n", 2, true),
        (
            &csv,
            "time,host,usage\n1,\"a\nb\",0.5\n2,\"b\",1\n",
            2,
            false,
        ),
        (&comment, "# note\nv\n# x\n1\n2\n", 2, false),
        (&ndjson, "{\"v\":1}\n{\"v\":2}\n", 2, false),
        (&ndjson, "[{\"v\":1},{\"v\":2}\n", 2, false),
        (&ndjson, "[{\"v\":1},{\"v\":2},", 2, true),
    ];
    for (schema, text, n, more) in cases {
        let p = preview(silent(text), schema, tuning(1 << 20), n).unwrap();
        assert_eq!(p.records.len(), n, "{text}");
        assert_eq!((p.more, p.unread), (more, !more), "{text}");
    }
}
