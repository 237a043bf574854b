//! `courier emulator`: serve the in-memory Sage Intacct emulator until interrupted. The flags
//! are the knobs of docs/emulator.md and docs/emulator-services.md; this file only parses
//! them, prints the fixed first lines and waits for Ctrl-C or SIGTERM — the emulator itself lives in the `courier-emulator` crate.

use std::io::Write as _;
use std::time::Duration;

use courier_emulator::{EmulatorError, EmulatorOptions, HourQuota, Scope};
use courier_events::Exit;

use super::error::{CliError, CliResult};

const ABOUT: &str = "Serve a local, in-memory imitation of the Sage Intacct REST API.";

const LONG_ABOUT: &str = "\
Serve a local, in-memory imitation of the Sage Intacct REST API on 127.0.0.1, for collections \
and CI jobs that must not reach a real company.

It speaks Intacct's wire format: OAuth 2.0 (authorize, token, revoke), object CRUD under \
/objects/{application}/{object} with batches, the query, model and composite services, bulk \
jobs, the ia::result / ia::meta / ia::error envelopes, string keys and amounts, relative hrefs and Intacct's status codes. The \
company is generated from --scope and --seed (vendors, customers, accounts, departments, \
locations, employees over two entities), lives in memory, and is the same on every run with \
the same seed.

The first line of standard output is the base URL, http://127.0.0.1:PORT/ia/api/v1; the next \
two give the client id and the username the emulator accepts. It serves until Ctrl-C or \
SIGTERM.";

const AFTER_LONG_HELP: &str = "\
DEFAULT CREDENTIALS (public test fixtures; --client-id, --client-secret and --username replace \
those of the emulator's own scope):
  non-production  client courier-np.app.sage.com    secret courier-np-secret    user ci-bot@COURIER-SANDBOX
  production      client courier-prod.app.sage.com  secret courier-prod-secret  user ci-bot@COURIER-PROD
The other scope's client is refused with invalid_client, as a real company refuses keys of the \
wrong client scope.

ADMIN ENDPOINTS (no authentication):
  GET  /__emulator/stats       counters: token requests, API requests per route, rejections, in-flight peak
  POST /__emulator/reset       back to the seeded data, counters at zero
  POST /__emulator/revoke-all  revoke every token
  POST /__emulator/faults      change knobs at run time: {\"latency\": \"20ms\", \"fail_first\": 2,
                               \"fail_every\": 0, \"fail_rate\": 0.1, \"rate_limit\": \"50/s\",
                               \"max_concurrent\": 8}

Examples:
  Serve the sandbox company on a free port and get a token:
    courier emulator
    curl -s -d grant_type=client_credentials -d client_id=courier-np.app.sage.com \\
         -d client_secret=courier-np-secret -d username=ci-bot@COURIER-SANDBOX \\
         http://127.0.0.1:PORT/ia/api/v1/oauth2/token

  A production company on port 8080 whose tokens live 2 seconds, with one request in ten failing:
    courier emulator --scope production --port 8080 --token-ttl 2s --fail-rate 0.1

Exit codes:
  0 stopped by Ctrl-C or SIGTERM; 1 the port could not be bound; 2 invalid flags.";

/// Serve the Sage Intacct emulator.
#[derive(Debug, clap::Args)]
#[command(about = ABOUT, long_about = LONG_ABOUT, after_long_help = AFTER_LONG_HELP)]
pub(crate) struct EmulatorArgs {
    #[command(flatten)]
    pub(crate) color: super::common::ColorArg,
    /// The company's client scope: `non-production` or `production`. It picks the dataset and
    /// the default client the emulator accepts.
    #[arg(long, value_name = "SCOPE", default_value = "non-production", value_parser = parse_scope)]
    scope: Scope,

    /// Seed of the generated company and of the `supportId` sequence: the same seed gives the
    /// same data, byte for byte.
    #[arg(long, value_name = "N", default_value_t = courier_emulator::DEFAULT_SEED)]
    seed: u64,

    /// Port on 127.0.0.1; 0 picks a free one (the first output line tells which).
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    port: u16,

    /// Lifetime of access tokens (`expires_in`), such as `2s`, `5m` or `12h`.
    #[arg(long, value_name = "DURATION", default_value = "12h", value_parser = parse_duration)]
    token_ttl: Duration,

    /// A refresh grant returns a new refresh token, and the old one stops working.
    #[arg(long)]
    rotate_refresh_tokens: bool,

    /// Delay added to every API request, such as `20ms` (at most 1h).
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = parse_latency)]
    latency: Duration,

    /// The first N API requests answer 503 with an `ia::error` body.
    #[arg(long, value_name = "N", default_value_t = 0)]
    fail_first: u64,

    /// Every Nth API request answers 503 (0: never).
    #[arg(long, value_name = "N", default_value_t = 0)]
    fail_every: u64,

    /// Each API request answers 503 with this probability, from 0 to 1 (drawn from the seed,
    /// so a run in the same order meets the same failures).
    #[arg(long, value_name = "RATE", default_value = "0", value_parser = parse_fail_rate)]
    fail_rate: f64,

    /// At most this many API requests per second, such as `50/s`; beyond it, 429 with
    /// `Retry-After`.
    #[arg(long, value_name = "RATE", value_parser = parse_rate_limit)]
    rate_limit: Option<u32>,

    /// At most N API requests in flight at once; beyond it, 429 `GW-0010` with `Retry-After`
    /// (no cap by default).
    #[arg(long, value_name = "N", value_parser = parse_max_concurrent)]
    max_concurrent: Option<u32>,

    /// At most N API requests per hour, such as `5000`, or per a shorter window for tests,
    /// such as `5/2s`; beyond it, 429 with `X-IA-Hour-Rate-Limit-Remaining: 0` and
    /// `X-IA-Hour-Rate-Limit-Retry-After` until the window ends (no quota by default).
    #[arg(long, value_name = "QUOTA", value_parser = parse_hour_quota)]
    hour_quota: Option<HourQuota>,

    /// How long a bulk job takes from `queued` to `completed`, such as `2s` (at most 1h).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_bulk_duration)]
    bulk_duration: Duration,

    /// The status of an expired token's answer: `401` (`GW-0040`) or `400` (`REST-1206`
    /// "The token is not valid", as some real gateways answer).
    #[arg(long, value_name = "STATUS", default_value = "401", value_parser = parse_expired_token_status)]
    expired_token_status: u16,

    /// Deny the user an object, such as `accounts-payable/vendor`: 403 on every route
    /// (repeatable).
    #[arg(long = "deny-object", value_name = "OBJECT")]
    deny_objects: Vec<String>,

    /// A failed composite keeps what its earlier subrequests wrote (by default they are
    /// rolled back).
    #[arg(long)]
    composite_keep_writes: bool,

    /// The authorize endpoint refuses every request with `error=access_denied`.
    #[arg(long)]
    deny_authorize: bool,

    /// Register another OAuth redirect URI (repeatable; `https://` or a custom app scheme such
    /// as `com.example.app:/oauth`; `http://` is refused, as Intacct refuses it).
    /// Registered by default: `https://127.0.0.1/callback` and
    /// `https://oauth.pstmn.io/v1/browser-callback`; `https://127.0.0.1` URIs match on any port.
    #[arg(long = "redirect-uri", value_name = "URI", value_parser = parse_redirect_uri)]
    redirect_uris: Vec<String>,

    /// Replace the client id of the emulator's own scope.
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,

    /// Replace the client secret of the emulator's own scope.
    #[arg(long, value_name = "SECRET")]
    client_secret: Option<String>,

    /// Replace the Web Services user of the emulator's own scope, written user@company.
    #[arg(long, value_name = "USER@COMPANY", value_parser = parse_username)]
    username: Option<String>,
}

fn parse_scope(text: &str) -> Result<Scope, String> {
    text.parse()
        .map_err(|error: courier_units::UnknownScope| error.to_string())
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    courier_units::parse_duration(text).map_err(|error| error.to_string())
}

fn parse_latency(text: &str) -> Result<Duration, String> {
    courier_emulator::parse_latency(text).map_err(|error| error.to_string())
}

fn parse_fail_rate(text: &str) -> Result<f64, String> {
    courier_emulator::parse_fail_rate(text).map_err(|error| error.to_string())
}

fn parse_max_concurrent(text: &str) -> Result<u32, String> {
    courier_emulator::parse_max_concurrent(text).map_err(|error| error.to_string())
}

fn parse_hour_quota(text: &str) -> Result<HourQuota, String> {
    courier_emulator::parse_hour_quota(text).map_err(|error| error.to_string())
}

fn parse_bulk_duration(text: &str) -> Result<Duration, String> {
    courier_emulator::parse_bulk_duration(text).map_err(|error| error.to_string())
}

fn parse_expired_token_status(text: &str) -> Result<u16, String> {
    courier_emulator::parse_expired_token_status(text).map_err(|error| error.to_string())
}

fn parse_rate_limit(text: &str) -> Result<u32, String> {
    courier_emulator::parse_rate_limit(text).map_err(|error| error.to_string())
}

fn parse_redirect_uri(text: &str) -> Result<String, String> {
    courier_emulator::check_redirect_uri(text)
        .map(|()| text.to_owned())
        .map_err(|error| error.to_string())
}

fn parse_username(text: &str) -> Result<String, String> {
    match text.split_once('@') {
        Some((user, company))
            if !user.is_empty() && !company.is_empty() && !company.contains('|') =>
        {
            Ok(text.to_owned())
        }
        _ => Err(format!("`{text}` is not written user@company")),
    }
}

impl EmulatorArgs {
    fn options(self) -> EmulatorOptions {
        EmulatorOptions {
            scope: self.scope,
            seed: self.seed,
            port: self.port,
            token_ttl: self.token_ttl,
            rotate_refresh_tokens: self.rotate_refresh_tokens,
            latency: self.latency,
            fail_first: self.fail_first,
            fail_every: self.fail_every,
            fail_rate: self.fail_rate,
            rate_limit: self.rate_limit,
            max_concurrent: self.max_concurrent,
            hour_quota: self.hour_quota,
            deny_authorize: self.deny_authorize,
            expired_token_status: self.expired_token_status,
            deny_objects: self.deny_objects,
            composite_rollback: !self.composite_keep_writes,
            bulk_duration: self.bulk_duration,
            redirect_uris: self.redirect_uris,
            client_id: self.client_id,
            client_secret: self.client_secret,
            username: self.username,
        }
    }
}

/// The emulator's own exit codes (docs/emulator.md): 1 it could not start or bind its port,
/// 2 invalid options.
pub(crate) fn run(args: EmulatorArgs) -> CliResult {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            CliError::new(
                Exit::Failed,
                format!("failed to start the async runtime: {error}"),
            )
        })?;
    runtime.block_on(serve(args.options()))
}

async fn serve(options: EmulatorOptions) -> CliResult {
    let emulator = courier_emulator::start(options).await.map_err(|error| {
        let exit = match error {
            EmulatorError::Bind { .. } => Exit::Failed,
            _ => Exit::Invalid,
        };
        CliError::new(exit, format!("failed to start the emulator: {error}"))
    })?;
    let credentials = emulator.credentials();
    let mut stdout = std::io::stdout().lock();
    // Scripts read the first line for the base URL (docs/emulator.md): write all three, then
    // flush, so a pipe sees them at once.
    let printed = writeln!(stdout, "{}", emulator.base_url())
        .and_then(|()| writeln!(stdout, "client_id: {}", credentials.client_id))
        .and_then(|()| writeln!(stdout, "username: {}", credentials.username))
        .and_then(|()| stdout.flush());
    drop(stdout);
    if printed.is_err() {
        // Nobody can learn the URL: serving would only leave a stray process behind.
        emulator.shutdown().await;
        return Ok(Exit::Failed);
    }
    eprintln!(
        "courier emulator ({} scope) serving; Ctrl-C stops it",
        emulator.scope()
    );
    wait_for_stop().await;
    emulator.shutdown().await;
    Ok(Exit::Success)
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_refuse_http() {
        assert!(parse_redirect_uri("https://127.0.0.1:8443/callback").is_ok());
        assert!(parse_redirect_uri("com.example.app:/oauth").is_ok());
        assert!(parse_redirect_uri("http://127.0.0.1/callback").is_err());
    }

    #[test]
    fn usernames_must_name_a_company() {
        assert!(parse_username("alice@ACME").is_ok());
        assert!(parse_username("alice").is_err());
        assert!(parse_username("alice@ACME|US").is_err());
    }
}
