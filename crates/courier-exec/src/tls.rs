//! Server certificates of a run's HTTPS connections (docs/environments.md#tls): the verifier
//! (the platform's roots plus `tls.ca_cert`, read on the first handshake, and a server
//! certificate byte-equal to one in `tls.ca_cert` trusted as it is) and [`CertRefused`], the
//! sentence a person reads when a certificate is refused: which server, what was wrong, and
//! the setting that fixes it.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};

use crate::client::ClientError;

/// The TLS settings reqwest would make (TLS 1.2 and 1.3, ALPN h2 and http/1.1, the platform's
/// roots plus `extra_roots`), except that the roots are read on the first HTTPS handshake.
///
/// Reading and parsing the system's CA bundle is most of Courier's start-up (about 18 million
/// instructions and 300 system calls, measured), and a run against `http://` — the emulator,
/// a local server — never needs it.
pub(crate) fn tls_config(
    extra_roots: Vec<CertificateDer<'static>>,
) -> Result<rustls::ClientConfig, ClientError> {
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let verifier = Arc::new(LazyVerifier {
        extra_roots,
        provider: Arc::clone(&provider),
        platform: OnceLock::new(),
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Build(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The platform verifier (what reqwest uses by default), made when a certificate is first
/// checked. Handshake signatures need only the crypto provider, as in the platform verifier.
#[derive(Debug)]
struct LazyVerifier {
    extra_roots: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
    platform: OnceLock<Result<rustls_platform_verifier::Verifier, rustls::Error>>,
}

impl ServerCertVerifier for LazyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The very certificate `tls.ca_cert` holds: a self-signed server certificate as
        // `openssl req -x509` makes it (CA:TRUE, no subjectAltName) is trusted by exact match,
        // which a chain check would refuse for its name and its CA flag. The handshake's
        // signatures are still verified against it (below), so the server must hold its key.
        if self
            .extra_roots
            .iter()
            .any(|trusted| trusted.as_ref() == end_entity.as_ref())
        {
            return Ok(ServerCertVerified::assertion());
        }
        let server = server_name.to_str().into_owned();
        let platform = self
            .platform
            .get_or_init(|| {
                rustls_platform_verifier::Verifier::new_with_extra_roots(
                    self.extra_roots.iter().cloned(),
                    Arc::clone(&self.provider),
                )
            })
            .as_ref()
            .map_err(|e| refused(server.clone(), Why::NoRoots(e.to_string())))?;
        platform
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|e| refused(server, why(&e, end_entity)))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A server certificate that was refused, said as a person would say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRefused {
    /// The server name the certificate was checked for (the URL's host).
    pub server: String,
    why: Why,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Why {
    UnknownIssuer,
    SelfSigned,
    Expired { not_after: Option<String> },
    NotYetValid { not_before: Option<String> },
    NameMismatch { presented: Vec<String> },
    Revoked,
    NoRoots(String),
    Other(String),
}

impl std::fmt::Display for CertRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let server = &self.server;
        let insecure = "or `tls.insecure: true` to skip the check (refused in production)";
        match &self.why {
            Why::UnknownIssuer => write!(
                f,
                "the certificate of `{server}` was issued by a certificate authority this machine does not trust: set `tls.ca_cert` in the environment file to that authority's certificate (PEM), {insecure}"
            ),
            Why::SelfSigned => write!(
                f,
                "the certificate of `{server}` is self-signed, and not the one `tls.ca_cert` holds: set `tls.ca_cert` in the environment file to that very certificate (PEM) to trust it, {insecure}"
            ),
            Why::Expired { not_after } => {
                let when = not_after
                    .as_deref()
                    .map_or_else(String::new, |t| format!(" on {t}"));
                write!(
                    f,
                    "the certificate of `{server}` expired{when}: the server needs a renewed certificate ({insecure}; check this machine's clock too)"
                )
            }
            Why::NotYetValid { not_before } => {
                let when = not_before
                    .as_deref()
                    .map_or_else(String::new, |t| format!(" until {t}"));
                write!(
                    f,
                    "the certificate of `{server}` is not valid yet{when}: check this machine's clock ({insecure})"
                )
            }
            Why::NameMismatch { presented } => {
                let names = if presented.is_empty() {
                    "names no host".to_owned()
                } else {
                    let quoted: Vec<String> = presented.iter().map(|n| format!("`{n}`")).collect();
                    format!("is for {}", quoted.join(", "))
                };
                write!(
                    f,
                    "the certificate of `{server}` {names}, not `{server}`: use a URL with one of its names, or set `tls.ca_cert` in the environment file to exactly this certificate (PEM) to trust it as it is, {insecure}"
                )
            }
            Why::Revoked => write!(
                f,
                "the certificate of `{server}` has been revoked by its issuer: the server needs a new certificate"
            ),
            Why::NoRoots(e) => write!(
                f,
                "cannot check the certificate of `{server}`: no trusted certificate authorities could be read from this machine ({e}); install the system's CA certificates or set `tls.ca_cert` in the environment file"
            ),
            Why::Other(e) => write!(
                f,
                "the certificate of `{server}` was refused: {e}; `tls.ca_cert` in the environment file sets which certificate authority to trust, {insecure}"
            ),
        }
    }
}

impl std::error::Error for CertRefused {}

impl CertRefused {
    /// The refusal somewhere in `err`'s chain of sources (reqwest, hyper, the I/O error that
    /// carries rustls's), if a certificate was refused.
    pub fn find<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a CertRefused> {
        let mut source = Some(err);
        while let Some(e) = source {
            if let Some(found) = Self::of(e) {
                return Some(found);
            }
            // `io::Error::source` skips the error it wraps (itself often another I/O error,
            // around rustls's): look inside.
            if let Some(found) = e
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
                .and_then(|inner| Self::find(inner))
            {
                return Some(found);
            }
            source = e.source();
        }
        None
    }

    fn of<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a CertRefused> {
        if let Some(found) = e.downcast_ref::<CertRefused>() {
            return Some(found);
        }
        match e.downcast_ref::<rustls::Error>()? {
            rustls::Error::InvalidCertificate(CertificateError::Other(other))
            | rustls::Error::Other(other) => other.0.downcast_ref::<CertRefused>(),
            _ => None,
        }
    }
}

fn refused(server: String, why: Why) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(CertRefused {
        server,
        why,
    }))))
}

/// What a verifier's error means for this certificate.
fn why(e: &rustls::Error, end_entity: &CertificateDer<'_>) -> Why {
    let rustls::Error::InvalidCertificate(e) = e else {
        return Why::Other(e.to_string());
    };
    let date = |t: &UnixTime| {
        i64::try_from(t.as_secs())
            .ok()
            .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
    };
    match e {
        CertificateError::Expired => Why::Expired { not_after: None },
        CertificateError::ExpiredContext { not_after, .. } => Why::Expired {
            not_after: date(not_after),
        },
        CertificateError::NotValidYet => Why::NotYetValid { not_before: None },
        CertificateError::NotValidYetContext { not_before, .. } => Why::NotYetValid {
            not_before: date(not_before),
        },
        // A certificate that signed itself has no issuer to trust but itself; webpki may
        // stop at its CA flag or its name before saying so.
        _ if self_signed(end_entity) => Why::SelfSigned,
        CertificateError::UnknownIssuer => Why::UnknownIssuer,
        CertificateError::NotValidForName => Why::NameMismatch {
            presented: Vec::new(),
        },
        CertificateError::NotValidForNameContext { presented, .. } => Why::NameMismatch {
            presented: presented.iter().map(|n| plain_name(n)).collect(),
        },
        CertificateError::Revoked => Why::Revoked,
        other => Why::Other(other.to_string()),
    }
}

/// A name as webpki presents it (`DnsName("api.example.com")`, `IpAddress(10.0.0.1)`), as
/// a person writes it.
fn plain_name(presented: &str) -> String {
    presented
        .split_once('(')
        .and_then(|(_, inner)| inner.strip_suffix(')'))
        .map_or(presented, |inner| inner.trim_matches('"'))
        .to_owned()
}

/// Whether the certificate's issuer is its own subject (compared as encoded).
fn self_signed(der: &[u8]) -> bool {
    issuer_and_subject(der).is_some_and(|(issuer, subject)| issuer == subject)
}

/// The encoded issuer and subject names of an X.509 certificate (RFC 5280 §4.1): the fourth
/// and sixth fields of `tbsCertificate`, after an optional `[0]` version.
fn issuer_and_subject(der: &[u8]) -> Option<(&[u8], &[u8])> {
    const SEQUENCE: u8 = 0x30;
    let (tag, certificate, _) = tlv(der)?;
    if tag != SEQUENCE {
        return None;
    }
    let (tag, tbs, _) = tlv(certificate)?;
    if tag != SEQUENCE {
        return None;
    }
    let (tag, _, mut rest) = tlv(tbs)?;
    if tag != 0xa0 {
        rest = tbs;
    }
    let (_, _, rest) = tlv(rest)?; // serialNumber
    let (_, _, rest) = tlv(rest)?; // signature algorithm
    let issuer = rest;
    let (_, _, after_issuer) = tlv(rest)?;
    let issuer = &issuer[..issuer.len() - after_issuer.len()];
    let (_, _, rest) = tlv(after_issuer)?; // validity
    let (_, _, after_subject) = tlv(rest)?;
    let subject = &rest[..rest.len() - after_subject.len()];
    Some((issuer, subject))
}

/// One DER element: (tag, contents, what follows). Short and long definite lengths only, as
/// DER has.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > std::mem::size_of::<usize>() || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

#[cfg(test)]
#[path = "tls/tests.rs"]
pub(crate) mod tests;
