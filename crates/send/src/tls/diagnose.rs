//! Explaining a TLS failure: what went wrong, the server certificate's subject and issuer
//! (fetched by a second handshake that only reads the certificate), and the fix.

use super::der::{summarize, CertSummary};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::ResolvesClientCert;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error as TlsErr, SignatureScheme};

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The rustls error inside a ureq error, if any.
pub(crate) fn rustls_error(e: &ureq::Error) -> Option<&TlsErr> {
    match e {
        ureq::Error::Rustls(r) => Some(r),
        ureq::Error::Io(io) => io.get_ref().and_then(|i| i.downcast_ref::<TlsErr>()),
        _ => None,
    }
}

/// What failed and how to fix it, for a rustls error; `None` for a failure that is not about
/// certificates or the TLS handshake.
pub(crate) fn explain(e: &TlsErr) -> (String, &'static str) {
    use rustls::AlertDescription as A;
    let fix = match e {
        TlsErr::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                "the certificate is not signed by an authority this machine trusts: give the CA's certificate with --ca-cert FILE (or SSL_CERT_FILE), or install it in the system's trust store; for a test server only, --insecure-skip-verify"
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                "the certificate is not for the host name in --url: use a name it is valid for (or have it reissued for this name)"
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => {
                "the certificate is outside its validity period: renew it on the server (or check this machine's clock)"
            }
            CertificateError::Other(o) if format!("{o:?}").contains("CaUsedAsEndEntity") => {
                "the server's certificate is a CA certificate (what `openssl req -x509` makes by default), which cannot be a server's: sign a server certificate with it, or make the self-signed one with -addext basicConstraints=critical,CA:FALSE; for a test server only, --insecure-skip-verify"
            }
            _ => "the server's certificate does not verify: check it, or give its CA with --ca-cert FILE",
        },
        TlsErr::AlertReceived(A::CertificateRequired) => {
            "the server asks for a client certificate: give --client-cert FILE --client-key FILE"
        }
        // Also what a server answers when it shares no protocol version or cipher suite.
        TlsErr::AlertReceived(A::HandshakeFailure) => {
            "the server requires a client certificate (give --client-cert FILE --client-key FILE) or TLS versions or ciphers this client does not offer (TLS 1.2 and 1.3 are offered): check the server's TLS settings"
        }
        TlsErr::AlertReceived(A::BadCertificate | A::UnknownCA | A::CertificateUnknown | A::AccessDenied) => {
            "the server refused the client certificate (--client-cert): use one signed by a CA it trusts"
        }
        TlsErr::InvalidMessage(_) | TlsErr::InappropriateMessage { .. } => {
            "the server does not speak TLS on this port: for a plain-HTTP server use http:// in --url, or check the port"
        }
        _ => "check the server's TLS settings, --ca-cert and --client-cert",
    };
    (e.to_string(), fix)
}

/// What a short handshake with a server showed.
#[derive(Debug, Default)]
pub(crate) struct Peer {
    /// Its certificate, summarized.
    pub cert: Option<CertSummary>,
    /// Whether it requires a client certificate: it asked for one and, given none, ended
    /// the connection. A server that only asks (optional client authentication) does not.
    pub requires_client_cert: bool,
}

/// The certificate `host:port` presents and whether it requires a client certificate, read by
/// a handshake that accepts any certificate and offers none (nothing is sent over it).
pub(crate) fn probe(host: &str, port: u16, timeout: Duration) -> Peer {
    probe_inner(host, port, timeout).unwrap_or_default()
}

fn probe_inner(host: &str, port: u16, timeout: Duration) -> Option<Peer> {
    let seen = Arc::new(Mutex::new(None));
    let asked = Arc::new(AtomicBool::new(false));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(Recorder {
        seen: Arc::clone(&seen),
        schemes: provider
            .signature_verification_algorithms
            .supported_schemes(),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(Arc::new(AskedFor(Arc::clone(&asked))));
    let name = ServerName::try_from(host.trim_matches(['[', ']']).to_owned()).ok()?;
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).ok()?;
    let addr = (host.trim_matches(['[', ']']), port)
        .to_socket_addrs()
        .ok()?
        .next()?;
    // `timeout` bounds the whole probe: a server that sends a byte now and then (or a
    // certificate chain without end) cannot hold the sender longer.
    let deadline = Instant::now() + timeout;
    let mut tcp = TcpStream::connect_timeout(&addr, timeout).ok()?;
    // Whether the connection ended in an error or was closed by the server.
    let mut refused = false;
    while conn.is_handshaking() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero()
            || tcp.set_read_timeout(Some(left)).is_err()
            || tcp.set_write_timeout(Some(left)).is_err()
        {
            break;
        }
        // One read or write at a time (`complete_io` reads on while bytes keep coming).
        if conn.wants_write() {
            if conn.write_tls(&mut tcp).is_err() {
                break;
            }
        } else if !conn.wants_read() {
            break;
        } else if let Some(ended) = read_once(&mut conn, &mut tcp) {
            refused = ended;
            break;
        }
    }
    let asked = asked.load(Ordering::Relaxed);
    if asked && !refused && !conn.is_handshaking() {
        // TLS 1.3: a server that requires a client certificate says so (an alert, or a
        // close) only after the handshake; one that merely asks waits for a request.
        let _ = conn.write_tls(&mut tcp);
        let until = deadline.min(Instant::now() + Duration::from_secs(1));
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() || tcp.set_read_timeout(Some(left)).is_err() {
                break;
            }
            if let Some(ended) = read_once(&mut conn, &mut tcp) {
                refused = ended;
                break;
            }
        }
    }
    let der = seen.lock().ok()?.take();
    Some(Peer {
        cert: der.and_then(|d| summarize(&d)),
        requires_client_cert: asked && refused,
    })
}

/// One read of TLS records: `None` while the connection goes on, `Some(true)` when the server
/// closed it or sent an error, `Some(false)` when nothing came in time.
fn read_once(conn: &mut rustls::ClientConnection, tcp: &mut TcpStream) -> Option<bool> {
    match conn.read_tls(tcp) {
        Ok(0) => Some(true),
        Ok(_) => conn.process_new_packets().is_err().then_some(true),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            Some(false)
        }
        Err(_) => Some(true),
    }
}

/// A client-certificate resolver that has none and notes that the server asked for one.
#[derive(Debug)]
struct AskedFor(Arc<AtomicBool>);

impl ResolvesClientCert for AskedFor {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.0.store(true, Ordering::Relaxed);
        None
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// A verifier that keeps the end-entity certificate and accepts it: the probe sends nothing.
#[derive(Debug)]
struct Recorder {
    seen: Arc<Mutex<Option<Vec<u8>>>>,
    schemes: Vec<SignatureScheme>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, TlsErr> {
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(end_entity.as_ref().to_vec());
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsErr> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsErr> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    #[test]
    fn a_refused_handshake_is_not_only_a_missing_client_certificate() {
        let (_, fix) = explain(&TlsErr::AlertReceived(
            rustls::AlertDescription::HandshakeFailure,
        ));
        assert!(
            fix.contains("--client-cert FILE --client-key FILE"),
            "{fix}"
        );
        assert!(fix.contains("TLS versions or ciphers"), "{fix}");
    }

    #[test]
    fn a_server_that_drips_bytes_cannot_hold_the_probe() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            // A TLS record header announcing a 16 KiB handshake message, then one byte of it
            // every 100 ms for 10 s.
            let _ = s.write_all(&[0x16, 0x03, 0x03, 0x40, 0x00]);
            for _ in 0..100 {
                if s.write_all(&[0]).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        let start = Instant::now();
        let peer = probe("127.0.0.1", port, Duration::from_millis(500));
        let took = start.elapsed();
        assert!(peer.cert.is_none());
        assert!(took < Duration::from_secs(2), "the probe took {took:?}");
        drop(server);
    }
}
