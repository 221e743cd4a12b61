//! The lpconvert command line end to end, as one test binary: the built `lpconvert` run with
//! arguments, files and servers, its exit status, stdout, stderr and output files checked.
//!
//! One module per command (`convert`, `infer`, `check`, `replay`, `bench`), then the
//! regressions grouped by what they pin: `outputs` (an output never replaces an input, is put
//! in place only on success), `input_limits` (inputs that end early, never end, change while
//! read, or hold records too long for memory), `value_rules` (what convert writes, check
//! accepts and the servers store), `network_faults` (what replay and bench do with redirects,
//! TLS, malformed URLs, secrets and unusual server answers), `replay_control` (replay's
//! inputs, checkpoints, signals, flushing and option ranges). Shared helpers are in `support`.
//!
//! The replay and bench tests start their own InfluxDB 1.x and VictoriaMetrics servers
//! (`/usr/bin/influxd`, `/usr/bin/victoria-metrics`) on 127.0.0.1, see `run-tests.sh`.

mod support;

mod bench;
mod check;
mod compressed;
mod convert;
mod differential;
mod infer;
mod input_limits;
mod network_faults;
mod outputs;
mod replay;
mod replay_control;
mod value_rules;
