//! Real InfluxDB 1.x and VictoriaMetrics processes started from their Debian packages on
//! 127.0.0.1 with a temporary data directory, killed when dropped, and the HTTP calls that
//! read back what they stored.

use super::TempDir;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server process killed on drop.
pub struct ServerProcess {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    child: Child,
    _dir: TempDir,
    /// How it was started: the binary, its arguments, the readiness path and log.
    start: (String, Vec<String>, String, String),
}

impl ServerProcess {
    /// Kills the server with SIGKILL (no flush, no clean shutdown) and starts it again on the
    /// same port and data directory, waiting until it is ready.
    pub fn kill9_and_restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (bin, args, ready_path, ready_log) = &self.start;
        let (child, log) = spawn_server(bin, args, &self._dir);
        self.child = child;
        wait_ready(
            &self.url,
            ready_path,
            &mut self.child,
            &log.with_extension(ready_log),
        );
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_ready(url: &str, path: &str, child: &mut Child, log: &Path) {
    // A TLS server is asked without verifying its (test) certificate: only its readiness is
    // wanted here.
    let tls = ureq::tls::TlsConfig::builder()
        .disable_verification(url.starts_with("https:"))
        .build();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(2)))
        .build()
        .into();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "server exited with {status}: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        if let Ok(r) = agent.get(&format!("{url}{path}")).call() {
            if r.status().is_success() {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "server at {url} not ready after 60 s: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// Starts `bin ARGS` with its stdout in `dir/NAME.log` and stderr in `dir/NAME.err`, waits
/// until `GET url+ready_path` answers 2xx (showing `dir/NAME.ready_log` if it never does).
fn start_server(
    bin: &str,
    package: &str,
    args: &[String],
    dir: TempDir,
    url: String,
    (ready_path, ready_log): (&str, &str),
) -> ServerProcess {
    assert!(
        Path::new(bin).exists(),
        "{bin} is missing: install the Debian package (apt-get install -y {package})"
    );
    let (mut child, log) = spawn_server(bin, args, &dir);
    let log = log.with_extension(ready_log);
    wait_ready(&url, ready_path, &mut child, &log);
    ServerProcess {
        url,
        child,
        _dir: dir,
        start: (
            bin.to_owned(),
            args.to_vec(),
            ready_path.to_owned(),
            ready_log.to_owned(),
        ),
    }
}

/// Spawns `bin ARGS` with its stdout in `dir/NAME.log` and stderr in `dir/NAME.err` (appended
/// to, across restarts); returns the child and `dir/NAME.log`.
fn spawn_server(bin: &str, args: &[String], dir: &TempDir) -> (Child, std::path::PathBuf) {
    let name = Path::new(bin)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("server");
    let append = |ext: &str| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("{name}.{ext}")))
            .unwrap()
    };
    let child = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(append("log"))
        .stderr(append("err"))
        .spawn()
        .unwrap_or_else(|e| panic!("start {bin}: {e}"));
    (child, dir.join(format!("{name}.log")))
}

/// Starts InfluxDB 1.x (as `start_influxdb`) and creates each of `databases`.
pub fn start_influxdb_with(databases: &[&str]) -> ServerProcess {
    let server = start_influxdb();
    for db in databases {
        influx_query(&server.url, "", &format!("CREATE DATABASE {db}"));
    }
    server
}

/// Starts InfluxDB 1.x (`/usr/bin/influxd`, Debian package `influxdb`) on 127.0.0.1.
pub fn start_influxdb() -> ServerProcess {
    start_influxdb_on(None)
}

/// Starts InfluxDB 1.x serving HTTPS (`https-enabled = true`) with the PEM certificate and key
/// `cert`, `key`; its `url` is `https://127.0.0.1:PORT`.
pub fn start_influxdb_https(cert: &Path, key: &Path) -> ServerProcess {
    start_influxdb_on(Some((cert, key)))
}

fn start_influxdb_on(https: Option<(&Path, &Path)>) -> ServerProcess {
    let dir = TempDir::new("influxd");
    let (http, rpc) = (free_port(), free_port());
    let d = dir.0.display();
    let tls = match https {
        Some((cert, key)) => format!(
            "  https-enabled = true\n  https-certificate = \"{}\"\n  https-private-key = \"{}\"\n",
            cert.display(),
            key.display()
        ),
        None => String::new(),
    };
    let config = format!(
        "reporting-disabled = true\nbind-address = \"127.0.0.1:{rpc}\"\n\
         [meta]\n  dir = \"{d}/meta\"\n\
         [data]\n  dir = \"{d}/data\"\n  wal-dir = \"{d}/wal\"\n  query-log-enabled = false\n\
         [http]\n  enabled = true\n  bind-address = \"127.0.0.1:{http}\"\n  log-enabled = false\n{tls}\
         [monitor]\n  store-enabled = false\n\
         [continuous_queries]\n  enabled = false\n\
         [logging]\n  level = \"warn\"\n"
    );
    let conf = dir.join("influxdb.conf");
    std::fs::write(&conf, config).unwrap();
    let args = ["-config".to_string(), conf.display().to_string()];
    let scheme = if https.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://127.0.0.1:{http}");
    start_server(
        "/usr/bin/influxd",
        "influxdb",
        &args,
        dir,
        url,
        ("/ping", "err"),
    )
}

/// Starts VictoriaMetrics (`victoria-metrics`, Debian package) on 127.0.0.1.
pub fn start_victoria_metrics() -> ServerProcess {
    start_victoria_metrics_on(None)
}

/// Starts VictoriaMetrics serving HTTPS (`-tls -tlsCertFile -tlsKeyFile`); its `url` is
/// `https://127.0.0.1:PORT`.
pub fn start_victoria_metrics_tls(cert: &Path, key: &Path) -> ServerProcess {
    start_victoria_metrics_on(Some((cert, key)))
}

fn start_victoria_metrics_on(tls: Option<(&Path, &Path)>) -> ServerProcess {
    let dir = TempDir::new("vm");
    let port = free_port();
    let mut args = vec![
        format!("-httpListenAddr=127.0.0.1:{port}"),
        format!("-storageDataPath={}", dir.join("data").display()),
        "-retentionPeriod=100y".to_string(),
        "-loggerLevel=ERROR".to_string(),
    ];
    if let Some((cert, key)) = tls {
        args.push("-tls".to_string());
        args.push(format!("-tlsCertFile={}", cert.display()));
        args.push(format!("-tlsKeyFile={}", key.display()));
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://127.0.0.1:{port}");
    let package = "victoria-metrics";
    start_server(
        "/usr/bin/victoria-metrics",
        package,
        &args,
        dir,
        url,
        ("/health", "log"),
    )
}

/// A GET returning the body as text (panics unless 2xx).
pub fn http_get(url: &str) -> String {
    let mut r = ureq::get(url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    r.body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_string()
        .unwrap()
}

/// An InfluxQL query (POST /query), as JSON.
pub fn influx_query(url: &str, db: &str, q: &str) -> serde_json::Value {
    let mut r = ureq::post(&format!("{url}/query"))
        .query("db", db)
        .query("epoch", "ns")
        .send_form([("q", q)])
        .unwrap_or_else(|e| panic!("query {q}: {e}"));
    let text = r
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_string()
        .unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("query {q}: {e}: {text}"))
}
