//! The model of collections and environments (docs/collections.md, docs/environments.md) as the
//! loader builds it: every template and JSONPath already compiled, every regex checked (and
//! compiled when first matched, see [`crate::pattern`]), every part that a later error may
//! point at carrying its span. The model is read-only once loaded; the plan and the executor
//! share it.

use std::sync::Arc;
use std::time::Duration;

use crate::diag::{SourceFile, Span, Spanned};
use crate::jsonpath::JsonPath;
pub use crate::path_expr::PathExpr;
use crate::template::{Template, TemplateError, Vars};

/// A template with the span of the YAML value it came from.
pub type STemplate = Spanned<Template>;

/// One collection file.
#[derive(Debug)]
pub struct Collection {
    pub file: Arc<SourceFile>,
    pub name: Spanned<String>,
    pub description: Option<String>,
    pub tags: Vec<Spanned<String>>,
    /// The default auth profile of its requests; `None` means the profile `none`.
    pub auth: Option<Spanned<String>>,
    pub vars: Vec<VarDef>,
    pub defaults: Defaults,
    /// A data file, relative to the collection file.
    pub data: Option<Spanned<String>>,
    pub snapshot_redact: Vec<Redaction>,
    pub compare: CompareSpec,
    pub requests: Vec<Request>,
}

impl Collection {
    /// The file stem, used in snapshot file names.
    pub fn stem(&self) -> String {
        self.file
            .path()
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
    }
}

/// A variable defined by a collection or an environment: its value is a template tree.
#[derive(Debug, Clone)]
pub struct VarDef {
    pub name: Spanned<String>,
    pub value: TemplateValue,
}

#[derive(Debug, Default, Clone)]
pub struct Defaults {
    pub headers: Vec<Header>,
    pub timeout: Option<Spanned<Duration>>,
    pub retries: Option<Retries>,
    pub follow_redirects: Option<bool>,
    /// A pause before each request (docs/collections-language.md#delay).
    pub delay: Option<Duration>,
    /// The largest response body, decoded, in bytes (docs/collections.md#response-size).
    pub max_body: Option<Spanned<u64>>,
}

#[derive(Debug, Clone)]
pub struct Header {
    pub name: Spanned<String>,
    pub value: STemplate,
}

/// `retries: { count, on, backoff }` (docs/collections.md, "Retries").
#[derive(Debug, Clone, PartialEq)]
pub struct Retries {
    pub count: u32,
    pub on: Vec<RetryOn>,
    pub backoff: Duration,
    pub span: Span,
}

/// What a retry is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryOn {
    Status(u16),
    /// `5xx`: a whole class.
    Class(u16),
    /// Connect errors and timeouts.
    Network,
}

impl Retries {
    /// What `on` means when it is left out.
    pub const DEFAULT_ON: [RetryOn; 5] = [
        RetryOn::Status(429),
        RetryOn::Status(502),
        RetryOn::Status(503),
        RetryOn::Status(504),
        RetryOn::Network,
    ];
    pub const DEFAULT_BACKOFF: Duration = Duration::from_millis(250);
}

/// One request of a collection.
#[derive(Debug)]
pub struct Request {
    /// Its position in the collection, from 0.
    pub index: usize,
    pub name: Spanned<String>,
    /// The whole list item.
    pub span: Span,
    pub method: Spanned<String>,
    pub url: STemplate,
    pub query: Vec<(Spanned<String>, STemplate)>,
    pub headers: Vec<Header>,
    pub auth: Option<Spanned<String>>,
    // Rarely set and large: boxed, so a collection of 10,000 requests stays small.
    pub body: Option<Box<Body>>,
    pub timeout: Option<Spanned<Duration>>,
    /// The largest response body, decoded, in bytes (docs/collections.md#response-size).
    pub max_body: Option<Spanned<u64>>,
    pub retries: Option<Box<Retries>>,
    pub follow_redirects: Option<bool>,
    /// A pause before the request is sent; overrides `defaults.delay`.
    pub delay: Option<Duration>,
    pub tags: Vec<Spanned<String>>,
    pub skip: Option<Box<Skip>>,
    pub mutates: Option<Spanned<bool>>,
    /// Runs even after `--bail` stopped the run (clean-up); still skipped when a capture it
    /// needs is missing.
    pub always: bool,
    pub repeat: Option<Box<Repeat>>,
    pub poll: Option<Box<Poll>>,
    pub expect: Expect,
    pub captures: Vec<Capture>,
    pub snapshot: Option<Box<SnapshotSpec>>,
}

/// Headers that tell a server to act as if the request had another method.
const OVERRIDE_HEADERS: [&str; 3] = [
    "X-HTTP-Method-Override",
    "X-HTTP-Method",
    "X-Method-Override",
];

impl Request {
    /// A request mutates unless its method is GET, HEAD or OPTIONS; `mutates` overrides
    /// either way (docs/environments.md, "Production safety").
    pub fn mutates(&self) -> bool {
        self.mutates.as_ref().map_or_else(
            || !matches!(self.method.value.as_str(), "GET" | "HEAD" | "OPTIONS"),
            |m| m.value,
        )
    }

    /// [`Request::mutates`] with the method-override headers counted (`X-HTTP-Method-Override`,
    /// `X-HTTP-Method`, `X-Method-Override`, the request's own or its collection's `defaults`):
    /// many servers act on the method they name, so the request mutates when either its method
    /// or the named one does, and a templated override counts as "could"
    /// (docs/environments.md#production-safety). `mutates:` still overrides either way.
    pub fn mutates_in(&self, defaults: &Defaults) -> bool {
        if let Some(m) = &self.mutates {
            return m.value;
        }
        if self.mutates() {
            return true;
        }
        let is_override = |h: &&Header| {
            OVERRIDE_HEADERS
                .iter()
                .any(|o| h.name.value.eq_ignore_ascii_case(o))
        };
        // The request's header replaces the default of the same name (docs/collections.md).
        let own: Vec<&Header> = self.headers.iter().filter(is_override).collect();
        let inherited = defaults.headers.iter().filter(is_override).filter(|d| {
            !own.iter()
                .any(|h| h.name.value.eq_ignore_ascii_case(&d.name.value))
        });
        own.iter().copied().chain(inherited).any(|h| {
            let value = &h.value.value;
            !value.is_literal()
                || !matches!(
                    value.source().trim().to_ascii_uppercase().as_str(),
                    "GET" | "HEAD" | "OPTIONS"
                )
        })
    }

    /// The snapshot slug (docs/snapshots.md, "Files"): lower case, runs outside `[a-z0-9]` become
    /// `-`, trimmed.
    pub fn slug(&self) -> String {
        slug(&self.name.value)
    }
}

/// The slug of a request name (docs/snapshots.md, "Files").
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
    }
    out
}

#[derive(Debug)]
pub enum Body {
    Json(TemplateValue),
    Form(Vec<(Spanned<String>, STemplate)>),
    Text(STemplate),
    /// `body_file: PATH`, sent as is (docs/collections-language.md#bodies-from-files-and-multipart).
    File(BodyFile),
    /// `multipart: { name: part }`, sent as `multipart/form-data`.
    Multipart(Vec<Part>),
}

/// A file a request sends, checked at load and read when the request is sent.
#[derive(Debug, Clone)]
pub struct BodyFile {
    /// Resolved against the collection file's folder.
    pub path: std::path::PathBuf,
    /// As written in the collection, for messages.
    pub written: Spanned<String>,
    /// From the extension (`.json` → `application/json`); `None` when it says nothing.
    pub content_type: Option<&'static str>,
}

/// One part of a `multipart` body.
#[derive(Debug)]
pub struct Part {
    pub name: Spanned<String>,
    pub value: PartValue,
}

#[derive(Debug)]
pub enum PartValue {
    Text(STemplate),
    Json(TemplateValue),
    /// A file part: the file's bytes, never rendered; its `filename` is the file's name.
    File {
        file: BodyFile,
        content_type: Option<Spanned<String>>,
    },
}

#[derive(Debug)]
pub enum Skip {
    Always(bool),
    /// A minijinja expression whose truthiness decides.
    When(STemplate),
}

/// A JSON-like tree whose strings are templates: `json:` bodies, variables and expected values.
#[derive(Debug, Clone)]
pub enum TemplateValue {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(STemplate),
    Array(Vec<TemplateValue>),
    Object(Vec<(String, TemplateValue)>),
}

impl TemplateValue {
    /// Renders with the typed rule: a string that is exactly one `{{ expr }}` keeps the
    /// expression's JSON type.
    pub fn render(&self, vars: &Vars) -> Result<serde_json::Value, (TemplateError, Span)> {
        Ok(match self {
            Self::Null => serde_json::Value::Null,
            Self::Bool(b) => serde_json::Value::Bool(*b),
            Self::Number(n) => serde_json::Value::Number(n.clone()),
            Self::String(t) => t.value.render_json(vars).map_err(|e| (e, t.span))?,
            Self::Array(items) => serde_json::Value::Array(
                items
                    .iter()
                    .map(|i| i.render(vars))
                    .collect::<Result<_, _>>()?,
            ),
            Self::Object(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), v.render(vars)?)))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }

    /// Every template in the tree.
    pub fn templates(&self) -> Vec<&STemplate> {
        let mut out = Vec::new();
        self.collect_templates(&mut out);
        out
    }

    fn collect_templates<'a>(&'a self, out: &mut Vec<&'a STemplate>) {
        match self {
            Self::String(t) => out.push(t),
            Self::Array(items) => items.iter().for_each(|i| i.collect_templates(out)),
            Self::Object(entries) => entries.iter().for_each(|(_, v)| v.collect_templates(out)),
            _ => {}
        }
    }

    /// The value when it holds no template, without rendering.
    pub fn as_literal(&self) -> Option<serde_json::Value> {
        match self {
            Self::Null => Some(serde_json::Value::Null),
            Self::Bool(b) => Some(serde_json::Value::Bool(*b)),
            Self::Number(n) => Some(serde_json::Value::Number(n.clone())),
            Self::String(t) if t.value.is_literal() => {
                Some(serde_json::Value::String(t.value.source().to_owned()))
            }
            Self::String(_) => None,
            Self::Array(items) => items
                .iter()
                .map(Self::as_literal)
                .collect::<Option<Vec<_>>>()
                .map(serde_json::Value::Array),
            Self::Object(entries) => entries
                .iter()
                .map(|(k, v)| Some((k.clone(), v.as_literal()?)))
                .collect::<Option<serde_json::Map<_, _>>>()
                .map(serde_json::Value::Object),
        }
    }
}

/// `expect:` of a request.
#[derive(Debug, Default)]
pub struct Expect {
    pub status: Option<Box<StatusMatcher>>,
    pub headers: Vec<(Spanned<String>, Matcher)>,
    pub jsonpath: Vec<(Spanned<PathExpr>, Matcher)>,
    pub body: Option<Box<Matcher>>,
    pub duration: Option<Box<Matcher>>,
    pub schema: Option<Box<SchemaCheck>>,
}

/// `expect.schema`: a compiled JSON Schema and the part of the body it checks
/// (docs/collections-language.md#json-schema).
pub struct SchemaCheck {
    /// `None`: the whole body.
    pub path: Option<Spanned<PathExpr>>,
    pub validator: jsonschema::Validator,
    pub span: Span,
}

impl std::fmt::Debug for SchemaCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaCheck")
            .field("path", &self.path)
            .field("span", &self.span)
            .finish_non_exhaustive()
    }
}

impl Expect {
    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.headers.is_empty()
            && self.jsonpath.is_empty()
            && self.body.is_none()
            && self.duration.is_none()
            && self.schema.is_none()
    }
}

/// `expect.status`.
#[derive(Debug)]
pub struct StatusMatcher {
    pub span: Span,
    pub kind: StatusKind,
}

#[derive(Debug)]
pub enum StatusKind {
    /// One code or class, or a list of them: any may match.
    AnyOf(Vec<StatusPattern>),
    /// An operator map over the status code (boxed: most statuses are one code).
    Ops(Box<Matcher>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusPattern {
    Code(u16),
    /// `2xx` is `Class(2)`.
    Class(u16),
}

impl StatusPattern {
    pub fn matches(self, status: u16) -> bool {
        match self {
            Self::Code(c) => c == status,
            Self::Class(c) => status / 100 == c,
        }
    }
}

impl std::fmt::Display for StatusPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Code(c) => write!(f, "{c}"),
            Self::Class(c) => write!(f, "{c}xx"),
        }
    }
}

/// A matcher: a plain value (equality) or an operator map whose operators must all hold.
#[derive(Debug)]
pub struct Matcher {
    pub span: Span,
    pub kind: MatcherKind,
}

#[derive(Debug)]
pub enum MatcherKind {
    Equals(TemplateValue),
    Ops(Vec<Op>),
}

/// One operator of an operator map, with the span of its key.
#[derive(Debug)]
pub struct Op {
    pub span: Span,
    pub kind: OpKind,
}

#[derive(Debug)]
pub enum OpKind {
    Eq(TemplateValue),
    Ne(TemplateValue),
    Gt(TemplateValue),
    Gte(TemplateValue),
    Lt(TemplateValue),
    Lte(TemplateValue),
    Contains(TemplateValue),
    NotContains(TemplateValue),
    Matches(crate::pattern::Pattern),
    Exists(bool),
    Type(JsonType),
    Length(Box<Matcher>),
    In(TemplateValue),
    NotIn(TemplateValue),
}

impl OpKind {
    /// Every operator name, for suggestions and the JSON Schema.
    pub const NAMES: [&'static str; 14] = [
        "eq",
        "ne",
        "gt",
        "gte",
        "lt",
        "lte",
        "contains",
        "not_contains",
        "matches",
        "exists",
        "type",
        "length",
        "in",
        "not_in",
    ];

    /// The expected value of an operator that compares with one (all but `matches`,
    /// `exists`, `type` and `length`).
    pub fn operand(&self) -> Option<&TemplateValue> {
        match self {
            Self::Eq(v)
            | Self::Ne(v)
            | Self::Gt(v)
            | Self::Gte(v)
            | Self::Lt(v)
            | Self::Lte(v)
            | Self::Contains(v)
            | Self::NotContains(v)
            | Self::In(v)
            | Self::NotIn(v) => Some(v),
            Self::Matches(_) | Self::Exists(_) | Self::Type(_) | Self::Length(_) => None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Eq(_) => "eq",
            Self::Ne(_) => "ne",
            Self::Gt(_) => "gt",
            Self::Gte(_) => "gte",
            Self::Lt(_) => "lt",
            Self::Lte(_) => "lte",
            Self::Contains(_) => "contains",
            Self::NotContains(_) => "not_contains",
            Self::Matches(_) => "matches",
            Self::Exists(_) => "exists",
            Self::Type(_) => "type",
            Self::Length(_) => "length",
            Self::In(_) => "in",
            Self::NotIn(_) => "not_in",
        }
    }
}

/// The JSON types `type:` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    String,
    Number,
    Integer,
    Boolean,
    Array,
    Object,
    Null,
}

impl JsonType {
    pub const NAMES: [&'static str; 7] = [
        "string", "number", "integer", "boolean", "array", "object", "null",
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "string" => Self::String,
            "number" => Self::Number,
            "integer" => Self::Integer,
            "boolean" => Self::Boolean,
            "array" => Self::Array,
            "object" => Self::Object,
            "null" => Self::Null,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Integer => "integer",
            Self::Boolean => "boolean",
            Self::Array => "array",
            Self::Object => "object",
            Self::Null => "null",
        }
    }
}

/// `capture: name: <JSONPath> | { header: name }`.
#[derive(Debug)]
pub struct Capture {
    pub name: Spanned<String>,
    pub source: CaptureSource,
    /// `append: true`: each page of a `repeat` adds to an array instead of replacing it.
    pub append: bool,
    /// `secret: true`: the value joins the secrets when it is captured
    /// (docs/collections-language.md#secret-captures).
    pub secret: bool,
}

/// `poll: { interval, timeout }`: the request is sent again until its `expect` holds
/// (docs/collections-language.md#polling).
#[derive(Debug)]
pub struct Poll {
    pub interval: Duration,
    pub timeout: Duration,
    pub span: Span,
}

/// `repeat: { while, max }`: the request is sent again while `condition` is truthy after a
/// response (docs/collections-language.md#paging-loops).
#[derive(Debug)]
pub struct Repeat {
    pub condition: STemplate,
    pub max: u32,
    pub span: Span,
}

#[derive(Debug)]
pub enum CaptureSource {
    JsonPath(Spanned<PathExpr>),
    Header(Spanned<String>),
}

/// `snapshot: true | { path, redact, per_env }`.
#[derive(Debug)]
pub struct SnapshotSpec {
    pub span: Span,
    pub path: Option<Spanned<PathExpr>>,
    pub redact: Vec<Redaction>,
    pub per_env: bool,
}

/// A selector whose nodes are replaced by a placeholder: `"$..id": "[id]"`.
#[derive(Debug, Clone)]
pub struct Redaction {
    pub path: Spanned<JsonPath>,
    pub placeholder: String,
}

/// `compare:` of a collection (docs/compare.md, "Collection settings").
#[derive(Debug, Default)]
pub struct CompareSpec {
    pub ignore: Vec<Spanned<JsonPath>>,
    pub match_by: Vec<(Spanned<JsonPath>, Spanned<String>)>,
}

/// An environment file (or a built-in one).
#[derive(Debug)]
pub struct Environment {
    pub file: Arc<SourceFile>,
    /// The file stem: its identity in reports, the token cache and compare.
    pub identity: String,
    pub scope: Scope,
    pub vars: Vec<VarDef>,
    /// Variable name → process environment variable.
    pub secrets: Vec<(Spanned<String>, Spanned<String>)>,
    pub auth: Vec<AuthProfile>,
    pub tls: Tls,
    pub limits: Limits,
    pub emulator: Option<EmulatorSpec>,
}

impl Environment {
    pub fn profile(&self, name: &str) -> Option<&AuthProfile> {
        self.auth.iter().find(|p| p.name.value == name)
    }
}

/// An environment's client scope: the one type the emulator and the reports share.
pub use courier_units::Scope;

#[derive(Debug)]
pub struct AuthProfile {
    pub name: Spanned<String>,
    pub span: Span,
    pub kind: AuthKind,
}

#[derive(Debug)]
pub enum AuthKind {
    None,
    Bearer {
        token: STemplate,
    },
    Basic {
        username: STemplate,
        password: STemplate,
    },
    OAuth2(Box<OAuth2Profile>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl Grant {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    #[default]
    Body,
    Basic,
}

#[derive(Debug)]
pub struct OAuth2Profile {
    pub grant: Spanned<Grant>,
    pub authorize_url: Option<STemplate>,
    pub token_url: STemplate,
    pub revoke_url: Option<STemplate>,
    pub client_id: STemplate,
    pub client_secret: Option<STemplate>,
    pub redirect_uri: Option<STemplate>,
    pub scope: Option<STemplate>,
    pub pkce: bool,
    pub refresh_token: Option<STemplate>,
    pub token_params: Vec<(Spanned<String>, STemplate)>,
    pub client_auth: ClientAuth,
}

#[derive(Debug, Default)]
pub struct Tls {
    pub insecure: bool,
    /// A PEM file, relative to the environment file.
    pub ca_cert: Option<Spanned<String>>,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Limits {
    pub max_concurrency: Option<u32>,
    pub requests_per_second: Option<f64>,
}

/// `emulator: intacct` or `emulator: { kind: intacct, … }` (docs/environments.md, "Emulator
/// environments"; the knobs are those of docs/emulator.md).
#[derive(Debug, Clone, Default)]
pub struct EmulatorSpec {
    pub span: Span,
    pub seed: Option<u64>,
    pub token_ttl: Option<Duration>,
    pub rotate_refresh_tokens: bool,
    pub latency: Option<Duration>,
    pub fail_first: Option<u64>,
    pub fail_every: Option<u64>,
    pub fail_rate: Option<f64>,
    /// Requests per second.
    pub rate_limit: Option<u32>,
    pub deny_authorize: bool,
    /// API requests in flight at once before 429 `GW-0010`.
    pub max_concurrent: Option<u32>,
    /// API requests per window (an hour unless shortened for tests) before 429 with
    /// `X-IA-Hour-Rate-Limit-Remaining: 0`.
    pub hour_quota: Option<(u32, Duration)>,
    /// 401 or 400: how an expired token is answered.
    pub expired_token_status: Option<u16>,
    /// Objects (`accounts-payable/vendor`) answered 403 on every route.
    pub deny_objects: Vec<String>,
    /// Whether a failed composite undoes its earlier subrequests (the emulator's default: yes).
    pub composite_rollback: Option<bool>,
    /// How long a bulk job takes from `queued` to `completed`.
    pub bulk_duration: Option<Duration>,
    pub redirect_uris: Vec<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub username: Option<String>,
}

impl EmulatorSpec {
    /// The variables an emulator defines for its environment (docs/environments.md, "Emulator
    /// environments").
    pub const VARIABLES: [&'static str; 4] = ["base_url", "client_id", "client_secret", "ws_user"];
}

/// Variables every template may read (docs/environments.md, "Templates").
pub const BUILTIN_VARIABLES: [&str; 2] = ["env_name", "env_scope"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("Create Vendor"), "create-vendor");
        assert_eq!(slug("  GET /objects/{key}!! "), "get-objects-key");
        assert_eq!(slug("Ünïcode name"), "n-code-name");
        assert_eq!(slug("!!!"), "");
    }
}
