//! Reads a request's `expect` map (docs/collections.md#checks-expect): the status, header,
//! JSONPath, body and duration checks with their matchers.

use crate::diag::did_you_mean;
use crate::model::{
    Expect, JsonType, Matcher, MatcherKind, Op, OpKind, StatusKind, StatusMatcher, StatusPattern,
    TemplateValue,
};
use crate::pattern::{Pattern, PatternError};
use crate::yaml::{Key, Node, Value};

use super::collection::status_class;
use super::reader::{Cx, MapReader, boolean, entries, path_expr, template_value, text};

pub(super) fn read_expect(node: &Node<'_>, cx: &mut Cx<'_>) -> Expect {
    let Some(mut m) = MapReader::new(node, "`expect`", cx) else {
        return Expect::default();
    };
    let status = m.get("status").and_then(|n| status(n, cx));
    let mut headers = Vec::new();
    if let Some(n) = m.get("headers") {
        for (k, v) in entries(n, "`expect.headers`", cx) {
            if let Some(matcher) = matcher(v, cx) {
                headers.push((k.to_owned_text(), matcher));
            }
        }
    }
    let mut paths = Vec::new();
    if let Some(n) = m.get("jsonpath") {
        for (k, v) in entries(n, "`expect.jsonpath`", cx) {
            let path = path_expr(k, cx);
            let matcher = matcher(v, cx);
            if let (Some(p), Some(matcher)) = (path, matcher) {
                paths.push((p, matcher));
            }
        }
    }
    let body = m.get("body").and_then(|n| matcher(n, cx));
    let duration = m.get("duration").and_then(|n| matcher(n, cx));
    let schema = m
        .get("schema")
        .and_then(|n| super::json_schema::read(n, cx));
    m.finish(cx);
    // A vector's first push makes room for four: most requests check one or two.
    headers.shrink_to_fit();
    paths.shrink_to_fit();
    Expect {
        status: status.map(Box::new),
        headers,
        jsonpath: paths,
        body: body.map(Box::new),
        duration: duration.map(Box::new),
        schema: schema.map(Box::new),
    }
}

const STATUS_HELP: &str = "`status` takes a code (`200`), a class (`2xx`), a list of them (`[200, 204]`), or an operator map (`{ gte: 200, lt: 300 }`)";

fn status(node: &Node<'_>, cx: &mut Cx<'_>) -> Option<StatusMatcher> {
    let kind = match &node.value {
        Value::Map(_) => StatusKind::Ops(Box::new(matcher(node, cx)?)),
        Value::Seq(items) => {
            if items.is_empty() {
                cx.error_help(node.span, "`status` is an empty list", STATUS_HELP);
                return None;
            }
            let mut patterns = Vec::new();
            for item in items {
                patterns.push(status_pattern(item, cx)?);
            }
            StatusKind::AnyOf(patterns)
        }
        _ => StatusKind::AnyOf(vec![status_pattern(node, cx)?]),
    };
    Some(StatusMatcher {
        span: node.span,
        kind,
    })
}

fn status_pattern(node: &Node<'_>, cx: &mut Cx<'_>) -> Option<StatusPattern> {
    match &node.value {
        Value::Int(i) if (100..=599).contains(i) => Some(StatusPattern::Code(*i as u16)),
        Value::Int(i) => {
            cx.error_help(
                node.span,
                format!("bad status `{i}`: a status code is between 100 and 599"),
                STATUS_HELP,
            );
            None
        }
        Value::String(s) => {
            if let Some(c) = status_class(s) {
                return Some(StatusPattern::Class(c));
            }
            if let Ok(code) = s.parse::<u16>()
                && (100..=599).contains(&code)
            {
                return Some(StatusPattern::Code(code));
            }
            cx.error_help(node.span, format!("bad status `{s}`"), STATUS_HELP);
            None
        }
        _ => {
            cx.error_help(
                node.span,
                format!("bad status: found {}", node.type_name()),
                STATUS_HELP,
            );
            None
        }
    }
}

/// A matcher: a map in matcher position is always an operator map (docs/collections.md,
/// "Matchers").
pub(crate) fn matcher(node: &Node<'_>, cx: &mut Cx<'_>) -> Option<Matcher> {
    let Value::Map(entries) = &node.value else {
        return Some(Matcher {
            span: node.span,
            kind: MatcherKind::Equals(template_value(node, cx)?),
        });
    };
    if entries.is_empty() {
        cx.error_help(
            node.span,
            "an empty operator map",
            format!(
                "a map here is an operator map: use one or more of {}",
                OpKind::NAMES.join(", ")
            ),
        );
        return None;
    }
    let mut ops = Vec::new();
    let mut ok = true;
    for (k, v) in entries {
        match op(k, v, cx) {
            Some(o) => ops.push(o),
            None => ok = false,
        }
    }
    ok.then_some(Matcher {
        span: node.span,
        kind: MatcherKind::Ops(ops),
    })
}

fn op(key: &Key<'_>, v: &Node<'_>, cx: &mut Cx<'_>) -> Option<Op> {
    let kind = match &*key.value {
        "eq" => OpKind::Eq(template_value(v, cx)?),
        "ne" => OpKind::Ne(template_value(v, cx)?),
        "gt" => OpKind::Gt(ordering_operand(v, "gt", cx)?),
        "gte" => OpKind::Gte(ordering_operand(v, "gte", cx)?),
        "lt" => OpKind::Lt(ordering_operand(v, "lt", cx)?),
        "lte" => OpKind::Lte(ordering_operand(v, "lte", cx)?),
        "contains" => OpKind::Contains(template_value(v, cx)?),
        "not_contains" => OpKind::NotContains(template_value(v, cx)?),
        "matches" => {
            let pattern = text(v, "`matches`", cx)?;
            match Pattern::new(&pattern.value) {
                Ok(r) => OpKind::Matches(r),
                Err(e) => {
                    let help = match e {
                        PatternError::Syntax(_) => {
                            "`matches` takes a Rust regex, unanchored (anchor with `^…$`)"
                        }
                        PatternError::TooBig(_) => {
                            "repeat less, or use ASCII classes such as `[0-9]` or `(?-u:\\w)`, which compile far smaller than Unicode `\\d` or `\\w`"
                        }
                    };
                    let detail = e.to_string();
                    let last = detail
                        .lines()
                        .last()
                        .unwrap_or("invalid regex")
                        .trim()
                        .to_owned();
                    cx.error_help(
                        v.span,
                        format!(
                            "bad regex `{}`: {}",
                            pattern.value,
                            last.trim_start_matches("error: ")
                        ),
                        help,
                    );
                    return None;
                }
            }
        }
        "exists" => OpKind::Exists(boolean(v, "`exists`", cx)?),
        "type" => {
            let t = text(v, "`type`", cx)?;
            if let Some(ty) = JsonType::parse(&t.value) {
                OpKind::Type(ty)
            } else {
                let message = format!("unknown type `{}`", t.value);
                let help = format!("types: {}", JsonType::NAMES.join(", "));
                match did_you_mean(&t.value, JsonType::NAMES) {
                    Some(s) => {
                        cx.error_help(t.span, format!("{message}, did you mean `{s}`?"), help);
                    }
                    None => cx.error_help(t.span, message, help),
                }
                return None;
            }
        }
        "length" => match &v.value {
            Value::Int(i) if *i >= 0 => OpKind::Length(Box::new(Matcher {
                span: v.span,
                kind: MatcherKind::Equals(TemplateValue::Number((*i).into())),
            })),
            Value::Map(_) => OpKind::Length(Box::new(matcher(v, cx)?)),
            Value::String(s) if s.trim_start().starts_with("{{") => {
                OpKind::Length(Box::new(matcher(v, cx)?))
            }
            _ => {
                cx.error_help(
                    v.span,
                    format!("expected `length` to be a whole number, a template or an operator map, found {}", v.type_name()),
                    "for example `length: 3` or `length: { gte: 1 }`",
                );
                return None;
            }
        },
        "in" | "not_in" => {
            let value = match &v.value {
                Value::Seq(_) => template_value(v, cx)?,
                Value::String(s) if s.trim_start().starts_with("{{") => template_value(v, cx)?,
                _ => {
                    cx.error_help(
                        v.span,
                        format!(
                            "expected `{}` to be a list, found {}",
                            key.value,
                            v.type_name()
                        ),
                        format!("for example `{}: [active, inactive]`", key.value),
                    );
                    return None;
                }
            };
            if key.value == "in" {
                OpKind::In(value)
            } else {
                OpKind::NotIn(value)
            }
        }
        other => {
            let message = format!("unknown matcher operator `{other}`");
            let help = format!(
                "a map in matcher position is an operator map; the operators are {}. To compare with a literal map, write `eq: {{...}}`",
                OpKind::NAMES.join(", ")
            );
            match did_you_mean(other, OpKind::NAMES) {
                Some(s) => cx.error_help(key.span, format!("{message}, did you mean `{s}`?"), help),
                None => cx.error_help(key.span, message, help),
            }
            return None;
        }
    };
    Some(Op {
        span: key.span,
        kind,
    })
}

fn ordering_operand(v: &Node<'_>, op: &str, cx: &mut Cx<'_>) -> Option<TemplateValue> {
    match &v.value {
        Value::Int(_) | Value::Float(_) | Value::String(_) => template_value(v, cx),
        _ => {
            cx.error_help(
                v.span,
                format!(
                    "`{op}` compares with a number or a string, found {}",
                    v.type_name()
                ),
                format!("for example `{op}: 100`"),
            );
            None
        }
    }
}
