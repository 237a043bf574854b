//! The HTTPS loopback listener of `courier auth login` (docs/cli.md#courier-auth): when a profile's
//! `redirect_uri` is `https://127.0.0.1:PORT/PATH`, the browser is sent back to Courier itself.
//! Intacct takes only https:// redirect URIs, so the listener speaks TLS with a self-signed
//! certificate made on the fly for 127.0.0.1 (the browser warns once; the code is safe because
//! it is useless without the PKCE verifier and the client secret).
//!
//! The listener checks `state` itself, so the browser page can say at once whether the login
//! worked; the code is then handed to the caller to trade for tokens.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use url::Url;

/// What the authorization server sent back.
#[derive(Clone, PartialEq, Eq)]
pub struct Redirect {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

impl std::fmt::Debug for Redirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redirect")
            .field("error", &self.error)
            .field("error_description", &self.error_description)
            .finish_non_exhaustive()
    }
}

/// Why a login's redirect could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectError {
    #[error(
        "the `state` of the redirect does not match the one Courier sent: refused (was the URL from another login attempt?)"
    )]
    StateMismatch,
    #[error("the authorization server refused: {0}")]
    Denied(String),
    #[error("the redirect carries no `code`")]
    NoCode,
    #[error("`{0}` is not a URL: paste the whole address the browser was sent to")]
    NotAUrl(String),
    #[error("cannot listen on {addr}: {message}")]
    Listen { addr: String, message: String },
    #[error("cannot make the listener's certificate: {0}")]
    Certificate(String),
    #[error("no redirect arrived within {} minutes", .0.as_secs() / 60)]
    TimedOut(Duration),
}

impl Redirect {
    /// Reads `code`, `state` and `error` from a redirected URL's query.
    pub fn from_url(url: &Url) -> Self {
        let mut r = Self {
            code: None,
            state: None,
            error: None,
            error_description: None,
        };
        for (k, v) in url.query_pairs() {
            let slot = match k.as_ref() {
                "code" => &mut r.code,
                "state" => &mut r.state,
                "error" => &mut r.error,
                "error_description" => &mut r.error_description,
                _ => continue,
            };
            *slot = Some(v.into_owned());
        }
        r
    }

    /// Parses what a user pasted: the full redirected URL.
    pub fn from_pasted(text: &str) -> Result<Self, RedirectError> {
        let text = text.trim();
        let url = Url::parse(text).map_err(|_| RedirectError::NotAUrl(shorten(text)))?;
        Ok(Self::from_url(&url))
    }

    /// The code, once `state` matches and no error came back. The state is checked first: an
    /// error redirect with a foreign state is no more trustworthy than a code.
    pub fn code_for(&self, expected_state: &str) -> Result<String, RedirectError> {
        if self.state.as_deref() != Some(expected_state) {
            return Err(RedirectError::StateMismatch);
        }
        if let Some(e) = &self.error {
            let detail = match &self.error_description {
                Some(d) => format!("{e}: {d}"),
                None => e.clone(),
            };
            return Err(RedirectError::Denied(detail));
        }
        self.code.clone().ok_or(RedirectError::NoCode)
    }
}

fn shorten(text: &str) -> String {
    let mut s: String = text.chars().take(60).collect();
    if text.chars().count() > 60 {
        s.push('…');
    }
    s
}

/// Whether a redirect URI is served by the loopback listener: `https://127.0.0.1:PORT/PATH`
/// with an explicit port (0 picks a free one).
pub fn is_loopback(uri: &Url) -> bool {
    uri.scheme() == "https" && uri.host_str() == Some("127.0.0.1") && explicit_port(uri).is_some()
}

/// The port written in the URI (`url` drops `:443`, the scheme's default, which a user would
/// not pick for a listener anyway: it needs root).
fn explicit_port(uri: &Url) -> Option<u16> {
    uri.port()
}

/// A bound listener, ready for the browser.
pub struct Listener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    redirect_uri: Url,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("redirect_uri", &self.redirect_uri.as_str())
            .finish_non_exhaustive()
    }
}

impl Listener {
    /// Binds 127.0.0.1 on the URI's port and makes a certificate for 127.0.0.1.
    pub async fn bind(uri: &Url) -> Result<Self, RedirectError> {
        crate::client::install_crypto_provider();
        let port = explicit_port(uri).unwrap_or(0);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| RedirectError::Listen {
                addr: addr.to_string(),
                message: e.to_string(),
            })?;
        let bound = listener.local_addr().map_err(|e| RedirectError::Listen {
            addr: addr.to_string(),
            message: e.to_string(),
        })?;
        let mut redirect_uri = uri.clone();
        // The actual port goes into the authorize request and the code exchange alike.
        let _ = redirect_uri.set_port(Some(bound.port()));
        Ok(Self {
            tcp: listener,
            acceptor: acceptor()?,
            redirect_uri,
        })
    }

    /// The redirect URI with the port actually bound.
    pub fn redirect_uri(&self) -> &Url {
        &self.redirect_uri
    }

    /// Serves until a request arrives on the redirect path; answers the browser with a page
    /// saying what happened and returns the redirect (the state already checked).
    pub async fn wait(
        self,
        expected_state: &str,
        timeout: Duration,
    ) -> Result<String, RedirectError> {
        let (tx, mut rx) = mpsc::channel::<Result<String, RedirectError>>(1);
        let path = self.redirect_uri.path().to_owned();
        let expected = Arc::new(expected_state.to_owned());
        let acceptor = self.acceptor;
        let listener = self.tcp;
        let serve = async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    // Out of file descriptors, say: wait rather than spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                let path = path.clone();
                let expected = Arc::clone(&expected);
                tokio::spawn(async move {
                    // A browser probing with plain HTTP, or refusing the certificate, fails
                    // the handshake: it will retry once the user accepts the certificate.
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service =
                        hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                            let tx = tx.clone();
                            let path = path.clone();
                            let expected = Arc::clone(&expected);
                            async move {
                                Ok::<_, std::convert::Infallible>(
                                    answer(&req, &path, &expected, &tx).await,
                                )
                            }
                        });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(false)
                        .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                        .await;
                });
            }
        };
        tokio::select! {
            () = serve => Err(RedirectError::TimedOut(timeout)),
            got = rx.recv() => got.unwrap_or(Err(RedirectError::TimedOut(timeout))),
            () = tokio::time::sleep(timeout) => Err(RedirectError::TimedOut(timeout)),
        }
    }
}

async fn answer(
    req: &Request<hyper::body::Incoming>,
    path: &str,
    expected_state: &str,
    tx: &mpsc::Sender<Result<String, RedirectError>>,
) -> Response<Full<Bytes>> {
    if req.uri().path() != path {
        return page(
            StatusCode::NOT_FOUND,
            "Not found",
            "This is Courier's login listener.",
        );
    }
    let query = req.uri().query().unwrap_or_default();
    let redirect = Url::parse(&format!("https://127.0.0.1{path}?{query}")).map_or(
        Redirect {
            code: None,
            state: None,
            error: None,
            error_description: None,
        },
        |u| Redirect::from_url(&u),
    );
    let result = redirect.code_for(expected_state);
    let response = match &result {
        Ok(_) => page(
            StatusCode::OK,
            "Courier received the authorization",
            "You can close this tab and go back to the terminal.",
        ),
        Err(e) => page(
            StatusCode::BAD_REQUEST,
            "Courier login failed",
            &e.to_string(),
        ),
    };
    let _ = tx.send(result).await;
    response
}

fn page(status: StatusCode, title: &str, text: &str) -> Response<Full<Bytes>> {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head><body><h1>{t}</h1><p>{x}</p></body></html>\n",
        t = escape(title),
        x = escape(text)
    );
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response.headers_mut().insert(
        hyper::header::CACHE_CONTROL,
        hyper::header::HeaderValue::from_static("no-store"),
    );
    response
}

/// A TLS acceptor with a certificate for 127.0.0.1 made now, valid for this login only.
fn acceptor() -> Result<TlsAcceptor, RedirectError> {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .map_err(|e| RedirectError::Certificate(e.to_string()))?;
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let mut config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .map_err(|e| RedirectError::Certificate(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "a test stops at the first unexpected error (an allow: clippy.toml may already permit it)"
)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_need_https_127_0_0_1_and_a_port() {
        let yes = |s: &str| is_loopback(&Url::parse(s).unwrap());
        assert!(yes("https://127.0.0.1:8443/callback"));
        assert!(yes("https://127.0.0.1:0/callback"));
        assert!(!yes("https://127.0.0.1/callback"));
        assert!(!yes("https://localhost:8443/callback"));
        assert!(!yes("https://oauth.pstmn.io/v1/browser-callback"));
    }

    #[test]
    fn the_state_is_checked_before_anything_else() {
        let r = Redirect::from_pasted("https://x/cb?code=abc&state=s1").unwrap();
        assert_eq!(r.code_for("s1").unwrap(), "abc");
        assert_eq!(r.code_for("s2"), Err(RedirectError::StateMismatch));
        let denied =
            Redirect::from_pasted("https://x/cb?error=access_denied&error_description=no&state=s1")
                .unwrap();
        assert_eq!(
            denied.code_for("s1"),
            Err(RedirectError::Denied("access_denied: no".into()))
        );
        assert_eq!(denied.code_for("zz"), Err(RedirectError::StateMismatch));
        assert!(matches!(
            Redirect::from_pasted("code=abc"),
            Err(RedirectError::NotAUrl(_))
        ));
    }

    #[tokio::test]
    async fn the_listener_serves_tls_on_a_free_port_and_checks_state() {
        let uri = Url::parse("https://127.0.0.1:0/callback").unwrap();
        let listener = Listener::bind(&uri).await.unwrap();
        let bound = listener.redirect_uri().clone();
        assert_ne!(bound.port(), Some(0));
        let waiting = tokio::spawn(listener.wait("st", Duration::from_secs(30)));
        let client = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .no_proxy()
            .build()
            .unwrap();
        let other = client
            .get(bound.join("/favicon.ico").unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 404);
        let mut callback = bound.clone();
        callback.set_query(Some("code=the-code&state=st"));
        let ok = client.get(callback).send().await.unwrap();
        assert_eq!(ok.status(), 200);
        assert_eq!(waiting.await.unwrap().unwrap(), "the-code");
    }
}
