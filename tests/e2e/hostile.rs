//! Hostile servers on 127.0.0.1: an endless chunked body, a huge `Content-Length`, a gzip bomb.
//! Each request fails fast with a message naming the body cap and how to raise it, and the
//! process's own peak memory stays bounded (docs/collections.md#response-size).

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::support::{courier, parts, run, workspace};

/// Counts what a writer passes on: the bytes the gzip bomb really puts on the wire.
struct Counting<W> {
    inner: W,
    count: Arc<AtomicU64>,
}

impl<W: std::io::Write> std::io::Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Serves until the client goes away; each path misbehaves its own way. Returns the base URL
/// and the number of bytes the gzip bomb wrote.
fn hostile_server() -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("an address");
    let bomb_wire = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&bomb_wire);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let counter = Arc::clone(&counter);
            std::thread::spawn(move || serve(stream, &counter));
        }
    });
    (format!("http://{addr}"), bomb_wire)
}

fn serve(mut stream: TcpStream, bomb_wire: &AtomicU64) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
    }
    let path = first.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let chunk = vec![b'a'; 64 * 1024];
    // Every loop below ends when the client hangs up (a write fails) or after far more than
    // any cap under test, so a broken client cannot keep a thread busy forever.
    let limit = 8u64 << 30;
    match path.as_str() {
        "/endless" => {
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
            );
            let mut sent = 0u64;
            while sent < limit {
                let head = format!("{:x}\r\n", chunk.len());
                if stream.write_all(head.as_bytes()).is_err()
                    || stream.write_all(&chunk).is_err()
                    || stream.write_all(b"\r\n").is_err()
                {
                    return;
                }
                sent += chunk.len() as u64;
            }
        }
        "/huge" => {
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2147483648\r\n\r\n"
            );
            let mut sent = 0u64;
            while sent < limit && stream.write_all(&chunk).is_ok() {
                sent += chunk.len() as u64;
            }
        }
        "/bomb" => {
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n"
            );
            let wire = Counting {
                inner: stream,
                count: Arc::new(AtomicU64::new(0)),
            };
            let count = Arc::clone(&wire.count);
            let mut gz = flate2::write::GzEncoder::new(wire, flate2::Compression::best());
            let zeros = vec![0u8; 1024 * 1024];
            let mut inflated = 0u64;
            while inflated < limit && gz.write_all(&zeros).is_ok() {
                inflated += zeros.len() as u64;
                bomb_wire.store(count.load(Ordering::SeqCst), Ordering::SeqCst);
            }
        }
        "/token" => {
            let body = r#"{"access_token":"eyJhbGciOiJIUzI1NiJ9.issued-access-0001","token_type":"bearer","refresh_token":"issued-refresh-0002","nested":{"id_token":"issued-id-token-0003"}}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
        _ => {
            let body = "x".repeat(2048);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    }
}

/// `VmHWM` (peak resident memory) of a live process, in bytes.
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[test]
fn hostile_bodies_fail_fast_at_the_cap_in_bounded_memory() {
    let (base, bomb_wire) = hostile_server();
    let env = format!("scope: non-production\nvars:\n  base_url: {base}\n");
    let collection = "name: Hostile\ndefaults:\n  timeout: 60s\nrequests:\n  - name: endless\n    url: \"{{ base_url }}/endless\"\n  - name: huge\n    url: \"{{ base_url }}/huge\"\n  - name: bomb\n    url: \"{{ base_url }}/bomb\"\n";
    let dir = workspace(&[
        ("environments/hostile.yaml", &env),
        ("collections/hostile.yaml", collection),
    ]);
    let started = Instant::now();
    let mut child = courier(dir.path())
        .args(["run", "collections", "--env", "hostile", "--color", "never"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the courier binary runs");
    let pid = child.id();
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || std::io::read_to_string(&mut stdout).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(&mut stderr).unwrap_or_default());
    // The peak is a high-water mark: the last reading before the process exits is its peak
    // (give or take the few milliseconds between readings).
    let mut peak = 0u64;
    let status = loop {
        if let Some(p) = peak_rss(pid) {
            peak = peak.max(p);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "courier still running after 90 s (peak RSS {} MB)",
                peak >> 20
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = started.elapsed();
    let stdout = out.join().expect("stdout thread");
    let stderr = err.join().expect("stderr thread");
    assert_eq!(status.code(), Some(3), "{stdout}{stderr}");
    assert!(peak > 0, "no reading of the peak RSS");
    assert!(
        peak < 200 << 20,
        "peak RSS {} MB is over 200 MB\n{stdout}{stderr}",
        peak >> 20
    );
    // The request timeout is 60 s: failing well before it is the cap at work.
    assert!(elapsed < Duration::from_secs(45), "took {elapsed:?}");
    for what in ["is larger than", "announces more than"] {
        assert!(
            stdout.contains(&format!(
                "the response body {what} the 64MiB cap on response bodies (set by `--max-body`): raise it with `--max-body SIZE`"
            )),
            "{what}: {stdout}"
        );
    }
    assert_eq!(
        stdout.matches("is larger than the 64MiB cap").count(),
        2,
        "the endless body and the gzip bomb: {stdout}"
    );
    assert!(stdout.contains("0 passed, 3 failed, 0 skipped"), "{stdout}");
    // The bomb's cap was reached on decoded bytes: far fewer went over the wire.
    let wire = bomb_wire.load(Ordering::SeqCst);
    assert!(wire < 8 << 20, "the bomb wrote {wire} bytes");
}

#[test]
fn a_collection_cap_names_where_it_is_set() {
    let (base, _) = hostile_server();
    let env = format!("scope: non-production\nvars:\n  base_url: {base}\n");
    let collection = "name: Small\ndefaults:\n  max_body: 1KiB\nrequests:\n  - name: by default\n    url: \"{{ base_url }}/small\"\n  - name: own cap\n    url: \"{{ base_url }}/small\"\n    max_body: 4KiB\n  - name: own small cap\n    url: \"{{ base_url }}/small\"\n    max_body: 1000\n";
    let dir = workspace(&[
        ("environments/small.yaml", &env),
        ("collections/small.yaml", collection),
        (
            "plain/small.yaml",
            "name: Plain\nrequests:\n  - name: plain\n    url: \"{{ base_url }}/small\"\n",
        ),
    ]);
    let (code, stdout, stderr) = parts(&run(
        dir.path(),
        &["run", "collections", "--env", "small", "--color", "never"],
    ));
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(
        stdout.contains("Small / by default  error: the response body announces more than the 1KiB cap on response bodies (set by `defaults: max_body:` at collections/small.yaml:3:13): raise it there\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("announces more than the 1000B cap on response bodies (set by `max_body:` at collections/small.yaml:12:15)"),
        "{stdout}"
    );
    assert!(stdout.contains("1 passed, 2 failed, 0 skipped"), "{stdout}");

    // `--max-body` caps what sets nothing itself; the default is far above 2 KiB.
    let (code, stdout, stderr) = parts(&run(
        dir.path(),
        &[
            "run",
            "plain",
            "--env",
            "small",
            "--color",
            "never",
            "--max-body",
            "1KiB",
        ],
    ));
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(stdout.contains("the 1KiB cap"), "{stdout}");
    let (code, stdout, stderr) = parts(&run(dir.path(), &["run", "plain", "--env", "small"]));
    assert_eq!(code, 0, "{stdout}{stderr}");

    // A cap that is not a size is a usage error, nothing sent.
    let (code, _, stderr) = parts(&run(
        dir.path(),
        &["run", "plain", "--env", "small", "--max-body", "lots"],
    ));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`lots` is not a size"), "{stderr}");
    std::fs::write(
        dir.path().join("plain/small.yaml"),
        "name: Plain\ndefaults:\n  max_body: 12 parsecs\nrequests:\n  - name: plain\n    url: \"{{ base_url }}/small\"\n",
    )
    .expect("write");
    let (code, _, stderr) = parts(&run(dir.path(), &["validate", "plain"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("bad `max_body`: `parsecs` is not a size unit"),
        "{stderr}"
    );
}

#[test]
fn a_short_secret_warns_by_name_and_leaves_courier_s_words_alone() {
    let env = r#"scope: non-production
emulator: intacct
secrets:
  word: SHORT_SECRET
auth:
  intacct:
    type: oauth2
    grant: client_credentials
    token_url: "{{ base_url }}/oauth2/token"
    client_id: "{{ client_id }}"
    client_secret: "{{ client_secret }}"
    token_params: { username: "{{ ws_user }}" }
"#;
    let collection = r#"name: Short
auth: intacct
requests:
  - name: read
    url: "{{ base_url }}/objects/accounts-payable/vendor/84"
    expect: { status: 200 }
"#;
    let dir = workspace(&[
        ("environments/short.yaml", env),
        ("collections/short.yaml", collection),
    ]);
    let out = courier(dir.path())
        .args(["run", "--env", "short", "--color", "never"])
        .env("SHORT_SECRET", "pass")
        .output()
        .expect("the courier binary runs");
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains(
            "environments/short.yaml:4:3: secret `word` (from `SHORT_SECRET`): a secret is only 4 characters long"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.matches("characters long").count(), 1, "{stderr}");
    assert!(
        stdout.ends_with("1 passed, 0 failed, 0 skipped\n"),
        "{stdout}"
    );
}

/// `.env`, `tls.ca_cert`, the token cache and a `.snap` that are links to `/dev/zero` are
/// refused with what they are, through core's checked reads, instead of being read forever
/// (docs/inputs.md).
#[cfg(unix)]
#[test]
fn inputs_linked_to_a_device_are_refused_by_what_they_are() {
    use std::os::unix::fs::symlink;

    let (base, _) = hostile_server();
    let env = format!("scope: non-production\nvars:\n  base_url: {base}\n");
    let collection = "name: Plain\nrequests:\n  - name: plain\n    url: \"{{ base_url }}/small\"\n    snapshot: true\n";
    let dir = workspace(&[
        ("environments/plain.yaml", &env),
        ("collections/plain.yaml", collection),
    ]);
    let args = ["run", "collections", "--env", "plain", "--color", "never"];
    let device = "is a character device, not a regular file";

    symlink("/dev/zero", dir.path().join(".env")).expect("symlink");
    let (code, stdout, stderr) = parts(&run(dir.path(), &args));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("`.env` file `.env` {device}")),
        "{stderr}"
    );
    std::fs::remove_file(dir.path().join(".env")).expect("remove");

    std::fs::write(
        dir.path().join("environments/plain.yaml"),
        format!("{env}tls: {{ ca_cert: zero.pem }}\n"),
    )
    .expect("write");
    symlink("/dev/zero", dir.path().join("environments/zero.pem")).expect("symlink");
    let (code, stdout, stderr) = parts(&run(dir.path(), &args));
    assert_ne!(code, 0, "{stdout}{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains("`tls.ca_cert`: CA certificate"),
        "{stdout}{stderr}"
    );
    assert!(
        format!("{stdout}{stderr}").contains(device),
        "{stdout}{stderr}"
    );
    std::fs::write(dir.path().join("environments/plain.yaml"), &env).expect("write");

    let snaps = dir.path().join("collections/__snapshots__");
    std::fs::create_dir_all(&snaps).expect("mkdir");
    symlink("/dev/zero", snaps.join("plain__plain.snap")).expect("symlink");
    let (code, stdout, stderr) = parts(&run(dir.path(), &args));
    assert_ne!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("snapshot")
            && stdout.contains(&format!(
                "snapshot `collections/__snapshots__/plain__plain.snap` {device}"
            )),
        "{stdout}{stderr}"
    );
}

/// A plain request that posts the token form itself: the tokens in its JSON response join the
/// secrets before the failure detail, `-v` and the JSON report show the response.
#[test]
fn tokens_issued_to_a_plain_request_are_redacted_everywhere() {
    let (base, _) = hostile_server();
    let env = format!("scope: non-production\nvars:\n  base_url: {base}\n");
    let collection = "name: Tokens\nrequests:\n  - name: token form\n    method: POST\n    url: \"{{ base_url }}/token\"\n    form: { grant_type: client_credentials }\n    expect:\n      jsonpath:\n        $.access_token: nope\n        $.nested: { eq: {} }\n";
    let dir = workspace(&[
        ("environments/tokens.yaml", &env),
        ("collections/tokens.yaml", collection),
    ]);
    let (code, stdout, stderr) = parts(&run(
        dir.path(),
        &[
            "run",
            "collections",
            "--env",
            "tokens",
            "--color",
            "never",
            "-v",
            "--json",
            "r.json",
        ],
    ));
    assert_eq!(code, 1, "{stdout}{stderr}");
    let json = std::fs::read_to_string(dir.path().join("r.json")).expect("the JSON report");
    for (what, text) in [("stdout", &stdout), ("stderr", &stderr), ("json", &json)] {
        for token in [
            "issued-access-0001",
            "issued-refresh-0002",
            "issued-id-token-0003",
        ] {
            assert!(!text.contains(token), "{what} shows {token}:\n{text}");
        }
    }
    assert!(stdout.contains("[REDACTED]"), "{stdout}");
}
