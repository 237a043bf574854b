//! Variable names and templates: Postman's `{{name}}` becomes Courier's `{{ name }}`, names
//! that are not identifiers are renamed to snake_case (once, the same everywhere), Postman's
//! dynamic variables become template functions, and text that minijinja would read as its own
//! syntax is escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Words minijinja reserves, which a variable cannot be called.
const RESERVED: [&str; 12] = [
    "true", "false", "none", "and", "or", "not", "in", "is", "if", "else", "loop", "self",
];

/// Whether `s` is a name Courier accepts for a variable.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.contains(&s)
}

/// `snake_case` of any text: camelCase humps and every run of other characters become `_`.
pub(crate) fn snake(s: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower && !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c.to_ascii_lowercase());
        } else {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    let out = out.trim_end_matches('_').to_owned();
    if out.is_empty() {
        "var".to_owned()
    } else if out.starts_with(|c: char| c.is_ascii_digit()) || RESERVED.contains(&out.as_str()) {
        format!("v_{out}")
    } else {
        out
    }
}

/// `UPPER_SNAKE` for an environment variable name.
pub(crate) fn upper_snake(s: &str) -> String {
    snake(s).to_ascii_uppercase()
}

/// A file-name slug: lower-case letters and digits joined by `-`.
pub(crate) fn slug(s: &str) -> String {
    let s = snake(s).replace('_', "-");
    if s == "var" { "unnamed".to_owned() } else { s }
}

/// A Postman dynamic variable Courier has a function for.
fn dynamic(name: &str) -> Option<&'static str> {
    Some(match name {
        "$guid" | "$randomUUID" => "uuid()",
        "$timestamp" => "timestamp()",
        "$isoTimestamp" => "now('%Y-%m-%dT%H:%M:%S.%3fZ')",
        "$randomInt" => "random_int(0, 1000)",
        _ => return None,
    })
}

/// The renames and substitutions made over a whole import, for the summary.
#[derive(Debug, Default)]
pub(crate) struct Names {
    /// Postman name → Courier name, for every name that had to change.
    renamed: BTreeMap<String, String>,
    /// Dynamic variables turned into functions: `$guid` → `uuid()`.
    pub(crate) dynamic: BTreeMap<String, String>,
    /// Dynamic variables with no Courier function: `$randomFirstName` → variable name.
    pub(crate) unknown_dynamic: BTreeMap<String, String>,
}

impl Names {
    /// The Courier name for a Postman variable name.
    pub(crate) fn var(&mut self, name: &str) -> String {
        let name = name.trim();
        if is_identifier(name) {
            return name.to_owned();
        }
        if let Some(n) = self.renamed.get(name) {
            return n.clone();
        }
        let base = snake(name);
        let mut candidate = base.clone();
        let mut i = 2;
        while self.renamed.values().any(|v| *v == candidate) {
            candidate = format!("{base}_{i}");
            i += 1;
        }
        self.renamed.insert(name.to_owned(), candidate.clone());
        candidate
    }

    pub(crate) fn renamed(&self) -> impl Iterator<Item = (&String, &String)> {
        self.renamed.iter()
    }

    /// Converts Postman text with `{{var}}` references into a Courier template, pushing the
    /// Courier names of the variables it reads onto `used`.
    pub(crate) fn template(&mut self, text: &str, used: &mut Vec<String>) -> String {
        let mut out = String::with_capacity(text.len() + 8);
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let (before, after) = rest.split_at(start);
            out.push_str(&literal(before));
            let Some(end) = after[2..].find("}}") else {
                // Unterminated: the rest is text, whatever braces it holds.
                out.push_str(&literal(after));
                return out;
            };
            let inner = &after[2..2 + end];
            if inner.contains('{') || inner.trim().is_empty() {
                // Not a Postman reference: keep the braces as text.
                out.push_str("{{ '{{' }}");
                rest = &after[2..];
                continue;
            }
            out.push_str(&self.reference(inner.trim(), used));
            rest = &after[2 + end + 2..];
        }
        out.push_str(&literal(rest));
        out
    }

    /// `{{ expr }}` for one Postman reference.
    fn reference(&mut self, name: &str, used: &mut Vec<String>) -> String {
        if name.starts_with('$') {
            if let Some(f) = dynamic(name) {
                self.dynamic.insert(name.to_owned(), f.to_owned());
                return format!("{{{{ {f} }}}}");
            }
            let var = snake(name);
            self.unknown_dynamic.insert(name.to_owned(), var.clone());
            used.push(var.clone());
            return format!("{{{{ {var} }}}}");
        }
        let var = self.var(name);
        used.push(var.clone());
        format!("{{{{ {var} }}}}")
    }
}

/// Text that Courier must send as is: minijinja's openers (`{{`, `{%`, `{#`) are written as
/// literals.
pub(crate) fn literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{'
            && let Some(&n) = chars.peek()
            && matches!(n, '{' | '%' | '#')
        {
            chars.next();
            let _ = write!(out, "{{{{ '{{{n}' }}}}");
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_names() {
        assert_eq!(snake("collection-var"), "collection_var");
        assert_eq!(snake("userId"), "user_id");
        assert_eq!(snake("user.id"), "user_id");
        assert_eq!(snake("APIURL"), "apiurl");
        assert_eq!(snake("1st value"), "v_1st_value");
        assert_eq!(snake("if"), "v_if");
        assert_eq!(upper_snake("client secret"), "CLIENT_SECRET");
        assert_eq!(
            slug("Articles, Favorite, Comments"),
            "articles-favorite-comments"
        );
    }

    #[test]
    fn templates() {
        let mut n = Names::default();
        let mut used = Vec::new();
        assert_eq!(
            n.template(
                "{{APIURL}}/a/{{user-id}}?t={{$timestamp}}&x={% raw %}",
                &mut used
            ),
            "{{ APIURL }}/a/{{ user_id }}?t={{ timestamp() }}&x={{ '{%' }} raw %}"
        );
        assert_eq!(used, ["APIURL", "user_id"]);
        assert_eq!(n.template("a {{ b", &mut used), "a {{ '{{' }} b");
        // Every opener after an unterminated `{{` stays text too (found by a property test).
        assert_eq!(
            n.template("{{{{ {% x", &mut used),
            "{{ '{{' }}{{ '{{' }} {{ '{%' }} x"
        );
        assert_eq!(
            n.template("{{$randomFirstName}}", &mut used),
            "{{ random_first_name }}"
        );
        assert_eq!(n.renamed().count(), 1);
    }
}
