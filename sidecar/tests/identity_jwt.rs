//! JWT bearer identity against real keys and a real JWKS server.
//!
//! Keys are generated per run (RSA-2048 with `rsa`, P-256 and Ed25519 with rcgen/ring),
//! tokens are signed with jsonwebtoken, and the JWKS is served by a hyper server on
//! 127.0.0.1:0 that counts fetches, so refresh behaviour is observed, not assumed.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response};
use http_body_util::Full;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde_json::{Value, json};
use zegel_sidecar::identity::{
    ConfigError, ForwardConfig, Identifier, IdentityConfig, IdentityError, JwtConfig, PeerInfo,
    SourceKind,
};

const ISS: &str = "https://idp.test";
const AUD: &str = "zegel-app";

/// A signing key with its public JWK.
struct Signer {
    kid: String,
    alg: Algorithm,
    key: EncodingKey,
    jwk: Value,
}

impl Signer {
    fn new(kid: &str, alg: Algorithm, key: EncodingKey, public: Jwk) -> Self {
        let mut jwk = serde_json::to_value(public).expect("jwk json");
        jwk["kid"] = json!(kid);
        Self {
            kid: kid.into(),
            alg,
            key,
            jwk,
        }
    }

    fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).expect("sign")
    }
}

/// RSA key generation is slow in debug builds: one key per test binary.
static RSA: LazyLock<(rsa::RsaPrivateKey, Signer)> = LazyLock::new(|| {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("rsa key");
    let key = EncodingKey::from_rsa_der(private.to_pkcs1_der().expect("pkcs1").as_bytes());
    let public = Jwk::from_encoding_key(&key, Algorithm::RS256).expect("rsa jwk");
    let signer = Signer::new("rsa-1", Algorithm::RS256, key, public);
    (private, signer)
});

fn ec_signer(kid: &str) -> Signer {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("p256 key");
    let public = DecodingKey::from_ec_der(pair.public_key_raw());
    let jwk = Jwk::from_decoding_key(&public, Some(Algorithm::ES256)).expect("ec jwk");
    Signer::new(
        kid,
        Algorithm::ES256,
        EncodingKey::from_ec_der(&pair.serialize_der()),
        jwk,
    )
}

fn ed_signer(kid: &str) -> Signer {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("ed25519 key");
    let public = DecodingKey::from_ed_der(pair.public_key_raw());
    let jwk = Jwk::from_decoding_key(&public, Some(Algorithm::EdDSA)).expect("ed jwk");
    Signer::new(
        kid,
        Algorithm::EdDSA,
        EncodingKey::from_ed_der(&pair.serialize_der()),
        jwk,
    )
}

fn jwks(signers: &[&Signer]) -> Value {
    json!({ "keys": signers.iter().map(|s| s.jwk.clone()).collect::<Vec<_>>() })
}

/// A JWKS endpoint that counts its fetches; its document can be replaced.
struct JwksServer {
    addr: SocketAddr,
    doc: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
    /// Milliseconds each answer waits (a slow identity provider).
    delay_ms: Arc<AtomicUsize>,
}

impl JwksServer {
    async fn start(doc: Value) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (doc, fetches) = (Arc::new(Mutex::new(doc)), Arc::new(AtomicUsize::new(0)));
        let delay_ms = Arc::new(AtomicUsize::new(0));
        let (d, f, w) = (doc.clone(), fetches.clone(), delay_ms.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (d, f, w) = (d.clone(), f.clone(), w.clone());
                let service =
                    hyper::service::service_fn(move |_req: Request<hyper::body::Incoming>| {
                        f.fetch_add(1, Ordering::SeqCst);
                        let body = d.lock().expect("doc").to_string();
                        let wait = Duration::from_millis(w.load(Ordering::SeqCst) as u64);
                        async move {
                            tokio::time::sleep(wait).await;
                            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(body))))
                        }
                    });
                let io = hyper_util::rt::TokioIo::new(stream);
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new().serve_connection(io, service),
                );
            }
        });
        Self {
            addr,
            doc,
            fetches,
            delay_ms,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/jwks.json", self.addr)
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    fn set(&self, doc: Value) {
        *self.doc.lock().expect("doc") = doc;
    }
}

fn config(jwks_url: Option<String>) -> JwtConfig {
    let toml = r#"
        kind = "jwt"
        issuer = "https://idp.test"
        audience = ["other", "zegel-app"]
        jwks_url = "http://127.0.0.1:1/unused"
        [claims]
        roles = "realm_access.roles"
        organisation = "org_ura"
        department = "dept"
        responsible_user = "act.sub"
        purpose_of_use = "pou"
    "#;
    let IdentityConfig::Jwt(mut cfg) = toml::from_str(toml).expect("config") else {
        panic!("not jwt")
    };
    cfg.jwks_url = jwks_url;
    cfg
}

async fn identifier(cfg: JwtConfig) -> Identifier {
    Identifier::new(&[IdentityConfig::Jwt(cfg)], &ForwardConfig::default())
        .await
        .expect("identifier")
}

fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

fn claims() -> Value {
    json!({
        "iss": ISS, "aud": AUD, "sub": "u-123", "name": "Dr. Anna de Vries",
        "exp": now() + 300, "iat": now(),
        "realm_access": { "roles": ["arts", "admin"] },
        "org_ura": 90000123, "dept": "cardiologie", "act": { "sub": "u-900" }, "pou": "TREAT",
    })
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn bearer(token: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).expect("value"),
    );
    h
}

fn peer() -> PeerInfo {
    PeerInfo {
        addr: "192.0.2.10:50000".parse().expect("addr"),
        client_certs: None,
    }
}

async fn verdict(
    id: &Identifier,
    token: &str,
) -> Result<zegel_sidecar::identity::Identity, IdentityError> {
    id.identify(&bearer(token), &peer()).await
}

fn rejected(reason: &str) -> Result<zegel_sidecar::identity::Identity, IdentityError> {
    Err(IdentityError::Rejected(reason.into()))
}

fn b64url(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        (0..=chunk.len()).for_each(|i| out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char));
    }
    out
}

/// One identifier over a JWKS with an RSA, an EC and an Ed25519 key.
async fn three_keys() -> (JwksServer, Identifier, Signer, Signer) {
    let (ec, ed) = (ec_signer("ec-1"), ed_signer("ed-1"));
    let server = JwksServer::start(jwks(&[&RSA.1, &ec, &ed])).await;
    let id = identifier(config(Some(server.url()))).await;
    (server, id, ec, ed)
}

#[tokio::test]
async fn valid_rs256_es256_and_eddsa_tokens_map_the_claims() {
    let (server, id, ec, ed) = three_keys().await;
    for signer in [&RSA.1, &ec, &ed] {
        let got = verdict(&id, &signer.sign(&claims()))
            .await
            .expect("valid token");
        assert_eq!(got.user_id, "u-123", "{:?}", signer.alg);
        assert_eq!(got.user_name.as_deref(), Some("Dr. Anna de Vries"));
        assert_eq!(got.roles, vec!["arts", "admin"]);
        assert_eq!(got.organisation.as_deref(), Some("90000123"));
        assert_eq!(got.department.as_deref(), Some("cardiologie"));
        assert_eq!(got.responsible_user.as_deref(), Some("u-900"));
        assert_eq!(got.purpose_of_use.as_deref(), Some("TREAT"));
        assert_eq!(got.source, SourceKind::Jwt);
    }
    assert_eq!(server.fetches(), 1, "keys are cached after the start fetch");
}

#[tokio::test]
async fn time_issuer_and_audience_are_checked() {
    let (_server, id, ec, _) = three_keys().await;
    let check = async |c: Value| verdict(&id, &ec.sign(&c)).await;
    assert_eq!(
        check(with(claims(), "exp", json!(now() - 120))).await,
        rejected("token expired")
    );
    assert_eq!(
        check(with(claims(), "nbf", json!(now() + 120))).await,
        rejected("token not yet valid")
    );
    assert!(
        check(with(claims(), "nbf", json!(now() + 10)))
            .await
            .is_ok(),
        "nbf within leeway"
    );
    assert!(
        check(with(claims(), "exp", json!(now() - 10)))
            .await
            .is_ok(),
        "exp within leeway"
    );
    assert_eq!(
        check(with(claims(), "iss", json!("https://evil.test"))).await,
        rejected("issuer mismatch")
    );
    assert_eq!(
        check(with(claims(), "aud", json!("someone-else"))).await,
        rejected("audience mismatch")
    );
    let mut no_aud = claims();
    no_aud.as_object_mut().expect("object").remove("aud");
    assert_eq!(check(no_aud).await, rejected("missing claim aud"));
    let mut no_sub = claims();
    no_sub.as_object_mut().expect("object").remove("sub");
    assert_eq!(check(no_sub).await, rejected("missing user id claim"));
}

#[tokio::test]
async fn alg_none_is_refused() {
    let (_server, id, _, _) = three_keys().await;
    let head = b64url(br#"{"alg":"none","kid":"rsa-1","typ":"JWT"}"#);
    let body = b64url(claims().to_string().as_bytes());
    assert_eq!(
        verdict(&id, &format!("{head}.{body}.")).await,
        rejected("algorithm not allowed")
    );
}

#[tokio::test]
async fn hs256_signed_with_the_rsa_public_key_is_refused() {
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    let (_server, id, _, _) = three_keys().await;
    let pem = RSA
        .0
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("pem");
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("rsa-1".into());
    let forged = jsonwebtoken::encode(
        &header,
        &claims(),
        &EncodingKey::from_secret(pem.as_bytes()),
    )
    .expect("sign");
    assert_eq!(
        verdict(&id, &forged).await,
        rejected("algorithm not allowed")
    );
}

#[tokio::test]
async fn rs256_header_on_the_ec_key_id_is_refused() {
    let (_server, id, _, _) = three_keys().await;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("ec-1".into());
    let token = jsonwebtoken::encode(&header, &claims(), &RSA.1.key).expect("sign");
    assert_eq!(
        verdict(&id, &token).await,
        rejected("algorithm not allowed")
    );
}

#[tokio::test]
async fn a_tampered_payload_fails_the_signature() {
    let (_server, id, _, ed) = three_keys().await;
    let token = RSA.1.sign(&claims());
    for signed in [token, ed.sign(&claims())] {
        // The genuine token is verified (and remembered) first: a remembered token
        // must not vouch for another text with the same signature.
        assert!(verdict(&id, &signed).await.is_ok());
        let parts: Vec<&str> = signed.split('.').collect();
        let forged = b64url(with(claims(), "sub", json!("admin")).to_string().as_bytes());
        let tampered = format!("{}.{forged}.{}", parts[0], parts[2]);
        assert_eq!(verdict(&id, &tampered).await, rejected("invalid signature"));
    }
}

#[tokio::test]
async fn a_remembered_token_still_expires() {
    let server = JwksServer::start(jwks(&[&RSA.1])).await;
    let mut cfg = config(Some(server.url()));
    cfg.leeway_seconds = 0;
    let id = identifier(cfg).await;
    let token = RSA.1.sign(&with(claims(), "exp", json!(now() + 1)));
    for _ in 0..3 {
        assert_eq!(verdict(&id, &token).await.expect("valid").user_id, "u-123");
    }
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(verdict(&id, &token).await, rejected("token expired"));
    assert_eq!(verdict(&id, &token).await, rejected("token expired"));
}

#[tokio::test]
async fn a_withdrawn_key_ends_its_remembered_tokens() {
    let (kept, dropped) = (ed_signer("ed-kept"), ed_signer("ed-dropped"));
    let server = JwksServer::start(jwks(&[&kept, &dropped])).await;
    let mut cfg = config(Some(server.url()));
    (cfg.jwks_min_refresh_seconds, cfg.jwks_max_age_seconds) = (1, 1);
    let id = identifier(cfg).await;
    let (a, b) = (kept.sign(&claims()), dropped.sign(&claims()));
    assert!(verdict(&id, &a).await.is_ok() && verdict(&id, &b).await.is_ok());
    assert!(verdict(&id, &b).await.is_ok(), "remembered");

    server.set(jwks(&[&kept]));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(verdict(&id, &b).await, rejected("unknown key id"));
    assert!(
        verdict(&id, &a).await.is_ok(),
        "the other key's token lives on"
    );

    // The same key id published with another key: the old token no longer verifies.
    let impostor = ed_signer("ed-kept");
    server.set(jwks(&[&impostor]));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(verdict(&id, &a).await, rejected("invalid signature"));
}

#[tokio::test]
async fn unknown_kid_refetches_once_per_min_refresh_and_rotation_is_picked_up() {
    let old = ec_signer("ec-old");
    let server = JwksServer::start(jwks(&[&old])).await;
    let mut cfg = config(Some(server.url()));
    cfg.jwks_min_refresh_seconds = 1;
    let id = identifier(cfg).await;
    assert_eq!(server.fetches(), 1, "fetched at start");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let stranger = ec_signer("not-published");
    assert_eq!(
        verdict(&id, &stranger.sign(&claims())).await,
        rejected("unknown key id")
    );
    assert_eq!(server.fetches(), 2, "an unknown kid refetches once");
    let other = ec_signer("also-unknown");
    assert_eq!(
        verdict(&id, &other.sign(&claims())).await,
        rejected("unknown key id")
    );
    assert_eq!(server.fetches(), 2, "no second fetch within min_refresh");

    let new = ed_signer("ed-new");
    server.set(jwks(&[&old, &new]));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        verdict(&id, &new.sign(&claims()))
            .await
            .expect("rotated key")
            .user_id,
        "u-123"
    );
    assert_eq!(server.fetches(), 3, "the rotated key came with one fetch");
    assert!(
        verdict(&id, &old.sign(&claims())).await.is_ok(),
        "the old key still verifies"
    );
    assert_eq!(server.fetches(), 3);
}

/// From three quarters of `jwks_max_age_seconds` on the keys are fetched again in the
/// background: requests go on with the cached keys instead of waiting for a slow
/// identity provider, and the new keys are used once the fetch is back.
#[tokio::test]
async fn keys_are_refreshed_in_the_background_before_they_expire() {
    let old = ec_signer("ec-old");
    let server = JwksServer::start(jwks(&[&old])).await;
    let mut cfg = config(Some(server.url()));
    cfg.jwks_min_refresh_seconds = 1;
    cfg.jwks_max_age_seconds = 4;
    let id = identifier(cfg).await;
    let token = old.sign(&claims());
    verdict(&id, &token).await.expect("fresh keys");
    assert_eq!(server.fetches(), 1);

    let new = ed_signer("ed-new");
    server.set(jwks(&[&old, &new]));
    server.delay_ms.store(1_500, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(3_200)).await; // past 3/4 of 4 s
    let t0 = std::time::Instant::now();
    verdict(&id, &token).await.expect("the cached keys serve");
    let other = old.sign(&with(claims(), "sub", json!("u-456")));
    verdict(&id, &other)
        .await
        .expect("a new token on a cached key");
    assert!(
        t0.elapsed() < Duration::from_millis(700),
        "requests waited {:?} for a 1.5 s JWKS fetch",
        t0.elapsed()
    );
    // One fetch started in the background; once it is back the new key verifies
    // without another fetch.
    let t1 = std::time::Instant::now();
    while server.fetches() < 2 {
        assert!(t1.elapsed() < Duration::from_secs(5), "no background fetch");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(1_800)).await;
    server.delay_ms.store(0, Ordering::SeqCst);
    verdict(&id, &new.sign(&claims()))
        .await
        .expect("the new key, from the background fetch");
    assert_eq!(server.fetches(), 2, "one fetch in all");
}

#[tokio::test]
async fn concurrent_unknown_kids_cause_a_single_fetch() {
    let server = JwksServer::start(jwks(&[&ec_signer("ec-1")])).await;
    let mut cfg = config(Some(server.url()));
    cfg.jwks_min_refresh_seconds = 1;
    let id = Arc::new(identifier(cfg).await);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let tokens: Vec<String> = (0..16)
        .map(|i| ec_signer(&format!("k{i}")).sign(&claims()))
        .collect();
    let tasks = tokens.into_iter().map(|t| {
        let id = id.clone();
        tokio::spawn(async move { verdict(&id, &t).await })
    });
    for task in tasks.collect::<Vec<_>>() {
        assert_eq!(task.await.expect("task"), rejected("unknown key id"));
    }
    assert_eq!(server.fetches(), 2, "one start fetch and one refresh");
}

#[tokio::test]
async fn a_jwks_file_is_a_key_source_and_a_bad_file_stops_the_start() {
    let ed = ed_signer("ed-file");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, jwks(&[&ed]).to_string()).expect("write");
    let mut cfg = config(None);
    cfg.jwks_file = Some(path.clone());
    let id = identifier(cfg.clone()).await;
    assert_eq!(
        verdict(&id, &ed.sign(&claims()))
            .await
            .expect("valid")
            .user_id,
        "u-123"
    );

    std::fs::write(&path, r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#).expect("write");
    let err = Identifier::new(&[IdentityConfig::Jwt(cfg)], &ForwardConfig::default()).await;
    let Err(ConfigError::Source {
        index: 0,
        kind: "jwt",
        reason,
    }) = err
    else {
        panic!("{err:?}")
    };
    assert!(reason.contains("no usable signing key"), "{reason}");
}

#[tokio::test]
async fn missing_and_malformed_credentials() {
    let (_server, id, _, _) = three_keys().await;
    assert_eq!(
        id.identify(&HeaderMap::new(), &peer()).await,
        Err(IdentityError::Missing)
    );
    let mut basic = HeaderMap::new();
    basic.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_static("Basic dTpw"),
    );
    assert_eq!(
        id.identify(&basic, &peer()).await,
        Err(IdentityError::Missing)
    );
    let mut empty = HeaderMap::new();
    empty.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_static("Bearer"),
    );
    assert_eq!(
        id.identify(&empty, &peer()).await,
        rejected("malformed authorization header")
    );
    assert_eq!(verdict(&id, "not-a-jwt").await, rejected("malformed token"));
    assert_eq!(verdict(&id, "a.b.c").await, rejected("malformed token"));
}

#[tokio::test]
async fn config_refuses_symmetric_algorithms_and_two_key_origins() {
    let build = |cfg: JwtConfig| async move {
        Identifier::new(&[IdentityConfig::Jwt(cfg)], &ForwardConfig::default())
            .await
            .map(|_| ())
    };
    let mut hs = config(Some("https://idp.test/jwks".into()));
    hs.algorithms = vec![Algorithm::HS256];
    assert!(matches!(
        build(hs).await,
        Err(ConfigError::Source { index: 0, .. })
    ));
    let mut both = config(Some("https://idp.test/jwks".into()));
    both.jwks_file = Some("/nonexistent".into());
    assert!(build(both).await.is_err());
    assert!(
        build(config(Some("http://idp.test/jwks".into())))
            .await
            .is_err(),
        "plain http off-host"
    );
    let unknown = "kind = \"jwt\"\nissuer = \"x\"\naudience = \"a\"\njwks_url = \"https://x/\"\nsecret = \"s\"";
    assert!(
        toml::from_str::<IdentityConfig>(unknown).is_err(),
        "unknown fields are rejected"
    );
}
