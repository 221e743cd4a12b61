//! The HTTP transport: one POST of a finished body, answered by a status, a `Retry-After` value
//! and the (truncated) response body. A trait, so tests and `--dry-run` can replace the network.

use std::time::Duration;

/// Largest response body read (a partial-write answer can name thousands of lines: it must be
/// read whole to be parsed; a body over this limit counts as unreadable).
pub const MAX_RESPONSE_BODY: u64 = 64 << 20;

/// One write request.
#[derive(Debug, Clone, Copy)]
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

/// What the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// The `Retry-After` header, verbatim.
    pub retry_after: Option<String>,
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

/// Settings of [`HttpTransport`].
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Timeout of one whole request (connect, send, receive).
    pub timeout: Duration,
    /// Idle keep-alive connections kept per host (set to the concurrency).
    pub connections: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            timeout: Duration::from_secs(60),
            connections: 4,
        }
    }
}

/// [`Transport`] over a ureq agent: keep-alive connection pool, rustls for https.
pub struct HttpTransport {
    agent: ureq::Agent,
}

impl HttpTransport {
    /// Builds the agent.
    pub fn new(config: &HttpConfig) -> HttpTransport {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(config.timeout))
            .max_idle_connections(config.connections.max(1) * 2)
            .max_idle_connections_per_host(config.connections.max(1) * 2)
            .user_agent(concat!("lpconvert/", env!("CARGO_PKG_VERSION")))
            .output_buffer_size(256 * 1024)
            .build()
            .into();
        HttpTransport { agent }
    }
}

impl Transport for HttpTransport {
    fn send(&self, request: &Request<'_>) -> Result<Response, TransportError> {
        let mut builder = self
            .agent
            .post(request.url)
            .header("Content-Type", "text/plain; charset=utf-8");
        if let Some(auth) = request.authorization {
            builder = builder.header("Authorization", auth);
        }
        if request.gzip {
            builder = builder.header("Content-Encoding", "gzip");
        }
        let mut response = builder.send(request.body).map_err(classify_error)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = match response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BODY)
            .lossy_utf8(true)
            .read_to_string()
        {
            Ok(b) => b,
            // A status arrived: the body is only informative. A cut-off body still counts.
            Err(e) if status < 400 => {
                return Ok(Response {
                    status,
                    retry_after,
                    body: e.to_string(),
                })
            }
            Err(e) => format!("(response body unreadable: {e})"),
        };
        Ok(Response {
            status,
            retry_after,
            body,
        })
    }
}

fn classify_error(e: ureq::Error) -> TransportError {
    let retryable = !matches!(
        e,
        ureq::Error::BadUri(_)
            | ureq::Error::Http(_)
            | ureq::Error::InvalidProxyUrl
            | ureq::Error::RequireHttpsOnly(_)
    );
    TransportError {
        retryable,
        message: e.to_string(),
    }
}

/// A transport that sends nothing and answers 204: `--dry-run`.
#[derive(Debug, Default, Clone, Copy)]
pub struct DryRunTransport;

impl Transport for DryRunTransport {
    fn send(&self, _request: &Request<'_>) -> Result<Response, TransportError> {
        Ok(Response {
            status: 204,
            retry_after: None,
            body: String::new(),
        })
    }
}
