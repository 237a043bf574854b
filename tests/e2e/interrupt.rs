//! SIGTERM and SIGINT during a run, as a CI cancel or Ctrl-C sends them: no request starts
//! after the signal except `always` clean-ups, the reports are written with the rest skipped
//! as `interrupted`, and the exit code is the signal's (docs/cli.md#interrupting-a-run).

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use crate::auth::{CLIENT_SECRET, Emu, env_yaml};
use crate::support::{courier, workspace};

/// Ten slow reads, then a clean-up that must still run.
fn slow_collection() -> String {
    let mut s = String::from("name: Slow\nauth: intacct\nrequests:\n");
    for i in 0..10 {
        let _ = write!(
            s,
            "  - name: read {i}\n    url: \"{{{{ base_url }}}}/objects/accounts-payable/vendor\"\n    expect: {{ status: 200 }}\n"
        );
    }
    s.push_str(
        "  - name: clean up\n    always: true\n    url: \"{{ base_url }}/objects/accounts-payable/vendor\"\n    expect: { status: 200 }\n",
    );
    s
}

fn interrupted_by(sig: &str, code: i32) {
    let emu = Emu::start(|o| o.latency = std::time::Duration::from_millis(150));
    let env = env_yaml(&emu.base_url(), "client_credentials", "");
    let collection = slow_collection();
    let dir = workspace(&[
        ("environments/emu.yaml", env.as_str()),
        ("collections/slow.yaml", collection.as_str()),
    ]);
    let mut child = spawn(
        dir.path(),
        &[
            "run",
            "--env",
            "emu",
            "--json",
            "out/r.json",
            "--junit",
            "out/r.xml",
        ],
    );
    // Wait for the first result line, so the signal comes in the middle of the run.
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a first line");
    assert!(first.starts_with("PASS Slow / read 0"), "{first}");
    signal(&child, sig);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).expect("the rest of stdout");
    let out = child.wait_with_output().expect("courier ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{first}{rest}{stderr}");
    assert!(stderr.contains("no new request starts"), "{stderr}");
    // The clean-up ran; the reads after the signal did not.
    assert!(rest.contains("PASS Slow / clean up"), "{rest}");
    assert!(
        rest.contains("SKIP Slow / read 9  skipped: interrupted"),
        "{rest}"
    );
    assert!(
        rest.lines().last().is_some_and(|l| l.ends_with(" skipped")),
        "{rest}"
    );
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/r.json")).expect("the JSON report"),
    )
    .expect("valid JSON");
    let skipped = report["summary"]["skipped"].as_u64().expect("a count");
    assert!(skipped >= 1, "{report}");
    assert!(dir.path().join("out/r.xml").is_file());
    // Fewer reads reached the server than the collection holds.
    let sent = emu.stats()["api_requests"].as_u64().expect("a count");
    assert!(sent < 11, "{sent} requests reached the emulator");
}

#[test]
fn sigterm_ends_the_run_with_its_reports_and_exit_143() {
    interrupted_by("-TERM", 143);
}

#[test]
fn sigint_ends_the_run_with_its_reports_and_exit_130() {
    interrupted_by("-INT", 130);
}

/// `courier compare` stops both sides on the first signal, still writes its report and exits
/// with the signal's code.
#[test]
fn sigterm_ends_a_compare_with_its_report_and_exit_143() {
    let emu = Emu::start(|o| o.latency = std::time::Duration::from_millis(150));
    let env = env_yaml(&emu.base_url(), "client_credentials", "");
    let collection = slow_collection();
    let dir = workspace(&[
        ("environments/left.yaml", env.as_str()),
        ("environments/right.yaml", env.as_str()),
        ("collections/slow.yaml", collection.as_str()),
    ]);
    let child = spawn(
        dir.path(),
        &[
            "compare",
            "--left",
            "left",
            "--right",
            "right",
            "--json",
            "out/c.json",
        ],
    );
    // Each side needs 1.5 s for its ten reads; the signal comes well before.
    std::thread::sleep(std::time::Duration::from_millis(700));
    signal(&child, "-TERM");
    let out = child.wait_with_output().expect("courier ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(143), "{stdout}{stderr}");
    assert!(stderr.contains("no new request starts"), "{stderr}");
    assert!(dir.path().join("out/c.json").is_file(), "{stdout}{stderr}");
    let sent = emu.stats()["api_requests"].as_u64().expect("a count");
    assert!(sent < 22, "{sent} requests reached the emulator");
}

/// A request still waiting for its answer two seconds after the signal counts as skipped
/// (`interrupted`): a hung server cannot keep a cancelled CI job alive.
#[test]
fn a_request_in_flight_is_cut_after_the_grace_period() {
    let emu = Emu::start(|o| o.latency = std::time::Duration::from_secs(30));
    let env = env_yaml(&emu.base_url(), "client_credentials", "");
    let collection = "name: Hung\nauth: intacct\nrequests:\n  - name: read\n    url: \"{{ base_url }}/objects/accounts-payable/vendor\"\n    timeout: 60s\n";
    let dir = workspace(&[
        ("environments/emu.yaml", env.as_str()),
        ("collections/hung.yaml", collection),
    ]);
    let child = spawn(dir.path(), &["run", "--env", "emu", "--json", "out/r.json"]);
    std::thread::sleep(std::time::Duration::from_millis(700));
    signal(&child, "-TERM");
    let out = child.wait_with_output().expect("courier ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{stdout}{stderr}");
    assert!(
        stdout.contains("SKIP Hung / read  skipped: interrupted"),
        "{stdout}{stderr}"
    );
    assert!(dir.path().join("out/r.json").is_file());
}

/// Starts `courier ARGS` in `dir` with the emulator's client secret, its output piped.
fn spawn(dir: &std::path::Path, args: &[&str]) -> std::process::Child {
    courier(dir)
        .args(args)
        .env("EMU_CLIENT_SECRET", CLIENT_SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("courier starts")
}

/// Sends `signal` (`-TERM`, `-INT`) to the child, as a CI runner or a terminal would.
fn signal(child: &std::process::Child, signal: &str) {
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
}

/// A second signal exits at once, reports or not: with a request in flight that never
/// answers, the second SIGINT comes inside the first one's grace period, and the run ends with
/// 130 before any report is written.
#[test]
fn a_second_signal_exits_at_once_without_waiting_for_the_grace_period() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // Hold every connection open without answering.
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
            let _ = tx.send(());
        }
    });
    let collection = "name: Stuck\nrequests:\n  - name: never answered\n    url: \"{{ base_url }}/x\"\n    timeout: 5m\n";
    let env = format!("scope: non-production\nvars:\n  base_url: {base}\n");
    let dir = workspace(&[
        ("environments/t.yaml", env.as_str()),
        ("collections/stuck.yaml", collection),
    ]);
    let mut child = spawn(dir.path(), &["run", "--env", "t", "--json", "out/r.json"]);
    rx.recv().expect("the request reaches the server");
    signal(&child, "-INT");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    while !line.contains("no new request starts") {
        line.clear();
        assert!(
            stderr.read_line(&mut line).expect("stderr") > 0,
            "stderr ended"
        );
    }
    signal(&child, "-INT");
    let status = child.wait().expect("courier ends");
    assert_eq!(status.code(), Some(130));
    assert!(
        !dir.path().join("out/r.json").exists(),
        "the second signal did not wait for the reports"
    );
}
