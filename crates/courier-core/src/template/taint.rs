//! Taint: a value rendered by an expression that read a secret is itself a secret, so every
//! derived form (`{{ key | upper }}`, `{{ key | reverse }}`, `{{ [a, key] | join }}`) is
//! redacted as the secret is (docs/secrets.md). Numbers, booleans and strings shorter than
//! six characters stay plain: `{{ key | length }}` does not make `12` a secret.
//!
//! Taint is per expression: in `{{ base_url }}/x?key={{ key | upper }}` only the second
//! expression's output becomes a secret, so the URL still reads
//! `https://host/x?key=[REDACTED]`. A template with `{% … %}` blocks is tainted whole.

use std::cell::Cell;
use std::collections::HashSet;

use minijinja::value::{Value as MjValue, ValueKind};

use super::{Vars, filter_variables};
use crate::secret::Secrets;

/// How many values of the variables an expression reads are looked at, at most, to find out
/// whether they hold a secret; a capture of a huge response is not walked whole on every
/// render. Past the budget the rest is taken as holding no secret.
const WALK_NODES: usize = 10_000;
/// How many bytes of strings are searched for secrets, at most, per expression.
const WALK_BYTES: usize = 1 << 20;

thread_local! {
    /// Set by `env()` when it returns a value of the environment (always a secret). Rendering
    /// is synchronous, so a flag per thread is a flag per render.
    static ENV_READ: Cell<bool> = const { Cell::new(false) };
}

/// Notes that `env()` returned an environment value during this render.
pub(super) fn note_env_read() {
    ENV_READ.with(|f| f.set(true));
}

/// The variables one expression (or a whole template) reads.
#[derive(Debug, Default, Clone)]
pub(super) struct Reads {
    names: Vec<String>,
    calls_env: bool,
}

impl Reads {
    /// What an expression reads: the engine's undeclared variables, plus every identifier in
    /// `code` (the expression, or a template's tags) outside string literals — the engine
    /// reports no variable for a slice such as `key[:8]`, and a name read needlessly costs
    /// only a look at its value.
    pub(super) fn new(undeclared: HashSet<String>, code: &str) -> Self {
        let calls_env = undeclared.contains("env");
        let mut names = undeclared;
        names.extend(identifiers(code));
        Self {
            names: filter_variables(names),
            calls_env,
        }
    }

    fn is_empty(&self) -> bool {
        self.names.is_empty() && !self.calls_env
    }
}

/// Evaluates `eval` and, when the run has secrets and the expression read one (a variable
/// whose value holds a form of a secret, or `env()`), adds its rendered value to them.
pub(super) fn tainting<T>(
    reads: &Reads,
    vars: &Vars,
    eval: impl FnOnce() -> T,
    rendered: impl FnOnce(&T) -> Option<serde_json::Value>,
) -> T {
    let Some(runtime) = vars.runtime.as_ref().filter(|_| !reads.is_empty()) else {
        return eval();
    };
    let before = ENV_READ.with(|f| f.replace(false));
    let out = eval();
    let env_read = ENV_READ.with(|f| f.replace(before));
    let secrets = &runtime.secrets;
    if (env_read || reads_secret(reads, vars, secrets))
        && let Some(value) = rendered(&out)
    {
        secrets.add_rendered(&value);
    }
    out
}

/// Whether one of the variables `reads` names holds a form of a secret.
fn reads_secret(reads: &Reads, vars: &Vars, secrets: &Secrets) -> bool {
    if secrets.is_empty() {
        return false;
    }
    let mut budget = Budget {
        nodes: WALK_NODES,
        bytes: WALK_BYTES,
    };
    reads.names.iter().any(|name| {
        vars.get(name)
            .is_some_and(|v| holds_secret(v, secrets, &mut budget))
    })
}

struct Budget {
    nodes: usize,
    bytes: usize,
}

fn holds_secret(value: &MjValue, secrets: &Secrets, budget: &mut Budget) -> bool {
    if budget.nodes == 0 {
        return false;
    }
    budget.nodes -= 1;
    if let Some(s) = value.as_str() {
        if s.len() > budget.bytes {
            return false;
        }
        budget.bytes -= s.len();
        return secrets.mentions(s);
    }
    match value.kind() {
        ValueKind::Seq | ValueKind::Iterable => value
            .try_iter()
            .is_ok_and(|mut items| items.any(|item| holds_secret(&item, secrets, budget))),
        ValueKind::Map => value.try_iter().is_ok_and(|mut keys| {
            keys.any(|key| {
                holds_secret(&key, secrets, budget)
                    || value
                        .get_item(&key)
                        .is_ok_and(|v| holds_secret(&v, secrets, budget))
            })
        }),
        _ => false,
    }
}

/// A rendered template value as JSON, for [`Secrets::add_rendered`].
pub(super) fn as_json(value: &MjValue) -> Option<serde_json::Value> {
    if let Some(s) = value.as_str() {
        return Some(serde_json::Value::String(s.to_owned()));
    }
    match value.kind() {
        ValueKind::Seq | ValueKind::Map | ValueKind::Iterable => serde_json::to_value(value).ok(),
        _ => None,
    }
}

/// The identifiers of template code, outside string literals.
fn identifiers(code: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    let mut chars = code.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '"' || c == '\'' {
            while let Some((_, d)) = chars.next() {
                if d == '\\' {
                    chars.next();
                } else if d == c {
                    break;
                }
            }
        } else if c.is_ascii_alphabetic() || c == '_' {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if d.is_ascii_alphanumeric() || d == '_' {
                    end = j + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            out.insert(code[i..end].to_owned());
        } else if c.is_ascii_digit() {
            while chars
                .peek()
                .is_some_and(|&(_, d)| d.is_ascii_alphanumeric() || d == '_')
            {
                chars.next();
            }
        }
    }
    out
}

/// The code inside a template's `{{ … }}` and `{% … %}` tags.
pub(super) fn tag_code(source: &str) -> String {
    let mut out = String::new();
    let mut rest = source;
    while let Some(open) = rest.find(['{']) {
        let after = &rest[open..];
        let close = if after.starts_with("{{") {
            "}}"
        } else if after.starts_with("{%") {
            "%}"
        } else {
            rest = &rest[open + 1..];
            continue;
        };
        let body = &after[2..];
        let end = body.find(close).unwrap_or(body.len());
        out.push_str(&body[..end]);
        out.push(' ');
        rest = &body[end..];
    }
    out
}
