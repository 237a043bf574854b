//! OAuth 2.0: the three grants, PKCE, redirect URI rules, refresh rotation, client scope,
//! revocation and token expiry.

use std::time::Duration;

use base64::Engine as _;
use courier_emulator::{EmulatorOptions, Scope, default_credentials};
use reqwest::{Method, StatusCode};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::snapshot;
use crate::support::{Harness, error_of};

const VERIFIER: &str = "dBjftJeZ4CVP-mJ92ZXbyoHGQvRpGRRg7Bp7bpHqQmUQqGtTXWRHNkTpJb";
const VENDOR: &str = "/objects/accounts-payable/vendor/84";

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Call authorize and return the Location header of its 302.
async fn authorize(harness: &Harness, params: &[(&str, &str)]) -> (StatusCode, String) {
    let response = harness
        .client
        .get(harness.url("/oauth2/authorize"))
        .query(params)
        .send()
        .await
        .expect("authorize answers");
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, location)
}

fn query_param(location: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(location).expect("an absolute Location");
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

async fn code_for(harness: &Harness, redirect_uri: &str, scope: &str) -> String {
    let client_id = harness.emulator.credentials().client_id.clone();
    let challenge = challenge(VERIFIER);
    let (status, location) = authorize(
        harness,
        &[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", redirect_uri),
            ("state", "xyz-123"),
            ("scope", scope),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(location.starts_with(redirect_uri), "{location}");
    assert_eq!(query_param(&location, "state").as_deref(), Some("xyz-123"));
    query_param(&location, "code").expect("a code")
}

async fn exchange(
    harness: &Harness,
    code: &str,
    redirect_uri: &str,
    verifier: Option<&str>,
) -> (StatusCode, serde_json::Value) {
    let credentials = harness.emulator.credentials().clone();
    let mut fields = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("client_id", credentials.client_id.as_str()),
        ("client_secret", credentials.client_secret.as_str()),
    ];
    if let Some(verifier) = verifier {
        fields.push(("code_verifier", verifier));
    }
    harness.token_form(&fields).await
}

#[tokio::test]
async fn client_credentials_grant_returns_intacct_token_response() {
    let harness = Harness::default().await;
    let (status, body) = harness
        .token_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "courier-np.app.sage.com"),
            ("client_secret", "courier-np-secret"),
            ("username", "ci-bot@COURIER-SANDBOX"),
        ])
        .await;
    assert_eq!(status, StatusCode::OK);
    snapshot!("client_credentials_token", &body);
    let token = body["access_token"].as_str().expect("a token");
    assert_eq!(token.split('.').count(), 3, "a JWT-shaped token");
    assert!(
        body["refresh_token"].is_string(),
        "client credentials come with a refresh token"
    );
    let (status, _) = harness.get(VENDOR, token).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn token_endpoint_takes_json_bodies_and_http_basic() {
    let harness = Harness::default().await;
    let json_body = harness
        .client
        .post(harness.url("/oauth2/token"))
        .json(
            &json!({"grant_type": "client_credentials", "client_id": "courier-np.app.sage.com",
                      "client_secret": "courier-np-secret", "username": "ci-bot@COURIER-SANDBOX"}),
        )
        .send()
        .await
        .expect("answers");
    assert_eq!(json_body.status(), StatusCode::OK);
    let basic = harness
        .client
        .post(harness.url("/oauth2/token"))
        .basic_auth("courier-np.app.sage.com", Some("courier-np-secret"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("username", "ci-bot@courier-sandbox"),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(
        basic.status(),
        StatusCode::OK,
        "company ids are case-insensitive"
    );
    let wrong_basic = harness
        .client
        .post(harness.url("/oauth2/token"))
        .basic_auth("courier-np.app.sage.com", Some("nope"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("username", "ci-bot@COURIER-SANDBOX"),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(wrong_basic.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong_basic
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Basic realm=\"intacct\"")
    );
    let body: serde_json::Value = wrong_basic.json().await.expect("json");
    snapshot!("invalid_client_secret", &body);
}

/// A named token request and the status it must get.
type TokenCase<'a> = (&'a str, Vec<(&'a str, &'a str)>, StatusCode);

#[tokio::test]
async fn token_endpoint_errors_are_rfc_6749_bodies() {
    let harness = Harness::default().await;
    let id = "courier-np.app.sage.com";
    let secret = "courier-np-secret";
    let cases: Vec<TokenCase<'_>> = vec![
        (
            "missing_grant_type",
            vec![("client_id", id), ("client_secret", secret)],
            StatusCode::BAD_REQUEST,
        ),
        (
            "unsupported_grant_type",
            vec![
                ("grant_type", "password"),
                ("client_id", id),
                ("client_secret", secret),
            ],
            StatusCode::BAD_REQUEST,
        ),
        (
            "wrong_username",
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
                ("username", "admin@COURIER-SANDBOX"),
            ],
            StatusCode::BAD_REQUEST,
        ),
        (
            "missing_username",
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
            ],
            StatusCode::BAD_REQUEST,
        ),
        (
            "unknown_entity",
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
                ("username", "ci-bot@COURIER-SANDBOX|FR"),
            ],
            StatusCode::BAD_REQUEST,
        ),
        (
            "unknown_client",
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "who.app.sage.com"),
                ("client_secret", secret),
            ],
            StatusCode::UNAUTHORIZED,
        ),
        (
            "dead_refresh_token",
            vec![
                ("grant_type", "refresh_token"),
                ("client_id", id),
                ("client_secret", secret),
                ("refresh_token", "nope"),
            ],
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (name, fields, expected) in &cases {
        let (status, body) = harness.token_form(fields).await;
        assert_eq!(status, *expected, "{name}: {body}");
        assert_eq!(
            body.as_object().map(serde_json::Map::len),
            Some(2),
            "{name}: only error and description"
        );
        snapshot!(format!("token_error_{name}"), &body);
    }
    let stats = harness.stats().await;
    assert_eq!(stats["token_errors"], json!(cases.len()));
    assert_eq!(
        stats["token_requests"]["other"],
        json!(2),
        "missing and unsupported grant types"
    );
}

#[tokio::test]
async fn the_other_scopes_client_is_refused_naming_its_client_scope() {
    for (scope, other) in [
        (Scope::NonProduction, Scope::Production),
        (Scope::Production, Scope::NonProduction),
    ] {
        let harness = Harness::scoped(scope, 0).await;
        let foreign = default_credentials(other);
        let (status, body) = harness
            .token_form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &foreign.client_id),
                ("client_secret", &foreign.client_secret),
                ("username", &foreign.username),
            ])
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"], "invalid_client");
        let description = body["error_description"].as_str().expect("a description");
        assert!(
            description.contains(&format!("the {other} client scope")),
            "{description}"
        );
        if scope == Scope::NonProduction {
            snapshot!("client_scope_mismatch", &body);
        }
        // The own scope's client works.
        let own = default_credentials(scope);
        assert_eq!(harness.emulator.credentials(), &own);
        harness.token().await;
    }
}

#[tokio::test]
async fn credentials_can_be_replaced_for_the_own_scope() {
    let harness = Harness::start(EmulatorOptions {
        client_id: Some("mine.app.sage.com".into()),
        client_secret: Some("s3cret".into()),
        username: Some("robot@ACME".into()),
        ..EmulatorOptions::default()
    })
    .await;
    let (status, _) = harness
        .token_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "mine.app.sage.com"),
            ("client_secret", "s3cret"),
            ("username", "robot@ACME"),
        ])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = harness
        .token_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "courier-np.app.sage.com"),
            ("client_secret", "courier-np-secret"),
            ("username", "robot@ACME"),
        ])
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the replaced default is gone: {body}"
    );
}

#[tokio::test]
async fn authorization_code_grant_with_pkce_is_single_use() {
    let harness = Harness::default().await;
    let redirect = "https://127.0.0.1:8443/callback";
    let code = code_for(&harness, redirect, "offline_access").await;
    let (status, body) = exchange(&harness, &code, redirect, Some(VERIFIER)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    snapshot!("authorization_code_token", &body);
    let access = body["access_token"].as_str().expect("access token");
    assert_eq!(harness.get(VENDOR, access).await.0, StatusCode::OK);
    // Single use.
    let (status, body) = exchange(&harness, &code, redirect, Some(VERIFIER)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    let stats = harness.stats().await;
    assert_eq!(stats["token_requests"]["authorization_code"], 2);
    assert_eq!(stats["authorize_requests"], 1);
}

#[tokio::test]
async fn pkce_verifier_must_match_the_challenge() {
    let harness = Harness::default().await;
    let redirect = "https://127.0.0.1/callback";
    let code = code_for(&harness, redirect, "offline_access").await;
    let (status, body) = exchange(&harness, &code, redirect, Some("x".repeat(50).as_str())).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    snapshot!("pkce_mismatch", &body);
    let code = code_for(&harness, redirect, "offline_access").await;
    let (status, body) = exchange(&harness, &code, redirect, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    // A plain challenge method is refused at authorize, redirected with the state.
    let (status, location) = authorize(
        &harness,
        &[
            ("response_type", "code"),
            ("client_id", "courier-np.app.sage.com"),
            ("redirect_uri", redirect),
            ("state", "s1"),
            ("code_challenge", VERIFIER),
            ("code_challenge_method", "plain"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some("s1"));
}

#[tokio::test]
async fn the_redirect_uri_must_match_the_authorize_request() {
    let harness = Harness::default().await;
    let code = code_for(
        &harness,
        "https://127.0.0.1:9000/callback",
        "offline_access",
    )
    .await;
    let (status, body) = exchange(
        &harness,
        &code,
        "https://127.0.0.1:9001/callback",
        Some(VERIFIER),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn without_offline_access_there_is_no_refresh_token() {
    let harness = Harness::default().await;
    let redirect = "https://oauth.pstmn.io/v1/browser-callback";
    let code = code_for(&harness, redirect, "").await;
    let (status, body) = exchange(&harness, &code, redirect, Some(VERIFIER)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.get("refresh_token").is_none(), "{body}");
}

#[tokio::test]
async fn redirect_uris_follow_intacts_registration_rules() {
    let harness = Harness::start(EmulatorOptions {
        redirect_uris: vec!["https://app.example.com/oauth/done".into()],
        ..EmulatorOptions::default()
    })
    .await;
    let client = "courier-np.app.sage.com";
    let attempt = |redirect: &'static str| {
        let harness = &harness;
        async move {
            let response = harness
                .client
                .get(harness.url("/oauth2/authorize"))
                .query(&[
                    ("response_type", "code"),
                    ("client_id", client),
                    ("redirect_uri", redirect),
                    ("state", "st"),
                ])
                .send()
                .await
                .expect("answers");
            let status = response.status();
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = response.text().await.unwrap_or_default();
            (status, location, body)
        }
    };
    // Registered ones, and the loopback one on any port.
    for ok in [
        "https://app.example.com/oauth/done",
        "https://127.0.0.1/callback",
        "https://127.0.0.1:53682/callback",
        "https://oauth.pstmn.io/v1/browser-callback",
    ] {
        let (status, location, _) = attempt(ok).await;
        assert_eq!(status, StatusCode::FOUND, "{ok}");
        assert!(
            location.is_some_and(|l| l.starts_with(ok)
                && l.contains("code=")
                && l.ends_with("state=st"))
        );
    }
    let (status, location, body) = attempt("http://127.0.0.1/callback").await;
    assert_eq!(
        (status, location),
        (StatusCode::BAD_REQUEST, None),
        "http:// is never redirected to"
    );
    snapshot!(
        "authorize_http_redirect_refused",
        &serde_json::from_str::<serde_json::Value>(&body).expect("json")
    );
    let (status, _, body) = attempt("https://evil.example.com/callback").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    snapshot!(
        "authorize_unregistered_redirect",
        &serde_json::from_str::<serde_json::Value>(&body).expect("json")
    );
    let (status, _, _) = attempt("https://127.0.0.1:8443/other").await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "loopback matching ignores only the port"
    );
    // A wrong response type is redirected back with the error and state.
    let response = harness
        .client
        .get(harness.url("/oauth2/authorize"))
        .query(&[
            ("response_type", "token"),
            ("client_id", client),
            ("redirect_uri", "https://127.0.0.1/callback"),
            ("state", "st"),
        ])
        .send()
        .await
        .expect("answers");
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("unsupported_response_type")
    );
    // The other scope's client and unknown clients are shown an error, not redirected.
    let response = harness
        .client
        .get(harness.url("/oauth2/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", "courier-prod.app.sage.com"),
            ("redirect_uri", "https://127.0.0.1/callback"),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn deny_authorize_redirects_with_access_denied_and_the_state() {
    let harness = Harness::start(EmulatorOptions {
        deny_authorize: true,
        ..EmulatorOptions::default()
    })
    .await;
    let (status, location) = authorize(
        &harness,
        &[
            ("response_type", "code"),
            ("client_id", "courier-np.app.sage.com"),
            ("redirect_uri", "https://127.0.0.1:7000/callback"),
            ("state", "abc"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(location.starts_with("https://127.0.0.1:7000/callback?"));
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some("abc"));
    assert!(query_param(&location, "code").is_none());
}

async fn refresh(harness: &Harness, token: &str) -> (StatusCode, serde_json::Value) {
    harness
        .token_form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", "courier-np.app.sage.com"),
            ("client_secret", "courier-np-secret"),
        ])
        .await
}

async fn first_refresh_token(harness: &Harness) -> String {
    let (_, body) = harness
        .token_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "courier-np.app.sage.com"),
            ("client_secret", "courier-np-secret"),
            ("username", "ci-bot@COURIER-SANDBOX"),
        ])
        .await;
    body["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned()
}

#[tokio::test]
async fn refresh_tokens_keep_working_without_rotation() {
    let harness = Harness::default().await;
    let refresh_token = first_refresh_token(&harness).await;
    for _ in 0..2 {
        let (status, body) = refresh(&harness, &refresh_token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["refresh_token"].as_str(), Some(refresh_token.as_str()));
        let access = body["access_token"].as_str().expect("access");
        assert_eq!(harness.get(VENDOR, access).await.0, StatusCode::OK);
    }
    assert_eq!(harness.stats().await["token_requests"]["refresh_token"], 2);
}

#[tokio::test]
async fn rotated_refresh_tokens_stop_working_once_used() {
    let harness = Harness::start(EmulatorOptions {
        rotate_refresh_tokens: true,
        ..EmulatorOptions::default()
    })
    .await;
    let first = first_refresh_token(&harness).await;
    let (status, body) = refresh(&harness, &first).await;
    assert_eq!(status, StatusCode::OK);
    let second = body["refresh_token"]
        .as_str()
        .expect("a rotated token")
        .to_owned();
    assert_ne!(first, second);
    let (status, body) = refresh(&harness, &first).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, _) = refresh(&harness, &second).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn revoking_one_token_revokes_every_token_of_the_user_and_company() {
    let harness = Harness::default().await;
    let first = harness.token().await;
    let second = harness.token().await;
    let refresh_token = first_refresh_token(&harness).await;
    let response = harness
        .client
        .post(harness.url("/oauth2/revoke"))
        .form(&[
            ("token", first.as_str()),
            ("client_id", "courier-np.app.sage.com"),
            ("client_secret", "courier-np-secret"),
        ])
        .send()
        .await
        .expect("revoke answers");
    assert_eq!(response.status(), StatusCode::OK);
    for token in [&first, &second] {
        let (status, body) = harness.get(VENDOR, token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(error_of(&body)["errorId"], "REST-2102");
        assert_eq!(error_of(&body)["code"], "tokenInvalid");
    }
    let (status, body) = refresh(&harness, &refresh_token).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    // New tokens work again.
    let fresh = harness.token().await;
    assert_eq!(harness.get(VENDOR, &fresh).await.0, StatusCode::OK);
    // Revoke needs client authentication.
    let response = harness
        .client
        .post(harness.url("/oauth2/revoke"))
        .form(&[
            ("token", fresh.as_str()),
            ("client_id", "courier-np.app.sage.com"),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(harness.get(VENDOR, &fresh).await.0, StatusCode::OK);
    assert_eq!(harness.stats().await["revocations"], 1);
}

#[tokio::test]
async fn revoke_all_revokes_every_token() {
    let harness = Harness::default().await;
    let np = harness.token().await;
    let entity = harness.token_for("ci-bot@COURIER-SANDBOX|US").await;
    let response = harness
        .client
        .post(harness.admin("revoke-all"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(
        body,
        json!({"revoked": 4}),
        "two access and two refresh tokens"
    );
    for token in [&np, &entity] {
        assert_eq!(harness.get(VENDOR, token).await.0, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn tokens_expire_after_their_ttl() {
    let harness = Harness::start(EmulatorOptions {
        token_ttl: Duration::from_secs(1),
        ..EmulatorOptions::default()
    })
    .await;
    let (_, body) = harness
        .token_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "courier-np.app.sage.com"),
            ("client_secret", "courier-np-secret"),
            ("username", "ci-bot@COURIER-SANDBOX"),
        ])
        .await;
    assert_eq!(body["expires_in"], 1);
    let token = body["access_token"].as_str().expect("token");
    let refresh_token = body["refresh_token"].as_str().expect("refresh token");
    assert_eq!(harness.get(VENDOR, token).await.0, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let (status, body) = harness.call(Method::GET, VENDOR, token, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    snapshot!("expired_token", &body);
    // The refresh grant brings a working token back.
    let (status, body) = refresh(&harness, refresh_token).await;
    assert_eq!(status, StatusCode::OK);
    let fresh = body["access_token"].as_str().expect("token");
    assert_eq!(harness.get(VENDOR, fresh).await.0, StatusCode::OK);
}
