//! Tests of the write APIs: precisions, URLs, credentials and redaction.

use super::endpoint::base64;
use super::*;

fn target(api: Api) -> Target {
    Target {
        url: "http://127.0.0.1:8086/".into(),
        api,
        db: Some("home db".into()),
        rp: None,
        bucket: None,
        org: Some("my&org".into()),
        precision: Precision::Us,
        auth: Auth::None,
        v3: V3Options::default(),
        tls: Default::default(),
    }
}

#[test]
fn precision_options_and_query_spellings() {
    for (text, p) in [
        ("ns", Precision::Ns),
        ("n", Precision::Ns),
        ("us", Precision::Us),
        ("u", Precision::Us),
        ("µs", Precision::Us),
        ("ms", Precision::Ms),
        ("s", Precision::S),
    ] {
        assert_eq!(parse_precision(text), Some(p), "{text}");
    }
    assert_eq!(parse_precision("sec"), None);
    assert_eq!(Api::V1.precision_param(Precision::Us), "u");
    assert_eq!(Api::V2.precision_param(Precision::Us), "us");
    assert_eq!(Api::V3.precision_param(Precision::S), "second");
}

#[test]
fn urls_per_dialect() {
    assert_eq!(
        target(Api::V1).write_url().unwrap(),
        "http://127.0.0.1:8086/write?db=home%20db&precision=u"
    );
    assert_eq!(
        target(Api::V2).write_url().unwrap(),
        "http://127.0.0.1:8086/api/v2/write?bucket=home%20db&org=my%26org&precision=us"
    );
    assert_eq!(
        target(Api::V3).write_url().unwrap(),
        "http://127.0.0.1:8086/api/v3/write_lp?db=home%20db&accept_partial=true&precision=microsecond"
    );
    let mut t = target(Api::V3);
    t.v3 = V3Options {
        accept_partial: false,
        no_sync: true,
    };
    for (p, spelled) in [
        (Precision::S, "second"),
        (Precision::Ms, "millisecond"),
        (Precision::Us, "microsecond"),
        (Precision::Ns, "nanosecond"),
    ] {
        t.precision = p;
        assert_eq!(
            t.write_url().unwrap(),
            format!("http://127.0.0.1:8086/api/v3/write_lp?db=home%20db&accept_partial=false&precision={spelled}&no_sync=true")
        );
    }
    let mut t = target(Api::V1);
    t.precision = Precision::Ns;
    t.rp = Some("autogen".into());
    assert_eq!(
        t.write_url().unwrap(),
        "http://127.0.0.1:8086/write?db=home%20db&rp=autogen&precision=n"
    );
    t.db = None;
    assert_eq!(
        t.write_url().unwrap(),
        "http://127.0.0.1:8086/write?rp=autogen&precision=n"
    );
    t.rp = None;
    assert_eq!(
        t.write_url().unwrap(),
        "http://127.0.0.1:8086/write?precision=n"
    );
    for empty in ["", " "] {
        let mut e = target(Api::V2);
        e.org = Some(empty.into());
        assert!(e.write_url().unwrap_err().0.contains("--org is empty"));
        e = target(Api::V1);
        e.db = Some(empty.into());
        assert!(e.write_url().unwrap_err().0.contains("--db is empty"));
    }
    t.url = "ftp://x".into();
    assert!(t.write_url().is_err());
}

fn parse_err(url: &str) -> String {
    match ServerUrl::parse(url) {
        Ok(u) => panic!("{url} parsed: {u:?}"),
        Err(e) => e.0,
    }
}

#[test]
fn malformed_urls_are_refused_with_the_reason() {
    assert!(parse_err("http://[::1").contains("--url `http://[::1`"));
    assert!(parse_err("http://h:99999").contains("port"));
    assert!(parse_err("http://h :1").contains("' '"));
    assert!(parse_err("ftp://h").contains("scheme `ftp`"));
    assert!(parse_err("http://").contains("no host"));
    assert!(parse_err("http:///write").contains("no host"));
    assert!(parse_err("h:8086").contains("http://"));
    assert!(parse_err("http://h#frag").contains("fragment"));
    assert!(parse_err("http://h/?precision=s").contains("--precision"));
    assert!(parse_err("http://h:0").contains("port 0"));
    assert!(parse_err("http://h/write").contains("write endpoint"));
    assert!(parse_err("http://h/pre/api/v2/write/").contains("use --url http://h/pre"));
    let e = parse_err("http://user@h");
    assert!(e.contains("no password"), "{e}");
    let e = parse_err("http://u:s3cretpw@h:99999");
    assert!(
        !e.contains("s3cretpw") && e.contains("u:[redacted]@"),
        "{e}"
    );
    assert!(ServerUrl::parse("http://[::1]:8086").is_ok());
    assert!(ServerUrl::parse("https://h.example/a/b/").is_ok());
}

#[test]
fn prefix_and_query_are_merged() {
    let mut t = target(Api::V1);
    t.url = "http://h:1/pre/?x=1&y=a%20b".into();
    assert_eq!(
        t.write_url().unwrap(),
        "http://h:1/pre/write?x=1&y=a%20b&db=home%20db&precision=u"
    );
    t.api = Api::V2;
    t.url = "https://[::1]:8086/influx".into();
    assert_eq!(
        t.write_url().unwrap(),
        "https://[::1]:8086/influx/api/v2/write?bucket=home%20db&org=my%26org&precision=us"
    );
    let s = ServerUrl::parse("http://h/p?u=me&p=pw").unwrap();
    assert_eq!(s.join("/ping", &[]), "http://h/p/ping?u=me&p=pw");
}

#[test]
fn credentials_in_the_url_become_basic_auth() {
    let mut t = target(Api::V1);
    t.url = "http://Aladdin:open%20sesame@127.0.0.1:8086".into();
    let e = t.endpoint().unwrap();
    assert_eq!(
        e.authorization.as_deref(),
        Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
    );
    assert!(!e.url.contains("Aladdin") && !e.url.contains("sesame"));
    assert!(!format!("{t:?} {e:?}").contains("sesame"));
    assert_eq!(
        e.secrets
            .redact("bad open sesame, open%20sesame, QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
        "bad [redacted], [redacted], [redacted]"
    );
    // A token from the environment does not override the URL's credentials.
    t.auth = Auth::Token("tok".into());
    assert!(t.authorization().unwrap().starts_with("Basic "));
    t.auth = Auth::Basic {
        username: "x".into(),
        password: "y".into(),
    };
    assert!(t.endpoint().unwrap_err().0.contains("--username"));
}

#[test]
fn urls_are_redacted() {
    assert_eq!(
        redact_url("http://u:pw@h:1/w?db=x&p=pw&u=u&token=t&Password=z#f"),
        "http://u:[redacted]@h:1/w?db=x&p=[redacted]&u=u&token=[redacted]&Password=[redacted]#f"
    );
    assert_eq!(redact_url("http://u@h/"), "http://u@h/");
    assert_eq!(redact_url("not a url"), "not a url");
    assert_eq!(
        redact_url("--url=http://a:b@h"),
        "--url=http://a:[redacted]@h"
    );
    assert_eq!(
        suggested_base("http://h:1/pre/write?db=x", "/other/write?db=x").as_deref(),
        Some("http://h:1/other")
    );
    assert_eq!(
        suggested_base("http://h:1/write", "https://u:p@g:2/api/v2/write?p=1").as_deref(),
        Some("https://g:2")
    );
    assert_eq!(suggested_base("http://h:1/write", "ftp://x/"), None);
    assert_eq!(escape_text("a\x1b[2Jb\n"), "a\\u{1b}[2Jb\\n");
}

#[test]
fn auth_headers_and_redaction() {
    let mut t = target(Api::V1);
    t.auth = Auth::Basic {
        username: "Aladdin".into(),
        password: "open sesame".into(),
    };
    assert_eq!(
        t.authorization().unwrap(),
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    );
    assert!(!format!("{t:?}").contains("sesame"));
    t.auth = Auth::Token("s3cret".into());
    assert_eq!(t.authorization().unwrap(), "Token s3cret");
    t.api = Api::V3;
    assert_eq!(t.authorization().unwrap(), "Bearer s3cret");
    assert!(!format!("{t:?}").contains("s3cret"));
    assert_eq!(base64(b"a"), "YQ==");
    assert_eq!(base64(b"ab"), "YWI=");
}
