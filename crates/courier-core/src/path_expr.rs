//! A JSONPath as a collection writes it, for checks, captures, snapshot and schema paths:
//! compiled once at load, or, when its text holds `{{`, a template rendered with the request's
//! variables and compiled per request (docs/collections-language.md#templated-jsonpath-keys).
//! At load a templated path is compiled once with placeholders in place of its expressions,
//! so a syntax error outside them is found before anything is sent.

use crate::diag::Spanned;
use crate::jsonpath::{JsonPath, JsonPathError};
use crate::template::{Template, Vars, expression_ranges};

/// A JSONPath, fixed or templated.
#[derive(Debug, Clone)]
pub enum PathExpr {
    Fixed(JsonPath),
    /// The key's template, with the key's span (for the static check of its variables).
    Templated(Spanned<Template>),
}

impl PathExpr {
    /// The path as written.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Fixed(p) => p.as_str(),
            Self::Templated(t) => t.value.source(),
        }
    }

    /// The template of a templated path.
    pub fn template(&self) -> Option<&Spanned<Template>> {
        match self {
            Self::Fixed(_) => None,
            Self::Templated(t) => Some(t),
        }
    }

    /// The compiled path for a request rendered with `vars`. The error is a sentence for a
    /// failed check: it shows the rendered path, which is what did not compile.
    pub fn resolve(&self, vars: &Vars) -> Result<JsonPath, String> {
        match self {
            Self::Fixed(p) => Ok(p.clone()),
            Self::Templated(t) => {
                let rendered = t.value.render(vars).map_err(|e| {
                    format!("cannot render the JSONPath `{}`: {e}", t.value.source())
                })?;
                JsonPath::compile(&rendered).map_err(|e| {
                    format!(
                        "bad JSONPath `{rendered}` (rendered from `{}`): {}",
                        t.value.source(),
                        e.message
                    )
                })
            }
        }
    }
}

/// What each `{{ … }}` of a templated path stands for at load: a name after `.` or `..`
/// (`$.{{ field }}`), else an index or a number (`$.items[{{ i }}]`, `[?@.n == {{ n }}]`),
/// which also reads as text inside quotes (`$['{{ id }}']`).
fn placeholder(before: &str) -> &'static str {
    if before.trim_end().ends_with('.') {
        "a"
    } else {
        "0"
    }
}

/// Checks the syntax of a templated path around its expressions: the path with placeholders
/// for them must compile. The error's offset is in characters of `source`; an error inside an
/// expression points at the expression's `{{`. Lenient where the context is unclear: the path
/// passes when it compiles with any one placeholder everywhere.
pub fn check_templated(source: &str) -> Result<(), JsonPathError> {
    let Some(ranges) = expression_ranges(source) else {
        // The template's own check reports an unclosed `{{`.
        return Ok(());
    };
    let chars: Vec<char> = source.chars().collect();
    let render = |choose: &dyn Fn(&str) -> &'static str| {
        let mut out = String::new();
        // (rendered start, rendered end, source start, source end) of each placeholder.
        let mut spans = Vec::new();
        let mut at = 0;
        for &(start, end) in &ranges {
            out.extend(&chars[at..start]);
            let p = choose(&out);
            let rendered_start = out.chars().count();
            out.push_str(p);
            spans.push((rendered_start, rendered_start + p.len(), start, end));
            at = end;
        }
        out.extend(&chars[at..]);
        (out, spans)
    };
    let (text, spans) = render(&placeholder);
    let Err(error) = JsonPath::compile(&text) else {
        return Ok(());
    };
    for fixed in ["0", "a"] {
        if JsonPath::compile(&render(&|_| fixed).0).is_ok() {
            return Ok(());
        }
    }
    let mut message = error.message;
    let offset = error.offset.map(|o| {
        let mut shift: isize = 0;
        for &(r_start, r_end, s_start, s_end) in &spans {
            if o < r_start {
                break;
            }
            if o < r_end {
                // The fault is at a placeholder the user never wrote: name what it stands for.
                let written: String = chars[s_start..s_end].iter().collect();
                let stand_in: String = text.chars().skip(r_start).take(r_end - r_start).collect();
                message = format!("{message} (where `{written}` stands, checked as `{stand_in}`)");
                return s_start;
            }
            shift += (s_end - s_start) as isize - (r_end - r_start) as isize;
        }
        o.saturating_add_signed(shift)
    });
    Err(JsonPathError { message, offset })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_fit_names_indexes_numbers_and_quoted_text() {
        for ok in [
            "$['{{ id }}']",
            "$['ia::result'][?@.id == '{{ vendor_id }}']",
            "$.{{ field }}",
            "$..{{ field }}.id",
            "$.items[{{ i }}]",
            "$.items[?@.n == {{ n }}]",
            "$.{{ f }}[?@.n > {{ n }}]",
        ] {
            assert_eq!(check_templated(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn a_syntax_error_points_into_the_source_text() {
        // The unclosed bracket is found at the end, after the expression.
        let source = "$['ia::result'][?@.id == '{{ vendor_id }}'";
        let e = check_templated(source).unwrap_err();
        assert!(e.offset.is_none_or(|o| o <= source.chars().count()));
        // A stray character after the expression is reported where it is in the source.
        let source = "$['{{ id }}']]";
        let e = check_templated(source).unwrap_err();
        assert_eq!(e.offset, Some(source.chars().count() - 1), "{e:?}");
    }
}
