//! Preparing one request: every template of its URL, query, headers and body rendered with
//! the request's variables, into the [`Prepared`] request that is sent (and resent, unchanged,
//! by retries). A template that fails names its position and fails the request.

use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

use courier_core::diag::Span;
use courier_core::fs::{self, InputKind};
use courier_core::model::{Body, BodyFile, Collection, PartValue, Request};
use courier_core::secret::Secrets;
use courier_core::template::Vars;

use crate::auth::form_encode;
use crate::client::{self, BodyCap, Prepared};

/// The request timeout when neither the request nor its collection sets one
/// (docs/collections.md#requests).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest response body, decoded, when neither `--max-body`, the collection's `defaults`
/// nor the request sets one (docs/collections.md#response-size).
pub const DEFAULT_MAX_BODY: u64 = 64 << 20;

/// Renders everything a request sends.
pub(crate) fn prepare(
    secrets: &Secrets,
    c: &Collection,
    r: &Request,
    vars: &Vars,
    run_max_body: u64,
) -> Result<Prepared, String> {
    let render = |t: &courier_core::model::STemplate, what: &str| -> Result<String, String> {
        t.value.render(vars).map_err(|e| {
            format!(
                "{what} failed to render ({}): {}",
                location(c, t.span),
                secrets.redact(&e.message)
            )
        })
    };
    let url_text = render(&r.url, "`url`")?;
    let mut url = url::Url::parse(&url_text).map_err(|e| {
        format!(
            "`{}` is not a valid URL ({}): {e}",
            secrets.redact(&url_text),
            location(c, r.url.span)
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "`{}` is not an http or https URL ({})",
            secrets.redact(&url_text),
            location(c, r.url.span)
        ));
    }
    if !r.query.is_empty() {
        let mut pairs = Vec::with_capacity(r.query.len());
        for (k, t) in &r.query {
            pairs.push((k.value.clone(), render(t, &format!("query `{}`", k.value))?));
        }
        let mut q = url.query_pairs_mut();
        for (k, v) in &pairs {
            q.append_pair(k, v);
        }
    }
    let mut headers = HeaderMap::new();
    // Defaults first, then the request's: the request wins, names compared without case.
    for h in c.defaults.headers.iter().chain(r.headers.iter()) {
        let value = render(&h.value, &format!("header `{}`", h.name.value))?;
        let (name, value) = client::header_pair(&h.name.value, &value)
            .map_err(|e| format!("{e} ({})", location(c, h.value.span)))?;
        headers.insert(name, value);
    }
    let body = match r.body.as_deref() {
        None => None,
        Some(Body::Json(v)) => {
            let json = v.render(vars).map_err(|(e, span)| {
                format!(
                    "`json` failed to render ({}): {}",
                    location(c, span),
                    secrets.redact(&e.message)
                )
            })?;
            headers
                .entry(CONTENT_TYPE)
                .or_insert(HeaderValue::from_static("application/json"));
            Some(Bytes::from(
                serde_json::to_vec(&json).map_err(|e| e.to_string())?,
            ))
        }
        Some(Body::Form(fields)) => {
            let mut parts = Vec::with_capacity(fields.len());
            for (k, t) in fields {
                let v = render(t, &format!("form field `{}`", k.value))?;
                parts.push(format!("{}={}", form_encode(&k.value), form_encode(&v)));
            }
            headers
                .entry(CONTENT_TYPE)
                .or_insert(HeaderValue::from_static(
                    "application/x-www-form-urlencoded",
                ));
            Some(Bytes::from(parts.join("&")))
        }
        Some(Body::Text(t)) => {
            let text = render(t, "`body`")?;
            headers
                .entry(CONTENT_TYPE)
                .or_insert(HeaderValue::from_static("text/plain; charset=utf-8"));
            Some(Bytes::from(text))
        }
        Some(Body::File(f)) => {
            if let Some(t) = f.content_type {
                headers
                    .entry(CONTENT_TYPE)
                    .or_insert(HeaderValue::from_static(t));
            }
            Some(Bytes::from(read_file(c, f)?))
        }
        Some(Body::Multipart(parts)) => {
            let (bytes, content_type) = crate::multipart::encode(parts, |p| match &p.value {
                PartValue::Text(t) => render(t, &format!("multipart part `{}`", p.name.value))
                    .map(|s| (s.into_bytes(), None)),
                PartValue::Json(v) => {
                    let json = v.render(vars).map_err(|(e, span)| {
                        format!(
                            "multipart part `{}` failed to render ({}): {}",
                            p.name.value,
                            location(c, span),
                            secrets.redact(&e.message)
                        )
                    })?;
                    let bytes = serde_json::to_vec(&json).map_err(|e| e.to_string())?;
                    Ok((bytes, Some("application/json".to_owned())))
                }
                PartValue::File { file, content_type } => {
                    let t = content_type
                        .as_ref()
                        .map(|t| t.value.clone())
                        .or_else(|| file.content_type.map(str::to_owned))
                        .unwrap_or_else(|| "application/octet-stream".to_owned());
                    Ok((read_file(c, file)?, Some(t)))
                }
            })?;
            // The boundary is ours, so the content type is too, whatever a header says.
            let value = HeaderValue::from_str(&content_type).map_err(|e| e.to_string())?;
            headers.insert(CONTENT_TYPE, value);
            Some(Bytes::from(bytes))
        }
    };
    let method = Method::from_bytes(r.method.value.as_bytes())
        .map_err(|_| format!("bad method `{}`", r.method.value))?;
    Ok(Prepared {
        method,
        url,
        headers,
        body,
        timeout: r
            .timeout
            .as_ref()
            .or(c.defaults.timeout.as_ref())
            .map_or(DEFAULT_TIMEOUT, |t| t.value),
        follow_redirects: r
            .follow_redirects
            .or(c.defaults.follow_redirects)
            .unwrap_or(false),
        max_body: body_cap(c, r, run_max_body),
    })
}

/// A file the request sends, read at each send (it was checked at load; it may have changed).
fn read_file(c: &Collection, f: &BodyFile) -> Result<Vec<u8>, String> {
    fs::read_bytes(&f.path, InputKind::BodyFile)
        .map_err(|e| format!("{e} ({})", location(c, f.written.span)))
}

/// The request's body cap and where it comes from: its own `max_body:`, its collection's
/// `defaults`, else the run's (`--max-body`, 64MiB by default).
fn body_cap(c: &Collection, r: &Request, run_max_body: u64) -> BodyCap {
    let (bytes, set_by) = if let Some(m) = &r.max_body {
        (m.value, format!("`max_body:` at {}", location(c, m.span)))
    } else if let Some(m) = &c.defaults.max_body {
        (
            m.value,
            format!("`defaults: max_body:` at {}", location(c, m.span)),
        )
    } else {
        (run_max_body, "`--max-body`".to_owned())
    };
    BodyCap { bytes, set_by }
}

/// `file:line:col` of a position in a collection.
pub(crate) fn location(c: &Collection, span: Span) -> String {
    format!(
        "{}:{}:{}",
        c.file.display(),
        span.start.line,
        span.start.col
    )
}
