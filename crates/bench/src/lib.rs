//! `lpconvert-bench`: a synthetic ingest benchmark over the replay sender, and the data
//! generators of the benchmarks.
//!
//! A generated workload ([`workload`]) is cut into batches by the controller (the caller's
//! thread), paced by the replay rate limiter, and sent by `concurrency` workers of the replay
//! sender's [`lpconvert_send::pool`] (retries, 413 splits, refusals). Every request is timed
//! into a per-second [`timeline::Timeline`]. Three modes ([`Mode`]):
//!
//! - a fixed rate for a duration;
//! - unthrottled: as fast as `concurrency` connections go;
//! - a ramp: the rate starts low and is multiplied every step until a step fails (p99 latency
//!   above the bound, any error, or the server not keeping up with the rate asked); the highest
//!   step that passed is the saturation point ([`ramp`]).
//!
//! A warm-up period comes first and is excluded from the measured statistics. [`probe`] asks
//! the server for its version; [`report`] writes the results (JSON, Markdown, SVG). The cli
//! reads the data of `--from` through the engine's input layer.
//!
//! [`datagen`] writes the CSV and NDJSON data sets of the end-to-end benchmark (`benches/`),
//! from the same random generator ([`rng`]) as the workloads.

#![warn(missing_docs)]

pub mod config;
pub mod datagen;
pub mod probe;
pub mod ramp;
pub mod report;
pub mod rng;
pub mod run;
pub mod timeline;
pub mod workload;

pub use config::{BenchConfig, BenchError, Mode, RampConfig};
pub use ramp::{judge_step, Saturation, StepResult};
pub use run::{run, timeline_for, BenchResult};
