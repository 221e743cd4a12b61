//! Certificates made for a test (rcgen): a private CA, server certificates for 127.0.0.1 and
//! localhost (valid, expired), a client certificate; an HTTPS agent that trusts the CA; and a
//! small rustls HTTPS server that requires (or only asks for) a client certificate.

use super::TempDir;
use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair,
};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// PEM files of a private CA and the certificates it signed, in a temporary directory.
pub struct Pki {
    /// The directory (removed on drop).
    _dir: TempDir,
    /// The CA's certificate.
    pub ca: PathBuf,
    /// A server certificate for 127.0.0.1 and localhost.
    pub server_cert: PathBuf,
    /// Its key.
    pub server_key: PathBuf,
    /// A server certificate for `elsewhere.example` only.
    pub wrong_name_cert: PathBuf,
    /// A server certificate for 127.0.0.1 that expired in 2020.
    pub expired_cert: PathBuf,
    /// A client certificate.
    pub client_cert: PathBuf,
    /// Its key.
    pub client_key: PathBuf,
}

impl Pki {
    /// Makes the CA and every certificate (one key pair for the servers' certificates).
    pub fn new() -> Pki {
        let dir = TempDir::new("pki");
        let write = |name: &str, text: String| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "lpconvert test CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let ca = write("ca.pem", ca_cert.pem());
        let issuer = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate().unwrap();
        let server = |names: Vec<String>, expired: bool| {
            let mut p = CertificateParams::new(names).unwrap();
            p.distinguished_name
                .push(DnType::CommonName, "lpconvert test server");
            if expired {
                p.not_before = date_time_ymd(2019, 1, 1);
                p.not_after = date_time_ymd(2020, 1, 1);
            }
            p.signed_by(&server_key, &issuer).unwrap().pem()
        };
        let local = vec!["127.0.0.1".to_string(), "localhost".to_string()];
        let server_cert = write("server.pem", server(local.clone(), false));
        let wrong_name_cert = write(
            "wrong-name.pem",
            server(vec!["elsewhere.example".to_string()], false),
        );
        let expired_cert = write("expired.pem", server(local, true));
        let server_key = write("server-key.pem", server_key.serialize_pem());

        let client_key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name
            .push(DnType::CommonName, "lpconvert test client");
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client_cert = write(
            "client.pem",
            p.signed_by(&client_key, &issuer).unwrap().pem(),
        );
        let client_key = write("client-key.pem", client_key.serialize_pem());
        Pki {
            _dir: dir,
            ca,
            server_cert,
            server_key,
            wrong_name_cert,
            expired_cert,
            client_cert,
            client_key,
        }
    }
}

/// An HTTP agent that trusts the CA of `pki` (and nothing else).
pub fn agent_trusting(pki: &Pki) -> ureq::Agent {
    let pem = std::fs::read(&pki.ca).unwrap();
    let ca = ureq::tls::Certificate::from_pem(&pem).unwrap();
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::new_with_certs(&[ca]))
        .build();
    ureq::Agent::config_builder().tls_config(tls).build().into()
}

/// A GET through `agent`, the body as text (panics unless 2xx).
pub fn get_text(agent: &ureq::Agent, url: &str) -> String {
    agent
        .get(url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .body_mut()
        .read_to_string()
        .unwrap()
}

/// An HTTPS server on 127.0.0.1 with the server certificate of `pki` that requires a client
/// certificate signed by its CA, and answers every request 204.
pub struct MtlsServer {
    /// `https://127.0.0.1:PORT`.
    pub url: String,
    /// Lines received in the bodies of the requests answered.
    pub lines: Arc<AtomicUsize>,
}

impl MtlsServer {
    /// Starts the server on a thread (it lives as long as the test process).
    pub fn start(pki: &Pki) -> MtlsServer {
        MtlsServer::start_with(pki, false, 0)
    }

    /// Starts a server that asks for a client certificate but also serves clients without
    /// one (`optional`), or requires one; the first `drop_first` requests are read and their
    /// connections closed without an answer (a server restarting).
    pub fn start_with(pki: &Pki, optional: bool, drop_first: usize) -> MtlsServer {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        for item in ureq::tls::parse_pem(&std::fs::read(&pki.ca).unwrap()) {
            if let Ok(ureq::tls::PemItem::Certificate(c)) = item {
                roots.add(c.der().to_vec().into()).unwrap();
            }
        }
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            Arc::clone(&provider),
        );
        let verifier = if optional {
            verifier.allow_unauthenticated()
        } else {
            verifier
        }
        .build()
        .unwrap();
        let chain: Vec<rustls::pki_types::CertificateDer<'static>> =
            ureq::tls::parse_pem(&std::fs::read(&pki.server_cert).unwrap())
                .filter_map(|i| match i {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c.der().to_vec().into()),
                    _ => None,
                })
                .collect();
        let key_pem = std::fs::read(&pki.server_key).unwrap();
        let key = match ureq::tls::parse_pem(&key_pem).next() {
            Some(Ok(ureq::tls::PemItem::PrivateKey(k))) => {
                rustls::pki_types::PrivateKeyDer::Pkcs8(k.der().to_vec().into())
            }
            _ => panic!("no key"),
        };
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "https://127.0.0.1:{}",
            listener.local_addr().unwrap().port()
        );
        let lines = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&lines);
        let drops = Arc::new(AtomicUsize::new(drop_first));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let config = Arc::clone(&config);
                let counted = Arc::clone(&counted);
                let drops = Arc::clone(&drops);
                std::thread::spawn(move || {
                    let Ok(conn) = rustls::ServerConnection::new(config) else {
                        return;
                    };
                    let mut tls = rustls::StreamOwned::new(conn, stream);
                    let _ = serve(&mut tls, &counted, &drops);
                });
            }
        });
        MtlsServer { url, lines }
    }
}

/// Answers the requests of one connection 204, counting the lines of their bodies.
fn serve(
    stream: &mut impl ReadWrite,
    lines: &AtomicUsize,
    drops: &AtomicUsize,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(ReadHalf(stream));
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        if drops
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |d| d.checked_sub(1))
            .is_ok()
        {
            // Closed with the body unread: the client sees the connection reset.
            return Ok(());
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        lines.fetch_add(
            body.split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .count(),
            Ordering::SeqCst,
        );
        let out = reader.get_mut();
        out.0
            .write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")?;
        out.0.flush()?;
    }
}

/// Read + Write.
trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// Reads through a `ReadWrite` while keeping it reachable for writing.
struct ReadHalf<'a, T: ReadWrite>(&'a mut T);

impl<T: ReadWrite> Read for ReadHalf<'_, T> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}
