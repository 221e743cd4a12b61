//! Criterion benchmarks of the conversion hot loop: one worker converting an in-memory chunk
//! of generated cpu and home data (CSV and NDJSON), as the parallel driver runs it.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lpconvert_benches::datagen::{generate, Format as GenFormat, Limit, Shape};
use lpconvert_engine::chunk_csv::CsvWorker;
use lpconvert_engine::chunk_ndjson::NdjsonWorker;
use lpconvert_engine::csv_record::Dialect;
use lpconvert_engine::pipeline::ChunkAt;
use lpconvert_engine::report::ChunkOutput;
use lpconvert_schema::{Format, Plan, Schema};
use std::path::Path;

const CHUNK: u64 = 4 << 20;

fn schema(name: &str) -> Schema {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../schemas")
        .join(name);
    match lpconvert_schema::load(&path) {
        Ok(s) => s,
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

/// A generated chunk: (header names, body bytes).
fn data(shape: Shape, format: GenFormat) -> (Vec<String>, Vec<u8>) {
    let mut buf = Vec::new();
    if let Err(e) = generate(shape, format, Limit::Bytes(CHUNK), 7, &mut buf) {
        panic!("generate: {e}");
    }
    if format == GenFormat::Csv {
        let nl = buf.iter().position(|&b| b == b'\n').unwrap_or(0);
        let header = String::from_utf8_lossy(&buf[..nl])
            .split(',')
            .map(str::to_string)
            .collect();
        (header, buf[nl + 1..].to_vec())
    } else {
        (Vec::new(), buf)
    }
}

fn hot_loop(c: &mut Criterion) {
    let mut g = c.benchmark_group("convert-chunk");
    g.sample_size(20);
    let dialect = Dialect {
        delimiter: b',',
        quote: b'"',
        escape: None,
        comment: None,
        trim: false,
    };
    for (shape, name, schema_file) in [
        (Shape::Cpu, "cpu", "cpu.toml"),
        (Shape::Home, "home", "home.toml"),
    ] {
        let schema = schema(schema_file);
        let (header, body) = data(shape, GenFormat::Csv);
        let plan = match Plan::compile(&schema, Format::Csv, Some(&header), "bench") {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        let mut worker = CsvWorker::default();
        let mut out = ChunkOutput::default();
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(BenchmarkId::new("csv", name), |b| {
            b.iter(|| {
                worker.convert(&plan, dialect, &body, &mut out);
                assert_eq!(out.rejects.len(), 0);
            })
        });
    }
    for (shape, name, schema_file) in [
        (Shape::Cpu, "cpu", "cpu-ndjson.toml"),
        (Shape::Home, "home", "home-ndjson.toml"),
    ] {
        let schema = schema(schema_file);
        let (_, body) = data(shape, GenFormat::Ndjson);
        let plan = match Plan::compile(&schema, Format::Ndjson, None, "bench") {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        let mut worker = NdjsonWorker::new(&plan, false, lpconvert_engine::DEFAULT_MAX_RECORD);
        let mut out = ChunkOutput::default();
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(BenchmarkId::new("ndjson", name), |b| {
            b.iter(|| {
                worker.convert(
                    &plan,
                    &body,
                    ChunkAt {
                        first: true,
                        last: true,
                    },
                    &mut out,
                );
                assert_eq!(out.rejects.len(), 0);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, hot_loop);
criterion_main!(benches);
