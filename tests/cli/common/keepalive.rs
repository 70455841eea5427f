//! A portal that keeps connections alive between requests and closes one that sits idle for
//! longer than `idle`, as a load balancer does: the order must never go out on a connection
//! that was closed while a person read the summary.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::raw::RawRequest;

type Handler = dyn Fn(&RawRequest) -> (u16, String) + Send + Sync;

pub struct KeepAliveServer {
    pub url: String,
    requests: Arc<Mutex<Vec<RawRequest>>>,
    connections: Arc<AtomicUsize>,
    idle_closes: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Drop for KeepAliveServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

impl KeepAliveServer {
    /// Answers each request with `handler`'s status and JSON body, on a connection that stays
    /// open until it has been idle for `idle`.
    pub fn start(
        idle: Duration,
        handler: impl Fn(&RawRequest) -> (u16, String) + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = KeepAliveServer {
            url,
            requests: Arc::default(),
            connections: Arc::default(),
            idle_closes: Arc::default(),
            stop: Arc::default(),
        };
        let handler: Arc<Handler> = Arc::new(handler);
        let (requests, connections, idle_closes, stop) = (
            server.requests.clone(),
            server.connections.clone(),
            server.idle_closes.clone(),
            server.stop.clone(),
        );
        std::thread::spawn(move || {
            // Bounded: a test server never outlives its test by much.
            let deadline = Instant::now() + Duration::from_secs(120);
            while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        connections.fetch_add(1, Ordering::SeqCst);
                        let (handler, requests, idle_closes) =
                            (handler.clone(), requests.clone(), idle_closes.clone());
                        std::thread::spawn(move || {
                            serve(stream, idle, &*handler, &requests, &idle_closes)
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        server
    }

    pub fn requests(&self) -> Vec<RawRequest> {
        self.requests.lock().unwrap().clone()
    }

    pub fn count(&self, method: &str, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method && r.path() == path)
            .count()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Connections the server closed because they sat idle.
    pub fn idle_closes(&self) -> usize {
        self.idle_closes.load(Ordering::SeqCst)
    }
}

fn serve(
    mut stream: TcpStream,
    idle: Duration,
    handler: &Handler,
    log: &Mutex<Vec<RawRequest>>,
    idle_closes: &AtomicUsize,
) {
    let _ = stream.set_nonblocking(false);
    let mut buffer = Vec::new();
    loop {
        match next_request(&mut stream, &mut buffer, idle) {
            Next::Request(request) => {
                log.lock().unwrap().push(request.clone());
                let (status, body) = handler(&request);
                let head = format!(
                    "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    if status == 200 { "OK" } else { "Status" },
                    body.len()
                );
                if stream.write_all(head.as_bytes()).is_err()
                    || stream.write_all(body.as_bytes()).is_err()
                {
                    return;
                }
            }
            Next::Idle => {
                idle_closes.fetch_add(1, Ordering::SeqCst);
                let _ = stream.shutdown(std::net::Shutdown::Both);
                return;
            }
            Next::Gone => return,
        }
    }
}

enum Next {
    Request(RawRequest),
    /// Nothing arrived for the idle time.
    Idle,
    /// The client closed the connection, or sent something unreadable.
    Gone,
}

fn next_request(stream: &mut TcpStream, buffer: &mut Vec<u8>, idle: Duration) -> Next {
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(pos) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        // The idle clock runs until the first byte of a request; then the rest may take 10 s.
        let wait = if buffer.is_empty() {
            idle
        } else {
            Duration::from_secs(10)
        };
        let _ = stream.set_read_timeout(Some(wait));
        match stream.read(&mut chunk) {
            Ok(0) => return Next::Gone,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(error)
                if buffer.is_empty()
                    && matches!(
                        error.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
            {
                return Next::Idle
            }
            Err(_) => return Next::Gone,
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split_whitespace();
    let (Some(method), Some(target)) = (first.next(), first.next()) else {
        return Next::Gone;
    };
    let (method, target) = (method.to_owned(), target.to_owned());
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    while buffer.len() < head_end + length {
        match stream.read(&mut chunk) {
            Ok(n) if n > 0 => buffer.extend_from_slice(&chunk[..n]),
            _ => return Next::Gone,
        }
    }
    let body = buffer[head_end..head_end + length].to_vec();
    buffer.drain(..head_end + length);
    Next::Request(RawRequest {
        method,
        target,
        headers,
        body,
    })
}
