//! Servers for the replay tests: a fault-injecting HTTP server (std only), and real InfluxDB
//! 1.x and VictoriaMetrics processes started from their Debian packages on 127.0.0.1 with a
//! temporary data directory, killed when dropped.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A request as the fault server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Request number, from 0.
    pub n: usize,
    /// When it was fully received.
    pub at: Instant,
    /// Path and query.
    pub target: String,
    /// Headers, lower-case names.
    pub headers: HashMap<String, String>,
    /// Body, decompressed when gzip.
    pub body: Vec<u8>,
    /// Lines of the body that the reply stored (204: all; partial write: the good ones).
    pub stored: Vec<String>,
    /// Status answered (0: connection reset).
    pub status: u16,
}

impl Seen {
    /// Body lines.
    pub fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.body)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// What to answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A status with headers and a body, after a delay; `stored` says which lines count as
    /// stored (all of them for 2xx when `None`).
    Status {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
        delay: Duration,
        stored: Option<Vec<String>>,
    },
    /// Close the connection without answering.
    Reset,
    /// Write these bytes as the whole answer (status line, headers, body, possibly malformed),
    /// count `stored` as stored, then close the connection.
    Raw { bytes: Vec<u8>, stored: Vec<String> },
}

impl Reply {
    /// A plain status.
    pub fn status(status: u16) -> Reply {
        Reply::Status {
            status,
            headers: vec![],
            body: String::new(),
            delay: Duration::ZERO,
            stored: None,
        }
    }
    /// A status with a body.
    pub fn with_body(status: u16, body: impl Into<String>) -> Reply {
        Reply::Status {
            status,
            headers: vec![],
            body: body.into(),
            delay: Duration::ZERO,
            stored: None,
        }
    }
    /// A status with one header.
    pub fn with_header(status: u16, name: &str, value: &str) -> Reply {
        Reply::Status {
            status,
            headers: vec![(name.into(), value.into())],
            body: String::new(),
            delay: Duration::ZERO,
            stored: None,
        }
    }
    /// 204 after a delay.
    pub fn slow(delay: Duration) -> Reply {
        Reply::Status {
            status: 204,
            headers: vec![],
            body: String::new(),
            delay,
            stored: None,
        }
    }
}

type Behaviour = dyn Fn(&Seen) -> Reply + Send + Sync;

/// An HTTP/1.1 server with keep-alive whose answers a test decides request by request.
pub struct FaultServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FaultServer {
    /// Starts a server answering with `behaviour`.
    pub fn start(behaviour: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let behaviour: Arc<Behaviour> = Arc::new(behaviour);
        let counter = Arc::new(Mutex::new(0usize));
        {
            let seen = seen.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    let (seen, behaviour, counter) =
                        (seen.clone(), behaviour.clone(), counter.clone());
                    std::thread::spawn(move || serve(stream, &seen, behaviour.as_ref(), &counter));
                }
            });
        }
        FaultServer { url, seen }
    }

    /// A server answering 204 to everything.
    pub fn accept_all() -> FaultServer {
        FaultServer::start(|_| Reply::status(204))
    }

    /// Requests seen so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        let mut v = self.seen.lock().unwrap().clone();
        v.sort_by_key(|s| s.n);
        v
    }

    /// Every stored line, with repetitions.
    pub fn stored(&self) -> Vec<String> {
        self.seen().into_iter().flat_map(|s| s.stored).collect()
    }
}

fn serve(
    stream: TcpStream,
    seen: &Mutex<Vec<Seen>>,
    behaviour: &Behaviour,
    counter: &Mutex<usize>,
) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut writer = stream;
    loop {
        // A TLS ClientHello (record type 0x16) on this plain-HTTP port: answer 400 and close,
        // as plain-HTTP servers do.
        match reader.fill_buf() {
            Ok([0x16, ..]) => {
                let _ = writer.write_all(
                    b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                return;
            }
            Ok([]) | Err(_) => return,
            Ok(_) => {}
        }
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let target = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("")
            .to_owned();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
        let len: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut raw = vec![0u8; len];
        if reader.read_exact(&mut raw).is_err() {
            return;
        }
        let body = if headers.get("content-encoding").map(String::as_str) == Some("gzip") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_end(&mut out)
                .expect("valid gzip body");
            out
        } else {
            raw
        };
        let n = {
            let mut c = counter.lock().unwrap();
            *c += 1;
            *c - 1
        };
        let mut s = Seen {
            n,
            at: Instant::now(),
            target,
            headers,
            body,
            stored: vec![],
            status: 0,
        };
        let reply = behaviour(&s);
        match reply {
            Reply::Reset => {
                seen.lock().unwrap().push(s);
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Reply::Raw { bytes, stored } => {
                s.stored = stored;
                seen.lock().unwrap().push(s);
                let _ = writer.write_all(&bytes);
                let _ = writer.flush();
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Reply::Status {
                status,
                headers,
                body,
                delay,
                stored,
            } => {
                std::thread::sleep(delay);
                s.status = status;
                s.stored = match stored {
                    Some(v) => v,
                    None if (200..300).contains(&status) => s.lines(),
                    None => vec![],
                };
                seen.lock().unwrap().push(s);
                let mut resp = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
                if !body.is_empty() {
                    resp.push_str("Content-Type: application/json\r\n");
                }
                for (k, v) in headers {
                    resp.push_str(&format!("{k}: {v}\r\n"));
                }
                resp.push_str("\r\n");
                resp.push_str(&body);
                if writer.write_all(resp.as_bytes()).is_err() {
                    return;
                }
            }
        }
    }
}

/// Runs `lpconvert SUBCOMMAND ARGS` to its end with stdin closed, without the authentication
/// variables of the environment (INFLUX_TOKEN, INFLUX_PASSWORD), then with `env` set.
pub fn run_lpconvert(subcommand: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lpconvert"));
    cmd.arg(subcommand).args(args).stdin(Stdio::null());
    cmd.env_remove("INFLUX_TOKEN").env_remove("INFLUX_PASSWORD");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run lpconvert")
}

/// Starts `lpconvert ARGS` (stderr discarded), lets it run for `after`, then kills it (SIGKILL)
/// and waits for it.
pub fn kill_after(args: &[String], after: Duration) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lpconvert"))
        .args(args)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

/// A command's stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The JSON report written to `path`.
pub fn report(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("report written"))
        .expect("report is JSON")
}

/// A free TCP port on 127.0.0.1 (bound, then released).
/// Writes `text` to `dir/name`; returns the path as a string.
pub fn write_text(dir: &TempDir, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// Writes `lines`, each ended by LF, to `dir/name`; returns the path as a string.
pub fn write_lines(dir: &TempDir, name: &str, lines: &[String]) -> String {
    write_text(dir, name, &(lines.join("\n") + "\n"))
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates `$TMPDIR/lpconvert-test-NAME-PID-N`.
    pub fn new(name: &str) -> TempDir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p =
            std::env::temp_dir().join(format!("lpconvert-test-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    /// A path inside.
    pub fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
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
