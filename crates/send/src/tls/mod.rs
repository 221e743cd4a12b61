//! TLS settings of the HTTP transport: which certificate authorities are trusted (the bundled
//! Mozilla roots, the operating system's store, `--ca-cert` files), a client certificate for
//! mutual TLS, or no verification at all.

mod der;
pub(crate) mod diagnose;

pub use der::CertSummary;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use ureq::tls::{Certificate, PemItem, PrivateKey, RootCerts, TlsConfig};

/// What the user asked of TLS.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// PEM files of certificate authorities trusted besides the bundled and system roots.
    pub ca_certs: Vec<PathBuf>,
    /// PEM file of the client certificate (and its chain), for mutual TLS.
    pub client_cert: Option<PathBuf>,
    /// PEM file of the client certificate's private key.
    pub client_key: Option<PathBuf>,
    /// Send without verifying the server's certificate.
    pub insecure_skip_verify: bool,
}

/// A TLS setting that cannot be used (a file missing, without a certificate or key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TlsError(pub String);

impl TlsOptions {
    /// The ureq TLS configuration: the bundled Mozilla roots, the system's trust store
    /// (`SSL_CERT_FILE`/`SSL_CERT_DIR` when set, as OpenSSL reads them) and every `ca_certs`
    /// file; the client certificate when given. Every file is read here, so a bad one is an
    /// error before anything is sent.
    pub fn config(&self) -> Result<TlsConfig, TlsError> {
        let client = match (&self.client_cert, &self.client_key) {
            (Some(cert), Some(key)) => Some(client_cert(cert, key)?),
            (None, None) => None,
            (Some(_), None) => {
                return Err(TlsError(
                    "--client-cert needs --client-key (the certificate's private key)".into(),
                ))
            }
            (None, Some(_)) => {
                return Err(TlsError(
                    "--client-key needs --client-cert (the certificate it belongs to)".into(),
                ))
            }
        };
        let mut extra = Vec::new();
        for path in &self.ca_certs {
            extra.extend(ca_file(path)?);
        }
        let builder = TlsConfig::builder().client_cert(client);
        if self.insecure_skip_verify {
            return Ok(builder.disable_verification(true).build());
        }
        let mut roots: Vec<Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|c| Certificate::from_der(c.as_ref()).to_owned())
            .collect();
        // Unreadable system certificates are skipped, as every TLS library does.
        let native = rustls_native_certs::load_native_certs();
        roots.extend(
            native
                .certs
                .iter()
                .map(|c| Certificate::from_der(c.as_ref()).to_owned()),
        );
        roots.extend(extra);
        Ok(builder.root_certs(RootCerts::from(roots)).build())
    }
}

/// Reads a PEM file whole, naming `what` and the file in the error.
fn read(path: &Path, what: &str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError(format!("{what} {}: {e}", path.display())))
}

/// The certificates of a `--ca-cert` file (at least one).
fn ca_file(path: &Path) -> Result<Vec<Certificate<'static>>, TlsError> {
    let pem = read(path, "--ca-cert")?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {}
            Err(e) => {
                return Err(TlsError(format!(
                    "--ca-cert {}: not a readable PEM file ({e})",
                    path.display()
                )))
            }
        }
    }
    if certs.is_empty() {
        return Err(TlsError(format!(
            "--ca-cert {}: no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)",
            path.display()
        )));
    }
    Ok(certs)
}

/// The client certificate chain of `cert` and the private key of `key`.
fn client_cert(cert: &Path, key: &Path) -> Result<ureq::tls::ClientCert, TlsError> {
    let pem = read(cert, "--client-cert")?;
    let mut chain = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        if let Ok(PemItem::Certificate(c)) = item {
            chain.push(c);
        }
    }
    if chain.is_empty() {
        return Err(TlsError(format!(
            "--client-cert {}: no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)",
            cert.display()
        )));
    }
    let pem = read(key, "--client-key")?;
    let key_item: Option<PrivateKey<'static>> =
        ureq::tls::parse_pem(&pem).find_map(|item| match item {
            Ok(PemItem::PrivateKey(k)) => Some(k),
            _ => None,
        });
    let Some(private) = key_item else {
        return Err(TlsError(format!(
            "--client-key {}: no private key in it (expected PEM: -----BEGIN PRIVATE KEY-----, RSA or EC)",
            key.display()
        )));
    };
    // ureq panics on a key that does not belong to the certificate, at the first connection:
    // rustls checks the pair here instead.
    let der_chain: Vec<CertificateDer<'static>> = chain
        .iter()
        .map(|c| CertificateDer::from(c.der().to_vec()))
        .collect();
    let mismatch = |why: String| {
        TlsError(format!(
            "--client-key {} does not fit --client-cert {}: {why}",
            key.display(),
            cert.display()
        ))
    };
    let key_der =
        PrivateKeyDer::try_from(private.der().to_vec()).map_err(|e| mismatch(e.to_owned()))?;
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| mismatch(e.to_string()))?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_client_auth_cert(der_chain, key_der)
        .map_err(|e| mismatch(e.to_string()))?;
    Ok(ureq::tls::ClientCert::new_with_certs(&chain, private))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_files_are_named() {
        let dir = std::env::temp_dir().join(format!("lpconvert-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not pem\n").unwrap();
        let opts = TlsOptions {
            ca_certs: vec![empty.clone()],
            ..TlsOptions::default()
        };
        let e = opts.config().unwrap_err().0;
        assert!(e.contains("no certificate in it"), "{e}");
        let opts = TlsOptions {
            ca_certs: vec![dir.join("missing.pem")],
            ..TlsOptions::default()
        };
        assert!(opts.config().unwrap_err().0.starts_with("--ca-cert "));
        let opts = TlsOptions {
            client_cert: Some(empty),
            ..TlsOptions::default()
        };
        assert!(opts.config().unwrap_err().0.contains("--client-key"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
