//! The HTTP side of a run: one connection-pooled reqwest client (rustls with the ring
//! provider, gzip, proxies from the environment with loopback always direct, an extra CA), and
//! sending one prepared request with its timeout, redirects and the collection's cookie jar.

use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Client, Method, StatusCode};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use url::Url;

use courier_core::secret::Secrets;

use courier_events::ErrorKind;

/// Hosts that never go through a proxy.
const LOOPBACK: &str = "localhost,127.0.0.1,::1";

/// Most redirects followed for one request.
const MAX_REDIRECTS: usize = 10;

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot read the CA certificate `{path}`: {message}")]
    CaCert { path: String, message: String },
    /// `tls.ca_cert` names something that is not a regular file of a sensible size
    /// (docs/inputs.md).
    #[error("`tls.ca_cert`: {0}")]
    CaFile(#[from] courier_core::fs::ReadError),
    #[error("bad proxy setting `{var}`: {message}")]
    Proxy { var: String, message: String },
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
}

/// Installs ring as the process's rustls provider (once; later calls do nothing).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The run's client. Redirects are never followed by reqwest itself: [`send`] follows them
/// when the request asks, so that `follow_redirects: false` returns the 3xx.
pub fn build_client(
    ca_cert: Option<&Path>,
    insecure: bool,
    max_idle: usize,
) -> Result<Client, ClientError> {
    install_crypto_provider();
    let mut builder = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .gzip(true)
        .user_agent(concat!("courier/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(max_idle.max(1))
        .tcp_nodelay(true)
        .no_proxy();
    let extra_roots = match ca_cert {
        Some(path) => read_ca(path)?,
        None => Vec::new(),
    };
    if insecure {
        builder = builder.tls_danger_accept_invalid_certs(true);
    } else {
        builder = builder.tls_backend_preconfigured(crate::tls::tls_config(extra_roots)?);
    }
    for proxy in proxies_from_env()? {
        builder = builder.proxy(proxy);
    }
    builder
        .build()
        .map_err(|e| ClientError::Build(e.to_string()))
}

/// The certificates of a PEM file, checked now so that a bad `tls.ca_cert` stops the run
/// before anything is sent.
fn read_ca(path: &Path) -> Result<Vec<CertificateDer<'static>>, ClientError> {
    let error = |message: String| ClientError::CaCert {
        path: path.display().to_string(),
        message,
    };
    let pem = courier_core::fs::read_bytes(path, courier_core::fs::InputKind::CaCert)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| error(e.to_string()))?;
    if certs.is_empty() {
        return Err(error("no certificate in the file".to_owned()));
    }
    let mut store = rustls::RootCertStore::empty();
    for cert in &certs {
        store.add(cert.clone()).map_err(|e| error(e.to_string()))?;
    }
    Ok(certs)
}

fn env_var(names: &[&str]) -> Option<(String, String)> {
    names.iter().find_map(|n| {
        std::env::var(n)
            .ok()
            .filter(|v| !v.is_empty())
            .map(|v| ((*n).to_owned(), v))
    })
}

/// `HTTPS_PROXY`, `HTTP_PROXY` and `ALL_PROXY` (either case), with `NO_PROXY` plus loopback.
fn proxies_from_env() -> Result<Vec<reqwest::Proxy>, ClientError> {
    let no_proxy = env_var(&["NO_PROXY", "no_proxy"])
        .map(|(_, v)| v)
        .unwrap_or_default();
    let bypass = if no_proxy.is_empty() {
        LOOPBACK.to_owned()
    } else {
        format!("{no_proxy},{LOOPBACK}")
    };
    let mut out = Vec::new();
    let make = |(var, url): (String, String), kind: &str| -> Result<reqwest::Proxy, ClientError> {
        let p = match kind {
            "https" => reqwest::Proxy::https(&url),
            "http" => reqwest::Proxy::http(&url),
            _ => reqwest::Proxy::all(&url),
        }
        .map_err(|e| ClientError::Proxy {
            var,
            message: e.to_string(),
        })?;
        Ok(p.no_proxy(reqwest::NoProxy::from_string(&bypass)))
    };
    if let Some(v) = env_var(&["HTTPS_PROXY", "https_proxy"]) {
        out.push(make(v, "https")?);
    }
    if let Some(v) = env_var(&["HTTP_PROXY", "http_proxy"]) {
        out.push(make(v, "http")?);
    }
    if let Some(v) = env_var(&["ALL_PROXY", "all_proxy"]) {
        out.push(make(v, "all")?);
    }
    Ok(out)
}

/// A request ready to send: everything rendered.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
    pub timeout: Duration,
    pub follow_redirects: bool,
    /// The largest response body accepted, decoded.
    pub max_body: BodyCap,
}

/// A response body cap (docs/collections.md#response-size) and the setting that made it, which
/// the error names so the user knows what to raise.
#[derive(Debug, Clone)]
pub struct BodyCap {
    pub bytes: u64,
    /// `--max-body`, or `` `max_body:` at file:line:col ``.
    pub set_by: String,
}

impl BodyCap {
    /// A cap set by the run (`--max-body`).
    pub fn run(bytes: u64) -> Self {
        Self {
            bytes,
            set_by: "`--max-body`".to_owned(),
        }
    }

    fn exceeded(&self, what: &str) -> SendError {
        let cap = courier_units::format_size(self.bytes);
        let how = if self.set_by == "`--max-body`" {
            "raise it with `--max-body SIZE`, or `max_body:` in the collection's `defaults` or on the request"
        } else {
            "raise it there"
        };
        SendError {
            kind: ErrorKind::Network,
            message: format!(
                "the response body {what} the {cap} cap on response bodies (set by {}): {how}",
                self.set_by
            ),
        }
    }
}

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Received {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// From sending the request to the last byte of the body.
    pub elapsed: Duration,
    /// The URL that answered (after redirects).
    pub url: Url,
    /// The headers sent to that URL, `Authorization` and `Cookie` included, for `-v`.
    pub sent_headers: HeaderMap,
}

/// Why there is no response.
#[derive(Debug, Clone)]
pub struct SendError {
    pub kind: ErrorKind,
    pub message: String,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Classifies a reqwest error: timeout, TLS, or another network failure.
pub fn classify(err: &reqwest::Error, timeout: Duration) -> SendError {
    let mut chain = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = source {
        if !chain.is_empty() {
            chain.push_str(": ");
        }
        chain.push_str(&e.to_string());
        source = e.source();
    }
    let lower = chain.to_lowercase();
    if err.is_timeout() {
        return SendError {
            kind: ErrorKind::Timeout,
            message: format!("timed out after {}", crate::format_duration(timeout)),
        };
    }
    if let Some(refused) = crate::tls::CertRefused::find(err) {
        return SendError {
            kind: ErrorKind::Tls,
            message: format!(
                "cannot connect to {}: {refused}",
                err.url().map_or_else(String::new, host_port)
            ),
        };
    }
    let kind =
        if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
            ErrorKind::Tls
        } else {
            ErrorKind::Network
        };
    let message = if err.is_connect() {
        let why = if lower.contains("connection refused") {
            "connection refused".to_owned()
        } else {
            innermost(err)
        };
        format!(
            "cannot connect to {}: {why}",
            err.url().map_or_else(String::new, host_port)
        )
    } else {
        innermost(err)
    };
    SendError { kind, message }
}

fn innermost(err: &dyn std::error::Error) -> String {
    let mut last = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        last = e.to_string();
        source = e.source();
    }
    last
}

fn host_port(u: &Url) -> String {
    match (u.host_str(), u.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => u.to_string(),
    }
}

/// Sends one prepared request (following redirects when asked), using and filling the cookie
/// jar. `auth` is added to every hop to the same origin only.
pub async fn send(
    client: &Client,
    prepared: &Prepared,
    auth: Option<&HeaderValue>,
    jar: Option<&crate::jar::Jar>,
    secrets: &Secrets,
) -> Result<Received, SendError> {
    let started = Instant::now();
    let mut method = prepared.method.clone();
    let mut url = prepared.url.clone();
    let mut body = prepared.body.clone();
    let origin = url.origin();
    for _ in 0..=MAX_REDIRECTS {
        let mut headers = prepared.headers.clone();
        if let Some(a) = auth
            && url.origin() == origin
        {
            headers.insert(reqwest::header::AUTHORIZATION, a.clone());
        }
        if let Some(jar) = jar
            && !headers.contains_key(reqwest::header::COOKIE)
            && let Some(cookies) = jar.cookies(&url)
        {
            headers.insert(reqwest::header::COOKIE, cookies);
        }
        if body.is_none() {
            headers.remove(reqwest::header::CONTENT_TYPE);
        }
        // The values of Authorization and Cookie are secrets wherever they show up again (a
        // server that echoes a request, say): secrets never leave redacted output.
        for name in [reqwest::header::AUTHORIZATION, reqwest::header::COOKIE] {
            for v in headers.get_all(name) {
                add_header_secrets(secrets, v);
            }
        }
        let sent_headers = headers.clone();
        let mut rb = client
            .request(method.clone(), url.clone())
            .headers(headers)
            .timeout(prepared.timeout);
        if let Some(b) = &body {
            rb = rb.body(b.clone());
        }
        let response = rb
            .send()
            .await
            .map_err(|e| classify(&e, prepared.timeout))?;
        let status = response.status();
        let response_headers = response.headers().clone();
        for v in response_headers.get_all(reqwest::header::SET_COOKIE) {
            add_header_secrets(secrets, v);
        }
        if let Some(jar) = jar {
            jar.set_cookies(
                response_headers.get_all(reqwest::header::SET_COOKIE).iter(),
                &url,
            );
        }
        let location = response_headers
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| url.join(l).ok());
        if prepared.follow_redirects
            && status.is_redirection()
            && let Some(next) = location
        {
            // 301/302/303 turn into GET without a body, as browsers and curl do; 307/308 keep both.
            if matches!(status.as_u16(), 301..=303) && method != Method::HEAD {
                method = Method::GET;
                body = None;
            }
            // The redirect's own body is never read: dropping it closes the connection, so a
            // hostile endless body cannot grow here either.
            drop(response);
            url = next;
            continue;
        }
        let body_bytes = read_capped(response, &prepared.max_body, prepared.timeout).await?;
        add_issued_tokens(secrets, &body_bytes);
        return Ok(Received {
            status,
            headers: response_headers,
            body: body_bytes,
            elapsed: started.elapsed(),
            url,
            sent_headers,
        });
    }
    Err(SendError {
        kind: ErrorKind::Network,
        message: format!("more than {MAX_REDIRECTS} redirects"),
    })
}

/// Reads a body chunk by chunk, decoded (gzip is inflated by the client before it counts), and
/// stops at the cap: a body that announces more, or grows past it, fails the request without
/// being held whole (docs/collections.md#response-size).
async fn read_capped(
    mut response: reqwest::Response,
    cap: &BodyCap,
    timeout: Duration,
) -> Result<Bytes, SendError> {
    // A Content-Length only counts when nothing is decoded: the client drops it when it inflates.
    let announced = response.content_length();
    if announced.is_some_and(|announced| announced > cap.bytes) {
        return Err(cap.exceeded("announces more than"));
    }
    // Room for the announced body at once (it is within the cap): no regrowth and copy per chunk.
    let mut body = bytes::BytesMut::with_capacity(announced.unwrap_or(0) as usize);
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e, timeout))? {
        if (body.len() + chunk.len()) as u64 > cap.bytes {
            return Err(cap.exceeded("is larger than"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Tokens a server issues in any JSON response (a plain request that posts the token form
/// itself, too) join the secrets before the response is printed or reported: the values of
/// `access_token`, `refresh_token` and `id_token` at any depth (docs/secrets.md).
fn add_issued_tokens(secrets: &Secrets, body: &[u8]) {
    // Cheap test first: most bodies name none of the keys and are never parsed here. The three
    // keys end alike, so one vectorised search for that ending tells: a search per key, or a
    // multi-pattern automaton, cost a quarter of the CPU of a run of 100 KB bodies (perf).
    let named = memchr::memmem::find(body, TOKEN_KEY_END).is_some()
        && TOKEN_KEYS
            .iter()
            .any(|k| memchr::memmem::find(body, k.as_bytes()).is_some());
    if !named {
        return;
    }
    if let Ok(doc) = serde_json::from_slice::<serde_json::Value>(body) {
        add_token_values(&doc, secrets);
    }
}

/// The keys whose values are issued tokens, at any depth of a JSON response.
const TOKEN_KEYS: [&str; 3] = ["access_token", "refresh_token", "id_token"];

/// How every one of [`TOKEN_KEYS`] ends.
const TOKEN_KEY_END: &[u8] = b"_token";

fn add_token_values(v: &serde_json::Value, secrets: &Secrets) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match v {
                    serde_json::Value::String(s) if TOKEN_KEYS.contains(&k.as_str()) => {
                        secrets.add(s);
                    }
                    _ => add_token_values(v, secrets),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| add_token_values(v, secrets)),
        _ => {}
    }
}

/// Adds a credential header's value to the secrets: the whole value, and for cookies each
/// `name=value` pair and its value (a `Set-Cookie`'s attributes after `;` are not secret).
fn add_header_secrets(secrets: &Secrets, value: &HeaderValue) {
    let Ok(text) = value.to_str() else { return };
    secrets.add(text);
    let pairs = text.split(';').map(str::trim).filter(|p| !p.is_empty());
    for (i, pair) in pairs.enumerate() {
        match pair.split_once('=') {
            Some((name, v)) if !v.is_empty() => {
                // In a Set-Cookie only the first pair is the cookie; in a Cookie every pair is.
                let known_attribute = matches!(
                    name.trim().to_ascii_lowercase().as_str(),
                    "path" | "domain" | "expires" | "max-age" | "samesite" | "priority"
                );
                if i == 0 || !known_attribute {
                    secrets.add(pair);
                    secrets.add(v);
                }
            }
            _ => {}
        }
    }
    if let Some((scheme, credential)) = text.split_once(' ')
        && (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("basic"))
    {
        secrets.add(credential.trim());
    }
}

/// A header name/value pair from rendered text, with a message for bad ones.
pub fn header_pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), String> {
    let n = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("`{name}` is not a valid header name"))?;
    let v = HeaderValue::from_str(value)
        .map_err(|_| format!("the value of header `{name}` has characters a header cannot hold"))?;
    Ok((n, v))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "a test stops at the first unexpected error (an allow: clippy.toml may already permit it)"
)]
mod tests {
    use super::*;

    /// An HTTPS server on 127.0.0.1 whose certificate a CA made now has signed; its URL and
    /// the CA certificate as PEM.
    async fn https_server() -> (Url, String) {
        let (issuer, ca_pem) = crate::tls::tests::ca("Courier test CA");
        let (url, _) = crate::tls::tests::server(&["127.0.0.1"], |_| {}, Some(&issuer)).await;
        (url, ca_pem)
    }

    fn get(url: &Url) -> Prepared {
        Prepared {
            method: Method::GET,
            url: url.clone(),
            headers: HeaderMap::new(),
            body: None,
            timeout: Duration::from_secs(10),
            follow_redirects: false,
            max_body: BodyCap::run(crate::prepare::DEFAULT_MAX_BODY),
        }
    }

    /// Guards the roots read on the first handshake rather than at start-up: the
    /// environment's CA is trusted, an unknown issuer is a TLS error, `insecure` skips both.
    #[tokio::test]
    async fn tls_trusts_the_environment_ca_and_refuses_an_unknown_issuer() {
        let (url, ca_pem) = https_server().await;
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, ca_pem).unwrap();

        let trusting = build_client(Some(&ca), false, 1).unwrap();
        let ok = send(&trusting, &get(&url), None, None, &Secrets::default())
            .await
            .unwrap();
        assert_eq!(ok.status, 200);
        assert_eq!(&ok.body[..], b"ok");

        let platform_only = build_client(None, false, 1).unwrap();
        let refused = send(&platform_only, &get(&url), None, None, &Secrets::default())
            .await
            .unwrap_err();
        assert_eq!(refused.kind, ErrorKind::Tls, "{}", refused.message);

        let insecure = build_client(None, true, 1).unwrap();
        let ok = send(&insecure, &get(&url), None, None, &Secrets::default())
            .await
            .unwrap();
        assert_eq!(ok.status, 200);
    }

    #[test]
    fn issued_tokens_join_the_secrets_and_other_keys_do_not() {
        let secrets = Secrets::default();
        add_issued_tokens(
            &secrets,
            br#"{"a": {"refresh_token": "rt-123456789"}, "id_token": "idt-98765432"}"#,
        );
        add_issued_tokens(&secrets, br#"{"my_token": "not-a-secret-1"}"#);
        assert_eq!(
            secrets.redact("rt-123456789 idt-98765432 not-a-secret-1"),
            "[REDACTED] [REDACTED] not-a-secret-1"
        );
    }

    #[test]
    fn a_ca_file_without_a_certificate_is_refused_before_anything_is_sent() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "not a certificate\n").unwrap();
        let err = build_client(Some(&ca), false, 1).unwrap_err();
        assert!(matches!(err, ClientError::CaCert { .. }), "{err}");
        let missing = build_client(Some(&dir.path().join("nope.pem")), false, 1).unwrap_err();
        assert!(
            missing
                .to_string()
                .starts_with("`tls.ca_cert`: CA certificate `")
                && missing.to_string().ends_with("nope.pem` does not exist"),
            "{missing}"
        );
    }
}
