//! The request keys that send a request more than once: `repeat: { while, max }` and the
//! capture options that go with it (`{ jsonpath | header, append }`), with the rules that tie
//! them to other keys (docs/collections-language.md#paging-loops).

use crate::model::{Capture, CaptureSource, Poll, Repeat, Request};
use crate::yaml::{Key, Node, Value};

use super::reader::{
    Cx, MapReader, boolean, duration, integer, nonempty_text, path_expr_node, template,
};

/// The most pages one `repeat` may fetch.
const MAX_PAGES: u64 = 100_000;

/// `repeat: { while: EXPR, max: N }`; `max` is required.
pub(super) fn read_repeat(node: &Node<'_>, cx: &mut Cx<'_>) -> Option<Repeat> {
    let mut m = MapReader::new(node, "`repeat`", cx)?;
    let condition = m
        .required("while", cx)
        .and_then(|n| template(n, "`repeat.while`", cx));
    let max = if let Some(n) = m.get("max") {
        integer(n, "`repeat.max`", MAX_PAGES, cx).and_then(|v| {
            if v == 0 {
                cx.error(n.span, "`repeat.max` must be at least 1".to_owned());
                None
            } else {
                u32::try_from(v).ok()
            }
        })
    } else {
        cx.error_help(
            node.span,
            "`repeat` needs `max`".to_owned(),
            "a loop stops at `max` pages and then fails: write `max: 100` (or the most pages you expect)",
        );
        None
    };
    m.finish(cx);
    Some(Repeat {
        condition: condition?,
        max: max?,
        span: node.span,
    })
}

/// `poll: { interval: D, timeout: D }`, both required.
pub(super) fn read_poll(node: &Node<'_>, cx: &mut Cx<'_>) -> Option<Poll> {
    let mut m = MapReader::new(node, "`poll`", cx)?;
    let interval = m
        .required("interval", cx)
        .and_then(|n| duration(n, "`poll.interval`", cx));
    let timeout = m
        .required("timeout", cx)
        .and_then(|n| duration(n, "`poll.timeout`", cx));
    m.finish(cx);
    let (interval, timeout) = (interval?, timeout?);
    if interval.value.is_zero() {
        cx.error(
            interval.span,
            "`poll.interval` must be more than 0".to_owned(),
        );
        return None;
    }
    Some(Poll {
        interval: interval.value,
        timeout: timeout.value,
        span: node.span,
    })
}

/// A capture written as a map: `{ jsonpath: P }` or `{ header: NAME }`, with `append: true`.
pub(super) fn read_capture_map(
    name: &Key<'_>,
    node: &Node<'_>,
    cx: &mut Cx<'_>,
) -> Option<Capture> {
    let mut m = MapReader::new(node, "a capture", cx)?;
    let path = m
        .get("jsonpath")
        .and_then(|n| path_expr_node(n, "a capture", cx));
    let header = m
        .get("header")
        .and_then(|h| nonempty_text(h, "`header`", cx));
    let append = m
        .get("append")
        .and_then(|n| boolean(n, "`append`", cx))
        .unwrap_or(false);
    let secret = m
        .get("secret")
        .and_then(|n| boolean(n, "`secret`", cx))
        .unwrap_or(false);
    let both = m.key_span("jsonpath").is_some() && m.key_span("header").is_some();
    let neither = m.key_span("jsonpath").is_none() && m.key_span("header").is_none();
    m.finish(cx);
    if both || neither {
        cx.error_help(
            node.span,
            format!(
                "the capture `{}` {} of `jsonpath` and `header`",
                name.value,
                if both { "takes only one" } else { "needs one" }
            ),
            "write `{ jsonpath: \"$.id\" }` or `{ header: x-request-id }`",
        );
        return None;
    }
    let source = match (path, header) {
        (Some(p), None) => CaptureSource::JsonPath(p),
        (None, Some(h)) => CaptureSource::Header(h),
        _ => return None,
    };
    Some(Capture {
        name: name.to_owned_text(),
        source,
        append,
        secret,
    })
}

/// The rules between keys of one request: `repeat` not on a mutating request nor with
/// `snapshot` or `poll`, `append` only in a `repeat` request, `poll` only with an `expect`
/// and never resending a mutating request without an `Idempotency-Key` header.
pub(super) fn check_request(r: &Request, node: &Node<'_>, cx: &mut Cx<'_>) {
    let key_span = |key: &str| match &node.value {
        Value::Map(entries) => entries
            .iter()
            .find(|(k, _)| k.value == key)
            .map_or(node.span, |(k, _)| k.span),
        _ => node.span,
    };
    if let Some(repeat) = r.repeat.as_deref() {
        if r.mutates() {
            cx.error_help(
                repeat.span,
                format!(
                    "`repeat` on `{}`, which mutates ({}): a loop would write again on every page",
                    r.name.value, r.method.value
                ),
                "`repeat` is for reads; a read-only POST (such as a query) says `mutates: false`",
            );
        }
        if r.snapshot.is_some() {
            cx.error_help(
                key_span("snapshot"),
                "`snapshot` cannot be used with `repeat`: every page would overwrite the same snapshot".to_owned(),
                "snapshot a single page in a request of its own",
            );
        }
        if r.poll.is_some() {
            cx.error_help(
                key_span("poll"),
                "`poll` cannot be used with `repeat`".to_owned(),
                "`repeat` sends pages while a condition holds, `poll` re-sends one request until its `expect` holds: pick one",
            );
        }
    } else {
        for cap in r.captures.iter().filter(|c| c.append) {
            cx.error_help(
                cap.name.span,
                format!(
                    "the capture `{}` appends, but `{}` has no `repeat`",
                    cap.name.value, r.name.value
                ),
                "`append: true` collects values across the pages of a `repeat` request",
            );
        }
    }
    if let Some(poll) = r.poll.as_deref() {
        if r.expect.is_empty() {
            cx.error_help(
                poll.span,
                format!("`poll` on `{}`, which has no `expect`", r.name.value),
                "`poll` re-sends the request until its `expect` holds: say what it waits for",
            );
        }
        let keyed = r
            .headers
            .iter()
            .any(|h| h.name.value.eq_ignore_ascii_case("idempotency-key"));
        if r.mutates() && !keyed {
            cx.error_help(
                poll.span,
                format!(
                    "`poll` on `{}`, which mutates ({}), without an `Idempotency-Key` header",
                    r.name.value, r.method.value
                ),
                "a mutating request is sent again only with an `Idempotency-Key` header (as for retries); a read-only POST says `mutates: false`",
            );
        }
    }
}
