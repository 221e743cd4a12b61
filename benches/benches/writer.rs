//! Criterion benchmarks of the line protocol writer: escaping and value formatting.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lpconvert_lp::escape::{write_key_checked, write_measurement_checked};
use lpconvert_lp::value::{write_float, write_integer};
use lpconvert_lp::write_string_value;
use std::hint::black_box;

fn escaping(c: &mut Criterion) {
    let mut g = c.benchmark_group("escape");
    for (name, text) in [
        ("plain", &b"us-east-1a"[..]),
        ("spaces", &b"Living Room, upstairs"[..]),
        (
            "long-plain",
            &b"service_environment_production_cluster_7"[..],
        ),
    ] {
        g.throughput(Throughput::Bytes(text.len() as u64));
        let mut out = Vec::with_capacity(1 << 16);
        g.bench_with_input(BenchmarkId::new("key", name), text, |b, t| {
            b.iter(|| {
                out.clear();
                black_box(write_key_checked(&mut out, black_box(t)))
            })
        });
        g.bench_with_input(BenchmarkId::new("measurement", name), text, |b, t| {
            b.iter(|| {
                out.clear();
                black_box(write_measurement_checked(&mut out, black_box(t)))
            })
        });
        g.bench_with_input(BenchmarkId::new("string", name), text, |b, t| {
            b.iter(|| {
                out.clear();
                write_string_value(&mut out, black_box(t), false);
            })
        });
    }
    g.finish();
}

fn values(c: &mut Criterion) {
    let mut g = c.benchmark_group("value");
    let mut out = Vec::with_capacity(1 << 16);
    for (name, text) in [
        ("float-copied", &b"58.13"[..]),
        ("float-reformatted", &b".5"[..]),
        ("float-exp", &b"4.294967296663e+09"[..]),
    ] {
        g.bench_with_input(BenchmarkId::new("float", name), text, |b, t| {
            b.iter(|| {
                out.clear();
                black_box(write_float(&mut out, black_box(t)))
            })
        });
    }
    g.bench_function("integer", |b| {
        b.iter(|| {
            out.clear();
            black_box(write_integer(&mut out, black_box(b"-9223372036854775808")))
        })
    });
    g.finish();
}

criterion_group!(benches, escaping, values);
criterion_main!(benches);
