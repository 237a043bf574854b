//! HTTPS servers on 127.0.0.1 with certificates made now (rcgen), and what a run says about
//! each: trusted by its CA, trusted by exact match, refused in a person's words.

#![allow(
    clippy::unwrap_used,
    reason = "a test stops at the first unexpected error (an allow: clippy.toml may already permit it)"
)]

use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderMap;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use url::Url;

use courier_core::secret::Secrets;
use courier_events::ErrorKind;

use super::*;
use crate::client::{BodyCap, Prepared, SendError, build_client, send};

/// A CA named `name` made now: its issuer (to sign with) and its certificate as PEM.
pub(crate) fn ca(name: &str) -> (rcgen::CertifiedIssuer<'static, rcgen::KeyPair>, String) {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let issuer =
        rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().unwrap()).unwrap();
    let pem = issuer.pem();
    (issuer, pem)
}

/// An HTTPS server on 127.0.0.1 presenting `cert` (with `key`) and answering `200 ok`.
async fn serve(cert: CertificateDer<'static>, key: &rcgen::KeyPair) -> Url {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut request = [0u8; 4096];
                let _ = tls.read(&mut request).await;
                let _ = tls
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                    )
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    Url::parse(&format!("https://127.0.0.1:{port}/")).unwrap()
}

/// A server whose certificate for `names`, made by `edit`, `issuer` signed (or itself, with
/// none).
pub(crate) async fn server(
    names: &[&str],
    edit: impl FnOnce(&mut rcgen::CertificateParams),
    issuer: Option<&rcgen::CertifiedIssuer<'static, rcgen::KeyPair>>,
) -> (Url, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = rcgen::CertificateParams::new(names).unwrap();
    edit(&mut params);
    let cert = match issuer {
        Some(issuer) => params.signed_by(&key, issuer).unwrap(),
        None => params.self_signed(&key).unwrap(),
    };
    let url = serve(cert.der().clone(), &key).await;
    (url, cert.pem())
}

/// What a client trusting `ca_pem` (as `tls.ca_cert`) gets from `url`.
async fn fetch(url: &Url, ca_pem: &str) -> Result<u16, SendError> {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    let client = build_client(Some(&ca), false, 1).unwrap();
    let prepared = Prepared {
        method: Method::GET,
        url: url.clone(),
        headers: HeaderMap::new(),
        body: None,
        timeout: Duration::from_secs(10),
        follow_redirects: false,
        max_body: BodyCap::run(crate::prepare::DEFAULT_MAX_BODY),
    };
    send(&client, &prepared, None, None, &Secrets::default())
        .await
        .map(|r| r.status.as_u16())
}

#[tokio::test]
async fn an_unknown_issuer_says_which_server_and_the_setting_that_fixes_it() {
    let (signer, _) = ca("Courier test CA");
    let (_, other_ca) = ca("Another CA");
    let (url, _) = server(&["127.0.0.1"], |_| {}, Some(&signer)).await;
    let e = fetch(&url, &other_ca).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Tls, "{e}");
    let port = url.port().unwrap();
    assert_eq!(
        e.message,
        format!(
            "cannot connect to 127.0.0.1:{port}: the certificate of `127.0.0.1` was issued by a certificate authority this machine does not trust: set `tls.ca_cert` in the environment file to that authority's certificate (PEM), or `tls.insecure: true` to skip the check (refused in production)"
        )
    );
}

/// `openssl req -x509` with default options: a self-signed certificate with CA:TRUE and no
/// subjectAltName. As `tls.ca_cert` it is trusted by exact match; another certificate there
/// leaves it refused as self-signed.
#[tokio::test]
async fn a_self_signed_server_certificate_given_as_ca_cert_is_trusted_by_exact_match() {
    let (url, pem) = server(
        &[],
        |p| {
            p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            p.distinguished_name
                .push(rcgen::DnType::CommonName, "localhost");
        },
        None,
    )
    .await;
    assert_eq!(fetch(&url, &pem).await.unwrap(), 200);

    let (_, other_ca) = ca("Another CA");
    let e = fetch(&url, &other_ca).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Tls, "{e}");
    assert!(
        e.message.contains(
            "the certificate of `127.0.0.1` is self-signed, and not the one `tls.ca_cert` holds: set `tls.ca_cert` in the environment file to that very certificate (PEM)"
        ),
        "{e}"
    );
}

#[tokio::test]
async fn a_name_mismatch_names_the_certificate_s_names_and_the_setting() {
    let (signer, ca_pem) = ca("Courier test CA");
    let (url, _) = server(&["api.example.test"], |_| {}, Some(&signer)).await;
    let e = fetch(&url, &ca_pem).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Tls, "{e}");
    assert!(
        e.message.contains(
            "the certificate of `127.0.0.1` is for `api.example.test`, not `127.0.0.1`: use a URL with one of its names, or set `tls.ca_cert` in the environment file to exactly this certificate (PEM)"
        ),
        "{e}"
    );
}

#[tokio::test]
async fn an_expired_certificate_says_when() {
    let (signer, ca_pem) = ca("Courier test CA");
    let (url, _) = server(
        &["127.0.0.1"],
        |p| {
            p.not_before = rcgen::date_time_ymd(2020, 1, 1);
            p.not_after = rcgen::date_time_ymd(2021, 1, 2);
        },
        Some(&signer),
    )
    .await;
    let e = fetch(&url, &ca_pem).await.unwrap_err();
    assert!(
        e.message
            .contains("the certificate of `127.0.0.1` expired on 2021-01-02 00:00 UTC"),
        "{e}"
    );
}

#[test]
fn issuer_and_subject_are_read_from_the_der() {
    let key = rcgen::KeyPair::generate().unwrap();
    let own = rcgen::CertificateParams::new(vec!["a.test".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    assert!(self_signed(own.der()));
    let (signer, _) = ca("Courier test CA");
    let signed = rcgen::CertificateParams::new(vec!["a.test".to_owned()])
        .unwrap()
        .signed_by(&key, &signer)
        .unwrap();
    assert!(!self_signed(signed.der()));
    assert!(!self_signed(b"\x30\x82\xff"));
    assert_eq!(
        plain_name(r#"DnsName("api.example.test")"#),
        "api.example.test"
    );
    assert_eq!(plain_name("IpAddress(10.0.0.1)"), "10.0.0.1");
    assert_eq!(plain_name("plain"), "plain");
    assert!(!self_signed(b""));
}
