//! The end-to-end benchmark's results and their table.

use crate::measure::Measurement;
use std::fmt::Write;
use std::time::Duration;

/// The `path` of the peer's rows, compared against by the "vs peer" column.
pub const PEER: &str = "polars (peer)";

/// The runs of one tool on one data set.
#[derive(Debug, Clone)]
pub struct Row {
    /// Data set name, e.g. `cpu-csv`.
    pub dataset: String,
    /// How it was run: `mmap`, `stdin` or [`PEER`].
    pub path: String,
    /// Input size in bytes.
    pub bytes: u64,
    /// Input rows (CSV header excluded).
    pub rows: u64,
    /// The successful runs.
    pub runs: Vec<Measurement>,
    /// Why the runs stopped early, if they did.
    pub failure: Option<String>,
}

impl Row {
    /// The fastest successful run's wall time.
    pub fn best_wall(&self) -> Option<Duration> {
        self.runs.iter().map(|m| m.wall).min()
    }

    /// The median wall time of the successful runs (the slower middle one for an even count).
    pub fn median_wall(&self) -> Option<Duration> {
        let mut w: Vec<Duration> = self.runs.iter().map(|m| m.wall).collect();
        w.sort();
        w.get(w.len() / 2).copied()
    }

    /// Input megabytes (10^6 bytes) per second of the fastest run.
    pub fn best_mb_s(&self) -> Option<f64> {
        self.best_wall()
            .map(|w| self.bytes as f64 / 1e6 / w.as_secs_f64())
    }

    /// Input megabytes per second of the median run.
    pub fn median_mb_s(&self) -> Option<f64> {
        self.median_wall()
            .map(|w| self.bytes as f64 / 1e6 / w.as_secs_f64())
    }

    /// Input rows per second of the fastest run.
    pub fn best_rows_s(&self) -> Option<f64> {
        self.best_wall().map(|w| self.rows as f64 / w.as_secs_f64())
    }

    fn max_of(&self, f: impl Fn(&Measurement) -> u64) -> Option<u64> {
        self.runs.iter().map(f).max()
    }
}

fn mib(b: u64) -> String {
    format!("{:.1}", b as f64 / (1024.0 * 1024.0))
}

fn opt(v: Option<String>) -> String {
    v.unwrap_or_else(|| "-".to_string())
}

/// `12345678.0` as `12.35M`, `2500.0` as `2.50k`.
pub fn si(v: f64) -> String {
    if v >= 1e9 {
        format!("{:.2}G", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.2}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// The results as a Markdown table, one line per row, then the stdin/mmap ratios.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str(
        "| data set | path | MB/s best | MB/s median | rows/s | best s | CPU s | max RSS MiB \
         | max RssAnon MiB | vs peer | runs | note |\n",
    );
    out.push_str("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");
    for r in rows {
        let peer = rows
            .iter()
            .find(|p| p.dataset == r.dataset && p.path == PEER)
            .and_then(Row::best_mb_s);
        let vs_peer = match (r.path != PEER, r.best_mb_s(), peer) {
            (true, Some(a), Some(b)) => Some(format!("{:.2}x", a / b)),
            _ => None,
        };
        let best_cpu = r
            .runs
            .iter()
            .min_by_key(|m| m.wall)
            .map(|m| format!("{:.2}", m.cpu.as_secs_f64()));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.dataset,
            r.path,
            opt(r.best_mb_s().map(|v| format!("{v:.0}"))),
            opt(r.median_mb_s().map(|v| format!("{v:.0}"))),
            opt(r.best_rows_s().map(si)),
            opt(r.best_wall().map(|w| format!("{:.3}", w.as_secs_f64()))),
            opt(best_cpu),
            opt(r.max_of(|m| m.max_rss).map(mib)),
            opt(r.max_of(|m| m.max_anon).map(mib)),
            opt(vs_peer),
            r.runs.len(),
            r.failure.as_deref().unwrap_or("").replace('|', "/"),
        );
    }
    let mut datasets: Vec<&str> = rows.iter().map(|r| r.dataset.as_str()).collect();
    datasets.dedup();
    for d in datasets {
        let get = |p: &str| {
            rows.iter()
                .find(|r| r.dataset == d && r.path == p)
                .and_then(Row::best_mb_s)
        };
        if let (Some(m), Some(s)) = (get("mmap"), get("stdin")) {
            let _ = writeln!(
                out,
                "\n{d}: stdin path at {:.0}% of the mmap path",
                100.0 * s / m
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Outcome;

    fn m(ms: u64, rss: u64, anon: u64) -> Measurement {
        Measurement {
            outcome: Outcome::Exited(0),
            wall: Duration::from_millis(ms),
            cpu: Duration::from_millis(2 * ms),
            max_rss: rss,
            max_anon: anon,
            stderr_tail: String::new(),
        }
    }

    fn row(path: &str, walls: &[u64], failure: Option<&str>) -> Row {
        Row {
            dataset: "cpu-csv".into(),
            path: path.into(),
            bytes: 1_000_000_000,
            rows: 5_000_000,
            runs: walls.iter().map(|&w| m(w, 300 << 20, 20 << 20)).collect(),
            failure: failure.map(str::to_string),
        }
    }

    #[test]
    fn figures_of_a_row() {
        let r = row("mmap", &[2000, 1000, 4000], None);
        assert_eq!(r.best_mb_s(), Some(1000.0));
        assert_eq!(r.median_mb_s(), Some(500.0));
        assert_eq!(r.best_rows_s(), Some(5e6));
        assert_eq!(row("mmap", &[], None).best_mb_s(), None);
    }

    #[test]
    fn table_compares_with_the_peer_and_shows_failures() {
        let rows = vec![
            row("mmap", &[1000], None),
            row("stdin", &[1250], None),
            row(PEER, &[4000], None),
            Row {
                dataset: "home-csv".into(),
                ..row("mmap", &[], Some("exit 2: not | implemented"))
            },
        ];
        let t = table(&rows);
        assert!(t.contains("| cpu-csv | mmap | 1000 | 1000 | 5.00M | 1.000 | 2.00 | 300.0 | 20.0 | 4.00x | 1 |  |"), "{t}");
        assert!(t.contains("| polars (peer) | 250 |"), "{t}");
        assert!(t.contains("| home-csv | mmap | - | - | - | - | - | - | - | - | 0 | exit 2: not / implemented |"), "{t}");
        assert!(
            t.contains("cpu-csv: stdin path at 80% of the mmap path"),
            "{t}"
        );
        assert_eq!(si(1234.0), "1.23k");
        assert_eq!(si(12.0), "12");
    }
}
