//! Preparing one request: every template of its URL, query, headers and body rendered with
//! the request's variables, into the [`Prepared`] request that is sent (and resent, unchanged,
//! by retries). A template that fails names its position and fails the request.

use std::cell::RefCell;
use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

use courier_core::diag::Span;
use courier_core::fs::{self, InputKind};
use courier_core::model::{Body, BodyFile, Collection, PartValue, Request};
use courier_core::secret::Secrets;
use courier_core::template::Vars;
use url::{Position, Url};

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
    let mut url = parse_url(&url_text).map_err(|e| {
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

/// Parses a request's URL. A run's requests mostly share an origin (`{{ base_url }}/…`), and
/// the parser spends most of its time on the host (IDNA mapping, the IPv4 forms): a URL that
/// is the last parsed URL's origin, exactly as serialized, followed by an absolute path is
/// parsed as that path joined to the last URL, which the URL standard makes the same URL
/// (docs/performance.md#requests).
fn parse_url(text: &str) -> Result<Url, url::ParseError> {
    thread_local! {
        static LAST: RefCell<Option<Url>> = const { RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| {
        if let Some(base) = last.as_ref()
            && let Some(path) = text.strip_prefix(&base[..Position::BeforePath])
            && is_absolute_path(path)
        {
            return base.join(path);
        }
        let url = Url::parse(text)?;
        // Only an http(s) URL: `/path` joined to `mailto:x` (no path to replace) fails where
        // parsing `mailto:/path` would not.
        if matches!(url.scheme(), "http" | "https") {
            *last = Some(url.clone());
        }
        Ok(url)
    })
}

/// `/` then anything but a second slash or backslash (which would start an authority), with
/// no tab or newline anywhere: the parser removes those first, so `/\t/` is `//`.
fn is_absolute_path(rest: &str) -> bool {
    let b = rest.as_bytes();
    b.first() == Some(&b'/')
        && !matches!(b.get(1), Some(b'/' | b'\\'))
        && !b.iter().any(|c| matches!(c, b'\t' | b'\n' | b'\r'))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// What `parse_url` gives for `text` right after parsing `before`, as text.
    fn after(before: &str, text: &str) -> Result<String, url::ParseError> {
        let _ = parse_url(before);
        parse_url(text).map(String::from)
    }

    #[test]
    fn a_url_on_the_last_origin_is_the_url_the_parser_gives() {
        let base = "http://127.0.0.1:48711/s/0.json?x=1#f";
        for text in [
            "http://127.0.0.1:48711/s/1.json",
            "http://127.0.0.1:48711/a/../b/./c?q=a b#frag ment",
            "http://127.0.0.1:48711/%7Euser/ü?é",
            "http://127.0.0.1:48711/x\ty\n",
            "http://127.0.0.1:48711/ trailing ",
            "http://127.0.0.1:48711//other.example/x",
            "http://127.0.0.1:48711/\\other.example/x",
            // The parser drops tabs and newlines before it reads: these are `//` and `/\\`.
            "http://127.0.0.1:48711/\t/",
            "http://127.0.0.1:48711/\n\\x",
            "http://127.0.0.1:487111/x",
            "http://127.0.0.1:48711.evil/x",
            "http://127.0.0.1:48711",
            "http://127.0.0.1:48711?q",
            "http://127.0.0.1:48711#f",
            "HTTP://127.0.0.1:48711/x",
            "http://user:pw@127.0.0.1:48711/x",
            "http://127.0.0.1:80/x",
        ] {
            assert_eq!(
                after(base, text),
                Url::parse(text).map(String::from),
                "{text}"
            );
        }
        for (before, text) in [
            ("mailto:a@b.example", "mailto:/x"),
            ("file:///tmp/a", "file:///x"),
        ] {
            assert_eq!(
                after(before, text),
                Url::parse(text).map(String::from),
                "{text}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_url_parses_as_the_parser_parses_it(
            origin in prop::sample::select(vec![
                "http://127.0.0.1:48711", "https://api.example.test", "http://[::1]:8080",
                "https://u:p@host.example", "http://xn--bcher-kva.example", "https://a.b:443",
            ]),
            before in "[/a-z?#]{0,6}",
            rest in "[/\\\\a-z0-9.%?#:@ \t\n\\[\\]é]{0,12}",
        ) {
            let base = format!("{origin}/{before}");
            let text = format!("{origin}{rest}");
            prop_assert_eq!(after(&base, &text), Url::parse(&text).map(String::from));
        }
    }
}
