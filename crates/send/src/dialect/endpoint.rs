//! Resolving a [`Target`] into an [`Endpoint`]: the write URL per API and the
//! `Authorization` header.

use super::*;

/// Where to write, resolved from a [`Target`]: the write URL, what may be shown of it, the
/// `Authorization` header and the secrets to hide from every server text.
#[derive(Clone)]
pub struct Endpoint {
    /// The parsed `--url`.
    pub server: ServerUrl,
    /// The write URL with its query string, as sent.
    pub url: String,
    /// The write URL with credential parameters redacted: the one to print or store.
    pub display_url: String,
    /// The `Authorization` header value, if any.
    pub authorization: Option<String>,
    /// Secrets to replace by `[redacted]` in anything a server answers.
    pub secrets: Secrets,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Endpoint({})", self.display_url)
    }
}

impl Target {
    /// Parses the URL and resolves the write URL, authentication and secrets. Credentials in
    /// the URL are sent as Basic authentication; together with `--username` they are refused.
    pub fn endpoint(&self) -> Result<Endpoint, TargetError> {
        let server = ServerUrl::parse(&self.url)?;
        // An empty name is sent as `db=`: the server refuses every batch ("database is
        // required"), so every line would end up refused.
        for (value, option) in [
            (&self.db, "--db"),
            (&self.rp, "--rp"),
            (&self.bucket, "--bucket"),
            (&self.org, "--org"),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(TargetError(format!(
                    "{option} is empty: give a name, or leave the option out"
                )));
            }
        }
        let p = self.api.precision_param(self.precision);
        let url = match self.api {
            Api::V1 => {
                // Without --db no `db` is sent: VictoriaMetrics stores the lines without a
                // `db` label; InfluxDB 1.x refuses the write ("database is required"), which
                // the sender makes a fatal error naming --db.
                let mut params = Vec::new();
                if let Some(db) = &self.db {
                    params.push(("db", db.as_str()));
                }
                if let Some(rp) = &self.rp {
                    params.push(("rp", rp));
                }
                params.push(("precision", p));
                server.join("/write", &params)
            }
            Api::V2 => {
                let bucket = self
                    .bucket
                    .as_deref()
                    .or(self.db.as_deref())
                    .ok_or_else(|| TargetError("--api v2 needs --bucket (or --db)".into()))?;
                let mut params = vec![("bucket", bucket)];
                if let Some(org) = &self.org {
                    params.push(("org", org));
                }
                params.push(("precision", p));
                server.join("/api/v2/write", &params)
            }
            Api::V3 => {
                let db = self
                    .db
                    .as_deref()
                    .ok_or_else(|| TargetError("--api v3 needs --db".into()))?;
                let accept = if self.v3.accept_partial {
                    "true"
                } else {
                    "false"
                };
                let mut params = vec![("db", db), ("accept_partial", accept), ("precision", p)];
                if self.v3.no_sync {
                    params.push(("no_sync", "true"));
                }
                server.join("/api/v3/write_lp", &params)
            }
        };
        let auth = match (server.credentials(), &self.auth) {
            (Some((user, _)), Auth::Basic { .. }) => {
                return Err(TargetError(format!(
                    "--url names the user `{}` and --username is given too: use one of them",
                    escape_text(user)
                )))
            }
            // Credentials written in the URL are the most explicit: they win over a token.
            (Some((user, password)), _) => Auth::Basic {
                username: user.to_owned(),
                password: password.to_owned(),
            },
            (None, auth) => auth.clone(),
        };
        let authorization = authorization(&auth, self.api);
        let mut secrets = server.secret_values();
        match &auth {
            Auth::None => {}
            Auth::Basic { password, .. } => secrets.push(password.clone()),
            Auth::Token(t) => secrets.push(t.clone()),
        }
        if let Some(h) = &authorization {
            if let Some((_, value)) = h.split_once(' ') {
                secrets.push(value.to_owned());
            }
        }
        Ok(Endpoint {
            display_url: redact_url(&url),
            url,
            server,
            authorization,
            secrets: Secrets::new(secrets),
        })
    }

    /// The full write URL with its query string. Credentials are never part of it.
    pub fn write_url(&self) -> Result<String, TargetError> {
        self.endpoint().map(|e| e.url)
    }

    /// The value of the `Authorization` header, if any: `Basic ...` for credentials in the URL
    /// or `--username`, `Token T` for v1/v2, `Bearer T` for v3.
    pub fn authorization(&self) -> Option<String> {
        match self.endpoint() {
            Ok(e) => e.authorization,
            Err(_) => authorization(&self.auth, self.api),
        }
    }
}

fn authorization(auth: &Auth, api: Api) -> Option<String> {
    match auth {
        Auth::None => None,
        Auth::Basic { username, password } => {
            let raw = format!("{username}:{password}");
            Some(format!("Basic {}", base64(raw.as_bytes())))
        }
        Auth::Token(t) => Some(match api {
            Api::V3 => format!("Bearer {t}"),
            Api::V1 | Api::V2 => format!("Token {t}"),
        }),
    }
}

/// Standard base64 with padding (for Basic auth).
pub(super) fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}
