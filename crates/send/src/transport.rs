//! The HTTP transport: one POST of a finished body, answered by a status, a `Retry-After` value
//! and the (truncated) response body. A trait, so tests and `--dry-run` can replace the network.

use crate::dialect::Secrets;
use std::time::Duration;

/// Largest response body read (a partial-write answer can name thousands of lines: it must be
/// read whole to be parsed; a body over this limit counts as unreadable).
pub const MAX_RESPONSE_BODY: u64 = 64 << 20;

/// One write request. `Debug` shows neither the credentials nor the body.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// Full URL with the query string.
    pub url: &'a str,
    /// Value of the `Authorization` header.
    pub authorization: Option<&'a str>,
    /// Whether `body` is gzip-compressed (`Content-Encoding: gzip`).
    pub gzip: bool,
    /// The request body.
    pub body: &'a [u8],
}

impl std::fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("url", &crate::dialect::redact_url(self.url))
            .field(
                "authorization",
                &self.authorization.map(|a| match a.split_once(' ') {
                    Some((scheme, _)) => format!("{scheme} [redacted]"),
                    None => crate::dialect::REDACTED.to_owned(),
                }),
            )
            .field("gzip", &self.gzip)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// What the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// The `Retry-After` header, verbatim.
    pub retry_after: Option<String>,
    /// The `Location` header (of a redirect), secrets redacted.
    pub location: Option<String>,
    /// The response body, lossily decoded, at most [`MAX_RESPONSE_BODY`] bytes.
    pub body: String,
}

/// The request failed before a status was received.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TransportError {
    /// Whether trying again may help (connection refused or reset, timeout). False for a bad
    /// URL or a TLS configuration error.
    pub retryable: bool,
    /// What went wrong.
    pub message: String,
}

/// Sends one request and waits for the answer. Implementations are shared by all workers.
pub trait Transport: Send + Sync {
    /// POSTs `request`, returning the response whatever its status.
    fn send(&self, request: &Request<'_>) -> Result<Response, TransportError>;
}

/// Tries of a query ([`ask`]) that failed on the network or with a 5xx.
const ASK_ATTEMPTS: u32 = 3;

/// One query that is not a write (verify's counts, `--create-db`): sent up to
/// [`ASK_ATTEMPTS`] times, 1 s apart, while the network fails or the server answers 5xx;
/// the body of a 2xx answer, or why there is none (a server's text on one line).
pub(crate) fn ask(
    transport: &dyn Transport,
    url: &str,
    authorization: Option<&str>,
    body: &[u8],
) -> Result<String, String> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let r = transport.send(&Request {
            url,
            authorization,
            gzip: false,
            body,
        });
        let (retry, message) = match r {
            Ok(r) if (200..300).contains(&r.status) => return Ok(r.body),
            Ok(r) => (
                r.status >= 500,
                format!(
                    "HTTP {}: {}",
                    r.status,
                    crate::redact::escape_text(r.body.trim())
                ),
            ),
            Err(e) => (e.retryable, e.message),
        };
        if !retry || attempt >= ASK_ATTEMPTS {
            return Err(message);
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Settings of [`HttpTransport`].
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Timeout of one whole request (connect, send, receive).
    pub timeout: Duration,
    /// Idle keep-alive connections kept per host (set to the concurrency).
    pub connections: usize,
    /// Secrets (password, token) replaced by `[redacted]` in every server text and error.
    pub secrets: Secrets,
    /// TLS settings ([`crate::tls::TlsOptions::config`]); `None`: the bundled roots only.
    pub tls: Option<ureq::tls::TlsConfig>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            timeout: Duration::from_secs(60),
            connections: 4,
            secrets: Secrets::default(),
            tls: None,
        }
    }
}

/// [`Transport`] over a ureq agent: keep-alive connection pool, rustls for https. Redirects are
/// never followed (a 3xx is returned as it is: following one can turn the write into a GET
/// that stores nothing); server texts are returned with the secrets redacted.
pub struct HttpTransport {
    agent: ureq::Agent,
    secrets: Secrets,
    timeout: Duration,
    /// Whether a client certificate is sent (mutual TLS).
    client_cert: bool,
}

impl HttpTransport {
    /// Builds the agent.
    pub fn new(config: &HttpConfig) -> HttpTransport {
        let mut builder = ureq::Agent::config_builder();
        if let Some(tls) = &config.tls {
            builder = builder.tls_config(tls.clone());
        }
        let agent: ureq::Agent = builder
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(config.timeout))
            .max_idle_connections(config.connections.max(1) * 2)
            .max_idle_connections_per_host(config.connections.max(1) * 2)
            .user_agent(concat!("lpconvert/", env!("CARGO_PKG_VERSION")))
            .output_buffer_size(256 * 1024)
            .build()
            .into();
        HttpTransport {
            agent,
            secrets: config.secrets.clone(),
            timeout: config.timeout,
            client_cert: config
                .tls
                .as_ref()
                .is_some_and(|t| t.client_cert().is_some()),
        }
    }
}

/// Bodies larger than this are sent again with `Expect: 100-continue` when the connection
/// broke while they were sent (servers discard a small unread body and keep the connection).
const EXPECT_CONTINUE_ABOVE: usize = 64 * 1024;

/// Whether `e` is the connection breaking under the request (reset, broken pipe): what a
/// client sees when the server answered early (401, 413) and closed without reading the body.
fn broke_while_sending(e: &ureq::Error) -> bool {
    matches!(e, ureq::Error::Io(io) if matches!(
        io.kind(),
        std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::BrokenPipe
            | std::io::ErrorKind::ConnectionAborted
    ))
}

impl Transport for HttpTransport {
    fn send(&self, request: &Request<'_>) -> Result<Response, TransportError> {
        // A server that answers before reading the body (InfluxDB: a bad token, a body over
        // its limit) closes the connection under a large body, and its answer is lost. Sent
        // again with `Expect: 100-continue`, the answer arrives before the body is sent.
        match self.send_once(request, false) {
            Err(e) if broke_while_sending(&e) && request.body.len() > EXPECT_CONTINUE_ABOVE => {
                self.send_once(request, true)
            }
            r => r,
        }
        .map_err(|e| {
            // A server that requires a client certificate closes the connection after the
            // handshake (TLS 1.3): the client sees a broken connection, not the reason.
            let broke = matches!(&e, ureq::Error::Io(io) if matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::UnexpectedEof
            ));
            let mut e = classify_error(e, request.url, self.timeout);
            // Likewise an HTTPS server spoken to in plain HTTP (Go's answers 400 and closes
            // while the body is still being sent).
            if broke {
                let https = request.url.starts_with("https:");
                let peer = (!https || !self.client_cert).then(|| peer_of(request.url, self.timeout));
                match peer {
                    Some(p) if https && p.requires_client_cert => {
                        e = TransportError {
                            retryable: false,
                            message: format!(
                                "TLS with {}: the server closed the connection and requires a client certificate (mutual TLS); give --client-cert FILE --client-key FILE",
                                host_of(request.url)
                            ),
                        }
                    }
                    Some(p) if !https && p.cert.is_some() => {
                        e = TransportError {
                            retryable: false,
                            message: format!(
                                "{}: the server speaks HTTPS on this port: use https:// in --url",
                                host_of(request.url)
                            ),
                        }
                    }
                    _ => {}
                }
            }
            e.message = self.secrets.redact(&e.message);
            e
        })
        .and_then(|r| r)
    }
}

impl HttpTransport {
    /// One request; the outer error is a transport failure, unclassified.
    #[allow(clippy::result_large_err)]
    fn send_once(
        &self,
        request: &Request<'_>,
        expect_continue: bool,
    ) -> Result<Result<Response, TransportError>, ureq::Error> {
        let mut builder = self
            .agent
            .post(request.url)
            .header("Content-Type", "text/plain; charset=utf-8");
        if expect_continue {
            builder = builder.header("Expect", "100-continue");
        }
        if let Some(auth) = request.authorization {
            builder = builder.header("Authorization", auth);
        }
        if request.gzip {
            builder = builder.header("Content-Encoding", "gzip");
        }
        let mut response = builder.send(request.body)?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        let retry_after = header("retry-after");
        let location = header("location").map(|l| self.secrets.redact(&l));
        // Bytes, decoded lossily: a server's text need not be UTF-8.
        let body = match response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BODY)
            .read_to_vec()
        {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            // A status arrived: the body is only informative. A cut-off body still counts.
            Err(e) if status < 400 => {
                return Ok(Ok(Response {
                    status,
                    retry_after,
                    location,
                    body: self.secrets.redact(&e.to_string()),
                }))
            }
            // The body of a 400 says which lines were refused (a partial write): cut off
            // (connection dropped, timeout, broken chunked encoding), the answer says nothing
            // about which lines were stored. It counts as no answer, and the batch is sent again.
            Err(e) if status == 400 && !matches!(e, ureq::Error::BodyExceedsLimit(_)) => {
                return Ok(Err(TransportError {
                    retryable: true,
                    message: self.secrets.redact(&format!(
                        "{}: the answer HTTP 400 was cut off ({e}), so which lines were stored is unknown",
                        host_of(request.url)
                    )),
                }))
            }
            Err(e) => format!("(response body unreadable: {e})"),
        };
        Ok(Ok(Response {
            status,
            retry_after,
            location,
            body: self.secrets.redact_body(&body),
        }))
    }
}

/// Whether an error can go away by trying again. A TLS failure (handshake, certificate) does
/// not: it is a configuration error, fatal at once, with what failed, the certificate's
/// subject and issuer when it is the certificate, and the fix.
/// The message names the server (`scheme://host:port`) and, for a timeout, `--timeout`.
fn classify_error(e: ureq::Error, url: &str, timeout: Duration) -> TransportError {
    if let Some(r) = crate::tls::diagnose::rustls_error(&e) {
        let (problem, fix) = crate::tls::diagnose::explain(r);
        let cert = match r {
            rustls::Error::InvalidCertificate(_) => peer_of(url, timeout)
                .cert
                .map(|c| {
                    format!(
                        " (the server's certificate: subject {}, issuer {}, valid until {})",
                        c.subject, c.issuer, c.not_after
                    )
                })
                .unwrap_or_default(),
            _ => String::new(),
        };
        return TransportError {
            retryable: false,
            message: format!("TLS with {} failed: {problem}{cert}; {fix}", host_of(url)),
        };
    }
    if let Some(tls) = tls_failure(&e, url.starts_with("https:")) {
        let hint = if tls.contains("certificate") || tls.contains("Certificate") {
            "the server's certificate does not verify for this host"
        } else {
            "is the server speaking HTTPS on this port? For a plain-HTTP server, use http:// in --url"
        };
        return TransportError {
            retryable: false,
            message: format!("TLS handshake with {} failed: {tls}; {hint}", host_of(url)),
        };
    }
    // An answer that is not HTTP: something else listens on that port. Trying again sends
    // the same bytes to the same program.
    if let ureq::Error::Protocol(p) = &e {
        return TransportError {
            retryable: false,
            message: format!(
                "{}: the answer is not HTTP ({p}): is --url the address of the server's HTTP API (host and port)?",
                host_of(url)
            ),
        };
    }
    let retryable = !matches!(
        e,
        ureq::Error::BadUri(_)
            | ureq::Error::Http(_)
            | ureq::Error::InvalidProxyUrl
            | ureq::Error::RequireHttpsOnly(_)
            | ureq::Error::TooManyRedirects
            | ureq::Error::RedirectFailed
            | ureq::Error::Tls(_)
            | ureq::Error::TlsRequired
            | ureq::Error::Pem(_)
    );
    let message = match e {
        ureq::Error::Timeout(_) => format!(
            "{}: no complete answer within --timeout {}",
            host_of(url),
            crate::retry::format_duration(timeout)
        ),
        e => format!("{}: {e}", host_of(url)),
    };
    TransportError { retryable, message }
}

/// The text of a TLS failure, found in the error or the I/O error it wraps.
fn tls_failure(e: &ureq::Error, https: bool) -> Option<String> {
    match e {
        ureq::Error::Rustls(r) => Some(r.to_string()),
        ureq::Error::Tls(t) => Some((*t).to_owned()),
        // rustls reports handshake failures on the stream as InvalidData carrying its error.
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData && https => Some(
            io.get_ref()
                .map_or_else(|| io.to_string(), ToString::to_string),
        ),
        _ => None,
    }
}

/// What a second, short handshake with the server of `url` shows.
fn peer_of(url: &str, timeout: Duration) -> crate::tls::diagnose::Peer {
    let Some((host, port)) = url::Url::parse(url)
        .ok()
        .and_then(|u| Some((u.host_str()?.to_owned(), u.port_or_known_default()?)))
    else {
        return Default::default();
    };
    crate::tls::diagnose::probe(&host, port, timeout.min(Duration::from_secs(2)))
}

/// `scheme://host:port` of a URL, for messages.
fn host_of(url: &str) -> String {
    let end = url
        .find("://")
        .and_then(|i| url[i + 3..].find(['/', '?']).map(|j| i + 3 + j))
        .unwrap_or(url.len());
    crate::dialect::redact_url(&url[..end])
}

/// A transport that sends nothing and answers 204: `--dry-run`.
#[derive(Debug, Default, Clone, Copy)]
pub struct DryRunTransport;

impl Transport for DryRunTransport {
    fn send(&self, _request: &Request<'_>) -> Result<Response, TransportError> {
        Ok(Response {
            status: 204,
            retry_after: None,
            location: None,
            body: String::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_debug_shows_no_secret() {
        let r = Request {
            url: "http://u:pw-Secret9@h/write?db=d&p=pw-Secret9",
            authorization: Some("Token tok-Secret9"),
            gzip: false,
            body: b"m f=1",
        };
        let shown = format!("{r:?}");
        assert!(!shown.contains("Secret9"), "{shown}");
        assert!(shown.contains("Token [redacted]"), "{shown}");
    }

    #[test]
    fn transport_errors_name_the_server_and_the_timeout() {
        let t = Duration::from_secs(5);
        let e = classify_error(
            ureq::Error::Timeout(ureq::Timeout::Global),
            "http://127.0.0.1:1/write?db=d&p=pw",
            t,
        );
        assert!(e.retryable);
        assert_eq!(
            e.message,
            "http://127.0.0.1:1: no complete answer within --timeout 5s"
        );
        let e = classify_error(ureq::Error::HostNotFound, "https://u:pw@h:2/w", t);
        assert_eq!(e.message, "https://u:[redacted]@h:2: host not found");
        let e = classify_error(ureq::Error::Tls("bad"), "https://h:2/w", t);
        assert!(!e.retryable);
        assert!(e
            .message
            .starts_with("TLS handshake with https://h:2 failed: bad"));
    }
}
