//! Normalized paths (RFC 9535 §2.7): the one canonical spelling of a node's location, used to
//! report where a node was found and to compare locations found by different queries.

use std::fmt::{self, Display, Formatter, Write as _};

/// One step of a [`NormalizedPath`]: a member name or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathElement {
    /// An object member, by name.
    Name(String),
    /// An array element, by its (non-negative) index.
    Index(usize),
}

/// The location of one node in a JSON document, from the root down.
///
/// `Display` writes the RFC 9535 normalized path (`$['a'][0]['b']`), with the escaping of
/// §2.7; [`NormalizedPath::parse`] reads that form back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NormalizedPath(Vec<PathElement>);

impl NormalizedPath {
    /// The path of the root node, `$`.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// The steps from the root, outermost first.
    pub fn elements(&self) -> &[PathElement] {
        &self.0
    }

    /// The steps from the root, outermost first.
    pub fn into_elements(self) -> Vec<PathElement> {
        self.0
    }

    /// Appends one step.
    pub fn push(&mut self, element: PathElement) {
        self.0.push(element);
    }

    /// Removes the last step (`None` at the root).
    pub fn pop(&mut self) -> Option<PathElement> {
        self.0.pop()
    }

    /// How many steps below the root.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether this is the root path `$`.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `self` is `ancestor` or lies under it.
    pub fn starts_with(&self, ancestor: &NormalizedPath) -> bool {
        self.0.starts_with(&ancestor.0)
    }

    /// The node this path names in `doc`, if it is there.
    pub fn resolve<'a>(&self, doc: &'a serde_json::Value) -> Option<&'a serde_json::Value> {
        self.0.iter().try_fold(doc, |node, element| match element {
            PathElement::Name(name) => node.as_object()?.get(name),
            PathElement::Index(index) => node.as_array()?.get(*index),
        })
    }

    /// The node this path names in `doc`, mutably, if it is there.
    pub fn resolve_mut<'a>(
        &self,
        doc: &'a mut serde_json::Value,
    ) -> Option<&'a mut serde_json::Value> {
        self.0.iter().try_fold(doc, |node, element| match element {
            PathElement::Name(name) => node.as_object_mut()?.get_mut(name),
            PathElement::Index(index) => node.as_array_mut()?.get_mut(*index),
        })
    }

    /// Reads a normalized path as `Display` writes it (and as the JSONPath engine reports
    /// locations). Only the normalized form is accepted: single-quoted names with the §2.7
    /// escapes and decimal indices without sign or leading zeros.
    pub fn parse(text: &str) -> Option<Self> {
        let mut rest = text.strip_prefix('$')?;
        let mut elements = Vec::new();
        while !rest.is_empty() {
            rest = rest.strip_prefix('[')?;
            if let Some(quoted) = rest.strip_prefix('\'') {
                let (name, after) = parse_quoted_name(quoted)?;
                elements.push(PathElement::Name(name));
                rest = after.strip_prefix(']')?;
            } else {
                let end = rest.find(']')?;
                let digits = &rest[..end];
                if digits.is_empty()
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                    || (digits.len() > 1 && digits.starts_with('0'))
                {
                    return None;
                }
                elements.push(PathElement::Index(digits.parse().ok()?));
                rest = &rest[end + 1..];
            }
        }
        Some(Self(elements))
    }
}

/// Reads the body of a single-quoted normal name up to and including its closing quote;
/// returns the name and the text after the quote.
fn parse_quoted_name(text: &str) -> Option<(String, &str)> {
    let mut name = String::new();
    let mut chars = text.char_indices();
    while let Some((at, ch)) = chars.next() {
        match ch {
            '\'' => return Some((name, &text[at + 1..])),
            '\\' => {
                let (_, escaped) = chars.next()?;
                name.push(match escaped {
                    'b' => '\u{0008}',
                    'f' => '\u{000C}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    '\'' => '\'',
                    '\\' => '\\',
                    'u' => {
                        let mut code = 0u32;
                        for _ in 0..4 {
                            code = code * 16 + chars.next()?.1.to_digit(16)?;
                        }
                        char::from_u32(code)?
                    }
                    _ => return None,
                });
            }
            ch => name.push(ch),
        }
    }
    None
}

impl From<Vec<PathElement>> for NormalizedPath {
    fn from(elements: Vec<PathElement>) -> Self {
        Self(elements)
    }
}

impl FromIterator<PathElement> for NormalizedPath {
    fn from_iter<I: IntoIterator<Item = PathElement>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl Display for NormalizedPath {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('$')?;
        for element in &self.0 {
            match element {
                PathElement::Name(name) => {
                    f.write_char('[')?;
                    write_quoted_name(f, name)?;
                    f.write_char(']')?;
                }
                PathElement::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Writes `name` as an RFC 9535 normal name selector body, quotes included: single quotes;
/// `'` and `\` escaped; `\b \f \n \r \t` for those controls; other C0 controls as lowercase
/// `\u00XX`; everything else as itself (§2.7).
///
/// The same spelling is a valid string literal anywhere in a query, which is why the
/// structural diff also uses it for the keys in its filter paths.
pub fn write_quoted_name<W: fmt::Write + ?Sized>(out: &mut W, name: &str) -> fmt::Result {
    out.write_char('\'')?;
    for ch in name.chars() {
        match ch {
            '\u{0008}' => out.write_str("\\b")?,
            '\u{000C}' => out.write_str("\\f")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            '\'' => out.write_str("\\'")?,
            '\\' => out.write_str("\\\\")?,
            c if c < '\u{0020}' => write!(out, "\\u{:04x}", u32::from(c))?,
            c => out.write_char(c)?,
        }
    }
    out.write_char('\'')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_escapes_as_rfc_9535_section_2_7() {
        let path = NormalizedPath::from(vec![
            PathElement::Name("ia::result".into()),
            PathElement::Index(0),
            PathElement::Name("it's \\ a\u{1}\u{8}\u{c}\n\r\t\u{1f}é".into()),
        ]);
        assert_eq!(
            path.to_string(),
            "$['ia::result'][0]['it\\'s \\\\ a\\u0001\\b\\f\\n\\r\\t\\u001fé']"
        );
        assert_eq!(NormalizedPath::parse(&path.to_string()), Some(path));
    }

    #[test]
    fn parse_rejects_what_is_not_normalized() {
        for text in [
            "", "a", "$.a", "$[\"a\"]", "$[01]", "$[-1]", "$['a'", "$['\\x']", "$[]",
        ] {
            assert_eq!(NormalizedPath::parse(text), None, "{text}");
        }
        assert_eq!(NormalizedPath::parse("$"), Some(NormalizedPath::root()));
    }

    #[test]
    fn resolve_follows_names_and_indices() {
        let doc = serde_json::json!({"a": [{"b": 1}]});
        let path = NormalizedPath::parse("$['a'][0]['b']").unwrap();
        assert_eq!(path.resolve(&doc), Some(&serde_json::json!(1)));
        assert_eq!(
            NormalizedPath::parse("$['a'][1]").unwrap().resolve(&doc),
            None
        );
        assert!(path.starts_with(&NormalizedPath::parse("$['a']").unwrap()));
    }
}
