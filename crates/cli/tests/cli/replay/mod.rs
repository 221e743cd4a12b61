//! `lpconvert replay` end to end: against the fault-injecting server, against real InfluxDB
//! 1.x and VictoriaMetrics servers, and with `--schema` (CSV/NDJSON converted while sent).

mod fault_server;
mod real_servers;
mod schema;
mod schema_multi;
mod schema_resume;
