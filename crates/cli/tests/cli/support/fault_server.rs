//! A fault-injecting HTTP/1.1 server (std only) whose answers a test decides request by
//! request: statuses with headers, bodies and delays, resets, raw bytes.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
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

    /// The requests to a write endpoint (a target starting `/write`), in order.
    pub fn writes(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.target.starts_with("/write"))
            .collect()
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
