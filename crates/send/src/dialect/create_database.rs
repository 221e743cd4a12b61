//! `--create-db`: `CREATE DATABASE "NAME"` through InfluxDB 1.x's `/query` before the first
//! write. InfluxDB 1.x answers it the same for a database that already exists, so it is sent
//! on every run.

use super::{redact_url, Api, Target};
use crate::transport::Transport;
use crate::verify::query::influxql_ident;

/// Why the database could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CreateDbError(pub String);

/// The InfluxQL statement that creates `db`, its name quoted.
pub fn create_statement(db: &str) -> String {
    format!("CREATE DATABASE {}", influxql_ident(db))
}

/// Sends `CREATE DATABASE` for the target's `--db` to its `/query` (POST, `q` in the query
/// string, the target's credentials). The target must be `--api v1` with a database.
pub fn create_database(target: &Target, transport: &dyn Transport) -> Result<(), CreateDbError> {
    let db = match (target.api, target.db.as_deref()) {
        (Api::V1, Some(db)) => db,
        _ => {
            return Err(CreateDbError(
                "--create-db needs --api v1 and --db NAME".into(),
            ))
        }
    };
    let endpoint = target
        .endpoint()
        .map_err(|e| CreateDbError(e.to_string()))?;
    let statement = create_statement(db);
    let url = endpoint.server.join("/query", &[("q", statement.as_str())]);
    let shown = redact_url(&url);
    let auth = endpoint.authorization.as_deref();
    let failed = |message: String| {
        CreateDbError(format!(
            "--create-db: {statement} at {shown} failed: {message}"
        ))
    };
    let body = crate::transport::ask(transport, &url, auth, b"").map_err(failed)?;
    match statement_error(&body) {
        None => Ok(()),
        Some(e) => Err(failed(e)),
    }
}

/// The error InfluxDB 1.x puts in a 200 answer to a statement it did not run, if any
/// (`{"results":[{"statement_id":0,"error":"..."}]}` or `{"error":"..."}`); an answer that is
/// not InfluxDB's JSON is an error too.
fn statement_error(body: &str) -> Option<String> {
    let json: serde_json::Value = match serde_json::from_str(body) {
        Ok(j) => j,
        Err(_) => {
            return Some(format!(
                "the answer is not InfluxDB 1.x's (is --url an InfluxDB 1.x server?): {}",
                crate::redact::escape_text(body.trim())
            ))
        }
    };
    let error = json.get("error").or_else(|| {
        json.get("results")
            .and_then(|r| r.get(0))
            .and_then(|r| r.get("error"))
    });
    match error {
        Some(e) => Some(crate::redact::escape_text(e.as_str().unwrap_or_default())),
        None if json.get("results").is_some() => None,
        None => Some(format!(
            "the answer is not InfluxDB 1.x's (is --url an InfluxDB 1.x server?): {}",
            crate::redact::escape_text(body.trim())
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_and_answers_read() {
        assert_eq!(
            create_statement(r#"we"ird\db"#),
            r#"CREATE DATABASE "we\"ird\\db""#
        );
        assert_eq!(statement_error(r#"{"results":[{"statement_id":0}]}"#), None);
        assert_eq!(
            statement_error(r#"{"results":[{"statement_id":0,"error":"not authorized"}]}"#)
                .as_deref(),
            Some("not authorized")
        );
        assert!(statement_error("<html>").is_some());
        assert!(statement_error("{}").is_some());
    }
}
