//! The embedded emulator of an `emulator: intacct` environment (docs/emulator.md): the binary
//! starts it on port 0 before the run, hands its variables to the executor with the rest of
//! the run's input, and stops it when the run is over. The executor never knows it exists.

use std::sync::mpsc;

use courier_core::model::{EmulatorSpec, Scope};
use courier_core::secret::Secrets;
use courier_core::template::{VarMap, json_to_value};
use courier_events::Event;
use courier_exec::context::SetupError;
use courier_exec::runner::{self, RunInput, RunTotals};

/// A running in-process emulator and the variables it defines.
struct Started {
    emulator: courier_emulator::Emulator,
    variables: VarMap,
}

/// Runs `input`, with the environment's emulator running for the length of the run when it
/// asks for one.
pub(crate) async fn run(
    mut input: RunInput,
    events: mpsc::Sender<Event>,
) -> Result<RunTotals, SetupError> {
    let started = match &input.environment.emulator {
        Some(spec) => Some(start(spec, input.environment.scope, &input.secrets).await?),
        None => None,
    };
    input.emulator_variables = started.as_ref().map(|s| s.variables.clone());
    let totals = runner::run(input, events).await;
    if let Some(s) = started {
        s.emulator.shutdown().await;
    }
    totals
}

/// Starts the emulator an environment asks for (docs/emulator.md): scope from the
/// environment, port 0. Its client secret joins the run's secrets.
async fn start(
    spec: &EmulatorSpec,
    scope: Scope,
    secrets: &Secrets,
) -> Result<Started, SetupError> {
    let mut options = courier_emulator::EmulatorOptions {
        scope,
        port: 0,
        ..courier_emulator::EmulatorOptions::default()
    };
    if let Some(seed) = spec.seed {
        options.seed = seed;
    }
    if let Some(ttl) = spec.token_ttl {
        options.token_ttl = ttl;
    }
    options.rotate_refresh_tokens = spec.rotate_refresh_tokens;
    if let Some(l) = spec.latency {
        options.latency = l;
    }
    options.fail_first = spec.fail_first.unwrap_or(0);
    options.fail_every = spec.fail_every.unwrap_or(0);
    options.fail_rate = spec.fail_rate.unwrap_or(0.0);
    options.rate_limit = spec.rate_limit;
    options.deny_authorize = spec.deny_authorize;
    options.max_concurrent = spec.max_concurrent;
    options.hour_quota = spec
        .hour_quota
        .map(|(requests, window)| courier_emulator::HourQuota { requests, window });
    if let Some(status) = spec.expired_token_status {
        options.expired_token_status = status;
    }
    options.deny_objects.clone_from(&spec.deny_objects);
    if let Some(rollback) = spec.composite_rollback {
        options.composite_rollback = rollback;
    }
    if let Some(d) = spec.bulk_duration {
        options.bulk_duration = d;
    }
    options.redirect_uris.clone_from(&spec.redirect_uris);
    options.client_id.clone_from(&spec.client_id);
    options.client_secret.clone_from(&spec.client_secret);
    options.username.clone_from(&spec.username);
    // COURIER_EMULATOR_SEED applies to every embedded emulator, over an environment's own
    // `seed:`, so one variable reseeds a whole CI run (docs/emulator.md, "Seeds").
    let options = options
        .with_env_seed()
        .map_err(|e| SetupError::Invalid(e.to_string()))?;
    let emulator = courier_emulator::start(options)
        .await
        .map_err(|e| SetupError::Unavailable(format!("cannot start the Intacct emulator: {e}")))?;
    let creds = emulator.credentials();
    secrets.add(&creds.client_secret);
    let text = |s: &str| json_to_value(&serde_json::Value::String(s.to_owned()));
    let mut variables = VarMap::new();
    variables.insert("base_url".into(), text(&emulator.base_url()));
    variables.insert("client_id".into(), text(&creds.client_id));
    variables.insert("client_secret".into(), text(&creds.client_secret));
    variables.insert("ws_user".into(), text(&creds.username));
    Ok(Started {
        emulator,
        variables,
    })
}
