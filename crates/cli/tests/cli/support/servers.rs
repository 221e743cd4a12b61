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

/// Starts InfluxDB 1.x (`/usr/bin/influxd`, Debian package `influxdb`) on 127.0.0.1.
pub fn start_influxdb() -> ServerProcess {
    let bin = "/usr/bin/influxd";
    assert!(
        Path::new(bin).exists(),
        "{bin} is missing: install the Debian package (apt-get install -y influxdb)"
    );
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
    let log = dir.join("influxd.log");
    let mut child = Command::new(bin)
        .arg("-config")
        .arg(&conf)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(dir.join("influxd.err")).unwrap())
        .spawn()
        .expect("start influxd");
    let url = format!("http://127.0.0.1:{http}");
    wait_ready(&url, "/ping", &mut child, &dir.join("influxd.err"));
    ServerProcess {
        url,
        child,
        _dir: dir,
    }
}

/// Starts VictoriaMetrics (`victoria-metrics`, Debian package) on 127.0.0.1.
pub fn start_victoria_metrics() -> ServerProcess {
    let bin = "/usr/bin/victoria-metrics";
    assert!(
        Path::new(bin).exists(),
        "{bin} is missing: install the Debian package (apt-get install -y victoria-metrics)"
    );
    let dir = TempDir::new("vm");
    let port = free_port();
    let log = dir.join("vm.log");
    let mut child = Command::new(bin)
        .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
        .arg(format!("-storageDataPath={}", dir.join("data").display()))
        .arg("-retentionPeriod=100y")
        .arg("-loggerLevel=ERROR")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(dir.join("vm.err")).unwrap())
        .spawn()
        .expect("start victoria-metrics");
    let url = format!("http://127.0.0.1:{port}");
    wait_ready(&url, "/health", &mut child, &log);
    ServerProcess {
        url,
        child,
        _dir: dir,
    }
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
