//! The TLS listener: HTTP/1.1 and h2 negotiated by ALPN, and client certificates as an
//! identity source (as with UZI cards), verified against the configured CA.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::path::Path;
use std::sync::Arc;
use zegel_audit::EventKind;
use zegel_audit::store::rows::Row;
use zegel_tests::sidecar::{Harness, Options};

struct Pki {
    ca_pem: String,
}

fn make_pki(dir: &Path) -> Pki {
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "zegel test CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("ca key")).expect("ca");
    let server_key = KeyPair::generate().expect("key");
    let server = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("params")
        .signed_by(&server_key, &ca)
        .expect("server cert");
    let mut client = CertificateParams::new(Vec::<String>::new()).expect("params");
    client
        .distinguished_name
        .push(DnType::CommonName, "uzi-900012345");
    client
        .distinguished_name
        .push(DnType::OrganizationName, "ura:00012345");
    let client_key = KeyPair::generate().expect("key");
    let client = client.signed_by(&client_key, &ca).expect("client cert");
    std::fs::write(dir.join("ca.pem"), ca.pem()).expect("write");
    std::fs::write(dir.join("server.pem"), server.pem()).expect("write");
    std::fs::write(dir.join("server.key"), server_key.serialize_pem()).expect("write");
    std::fs::write(dir.join("client.pem"), client.pem()).expect("write");
    std::fs::write(dir.join("client.key"), client_key.serialize_pem()).expect("write");
    Pki { ca_pem: ca.pem() }
}

fn tls_client(pki: &Pki, dir: &Path, with_cert: bool, alpn: &[u8]) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(pki.ca_pem.as_bytes()) {
        roots.add(c.expect("ca")).expect("add ca");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let b = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots);
    let mut cfg = if with_cert {
        let certs = CertificateDer::pem_file_iter(dir.join("client.pem"))
            .expect("read")
            .collect::<Result<Vec<_>, _>>()
            .expect("certs");
        let key = PrivateKeyDer::from_pem_file(dir.join("client.key")).expect("key");
        b.with_client_auth_cert(certs, key).expect("client auth")
    } else {
        b.with_no_client_auth()
    };
    cfg.alpn_protocols = vec![alpn.to_vec()];
    tokio_rustls::TlsConnector::from(Arc::new(cfg))
}

/// One GET over TLS; returns (status, negotiated ALPN, body).
async fn get(
    h: &Harness,
    conn: &tokio_rustls::TlsConnector,
    path: &str,
    token: Option<&str>,
) -> (u16, Vec<u8>, String) {
    let tcp = tokio::net::TcpStream::connect(h.addr)
        .await
        .expect("connect");
    let tls = conn
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("TLS handshake");
    let alpn = tls
        .get_ref()
        .1
        .alpn_protocol()
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let mut req = http::Request::get(format!("https://localhost{path}"));
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = req.body(Empty::<Bytes>::new()).expect("req");
    let io = TokioIo::new(tls);
    let resp = if alpn == b"h2" {
        let (mut send, conn) =
            hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
                .await
                .expect("h2");
        tokio::spawn(conn);
        send.send_request(req).await.expect("response")
    } else {
        let (mut send, conn) = hyper::client::conn::http1::handshake(io).await.expect("h1");
        tokio::spawn(conn);
        send.send_request(req).await.expect("response")
    };
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, alpn, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_alpn_and_client_certificates_as_identity() {
    let pki_dir = tempfile::tempdir().expect("tempdir");
    let pki = make_pki(pki_dir.path());
    let d = pki_dir.path().display();
    let listen = format!(
        "[listen.tls]\ncert = \"{d}/server.pem\"\nkey = \"{d}/server.key\"\nclient_ca = \"{d}/ca.pem\"\n"
    );
    let identity_first = "[[identity]]\nkind = \"mtls\"\nuser_id_field = \"subject.CN\"\n\
        organisation_field = \"subject.O\"\nroles = [\"arts\"]\n"
        .to_owned();
    let h = Harness::start(Options {
        listen,
        identity_first,
        ..Options::default()
    })
    .await;

    // A client certificate identifies the caller: no token needed.
    let with_cert = tls_client(&pki, pki_dir.path(), true, b"http/1.1");
    let (status, alpn, body) = get(&h, &with_cert, "/fhir/Patient/p-9", None).await;
    assert_eq!((status, alpn.as_slice()), (200, &b"http/1.1"[..]), "{body}");
    assert!(body.contains("\"x-forwarded-proto\":\"https\""), "{body}");
    assert!(body.contains("uzi-900012345"), "{body}");

    // h2 over TLS, negotiated by ALPN, with a bearer token and no certificate.
    let token = h.token("nurse-2", &["verpleegkundige"]);
    let h2 = tls_client(&pki, pki_dir.path(), false, b"h2");
    let (status, alpn, body) = get(&h, &h2, "/fhir/Patient/p-9", Some(&token)).await;
    assert_eq!((status, alpn.as_slice()), (200, &b"h2"[..]), "{body}");

    // Without certificate or token: 401.
    let (status, _, _) = get(&h, &h2, "/fhir/Patient/p-9", None).await;
    assert_eq!(status, 401);

    let (_, rows) = h.stop().await;
    let users: Vec<(Option<String>, Option<String>)> = rows
        .iter()
        .filter_map(|r| match r {
            Row::Record(r) if r.event.kind == EventKind::Access => {
                Some((r.event.user_id.clone(), r.event.organisation.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        users[0],
        (Some("uzi-900012345".into()), Some("ura:00012345".into()))
    );
    assert_eq!(users[1].0.as_deref(), Some("nurse-2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_upstream_is_verified_against_the_configured_ca() {
    let pki_dir = tempfile::tempdir().expect("tempdir");
    let pki = make_pki(pki_dir.path());
    let d = pki_dir.path();
    let tls = zegel_sidecar::tls::server_config(&zegel_sidecar::tls::TlsConfig {
        cert: d.join("server.pem"),
        key: d.join("server.key"),
        client_ca: None,
        require_client_cert: false,
    })
    .expect("upstream tls");
    let secure = zegel_tests::upstream::TestUpstream::start_with(Some(tls))
        .await
        .expect("upstream");
    let url = format!("https://localhost:{}", secure.addr.port());
    let opts = Options {
        upstream_url: Some(url.clone()),
        upstream: format!("ca = \"{}\"", d.join("ca.pem").display()),
        ..Options::default()
    };
    let h = Harness::start(opts).await;
    let token = h.token("nurse-1", &["verpleegkundige"]);
    let resp = reqwest_like_get(&h, &token).await;
    assert_eq!(resp, 200);
    assert_eq!(secure.hits.load(std::sync::atomic::Ordering::Relaxed), 1);
    h.stop().await;
    drop(pki);

    // Without the CA, the upstream's certificate is not trusted: 502, nothing sent.
    let h = Harness::start(Options {
        upstream_url: Some(url),
        ..Options::default()
    })
    .await;
    let token = h.token("nurse-1", &["verpleegkundige"]);
    assert_eq!(reqwest_like_get(&h, &token).await, 502);
    assert_eq!(secure.hits.load(std::sync::atomic::Ordering::Relaxed), 1);
    h.stop().await;
}

async fn reqwest_like_get(h: &Harness, token: &str) -> u16 {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(hyper_util::client::legacy::connect::HttpConnector::new());
    let req = http::Request::get(h.url("/fhir/Patient/p-1"))
        .header("authorization", format!("Bearer {token}"))
        .body(Empty::<Bytes>::new())
        .expect("req");
    client
        .request(req)
        .await
        .expect("response")
        .status()
        .as_u16()
}
