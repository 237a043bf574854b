//! Interoperability with an OAuth 2.0 server nobody here wrote (external suite):
//! `oauth2-mock-server` from the npm registry, started with node on 127.0.0.1 and a free port.
//! A small script around it adds one API route, `GET /api/whoami`, that answers 200 with the
//! grant behind the bearer token only for access tokens this very server issued, and 401 for
//! anything else — so a passing collection proves its requests carried the mock's tokens.
//!
//! `.ci/run` installs the package (`npm install --prefix target/external oauth2-mock-server@9`);
//! `COURIER_OAUTH2_MOCK_SERVER` may name another install (the package's own folder). A missing
//! node or package fails these tests: a silent skip would let CI pass having checked nothing.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::support::{courier, parts, root, workspace};

/// The server, with the route that checks tokens, and `GET /__issued` listing the grants of
/// the tokens it issued. It prints its base URL as its first line.
const SCRIPT: &str = r"
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = process.argv[2];
const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
let entry = pkg.exports?.['.'] ?? pkg.main;
while (typeof entry === 'object') entry = entry.import ?? entry.default;
const { OAuth2Server, Events } = await import(pathToFileURL(join(dir, entry)).href);

const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
const issued = new Map();
const grants = [];
server.service.on(Events.BeforeResponse, (response, req) => {
  if (response.body.access_token) {
    issued.set(response.body.access_token, req.body.grant_type);
    grants.push({ grant: req.body.grant_type, basic: !!req.headers.authorization, username: req.body.username ?? null });
  }
});
const json = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
server.service.addRoute('GET', '/api/whoami', (req, res) => {
  const auth = req.headers.authorization ?? '';
  const grant = auth.startsWith('Bearer ') ? issued.get(auth.slice(7)) : undefined;
  if (grant) json(res, 200, { grant });
  else json(res, 401, { error: 'not a token this server issued' });
});
server.service.addRoute('GET', '/__issued', (req, res) => json(res, 200, grants));
await server.start(0, '127.0.0.1');
console.log(server.issuer.url.replace('localhost', '127.0.0.1'));
process.stdin.resume();
process.stdin.on('end', () => server.stop().then(() => process.exit(0)));
";

/// The installed package's folder.
fn package_dir() -> PathBuf {
    let dir = std::env::var_os("COURIER_OAUTH2_MOCK_SERVER").map_or_else(
        || root().join("target/external/node_modules/oauth2-mock-server"),
        PathBuf::from,
    );
    assert!(
        dir.join("package.json").is_file(),
        "oauth2-mock-server is needed by the external suite and is not at {}: run `npm install --prefix target/external oauth2-mock-server@9` (or set COURIER_OAUTH2_MOCK_SERVER to its folder)",
        dir.display()
    );
    dir
}

/// A running mock server; stopped (stdin closed, then killed) on drop.
struct Mock {
    child: Child,
    base: String,
}

impl Mock {
    fn start(tmp: &Path) -> Self {
        let package = package_dir();
        let script = tmp.join("mock-server.mjs");
        std::fs::write(&script, SCRIPT).unwrap();
        let mut child = Command::new("node")
            .arg(&script)
            .arg(&package)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("node is needed by the external suite ({e}): install Node.js 22 or later")
            });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            for _ in lines {}
        });
        let base = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("oauth2-mock-server printed its URL");
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        Self { child, base }
    }

    /// The grants of the tokens the server issued, in order.
    fn issued(&self) -> Vec<Value> {
        let out = Command::new("node")
            .arg("-e")
            .arg(format!(
                "fetch('{}/__issued').then(r => r.text()).then(t => console.log(t))",
                self.base
            ))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let v: Value = serde_json::from_str(text.trim()).unwrap();
        v.as_array().unwrap().clone()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        std::thread::sleep(Duration::from_millis(100));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn environment(base: &str) -> String {
    format!(
        r#"scope: non-production
vars:
  base_url: {base}
secrets:
  client_secret: MOCK_CLIENT_SECRET
auth:
  machine:
    type: oauth2
    grant: client_credentials
    token_url: "{{{{ base_url }}}}/token"
    client_id: courier-ci
    client_secret: "{{{{ client_secret }}}}"
    client_auth: basic
    scope: read
    token_params: {{ username: "ci-bot@MOCK" }}
  person:
    type: oauth2
    grant: refresh_token
    token_url: "{{{{ base_url }}}}/token"
    client_id: courier-ci
    client_secret: "{{{{ client_secret }}}}"
    refresh_token: "{{{{ env('MOCK_REFRESH') }}}}"
  browser:
    type: oauth2
    grant: authorization_code
    authorize_url: "{{{{ base_url }}}}/authorize"
    token_url: "{{{{ base_url }}}}/token"
    client_id: courier-ci
    client_secret: "{{{{ client_secret }}}}"
    redirect_uri: https://127.0.0.1:0/callback
"#
    )
}

fn whoami(name: &str, profile: &str, grant: &str, n: usize) -> String {
    let mut s = format!("name: {name}\nauth: {profile}\nrequests:\n");
    for i in 0..n {
        let _ = write!(
            s,
            "  - name: whoami {i}\n    url: \"{{{{ base_url }}}}/api/whoami\"\n    expect:\n      status: 200\n      jsonpath: {{ \"$.grant\": {grant} }}\n"
        );
    }
    s
}

fn cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = courier(dir);
    c.args(args)
        .env("MOCK_CLIENT_SECRET", "mock-client-secret-4711")
        .env("MOCK_REFRESH", "configured-refresh-token-0042");
    c
}

#[test]
fn client_credentials_and_refresh_flows_against_oauth2_mock_server() {
    let tmp = tempfile::tempdir().unwrap();
    let mock = Mock::start(tmp.path());
    let env = environment(&mock.base);
    let (cc, rt) = (
        whoami("Machine", "machine", "client_credentials", 4),
        whoami("Person", "person", "refresh_token", 4),
    );
    let dir = workspace(&[
        ("environments/mock.yaml", &env),
        ("collections/machine.yaml", &cc),
        ("collections/person.yaml", &rt),
    ]);
    let out = cmd(
        dir.path(),
        &["run", "collections", "--env", "mock", "--parallel", "2"],
    )
    .output()
    .unwrap();
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(stdout.lines().last(), Some("8 passed, 0 failed, 0 skipped"));
    let issued = mock.issued();
    let grants: Vec<&str> = issued
        .iter()
        .map(|g| g["grant"].as_str().unwrap())
        .collect();
    let count = |g: &str| grants.iter().filter(|x| **x == g).count();
    assert_eq!(count("client_credentials"), 1, "{issued:?}");
    assert_eq!(count("refresh_token"), 1, "{issued:?}");
    let cc = issued
        .iter()
        .find(|g| g["grant"] == "client_credentials")
        .unwrap();
    assert_eq!(cc["basic"], true, "client_auth: basic sends HTTP Basic");
    assert_eq!(cc["username"], "ci-bot@MOCK", "token_params are sent");
    let rt = issued
        .iter()
        .find(|g| g["grant"] == "refresh_token")
        .unwrap();
    assert_eq!(rt["basic"], false, "client_auth defaults to the body");

    // The refresh-token profile's session is cached with the server's new refresh token;
    // the client-credentials one is not cached at all.
    let cache: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(".home/tokens.json")).unwrap(),
    )
    .unwrap();
    let sessions = cache["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{cache}");
    assert_eq!(sessions[0]["profile"], "person");
    let cached = sessions[0]["refresh_token"].as_str().unwrap();
    assert_ne!(cached, "configured-refresh-token-0042");
    for secret in [
        "mock-client-secret-4711",
        "configured-refresh-token-0042",
        cached,
    ] {
        assert!(!stdout.contains(secret) && !stderr.contains(secret));
    }
}

#[test]
fn login_against_oauth2_mock_server_then_a_run_with_its_tokens() {
    let tmp = tempfile::tempdir().unwrap();
    let mock = Mock::start(tmp.path());
    let env = environment(&mock.base);
    let coll = whoami("Browser", "browser", "authorization_code", 3);
    let dir = workspace(&[
        ("environments/mock.yaml", &env),
        ("collections/browser.yaml", &coll),
    ]);
    let mut child = cmd(
        dir.path(),
        &[
            "auth",
            "login",
            "--env",
            "mock",
            "--profile",
            "browser",
            "--no-browser",
        ],
    )
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let authorize = url::Url::parse(&lines.next().unwrap().unwrap()).unwrap();
    let q = |k: &str| {
        authorize
            .query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(q("code_challenge_method").as_deref(), Some("S256"));
    courier_exec::client::install_crypto_provider();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let browser = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .tls_danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let r = browser.get(authorize.as_str()).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 302);
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        let r = browser.get(location).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "the listener took the redirect");
    });
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(status.success(), "{rest:?}\n{err}");
    // The mock checked the PKCE verifier (it refuses a wrong one) and issued the tokens.
    assert_eq!(mock.issued()[0]["grant"], "authorization_code");

    let out = cmd(dir.path(), &["run", "collections", "--env", "mock"])
        .output()
        .unwrap();
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(mock.issued().len(), 1, "the run used the logged-in session");
}
