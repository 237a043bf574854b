//! Just enough JavaScript to read the assertions of Postman test scripts: literals, access
//! chains with calls (`pm.expect(json.a[0]).to.eql("x")`), and splitting a line into
//! statements. Anything else does not parse, and the caller keeps it as a comment.

use serde_json::{Map, Number, Value};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Lit(Value),
    /// A regex literal: pattern and flags.
    Regex(String, String),
    Chain(Vec<Seg>),
    /// `a || b` (kept for `var user = json.user || {}`).
    Or(Box<Expr>, Box<Expr>),
    /// `a === b` / `a == b`.
    Eq(Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Seg {
    Name(String),
    Index(Value),
    Call(Vec<Expr>),
}

impl Expr {
    /// The chain's shape with calls as `()` and indexes as `[]`, and the arguments of each
    /// call in order: `pm.expect(x).to.eql(1)` → (`pm.expect().to.eql()`, [[x], [1]]).
    pub(crate) fn shape(&self) -> Option<(String, Vec<&[Expr]>)> {
        let Expr::Chain(segs) = self else {
            return None;
        };
        let mut shape = String::new();
        let mut args = Vec::new();
        for s in segs {
            match s {
                Seg::Name(n) => {
                    if !shape.is_empty() {
                        shape.push('.');
                    }
                    shape.push_str(n);
                }
                Seg::Index(_) => shape.push_str("[]"),
                Seg::Call(a) => {
                    shape.push_str("()");
                    args.push(a.as_slice());
                }
            }
        }
        Some((shape, args))
    }
}

/// Parses one expression that must take the whole text.
pub(crate) fn parse(text: &str) -> Option<Expr> {
    let mut p = Parser {
        s: text.chars().collect(),
        i: 0,
    };
    let e = p.expr()?;
    p.ws();
    (p.i == p.s.len()).then_some(e)
}

struct Parser {
    s: Vec<char>,
    i: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn eat_str(&mut self, t: &str) -> bool {
        self.ws();
        let n = t.chars().count();
        if self.s.len() >= self.i + n && self.s[self.i..self.i + n].iter().copied().eq(t.chars()) {
            self.i += n;
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Option<Expr> {
        let left = self.unary()?;
        if self.eat_str("||") {
            let right = self.expr()?;
            return Some(Expr::Or(Box::new(left), Box::new(right)));
        }
        if self.eat_str("===") || self.eat_str("==") {
            let right = self.unary()?;
            return Some(Expr::Eq(Box::new(left), Box::new(right)));
        }
        Some(left)
    }

    fn unary(&mut self) -> Option<Expr> {
        self.ws();
        let c = self.peek()?;
        match c {
            '"' | '\'' | '`' => self.string().map(|s| Expr::Lit(Value::String(s))),
            '[' => self.array(),
            '{' => self.object(),
            '/' => self.regex(),
            '-' | '0'..='9' => self.number(),
            c if c.is_alphabetic() || c == '_' || c == '$' => self.chain(),
            _ => None,
        }
    }

    fn ident(&mut self) -> Option<String> {
        self.ws();
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$')
        {
            self.i += 1;
        }
        (self.i > start).then(|| self.s[start..self.i].iter().collect())
    }

    fn chain(&mut self) -> Option<Expr> {
        let first = self.ident()?;
        match first.as_str() {
            "true" => return Some(Expr::Lit(Value::Bool(true))),
            "false" => return Some(Expr::Lit(Value::Bool(false))),
            "null" => return Some(Expr::Lit(Value::Null)),
            _ => {}
        }
        let mut segs = vec![Seg::Name(first)];
        loop {
            self.ws();
            match self.peek() {
                Some('.') => {
                    self.i += 1;
                    segs.push(Seg::Name(self.ident()?));
                }
                Some('[') => {
                    self.i += 1;
                    let Expr::Lit(v) = self.unary()? else {
                        return None;
                    };
                    if !(v.is_string() || v.is_u64()) || !self.eat(']') {
                        return None;
                    }
                    segs.push(Seg::Index(v));
                }
                Some('(') => {
                    self.i += 1;
                    let mut args = Vec::new();
                    if !self.eat(')') {
                        loop {
                            // A callback (`function () {…}`, `() => …`) is not for us.
                            args.push(self.expr()?);
                            if self.eat(')') {
                                break;
                            }
                            if !self.eat(',') {
                                return None;
                            }
                        }
                    }
                    segs.push(Seg::Call(args));
                }
                _ => return Some(Expr::Chain(segs)),
            }
        }
    }

    fn string(&mut self) -> Option<String> {
        let quote = self.peek()?;
        self.i += 1;
        let mut out = String::new();
        loop {
            let c = self.peek()?;
            self.i += 1;
            match c {
                c if c == quote => return Some(out),
                '$' if quote == '`' && self.peek() == Some('{') => return None,
                '\\' => {
                    let e = self.peek()?;
                    self.i += 1;
                    out.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        'u' => {
                            let hex: String = self.s.get(self.i..self.i + 4)?.iter().collect();
                            self.i += 4;
                            char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
                        }
                        other => other,
                    });
                }
                c => out.push(c),
            }
        }
    }

    fn number(&mut self) -> Option<Expr> {
        let start = self.i;
        if self.peek() == Some('-') {
            self.i += 1;
        }
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+'))
        {
            self.i += 1;
        }
        let text: String = self.s[start..self.i].iter().collect();
        if let Ok(i) = text.parse::<i64>() {
            return Some(Expr::Lit(Value::Number(i.into())));
        }
        let f: f64 = text.parse().ok()?;
        Number::from_f64(f).map(|n| Expr::Lit(Value::Number(n)))
    }

    fn array(&mut self) -> Option<Expr> {
        self.i += 1;
        let mut items = Vec::new();
        if self.eat(']') {
            return Some(Expr::Lit(Value::Array(items)));
        }
        loop {
            let Expr::Lit(v) = self.unary()? else {
                return None;
            };
            items.push(v);
            if self.eat(']') {
                return Some(Expr::Lit(Value::Array(items)));
            }
            if !self.eat(',') {
                return None;
            }
            // A trailing comma.
            if self.eat(']') {
                return Some(Expr::Lit(Value::Array(items)));
            }
        }
    }

    fn object(&mut self) -> Option<Expr> {
        self.i += 1;
        let mut m = Map::new();
        if self.eat('}') {
            return Some(Expr::Lit(Value::Object(m)));
        }
        loop {
            self.ws();
            let key = match self.peek()? {
                '"' | '\'' => self.string()?,
                _ => self.ident()?,
            };
            if !self.eat(':') {
                return None;
            }
            let Expr::Lit(v) = self.unary()? else {
                return None;
            };
            m.insert(key, v);
            if self.eat('}') {
                return Some(Expr::Lit(Value::Object(m)));
            }
            if !self.eat(',') {
                return None;
            }
            if self.eat('}') {
                return Some(Expr::Lit(Value::Object(m)));
            }
        }
    }

    fn regex(&mut self) -> Option<Expr> {
        self.i += 1;
        let mut pattern = String::new();
        let mut class = false;
        loop {
            let c = self.peek()?;
            self.i += 1;
            match c {
                '\\' => {
                    pattern.push(c);
                    pattern.push(self.peek()?);
                    self.i += 1;
                }
                '[' => {
                    class = true;
                    pattern.push(c);
                }
                ']' => {
                    class = false;
                    pattern.push(c);
                }
                '/' if !class => break,
                c => pattern.push(c),
            }
        }
        let mut flags = String::new();
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            flags.push(self.peek()?);
            self.i += 1;
        }
        Some(Expr::Regex(pattern, flags))
    }
}

/// Splits a line into statements at `;` outside strings, brackets and braces.
pub(crate) fn statements(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in line.chars() {
        if let Some(q) = quote {
            cur.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' | '`' => {
                quote = Some(c);
                cur.push(c);
            }
            '(' | '[' | '{' => {
                depth += 1;
                cur.push(c);
            }
            ')' | ']' | '}' => {
                depth -= 1;
                cur.push(c);
            }
            ';' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
            }
            c => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A JSONPath member segment: `.name` when the shorthand allows it, else `['name']`.
pub(crate) fn member(name: &str) -> String {
    let mut chars = name.chars();
    let shorthand = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if shorthand {
        format!(".{name}")
    } else {
        format!("['{}']", name.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn literals_and_chains() {
        assert_eq!(
            parse("{a: [1, 'x', {\"b\": null}], c: -2.5,}"),
            Some(Expr::Lit(json!({"a": [1, "x", {"b": null}], "c": -2.5})))
        );
        let e = parse("pm.expect(json.items[0]['a-b']).to.eql(\"v\")").unwrap();
        let (shape, args) = e.shape().unwrap();
        assert_eq!(shape, "pm.expect().to.eql()");
        assert_eq!(args[1], [Expr::Lit(json!("v"))]);
        assert!(parse("pm.test('x', function () {").is_none());
        assert!(parse("`a${b}`").is_none());
        assert_eq!(
            parse("/^ab\\/c[/]$/i"),
            Some(Expr::Regex("^ab\\/c[/]$".into(), "i".into()))
        );
    }

    #[test]
    fn statement_split() {
        assert_eq!(
            statements("a(';'); b({x: 1; }) ;"),
            ["a(';')", "b({x: 1; })"]
        );
        assert_eq!(member("a_b"), ".a_b");
        assert_eq!(member("ia::result"), "['ia::result']");
        assert_eq!(member("it's"), "['it\\'s']");
    }
}
