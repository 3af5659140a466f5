//! Canonical request target: decode, check and canonicalize once, decide on that form and
//! forward exactly that form upstream.
//!
//! Every path-bypass CVE of an authorization proxy (Envoy CVE-2019-9901, Traefik
//! CVE-2025-47952 and GHSA-fvhj-4qfh-q2hm, Caddy GHSA-m8m5-v4jf-3wcm, caddy-authz `//`,
//! axum-casbin) is the same bug: the proxy decided on one reading of the target and the
//! upstream acted on another. So the sidecar reads the target once, here, and both the
//! decision and the forwarded request use [`Target::path`] (plus the query as sent).
//! [`Target::raw`] keeps the target as received whenever it differs, for the audit record.
//!
//! hyper (via the `http` crate) already refuses with its own 400 a target with space,
//! controls, `<`, `>`, backtick or bytes that are not UTF-8, and cuts off a fragment; `\`,
//! `;`, `"{}|^[]`, raw UTF-8 and every percent escape reach us unchanged.
//!
//! # Rules for the path
//! - **Origin-form only** (`/...`). An http(s) absolute-form target (proxy requests, and
//!   what hyper builds for HTTP/2) contributes only its path and query; its authority is
//!   the server's business. Authority-form (`CONNECT`) and asterisk-form (`OPTIONS *`) name
//!   no resource to decide on and are rejected.
//! - **No fragment.** Clients never send one; Traefik forwarded it and a second proxy read
//!   the path differently (GHSA-fvhj-4qfh-q2hm). hyper already drops a fragment before we
//!   see the URI, so for hyper requests this rule never fires and nothing of it is forwarded.
//! - **Percent escapes are decoded and checked**: `%` must be followed by two hex digits.
//!   An escape may not decode to `/` (a split view of segments: Caddy `..%2f`), `\`, NUL or
//!   another control character, `;`, `?`, `#`, or `%` itself (`%25` exists only to survive a
//!   second decoding: `%252e%252e`). Such targets are rejected, not repaired.
//! - **`\` and `;` are rejected**, literal or encoded: WHATWG URL parsers (browsers, Node)
//!   and Windows upstreams read `\` as `/`; Java containers strip `;params` and read `..;` as
//!   `..`. A FHIR path never needs either.
//! - **Decoded bytes must be UTF-8** (overlong `%c0%af` is not), without control characters
//!   and without look-alikes of `/`, `\` or `.` (`U+FF0F`, `U+2215`, ...) that NFKC or
//!   Windows "best fit" mapping in an upstream would turn into separators.
//! - **Encoded dot segments are rejected** (`%2e%2e`, `.%2E`). Decoding and then resolving
//!   them would also be consistent, but no legitimate client sends them (WHATWG clients
//!   resolve them first, FHIR ids cannot be `.`), every encoded-traversal CVE above starts
//!   with them, and rejecting records the probe in the audit log instead of hiding it.
//! - **Literal dot segments are resolved** (RFC 3986 5.2.4), so `/info/../private` is decided
//!   as `/private` (Envoy CVE-2019-9901). Resolving above the root is rejected.
//! - **Slashes are merged**: `//admin` is `/admin` (caddy-authz). A trailing `/` is kept,
//!   since upstreams route `/Patient` and `/Patient/` differently.
//! - **One spelling per character**: ASCII allowed literally in a segment (unreserved,
//!   sub-delims other than `;`, `:` and `@`) is written literally, decoded if it was sent
//!   encoded; everything else (space, `"`, `{`, non-ASCII, ...) is percent-encoded with
//!   uppercase hex, so `é`, `%c3%a9` and `%C3%A9` are one spelling. Upstream frameworks
//!   decode paths before routing, so `%24everything` *is* `$everything` to them and the
//!   policy must see it that way (the axum-casbin raw-path hole). Case of letters is kept;
//!   non-ASCII is not Unicode-normalized.
//! - **Limits**: [`MAX_PATH_LEN`] bytes before and after canonicalization, at most
//!   [`MAX_SEGMENTS`] raw segments: FHIR paths have a handful, and the work stays bounded.
//!
//! # Rules for the query
//! The query is validated, not rewritten, so FHIR search parameters reach the upstream byte
//! for byte: no `#`, no space, `"`, `<`, `>` or control characters (literal or encoded, so no
//! `%00` that truncates a value in C-string code), `%` followed by two hex digits, decoding to
//! UTF-8 (FHIR mandates it; a lossy decode could differ between us and the upstream), at
//! most [`MAX_QUERY_LEN`] bytes. An empty query (`/a?`) is dropped. Modules that
//! decide on query parameters must percent-decode names and values themselves.
//!
//! Every rejection is a [`PathError`]: HTTP 400, and its `Display` is the audit reason.

use http::{StatusCode, Uri};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Longest raw or canonical path accepted, in bytes.
pub const MAX_PATH_LEN: usize = 8 * 1024;
/// Longest query accepted, in bytes (FHIR searches can be long; longer ones use POST).
pub const MAX_QUERY_LEN: usize = 32 * 1024;
/// Most `/`-separated segments a raw path may have, empty and dot segments included.
pub const MAX_SEGMENTS: usize = 128;

/// Bytes written percent-encoded in a canonical segment; all other ASCII is literal.
/// `/ \ ; % ? #` never reach the encoder (rejected) but are listed so they could not leak.
const PATH_ENCODE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b';')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Characters that NFKC or Windows best-fit mapping turn into `.`, `..`, `/` or `\`.
const LOOKALIKES: &[char] = &[
    '\u{2024}', '\u{2025}', '\u{2044}', '\u{2215}', '\u{2216}', '\u{29F5}', '\u{29F8}', '\u{29F9}',
    '\u{FE52}', '\u{FE68}', '\u{FF0E}', '\u{FF0F}', '\u{FF3C}',
];

/// The request target as every later stage sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Canonical path: matched against routes and policy, and forwarded upstream.
    pub path: String,
    /// The query as sent (validated, not rewritten); `None` when absent or empty.
    pub query: Option<String>,
    /// The target as received, only when it differs from [`Target::path_and_query`].
    pub raw: Option<String>,
}

impl Target {
    fn new(path: String, query: Option<String>, received: &str) -> Self {
        let mut target = Self {
            path,
            query,
            raw: None,
        };
        if target.path_and_query() != received {
            target.raw = Some(received.to_owned());
        }
        target
    }

    /// The origin-form target to forward upstream: the path, then `?query` if any.
    pub fn path_and_query(&self) -> String {
        match &self.query {
            Some(query) => format!("{}?{query}", self.path),
            None => self.path.clone(),
        }
    }
}

/// Why a request target was rejected; `Display` is the reason recorded in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// Authority-form, asterisk-form, a non-http(s) absolute form, or no leading `/`.
    #[error("request target is not origin-form")]
    UnsupportedForm,
    /// A `#` anywhere in the target.
    #[error("fragment in request target")]
    Fragment,
    /// Raw or canonical path longer than [`MAX_PATH_LEN`].
    #[error("path too long")]
    PathTooLong,
    /// More than [`MAX_SEGMENTS`] raw segments.
    #[error("too many path segments")]
    TooManySegments,
    /// Query longer than [`MAX_QUERY_LEN`].
    #[error("query too long")]
    QueryTooLong,
    /// `%` not followed by two hex digits.
    #[error("malformed percent escape")]
    BadEscape,
    /// `%2F` in the path.
    #[error("encoded slash in path")]
    EncodedSlash,
    /// `\` in the path, literal or encoded.
    #[error("backslash in path")]
    Backslash,
    /// NUL, literal or encoded.
    #[error("NUL in request target")]
    Nul,
    /// A control character other than NUL, literal or encoded.
    #[error("control character in request target")]
    ControlChar,
    /// A literal byte that is never valid in a request target (space, `<`, `>`, backtick).
    #[error("character not allowed in request target")]
    InvalidChar,
    /// `;` in the path, literal or encoded.
    #[error("';' path parameter")]
    PathParameter,
    /// `%25` in the path.
    #[error("encoded '%' in path (double encoding)")]
    EncodedPercent,
    /// `%3F` or `%23` in the path.
    #[error("encoded '?' or '#' in path")]
    EncodedDelimiter,
    /// A segment that decodes to `.` or `..` but was not sent literally.
    #[error("encoded dot segment in path")]
    EncodedDotSegment,
    /// Decoded bytes that are not UTF-8 (including overlong forms).
    #[error("invalid UTF-8 in request target")]
    InvalidUtf8,
    /// A Unicode look-alike of `/`, `\` or `.`.
    #[error("look-alike of '/', '\\' or '.' in path")]
    Lookalike,
    /// More `..` segments than there are segments to remove.
    #[error("path resolves above root")]
    AboveRoot,
    /// Canonical form failed its final self-check; never expected, rejected if it happens.
    #[error("path still ambiguous after normalization")]
    Ambiguous,
}

impl PathError {
    /// The response status for a rejected target: always 400 Bad Request.
    pub fn status(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }
}

/// Canonicalizes an origin-form request target (`/path?query`) as received.
pub fn canonicalize(target: &str) -> Result<Target, PathError> {
    let (raw_path, raw_query) = split_target(target)?;
    let path = canonical_path(raw_path)?;
    let query = checked_query(raw_query)?;
    Ok(Target::new(path, query, target))
}

/// Canonicalizes the URI hyper parsed from the request line (HTTP/1) or pseudo-headers (h2).
///
/// Origin-form is canonicalized as is. Absolute-form with scheme `http` or `https` (HTTP/1
/// proxy-style requests, and every h2 request with `:authority`) uses its path and query;
/// when those change, `raw` holds the full URI. Every other form is
/// [`PathError::UnsupportedForm`].
pub fn canonicalize_uri(uri: &Uri) -> Result<Target, PathError> {
    match (uri.scheme_str(), uri.authority()) {
        (None, None) => canonicalize(uri.path_and_query().map_or("", |pq| pq.as_str())),
        (Some("http" | "https"), Some(_)) => absolute_form(uri),
        _ => Err(PathError::UnsupportedForm),
    }
}

fn absolute_form(uri: &Uri) -> Result<Target, PathError> {
    let pq = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let origin = if pq.starts_with('?') {
        format!("/{pq}")
    } else {
        pq.to_owned()
    };
    let mut target = canonicalize(&origin)?;
    if target.raw.is_some() {
        target.raw = Some(uri.to_string());
    }
    Ok(target)
}

fn split_target(target: &str) -> Result<(&str, Option<&str>), PathError> {
    if target.contains('#') {
        return Err(PathError::Fragment);
    }
    if !target.starts_with('/') {
        return Err(PathError::UnsupportedForm);
    }
    Ok(match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    })
}

/// One raw segment, classified before dot-segment resolution.
enum Segment {
    Empty,
    Dot,
    DotDot,
    Name(String),
}

fn canonical_path(raw: &str) -> Result<String, PathError> {
    if raw.len() > MAX_PATH_LEN {
        return Err(PathError::PathTooLong);
    }
    if raw.bytes().filter(|&b| b == b'/').count() > MAX_SEGMENTS {
        return Err(PathError::TooManySegments);
    }
    let mut names = Vec::new();
    let mut trailing_slash = false;
    for raw_segment in raw.split('/').skip(1) {
        trailing_slash = resolve(&mut names, segment(raw_segment)?)?;
    }
    let path = join(&names, trailing_slash);
    if path.len() > MAX_PATH_LEN {
        return Err(PathError::PathTooLong);
    }
    ensure_unambiguous(&path)?;
    Ok(path)
}

/// Applies one segment to the resolved stack; returns whether the path now ends in `/`.
fn resolve(names: &mut Vec<String>, segment: Segment) -> Result<bool, PathError> {
    match segment {
        Segment::Empty | Segment::Dot => Ok(true),
        Segment::DotDot => names.pop().map(|_| true).ok_or(PathError::AboveRoot),
        Segment::Name(name) => {
            names.push(name);
            Ok(false)
        }
    }
}

fn join(names: &[String], trailing_slash: bool) -> String {
    let mut path = format!("/{}", names.join("/"));
    if trailing_slash && !names.is_empty() {
        path.push('/');
    }
    path
}

fn segment(raw: &str) -> Result<Segment, PathError> {
    match raw {
        "" => return Ok(Segment::Empty),
        "." => return Ok(Segment::Dot),
        ".." => return Ok(Segment::DotDot),
        _ => {}
    }
    let text = decode(raw, check_path_literal, check_path_decoded)?;
    if text == "." || text == ".." {
        return Err(PathError::EncodedDotSegment);
    }
    check_chars(&text)?;
    Ok(Segment::Name(
        utf8_percent_encode(&text, PATH_ENCODE).to_string(),
    ))
}

/// Percent-decodes `raw` to UTF-8, checking each literal and each decoded byte.
fn decode(
    raw: &str,
    literal: fn(u8) -> Result<(), PathError>,
    decoded: fn(u8) -> Result<(), PathError>,
) -> Result<String, PathError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let value = hex_pair(bytes.get(i + 1..i + 3)).ok_or(PathError::BadEscape)?;
            decoded(value)?;
            out.push(value);
            i += 3;
        } else {
            literal(byte)?;
            out.push(byte);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| PathError::InvalidUtf8)
}

fn hex_pair(pair: Option<&[u8]>) -> Option<u8> {
    let &[high, low] = pair? else { return None };
    let digit = |b: u8| char::from(b).to_digit(16);
    u8::try_from(digit(high)? * 16 + digit(low)?).ok()
}

/// Checks shared by every byte of the target, literal or decoded.
fn check_control(byte: u8) -> Result<(), PathError> {
    match byte {
        0 => Err(PathError::Nul),
        b if b < 0x20 || b == 0x7f => Err(PathError::ControlChar),
        _ => Ok(()),
    }
}

fn check_path_literal(byte: u8) -> Result<(), PathError> {
    check_control(byte)?;
    match byte {
        b'\\' => Err(PathError::Backslash),
        b';' => Err(PathError::PathParameter),
        b' ' | b'<' | b'>' | b'`' => Err(PathError::InvalidChar),
        _ => Ok(()),
    }
}

fn check_path_decoded(byte: u8) -> Result<(), PathError> {
    check_control(byte)?;
    match byte {
        b'/' => Err(PathError::EncodedSlash),
        b'\\' => Err(PathError::Backslash),
        b';' => Err(PathError::PathParameter),
        b'%' => Err(PathError::EncodedPercent),
        b'?' | b'#' => Err(PathError::EncodedDelimiter),
        _ => Ok(()),
    }
}

/// Checks on decoded characters: C1 controls and separator look-alikes.
fn check_chars(text: &str) -> Result<(), PathError> {
    for c in text.chars() {
        if c.is_control() {
            return Err(PathError::ControlChar);
        }
        if LOOKALIKES.contains(&c) {
            return Err(PathError::Lookalike);
        }
    }
    Ok(())
}

/// Final self-check of the invariants later stages rely on; cheap, and fails closed.
fn ensure_unambiguous(path: &str) -> Result<(), PathError> {
    let mut segments = path
        .strip_prefix('/')
        .ok_or(PathError::Ambiguous)?
        .split('/');
    let last = segments.next_back().unwrap_or_default();
    let bad = |s: &str| s == "." || s == ".." || s.contains(['\\', ';']);
    if segments.any(|s| s.is_empty() || bad(s)) || bad(last) {
        return Err(PathError::Ambiguous);
    }
    Ok(())
}

fn checked_query(raw: Option<&str>) -> Result<Option<String>, PathError> {
    let Some(query) = raw.filter(|q| !q.is_empty()) else {
        return Ok(None);
    };
    if query.len() > MAX_QUERY_LEN {
        return Err(PathError::QueryTooLong);
    }
    decode(query, check_query_literal, check_control)?;
    Ok(Some(query.to_owned()))
}

fn check_query_literal(byte: u8) -> Result<(), PathError> {
    check_control(byte)?;
    match byte {
        b' ' | b'"' | b'<' | b'>' => Err(PathError::InvalidChar),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PathError::*;

    fn ok(input: &str, path: &str, query: Option<&str>) {
        let target = canonicalize(input).expect(input);
        assert_eq!(target.path, path, "path of {input:?}");
        assert_eq!(target.query.as_deref(), query, "query of {input:?}");
        let unchanged = target.path_and_query() == input;
        assert_eq!(target.raw.is_none(), unchanged, "raw of {input:?}");
    }

    #[test]
    fn canonical_forms() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("/", "/", None),
            ("/Patient/123", "/Patient/123", None),
            ("/Patient/", "/Patient/", None),
            ("/a/./b", "/a/b", None),
            ("/a/b/..", "/a/", None),
            ("/a/..", "/", None),
            ("/a/.", "/a/", None),
            ("//a///b//", "/a/b/", None),
            ("/%41%7e%2D%2e_", "/A~-._", None),
            ("/Patient/1/%24everything", "/Patient/1/$everything", None),
            ("/a%3a%40%21%2b", "/a:@!+", None),
            ("/caf%c3%a9", "/caf%C3%A9", None),
            ("/café", "/caf%C3%A9", None),
            ("/a%20b", "/a%20b", None),
            ("/{x}|\"", "/%7Bx%7D%7C%22", None),
            ("/a?", "/a", None),
            ("/a?x=1", "/a", Some("x=1")),
            (
                "/Observation?patient=Patient/123&_include=Observation:subject",
                "/Observation",
                Some("patient=Patient/123&_include=Observation:subject"),
            ),
            ("/a?q=%2f%2F%23%25", "/a", Some("q=%2f%2F%23%25")),
            ("/a?name=Jos%C3%A9+x", "/a", Some("name=Jos%C3%A9+x")),
            ("/a/../b?x=/../", "/b", Some("x=/../")),
        ];
        for (input, path, query) in cases {
            ok(input, path, *query);
        }
    }

    #[test]
    fn rejections() {
        let long_path = format!("/{}", "a".repeat(MAX_PATH_LEN));
        let many_segments = "/a".repeat(MAX_SEGMENTS + 1);
        let long_query = format!("/?{}", "a".repeat(MAX_QUERY_LEN + 1));
        let cases: &[(&str, PathError)] = &[
            ("", UnsupportedForm),
            ("*", UnsupportedForm),
            ("a/b", UnsupportedForm),
            ("?x", UnsupportedForm),
            ("/a#b", Fragment),
            ("/a?b#c", Fragment),
            ("/a%2Fb", EncodedSlash),
            ("/a%2fb", EncodedSlash),
            ("/a..%2f..%2fb", EncodedSlash),
            ("/a\\b", Backslash),
            ("/a%5cb", Backslash),
            ("/a%00", Nul),
            ("/a\0", Nul),
            ("/a%0d%0a", ControlChar),
            ("/a%7f", ControlChar),
            ("/a%c2%85", ControlChar),
            ("/a b", InvalidChar),
            ("/admin;x=1", PathParameter),
            ("/..;/admin", PathParameter),
            ("/admin%3b", PathParameter),
            ("/a%", BadEscape),
            ("/a%4", BadEscape),
            ("/a%zz", BadEscape),
            ("/a%+1", BadEscape),
            ("/a%u2215", BadEscape),
            ("/a%25", EncodedPercent),
            ("/%252e%252e/admin", EncodedPercent),
            ("/a%3fb", EncodedDelimiter),
            ("/a%23b", EncodedDelimiter),
            ("/a/%2e%2e/b", EncodedDotSegment),
            ("/a/.%2E/b", EncodedDotSegment),
            ("/a/%2e/b", EncodedDotSegment),
            ("/%c0%af", InvalidUtf8),
            ("/%c0%ae%c0%ae/x", InvalidUtf8),
            ("/%ff", InvalidUtf8),
            ("/a%c3", InvalidUtf8),
            ("/a%ef%bc%8fb", Lookalike),
            ("/\u{FF0E}\u{FF0E}/x", Lookalike),
            ("/..", AboveRoot),
            ("/../x", AboveRoot),
            ("/a/../../x", AboveRoot),
            ("/a?x=%zz", BadEscape),
            ("/a?x=%00", Nul),
            ("/a?x=%0a", ControlChar),
            ("/a?x=%ff", InvalidUtf8),
            ("/a?x y", InvalidChar),
            ("/a?x\r\n", ControlChar),
            (long_path.as_str(), PathTooLong),
            (many_segments.as_str(), TooManySegments),
            (long_query.as_str(), QueryTooLong),
        ];
        for (input, error) in cases {
            assert_eq!(canonicalize(input), Err(*error), "{input:?}");
        }
    }

    #[test]
    fn canonical_growth_is_bounded() {
        let path = format!("/{}", "é".repeat(MAX_PATH_LEN / 3));
        assert_eq!(canonicalize(&path), Err(PathTooLong));
    }

    #[test]
    fn uri_forms() {
        let uri = |s: &str| s.parse::<Uri>().expect(s);
        let target = canonicalize_uri(&uri("/a/../b?x")).expect("origin-form");
        assert_eq!(
            (target.path.as_str(), target.raw.as_deref()),
            ("/b", Some("/a/../b?x"))
        );
        let target = canonicalize_uri(&uri("https://h.example/a?x")).expect("absolute-form");
        assert_eq!(
            (target.path_and_query().as_str(), target.raw),
            ("/a?x", None)
        );
        let target = canonicalize_uri(&uri("http://h.example/a/../b")).expect("absolute-form");
        assert_eq!(target.raw.as_deref(), Some("http://h.example/a/../b"));
        let target = canonicalize_uri(&uri("http://h.example")).expect("empty path");
        assert_eq!(target.path, "/");
        for rejected in ["*", "h.example:443", "ftp://h.example/a"] {
            assert_eq!(
                canonicalize_uri(&uri(rejected)),
                Err(UnsupportedForm),
                "{rejected}"
            );
        }
    }

    #[test]
    fn every_error_is_a_bad_request() {
        assert_eq!(EncodedSlash.status(), StatusCode::BAD_REQUEST);
        assert_eq!(EncodedSlash.to_string(), "encoded slash in path");
    }
}
