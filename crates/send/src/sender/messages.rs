//! The messages made of a server's answers: its text on one line and shortened, the fatal
//! statuses explained, and the 400s that refuse no line but name a setting to fix.

use crate::dialect::{escape_text, redact_url, suggested_base, Api};

/// The message of an answer that refuses no line but says a setting is wrong: a 400 for plain
/// HTTP to Go's HTTPS server (InfluxDB with TLS), or InfluxDB 1.x written without a database;
/// InfluxDB 1.x's 500 for a retention policy it does not have.
pub(super) fn wrong_setting(api: Api, status: u16, body: &str) -> Option<String> {
    // InfluxDB 1.x answers a write to a retention policy it does not have with a 500, which
    // no retry can mend.
    if api == Api::V1 && status == 500 && body.contains("retention policy not found") {
        return Some(format!(
            "HTTP 500: the database has no such retention policy (the server said: {}): fix --rp, or create it (CREATE RETENTION POLICY)",
            one_line(body)
        ));
    }
    if status != 400 {
        return None;
    }
    if body.contains("Client sent an HTTP request to an HTTPS server") {
        return Some(format!(
            "HTTP 400: the server speaks HTTPS on this port (it said: {}): use https:// in --url",
            one_line(body)
        ));
    }
    (api == Api::V1 && body.contains("database is required")).then(|| {
        format!(
            "HTTP 400: the server needs a database (it said: {}): give --db NAME (the database must exist: create it with --create-db)",
            one_line(body)
        )
    })
}

/// Whether a response body is an HTML page.
pub(super) fn is_web_page(body: &str) -> bool {
    let head = body
        .trim_start()
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with('<') && (head.starts_with("<!doctype html") || head.contains("<html"))
}

/// A server's text on one line: runs of blanks (newlines included) become one space, other
/// control characters are escaped.
pub(super) fn one_line(text: &str) -> String {
    escape_text(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Longest piece of a server's text put in a message.
const MAX_SERVER_TEXT: usize = 2000;

/// `what`, then `: ` and the server's text (on one line, control characters escaped,
/// shortened) when it said something.
pub(super) fn with_server_text(what: String, body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        return what;
    }
    // One line: runs of blanks (newlines of an HTML page) become one space.
    let mut text = escape_text(&body.split_whitespace().collect::<Vec<_>>().join(" "));
    if text.len() > MAX_SERVER_TEXT {
        let mut cut = MAX_SERVER_TEXT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    format!("{what}: {text}")
}

pub(super) fn fatal_message(status: u16, body: &str, location: Option<&str>, url: &str) -> String {
    if (300..400).contains(&status) {
        let to = match location {
            Some(l) if !l.trim().is_empty() => {
                let l = l.trim();
                let hint = match suggested_base(url, l) {
                    Some(base) => format!(
                        "if that is where to write, run again with --url {}",
                        escape_text(&redact_url(&base))
                    ),
                    None => "check --url".to_owned(),
                };
                format!(
                    "the server redirects the write to {}; lpconvert never follows a redirect (it could resend the write as a GET that stores nothing): {hint}",
                    escape_text(&redact_url(l))
                )
            }
            _ => "a redirect without a Location; lpconvert never follows a redirect: check --url"
                .to_owned(),
        };
        return format!("HTTP {status}: {to}");
    }
    let what = match status {
        401 => "unauthorized: check the token (--token-env) or --username/--password-env",
        403 => "forbidden: the credentials may not write to this database or bucket",
        404 => "not found: the database, bucket or write endpoint does not exist (check --url, --api, --db, --bucket)",
        100..=199 => "an informational status where a final answer was expected",
        _ => "unexpected status",
    };
    let body = body.trim();
    if status == 404 && body.contains("database not found") {
        // InfluxDB 1.x: the database does not exist yet.
        return format!(
            "HTTP {status}: {what} (server said: {}): create the database first, or add --create-db (InfluxDB 1.x)",
            with_server_text(String::new(), body).trim_start_matches(": ")
        );
    }
    if body.is_empty() {
        format!("HTTP {status}: {what}")
    } else {
        format!(
            "HTTP {status}: {what} (server said: {})",
            with_server_text(String::new(), body).trim_start_matches(": ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_texts_are_one_line_and_never_leave_a_dangling_colon() {
        assert_eq!(with_server_text("HTTP 503".into(), " \n"), "HTTP 503");
        assert_eq!(
            with_server_text("HTTP 500".into(), "<html>\n  <p>busy</p>\x1b[2J\n</html>\n"),
            "HTTP 500: <html> <p>busy</p>\\u{1b}[2J </html>"
        );
        let long = "x".repeat(5000);
        assert!(with_server_text("HTTP 500".into(), &long).len() < 2100);
        assert_eq!(fatal_message(404, "", None, "http://h/write"), format!("HTTP 404: {}", "not found: the database, bucket or write endpoint does not exist (check --url, --api, --db, --bucket)"));
        let m = fatal_message(
            308,
            "",
            Some("https://u:pw@g/x/write?p=pw"),
            "http://h/write",
        );
        assert!(
            m.contains("https://u:[redacted]@g/x/write?p=[redacted]"),
            "{m}"
        );
        assert!(m.ends_with("--url https://g/x"), "{m}");
        let m = fatal_message(302, "", None, "http://h/write");
        assert!(
            m.starts_with("HTTP 302: a redirect without a Location"),
            "{m}"
        );
    }
}
