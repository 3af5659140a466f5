//! Trusted gateway headers, client certificates, source order, and the inbound strip and
//! forward of identity headers, through the public `Identifier`.

use std::sync::Arc;

use http::{HeaderMap, HeaderValue};
use rcgen::{CertificateParams, DnType, KeyPair, SanType};
use zegel_sidecar::identity::{
    ForwardConfig, Identifier, Identity, IdentityConfig, IdentityError, PeerInfo, SourceKind,
};

const UZI: &str = "2.16.528.1.1003.1.3.5.5.2-1-12345678-Z-90000123-01.015-00000000";

fn try_sources(toml_array: &str) -> Result<Vec<IdentityConfig>, toml::de::Error> {
    #[derive(serde::Deserialize)]
    struct Doc {
        identity: Vec<IdentityConfig>,
    }
    toml::from_str::<Doc>(toml_array).map(|d| d.identity)
}

fn sources(toml_array: &str) -> Vec<IdentityConfig> {
    try_sources(toml_array).expect("config")
}

const GATEWAY: &str = r#"
    [[identity]]
    kind = "headers"
    trusted_networks = ["10.1.0.0/16", "2001:db8::1"]
    user_id = "X-ZV-Subject-Id"
    user_name = "X-ZV-Subject-Name"
    roles = "X-ZV-Subject-Roles"
    organisation = "X-ZV-Subject-Organization"
"#;

const UZI_CARD: &str = r#"
    [[identity]]
    kind = "mtls"
    user_id_field = "subject.serialNumber"
    user_name_field = "subject.CN"
    organisation_field = "uzi.subscriber"
    department_field = "subject.OU"
    roles = ["zorgverlener"]
    roles_field = "uzi.role"
"#;

async fn identifier(toml: &str) -> Identifier {
    Identifier::new(&sources(toml), &ForwardConfig::default())
        .await
        .expect("identifier")
}

fn peer(addr: &str) -> PeerInfo {
    PeerInfo {
        addr: addr.parse().expect("addr"),
        client_certs: None,
    }
}

fn gateway_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in [
        ("x-zv-subject-id", "999001"),
        ("x-zv-subject-name", "J. Jansen"),
        ("x-zv-subject-roles", "arts, , verpleegkundige"),
        ("x-zv-subject-organization", "URA-90000123"),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    h
}

#[tokio::test]
async fn gateway_headers_count_only_from_trusted_networks() {
    let id = identifier(GATEWAY).await;
    let got = id
        .identify(&gateway_headers(), &peer("10.1.2.3:4000"))
        .await
        .expect("trusted");
    assert_eq!(got.user_id, "999001");
    assert_eq!(got.roles, vec!["arts", "verpleegkundige"]);
    assert_eq!(got.organisation.as_deref(), Some("URA-90000123"));
    assert_eq!(got.source, SourceKind::Headers);
    let mapped_v4 = peer("[::ffff:10.1.9.9]:4000");
    assert!(
        id.identify(&gateway_headers(), &mapped_v4).await.is_ok(),
        "v4-mapped v6 peer"
    );
    assert!(
        id.identify(&gateway_headers(), &peer("[2001:db8::1]:4000"))
            .await
            .is_ok()
    );
    for untrusted in ["10.2.0.1:4000", "192.0.2.1:4000", "[2001:db8::2]:4000"] {
        let verdict = id.identify(&gateway_headers(), &peer(untrusted)).await;
        assert_eq!(verdict, Err(IdentityError::Missing), "{untrusted}");
    }
}

/// With `encoding = "percent"` values are percent-decoded (roles after splitting on
/// commas), so what one zegel's `[forward]` headers send reads back exactly; without it
/// the bytes are taken as they come. Bad encodings are refused, not recorded garbled.
#[tokio::test]
async fn percent_encoded_gateway_values_are_decoded_when_configured() {
    let percent = GATEWAY.to_owned() + "encoding = \"percent\"\n";
    let id = identifier(&percent).await;
    let mut h = gateway_headers();
    h.insert(
        "x-zv-subject-name",
        HeaderValue::from_static("Zo%C3%AB van Dijk%25"),
    );
    h.insert(
        "x-zv-subject-roles",
        HeaderValue::from_static("arts,a%2Cb, ,%20"),
    );
    let got = id.identify(&h, &peer("10.1.0.1:1")).await.expect("decoded");
    assert_eq!(got.user_name.as_deref(), Some("Zoë van Dijk%"));
    assert_eq!(got.roles, vec!["arts", "a,b"]);
    // The raw default keeps the bytes.
    let raw = identifier(GATEWAY).await;
    let got = raw.identify(&h, &peer("10.1.0.1:1")).await.expect("raw");
    assert_eq!(got.user_name.as_deref(), Some("Zo%C3%AB van Dijk%25"));
    for (header, value, why) in [
        ("x-zv-subject-name", "Zo%C3 van Dijk", "not UTF-8"),
        ("x-zv-subject-name", "J.%0AJansen", "control character"),
        ("x-zv-subject-id", "99%2", "two hex digits"),
        ("x-zv-subject-roles", "arts,%ZZ", "two hex digits"),
    ] {
        let mut bad = gateway_headers();
        bad.insert(header, HeaderValue::from_static(value));
        match id.identify(&bad, &peer("10.1.0.1:1")).await {
            Err(IdentityError::Rejected(msg)) => {
                assert!(msg.contains(header) && msg.contains(why), "{value}: {msg}");
            }
            other => panic!("{value}: {other:?}"),
        }
    }
    let mut empty = gateway_headers();
    empty.insert("x-zv-subject-id", HeaderValue::from_static("%20"));
    assert_eq!(
        id.identify(&empty, &peer("10.1.0.1:1")).await,
        Err(IdentityError::Rejected("empty user id header".into()))
    );
}

#[tokio::test]
async fn repeated_or_empty_gateway_user_id_is_rejected() {
    let id = identifier(GATEWAY).await;
    let mut twice = gateway_headers();
    twice.append("x-zv-subject-id", HeaderValue::from_static("999002"));
    assert_eq!(
        id.identify(&twice, &peer("10.1.0.1:1")).await,
        Err(IdentityError::Rejected("repeated identity header".into()))
    );
    let mut empty = gateway_headers();
    empty.insert("x-zv-subject-id", HeaderValue::from_static(" "));
    assert!(matches!(
        id.identify(&empty, &peer("10.1.0.1:1")).await,
        Err(IdentityError::Rejected(_))
    ));
}

#[tokio::test]
async fn strip_inbound_removes_forgeable_identity_headers_and_forward_sets_them() {
    let id = identifier(GATEWAY).await;
    let mut h = gateway_headers();
    h.insert("x-zegel-user-id", HeaderValue::from_static("forged"));
    h.insert("x-zegel-roles", HeaderValue::from_static("admin"));
    h.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_static("Bearer app-token"),
    );
    h.insert("accept", HeaderValue::from_static("application/fhir+json"));
    id.strip_inbound(&mut h);
    let left: Vec<&str> = h.keys().map(|k| k.as_str()).collect();
    assert_eq!(
        left,
        vec!["authorization", "accept"],
        "only non-identity headers stay"
    );

    let who = Identity {
        user_id: "u-1".into(),
        user_name: Some("Zoë van Dijk".into()),
        roles: vec!["arts".into(), "a,b".into()],
        organisation: Some("90000123".into()),
        ..Identity::default()
    };
    id.forward(&who, &mut h);
    assert_eq!(h["x-zegel-user-id"], "u-1");
    assert_eq!(h["x-zegel-user-name"], "Zo%C3%AB van Dijk");
    assert_eq!(h["x-zegel-roles"], "arts,a%2Cb");
    assert_eq!(h["x-zegel-organisation"], "90000123");
    assert_eq!(h["x-zegel-identity-source"], "jwt");
    assert!(!h.contains_key("x-zegel-department"));
}

/// A second zegel behind the first trusts its forwarded headers and reads back exactly
/// the identity the first one verified.
#[tokio::test]
async fn forwarded_identity_reads_back_through_a_percent_headers_source() {
    let first = identifier(GATEWAY).await;
    let who = Identity {
        user_id: "u-1 %".into(),
        user_name: Some("Zoë van Dijk".into()),
        roles: vec!["arts".into(), "a,b".into()],
        organisation: Some("90000123".into()),
        department: Some("Hart- en vaatziekten".into()),
        purpose_of_use: Some("TREAT".into()),
        ..Identity::default()
    };
    let mut h = HeaderMap::new();
    first.forward(&who, &mut h);
    let second = identifier(
        r#"
        [[identity]]
        kind = "headers"
        trusted_networks = ["127.0.0.1/32"]
        encoding = "percent"
        user_id = "X-Zegel-User-Id"
        user_name = "X-Zegel-User-Name"
        roles = "X-Zegel-Roles"
        organisation = "X-Zegel-Organisation"
        department = "X-Zegel-Department"
        responsible_user = "X-Zegel-Responsible-User"
        purpose_of_use = "X-Zegel-Purpose-Of-Use"
    "#,
    )
    .await;
    let got = second
        .identify(&h, &peer("127.0.0.1:1"))
        .await
        .expect("read back");
    assert_eq!(
        got,
        Identity {
            source: SourceKind::Headers,
            ..who
        }
    );
}

#[tokio::test]
async fn strip_authorization_is_opt_in() {
    let forward = ForwardConfig {
        strip_authorization: true,
        ..ForwardConfig::default()
    };
    let id = Identifier::new(&sources(GATEWAY), &forward)
        .await
        .expect("identifier");
    let mut h = HeaderMap::new();
    h.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_static("Bearer x"),
    );
    id.strip_inbound(&mut h);
    assert!(h.is_empty());
}

fn uzi_card() -> PeerInfo {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    let dn = &mut params.distinguished_name;
    dn.push(DnType::CommonName, "dr. A. de Vries");
    dn.push(DnType::OrganizationName, "Ziekenhuis Oost");
    dn.push(DnType::OrganizationalUnitName, "Cardiologie");
    dn.push(DnType::CustomDnType(vec![2, 5, 4, 5]), "12345678");
    params.subject_alt_names.push(SanType::Rfc822Name(
        "a.devries@zho.example".try_into().expect("email"),
    ));
    params
        .subject_alt_names
        .push(SanType::OtherName((vec![2, 5, 5, 5], UZI.into())));
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let cert = params.self_signed(&key).expect("cert");
    PeerInfo {
        addr: "192.0.2.7:443".parse().expect("addr"),
        client_certs: Some(Arc::new(vec![cert.der().clone()])),
    }
}

#[tokio::test]
async fn uzi_card_fields_map_to_the_identity() {
    let id = identifier(UZI_CARD).await;
    let got = id
        .identify(&HeaderMap::new(), &uzi_card())
        .await
        .expect("certificate identity");
    assert_eq!(got.user_id, "12345678");
    assert_eq!(got.user_name.as_deref(), Some("dr. A. de Vries"));
    assert_eq!(got.organisation.as_deref(), Some("90000123"));
    assert_eq!(got.department.as_deref(), Some("Cardiologie"));
    assert_eq!(got.roles, vec!["zorgverlener", "01.015"]);
    assert_eq!(got.source, SourceKind::Mtls);
    assert_eq!(
        id.identify(&HeaderMap::new(), &peer("192.0.2.7:443")).await,
        Err(IdentityError::Missing)
    );
}

#[tokio::test]
async fn other_certificate_fields_and_a_missing_user_id_field() {
    let email = identifier(&UZI_CARD.replace("subject.serialNumber", "san.email")).await;
    let got = email
        .identify(&HeaderMap::new(), &uzi_card())
        .await
        .expect("identity");
    assert_eq!(got.user_id, "a.devries@zho.example");
    let org = identifier(&UZI_CARD.replace("uzi.subscriber", "subject.O")).await;
    let got = org
        .identify(&HeaderMap::new(), &uzi_card())
        .await
        .expect("identity");
    assert_eq!(got.organisation.as_deref(), Some("Ziekenhuis Oost"));
    let absent = identifier(&UZI_CARD.replace("subject.serialNumber", "san.dns")).await;
    assert_eq!(
        absent.identify(&HeaderMap::new(), &uzi_card()).await,
        Err(IdentityError::Rejected(
            "client certificate lacks the user id field".into()
        ))
    );
}

#[tokio::test]
async fn the_first_applying_source_decides_without_fall_through() {
    let both = identifier(&format!("{UZI_CARD}\n{GATEWAY}")).await;
    let mut card_and_headers = uzi_card();
    card_and_headers.addr = "10.1.0.5:1".parse().expect("addr");
    let got = both
        .identify(&gateway_headers(), &card_and_headers)
        .await
        .expect("identity");
    assert_eq!(
        got.source,
        SourceKind::Mtls,
        "the first source in config order wins"
    );

    let strict = identifier(&format!(
        "{}\n{GATEWAY}",
        UZI_CARD.replace("subject.serialNumber", "san.dns")
    ))
    .await;
    let verdict = strict.identify(&gateway_headers(), &card_and_headers).await;
    assert!(
        matches!(verdict, Err(IdentityError::Rejected(_))),
        "a rejecting source is final: {verdict:?}"
    );

    let headers_only = peer("10.1.0.5:1");
    let got = strict
        .identify(&gateway_headers(), &headers_only)
        .await
        .expect("gateway");
    assert_eq!(
        got.source,
        SourceKind::Headers,
        "without a certificate the next source applies"
    );
}

#[tokio::test]
async fn bad_source_configs_name_the_source() {
    let bad_field = format!(
        "{GATEWAY}\n{}",
        UZI_CARD.replace("subject.CN", "subject.nickname")
    );
    let err = Identifier::new(&sources(&bad_field), &ForwardConfig::default())
        .await
        .expect_err("bad field");
    assert!(
        err.to_string().starts_with("identity[1] (kind = \"mtls\")"),
        "{err}"
    );
    let bad_header = GATEWAY.replace("X-ZV-Subject-Name", "X ZV Name");
    assert!(
        Identifier::new(&sources(&bad_header), &ForwardConfig::default())
            .await
            .is_err()
    );
    let no_networks = GATEWAY.replace(r#"["10.1.0.0/16", "2001:db8::1"]"#, "[]");
    assert!(
        Identifier::new(&sources(&no_networks), &ForwardConfig::default())
            .await
            .is_err()
    );
    let typo = GATEWAY.replace("user_name =", "username =");
    let err = try_sources(&typo).expect_err("unknown fields are rejected");
    assert!(err.to_string().contains("username"), "{err}");
    let same = ForwardConfig {
        roles: "X-Zegel-User-Id".into(),
        ..ForwardConfig::default()
    };
    assert!(
        Identifier::new(&sources(GATEWAY), &same).await.is_err(),
        "forward headers must differ"
    );
}
