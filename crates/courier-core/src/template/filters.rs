//! The static check of filters: a template that pipes into a filter the engine does not have
//! (`{{ name | upcase }}`) fails only when rendered, so `validate` looks for filter names in
//! the template's expressions and checks each against the engine (docs/cli.md#validate).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

use minijinja::ErrorKind;

use super::ENGINE;

/// Filters commonly written in templates, probed against the engine once: the ones it has
/// are what a misspelt filter is compared with.
const COMMON: &[&str] = &[
    "abs",
    "attr",
    "base64",
    "batch",
    "bool",
    "capitalize",
    "count",
    "default",
    "dictsort",
    "escape",
    "first",
    "float",
    "groupby",
    "indent",
    "int",
    "items",
    "join",
    "last",
    "length",
    "lines",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "pprint",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "safe",
    "select",
    "selectattr",
    "slice",
    "sort",
    "split",
    "string",
    "sum",
    "title",
    "tojson",
    "trim",
    "unique",
    "upper",
    "urlencode",
];

static KNOWN: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| COMMON.iter().copied().filter(|f| is_filter(f)).collect());

/// Whether the engine has a filter of this name: applying it fails for any reason but an
/// unknown filter.
pub(super) fn is_filter(name: &str) -> bool {
    /// Answers so far: asking the engine compiles an expression, and every template of
    /// every file asks about the same few filters. Bounded: names are user input.
    static KNOWN_ANSWERS: LazyLock<Mutex<HashMap<String, bool>>> = LazyLock::new(Mutex::default);
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return false;
    }
    if let Some(known) = KNOWN_ANSWERS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(name)
    {
        return *known;
    }
    let answer = match ENGINE.compile_expression(&format!("none | {name}")) {
        Ok(expr) => !matches!(expr.eval(()), Err(e) if e.kind() == ErrorKind::UnknownFilter),
        Err(_) => false,
    };
    let mut answers = KNOWN_ANSWERS.lock().unwrap_or_else(PoisonError::into_inner);
    if answers.len() < 256 {
        answers.insert(name.to_owned(), answer);
    }
    answer
}

/// The filters the engine has, among the common ones: for did-you-mean and help.
pub fn filter_names() -> &'static [&'static str] {
    &KNOWN
}

/// The names after a `|` inside the `{{ … }}` and `{% … %}` of `source` that are no filter of
/// the engine, each once, in order. Quoted strings are skipped.
pub fn unknown_filters(source: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // Most templates pipe nothing: one byte search answers them.
    if !source.contains('|') {
        return out;
    }
    let mut rest = source;
    while let Some(open) = next_open(rest) {
        let body = &rest[open + 2..];
        let close = next_close(body).unwrap_or(body.len());
        for name in piped_names(&body[..close]) {
            if !is_filter(&name) && !out.contains(&name) {
                out.push(name);
            }
        }
        rest = &body[close..];
    }
    out
}

/// Where the first `{{` or `{%` starts.
fn next_open(text: &str) -> Option<usize> {
    (text.as_bytes().windows(2)).position(|w| w[0] == b'{' && matches!(w[1], b'{' | b'%'))
}

/// Where the first `}}` or `%}` starts.
fn next_close(text: &str) -> Option<usize> {
    (text.as_bytes().windows(2)).position(|w| matches!(w[0], b'}' | b'%') && w[1] == b'}')
}

/// The identifiers that follow a `|` in an expression, outside quoted strings.
fn piped_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut quote: Option<char> = None;
    let mut chars = expr.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), '\\') => {
                chars.next();
            }
            (None, '"' | '\'') => quote = Some(c),
            (None, '|') => {
                let after = expr[i + 1..].trim_start();
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    names.push(name);
                }
            }
            _ => {}
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_filters_are_found_and_known_ones_pass() {
        assert_eq!(
            unknown_filters(
                "{{ a | upcase }}/{{ b | upper | base64 }}{% if c | lenght %}{% endif %}"
            ),
            ["upcase", "lenght"]
        );
        assert!(unknown_filters("{{ \"a|b\" }} | x {{ a | default('|y') }}").is_empty());
        assert!(filter_names().contains(&"upper") && filter_names().contains(&"urlencode"));
    }
}
