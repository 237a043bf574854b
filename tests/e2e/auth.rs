//! OAuth sessions end to end: the built binary against an in-process Intacct
//! emulator whose `/__emulator/stats` counts every token request — one token per run, renewal
//! ahead of expiry, one renewal after a revocation, a dead refresh token; `courier auth login`
//! over the HTTPS listener and by paste, `state` refused, `auth status`, `auth logout
//! --revoke`; two runs sharing the token cache under refresh-token rotation; a cache from a
//! future version refused and left as it was.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{courier, parts, workspace};

/// The emulator's default non-production credentials (docs/emulator.md).
pub(crate) const CLIENT_ID: &str = "courier-np.app.sage.com";
pub(crate) const CLIENT_SECRET: &str = "courier-np-secret";
pub(crate) const WS_USER: &str = "ci-bot@COURIER-SANDBOX";

/// An emulator served by a runtime of the test's own, for the lifetime of the test.
pub(crate) struct Emu {
    rt: tokio::runtime::Runtime,
    emulator: Option<courier_emulator::Emulator>,
    http: reqwest::Client,
}

impl Emu {
    pub(crate) fn start(configure: impl FnOnce(&mut courier_emulator::EmulatorOptions)) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut options = courier_emulator::EmulatorOptions::default();
        configure(&mut options);
        let emulator = rt.block_on(courier_emulator::start(options)).unwrap();
        courier_exec::client::install_crypto_provider();
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .tls_danger_accept_invalid_certs(true)
            .build()
            .unwrap();
        Self {
            rt,
            emulator: Some(emulator),
            http,
        }
    }

    fn emulator(&self) -> &courier_emulator::Emulator {
        self.emulator.as_ref().unwrap()
    }

    /// `http://127.0.0.1:PORT/ia/api/v1`.
    pub(crate) fn base_url(&self) -> String {
        self.emulator().base_url()
    }

    fn origin(&self) -> String {
        format!("http://{}", self.emulator().addr())
    }

    pub(crate) fn stats(&self) -> Value {
        self.emulator().stats()
    }

    pub(crate) fn token_requests(&self, grant: &str) -> u64 {
        self.stats()["token_requests"][grant].as_u64().unwrap()
    }

    pub(crate) fn rejected_401(&self) -> u64 {
        self.stats()["rejected"]["401"].as_u64().unwrap_or(0)
    }

    pub(crate) fn revoke_all(&self) {
        let url = format!("{}/__emulator/revoke-all", self.origin());
        let status = self
            .rt
            .block_on(self.http.post(url).send())
            .unwrap()
            .status();
        assert!(status.is_success(), "revoke-all answered {status}");
    }

    /// A token-endpoint call with a form; (status, JSON body).
    pub(crate) fn token(&self, form: &[(&str, &str)]) -> (u16, Value) {
        let url = format!("{}/oauth2/token", self.base_url());
        self.rt.block_on(async {
            let r = self.http.post(url).form(form).send().await.unwrap();
            let status = r.status().as_u16();
            let body = r.bytes().await.unwrap();
            (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
        })
    }

    /// A refresh token from a client-credentials grant (Intacct issues one with it).
    pub(crate) fn fresh_refresh_token(&self) -> String {
        let (status, body) = self.token(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("username", WS_USER),
        ]);
        assert_eq!(status, 200, "{body}");
        body["refresh_token"].as_str().unwrap().to_owned()
    }

    /// GET without following redirects; (status, Location).
    pub(crate) fn get(&self, url: &str) -> (u16, Option<String>) {
        self.rt.block_on(async {
            let r = self.http.get(url).send().await.unwrap();
            let location = r
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned());
            (r.status().as_u16(), location)
        })
    }
}

impl Drop for Emu {
    fn drop(&mut self) {
        if let Some(e) = self.emulator.take() {
            self.rt.block_on(e.shutdown());
        }
    }
}

/// An environment file for the emulator at `base_url` with one OAuth profile `intacct`;
/// `extra` adds keys to the profile (indented by four spaces).
pub(crate) fn env_yaml(base_url: &str, grant: &str, extra: &str) -> String {
    format!(
        "scope: non-production\nvars:\n  base_url: {base_url}\n  ws_user: {WS_USER}\nsecrets:\n  client_secret: EMU_CLIENT_SECRET\nauth:\n  intacct:\n    type: oauth2\n    grant: {grant}\n    token_url: \"{{{{ base_url }}}}/oauth2/token\"\n    client_id: {CLIENT_ID}\n    client_secret: \"{{{{ client_secret }}}}\"\n    token_params: {{ username: \"{{{{ ws_user }}}}\" }}\n{extra}"
    )
}

/// A collection of `n` reads of the vendor list with profile `intacct`.
pub(crate) fn reads(name: &str, n: usize) -> String {
    let mut s = format!("name: {name}\nauth: intacct\nrequests:\n");
    for i in 0..n {
        let _ = write!(
            s,
            "  - name: read {i}\n    url: \"{{{{ base_url }}}}/objects/accounts-payable/vendor\"\n    expect: {{ status: 200 }}\n"
        );
    }
    s
}

fn run_cmd(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = courier(dir);
    cmd.args(args).env("EMU_CLIENT_SECRET", CLIENT_SECRET);
    cmd
}

/// Waits for a child, killing it after `limit`.
fn wait(mut child: Child, limit: Duration) -> (i32, String, String) {
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            return parts(&out);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            let (_, o, e) = parts(&out);
            panic!("courier did not finish within {limit:?}\nstdout:\n{o}\nstderr:\n{e}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn last_line(stdout: &str) -> &str {
    stdout.lines().last().unwrap_or_default()
}

#[test]
fn ten_collections_of_twenty_requests_in_parallel_share_one_token() {
    let emu = Emu::start(|o| o.latency = Duration::from_millis(2));
    let mut files = vec![(
        "environments/emu.yaml".to_owned(),
        env_yaml(&emu.base_url(), "client_credentials", ""),
    )];
    for c in 0..10 {
        files.push((
            format!("collections/c{c:02}.yaml"),
            reads(&format!("C{c}"), 20),
        ));
    }
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let dir = workspace(&files);
    let child = run_cmd(
        dir.path(),
        &["run", "collections", "--env", "emu", "--parallel", "4"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let (code, out, err) = wait(child, Duration::from_mins(2));
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(last_line(&out), "200 passed, 0 failed, 0 skipped");
    let stats = emu.stats();
    assert_eq!(stats["api_requests"], 200, "{stats}");
    assert_eq!(emu.token_requests("client_credentials"), 1, "{stats}");
    assert_eq!(emu.token_requests("refresh_token"), 0, "{stats}");
    assert!(
        stats["in_flight_peak"].as_u64().unwrap() > 1,
        "the run was not parallel: {stats}"
    );
}

#[test]
fn tokens_are_renewed_ahead_of_expiry_so_none_is_refused() {
    // Tokens live 3 s; four collections of 110 requests of 60 ms each run about 7 s, more
    // than two lifetimes. A token is renewed when less than a tenth (0.3 s) remains.
    let emu = Emu::start(|o| {
        o.token_ttl = Duration::from_secs(3);
        o.latency = Duration::from_millis(60);
    });
    let mut files = vec![(
        "environments/emu.yaml".to_owned(),
        env_yaml(&emu.base_url(), "client_credentials", ""),
    )];
    for c in 0..4 {
        files.push((
            format!("collections/c{c}.yaml"),
            reads(&format!("C{c}"), 110),
        ));
    }
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let dir = workspace(&files);
    let started = Instant::now();
    let child = run_cmd(
        dir.path(),
        &["run", "collections", "--env", "emu", "--parallel", "4"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let (code, out, err) = wait(child, Duration::from_mins(2));
    let elapsed = started.elapsed();
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(last_line(&out), "440 passed, 0 failed, 0 skipped");
    assert!(
        elapsed > Duration::from_secs(6),
        "the run must outlast two token lifetimes, took {elapsed:?}"
    );
    let stats = emu.stats();
    assert_eq!(emu.rejected_401(), 0, "a token expired in use: {stats}");
    let tokens = emu.token_requests("client_credentials");
    // One at start and at least one per further 2.7 s of run.
    assert!(
        tokens >= 3,
        "{tokens} token requests in {elapsed:?}: {stats}"
    );
    assert!(
        u128::from(tokens) <= elapsed.as_millis() / 2700 + 2,
        "more token requests ({tokens}) than lifetimes in {elapsed:?}: {stats}"
    );
    assert_eq!(stats["api_requests"], 440, "{stats}");
}

#[test]
fn a_revocation_mid_run_costs_one_renewal_and_one_retry_per_refused_request() {
    let emu = Emu::start(|o| o.latency = Duration::from_millis(20));
    let mut files = vec![(
        "environments/emu.yaml".to_owned(),
        env_yaml(&emu.base_url(), "client_credentials", ""),
    )];
    for c in 0..4 {
        files.push((
            format!("collections/c{c}.yaml"),
            reads(&format!("C{c}"), 40),
        ));
    }
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let dir = workspace(&files);
    let child = run_cmd(
        dir.path(),
        &["run", "collections", "--env", "emu", "--parallel", "4"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_mins(1);
    while emu.stats()["api_requests"].as_u64().unwrap() < 40 {
        assert!(Instant::now() < deadline, "the run never got going");
        std::thread::sleep(Duration::from_millis(5));
    }
    emu.revoke_all();
    let (code, out, err) = wait(child, Duration::from_mins(2));
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(last_line(&out), "160 passed, 0 failed, 0 skipped");
    let stats = emu.stats();
    let refused = emu.rejected_401();
    assert_eq!(
        emu.token_requests("client_credentials"),
        2,
        "exactly one renewal: {stats}"
    );
    assert!(
        (1..=4).contains(&refused),
        "the requests in flight (at most 4) were refused once each: {stats}"
    );
    // Each refused request was retried once: 160 requests plus the retries.
    assert_eq!(
        stats["api_requests"].as_u64().unwrap(),
        160 + refused,
        "{stats}"
    );
}

#[test]
fn a_dead_refresh_token_stops_the_profile_after_one_token_request() {
    let emu = Emu::start(|_| {});
    let env = env_yaml(
        &emu.base_url(),
        "refresh_token",
        "    refresh_token: \"{{ env('EMU_REFRESH') }}\"\n",
    );
    let (a, b, c) = (reads("A", 5), reads("B", 5), reads("C", 5));
    let dir = workspace(&[
        ("environments/emu.yaml", &env),
        ("collections/a.yaml", &a),
        ("collections/b.yaml", &b),
        ("collections/c.yaml", &c),
    ]);
    let child = run_cmd(
        dir.path(),
        &["run", "collections", "--env", "emu", "--parallel", "3"],
    )
    .env("EMU_REFRESH", "dead-refresh-token-0001")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let (code, out, err) = wait(child, Duration::from_mins(1));
    assert_eq!(code, 3, "{out}\n{err}");
    assert_eq!(last_line(&out), "0 passed, 15 failed, 0 skipped");
    let fails = out
        .lines()
        .filter(|l| l.contains("run `courier auth login --env emu --profile intacct`"))
        .count();
    assert_eq!(fails, 15, "every request says to log in:\n{out}");
    assert!(out.contains("invalid_grant"), "{out}");
    assert!(!out.contains("dead-refresh-token-0001"), "{out}");
    let stats = emu.stats();
    assert_eq!(emu.token_requests("refresh_token"), 1, "{stats}");
    assert_eq!(stats["api_requests"], 0, "{stats}");
}

/// A running `courier auth login`, its stdout read line by line.
struct Login {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Login {
    fn start(dir: &Path, extra: &[&str]) -> Self {
        let mut args = vec!["auth", "login", "--env", "emu", "--no-browser"];
        args.extend_from_slice(extra);
        let mut child = run_cmd(dir, &args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    /// The authorize URL: the first line of standard output.
    fn authorize_url(&self) -> url::Url {
        let line = self.lines.recv_timeout(Duration::from_secs(30)).unwrap();
        url::Url::parse(&line).unwrap()
    }

    fn paste(&mut self, text: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{text}").unwrap();
        stdin.flush().unwrap();
    }

    /// Exit code, the rest of stdout, stderr.
    fn finish(mut self) -> (i32, String, String) {
        drop(self.child.stdin.take());
        let (code, _, err) = wait(self.child, Duration::from_mins(1));
        let out: Vec<String> = self.lines.try_iter().collect();
        (code, out.join("\n"), err)
    }
}

fn query(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn cache_of(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join(".home/tokens.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn login_over_the_https_listener_then_run_status_and_logout_with_revoke() {
    let emu = Emu::start(|_| {});
    let env = env_yaml(
        &emu.base_url(),
        "authorization_code",
        "    authorize_url: \"{{ base_url }}/oauth2/authorize\"\n    redirect_uri: https://127.0.0.1:0/callback\n",
    );
    let coll = reads("A", 3);
    let dir = workspace(&[
        ("environments/emu.yaml", &env),
        ("collections/a.yaml", &coll),
    ]);

    let login = Login::start(dir.path(), &[]);
    let authorize = login.authorize_url();
    assert_eq!(query(&authorize, "response_type").as_deref(), Some("code"));
    assert_eq!(
        query(&authorize, "scope").as_deref(),
        Some("offline_access")
    );
    assert_eq!(
        query(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(
        query(&authorize, "code_challenge").map(|c| c.len()),
        Some(43)
    );
    let redirect_uri = url::Url::parse(&query(&authorize, "redirect_uri").unwrap()).unwrap();
    assert_ne!(
        redirect_uri.port(),
        Some(0),
        "port 0 becomes the bound port"
    );
    // The browser: the emulator approves at once and redirects to the listener.
    let (status, location) = emu.get(authorize.as_str());
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert!(location.starts_with(redirect_uri.as_str()), "{location}");
    let (status, _) = emu.get(&location);
    assert_eq!(status, 200, "the listener accepts the redirect");
    let (code, out, err) = login.finish();
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("logged in: environment `emu`, profile `intacct`"),
        "{out}"
    );
    // The emulator checked the PKCE verifier against the challenge when trading the code.
    assert_eq!(emu.token_requests("authorization_code"), 1);
    assert_eq!(emu.stats()["token_errors"], 0, "{}", emu.stats());

    let cache = cache_of(dir.path());
    assert_eq!(cache["version"], 1);
    let session = &cache["sessions"][0];
    assert_eq!(session["environment"], "emu");
    assert_eq!(session["profile"], "intacct");
    assert_eq!(session["client_id"], CLIENT_ID);
    assert_eq!(session["username"], WS_USER);
    assert_eq!(session["scope"], "offline_access");
    let access = session["access_token"].as_str().unwrap().to_owned();
    let refresh = session["refresh_token"].as_str().unwrap().to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join(".home/tokens.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A run uses the cached access token: no token request at all.
    let out = run_cmd(dir.path(), &["run", "collections", "--env", "emu"])
        .output()
        .unwrap();
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(emu.token_requests("refresh_token"), 0);

    let out = run_cmd(dir.path(), &["auth", "status"]).output().unwrap();
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("ENVIRONMENT"), "{stdout}");
    let row = stdout.lines().find(|l| l.starts_with("emu ")).unwrap();
    for want in [
        "intacct",
        "authorization_code",
        CLIENT_ID,
        WS_USER,
        "offline_access",
        "kept",
    ] {
        assert!(row.contains(want), "{want} missing from {row}");
    }
    for token in [&access, &refresh] {
        assert!(!stdout.contains(token.as_str()) && !stderr.contains(token.as_str()));
    }
    // Neither the client id nor the username came from a secret: shown as they are.
    let json = crate::auth_status::status_json(dir.path());
    assert_eq!(
        json["sessions"][0],
        serde_json::json!({
            "environment": "emu",
            "profile": "intacct",
            "grant": "authorization_code",
            "client": CLIENT_ID,
            "username": WS_USER,
            "expires_at": session["expires_at"],
            "scope": "offline_access",
        })
    );
    assert!(!json.to_string().contains(&access) && !json.to_string().contains(&refresh));

    let out = run_cmd(
        dir.path(),
        &[
            "auth",
            "logout",
            "--env",
            "emu",
            "--profile",
            "intacct",
            "--revoke",
        ],
    )
    .output()
    .unwrap();
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stderr.contains("revokes every token"), "{stderr}");
    assert!(
        stdout.contains(&format!(
            "removed: emu / intacct (grant authorization_code, client {CLIENT_ID}, username {WS_USER})"
        )),
        "{stdout}"
    );
    assert_eq!(emu.stats()["revocations"], 1, "{}", emu.stats());
    assert_eq!(cache_of(dir.path())["sessions"], serde_json::json!([]));
    // The revoked refresh token is dead at the server.
    let (status, body) = emu.token(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &refresh),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ]);
    assert_eq!(status, 400, "{body}");
}

fn paste_env(emu: &Emu) -> String {
    env_yaml(
        &emu.base_url(),
        "authorization_code",
        "    authorize_url: \"{{ base_url }}/oauth2/authorize\"\n    redirect_uri: https://oauth.pstmn.io/v1/browser-callback\n",
    )
}

#[test]
fn login_by_pasting_the_redirected_address() {
    let emu = Emu::start(|_| {});
    let env = paste_env(&emu);
    let dir = workspace(&[("environments/emu.yaml", &env)]);
    let mut login = Login::start(dir.path(), &[]);
    let authorize = login.authorize_url();
    let (status, location) = emu.get(authorize.as_str());
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert!(location.starts_with("https://oauth.pstmn.io/v1/browser-callback?code="));
    login.paste(&location);
    let (code, out, err) = login.finish();
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(err.contains("paste"), "{err}");
    assert_eq!(emu.token_requests("authorization_code"), 1);
    assert_eq!(emu.stats()["token_errors"], 0);
    let cache = cache_of(dir.path());
    assert!(cache["sessions"][0]["refresh_token"].is_string(), "{cache}");
}

#[test]
fn a_redirect_with_another_state_is_refused_and_nothing_is_traded() {
    let emu = Emu::start(|_| {});
    let env = paste_env(&emu);
    let dir = workspace(&[("environments/emu.yaml", &env)]);
    let mut login = Login::start(dir.path(), &["--paste"]);
    let authorize = login.authorize_url();
    let (_, location) = emu.get(authorize.as_str());
    let mut forged = url::Url::parse(&location.unwrap()).unwrap();
    let pairs: Vec<(String, String)> = forged
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                "forged-state".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    forged.query_pairs_mut().clear().extend_pairs(pairs);
    login.paste(forged.as_str());
    let (code, out, err) = login.finish();
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("`state`") && err.contains("refused"), "{err}");
    assert_eq!(
        emu.token_requests("authorization_code"),
        0,
        "nothing traded"
    );
    assert!(!dir.path().join(".home/tokens.json").exists());
}

#[test]
fn the_listener_refuses_a_redirect_with_another_state() {
    let emu = Emu::start(|_| {});
    let env = env_yaml(
        &emu.base_url(),
        "authorization_code",
        "    authorize_url: \"{{ base_url }}/oauth2/authorize\"\n    redirect_uri: https://127.0.0.1:0/callback\n",
    );
    let dir = workspace(&[("environments/emu.yaml", &env)]);
    let login = Login::start(dir.path(), &[]);
    let authorize = login.authorize_url();
    let (_, location) = emu.get(authorize.as_str());
    let location = location.unwrap();
    let state = query(&url::Url::parse(&location).unwrap(), "state").unwrap();
    let forged = location.replace(&format!("state={state}"), "state=forged");
    let (status, _) = emu.get(&forged);
    assert_eq!(status, 400);
    let (code, out, err) = login.finish();
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("`state`"), "{err}");
    assert_eq!(emu.token_requests("authorization_code"), 0);
}

#[test]
fn login_explains_why_a_client_credentials_profile_needs_none() {
    let emu = Emu::start(|_| {});
    let env = env_yaml(&emu.base_url(), "client_credentials", "");
    let dir = workspace(&[("environments/emu.yaml", &env)]);
    let out = run_cmd(
        dir.path(),
        &["auth", "login", "--env", "emu", "--profile", "intacct"],
    )
    .output()
    .unwrap();
    let (code, _, err) = parts(&out);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("client credentials"), "{err}");
    let out = run_cmd(dir.path(), &["auth", "login", "--env", "emu"])
        .output()
        .unwrap();
    let (code, _, err) = parts(&out);
    assert_eq!(code, 2, "{err}");
    assert_eq!(emu.stats()["authorize_requests"], 0);
}

#[test]
fn two_runs_at_once_share_rotated_refresh_tokens_through_the_cache() {
    // Rotation on: a refresh token works once. Both runs start with the same configured
    // refresh token and renew every ~1.8 s for about 4 s; without the cache's lock and
    // re-read, the second to refresh would send a rotated-away token and fail.
    let emu = Emu::start(|o| {
        o.rotate_refresh_tokens = true;
        o.token_ttl = Duration::from_secs(2);
        o.latency = Duration::from_millis(40);
    });
    let first = emu.fresh_refresh_token();
    let env = env_yaml(
        &emu.base_url(),
        "refresh_token",
        "    refresh_token: \"{{ env('EMU_REFRESH') }}\"\n",
    );
    let coll = reads("A", 100);
    let dir = workspace(&[
        ("environments/emu.yaml", &env),
        ("collections/a.yaml", &coll),
    ]);
    let spawn = || {
        run_cmd(dir.path(), &["run", "collections", "--env", "emu"])
            .env("EMU_REFRESH", &first)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let started = Instant::now();
    let (a, b) = (spawn(), spawn());
    let (code_a, out_a, err_a) = wait(a, Duration::from_mins(2));
    let (code_b, out_b, err_b) = wait(b, Duration::from_mins(2));
    let elapsed = started.elapsed();
    assert_eq!(code_a, 0, "{out_a}\n{err_a}");
    assert_eq!(code_b, 0, "{out_b}\n{err_b}");
    assert_eq!(last_line(&out_a), "100 passed, 0 failed, 0 skipped");
    assert_eq!(last_line(&out_b), "100 passed, 0 failed, 0 skipped");
    let stats = emu.stats();
    assert_eq!(
        stats["token_errors"], 0,
        "a rotated-away token was sent: {stats}"
    );
    assert_eq!(emu.rejected_401(), 0, "{stats}");
    // The two runs share each renewal: about one refresh per lifetime, not one per run.
    let refreshes = emu.token_requests("refresh_token");
    assert!(
        refreshes >= 2 && u128::from(refreshes) <= elapsed.as_millis() / 1800 + 3,
        "{refreshes} refreshes in {elapsed:?}: {stats}"
    );

    let cache = cache_of(dir.path());
    assert_eq!(cache["version"], 1);
    assert_eq!(cache["sessions"].as_array().unwrap().len(), 1, "{cache}");
    let newest = cache["sessions"][0]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(newest, first);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join(".home/tokens.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // With rotation only the newest refresh token is alive: the cached one must be it.
    let refresh = |token: &str| {
        emu.token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
    };
    assert_eq!(
        refresh(&first).0,
        400,
        "the configured token was rotated away"
    );
    let (status, body) = refresh(&newest);
    assert_eq!(
        status, 200,
        "the cache lost the newest refresh token: {body}"
    );
}

#[test]
fn a_cache_from_a_future_version_is_refused_and_left_untouched() {
    let emu = Emu::start(|_| {});
    let env = env_yaml(
        &emu.base_url(),
        "refresh_token",
        "    authorize_url: \"{{ base_url }}/oauth2/authorize\"\n    redirect_uri: https://127.0.0.1:0/callback\n    refresh_token: \"{{ env('EMU_REFRESH') }}\"\n",
    );
    let coll = reads("A", 2);
    let future = "{\"version\": 2, \"sessions\": {\"format\": \"from a newer courier\"}}\n";
    let dir = workspace(&[
        ("environments/emu.yaml", &env),
        ("collections/a.yaml", &coll),
        (".home/tokens.json", future),
    ]);
    let refresh = emu.fresh_refresh_token();

    let out = run_cmd(dir.path(), &["auth", "status"]).output().unwrap();
    let (code, _, err) = parts(&out);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("version 2") && err.contains("newer courier"),
        "{err}"
    );

    let out = run_cmd(dir.path(), &["run", "collections", "--env", "emu"])
        .env("EMU_REFRESH", &refresh)
        .output()
        .unwrap();
    let (code, stdout, _) = parts(&out);
    assert_eq!(code, 3, "{stdout}");
    assert!(stdout.contains("version 2"), "{stdout}");
    assert_eq!(emu.token_requests("refresh_token"), 0);

    let out = run_cmd(
        dir.path(),
        &["auth", "login", "--env", "emu", "--no-browser"],
    )
    .output()
    .unwrap();
    let (code, _, err) = parts(&out);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("version 2"), "{err}");

    let out = run_cmd(dir.path(), &["auth", "logout"]).output().unwrap();
    assert_eq!(parts(&out).0, 2);

    assert_eq!(
        std::fs::read_to_string(dir.path().join(".home/tokens.json")).unwrap(),
        future,
        "the cache must be left byte for byte"
    );
}

/// The forms a leaked secret could take in output (docs/environments.md, "Secrets"): plain,
/// percent- and form-encoded (either hex case), JSON-escaped, and Base64 (standard and URL-safe) at
/// each of the three byte alignments — for those, the characters that depend on the secret alone.
pub(crate) fn leak_forms(secret: &str) -> Vec<String> {
    use base64::Engine as _;
    let mut out = vec![secret.to_owned()];
    let mut pct = String::new();
    for b in secret.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            pct.push(char::from(b));
        } else {
            let _ = write!(pct, "%{b:02X}");
        }
    }
    out.push(pct.replace("%20", "+"));
    out.push(pct.to_lowercase().replace("%20", "+"));
    out.push(pct.to_lowercase());
    out.push(
        pct.replace("%2F", "/")
            .replace("%3A", ":")
            .replace("%40", "@"),
    );
    out.push(pct);
    let json = serde_json::to_string(secret).unwrap();
    out.push(json[1..json.len() - 1].to_owned());
    for engine in [
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ] {
        for k in 0..3usize {
            let mut bytes = vec![b'x'; k];
            bytes.extend_from_slice(secret.as_bytes());
            let encoded = engine.encode(&bytes);
            let start = (8 * k).div_ceil(6);
            let end = (8 * (k + secret.len())) / 6;
            out.push(encoded[start..end].to_owned());
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn the_leak_forms_find_encoded_secrets() {
    use base64::Engine as _;
    let s = "Ev3/Leak+Env\"Val ue";
    let forms = leak_forms(s);
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("user:{s}"));
    for text in [
        "q=Ev3%2FLeak%2BEnv%22Val+ue&x".to_owned(),
        r#"{"v":"Ev3/Leak+Env\"Val ue"}"#.to_owned(),
        format!("Authorization: Basic {basic}"),
    ] {
        assert!(forms.iter().any(|f| text.contains(f.as_str())), "{text}");
    }
}

/// Planted secrets, each distinctive and holding characters that encodings change.
const LEAKS: [(&str, &str); 8] = [
    ("LEAK_CLIENT_SECRET", "Kx9cs/Leak+Secret two\"Q&z=1"),
    ("LEAK_REFRESH", "Rt7/Leak+Refresh=Configured"),
    ("LEAK_API_KEY", "Sv5 Leak/Var+Key&x=9"),
    ("LEAK_ENV", "Ev3/Leak+Env\"Val ue"),
    ("LEAK_BEARER", "Bt4.Leak/Bearer+Tok="),
    ("LEAK_COOKIE", "Ck8Leak/Cookie+Val="),
    ("cached refresh token", "Rt8/Leak+Refresh=Cached"),
    ("cached access token", "At2Leak/Access+Tok="),
];

#[test]
fn no_secret_leaks_into_any_output_or_written_file() {
    let secret = |name: &str| LEAKS.iter().find(|(n, _)| *n == name).unwrap().1;
    let emu = Emu::start(|o| o.client_secret = Some(secret("LEAK_CLIENT_SECRET").to_owned()));
    let base = emu.base_url();
    let env = format!(
        r#"scope: non-production
vars:
  base_url: {base}
  ws_user: {WS_USER}
secrets:
  client_secret: LEAK_CLIENT_SECRET
  refresh_token: LEAK_REFRESH
  api_key: LEAK_API_KEY
auth:
  intacct:
    type: oauth2
    grant: client_credentials
    token_url: "{{{{ base_url }}}}/oauth2/token"
    client_id: {CLIENT_ID}
    client_secret: "{{{{ client_secret }}}}"
    token_params: {{ username: "{{{{ ws_user }}}}" }}
  person:
    type: oauth2
    grant: refresh_token
    token_url: "{{{{ base_url }}}}/oauth2/token"
    client_id: {CLIENT_ID}
    client_secret: "{{{{ client_secret }}}}"
    refresh_token: "{{{{ refresh_token }}}}"
  tok:
    type: bearer
    token: "{{{{ env('LEAK_BEARER') }}}}"
"#
    );
    let crud = r#"name: Leaky CRUD
auth: intacct
vars:
  vendor_id: "V-LEAK-{{ uuid()[:6] | upper }}"
requests:
  - name: create vendor
    method: POST
    url: "{{ base_url }}/objects/accounts-payable/vendor"
    query: { tag: "{{ api_key }}" }
    headers:
      X-Api-Key: "{{ api_key }}"
      X-Env: "{{ env('LEAK_ENV') }}"
      X-B64: "{{ env('LEAK_ENV') | base64 }}"
      Cookie: "session={{ env('LEAK_COOKIE') }}"
    json: { id: "{{ vendor_id }}", name: "{{ api_key }}", creditLimit: "1.00" }
    expect: { status: 201 }
    capture:
      vendor_key: "$['ia::result'].key"
      vendor_href: "$['ia::result'].href"
  - name: read vendor
    url: "{{ base_url }}{{ vendor_href }}"
    expect:
      status: 200
      jsonpath:
        "$['ia::result'].name": someone else
      body: { contains: "{{ env('LEAK_ENV') }}" }
    snapshot: true
  - name: delete vendor
    method: DELETE
    url: "{{ base_url }}/objects/accounts-payable/vendor/{{ vendor_key }}"
    expect: { status: 204 }
"#;
    let others = r#"name: Leaky auth
requests:
  - name: with the refresh token
    auth: person
    url: "{{ base_url }}/objects/accounts-payable/vendor"
    expect: { status: 200 }
  - name: with the bearer token
    auth: tok
    url: "{{ base_url }}/objects/accounts-payable/vendor?key={{ api_key | urlencode }}"
    expect: { status: 200 }
"#;
    let cache = format!(
        r#"{{"version": 1, "sessions": [{{"environment": "leak", "profile": "person", "token_url": "{base}/oauth2/token", "client_id": "{CLIENT_ID}", "username": null, "access_token": "{}", "refresh_token": "{}", "token_type": "bearer", "scope": null, "expires_at": "2020-01-01T00:00:00Z", "obtained_at": "2020-01-01T00:00:00Z"}}]}}"#,
        secret("cached access token"),
        secret("cached refresh token"),
    );
    let dir = workspace(&[
        ("environments/leak.yaml", &env),
        ("collections/crud.yaml", crud),
        ("collections/others.yaml", others),
        (".home/tokens.json", &cache),
    ]);
    let with_secrets = |args: &[&str]| {
        let mut c = courier(dir.path());
        c.args(args);
        for (name, value) in LEAKS.iter().filter(|(n, _)| n.starts_with("LEAK_")) {
            c.env(name, value);
        }
        c.output().unwrap()
    };
    let mut printed: Vec<(String, Vec<u8>)> = Vec::new();
    let mut record = |what: &str, out: &std::process::Output| {
        printed.push((format!("{what}: stdout"), out.stdout.clone()));
        printed.push((format!("{what}: stderr"), out.stderr.clone()));
    };

    let status = with_secrets(&["auth", "status"]);
    assert_eq!(parts(&status).0, 0);
    assert!(parts(&status).1.contains("person"), "{}", parts(&status).1);
    record("auth status", &status);

    let verbose = with_secrets(&[
        "run",
        "collections",
        "--env",
        "leak",
        "-v",
        "--junit",
        "out/junit.xml",
        "--json",
        "out/report.json",
    ]);
    let (code, stdout, stderr) = parts(&verbose);
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    // The secrets were really there to leak: redacted in a failure's actual value, in the
    // -v request (header, query, body), and the refused refresh token said so.
    assert!(stdout.contains("[REDACTED]"), "{stdout}");
    assert!(stderr.contains("x-api-key: [REDACTED]"), "{stderr}");
    assert!(stdout.contains("courier auth login"), "{stdout}");
    assert_eq!(emu.token_requests("refresh_token"), 1);
    record("run -v --junit --json", &verbose);

    let json = with_secrets(&[
        "run",
        "collections",
        "--env",
        "leak",
        "--json",
        "-",
        "--snapshots",
        "update",
    ]);
    record("run --json - --snapshots update", &json);
    record("auth status after", &with_secrets(&["auth", "status"]));
    record("auth logout", &with_secrets(&["auth", "logout"]));

    // What the test wrote, and the token cache: the one file whose job is to keep tokens
    // (mode 0600; its entries are removed by the logout above anyway).
    let inputs = [
        "environments/leak.yaml",
        "collections/crud.yaml",
        "collections/others.yaml",
        ".home/tokens.json",
        ".home/tokens.json.lock",
    ];
    let mut written = Vec::new();
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(dir.path())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                stack.push(path);
            } else if !inputs.contains(&rel.as_str()) {
                written.push(rel.clone());
                printed.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    assert!(written.iter().any(|f| f == "out/junit.xml"), "{written:?}");
    assert!(
        written.iter().any(|f| f == "out/report.json"),
        "{written:?}"
    );
    // The snapshot of a response that holds secrets was written, and is searched below.
    assert!(
        written
            .iter()
            .any(|f| f == "collections/__snapshots__/crud__read-vendor.snap"),
        "{written:?}"
    );

    let mut leaks = Vec::new();
    for (name, value) in LEAKS {
        for form in leak_forms(value) {
            for (what, bytes) in &printed {
                let text = String::from_utf8_lossy(bytes);
                if text.contains(form.as_str()) {
                    leaks.push(format!("{name} as `{form}` in {what}"));
                }
            }
        }
    }
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
}
