//! The JSON Schemas of the collection and environment formats, for editors (the YAML language
//! server autocompletes and checks a file that starts with `# yaml-language-server:
//! $schema=…`). They are generated from the types below with schemars and committed under
//! `schemas/`; a test regenerates them and fails when the committed files are stale.
//!
//! These types mirror the file format key for key; the loader reads the same keys from the
//! positioned YAML tree. Tests keep the two in step: a kitchen-sink collection and environment
//! that use every key must both load clean and validate against the schema, and every property
//! the schema names must appear in them.

// The value types of the maps below are schema markers, zero-sized on purpose: only their JSON
// Schema matters.
#![expect(clippy::zero_sized_map_values, reason = "schema markers")]

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::Value;

use crate::model::{JsonType, OpKind};

/// A Courier collection: requests run in order against an environment.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields, title = "Courier collection")]
pub struct CollectionFile {
    /// The collection's name, shown in every report.
    pub name: String,
    pub description: Option<String>,
    pub tags: Option<Tags>,
    /// The default auth profile of its requests (from the environment); `none` by default.
    pub auth: Option<String>,
    /// Collection variables, templated, rendered once per collection run in order; the
    /// lowest precedence.
    pub vars: Option<BTreeMap<String, Value>>,
    pub defaults: Option<DefaultsFile>,
    /// A CSV (with a header row) or JSON (array of objects) file, relative to this file: the
    /// collection runs once per row.
    pub data: Option<String>,
    pub snapshot: Option<CollectionSnapshotFile>,
    pub compare: Option<CompareFile>,
    /// The requests, run in order.
    #[schemars(length(min = 1))]
    pub requests: Vec<RequestFile>,
}

/// Defaults for every request of the collection.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct DefaultsFile {
    pub headers: Option<BTreeMap<String, Scalar>>,
    pub timeout: Option<DurationText>,
    pub retries: Option<RetriesFile>,
    pub follow_redirects: Option<bool>,
    /// A pause before each request of the collection (`500ms`, `2s`).
    pub delay: Option<DurationText>,
    /// The largest response body, decoded (default 64MiB).
    pub max_body: Option<SizeText>,
}

/// Retries of a request (never a mutating one without an `Idempotency-Key`).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RetriesFile {
    /// Extra attempts (default 0).
    #[schemars(range(min = 0, max = 10))]
    pub count: Option<u32>,
    /// Status codes, classes (`5xx`) or `network` (default: 429, 502, 503, 504, network).
    pub on: Option<Vec<RetryOnText>>,
    /// The first wait, doubled for each retry up to 10 s (default 250ms).
    pub backoff: Option<DurationText>,
}

/// Snapshot settings shared by the collection's requests.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CollectionSnapshotFile {
    /// Selector → placeholder, applied to every snapshot of the collection.
    pub redact: Option<BTreeMap<String, String>>,
}

/// How `courier compare` pairs and filters this collection's responses.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CompareFile {
    /// JSONPaths whose differences are ignored.
    pub ignore: Option<Vec<String>>,
    /// Array JSONPath → the key field its elements are paired by.
    pub match_by: Option<BTreeMap<String, String>>,
}

/// One request.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RequestFile {
    /// Unique in the collection.
    pub name: String,
    /// Default GET.
    pub method: Option<MethodText>,
    pub url: String,
    /// URL-encoded and appended; a list repeats the parameter.
    pub query: Option<BTreeMap<String, ScalarOrList>>,
    pub headers: Option<BTreeMap<String, Scalar>>,
    /// An auth profile of the environment, or `none`.
    pub auth: Option<String>,
    /// A JSON body; a string that is exactly one `{{ expr }}` keeps its JSON type.
    pub json: Option<Value>,
    /// A form body.
    pub form: Option<BTreeMap<String, Scalar>>,
    /// A raw text body.
    pub body: Option<String>,
    /// A file sent as is, relative to the collection's folder; its content type comes from
    /// the extension unless a header sets one.
    pub body_file: Option<String>,
    /// A `multipart/form-data` body: part name → text, `{ json }` or `{ file, content_type }`.
    pub multipart: Option<BTreeMap<String, PartFile>>,
    pub timeout: Option<DurationText>,
    /// The largest response body, decoded (default: `defaults`, else 64MiB).
    pub max_body: Option<SizeText>,
    pub retries: Option<RetriesFile>,
    pub follow_redirects: Option<bool>,
    /// A pause before the request is sent (`500ms`, `2s`); overrides `defaults.delay`.
    pub delay: Option<DurationText>,
    pub tags: Option<Tags>,
    /// `true`, or a template whose truthiness decides.
    pub skip: Option<BoolOrText>,
    /// Overrides the method's mutating-ness for the production guard.
    pub mutates: Option<bool>,
    /// Runs even after `--bail` stopped the run (clean-up); still skipped when a capture it
    /// needs is missing.
    pub always: Option<bool>,
    pub repeat: Option<RepeatFile>,
    pub poll: Option<PollFile>,
    pub expect: Option<ExpectFile>,
    /// Variable → a JSONPath into the body, or `{ header: name }`.
    pub capture: Option<BTreeMap<String, CaptureFile>>,
    pub snapshot: Option<SnapshotFile>,
}

/// What the response must satisfy.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ExpectFile {
    pub status: Option<StatusSchema>,
    /// Header name → matcher.
    pub headers: Option<BTreeMap<String, MatcherSchema>>,
    /// JSONPath (RFC 9535) → matcher.
    pub jsonpath: Option<BTreeMap<String, MatcherSchema>>,
    /// A matcher on the raw body text.
    pub body: Option<MatcherSchema>,
    /// A matcher in milliseconds.
    pub duration: Option<MatcherSchema>,
    /// A JSON Schema check: a schema file, an inline schema, or `{ path, file | schema }`.
    pub schema: Option<SchemaCheckFile>,
}

/// A capture from a header.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HeaderCapture {
    pub header: String,
    /// Add to an array across the pages of a `repeat` request instead of replacing.
    pub append: Option<bool>,
    /// The captured value joins the secrets: `[REDACTED]` in every output from then on.
    pub secret: Option<bool>,
}

/// A capture by JSONPath, written as a map to take options.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct JsonPathCapture {
    /// RFC 9535 JSONPath into the body.
    pub jsonpath: String,
    /// Add to an array across the pages of a `repeat` request instead of replacing.
    pub append: Option<bool>,
    /// The captured value joins the secrets: `[REDACTED]` in every output from then on.
    pub secret: Option<bool>,
}

/// A multipart part: a text (a template), a JSON value, or a file.
#[derive(JsonSchema)]
#[schemars(untagged)]
pub enum PartFile {
    Text(String),
    Json(JsonPart),
    File(FilePart),
}

/// `{ json: … }`: a part sent as `application/json`; its strings are templates.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct JsonPart {
    pub json: Value,
}

/// `{ file: PATH, content_type: T }`: a file part, never rendered.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct FilePart {
    /// Relative to the collection file's folder.
    pub file: String,
    /// Default: from the extension, else `application/octet-stream`.
    pub content_type: Option<String>,
}

/// `expect.schema`: a file (relative to the collection), `{ path, file }`, `{ path, schema }`,
/// or an inline schema map.
#[derive(JsonSchema)]
#[schemars(untagged)]
pub enum SchemaCheckFile {
    File(String),
    At(SchemaAt),
    Inline(BTreeMap<String, Value>),
}

/// `{ path: JSONPATH, file: FILE }` or `{ path: JSONPATH, schema: {…} }`; `path` defaults to `$`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SchemaAt {
    pub path: Option<String>,
    pub file: Option<String>,
    pub schema: Option<BTreeMap<String, Value>>,
}

/// `poll: { interval, timeout }`: send the request again until its `expect` holds.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PollFile {
    /// The wait between attempts (`2s`).
    pub interval: DurationText,
    /// No attempt starts after this (`2m`); then the last attempt's failures are reported.
    pub timeout: DurationText,
}

/// `repeat: { while, max }`: send the request again while `while` is truthy after a response.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RepeatFile {
    /// A template evaluated after each response, with that response's captures applied.
    #[schemars(rename = "while")]
    pub condition: String,
    /// The most pages; reaching it with `while` still true fails the request.
    #[schemars(range(min = 1, max = 100_000))]
    pub max: u32,
}

/// A capture: a JSONPath string, or a header.
#[derive(JsonSchema)]
#[schemars(untagged)]
pub enum CaptureFile {
    JsonPath(String),
    Header(HeaderCapture),
    Options(JsonPathCapture),
}

/// `snapshot: true` or its settings.
#[derive(JsonSchema)]
#[schemars(untagged)]
pub enum SnapshotFile {
    Enabled(bool),
    Settings(SnapshotSettings),
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SnapshotSettings {
    /// The part of the body to store (default: all of it).
    pub path: Option<String>,
    /// Selector → placeholder.
    pub redact: Option<BTreeMap<String, String>>,
    /// One snapshot per environment.
    pub per_env: Option<bool>,
}

/// A Courier environment.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields, title = "Courier environment")]
pub struct EnvironmentFile {
    /// Optional; must equal the file name without extension.
    pub name: Option<String>,
    pub scope: ScopeText,
    pub vars: Option<BTreeMap<String, Value>>,
    /// Variable → the process environment variable (or `.env` entry) holding it.
    pub secrets: Option<BTreeMap<String, String>>,
    pub auth: Option<BTreeMap<String, AuthProfileFile>>,
    pub tls: Option<TlsFile>,
    pub limits: Option<LimitsFile>,
    pub emulator: Option<EmulatorFile>,
}

#[derive(JsonSchema)]
#[schemars(rename_all = "kebab-case")]
pub enum ScopeText {
    NonProduction,
    Production,
}

/// An auth profile.
#[derive(JsonSchema)]
#[schemars(tag = "type", rename_all = "lowercase")]
pub enum AuthProfileFile {
    Oauth2(OAuth2File),
    Bearer(BearerFile),
    Basic(BasicFile),
    None(NoneFile),
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OAuth2File {
    pub grant: GrantText,
    pub authorize_url: Option<String>,
    pub token_url: String,
    /// Default: `token_url` with `token` replaced by `revoke`.
    pub revoke_url: Option<String>,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// `https://` only (Intacct refuses `http://`).
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    /// Default true.
    pub pkce: Option<bool>,
    pub refresh_token: Option<String>,
    /// Extra token-request fields (Intacct's `username: user@company`).
    pub token_params: Option<BTreeMap<String, Scalar>>,
    pub client_auth: Option<ClientAuthText>,
}

#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum GrantText {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum ClientAuthText {
    Body,
    Basic,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct BearerFile {
    pub token: String,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct BasicFile {
    pub username: String,
    pub password: String,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct NoneFile {}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TlsFile {
    /// Refused in production scope.
    pub insecure: Option<bool>,
    /// A PEM file, relative to the environment file (null: none).
    pub ca_cert: Option<NullableText>,
}

/// Shared by every collection of a run.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LimitsFile {
    #[schemars(range(min = 1))]
    pub max_concurrency: Option<u32>,
    pub requests_per_second: Option<f64>,
}

/// `emulator: intacct`, or its knobs.
#[derive(JsonSchema)]
#[schemars(untagged)]
pub enum EmulatorFile {
    Kind(EmulatorKind),
    Knobs(EmulatorKnobs),
}

#[derive(JsonSchema)]
#[schemars(rename_all = "lowercase")]
pub enum EmulatorKind {
    Intacct,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct EmulatorKnobs {
    pub kind: EmulatorKind,
    pub seed: Option<u64>,
    pub token_ttl: Option<DurationText>,
    pub rotate_refresh_tokens: Option<bool>,
    pub latency: Option<DurationText>,
    pub fail_first: Option<u64>,
    pub fail_every: Option<u64>,
    #[schemars(range(min = 0.0, max = 1.0))]
    pub fail_rate: Option<f64>,
    /// Requests per second, like `50/s`.
    pub rate_limit: Option<Scalar>,
    pub deny_authorize: Option<bool>,
    /// API requests in flight at once before 429 `GW-0010`.
    #[schemars(range(min = 1))]
    pub max_concurrent: Option<u32>,
    /// API requests per hour before 429 with `X-IA-Hour-Rate-Limit-Remaining: 0`, like `5000`,
    /// or per a shorter window for tests, like `5/2s`.
    pub hour_quota: Option<Scalar>,
    /// 401 (`GW-0040`, the default) or 400 (`REST-1206`).
    #[schemars(range(min = 400, max = 401))]
    pub expired_token_status: Option<u16>,
    /// Objects answered 403 on every route, like `accounts-payable/vendor`.
    pub deny_objects: Option<Vec<String>>,
    pub composite_rollback: Option<bool>,
    /// How long a bulk job takes from `queued` to `completed`, like `2s` (at most `1h`).
    pub bulk_duration: Option<DurationText>,
    pub redirect_uri: Option<ScalarOrList>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub username: Option<String>,
}

macro_rules! schema_type {
    ($name:ident, $title:literal, $schema:tt) => {
        #[doc = $title]
        pub struct $name;

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!($schema)
            }
        }
    };
}

schema_type!(Scalar, "A string, number or boolean (templated when a string).", {
    "type": ["string", "number", "boolean"]
});
schema_type!(ScalarOrList, "A scalar or a list of them.", {
    "anyOf": [
        { "type": ["string", "number", "boolean"] },
        { "type": "array", "items": { "type": ["string", "number", "boolean"] } }
    ]
});
schema_type!(Tags, "A tag or a list of tags.", {
    "anyOf": [{ "type": "string" }, { "type": "array", "items": { "type": "string" } }]
});
schema_type!(NullableText, "A string, or null for none.", { "type": ["string", "null"] });
schema_type!(BoolOrText, "A boolean or a template.", { "type": ["boolean", "string"] });
schema_type!(DurationText, "A duration: `250ms`, `30s`, `2m`, `1h`.", {
    "type": "string",
    "pattern": "^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$"
});
schema_type!(SizeText, "A size: bytes, or a number and a unit (`512KiB`, `64MiB`, `10MB`).", {
    "anyOf": [
        { "type": "integer", "minimum": 1 },
        { "type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?\\s*([bB]|[kKmMgG][iI]?[bB])?$" }
    ]
});
// Character classes rather than `(?i)`: schema patterns are ECMA-262 regexes (editors and
// other validators read them), which have no inline flags.
schema_type!(MethodText, "An HTTP method, in any case.", {
    "type": "string",
    "pattern": "^([Gg][Ee][Tt]|[Hh][Ee][Aa][Dd]|[Pp][Oo][Ss][Tt]|[Pp][Uu][Tt]|[Pp][Aa][Tt][Cc][Hh]|[Dd][Ee][Ll][Ee][Tt][Ee]|[Oo][Pp][Tt][Ii][Oo][Nn][Ss])$"
});
schema_type!(RetryOnText, "A status code, a class like `5xx`, or `network`.", {
    "anyOf": [
        { "type": "integer", "minimum": 100, "maximum": 599 },
        { "type": "string", "pattern": "^([1-5][xX][xX]|network)$" }
    ]
});

/// A matcher: a plain value (equality) or an operator map.
pub struct MatcherSchema;

fn operator_map() -> Value {
    let any = serde_json::json!({});
    let mut props = serde_json::Map::new();
    for name in OpKind::NAMES {
        let schema = match name {
            "matches" => {
                serde_json::json!({ "type": "string", "description": "a regex, unanchored" })
            }
            "exists" => serde_json::json!({ "type": "boolean" }),
            "type" => serde_json::json!({ "enum": JsonType::NAMES }),
            "length" => {
                serde_json::json!({ "anyOf": [{ "type": "integer", "minimum": 0 }, { "type": "string" }, { "$ref": "#/$defs/OperatorMap" }] })
            }
            "in" | "not_in" => {
                serde_json::json!({ "anyOf": [{ "type": "array" }, { "type": "string" }] })
            }
            "gt" | "gte" | "lt" | "lte" => serde_json::json!({ "type": ["number", "string"] }),
            _ => any.clone(),
        };
        props.insert(name.to_owned(), schema);
    }
    serde_json::json!({
        "type": "object",
        "description": "An operator map: every operator must hold.",
        "properties": props,
        "additionalProperties": false,
        "minProperties": 1
    })
}

impl JsonSchema for MatcherSchema {
    fn schema_name() -> Cow<'static, str> {
        "Matcher".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        generator
            .definitions_mut()
            .insert("OperatorMap".to_owned(), operator_map());
        json_schema!({
            "description": "A plain value (deep equality; an expected number equals a numeric string) or an operator map.",
            "anyOf": [
                { "type": ["string", "number", "boolean", "null", "array"] },
                { "$ref": "#/$defs/OperatorMap" }
            ]
        })
    }
}

/// `expect.status`.
pub struct StatusSchema;

impl JsonSchema for StatusSchema {
    fn schema_name() -> Cow<'static, str> {
        "Status".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        generator
            .definitions_mut()
            .insert("OperatorMap".to_owned(), operator_map());
        let one = serde_json::json!({
            "anyOf": [
                { "type": "integer", "minimum": 100, "maximum": 599 },
                { "type": "string", "pattern": "^([1-5][xX][xX]|[1-5][0-9][0-9])$" }
            ]
        });
        json_schema!({
            "anyOf": [
                one.clone(),
                { "type": "array", "items": one, "minItems": 1 },
                { "$ref": "#/$defs/OperatorMap" }
            ]
        })
    }
}

/// The collection schema as pretty JSON with a final newline.
pub fn collection_schema() -> String {
    pretty(&generator().into_root_schema_for::<CollectionFile>())
}

/// The environment schema as pretty JSON with a final newline.
pub fn environment_schema() -> String {
    pretty(&generator().into_root_schema_for::<EnvironmentFile>())
}

fn generator() -> SchemaGenerator {
    schemars::generate::SchemaSettings::draft2020_12().into_generator()
}

/// Optional keys may be left out, not set to null: the loader refuses `key: ~` where it
/// expects a value, so the schema must too. schemars writes `Option<T>` as "T or null";
/// this takes the null back out (`vars` values and matchers keep theirs: they are values).
fn drop_optional_nulls(v: &mut Value) {
    let Value::Object(map) = v else {
        if let Value::Array(items) = v {
            items.iter_mut().for_each(drop_optional_nulls);
        }
        return;
    };
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for prop in props.values_mut() {
            let Value::Object(p) = prop else { continue };
            if let Some(Value::Array(types)) = p.get_mut("type")
                && types.len() == 2
                && types.iter().any(|t| t == "null")
            {
                types.retain(|t| t != "null");
                let only = types.remove(0);
                p.insert("type".to_owned(), only);
            }
            if let Some(Value::Array(any)) = p.get("anyOf")
                && any.len() == 2
                && any
                    .iter()
                    .any(|a| a == &serde_json::json!({"type": "null"}))
            {
                let keep = any
                    .iter()
                    .find(|a| *a != &serde_json::json!({"type": "null"}))
                    .cloned();
                if let Some(Value::Object(keep)) = keep {
                    p.remove("anyOf");
                    p.extend(keep);
                }
            }
        }
    }
    map.values_mut().for_each(drop_optional_nulls);
}

fn pretty(schema: &Schema) -> String {
    let mut value = schema.as_value().clone();
    drop_optional_nulls(&mut value);
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}
