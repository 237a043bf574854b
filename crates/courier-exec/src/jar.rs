//! A collection's cookie jar: the cookies its responses set, sent back on its later requests
//! to the same site (docs/collections.md#cookies). The store is `cookie_store`, the one
//! reqwest's own `Jar` wraps, with the same domain, path, expiry and public-suffix rules;
//! Courier reads and fills it itself in `client::send` (redirect hops included), so the
//! client carries no cookie layer of its own.

use std::sync::{PoisonError, RwLock};

use cookie_store::{CookieStore, RawCookie};
use reqwest::header::HeaderValue;
use url::Url;

/// The cookies one collection run has been given.
#[derive(Debug, Default)]
pub struct Jar(RwLock<CookieStore>);

impl Jar {
    /// The `Cookie` header value for a request to `url`, or `None` when no cookie applies.
    pub fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        let store = self.0.read().unwrap_or_else(PoisonError::into_inner);
        let mut header = String::new();
        for (name, value) in store.get_request_values(url) {
            if !header.is_empty() {
                header.push_str("; ");
            }
            header.push_str(name);
            header.push('=');
            header.push_str(value);
        }
        if header.is_empty() {
            return None;
        }
        HeaderValue::from_str(&header).ok()
    }

    /// Keeps the cookies of a response from `url`'s `Set-Cookie` headers; a header that is not
    /// a cookie is ignored, as browsers do.
    pub fn set_cookies<'h>(&self, headers: impl Iterator<Item = &'h HeaderValue>, url: &Url) {
        let cookies = headers.filter_map(|value| {
            let text = std::str::from_utf8(value.as_bytes()).ok()?;
            RawCookie::parse(text).ok().map(RawCookie::into_owned)
        });
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .store_response_cookies(cookies, url);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    /// The header for `to`, its cookies sorted (the store's order is not part of the contract).
    fn sent(jar: &Jar, to: &str) -> Option<String> {
        jar.cookies(&url(to)).map(|value| {
            let mut cookies: Vec<&str> = value.to_str().unwrap_or_default().split("; ").collect();
            cookies.sort_unstable();
            cookies.join("; ")
        })
    }

    #[test]
    fn cookies_go_back_to_the_site_and_path_that_set_them() {
        let jar = Jar::default();
        let set = [
            HeaderValue::from_static("session=abc; Path=/; HttpOnly"),
            // No `Path`: the request's folder, `/api`.
            HeaderValue::from_static("theme=dark"),
            HeaderValue::from_static("not a cookie"),
        ];
        jar.set_cookies(set.iter(), &url("http://example.test/api/login"));
        assert_eq!(
            sent(&jar, "http://example.test/api/items").as_deref(),
            Some("session=abc; theme=dark")
        );
        assert_eq!(
            sent(&jar, "http://example.test/other").as_deref(),
            Some("session=abc")
        );
        assert_eq!(sent(&jar, "http://elsewhere.test/api/items"), None);
    }

    #[test]
    fn an_expired_cookie_is_forgotten_and_a_secure_one_stays_on_https() {
        let jar = Jar::default();
        jar.set_cookies(
            [HeaderValue::from_static("token=t; Secure")].iter(),
            &url("https://example.test/"),
        );
        assert_eq!(
            sent(&jar, "https://example.test/").as_deref(),
            Some("token=t")
        );
        assert_eq!(sent(&jar, "http://example.test/"), None);
        jar.set_cookies(
            [HeaderValue::from_static("token=; Max-Age=0; Secure")].iter(),
            &url("https://example.test/"),
        );
        assert_eq!(sent(&jar, "https://example.test/"), None);
    }
}
