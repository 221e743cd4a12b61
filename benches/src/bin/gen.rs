//! `gen`: writes one benchmark data set, deterministically from a seed.
//!
//! ```text
//! gen cpu csv --size 1GB --seed 1 -o bench-data/cpu.csv
//! gen home ndjson --rows 5000000 -o bench-data/home.ndjson
//! gen wide csv --size 100MB -o bench-data/wide.csv
//! gen nested ndjson -o bench-data/nested.ndjson
//! ```

use clap::Parser;
use lpconvert_benches::datagen::{default_size, generate, Format, Limit, Shape};
use lpconvert_send::units::parse_size;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Generate a benchmark data set (TSBS-like `cpu` or tutorial-like `home`, CSV or NDJSON; `wide`
/// CSV or `nested` NDJSON).
#[derive(Parser, Debug)]
#[command(name = "gen")]
struct Args {
    /// `cpu` (10 tags, 10 floats, RFC 3339 time), `home` (room tag, 2 floats, 1 integer), `wide`
    /// (CSV only: time and 100 sensor columns) or `nested` (NDJSON only: a site and 10 readings).
    shape: Shape,
    /// `csv` or `ndjson`.
    format: Format,
    /// Approximate size (stops after the row that reaches it): bytes, or with a unit: KB, MB,
    /// GB are powers of 1000 (200MB), K, M, G and KiB, MiB, GiB powers of 1024 (1G = 1GiB). Default: cpu csv 1GB, cpu ndjson 2.9GB, home csv 200MB, home ndjson 420MB, wide csv and nested ndjson 1GB.
    #[arg(long, value_parser = parse_size, conflicts_with = "rows")]
    size: Option<u64>,
    /// Exact number of rows instead of a size (the NDJSON twin of a CSV file: same rows).
    #[arg(long)]
    rows: Option<u64>,
    /// Seed of the random values; the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output file (`-` for stdout).
    #[arg(short, long)]
    output: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(e) = args.shape.check(args.format) {
        let _ = writeln!(std::io::stderr(), "gen: {e}");
        return ExitCode::from(2);
    }
    let limit = match (args.rows, args.size) {
        (Some(r), _) => Limit::Rows(r),
        (None, Some(s)) => Limit::Bytes(s),
        (None, None) => Limit::Bytes(default_size(args.shape, args.format)),
    };
    let start = Instant::now();
    let result = if args.output.as_os_str() == "-" {
        let mut out = BufWriter::with_capacity(8 << 20, std::io::stdout().lock());
        generate(args.shape, args.format, limit, args.seed, &mut out)
    } else {
        File::create(&args.output).and_then(|f| {
            let mut out = BufWriter::with_capacity(8 << 20, f);
            let stats = generate(args.shape, args.format, limit, args.seed, &mut out)?;
            out.flush()?;
            Ok(stats)
        })
    };
    match result {
        Ok(stats) => {
            let secs = start.elapsed().as_secs_f64();
            let _ = writeln!(
                std::io::stderr(),
                "gen: {} {}: {} rows, {} bytes in {secs:.2} s ({:.0} MB/s)",
                args.shape,
                args.format,
                stats.rows,
                stats.bytes,
                stats.bytes as f64 / 1e6 / secs.max(1e-9)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "gen: {}: {e}", args.output.display());
            ExitCode::from(2)
        }
    }
}
