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
    /// How it was started: binary, arguments, readiness path and log.
    start: (String, Vec<String>, String, String),
}

impl ServerProcess {
    /// Starts the server again on the same data and port after it exited (a crash).
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (bin, args, ready_path, ready_log) = self.start.clone();
        let name = Path::new(&bin)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("server")
            .to_string();
        self.child = Command::new(&bin)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(self._dir.join(format!("{name}.log.2"))).unwrap())
            .stderr(std::fs::File::create(self._dir.join(format!("{name}.err.2"))).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("restart {bin}: {e}"));
        let log = self._dir.join(format!("{name}.{ready_log}.2"));
        wait_ready(&self.url, &ready_path, &mut self.child, &log);
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_ready(url: &str, path: &str, child: &mut Child, log: &Path) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
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
    let name = Path::new(bin)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("server");
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.join(format!("{name}.log"))).unwrap())
        .stderr(std::fs::File::create(dir.join(format!("{name}.err"))).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("start {bin}: {e}"));
    let log = dir.join(format!("{name}.{ready_log}"));
    wait_ready(&url, ready_path, &mut child, &log);
    ServerProcess {
        url,
        child,
        _dir: dir,
        start: (
            bin.to_string(),
            args.to_vec(),
            ready_path.to_string(),
            ready_log.to_string(),
        ),
    }
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
    let dir = TempDir::new("influxd");
    let (http, rpc) = (free_port(), free_port());
    let d = dir.0.display();
    let config = format!(
        "reporting-disabled = true\nbind-address = \"127.0.0.1:{rpc}\"\n\
         [meta]\n  dir = \"{d}/meta\"\n\
         [data]\n  dir = \"{d}/data\"\n  wal-dir = \"{d}/wal\"\n  query-log-enabled = false\n\
         [http]\n  enabled = true\n  bind-address = \"127.0.0.1:{http}\"\n  log-enabled = false\n\
         [monitor]\n  store-enabled = false\n\
         [continuous_queries]\n  enabled = false\n\
         [logging]\n  level = \"warn\"\n"
    );
    let conf = dir.join("influxdb.conf");
    std::fs::write(&conf, config).unwrap();
    let args = ["-config".to_string(), conf.display().to_string()];
    let url = format!("http://127.0.0.1:{http}");
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
    let dir = TempDir::new("vm");
    let port = free_port();
    let args = [
        format!("-httpListenAddr=127.0.0.1:{port}"),
        format!("-storageDataPath={}", dir.join("data").display()),
        "-retentionPeriod=100y".to_string(),
        "-loggerLevel=ERROR".to_string(),
    ];
    let url = format!("http://127.0.0.1:{port}");
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
