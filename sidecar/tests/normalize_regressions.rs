//! Regression tests for the path-bypass classes of authorization proxies (see
//! `normalize.rs`), properties of the canonical form, and what hyper itself hands us.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use zegel_sidecar::normalize::{PathError, Target, canonicalize};

/// What the decision sees for `target`: the canonical path and query, or the rejection.
fn decided(target: &str) -> Result<String, PathError> {
    canonicalize(target).map(|t| t.path_and_query())
}

#[test]
fn envoy_cve_2019_9901_dot_dot_is_resolved_before_decision() {
    // Envoy matched `/info/../private` against `/info` rules and forwarded it unresolved.
    let target = canonicalize("/info/../private").expect("resolvable");
    assert_eq!(target.path, "/private");
    assert_eq!(target.raw.as_deref(), Some("/info/../private"));
    assert_eq!(decided("/public/./../private/x"), Ok("/private/x".into()));
    assert_eq!(decided("/public/../../private"), Err(PathError::AboveRoot));
}

#[test]
fn traefik_cve_2025_47952_url_encoded_traversal_is_rejected() {
    // `/myprefix/%2e%2e/other` matched `PathPrefix(/myprefix)`; the backend resolved it.
    for target in [
        "/public/%2e%2e/private",
        "/public/%2E%2E/private",
        "/public/.%2e/private",
    ] {
        assert_eq!(
            decided(target),
            Err(PathError::EncodedDotSegment),
            "{target}"
        );
    }
    assert_eq!(
        decided("/public/%252e%252e/private"),
        Err(PathError::EncodedPercent)
    );
    assert_eq!(
        decided("/public/%c0%ae%c0%ae/private"),
        Err(PathError::InvalidUtf8)
    );
}

#[test]
fn traefik_ghsa_fvhj_4qfh_q2hm_fragment_is_never_decided_or_forwarded() {
    // Traefik encoded the fragment and forwarded it; a second proxy read another path.
    assert_eq!(decided("/public#/../private"), Err(PathError::Fragment));
    assert_eq!(decided("/public?x=1#frag"), Err(PathError::Fragment));
    assert_eq!(
        decided("/public%23/../private"),
        Err(PathError::EncodedDelimiter)
    );
}

#[test]
fn caddy_ghsa_m8m5_v4jf_3wcm_encoded_slash_traversal_is_rejected() {
    // `/public/..%2fadmin/secret` was one opaque segment to the matcher, two to handlers.
    for target in [
        "/public/..%2fadmin/secret",
        "/public/..%2Fadmin",
        "/public%2F..%2Fadmin",
    ] {
        assert_eq!(decided(target), Err(PathError::EncodedSlash), "{target}");
    }
    assert_eq!(decided("/public/..%5cadmin"), Err(PathError::Backslash));
    assert_eq!(decided("/public/..\\admin"), Err(PathError::Backslash));
}

#[test]
fn caddy_authz_double_slash_is_merged_before_decision() {
    // caddy-authz matched `//admin` against no rule for `/admin`; the upstream served it.
    assert_eq!(decided("//admin"), Ok("/admin".into()));
    assert_eq!(decided("/admin//users///1"), Ok("/admin/users/1".into()));
    assert_eq!(decided("//admin//"), Ok("/admin/".into()));
}

#[test]
fn axum_casbin_raw_path_is_decoded_before_decision() {
    // axum-casbin enforced on `req.uri().path()` undecoded: `/%61dmin` slipped past `/admin`.
    assert_eq!(decided("/%61dmin"), Ok("/admin".into()));
    assert_eq!(decided("/%41dmin/%70atients"), Ok("/Admin/patients".into()));
    assert_eq!(
        decided("/Patient/1/%24everything"),
        Ok("/Patient/1/$everything".into())
    );
    // One spelling for escapes too: hex case cannot split the policy's view.
    assert_eq!(decided("/caf%c3%a9"), decided("/caf%C3%A9"));
    assert_eq!(decided("/caf%c3%a9"), decided("/café"));
}

#[test]
fn traefik_ghsa_gm3x_23wp_hc2c_encoded_restricted_characters_are_rejected() {
    // Traefik's fix rejects encoded `/ \ NUL ; ? #`; so do we, and `%25` as well.
    let cases = [
        ("/admin%2F", PathError::EncodedSlash),
        ("/admin%5C", PathError::Backslash),
        ("/admin%00", PathError::Nul),
        ("/admin%3B", PathError::PathParameter),
        ("/admin%3F", PathError::EncodedDelimiter),
        ("/admin%23", PathError::EncodedDelimiter),
        ("/admin%25", PathError::EncodedPercent),
        ("/admin;jsessionid=1", PathError::PathParameter),
    ];
    for (target, error) in cases {
        assert_eq!(decided(target), Err(error), "{target}");
    }
}

/// Request targets built from the pieces that matter: plain text, separators, dot
/// segments, random escapes (`%2F`, `%5C`, `%00`, `%25`, `%2E`, ...), odd and non-ASCII
/// characters, queries.
fn any_target() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        "[A-Za-z0-9._~-]{1,3}",
        Just("/".to_owned()),
        Just("/./".to_owned()),
        Just("/../".to_owned()),
        Just("//".to_owned()),
        "%[0-7][0-9A-Fa-f]",
        "%[cC]3%[aA]9",
        "%(2[eEfF5]|5[cC]|00|3[bBfF]|23)",
        "[!$&'()*+,=:@{}|\"\\\\;é\u{FF0F}]",
        Just("?q=%2F&x".to_owned()),
    ];
    prop::collection::vec(token, 0..16).prop_map(|tokens| format!("/{}", tokens.concat()))
}

/// The path segments a client could mean: unreserved and other literal-safe characters,
/// plus a little non-ASCII; never a dot segment.
fn segment_text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._~!$&'()*+,=:@é中-]{1,6}".prop_filter("dot segment", |s| s != "." && s != "..")
}

/// Writes each segment with every character literal, `%xx` or `%XX`, as `choices` say.
fn spell(segments: &[String], choices: &[u8]) -> String {
    let spell_one = |segment: &String| -> String {
        let picks = segment.chars().zip(choices.iter().cycle());
        picks.map(|(c, choice)| escape(c, choice % 3)).collect()
    };
    segments.iter().map(spell_one).collect::<Vec<_>>().join("/")
}

fn escape(c: char, how: u8) -> String {
    let mut buf = [0; 4];
    let bytes = c.encode_utf8(&mut buf).bytes();
    match how {
        0 => c.to_string(),
        1 => bytes.map(|b| format!("%{b:02x}")).collect(),
        _ => bytes.map(|b| format!("%{b:02X}")).collect(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(
            FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    })]

    #[test]
    fn canonicalize_is_idempotent(target in any_target()) {
        if let Ok(first) = canonicalize(&target) {
            let again = canonicalize(&first.path_and_query()).expect("canonical form is valid");
            prop_assert_eq!(again, Target { raw: None, ..first });
        }
    }

    #[test]
    fn canonical_path_is_unambiguous(target in any_target()) {
        if let Ok(t) = canonicalize(&target) {
            for bad in ["//", "/./", "/../", "%2F", "%5C", "%00", "%25", "\\", ";"] {
                prop_assert!(!t.path.contains(bad), "{} in {}", bad, t.path);
            }
            prop_assert!(!t.path.ends_with("/.") && !t.path.ends_with("/.."));
            let lowercase_hex = |e: &str| e.get(..2).is_none_or(|h| h.contains(char::is_lowercase));
            prop_assert!(!t.path.split('%').skip(1).any(lowercase_hex), "{}", t.path);
        }
    }

    #[test]
    fn equal_meaning_gives_equal_form(
        segments in prop::collection::vec(segment_text(), 1..6),
        first in prop::collection::vec(any::<u8>(), 1..16),
        second in prop::collection::vec(any::<u8>(), 1..16),
    ) {
        let text = segments.join("/");
        let a = canonicalize(&format!("/{}", spell(&segments, &first))).expect("first spelling");
        let b = canonicalize(&format!("//{}", spell(&segments, &second).replace('/', "/./")))
            .expect("second spelling");
        prop_assert_eq!(&a.path, &b.path);
        if text.is_ascii() {
            prop_assert_eq!(a.path, format!("/{text}"));
        }
    }
}

mod hyper_front {
    //! What hyper 1.x does with odd request targets before our code runs, and that
    //! `canonicalize_uri` receives exactly the `Uri` hyper built.

    use std::convert::Infallible;
    use std::net::SocketAddr;
    use std::time::Duration;

    use bytes::Bytes;
    use http_body_util::Full;
    use hyper::body::Incoming;
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper::{Request, Response, StatusCode};
    use hyper_util::rt::TokioIo;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use zegel_sidecar::normalize::canonicalize_uri;

    /// Answers with the URI hyper gave us and our verdict on it, one per line; a rejected
    /// target gets its 400 like on the real request path.
    async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
        let (status, verdict) = match canonicalize_uri(req.uri()) {
            Ok(target) => (StatusCode::OK, target.path_and_query()),
            Err(error) => (error.status(), format!("rejected: {error}")),
        };
        let body = format!("{}\n{verdict}", req.uri());
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        Ok(response)
    }

    async fn start() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let conn = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(handle));
                tokio::spawn(conn);
            }
        });
        addr
    }

    /// Sends one raw request line; returns the status and, if our service ran, its body.
    async fn exchange(addr: SocketAddr, method: &str, target: &[u8]) -> (u16, Option<String>) {
        let mut request = format!("{method} ").into_bytes();
        request.extend_from_slice(target);
        request.extend_from_slice(b" HTTP/1.1\r\nHost: t.example\r\nConnection: close\r\n\r\n");
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(&request).await.expect("write");
        let mut response = Vec::new();
        let read = stream.read_to_end(&mut response);
        tokio::time::timeout(Duration::from_secs(5), read)
            .await
            .expect("timely")
            .expect("read");
        parse(&String::from_utf8_lossy(&response))
    }

    fn parse(response: &str) -> (u16, Option<String>) {
        let (head, body) = response.split_once("\r\n\r\n").expect("response head");
        let status = head
            .split(' ')
            .nth(1)
            .expect("status")
            .parse()
            .expect("numeric status");
        (status, Some(body.to_owned()).filter(|b| !b.is_empty()))
    }

    /// (method, raw target, status, body) where body is `None` when hyper answered itself
    /// and otherwise "<uri hyper built>\n<canonical target or rejection>".
    type Case = (&'static str, &'static [u8], u16, Option<&'static str>);

    const CASES: &[Case] = &[
        // The `http` crate cuts the fragment off: we never see it, nothing of it is forwarded.
        ("GET", b"/a#frag", 200, Some("/a\n/a")),
        ("GET", b"/a?b#c", 200, Some("/a?b\n/a?b")),
        ("GET", b"#x", 400, None),
        // Space, NUL, DEL, tab, `<`, `>`, backtick and non-UTF-8 bytes never reach us.
        ("GET", b"/a b", 400, None),
        ("GET", b"/a\x00", 400, None),
        ("GET", b"/a\x7f", 400, None),
        ("GET", b"/a\tb", 400, None),
        ("GET", b"/a<b>", 400, None),
        ("GET", b"/a`b", 400, None),
        ("GET", b"/\xff", 400, None),
        ("GET", b"/a?x y", 400, None),
        ("GET", b"/a?\"<>", 400, None),
        ("GET", b"?x", 400, None),
        ("GET", b"a/b", 400, None),
        // These pass hyper untouched; the decision is ours.
        (
            "GET",
            b"/a\\b",
            400,
            Some("/a\\b\nrejected: backslash in path"),
        ),
        (
            "GET",
            b"/a;b",
            400,
            Some("/a;b\nrejected: ';' path parameter"),
        ),
        (
            "GET",
            b"/a%2fb",
            400,
            Some("/a%2fb\nrejected: encoded slash in path"),
        ),
        ("GET", b"/a/../b", 200, Some("/a/../b\n/b")),
        ("GET", b"/caf\xc3\xa9", 200, Some("/caf\u{e9}\n/caf%C3%A9")),
        (
            "GET",
            b"/{x}\"|^[]",
            200,
            Some("/{x}\"|^[]\n/%7Bx%7D%22%7C%5E%5B%5D"),
        ),
        // Absolute-form is decided on its path; other forms are refused.
        (
            "GET",
            b"http://t.example/a/../b?x",
            200,
            Some("http://t.example/a/../b?x\n/b?x"),
        ),
        (
            "GET",
            b"http://t.example",
            200,
            Some("http://t.example/\n/"),
        ),
        (
            "OPTIONS",
            b"*",
            400,
            Some("*\nrejected: request target is not origin-form"),
        ),
        (
            "CONNECT",
            b"t.example:443",
            400,
            Some("t.example:443\nrejected: request target is not origin-form"),
        ),
    ];

    #[tokio::test]
    async fn canonicalize_uri_sees_what_hyper_passes_on() {
        let addr = start().await;
        for (method, target, status, body) in CASES {
            let got = exchange(addr, method, target).await;
            let want = (*status, body.map(str::to_owned));
            assert_eq!(got, want, "{method} {}", String::from_utf8_lossy(target));
        }
    }
}
