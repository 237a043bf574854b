//! Matchers against actual values (docs/collections.md#matchers): equality, the operators, Intacct's numeric
//! strings, singular "no match". Each operator gives one [`AssertOutcome`] — data, not a
//! string — that reporters turn into text, JSON or JUnit.

use serde_json::Value;

use courier_core::diag::Span;
use courier_core::model::{
    JsonType, Matcher, MatcherKind, OpKind, StatusKind, StatusMatcher, StatusPattern, TemplateValue,
};
use courier_core::template::Vars;

/// What an assertion looked at (the JSON report's `kind`, docs/reports.md#json-report).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssertKind {
    Status,
    Header,
    JsonPath,
    Body,
    Duration,
    Capture,
    /// A `repeat` loop that reached `max` with its condition still true.
    Repeat,
    /// A JSON Schema check (`expect.schema`).
    Schema,
    /// A `poll` request whose `expect` never held before its timeout.
    Poll,
}

impl AssertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Header => "header",
            Self::JsonPath => "jsonpath",
            Self::Body => "body",
            Self::Duration => "duration",
            Self::Capture => "capture",
            Self::Repeat => "repeat",
            Self::Schema => "schema",
            Self::Poll => "poll",
        }
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq)]
pub struct AssertOutcome {
    pub kind: AssertKind,
    /// The JSONPath, header name or capture name it concerns.
    pub path: Option<String>,
    /// The operator (`eq`, `gt`, `exists`, …), or `status`.
    pub matcher: String,
    pub expected: Value,
    /// `None`: nothing to compare (no match, no such header).
    pub actual: Option<Value>,
    pub passed: bool,
    /// Why it failed, beyond expected and actual.
    pub message: Option<String>,
    /// Where in the YAML the check is written.
    pub span: Span,
}

/// What a matcher is applied to.
#[derive(Debug, Clone, Copy)]
pub enum Actual<'a> {
    /// A value.
    Value(&'a Value),
    /// A singular JSONPath that matched nothing, or an absent header.
    NoMatch,
}

/// Checks `expect.status`.
pub fn check_status(m: &StatusMatcher, status: u16, vars: &Vars) -> Vec<AssertOutcome> {
    match &m.kind {
        StatusKind::AnyOf(patterns) => {
            let passed = patterns.iter().any(|p| p.matches(status));
            let shown = |p: &StatusPattern| match p {
                StatusPattern::Code(c) => Value::from(*c),
                StatusPattern::Class(_) => Value::String(p.to_string()),
            };
            let (matcher, expected) = match patterns.as_slice() {
                [one] => ("eq", shown(one)),
                many => ("in", Value::Array(many.iter().map(shown).collect())),
            };
            vec![AssertOutcome {
                kind: AssertKind::Status,
                path: None,
                matcher: matcher.to_owned(),
                expected,
                actual: Some(Value::from(status)),
                passed,
                message: None,
                span: m.span,
            }]
        }
        StatusKind::Ops(matcher) => check(
            AssertKind::Status,
            None,
            matcher,
            Actual::Value(&Value::from(status)),
            vars,
        ),
    }
}

/// Checks a matcher against a value; one outcome per operator.
pub fn check(
    kind: AssertKind,
    path: Option<&str>,
    m: &Matcher,
    actual: Actual<'_>,
    vars: &Vars,
) -> Vec<AssertOutcome> {
    let outcome = |matcher: &str, expected: Value, result: Result<bool, String>, span: Span| {
        let (passed, message) = match result {
            Ok(p) => (p, None),
            Err(m) => (false, Some(m)),
        };
        AssertOutcome {
            kind,
            path: path.map(str::to_owned),
            matcher: matcher.to_owned(),
            expected,
            actual: match actual {
                Actual::Value(v) => Some(v.clone()),
                Actual::NoMatch => None,
            },
            passed,
            message,
            span,
        }
    };
    match &m.kind {
        MatcherKind::Equals(expected) => {
            let (expected, result) = match render(expected, vars) {
                Ok(e) => {
                    let r = with_value(actual, |a| Ok(loose_eq(a, &e)));
                    (e, r)
                }
                Err(msg) => (Value::Null, Err(msg)),
            };
            vec![outcome("eq", expected, result, m.span)]
        }
        MatcherKind::Ops(ops) => ops
            .iter()
            .map(|op| {
                let name = op.kind.name();
                let (expected, result) = apply(&op.kind, actual, vars);
                outcome(name, expected, result, op.span)
            })
            .collect(),
    }
}

fn render(v: &TemplateValue, vars: &Vars) -> Result<Value, String> {
    if let Some(literal) = v.as_literal() {
        return Ok(literal);
    }
    v.render(vars)
        .map_err(|(e, _)| format!("the expected value failed to render: {}", e.message))
}

/// Runs `f` on the actual value; "no match" fails with a message.
fn with_value(
    actual: Actual<'_>,
    f: impl FnOnce(&Value) -> Result<bool, String>,
) -> Result<bool, String> {
    match actual {
        Actual::Value(v) => f(v),
        Actual::NoMatch => Err("no match".to_owned()),
    }
}

fn apply(op: &OpKind, actual: Actual<'_>, vars: &Vars) -> (Value, Result<bool, String>) {
    let rendered = |v: &TemplateValue| render(v, vars);
    macro_rules! with_expected {
        ($v:expr, $f:expr) => {
            match rendered($v) {
                Ok(e) => {
                    let r = with_value(actual, |a| $f(a, &e));
                    (e, r)
                }
                Err(msg) => (Value::Null, Err(msg)),
            }
        };
    }
    match op {
        OpKind::Eq(v) => with_expected!(v, |a: &Value, e: &Value| Ok(loose_eq(a, e))),
        OpKind::Ne(v) => with_expected!(v, |a: &Value, e: &Value| Ok(!loose_eq(a, e))),
        OpKind::Gt(v) => with_expected!(v, |a: &Value, e: &Value| order(a, e)
            .map(std::cmp::Ordering::is_gt)),
        OpKind::Gte(v) => with_expected!(v, |a: &Value, e: &Value| order(a, e)
            .map(std::cmp::Ordering::is_ge)),
        OpKind::Lt(v) => with_expected!(v, |a: &Value, e: &Value| order(a, e)
            .map(std::cmp::Ordering::is_lt)),
        OpKind::Lte(v) => with_expected!(v, |a: &Value, e: &Value| order(a, e)
            .map(std::cmp::Ordering::is_le)),
        OpKind::Contains(v) => with_expected!(v, |a: &Value, e: &Value| {
            match contains(a, e) {
                Ok(false) => subset_hint(a, e).map_or(Ok(false), Err),
                other => other,
            }
        }),
        OpKind::NotContains(v) => {
            with_expected!(v, |a: &Value, e: &Value| contains(a, e).map(|c| !c))
        }
        OpKind::In(v) => with_expected!(v, |a: &Value, e: &Value| member(a, e)),
        OpKind::NotIn(v) => with_expected!(v, |a: &Value, e: &Value| member(a, e).map(|m| !m)),
        OpKind::Matches(re) => {
            let expected = Value::String(re.as_str().to_owned());
            let r = with_value(actual, |a| match a {
                Value::String(s) => re.is_match(s),
                Value::Number(n) => re.is_match(&n.to_string()),
                Value::Bool(b) => re.is_match(&b.to_string()),
                other => Err(format!(
                    "`matches` needs a string, found {}",
                    type_name(other)
                )),
            });
            (expected, r)
        }
        OpKind::Exists(want) => {
            let exists = match actual {
                Actual::NoMatch => false,
                // A non-singular query always yields an array: `exists` means non-empty.
                Actual::Value(_) => true,
            };
            (Value::Bool(*want), Ok(exists == *want))
        }
        OpKind::Type(t) => {
            let r = with_value(actual, |a| Ok(has_type(a, *t)));
            (Value::String(t.name().to_owned()), r)
        }
        OpKind::Length(inner) => {
            let len = match actual {
                Actual::Value(Value::String(s)) => Some(s.chars().count()),
                Actual::Value(Value::Array(a)) => Some(a.len()),
                Actual::Value(Value::Object(o)) => Some(o.len()),
                _ => None,
            };
            match (len, actual) {
                (Some(n), _) => {
                    let n = Value::from(n);
                    let inner_outcomes =
                        check(AssertKind::JsonPath, None, inner, Actual::Value(&n), vars);
                    let passed = inner_outcomes.iter().all(|o| o.passed);
                    let expected = describe(inner, vars);
                    let message = inner_outcomes.into_iter().find_map(|o| o.message);
                    let result = match message {
                        Some(m) => Err(format!("its length is {n}: {m}")),
                        None if passed => Ok(true),
                        None => Err(format!("its length is {n}")),
                    };
                    (expected, result)
                }
                (None, Actual::NoMatch) => (describe(inner, vars), Err("no match".to_owned())),
                (None, Actual::Value(v)) => (
                    describe(inner, vars),
                    Err(format!(
                        "`length` needs a string, an array or an object, found {}",
                        type_name(v)
                    )),
                ),
            }
        }
    }
}

/// Every operator of a matcher failing for the same reason (the body is not JSON, say): one
/// outcome per operator, as [`check`] gives.
pub fn fail_all(
    kind: AssertKind,
    path: Option<&str>,
    m: &Matcher,
    vars: &Vars,
    reason: &str,
) -> Vec<AssertOutcome> {
    let outcome = |matcher: &str, expected: Value, span: Span| AssertOutcome {
        kind,
        path: path.map(str::to_owned),
        matcher: matcher.to_owned(),
        expected,
        actual: None,
        passed: false,
        message: Some(reason.to_owned()),
        span,
    };
    match &m.kind {
        MatcherKind::Equals(_) => vec![outcome("eq", describe(m, vars), m.span)],
        MatcherKind::Ops(ops) => ops
            .iter()
            .map(|op| {
                let expected = describe_op(&op.kind, vars);
                outcome(op.kind.name(), expected, op.span)
            })
            .collect(),
    }
}

fn describe_op(op: &OpKind, vars: &Vars) -> Value {
    if let Some(v) = op.operand() {
        return render(v, vars).unwrap_or(Value::Null);
    }
    match op {
        OpKind::Matches(r) => Value::String(r.as_str().to_owned()),
        OpKind::Exists(b) => Value::Bool(*b),
        OpKind::Type(t) => Value::String(t.name().to_owned()),
        OpKind::Length(inner) => describe(inner, vars),
        _ => Value::Null,
    }
}

/// A matcher as a JSON value for reports: a plain value, or `{"op": value, …}`.
pub fn describe(m: &Matcher, vars: &Vars) -> Value {
    match &m.kind {
        MatcherKind::Equals(v) => render(v, vars).unwrap_or(Value::Null),
        MatcherKind::Ops(ops) => {
            let map = ops
                .iter()
                .map(|op| (op.kind.name().to_owned(), describe_op(&op.kind, vars)))
                .collect();
            Value::Object(map)
        }
    }
}

/// The JSON type name for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn has_type(v: &Value, t: JsonType) -> bool {
    match t {
        JsonType::String => v.is_string(),
        JsonType::Number => v.is_number(),
        JsonType::Integer => v.as_f64().is_some_and(|f| f.fract() == 0.0) && v.is_number(),
        JsonType::Boolean => v.is_boolean(),
        JsonType::Array => v.is_array(),
        JsonType::Object => v.is_object(),
        JsonType::Null => v.is_null(),
    }
}

/// A string holding a decimal number, as Intacct sends keys and amounts.
fn numeric_string(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Top-level equality with Intacct's coercion, either way round: a number equals a string
/// holding the same decimal number. Nested values compare by [`json_eq`] without coercion.
pub fn loose_eq(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) => {
            match (numeric_string(s), n.as_f64()) {
                (Some(a), Some(e)) => a == e,
                _ => false,
            }
        }
        _ => json_eq(actual, expected),
    }
}

/// Deep JSON equality; numbers compare by value (`1` equals `1.0`).
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => number_eq(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn number_eq(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    if let (Some(a), Some(b)) = (x.as_i64(), y.as_i64()) {
        return a == b;
    }
    if let (Some(a), Some(b)) = (x.as_u64(), y.as_u64()) {
        return a == b;
    }
    match (x.as_f64(), y.as_f64()) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Ordering: two numbers (a numeric string counts as a number against a number), or two
/// strings; anything else is an error naming both types.
fn order(actual: &Value, expected: &Value) -> Result<std::cmp::Ordering, String> {
    let num = |v: &Value, other_is_num: bool| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if other_is_num => numeric_string(s),
        _ => None,
    };
    if let (Some(a), Some(e)) = (
        num(actual, expected.is_number()),
        num(expected, actual.is_number()),
    ) {
        return a
            .partial_cmp(&e)
            .ok_or_else(|| "cannot order NaN".to_owned());
    }
    match (actual, expected) {
        (Value::String(a), Value::String(e)) => Ok(a.as_str().cmp(e.as_str())),
        _ => Err(format!(
            "cannot order {} against {}: ordering compares two numbers or two strings",
            type_name(actual),
            type_name(expected)
        )),
    }
}

fn contains(actual: &Value, expected: &Value) -> Result<bool, String> {
    match actual {
        Value::String(s) => match expected {
            Value::String(e) => Ok(s.contains(e.as_str())),
            Value::Number(n) => Ok(s.contains(&n.to_string())),
            other => Err(format!(
                "a string can contain a string, not {}",
                type_name(other)
            )),
        },
        Value::Array(items) => Ok(items.iter().any(|i| json_eq(i, expected))),
        Value::Object(map) => match expected {
            Value::Object(sub) => Ok(sub
                .iter()
                .all(|(k, v)| map.get(k).is_some_and(|w| json_eq(w, v)))),
            other => Err(format!(
                "an object can contain an object (a subset of its keys), not {}",
                type_name(other)
            )),
        },
        other => Err(format!(
            "`contains` needs a string, an array or an object, found {}",
            type_name(other)
        )),
    }
}

/// Why an array of objects does not contain an expected object that one of its elements has
/// every member of: `contains` on an array wants an element equal to the whole object
/// (docs/collections.md, "Matchers"), which a user writing a subset does not expect.
fn subset_hint(actual: &Value, expected: &Value) -> Option<String> {
    let (Value::Array(items), Value::Object(sub)) = (actual, expected) else {
        return None;
    };
    let partial = items
        .iter()
        .any(|i| i.is_object() && contains(i, expected) == Ok(true));
    partial.then(|| {
        let keys: Vec<&str> = sub.keys().map(String::as_str).collect();
        format!(
            "an element matches on {}; `contains` on an array needs an element equal to the whole object: use a filter path or `eq`",
            keys.join(", ")
        )
    })
}

fn member(actual: &Value, list: &Value) -> Result<bool, String> {
    match list {
        Value::Array(items) => Ok(items.iter().any(|e| loose_eq(actual, e))),
        other => Err(format!(
            "`in` needs a list, the expected value is {}",
            type_name(other)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use courier_core::diag::SourceFile;
    use courier_core::load::parse_collection;
    use serde_json::json;

    /// The matcher of `expect.jsonpath["$.x"]` in a one-request collection.
    fn run(matcher_yaml: &str, actual: Option<&Value>) -> Vec<AssertOutcome> {
        let text = format!(
            "name: c\nrequests:\n  - name: r\n    url: u\n    expect:\n      jsonpath:\n        $.x: {matcher_yaml}\n"
        );
        let c = parse_collection(&SourceFile::new("c.yaml", text)).unwrap();
        let (_, m) = &c.requests[0].expect.jsonpath[0];
        let a = actual.map_or(Actual::NoMatch, Actual::Value);
        check(AssertKind::JsonPath, Some("$.x"), m, a, &Vars::default())
    }

    #[expect(
        clippy::needless_pass_by_value,
        reason = "call sites read better with json! values"
    )]
    fn passes(matcher_yaml: &str, actual: Value) -> bool {
        run(matcher_yaml, Some(&actual)).iter().all(|o| o.passed)
    }

    #[test]
    fn equality_and_numeric_strings() {
        assert!(passes("53", json!("53")));
        assert!(passes("28800", json!("28800.00")));
        assert!(passes("1", json!(1.0)));
        // Symmetric: an expected numeric string equals an actual number.
        assert!(passes("\"53\"", json!(53)));
        assert!(passes("\"125.50\"", json!(125.5)));
        assert!(!passes("\"54\"", json!(53)));
        assert!(!passes("\"V-1\"", json!(1)));
        assert!(passes("{ eq: { a: 1 } }", json!({"a": 1.0})));
        // Nested values are not coerced.
        assert!(!passes("{ eq: { a: 1 } }", json!({"a": "1"})));
        assert!(passes("{ ne: 2 }", json!("3")));
        assert!(passes("[1, 2]", json!([1, 2])));
    }

    #[test]
    fn ordering() {
        assert!(passes("{ gt: 100, lte: 200 }", json!("150.50")));
        assert!(passes("{ lt: b }", json!("a")));
        assert!(passes("{ gt: \"100\", lte: \"200.5\" }", json!(150)));
        // Two strings compare as strings, even when both hold numbers.
        assert!(!passes("{ lt: \"10\" }", json!("9")));
        let out = run("{ gt: 1 }", Some(&json!(true)));
        assert!(!out[0].passed);
        assert!(
            out[0]
                .message
                .as_deref()
                .unwrap()
                .contains("boolean against number")
        );
    }

    #[test]
    fn contains_on_an_array_of_objects_says_when_an_element_is_a_superset() {
        let records = json!([{"id": "V-0001", "name": "Acme"}, {"id": "V-0002"}]);
        let out = run("{ contains: { id: V-0001 } }", Some(&records));
        assert!(!out[0].passed);
        assert_eq!(
            out[0].message.as_deref(),
            Some(
                "an element matches on id; `contains` on an array needs an element equal to the whole object: use a filter path or `eq`"
            )
        );
        // No element has the members: a plain failure; an equal element passes.
        let out = run("{ contains: { id: V-0009 } }", Some(&records));
        assert!(!out[0].passed && out[0].message.is_none());
        assert!(passes("{ contains: { id: V-0002 } }", records.clone()));
        // `not_contains` keeps its meaning: no element equals the object.
        assert!(passes("{ not_contains: { id: V-0001 } }", records));
    }

    #[test]
    fn contains_and_membership() {
        assert!(passes("{ contains: json }", json!("application/json")));
        assert!(passes("{ contains: 2 }", json!([1, 2])));
        assert!(passes("{ contains: { a: 1 } }", json!({"a": 1, "b": 2})));
        assert!(passes("{ not_contains: x }", json!("abc")));
        assert!(passes("{ in: [active, inactive] }", json!("active")));
        assert!(passes("{ in: [1, 2] }", json!("2")));
        assert!(passes("{ in: [\"1\", \"2\"] }", json!(2)));
        assert!(passes("{ not_in: [\"1\"] }", json!(2)));
        assert!(!passes("{ not_in: [\"2\"] }", json!(2)));
        assert!(passes("{ not_in: [a] }", json!("b")));
    }

    #[test]
    fn regex_type_length_exists() {
        assert!(passes("{ matches: \"^V-\\\\d+$\" }", json!("V-12")));
        assert!(passes("{ type: integer }", json!(3)));
        assert!(!passes("{ type: integer }", json!(3.5)));
        assert!(passes("{ type: number }", json!(3)));
        assert!(passes("{ length: 3 }", json!("abc")));
        assert!(passes("{ length: { gte: 2 } }", json!([1, 2])));
        // A length against a numeric string, as a `--var` rendered into the matcher gives.
        assert!(passes("{ length: { eq: \"3\" } }", json!("abc")));
        assert!(passes("{ length: { lte: \"3\" } }", json!([1, 2])));
        assert!(passes("{ exists: true }", json!(null)));
    }

    #[test]
    fn no_match_fails_everything_but_exists_false() {
        assert!(run("{ exists: false }", None)[0].passed);
        for m in ["1", "{ exists: true }", "{ type: string }", "{ ne: 1 }"] {
            let out = run(m, None);
            assert!(!out[0].passed, "{m}");
        }
        assert_eq!(run("1", None)[0].message.as_deref(), Some("no match"));
    }

    #[test]
    fn every_operator_reports_its_own_outcome() {
        let out = run("{ gt: 1, lt: 2 }", Some(&json!(5)));
        assert_eq!(out.len(), 2);
        assert!(out[0].passed && !out[1].passed);
        assert_eq!(out[1].matcher, "lt");
        assert_eq!((out[1].span.start.line, out[1].span.start.col), (7, 23));
    }
}
