//! `lpconvert-send`: sending finished line protocol to InfluxDB-compatible servers.
//!
//! The layers are separate types, each testable alone:
//!
//! - [`output`]: standard output and output files (`FILE.partial` renamed into place when
//!   the run succeeds), checked against the inputs and each other before anything is opened;
//! - [`input`]: inputs opened by the caller (the cli uses the engine's input layer) read as
//!   blocks of whole lines, resumed at a checkpoint's offset;
//! - [`batch`]: blocks cut into batches of whole lines, comments dropped, timestamps rewritten
//!   ([`timeshift`]);
//! - [`ratelimit`]: smooth pacing by lines/s and/or bytes/s;
//! - [`transport`]: one HTTP POST (a trait; [`transport::HttpTransport`] is ureq with
//!   keep-alive and rustls; [`tls`]: trusted roots, client certificates, certificate errors
//!   explained);
//! - [`dialect`]: URLs, precision and authentication of the v1/v2/v3 write APIs; [`redact`]:
//!   secrets kept out of what is printed or stored;
//! - [`settings`]: connection settings from flags, the InfluxDB tools' environment variables
//!   and the `influx` CLI's config file, each with its origin;
//! - [`retry`] and [`partial`]: what each answer means, backoff, refusals;
//! - [`sender`]: one batch sent until answered; [`pool`]: the sender threads (shared with
//!   the `lpconvert-bench` crate); [`replay`]: the whole pipeline with [`checkpoint`]s and
//!   [`stats`] (request counts, latency histogram and [`stats::Percentiles`]);
//! - [`verify`]: whether a server holds the points of some line protocol, and the lines of
//!   those it lacks.

#![warn(missing_docs)]

pub mod batch;
pub mod checkpoint;
pub mod clock;
pub mod dialect;
pub mod input;
pub mod output;
pub mod partial;
pub mod pool;
pub mod precision_check;
pub mod ratelimit;
pub mod redact;
pub mod replay;
pub mod retry;
pub mod sender;
pub mod settings;
pub mod stats;
pub mod timeshift;
pub mod tls;
pub mod transport;
pub mod units;
pub mod verify;

pub use dialect::{Api, Auth, Endpoint, Precision, Secrets, ServerUrl, Target, V3Options};
pub use replay::{run, ReplayConfig, ReplayError};
pub use stats::{Ending, LiveCounters, Percentiles, RunOutcome, Summary};
pub use transport::{DryRunTransport, HttpConfig, HttpTransport, Transport};
