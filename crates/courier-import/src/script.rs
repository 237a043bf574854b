//! Postman test scripts to checks and captures. The common `pm.*` patterns (documented in
//! docs/import.md) become `expect` matchers and `capture` entries; every other statement is
//! kept as a YAML comment and counted, so nothing is dropped silently.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::js::{self, Expr, Seg};
use crate::names::Names;
use crate::out::{Capture, Expect};

/// What one script gave.
#[derive(Debug, Default)]
pub(crate) struct Converted {
    pub expect: Expect,
    pub captures: Vec<(String, Capture)>,
    /// Lines kept as comments, in script order.
    pub comments: Vec<String>,
    /// Statements turned into a matcher or a capture.
    #[allow(
        clippy::struct_field_names,
        reason = "`converted` counts what the converter converted"
    )]
    pub converted: usize,
    /// Statements kept as comments.
    pub kept: usize,
    /// Variables the converted checks read (`pm.environment.get("x")` as an expected value).
    pub used: Vec<String>,
}

/// The alias target of a variable holding the body text (`var t = pm.response.text()`).
const TEXT: &str = "#text";

/// Chai's words that only make an assertion read well.
const FILLERS: [&str; 13] = [
    "to", "be", "been", "is", "that", "which", "and", "has", "have", "with", "at", "of", "deep",
];

#[derive(Debug, PartialEq)]
enum Block {
    /// Inside `pm.test(…, function () {`: its statements are checks.
    Test,
    /// Inside anything else (`if`, `for`, a helper function): statements there are conditional,
    /// and converting them would check what the script did not.
    Other,
}

/// Converts a test script (its lines as Postman stores them).
pub(crate) fn convert(lines: &[String], names: &mut Names) -> Converted {
    let mut cx = Cx {
        out: Converted::default(),
        aliases: HashMap::new(),
        status_aliases: HashMap::new(),
        names,
    };
    let mut stack: Vec<Block> = Vec::new();
    // Lines of the current pm.test block, shown as comments only if one of them is kept.
    let mut block_lines: Vec<String> = Vec::new();
    let mut block_kept = false;
    for raw in lines.iter().flat_map(|l| l.split('\n')) {
        let line = raw.trim_end();
        let t = line.trim();
        if t.is_empty() || t.starts_with("//") {
            continue;
        }
        let conditional = stack.contains(&Block::Other);
        let in_test = stack.contains(&Block::Test);
        // A kept line goes with its pm.test block when one is open, else straight out.
        macro_rules! emit {
            ($line:expr) => {
                if in_test {
                    block_lines.push($line.to_owned());
                    block_kept = true;
                } else {
                    cx.out.comments.push($line.to_owned());
                }
            };
        }
        if let Some((body, closes)) = test_opener(t) {
            // `pm.test("…", function () {` or a one-line test.
            let mut kept = false;
            for st in js::statements(&body) {
                kept |= !cx.statement(&st, conditional);
            }
            if closes {
                if kept {
                    emit!(line);
                }
            } else if in_test {
                block_lines.push(line.to_owned());
                block_kept |= kept;
            } else {
                block_lines = vec![line.to_owned()];
                block_kept = kept;
            }
            if !closes {
                stack.push(if conditional {
                    Block::Other
                } else {
                    Block::Test
                });
            }
            continue;
        }
        if matches!(t, "});" | "})" | "}" | "};") {
            let closed = stack.pop();
            if closed == Some(Block::Test) && !stack.contains(&Block::Test) {
                if block_kept {
                    cx.out.comments.append(&mut block_lines);
                    cx.out.comments.push(line.to_owned());
                }
                block_lines.clear();
                block_kept = false;
            } else {
                emit!(line);
            }
            continue;
        }
        if t.starts_with('}') && t.ends_with('{') {
            // `} else {`: the branch ends and another, conditional one starts.
            let closed = stack.pop();
            stack.push(Block::Other);
            cx.out.kept += 1;
            if closed == Some(Block::Test) && !stack.contains(&Block::Test) {
                // The guarded block is shown with the branch that is kept.
                cx.out.comments.append(&mut block_lines);
                block_kept = false;
                cx.out.comments.push(line.to_owned());
            } else {
                emit!(line);
            }
            continue;
        }
        if !conditional && let Some(code) = cx.status_guard(t) {
            // `if (is200Response) {` after `var is200Response = responseCode.code === 200`:
            // the status is checked anyway, so what the guard holds is checked too.
            if cx.status(code) {
                cx.out.converted += 1;
            } else {
                cx.out.kept += 1;
            }
            if !in_test {
                block_lines.clear();
                block_kept = false;
            }
            block_lines.push(line.to_owned());
            stack.push(Block::Test);
            continue;
        }
        if t.ends_with('{') {
            // An `if`, a loop or a function: what is inside is conditional.
            stack.push(Block::Other);
            cx.out.kept += 1;
            emit!(line);
            continue;
        }
        let mut kept = false;
        for st in js::statements(t) {
            kept |= !cx.statement(&st, conditional);
        }
        if kept {
            emit!(line);
        }
    }
    // An unclosed block: keep what is buffered.
    if block_kept {
        cx.out.comments.append(&mut block_lines);
    }
    cx.out
}

/// The body of a `pm.test(` line after its callback's opening, and whether the test closes
/// on the same line; None for other lines.
fn test_opener(t: &str) -> Option<(String, bool)> {
    if !(t.starts_with("pm.test(") || t.starts_with("pm.test (")) {
        return None;
    }
    let rest = if let Some(i) = t.find("function") {
        let rest = &t[i..];
        &rest[rest.find('{')? + 1..]
    } else {
        let rest = t[t.find("=>")? + 2..].trim();
        if let Some(r) = rest.strip_prefix('{') {
            r
        } else {
            // `() => expression);`: the whole test on one line.
            let body = rest.trim_end().trim_end_matches(';');
            return Some((body.strip_suffix(')').unwrap_or(body).to_owned(), true));
        }
    };
    let rest = rest.trim();
    Some(
        match rest.strip_suffix("});").or_else(|| rest.strip_suffix("})")) {
            Some(b) => (b.to_owned(), true),
            None => (rest.to_owned(), false),
        },
    )
}

struct Cx<'a> {
    out: Converted,
    /// Script variables that hold the JSON body or a part of it → their JSONPath.
    aliases: HashMap<String, String>,
    /// Script variables that hold `responseCode.code === N` → N.
    status_aliases: HashMap<String, Value>,
    names: &'a mut Names,
}

impl Cx<'_> {
    /// Handles one statement; false when it was kept as a comment.
    fn statement(&mut self, st: &str, conditional: bool) -> bool {
        let st = st.trim().trim_end_matches(';').trim();
        if st.is_empty() {
            return true;
        }
        if let Some(rest) = ["var ", "let ", "const "]
            .iter()
            .find_map(|k| st.strip_prefix(k))
            && let Some((name, value)) = rest.split_once('=')
            && let Some(e) = js::parse(value)
        {
            let e = match e {
                Expr::Or(l, r) if matches!(*r, Expr::Lit(_)) => *l,
                e => e,
            };
            if let Some(code) = status_check(&e) {
                self.status_aliases.insert(name.trim().to_owned(), code);
                return !conditional;
            }
            let text = e
                .shape()
                .is_some_and(|(s, _)| s == "pm.response.text()" || s == "responseBody");
            if let Some(path) = if text {
                Some(TEXT.to_owned())
            } else {
                self.path(&e)
            } {
                self.aliases.insert(name.trim().to_owned(), path);
                // Inside a kept block the line is shown with the rest.
                return !conditional;
            }
        }
        let ok = !conditional && self.convert(st);
        if ok {
            self.out.converted += 1;
        } else {
            self.out.kept += 1;
        }
        ok
    }

    fn convert(&mut self, st: &str) -> bool {
        // Legacy `tests["name"] = expression;`
        if let Some(rest) = st.strip_prefix("tests[")
            && let Some(close) = rest.find("] =").or_else(|| rest.find("]="))
        {
            let value = rest[close + 1..].trim_start().trim_start_matches('=');
            if let Some((re, arg)) = regex_test(value) {
                // `/re/.test(x.a)`
                return match (js::parse(re), js::parse(arg)) {
                    (Some(Expr::Regex(p, flags)), Some(a)) if regex_ok(&p) => {
                        let p = if flags.contains('i') {
                            format!("(?i){p}")
                        } else {
                            p
                        };
                        self.path(&a).is_some_and(|path| {
                            self.out.expect.add_path(&path, "matches", json!(p))
                        })
                    }
                    _ => false,
                };
            }
            return js::parse(value).is_some_and(|e| self.legacy(&e));
        }
        let Some(e) = js::parse(st) else {
            return false;
        };
        let Some((shape, args)) = e.shape() else {
            return false;
        };
        match shape.as_str() {
            "pm.response.to.have.status()" => match args[0] {
                [Expr::Lit(v @ Value::Number(_))] => self.status(v.clone()),
                _ => false,
            },
            "pm.response.to.be.ok" => self.status(json!(200)),
            "pm.response.to.be.success" => self.status(json!("2xx")),
            "pm.response.to.be.json" => {
                self.out
                    .expect
                    .add_header("content-type", "contains", json!("json"))
            }
            "pm.response.to.have.header()" => match args[0] {
                [Expr::Lit(Value::String(h))] => {
                    self.out.expect.add_header(h, "exists", json!(true))
                }
                [Expr::Lit(Value::String(h)), v] => match self.value(v) {
                    Some(v) => self.out.expect.add_header(h, "eq", v),
                    None => false,
                },
                _ => false,
            },
            s if s.starts_with("pm.expect().") => {
                let [subject] = args[0] else {
                    return false;
                };
                self.expect(subject, &s["pm.expect().".len()..], &args[1..])
            }
            "pm.environment.set()"
            | "pm.collectionVariables.set()"
            | "pm.globals.set()"
            | "pm.variables.set()"
            | "postman.setEnvironmentVariable()"
            | "postman.setGlobalVariable()" => match args[0] {
                [Expr::Lit(Value::String(k)), v] => self.capture(k, v),
                _ => false,
            },
            _ => false,
        }
    }

    /// `tests[…] = responseCode.code === 200`, `= x.hasOwnProperty("k")`,
    /// `= responseBody.has("text")`.
    fn legacy(&mut self, e: &Expr) -> bool {
        if let Some(code) = status_check(e) {
            return self.status(code);
        }
        if let Expr::Eq(l, r) = e
            && let Expr::Lit(v) = r.as_ref()
            && let Some(p) = self.path(l)
        {
            return self.out.expect.add_path(&p, "eq", v.clone());
        }
        let Expr::Chain(segs) = e else {
            return false;
        };
        if let [Seg::Name(alias)] = segs.as_slice()
            && let Some(code) = self.status_aliases.get(alias)
        {
            return self.status(code.clone());
        }
        // `Array.isArray(x.a)`, `Number.isInteger(x.n)`: a type check.
        if let [Seg::Name(o), Seg::Name(f), Seg::Call(args)] = segs.as_slice()
            && let [arg] = args.as_slice()
            && let Some(p) = self.path(arg)
        {
            let ty = match (o.as_str(), f.as_str()) {
                ("Array", "isArray") => "array",
                ("Number", "isInteger") => "integer",
                _ => return false,
            };
            return self.out.expect.add_path(&p, "type", json!(ty));
        }
        if let [head @ .., Seg::Name(m), Seg::Call(args)] = segs.as_slice()
            && let [Expr::Lit(Value::String(k))] = args.as_slice()
        {
            let head = Expr::Chain(head.to_vec());
            if m == "hasOwnProperty"
                && let Some(p) = self.path(&head)
            {
                return self.out.expect.add_path(
                    &format!("{p}{}", js::member(k)),
                    "exists",
                    json!(true),
                );
            }
            if m == "has" && head.shape().is_some_and(|(s, _)| s == "responseBody") {
                return self.out.expect.add_body("contains", json!(k));
            }
        }
        false
    }

    /// The status an `if (…) {` line guards on: a status alias or `responseCode.code === N`.
    fn status_guard(&self, t: &str) -> Option<Value> {
        let inner = t.strip_prefix("if")?.trim().strip_suffix('{')?.trim();
        let inner = inner.strip_prefix('(')?.strip_suffix(')')?;
        match js::parse(inner)? {
            Expr::Chain(segs) => match segs.as_slice() {
                [Seg::Name(alias)] => self.status_aliases.get(alias).cloned(),
                _ => None,
            },
            e => status_check(&e),
        }
    }

    fn status(&mut self, v: Value) -> bool {
        if let Some(old) = &self.out.expect.status {
            *old == v
        } else {
            self.out.expect.status = Some(v);
            true
        }
    }

    /// `pm.expect(subject).<assertion>`.
    fn expect(&mut self, subject: &Expr, tail: &str, args: &[&[Expr]]) -> bool {
        let words: Vec<&str> = tail.split('.').filter(|w| !FILLERS.contains(w)).collect();
        let words = words.join(".");
        let arg = |i: usize| args.first().and_then(|a| a.get(i));
        // `to.have.property("k"[, v])` moves into the subject.
        if words == "property()" {
            let (Some(p), Some(Expr::Lit(Value::String(k)))) = (self.path(subject), arg(0)) else {
                return false;
            };
            let path = format!("{p}{}", js::member(k));
            return match arg(1) {
                None => self.out.expect.add_path(&path, "exists", json!(true)),
                Some(v) => match self.value(v) {
                    Some(v) => self.out.expect.add_path(&path, "eq", v),
                    None => false,
                },
            };
        }
        let Some((op, value)) = self.assertion(&words, arg(0)) else {
            return false;
        };
        let mut subject_shape = subject.shape().map(|(s, _)| s);
        if let Some(s) = &subject_shape
            && self.aliases.get(s).is_some_and(|a| a == TEXT)
        {
            subject_shape = Some("pm.response.text()".to_owned());
        }
        match subject_shape.as_deref() {
            Some("pm.response.code" | "responseCode.code") => match (op, value) {
                ("eq", v @ Value::Number(_)) | ("in", v @ Value::Array(_)) => self.status(v),
                (op @ ("gt" | "gte" | "lt" | "lte" | "ne"), v @ Value::Number(_)) => {
                    self.status(json!({ op: v }))
                }
                _ => false,
            },
            Some("pm.response.responseTime") => match (op, value) {
                (op @ ("lt" | "lte" | "gt" | "gte"), v @ Value::Number(_)) => {
                    self.out.expect.add_duration(op, v)
                }
                _ => false,
            },
            Some("pm.response.text()" | "responseBody") => self.out.expect.add_body(op, value),
            Some("pm.response.headers.get()") => match subject.shape() {
                Some((_, a)) => match a[0] {
                    [Expr::Lit(Value::String(h))] => self.out.expect.add_header(h, op, value),
                    _ => false,
                },
                None => false,
            },
            _ => {
                // `x.length` is JavaScript's length, not a member called `length`.
                if let Expr::Chain(segs) = subject
                    && let [head @ .., Seg::Name(last)] = segs.as_slice()
                    && last == "length"
                    && let Some(p) = self.path(&Expr::Chain(head.to_vec()))
                {
                    let v = match op {
                        "eq" => value,
                        "ne" | "gt" | "gte" | "lt" | "lte" => json!({ op: value }),
                        _ => return false,
                    };
                    return self.out.expect.add_path(&p, "length", v);
                }
                match self.path(subject) {
                    Some(p) => self.out.expect.add_path(&p, op, value),
                    None => false,
                }
            }
        }
    }

    /// A chai assertion (fillers removed) as a Courier operator and its value.
    fn assertion(&mut self, words: &str, arg: Option<&Expr>) -> Option<(&'static str, Value)> {
        let v = |s: &mut Self| arg.and_then(|a| s.value(a));
        Some(match words {
            "eql()" | "equal()" | "eq()" | "equals()" => ("eq", v(self)?),
            "not.eql()" | "not.equal()" | "not.eq()" => ("ne", v(self)?),
            "include()" | "includes()" | "contain()" | "contains()" | "string()" => {
                ("contains", v(self)?)
            }
            "not.include()" | "not.contain()" => ("not_contains", v(self)?),
            "above()" | "gt()" | "greaterThan()" => ("gt", v(self)?),
            "below()" | "lt()" | "lessThan()" => ("lt", v(self)?),
            "least()" | "gte()" => ("gte", v(self)?),
            "most()" | "lte()" => ("lte", v(self)?),
            "oneOf()" => match v(self)? {
                a @ Value::Array(_) => ("in", a),
                _ => return None,
            },
            "exist" | "not.undefined" => ("exists", json!(true)),
            "not.exist" | "undefined" => ("exists", json!(false)),
            "true" => ("eq", json!(true)),
            "false" => ("eq", json!(false)),
            "null" => ("eq", Value::Null),
            "empty" => ("length", json!(0)),
            "lengthOf()" | "length()" => match v(self)? {
                n @ Value::Number(_) => ("length", n),
                _ => return None,
            },
            "a()" | "an()" => {
                let Value::String(t) = v(self)? else {
                    return None;
                };
                let t = t.to_ascii_lowercase();
                if !["string", "number", "boolean", "array", "object", "null"].contains(&t.as_str())
                {
                    return None;
                }
                ("type", Value::String(t))
            }
            "match()" => match arg? {
                Expr::Regex(p, flags) => {
                    let p = if flags.contains('i') {
                        format!("(?i){p}")
                    } else {
                        p.clone()
                    };
                    regex_ok(&p).then_some(("matches", Value::String(p)))?
                }
                _ => return None,
            },
            _ => return None,
        })
    }

    /// An expected value: a literal, or a variable read (`pm.environment.get("k")`) as its
    /// template.
    fn value(&mut self, e: &Expr) -> Option<Value> {
        match e {
            Expr::Lit(v) => Some(v.clone()),
            Expr::Chain(_) => {
                let (shape, args) = e.shape()?;
                let getter = matches!(
                    shape.as_str(),
                    "pm.environment.get()"
                        | "pm.variables.get()"
                        | "pm.collectionVariables.get()"
                        | "pm.globals.get()"
                );
                match (getter, args[0]) {
                    (true, [Expr::Lit(Value::String(k))]) => {
                        let name = self.names.var(k);
                        self.out.used.push(name.clone());
                        Some(Value::String(format!("{{{{ {name} }}}}")))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn capture(&mut self, key: &str, v: &Expr) -> bool {
        let source = if let Some(p) = self.path(v) {
            Capture::Path(p)
        } else {
            match v.shape() {
                Some((s, args))
                    if s == "pm.response.headers.get()" || s == "postman.getResponseHeader()" =>
                {
                    match args[0] {
                        [Expr::Lit(Value::String(h))] => Capture::Header(h.to_ascii_lowercase()),
                        _ => return false,
                    }
                }
                _ => return false,
            }
        };
        let name = self.names.var(key);
        if let Some((_, old)) = self.out.captures.iter().find(|(n, _)| *n == name) {
            return *old == source;
        }
        self.out.captures.push((name, source));
        true
    }

    /// The JSONPath of an expression that reads the JSON body.
    fn path(&self, e: &Expr) -> Option<String> {
        let Expr::Chain(segs) = e else {
            return None;
        };
        let (mut path, rest) = match segs.as_slice() {
            [
                Seg::Name(a),
                Seg::Name(b),
                Seg::Name(c),
                Seg::Call(args),
                rest @ ..,
            ] if a == "pm" && b == "response" && c == "json" && args.is_empty() => {
                ("$".to_owned(), rest)
            }
            [Seg::Name(a), Seg::Name(b), Seg::Call(args), rest @ ..]
                if a == "JSON"
                    && b == "parse"
                    && matches!(args.as_slice(), [Expr::Chain(s)] if s.as_slice() == [Seg::Name("responseBody".to_owned())]) =>
            {
                ("$".to_owned(), rest)
            }
            [Seg::Name(alias), rest @ ..] => {
                let base = self.aliases.get(alias)?;
                if base == TEXT {
                    return None;
                }
                (base.clone(), rest)
            }
            _ => return None,
        };
        for s in rest {
            match s {
                Seg::Name(n) | Seg::Index(Value::String(n)) => path.push_str(&js::member(n)),
                Seg::Index(Value::Number(i)) => {
                    let _ = write!(path, "[{i}]");
                }
                _ => return None,
            }
        }
        Some(path)
    }
}

/// `responseCode.code === N` or `pm.response.code === N` → N.
fn status_check(e: &Expr) -> Option<Value> {
    if let Expr::Eq(l, r) = e
        && l.shape()
            .is_some_and(|(s, _)| s == "responseCode.code" || s == "pm.response.code")
        && let Expr::Lit(v @ Value::Number(_)) = r.as_ref()
    {
        return Some(v.clone());
    }
    None
}

/// `/re/flags.test(arg)` split into the regex literal and the argument.
fn regex_test(value: &str) -> Option<(&str, &str)> {
    let v = value.trim();
    if !v.starts_with('/') {
        return None;
    }
    let i = v.rfind(".test(")?;
    let arg = v[i + ".test(".len()..].strip_suffix(')')?;
    Some((&v[..i], arg))
}

/// Whether a JavaScript regex is one the Rust regex crate reads the same way (no
/// look-around or back-references); others are kept as comments.
fn regex_ok(p: &str) -> bool {
    !(p.contains("(?=") || p.contains("(?!") || p.contains("(?<") || p.contains("\\1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(script: &str) -> Converted {
        let lines: Vec<String> = script.lines().map(str::to_owned).collect();
        convert(&lines, &mut Names::default())
    }

    #[test]
    fn a_typical_script() {
        let c = conv(
            r#"pm.test("Status code is 200", function () {
    pm.response.to.have.status(200);
});
var jsonData = pm.response.json();
pm.test("name", () => {
    pm.expect(jsonData.user.name).to.eql("Ann");
    pm.expect(jsonData.items.length).to.be.above(0);
    console.log(jsonData);
});
pm.environment.set("user-token", jsonData.user.token);
if (pm.response.code === 200) {
    pm.expect(jsonData.ok).to.be.true;
}
pm.test("one line", () => pm.expect(pm.response.responseTime).to.be.below(900));"#,
        );
        assert_eq!(c.expect.status, Some(json!(200)));
        assert_eq!(
            c.expect.jsonpath,
            [
                (
                    "$.user.name".to_owned(),
                    vec![("eq".to_owned(), json!("Ann"))]
                ),
                (
                    "$.items".to_owned(),
                    vec![("length".to_owned(), json!({"gt": 0}))]
                ),
                // Inside `if (pm.response.code === 200)`: guarded by the status, so checked.
                ("$.ok".to_owned(), vec![("eq".to_owned(), json!(true))]),
            ]
        );
        assert_eq!(
            c.captures,
            [(
                "user_token".to_owned(),
                Capture::Path("$.user.token".into())
            )]
        );
        assert_eq!((c.converted, c.kept), (7, 1), "{:#?}", c.comments);
        assert_eq!(
            c.comments,
            [
                "pm.test(\"name\", () => {",
                "    console.log(jsonData);",
                "});"
            ]
        );
    }
}
