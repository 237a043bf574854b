//! The examples of every `--help` that need no credentials run against a copy of the
//! repository's collections and environments: those against the built-in `local` and
//! `local-production` environments (the embedded emulator), `validate`, `list` and
//! `snapshots list`. Each must do its job (exit 0, or 1 for a check that fails), never refuse
//! its input (2) or fail to check (3). The examples against `sandbox` or `production` run the
//! way the rehearsal does (docs/ci.md): each environment's `base_url` pointed at an in-process
//! emulator of its scope, the credentials in the environment variables the files name (a
//! refresh token for production, as a CI secret holds one), nothing sent anywhere else. The
//! `auth login` examples log in to the emulated production company, a fake `xdg-open` in
//! place of the browser and the test approving the login as a person does.

use std::path::Path;

use courier_emulator::{Scope, default_credentials};

use crate::auth::Emu;
use crate::docs::{help_of, subcommands};
use crate::support::{examples, parts, run};

/// The `courier …` lines of a help text's `Examples:` section, split as a shell would
/// (quotes), without pipes, redirections or a trailing comment.
fn example_lines(help: &str) -> Vec<Vec<String>> {
    help.lines()
        .skip_while(|l| l.trim_end() != "Examples:")
        .skip(1)
        .take_while(|l| !l.starts_with(|c: char| c.is_alphabetic()))
        .filter_map(|l| l.trim_start().strip_prefix("courier "))
        .map(|l| {
            let end = [" |", " >", "  ", " #"]
                .iter()
                .filter_map(|cut| l.find(cut))
                .min()
                .unwrap_or(l.len());
            shell_words(&l[..end])
        })
        .collect()
}

fn shell_words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, ' ') => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            (_, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The environments an example names with `--env`, `--left` or `--right`.
fn environments(words: &[String]) -> Vec<&str> {
    words
        .windows(2)
        .filter(|w| matches!(w[0].as_str(), "--env" | "--left" | "--right"))
        .map(|w| w[1].as_str())
        .collect()
}

/// Every example line of every help text, each once.
fn all_examples() -> Vec<Vec<String>> {
    let mut helps = vec![help_of(&[])];
    for sub in subcommands(&helps[0]) {
        let help = help_of(&[&sub]);
        for nested in subcommands(&help) {
            helps.push(help_of(&[&sub, &nested]));
        }
        helps.push(help);
    }
    let mut out: Vec<Vec<String>> = Vec::new();
    for example in helps.iter().flat_map(|h| example_lines(h)) {
        if !out.contains(&example) {
            out.push(example);
        }
    }
    out
}

/// Whether an example can run here: no credentials needed, nothing interactive.
fn runnable(words: &[String]) -> bool {
    let local = |i: usize| {
        words
            .get(i + 1)
            .is_some_and(|e| e == "local" || e == "local-production")
    };
    let envs_local = words
        .iter()
        .enumerate()
        .filter(|(_, w)| matches!(w.as_str(), "--env" | "--left" | "--right"))
        .all(|(i, _)| local(i));
    match words.first().map(String::as_str) {
        Some("run" | "compare" | "validate" | "list") => envs_local,
        Some("snapshots") => words.get(1).is_some_and(|w| w == "list"),
        _ => false,
    }
}

#[test]
fn the_help_examples_that_need_no_credentials_run_against_the_repository() {
    let mut ran = Vec::new();
    for example in all_examples() {
        if !runnable(&example) {
            continue;
        }
        let dir = examples();
        let args: Vec<&str> = example.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = parts(&run(dir.path(), &args));
        assert!(
            code == 0 || code == 1,
            "`courier {}` exited {code}:\n{stdout}\n{stderr}",
            example.join(" ")
        );
        ran.push(example);
    }
    assert!(ran.len() >= 8, "only {} examples ran: {ran:?}", ran.len());
}

/// Points the copy of `environments/NAME.yaml` in `dir` at an emulator: its `base_url`.
fn point_at(dir: &Path, name: &str, emu: &Emu) {
    let path = dir.join(format!("environments/{name}.yaml"));
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let line = "  base_url: https://api.intacct.com/ia/api/v1\n";
    assert!(text.contains(line), "{name}.yaml: {text}");
    let text = text.replace(line, &format!("  base_url: {}\n", emu.base_url()));
    assert!(
        !text.contains("intacct.com"),
        "{name}.yaml still names Intacct: {text}"
    );
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
}

/// The examples against `sandbox` and `production`: `run`, `compare` and `validate`, and `auth
/// logout`, each against its emulated company. `auth login` needs a browser: see the test
/// below.
#[test]
fn the_help_examples_against_sandbox_and_production_run_against_emulated_companies() {
    use crate::auth::{CLIENT_ID, CLIENT_SECRET, WS_USER};

    let sandbox = Emu::start(|_| {});
    let production = Emu::start(|o| o.scope = Scope::Production);
    let prod = default_credentials(Scope::Production);
    let (status, body) = production.token(&[
        ("grant_type", "client_credentials"),
        ("client_id", &prod.client_id),
        ("client_secret", &prod.client_secret),
        ("username", &prod.username),
    ]);
    assert_eq!(status, 200, "{body}");
    let refresh = body["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let variables = [
        ("INTACCT_CLIENT_ID", CLIENT_ID),
        ("INTACCT_CLIENT_SECRET", CLIENT_SECRET),
        ("INTACCT_WS_USER", WS_USER),
        ("INTACCT_PROD_CLIENT_ID", prod.client_id.as_str()),
        ("INTACCT_PROD_CLIENT_SECRET", prod.client_secret.as_str()),
        ("INTACCT_PROD_REFRESH_TOKEN", refresh.as_str()),
    ];

    let mut ran = Vec::new();
    for example in all_examples() {
        let envs = environments(&example);
        let named = envs.iter().any(|e| matches!(*e, "sandbox" | "production"));
        let command = example.first().map(String::as_str);
        let login = command == Some("auth") && example.get(1).is_some_and(|w| w == "login");
        if !named || login {
            continue;
        }
        let dir = examples();
        point_at(dir.path(), "sandbox", &sandbox);
        point_at(dir.path(), "production", &production);
        let mut cmd = crate::support::courier(dir.path());
        cmd.args(&example);
        for (name, value) in &variables {
            cmd.env(name, value);
        }
        let (code, stdout, stderr) = parts(&cmd.output().unwrap_or_else(|e| panic!("{e}")));
        // `compare` exits 1 when the two companies differ, which the emulated ones do
        // (docs/emulator.md): its help says so. Everything else must pass.
        let expected = i32::from(command == Some("compare"));
        assert_eq!(
            code,
            expected,
            "`courier {}`:\n{stdout}\n{stderr}",
            example.join(" ")
        );
        for (name, value) in &variables {
            if name.contains("SECRET") || name.contains("TOKEN") {
                assert!(
                    !stdout.contains(value) && !stderr.contains(value),
                    "{name} leaked"
                );
            }
        }
        ran.push(example.join(" "));
    }
    assert!(ran.len() >= 5, "only {} examples ran: {ran:?}", ran.len());
    assert!(ran.iter().any(|r| r.starts_with("run ")), "{ran:?}");
    for emu in [&sandbox, &production] {
        assert!(
            emu.stats()["api_requests"].as_u64().unwrap_or(0) > 0,
            "{}",
            emu.stats()
        );
    }
    // Production is never written to: the examples that name it are read-only.
    let p = production.stats();
    for route in p["routes"]
        .as_object()
        .map(|r| r.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        assert!(
            route.starts_with("GET ") || route == "POST /services/core/query",
            "production was sent a write ({route}): {p}"
        );
    }
}

/// A folder put first on `PATH` with a fake `xdg-open` (and `open`, its macOS name) that writes
/// the address it is given to a file instead of starting a browser: the test plays the browser.
#[cfg(unix)]
struct FakeBrowser {
    dir: tempfile::TempDir,
}

#[cfg(unix)]
impl FakeBrowser {
    fn new() -> Self {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let opened = dir.path().join("opened");
        // Written then renamed, so the test never reads half an address.
        let script = format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" > '{0}.part' && mv '{0}.part' '{0}'\n",
            opened.display()
        );
        for name in ["xdg-open", "open"] {
            let path = dir.path().join(name);
            std::fs::write(&path, &script).unwrap_or_else(|e| panic!("{e}"));
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        Self { dir }
    }

    /// `PATH` with the fake browser first.
    fn path_var(&self) -> std::ffi::OsString {
        let rest = std::env::var_os("PATH").unwrap_or_default();
        let all =
            std::iter::once(self.dir.path().to_path_buf()).chain(std::env::split_paths(&rest));
        std::env::join_paths(all).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The address the browser was asked to open, if it was.
    fn opened(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.path().join("opened"))
            .ok()
            .map(|s| s.trim().to_owned())
    }

    /// Waits for courier to open the browser (a minute at most, so a login that never does
    /// fails the test instead of hanging it).
    fn wait_opened(&self) -> url::Url {
        let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
        loop {
            if let Some(address) = self.opened() {
                return url::Url::parse(&address).unwrap_or_else(|e| panic!("{address}: {e}"));
            }
            assert!(
                std::time::Instant::now() < deadline,
                "courier opened no browser"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// Moves the loopback `redirect_uri` of an environment file from port 8443 to port 0 (a free
/// port, which the emulator accepts as Intacct does: docs/cli.md#courier-auth), so that a
/// login's listener never competes for 8443 with anything else on the machine.
#[cfg(unix)]
fn listen_on_a_free_port(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let from = "redirect_uri: https://127.0.0.1:8443/callback\n";
    assert!(text.contains(from), "{}: {text}", path.display());
    let text = text.replace(from, "redirect_uri: https://127.0.0.1:0/callback\n");
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
}

/// `courier ARGS` in `dir` with the fake browser first on `PATH` and the production client's
/// id and secret set, as docs/ci.md has them; no refresh token: logging in is how one is had.
#[cfg(unix)]
fn login_command(
    dir: &Path,
    example: &[String],
    browser: &FakeBrowser,
    prod: &courier_emulator::Credentials,
) -> std::process::Command {
    let mut cmd = crate::support::courier(dir);
    cmd.args(example)
        .env("PATH", browser.path_var())
        .env("INTACCT_PROD_CLIENT_ID", &prod.client_id)
        .env("INTACCT_PROD_CLIENT_SECRET", &prod.client_secret);
    cmd
}

/// The browser's part: the emulated company approves the authorize address at once and
/// redirects (302) to the redirect URI; that address is returned.
#[cfg(unix)]
fn approve(production: &Emu, authorize: &url::Url) -> String {
    let (status, location) = production.get(authorize.as_str());
    assert_eq!(status, 302, "{authorize}");
    location.unwrap_or_else(|| panic!("no Location from {authorize}"))
}

/// Runs a login example with pipes: takes the authorize address from the browser or, with
/// `--no-browser`, from standard output; approves it; hands the redirect to courier's HTTPS
/// listener or, with `--paste`, pastes it. Exit code, standard output and error.
#[cfg(unix)]
fn log_in_with_pipes(
    cmd: &mut std::process::Command,
    example: &[String],
    browser: &FakeBrowser,
    production: &Emu,
) -> (i32, String, String) {
    use std::io::{BufRead as _, Read as _, Write as _};
    use std::process::Stdio;
    let flag = |f: &str| example.iter().any(|w| w == f);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let (tx, lines) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().expect("a piped standard output");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut stderr = child.stderr.take();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(e) = stderr.as_mut() {
            let _ = e.read_to_string(&mut text);
        }
        text
    });
    let Ok(printed) = lines.recv_timeout(std::time::Duration::from_mins(1)) else {
        let _ = child.kill();
        let status = child.wait().map(|s| s.code());
        panic!(
            "`courier {}` printed no authorize address ({status:?}):\n{}",
            example.join(" "),
            errors.join().unwrap_or_default()
        );
    };
    let printed = url::Url::parse(&printed).unwrap_or_else(|e| panic!("{printed}: {e}"));
    let authorize = if flag("--no-browser") {
        printed
    } else {
        let opened = browser.wait_opened();
        assert_eq!(opened, printed, "the browser opens the printed address");
        opened
    };
    let location = approve(production, &authorize);
    let mut stdin = child.stdin.take();
    if flag("--paste") {
        if let Some(s) = stdin.as_mut() {
            writeln!(s, "{location}").unwrap_or_else(|e| panic!("{e}"));
        }
    } else {
        // Courier's listener, over HTTPS with its self-signed certificate (the test's client
        // accepts it, as the user does in the browser).
        let (status, _) = production.get(&location);
        assert_eq!(status, 200, "the listener takes {location}");
    }
    drop(stdin);
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("`courier {}` did not finish", example.join(" "));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let err = errors.join().unwrap_or_default();
    let out: Vec<String> = lines.iter().collect();
    if flag("--no-browser") {
        assert_eq!(browser.opened(), None, "--no-browser opened a browser");
    }
    (status.code().unwrap_or(-1), out.join("\n"), err)
}

/// Runs a `--print-refresh-token` example in a pseudo-terminal (its standard output must be a
/// terminal) and plays the browser; the whole terminal output and the exit status.
#[cfg(unix)]
fn log_in_in_a_terminal(
    cmd: std::process::Command,
    browser: &FakeBrowser,
    production: &Emu,
) -> (String, expectrl::process::unix::WaitStatus) {
    use expectrl::{Eof, Expect as _, Session};
    let mut session = Session::spawn(cmd).unwrap_or_else(|e| panic!("spawn in a pty: {e}"));
    session.set_expect_timeout(Some(std::time::Duration::from_mins(1)));
    let location = approve(production, &browser.wait_opened());
    let (status, _) = production.get(&location);
    assert_eq!(status, 200, "the listener takes {location}");
    let all = session
        .expect(Eof)
        .unwrap_or_else(|e| panic!("the login ends: {e}"));
    let text = String::from_utf8_lossy(all.as_bytes()).into_owned();
    let status = session
        .get_process()
        .wait()
        .unwrap_or_else(|e| panic!("{e}"));
    (text, status)
}

/// Every `courier auth login` example of the help, against the emulated production company
/// (`environments/production.yaml` pointed at it): a fake `xdg-open` stands for the browser,
/// and the test approves the login the way a person does. Each exits 0 as its help says;
/// the session lands in the token cache, except with `--print-refresh-token`, whose token is
/// shown on the terminal, works, and is kept nowhere.
#[cfg(unix)]
#[test]
fn the_auth_login_examples_log_in_to_the_emulated_production_company() {
    let production = Emu::start(|o| o.scope = Scope::Production);
    let prod = default_credentials(Scope::Production);
    let mut ran = Vec::new();
    for example in all_examples() {
        if example.get(..2) != Some(&["auth".to_owned(), "login".to_owned()]) {
            continue;
        }
        let flag = |f: &str| example.iter().any(|w| w == f);
        let line = format!("courier {}", example.join(" "));
        let dir = examples();
        point_at(dir.path(), "production", &production);
        if !flag("--paste") {
            listen_on_a_free_port(&dir.path().join("environments/production.yaml"));
        }
        let browser = FakeBrowser::new();
        let cmd = login_command(dir.path(), &example, &browser, &prod);
        let cache = dir.path().join(".home/tokens.json");
        let (out, err) = if flag("--print-refresh-token") {
            let (text, status) = log_in_in_a_terminal(cmd, &browser, &production);
            assert!(
                matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 0)),
                "`{line}`: {status:?}\n{text}"
            );
            let lines: Vec<&str> = text.lines().map(str::trim).collect();
            let said = lines
                .iter()
                .position(|l| l.starts_with("The refresh token of auth profile `intacct`"))
                .unwrap_or_else(|| panic!("`{line}`:\n{text}"));
            assert!(
                lines[said].contains("store it as the secret INTACCT_PROD_REFRESH_TOKEN"),
                "{text}"
            );
            let token = lines[..said]
                .iter()
                .rev()
                .find(|l| !l.is_empty())
                .copied()
                .unwrap_or_default();
            // The printed token is the one a CI job sets: it gets tokens.
            let (status, body) = production.token(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", token),
                ("client_id", &prod.client_id),
                ("client_secret", &prod.client_secret),
            ]);
            assert_eq!(status, 200, "`{line}` printed {token:?}: {body}");
            // Nothing went to the token cache.
            let kept = std::fs::read_to_string(&cache).unwrap_or_default();
            assert!(!kept.contains(token), "{kept}");
            if !kept.is_empty() {
                let kept: serde_json::Value =
                    serde_json::from_str(&kept).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(kept["sessions"], serde_json::json!([]), "{kept}");
            }
            (text, String::new())
        } else {
            let mut cmd = cmd;
            let (code, out, err) = log_in_with_pipes(&mut cmd, &example, &browser, &production);
            assert_eq!(code, 0, "`{line}`:\n{out}\n{err}");
            assert!(
                out.contains("logged in: environment `production`, profile `intacct`"),
                "`{line}`:\n{out}"
            );
            let kept = std::fs::read_to_string(&cache).unwrap_or_else(|e| panic!("{e}"));
            let kept: serde_json::Value =
                serde_json::from_str(&kept).unwrap_or_else(|e| panic!("{e}"));
            let session = &kept["sessions"][0];
            assert_eq!(session["environment"], "production", "{kept}");
            assert_eq!(session["profile"], "intacct", "{kept}");
            for token in ["access_token", "refresh_token"] {
                let token = session[token].as_str().unwrap_or_else(|| panic!("{kept}"));
                assert!(
                    !out.contains(token) && !err.contains(token),
                    "`{line}` showed a token"
                );
            }
            (out, err)
        };
        assert!(
            !out.contains(&prod.client_secret) && !err.contains(&prod.client_secret),
            "`{line}` showed the client secret"
        );
        ran.push(example);
    }
    // Each way of logging in the help shows ran: listener, no browser, paste, printed token.
    let with = |f: &str| ran.iter().filter(|e| e.iter().any(|w| w == f)).count();
    assert!(
        with("--no-browser") > 0 && with("--paste") > 0 && with("--print-refresh-token") > 0,
        "{ran:?}"
    );
    assert!(ran.iter().any(|e| e.len() == 4), "{ran:?}");
    // One code traded per example, each with its PKCE verifier, and nothing else asked of
    // the company.
    let stats = production.stats();
    assert_eq!(
        production.token_requests("authorization_code"),
        u64::try_from(ran.len()).unwrap_or_default(),
        "{stats}"
    );
    assert_eq!(stats["token_errors"], 0, "{stats}");
    assert_eq!(stats["api_requests"], 0, "{stats}");
}
