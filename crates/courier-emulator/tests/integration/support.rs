//! Shared helpers: start an emulator, get tokens, send requests, and snapshot bodies with what
//! varies redacted.

use courier_emulator::{Emulator, EmulatorOptions, Scope};
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

pub(crate) struct Harness {
    pub(crate) emulator: Emulator,
    pub(crate) client: Client,
}

/// A client that never follows redirects (authorize answers 302) and keeps connections.
pub(crate) fn client() -> Client {
    // reqwest is built with rustls-no-provider: plain http needs none, but building a client
    // wants a process-wide provider to exist.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client builds")
}

impl Harness {
    pub(crate) async fn start(options: EmulatorOptions) -> Harness {
        let emulator = courier_emulator::start(options)
            .await
            .expect("the emulator starts");
        Harness {
            emulator,
            client: client(),
        }
    }

    pub(crate) async fn default() -> Harness {
        Harness::start(EmulatorOptions::default()).await
    }

    pub(crate) async fn scoped(scope: Scope, seed: u64) -> Harness {
        Harness::start(EmulatorOptions {
            scope,
            seed,
            ..EmulatorOptions::default()
        })
        .await
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.base_url())
    }

    pub(crate) fn admin(&self, path: &str) -> String {
        format!("http://{}/__emulator/{path}", self.emulator.addr())
    }

    /// Raw token-endpoint call with form fields.
    pub(crate) async fn token_form(&self, fields: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .client
            .post(self.url("/oauth2/token"))
            .form(fields)
            .send()
            .await
            .expect("the token endpoint answers");
        let status = response.status();
        (status, response.json().await.expect("a JSON body"))
    }

    /// A client-credentials token for the emulator's own client and user.
    pub(crate) async fn token(&self) -> String {
        self.token_for(&self.emulator.credentials().username.clone())
            .await
    }

    pub(crate) async fn token_for(&self, username: &str) -> String {
        let credentials = self.emulator.credentials().clone();
        let (status, body) = self
            .token_form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &credentials.client_id),
                ("client_secret", &credentials.client_secret),
                ("username", username),
            ])
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }

    /// An API call with a bearer token and an optional JSON body.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the API answers");
        let status = response.status();
        let text = response.text().await.expect("a body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON body, got {text:?}"))
        };
        (status, value)
    }

    pub(crate) async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    pub(crate) async fn query(&self, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, "/services/core/query", token, Some(body))
            .await
    }

    pub(crate) async fn stats(&self) -> Value {
        self.client
            .get(self.admin("stats"))
            .send()
            .await
            .expect("stats answer")
            .json()
            .await
            .expect("stats are JSON")
    }
}

/// A GET with a bearer token: the status, the headers and the JSON body. A free function
/// (not a method of [`Harness`]) so that spawned tasks can call it with a cloned client.
pub(crate) async fn get_with_headers(
    client: &Client,
    url: &str,
    token: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let response = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("answers");
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.json().await.expect("JSON"))
}

/// The `ia::error` of an error body.
pub(crate) fn error_of(body: &Value) -> &Value {
    &body["ia::result"]["ia::error"]
}

/// Snapshot a JSON body with its volatile parts (support ids, tokens, timestamps of records
/// made during the test) redacted.
#[macro_export]
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::assert_json_snapshot!($name, $value, {
            ".**.supportId" => "[supportId]",
            ".access_token" => "[token]",
            ".refresh_token" => "[token]",
        })
    };
}
