//! The emulator's knobs (docs/emulator.md, docs/emulator-services.md): the scope, the seed,
//! the credentials it accepts, the fault settings and the service knobs, with the parsers that
//! `courier emulator` and environment files share for their textual forms (`2s`, `50/s`).

use std::time::Duration;

pub use crate::quota::HourQuota;

/// The seed used when none is given: the README's table of scope differences is made with it.
pub const DEFAULT_SEED: u64 = 0;

/// Intacct's observed access-token lifetime, `expires_in: 43200` (docs/emulator.md).
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_hours(12);

/// The redirect URIs every emulator registers (docs/emulator.md), before any `--redirect-uri`.
pub const DEFAULT_REDIRECT_URIS: [&str; 2] = [
    "https://127.0.0.1/callback",
    "https://oauth.pstmn.io/v1/browser-callback",
];

/// The client scope of a company and of an OAuth client: Intacct keys are created for one of
/// the two and cannot be moved. Shared with courier-core through the leaf crate.
pub use courier_units::Scope;

/// A knob value that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    #[error("{0}")]
    Scope(#[from] courier_units::UnknownScope),
    #[error("invalid duration: {0}")]
    Duration(courier_units::DurationError),
    #[error("invalid rate limit `{0}`: expected requests per second, such as `50/s` or `50`")]
    RateLimit(String),
    #[error("invalid failure rate `{0}`: expected a number from 0 to 1, such as `0.1`")]
    FailRate(String),
    #[error("invalid expired-token status `{0}`: expected `401` or `400`")]
    ExpiredTokenStatus(String),
    #[error("invalid concurrency cap `{0}`: expected a whole number of requests above 0")]
    MaxConcurrent(String),
    #[error(
        "invalid hourly quota `{0}`: expected API requests per hour, such as `5000`, or per a \
         shorter window for tests, such as `5/2s`"
    )]
    HourQuota(String),
    #[error("invalid value for `{knob}`: expected {expected}")]
    Value {
        knob: String,
        expected: &'static str,
    },
    #[error("unknown emulator knob `{0}`: expected one of {KNOBS}")]
    UnknownKnob(String),
    #[error("invalid {SEED_VARIABLE} `{0}`: expected a whole number, such as `7`")]
    SeedVariable(String),
}

/// The knobs an environment's `emulator: { kind: intacct, ... }` may set (the flags of
/// docs/emulator.md in snake_case, except `port` and `scope`, which come from the run).
pub const KNOBS: &str = "seed, token_ttl, rotate_refresh_tokens, latency, fail_first, fail_every, \
     fail_rate, rate_limit, max_concurrent, hour_quota, deny_authorize, redirect_uris, client_id, \
     client_secret, username, expired_token_status, deny_objects, composite_rollback, \
     bulk_duration";

/// The longest `latency` the emulator takes: beyond it a request would outlive any client's
/// timeout, so a longer value is a typo (`latency: 999999999999h`), not a setting.
pub const MAX_LATENCY: Duration = Duration::from_hours(1);

/// The longest `bulk_duration`: a job that takes longer is a typo.
pub const MAX_BULK_DURATION: Duration = Duration::from_hours(1);

/// How long a bulk job takes from `queued` to `completed` unless told: long enough that a
/// client's polling is exercised.
pub const DEFAULT_BULK_DURATION: Duration = Duration::from_secs(2);

/// The longest `token_ttl`: a year, the bound of the shared duration grammar.
pub const MAX_TOKEN_TTL: Duration = courier_units::MAX_DURATION;

/// Parse a duration in the grammar every Courier file and flag shares (`250ms`, `1.5s`, `2m`,
/// `1h`, or a bare `0`), at most a year.
pub fn parse_duration(text: &str) -> Result<Duration, OptionError> {
    courier_units::parse_duration(text).map_err(OptionError::Duration)
}

/// Parse a `latency`: a duration of at most [`MAX_LATENCY`].
pub fn parse_latency(text: &str) -> Result<Duration, OptionError> {
    courier_units::parse_duration_at_most(text, MAX_LATENCY).map_err(OptionError::Duration)
}

/// Parse a `bulk_duration`: a duration of at most [`MAX_BULK_DURATION`].
pub fn parse_bulk_duration(text: &str) -> Result<Duration, OptionError> {
    courier_units::parse_duration_at_most(text, MAX_BULK_DURATION).map_err(OptionError::Duration)
}

/// Parse the status an expired token is answered with: `401` (`GW-0040`) or `400`
/// (`REST-1206`).
pub fn parse_expired_token_status(text: &str) -> Result<u16, OptionError> {
    match text.trim() {
        "401" => Ok(401),
        "400" => Ok(400),
        other => Err(OptionError::ExpiredTokenStatus(other.to_owned())),
    }
}

/// Parse a concurrency cap: a positive number of API requests in flight at once.
pub fn parse_max_concurrent(text: &str) -> Result<u32, OptionError> {
    match text.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(OptionError::MaxConcurrent(text.to_owned())),
    }
}

/// Parse a rate limit in requests per second: `50/s` or a bare `50`. Zero is refused: a limit
/// that lets nothing through is a typo, not a setting.
pub fn parse_rate_limit(text: &str) -> Result<u32, OptionError> {
    let trimmed = text.trim();
    let number = trimmed.strip_suffix("/s").unwrap_or(trimmed);
    match number.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(OptionError::RateLimit(text.to_owned())),
    }
}

/// Parse an hourly quota: API requests per hour (`5000`, `5000/h`), or per a shorter window
/// for tests (`5/2s`). Zero requests or a zero window is refused, as a typo.
pub fn parse_hour_quota(text: &str) -> Result<HourQuota, OptionError> {
    courier_units::parse_quota(text)
        .map(|(requests, window)| HourQuota { requests, window })
        .ok_or_else(|| OptionError::HourQuota(text.to_owned()))
}

/// Parse a failure probability from 0 to 1.
pub fn parse_fail_rate(text: &str) -> Result<f64, OptionError> {
    match text.trim().parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err(OptionError::FailRate(text.to_owned())),
    }
}

/// Everything an emulator is started with. `Default` gives the defaults of docs/emulator.md.
#[derive(Clone, Debug)]
pub struct EmulatorOptions {
    /// The company's scope: which dataset is served and which default client is accepted.
    pub scope: Scope,
    /// Seed of the generated dataset and of the `supportId` sequence.
    pub seed: u64,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Lifetime of access tokens (`expires_in`).
    pub token_ttl: Duration,
    /// When true, a refresh grant returns a new refresh token and the old one stops working.
    pub rotate_refresh_tokens: bool,
    /// Added to every API request before it is answered.
    pub latency: Duration,
    /// The first N API requests answer 503.
    pub fail_first: u64,
    /// Every Nth API request answers 503 (0 = never).
    pub fail_every: u64,
    /// Each API request answers 503 with this probability (drawn from the seed).
    pub fail_rate: f64,
    /// API requests per second; beyond it, 429 with `Retry-After`.
    pub rate_limit: Option<u32>,
    /// API requests in flight at once; beyond it, 429 `GW-0010`. `None`: no cap.
    pub max_concurrent: Option<u32>,
    /// API requests per hour (or a shorter window); beyond it, 429 with the
    /// `X-IA-Hour-Rate-Limit*` headers until the window ends. `None`: no quota.
    pub hour_quota: Option<HourQuota>,
    /// The authorize endpoint refuses every request with `error=access_denied`.
    pub deny_authorize: bool,
    /// The status of an expired token's answer: 401 (`GW-0040`, the default) or 400
    /// (`REST-1206` "The token is not valid", as some real gateways answer).
    pub expired_token_status: u16,
    /// Objects (`accounts-payable/vendor`) the user may not touch: 403 on every route.
    pub deny_objects: Vec<String>,
    /// Whether a failed composite rolls back what its earlier subrequests wrote (default).
    pub composite_rollback: bool,
    /// How long a bulk job takes from `queued` to `completed`.
    pub bulk_duration: Duration,
    /// Redirect URIs registered in addition to [`DEFAULT_REDIRECT_URIS`].
    pub redirect_uris: Vec<String>,
    /// Replace the default client id of the emulator's own scope.
    pub client_id: Option<String>,
    /// Replace the default client secret of the emulator's own scope.
    pub client_secret: Option<String>,
    /// Replace the default Web Services user (`user@company`) of the emulator's own scope.
    pub username: Option<String>,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        EmulatorOptions {
            scope: Scope::NonProduction,
            seed: DEFAULT_SEED,
            port: 0,
            token_ttl: DEFAULT_TOKEN_TTL,
            rotate_refresh_tokens: false,
            latency: Duration::ZERO,
            fail_first: 0,
            fail_every: 0,
            fail_rate: 0.0,
            rate_limit: None,
            max_concurrent: None,
            hour_quota: None,
            deny_authorize: false,
            expired_token_status: 401,
            deny_objects: Vec::new(),
            composite_rollback: true,
            bulk_duration: DEFAULT_BULK_DURATION,
            redirect_uris: Vec::new(),
            client_id: None,
            client_secret: None,
            username: None,
        }
    }
}

/// The text of a scalar knob value: strings as they are, numbers and booleans as written.
fn knob_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        serde_json::Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// The environment variable that picks the seed of the built-in emulator environments.
pub const SEED_VARIABLE: &str = "COURIER_EMULATOR_SEED";

impl EmulatorOptions {
    /// These options with the seed of `COURIER_EMULATOR_SEED` when it is set (and not
    /// blank); docs/emulator.md, "Seeds".
    pub fn with_env_seed(self) -> Result<EmulatorOptions, OptionError> {
        self.with_seed_variable(std::env::var(SEED_VARIABLE).ok().as_deref())
    }

    /// [`EmulatorOptions::with_env_seed`] with the variable's value given.
    pub fn with_seed_variable(
        mut self,
        value: Option<&str>,
    ) -> Result<EmulatorOptions, OptionError> {
        if let Some(text) = value.map(str::trim).filter(|text| !text.is_empty()) {
            self.seed = text
                .parse()
                .map_err(|_| OptionError::SeedVariable(text.to_owned()))?;
        }
        Ok(self)
    }

    /// Set one knob from an environment file's value, with the parsing and messages of the
    /// command line (`token_ttl: 2s`, `rate_limit: 50/s`, `latency: 20`, meaning milliseconds
    /// when a bare number, `redirect_uris` a list). `rate_limit: null` removes the limit.
    pub fn set_knob(&mut self, knob: &str, value: &serde_json::Value) -> Result<(), OptionError> {
        let invalid = |expected: &'static str| OptionError::Value {
            knob: knob.to_owned(),
            expected,
        };
        let text = knob_text(value);
        let duration = |text: Option<String>, max: Duration| match (value, text) {
            (serde_json::Value::Number(number), Some(text)) => {
                let millis = number
                    .as_u64()
                    .ok_or_else(|| invalid("a duration such as `20ms`, or whole milliseconds"))?;
                // A bare number means milliseconds; it meets the same bound as the text form.
                courier_units::parse_duration_at_most(&format!("{millis}ms"), max).map_err(|_| {
                    OptionError::Duration(courier_units::DurationError::TooLong { text, max })
                })
            }
            (_, Some(text)) => {
                courier_units::parse_duration_at_most(&text, max).map_err(OptionError::Duration)
            }
            (_, None) => Err(invalid("a duration such as `20ms`")),
        };
        let count = || value.as_u64().ok_or_else(|| invalid("a whole number"));
        let flag = || value.as_bool().ok_or_else(|| invalid("true or false"));
        let string = || {
            value
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| invalid("a string"))
        };
        let strings = |what: &'static str| {
            value
                .as_array()
                .and_then(|items| {
                    items
                        .iter()
                        .map(|item| item.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                })
                .ok_or_else(|| invalid(what))
        };
        match knob {
            "seed" => self.seed = count()?,
            "token_ttl" => self.token_ttl = duration(text, MAX_TOKEN_TTL)?,
            "bulk_duration" => self.bulk_duration = duration(text, MAX_BULK_DURATION)?,
            "composite_rollback" => self.composite_rollback = flag()?,
            "expired_token_status" => {
                self.expired_token_status =
                    parse_expired_token_status(&text.ok_or_else(|| invalid("401 or 400"))?)?;
            }
            "max_concurrent" => {
                self.max_concurrent = match text {
                    _ if value.is_null() => None,
                    Some(text) => Some(parse_max_concurrent(&text)?),
                    None => return Err(invalid("a whole number of requests above 0")),
                };
            }
            "hour_quota" => {
                self.hour_quota = match text {
                    _ if value.is_null() => None,
                    Some(text) => Some(parse_hour_quota(&text)?),
                    None => return Err(invalid("requests per hour, such as `5000`, or `5/2s`")),
                };
            }
            "deny_objects" => {
                self.deny_objects = strings("a list of objects such as accounts-payable/vendor")?;
            }
            "latency" => self.latency = duration(text, MAX_LATENCY)?,
            "rotate_refresh_tokens" => self.rotate_refresh_tokens = flag()?,
            "deny_authorize" => self.deny_authorize = flag()?,
            "fail_first" => self.fail_first = count()?,
            "fail_every" => self.fail_every = count()?,
            "fail_rate" => {
                self.fail_rate =
                    parse_fail_rate(&text.ok_or_else(|| invalid("a number from 0 to 1"))?)?;
            }
            "rate_limit" => {
                self.rate_limit = match text {
                    _ if value.is_null() => None,
                    Some(text) => Some(parse_rate_limit(&text)?),
                    None => return Err(invalid("requests per second, such as `50/s`")),
                };
            }
            "redirect_uris" => {
                self.redirect_uris = strings("a list of https:// or app-scheme URIs")?;
            }
            "client_id" => self.client_id = Some(string()?),
            "client_secret" => self.client_secret = Some(string()?),
            "username" => self.username = Some(string()?),
            other => return Err(OptionError::UnknownKnob(other.to_owned())),
        }
        Ok(())
    }

    /// The credentials this emulator accepts for its own scope: the defaults of
    /// docs/emulator.md with `client_id`, `client_secret` and `username` replaced where given.
    pub fn credentials(&self) -> Credentials {
        let defaults = default_credentials(self.scope);
        Credentials {
            client_id: self.client_id.clone().unwrap_or(defaults.client_id),
            client_secret: self.client_secret.clone().unwrap_or(defaults.client_secret),
            username: self.username.clone().unwrap_or(defaults.username),
        }
    }
}

/// An OAuth client and the Web Services user it may log in as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
    /// `user@company`, as Intacct's client-credentials grant takes it.
    pub username: String,
}

/// The public test credentials of docs/emulator.md for a scope.
pub fn default_credentials(scope: Scope) -> Credentials {
    let (client_id, client_secret, username) = match scope {
        Scope::NonProduction => (
            "courier-np.app.sage.com",
            "courier-np-secret",
            "ci-bot@COURIER-SANDBOX",
        ),
        Scope::Production => (
            "courier-prod.app.sage.com",
            "courier-prod-secret",
            "ci-bot@COURIER-PROD",
        ),
    };
    Credentials {
        client_id: client_id.to_owned(),
        client_secret: client_secret.to_owned(),
        username: username.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_the_shared_grammar() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("20ms"), Ok(Duration::from_millis(20)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_mins(5)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_hours(1)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        for bad in ["", "2", "s", "-1s", "2d", "99999999999999999999h"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn absurd_latencies_are_refused_with_the_bound() {
        assert_eq!(parse_latency("1h"), Ok(Duration::from_hours(1)));
        let message = parse_latency("999999999999h")
            .map_err(|error| error.to_string())
            .expect_err("over an hour");
        assert_eq!(
            message,
            "invalid duration: `999999999999h` is too long: at most 1h is allowed"
        );
        let mut options = EmulatorOptions::default();
        assert!(
            options
                .set_knob("latency", &serde_json::json!("2h"))
                .is_err()
        );
        assert!(
            options
                .set_knob("latency", &serde_json::json!(3_600_001))
                .is_err()
        );
        assert!(
            options
                .set_knob("token_ttl", &serde_json::json!("999999999999h"))
                .is_err()
        );
    }

    #[test]
    fn the_seed_variable_overrides_the_seed_and_refuses_non_numbers() {
        let options = EmulatorOptions::default();
        assert_eq!(
            options
                .clone()
                .with_seed_variable(Some(" 7 "))
                .map(|o| o.seed),
            Ok(7)
        );
        assert_eq!(
            options.clone().with_seed_variable(Some("")).map(|o| o.seed),
            Ok(0)
        );
        assert_eq!(
            options.clone().with_seed_variable(None).map(|o| o.seed),
            Ok(0)
        );
        let error = options
            .with_seed_variable(Some("seven"))
            .expect_err("not a number");
        assert!(
            error.to_string().contains("COURIER_EMULATOR_SEED"),
            "{error}"
        );
    }

    #[test]
    fn rate_limits_are_per_second_and_positive() {
        assert_eq!(parse_rate_limit("50/s"), Ok(50));
        assert_eq!(parse_rate_limit("7"), Ok(7));
        for bad in ["0/s", "50/m", "", "x/s", "-3"] {
            assert!(parse_rate_limit(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn fail_rates_are_probabilities() {
        assert_eq!(parse_fail_rate("0.1"), Ok(0.1));
        assert!(parse_fail_rate("1.5").is_err());
        assert!(parse_fail_rate("NaN").is_err());
    }

    #[test]
    fn scopes_round_trip_through_their_spelling() {
        for scope in [Scope::NonProduction, Scope::Production] {
            assert_eq!(scope.to_string().parse::<Scope>(), Ok(scope));
        }
        assert!("prod".parse::<Scope>().is_err());
    }

    #[test]
    fn knobs_from_environment_files_parse_like_flags() {
        let mut options = EmulatorOptions::default();
        let set = |options: &mut EmulatorOptions, knob: &str, value: serde_json::Value| {
            options.set_knob(knob, &value)
        };
        set(&mut options, "token_ttl", serde_json::json!("2s")).expect("valid");
        set(&mut options, "latency", serde_json::json!(20)).expect("valid");
        set(&mut options, "rate_limit", serde_json::json!("50/s")).expect("valid");
        set(&mut options, "fail_rate", serde_json::json!(0.25)).expect("valid");
        set(
            &mut options,
            "rotate_refresh_tokens",
            serde_json::json!(true),
        )
        .expect("valid");
        set(
            &mut options,
            "redirect_uris",
            serde_json::json!(["https://a.example/cb"]),
        )
        .expect("valid");
        assert_eq!(options.token_ttl, Duration::from_secs(2));
        assert_eq!(options.latency, Duration::from_millis(20));
        assert_eq!(options.rate_limit, Some(50));
        assert!((options.fail_rate - 0.25).abs() < f64::EPSILON);
        assert!(options.rotate_refresh_tokens);
        set(&mut options, "rate_limit", serde_json::Value::Null).expect("valid");
        assert_eq!(options.rate_limit, None);
        assert!(matches!(
            set(&mut options, "port", serde_json::json!(80)),
            Err(OptionError::UnknownKnob(_))
        ));
        assert!(set(&mut options, "fail_first", serde_json::json!("two")).is_err());
        assert!(set(&mut options, "token_ttl", serde_json::json!("2 days")).is_err());
        set(&mut options, "max_concurrent", serde_json::json!(2)).expect("valid");
        set(&mut options, "bulk_duration", serde_json::json!("500ms")).expect("valid");
        set(&mut options, "expired_token_status", serde_json::json!(400)).expect("valid");
        set(&mut options, "composite_rollback", serde_json::json!(false)).expect("valid");
        set(
            &mut options,
            "deny_objects",
            serde_json::json!(["accounts-payable/vendor"]),
        )
        .expect("valid");
        assert_eq!(options.max_concurrent, Some(2));
        assert_eq!(options.bulk_duration, Duration::from_millis(500));
        assert_eq!(options.expired_token_status, 400);
        assert!(!options.composite_rollback);
        assert_eq!(options.deny_objects, ["accounts-payable/vendor"]);
        assert!(set(&mut options, "max_concurrent", serde_json::json!(0)).is_err());
        assert!(set(&mut options, "expired_token_status", serde_json::json!(403)).is_err());
        assert!(set(&mut options, "bulk_duration", serde_json::json!("2h")).is_err());
        set(&mut options, "max_concurrent", serde_json::Value::Null).expect("valid");
        assert_eq!(options.max_concurrent, None);
    }

    #[test]
    fn overrides_replace_only_the_given_credentials() {
        let options = EmulatorOptions {
            scope: Scope::Production,
            username: Some("alice@ACME".into()),
            ..EmulatorOptions::default()
        };
        let credentials = options.credentials();
        assert_eq!(credentials.client_id, "courier-prod.app.sage.com");
        assert_eq!(credentials.username, "alice@ACME");
    }
}
