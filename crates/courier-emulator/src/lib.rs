//! An in-memory imitation of the Sage Intacct REST API, for `courier emulator`, for
//! `emulator: intacct` environments and for tests: OAuth 2.0, object CRUD, the query and
//! model services, batch, composite and bulk-job services, Intacct's envelopes and error
//! bodies, and knobs for token lifetime, latency, failures, rate and concurrency limits
//! (docs/emulator.md; docs/emulator-services.md for the services).
//!
//! [`start`] binds 127.0.0.1 and serves in a task of the current tokio runtime; it prints
//! nothing, so the runner can embed it. The data is generated per (scope, seed) and lives
//! in memory, per emulator.
//!
//! ```no_run
//! # async fn demo() -> Result<(), courier_emulator::EmulatorError> {
//! let emulator = courier_emulator::start(courier_emulator::EmulatorOptions::default()).await?;
//! println!("{}", emulator.base_url()); // http://127.0.0.1:PORT/ia/api/v1
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod api;
mod batch;
mod bulk;
mod composite;
mod concurrency;
mod envelope;
mod idempotency;
mod latency;
mod oauth;
mod options;
mod query;
mod quota;
mod schema;
mod seed;
mod server;
mod service_errors;
mod stats;
mod store;
mod tokens;
mod txn;
mod validate;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use options::{
    Credentials, DEFAULT_BULK_DURATION, DEFAULT_REDIRECT_URIS, DEFAULT_SEED, DEFAULT_TOKEN_TTL,
    EmulatorOptions, HourQuota, KNOBS, MAX_BULK_DURATION, MAX_LATENCY, MAX_TOKEN_TTL, OptionError,
    SEED_VARIABLE, Scope, default_credentials, parse_bulk_duration, parse_duration,
    parse_expired_token_status, parse_fail_rate, parse_hour_quota, parse_latency,
    parse_max_concurrent, parse_rate_limit,
};
pub use seed::{ScopeChange, ScopeDifference, scope_differences, scope_differences_markdown};

/// The path every API URL starts with.
pub const API_ROOT: &str = "/ia/api/v1";

/// Why an emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("failed to bind 127.0.0.1:{port}: {source}")]
    Bind {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid redirect URI `{uri}`: {reason}")]
    RedirectUri { uri: String, reason: &'static str },
    #[error(
        "invalid username `{0}`: expected user@company, as Intacct's Web Services users are written"
    )]
    Username(String),
    #[error("invalid failure rate {0}: expected a number from 0 to 1")]
    FailRate(f64),
    #[error("invalid expired-token status {0}: expected 401 or 400")]
    ExpiredTokenStatus(u16),
    #[error("invalid {knob} {value}: at most {max} is allowed")]
    TooLong {
        knob: &'static str,
        value: String,
        max: String,
    },
}

/// Whether a redirect URI may be registered: `https://` URLs and custom app schemes are,
/// `http://` ones are not (as Intacct's app registry rules).
pub fn check_redirect_uri(uri: &str) -> Result<(), EmulatorError> {
    let parsed = url::Url::parse(uri).map_err(|_| EmulatorError::RedirectUri {
        uri: uri.to_owned(),
        reason: "not an absolute URL",
    })?;
    oauth::redirect_scheme(&parsed).map_err(|reason| EmulatorError::RedirectUri {
        uri: uri.to_owned(),
        reason,
    })
}

fn validate(options: &EmulatorOptions) -> Result<(), EmulatorError> {
    for uri in &options.redirect_uris {
        check_redirect_uri(uri)?;
    }
    if let Some(username) = &options.username {
        let (user, company) = oauth::split_username(username);
        if user.is_empty() || company.is_empty() || company.contains('|') {
            return Err(EmulatorError::Username(username.clone()));
        }
    }
    if !(0.0..=1.0).contains(&options.fail_rate) {
        return Err(EmulatorError::FailRate(options.fail_rate));
    }
    if !matches!(options.expired_token_status, 400 | 401) {
        return Err(EmulatorError::ExpiredTokenStatus(
            options.expired_token_status,
        ));
    }
    for (knob, value, max) in [
        ("latency", options.latency, MAX_LATENCY),
        ("token_ttl", options.token_ttl, MAX_TOKEN_TTL),
        ("bulk_duration", options.bulk_duration, MAX_BULK_DURATION),
    ] {
        if value > max {
            return Err(EmulatorError::TooLong {
                knob,
                value: courier_units::format_duration(value),
                max: courier_units::format_duration(max),
            });
        }
    }
    Ok(())
}

/// A running emulator. Dropping it stops the server too; [`Emulator::shutdown`] also waits.
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    credentials: Credentials,
    shared: Arc<server::Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// Start an emulator on 127.0.0.1 (`options.port`, 0 for a free one), serving in a task of
/// the current tokio runtime.
pub async fn start(options: EmulatorOptions) -> Result<Emulator, EmulatorError> {
    validate(&options)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port))
        .await
        .map_err(|source| EmulatorError::Bind {
            port: options.port,
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| EmulatorError::Bind {
            port: options.port,
            source,
        })?;
    let shared = Arc::new(server::Shared::new(&options));
    let app = server::router(Arc::clone(&shared));
    let (stop, stopped) = oneshot::channel::<()>();
    // Small requests and answers: send each at once rather than wait for Nagle's algorithm.
    let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
        let _ = stream.set_nodelay(true);
    });
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(Emulator {
        addr,
        credentials: options.credentials(),
        shared,
        stop: Some(stop),
        task: Some(task),
    })
}

impl Emulator {
    /// `http://127.0.0.1:PORT/ia/api/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}{API_ROOT}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The client and user this emulator accepts.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    pub fn scope(&self) -> Scope {
        self.shared.scope
    }

    /// The stats document (docs/emulator.md, "Knobs"), as `GET /__emulator/stats` returns it.
    pub fn stats(&self) -> serde_json::Value {
        self.shared.stats.document()
    }

    /// Stop serving and wait (at most a few seconds) for answers in flight.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
