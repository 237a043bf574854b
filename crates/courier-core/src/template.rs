//! Templates: minijinja with strict undefined, Courier's functions and filters
//! (docs/environments.md, "Templates"), the typed rule for a lone `{{ expr }}`, and the layered
//! variables a template is rendered with.
//!
//! Every template is compiled once, when its file is loaded, against one process-wide engine.
//! A string without `{{`/`{%` is a literal and never touches the engine; a string that is
//! exactly one `{{ expr }}` is compiled as an expression, so it can keep its JSON type (a
//! captured number stays a number); anything else is a full template rendered to text.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use base64::Engine as _;
use indexmap::IndexMap;
use minijinja::value::{Enumerator, Object, Value as MjValue};
use minijinja::{Environment, Error as MjError, ErrorKind, Expression, State, UndefinedBehavior};
use percent_encoding::utf8_percent_encode;

use crate::secret::{COMPONENT, Secrets};
use crate::shared::Shared;

mod filters;
mod split;
mod taint;

pub use filters::{filter_names, unknown_filters};
pub use split::expression_ranges;
use split::{Piece, has_template_syntax, lone_expression, split};

/// Names that templates may call rather than read: Courier's functions and minijinja's
/// global functions. They are not variables for the static check.
pub const FUNCTIONS: &[&str] = &["uuid", "now", "timestamp", "random_int", "env"];

/// The name of the hidden context entry that carries the run's [`Runtime`].
const RUNTIME_KEY: &str = "__courier_runtime";

static ENGINE: LazyLock<Environment<'static>> = LazyLock::new(engine);

/// A minijinja engine with Courier's settings, functions and filters.
fn engine() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Error messages must not quote template source that may hold secrets.
    env.set_debug(false);
    env.set_recursion_limit(64);
    env.set_fuel(Some(1_000_000));
    env.add_function("uuid", || uuid::Uuid::new_v4().to_string());
    env.add_function("now", now);
    env.add_function("timestamp", || chrono::Utc::now().timestamp());
    env.add_function("random_int", random_int);
    env.add_function("env", env_function);
    env.add_filter("base64", |s: &str| {
        base64::engine::general_purpose::STANDARD.encode(s)
    });
    env.add_filter("urlencode", |s: &str| {
        utf8_percent_encode(s, COMPONENT).to_string()
    });
    env
}

fn now(format: Option<&str>) -> Result<String, MjError> {
    use chrono::format::{Item, StrftimeItems};
    let format = format.unwrap_or("%Y-%m-%dT%H:%M:%SZ");
    // chrono panics when it displays an invalid format: check it first.
    if StrftimeItems::new(format).any(|item| matches!(item, Item::Error)) {
        return Err(MjError::new(
            ErrorKind::InvalidOperation,
            format!("now(): `{format}` is not a valid strftime format"),
        ));
    }
    Ok(chrono::Utc::now().format(format).to_string())
}

fn random_int(lo: i64, hi: i64) -> Result<i64, MjError> {
    if lo > hi {
        return Err(MjError::new(
            ErrorKind::InvalidOperation,
            format!("random_int({lo}, {hi}): the lower bound is above the upper one"),
        ));
    }
    Ok(rand::random_range(lo..=hi))
}

fn env_function(
    state: &State<'_, '_>,
    name: &str,
    default: Option<MjValue>,
) -> Result<MjValue, MjError> {
    let runtime = state
        .lookup(RUNTIME_KEY)
        .and_then(|v| v.downcast_object::<Runtime>());
    let found = std::env::var(name)
        .ok()
        .or_else(|| runtime.as_ref().and_then(|r| r.dotenv.get(name).cloned()));
    match found {
        Some(value) => {
            if let Some(runtime) = &runtime {
                runtime.secrets.add(&value);
            }
            taint::note_env_read();
            Ok(MjValue::from(value))
        }
        None => default.ok_or_else(|| {
            MjError::new(
                ErrorKind::InvalidOperation,
                format!("env(\"{name}\"): the environment variable `{name}` is not set (and no default was given)"),
            )
        }),
    }
}

/// What functions need from the run: the `.env` file and the secrets set that `env()` values
/// join.
#[derive(Debug, Default)]
pub struct Runtime {
    pub dotenv: HashMap<String, String>,
    pub secrets: Arc<Secrets>,
}

impl Object for Runtime {}

/// A template compile or render error, with the character range of the template text it
/// concerns when minijinja knows it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    pub message: String,
    pub range: Option<(usize, usize)>,
}

impl TemplateError {
    fn from_mj(err: &MjError, source: &str, offset: usize) -> Self {
        let mut message = err
            .detail()
            .map_or_else(|| err.kind().to_string(), str::to_owned);
        if err.kind() == ErrorKind::UndefinedError && err.detail().is_none() {
            "undefined value".clone_into(&mut message);
        }
        let range = err.range().map(|r| {
            let start = char_index(source, r.start.saturating_sub(offset));
            let end = char_index(source, r.end.saturating_sub(offset));
            (start, end)
        });
        Self { message, range }
    }
}

fn char_index(s: &str, byte: usize) -> usize {
    let byte = byte.min(s.len());
    s.char_indices().take_while(|(i, _)| *i < byte).count()
}

enum Kind {
    Literal,
    /// Exactly one `{{ expr }}`: evaluated to a typed value.
    Lone(Expr),
    /// Text and `{{ expr }}` parts, concatenated.
    Parts(Vec<Part>),
    /// Anything with `{% … %}` or `{# … #}`: a full minijinja template in an engine of its
    /// own, since the shared engine only accepts `'static` sources.
    Full(Arc<Environment<'static>>),
}

enum Part {
    Text(String),
    Expr {
        expr: Expr,
        offset: usize,
        reads: taint::Reads,
    },
}

/// One compiled `{{ expr }}`.
///
/// Two forms, for speed and memory: minijinja gives every compiled expression
/// buffers sized for a long template (about 12 KB, however short the expression), and runs
/// even a bare name through its VM. So a bare variable name — most expressions in real
/// collections: `{{ base_url }}`, `{{ vendor_key }}` — is looked up directly, which is all
/// the engine would do with it; anything else is compiled once per distinct source and
/// shared, so a file that repeats `{{ uuid() }}` a thousand times holds one copy.
enum Expr {
    Var(String),
    Engine(Arc<Compiled>),
}

/// An expression compiled by the engine, with what it reads: the engine parses the source
/// again each time it is asked for its variables, so it is asked once, when compiling.
struct Compiled {
    expr: Expression<'static, 'static>,
    undeclared: std::collections::HashSet<String>,
    reads: taint::Reads,
}

impl Expr {
    fn compile(text: &str, offset: usize) -> Result<Self, TemplateError> {
        match bare_variable(text) {
            Some(name) => Ok(Self::Var(name.to_owned())),
            None => compile_expression(text, offset).map(Self::Engine),
        }
    }

    /// What the expression reads, for taint: nothing for a bare name, whose value is the
    /// variable itself (a secret already when the variable is one).
    fn reads(&self) -> taint::Reads {
        match self {
            Self::Var(_) => taint::Reads::default(),
            Self::Engine(compiled) => compiled.reads.clone(),
        }
    }

    /// Adds the variables the expression reads to `names` (functions and engine globals
    /// included, repeats too: [`filter_variables`] removes them).
    fn add_variables(&self, names: &mut Vec<String>) {
        match self {
            Self::Var(name) => names.push(name.clone()),
            Self::Engine(compiled) => names.extend(compiled.undeclared.iter().cloned()),
        }
    }

    /// Evaluates the expression; `ctx` is the engine's view of `vars`, made on first need.
    fn eval(
        &self,
        vars: &Vars,
        ctx: &mut Option<MjValue>,
        source: &str,
        offset: usize,
    ) -> Result<MjValue, TemplateError> {
        match self {
            // What the engine answers for a bare name under strict undefined, and the message
            // `check_defined` gives when it is missing.
            Self::Var(name) => vars.get(name).cloned().ok_or_else(|| TemplateError {
                message: format!("undefined variable `{name}`"),
                range: None,
            }),
            Self::Engine(compiled) => {
                let ctx = ctx.get_or_insert_with(|| vars.to_value()).clone();
                let value = compiled
                    .expr
                    .eval(ctx)
                    .map_err(|e| TemplateError::from_mj(&e, source, 0).shift(offset))?;
                check_defined(value, compiled, vars)
            }
        }
    }
}

/// `text` as a plain variable name that the engine would only look up in the context: ASCII
/// identifier characters, not a constant or keyword, not an engine global or function, not
/// the hidden runtime entry. Anything else goes through the engine.
fn bare_variable(text: &str) -> Option<&str> {
    const SPECIAL: &[&str] = &[
        "true", "True", "false", "False", "none", "None", "loop", "self", "and", "or", "not", "in",
        "is", "if", "else",
    ];
    let name = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let mut chars = name.chars();
    let first = chars.next()?;
    let plain = (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    let special = SPECIAL.contains(&name)
        || name.starts_with("__")
        || FUNCTIONS.contains(&name)
        || is_engine_global(name);
    (plain && !special).then_some(name)
}

/// The name of the one template inside a [`Kind::Full`] engine.
const FULL_NAME: &str = "template";

/// A compiled template string. Clones share one compiled template.
#[derive(Clone)]
pub struct Template(Arc<Body>);

/// What a template compiles to.
struct Body {
    source: Arc<str>,
    kind: Kind,
    variables: Vec<String>,
    /// What a lone expression or a full template reads, for taint (parts have their own).
    reads: taint::Reads,
}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Template").field(&self.0.source).finish()
    }
}

/// Compiled templates by source text (see [`crate::shared`]): the same URL or header template
/// in file after file compiles once.
static TEMPLATES: LazyLock<Mutex<Shared<Body>>> = LazyLock::new(Mutex::default);

impl Body {
    /// Compiles a template that has template syntax.
    fn compile(source: &str) -> Result<Self, TemplateError> {
        if let Some(expr) = lone_expression(source) {
            let compiled = Expr::compile(expr, 2)?;
            let mut names = Vec::new();
            compiled.add_variables(&mut names);
            let variables = filter_variables(names);
            let reads = compiled.reads();
            return Ok(Self {
                source: source.into(),
                kind: Kind::Lone(compiled),
                variables,
                reads,
            });
        }
        if source.contains("{%") || source.contains("{#") {
            let mut env = engine();
            env.add_template_owned(FULL_NAME, source.to_owned())
                .map_err(|e| TemplateError::from_mj(&e, source, 0))?;
            let undeclared = env
                .get_template(FULL_NAME)
                .map(|t| t.undeclared_variables(false))
                .map_err(|e| TemplateError::from_mj(&e, source, 0))?;
            return Ok(Self {
                source: source.into(),
                kind: Kind::Full(Arc::new(env)),
                variables: filter_variables(undeclared.clone()),
                reads: taint::Reads::new(undeclared, &taint::tag_code(source)),
            });
        }
        let mut parts = Vec::new();
        let mut names = Vec::new();
        for piece in split(source)? {
            match piece {
                Piece::Text(t) => parts.push(Part::Text(t)),
                Piece::Expr { text, offset } => {
                    let expr = Expr::compile(text, offset)?;
                    expr.add_variables(&mut names);
                    let reads = expr.reads();
                    parts.push(Part::Expr {
                        expr,
                        offset,
                        reads,
                    });
                }
            }
        }
        Ok(Self {
            source: source.into(),
            kind: Kind::Parts(parts),
            variables: filter_variables(names),
            reads: taint::Reads::default(),
        })
    }
}

impl Template {
    /// Compiles a template; a string with no template syntax is a literal.
    pub fn compile(source: &str) -> Result<Self, TemplateError> {
        if !has_template_syntax(source) {
            return Ok(Self::literal(source));
        }
        // A poisoned lock only means another thread panicked mid-insert: the map is still sound.
        let mut kept = TEMPLATES.lock().unwrap_or_else(PoisonError::into_inner);
        kept.get_or_compile(source, Body::compile).map(Self)
    }

    /// A template that is plain text whatever it contains.
    pub fn literal(text: &str) -> Self {
        Self(Arc::new(Body {
            source: text.into(),
            kind: Kind::Literal,
            variables: Vec::new(),
            reads: taint::Reads::default(),
        }))
    }

    pub fn source(&self) -> &str {
        &self.0.source
    }

    /// Whether rendering always gives the source back.
    pub fn is_literal(&self) -> bool {
        matches!(self.0.kind, Kind::Literal)
    }

    /// The variables this template reads (minijinja's undeclared variables, functions
    /// excluded), sorted.
    pub fn variables(&self) -> &[String] {
        &self.0.variables
    }

    /// Names passed to `env("…")` as literals, with whether a default was given: these are
    /// resolved before a run sends anything.
    pub fn env_references(&self) -> Vec<(String, bool)> {
        static ENV_CALL: LazyLock<regex::Regex> = LazyLock::new(|| {
            regex::Regex::new(r#"\benv\(\s*(?:"([^"]*)"|'([^']*)')\s*(,)?"#)
                .unwrap_or_else(|_| unreachable!("the pattern is valid"))
        });
        if self.is_literal() {
            return Vec::new();
        }
        ENV_CALL
            .captures_iter(&self.0.source)
            .filter_map(|c| {
                let name = c.get(1).or_else(|| c.get(2))?.as_str().to_owned();
                Some((name, c.get(3).is_some()))
            })
            .collect()
    }

    /// Renders to text.
    ///
    /// When `vars` carries the run's [`Runtime`], a value rendered by an expression that read
    /// a secret joins the run's secrets (the `taint` module).
    pub fn render(&self, vars: &Vars) -> Result<String, TemplateError> {
        match &self.0.kind {
            Kind::Literal => Ok(self.0.source.to_string()),
            Kind::Lone(expr) => {
                let value = self.eval_lone(expr, vars)?;
                Ok(text_of(&value))
            }
            Kind::Parts(parts) => {
                let mut ctx = None;
                let mut out = String::with_capacity(self.0.source.len() + 32);
                for part in parts {
                    match part {
                        Part::Text(t) => out.push_str(t),
                        Part::Expr {
                            expr,
                            offset,
                            reads,
                        } => {
                            let value = taint::tainting(
                                reads,
                                vars,
                                || expr.eval(vars, &mut ctx, &self.0.source, *offset),
                                |v| v.as_ref().ok().and_then(taint::as_json),
                            )?;
                            push_text(&mut out, &value);
                        }
                    }
                }
                Ok(out)
            }
            Kind::Full(env) => taint::tainting(
                &self.0.reads,
                vars,
                || {
                    env.get_template(FULL_NAME)
                        .and_then(|t| t.render(vars.to_value()))
                        .map_err(|e| TemplateError::from_mj(&e, &self.0.source, 0))
                },
                |r| {
                    r.as_ref()
                        .ok()
                        .map(|s| serde_json::Value::String(s.clone()))
                },
            ),
        }
    }

    /// Renders keeping the JSON type when the template is exactly one `{{ expr }}`; any other
    /// template gives a string. Taints as [`Template::render`] does.
    pub fn render_json(&self, vars: &Vars) -> Result<serde_json::Value, TemplateError> {
        match &self.0.kind {
            Kind::Lone(expr) => {
                let value = self.eval_lone(expr, vars)?;
                serde_json::to_value(&value).map_err(|e| TemplateError {
                    message: format!("the value cannot be written as JSON: {e}"),
                    range: None,
                })
            }
            _ => self.render(vars).map(serde_json::Value::String),
        }
    }

    fn eval_lone(&self, expr: &Expr, vars: &Vars) -> Result<MjValue, TemplateError> {
        taint::tainting(
            &self.0.reads,
            vars,
            || expr.eval(vars, &mut None, &self.0.source, 2),
            |v| v.as_ref().ok().and_then(taint::as_json),
        )
    }
}

/// Compiled expressions by source text (see [`crate::shared`]).
static COMPILED: LazyLock<Mutex<Shared<Compiled>>> = LazyLock::new(Mutex::default);

fn compile_expression(text: &str, offset: usize) -> Result<Arc<Compiled>, TemplateError> {
    // A poisoned lock only means another thread panicked mid-insert: the map is still sound.
    let mut cache = COMPILED.lock().unwrap_or_else(PoisonError::into_inner);
    cache.get_or_compile(text, |text| {
        let expr = ENGINE
            .compile_expression_owned(text.to_owned())
            .map_err(|e| TemplateError::from_mj(&e, text, 0).shift(offset))?;
        let undeclared = expr.undeclared_variables(false);
        let reads = taint::Reads::new(undeclared.clone(), text);
        Ok(Compiled {
            expr,
            undeclared,
            reads,
        })
    })
}

/// An expression evaluates to `undefined` rather than failing where a template would fail to
/// print it: strict undefined means the same for both.
fn check_defined(
    value: MjValue,
    compiled: &Compiled,
    vars: &Vars,
) -> Result<MjValue, TemplateError> {
    if !value.is_undefined() {
        return Ok(value);
    }
    let missing: Vec<String> = filter_variables(compiled.undeclared.iter().cloned())
        .into_iter()
        .filter(|n| !vars.contains(n))
        .map(|n| format!("`{n}`"))
        .collect();
    let message = if missing.is_empty() {
        "the expression is undefined (a missing attribute or key?)".to_owned()
    } else {
        format!("undefined variable {}", missing.join(", "))
    };
    Err(TemplateError {
        message,
        range: None,
    })
}

impl TemplateError {
    fn shift(mut self, by: usize) -> Self {
        if let Some((a, b)) = self.range {
            self.range = Some((a + by, b + by));
        }
        self
    }
}

/// Text of a value as a template prints it: strings bare, `none` as empty text would hide
/// mistakes, so it stays `none` as minijinja writes it.
fn text_of(value: &MjValue) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

/// [`text_of`] appended to `out`, without an intermediate string for a string value.
fn push_text(out: &mut String, value: &MjValue) {
    if let Some(s) = value.as_str() {
        out.push_str(s);
    } else {
        use std::fmt::Write as _;
        let _ = write!(out, "{value}");
    }
}

/// The variables among `names`, sorted, each once: functions and engine globals are not
/// variables.
fn filter_variables(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut names: Vec<String> = names
        .into_iter()
        .filter(|n| !FUNCTIONS.contains(&n.as_str()) && !is_engine_global(n))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// The functions a template may call, Courier's and the engine's, sorted: what a misspelt
/// call is compared with.
pub fn function_names() -> Vec<String> {
    let mut names: Vec<String> = FUNCTIONS.iter().map(|f| (*f).to_owned()).collect();
    names.extend(ENGINE.globals().map(|(g, _)| g.to_owned()));
    names.sort();
    names.dedup();
    names
}

/// The engine's global names, sorted: looked up for every name a template reads, where
/// walking the engine's globals each time was a measurable part of loading a file.
static ENGINE_GLOBALS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut names: Vec<String> = ENGINE.globals().map(|(g, _)| g.to_owned()).collect();
    names.sort();
    names
});

fn is_engine_global(name: &str) -> bool {
    ENGINE_GLOBALS
        .binary_search_by(|g| g.as_str().cmp(name))
        .is_ok()
}

/// One layer of variables (a name to its value), in insertion order.
pub type VarMap = IndexMap<String, MjValue>;

/// The variables a template sees: layers from the lowest precedence to the highest
/// (docs/environments.md, "Variables and precedence": collection `vars` < emulator variables <
/// environment < data row < `--var` < captures), plus the run's [`Runtime`]. Cloning is cheap:
/// layers are shared.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    layers: Vec<Arc<VarMap>>,
    runtime: Option<Arc<Runtime>>,
}

impl Vars {
    pub fn new(runtime: Option<Arc<Runtime>>) -> Self {
        Self {
            layers: Vec::new(),
            runtime,
        }
    }

    /// Adds a layer above the others.
    #[must_use]
    pub fn with_layer(mut self, layer: Arc<VarMap>) -> Self {
        self.layers.push(layer);
        self
    }

    /// The top layer, for adding captures as they are made (copied on write when shared).
    pub fn top_mut(&mut self) -> &mut VarMap {
        if self.layers.is_empty() {
            self.layers.push(Arc::new(VarMap::new()));
        }
        let last = self.layers.len() - 1;
        Arc::make_mut(&mut self.layers[last])
    }

    pub fn get(&self, name: &str) -> Option<&MjValue> {
        self.layers.iter().rev().find_map(|l| l.get(name))
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    fn to_value(&self) -> MjValue {
        MjValue::from_object(self.clone())
    }
}

impl Object for Vars {
    fn get_value(self: &Arc<Self>, key: &MjValue) -> Option<MjValue> {
        let key = key.as_str()?;
        if key == RUNTIME_KEY {
            return self.runtime.clone().map(MjValue::from_dyn_object);
        }
        self.get(key).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let mut names: Vec<MjValue> = Vec::new();
        for layer in self.layers.iter().rev() {
            for k in layer.keys() {
                let v = MjValue::from(k.as_str());
                if !names.contains(&v) {
                    names.push(v);
                }
            }
        }
        Enumerator::Values(names)
    }
}

/// A JSON value from a response or a file, as a template value.
pub fn json_to_value(value: &serde_json::Value) -> MjValue {
    MjValue::from(minijinja::value::Serde(value))
}

#[cfg(test)]
mod tests;
