//! A curl command line (as browsers' "copy as cURL" write it, for bash or for Windows cmd)
//! to a one-request Courier collection. Credentials are read with `env()` at run time, so
//! the output holds none; an option that would change the request and has no Courier
//! equivalent is an error naming it (docs/import.md lists the options).

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::ImportError;
use crate::names::literal;
use crate::out::{Body, Collection, Request, Var};
use crate::postman::percent_decode;

/// The collection text and what the user should know.
#[derive(Debug)]
pub struct CurlImport {
    pub yaml: String,
    /// `what → ENV_VAR` for each credential, read with `env()`.
    pub secrets: Vec<String>,
    /// Things dropped or kept as comments.
    pub notes: Vec<String>,
}

/// Options that take a value.
const WITH_VALUE: [&str; 28] = [
    "-X",
    "--request",
    "-H",
    "--header",
    "-d",
    "--data",
    "--data-ascii",
    "--data-binary",
    "--data-raw",
    "--data-urlencode",
    "--json",
    "-F",
    "--form",
    "--form-string",
    "-u",
    "--user",
    "-b",
    "--cookie",
    "-A",
    "--user-agent",
    "-e",
    "--referer",
    "-m",
    "--max-time",
    "--url",
    "--connect-timeout",
    "--retry",
    "--retry-delay",
];

/// Options that do not change what is sent (or that Courier always does).
const IGNORED: [&str; 19] = [
    "--compressed",
    "-s",
    "--silent",
    "-S",
    "--show-error",
    "-v",
    "--verbose",
    "-i",
    "--include",
    "--http1.1",
    "--http2",
    "-g",
    "--globoff",
    "--no-progress-meter",
    "-#",
    "--progress-bar",
    "-f",
    "--fail",
    "--fail-with-body",
];

/// Reads a curl command line and writes the collection.
pub fn import_curl(text: &str) -> Result<CurlImport, ImportError> {
    let args = if is_cmd(text) {
        split_cmd(text)
    } else {
        split_bash(text)?
    };
    let mut args = args.into_iter().peekable();
    match args.next() {
        Some(c) if c == "curl" || c == "curl.exe" => {}
        Some(c) => {
            return Err(ImportError::Curl(format!(
                "expected a command starting with `curl`, found `{c}`"
            )));
        }
        None => return Err(ImportError::Curl("the input is empty".to_owned())),
    }
    let mut method: Option<String> = None;
    let mut url: Option<String> = None;
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut data: Vec<String> = Vec::new();
    let mut form: Vec<String> = Vec::new();
    let mut json_flag = false;
    let mut user: Option<String> = None;
    let mut get = false;
    let mut follow = false;
    let mut timeout: Option<String> = None;
    let mut notes: Vec<String> = Vec::new();

    while let Some(arg) = args.next() {
        if !arg.starts_with('-') || arg == "-" {
            if url.replace(arg.clone()).is_some() {
                return Err(ImportError::Curl(format!(
                    "more than one URL (`{arg}`): Courier imports one request"
                )));
            }
            continue;
        }
        // `-XPOST`, `-H'a: b'`: a short option with its value attached; `-sSL`: flags.
        let (opt, attached) = if !arg.starts_with("--") && arg.len() > 2 && arg.is_char_boundary(2)
        {
            let (o, rest) = arg.split_at(2);
            if WITH_VALUE.contains(&o) {
                (o.to_owned(), Some(rest.to_owned()))
            } else {
                for c in arg[1..].chars() {
                    let flag = format!("-{c}");
                    if !(IGNORED.contains(&flag.as_str()) || matches!(c, 'L' | 'G' | 'I' | 'k')) {
                        return Err(unsupported(&flag));
                    }
                    match c {
                        'L' => follow = true,
                        'G' => get = true,
                        'I' => method = Some("HEAD".to_owned()),
                        'k' => notes.push(insecure_note()),
                        _ => {}
                    }
                }
                continue;
            }
        } else {
            (arg.clone(), None)
        };
        let opt = opt.as_str();
        if IGNORED.contains(&opt) {
            continue;
        }
        let value = if WITH_VALUE.contains(&opt) {
            match attached.or_else(|| args.next()) {
                Some(v) => v,
                None => return Err(ImportError::Curl(format!("`{opt}` needs a value"))),
            }
        } else {
            String::new()
        };
        match opt {
            "-X" | "--request" => method = Some(value.to_ascii_uppercase()),
            "-H" | "--header" => {
                let Some((k, v)) = value.split_once(':') else {
                    return Err(ImportError::Curl(format!("header `{value}` has no `:`")));
                };
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
            "-d" | "--data" | "--data-ascii" | "--data-binary" => {
                if value.starts_with('@') {
                    return Err(ImportError::Curl(format!(
                        "`{opt} {value}` reads the body from a file, which this import does not do: paste the body inline (`--data-raw`)"
                    )));
                }
                // `-d` drops newlines as curl does; `--data-binary` keeps them.
                data.push(if opt == "--data-binary" {
                    value
                } else {
                    value.replace(['\r', '\n'], "")
                });
            }
            "--data-raw" => data.push(value),
            "--json" => {
                json_flag = true;
                data.push(value);
            }
            "--data-urlencode" => data.push(match value.split_once('=') {
                Some((n, c)) => format!("{n}={}", urlencode(c)),
                None => urlencode(&value),
            }),
            "-F" | "--form" | "--form-string" => form.push(value),
            "-u" | "--user" => user = Some(value),
            "-b" | "--cookie" => {
                if !value.contains('=') {
                    return Err(ImportError::Curl(format!(
                        "`{opt} {value}` reads cookies from a file, which this import does not do: pass them as `-b 'name=value'`"
                    )));
                }
                headers.push(("Cookie".to_owned(), value));
            }
            "-A" | "--user-agent" => headers.push(("User-Agent".to_owned(), value)),
            "-e" | "--referer" => headers.push(("Referer".to_owned(), value)),
            "-m" | "--max-time" => {
                let secs: f64 = value.parse().map_err(|_| {
                    ImportError::Curl(format!("`{opt} {value}` is not a number of seconds"))
                })?;
                timeout = Some(format!("{}ms", (secs * 1000.0).round() as u64));
            }
            "--url" => {
                if url.replace(value.clone()).is_some() {
                    return Err(ImportError::Curl(format!(
                        "more than one URL (`{value}`): Courier imports one request"
                    )));
                }
            }
            "-L" | "--location" => follow = true,
            "-G" | "--get" => get = true,
            "-I" | "--head" => method = Some("HEAD".to_owned()),
            "-k" | "--insecure" => notes.push(insecure_note()),
            "--connect-timeout" | "--retry" | "--retry-delay" => {
                notes.push(format!(
                    "`{opt} {value}` dropped: set `timeout`/`retries` in the collection"
                ));
            }
            other => return Err(unsupported(other)),
        }
    }
    let Some(url) = url else {
        return Err(ImportError::Curl("no URL".to_owned()));
    };
    build(Parts {
        method,
        url,
        headers,
        data,
        form,
        json_flag,
        user,
        get,
        follow,
        timeout,
        notes,
    })
}

fn unsupported(flag: &str) -> ImportError {
    let hint = match flag {
        "-o" | "--output" | "-O" | "--remote-name" => {
            ": Courier checks the response instead of saving it"
        }
        "-T" | "--upload-file" => ": bodies from files are not imported; use --data-raw",
        "-x" | "--proxy" => ": Courier uses the standard proxy environment variables",
        "--cert" | "-E" | "--key" | "--cacert" => {
            ": TLS settings live in the environment file (`tls:`)"
        }
        _ => "",
    };
    ImportError::CurlUnsupported(flag.to_owned(), hint.to_owned())
}

fn insecure_note() -> String {
    "`-k`/`--insecure` dropped: certificate checks are set per environment (`tls: { insecure: true }`)".to_owned()
}

struct Parts {
    method: Option<String>,
    url: String,
    headers: Vec<(String, String)>,
    data: Vec<String>,
    form: Vec<String>,
    json_flag: bool,
    user: Option<String>,
    get: bool,
    follow: bool,
    timeout: Option<String>,
    notes: Vec<String>,
}

fn build(p: Parts) -> Result<CurlImport, ImportError> {
    let mut notes = p.notes;
    let mut secrets = Vec::new();
    let mut vars = Vec::new();
    let (base, query_text) = match p.url.split_once('?') {
        Some((b, q)) => (b.to_owned(), q.to_owned()),
        None => (p.url.clone(), String::new()),
    };
    let base = base.split('#').next().unwrap_or(&base).to_owned();
    let base = if base.contains("://") {
        base
    } else {
        format!("http://{base}")
    };
    let mut query = pairs(&query_text);
    let body_text = p.data.join("&");
    let has_body = !p.data.is_empty();
    if p.get && has_body {
        query.extend(pairs(&body_text));
    }
    let method = p.method.unwrap_or_else(|| {
        if (has_body && !p.get) || !p.form.is_empty() {
            "POST".to_owned()
        } else {
            "GET".to_owned()
        }
    });
    if !["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"].contains(&method.as_str()) {
        return Err(ImportError::Curl(format!(
            "method `{method}` is not one Courier sends (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)"
        )));
    }
    let path = base
        .split("://")
        .nth(1)
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()))
        .unwrap_or_else(|| "/".to_owned());
    let host = base
        .split("://")
        .nth(1)
        .map(|rest| rest.split('/').next().unwrap_or(rest).to_owned())
        .unwrap_or_default();

    let mut r = Request {
        name: format!("{method} {path}"),
        method,
        url: literal(&base),
        query: query.iter().map(|(k, v)| (k.clone(), literal(v))).collect(),
        follow_redirects: p.follow.then_some(true),
        timeout: p.timeout,
        ..Request::default()
    };
    let mut content_type: Option<String> = None;
    for (k, v) in p.headers {
        let lower = k.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "content-length" | "host" | "accept-encoding"
        ) {
            notes.push(format!("header `{k}` dropped: the HTTP client sets it"));
            continue;
        }
        if r.headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(&k)) {
            notes.push(format!("header `{k}` repeated: only the first is kept"));
            continue;
        }
        if lower == "content-type" {
            content_type = Some(v.to_ascii_lowercase());
        }
        if crate::env::is_credential_header(&k) {
            let envvar = format!("CURL_{}", crate::names::upper_snake(&k));
            secrets.push(format!("header `{k}` → {envvar}"));
            r.headers.push((k, format!("{{{{ env('{envvar}') }}}}")));
            continue;
        }
        r.headers.push((k, literal(&v)));
    }
    if let Some(u) = p.user {
        if r.headers
            .iter()
            .any(|(h, _)| h.eq_ignore_ascii_case("authorization"))
        {
            return Err(ImportError::Curl(
                "both `-u` and an Authorization header: keep one".to_owned(),
            ));
        }
        let username = u.split_once(':').map_or(u.as_str(), |(n, _)| n).to_owned();
        vars.push(Var {
            name: "curl_user".to_owned(),
            value: json!(username),
            comment: None,
        });
        secrets.push("`-u` password → CURL_PASSWORD".to_owned());
        r.headers.push((
            "Authorization".to_owned(),
            "Basic {{ (curl_user ~ ':' ~ env('CURL_PASSWORD')) | base64 }}".to_owned(),
        ));
    }
    if p.json_flag {
        for (k, v) in [
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
        ] {
            if !r.headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(k)) {
                r.headers.push((k.to_owned(), v.to_owned()));
                if k == "Content-Type" {
                    content_type = Some(v.to_owned());
                }
            }
        }
    }
    if !p.form.is_empty() {
        r.skip = true;
        r.body_comments.push(
            "TODO(import): `-F` sends a multipart form; this Courier cannot send multipart yet, so the request is skipped. The parts:".to_owned(),
        );
        r.body_comments.push("multipart:".to_owned());
        for f in &p.form {
            let (k, v) = f.split_once('=').unwrap_or((f.as_str(), ""));
            let v = match v.strip_prefix('@') {
                Some(path) => format!(
                    "{{ file: {} }}",
                    crate::yaml::scalar(path.split(';').next().unwrap_or(path))
                ),
                None => crate::yaml::scalar(v),
            };
            r.body_comments
                .push(format!("  {}: {v}", crate::yaml::scalar(k)));
        }
        notes.push("`-F` multipart form kept as a comment; the request is skipped".to_owned());
    } else if has_body && !p.get {
        let ct = content_type.clone().unwrap_or_default();
        if ct.contains("json") {
            match serde_json::from_str::<Value>(&body_text) {
                Ok(v) => {
                    r.headers.retain(|(h, v)| {
                        !(h.eq_ignore_ascii_case("content-type") && v.trim() == "application/json")
                    });
                    r.body = Some(Body::Json(literal_json(v)));
                }
                Err(_) => r.body = Some(Body::Text(literal(&body_text))),
            }
        } else if (ct.is_empty() || ct.contains("x-www-form-urlencoded"))
            && body_text.split('&').all(|p| p.contains('='))
        {
            let fields = pairs(&body_text);
            let mut seen: Vec<&str> = Vec::new();
            if fields.iter().all(|(k, _)| {
                let fresh = !seen.contains(&k.as_str());
                seen.push(k);
                fresh
            }) {
                r.headers
                    .retain(|(h, _)| !h.eq_ignore_ascii_case("content-type"));
                r.body = Some(Body::Form(
                    fields.into_iter().map(|(k, v)| (k, literal(&v))).collect(),
                ));
            } else {
                keep_text(&mut r, &body_text, content_type.is_none());
            }
        } else {
            keep_text(&mut r, &body_text, content_type.is_none());
        }
    }
    let c = Collection {
        name: if host.is_empty() {
            "curl import".to_owned()
        } else {
            host
        },
        vars,
        requests: vec![r],
        ..Collection::default()
    };
    let header = [
        "Imported from a curl command line by `courier import curl` (see docs/import.md)."
            .to_owned(),
    ];
    Ok(CurlImport {
        yaml: c.to_yaml(&header),
        secrets,
        notes,
    })
}

/// A body sent as curl sends it: text, with curl's default type when none was given.
fn keep_text(r: &mut Request, text: &str, no_type: bool) {
    if no_type {
        r.headers.push((
            "Content-Type".to_owned(),
            "application/x-www-form-urlencoded".to_owned(),
        ));
    }
    r.body = Some(Body::Text(literal(text)));
}

fn pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn literal_json(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(literal(&s)),
        Value::Array(a) => Value::Array(a.into_iter().map(literal_json).collect()),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, literal_json(v)))
                .collect::<Map<String, Value>>(),
        ),
        other => other,
    }
}

/// Whether the text was written for Windows cmd (caret escapes and continuations).
fn is_cmd(text: &str) -> bool {
    text.contains("^\"") || text.lines().any(|l| l.trim_end().ends_with(" ^"))
}

/// bash quoting: '…', "…" with backslash escapes, $'…' (ANSI-C, as Chrome writes bodies
/// with control characters), backslash escapes, backslash-newline continuations.
fn split_bash(text: &str) -> Result<Vec<String>, ImportError> {
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\r') if chars.peek() == Some(&'\n') => {
                    chars.next();
                }
                Some('\n') | None => {}
                Some(n) => {
                    cur.push(n);
                    in_word = true;
                }
            },
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(n) => cur.push(n),
                        None => return Err(ImportError::Curl("unclosed `'` quote".to_owned())),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(n @ ('"' | '\\' | '$' | '`')) => cur.push(n),
                            Some('\n') => {}
                            Some(n) => {
                                cur.push('\\');
                                cur.push(n);
                            }
                            None => {
                                return Err(ImportError::Curl("unclosed `\"` quote".to_owned()));
                            }
                        },
                        Some(n) => cur.push(n),
                        None => return Err(ImportError::Curl("unclosed `\"` quote".to_owned())),
                    }
                }
            }
            '$' if chars.peek() == Some(&'\'') => {
                chars.next();
                in_word = true;
                ansi_c(&mut chars, &mut cur)?;
            }
            c if c.is_whitespace() => {
                if in_word {
                    args.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        args.push(cur);
    }
    Ok(args)
}

fn ansi_c(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    cur: &mut String,
) -> Result<(), ImportError> {
    loop {
        match chars.next() {
            Some('\'') => return Ok(()),
            Some('\\') => {
                let e = chars
                    .next()
                    .ok_or_else(|| ImportError::Curl("unclosed `$'` quote".to_owned()))?;
                match e {
                    'n' => cur.push('\n'),
                    't' => cur.push('\t'),
                    'r' => cur.push('\r'),
                    'x' | 'u' | 'U' => {
                        let max = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let mut hex = String::new();
                        while hex.len() < max && chars.peek().is_some_and(char::is_ascii_hexdigit) {
                            hex.extend(chars.next());
                        }
                        let code = u32::from_str_radix(&hex, 16).map_err(|_| {
                            ImportError::Curl(format!("bad `\\{e}` escape in $'…'"))
                        })?;
                        cur.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                    }
                    other => cur.push(other),
                }
            }
            Some(c) => cur.push(c),
            None => return Err(ImportError::Curl("unclosed `$'` quote".to_owned())),
        }
    }
}

/// Windows cmd as Chrome and Firefox write it: `^` escapes the next character (a `^` before
/// a line break continues the line), then the C runtime's rules split the arguments: `"…"`
/// quotes, `\"` is a quote character.
fn split_cmd(text: &str) -> Vec<String> {
    let mut unescaped = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '^' if !quoted => match chars.next() {
                Some('\r') => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                }
                Some('\n') | None => {}
                Some(n) => unescaped.push(n),
            },
            '"' => {
                quoted = !quoted;
                unescaped.push(c);
            }
            c => unescaped.push(c),
        }
    }
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut in_quotes = false;
    let chars: Vec<char> = unescaped.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            let mut n = 0;
            while i < chars.len() && chars[i] == '\\' {
                n += 1;
                i += 1;
            }
            if i < chars.len() && chars[i] == '"' {
                cur.extend(std::iter::repeat_n('\\', n / 2));
                if n % 2 == 1 {
                    cur.push('"');
                    i += 1;
                }
            } else {
                cur.extend(std::iter::repeat_n('\\', n));
            }
            in_word = true;
            continue;
        }
        if c == '"' {
            in_quotes = !in_quotes;
            in_word = true;
        } else if c.is_whitespace() && !in_quotes {
            if in_word {
                args.push(std::mem::take(&mut cur));
                in_word = false;
            }
        } else {
            cur.push(c);
            in_word = true;
        }
        i += 1;
    }
    if in_word {
        args.push(cur);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bash_quoting() {
        let a = split_bash(
            "curl 'https://x/a?b=1' \\\n  -H \"a: \\\"q\\\"\" --data-raw $'{\"k\":\"\\u00e9\\n\"}'",
        )
        .unwrap();
        assert_eq!(
            a,
            [
                "curl",
                "https://x/a?b=1",
                "-H",
                "a: \"q\"",
                "--data-raw",
                "{\"k\":\"é\n\"}"
            ]
        );
    }

    #[test]
    fn cmd_quoting() {
        let a = split_cmd(
            "curl ^\"https://x/a^\" ^\n  -H ^\"a: b^\" ^\n  --data-raw ^\"^{^\\^\"k^\\^\":1^}^\"",
        );
        assert_eq!(
            a,
            [
                "curl",
                "https://x/a",
                "-H",
                "a: b",
                "--data-raw",
                "{\"k\":1}"
            ]
        );
    }

    #[test]
    fn literals_are_escaped() {
        assert_eq!(
            literal("a {{b}} {% c {#"),
            "a {{ '{{' }}b}} {{ '{%' }} c {{ '{#' }}"
        );
    }
}
