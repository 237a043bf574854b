//! The token cache (docs/environments.md#oauth-sessions): `$COURIER_TOKEN_CACHE` or `<user cache dir>/courier/tokens.json`,
//! mode 0600, `{"version": 1, "sessions": [...]}`, one session per (environment, profile,
//! token URL, client id, username).
//!
//! Runs and `courier auth` share it, possibly several at once, so every change follows one
//! protocol: take the lock file (`tokens.json.lock`, an OS file lock), re-read the cache, change
//! it, write a temporary file beside it and rename it over the cache, then unlock. Readers that
//! take no lock (`auth status`) therefore always see a whole file. A cache written by a newer
//! Courier (a `version` this one does not know) is refused and never overwritten.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use courier_core::secret::Secret;

/// The format version this Courier reads and writes.
pub const CACHE_VERSION: u64 = 1;

/// The environment variable that names the cache file.
pub const CACHE_ENV: &str = "COURIER_TOKEN_CACHE";

/// How long to wait for another process to release the lock before giving up: a renewal
/// holds it for one token request, so this only runs out when a process hangs.
const LOCK_WAIT: Duration = Duration::from_mins(1);
const LOCK_POLL: Duration = Duration::from_millis(15);

/// Why the cache could not be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CacheError {
    #[error(
        "the token cache `{path}` has format version {version}, which this courier ({ours}) does not know: it was written by a newer courier. It was left untouched; upgrade courier, or point {CACHE_ENV} at another file",
        ours = env!("CARGO_PKG_VERSION")
    )]
    FutureVersion { path: String, version: u64 },
    #[error(
        "the token cache `{path}` cannot be read ({message}); it was left untouched: move it away and log in again with `courier auth login`"
    )]
    Corrupt { path: String, message: String },
    /// Not a regular file, or over the token cache's cap (docs/inputs.md).
    #[error(
        "{0}; it was left untouched: point {CACHE_ENV} at a regular file, or move it away and log in again with `courier auth login`"
    )]
    Unreadable(courier_core::fs::ReadError),
    #[error("cannot {action} the token cache `{path}`: {message}")]
    Io {
        action: &'static str,
        path: String,
        message: String,
    },
    #[error(
        "the token cache `{path}` stayed locked by another process for {secs} s (lock file `{path}.lock`)",
        secs = LOCK_WAIT.as_secs()
    )]
    Locked { path: String },
    #[error(
        "no place for the token cache: there is no user cache directory; set {CACHE_ENV} to a file path"
    )]
    NoLocation,
}

/// What identifies a cached session (docs/environments.md#oauth-sessions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey {
    pub environment: String,
    pub profile: String,
    pub token_url: String,
    pub client_id: String,
    /// Intacct's `username` token parameter (`user@company`), when the profile sends one.
    pub username: Option<String>,
}

/// One cached session: its key, its tokens and their times. The tokens are [`Secret`]s, so
/// the derived `Debug` hides them; the file holds their values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedSession {
    pub environment: String,
    pub profile: String,
    pub token_url: String,
    pub client_id: String,
    #[serde(default)]
    pub username: Option<String>,
    /// The profile's grant (`refresh_token` or `authorization_code`); `None` in a session
    /// written by a Courier that did not record it.
    #[serde(default)]
    pub grant: Option<String>,
    /// Whether `client_id` came from `secrets:` or `env()`, so `courier auth status` shows it
    /// `[REDACTED]`; `None` (not recorded by an older Courier) is decided by the reader
    /// (docs/environments.md#the-token-cache).
    #[serde(default)]
    pub client_id_secret: Option<bool>,
    /// The same for `username`.
    #[serde(default)]
    pub username_secret: Option<bool>,
    #[serde(default, with = "secret_opt")]
    pub access_token: Option<Secret>,
    #[serde(default, with = "secret_opt")]
    pub refresh_token: Option<Secret>,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    /// When the access token expires; `null` when the server did not say.
    #[serde(default, with = "rfc3339_opt")]
    pub expires_at: Option<DateTime<Utc>>,
    /// When these tokens were obtained: a renewal adopts a stored session only when it is
    /// newer than its own.
    #[serde(with = "rfc3339")]
    pub obtained_at: DateTime<Utc>,
}

impl CachedSession {
    pub fn matches(&self, key: &CacheKey) -> bool {
        self.environment == key.environment
            && self.profile == key.profile
            && self.token_url == key.token_url
            && self.client_id == key.client_id
            && self.username == key.username
    }

    /// The tokens it holds, to be added to a run's secrets.
    pub fn tokens(&self) -> impl Iterator<Item = &str> {
        self.access_token
            .iter()
            .chain(self.refresh_token.iter())
            .map(Secret::expose)
    }
}

/// The whole file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CacheFile {
    pub version: u64,
    pub sessions: Vec<CachedSession>,
}

impl CacheFile {
    pub fn empty() -> Self {
        Self {
            version: CACHE_VERSION,
            sessions: Vec::new(),
        }
    }

    pub fn find(&self, key: &CacheKey) -> Option<&CachedSession> {
        self.sessions.iter().find(|s| s.matches(key))
    }

    /// Stores `session`, replacing the one with the same key.
    pub fn upsert(&mut self, session: CachedSession) {
        let key = session.key();
        match self.sessions.iter_mut().find(|s| s.matches(&key)) {
            Some(slot) => *slot = session,
            None => self.sessions.push(session),
        }
    }

    /// Parses the file's text. An unknown future version is refused before anything else is
    /// read, so a newer format never reaches the typed parser.
    pub fn parse(text: &str, path: &Path) -> Result<Self, CacheError> {
        if text.trim().is_empty() {
            return Ok(Self::empty());
        }
        let corrupt = |message: String| CacheError::Corrupt {
            path: path.display().to_string(),
            message,
        };
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            corrupt(format!(
                "not JSON: line {}, column {}",
                e.line(),
                e.column()
            ))
        })?;
        let version = value
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| corrupt("no `version` number".to_owned()))?;
        if version > CACHE_VERSION {
            return Err(CacheError::FutureVersion {
                path: path.display().to_string(),
                version,
            });
        }
        if version != CACHE_VERSION {
            return Err(corrupt(format!("unknown version {version}")));
        }
        // Only the path of a bad field is shown: serde's message may quote a token.
        serde_json::from_value(value).map_err(|e| {
            let first = e.to_string();
            let at = first.split(" at line").next().unwrap_or_default();
            let kind = if at.contains("missing field") {
                at.to_owned()
            } else {
                "a field has the wrong type".to_owned()
            };
            corrupt(kind)
        })
    }
}

impl CachedSession {
    pub fn key(&self) -> CacheKey {
        CacheKey {
            environment: self.environment.clone(),
            profile: self.profile.clone(),
            token_url: self.token_url.clone(),
            client_id: self.client_id.clone(),
            username: self.username.clone(),
        }
    }
}

/// Where the cache lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCache {
    path: PathBuf,
}

impl TokenCache {
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// `$COURIER_TOKEN_CACHE`, else `<user cache dir>/courier/tokens.json`.
    pub fn from_env() -> Result<Self, CacheError> {
        if let Some(p) = std::env::var_os(CACHE_ENV).filter(|p| !p.is_empty()) {
            return Ok(Self::at(p));
        }
        dirs::cache_dir()
            .map(|d| Self::at(d.join("courier").join("tokens.json")))
            .ok_or(CacheError::NoLocation)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock_path(&self) -> PathBuf {
        let mut name = self.path.file_name().map_or_else(
            || std::ffi::OsString::from("tokens.json"),
            std::ffi::OsStr::to_os_string,
        );
        name.push(".lock");
        self.path.with_file_name(name)
    }

    fn io(&self, action: &'static str, e: &std::io::Error) -> CacheError {
        CacheError::Io {
            action,
            path: self.path.display().to_string(),
            message: e.to_string(),
        }
    }

    /// Reads the cache without the lock (a missing file is an empty cache). Safe because
    /// every write replaces the file whole.
    pub fn load(&self) -> Result<CacheFile, CacheError> {
        match courier_core::fs::read_text(&self.path, courier_core::fs::InputKind::TokenCache) {
            Ok(text) => CacheFile::parse(&text, &self.path),
            Err(courier_core::fs::ReadError::Missing { .. }) => Ok(CacheFile::empty()),
            Err(e) => Err(CacheError::Unreadable(e)),
        }
    }

    /// Takes the lock, waiting (without blocking the runtime) while another process holds it.
    pub async fn lock(&self) -> Result<CacheLock, CacheError> {
        self.create_dir()?;
        let lock_path = self.lock_path();
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let file = options.open(&lock_path).map_err(|e| self.io("lock", &e))?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    if started.elapsed() > LOCK_WAIT {
                        return Err(CacheError::Locked {
                            path: self.path.display().to_string(),
                        });
                    }
                    tokio::time::sleep(LOCK_POLL).await;
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(self.io("lock", &e)),
            }
        }
        Ok(CacheLock {
            cache: self.clone(),
            _file: file,
        })
    }

    fn create_dir(&self) -> Result<(), CacheError> {
        let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) else {
            return Ok(());
        };
        if dir.is_dir() {
            return Ok(());
        }
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        builder
            .create(dir)
            .map_err(|e| self.io("create the folder of", &e))
    }
}

/// The held lock: read and write the cache while it lives; dropping it unlocks (closing the
/// lock file releases the OS lock).
#[derive(Debug)]
pub struct CacheLock {
    cache: TokenCache,
    _file: File,
}

impl CacheLock {
    pub fn read(&self) -> Result<CacheFile, CacheError> {
        self.cache.load()
    }

    /// Writes a temporary file beside the cache (mode 0600) and renames it over the cache.
    pub fn write(&self, file: &CacheFile) -> Result<(), CacheError> {
        let path = &self.cache.path;
        let mut text = serde_json::to_string_pretty(file).map_err(|e| CacheError::Io {
            action: "write",
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        text.push('\n');
        // Owner only: the cache holds credentials.
        courier_core::fs::write_atomic(path, text.as_bytes(), courier_core::fs::Mode::Private)
            .map_err(|e| self.cache.io("write", &e))
    }
}

/// RFC 3339 with microseconds: two renewals in the same second still order.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("`{s}` is not an RFC 3339 time: {e}"))
}

mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_time(*t))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_time(&s).map_err(serde::de::Error::custom)
    }
}

mod rfc3339_opt {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    #[expect(
        clippy::ref_option,
        reason = "serde's `with` hands the field by reference"
    )]
    pub(super) fn serialize<S: Serializer>(
        t: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::format_time(*t)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| super::parse_time(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// A token in the file: its value, written and read as a plain string (the file is 0600).
mod secret_opt {
    use courier_core::secret::Secret;
    use serde::{Deserialize, Deserializer, Serializer};

    #[expect(
        clippy::ref_option,
        reason = "serde's `with` hands the field by reference"
    )]
    pub(super) fn serialize<S: Serializer>(t: &Option<Secret>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(t.expose()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map(Secret::from))
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "a test stops at the first unexpected error (an allow: clippy.toml may already permit it)"
)]
mod tests {
    use super::*;

    fn session(profile: &str, refresh: &str, at: DateTime<Utc>) -> CachedSession {
        CachedSession {
            environment: "sandbox".into(),
            profile: profile.into(),
            token_url: "https://x/oauth2/token".into(),
            client_id: "client".into(),
            username: Some("ci@CO".into()),
            grant: Some("refresh_token".into()),
            client_id_secret: Some(false),
            username_secret: Some(true),
            access_token: Some("access-1".into()),
            refresh_token: Some(refresh.into()),
            token_type: Some("bearer".into()),
            scope: Some("offline_access".into()),
            expires_at: Some(at + chrono::Duration::hours(1)),
            obtained_at: at,
        }
    }

    #[tokio::test]
    async fn write_then_read_round_trips_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::at(dir.path().join("sub/tokens.json"));
        let lock = cache.lock().await.unwrap();
        let mut file = lock.read().unwrap();
        assert!(file.sessions.is_empty());
        let now = Utc::now();
        file.upsert(session("a", "r1", now));
        file.upsert(session("a", "r2", now));
        file.upsert(session("b", "r3", now));
        lock.write(&file).unwrap();
        drop(lock);
        let back = cache.load().unwrap();
        assert_eq!(back.sessions.len(), 2);
        assert_eq!(
            back.find(&session("a", "", now).key())
                .and_then(|s| s.refresh_token.as_ref().map(Secret::expose)),
            Some("r2")
        );
        // Microsecond precision survives the round trip.
        assert_eq!(
            back.sessions[0].obtained_at.timestamp_micros(),
            now.timestamp_micros()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(cache.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(dir.path().join("sub/tokens.json.lock").exists());
    }

    #[test]
    fn a_session_from_before_grant_and_secret_flags_reads_as_unknown() {
        let old = r#"{"version": 1, "sessions": [{"environment": "production", "profile": "intacct",
            "token_url": "https://x/oauth2/token", "client_id": "cid", "username": null,
            "access_token": "a", "refresh_token": "r", "token_type": "bearer", "scope": null,
            "expires_at": null, "obtained_at": "2026-01-02T03:04:05.000006Z"}]}"#;
        let file = CacheFile::parse(old, Path::new("t.json")).unwrap();
        let s = &file.sessions[0];
        assert_eq!(
            (&s.grant, s.client_id_secret, s.username_secret),
            (&None, None, None)
        );
        // Written back, the new fields say "unknown" and the file still reads.
        let text = serde_json::to_string(&file).unwrap();
        assert!(text.contains(r#""client_id_secret":null"#), "{text}");
        let again = CacheFile::parse(&text, Path::new("t.json")).unwrap();
        assert_eq!(again.sessions, file.sessions);
        let recorded = session("a", "r", Utc::now());
        let text = serde_json::to_string(&recorded).unwrap();
        assert!(
            text.contains(
                r#""grant":"refresh_token","client_id_secret":false,"username_secret":true"#
            ),
            "{text}"
        );
    }

    #[test]
    fn a_future_version_is_refused_by_name() {
        let err = CacheFile::parse(
            r#"{"version": 7, "sessions": "whatever"}"#,
            Path::new("t.json"),
        )
        .unwrap_err();
        assert!(matches!(err, CacheError::FutureVersion { version: 7, .. }));
        assert!(err.to_string().contains("version 7"), "{err}");
        assert!(err.to_string().contains("left untouched"), "{err}");
    }

    #[test]
    fn bad_files_never_quote_their_content() {
        let err = CacheFile::parse(
            r#"{"version": 1, "sessions": [{"environment": 1, "access_token": "tok-SECRET"}]}"#,
            Path::new("t.json"),
        )
        .unwrap_err();
        assert!(matches!(err, CacheError::Corrupt { .. }));
        assert!(!err.to_string().contains("SECRET"), "{err}");
        assert!(CacheFile::parse("  \n", Path::new("t.json")).is_ok());
    }

    #[tokio::test]
    async fn the_lock_excludes_a_second_holder_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::at(dir.path().join("tokens.json"));
        let first = cache.lock().await.unwrap();
        let second = tokio::time::timeout(Duration::from_millis(200), cache.lock()).await;
        assert!(
            second.is_err(),
            "a second lock was granted while the first was held"
        );
        drop(first);
        let third = tokio::time::timeout(Duration::from_secs(5), cache.lock()).await;
        assert!(matches!(third, Ok(Ok(_))));
    }

    #[cfg(unix)]
    #[test]
    fn a_cache_linked_to_a_device_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
        let err = TokenCache::at(&path).load().unwrap_err().to_string();
        assert!(
            err.contains("is a character device, not a regular file; it was left untouched"),
            "{err}"
        );
        assert!(std::fs::symlink_metadata(&path).unwrap().is_symlink());
    }

    #[test]
    fn debug_never_shows_tokens() {
        let s = session("a", "refresh-SECRET", Utc::now());
        assert!(!format!("{s:?}").contains("SECRET"));
        assert!(!format!("{s:?}").contains("access-1"));
    }
}
