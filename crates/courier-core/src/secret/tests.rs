use super::*;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use percent_encoding::utf8_percent_encode;

const S: &str = "s3cr3t/v@lue+with spaces\"q";

fn redacted_with(secret: &str, text: &str) -> String {
    let secrets = Secrets::new();
    secrets.add(secret);
    secrets.redact(text).into_owned()
}

fn redacted(text: &str) -> String {
    redacted_with(S, text)
}

/// `form` appears in the text and is fully hidden.
fn assert_hidden(secret: &str, form: &str) {
    let text = format!("{{\"detail\": \"before {form} after\"}}");
    let out = redacted_with(secret, &text);
    assert_eq!(
        out, "{\"detail\": \"before [REDACTED] after\"}",
        "form `{form}` of the secret"
    );
}

#[test]
fn plain_and_encoded_forms_are_hidden() {
    let pct = utf8_percent_encode(S, COMPONENT).to_string();
    let json = serde_json::to_string(S).unwrap();
    for text in [
        format!("token={S}"),
        format!("q={pct}&x=1"),
        format!("q={}", pct.replace("%20", "+")),
        format!("{{\"v\":{json}}}"),
    ] {
        let out = redacted(&text);
        assert!(out.contains(REDACTED), "{text} -> {out}");
        assert!(!out.contains(S), "{out}");
        assert!(!out.contains(&pct), "{out}");
    }
}

#[test]
fn json_escaped_solidus_is_hidden() {
    // PHP's json_encode writes `/` as `\/`.
    assert_hidden("tok/abc/def", r"tok\/abc\/def");
    assert_hidden(S, r#"s3cr3t\/v@lue+with spaces\"q"#);
}

#[test]
fn json_unicode_escapes_of_non_ascii_are_hidden() {
    let secret = "pässwörd-€-𝄞";
    // Python's json.dumps (ensure_ascii) and PHP: lowercase hex, surrogate pairs.
    assert_hidden(secret, r"p\u00e4ssw\u00f6rd-\u20ac-\ud834\udd1e");
    // Some encoders write uppercase hex.
    assert_hidden(secret, r"p\u00E4ssw\u00F6rd-\u20AC-\uD834\uDD1E");
    // PHP's default also escapes the solidus.
    assert_hidden("ä/secret", r"\u00e4\/secret");
    // serde_json leaves non-ASCII as it is.
    assert_hidden(secret, secret);
}

#[test]
fn json_unicode_escapes_of_every_character_are_hidden() {
    assert_hidden(
        "hunter22",
        r"\u0068\u0075\u006e\u0074\u0065\u0072\u0032\u0032",
    );
    assert_hidden(
        "hunter22",
        r"\u0068\u0075\u006E\u0074\u0065\u0072\u0032\u0032",
    );
}

#[test]
fn json_html_safe_escapes_are_hidden() {
    // Go's encoding/json writes `<`, `>` and `&` as `\u003c`, `\u003e`, `\u0026`.
    assert_hidden("a<b>&c'd", r"a\u003cb\u003e\u0026c\u0027d");
}

#[test]
fn url_forms_with_reserved_characters_left_as_is_are_hidden() {
    // A whole-URL serializer: `%20` for a space, `+` and `#` left alone.
    assert_hidden("hunter 2+x", "hunter%202+x");
    assert_hidden("abc def # comment", "abc%20def%20#%20comment");
    // The same with `+` for spaces, and lowercase hex.
    assert_hidden("abc def/é", "abc+def/%c3%a9");
}

#[test]
fn url_component_and_form_forms_are_hidden() {
    // encodeURIComponent leaves `!*'()` alone.
    assert_hidden("a b!*'(c)", "a%20b!*'(c)");
    // application/x-www-form-urlencoded escapes `~` and writes `+` for spaces.
    assert_hidden("a b~c/d", "a+b%7Ec%2Fd");
    // RFC 3986 component encoding, upper- and lowercase hex.
    assert_hidden("a b~c/d", "a%20b~c%2Fd");
    assert_hidden("a b~c/d", "a%20b~c%2fd");
    // WHATWG query set (what the `url` crate writes in a query): `/`, `+`, `&` stay.
    assert_hidden("x y/z+&\"", "x%20y/z+&%22");
    // Userinfo in `https://user:secret@host`.
    assert_hidden("p@ss:w/rd x", "p%40ss%3Aw%2Frd%20x");
}

#[test]
fn base64_at_every_offset_is_hidden() {
    for prefix in ["", "u:", "us:", "use:"] {
        for engine in [&STANDARD, &URL_SAFE] {
            let encoded = engine.encode(format!("{prefix}{S}"));
            let out = redacted(&format!("Authorization: Basic {encoded}"));
            assert!(out.contains(REDACTED), "{prefix}: {out}");
            // What is left must not decode back to the secret.
            assert!(!out.contains(&encoded), "{out}");
        }
    }
}

#[test]
fn overlapping_secrets_are_both_hidden_whole() {
    let secrets = Secrets::new();
    secrets.add("abcdef12");
    secrets.add("ef12ghij");
    assert_eq!(secrets.redact("<abcdef12ghij>"), "<[REDACTED]>");
    assert_eq!(secrets.redact("abcdef12 ef12ghij"), "[REDACTED] [REDACTED]");
}

#[test]
fn debug_and_display_never_show_the_value() {
    let s = Secret::new("hunter22");
    assert_eq!(format!("{s} {s:?}"), "[REDACTED] [REDACTED]");
}

#[test]
fn short_values_are_not_searched() {
    let secrets = Secrets::new();
    let _ = secrets.add("ab");
    assert_eq!(secrets.redact("abcabc"), "abcabc");
}

#[test]
fn short_secrets_warn_once_each() {
    let secrets = Secrets::new();
    let warning = secrets
        .add("pass")
        .expect("a warning for a 4-character secret");
    assert_eq!(warning.chars, 4);
    let text = warning.to_string();
    assert!(
        text.contains("4 characters") && !text.contains("pass"),
        "{text}"
    );
    assert_eq!(secrets.add("pass"), None, "once per value");
    // Still hidden in data.
    assert_eq!(secrets.redact("x=pass"), "x=[REDACTED]");
    let tiny = secrets
        .add("ab")
        .expect("a warning for a 2-character secret");
    assert!(tiny.to_string().contains("not hidden"), "{tiny}");
    assert_eq!(secrets.add("ab"), None);
    assert_eq!(secrets.add("long-enough"), None);
}

#[test]
fn rendered_values_are_added_unless_numbers_booleans_or_short() {
    let secrets = Secrets::new();
    secrets.add_rendered(&serde_json::json!({
        "upper": "HUNTER-TWO",
        "len": "12",
        "n": 123_456_789,
        "float": "1234.5678",
        "flag": "true",
        "short": "abcde",
        "list": ["owt-retnuh"],
    }));
    assert!(secrets.contains("HUNTER-TWO"));
    assert!(secrets.contains("owt-retnuh"));
    for value in ["12", "123456789", "1234.5678", "true", "abcde"] {
        assert!(!secrets.contains(value), "{value}");
    }
}

/// Adding one secret at a time, with a redaction after each (a token per request), costs
/// matcher work that grows as n log n: each secret is rebuilt at most log₂(n) + 1 times.
/// Rebuilding everything on each add (as before) gave n²/2 secret builds.
#[test]
fn adding_secrets_one_by_one_stays_n_log_n() {
    let secrets = Secrets::new();
    let n = 200;
    let mut single = 0;
    for i in 0..n {
        let token = format!("token-{i:04}-{}", "k".repeat(20));
        let alone = Secrets::new();
        alone.add(&token);
        single += alone.build_work().needle_bytes;
        secrets.add(&token);
        assert_eq!(
            secrets.redact(&format!("Bearer {token}")),
            "Bearer [REDACTED]"
        );
    }
    let work = secrets.build_work();
    assert_eq!(work.builds, n, "one build per add");
    // log₂(200) < 8: each secret's needles are built at most 9 times.
    assert!(
        work.needle_bytes <= 9 * single,
        "{} needle bytes for {single} bytes of needles",
        work.needle_bytes
    );
    // Every secret is still found after the merges.
    for i in [0, 1, 63, 64, 127, 199] {
        let token = format!("token-{i:04}-{}", "k".repeat(20));
        assert_eq!(secrets.redact(&token), REDACTED, "{i}");
    }
}

/// A 30,000-character secret costs at most [`matcher::PATTERN_CAP`] needle bytes per form, and
/// is still hidden whole, cut short, and in its escaped forms.
#[test]
fn a_huge_secret_costs_a_capped_build() {
    // Pseudo-random letters, as a real token would be.
    let mut x: u32 = 12_345;
    let huge: String = (0..30_000)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            char::from(b'a' + ((x >> 16) % 26) as u8)
        })
        .collect::<String>()
        + "/é";
    let secrets = Secrets::new();
    secrets.add(&huge);
    let work = secrets.build_work();
    let forms = forms::forms(&huge).len();
    assert!(
        work.needle_bytes <= forms * matcher::PATTERN_CAP,
        "{} needle bytes for {forms} forms",
        work.needle_bytes
    );
    assert_eq!(secrets.redact(&format!("<{huge}>")), "<[REDACTED]>");
    // A server that cut the value: the part it shows is hidden.
    let cut: String = huge.chars().take(5_000).collect();
    assert_eq!(secrets.redact(&format!("<{cut}…")), "<[REDACTED]…");
    let escaped = huge.replace('/', "\\/").replace('é', "\\u00e9");
    assert_eq!(secrets.redact(&format!("\"{escaped}\"")), "\"[REDACTED]\"");
}

/// The matchers a new secret gets are cheap to build; after [`PROMOTE_AFTER`] searches they
/// are rebuilt once for speed, and redaction is the same before and after.
#[test]
fn matchers_are_rebuilt_for_speed_once_searching_repays_it() {
    let secrets = Secrets::new();
    let token = format!("eyJhbGciOi.{}.sig", "k".repeat(40));
    secrets.add(&token);
    secrets.add("client-secret-value-1234");
    let text = format!("Authorization: Bearer {token}&s=client-secret-value-1234 ok");
    let before = secrets.redact(&text).into_owned();
    assert_eq!(before, "Authorization: Bearer [REDACTED]&s=[REDACTED] ok");
    let built = secrets.build_work().builds;
    for _ in 1..PROMOTE_AFTER - 1 {
        assert!(secrets.mentions(&text));
    }
    assert_eq!(
        secrets.build_work().builds,
        built,
        "not before {PROMOTE_AFTER} searches"
    );
    assert_eq!(secrets.redact(&text), before);
    // One rebuild per level (two secrets: one level after the merge).
    assert_eq!(secrets.build_work().builds, built + 1);
    for _ in 0..3 * PROMOTE_AFTER {
        assert_eq!(secrets.redact(&text), before);
    }
    assert_eq!(secrets.build_work().builds, built + 1, "once");
    // A new secret starts cheap again and is promoted after its own searches.
    secrets.add("another-secret-value-99");
    assert_eq!(secrets.redact("another-secret-value-99"), REDACTED);
    assert_eq!(secrets.redact(&text), before);
}
