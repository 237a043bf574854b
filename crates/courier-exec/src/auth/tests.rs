//! Unit tests of the auth module: renewal margins, redaction of every credential in `Debug`,
//! and sessions against the in-process emulator.
#![allow(
    clippy::unwrap_used,
    reason = "a test stops at the first unexpected error (an allow: clippy.toml may already permit it)"
)]
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use courier_core::model::{ClientAuth, Grant};
use courier_core::secret::Secrets;

use super::token::{Token, adopt, margin};
use super::*;
use crate::limits::Limiter;
use crate::token_cache::{CachedSession, TokenCache};

#[test]
fn the_margin_is_30s_or_a_tenth_whichever_is_less() {
    assert_eq!(margin(Duration::from_hours(12)), Duration::from_secs(30));
    assert_eq!(margin(Duration::from_secs(100)), Duration::from_secs(10));
    assert_eq!(margin(Duration::from_secs(2)), Duration::from_millis(200));
}

fn stored(obtained_ago: i64, lifetime: i64) -> CachedSession {
    let obtained_at = Utc::now() - chrono::Duration::seconds(obtained_ago);
    CachedSession {
        environment: "e".into(),
        profile: "p".into(),
        token_url: "https://x/token".into(),
        client_id: "c".into(),
        username: None,
        grant: Some("refresh_token".into()),
        client_id_secret: Some(false),
        username_secret: Some(false),
        access_token: Some("acc".into()),
        refresh_token: Some("ref".into()),
        token_type: Some("bearer".into()),
        scope: None,
        expires_at: Some(obtained_at + chrono::Duration::seconds(lifetime)),
        obtained_at,
    }
}

#[test]
fn a_stored_token_is_adopted_only_while_fresh_and_not_rejected() {
    assert!(adopt(&stored(10, 3600), None).is_some());
    // 3600 s lifetime: renewed when less than 30 s remain.
    assert!(adopt(&stored(3575, 3600), None).is_none());
    assert!(adopt(&stored(4000, 3600), None).is_none());
    assert!(adopt(&stored(10, 3600), Some("acc")).is_none());
    let mut no_expiry = stored(10, 3600);
    no_expiry.expires_at = None;
    assert!(adopt(&no_expiry, None).is_some_and(|t| t.renew_at.is_none()));
}

#[test]
fn the_cache_key_takes_intacct_username_from_token_params() {
    let s = OAuth2Settings {
        grant: Grant::RefreshToken,
        token_url: "https://x/token".into(),
        authorize_url: None,
        revoke_url: None,
        redirect_uri: None,
        pkce: true,
        client_id: "cid".into(),
        client_id_secret: false,
        client_secret: None,
        refresh_token: None,
        refresh_token_from: None,
        scope: None,
        token_params: vec![("username".into(), "ci@CO".into())],
        username_secret: false,
        client_auth: ClientAuth::Body,
    };
    let key = s.cache_key("sandbox", "intacct");
    assert_eq!(key.username.as_deref(), Some("ci@CO"));
    assert!(s.is_cacheable());
    let cc = OAuth2Settings {
        grant: Grant::ClientCredentials,
        ..s
    };
    assert!(!cc.is_cacheable());
}

/// A stray `{:?}` of a profile or a token shows no credential.
#[test]
fn debug_hides_the_credentials() {
    let s = OAuth2Settings {
        grant: Grant::RefreshToken,
        token_url: "https://x/token".into(),
        authorize_url: None,
        revoke_url: None,
        redirect_uri: None,
        pkce: true,
        client_id: "cid".into(),
        client_id_secret: false,
        client_secret: Some("client-secret-value".into()),
        refresh_token: Some("refresh-token-value".into()),
        refresh_token_from: None,
        scope: None,
        token_params: Vec::new(),
        username_secret: false,
        client_auth: ClientAuth::Body,
    };
    let token = Token {
        access: "access-token-value".into(),
        refresh: Some("refresh-token-value".into()),
        scope: None,
        renew_at: None,
        obtained_at: Utc::now(),
    };
    let shown = format!(
        "{:?} {:?} {:?} {token:?}",
        ResolvedAuth::OAuth2(s),
        ResolvedAuth::Bearer("bearer-token-value".into()),
        ResolvedAuth::Basic {
            username: "me".into(),
            password: "basic-password-value".into()
        },
    );
    assert!(!shown.contains("-value"), "{shown}");
    assert!(
        shown.contains("cid") && shown.contains("[REDACTED]"),
        "{shown}"
    );
}

/// Sessions against an in-process emulator, with one OAuth profile `p`.
fn against(
    emulator: &courier_emulator::Emulator,
    grant: Grant,
    refresh_token: Option<String>,
    cache: Option<TokenCache>,
) -> (Sessions, Arc<Secrets>) {
    let creds = emulator.credentials();
    let settings = OAuth2Settings {
        grant,
        token_url: format!("{}/oauth2/token", emulator.base_url()),
        authorize_url: None,
        revoke_url: None,
        redirect_uri: None,
        pkce: true,
        client_id: creds.client_id.clone(),
        client_id_secret: false,
        client_secret: Some(creds.client_secret.clone().into()),
        refresh_token: refresh_token.map(Into::into),
        refresh_token_from: None,
        scope: None,
        token_params: vec![("username".into(), creds.username.clone())],
        username_secret: false,
        client_auth: ClientAuth::Body,
    };
    let secrets = Secrets::new();
    let profiles = HashMap::from([("p".to_owned(), ResolvedAuth::OAuth2(settings))]);
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let sessions = Sessions::new(
        "env",
        profiles,
        client,
        Arc::new(Limiter::unlimited()),
        Arc::clone(&secrets),
    )
    .with_cache(cache);
    (sessions, secrets)
}

fn grants(emulator: &courier_emulator::Emulator, grant: &str) -> u64 {
    emulator.stats()["token_requests"][grant].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_share_one_token_request() {
    crate::client::install_crypto_provider();
    let emulator = courier_emulator::start(courier_emulator::EmulatorOptions::default())
        .await
        .unwrap();
    let (sessions, secrets) = against(&emulator, Grant::ClientCredentials, None, None);
    let sessions = Arc::new(sessions);
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let s = Arc::clone(&sessions);
        tasks.push(tokio::spawn(async move { s.authorization("p").await }));
    }
    let mut headers = Vec::new();
    for t in tasks {
        headers.push(t.await.unwrap().unwrap().unwrap());
    }
    assert!(headers.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(grants(&emulator, "client_credentials"), 1);
    assert_eq!(sessions.token_requests(), 1);
    // The issued token joined the secrets before anyone could print it.
    let token = headers[0].to_str().unwrap().trim_start_matches("Bearer ");
    assert_eq!(secrets.redact(token), "[REDACTED]");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_renews_once_for_every_request_that_used_the_old_token() {
    crate::client::install_crypto_provider();
    let emulator = courier_emulator::start(courier_emulator::EmulatorOptions::default())
        .await
        .unwrap();
    let (sessions, _) = against(&emulator, Grant::ClientCredentials, None, None);
    let old = sessions.authorization("p").await.unwrap().unwrap();
    let first = sessions.renew_after_401("p", &old).await.unwrap().unwrap();
    let second = sessions.renew_after_401("p", &old).await.unwrap().unwrap();
    assert_ne!(first, old);
    assert_eq!(first, second, "the second 401 reuses the first renewal");
    assert_eq!(grants(&emulator, "client_credentials"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_refresh_is_asked_once_and_says_to_log_in() {
    crate::client::install_crypto_provider();
    let emulator = courier_emulator::start(courier_emulator::EmulatorOptions::default())
        .await
        .unwrap();
    let (sessions, _) = against(
        &emulator,
        Grant::RefreshToken,
        Some("not-a-live-refresh-token".into()),
        None,
    );
    for _ in 0..3 {
        let e = sessions.authorization("p").await.unwrap_err();
        assert!(
            e.message
                .contains("run `courier auth login --env env --profile p`"),
            "{}",
            e.message
        );
        assert!(
            !e.message.contains("not-a-live-refresh-token"),
            "{}",
            e.message
        );
    }
    assert_eq!(grants(&emulator, "refresh_token"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_adopts_the_session_a_first_run_stored() {
    crate::client::install_crypto_provider();
    let emulator = courier_emulator::start(courier_emulator::EmulatorOptions {
        rotate_refresh_tokens: true,
        ..courier_emulator::EmulatorOptions::default()
    })
    .await
    .unwrap();
    let creds = emulator.credentials().clone();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let issued: serde_json::Value = serde_json::from_slice(
        &http
            .post(format!("{}/oauth2/token", emulator.base_url()))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", creds.client_id.as_str()),
                ("client_secret", creds.client_secret.as_str()),
                ("username", creds.username.as_str()),
            ])
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    let configured = issued["refresh_token"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let cache = TokenCache::at(dir.path().join("tokens.json"));
    let (first, _) = against(
        &emulator,
        Grant::RefreshToken,
        Some(configured.clone()),
        Some(cache.clone()),
    );
    let (second, _) = against(
        &emulator,
        Grant::RefreshToken,
        Some(configured),
        Some(cache.clone()),
    );
    let a = first.authorization("p").await.unwrap().unwrap();
    // The configured refresh token was rotated away by the first run; the second must
    // take the stored session instead of sending it.
    let b = second.authorization("p").await.unwrap().unwrap();
    assert_eq!(a, b);
    assert_eq!(grants(&emulator, "refresh_token"), 1);
    // Both were refused: each renews once, the second through the first's new session.
    let a2 = first.renew_after_401("p", &a).await.unwrap().unwrap();
    let b2 = second.renew_after_401("p", &b).await.unwrap().unwrap();
    assert_eq!(a2, b2);
    assert_eq!(grants(&emulator, "refresh_token"), 2);
    assert_eq!(emulator.stats()["token_errors"], 0);
    let stored = cache.load().unwrap();
    assert_eq!(stored.sessions.len(), 1);
}
