//! A real sidecar for end-to-end tests: config written to a temp dir, a real upstream,
//! a real log database (SQLite file or a PostgreSQL schema), real JWTs signed with a key
//! made for the test, served on 127.0.0.1:0 through `zegel_sidecar::app`.

use crate::upstream::TestUpstream;
use base64::Engine;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tokio::sync::oneshot;
use zegel_audit::keys::{SigningKey, write_pair};
use zegel_audit::store::rows::Row;
use zegel_audit::store::{Store, StoreOptions};
use zegel_audit::verify::{ChainSummary, verify_store_chain};

/// The chain the harness's sidecar writes.
pub const CHAIN: &str = "e2e-sidecar";
/// The organisation in test tokens and the test policy.
pub const ORG: &str = "ura:00012345";
/// Issuer and audience of test tokens.
pub const ISSUER: &str = "https://idp.test.invalid";
/// Audience of test tokens.
pub const AUDIENCE: &str = "zegel-e2e";

/// The test policy: nurses read patients, doctors also write observations.
const POLICY: &str = "\
p, verpleegkundige, ura:00012345, ecd:Patient, read, allow
p, arts, ura:00012345, ecd:Patient, read, allow
p, arts, ura:00012345, ecd:Observation, search, allow
p, arts, ura:00012345, ecd:Observation, create, allow
p, arts, ura:00012345, ecd:test, read, allow
p, arts, ura:00012345, ecd:test, create, allow
";

/// How to set up the sidecar.
#[derive(Default, Clone)]
pub struct Options {
    /// Log database URL; default: a SQLite file in the temp dir.
    pub database: Option<String>,
    /// Upstream URL; default: the harness's own test upstream.
    pub upstream_url: Option<String>,
    /// Extra TOML appended to `[limits]`.
    pub limits: String,
    /// `limits.shutdown_grace_ms`; default 5000.
    pub shutdown_grace_ms: Option<u64>,
    /// Extra TOML appended to `[upstream]`.
    pub upstream: String,
    /// Write no records (benchmark mode).
    pub audit_off: bool,
    /// Extra TOML for the end of `[listen]` (e.g. a `[listen.tls]` table).
    pub listen: String,
    /// `[[identity]]` tables placed before the JWT source.
    pub identity_first: String,
}

/// A running sidecar and what it needs.
pub struct Harness {
    /// Where the sidecar listens.
    pub addr: SocketAddr,
    /// The test upstream.
    pub upstream: TestUpstream,
    /// Scratch directory (config, keys, database, checkpoint file).
    pub dir: tempfile::TempDir,
    /// Log database URL.
    pub database: String,
    jwt_key: SigningKey,
    log_key: SigningKey,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), zegel_sidecar::app::StartError>>>,
}

impl Harness {
    /// Starts a sidecar with `opts`, in this process.
    pub async fn start(opts: Options) -> Harness {
        let mut h = Harness::prepare(opts).await;
        let cfg = zegel_sidecar::config::Config::load(&h.config_path()).expect("config loads");
        let sidecar = zegel_sidecar::app::start(&cfg)
            .await
            .expect("sidecar starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        h.addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        h.task = Some(tokio::spawn(sidecar.run(listener, async move {
            let _ = rx.await;
        })));
        h.shutdown = Some(tx);
        h
    }

    /// Writes keys, JWKS, policy and `zegel.toml` into a temp dir and starts the
    /// upstream, but not the sidecar (for tests that run the real binary).
    pub async fn prepare(opts: Options) -> Harness {
        let dir = tempfile::tempdir().expect("tempdir");
        let upstream = TestUpstream::start().await.expect("upstream");
        let jwt_key = SigningKey::from_bytes(&[11u8; 32]);
        let log_key = SigningKey::from_bytes(&[12u8; 32]);
        write_pair(
            &log_key,
            &dir.path().join("log.pem"),
            &dir.path().join("log.pub.pem"),
        )
        .expect("log key");
        std::fs::write(dir.path().join("jwks.json"), jwks(&jwt_key).to_string()).expect("jwks");
        std::fs::write(dir.path().join("policy.csv"), POLICY).expect("policy");
        let database = opts
            .database
            .clone()
            .unwrap_or_else(|| format!("sqlite:{}", dir.path().join("log.db").display()));
        let up = opts.upstream_url.clone().unwrap_or_else(|| upstream.url());
        let toml = config_toml(dir.path(), &database, &up, &opts);
        std::fs::write(dir.path().join("zegel.toml"), toml).expect("config");
        Harness {
            addr: ([127, 0, 0, 1], 0).into(),
            upstream,
            dir,
            database,
            jwt_key,
            log_key,
            shutdown: None,
            task: None,
        }
    }

    /// The config file.
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("zegel.toml")
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A valid EdDSA token for `sub` with `roles` in the test organisation, changed by `edit`.
    pub fn token_with(
        &self,
        sub: &str,
        roles: &[&str],
        edit: impl FnOnce(&mut serde_json::Value),
    ) -> String {
        let now = zegel_audit::now_us() / 1_000_000;
        let mut claims = serde_json::json!({
            "iss": ISSUER, "aud": AUDIENCE, "sub": sub, "name": format!("Test {sub}"),
            "roles": roles, "org": ORG, "department": "cardiologie",
            "iat": now, "nbf": now - 5, "exp": now + 300,
        });
        edit(&mut claims);
        sign(&self.jwt_key, &claims)
    }

    /// A valid token for `sub` with `roles`.
    pub fn token(&self, sub: &str, roles: &[&str]) -> String {
        self.token_with(sub, roles, |_| {})
    }

    /// Stops the sidecar (graceful) and returns the verified log: its summary and rows.
    pub async fn stop(mut self) -> (ChainSummary, Vec<Row>) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await
                .expect("sidecar task")
                .expect("sidecar ran and stopped cleanly");
        }
        self.verify().await
    }

    /// Verifies the log now (with the checkpoint file and the public key).
    pub async fn verify(&self) -> (ChainSummary, Vec<Row>) {
        let opts = StoreOptions {
            read_only: true,
            ..StoreOptions::default()
        };
        let store = Store::open(&self.database, &opts).await.expect("open log");
        let file = zegel_audit::checkpoint::read_file(&self.dir.path().join("log.checkpoints"))
            .expect("cp file");
        let summary =
            verify_store_chain(&store, CHAIN, &[self.log_key.verifying_key()], Some(&file))
                .await
                .expect("read log")
                .expect("the log verifies");
        let rows = store.read_page(CHAIN, 1, u32::MAX).await.expect("rows");
        store.close().await;
        (summary, rows)
    }

    /// The directory of the harness.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Signs `claims` as an EdDSA JWT with `key` (kid `k1`).
pub fn sign(key: &SigningKey, claims: &serde_json::Value) -> String {
    let pem = pkcs8_pem(key);
    let enc = jsonwebtoken::EncodingKey::from_ed_pem(pem.as_bytes()).expect("ed key");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some("k1".into());
    jsonwebtoken::encode(&header, claims, &enc).expect("sign")
}

fn pkcs8_pem(key: &SigningKey) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let (p, q) = (dir.path().join("k.pem"), dir.path().join("k.pub.pem"));
    write_pair(key, &p, &q).expect("write key");
    std::fs::read_to_string(p).expect("read key")
}

/// The JWKS with `key`'s public half as an OKP Ed25519 key with kid `k1`.
pub fn jwks(key: &SigningKey) -> serde_json::Value {
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes());
    serde_json::json!({ "keys": [{ "kty": "OKP", "crv": "Ed25519", "x": x, "kid": "k1", "alg": "EdDSA", "use": "sig" }] })
}

fn config_toml(dir: &Path, database: &str, upstream: &str, o: &Options) -> String {
    let model: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/model.conf");
    format!(
        r#"application = "ecd"

[listen]
address = "127.0.0.1:0"
{listen}

[upstream]
url = "{upstream}"
{up_extra}

[limits]
header_read_timeout_ms = 2000
shutdown_grace_ms = {grace}
{limits}

[audit]
database = "{database}"
chain_id = "{CHAIN}"
signing_key = "log.pem"
checkpoint_file = "log.checkpoints"
checkpoint_every = 1000
acquire_timeout_ms = 500
enabled = {enabled}

[policy]
model = "{model}"
policy = "policy.csv"

{identity_first}
[[identity]]
kind = "jwt"
issuer = "{ISSUER}"
audience = ["{AUDIENCE}"]
jwks_file = "{jwks}"
[identity.claims]
organisation = "org"
department = "department"

[[route]]
pattern = "/fhir/Patient/{{patient}}"
resource = "Patient"
patient = "patient"
methods = ["GET"]

[[route]]
pattern = "/fhir/Observation"
resource = "Observation"
actions = {{ GET = "search", POST = "create" }}

[[route]]
pattern = "/slow"
resource = "test"

[[route]]
pattern = "/bytes"
resource = "test"

[[route]]
pattern = "/upload"
resource = "test"
"#,
        up_extra = o.upstream,
        limits = o.limits,
        grace = o.shutdown_grace_ms.unwrap_or(5000),
        listen = o.listen,
        identity_first = o.identity_first,
        enabled = !o.audit_off,
        model = model.display(),
        jwks = dir.join("jwks.json").display(),
    )
}

/// The request body type of [`client`].
pub type Body = http_body_util::combinators::BoxBody<bytes::Bytes, std::convert::Infallible>;

/// A plain HTTP client (HTTP/2 prior knowledge when `h2`) with a pool of its own.
pub fn client(
    h2: bool,
) -> hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Body> {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .http2_only(h2)
        .build(hyper_util::client::legacy::connect::HttpConnector::new())
}

/// The events of a verified log's rows (a malformed row fails the test).
pub fn events(rows: &[Row]) -> Vec<&zegel_audit::Event> {
    rows.iter()
        .map(|r| match r {
            Row::Record(r) => &r.event,
            Row::Malformed { detail, .. } => panic!("malformed row: {detail}"),
        })
        .collect()
}
