//! Evaluating one response: `expect` (status, headers, JSONPath matchers, body, duration),
//! `capture`, and `snapshot`, in that order, into an [`Evaluation`] of plain data. The
//! executor (courier-exec) hands over the response it received and takes back the captures
//! for the next requests; the outcomes travel to the reporters inside the run's events.

use std::time::Duration;

use serde_json::Value;

use courier_core::diag::Span;
use courier_core::jsonpath::{self, JsonPath};
use courier_core::model::{CaptureSource, Collection, Expect, Request};
use courier_core::secret::Secrets;
use courier_core::template::Vars;

use crate::matcher::{self, Actual, AssertKind, AssertOutcome};
use crate::snapshot::{self, SnapshotMode, SnapshotOutcome};

/// A response header by name, as the executor's HTTP client holds them: several values are
/// joined with `, `; `None` when absent.
pub trait Headers {
    fn get(&self, name: &str) -> Option<String>;
}

/// The response to evaluate.
pub struct Response<'a> {
    pub status: u16,
    pub headers: &'a dyn Headers,
    pub body: &'a [u8],
    pub elapsed: Duration,
}

/// What the evaluation needs to know besides the response.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub collection: &'a Collection,
    pub request: &'a Request,
    /// The data row, counted from 1, in data-driven runs.
    pub row: Option<usize>,
    /// The environment's identity (snapshot file names carry it).
    pub env_name: &'a str,
    pub secrets: &'a Secrets,
    /// `None`: snapshots are not checked (`courier compare`); else the effective mode.
    pub snapshots: Option<SnapshotMode>,
    /// Leave `expect` out (`courier compare` does not evaluate it).
    pub skip_expect: bool,
}

/// What one response came to.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// Every assertion, passed or not, and every capture that failed.
    pub assertions: Vec<AssertOutcome>,
    /// The captures made, in order, with their values.
    pub captures: Vec<(String, Value)>,
    /// `None` when the request has no `snapshot:` or snapshots are not checked.
    pub snapshot: Option<SnapshotOutcome>,
}

impl Evaluation {
    /// Whether every assertion and the snapshot passed.
    pub fn passed(&self) -> bool {
        self.assertions.iter().all(|a| a.passed)
            && self.snapshot.as_ref().is_none_or(SnapshotOutcome::passed)
    }
}

/// Evaluates one response. `vars` renders the expected values; captures are made whether or
/// not the assertions passed (so a clean-up request can still use what a failed request
/// created) and are returned, not added to `vars`.
pub fn evaluate(ctx: &Context<'_>, response: &Response<'_>, vars: &Vars) -> Evaluation {
    let body = BodyDoc::new(response.body);
    let r = ctx.request;
    let mut assertions: Vec<AssertOutcome> = Vec::new();
    let no_expect = Expect::default();
    let e = if ctx.skip_expect {
        &no_expect
    } else {
        &r.expect
    };
    if let Some(s) = &e.status {
        assertions.extend(matcher::check_status(s, response.status, vars));
    }
    for (name, m) in &e.headers {
        let value = response.headers.get(&name.value).map(Value::String);
        let actual = value.as_ref().map_or(Actual::NoMatch, Actual::Value);
        assertions.extend(matcher::check(
            AssertKind::Header,
            Some(&name.value),
            m,
            actual,
            vars,
        ));
    }
    for (path, m) in &e.jsonpath {
        // A templated path is reported as rendered: that is what was looked up.
        let compiled = match path.value.resolve(vars) {
            Ok(p) => p,
            Err(why) => {
                assertions.extend(matcher::fail_all(
                    AssertKind::JsonPath,
                    Some(path.value.as_str()),
                    m,
                    vars,
                    &why,
                ));
                continue;
            }
        };
        match body.select(&compiled) {
            Ok(found) => {
                let actual = found.as_ref().map_or(Actual::NoMatch, Actual::Value);
                assertions.extend(matcher::check(
                    AssertKind::JsonPath,
                    Some(compiled.as_str()),
                    m,
                    actual,
                    vars,
                ));
            }
            Err(why) => assertions.extend(matcher::fail_all(
                AssertKind::JsonPath,
                Some(compiled.as_str()),
                m,
                vars,
                &why,
            )),
        }
    }
    if let Some(m) = &e.body {
        let text = Value::String(String::from_utf8_lossy(response.body).into_owned());
        assertions.extend(matcher::check(
            AssertKind::Body,
            None,
            m,
            Actual::Value(&text),
            vars,
        ));
    }
    if let Some(s) = e.schema.as_deref() {
        assertions.extend(check_schema(s, &body, vars));
    }
    if let Some(m) = &e.duration {
        let ms = Value::from(response.elapsed.as_millis() as u64);
        assertions.extend(matcher::check(
            AssertKind::Duration,
            None,
            m,
            Actual::Value(&ms),
            vars,
        ));
    }

    let mut captures = Vec::new();
    for cap in &r.captures {
        let value = match &cap.source {
            CaptureSource::JsonPath(p) => match p
                .value
                .resolve(vars)
                .and_then(|compiled| body.capture(&compiled))
            {
                Ok(v) => v,
                Err(why) => {
                    assertions.push(capture_failure(
                        &cap.name.value,
                        p.value.as_str(),
                        &why,
                        cap.name.span,
                    ));
                    continue;
                }
            },
            CaptureSource::Header(h) => response.headers.get(&h.value).map(Value::String),
        };
        if let Some(v) = value {
            // Before the snapshot is written and anything is reported.
            if cap.secret {
                match &v {
                    Value::String(s) => {
                        ctx.secrets.add(s);
                    }
                    other => {
                        ctx.secrets.add(&other.to_string());
                    }
                }
            }
            captures.push((cap.name.value.clone(), v));
        } else {
            let source = courier_core::plan::capture_source_text(&cap.source);
            assertions.push(capture_failure(
                &cap.name.value,
                &source,
                "matched nothing",
                cap.name.span,
            ));
        }
    }

    let snapshot = match (ctx.snapshots, &r.snapshot) {
        (Some(mode), Some(spec)) => {
            let json = body.full().ok();
            let path = spec
                .path
                .as_ref()
                .map(|p| p.value.resolve(vars))
                .transpose();
            match path.map_err(std::io::Error::other).and_then(|path| {
                snapshot::check_request(
                    ctx.collection,
                    r,
                    path.as_ref(),
                    json,
                    response.body,
                    ctx.row,
                    ctx.env_name,
                    ctx.secrets,
                    mode,
                )
            }) {
                Ok(found) => found.map(|(_, outcome)| outcome),
                Err(e) => Some(SnapshotOutcome::Error {
                    message: format!("cannot check the snapshot: {e}"),
                }),
            }
        }
        _ => None,
    };

    Evaluation {
        assertions,
        captures,
        snapshot,
    }
}

fn capture_failure(name: &str, source: &str, why: &str, span: Span) -> AssertOutcome {
    AssertOutcome {
        kind: AssertKind::Capture,
        path: Some(source.to_owned()),
        matcher: "capture".to_owned(),
        expected: Value::String(format!("a value for `{name}`")),
        actual: None,
        passed: false,
        message: Some(format!("capture `{name}`: {why}")),
        span,
    }
}

/// The response body, parsed at most once and only as far as the checks need: a singular
/// JSONPath is read by a targeted pass over the bytes; anything else parses the document.
struct BodyDoc<'a> {
    bytes: &'a [u8],
    full: std::cell::OnceCell<Result<Value, String>>,
}

impl<'a> BodyDoc<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            full: std::cell::OnceCell::new(),
        }
    }

    fn full(&self) -> Result<&Value, String> {
        self.full
            .get_or_init(|| {
                if self.bytes.iter().all(u8::is_ascii_whitespace) {
                    return Err("the body is empty, not JSON".to_owned());
                }
                jsonpath::parse_body(self.bytes).map_err(|e| format!("the body is not JSON ({e})"))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The value a matcher sees: a singular query's value or no match; a non-singular
    /// query's node list as an array.
    fn select(&self, path: &JsonPath) -> Result<Option<Value>, String> {
        if path.is_singular()
            && self.full.get().is_none()
            && let Ok(found) = path.extract_from_slice(self.bytes)
        {
            return Ok(found);
        }
        // Not JSON: the full parse says why.
        let doc = self.full()?;
        // A query that would visit more nodes than the budget fails its check with that
        // reason, instead of passing for "no match" (docs/inputs.md#jsonpath).
        let selection = path.try_select(doc).map_err(|e| e.to_string())?;
        Ok(match selection {
            jsonpath::Selection::Singular(v) => v.cloned(),
            jsonpath::Selection::Nodes(nodes) => {
                Some(Value::Array(nodes.into_iter().cloned().collect()))
            }
        })
    }

    /// A capture's value: a singular query's value; one node of another query; several
    /// nodes as an array; nothing as `None`.
    fn capture(&self, path: &JsonPath) -> Result<Option<Value>, String> {
        if path.is_singular() {
            return self.select(path);
        }
        let doc = self.full()?;
        let mut nodes: Vec<Value> = path
            .try_query(doc)
            .map_err(|e| e.to_string())?
            .into_iter()
            .cloned()
            .collect();
        Ok(match nodes.len() {
            0 => None,
            1 => nodes.pop(),
            _ => Some(Value::Array(nodes)),
        })
    }
}

/// `expect.schema`: one failed check per violation, named by its keyword and the JSONPath of
/// the instance that broke it (docs/collections-language.md#json-schema); one passing check
/// when there is none.
fn check_schema(
    s: &courier_core::model::SchemaCheck,
    body: &BodyDoc<'_>,
    vars: &Vars,
) -> Vec<AssertOutcome> {
    let written = s.path.as_ref().map_or("$", |p| p.value.as_str());
    let path = match s.path.as_ref().map(|p| p.value.resolve(vars)).transpose() {
        Ok(path) => path,
        Err(why) => {
            return vec![AssertOutcome {
                kind: AssertKind::Schema,
                path: Some(written.to_owned()),
                matcher: "schema".to_owned(),
                expected: Value::String("valid".to_owned()),
                actual: None,
                passed: false,
                message: Some(why),
                span: s.span,
            }];
        }
    };
    let root = path.as_ref().map_or("$", JsonPath::as_str);
    let fail = |matcher: &str, message: String, path: &str| AssertOutcome {
        kind: AssertKind::Schema,
        path: Some(path.to_owned()),
        matcher: matcher.to_owned(),
        expected: Value::String("valid".to_owned()),
        actual: None,
        passed: false,
        message: Some(message),
        span: s.span,
    };
    let found = match &path {
        Some(p) => body.select(p),
        None => body.full().map(|v| Some(v.clone())),
    };
    let instance = match found {
        Ok(Some(v)) => v,
        Ok(None) => return vec![fail("schema", "no match".to_owned(), root)],
        Err(why) => return vec![fail("schema", why, root)],
    };
    let mut out: Vec<AssertOutcome> = s
        .validator
        .iter_errors(&instance)
        .map(|e| {
            let schema_path = e.schema_path().to_string();
            let keyword = schema_path
                .rsplit('/')
                .next()
                .unwrap_or("schema")
                .to_owned();
            let mut path = root.to_owned();
            for seg in e.instance_path().to_string().split('/').skip(1) {
                let seg = seg.replace("~1", "/").replace("~0", "~");
                if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
                    path.push('[');
                    path.push_str(&seg);
                    path.push(']');
                } else {
                    path.push_str("['");
                    path.push_str(&seg.replace('\\', "\\\\").replace('\'', "\\'"));
                    path.push_str("']");
                }
            }
            let mut a = fail(&keyword, e.to_string(), &path);
            // An object or array would print whole: its kind says enough beside the message.
            a.actual = Some(match e.instance().as_ref() {
                Value::Object(_) => Value::String("an object".to_owned()),
                Value::Array(_) => Value::String("an array".to_owned()),
                scalar => scalar.clone(),
            });
            a
        })
        .collect();
    if out.is_empty() {
        out.push(AssertOutcome {
            passed: true,
            message: None,
            ..fail("schema", String::new(), root)
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use courier_core::load;

    struct NoHeaders;
    impl Headers for NoHeaders {
        fn get(&self, name: &str) -> Option<String> {
            (name.eq_ignore_ascii_case("x-id")).then(|| "7".to_owned())
        }
    }

    fn collection(dir: &std::path::Path, requests: &str) -> Collection {
        let file = dir.join("vendors.yaml");
        std::fs::write(&file, format!("name: V\nrequests:\n{requests}")).expect("write");
        load::load_collection(&file).expect("loads")
    }

    fn eval(c: &Collection, body: &[u8], mode: Option<SnapshotMode>) -> Evaluation {
        let secrets = Secrets::new();
        let ctx = Context {
            collection: c,
            request: &c.requests[0],
            row: None,
            env_name: "local",
            secrets: &secrets,
            snapshots: mode,
            skip_expect: false,
        };
        let response = Response {
            status: 200,
            headers: &NoHeaders,
            body,
            elapsed: Duration::from_millis(5),
        };
        evaluate(&ctx, &response, &Vars::new(None))
    }

    #[test]
    fn a_query_over_its_node_budget_fails_its_check_and_capture_with_the_reason() {
        let dir = tempfile::tempdir().expect("tempdir");
        // `length: 0` would pass on an empty selection: a spent budget must fail it instead.
        let c = collection(
            dir.path(),
            "  - name: r\n    url: http://x/\n    expect: { jsonpath: { \"$..*..*..*..*..*..*\": { length: 0 } } }\n    capture: { all: \"$..*..*..*..*..*..*\" }\n",
        );
        let deep = format!("{}{}", "[".repeat(120), "]".repeat(120));
        let e = eval(&c, deep.as_bytes(), None);
        assert!(!e.passed());
        let failed: Vec<(&str, Option<&str>)> = e
            .assertions
            .iter()
            .filter(|a| !a.passed)
            .map(|a| (a.kind.as_str(), a.message.as_deref()))
            .collect();
        assert_eq!(failed.len(), 2, "{failed:?}");
        for (_, message) in &failed {
            assert!(
                message.is_some_and(|m| m.contains("nodes of this document (its node budget)")),
                "{failed:?}"
            );
        }
        assert!(e.captures.is_empty());
    }

    #[test]
    fn assertions_then_captures_even_after_a_failure() {
        let dir = tempfile::tempdir().expect("tempdir");
        let c = collection(
            dir.path(),
            "  - name: r\n    url: http://x/\n    expect: { status: 201, jsonpath: { $.name: Acme } }\n    capture: { id: $.id, hid: { header: X-Id }, gone: $.nope }\n",
        );
        let e = eval(&c, br#"{"id": 3, "name": "Acme"}"#, None);
        assert!(!e.passed());
        let failed: Vec<&str> = e
            .assertions
            .iter()
            .filter(|a| !a.passed)
            .map(|a| a.kind.as_str())
            .collect();
        assert_eq!(failed, ["status", "capture"]);
        assert_eq!(
            e.captures,
            [
                ("id".to_owned(), Value::from(3)),
                ("hid".to_owned(), Value::from("7"))
            ]
        );
    }

    #[test]
    fn a_snapshot_that_cannot_be_read_is_an_error_not_a_change() {
        let dir = tempfile::tempdir().expect("tempdir");
        let c = collection(
            dir.path(),
            "  - name: r\n    url: http://x/\n    snapshot: true\n",
        );
        // A folder where the snapshot file should be: reading it fails.
        std::fs::create_dir_all(dir.path().join("__snapshots__/vendors__r.snap")).expect("dir");
        let e = eval(&c, br#"{"a": 1}"#, Some(SnapshotMode::Check));
        assert!(
            matches!(&e.snapshot, Some(SnapshotOutcome::Error { message }) if message.starts_with("cannot check the snapshot")),
            "{:?}",
            e.snapshot
        );
        assert!(!e.passed());
        // Without a mode (compare), snapshots are not looked at.
        assert!(eval(&c, br#"{"a": 1}"#, None).snapshot.is_none());
    }
}
