//! What `-v` shows of an exchange: the request as sent and the response as received, with
//! credential headers and every known secret replaced by `[REDACTED]`, bodies cut at 16 KiB.

use std::fmt::Write as _;

use reqwest::header::HeaderValue;

use courier_core::secret::Secrets;

use crate::client::{Prepared, Received};
use courier_events::Exchange;

/// How much of a body `-v` prints.
const VERBOSE_BODY_LIMIT: usize = 16 * 1024;

/// The request and response as text for `-v`, with credentials and secrets hidden.
pub(crate) fn exchange(p: &Prepared, rec: &Received, secrets: &Secrets) -> Exchange {
    let mut request = format!("> {} {}\n", p.method, p.url);
    // The headers as sent (the session's `Authorization`, the jar's `Cookie` included), so
    // `-v` shows that a request was authenticated and how (docs/cli.md#verbose-output).
    for (k, v) in &rec.sent_headers {
        let _ = writeln!(request, "> {}: {}", k, header_shown(k.as_str(), v));
    }
    if let Some(b) = &p.body {
        request.push_str(&body_shown(b));
    }
    let mut response = format!("< {}\n", rec.status);
    for (k, v) in &rec.headers {
        let _ = writeln!(response, "< {}: {}", k, header_shown(k.as_str(), v));
    }
    response.push_str(&body_shown(&rec.body));
    Exchange {
        request: secrets.redact(&request).into_owned(),
        response: secrets.redact(&response).into_owned(),
    }
}

fn header_shown(name: &str, v: &HeaderValue) -> String {
    let lower = name.to_ascii_lowercase();
    if matches!(lower.as_str(), "authorization" | "proxy-authorization") {
        // The scheme says how the request was authenticated; the credentials stay hidden:
        // `Bearer [REDACTED]`.
        let text = String::from_utf8_lossy(v.as_bytes());
        match text.split_once(' ') {
            Some((scheme, _))
                if scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-') =>
            {
                format!("{scheme} {}", courier_core::secret::REDACTED)
            }
            _ => courier_core::secret::REDACTED.to_owned(),
        }
    } else if matches!(lower.as_str(), "cookie" | "set-cookie") {
        courier_core::secret::REDACTED.to_owned()
    } else {
        String::from_utf8_lossy(v.as_bytes()).into_owned()
    }
}

fn body_shown(b: &[u8]) -> String {
    if b.is_empty() {
        return String::new();
    }
    let text = String::from_utf8_lossy(&b[..b.len().min(VERBOSE_BODY_LIMIT)]).into_owned();
    let more = if b.len() > VERBOSE_BODY_LIMIT {
        format!("\n… ({} more bytes)", b.len() - VERBOSE_BODY_LIMIT)
    } else {
        String::new()
    };
    format!("{text}{more}\n")
}

/// The credentials of a token request's form and of its answer: shown as `[REDACTED]` whether
/// or not the run knows them as secrets (an issued token is new to it).
const TOKEN_FIELDS: [&str; 7] = [
    "client_secret",
    "refresh_token",
    "access_token",
    "id_token",
    "code",
    "code_verifier",
    "password",
];

/// A token request as `-v` shows it: `> POST url`, the headers, the form with its
/// credentials hidden.
pub(crate) fn token_request_shown(r: &reqwest::Request) -> String {
    let mut out = format!("> {} {}\n", r.method(), r.url());
    for (k, v) in r.headers() {
        let _ = writeln!(out, "> {}: {}", k, header_shown(k.as_str(), v));
    }
    if let Some(body) = r.body().and_then(reqwest::Body::as_bytes) {
        let form: Vec<String> = url::form_urlencoded::parse(body)
            .map(|(k, v)| {
                let v = if TOKEN_FIELDS.contains(&k.as_ref()) {
                    courier_core::secret::REDACTED.into()
                } else {
                    v
                };
                format!("{k}={v}")
            })
            .collect();
        let _ = writeln!(out, "{}", form.join("&"));
    }
    out
}

/// A token endpoint's answer as `-v` shows it, with the tokens in a JSON body hidden.
pub(crate) fn token_response_shown(
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
) -> String {
    let mut out = format!("< {status}\n");
    for (k, v) in headers {
        let _ = writeln!(out, "< {}: {}", k, header_shown(k.as_str(), v));
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(mut map)) => {
            for field in TOKEN_FIELDS {
                if let Some(v) = map.get_mut(field) {
                    *v = serde_json::Value::String(courier_core::secret::REDACTED.to_owned());
                }
            }
            let text = serde_json::to_string(&map).unwrap_or_default();
            let _ = writeln!(out, "{text}");
        }
        // Not a JSON object: an error page, shown as received (the run's secrets still apply).
        _ => out.push_str(&body_shown(body)),
    }
    out
}
