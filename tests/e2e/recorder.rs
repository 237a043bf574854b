//! A local HTTP server on 127.0.0.1 that answers every request `200 {}` and records what it
//! was sent (headers and body), so that a test can check what Courier sent —
//! or that it sent nothing.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// One request as the server read it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

/// The server's base URL and the requests it has seen so far.
pub(crate) fn start() -> (String, Arc<Mutex<Vec<Seen>>>) {
    start_with("{}".to_owned())
}

/// As [`start`], answering every request with the JSON `body`.
pub(crate) fn start_with(body: String) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let body = Arc::new(body);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let log = Arc::clone(&log);
            let body = Arc::clone(&body);
            std::thread::spawn(move || serve(&stream, &log, &body));
        }
    });
    (base, seen)
}

fn serve(stream: &std::net::TcpStream, log: &Mutex<Vec<Seen>>, body: &str) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = Vec::new();
        let mut length = 0usize;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((name, value)) = h.split_once(':') {
                let value = value.trim().to_owned();
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.parse().unwrap_or(0);
                }
                headers.push((name.to_owned(), value));
            }
        }
        let mut sent = vec![0; length];
        if reader.read_exact(&mut sent).is_err() {
            return;
        }
        log.lock().expect("the log").push(Seen {
            headers,
            body: sent,
        });
        let mut out = stream;
        let reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if out.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// A workspace whose environment `t` points `base_url` at `base`.
pub(crate) fn environment(base: &str) -> String {
    format!("scope: non-production\nvars:\n  base_url: {base}\n")
}
