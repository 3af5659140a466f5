//! The unverified outside of a bearer token: where it is and what its header claims.
//!
//! The header is read here, before any key is chosen, so that `alg: none`, HMAC
//! algorithms and unknown `crit` extensions are refused with a clear reason instead of
//! a generic parse error, and so the key lookup knows `kid` and `alg`.

use http::HeaderMap;
use http::header::AUTHORIZATION;
use jsonwebtoken::Algorithm;

use super::IdentityError;

/// The parts of a JOSE header that decide which key may verify the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenHeader {
    /// The signature algorithm (already checked against the allowed list).
    pub alg: Algorithm,
    /// The key id, when given.
    pub kid: Option<String>,
}

/// The bearer token of the request: `None` when there is no `Authorization: Bearer`,
/// an error when it is there but unusable.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<Result<&str, IdentityError>> {
    let mut bearers = headers
        .get_all(AUTHORIZATION)
        .iter()
        .filter(|v| is_bearer_scheme(v.as_bytes()));
    let value = bearers.next()?;
    if bearers.next().is_some() {
        return Some(Err(rejected("multiple bearer tokens")));
    }
    let token = value.to_str().ok().map(|v| v[6..].trim());
    Some(match token {
        Some(t) if !t.is_empty() && !t.contains(char::is_whitespace) => Ok(t),
        _ => Err(rejected("malformed authorization header")),
    })
}

fn is_bearer_scheme(value: &[u8]) -> bool {
    let Some(scheme) = value.get(..6) else {
        return false;
    };
    let follows = value.get(6);
    scheme.eq_ignore_ascii_case(b"bearer") && follows.is_none_or(|b| *b == b' ')
}

/// Reads the header of a compact JWS and checks its algorithm against `allowed`.
pub(crate) fn header(token: &str, allowed: &[Algorithm]) -> Result<TokenHeader, IdentityError> {
    let mut parts = token.split('.');
    let (Some(head), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(rejected("malformed token"));
    };
    let json = b64url_decode(head).ok_or_else(|| rejected("malformed token"))?;
    let value: serde_json::Value =
        serde_json::from_slice(&json).map_err(|_| rejected("malformed token"))?;
    if value.get("crit").is_some() {
        return Err(rejected("unsupported critical header"));
    }
    let alg = value
        .get("alg")
        .and_then(|a| a.as_str())
        .and_then(|a| a.parse().ok());
    let alg = alg
        .filter(|a| allowed.contains(a))
        .ok_or_else(|| rejected("algorithm not allowed"))?;
    let kid = match value.get("kid") {
        None => None,
        Some(serde_json::Value::String(k)) => Some(k.clone()),
        Some(_) => return Err(rejected("malformed token")),
    };
    Ok(TokenHeader { alg, kid })
}

/// Unpadded base64url (RFC 7515 section 2); `None` on any other character or length.
pub(crate) fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Six bits left over means a length of 4n+1, which no byte string encodes to.
    (bits < 6).then_some(out)
}

fn rejected(reason: &str) -> IdentityError {
    IdentityError::Rejected(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn b64url_round_trips_known_values() {
        assert_eq!(b64url_decode("").as_deref(), Some(&b""[..]));
        assert_eq!(b64url_decode("Zg").as_deref(), Some(&b"f"[..]));
        assert_eq!(b64url_decode("Zm8").as_deref(), Some(&b"fo"[..]));
        assert_eq!(b64url_decode("Zm9v").as_deref(), Some(&b"foo"[..]));
        assert_eq!(b64url_decode("-_8").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(b64url_decode("Z"), None);
        assert_eq!(b64url_decode("Zm9v="), None);
        assert_eq!(b64url_decode("Zm+v"), None);
    }

    fn auth(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(AUTHORIZATION, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn bearer_applies_only_to_the_bearer_scheme() {
        assert_eq!(bearer(&auth(&[])), None);
        assert_eq!(bearer(&auth(&["Basic dXNlcjpwdw=="])), None);
        assert_eq!(bearer(&auth(&["Bearerx a.b.c"])), None);
        assert_eq!(bearer(&auth(&["bearer a.b.c"])), Some(Ok("a.b.c")));
        assert!(matches!(bearer(&auth(&["Bearer"])), Some(Err(_))));
        assert!(matches!(bearer(&auth(&["Bearer a b"])), Some(Err(_))));
        assert!(matches!(
            bearer(&auth(&["Bearer a", "Bearer b"])),
            Some(Err(_))
        ));
    }

    #[test]
    fn header_refuses_none_hmac_and_crit() {
        let allowed = [Algorithm::RS256];
        let enc = |json: &str| format!("{}.e30.sig", b64(json.as_bytes()));
        let err = |t: String| header(&t, &allowed).expect_err("must fail");
        assert_eq!(
            err(enc(r#"{"alg":"none"}"#)),
            rejected("algorithm not allowed")
        );
        assert_eq!(
            err(enc(r#"{"alg":"HS256"}"#)),
            rejected("algorithm not allowed")
        );
        assert_eq!(
            err(enc(r#"{"alg":"RS256","crit":["x"]}"#)),
            rejected("unsupported critical header")
        );
        let ok = header(&enc(r#"{"alg":"RS256","kid":"k1"}"#), &allowed).expect("valid header");
        assert_eq!(
            ok,
            TokenHeader {
                alg: Algorithm::RS256,
                kid: Some("k1".into())
            }
        );
    }

    fn b64(bytes: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b))
                << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }
}
