//! Explaining a TLS failure: what went wrong, the server certificate's subject and issuer
//! (fetched by a second handshake that only reads the certificate), and the fix.

use super::der::{summarize, CertSummary};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::ResolvesClientCert;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error as TlsErr, SignatureScheme};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
        TlsErr::AlertReceived(A::CertificateRequired) | TlsErr::AlertReceived(A::HandshakeFailure) => {
            "the server asks for a client certificate: give --client-cert FILE --client-key FILE"
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
    /// Whether it asked for a client certificate.
    pub asks_client_cert: bool,
}

/// The certificate `host:port` presents and whether it asks for a client certificate, read by
/// a handshake that stops as soon as the certificate arrives (nothing is sent over it).
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
    let mut tcp = TcpStream::connect_timeout(&addr, timeout).ok()?;
    tcp.set_read_timeout(Some(timeout)).ok()?;
    tcp.set_write_timeout(Some(timeout)).ok()?;
    // The handshake ends with the recorder's error once the certificate has been seen.
    let mut sink = Io(&mut tcp);
    while conn.is_handshaking() {
        if conn.complete_io(&mut sink).is_err() {
            break;
        }
    }
    let der = seen.lock().ok()?.take();
    Some(Peer {
        cert: der.and_then(|d| summarize(&d)),
        asks_client_cert: asked.load(Ordering::Relaxed),
    })
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

/// Reads and writes a TCP stream (rustls's `complete_io` wants one object for both).
struct Io<'a>(&'a mut TcpStream);

impl Read for Io<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Io<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// A verifier that keeps the end-entity certificate and ends the handshake.
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
        Err(TlsErr::General("certificate read".into()))
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsErr> {
        Err(TlsErr::General("certificate read".into()))
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsErr> {
        Err(TlsErr::General("certificate read".into()))
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}
