//! Network faults from local misbehaving servers on 127.0.0.1 (and a refused port, a name that
//! does not resolve, TLS to a plain port): each request fails with its own message and the run
//! exits 3, bounded by the request's `timeout: 1s`; nothing hangs and nothing panics.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use crate::support;

/// A fault: its name, what the server does after reading the request head (or the URL to use
/// instead of a server), and a part of the error Courier must print for it.
pub(crate) const FAULTS: [(&str, &str); 21] = [
    ("reset", "Connection reset by peer"),
    (
        "close without a response",
        "connection closed before message completed",
    ),
    (
        "close in the headers",
        "connection closed before message completed",
    ),
    (
        "close in the body",
        "end of file before message length reached",
    ),
    ("invalid status line", "invalid HTTP status-code parsed"),
    ("not HTTP at all", "invalid HTTP version parsed"),
    (
        "HTTP/0.9 body without a head",
        "invalid HTTP version parsed",
    ),
    ("bad chunk size", "Invalid chunk size line"),
    (
        "chunked body cut short",
        "end of file before message length reached",
    ),
    ("1 MiB header", "message head is too large"),
    ("invalid header name", "invalid HTTP header parsed"),
    (
        "two different Content-Length",
        "invalid content-length parsed",
    ),
    (
        "Content-Length not a number",
        "invalid content-length parsed",
    ),
    ("gzip that is not gzip", "Invalid gzip header"),
    (
        "body over the cap",
        "the response body announces more than the 1MiB cap",
    ),
    ("headers never come", "timed out after 1s"),
    ("body stalls", "timed out after 1s"),
    ("redirect loop", "more than 10 redirects"),
    ("TLS to a plain HTTP port", "cannot connect to 127.0.0.1:"),
    ("refused port", "connection refused"),
    (
        "name that does not resolve",
        "cannot connect to nonexistent.invalid:80",
    ),
];

/// What the server sends for `fault`, after reading the request head; `None`: hold the
/// connection open without answering (until the client gives up).
fn reply(fault: &str) -> Option<Vec<u8>> {
    let ok = |rest: &str| format!("HTTP/1.1 200 OK\r\n{rest}").into_bytes();
    Some(match fault {
        "close without a response" | "reset" => Vec::new(),
        "close in the headers" => b"HTTP/1.1 200 OK\r\nContent-Ty".to_vec(),
        "close in the body" => ok("Content-Length: 100\r\n\r\n{\"a\":"),
        "invalid status line" => b"HTTP/1.1 OK\r\n\r\n".to_vec(),
        "not HTTP at all" => b"\x00\x01\x02garbage\r\n\r\n".to_vec(),
        "HTTP/0.9 body without a head" => b"{\"a\":1}".to_vec(),
        "bad chunk size" => ok("Transfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n"),
        "chunked body cut short" => ok("Transfer-Encoding: chunked\r\n\r\n10\r\nabc"),
        "1 MiB header" => ok(&format!("X-Big: {}\r\n\r\n", "a".repeat(1 << 20))),
        "invalid header name" => ok("Bad Header: x\r\nContent-Length: 2\r\n\r\n{}"),
        "two different Content-Length" => {
            ok("Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}")
        }
        "Content-Length not a number" => ok("Content-Length: abc\r\n\r\n{}"),
        "gzip that is not gzip" => ok("Content-Encoding: gzip\r\nContent-Length: 10\r\n\r\nnotgzip!!!"),
        "body over the cap" => ok("Content-Length: 2000000\r\n\r\n"),
        "body stalls" => ok("Content-Length: 10\r\n\r\n{"),
        "redirect loop" => b"HTTP/1.1 302 Found\r\nLocation: /again\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".to_vec(),
        "TLS to a plain HTTP port" => ok("Content-Length: 2\r\n\r\n{}"),
        _ => return None,
    })
}

fn serve(mut stream: TcpStream, fault: &'static str) {
    if fault == "reset" {
        // Closing with the request unread makes the kernel answer with a reset.
        let mut one = [0u8; 1];
        let _ = stream.peek(&mut one);
        return;
    }
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
        line.clear();
    }
    match reply(fault) {
        Some(bytes) => {
            let _ = stream.write_all(&bytes);
            if fault == "body stalls" {
                // Hold the rest of the body back until the client has given up.
                std::thread::sleep(Duration::from_secs(5));
            }
        }
        None => std::thread::sleep(Duration::from_secs(5)),
    }
}

/// The URL a request for `fault` goes to.
fn url(fault: &'static str) -> String {
    match fault {
        "refused port" => {
            let l = TcpListener::bind("127.0.0.1:0").expect("bind");
            let port = l.local_addr().expect("addr").port();
            drop(l);
            format!("http://127.0.0.1:{port}/x")
        }
        "name that does not resolve" => "http://nonexistent.invalid/x".to_owned(),
        _ => {
            let l = TcpListener::bind("127.0.0.1:0").expect("bind");
            let addr = l.local_addr().expect("addr");
            std::thread::spawn(move || {
                for s in l.incoming().flatten() {
                    std::thread::spawn(move || serve(s, fault));
                }
            });
            let scheme = if fault.starts_with("TLS") {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{addr}/x")
        }
    }
}

#[test]
fn each_network_fault_fails_its_request_with_its_own_message() {
    let mut failures = Vec::new();
    for (fault, message) in FAULTS {
        let collection = format!(
            "name: f\nrequests:\n  - name: r\n    url: {}\n    timeout: 1s\n    max_body: 1MiB\n    follow_redirects: true\n",
            url(fault)
        );
        let tmp = support::workspace(&[("collections/c.yaml", &collection)]);
        let out = support::run(tmp.path(), &["run", "collections", "--env", "local"]);
        let (code, stdout, stderr) = support::parts(&out);
        let line = stdout
            .lines()
            .find(|l| l.starts_with("FAIL f / r  error: "));
        if code != 3 || !line.is_some_and(|l| l.contains(message)) {
            failures.push(format!(
                "{fault}: want `{message}`, exit {code}\n{stdout}{stderr}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
