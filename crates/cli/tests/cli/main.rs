//! The lpconvert command line end to end, as one test binary: the built `lpconvert` run with
//! arguments, files and servers, its exit status, stdout, stderr and output files checked.
//!
//! One module per command (`convert`, `infer`, `check`, `replay`, `bench`, `preview` with
//! `completions` and `man`), then the
//! regressions grouped by what they pin: `outputs` (an output never replaces an input, is put
//! in place only on success), `input_limits` (inputs that end early, never end, change while
//! read, or hold records too long for memory), `value_rules` (what convert writes, check
//! accepts and the servers store), `network_faults` (what replay and bench do with redirects,
//! TLS, malformed URLs, secrets and unusual server answers), `replay_control` (replay's
//! inputs, checkpoints, signals, flushing and option ranges), `connection` (settings from the
//! InfluxDB tools' variables and config file, the request per write API, recorded refusals),
//! `tls` (private CAs, `SSL_CERT_FILE`, client certificates, certificate errors), `skipped`
//! (rows that produce no line: named, kept by `--skipped`),
//! `influxdb1_writes` (refusals naming no line narrowed down, `--db` left out,
//! `--create-db`), `walkthrough` (the README's weather-station job, command by command).
//! Shared helpers are in `support`.
//!
//! The replay and bench tests start their own InfluxDB 1.x and VictoriaMetrics servers
//! (`/usr/bin/influxd`, `/usr/bin/victoria-metrics`) on 127.0.0.1, see `run-tests.sh`.

mod support;

mod bench;
mod check;
mod compressed;
mod connection;
mod convert;
mod differential;
mod docs;
mod infer;
mod infer_outliers;
mod influxdb1_writes;
mod input_limits;
mod many_files;
mod network_faults;
mod outputs;
mod preview;
mod replay;
mod replay_control;
mod shards;
mod skipped;
mod switching;
mod threads;
mod tls;
mod value_rules;
mod verify;
mod walkthrough;
