//! `courier auth status [--json]`, and what `courier auth` may show of a cached session: its
//! grant, and its client id and username unless they came from a secret (docs/cli.md#auth,
//! docs/environments.md#the-token-cache).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;

use courier_core::load;
use courier_core::model::{AuthKind, Environment, OAuth2Profile};
use courier_core::secret::{REDACTED, Secrets};
use courier_events::Exit;
use courier_exec::context::reads_secret;
use courier_exec::token_cache::{CachedSession, format_time};

use super::{StatusArgs, cache_error, token_cache};
use crate::cli::error::{CliError, CliResult};

/// What `courier auth` shows of one session: never a token, and `[REDACTED]` in place of a
/// client id or username that came from a secret.
pub(super) struct Shown {
    pub(super) grant: Option<String>,
    pub(super) client: String,
    pub(super) username: Option<String>,
}

/// Decides what each session may show. A session records where its client id and username
/// came from; one written by an older Courier does not, and is judged by its environment file
/// (`environments/NAME.yaml` from the current folder), each loaded once: a value that file
/// reads from a secret is hidden, and so is every value no file can vouch for.
#[derive(Default)]
pub(super) struct Disclosure {
    environments: HashMap<String, Option<Environment>>,
}

impl Disclosure {
    /// What `s` may show. Hidden values join `secrets`, so no other text shows them either.
    pub(super) fn shown(&mut self, s: &CachedSession, secrets: &Secrets) -> Shown {
        let profile = self.profile(&s.environment, &s.profile);
        let file_says_client = profile.map(|(env, o)| reads_secret(env, &o.client_id));
        let file_says_username = profile.map(|(env, o)| {
            o.token_params
                .iter()
                .find(|(k, _)| k.value == "username")
                .is_some_and(|(_, t)| reads_secret(env, t))
        });
        let grant = s
            .grant
            .clone()
            .or_else(|| profile.map(|(_, o)| o.grant.value.as_str().to_owned()));
        let hide = |recorded: Option<bool>, file: Option<bool>| {
            recorded == Some(true) || file == Some(true) || (recorded.is_none() && file.is_none())
        };
        let conceal = |value: &str| {
            let _ = secrets.add(value);
            REDACTED.to_owned()
        };
        let client = if hide(s.client_id_secret, file_says_client) {
            conceal(&s.client_id)
        } else {
            s.client_id.clone()
        };
        let username = match &s.username {
            Some(u) if hide(s.username_secret, file_says_username) => Some(conceal(u)),
            other => other.clone(),
        };
        Shown {
            grant,
            client,
            username,
        }
    }

    /// The OAuth 2.0 profile of a cached session in its environment file, when that file
    /// loads and still has the profile.
    fn profile(&mut self, identity: &str, profile: &str) -> Option<(&Environment, &OAuth2Profile)> {
        let env = self
            .environments
            .entry(identity.to_owned())
            .or_insert_with(|| load_by_name(identity))
            .as_ref()?;
        match &env.profile(profile)?.kind {
            AuthKind::OAuth2(o) => Some((env, o)),
            _ => None,
        }
    }
}

/// `ENV / PROFILE (grant G, client C, username U)` for `auth logout`'s messages, each value
/// redacted on its own.
pub(super) fn describe(s: &CachedSession, shown: &Shown, secrets: &Secrets) -> String {
    let data = |v: &str| secrets.redact(v).into_owned();
    let mut text = format!(
        "{} / {} (grant {}, client {}",
        data(&s.environment),
        data(&s.profile),
        shown
            .grant
            .as_deref()
            .map_or_else(|| "unknown".to_owned(), data),
        data(&shown.client),
    );
    if let Some(u) = &shown.username {
        let _ = write!(text, ", username {}", data(u));
    }
    text.push(')');
    text
}

/// `environments/NAME.yaml` (or `.yml`) of the current folder, when it loads. An identity
/// that looks like a path is not looked up: a session's identity is a file stem.
fn load_by_name(identity: &str) -> Option<Environment> {
    let yaml = std::path::Path::new(identity)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    if identity.is_empty() || identity.contains(['/', '\\']) || yaml {
        return None;
    }
    let source = load::resolve_environment(identity, None).ok()?;
    load::load_environment(&source).ok()
}

pub(super) fn status(args: &StatusArgs) -> CliResult {
    let cache = token_cache()?;
    let secrets = Secrets::new();
    let file = cache.load().map_err(|e| cache_error(&e, &secrets))?;
    for s in &file.sessions {
        for t in s.tokens() {
            secrets.add(t);
        }
    }
    let mut disclosure = Disclosure::default();
    let shown: Vec<Shown> = file
        .sessions
        .iter()
        .map(|s| disclosure.shown(s, &secrets))
        .collect();
    // Each value is redacted on its own, never the text around it: a short secret must not
    // rewrite a column heading or a JSON key (docs/secrets.md).
    let data = |v: &str| secrets.redact(v).into_owned();
    let out = if args.json {
        json_text(&file.sessions, &shown, &data)
    } else {
        human_text(
            &file.sessions,
            &shown,
            &data,
            &data(&cache.path().display().to_string()),
        )
    };
    std::io::stdout()
        .write_all(out.as_bytes())
        .and_then(|()| std::io::stdout().flush())
        .map_err(|e| CliError::invalid(format!("cannot write the session list: {e}")))?;
    Ok(Exit::Success)
}

/// `{"version": 1, "sessions": [...]}` (docs/cli.md#auth).
fn json_text(sessions: &[CachedSession], shown: &[Shown], data: &dyn Fn(&str) -> String) -> String {
    let rows: Vec<serde_json::Value> = sessions
        .iter()
        .zip(shown)
        .map(|(s, w)| {
            serde_json::json!({
                "environment": data(&s.environment),
                "profile": data(&s.profile),
                "grant": w.grant.as_deref().map(data),
                "client": data(&w.client),
                "username": w.username.as_deref().map(data),
                "expires_at": s.expires_at.map(format_time),
                "scope": s.scope.as_deref().map(data),
            })
        })
        .collect();
    let report = serde_json::json!({ "version": 1, "sessions": rows });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

fn human_text(
    sessions: &[CachedSession],
    shown: &[Shown],
    data: &dyn Fn(&str) -> String,
    path: &str,
) -> String {
    let mut out = String::new();
    if sessions.is_empty() {
        let _ = writeln!(out, "no cached sessions (token cache: {path})");
        return out;
    }
    let now = chrono::Utc::now();
    let mut rows = vec![
        [
            "ENVIRONMENT",
            "PROFILE",
            "GRANT",
            "CLIENT",
            "USERNAME",
            "ACCESS TOKEN EXPIRES",
            "REFRESH TOKEN",
            "SCOPE",
        ]
        .map(str::to_owned),
    ];
    for (s, w) in sessions.iter().zip(shown) {
        rows.push([
            data(&s.environment),
            data(&s.profile),
            w.grant.as_deref().map_or_else(|| "-".to_owned(), data),
            data(&w.client),
            w.username.as_deref().map_or_else(|| "-".to_owned(), data),
            expiry_text(s, now),
            if s.refresh_token.is_some() {
                "kept"
            } else {
                "none"
            }
            .to_owned(),
            s.scope.as_deref().map_or_else(|| "-".to_owned(), data),
        ]);
    }
    out.push_str(&table(&rows));
    let n = sessions.len();
    let _ = writeln!(
        out,
        "{n} session{} in {path}",
        if n == 1 { "" } else { "s" }
    );
    out
}

fn expiry_text(s: &CachedSession, now: chrono::DateTime<chrono::Utc>) -> String {
    let Some(at) = s.expires_at else {
        return "unknown".to_owned();
    };
    let when = at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let left = at - now;
    if left <= chrono::Duration::zero() {
        return format!("{when} (expired)");
    }
    let mins = left.num_minutes();
    let rel = if mins >= 120 {
        format!("in {}h", mins / 60)
    } else if mins >= 1 {
        format!("in {mins}m")
    } else {
        format!("in {}s", left.num_seconds())
    };
    format!("{when} ({rel})")
}

/// Left-aligned columns, two spaces apart.
fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ", width = widths[i]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
